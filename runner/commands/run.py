"""`run_tests.sh [run] [options] [CASE|GLOB ...]`: build, boot, run the cases, judge them,
write every output (the default subcommand); and `run_tests.sh list-kernels`."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from runner.commands import gate as gate_cmd, results_in
from runner.core import env
from runner.core.errors import NotRun, UsageError
from runner.core.status import Exit
from runner.run import options, preflight
from runner.run.kernel_run import Options, stress_options
from runner.shard import durations, plan as shard_plan, suite

HELP = "run the cases on this kernel or on kernels booted in QEMU, and judge them (default)"


def add_arguments(p) -> None:
    options.add_cases(p)
    p.add_argument("--list", action="store_true", help="list the selected cases and exit")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more detail (repeatable)")
    p.add_argument("--raw", action="store_true", help="judge raw results: any failure fails "
                   "(default: against expected/, known kernel bugs xfail)")
    options.add_kernels(p)
    p.add_argument("--list-kernels", action="store_true", help="the Debian kernels served, and exit")
    options.add_boot(p)
    options.add_guest_cpus(p)
    o = p.add_argument_group("output")
    options.add_results(o)
    o.add_argument("--junitxml", metavar="FILE", help="JUnit XML (default in the results folder)")
    o.add_argument("--squad", metavar="FILE", help="SQUAD's submit form (docs/squad.md); one "
                   "file per kernel (FILE-<kernel>) when there are several")
    o.add_argument("--ktap", action="store_true", help="print every kernel's KTAP as it arrives")
    o.add_argument("-x", "--exitfirst", action="store_true", help="stop after the first failure")
    o.add_argument("-k", dest="keyword", metavar="EXPR", help="pytest -k over KERNEL::CASE items")
    g = p.add_argument_group("gating")
    g.add_argument("--gate", action="store_true", help="with --baseline K1 --candidate K2")
    g.add_argument("--baseline", metavar="K")
    g.add_argument("--candidate", metavar="K")
    g.add_argument("--save-baseline", metavar="FILE", help="with one --kernel: save its results")
    g.add_argument("--against", metavar="FILE", help="with one --kernel: compare with a saved baseline")
    options.add_kcidb(p)
    sh = p.add_argument_group("sharding (docs/ci.md)")
    sh.add_argument("--shard", type=options.argtype(shard_plan.parse_shard), metavar="I/N",
                    help="run only shard I of N: a deterministic, disjoint part of the selected "
                    "(kernel, case group) boots, balanced by recorded durations; merge the N "
                    "result folders with run_tests.sh merge")
    sh.add_argument("--plan", metavar="HASH|FILE", help="with --shard: refuse to run unless "
                    "the plan here is this one (a hash, or the plan command's JSON output)")
    options.add_durations(sh)
    options.add_stress(p)
    options.add_expected(p)
    options.add_build(p)
    p.add_argument("--extra-binary", action="append", default=[], help=argparse.SUPPRESS)


def main(a) -> int:
    if a.stress_seconds is not None and not a.stress and env.get("UBC_STRESS_SECONDS") is None:
        raise UsageError("--stress-seconds goes with --stress")
    cases = preflight.select_cases(a.cases, stress=a.stress)
    check_shard_options(a)
    if a.list:
        print("\n".join(cases))
        return Exit.OK
    if a.list_kernels:
        return list_kernels(a)
    checked = preflight.check_run(a)
    specs, selection, info = checked.specs, None, {"suite": suite.identity(Path(a.expected))}
    if a.shard:
        index, count = a.shard
        p = shard_plan.plan(specs, cases, count, durations.load(a.durations))
        check_plan_ref(a.plan, p)
        selection = p.selection(index)
        specs = list(selection)
        cases = [c for c in cases if any(c in v for v in selection.values())]
        info["shard"] = p.record(index)
    specs = longest_first(specs, cases, a)
    if a.against:
        try:
            gate_cmd.load(a.against)
        except UsageError as e:
            raise UsageError(f"--against: {e}") from None
    with preflight.results_dir(a.results) as results:
        preflight.build(a, cases, preflight.archs_of(checked.specs))
        from runner.run import plugin, matrix  # imports pytest: only when a run really starts
        opts = Options(build=Path(a.build).resolve(), accel=a.accel, vng=a.vng,
                       extra_binaries=[Path(os.path.abspath(p)) for p in a.extra_binary])
        if a.case_timeout:
            opts.case_timeout = a.case_timeout
        opts.smp = options.guest_cpus(a)
        if a.stress:
            opts = stress_run(a, opts)
        plan = matrix.RunPlan(specs, cases, opts, results.path, jobs=a.jobs, raw=a.raw,
                              expected_dir=Path(a.expected),
                              junitxml=Path(a.junitxml).resolve() if a.junitxml else None,
                              squad=Path(a.squad).resolve() if a.squad else None,
                              selection=selection, run_info=info,
                              kcidb=Path(a.kcidb).resolve() if a.kcidb else None,
                              kcidb_origin=a.kcidb_origin)
        m = matrix.Matrix(plan, checked.expectations)
        m.echo = a.ktap
        rc = pytest_main(a, plugin.Plugin(m), len(specs))
        if rc is not None:
            return rc
        return after_run(a, checked.specs, m)


def check_shard_options(a) -> None:
    """What --shard cannot go with (exit 2, before anything is fetched)."""
    if a.kcidb:
        preflight.writable_file(Path(a.kcidb), "--kcidb")
    if not a.shard:
        if a.plan:
            raise UsageError("--plan goes with --shard I/N")
        return
    what = next((opt for opt, on in (("-k", a.keyword), ("--gate", a.gate),
                                      ("--save-baseline", a.save_baseline),
                                      ("--against", a.against), ("--list", a.list),
                                      ("--extra-binary", a.extra_binary)) if on), None)
    if what:
        why = {"-k": "it selects after the plan, so the shards would not add up to it; "
               "give cases or globs instead",
               "--list": "run_tests.sh plan lists the shards"}.get(
            what, "a shard holds part of each kernel's results; merge the shards, then gate "
            "the merged summary.json")
        raise UsageError(f"--shard does not go with {what}: {why}")


def check_plan_ref(ref: str | None, p) -> None:
    """--plan HASH|FILE: the plan computed here must be that one."""
    if not ref:
        return
    want = ref
    if Path(ref).is_file():
        import json
        try:
            d = json.loads(Path(ref).read_text())
            want = str(d["plan"] if "plan" in d else d["include"][0]["plan"])
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            raise UsageError(f"--plan {ref}: not the plan command's JSON output") from None
    if len(want) < 8 or not p.hash.startswith(want.lower()):
        raise UsageError(f"--plan: the plan here is {p.hash[:12]}, not {want[:12]}: another "
                         "selection, number of shards, kernel list (the Debian archive "
                         "moved?) or durations table")


def longest_first(specs: list[str], cases: list[str], a) -> list[str]:
    """With -j N > 1, the kernels in order of their recorded cost (bench/durations.json: a
    boot plus its cases), the longest first, so N at once end close to the total over N
    (issue 23). One at a time, the order asked for is kept."""
    if a.jobs <= 1 or len(specs) <= 1:
        return specs
    table = durations.load(a.durations)
    cost = {s: table.boot(s) + sum(table.case(s, c) for c in cases) for s in specs}
    return sorted(specs, key=lambda s: -cost[s])


def stress_run(a, opts: Options) -> Options:
    """--stress: guests with >= 2 vCPUs and the loop duration; host cases get it from the
    environment they inherit (docs/stress.md)."""
    if a.stress_seconds is not None:
        os.environ["UBC_STRESS_SECONDS"] = f"{a.stress_seconds:g}"
    explicit = a.case_timeout
    opts = stress_options(opts, a.stress_seconds)
    if explicit:
        opts.case_timeout = explicit
    print(f"== stress: guests boot with {opts.smp} vCPUs; {a.stress_seconds or 2:g} s per race "
          f"loop, {opts.case_timeout} s per case")
    return opts


def pytest_main(a, plugin, nkernels: int) -> int | None:
    """pytest over the items; an exit status when pytest itself says the run did not happen."""
    import pytest
    from runner.core.paths import TOP
    from runner.run import plugin as plugin_module
    args = [str(Path(plugin_module.__file__).resolve()), "--rootdir", str(TOP),
            "-p", "no:cacheprovider", "-p", "no:junitxml",
            "-o", "console_output_style=classic", "-rfE", "-p", "no:conftest"]
    if a.exitfirst:
        args.append("-x")
    if a.keyword:
        args += ["-k", a.keyword]
    args += ["-v"] * (a.verbose + 1 if nkernels == 1 else a.verbose)

    rc = int(pytest.main(args, plugins=[plugin]))
    m = plugin.matrix
    if rc == pytest.ExitCode.INTERRUPTED or m.interrupted:
        return Exit.INTERRUPTED
    if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        raise UsageError(f"no KERNEL::CASE item matches -k {a.keyword!r}")
    if rc in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) or m.exit_status is None:
        raise NotRun(f"pytest could not run the items (exit {rc})")
    return None


def after_run(a, specs: list[str], m) -> int:
    """Gate and baseline steps on the run's result tree (in memory). A gate's exit status is
    the comparison's (1: the candidate regressed), unless the run could not run what was
    asked."""
    rc = m.exit_status
    if not (a.gate or a.save_baseline or a.against):
        return rc
    if rc in (Exit.NOT_RUN, Exit.INTERRUPTED):
        print(f"run_tests.sh: the run was incomplete (exit {rc}); no gate on partial results")
        return rc
    kernels = {k.id: results_in.from_kernel(k, m.summary.run.get("cases")) for k in m.summary.kernels}
    if a.gate:
        print(f"== gate: baseline {a.baseline} -> candidate {a.candidate}")
        return gate_cmd.compare(kernels[a.baseline], kernels[a.candidate])
    if a.save_baseline:
        return gate_cmd.save(kernels[specs[0]], a.save_baseline) or rc
    print(f"== against baseline {a.against}")
    return gate_cmd.compare(gate_cmd.load(a.against), kernels[specs[0]])


def list_kernels(a) -> int:
    from runner.kernel import resolve
    print(resolve.list_kernels(preflight.Packages()()))
    return Exit.OK
