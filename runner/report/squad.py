"""SQUAD's submit form, rendered from the in-memory result tree (runner/report/summary.py):
for each kernel (a SQUAD environment) the three JSON objects of
POST /api/submit/<group>/<project>/<build>/<environment>:

- tests: {"uring_buffer/<case>": "pass" | "fail" | "skip"}: what the kernel did (the raw
  status; a crash or a timeout is a fail). A case that did not run (the kernel never booted,
  the run was stopped) has no result to give: it is left out and named in metadata.not_run.
- metrics: {"uring_buffer/<case>": seconds} for every case with a measured time.
- metadata: strings only, as SQUAD asks: job_id (unique: a hash of the run's start, the kernel
  and its cases' results), datetime, job_status (the run's outcome), the kernel and how it was
  booted, the suite's versions, and the cases with a regression verdict.

The file `--squad FILE` and `run_tests.sh squad` write holds {"tests", "metrics", "metadata"}
for one kernel; docs/squad.md shows the curl command that submits it.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from runner.core.errors import NotRun, UsageError
from runner.core.status import Kind, Status

SUITE = "uring_buffer"
RESULT = {Status.PASS: "pass", Status.SKIP: "skip", Status.FAIL: "fail",
          Status.CRASH: "fail", Status.TIMEOUT: "fail"}


def job_id(run: dict, kernel) -> str:
    """Unique for the project: the same kernel of the same run gives the same id whether it
    comes from the run's tree or from its summary.json (a resubmission is seen as one); any
    other run or kernel another (the run's start, the kernel, each case's status and time)."""
    ident = [run.get("started", ""), kernel.id, kernel.get("sha256", ""), kernel.get("release"),
             sorted((n, str(c.status), c.seconds) for n, c in kernel.cases.items())]
    h = hashlib.sha256(json.dumps(ident, default=str).encode()).hexdigest()[:16]
    return f"ubc-{_safe(kernel.id)}-{h}"


def submission(summary, kernel) -> dict:
    """{"tests", "metrics", "metadata"} of one kernel of a Summary."""
    run = summary.run
    tests, metrics, not_run = {}, {}, []
    for name, c in kernel.cases.items():
        r = RESULT.get(Status(c.status))
        if r is None:
            not_run.append(name)
        else:
            tests[f"{SUITE}/{name}"] = r
        if c.seconds is not None and r is not None:
            metrics[f"{SUITE}/{name}"] = c.seconds
    regressions = [n for n, v in kernel.verdicts.items() if v.kind in (Kind.REGRESSION, Kind.XPASS)]
    meta = {
        "job_id": job_id(run, kernel),
        "datetime": run.get("started", ""),
        "job_status": run.get("outcome", ""),
        "exit_status": str(run.get("exit_status", "")),
        "mode": run.get("mode", ""),
        "kernel": kernel.id,
        "kernel_release": kernel.get("release") or "",
        "kernel_version": kernel.get("proc_version") or "",
        "kernel_package": " ".join(x for x in (kernel.get("package"), kernel.get("package_version")) if x),
        "accel": kernel.get("accel", ""),
        "qemu": run.get("qemu", ""),
        "host_kernel": run.get("host_kernel", ""),
        "versions": "; ".join(run.get("versions") or []),
        "not_run": " ".join(not_run),
        "regressions": " ".join(regressions),
    }
    meta = {k: str(v) for k, v in meta.items() if v not in ("", None)}
    return {"tests": tests, "metrics": metrics, "metadata": meta}


def render(summary, kernel_id: str | None = None) -> dict:
    """The submission of the summary's one kernel, or of kernel_id."""
    ks = summary.kernels
    if kernel_id is not None:
        ks = [k for k in ks if k.id == kernel_id]
        if not ks:
            raise UsageError(f"no kernel {kernel_id!r} in the summary "
                             f"({', '.join(k.id for k in summary.kernels) or 'none'})")
    if len(ks) != 1:
        raise UsageError(f"the summary holds {len(ks)} kernels "
                         f"({', '.join(k.id for k in ks) or 'none'}): name one")
    return submission(summary, ks[0])


def text(sub: dict) -> str:
    return json.dumps(sub, indent=1, sort_keys=False) + "\n"


def write(path: Path, summary) -> list[Path]:
    """One file per kernel: `path` for a one-kernel run, else path's stem + "-<kernel>" (a
    SQUAD submission is one environment)."""
    if not summary.kernels:
        return []
    if len(summary.kernels) == 1:
        targets = [(path, summary.kernels[0])]
    else:
        targets = [(path.with_name(f"{path.stem}-{_safe(k.id)}{path.suffix}"), k)
                   for k in summary.kernels]
    for p, k in targets:
        try:
            p.write_text(text(submission(summary, k)))
        except OSError as e:
            raise NotRun(f"results could not be written: {p}: {e.strerror}") from None
    return [p for p, _ in targets]


def _safe(kid: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._+-" else "_" for ch in kid.strip("/")) or "kernel"
