"""`run_tests.sh plan [CASE|GLOB ...] [--kernel K ...] [--matrix] --shards N`: the shard
list of a selection as JSON, for a CI matrix (GitHub: `matrix: ${{ fromJSON(...) }}`).

One line on stdout: {"include": [{"shard": "1/N", "index": 1, "plan": HASH, "kernels":
"6.1 7.3 ...", "boots": B, "cases": C, "seconds": S}, ...]}: `kernels` are those the shard
boots, `seconds` its estimate (one kernel at a time). Each shard job runs the same selection
with --shard I/N (and --plan HASH, or --plan FILE of this output, to refuse a different
plan); merge checks their union against the plan. Nothing is built or booted."""
from __future__ import annotations

import json

from runner.core.status import Exit
from runner.run import options, preflight
from runner.shard import durations, plan as shard_plan

HELP = "print the shard list of a selection as JSON, for a CI matrix (docs/ci.md)"


def add_arguments(p) -> None:
    options.add_cases(p)
    options.add_kernels(p, jobs=False)
    p.add_argument("--shards", type=options.positive_int, required=True, metavar="N",
                   help="how many shards (machines, CI jobs)")
    options.add_durations(p)
    p.add_argument("--pretty", action="store_true", help="indented, not one line")


def main(a) -> int:
    cases = preflight.select_cases(a.cases)
    wanted = options.arch_list(a)
    specs = preflight.kernel_specs(preflight.with_arch(a.kernel, wanted), a.matrix, wanted, a.arch)
    p = shard_plan.plan(specs, cases, a.shards, durations.load(a.durations))
    print(json.dumps(p.matrix(), indent=1 if a.pretty else None))
    return Exit.OK
