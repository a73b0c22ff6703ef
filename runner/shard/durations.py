"""The recorded durations the shard plan balances by: bench/durations.json, typical seconds
per case and, per kernel, what a boot costs besides its cases and how fast its cases run.

    {"about": "...", "recorded": ["<run.started of each summary it was made from>", ...],
     "kernels": {"6.1": {"boot": 14.6, "scale": 1.93}, ..., "host": {"boot": 0.3, "scale": 0.12}},
     "cases": {"bufring_add_offset": 0.12, ...}}

A case's seconds on a kernel are cases[case] x kernels[kernel].scale; a boot of that kernel
costs kernels[kernel].boot more (resolving the package, booting, powering off). A kernel the
table lacks is looked up by its series (6.12.95+deb12 -> 6.12), else it is a median QEMU
kernel; a case it lacks is a median case. With no table at all every case weighs 1 and a boot
nothing: equal weights.

`run_tests.sh durations SUMMARY.json...` remakes the table from recorded runs (summary.json
keeps each case's seconds and each kernel's wall time); entries the summaries do not cover
are kept.
"""
from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from runner.core.errors import NotRun, UsageError
from runner.core.paths import TOP
from runner.report.summary import Summary

TABLE = TOP / "bench" / "durations.json"
ABOUT = ("typical seconds per case, and per kernel the cost of a boot besides its cases and "
         "how fast its cases run (scale); the shard plan balances by them (docs/ci.md). "
         "Remake: run_tests.sh durations SUMMARY.json...")
_SERIES = re.compile(r"^(\d+\.\d+)")


@dataclass
class Durations:
    kernels: dict[str, dict[str, float]] = field(default_factory=dict)
    cases: dict[str, float] = field(default_factory=dict)
    recorded: list[str] = field(default_factory=list)

    @property
    def equal_weights(self) -> bool:
        return not self.cases

    def _kernel(self, spec: str) -> dict[str, float]:
        k = self.kernels.get(spec)
        if k is None:
            m = _SERIES.match(spec)
            k = self.kernels.get(m.group(1)) if m else None
        if k is None:
            qemu = [v for n, v in self.kernels.items() if n != "host"] or list(self.kernels.values())
            if not qemu:
                return {"boot": 0.0, "scale": 1.0}
            k = {"boot": statistics.median(v["boot"] for v in qemu),
                 "scale": statistics.median(v["scale"] for v in qemu)}
        return k

    def boot(self, spec: str) -> float:
        return 0.0 if self.equal_weights else float(self._kernel(spec)["boot"])

    def case(self, spec: str, case: str) -> float:
        if self.equal_weights:
            return 1.0
        s = self.cases.get(case)
        if s is None:
            s = statistics.median(self.cases.values())
        return float(s) * float(self._kernel(spec)["scale"])

    def to_dict(self) -> dict:
        return {"about": ABOUT, "recorded": self.recorded,
                "kernels": {k: self.kernels[k] for k in sorted(self.kernels, key=_order)},
                "cases": {c: self.cases[c] for c in sorted(self.cases)}}


def _order(spec: str):
    m = _SERIES.match(spec)
    return (0, tuple(int(x) for x in m.group(1).split("."))) if m else (1, (spec,))


def load(path: Path | None = None) -> Durations:
    """The table at path (default bench/durations.json); none there: equal weights."""
    p = Path(path) if path else TABLE
    if not p.exists():
        return Durations()
    where = str(p)
    try:
        d = json.loads(p.read_text())
        kernels = {str(k): {"boot": float(v["boot"]), "scale": float(v["scale"])}
                   for k, v in d.get("kernels", {}).items()}
        cases = {str(c): float(s) for c, s in d.get("cases", {}).items()}
        recorded = [str(x) for x in d.get("recorded", [])]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as e:
        raise UsageError(f"{where}: not a durations table ({type(e).__name__}: {e})") from None
    if any(v < 0 for v in cases.values()) or any(
            k["boot"] < 0 or k["scale"] <= 0 for k in kernels.values()):
        raise UsageError(f"{where}: not a durations table (a negative time or a scale <= 0)")
    return Durations(kernels, cases, recorded)


def measure(summaries: list[Summary], old: Durations | None = None) -> Durations:
    """The table from recorded runs: per case the median of its seconds over the QEMU
    kernels (over every kernel when only the host ran it), per kernel its boot cost (its
    wall time less its cases' seconds, per boot) and its scale (its cases' seconds over the typical
    ones). A later summary's kernel replaces an earlier one's; what none covers is kept."""
    per_kernel: dict[str, tuple[dict[str, float], float, bool]] = {}
    recorded = []
    for s in summaries:
        recorded.append(str(s.run.get("started") or "?"))
        for k in s.kernels:
            secs = {n: float(c.seconds) for n, c in k.cases.items() if c.seconds is not None}
            if not secs or not k.ran or "/" in k.id:
                continue  # nothing measured, or a path (a bzImage, a tree): not a kernel name to keep
            # Per boot: a merged result's kernel may have booted once in each of its shards.
            wall = float(k.get("seconds") or 0.0)
            boots = max(1, int(k.get("boots") or 1))
            per_kernel[k.id] = (secs, max(0.0, wall - sum(secs.values())) / boots,
                                k.get("accel") == "host")
    if not per_kernel:
        raise NotRun("no kernel in these summaries ran a case with a recorded time")
    names = sorted({n for secs, _, _ in per_kernel.values() for n in secs})
    cases = {}
    for n in names:
        vm = [secs[n] for secs, _, host in per_kernel.values() if n in secs and not host]
        every = [secs[n] for secs, _, _ in per_kernel.values() if n in secs]
        cases[n] = round(statistics.median(vm or every), 3)
    kernels = {}
    for kid, (secs, boot, _) in per_kernel.items():
        typical = sum(cases[n] for n in secs)
        scale = sum(secs.values()) / typical if typical > 0 else 1.0
        kernels[kid] = {"boot": round(boot, 1), "scale": round(max(scale, 0.001), 3)}
    old = old or Durations()
    return Durations({**old.kernels, **kernels}, {**old.cases, **cases},
                     list(dict.fromkeys(old.recorded + recorded)) if old.cases else recorded)


def dumps(table: Durations) -> str:
    """The table as JSON, one kernel or case a line (diffs stay readable)."""
    d = table.to_dict()

    def block(items) -> str:
        return ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in items)
    return (f'{{"about": {json.dumps(d["about"])},\n "recorded": {json.dumps(d["recorded"])},\n'
            f' "kernels": {{\n{block(d["kernels"].items())}\n }},\n'
            f' "cases": {{\n{block(d["cases"].items())}\n }}\n}}\n')


def write(path: Path, table: Durations) -> None:
    try:
        Path(path).write_text(dumps(table))
    except OSError as e:
        raise NotRun(f"cannot write {path}: {e.strerror}") from None
