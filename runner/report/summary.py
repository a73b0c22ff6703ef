"""summary.json: the one record of a run, its format defined here once (FORMAT), with the one
reader (load) and the one writer (write). The report, the gate, `judge`, merge and every
exporter take the typed tree this module reads or the run builds in memory.

Every verdict is made once, while the run collects results (runner/judge/verdict.py), and is
stored here with the entry that decided it. `docs/outputs.md` shows FORMAT (format_lines()).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from runner.core.errors import NotRun, UsageError
from runner.core.status import Exit, Kind, Status
from runner.judge.verdict import Verdict
from runner.ktap import CaseResult, SubResult

SCHEMA = 2
OPT = type(None)
# field -> accepted JSON types, per object of the file (the format, defined once).
FORMAT = {
    "summary": {"schema": (int,), "run": (dict,), "kernels": (list,)},
    "run": {"started": (str,), "qemu": (str,), "host_kernel": (str,), "versions": (list,),
            "mode": (str,), "interrupted": (bool,), "exit_status": (int,), "outcome": (str,),
            "cases": (list, OPT), "shard": (dict, OPT), "suite": (dict, OPT)},
    "kernel": {"id": (str,), "arch": (str,), "package": (str,), "package_version": (str,), "sha256": (str,),
               "release": (str, OPT), "proc_version": (str, OPT), "accel": (str,),
               "accel_why": (str,), "boot_seconds": (int, float), "seconds": (int, float),
               "end_reason": (str, OPT), "error": (str,), "ran": (bool,), "boots": (int,),
               "console_log": (str,), "ktap": (str, OPT), "cases": (dict,), "events": (list,),
               "source": (str, OPT), "commit": (str, OPT)},
    "case": {"status": (str,), "reason": (str,), "subtests": (list,),
             "seconds": (int, float, OPT), "verdict": (dict, OPT), "host_fault": (bool,)},
    "subtest": {"name": (str,), "status": (str,), "reason": (str,)},
    "verdict": {"kind": (str,), "message": (str,), "entry": (str, OPT), "expected": (str, OPT),
                "decided_by": (str, OPT), "known_bug": (bool,)},
}
# Fields a writer may leave out (older summaries, a saved baseline, a KTAP log's kernel).
OPTIONAL = {"summary": {"schema", "run"},
            "run": {"started", "qemu", "host_kernel", "versions", "mode", "interrupted",
                    "exit_status", "outcome", "cases", "shard", "suite"},
            "kernel": {"arch", "package", "package_version", "sha256", "release", "proc_version",
                       "accel", "accel_why", "boot_seconds", "seconds", "end_reason", "error",
                       "boots", "console_log", "ktap", "events", "source", "ran", "commit"},
            "case": {"reason", "subtests", "seconds", "verdict", "host_fault"},
            "subtest": {"reason"}, "verdict": {"entry", "expected", "decided_by", "known_bug"}}


class ResultsError(UsageError):
    """A file that is not a summary.json of this runner: what is wrong with it, one line."""


def format_lines() -> list[str]:
    """FORMAT as text, one field a line, for the docs."""
    def names(types):
        return "|".join("null" if t is OPT else {int: "int", float: "number", str: "string",
                        bool: "bool", list: "list", dict: "object"}[t] for t in types)
    return [f"{obj}.{k:16} {names(t)}{', optional' if k in OPTIONAL.get(obj, ()) else ''}"
            for obj, fields in FORMAT.items() for k, t in fields.items()]


def _check(obj: str, d, where: str) -> dict:
    if not isinstance(d, dict):
        raise ResultsError(f"{where}: {obj} is not an object")
    for k, types in FORMAT[obj].items():
        if k not in d:
            if k in OPTIONAL.get(obj, ()) or OPT in types:
                continue
            raise ResultsError(f"{where}: {obj} has no {k!r}")
        v = d[k]
        ok = isinstance(v, types) and not (isinstance(v, bool) and bool not in types)
        if not ok:
            raise ResultsError(f"{where}: {obj} field {k!r} is {type(v).__name__} "
                               f"{json.dumps(v)[:40]}, not {'/'.join(t.__name__ for t in types)}")
    return d


@dataclass
class KernelResult:
    """One kernel of a run: what was booted, how it ended, each case's result and verdict."""
    id: str
    data: dict = field(default_factory=dict)  # every other field of FORMAT["kernel"]
    cases: dict[str, CaseResult] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    def get(self, key: str, default=None):
        return self.data.get(key, default)

    @property
    def ran(self) -> bool:
        return bool(self.data.get("ran", True)) and bool(self.cases)

    def to_dict(self) -> dict:
        out = {"id": self.id, **{k: v for k, v in self.data.items() if k not in ("id", "cases")}}
        out["cases"] = {}
        for n, c in self.cases.items():
            d = c.to_dict()
            if n in self.verdicts:
                d["verdict"] = self.verdicts[n].to_dict()
            out["cases"][n] = d
        return out


@dataclass
class Summary:
    run: dict
    kernels: list[KernelResult]

    def to_dict(self) -> dict:
        return {"schema": SCHEMA, "run": self.run, "kernels": [k.to_dict() for k in self.kernels]}


def case_from_dict(name: str, d, where: str) -> CaseResult:
    _check("case", d, f"{where}: case {name!r}")
    try:
        status = Status.parse(d["status"])
    except ValueError as e:
        raise ResultsError(f"{where}: case {name!r}: {e}") from None
    subs = []
    for s in d.get("subtests", []):
        _check("subtest", s, f"{where}: case {name!r} subtest")
        try:
            sst = Status.parse(s["status"])
        except ValueError as e:
            raise ResultsError(f"{where}: case {name!r} subtest {s['name']!r}: {e}") from None
        subs.append(SubResult(s["name"], sst.value, s.get("reason") or ""))
    return CaseResult(name, status.value, d.get("reason") or "", subs, seconds=d.get("seconds"),
                      host_fault=d.get("host_fault", False))


def kernel_from_dict(k, where: str) -> KernelResult:
    _check("kernel", k, where)
    kr = KernelResult(k.get("id") or k.get("source") or "?",
                      {n: v for n, v in k.items() if n != "cases"})
    for name, c in k["cases"].items():
        kr.cases[name] = case_from_dict(name, c, where)
        v = c.get("verdict")
        if v is not None:
            _check("verdict", v, f"{where}: case {name!r} verdict")
            try:
                kr.verdicts[name] = Verdict.from_dict(v)
            except ValueError:
                raise ResultsError(f"{where}: case {name!r}: unknown verdict kind "
                                   f"{v['kind']!r} (one of {', '.join(k.value for k in Kind)})") from None
    return kr


def from_dict(data, where: str) -> Summary:
    if not isinstance(data, dict) or not isinstance(data.get("kernels"), list):
        raise ResultsError(f"{where}: not a runner summary (no 'kernels' list)")
    _check("summary", data, where)
    _check("run", data.setdefault("run", {}), f"{where}: run")
    ids = [k.get("id") if isinstance(k, dict) else None for k in data["kernels"]]
    if len(set(ids)) != len(ids):
        raise ResultsError(f"{where}: a kernel id appears twice")
    return Summary(data["run"], [kernel_from_dict(k, where) for k in data["kernels"]])


def read_json(path: str | Path):
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ResultsError(f"{p}: {e.strerror}") from None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ResultsError(f"{p}: not JSON (cut or damaged?)") from None


def load(path: str | Path) -> Summary:
    """The summary at path, every field checked, or ResultsError saying what is wrong."""
    return from_dict(read_json(path), str(path))


def write(path: Path, summary: Summary) -> None:
    """Write atomically; a disk that cannot take it is NotRun naming the reason (ENOSPC)."""
    text = json.dumps(summary.to_dict(), indent=1) + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        tmp.replace(path)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise NotRun(f"results could not be written: {path}: {e.strerror}") from None


def run_exit_status(verdicts: list[Verdict], kernels_without_results: int = 0,
                    interrupted: bool = False) -> int:
    """The exit status of a run: interrupted 130; a regression or XPASS 1; something asked
    for that did not run 3; else 0 (UNKNOWN passes and skips are shown, not failed)."""
    if interrupted:
        return Exit.INTERRUPTED
    if any(v.kind in (Kind.REGRESSION, Kind.XPASS, Kind.PARTLY_FIXED) for v in verdicts):
        return Exit.REGRESSION
    if kernels_without_results or any(v.kind == Kind.NOT_RUN for v in verdicts):
        return Exit.NOT_RUN
    if not verdicts:
        return Exit.NOT_RUN  # nothing ran at all
    return Exit.OK


OUTCOME = {e.value: e.outcome for e in Exit}
