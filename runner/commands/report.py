"""`run_tests.sh report SUMMARY.json`: write report.md and report.html of a saved run."""
from __future__ import annotations

from pathlib import Path

from runner.core.status import Exit
from runner.report import markdown, summary as summ
from runner.run import options

HELP = "write report.md and report.html of a saved summary.json"


def add_arguments(p) -> None:
    p.add_argument("summary", help="the runner's summary.json")
    options.add_expected(p)
    p.add_argument("--cases", help="cases/ folder, for the behaviour column")
    p.add_argument("-o", "--out", help="output folder (default: the summary's)")


def main(a) -> int:
    tree = summ.load(a.summary)
    src = Path(a.summary).resolve().parent
    md, page = markdown.write_report(tree, Path(a.out) if a.out else src, results_dir=src,
                                     cases_dir=a.cases, expected_dir=a.expected)
    print(md)
    print(page)
    return Exit.OK
