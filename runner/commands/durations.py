"""`run_tests.sh durations SUMMARY.json... [-o FILE]`: remake the durations table the shard
plan balances by (bench/durations.json; runner/shard/durations.py) from recorded runs."""
from __future__ import annotations

from pathlib import Path

from runner.core.status import Exit
from runner.report import summary as summ
from runner.shard import durations

HELP = "remake the durations table shards are balanced by from recorded summary.json files"


def add_arguments(p) -> None:
    p.add_argument("summaries", nargs="+", metavar="SUMMARY.json")
    p.add_argument("-o", "--out", metavar="FILE", help=f"the table to update (default "
                   f"{durations.TABLE.relative_to(durations.TOP)})")
    p.add_argument("--fresh", action="store_true", help="do not keep the entries the "
                   "summaries do not cover")


def main(a) -> int:
    out = Path(a.out) if a.out else durations.TABLE
    old = None if a.fresh else durations.load(out)
    table = durations.measure([summ.load(s) for s in a.summaries], old)
    durations.write(out, table)
    print(f"{out}: {len(table.cases)} cases, {len(table.kernels)} kernels "
          f"({', '.join(table.kernels)})")
    return Exit.OK
