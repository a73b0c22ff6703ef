"""The shard plan: a selection's work cut into N disjoint, balanced shards.

The unit of work is a boot: one kernel with one group of cases (a cases/<group>/ folder).
Units are packed longest first, each into the shard it makes the least loaded, where a
unit's cost is its cases' recorded seconds plus, when the shard boots that kernel for no
other unit yet, the kernel's boot cost (durations.py). A shard boots each of its kernels
once, with every case its units give that kernel. Everything is a pure function of the
selection (kernels, cases, in order), N and the durations table, so every machine that asks
computes the same plan; its hash (over N, the selection and every unit with its shard) is
recorded in each shard's summary.json (run.shard) and merge checks the union against it.

run.shard of a shard's run:
    {"index": I, "count": N, "plan": "<sha256>", "cases": [the selection, in order],
     "units": [{"kernel": K, "group": G, "cases": [...], "shard": S, "seconds": est}, ...]}
A merged result has no "index" and a "merged" list instead (merge.py).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from runner.core.errors import UsageError
from runner.core.paths import case_groups
from runner.report.summary import ResultsError
from runner.shard.durations import Durations

OTHER = "other"  # the group of a case that is in no cases/<group>/ folder


@dataclass(frozen=True)
class Unit:
    kernel: str
    group: str
    cases: tuple[str, ...]
    shard: int            # 1-based
    seconds: float = 0.0  # the cases' estimated seconds on this kernel
    boot: float = 0.0     # the estimated cost of a boot of this kernel besides its cases

    def to_dict(self) -> dict:
        return {"kernel": self.kernel, "group": self.group, "cases": list(self.cases),
                "shard": self.shard, "seconds": round(self.seconds, 2), "boot": round(self.boot, 2)}


@dataclass
class Plan:
    count: int
    cases: list[str]      # the selection, in order
    units: list[Unit]     # kernel order, then group
    hash: str

    @property
    def kernels(self) -> list[str]:
        return list(dict.fromkeys(u.kernel for u in self.units))

    def of(self, index: int) -> list[Unit]:
        return [u for u in self.units if u.shard == index]

    def selection(self, index: int) -> dict[str, list[str]]:
        """kernel -> the cases shard `index` runs on it, in selection order."""
        out: dict[str, set[str]] = {}
        for u in self.of(index):
            out.setdefault(u.kernel, set()).update(u.cases)
        return {k: [c for c in self.cases if c in cs] for k, cs in out.items()}

    def estimate(self, index: int) -> float:
        """Seconds shard `index` should take booting one kernel at a time: its cases, and
        one boot per kernel."""
        units = self.of(index)
        boots = {u.kernel: u.boot for u in units}
        return sum(u.seconds for u in units) + sum(boots.values())

    def record(self, index: int) -> dict:
        """run.shard of shard `index`."""
        return {"index": index, "count": self.count, "plan": self.hash,
                "cases": list(self.cases), "units": [u.to_dict() for u in self.units]}

    def matrix(self) -> dict:
        """The plan command's JSON: a CI matrix, {"include": [one entry a shard]} and nothing
        else (GitHub takes it whole as strategy.matrix: fromJSON(...))."""
        include = []
        for i in range(1, self.count + 1):
            sel = self.selection(i)
            include.append({"shard": f"{i}/{self.count}", "index": i, "plan": self.hash,
                            "kernels": " ".join(sel), "boots": len(sel),
                            "cases": sum(len(v) for v in sel.values()),
                            "seconds": round(self.estimate(i), 1)})
        return {"include": include}


def plan_hash(count: int, cases: list[str], units) -> str:
    body = {"count": count, "cases": list(cases),
            "units": [[u.kernel, u.group, list(u.cases), u.shard] for u in units]}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def parse_shard(text: str) -> tuple[int, int]:
    """'I/N' with 1 <= I <= N (a ValueError says what is wrong)."""
    i, sep, n = text.partition("/")
    if not sep or not i.isdigit() or not n.isdigit():
        raise ValueError(f"must be I/N (e.g. 1/3), not {text!r}")
    i, n = int(i), int(n)
    if n < 1 or not 1 <= i <= n:
        raise ValueError(f"{text!r}: I must be 1 to N and N at least 1")
    return i, n


def plan(kernels: list[str], cases: list[str], count: int, table: Durations,
         groups: dict[str, str] | None = None) -> Plan:
    """The plan for `count` shards of kernels x cases (UsageError when there are fewer
    boots to share than shards)."""
    groups = case_groups() if groups is None else groups
    by_group: dict[str, list[str]] = {}
    for c in cases:
        by_group.setdefault(groups.get(c, OTHER), []).append(c)
    todo = []
    for order, k in enumerate(kernels):
        for g in sorted(by_group):
            cs = by_group[g]
            todo.append((k, g, tuple(cs), sum(table.case(k, c) for c in cs), order))
    if count > len(todo):
        raise UsageError(f"--shards {count}: the selection has {len(todo)} boot"
                         f"{'s' if len(todo) != 1 else ''} (kernel x case group) to share; "
                         f"give at most {len(todo)} shards")
    boot = {k: table.boot(k) for k in kernels}
    shard_of: dict[tuple[str, str], int] = {}
    members: list[list[tuple]] = [[] for _ in range(count)]

    def load(units) -> float:
        return sum(t[3] for t in units) + sum(boot[k] for k in {t[0] for t in units})

    # Longest first (a unit's own boot included); ties by kernel order, then group.
    for t in sorted(todo, key=lambda t: (-(t[3] + boot[t[0]]), t[4], t[1])):
        best = min(range(count), key=lambda s: (load(members[s] + [t]), len(members[s]), s))
        members[best].append(t)
    # Then move single units off the longest shard while that shortens it.
    for _ in range(4 * len(todo)):
        loads = [load(m) for m in members]
        worst = max(range(count), key=lambda s: (loads[s], -s))
        moves = []
        for t in members[worst]:
            rest = [u for u in members[worst] if u is not t]
            for s in range(count):
                if s != worst:
                    top = max(load(rest), load(members[s] + [t]))
                    if top < loads[worst] - 1e-6:
                        moves.append((top, t[4], t[1], s, t))
        if not moves:
            break
        top, _, _, s, t = min(moves, key=lambda m: m[:4])
        members[worst].remove(t)
        members[s].append(t)
    for s, m in enumerate(members):
        for t in m:
            shard_of[(t[0], t[1])] = s + 1
    units = [Unit(k, g, cs, shard_of[(k, g)], secs, boot[k]) for k, g, cs, secs, _ in todo]
    return Plan(count, list(cases), units, plan_hash(count, cases, units))


def from_record(d, where: str) -> tuple[int | None, Plan]:
    """(index or None for a merged result, the plan) from a summary's run.shard, checked:
    its hash must be the hash of what it lists."""
    try:
        count = int(d["count"])
        cases = [str(c) for c in d["cases"]]
        units = [Unit(str(u["kernel"]), str(u["group"]), tuple(str(c) for c in u["cases"]),
                      int(u["shard"]), float(u.get("seconds") or 0.0), float(u.get("boot") or 0.0))
                 for u in d["units"]]
        index = d.get("index")
        index = None if index is None else int(index)
        h = str(d["plan"])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ResultsError(f"{where}: run.shard is damaged ({type(e).__name__}: {e})") from None
    if plan_hash(count, cases, units) != h:
        raise ResultsError(f"{where}: run.shard's units do not hash to its plan {h[:12]} "
                           "(edited or damaged)")
    if index is not None and not 1 <= index <= count:
        raise ResultsError(f"{where}: run.shard index {index} is not 1 to {count}")
    return index, Plan(count, cases, units, h)
