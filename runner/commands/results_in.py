"""Read what judge and gate are given: a summary.json (the one reader,
runner/report/summary.py), a saved baseline (one kernel's entry), a console/KTAP log
(the one parser, runner/ktap), or a LAVA job's log (its console, runner/lab/lava_log.py).
Each kernel comes back as a KernelResult plus whether its log was whole."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from runner import ktap
from runner.core.errors import NotRun, UsageError
from runner.lab import lava_log
from runner.report import summary as summ


@dataclass
class Input:
    label: str
    kernel: summ.KernelResult
    complete: bool = True
    note: str = ""          # why it is not complete
    selected: list[str] | None = None  # the cases its run was asked for


def read(path: Path, label: str | None = None) -> list[Input]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}") from None
    if b"\0" in raw[:65536] and b"KTAP version" not in raw:
        raise UsageError(f"{path}: a binary file, neither a KTAP log nor a summary.json")
    text = raw.decode("utf-8", "replace")
    if lava_log.is_lava_log(text):
        return [from_lava(text, label or str(path), str(path))]
    try:
        data = json.loads(text)
    except ValueError:
        return [from_log(text, label or str(path), str(path))]
    if isinstance(data, dict) and "kernels" in data and not isinstance(data["kernels"], list):
        raise UsageError(f"{path}: 'kernels' is not a list")
    if isinstance(data, dict) and "kernels" in data:
        s = summ.from_dict(data, str(path))
        if not s.kernels:
            raise NotRun(f"{path}: a summary with no kernel in it: nothing ran")
        return [from_kernel(k, selected_cases(s.run, k.id)) for k in s.kernels]
    if isinstance(data, dict) and "cases" in data:  # a saved baseline: one kernel's entry
        return [from_kernel(summ.kernel_from_dict(data, str(path)), None)]
    raise UsageError(f"{path}: JSON, but not a summary or a saved baseline")


def selected_cases(run: dict, kernel: str) -> list[str] | None:
    """The cases a run asked of `kernel`: one shard's (run.shard: its units for that kernel),
    else run.cases."""
    shard = run.get("shard")
    if isinstance(shard, dict) and shard.get("index") is not None and isinstance(shard.get("units"), list):
        return [c for u in shard["units"] if isinstance(u, dict) and u.get("kernel") == kernel
                and u.get("shard") == shard["index"] for c in u.get("cases") or []]
    return run.get("cases")


def from_kernel(k: summ.KernelResult, selected: list[str] | None) -> Input:
    bad = [n for n, c in k.cases.items() if c.status in ("notrun", "interrupted")]
    if not k.get("ran", True) or not k.cases:
        note = f"the kernel never ran ({k.get('error') or k.get('end_reason') or 'no results'})"
    elif bad:
        note = f"{len(bad)} case(s) did not run"
    else:
        note = ""
    missing = [n for n in (selected or []) if n not in k.cases]
    if missing and not note:
        note = f"{len(missing)} selected case(s) have no result ({missing[0]})"
    return Input(k.id, k, not note, note, selected)


def from_lava(text: str, label: str, source: str) -> Input:
    """A LAVA job's log: the console it kept, judged like a local one; the run is whole only
    when LAVA's verdict says so too (a hang passes a LAVA job)."""
    log = lava_log.read_text(text, source)
    v = lava_log.verdict(log)
    if ktap.parse_console(log.console_text(), None).plan is None:  # never reached the cases
        k = summ.KernelResult(label, {"source": source, "ran": False, "error": v.why})
        return Input(label, k, False, f"the kernel never ran the cases: {v.why}")
    i = from_log(log.console_text(), label, source, v.end_reason)
    if not v.whole:
        i.complete = False
        i.note = f"{v.why}" + (f"; {i.note}" if i.note else "")
    return i


def from_log(text: str, label: str, source: str, end_reason: str | None = None) -> Input:
    run = ktap.parse_console(text, None, end_reason)
    if run.plan is None:
        raise UsageError(f"{source}: no KTAP document in it (no 'KTAP version' and plan lines)")
    if run.errors:
        note = f"the log is damaged: {'; '.join(run.errors[:3])}"
    else:
        note = "" if run.complete else f"the log is cut: {run.results} of {run.plan} results"
    k = summ.KernelResult(label, {"release": run.release, "proc_version": run.proc_version,
                                  "source": source, "complete": run.complete,
                                  "events": [e.to_dict() for e in run.events]},
                          dict(run.cases))
    return Input(label, k, run.complete, note)


def kernel_name(i: Input) -> str:
    """What names the kernel in a line: its release, else what the log gives, never None."""
    return i.kernel.get("release") or i.kernel.get("proc_version") or \
        "kernel unknown (the log has no banner)"
