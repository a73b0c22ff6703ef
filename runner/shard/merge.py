"""Merge shard result folders into one result tree, judged once.

Every shard's summary.json records the plan it ran (run.shard: its hash and every unit) and
what it was made with (run.suite). The merge refuses, as a usage error (exit 2), shards of
different plans, suite versions, expected/ data or modes, a shard given twice, a result a
shard's units do not give it (an overlap), and one kernel that is two different kernels
(another package version, another host). What is missing is not refused but shown: a shard
not given (or whose folder has no summary.json), or a case its shard has no result for,
becomes a NOT RUN case (a host fault, not the kernel's) named in one line, and the merge
exits 3 (even when what is there has a regression: it is listed, but the result is not the
planned run).

Then every case is judged once on the merged tree, against expected/ loaded once (or raw,
as the shards ran), and the kernels' console logs and KTAP are copied into the merged folder
(one file per kernel, each shard's part under a `### ubc-runner: shard I/N` line; event line
numbers follow) so the report's links work.
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from runner.core.errors import NotRun, UsageError
from runner.core.status import Exit, Kind, Status
from runner.judge.expected import Expectations
from runner.judge.verdict import Verdict, judge, judge_raw
from runner.ktap import CaseResult
from runner.report import summary as summ
from runner.run.kernel_run import safe_name
from runner.shard import suite as suite_mod
from runner.shard.plan import Plan, from_record


@dataclass
class ShardIn:
    folder: Path
    summary: summ.Summary
    index: int
    plan: Plan

    @property
    def name(self) -> str:
        return f"shard {self.index}/{self.plan.count} ({self.folder})"

    def kernel(self, kid: str) -> summ.KernelResult | None:
        return next((k for k in self.summary.kernels if k.id == kid), None)


@dataclass
class Merged:
    summary: summ.Summary
    problems: list[str] = field(default_factory=list)  # what is missing, one line each
    exit_status: int = Exit.OK
    labels: dict[str, str] = field(default_factory=dict)  # kernel -> JUnit failure label


def summary_path(arg: Path) -> Path:
    return arg if arg.is_file() else arg / "summary.json"


def read(arg: Path) -> ShardIn | None:
    """A shard's result folder (or its summary.json); None when it has no summary.json."""
    path = summary_path(arg)
    if not path.exists():
        if not arg.exists():
            raise UsageError(f"{arg}: no such folder")
        return None
    s = summ.load(path)
    shard = s.run.get("shard")
    if not isinstance(shard, dict) or "index" not in shard:
        what = "a merged result" if isinstance(shard, dict) else "no run.shard"
        raise UsageError(f"{path}: not one shard's result ({what}); merge takes the folders "
                         "of runs made with --shard I/N")
    index, plan = from_record(shard, str(path))
    if not isinstance(s.run.get("suite"), dict):
        raise UsageError(f"{path}: no run.suite: which suite made it is unknown")
    return ShardIn(path.parent, s, index, plan)


def check(shards: list[ShardIn], expected_hash: str | None) -> Plan:
    """The plan every shard ran, after every refusal (UsageError, one line)."""
    first = shards[0]
    raw = first.summary.run.get("mode") == "raw"
    for s in shards[1:]:
        if s.plan.hash != first.plan.hash:
            raise UsageError(f"{s.folder} ran plan {s.plan.hash[:12]} ({s.plan.count} shards), "
                             f"{first.folder} plan {first.plan.hash[:12]} ({first.plan.count} "
                             "shards): not shards of one run (another selection, N, kernel list "
                             "or durations table)")
        why = suite_mod.differs(first.summary.run.get("suite"), s.summary.run.get("suite"), raw)
        if why:
            raise UsageError(f"{first.folder} and {s.folder}: {why}; shards of different "
                             "suites do not merge")
        if s.summary.run.get("mode") != first.summary.run.get("mode"):
            raise UsageError(f"{first.folder} ran in {first.summary.run.get('mode')} mode, "
                             f"{s.folder} in {s.summary.run.get('mode')} mode")
    if not raw and expected_hash is not None:
        theirs = (first.summary.run.get("suite") or {}).get("expected")
        if theirs != expected_hash:
            raise UsageError(f"the shards ran with expected/ data {str(theirs)[:12]}, this "
                             f"expected/ is {expected_hash[:12]}: give theirs with --expected "
                             "(or re-judge the merged result with run_tests.sh judge)")
    seen: dict[int, ShardIn] = {}
    for s in shards:
        if s.index in seen:
            raise UsageError(f"shard {s.index}/{s.plan.count} given twice: {seen[s.index].folder} "
                             f"and {s.folder}")
        seen[s.index] = s
    owner = {(k, c): u.shard for u in first.plan.units for k in [u.kernel] for c in u.cases}
    for s in shards:
        for k in s.summary.kernels:
            extra = [c for c in k.cases if owner.get((k.id, c)) != s.index]
            if extra:
                other = owner.get((k.id, extra[0]))
                whose = f"the plan gives it to shard {other}/{s.plan.count}" if other else \
                    "the plan has no such (kernel, case)"
                raise UsageError(f"{s.name} has a result for {k.id}::{extra[0]}"
                                 f"{f' and {len(extra) - 1} more' if len(extra) > 1 else ''}: "
                                 f"{whose} (an overlap: shards merge only as planned)")
    _same_kernels(shards)
    return first.plan


def _identity(k: summ.KernelResult) -> dict[str, str]:
    keys = ["package", "package_version", "sha256"] + (
        ["release", "proc_version"] if k.get("accel") == "host" else [])
    return {n: str(k.get(n)) for n in keys if k.get(n)}


def _same_kernels(shards: list[ShardIn]) -> None:
    seen: dict[str, tuple[ShardIn, dict]] = {}
    for s in shards:
        for k in s.summary.kernels:
            ident = _identity(k)
            if k.id in seen:
                o, other = seen[k.id]
                diff = [n for n in ident if n in other and ident[n] != other[n]]
                if diff:
                    n = diff[0]
                    raise UsageError(f"kernel {k.id} is {n} {other[n]} in {o.name} but "
                                     f"{ident[n]} in {s.name}: not the same kernel")
                other.update(ident)
            else:
                seen[k.id] = (s, dict(ident))


@dataclass
class Inputs:
    shards: list[ShardIn]
    unread: list[Path]  # folders with no summary.json
    plan: Plan
    expected_hash: str | None


def load(args: list[Path], expected_hash: str | None) -> Inputs:
    """Read and check the shard folders `args` (every refusal is a UsageError, one line)."""
    shards, unread = [], []
    for a in args:
        s = read(Path(a))
        (shards.append(s) if s else unread.append(Path(a)))
    if not shards:
        raise NotRun(f"no shard's summary.json in {', '.join(str(a) for a in args)}: nothing "
                     "to merge (did the shards finish and upload their results?)")
    return Inputs(shards, unread, check(shards, expected_hash), expected_hash)


def merge(inputs: Inputs, out: Path, exp: Expectations | None) -> Merged:
    """The merged tree, each case judged once; the kernels' logs written into `out`. The
    caller writes summary.json and the other outputs from it."""
    shards, unread, plan, expected_hash = (inputs.shards, inputs.unread, inputs.plan,
                                           inputs.expected_hash)
    raw = shards[0].summary.run.get("mode") == "raw"
    if raw:
        exp = None
    by_index = {s.index: s for s in shards}
    problems = [f"{a}: no summary.json: the shard did not finish (or its results were not "
                "uploaded)" for a in unread]
    missing = [i for i in range(1, plan.count + 1) if i not in by_index]
    for i in missing:
        problems.append(f"shard {i}/{plan.count} is missing: no result for its "
                        f"{sum(len(v) for v in plan.selection(i).values())} cases on "
                        f"{' '.join(plan.selection(i))}")
    kernels, verdicts = [], []
    labels = {}
    for kid in plan.kernels:
        parts = [(by_index[u.shard], u) for u in plan.units if u.kernel == kid and u.shard in by_index]
        kr, shard_of_case = _kernel(kid, plan, [s for s, _ in parts], by_index)
        for s in sorted({s.index: s for s, _ in parts}.values(), key=lambda s: s.index):
            k = s.kernel(kid)
            want = plan.selection(s.index).get(kid, [])
            gone = [c for c in want if k is None or c not in k.cases]
            if gone:
                what = "ran nothing" if not any(x.cases for x in s.summary.kernels) else \
                    f"has no result for {len(gone)} of its {len(want)} cases on {kid} ({gone[0]}" \
                    f"{', ...' if len(gone) > 1 else ''})"
                line = f"{s.name} {what}"
                if line not in problems:
                    problems.append(line)
        # Every planned case, in selection order; what no shard gave is NOT RUN.
        ordered = {}
        for c in plan.cases:
            owner = next((u.shard for u in plan.units if u.kernel == kid and c in u.cases), None)
            if owner is None:
                continue
            cr = kr.cases.get(c)
            if cr is None:
                why = (f"no result: shard {owner}/{plan.count} is missing" if owner not in by_index
                       else f"no result in shard {owner}/{plan.count} ({by_index[owner].folder})")
                cr = CaseResult(c, Status.NOTRUN.value, why, host_fault=True)
            ordered[c] = cr
        kr.cases = ordered
        kr.verdicts = {}
        for name, c in kr.cases.items():
            src = shard_of_case.get(name)
            never_ran = src is None or not src.get("ran", True) or not src.cases
            v = _judge(kr, src, c, exp, never_ran)
            kr.verdicts[name] = v
            verdicts.append(v)
        kernels.append(kr)
        rel = kr.get("release")
        labels[kid] = f"{kid} ({rel}, {kr.get('accel')})" if rel else kid
    _copy_logs(kernels, plan, by_index, out)
    # A shard that was interrupted left NOT RUN cases: the merge itself was not interrupted.
    never = sum(1 for k in kernels if not k.get("ran", True))
    rc = summ.run_exit_status(verdicts, never)
    if problems:
        # Not the run the plan describes: NOT RUN, even beside a regression in what is there
        # (which is still listed and recorded), so a merge is never read as complete.
        rc = Exit.NOT_RUN
    run = _run(shards, plan, rc, expected_hash)
    return Merged(summ.Summary(run, kernels), problems, rc, labels)


def _judge(kr, src, c: CaseResult, exp: Expectations | None, never_ran: bool) -> Verdict:
    if exp is None:
        v = judge_raw(c)
        if c.status == Status.NOTRUN and never_ran:
            v = Verdict(Kind.NOT_RUN, f"{c.name} could not run: {c.reason}", decided_by="raw")
        return v
    release = (src.get("release") if src else None) or kr.get("release") or ""
    proc = (src.get("proc_version") if src else None) or kr.get("proc_version")
    return judge(release, proc, c, exp, never_ran=never_ran)


def _join(values) -> str:
    return ", ".join(dict.fromkeys(str(v) for v in values if v not in (None, "")))


def _kernel(kid: str, plan: Plan, shards: list[ShardIn], by_index: dict[int, ShardIn]):
    """The kernel's merged entry (cases from every shard that ran it) and, per case, the
    shard's kernel entry it came from."""
    parts = []
    for s in sorted({s.index: s for s in shards}.values(), key=lambda s: s.index):
        k = s.kernel(kid)
        if k is not None:
            parts.append((s, k))
    data: dict = {n: v for n, v in parts[0][1].data.items() if n not in ("id", "cases")} if parts else {}
    cases: dict[str, CaseResult] = {}
    origin: dict[str, summ.KernelResult] = {}
    for s, k in parts:
        for n in ("package", "package_version", "sha256", "release", "proc_version", "source"):
            if k.get(n) and not data.get(n):
                data[n] = k.get(n)
        for n, c in k.cases.items():
            cases[n] = c
            origin[n] = k
    if parts:
        ks = [k for _, k in parts]
        data.update({
            "accel": _join(k.get("accel") for k in ks),
            "accel_why": _join(k.get("accel_why") for k in ks),
            "boot_seconds": round(sum(float(k.get("boot_seconds") or 0) for k in ks), 2),
            "seconds": round(sum(float(k.get("seconds") or 0) for k in ks), 2),
            "end_reason": _join(k.get("end_reason") for k in ks) or None,
            "error": _join(k.get("error") for k in ks),
            "ran": any(k.get("ran", True) and k.cases for k in ks),
            "boots": sum(int(k.get("boots") or 0) for k in ks),
        })
    else:
        data.update({"accel": "", "accel_why": "", "end_reason": None, "ran": False, "boots": 0,
                     "error": "no shard that ran this kernel was merged"})
    return summ.KernelResult(kid, data, cases), origin


def _copy_logs(kernels: list[summ.KernelResult], plan: Plan, by_index: dict[int, ShardIn],
               out: Path) -> None:
    """One console log and one KTAP file per kernel in `out`: each shard's part under a
    `### ubc-runner: shard I/N` line; the events' console line numbers follow."""
    used = set()
    for kr in kernels:
        d = safe_name(kr.id)
        while d in used:
            d += "_"
        used.add(d)
        kdir = out / d
        try:
            kdir.mkdir(parents=True, exist_ok=True)
            events = []
            with open(kdir / "console.log", "w") as log, open(kdir / "ktap.txt", "w") as ktap:
                lines = 0
                for i in sorted(by_index):
                    s = by_index[i]
                    k = s.kernel(kr.id)
                    if k is None:
                        continue
                    head = f"### ubc-runner: shard {i}/{plan.count} ({s.folder}), kernel {kr.id}\n"
                    log.write(head)
                    lines += 1
                    text = _read_text(s.folder, k.get("console_log"))
                    if text is None:
                        log.write(f"### ubc-runner: shard {i}/{plan.count}: its console log "
                                  f"{k.get('console_log')!r} is not there\n")
                        lines += 1
                    for e in k.get("events") or []:
                        events.append({**e, "line": e.get("line", 0) + lines} if text is not None else e)
                    if text is not None:
                        if text and not text.endswith("\n"):
                            text += "\n"
                        log.write(text)
                        lines += text.count("\n")
                    kt = _read_text(s.folder, k.get("ktap"))
                    ktap.write(f"# ubc-runner: shard {i}/{plan.count}\n")
                    if kt:
                        ktap.write(kt if kt.endswith("\n") else kt + "\n")
        except OSError as e:
            raise NotRun(f"results could not be written: {kdir}: {e.strerror}") from None
        kr.data["console_log"] = os.path.join(d, "console.log")
        kr.data["ktap"] = os.path.join(d, "ktap.txt")
        kr.data["events"] = events


def _read_text(folder: Path, rel) -> str | None:
    if not rel:
        return None
    p = Path(rel) if os.path.isabs(rel) else folder / rel
    try:
        return p.read_text(errors="replace")
    except OSError:
        return None


def _run(shards: list[ShardIn], plan: Plan, rc: int, expected_hash: str | None) -> dict:
    runs = [s.summary.run for s in sorted(shards, key=lambda s: s.index)]
    started = sorted(str(r.get("started")) for r in runs if r.get("started"))
    versions: list[str] = []
    for r in runs:
        versions += [v for v in r.get("versions") or [] if v not in versions]
    suite = dict(runs[0].get("suite") or {})
    if expected_hash and runs[0].get("mode") != "raw":
        suite["expected"] = expected_hash
    record = {k: v for k, v in (runs[0].get("shard") or {}).items() if k != "index"}
    record["merged"] = [{"index": s.index, "folder": str(s.folder),
                         "started": s.summary.run.get("started", ""),
                         "exit_status": s.summary.run.get("exit_status")}
                        for s in sorted(shards, key=lambda s: s.index)]
    return {"started": started[0] if started else
            _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "qemu": _join(r.get("qemu") for r in runs),
            "host_kernel": _join(r.get("host_kernel") for r in runs),
            "versions": versions, "mode": runs[0].get("mode", "expected"),
            "interrupted": rc == Exit.INTERRUPTED, "exit_status": int(rc),
            "outcome": Exit(rc).outcome, "cases": list(plan.cases), "shard": record,
            "suite": suite}
