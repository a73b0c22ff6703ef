"""What each case must do on each kernel: the expected/*.toml data, kernel versions, verdicts.

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

The most specific entry wins: an exact case name over a glob, an entry with `kernels` over one
without, then the later one (files in name order). expected/kernels.toml lists the kernel
series the data was checked on; a kernel outside them is judged "unknown", with what the
entries would predict in the message, never applied silently.
"""
from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import features as feature_table

OUTCOMES = ("pass", "skip", "fail", "crash", "timeout")
ENTRY_KEYS = {"id", "cases", "outcome", "since", "feature", "kernels", "failing", "bug", "difference",
              "fixed_by", "erratum", "why"}
VERDICTS = ("ok", "regression", "xpass", "unknown")
# Results no kernel or missing expectation excuses (only a known-bug entry does).
NEVER_OK = ("crash", "timeout")


class ExpectationError(ValueError):
    """expected/ data that cannot be read: which file, which entry, what is wrong."""


# -- kernel versions ---------------------------------------------------------------------

@dataclass(frozen=True)
class KernelVersion:
    major: int
    minor: int
    patch: int | None  # None: only the series is known (Debian 6.1.0-50, Ubuntu 5.15.0-91)
    source: str  # where it was read, for messages

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}" + ("" if self.patch is None else f".{self.patch}")

    @property
    def series(self) -> str:
        return f"{self.major}.{self.minor}"


_DEBIAN_PROC = re.compile(r"\bDebian (\d+)\.(\d+)(?:\.(\d+))?")
_RELEASE = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(.*)$")
# Distro ABI names (6.1.0-50-amd64) say 0 for a sublevel they do not tell.
_ABI_NAME = re.compile(r"^\d+\.\d+\.0-\d+(?:-|$)")


def parse_version(release: str | None, proc_version: str | None = None) -> KernelVersion | None:
    """The upstream version of a kernel, or None when none can be read.

    Debian's /proc/version ends with the package version ("Debian 6.1.176-1"), which is the
    real upstream version when uname -r only says 6.1.0-50; 6.12.95+deb12 and 7.3.4+deb13 carry
    it in the release itself.
    """
    rel = None
    if release:
        m = _RELEASE.match(release.strip())
        if m:
            patch = None if _ABI_NAME.match(release) else int(m.group(3) or 0)
            rel = KernelVersion(int(m.group(1)), int(m.group(2)), patch, f"release '{release}'")
    if proc_version:
        # The package version comes last, after the build number; the compiler's
        # "(Debian 12.2.0-14)" comes before it. It must agree with the release's series.
        found = _DEBIAN_PROC.findall(proc_version.split("#", 1)[-1])
        if found:
            major, minor, patch = (int(x or 0) for x in found[-1])
            if rel is None or (rel.major, rel.minor) == (major, minor):
                return KernelVersion(major, minor, patch,
                                     f"/proc/version 'Debian {major}.{minor}.{patch}'")
    return rel


def _bound(text: str) -> tuple[int, int, int | None]:
    m = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if not m:
        raise ValueError(f"not a version: {text!r}")
    return int(m.group(1)), int(m.group(2)), None if m.group(3) is None else int(m.group(3))


def _compare(v: KernelVersion, bound: tuple[int, int, int | None]) -> int | None:
    """-1/0/1 comparing v with a bound; None when v's unknown sublevel would decide."""
    if (v.major, v.minor) != bound[:2]:
        return -1 if (v.major, v.minor) < bound[:2] else 1
    b = bound[2] or 0
    if v.patch is None:
        return 0 if b == 0 else None
    return (v.patch > b) - (v.patch < b)


class VersionRange:
    """">=6.12,<6.13" (all must hold), "6.12" (that series), "*"; a list of them is an OR."""

    _OPS = {">=": lambda c: c >= 0, ">": lambda c: c > 0, "<=": lambda c: c <= 0,
            "<": lambda c: c < 0, "==": lambda c: c == 0}

    def __init__(self, spec: str | list[str]):
        self.spec = spec
        self.alternatives = []
        for alt in [spec] if isinstance(spec, str) else spec:
            conds = []
            for part in str(alt).split(","):
                part = part.strip()
                if part in ("*", ""):
                    continue
                m = re.fullmatch(r"(>=|<=|==|>|<)?\s*(\d+\.\d+(?:\.\d+)?)", part)
                if not m:
                    raise ValueError(f"bad version range part {part!r} in {spec!r}")
                op, b = m.group(1), _bound(m.group(2))
                if op is None:  # a bare "6.12" is the series, "6.12.5" that version
                    if b[2] is None:
                        conds.append((">=", (b[0], b[1], 0)))
                        conds.append(("<", (b[0], b[1] + 1, 0)))
                        continue
                    op = "=="
                conds.append((op, b))
            self.alternatives.append(conds)

    def contains(self, v: KernelVersion) -> bool | None:
        """True/False, or None when only v's unknown sublevel could tell."""
        unsure = False
        for conds in self.alternatives:
            ok = True
            for op, b in conds:
                c = _compare(v, b)
                if c is None:
                    unsure, ok = True, False
                    break
                if not self._OPS[op](c):
                    ok = False
                    break
            if ok:
                return True
        return None if unsure else False

    def __str__(self) -> str:
        return self.spec if isinstance(self.spec, str) else " or ".join(self.spec)


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

    def matches(self, case: str) -> bool:
        return any(fnmatch.fnmatchcase(case, g) for g in self.cases)

    def exact(self, case: str) -> bool:
        return case in self.cases

    def specificity(self, case: str) -> tuple:
        return (self.exact(case), self.kernels is not None, self.order)


@dataclass
class Expectations:
    entries: list[Entry]
    known_series: dict[str, str]  # "6.12" -> note on how it was checked
    errata: list[dict]  # records of expected/errata/*.toml, each with "file"
    directory: Path | None = None
    features: dict[str, str] = field(default_factory=dict)  # probe name -> since

    def lookup(self, case: str, v: KernelVersion) -> tuple[Entry | None, list[Entry]]:
        """(entry that applies, entries whose range cannot be decided for v)."""
        best, unsure = None, []
        for e in self.entries:
            if not e.matches(case):
                continue
            inside = True if e.kernels is None else e.kernels.contains(v)
            if inside is None:
                unsure.append(e)
            elif inside and (best is None or e.specificity(case) > best.specificity(case)):
                best = e
        unsure = [e for e in unsure if best is None or e.specificity(case) > best.specificity(case)]
        return best, unsure

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
            _bound(raw["since"])
    except ValueError as exc:
        raise ExpectationError(f"{where}: {exc}") from None
    if outcome in ("fail", "crash", "timeout") and not (raw.get("bug") or raw.get("difference")):
        raise ExpectationError(f"{where}: an expected {outcome} needs 'bug' (or 'difference') "
                               f"saying what is wrong")
    if raw.get("id"):
        where = f"{where} (id {raw['id']})"
    # Multi-line TOML strings read as one line in verdict messages.
    raw = {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in raw.items()}
    return Entry(where=where, cases=list(cases), outcome=outcome, since=raw.get("since"),
                 feature=raw.get("feature"), kernels=kernels, failing=list(raw.get("failing", [])),
                 bug=raw.get("bug"), difference=raw.get("difference"), fixed_by=raw.get("fixed_by"), erratum=raw.get("erratum"),
                 why=raw.get("why"), id=raw.get("id"), order=order)


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
    for path in sorted(d.glob("*.toml")):
        data = _read(path)
        label = f"{d.name}/{path.name}"
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
        if e.feature and e.since:
            features.setdefault(e.feature, e.since)
    return Expectations(entries, known, errata, d, features)


# -- verdicts ----------------------------------------------------------------------------

@dataclass
class Verdict:
    kind: str  # ok | regression | xpass | unknown
    message: str
    entry: Entry | None = None
    expected: str | None = None  # the outcome the entry asked for on this kernel
    decided_by: str | None = None  # "version", "probe" or "entry"
    known_bug: bool = False  # ok because a known bug reproduced

    def __str__(self) -> str:
        return f"{self.kind.upper()}: {self.message}"


def _attr(obj, name):
    """A field of a dict or an object; a method (session.KernelRun.release()) is called."""
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return value() if callable(value) else value


def _absent_reason(reason: str, feature: str | None) -> bool:
    if feature:
        return f"{feature} absent:" in (reason or "")
    return "absent:" in (reason or "")


def judge(kernel_release: str, proc_version: str | None, case, expectations: Expectations) -> Verdict:
    """The verdict on one case result (a ktap.CaseResult or a summary.json case dict + name)."""
    name, status = _attr(case, "name"), _attr(case, "status")
    reason = _attr(case, "reason") or ""
    v = parse_version(kernel_release, proc_version)
    if v is None:
        return Verdict("unknown", f"cannot read a kernel version from release {kernel_release!r}"
                       f" (/proc/version {proc_version!r}); {name} {status} not judged")
    entry, unsure = expectations.lookup(name, v)
    if unsure:
        e = unsure[0]
        return Verdict("unknown", f"kernel {v} ({v.source}) gives only its series, but "
                       f"{e.where} applies to kernels {e.kernels}: the sublevel decides; pass "
                       f"/proc/version to tell. {name} {status} not judged", e)
    if entry is None:
        if status in NEVER_OK:
            return Verdict("regression", f"{name} {status} on {v} ({reason}); no expected/ entry "
                           f"covers it, and only an entry naming a known bug excuses a {status}")
        return Verdict("unknown", f"no expected/ entry covers {name}; it gave {status} on {v}: "
                       f"add one")
    verdict = _against(name, status, reason, _attr(case, "subtests") or [], v, entry,
                       expectations.features)
    if verdict.kind == "ok" and status == "pass":
        verdict = _subtest_skips(name, _attr(case, "subtests") or [], v, expectations) or verdict
    if expectations.known_series and v.series not in expectations.known_series:
        if status in NEVER_OK and verdict.kind == "regression":
            verdict.message += (f" (kernel series {v.series} is not in expected/kernels.toml, "
                                f"but a {status} is a regression anywhere)")
            return verdict
        return Verdict("unknown", f"kernel series {v.series} ({v.source}) is not among those "
                       f"expected/kernels.toml was checked on "
                       f"({', '.join(expectations.known_series)}); the entries would say "
                       f"{verdict.kind.upper()}: {verdict.message}", entry, verdict.expected,
                       verdict.decided_by)
    return verdict


_ABSENT = re.compile(r"^(.*?) absent:")


def _subtest_skips(name, subtests, v: KernelVersion, exp: Expectations) -> Verdict | None:
    """A passing case whose subtest skips for a feature this version must have: regression."""
    for s in subtests:
        m = _ABSENT.match(_attr(s, "reason") or "") if _attr(s, "status") == "skip" else None
        since = exp.features.get(m.group(1)) if m else None
        if since and _compare(v, _bound(since)) is not None and _compare(v, _bound(since)) >= 0:
            return Verdict("regression", f"{name} passes on {v}, but its subtest "
                           f"{_attr(s, 'name')} skipped: {m.group(1)} absent, though it exists "
                           f"since {since} (expected/); the version decided", None, "pass",
                           "version")
    return None


def _since(entry: Entry, v: KernelVersion) -> bool | None:
    """Does the version say the entry's feature exists? None when the sublevel decides."""
    if entry.since is None:
        return True
    c = _compare(v, _bound(entry.since))
    return None if c is None else c >= 0


def _too_new(reason: str, v: KernelVersion, features: dict[str, str]) -> tuple[str, str] | None:
    """(feature, since) when a skip reason names a feature that arrived after version v."""
    m = _ABSENT.match(reason or "")
    since = features.get(m.group(1)) if m else None
    if since and _compare(v, _bound(since)) is not None and _compare(v, _bound(since)) < 0:
        return m.group(1), since
    return None


def _against(name, status, reason, subtests, v: KernelVersion, e: Entry,
             features: dict[str, str] | None = None) -> Verdict:
    feat = e.feature or "the feature"
    got = f"{status}" + (f" ({reason})" if reason else "")
    if status == "notrun":
        return Verdict("regression", f"{name} did not run on {v}: {reason}", e, e.outcome, "entry")
    present = _since(e, v)
    if present is None:
        return Verdict("unknown", f"{e.where}: {feat} since {e.since}, kernel {v} ({v.source}) "
                       f"gives only its series; {name} {got} not judged", e)
    if not present:
        # The version says absent; stable kernels carry backports, so the probe decides.
        if status == "skip":
            if _absent_reason(reason, e.feature):
                return Verdict("ok", f"{name} skips on {v}: {feat} absent before {e.since} "
                               f"(version and probe agree)", e, "skip", "version")
            other = _too_new(reason, v, features or {})
            if other:
                return Verdict("ok", f"{name} skips on {v}: {other[0]} absent before {other[1]} "
                               f"(version and probe agree)", e, "skip", "version")
            return Verdict("regression", f"{name} on {v} should skip because {feat} is absent "
                           f"before {e.since} ({e.where}), but skipped for another reason: "
                           f"{reason!r}", e, "skip", "probe")
        if status == "pass":
            return Verdict("ok", f"{name} passes on {v} although {e.where} says {feat} "
                           f"arrived in {e.since}: the probe found it (a backport?); the probe "
                           f"decided", e, "skip", "probe")
        return Verdict("regression", f"{name} {got} on {v}: the probe found {feat} present "
                       f"(before {e.since}, a backport?), so it must behave; the probe decided",
                       e, "pass", "probe")
    decided = "version" if e.since else "entry"
    if e.outcome == "pass":
        if status == "pass":
            note = f"; asserts kernels, not the page: erratum of {e.erratum}" if e.erratum else ""
            return Verdict("ok", f"{name} passes on {v}{note}", e, "pass", decided)
        # A feature-gated entry also accepts a skip for a second, newer feature the case
        # needs; an entry without one claims the case runs, full stop.
        other = _too_new(reason, v, features or {}) if status == "skip" and e.feature else None
        if other:
            return Verdict("ok", f"{name} skips on {v}: {other[0]} absent before {other[1]} "
                           f"(version and probe agree)", e, "skip", "version")
        if status == "skip":
            return Verdict("regression", f"{name} skipped on {v} where {e.where} expects it to "
                           f"run{f' ({feat} since {e.since})' if e.since else ''}: {reason}",
                           e, "pass", decided)
        return Verdict("regression", f"{name} {got} on {v}; {e.where} expects pass", e, "pass",
                       decided)
    if e.outcome == "skip":
        if status == "skip":
            return Verdict("ok", f"{name} skips on {v} as {e.where} says: {reason}", e, "skip",
                           "entry")
        if status == "pass":
            return Verdict("xpass", f"{name} PASSES on {v} but {e.where} says it skips here: "
                           f"update that entry", e, "skip", "entry")
        return Verdict("regression", f"{name} {got} on {v}; {e.where} expects skip", e, "skip",
                       "entry")
    # A known bug.
    bug = (f"known bug: {e.bug}" if e.bug else f"known difference: {e.difference}") + (
        f", fixed by {e.fixed_by}" if e.fixed_by else "")
    if status == "pass":
        return Verdict("xpass", f"{name} PASSES on {v} but {e.where} expects {e.outcome} "
                       f"({bug}): update that entry's kernels range", e, e.outcome, "entry")
    if status != e.outcome:
        return Verdict("regression", f"{name} {got} on {v}; {e.where} expects {e.outcome} "
                       f"({bug})", e, e.outcome, "entry")
    if e.failing:
        failed = [s for s in subtests if _attr(s, "status") == "fail"]
        other = [_attr(s, "name") for s in failed
                 if not any(fnmatch.fnmatchcase(_attr(s, "name"), g) for g in e.failing)]
        if other:
            return Verdict("regression", f"{name} on {v} fails in {', '.join(other)}, beyond "
                           f"the known bug of {e.where} ({', '.join(e.failing)})", e, e.outcome,
                           "entry")
    return Verdict("ok", f"{name} {status} on {v} as {e.where} expects: {bug}", e, e.outcome, "entry",
                   known_bug=True)


def plugin_judge(expectations: Expectations):
    """judge(kernel_result, case_result) -> (outcome, message) for the pytest plugin.

    kernel_result needs release and proc_version (attributes or keys); case_result is a
    ktap.CaseResult. Outcomes: "passed" (ok), "skipped" (ok, the case skipped as expected;
    also UNKNOWN: no expectation or an unknown kernel, the message starting "UNKNOWN:" so it is
    shown, never passed silently), "xfailed" (ok, a known bug reproduced: pytest.xfail(msg)),
    "failed" (REGRESSION, or XPASS: an expected/ entry to update).
    """
    def _judge(kernel_result, case_result):
        v = judge(_attr(kernel_result, "release"), _attr(kernel_result, "proc_version"),
                  case_result, expectations)
        if v.kind == "ok":
            if v.known_bug:
                return "xfailed", str(v)
            return ("skipped" if _attr(case_result, "status") == "skip" else "passed"), str(v)
        if v.kind in ("regression", "xpass"):
            return "failed", str(v)
        return "skipped", str(v)
    return _judge


def main(argv: list[str] | None = None) -> int:
    """python3 -m runner.expected [--expected DIR] [--all] FILE...: judge console/KTAP logs
    (boot.sh or ./run_tests.sh output) or summary.json files against expected/. Prints the
    verdicts that are not ok (all with --all); exit 1 on a regression or XPASS."""
    import argparse
    import json
    import sys

    from runner.ktap import parse_console
    ap = argparse.ArgumentParser(prog="python3 -m runner.expected",
                                 description="judge logs or summaries against expected/")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--expected", default=str(Path(__file__).resolve().parents[1] / "expected"))
    ap.add_argument("--all", action="store_true", help="print ok verdicts too")
    ap.add_argument("--comments", action="store_true",
                    help="print as KTAP comments (what ./run_tests.sh appends to a host run)")
    ap.add_argument("--label", help="name a log by this instead of its path")
    a = ap.parse_args(argv)
    exp = load_expectations(a.expected)
    pre = "# " if a.comments else ""
    bad = 0
    for f in a.files:
        text = Path(f).read_text(errors="replace")
        try:
            kernels = json.loads(text)["kernels"]
            runs = [(k["id"], k.get("release"), k.get("proc_version"),
                     [dict(c, name=n) for n, c in k["cases"].items()]) for k in kernels]
        except (ValueError, KeyError, TypeError):
            run = parse_console(text, None)
            runs = [(a.label or f, run.release, run.proc_version, list(run.cases.values()))]
        for label, release, proc, cases in runs:
            counts: dict[str, int] = {}
            for c in cases:
                v = judge(release or "", proc, c, exp)
                counts[v.kind] = counts.get(v.kind, 0) + 1
                # Unknown judges nothing: a failure there still fails, never passes silently.
                bad += v.kind in ("regression", "xpass") or (
                    v.kind == "unknown" and _attr(c, "status") not in ("pass", "skip"))
                if a.all or v.kind != "ok" or v.known_bug:
                    print(f"{pre}{label}: {v}")
            print(f"{pre}{label}: {release}: against expected/: "
                  + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
                  + f"; {'FAILED' if bad else 'no regression'}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
