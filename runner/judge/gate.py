"""Compare a baseline kernel's results with a candidate's: behaviour differences, regression?

Takes two kernels' results as dicts (summary.json's kernels[] shape, from the one reader
runner/report/summary.py or the run's tree in memory); runner/commands/gate.py loads files.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from runner.core.errors import UsageError
from runner.core.status import BAD_STATUSES, UNFINISHED

BAD = tuple(s.value for s in BAD_STATUSES)


class GateInputError(UsageError):
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
    not_compared: int = 0  # baseline cases the candidate's run did not select

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
        if self.not_compared:
            out.append(f"{self.not_compared} baseline case(s) not selected in this run: not compared")
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


def compare(baseline: dict, candidate: dict, selected: list[str] | None = None) -> GateResult:
    """Compare two kernels' results ({"cases": {...}} as in summary.json's kernels[]).
    selected: the cases the candidate's run was asked for; baseline cases outside it are
    not compared (counted in not_compared), never reported missing."""
    base = baseline.get("cases", {})
    if selected is not None:
        base = {n: c for n, c in base.items() if n in selected}
    diffs, same = compare_cases(base, candidate.get("cases", {}))
    r = GateResult(_label(baseline), _label(candidate), diffs, same)
    r.not_compared = len(baseline.get("cases", {})) - len(base)
    return r


def incomplete(k: dict) -> str | None:
    """Why a kernel's results cannot stand in a comparison (it did not run everything it
    was asked), or None. A gate on such results is 'could not run' (exit 3), never 'no
    regression'."""
    cases = k.get("cases", {})
    if not k.get("ran", True):
        return f"it never ran ({k.get('error') or k.get('end_reason') or 'no KTAP'})"
    if not cases:
        return "it has no case results"
    if k.get("complete") is False:
        return "its log is cut or damaged"
    unfinished = [n for n, c in cases.items() if c.get("status") in ("notrun", "interrupted")]
    if unfinished:
        return (f"{len(unfinished)} of {len(cases)} cases did not run "
                f"({cases[unfinished[0]].get('status')}: {unfinished[0]})")
    return None


def _label(k: dict) -> str:
    bits = [k.get("id") or "", k.get("release") or ""]
    if k.get("package_version"):
        bits.append(f"package {k['package_version']}")
    if k.get("end_reason"):
        bits.append(f"end: {k['end_reason']}")
    return " ".join(b for b in bits if b) or k.get("source", "?")
