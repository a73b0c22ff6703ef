"""The virtme-ng backend: find or fetch vng, build a tree with `vng -b`, run the cases in it.

vng comes from UBC_VNG (a vng executable), the PATH, or Debian's virtme-ng package (pinned in
deps.conf, Architecture: all) fetched with scripts/papt into <cache>/vng/<version>/ and run
with PYTHONPATH set to it. Facts it is built on (docs/bisect/README.md has the measurements):
- vng takes an openable /dev/kvm as usable KVM: pass --disable-kvm when the suite's own KVM
  probe boot failed (runner.qemu.detect_accel).
- its root filesystem is the host's, shared by 9p (or virtiofs with a virtiofsd, which bookworm
  does not have): a kernel without 9p (Debian's cloud kernels) cannot run under vng; a kernel
  built by `vng -b` has 9p built in.
- without udev on the host the guest's virtio-serial ports are not linked: vng exits 255 even
  when the command succeeded. It also exits 255 on a guest panic. The console tells them
  apart: the guest's "done" line after a complete KTAP document, panic text, or nothing.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from runner.core import env as ubc_env
from runner.core.paths import TOP
from runner.guest import GUEST_DONE
from runner.kernel import qemu, steps
from runner.kernel.cache import cache_dir, locked
from runner.kernel.resolve import FetchError, papt

PKG = "virtme-ng"


class VngError(FetchError):
    """vng cannot be used here (not installed and not fetchable, broken): the run cannot run
    what was asked (exit 3; a bisect step: 128)."""


def pinned() -> str:
    for line in (TOP / "deps.conf").read_text().splitlines():
        if line.startswith("VIRTME_NG_VERSION="):
            return line.split("=", 1)[1].strip().strip('"')
    return ""


def _extract(deb: Path, dest: Path) -> None:
    """Bounded and group-killed as every extraction (kernel/steps.py): a full disk or a stuck
    dpkg-deb is one line, never a hang."""
    try:
        steps.extract_tree(deb, dest)
    except steps.StepError as e:
        raise VngError(str(e)) from None


def find() -> tuple[list[str], dict[str, str], str]:
    """(argv prefix, extra environment, description) of a usable vng."""
    exe = ubc_env.get("UBC_VNG") or shutil.which("vng")
    if exe:
        return [exe], {}, f"vng {exe}"
    version = pinned()
    if not version:
        raise VngError("no vng on PATH and deps.conf pins no VIRTME_NG_VERSION")
    d = cache_dir() / "vng" / version
    with locked("vng"):
        if not (d / ".done").exists():
            tmp = d.with_name(d.name + f".tmp{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                out = papt("download", f"{PKG}={version}", str(tmp)).strip().splitlines()[-1]
                _extract(Path(out), tmp / "root")
                Path(out).unlink()
                (tmp / ".done").write_text(version + "\n")
                shutil.rmtree(d, ignore_errors=True)
                os.replace(tmp, d)
            except FetchError as e:
                raise VngError(f"cannot fetch {PKG} {version}: {e}") from None
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    root = d / "root" / "usr"
    env = {"PYTHONPATH": str(root / "lib" / "python3" / "dist-packages"),
           "PATH": f"{root / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    return ["/usr/bin/python3", str(root / "bin" / "vng")], env, f"vng {version} from {d}"


def check(argv: list[str], env: dict[str, str]) -> None:
    """vng --version runs, or VngError with its last line."""
    try:
        cp = subprocess.run(argv + ["--version"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, **env})
    except (OSError, subprocess.SubprocessError) as e:
        raise VngError(f"vng does not start: {e}") from None
    if cp.returncode != 0:
        last = (cp.stderr.strip().splitlines() or ["no output"])[-1]
        raise VngError(f"vng does not start (exit {cp.returncode}): {last[:200]}")


VIRTIOFSD = ("/usr/libexec/virtiofsd", "/usr/lib/virtiofsd", "/usr/lib/qemu/virtiofsd")


def _built_in(config: Path | None, *symbols: str) -> bool | None:
    if config is None or not config.exists():
        return None
    have = set(config.read_text(errors="replace").splitlines())
    return all(f"{s}=y" in have for s in symbols)


def unusable(kernel) -> str | None:
    """Why vng cannot boot this kernel with the host's root (None: it can). vng shares the root
    by virtiofs (a virtiofsd on the host and CONFIG_VIRTIO_FS) or 9p (CONFIG_NET_9P, 9P_FS)."""
    if _built_in(kernel.config, "CONFIG_NET_9P", "CONFIG_NET_9P_VIRTIO", "CONFIG_9P_FS"):
        return None
    fsd = shutil.which("virtiofsd") or next((p for p in VIRTIOFSD if os.path.exists(p)), None)
    if fsd and _built_in(kernel.config, "CONFIG_VIRTIO_FS"):
        return None
    if kernel.config is None:
        return f"vng: cannot tell whether {kernel.label} has 9p (no .config beside it)"
    return (f"vng: {kernel.label} has no 9p (CONFIG_NET_9P unset)"
            + ("" if fsd else " and this machine has no virtiofsd") + ", so vng cannot share the root")


def make_boot(kr, image: Path, log):
    """A boot function for runner.kernel_run.run_cases that runs the remaining cases in vng."""
    argv, env, desc = find()
    check(argv, env)
    log.write(f"### ubc-runner: backend {desc}\n")

    def boot_fn(remaining, on_line):
        on_line = kr._tee(on_line)
        # vng passes --exec on the kernel command line (base64): a long list of cases would
        # overflow it and cut the root's options off. The host's filesystem is the guest's.
        script = kr.outdir / "vng-guest.sh"
        script.write_text(guest_script(kr.opts.build.resolve(), remaining, kr.opts.case_timeout) + "\n")
        cmd = run_cmd(argv, image, f"sh {shlex.quote(str(script.resolve()))}", kr.accel, "1G", kr.outdir,
                      "loglevel=5 oops=panic mitigations=off " + kr.opts.extra_append)
        allow = kr.opts.allowance(kr.accel)
        b = boot(cmd, env, allow + len(remaining) * (kr.opts.case_timeout + 5),
                 max(allow, kr.opts.case_timeout + 30), on_line, log)
        kr.runs.append(b)
        return b
    return boot_fn


# What `--vng --config tinyconfig` leaves out of the options vng's configkernel asks for: what
# the cases never use and that costs build time (debug info, graphics, sound, KVM host
# modules, tracing and BPF, snaps).
HEAVY = ("CONFIG_DEBUG_INFO", "CONFIG_DRM", "CONFIG_SND", "CONFIG_SOUND", "CONFIG_KVM=",
         "CONFIG_KVM_INTEL", "CONFIG_KVM_AMD", "CONFIG_BPF", "CONFIG_FTRACE", "CONFIG_FUNCTION_TRACER",
         "CONFIG_DYNAMIC_FTRACE", "CONFIG_KPROBE", "CONFIG_UPROBE", "CONFIG_SQUASHFS",
         "CONFIG_CGROUP_BPF", "CONFIG_FB", "CONFIG_FRAMEBUFFER", "CONFIG_VGA_CONSOLE")


def config_items(argv: list[str], env: dict[str, str], tree: Path) -> list[str]:
    """The options vng's own configuration sets (`vng --kconfig --dry-run` prints them),
    without HEAVY: laid on tinyconfig with the suite's fragment, they make a small kernel
    that vng can boot (9p root, virtio console)."""
    try:
        cp = subprocess.run(argv + ["--kconfig", "--dry-run"], cwd=tree, capture_output=True,
                            text=True, timeout=120, env={**os.environ, **env})
    except (OSError, subprocess.SubprocessError) as e:
        raise VngError(f"vng --kconfig --dry-run: {e}") from None
    items = [l.strip() for l in cp.stdout.splitlines() if l.startswith("CONFIG_")]
    if cp.returncode != 0 or not items:
        raise VngError(f"vng --kconfig --dry-run printed no options (exit {cp.returncode})")
    # vng's list assumes defconfig's menus; tinyconfig turns the virtio menu off, which
    # would silently drop virtio-pci (and with it the 9p root: "no channels available").
    return ["CONFIG_VIRTIO_MENU=y"] + [l for l in items if not l.startswith(HEAVY)]


def build_cmd(argv: list[str], out: Path, fragment: Path) -> list[str]:
    """`vng -b` into O=out: vng's own minimal config (9p, virtio...) plus the suite's fragment,
    made once (vng keeps an existing .config), then an incremental make."""
    return argv + ["-b", "--skip-modules", "--config", str(fragment), f"O={out}"]


def run_cmd(argv: list[str], kernel: Path, script: str, accel: str, memory: str,
            rwdir: Path, append: str) -> list[str]:
    """vng running `script` in the guest, the boot console on (for panic text), stderr merged
    into stdout by the caller."""
    cmd = argv + ["-r", str(kernel), "--skip-modules", "--verbose", "--memory", memory, "--cpus", "1",
                  "--rwdir", str(rwdir), "--append", append, "--exec", script]
    if accel != "kvm":
        cmd.insert(len(argv), "--disable-kvm")
    return cmd


def guest_script(build: Path, cases: list[str], timeout: int) -> str:
    """Run the case binaries from the host's tree (shared by 9p) and print the done mark the
    runner's console reader looks for."""
    bins = " ".join(shlex.quote(str(build / "bin" / c)) for c in cases)
    rc = shlex.quote(str(build / "bin" / "run-cases.sh"))
    return f"{rc} -t {timeout} {bins}; echo \"{GUEST_DONE} exit $?\""


def boot(cmd: list[str], env: dict[str, str], deadline: float, silence: float, on_line, log):
    """Run vng like a QEMU boot (runner.qemu.run streams it), then read its exit status
    against the console: 255 after the guest's done line is a success without host udev;
    255 with panic text is the kernel's crash; 255 with no console at all is vng failing."""
    wrapped = ["/usr/bin/env"] + [f"{k}={v}" for k, v in env.items()] + [
        "sh", "-c", 'exec "$@" 2>&1', "sh"] + cmd
    log.write(f"### ubc-runner: vng: {' '.join(cmd)}\n")
    log.flush()
    b = qemu.run(wrapped, deadline, silence, on_line=on_line, log=log,
                 ended=getattr(on_line, "ended", None))
    fix_exit(b, on_line.seen())
    log.write(f"### ubc-runner: vng ended after {b.seconds}s: {b.end_reason or 'done'} "
              f"(vng exit {b.exit_code})\n")
    log.flush()
    return b


def fix_exit(b, run) -> None:
    """vng's exit status is not the guest's: decide from the console as the run's one
    streaming parse read it (`run`: its done, panicked and plan; see the module doc)."""
    if b.end_reason in ("timeout", "interrupted"):
        return
    if run.done and b.exit_code not in (None,) and b.exit_code >= 0:
        b.end_reason, b.host_fault = None, None
        return
    if run.panicked:
        root = next((l for l in b.console if "Unable to mount root fs" in l
                     or "no channels available" in l), None)
        if root and run.plan is None:
            # vng's 9p root did not mount: the kernel lacks what vng needs, not the commit's doing
            b.end_reason = "panic"
            b.host_fault = (f"vng could not give the guest the host's root ({root.strip()[:120]}): "
                            "this kernel lacks 9p or virtio-pci")
            return
        b.end_reason, b.host_fault = "panic", None
        return
    if not b.console:
        b.end_reason = f"vng exit {b.exit_code}"
        b.host_fault = f"vng exit {b.exit_code} with no output at all (vng itself failed)"
        return
    b.end_reason = f"vng exit {b.exit_code}"
    last = next((l for l in reversed(b.console) if l.strip()), "")
    b.host_fault = (f"vng exit {b.exit_code} without the guest's done line or a panic: "
                    f"{last.strip()[:160]}")

