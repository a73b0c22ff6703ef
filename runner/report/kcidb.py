"""A KCIDB v5.3 document (KernelCI's common report database) of a result tree: what
`run --kcidb FILE`, `merge --kcidb FILE` and `run_tests.sh kcidb SUMMARY.json` write.

    {"version": {"major": 5, "minor": 3},
     "checkouts": [one per kernel], "builds": [one per kernel], "tests": [one per case and
     one per subtest]}

A checkout and a build per kernel: the Debian package's name, version and sha256 (or the
host's release) in `misc`, a kernel tree's commit in git_commit_hash where the run recorded
it. Their ids hash what the kernel is, so every run of one package names the same build.
A test per case, path `<suite>.<group>.<case>` (the group is its cases/<group>/ folder), and
per subtest, path `<case path>.<subtest>` (a kselftest name's dots are levels of the tree;
other characters outside [A-Za-z0-9_-] become _). Test ids hash the run's start, the kernel
and the path: stable for one result, new for the next run. Every id is `<origin>:<hash>`.

Status (STATUS_TABLE, docs/outputs.md): a fail, crash or timeout is FAIL (a kernel bug, a
known one too: its verdict says so in misc); a case that did not run (no boot, QEMU killed,
the run stopped) is MISS; a pass or skip the verdict calls a regression (a probe skip where
the version says the feature exists) is ERROR, the tested code's state unknown; any other
skip (the probe proved the feature absent) is SKIP, and a pass is PASS. The verdict and the
expected/ entry that decided it go in `misc`; a FAIL or ERROR carries `log_excerpt` (at most
16384 characters) cut from the kernel's console log.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from runner import ktap
from runner.core.errors import NotRun, UsageError
from runner.core.paths import case_groups
from runner.core.status import Kind, Status
from runner.judge.verdict import Verdict
from runner.ktap import CaseResult, SubResult
from runner.report.summary import KernelResult, Summary

VERSION = {"major": 5, "minor": 3}
SUITE = "uring_buffer"
ORIGIN = "uring_buffer"
EXCERPT_MAX = 16384
_ORIGIN = re.compile(r"^[a-z0-9_]+$")
_PART = re.compile(r"[^A-Za-z0-9_-]")
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")
# A boot's (or a merged shard's) part of a console log starts at such a line.
_SEGMENT = re.compile(r"^### ubc-runner: (boot \d+, |host run|shard \d+/\d+ )")

# What a case's status and verdict become; documented and tested row by row.
STATUS_TABLE = [
    ("fail, crash, timeout", "any (a known bug too)", "FAIL"),
    ("notrun, interrupted", "any", "MISS"),
    ("pass, skip", "regression", "ERROR"),
    ("skip", "ok, unknown", "SKIP"),
    ("pass", "ok, xpass, unknown", "PASS"),
]


def check_origin(origin: str) -> str:
    if not _ORIGIN.match(origin or ""):
        raise UsageError(f"--kcidb-origin {origin!r}: KCIDB origins are [a-z0-9_]+ "
                         "(one approved for your submissions)")
    return origin


def case_status(case: CaseResult, v: Verdict | None) -> str:
    st = Status(case.status)
    if st in (Status.FAIL, Status.CRASH, Status.TIMEOUT):
        return "FAIL"
    if st in (Status.NOTRUN, Status.INTERRUPTED):
        return "MISS"
    if v is not None and v.kind == Kind.REGRESSION:
        return "ERROR"
    return "PASS" if st is Status.PASS else "SKIP"


def sub_status(sub: SubResult) -> str:
    return case_status(CaseResult(sub.name, str(sub.status)), None)


def _hash(*parts) -> str:
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _part(name: str) -> str:
    return _PART.sub("_", name) or "_"


def _subpath(name: str) -> str:
    return ".".join(_part(p) for p in name.split("."))


def _text(s: str) -> str:
    return s.replace("\0", "\\0")


def _cut(lines: list[str], limit: int = EXCERPT_MAX) -> str:
    """The lines, or their start and end when they are longer than limit characters."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    half = (limit - 64) // 2
    return text[:half] + f"\n[... {len(text) - 2 * half} characters ...]\n" + text[-half:]


def case_logs(console: str) -> dict[str, list[str]]:
    """Each case's console lines, every boot's part of the log read by the one parser."""
    segments, cur = [], []
    for line in console.split("\n"):
        if _SEGMENT.match(line) and cur:
            segments.append(cur)
            cur = []
        cur.append(line)
    segments.append(cur)
    out: dict[str, list[str]] = {}
    for seg in segments:
        run = ktap.parse_console("\n".join(seg))
        for name, c in run.cases.items():
            if c.log:
                out.setdefault(name, []).extend(c.log)
    return out


def _sub_lines(lines: list[str], name: str) -> list[str]:
    """A subtest's part of its case's log: from its RUN line to its result line."""
    start = next((i for i, ln in enumerate(lines) if "RUN" in ln and ln.rstrip().endswith(
        f" {name} ...")), None)
    if start is None:
        return []
    for j in range(start, len(lines)):
        s = lines[j].strip()
        if re.match(rf"^(not )?ok \d+ {re.escape(name)}(\s|$)", s):
            return lines[start:j + 1]
    return lines[start:]


def _console(k: KernelResult, results_dir: Path | None) -> dict[str, list[str]]:
    log = k.get("console_log")
    if not log or results_dir is None:
        return {}
    p = Path(log) if os.path.isabs(log) else Path(results_dir) / log
    try:
        return case_logs(p.read_text(errors="replace"))
    except OSError:
        return {}


def _kernel_ident(k: KernelResult) -> tuple:
    if k.get("sha256") or k.get("package"):
        return ("package", k.get("package", ""), k.get("package_version", ""), k.get("sha256", ""))
    return ("kernel", k.id, k.get("release") or "", k.get("proc_version") or "",
            k.get("commit") or "")


def _verdict_misc(v: Verdict | None) -> dict:
    if v is None:
        return {"verdict": None}
    entry = getattr(v, "entry_where", None) or (v.entry.where if v.entry else None)
    return {"verdict": v.kind.value, "verdict_message": _text(v.message),
            "expected_entry": entry, "expected": v.expected, "decided_by": v.decided_by,
            "known_bug": v.known_bug}


def _environment(run: dict, k: KernelResult) -> dict:
    accel = k.get("accel") or ""
    if accel == "host":
        comment = f"the running kernel itself, no VM (host kernel {k.get('release') or '?'})"
    else:
        comment = (f"QEMU {run.get('qemu') or '?'} (x86_64), accel {accel or '?'}"
                   + (f" ({k.get('accel_why')})" if k.get("accel_why") else "")
                   + f", on host kernel {run.get('host_kernel') or '?'}")
    misc = {n: v for n, v in (("qemu", run.get("qemu")), ("accel", accel),
                              ("accel_why", k.get("accel_why")),
                              ("host_kernel", run.get("host_kernel")), ("boots", k.get("boots")))
            if v not in (None, "")}
    return {"comment": _text(comment), "misc": misc}


def render(summary: Summary, origin: str = ORIGIN, results_dir: Path | None = None,
           groups: dict[str, str] | None = None) -> dict:
    """The KCIDB document of a result tree. results_dir: where its console logs are (for
    the excerpts); groups: case -> cases/<group>/ (default: this checkout's cases/)."""
    check_origin(origin)
    groups = case_groups() if groups is None else groups
    run = summary.run
    started = str(run.get("started") or "")
    started = started if _DATETIME.match(started) else ""
    doc = {"version": dict(VERSION), "checkouts": [], "builds": [], "tests": []}
    for k in summary.kernels:
        ident = _kernel_ident(k)
        checkout_id = f"{origin}:{_hash('checkout', *ident)}"
        build_id = f"{origin}:{_hash('build', *ident)}"
        misc = {n: k.get(n) for n in ("package", "package_version", "sha256", "release",
                                      "proc_version", "commit") if k.get(n)}
        misc["kernel"] = k.id
        checkout = {"id": checkout_id, "origin": origin, "misc": dict(misc), "valid": True}
        if k.get("package"):
            checkout["tree_name"] = "debian"
            checkout["comment"] = _text(f"Debian {k.get('package')} {k.get('package_version', '')}".strip())
        else:
            checkout["comment"] = _text(f"kernel {k.id}" + (f" ({k.get('release')})" if k.get("release") else ""))
        if _HEX40.match(str(k.get("commit") or "")):
            checkout["git_commit_hash"] = k.get("commit")
        if started:
            checkout["start_time"] = started
        build = {"id": build_id, "checkout_id": checkout_id, "origin": origin,
                 "architecture": "x86_64", "comment": checkout["comment"], "misc": dict(misc),
                 "status": "PASS" if k.ran else "MISS"}
        if started:
            build["start_time"] = started
        doc["checkouts"].append(checkout)
        doc["builds"].append(build)
        logs = _console(k, results_dir)
        env = _environment(run, k)
        for name, c in k.cases.items():
            v = k.verdicts.get(name)
            path = f"{SUITE}.{_part(groups.get(name, 'other'))}.{_part(name)}"
            status = case_status(c, v)
            test = {"id": f"{origin}:{_hash('test', started, *ident, k.id, path)}",
                    "build_id": build_id, "origin": origin, "path": path, "status": status,
                    "comment": _text(f"{name} on {k.id}: {c.status}"
                                     + (f", verdict {v.kind.value}" if v else "")),
                    "environment": env,
                    "misc": {"kernel": k.id, "case": name, "status": str(c.status),
                             "reason": _text(c.reason or ""), **_verdict_misc(v)}}
            if started:
                test["start_time"] = started
            if c.seconds is not None:
                test["duration"] = float(c.seconds)
            lines = logs.get(name) or []
            if status in ("FAIL", "ERROR"):
                head = [f"{name} on {k.id}: {c.status}" + (f": {c.reason}" if c.reason else "")]
                if v is not None:
                    head.append(f"verdict: {v}")
                test["log_excerpt"] = _text(_cut(head + ["--- console ---"] + lines if lines else head))
            doc["tests"].append(test)
            seen: set[str] = set()
            for s in c.subtests:
                sp = f"{path}.{_subpath(s.name)}"
                base, n = sp, 2
                while sp in seen:
                    sp = f"{base}-{n}"
                    n += 1
                seen.add(sp)
                sst = sub_status(s)
                sub = {"id": f"{origin}:{_hash('test', started, *ident, k.id, sp)}",
                       "build_id": build_id, "origin": origin, "path": sp, "status": sst,
                       "environment": env,
                       "misc": {"kernel": k.id, "case": name, "subtest": _text(s.name),
                                "status": str(s.status), "reason": _text(s.reason or "")}}
                if started:
                    sub["start_time"] = started
                if sst in ("FAIL", "ERROR"):
                    sl = _sub_lines(lines, s.name)
                    sub["log_excerpt"] = _text(_cut(
                        [f"{name}: {s.name}: {s.status}" + (f": {s.reason}" if s.reason else "")]
                        + (["--- console ---"] + sl if sl else [])))
                doc["tests"].append(sub)
    return doc


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=1) + "\n"


def write(path: Path, doc: dict) -> None:
    try:
        Path(path).write_text(dumps(doc))
    except OSError as e:
        raise NotRun(f"cannot write the KCIDB document {path}: {e.strerror}") from None
