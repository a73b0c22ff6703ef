"""`run_tests.sh squad SUMMARY.json [--environment K] [-o FILE]`: SQUAD's submit form (tests,
metrics, metadata) of a saved run's kernel, from the one reader of summary.json
(runner/report/squad.py; docs/squad.md submits it)."""
from __future__ import annotations

import sys
from pathlib import Path

from runner.core.errors import NotRun
from runner.core.status import Exit
from runner.report import squad, summary as summ

HELP = "SQUAD's submit form (tests, metrics, metadata) of a saved summary.json"


def add_arguments(p) -> None:
    p.add_argument("summary", help="the runner's summary.json")
    p.add_argument("--environment", metavar="K", help="the kernel (SQUAD's environment) to "
                   "submit; default: the summary's only one (with -o: every kernel, a file each)")
    p.add_argument("-o", "--output", metavar="FILE", help="write it here (default: stdout)")


def main(a) -> int:
    tree = summ.load(a.summary)
    if not tree.kernels:
        raise NotRun(f"{a.summary}: a summary with no kernel in it: nothing ran")
    if a.output and a.environment is None:
        for p in squad.write(Path(a.output), tree):
            print(p)
        return Exit.OK
    text = squad.text(squad.render(tree, a.environment))
    if a.output:
        try:
            Path(a.output).write_text(text)
        except OSError as e:
            raise NotRun(f"cannot write {a.output}: {e.strerror}") from None
        print(a.output)
    else:
        sys.stdout.write(text)
    return Exit.OK
