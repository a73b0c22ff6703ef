"""`run_tests.sh lava-log LOG.yaml`: what a LAVA job logged (runner/lab/lava_log.py). By
default the raw serial console on stdout (`> console.log`, then `run_tests.sh judge
console.log`; judge also reads LOG.yaml itself) and LAVA's verdict on stderr; --tests:
LAVA's test cases; --compare / --against: LAVA's results against the suite's own reading of
the same console, or against a summary.json of a run of the same kernel.

Exit: 0 when LAVA's run was whole (job finished, monitor passed, end marker seen); 3 when it
was not (a hang, where LAVA itself exits 0 and passes the job; a panic, an Infrastructure
error; no job result); 1 when --compare/--against found a case LAVA read differently."""
from __future__ import annotations

import sys
from pathlib import Path

from runner import ktap
from runner.core.errors import UsageError
from runner.core.status import Exit
from runner.lab import lava_log
from runner.commands import results_in

HELP = "print the console a LAVA job logged (for judge), its test cases, or compare them"


def add_arguments(p) -> None:
    p.add_argument("log", metavar="LOG.yaml", help="LAVA's log (lava-run's stderr, or a "
                   "server's log.yaml)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--tests", action="store_true",
                      help="print LAVA's test cases (definition, case, result), not the console")
    what.add_argument("--compare", action="store_true", help="compare LAVA's results with "
                      "the suite's own parse of the console LAVA kept")
    what.add_argument("--against", metavar="FILE", help="compare LAVA's results with a "
                      "summary.json (or a console log) of a run of the same kernel")
    p.add_argument("--against-kernel", metavar="K", help="with --against: the summary's "
                   "kernel (default: its only one)")
    p.add_argument("--definition", metavar="NAME", help="only this LAVA test definition's "
                   "results (default: all but LAVA's own)")


def main(a) -> int:
    log = lava_log.read(a.log)
    v = lava_log.verdict(log)
    rc = lava_log.exit_status(v)
    if a.tests:
        for c in log.cases:
            if a.definition is None or c.definition == a.definition:
                print(f"{c.definition}\t{c.name}\t{c.result}")
    elif a.compare or a.against:
        rc = compare(a, log) or rc
    else:
        sys.stdout.write(log.console_text())
    print(f"lava-log: {a.log}: {v.why}", file=sys.stderr)
    return rc


def compare(a, log: lava_log.LavaLog) -> int:
    lava = log.results(a.definition)
    if a.against:
        inputs = results_in.read(Path(a.against))
        if a.against_kernel:
            inputs = [i for i in inputs if i.label == a.against_kernel]
            if not inputs:
                raise UsageError(f"--against-kernel {a.against_kernel}: not in {a.against}")
        if len(inputs) != 1:
            raise UsageError(f"{a.against} holds {len(inputs)} kernels "
                             f"({', '.join(i.label for i in inputs)}): pick one with --against-kernel")
        suite = {n: str(c.status) for n, c in inputs[0].kernel.cases.items()}
        what = f"{a.against} ({inputs[0].label})"
    else:
        run = ktap.parse_console(log.console_text(), None)
        suite = {n: str(c.status) for n, c in run.cases.items()}
        what = "the suite's parse of LAVA's console"
    diffs = lava_log.compare(lava, suite)
    print(f"LAVA: {len(lava)} results ({counts(lava.values())}); {what}: {len(suite)} cases "
          f"({counts(suite.values())})")
    for d in diffs:
        print(f"  DIFFERS {d}")
    print("agree on every case" if not diffs else f"{len(diffs)} case(s) differ")
    return Exit.REGRESSION if diffs else Exit.OK


def counts(values) -> str:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(out.items())) or "none"
