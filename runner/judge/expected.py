"""What each case must do on each kernel: the expected/*.toml data and its checks (the
verdicts are runner/verdict.py's; versions and ranges runner/versions.py's).

expected/*.toml (errata/ aside) hold entries like

    [[expect]]
    id = "clone"                        # optional, shown in verdicts (default: file#number)
    cases = ["clone_*"]                 # case (binary) names or globs
    outcome = "pass"                    # pass | skip | fail | crash | timeout (default pass)
    since = "6.12"                      # the feature appeared then: older kernels must skip ...
    feature = "IORING_REGISTER_CLONE_BUFFERS"   # ... with the probe's "<feature> absent: ..."
    kernels = ">=6.12,<6.12.20"         # optional: where the entry applies (default everywhere)
    failing = ["fixture.variant.*"]     # known bug: the subtests that fail (optional)
    bug = "what is wrong"               # known bug (outcome fail/crash/timeout), or
    difference = "older behaviour"      # ... a known difference that is no defect
    fixed_by = "commit 0123abcd (io_uring/rsrc: ...)"
    erratum = "io_uring_clone_buffers(3)"   # the case asserts kernels, not this page
    why = "free text"
    arch = "arm64"                      # optional: only on guests of these architectures
                                        # (x86_64, arm64; a string or a list)

The most specific entry wins: an entry with `arch` (on that architecture) over one without,
then an exact case name over a glob, an entry with `kernels` over one without, then the later
one (files in name order).
An entry with `arch` is where a behaviour differs by architecture; without it an entry holds
on every architecture. expected/kernels.toml lists the kernel
series the data was checked on; a kernel outside them is judged "unknown", with what the
entries would predict in the message, never applied silently.
"""
from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from runner.core import arch as arches
from runner.core.errors import UsageError
from runner.core.status import EXPECTABLE
from runner.judge import features as feature_table
from runner.core.versions import KernelVersion, VersionRange, bound

OUTCOMES = tuple(s.value for s in EXPECTABLE)
ENTRY_KEYS = {"id", "cases", "outcome", "since", "feature", "kernels", "failing", "bug", "difference",
              "fixed_by", "erratum", "why", "arch"}


class ExpectationError(UsageError):
    """expected/ data that cannot be read: which file, which entry, what is wrong."""


# -- entries -----------------------------------------------------------------------------

@dataclass
class Entry:
    where: str  # "expected/clone.toml entry 2 (id clone)"
    cases: list[str]
    outcome: str = "pass"
    since: str | None = None
    feature: str | None = None
    kernels: VersionRange | None = None
    failing: list[str] = field(default_factory=list)
    bug: str | None = None
    difference: str | None = None  # like bug, for an older behaviour rather than a defect
    fixed_by: str | None = None
    erratum: str | None = None
    why: str | None = None
    id: str | None = None
    order: int = 0
    arch: list[str] | None = None  # None: every architecture

    def matches(self, case: str) -> bool:
        return any(fnmatch.fnmatchcase(case, g) for g in self.cases)

    def on(self, arch: str) -> bool:
        return self.arch is None or arch in self.arch

    def exact(self, case: str) -> bool:
        return case in self.cases

    def specificity(self, case: str) -> tuple:
        # arch first: an entry for one architecture is what that guest must do, whatever
        # the entries for every architecture say.
        return (self.arch is not None, self.exact(case), self.kernels is not None, self.order)


@dataclass
class Backport:
    """expected/backports.toml: a feature present before its release on these kernels (a
    stable backport seen on a real kernel): a skip for it there is a regression."""
    where: str
    feature: str
    kernels: VersionRange
    seen: str = ""


@dataclass
class Expectations:
    entries: list[Entry]
    known_series: dict[str, str]  # "6.12" -> note on how it was checked
    errata: list[dict]  # records of expected/errata/*.toml, each with "file"
    directory: Path | None = None
    features: dict[str, str] = field(default_factory=dict)  # probe name -> since
    backports: list[Backport] = field(default_factory=list)

    def backported(self, feature: str, v: KernelVersion) -> Backport | None:
        """The backports.toml record saying `feature` is present on v (before its since)."""
        return next((b for b in self.backports if b.feature == feature
                     and b.kernels.contains(v)), None)

    def lookup(self, case: str, v: KernelVersion, arch: str | None = None
               ) -> tuple[Entry | None, list[Entry]]:
        """(entry that applies, entries whose range cannot be decided for v) on a guest of
        `arch` (None: the host's architecture)."""
        arch = arch or arches.HOST
        best, unsure = None, []
        for e in self.entries:
            if not e.matches(case) or not e.on(arch):
                continue
            inside = True if e.kernels is None else e.kernels.contains(v)
            if inside is None:
                unsure.append(e)
            elif inside and (best is None or e.specificity(case) > best.specificity(case)):
                best = e
        unsure = [e for e in unsure if best is None or e.specificity(case) > best.specificity(case)]
        return best, unsure

    def unmatched(self, cases: list[str]) -> list[str]:
        """Entries' case names and globs that match no case: stale data, said as a problem."""
        return [f"{e.where}: {g!r} matches no case" for e in self.entries for g in e.cases
                if not any(fnmatch.fnmatchcase(c, g) for c in cases)]

    def uncovered(self, cases: list[str]) -> list[str]:
        return [c for c in cases if not any(e.matches(c) for e in self.entries)]

    def errata_for(self, case: str) -> list[dict]:
        return [r for r in self.errata if case in r.get("cases", [])]


def _entry(raw: dict, where: str, order: int) -> Entry:
    bad = set(raw) - ENTRY_KEYS
    if bad:
        raise ExpectationError(f"{where}: unknown key(s) {sorted(bad)}")
    cases = raw.get("cases")
    if isinstance(cases, str):
        cases = [cases]
    if not cases or not all(isinstance(c, str) for c in cases):
        raise ExpectationError(f"{where}: 'cases' must name at least one case or glob")
    outcome = raw.get("outcome", "pass")
    if outcome not in OUTCOMES:
        raise ExpectationError(f"{where}: outcome {outcome!r} is not one of {OUTCOMES}")
    try:
        kernels = VersionRange(raw["kernels"]) if "kernels" in raw else None
        if "since" in raw:
            bound(raw["since"])
    except ValueError as exc:
        raise ExpectationError(f"{where}: {exc}") from None
    if outcome in ("fail", "crash", "timeout") and not (raw.get("bug") or raw.get("difference")):
        raise ExpectationError(f"{where}: an expected {outcome} needs 'bug' (or 'difference') "
                               f"saying what is wrong")
    arch = raw.get("arch")
    if arch is not None:
        arch = [arch] if isinstance(arch, str) else arch
        if not arch or not all(isinstance(a, str) and a in arches.ARCHES for a in arch):
            raise ExpectationError(f"{where}: arch {raw['arch']!r}: one of {arches.ARCHES} or "
                                   f"a list of them")
    if raw.get("id"):
        where = f"{where} (id {raw['id']})"
    # Multi-line TOML strings read as one line in verdict messages.
    raw = {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in raw.items()}
    return Entry(where=where, cases=list(cases), outcome=outcome, since=raw.get("since"),
                 feature=raw.get("feature"), kernels=kernels, failing=list(raw.get("failing", [])),
                 bug=raw.get("bug"), difference=raw.get("difference"), fixed_by=raw.get("fixed_by"), erratum=raw.get("erratum"),
                 why=raw.get("why"), id=raw.get("id"), order=order,
                 arch=list(arch) if arch is not None else None)


ERRATUM_KEYS = ("page", "section", "claim", "behaviour", "kernels", "cases", "source")


def errata_problems(exp: Expectations, case_names: list[str]) -> list[str]:
    """What is wrong in expected/errata/*.toml: missing keys, cases that do not exist.

    `cases` may be empty (an error the page lists that no call can produce); `kernels` is
    read as text (see errata_range_warnings).
    """
    out = []
    for r in exp.errata:
        where = f"{r['file']} {r.get('page', '?')} {r.get('section', '?')}"
        missing = [k for k in ERRATUM_KEYS if k != "cases" and not r.get(k)]
        if not isinstance(r.get("cases"), list):
            missing.append("cases (a list, may be empty)")
        if missing:
            out.append(f"{where}: missing {', '.join(missing)}")
        for c in r.get("cases") or []:
            if c not in case_names:
                out.append(f"{where}: no case named {c}")
    return out


def errata_range_warnings(exp: Expectations) -> list[str]:
    """Errata whose `kernels` is prose rather than a range runner/expected.py can read."""
    out = []
    for r in exp.errata:
        try:
            VersionRange(str(r.get("kernels", "")))
        except ValueError:
            out.append(f"{r['file']} {r.get('page', '?')} {r.get('section', '?')}: kernels "
                       f"{r.get('kernels')!r} is not a version range")
    return out


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationError(f"{path}: {exc}") from None


def load_expectations(directory: str | Path) -> Expectations:
    d = Path(directory)
    entries: list[Entry] = []
    known: dict[str, str] = {}
    features: dict[str, str] = dict(feature_table.load())
    backports: list[Backport] = []
    for path in sorted(d.glob("*.toml")):
        data = _read(path)
        label = f"{d.name}/{path.name}"
        if path.name == "backports.toml":
            backports += _backports(data, label, features)
            continue
        if path.name == "kernels.toml":
            for i, s in enumerate(data.get("series", []), 1):
                if "series" not in s or not re.fullmatch(r"\d+\.\d+", str(s["series"])):
                    raise ExpectationError(f"{label} series {i}: needs series = \"X.Y\"")
                known[str(s["series"])] = s.get("checked", "")
            if data.get("feature"):
                raise ExpectationError(f"{label}: features live in harness/ubc_features.h, "
                                       "not in [[feature]] tables")
            continue
        extra = set(data) - {"expect"}
        if extra:
            raise ExpectationError(f"{label}: unknown table(s) {sorted(extra)} (entries are [[expect]])")
        for i, raw in enumerate(data.get("expect", []), 1):
            entries.append(_entry(raw, f"{label} entry {i}", len(entries)))
    errata = []
    for path in sorted((d / "errata").glob("*.toml")):
        for rec in _read(path).get("erratum", []):
            errata.append(dict(rec, file=f"{d.name}/errata/{path.name}"))
    for e in entries:
        if e.feature and e.feature not in features:
            raise ExpectationError(f"{e.where}: feature {e.feature!r} is not in "
                                   f"harness/ubc_features.h")
        if e.feature and e.since and e.since != features[e.feature]:
            raise ExpectationError(f"{e.where}: since {e.since} for {e.feature!r}, but "
                                   f"harness/ubc_features.h says {features[e.feature]}")
        if e.feature and not e.since:
            e.since = features[e.feature]
    return Expectations(entries, known, errata, d, features, backports)


def _backports(data: dict, label: str, features: dict[str, str]) -> list[Backport]:
    extra = set(data) - {"backport"}
    if extra:
        raise ExpectationError(f"{label}: unknown table(s) {sorted(extra)} (records are [[backport]])")
    out = []
    for i, raw in enumerate(data.get("backport", []), 1):
        where = f"{label} backport {i}"
        bad = set(raw) - {"feature", "kernels", "seen"}
        if bad:
            raise ExpectationError(f"{where}: unknown key(s) {sorted(bad)}")
        if raw.get("feature") not in features:
            raise ExpectationError(f"{where}: feature {raw.get('feature')!r} is not in "
                                   "harness/ubc_features.h")
        try:
            kernels = VersionRange(raw["kernels"])
        except (KeyError, ValueError) as exc:
            raise ExpectationError(f"{where}: kernels: {exc}") from None
        out.append(Backport(where, raw["feature"], kernels, str(raw.get("seen", ""))))
    return out
