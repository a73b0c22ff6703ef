"""The kernel mutation run: build the tree once (the bisect step's out-of-tree, incremental
build: tinyconfig + runner/bisect/kconfig/ubc.config), run the cases on it (twice: a case
whose raw result differs between the two is flaky and not compared), then for each mutant
apply it (apply.py), rebuild (one object and a relink), put the file back, boot, compare.

Outcomes: killed (a case's raw result differs from the unmutated kernel's: status, a
subtest's status, a skip's reason, a kernel WARN/BUG/Oops/panic, a hang), survived, and
not counted: unbuildable (the mutant does not compile or link), unbootable (no case ran),
error (QEMU failed on the host side). Every mutant's outcome is appended to results.jsonl as
it ends, so an interrupted run keeps what it did and --resume continues it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import fnmatch
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from runner.bisect import kbuild
from runner.core.status import Status
from runner.kernel import qemu
from runner.kernel.cache import cache_dir, record_of, write_verified
from runner.kernel.initramfs import Initramfs
from runner.kmutate import apply as tree_apply
from runner.kmutate.mutants import Mutant, read_case_sets
from runner.run.kernel_run import KernelRun, Options

KCONFIG = Path(__file__).resolve().parent / "kmutate.config"
KILLED, SURVIVED, UNBUILDABLE, UNBOOTABLE, ERROR = "killed", "survived", "unbuildable", "unbootable", "error"
COUNTED = (KILLED, SURVIVED)
CRASH_EVENTS = ("panic", "oops", "bug", "warning", "kasan", "ubsan", "kfence", "lockup", "hung", "rcu")


class Interrupted(Exception):
    pass


# -- raw results ------------------------------------------------------------------------------

def signature(results: dict, events) -> dict[str, list]:
    """case -> what is compared: its status, each subtest's status (and a skip's reason),
    the kernel events pinned on it. Failure messages are not compared (they carry numbers
    that may vary), their statuses are."""
    out: dict[str, list] = {}
    for name, c in results.items():
        subs = [[s.name, str(s.status), s.reason if str(s.status) == Status.SKIP.value else ""]
                for s in c.subtests]
        out[name] = [str(c.status), c.reason if str(c.status) == Status.SKIP.value else "", subs, []]
    for e in events:
        if e.kind in CRASH_EVENTS:
            key = e.case if e.case in out else "(kernel)"
            out.setdefault(key, ["", "", [], []])[3].append(e.kind)
    for v in out.values():
        v[3] = sorted(set(v[3]))
    return out


def differences(base: dict, mut: dict, ignore: set[str] = frozenset()) -> list[str]:
    """One line per case whose signature differs (the first differing detail)."""
    out = []
    for name in sorted(set(base) | set(mut)):
        if name in ignore:
            continue
        b, m = base.get(name), mut.get(name)
        if b == m:
            continue
        if b is None or m is None:
            out.append(f"{name}: {'absent' if b is None else b[0]} -> {'absent' if m is None else m[0]}")
        elif b[0] != m[0]:
            out.append(f"{name}: {b[0]} -> {m[0]}" + (f" ({m[1]})" if m[1] else "")
                       + (f" [kernel {', '.join(m[3])}]" if m[3] != b[3] else ""))
        elif b[3] != m[3]:
            out.append(f"{name}: kernel {', '.join(m[3]) or 'no event'} (was {', '.join(b[3]) or 'none'})")
        else:
            bs = {s[0]: s for s in b[2]}
            ms = {s[0]: s for s in m[2]}
            sub = next((k for k in list(bs) + list(ms) if bs.get(k) != ms.get(k)), None)
            if sub is None:
                out.append(f"{name}: {b[1]!r} -> {m[1]!r}")
            else:
                out.append(f"{name}: {sub} {bs[sub][1] if sub in bs else 'absent'} -> "
                           f"{ms[sub][1] if sub in ms else 'absent'}")
    return out


# -- build and boot ---------------------------------------------------------------------------

def kconfig_lines() -> list[str]:
    """kmutate.config's assignments: what the mutation and gcov builds add to ubc.config."""
    return [l.strip() for l in KCONFIG.read_text().splitlines()
            if l.strip() and not l.lstrip().startswith("#")]


def config_lost(out: Path, lines: list[str]) -> list[str]:
    """The lines Kconfig dropped (a dependency missing on this tree)."""
    have = set((out / ".config").read_text().splitlines()) if (out / ".config").exists() else set()
    return [l for l in lines if l not in have]


def make_build(tree: Path, out: Path, log_path: Path, jobs: int, extra: list[str] = (),
               make_vars: list[str] = (), target: str = "bzImage",
               configure: bool = True) -> kbuild.BuildResult:
    """kbuild.build with extra configuration lines and make variables (the gcov build).
    target vmlinux: no compressed bzImage (a mutant boots its ELF vmlinux: boot_image());
    configure=False: the configuration is the unmutated build's (a mutant changes no Kconfig)."""
    kbuild.check_tools()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    missing: list[str] = []
    with open(log_path, "w") as log:
        ok = True
        if configure or not (out / ".config").exists():
            ok, missing = kbuild.configure(tree, out, "tinyconfig", log, list(extra))
        if ok:
            ok = kbuild._make(tree, [f"O={out}", *make_vars, target], log, jobs) == 0
    secs = round(time.monotonic() - t0, 1)
    image = out / "arch" / "x86" / "boot" / "bzImage" if target == "bzImage" else out / "vmlinux"
    if not ok or not image.is_file():
        return kbuild.BuildResult(False, secs, None, kbuild.first_error(log_path) or "make failed", missing)
    return kbuild.BuildResult(True, secs, image, "", missing)


def boot_image(vmlinux: Path, d: Path) -> Path:
    """A mutant's ELF vmlinux as something the runner boots: runner/kernel/resolve boots a
    bzImage's PVH vmlinux, kept in <cache>/kernels/local/<sha256 of the bzImage>.vmlinux. So a
    4 KiB bzImage stub unique to this vmlinux, and the vmlinux put where its PVH copy goes:
    no compressed image made and none decompressed (XZ: tens of seconds under load).
    drop_pvh() removes it after the boots."""
    from runner.kernel.bzimage import pvh_elf  # noqa: F401 (the format it stands in for)
    elf = vmlinux.read_bytes()
    if elf[:4] != b"\x7fELF" or b"Xen\x00" not in elf:
        raise RuntimeError(f"{vmlinux} is not a PVH-bootable ELF (CONFIG_PVH?)")
    stub = bytearray(4096)
    stub[0x1F1] = 4
    stub[0x202:0x206] = b"HdrS"
    stub[0x248:0x250] = (0).to_bytes(4, "little") + (16).to_bytes(4, "little")
    stub[0x400:0x420] = hashlib.sha256(elf).digest()
    img = d / "bzImage.stub"
    img.write_bytes(bytes(stub))
    local = cache_dir() / "kernels" / "local"
    local.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256(bytes(stub)).hexdigest()[:16]
    # With its size+sha256 record, as resolve keeps a PVH copy: one without is made again.
    write_verified(local / f"{h}.vmlinux", elf)
    return img


@dataclass
class Boot:
    sig: dict
    ran: bool
    host_fault: str
    seconds: float
    line: str
    console: Path
    early: str = ""            # the difference that stopped the boot early


def kill_boot() -> None:
    """Stop the boot in progress (a mutant already killed: the rest of its cases would say
    nothing more). Only this process's VMs; not kill_running(), which refuses later boots."""
    with qemu._running_lock:
        procs = list(qemu._running)
    for p in procs:
        qemu._kill(p)


def case_signature(c) -> list:
    return [str(c.status), c.reason if str(c.status) == Status.SKIP.value else "",
            [[s.name, str(s.status), s.reason if str(s.status) == Status.SKIP.value else ""]
             for s in c.subtests], []]


def boot(image: Path, cases: list[str], opts: Options, d: Path, stop_on=None) -> Boot:
    """stop_on(case result) -> a difference (str) stops the boot there: Boot.early holds it."""
    early: list[str] = []

    def on_case(c):
        if stop_on is not None and not early:
            why = stop_on(c)
            if why:
                early.append(why)
                kill_boot()
    kr = KernelRun(str(image), cases, opts, d, Initramfs(opts, cases))
    kr.run(on_case=on_case)
    fault = next((b.host_fault for b in kr.runs if b.host_fault), "") or ""
    events = [e for r in kr.parsed for e in r.events]
    ran = any(str(c.status) not in (Status.NOTRUN.value, Status.INTERRUPTED.value)
              for c in kr.results.values()) and not kr.never_ran
    return Boot(signature(kr.results, events), ran or bool(early),
                "" if early else (fault or ""), kr.boot_seconds(), kr.line(), kr.console_log,
                early[0] if early else "")


# -- the run ----------------------------------------------------------------------------------

@dataclass
class Config:
    tree: Path
    out: Path                  # the build folder
    results: Path              # this run's folder
    cases: list[str]
    opts: Options
    jobs: int = 2
    base_runs: int = 2
    say: object = print
    target: str = "vmlinux"    # what a mutant builds: vmlinux (booted as PVH) or bzImage
    rest: bool = False         # a survivor boots again with the cases not of its file

    def mutant_opts(self) -> Options:
        """One boot a part: a crash already kills the mutant, no boot again after it."""
        return dataclasses.replace(self.opts, max_boots=1)


@dataclass
class Baseline:
    sig: dict
    flaky: set = field(default_factory=set)
    build_s: float = 0.0
    boot_s: float = 0.0


def hms(s: float) -> str:
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def state_dir(cfg: Config) -> Path:
    return cfg.out.parent / (cfg.out.name + ".kmutate-state")


def baseline(cfg: Config, reuse: bool = False) -> Baseline:
    """Build the unmutated tree; boot it base_runs times (reuse: take the saved baseline.json
    of the run resumed instead of booting)."""
    st = state_dir(cfg)
    restored = tree_apply.recover(cfg.tree, st, cfg.out)
    if restored:
        cfg.say(f"kmutate: restored {restored} from the backup a previous run left")
    d = cfg.results / "base"
    d.mkdir(parents=True, exist_ok=True)
    cfg.say(f"kmutate: building {cfg.tree} in {cfg.out} (tinyconfig + ubc.config; the first "
            "build takes minutes)")
    saved = cfg.results / "baseline.json"
    reusing = reuse and saved.exists()
    b = make_build(cfg.tree, cfg.out, d / "build.log", cfg.jobs, extra=kconfig_lines(),
                   target=cfg.target if reusing else "bzImage")
    if not b.ok:
        raise RuntimeError(f"the unmutated tree does not build: {b.why} (log {d / 'build.log'})")
    lost = config_lost(cfg.out, kconfig_lines())
    if lost:
        cfg.say(f"kmutate: this tree's Kconfig dropped {', '.join(lost)} (runner/kmutate/kmutate.config)")
    if reusing:
        js = json.loads(saved.read_text())
        cfg.say("kmutate: the unmutated kernel's results: those of the run resumed")
        return Baseline(js["sig"], set(js["flaky"]), b.seconds, js.get("boot_s", 0.0))
    sigs, boot_s = [], 0.0
    for n in range(cfg.base_runs):
        r = boot(b.image, cfg.cases, cfg.opts, d / f"run{n + 1}")
        if qemu.stopping():
            raise Interrupted()
        if not r.ran:
            raise RuntimeError(f"the unmutated kernel ran no case: {r.line} ({r.console})")
        cfg.say(f"kmutate: unmutated kernel, run {n + 1}: {r.line}")
        sigs.append(r.sig)
        boot_s += r.seconds
    flaky = set()
    for s in sigs[1:]:
        flaky |= {l.split(":")[0] for l in differences(sigs[0], s)}
    if flaky:
        cfg.say(f"kmutate: flaky on the unmutated kernel (not compared): {', '.join(sorted(flaky))}")
    avg = round(boot_s / max(1, len(sigs)), 1)
    saved.write_text(json.dumps({"sig": sigs[0], "flaky": sorted(flaky), "boot_s": avg}))
    return Baseline(sigs[0], flaky, b.seconds, avg)


def run_one(cfg: Config, base: Baseline, m: Mutant) -> dict:
    d = cfg.results / "mutants" / m.id.replace(":", "_")
    d.mkdir(parents=True, exist_ok=True)
    rec = {"id": m.id, "file": m.file, "function": m.function, "line": m.line, "op": m.op,
           "old": m.old, "new": m.new, "equivalent": m.equivalent}
    text = (cfg.tree / m.file).read_text()
    new_text = m.apply_to(text)
    with tree_apply.applied(cfg.tree, state_dir(cfg), m.file, new_text, cfg.out):
        b = make_build(cfg.tree, cfg.out, d / "build.log", cfg.jobs, target=cfg.target,
                       configure=False)
    # the tree is restored here: the image is what the mutant built
    rec["build_s"] = b.seconds
    if qemu.stopping():
        raise Interrupted()
    if not b.ok:
        rec.update(outcome=UNBUILDABLE, why=b.why, boot_s=0.0)
        return rec
    first, rest = split_cases(cfg.cases, m.file)
    if not cfg.rest:
        rest = []
    image = boot_image(b.image, d) if cfg.target == "vmlinux" else b.image

    def stop_on(c):
        if c.name in base.flaky or c.name not in base.sig:
            return ""
        got, want = case_signature(c), base.sig[c.name]
        if got[:3] != want[:3]:
            why = differences({c.name: want[:3] + [[]]}, {c.name: got})[0]
            if (c.reason or "").startswith(("kernel", "taint")):
                why += f" [{c.reason[:100]}]"
            return why
        return ""
    rec["boot_s"] = 0.0
    for n, part in enumerate([first, rest] if rest else [first]):
        if not part:
            continue
        r = boot(image, part, cfg.mutant_opts(), d / f"boot{n + 1}", stop_on=stop_on)
        if qemu.stopping():
            raise Interrupted()
        rec["boot_s"] += r.seconds
        rec["console"] = str(r.console)
        rec["cases_run"] = rec.get("cases_run", 0) + len(part)
        if r.early:
            rec.update(outcome=KILLED, why=r.early, diffs=[r.early], early=True)
            break
        if r.host_fault:
            rec.update(outcome=ERROR, why=r.host_fault)
            break
        if not r.ran:
            rec.update(outcome=UNBOOTABLE, why=r.line)
            break
        diff = differences({k: v for k, v in base.sig.items() if k in part or k == "(kernel)"},
                           r.sig, base.flaky)
        rec.update(outcome=KILLED if diff else SURVIVED, why="; ".join(diff[:3]), diffs=diff)
        if diff:
            break
    drop_pvh(image)
    return rec


def drop_pvh(image: Path) -> None:
    """The PVH vmlinux a boot put in the shared kernel cache for this mutant's image (nobody
    boots it again), and only that one (runner/kernel/resolve.local_bzimage names it)."""
    h = hashlib.sha256(image.read_bytes()).hexdigest()[:16]
    vmlinux = cache_dir() / "kernels" / "local" / f"{h}.vmlinux"
    vmlinux.unlink(missing_ok=True)
    record_of(vmlinux).unlink(missing_ok=True)


def split_cases(cases: list[str], file: str) -> tuple[list[str], list[str]]:
    """The cases a mutant of file runs first (targets.txt `cases`), and the others."""
    globs = read_case_sets().get(file)
    if not globs:
        return list(cases), []
    first = [c for c in cases if any(fnmatch.fnmatchcase(c, g) for g in globs)]
    return first, [c for c in cases if c not in first]


def done_ids(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return {json.loads(l)["id"] for l in path.read_text().splitlines() if l.strip()}


def run(cfg: Config, mutants: list[Mutant], resume: bool = False) -> list[dict]:
    """The whole run; returns every record (with those of the run resumed)."""
    cfg.results.mkdir(parents=True, exist_ok=True)
    jsonl = cfg.results / "results.jsonl"
    t0 = time.monotonic()
    base = baseline(cfg, reuse=resume)
    skip = done_ids(jsonl) if resume else set()
    todo = [m for m in mutants if m.id not in skip]
    if skip:
        cfg.say(f"kmutate: resuming: {len(mutants) - len(todo)} of {len(mutants)} already done")
    t1 = time.monotonic()
    cfg.say(f"kmutate: unmutated kernel built in {base.build_s:.0f}s, {len(cfg.cases)} cases in "
            f"{base.boot_s:.0f}s a boot; {len(todo)} mutants to run")
    for i, m in enumerate(todo, 1):
        rec = run_one(cfg, base, m)
        with open(jsonl, "a") as f:
            f.write(json.dumps(rec) + "\n")
        el = time.monotonic() - t1
        eta = el / i * (len(todo) - i)
        mark = " (marked equivalent)" if m.equivalent else ""
        cfg.say(f"kmutate: [{i}/{len(todo)}] {rec['outcome'].upper()}{mark} {m.id} {m.where} "
                f"build {rec['build_s']:.0f}s boot {rec.get('boot_s', 0):.0f}s"
                f"{(': ' + rec['why'][:150]) if rec.get('why') else ''} | elapsed "
                f"{hms(time.monotonic() - t0)}, about {hms(eta)} left")
    return read_records(jsonl)


def carry(results: Path, records: list[dict]) -> None:
    """Write records of an earlier run into results/results.jsonl, those not there yet."""
    results.mkdir(parents=True, exist_ok=True)
    jsonl = results / "results.jsonl"
    have = done_ids(jsonl)
    with open(jsonl, "a") as f:
        for r in records:
            if r["id"] not in have:
                f.write(json.dumps(r) + "\n")


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
