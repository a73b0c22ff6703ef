"""`run_tests.sh kcidb SUMMARY.json [--origin NAME]`: the KCIDB v5.3 document of a saved
result on standard output (runner/report/kcidb.py; docs/outputs.md). Nothing is sent."""
from __future__ import annotations

import sys
from pathlib import Path

from runner.core.status import Exit
from runner.report import kcidb, summary as summ
from runner.run import options

HELP = "print the KCIDB v5.3 document of a saved summary.json (nothing is sent)"


def add_arguments(p) -> None:
    p.add_argument("summary", metavar="SUMMARY.json", help="a run's or a merge's summary.json "
                   "(its console logs, next to it, give the failures' excerpts)")
    p.add_argument("--origin", type=options.argtype(kcidb.check_origin), default=kcidb.ORIGIN,
                   metavar="NAME", help=f"the KCIDB origin of the ids (default {kcidb.ORIGIN})")


def main(a) -> int:
    tree = summ.load(a.summary)
    doc = kcidb.render(tree, a.origin, Path(a.summary).resolve().parent)
    sys.stdout.write(kcidb.dumps(doc))
    return Exit.OK
