"""`run_tests.sh gate --baseline A[:ID] --candidate B[:ID]`: compare two kernels' results.

Inputs: a summary.json (FILE:ID picks a kernel when it has several), a saved baseline (one
kernel's entry), or a console/KTAP log. Exit: 0 no regression, 1 regression, 2 an input
that cannot be read, 3 an input that did not run everything it was asked (a cut log, an
interrupted run, cases not run): such a comparison proves nothing."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from runner.commands import results_in
from runner.core.errors import NotRun, UsageError
from runner.core.status import Exit
from runner.judge import gate

HELP = "compare a baseline kernel's results with a candidate's"


def add_arguments(p) -> None:
    p.add_argument("--baseline", required=True, help="FILE[:KERNEL_ID]")
    p.add_argument("--candidate", help="FILE[:KERNEL_ID]")
    p.add_argument("--save", metavar="FILE", help="write the baseline kernel's results to FILE "
                   "(a baseline file for later gates) and exit")
    p.add_argument("--summary", help="a summary.json holding both kernels: then --baseline "
                   "and --candidate are kernel ids in it")
    p.add_argument("--json", action="store_true", help="print the differences as JSON")


def load(spec: str) -> results_in.Input:
    """One kernel from FILE or FILE:ID."""
    path, kid = spec, ""
    if not Path(spec).exists() and ":" in spec:
        path, _, kid = spec.rpartition(":")
    if not Path(path).exists():
        raise UsageError(f"{path}: no such file")
    inputs = results_in.read(Path(path))
    if kid:
        hits = [i for i in inputs if i.kernel.id == kid]
        if not hits:
            raise UsageError(f"{path}: no kernel {kid!r} (has {', '.join(i.label for i in inputs)})")
        return hits[0]
    if len(inputs) != 1:
        raise UsageError(f"{path} has {len(inputs)} kernels: say which, {path}:ID "
                         f"({', '.join(i.label for i in inputs)})")
    return inputs[0]


def require_complete(i: results_in.Input, role: str) -> None:
    if not i.complete:
        raise NotRun(f"the {role} {i.label} is incomplete: {i.note}; a gate on it proves nothing")


def save(i: results_in.Input, path: str) -> int:
    require_complete(i, "baseline")
    try:
        Path(path).write_text(json.dumps(i.kernel.to_dict(), indent=1) + "\n")
    except OSError as e:
        raise NotRun(f"cannot write {path}: {e.strerror}") from None
    print(f"baseline {i.label}: {len(i.kernel.cases)} cases saved to {path}")
    return Exit.OK


def compare(base: results_in.Input, cand: results_in.Input, as_json: bool = False) -> int:
    require_complete(base, "baseline")
    require_complete(cand, "candidate")
    result = gate.compare(base.kernel.to_dict(), cand.kernel.to_dict(), cand.selected)
    if as_json:
        print(json.dumps({"baseline": result.baseline, "candidate": result.candidate,
                          "regression": result.regression, "same": result.same,
                          "not_compared": result.not_compared,
                          "differences": [asdict(d) for d in result.differences]}, indent=1))
    else:
        print(result.text())
    return Exit.REGRESSION if result.regression else Exit.OK


def main(a) -> int:
    base, cand = a.baseline, a.candidate
    if a.summary:
        base, cand = f"{a.summary}:{base}", f"{a.summary}:{cand}"
    if a.save:
        return save(load(base), a.save)
    if not a.candidate:
        raise UsageError("--candidate is needed (or --save FILE) (see run_tests.sh gate --help)")
    return compare(load(base), load(cand), a.json)
