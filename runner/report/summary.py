"""summary.json: the one record of a run that the report, the gate and `judge` read.

    {"schema": 2,
     "run": {"started", "qemu", "host_kernel", "versions", "mode": "expected" | "raw",
             "interrupted": bool, "exit_status": int, "outcome": "ok" | ...},
     "kernels": [{"id", "package", "package_version", "sha256", "release", "proc_version",
                  "accel", "accel_why", "boot_seconds", "seconds", "boots", "end_reason",
                  "error", "console_log", "ran",
                  "cases": {NAME: {"status", "reason", "subtests": [...], "seconds",
                                   "verdict": {"kind", "message", "entry", "expected",
                                               "decided_by", "known_bug"}}},
                  "events": [...]}]}

Every verdict is made once, while the run collects results (runner/verdict.py), and stored
here with the entry that decided it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from runner.ktap.parser import CaseResult, SubResult
from runner.core.status import (EXIT_INTERRUPTED, EXIT_NOT_RUN, EXIT_OK, EXIT_REGRESSION, Kind, Status)
from runner.judge.verdict import Verdict

SCHEMA = 2


class ResultsError(ValueError):
    """A file that is not a summary.json of this runner: what is wrong with it, one line."""


@dataclass
class KernelResults:
    """One kernel of a summary: its fields, its cases and their verdicts."""
    data: dict
    cases: dict[str, CaseResult] = field(default_factory=dict)
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.data.get("id", "?"))


def run_exit_status(verdicts: list[Verdict], kernels_without_results: int = 0,
                    interrupted: bool = False) -> int:
    """The exit status of a run: interrupted 130; a regression or XPASS 1; something asked
    for that did not run 3; else 0 (UNKNOWN passes and skips are shown, not failed)."""
    if interrupted:
        return EXIT_INTERRUPTED
    if any(v.kind in (Kind.REGRESSION, Kind.XPASS) for v in verdicts):
        return EXIT_REGRESSION
    if kernels_without_results or any(v.kind == Kind.NOT_RUN for v in verdicts):
        return EXIT_NOT_RUN
    if not verdicts:
        return EXIT_NOT_RUN  # nothing ran at all
    return EXIT_OK


OUTCOME = {EXIT_OK: "ok", EXIT_REGRESSION: "regression", EXIT_NOT_RUN: "not run",
           EXIT_INTERRUPTED: "interrupted"}


def case_dict(case: CaseResult, verdict: Verdict | None) -> dict:
    d = case.to_dict()
    if verdict is not None:
        d["verdict"] = verdict.to_dict()
    return d


def write(path: Path, summary: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(summary, indent=1) + "\n")
    tmp.replace(path)


def _need(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise ResultsError(f"{where}: {what}")


def case_from_dict(name: str, d: dict, where: str) -> CaseResult:
    _need(isinstance(d, dict), where, f"case {name!r} is not an object")
    try:
        status = Status.parse(d.get("status"))
    except ValueError as e:
        raise ResultsError(f"{where}: case {name!r}: {e}") from None
    subs = d.get("subtests", [])
    _need(isinstance(subs, list) and all(isinstance(s, dict) and "name" in s for s in subs),
          where, f"case {name!r}: subtests must be a list of objects with a name")
    secs = d.get("seconds")
    return CaseResult(name, status.value, str(d.get("reason") or ""),
                      [SubResult(str(s["name"]), str(s.get("status", "")), str(s.get("reason") or ""))
                       for s in subs],
                      seconds=float(secs) if isinstance(secs, (int, float)) else None)


def kernel_from_dict(k: dict, where: str) -> KernelResults:
    _need(isinstance(k, dict), where, "a kernel entry is not an object")
    cases = k.get("cases")
    _need(isinstance(cases, dict), where, f"kernel {k.get('id')!r} has no 'cases' object")
    kr = KernelResults(k)
    for name, c in cases.items():
        kr.cases[name] = case_from_dict(name, c, where)
        v = c.get("verdict")
        if v is not None:
            try:
                kr.verdicts[name] = Verdict.from_dict(v)
            except (KeyError, ValueError, TypeError):
                raise ResultsError(f"{where}: case {name!r} has a malformed verdict") from None
    return kr


def load(path: str | Path) -> tuple[dict, list[KernelResults]]:
    """(the whole summary, its kernels), or ResultsError saying what is wrong."""
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except OSError as e:
        raise ResultsError(f"{p}: {e.strerror}") from None
    except (ValueError, UnicodeDecodeError):
        raise ResultsError(f"{p}: not JSON") from None
    _need(isinstance(data, dict) and isinstance(data.get("kernels"), list), str(p),
          "not a runner summary (no 'kernels' list)")
    return data, [kernel_from_dict(k, str(p)) for k in data["kernels"]]
