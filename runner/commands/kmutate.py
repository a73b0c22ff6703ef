"""`run_tests.sh kmutate`: does the suite catch kernel regressions? Mutate io_uring's buffer
code (runner/kmutate/targets.txt), rebuild, boot, and count the mutants a case's raw result
tells apart from the unmutated kernel (docs/kmutate.md). `--coverage`: the same build with
gcov on io_uring/, the cases run, line and branch coverage per function.

Exit: 0 done (whatever the kill rate: the report says it), 2 usage, 3 could not run (the
unmutated tree does not build or boot, no QEMU), 130 interrupted (the tree is restored)."""
from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import signal
import sys
import time
from pathlib import Path

from runner.core.errors import NotRun, UsageError
from runner.core.paths import TOP
from runner.core.status import Exit
from runner.kernel import qemu
from runner.kmutate import coverage, engine, mutants as mut, report, source
from runner.bisect import kbuild
from runner.run import options
from runner.run.kernel_run import Options
from runner.run.preflight import build, select_cases

HELP = "mutate the kernel's io_uring buffer code and count the mutants the cases kill; --coverage: gcov"


def add_arguments(p) -> None:
    options.add_cases(p)
    p.add_argument("--tree", metavar="DIR", help="kernel source tree (default: KDIR, else the "
                   "pinned Debian linux-source package, fetched into the cache)")
    p.add_argument("--count", type=int, default=150, metavar="N",
                   help="generated mutants to sample (default 150; -1: all); the hand-written "
                   "ones (runner/kmutate/mutants.txt) come on top")
    p.add_argument("--seed", type=int, default=21, help="the sampling seed (default 21)")
    p.add_argument("--only", metavar="REGEX", help="only the mutants whose id matches")
    p.add_argument("--no-hand", action="store_true", help="leave out runner/kmutate/mutants.txt")
    p.add_argument("--all-cases", action="store_true", help="a mutant its file's cases "
                   "(targets.txt) do not kill boots again with every other case")
    p.add_argument("--interleave", action="store_true", help="run the files' mutants in "
                   "turn (a run stopped early has some of every file), not file by file")
    p.add_argument("--list", action="store_true", help="list the selected mutants and exit")
    p.add_argument("--resume", metavar="DIR", help="continue the run whose results folder is DIR")
    p.add_argument("--report", metavar="DIR", help="only write DIR/report.md from DIR/results.jsonl")
    p.add_argument("--recheck", metavar="DIR", help="boot again, with today's cases, the "
                   "mutants that survived in the run DIR (not those marked equivalent); its other "
                   "records are carried over, marked so. The same command continues it")
    p.add_argument("--coverage", action="store_true", help="gcov coverage of the cases instead "
                   "of mutants (a second build folder)")
    p.add_argument("--build-dir", metavar="DIR", help="kernel build folder (default: "
                   "<cache>/kbuild/<tree>-<hash>/kmutate, kmutate-gcov with --coverage)")
    p.add_argument("-j", "--jobs", type=options.positive_int, default=os.cpu_count() or 1,
                   metavar="N", help="make -j N")
    options.add_boot(p)
    options.add_results(p, "results/kmutate-<timestamp>/")
    options.add_build(p)


def header(cfg, tree: Path, extra: str) -> list[str]:
    mem = ""
    try:
        mem = f", {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') >> 30} GiB"
    except (ValueError, OSError):
        pass
    return [f"# Kernel mutation run {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
            f"- tree: {tree}", f"- machine: {platform.machine()}, {os.cpu_count()} cores{mem}, "
            f"QEMU accel {cfg.opts.accel}", f"- command: `run_tests.sh {' '.join(sys.argv[1:])}`",
            extra]


def frozen_cases(build: Path, results: Path) -> Path:
    """The case binaries a run boots, copied into its results folder once: every boot of the
    run (the unmutated kernel's and each mutant's, a --resume's too) runs the same binaries,
    whatever `make` does to build/ meanwhile. A rebuilt build/ under a running run used to
    give a mutant a case the baseline never had: a kill that the kernel did not cause."""
    frozen = results / "cases-build"
    if not (frozen / ".done").exists():
        shutil.rmtree(frozen, ignore_errors=True)
        frozen.mkdir(parents=True)
        for d in ("bin", "multi"):
            if (build / d).is_dir():
                shutil.copytree(build / d, frozen / d, symlinks=True)
        if (build / "versions.txt").exists():
            shutil.copy2(build / "versions.txt", frozen / "versions.txt")
        (frozen / ".done").write_text(f"{build}\n")
    return frozen


def recheck_selection(tree: Path, prev: Path, results: Path, seed: int, hand: bool):
    """The survivors of the run `prev` (those equivalent.txt does not mark) as mutants of
    `tree`; every other record of `prev` is written to results/results.jsonl once, with
    `carried` naming `prev`: a kill stays a kill when cases are only added."""
    precs = engine.read_records(prev / "results.jsonl")
    if not precs:
        raise UsageError(f"--recheck {prev}: no results.jsonl records there")
    eq = mut.read_equivalent()
    again = {r["id"] for r in precs if r["outcome"] == engine.SURVIVED and not eq.get(r["id"])}
    pool, size = mut.select(tree, -1, seed, hand, None)
    ms = [m for m in pool if m.id in again]
    lost = sorted(again - {m.id for m in ms})
    if lost:
        raise UsageError(f"--recheck {prev}: {len(lost)} of its survivors are not mutants of "
                         f"{tree} (another source?): {', '.join(lost[:3])}")
    engine.carry(results, [dict(r, carried=str(prev)) for r in precs if r["id"] not in again])
    return ms, size


def main(a) -> int:
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupt)
    if a.report:
        d = Path(a.report)
        recs = engine.read_records(d / "results.jsonl")
        if not recs:
            raise UsageError(f"{d}/results.jsonl: no records")
        eq = mut.read_equivalent()  # marked since the run: the file decides, not the record
        for r in recs:
            r["equivalent"] = eq.get(r["id"], "")
        (d / "report.md").write_text(report.markdown(recs, [f"# Kernel mutation run ({d})"]))
        print(report.summary_line(recs))
        print(f"kmutate: report {d / 'report.md'}")
        return 0
    tree = source.tree(a.tree)
    cases = select_cases(a.cases)
    if a.list:
        ms, pool = mut.select(tree, a.count, a.seed, not a.no_hand, a.only)
        if a.interleave:
            ms = mut.interleave(ms)
        for m in ms:
            print(f"{m.id:60} {m.where:22} {m.describe()}" + (f"  = {m.equivalent}" if m.equivalent else ""))
        print(f"kmutate: {len(ms)} mutants (sampled from {pool} with seed {a.seed})")
        return 0
    if kbuild.shutil.which(qemu.QEMU) is None:
        raise NotRun(f"{qemu.QEMU} not found: install qemu-system-x86")
    build(a, cases)
    backend = "kmutate-gcov" if a.coverage else "kmutate"
    out = Path(a.build_dir).resolve() if a.build_dir else kbuild.build_dir(tree, backend)
    if a.recheck and (a.resume or a.coverage):
        raise UsageError("--recheck starts its own run: not with --resume or --coverage")
    if a.resume:
        results = Path(a.resume)
    elif a.recheck:
        results = Path(a.results or TOP / "results" / f"kmutate-recheck-{engine.stamp()}")
    else:
        results = Path(a.results or TOP / "results" / f"kmutate{'-coverage' if a.coverage else ''}-{engine.stamp()}")
    opts = Options(build=frozen_cases(Path(a.build).resolve(), results), accel=a.accel, max_boots=2)
    opts.case_timeout = a.case_timeout or 30
    cfg = engine.Config(tree, out, results, cases, opts, a.jobs,
                        say=lambda s: print(s, flush=True), rest=a.all_cases)
    t0 = time.monotonic()
    try:
        if a.coverage:
            return coverage.main(cfg, header(cfg, tree, ""))
        if a.recheck:
            ms, pool = recheck_selection(tree, Path(a.recheck), results, a.seed, not a.no_hand)
        else:
            ms, pool = mut.select(tree, a.count, a.seed, not a.no_hand, a.only)
        if a.interleave:
            ms = mut.interleave(ms)
        print(f"kmutate: {len(ms)} mutants (seed {a.seed}, from a pool of {pool}); results in "
              f"{results}", flush=True)
        recs = engine.run(cfg, ms, resume=bool(a.resume or a.recheck))
        eq = mut.read_equivalent()
        for r in recs:
            r["equivalent"] = eq.get(r["id"], "")
    except KeyboardInterrupt:
        qemu.kill_running()
        engine.tree_apply.recover(tree, engine.state_dir(cfg), out)
        print(f"kmutate: interrupted after {engine.hms(time.monotonic() - t0)}; the tree is as it "
              f"was; continue with --resume {results}", file=sys.stderr)
        return Exit.INTERRUPTED
    except engine.Interrupted:
        print(f"kmutate: interrupted; continue with --resume {results}", file=sys.stderr)
        return Exit.INTERRUPTED
    except RuntimeError as e:
        raise NotRun(str(e)) from None
    extra = (f"- {len(ms)} mutants selected (seed {a.seed}, pool {pool}), {len(recs)} run, "
             f"{engine.hms(time.monotonic() - t0)} (this invocation)")
    (results / "report.md").write_text(report.markdown(recs, header(cfg, tree, extra)))
    print(report.summary_line(recs))
    print(f"kmutate: report {results / 'report.md'}")
    return 0
