"""The one command line: ./run_tests.sh is `python3 -m runner`.

    python3 -m runner [run] [options] [CASE|GLOB ...]      the suite (default subcommand)
    python3 -m runner list-kernels                          Debian kernels served
    python3 -m runner judge FILE...                         judge saved logs or summaries
    python3 -m runner gate --baseline A --candidate B       compare two saved results
    python3 -m runner report SUMMARY.json                   write report.md / report.html

Every argument is checked before anything is built or booted; bad input is one line on
stderr and exit status 2. Exit statuses: 0 ok, 1 regression, 2 usage or input error, 3
could not run what was asked, 130 interrupted (runner/status.py).
"""
from __future__ import annotations

from runner.core.paths import TOP
import argparse
import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path

from runner.judge import gate
from runner.kernel import resolve as kernels
from runner import ktap
from runner.kernel import qemu
from runner.run.kernel_run import DEFAULT_CASE_TIMEOUT, Options
from runner.run.preflight import (NotRun, Packages, Parser, UsageError, build, check_run, select_cases,
                        writable_dir)
from runner.core.status import EXIT_INTERRUPTED, EXIT_NOT_RUN, EXIT_OK, EXIT_USAGE

PROG = "run_tests.sh"
SUBCOMMANDS = ("run", "list-kernels", "judge", "gate", "report", "bisect-step", "bisect-packages")


def die(msg: str, code: int) -> int:
    print(f"{PROG}: {msg}", file=sys.stderr)
    return code


# -- argument types: checked by argparse, so a bad value is a usage error at once ------------

def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {v}")
    return v


def run_parser() -> Parser:
    ap = Parser(prog=PROG, description="Run the conformance cases on this kernel or on "
                "kernels booted in QEMU; judge them against expected/.")
    ap.add_argument("cases", nargs="*", metavar="CASE|GLOB",
                    help="case binaries (names of cases/*/*.c) or globs; default: all")
    ap.add_argument("--list", action="store_true", help="list the selected cases and exit")
    ap.add_argument("-v", "--verbose", action="count", default=0, help="more detail (repeatable)")
    ap.add_argument("--raw", action="store_true", help="judge raw results: any failure fails "
                    "(default: against expected/, known kernel bugs xfail)")
    k = ap.add_argument_group("kernels")
    k.add_argument("--kernel", action="append", default=[], metavar="K",
                   help="repeatable: a Debian series or version (6.1, 6.12, 6.12.95+deb12), a "
                   "bzImage, a kernel build tree, or host (default: host)")
    k.add_argument("--matrix", action="store_true", help="the newest Debian package of every "
                   "series, and host")
    k.add_argument("--list-kernels", action="store_true", help="the Debian kernels served, and exit")
    k.add_argument("--accel", choices=("auto", "tcg", "kvm"),
                   default=os.environ.get("UBC_ACCEL", "auto"),
                   help="auto (KVM if a probe boot works, else TCG), tcg or kvm")
    k.add_argument("--vng", action="store_true", help="boot bzImages and build trees in "
                   "virtme-ng where it can (9p built in); others say so and use the built-in QEMU")
    k.add_argument("-j", "--jobs", type=positive_int, default=1, metavar="N",
                   help="boot N kernels in parallel")
    k.add_argument("--case-timeout", type=positive_int, metavar="S",
                   default=None, help="seconds per case binary (default UBC_CASE_TIMEOUT or "
                   f"{DEFAULT_CASE_TIMEOUT})")
    o = ap.add_argument_group("output")
    o.add_argument("--results", metavar="DIR", help="results folder (default results/<timestamp>/)")
    o.add_argument("--junitxml", metavar="FILE", help="JUnit XML (default in the results folder)")
    o.add_argument("--ktap", action="store_true", help="print every kernel's KTAP as it arrives")
    o.add_argument("-x", "--exitfirst", action="store_true", help="stop after the first failure")
    o.add_argument("-k", dest="keyword", metavar="EXPR", help="pytest -k over KERNEL::CASE items")
    g = ap.add_argument_group("gating")
    g.add_argument("--gate", action="store_true", help="with --baseline K1 --candidate K2")
    g.add_argument("--baseline", metavar="K")
    g.add_argument("--candidate", metavar="K")
    g.add_argument("--save-baseline", metavar="FILE", help="with one --kernel: save its results")
    g.add_argument("--against", metavar="FILE", help="with one --kernel: compare with a saved baseline")
    ap.add_argument("--build", default=os.environ.get("BUILD", str(TOP / "build")), help=argparse.SUPPRESS)
    ap.add_argument("--no-build", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--extra-binary", action="append", default=[], help=argparse.SUPPRESS)
    return ap


# -- run -----------------------------------------------------------------------------------------

def cmd_run(argv: list[str]) -> int:
    a = run_parser().parse_args(argv)
    cases = select_cases(a.cases)
    if a.list:
        print("\n".join(cases))
        return EXIT_OK
    if a.list_kernels:
        print(kernels.list_kernels(Packages()()))
        return EXIT_OK
    specs = check_run(a)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results = Path(a.results).resolve() if a.results else TOP / "results" / stamp
    writable_dir(results, "the results folder")
    build(a, cases)
    from . import plugin  # imports pytest: only when a run really starts
    opts = Options(build=Path(a.build).resolve(), accel=a.accel, vng=a.vng,
                   extra_binaries=[Path(os.path.abspath(p)) for p in a.extra_binary])
    if a.case_timeout:
        opts.case_timeout = a.case_timeout
    plan = plugin.RunPlan(specs, cases, opts, results, jobs=a.jobs, raw=a.raw)
    matrix = plugin.Matrix(plan)
    if a.ktap:
        matrix.echo = True
    args = [str(Path(plugin.__file__).resolve()), "--rootdir", str(TOP), "-p", "no:cacheprovider",
            "--junitxml", a.junitxml or str(results / "junit.xml"),
            "-o", "junit_suite_name=uring-buffer-conformance", "-o", "junit_family=xunit2",
            "-o", "console_output_style=classic", "-rfE", "-p", "no:conftest"]
    if a.exitfirst:
        args.append("-x")
    if a.keyword:
        args += ["-k", a.keyword]
    args += ["-v"] * (a.verbose + 1 if len(specs) == 1 else a.verbose)
    import pytest

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    # SIGTERM ends the run like Ctrl-C: results so far are written and the VMs (in their own
    # sessions, out of reach of the terminal's signals) are killed.
    signal.signal(signal.SIGTERM, interrupt)
    rc = int(pytest.main(args, plugins=[matrix]))
    if rc == pytest.ExitCode.INTERRUPTED or matrix.interrupted:
        return EXIT_INTERRUPTED
    if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        return die(f"no KERNEL::CASE item matches -k {a.keyword!r}", EXIT_USAGE)
    if rc in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) or matrix.exit_status is None:
        return die(f"pytest could not run the items (exit {rc})", EXIT_NOT_RUN)
    return after_run(a, specs, results / "summary.json", matrix.exit_status)


def after_run(a, specs: list[str], summary: Path, rc: int) -> int:
    """Gate and baseline steps that read the run's summary.json. A gate's exit status is the
    comparison's (1: the candidate regressed), unless the run could not run what was asked."""
    if not (a.gate or a.save_baseline or a.against):
        return rc
    if rc in (EXIT_NOT_RUN, EXIT_INTERRUPTED):
        print(f"{PROG}: the run was incomplete (exit {rc}); no gate on partial results",
              file=sys.stderr)
        return rc
    if a.gate:
        print(f"== gate: baseline {a.baseline} -> candidate {a.candidate}")
        return gate.main(["--summary", str(summary), "--baseline", a.baseline, "--candidate", a.candidate])
    if a.save_baseline:
        return gate.main(["--baseline", f"{summary}:{specs[0]}", "--save", a.save_baseline]) or rc
    print(f"== against baseline {a.against}")
    return gate.main(["--baseline", a.against, "--candidate", f"{summary}:{specs[0]}"])


# -- judge: saved logs and summaries -------------------------------------------------------------

def cmd_judge(argv: list[str]) -> int:
    from runner.judge import expected
    from runner.report import summary as results
    from runner.judge.verdict import judge
    ap = Parser(prog=f"{PROG} judge", description="judge saved console/KTAP logs or summary.json "
                "files against expected/; exit 1 on a regression, 3 on a cut log")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--expected", default=str(TOP / "expected"))
    ap.add_argument("--all", action="store_true", help="print ok verdicts too")
    ap.add_argument("--comments", action="store_true", help="print as KTAP comments")
    ap.add_argument("--label", help="name a log by this instead of its path")
    a = ap.parse_args(argv)
    exp = expected.load_expectations(a.expected)
    pre = "# " if a.comments else ""
    verdicts, incomplete = [], 0
    for f in a.files:
        runs = _judge_input(Path(f), a.label)
        for label, release, proc, cases, whole, note, never_ran in runs:
            counts: dict[str, int] = {}
            for c in cases:
                v = judge(release or "", proc, c, exp, never_ran=never_ran)
                verdicts.append(v)
                counts[v.kind.value] = counts.get(v.kind.value, 0) + 1
                if a.all or v.kind != "ok" or v.known_bug:
                    print(f"{pre}{label}: {v}")
            if not whole:
                incomplete += 1
                print(f"{pre}{label}: INCOMPLETE: {note}")
            worst = results.run_exit_status(verdicts, incomplete)
            print(f"{pre}{label}: {release}: against expected/: "
                  + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
                  + f"; {results.OUTCOME[worst].upper() if worst else 'no regression'}")
    return results.run_exit_status(verdicts, incomplete)


def _judge_input(path: Path, label: str | None):
    """[(label, release, proc_version, [CaseResult], complete, why not, never ran)] of a file, or
    UsageError when it is neither a summary.json nor a KTAP log."""
    from runner.report import summary as results
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}") from None
    if b"\0" in raw[:65536] and b"KTAP version" not in raw:
        raise UsageError(f"{path}: a binary file, neither a KTAP log nor a summary.json")
    text = raw.decode("utf-8", "replace")
    try:
        json.loads(text)
        is_json = True
    except ValueError:
        is_json = False
    if is_json:
        try:
            _, ks = results.load(path)
        except results.ResultsError as e:
            raise UsageError(str(e)) from None
        out = []
        for k in ks:
            bad = [n for n, c in k.cases.items() if c.status == "notrun"]
            out.append((k.id, k.data.get("release"), k.data.get("proc_version"),
                        list(k.cases.values()), bool(k.data.get("ran", True)) and not bad,
                        f"{len(bad)} case(s) did not run" if bad else "the kernel never ran",
                        not k.data.get("ran", True)))
        return out
    run = ktap.parse_console(text, None)
    if run.plan is None:
        raise UsageError(f"{path}: no KTAP document in it (no 'KTAP version' and plan lines)")
    if run.errors:
        note = f"the log is damaged: {'; '.join(run.errors[:3])}"
    else:
        note = "" if run.complete else f"the log is cut: {run.results} of {run.plan} results"
    return [(label or str(path), run.release, run.proc_version, list(run.cases.values()),
             run.complete, note, False)]


# -- entry -----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    sub = argv[0] if argv and argv[0] in SUBCOMMANDS else "run"
    if argv and argv[0] == sub:
        argv = argv[1:]
    try:
        if sub == "run":
            return cmd_run(argv)
        if sub == "list-kernels":
            return cmd_run(["--list-kernels", *argv])
        if sub == "judge":
            return cmd_judge(argv)
        if sub == "gate":
            return gate.main(argv)
        if sub == "report":
            from runner.report import markdown as report
            return report.main(argv)
        from . import bisect  # bisect-step, bisect-packages
        return bisect.main([sub, *argv])
    except UsageError as e:
        return die(str(e), EXIT_USAGE)
    except NotRun as e:
        return die(str(e), EXIT_NOT_RUN)
    except KeyboardInterrupt:
        qemu.kill_running()
        return die("interrupted", EXIT_INTERRUPTED)
