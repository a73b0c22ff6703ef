"""The verdict on one case result of one kernel against expected/ (or raw: any failure fails).

Judged once, while the run collects results; the verdict goes into summary.json with the
entry that decided it, and the report, the gate and `python3 -m runner judge` read it from
there.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from runner.judge.expected import Entry, Expectations
from runner.ktap.parser import CaseResult
from runner.core.status import OK_STATUSES, Kind, Status
from runner.core.versions import KernelVersion, bound, compare, parse_version


@dataclass
class Verdict:
    kind: Kind
    message: str
    entry: Entry | None = None
    expected: str | None = None  # the outcome the entry asked for on this kernel
    decided_by: str | None = None  # "version", "probe", "entry" or "raw"
    known_bug: bool = False  # ok because a known bug reproduced
    entry_where: str | None = None  # the entry's name, when read back without expected/

    def __str__(self) -> str:
        return f"{self.kind.value.upper()}: {self.message}"

    def to_dict(self) -> dict:
        """Its shape in summary.json (report, gate and `judge` read it from there)."""
        return {"kind": self.kind.value, "message": self.message,
                "entry": self.entry.where if self.entry else self.entry_where,
                "expected": self.expected,
                "decided_by": self.decided_by, "known_bug": self.known_bug}

    @classmethod
    def from_dict(cls, d: dict) -> "Verdict":
        return cls(Kind(d["kind"]), str(d.get("message", "")), None, d.get("expected"),
                   d.get("decided_by"), bool(d.get("known_bug")), d.get("entry"))


def _absent_reason(reason: str, feature: str | None) -> bool:
    if feature:
        return f"{feature} absent:" in (reason or "")
    return "absent:" in (reason or "")


def judge_raw(case: CaseResult) -> Verdict:
    """--raw: pass and skip are fine, anything else is a failure; nothing is excused."""
    st = Status(case.status)
    if st in OK_STATUSES:
        return Verdict(Kind.OK, f"{case.name} {st.value}" + (f": {case.reason}" if case.reason else ""),
                       decided_by="raw")
    if st is Status.INTERRUPTED:
        return Verdict(Kind.NOT_RUN, f"{case.name} interrupted: {case.reason}", decided_by="raw")
    if st is Status.NOTRUN and case.host_fault:
        return Verdict(Kind.NOT_RUN, f"{case.name} could not run: {case.reason}", decided_by="raw")
    return Verdict(Kind.REGRESSION, f"{case.name} {st.label}: {case.reason or st.value}",
                   decided_by="raw")


def judge(kernel_release: str, proc_version: str | None, case: CaseResult,
          expectations: Expectations, never_ran: bool = False, arch: str | None = None) -> Verdict:
    """The verdict on one case result of one kernel.

    never_ran: the kernel produced no result at all (no download, no boot, no KTAP): its
    cases are NOT RUN, the run could not do what was asked. arch: the guest's architecture
    (entries with an `arch` key apply only there; None: the host's). A case the run was stopped
    before is NOT RUN too. Any other result that is not a pass or a skip is a regression
    unless an entry names it as a known bug of that kernel: with no entry, on a kernel
    series expected/ does not list, or with no readable version. UNKNOWN is only ever a
    pass or a skip that no entry judges.
    """
    name, status = case.name, Status(case.status)
    reason = case.reason or ""
    if status is Status.INTERRUPTED:
        return Verdict(Kind.NOT_RUN, f"{name} interrupted before its result ({reason}); "
                       f"the run was stopped, nothing is judged")
    if status is Status.NOTRUN and (never_ran or case.host_fault):
        # Nothing the kernel did: the host kept it from running (no boot, QEMU killed).
        return Verdict(Kind.NOT_RUN, f"{name} could not run: {reason}")
    v = parse_version(kernel_release, proc_version)
    if v is None:
        if status not in OK_STATUSES:
            return Verdict(Kind.REGRESSION, f"{name} {status.label} ({reason}) on a kernel whose "
                           f"version cannot be read (release {kernel_release!r}); only an "
                           f"entry for a known bug of a known kernel excuses that")
        return Verdict(Kind.UNKNOWN, f"cannot read a kernel version from release "
                       f"{kernel_release!r} (/proc/version {proc_version!r}); {name} {status} "
                       f"not judged")
    entry, unsure = expectations.lookup(name, v, arch)
    if unsure and status in OK_STATUSES:
        e = unsure[0]
        return Verdict(Kind.UNKNOWN, f"kernel {v} ({v.source}) gives only its series, but "
                       f"{e.where} applies to kernels {e.kernels}: the sublevel decides; pass "
                       f"/proc/version to tell. {name} {status} not judged", e)
    if entry is None:
        if status not in OK_STATUSES:
            return Verdict(Kind.REGRESSION, f"{name} {status} on {v} ({reason}); no expected/ "
                           f"entry covers it, and only an entry naming a known bug excuses a "
                           f"{status}")
        return Verdict(Kind.UNKNOWN, f"no expected/ entry covers {name}; it gave {status} on "
                       f"{v}: add one")
    verdict = _against(name, status.value, reason, case.subtests, v, entry, expectations.features)
    if verdict.kind == Kind.OK and status is Status.SKIP:
        verdict = _backport_skip(name, reason, v, expectations, entry) or verdict
    if verdict.kind == Kind.OK and status is Status.PASS:
        verdict = _subtest_skips(name, case.subtests, v, expectations) or verdict
    if expectations.known_series and v.series not in expectations.known_series:
        if status not in OK_STATUSES:
            if verdict.kind != Kind.REGRESSION:
                return Verdict(Kind.REGRESSION, f"{name} {status} on {v} ({reason}): kernel "
                               f"series {v.series} is not in expected/kernels.toml, so no "
                               f"entry excuses it (the entries would say {verdict})", entry)
            verdict.message += (f" (kernel series {v.series} is not in expected/kernels.toml, "
                                f"but a {status} is a regression anywhere)")
            return verdict
        return Verdict(Kind.UNKNOWN, f"kernel series {v.series} ({v.source}) is not among those "
                       f"expected/kernels.toml was checked on "
                       f"({', '.join(expectations.known_series)}); the entries would say "
                       f"{verdict.kind.value.upper()}: {verdict.message}", entry, verdict.expected,
                       verdict.decided_by)
    return verdict


_ABSENT = re.compile(r"^(.*?) absent:")


def _backport_skip(name, reason, v: KernelVersion, exp: Expectations, e) -> Verdict | None:
    """A skip for a feature expected/backports.toml pins as present on this kernel: the probe
    is wrong, or the backport vanished. Either way a regression."""
    m = _ABSENT.match(reason or "")
    b = exp.backported(m.group(1), v) if m else None
    if b is None:
        return None
    return Verdict(Kind.REGRESSION, f"{name} skips on {v}: {m.group(1)} absent, but {b.where} "
                   f"pins it as backported to {b.kernels.spec} (seen: {b.seen}); the probe is "
                   f"wrong or the backport is gone", e, "pass", "backport")


def _subtest_skips(name, subtests, v: KernelVersion, exp: Expectations) -> Verdict | None:
    """A passing case whose subtest skips for a feature this version must have (by its
    release, or by a pinned backport): regression."""
    for s in subtests:
        b = _backport_skip(name, s.reason, v, exp, None) if s.status == "skip" else None
        if b is not None:
            b.message = f"{b.message} (subtest {s.name})"
            return b
        m = _ABSENT.match(s.reason or "") if s.status == "skip" else None
        since = exp.features.get(m.group(1)) if m else None
        if since and compare(v, bound(since)) is not None and compare(v, bound(since)) >= 0:
            return Verdict(Kind.REGRESSION, f"{name} passes on {v}, but its subtest "
                           f"{s.name} skipped: {m.group(1)} absent, though it exists "
                           f"since {since} (expected/); the version decided", None, "pass",
                           "version")
    return None


def _since(entry: Entry, v: KernelVersion) -> bool | None:
    """Does the version say the entry's feature exists? None when the sublevel decides."""
    if entry.since is None:
        return True
    c = compare(v, bound(entry.since))
    return None if c is None else c >= 0


def _too_new(reason: str, v: KernelVersion, features: dict[str, str]) -> tuple[str, str] | None:
    """(feature, since) when a skip reason names a feature that arrived after version v."""
    m = _ABSENT.match(reason or "")
    since = features.get(m.group(1)) if m else None
    if since and compare(v, bound(since)) is not None and compare(v, bound(since)) < 0:
        return m.group(1), since
    return None


def _against(name, status, reason, subtests, v: KernelVersion, e: Entry,
             features: dict[str, str] | None = None) -> Verdict:
    feat = e.feature or "the feature"
    got = f"{status}" + (f" ({reason})" if reason else "")
    if status == "notrun":
        return Verdict(Kind.REGRESSION, f"{name} did not run on {v}: {reason}", e, e.outcome, "entry")
    present = _since(e, v)
    if present is None:
        if status not in ("pass", "skip"):
            return Verdict(Kind.REGRESSION, f"{name} {got} on {v}; {e.where} applies from "
                           f"{e.since}, which only {v}'s unknown sublevel could tell, and "
                           f"nothing but a known-bug entry excuses a {status}", e)
        return Verdict(Kind.UNKNOWN, f"{e.where}: {feat} since {e.since}, kernel {v} ({v.source}) "
                       f"gives only its series; {name} {got} not judged", e)
    if not present:
        # The version says absent; stable kernels carry backports, so the probe decides.
        if status == "skip":
            if _absent_reason(reason, e.feature):
                return Verdict(Kind.OK, f"{name} skips on {v}: {feat} absent before {e.since} "
                               f"(version and probe agree)", e, "skip", "version")
            other = _too_new(reason, v, features or {})
            if other:
                return Verdict(Kind.OK, f"{name} skips on {v}: {other[0]} absent before {other[1]} "
                               f"(version and probe agree)", e, "skip", "version")
            return Verdict(Kind.REGRESSION, f"{name} on {v} should skip because {feat} is absent "
                           f"before {e.since} ({e.where}), but skipped for another reason: "
                           f"{reason!r}", e, "skip", "probe")
        if status == "pass":
            return Verdict(Kind.OK, f"{name} passes on {v} although {e.where} says {feat} "
                           f"arrived in {e.since}: the probe found it (a backport?); the probe "
                           f"decided", e, "skip", "probe")
        return Verdict(Kind.REGRESSION, f"{name} {got} on {v}: the probe found {feat} present "
                       f"(before {e.since}, a backport?), so it must behave; the probe decided",
                       e, "pass", "probe")
    decided = "version" if e.since else "entry"
    if e.outcome == "pass":
        if status == "pass":
            note = f"; asserts kernels, not the page: erratum of {e.erratum}" if e.erratum else ""
            return Verdict(Kind.OK, f"{name} passes on {v}{note}", e, "pass", decided)
        # A feature-gated entry also accepts a skip for a second, newer feature the case
        # needs; an entry without one claims the case runs, full stop.
        other = _too_new(reason, v, features or {}) if status == "skip" and e.feature else None
        if other:
            return Verdict(Kind.OK, f"{name} skips on {v}: {other[0]} absent before {other[1]} "
                           f"(version and probe agree)", e, "skip", "version")
        if status == "skip":
            return Verdict(Kind.REGRESSION, f"{name} skipped on {v} where {e.where} expects it to "
                           f"run{f' ({feat} since {e.since})' if e.since else ''}: {reason}",
                           e, "pass", decided)
        return Verdict(Kind.REGRESSION, f"{name} {got} on {v}; {e.where} expects pass", e, "pass",
                       decided)
    if e.outcome == "skip":
        if status == "skip":
            return Verdict(Kind.OK, f"{name} skips on {v} as {e.where} says: {reason}", e, "skip",
                           "entry")
        if status == "pass":
            return Verdict(Kind.XPASS, f"{name} PASSES on {v} but {e.where} says it skips here: "
                           f"update that entry", e, "skip", "entry")
        return Verdict(Kind.REGRESSION, f"{name} {got} on {v}; {e.where} expects skip", e, "skip",
                       "entry")
    # A known bug.
    bug = (f"known bug: {e.bug}" if e.bug else f"known difference: {e.difference}") + (
        f", fixed by {e.fixed_by}" if e.fixed_by else "")
    if status == "pass":
        return Verdict(Kind.XPASS, f"{name} PASSES on {v} but {e.where} expects {e.outcome} "
                       f"({bug}): update that entry's kernels range", e, e.outcome, "entry")
    if status != e.outcome:
        return Verdict(Kind.REGRESSION, f"{name} {got} on {v}; {e.where} expects {e.outcome} "
                       f"({bug})", e, e.outcome, "entry")
    if e.failing:
        failed = [s for s in subtests if s.status == "fail"]
        other = [s.name for s in failed
                 if not any(fnmatch.fnmatchcase(s.name, g) for g in e.failing)]
        if other:
            return Verdict(Kind.REGRESSION, f"{name} on {v} fails in {', '.join(other)}, beyond "
                           f"the known bug of {e.where} ({', '.join(e.failing)})", e, e.outcome,
                           "entry")
        # Exact: every listed subtest fails. One that passes, or a pattern no failing subtest
        # matches, is a half-fixed bug or a weakened check: its own loud verdict.
        fixed = [s.name for s in subtests if s.status != "fail"
                 and any(fnmatch.fnmatchcase(s.name, g) for g in e.failing)]
        lost = [g for g in e.failing if not any(fnmatch.fnmatchcase(s.name, g) for s in failed)]
        if fixed or lost:
            what = ", ".join(fixed) + (" " if fixed and lost else "") + \
                (f"(no failing subtest for {', '.join(lost)})" if lost else "")
            return Verdict(Kind.PARTLY_FIXED, f"{name} on {v}: the known bug of {e.where} is "
                           f"partly fixed: {what} no longer fails: update the entry ({bug})",
                           e, e.outcome, "entry")
    return Verdict(Kind.OK, f"{name} {status} on {v} as {e.where} expects: {bug}", e, e.outcome, "entry",
                   known_bug=True)
