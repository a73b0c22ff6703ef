"""Compare a baseline kernel's results with a candidate's: behaviour differences, regression?

Inputs are any of: a runner summary.json (pick the kernel with FILE:ID when it has several),
one kernel's entry saved on its own (a baseline file), or a console/KTAP log such as the
output of ./run_tests.sh.

    python3 -m runner.gate --baseline A.json[:ID] --candidate B.json[:ID] [--json]
    python3 -m runner.gate --summary results/summary.json --baseline 6.12 --candidate 7.3
    python3 -m runner.gate --baseline results/summary.json:6.12 --save baseline-6.12.json

Exit status: 0 no regression, 1 regression, 2 the inputs could not be read.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from runner.ktap.parser import parse_console
from runner.core.status import BAD_STATUSES, UNFINISHED

BAD = tuple(s.value for s in BAD_STATUSES)


class GateInputError(Exception):
    pass


@dataclass
class Difference:
    case: str
    subtest: str | None
    before: str | None  # status in the baseline (None: absent there)
    after: str | None
    kind: str  # new failure | new skip | fix | now runs | changed failure | new case | missing case
    regression: bool
    detail: str = ""

    def line(self) -> str:
        what = self.case + (f" / {self.subtest}" if self.subtest else "")
        mark = "REGRESSION" if self.regression else "change"
        tail = f": {self.detail}" if self.detail else ""
        return f"{mark:10} {self.kind:16} {what}: {self.before or '-'} -> {self.after or '-'}{tail}"


@dataclass
class GateResult:
    baseline: str
    candidate: str
    differences: list[Difference] = field(default_factory=list)
    same: int = 0  # cases that behave the same

    @property
    def regression(self) -> bool:
        return any(d.regression for d in self.differences)

    def text(self) -> str:
        out = [f"baseline:  {self.baseline}", f"candidate: {self.candidate}"]
        quiet = [d for d in self.differences if d.kind == "new case" and not d.regression]
        out += [d.line() for d in self.differences if d not in quiet]
        if quiet:  # cases the baseline did not run that pass or skip: one line, not dozens
            out.append(f"{'change':10} {'new cases':16} {len(quiet)} only in the candidate, "
                       f"passing or skipping: {', '.join(d.case for d in quiet)}")
        n = sum(d.regression for d in self.differences)
        verdict = f"REGRESSION ({n} difference(s))" if n else "no regression"
        out.append(f"{len(self.differences)} difference(s), {self.same} case(s) unchanged: "
                   f"{verdict}")
        return "\n".join(out)


def classify(before: str | None, after: str | None) -> tuple[str, bool] | None:
    """(kind, regression) of a status change; None when nothing changed."""
    if before == after:
        return None
    if before is None:
        return "new case", after in BAD
    if after is None:
        return "missing case", True
    if after == "pass":
        return ("now runs" if before == "skip" else "fix"), False
    if after == "skip":
        return "new skip", True
    if before in ("pass", "skip"):
        return "new failure", True
    # One failure became another: worse only if it no longer finishes.
    return "changed failure", after in UNFINISHED and before == "fail"


def compare_cases(base: dict, cand: dict) -> tuple[list[Difference], int]:
    diffs, same = [], 0
    for name in list(base) + [n for n in cand if n not in base]:
        b, c = base.get(name), cand.get(name)
        bs, cs = b and b.get("status"), c and c.get("status")
        change = classify(bs, cs)
        if change is not None:
            diffs.append(Difference(name, None, bs, cs, change[0], change[1],
                                    (c or b or {}).get("reason", "") if cs != "pass" else ""))
            continue
        sub = _compare_subtests(name, b.get("subtests", []), c.get("subtests", []))
        diffs += sub
        same += not sub
    return diffs, same


def _compare_subtests(case: str, base: list, cand: list) -> list[Difference]:
    bmap = {s["name"]: s for s in base}
    cmap = {s["name"]: s for s in cand}
    out = []
    for name in list(bmap) + [n for n in cmap if n not in bmap]:
        b, c = bmap.get(name), cmap.get(name)
        change = classify(b and b["status"], c and c["status"])
        if change is not None:
            kind, bad = change
            out.append(Difference(case, name, b and b["status"], c and c["status"], kind, bad,
                                  (c or {}).get("reason", "")))
    return out


def compare(baseline: dict, candidate: dict) -> GateResult:
    """Compare two kernels' results ({"cases": {...}} as in summary.json's kernels[])."""
    diffs, same = compare_cases(baseline.get("cases", {}), candidate.get("cases", {}))
    return GateResult(_label(baseline), _label(candidate), diffs, same)


def _label(k: dict) -> str:
    bits = [k.get("id") or "", k.get("release") or ""]
    if k.get("package_version"):
        bits.append(f"package {k['package_version']}")
    if k.get("end_reason"):
        bits.append(f"end: {k['end_reason']}")
    return " ".join(b for b in bits if b) or k.get("source", "?")


def _checked(k: dict, path: str) -> dict:
    cases = k.get("cases")
    if not isinstance(cases, dict) or not all(isinstance(c, dict) and isinstance(c.get("status"), str)
                                              for c in cases.values()):
        raise GateInputError(f"{path}: kernel {k.get('id')!r} has no readable 'cases'")
    return k


def load_kernel(spec: str) -> dict:
    """One kernel's results from FILE or FILE:ID (summary.json, saved entry or KTAP log)."""
    path, kid = spec, ""
    if not Path(spec).exists() and ":" in spec:
        path, _, kid = spec.rpartition(":")
    p = Path(path)
    if not p.exists():
        raise GateInputError(f"{path}: no such file")
    try:
        text = p.read_text(errors="replace")
    except OSError as e:
        raise GateInputError(f"{path}: {e.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        run = parse_console(text, None, None)
        if run.plan is None:
            raise GateInputError(f"{path}: neither JSON nor a KTAP document") from None
        k = run.to_dict()
        k["source"] = str(p)
        return k
    if not isinstance(data, dict):
        raise GateInputError(f"{path}: JSON, but not a summary or a saved baseline")
    if "kernels" in data:
        kernels = data["kernels"]
        if not isinstance(kernels, list) or not all(isinstance(k, dict) for k in kernels):
            raise GateInputError(f"{path}: 'kernels' is not a list of kernel entries")
        if kid:
            hits = [k for k in kernels if k.get("id") == kid]
            if not hits:
                raise GateInputError(f"{path}: no kernel {kid!r} (has "
                                     f"{', '.join(str(k.get('id')) for k in kernels)})")
            return _checked(hits[0], path)
        if len(kernels) != 1:
            raise GateInputError(f"{path} has {len(kernels)} kernels: say which, {path}:ID "
                                 f"({', '.join(str(k.get('id')) for k in kernels)})")
        return _checked(kernels[0], path)
    if isinstance(data.get("cases"), dict):
        return _checked(data, path)
    raise GateInputError(f"{path}: no 'kernels' or 'cases' in it")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m runner.gate", description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", required=True, help="FILE[:KERNEL_ID]")
    ap.add_argument("--candidate", help="FILE[:KERNEL_ID]")
    ap.add_argument("--save", metavar="FILE", help="write the baseline kernel's results to FILE "
                    "(a baseline file for later gates) and exit")
    ap.add_argument("--summary", help="a summary.json holding both kernels: then --baseline "
                    "and --candidate are kernel ids in it")
    ap.add_argument("--json", action="store_true", help="print the differences as JSON")
    args = ap.parse_args(argv)
    base, cand = args.baseline, args.candidate
    if args.summary:
        base, cand = f"{args.summary}:{base}", f"{args.summary}:{cand}"
    if not args.save and not args.candidate:
        ap.error("--candidate is needed (or --save FILE)")
    try:
        if args.save:
            k = load_kernel(base)
            try:
                Path(args.save).write_text(json.dumps(k, indent=1) + "\n")
            except OSError as e:
                raise GateInputError(f"cannot write {args.save}: {e.strerror}") from None
            print(f"baseline {_label(k)}: {len(k.get('cases', {}))} cases saved to {args.save}")
            return 0
        result = compare(load_kernel(base), load_kernel(cand))
    except GateInputError as exc:
        print(f"gate: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"baseline": result.baseline, "candidate": result.candidate,
                          "regression": result.regression, "same": result.same,
                          "differences": [asdict(d) for d in result.differences]}, indent=1))
    else:
        print(result.text())
    return 1 if result.regression else 0


if __name__ == "__main__":
    sys.exit(main())
