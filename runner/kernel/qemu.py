"""Boot one kernel + initramfs in qemu-system-x86_64 and stream its serial console.

The guest's init (runner/guest/init) prints "# ubc-guest: done" and powers off (QEMU exits 0).
A panic (panic=-1 with -no-reboot) also ends QEMU with 0, so the marker tells them apart.
(Debian's kernels lack CONFIG_DEVPORT, so isa-debug-exit cannot be reached from busybox.)
"""
from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from runner.core import env
from runner.guest import GUEST_ALIVE, GUEST_DONE, GUEST_START

QEMU = env.get("UBC_QEMU", "qemu-system-x86_64")
# arm64 guests: qemu-system-aarch64 -M virt -cpu max (TCG on an x86_64 host), PL011 console.
QEMU_ARM64 = env.get("UBC_QEMU_ARM64", "qemu-system-aarch64")
DONE_MARK, START_MARK, ALIVE_MARK = GUEST_DONE, GUEST_START, GUEST_ALIVE
# loglevel=5 keeps KERN_WARNING and worse (WARN, Oops, BUG, panic, lockups, KASAN...) on the
# console, interleaved with the KTAP lines; the parser tells the two apart. oops=panic: after
# an Oops the kernel is not trusted any more, so the boot ends (panic=-1 + -no-reboot) and the
# cases left run in a fresh one. mitigations=off cryptomgr.notests: faster TCG boots.
# No tsc=reliable: on a loaded host the guest's PIT calibration of the TSC can be 10x off
# ("PIT calibration deviates from HPET", and the kernel trusts the PIT); then the guest's
# clock runs 10x fast and the cases' timeouts fire early, unless the clocksource watchdog
# (which tsc=reliable turns off) finds the skew and moves to the HPET.
BASE_CMDLINE = ("console=ttyS0 loglevel=5 panic=-1 oops=panic mitigations=off "
                "cryptomgr.notests nokaslr rdinit=/init")
# arm64 (-M virt): the PL011 UART is ttyAMA0; no TSC.
BASE_CMDLINE_ARM64 = ("console=ttyAMA0 loglevel=5 panic=-1 oops=panic mitigations=off "
                      "cryptomgr.notests nokaslr rdinit=/init")


def binary(arch: str = "x86_64") -> str:
    """The QEMU system emulator of a guest architecture."""
    return QEMU_ARM64 if arch == "arm64" else QEMU


@dataclass
class Boot:
    """What one VM run produced."""
    console: list[str] = field(default_factory=list)
    exit_code: int | None = None
    end_reason: str | None = None   # None = init said done; "timeout", "panic", "qemu exit N",
    #                                 "qemu killed by signal N", "interrupted"
    timed_out: bool = False         # the runner killed it (deadline or silence)
    host_fault: str | None = None   # the boot ended for a reason on the host's side (QEMU
    #                                 killed or failing, Ctrl-C): not the kernel's doing
    seconds: float = 0.0
    stderr: str = ""
    command: list[str] = field(default_factory=list)


def qemu_version(arch: str = "x86_64") -> str:
    try:
        out = subprocess.run([binary(arch), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "absent"
    m = re.search(r"version (\S+)", out)
    return m.group(1) if m else out.strip()


# TCG runs `rep movsb`/`rep stosb` a byte at a time, and with ERMS/FSRM the guest kernel
# (clear_page, copy_to/from_user) and glibc (memset/memcpy past 2 KiB) use them for every
# large copy: without the two flags they copy 8 or 16 bytes an instruction. 7.3, all cases,
# one vCPU: the cases' time 17.0 s -> 14.0 s, regbuf_huge_fixed_rw 2.1 s -> 0.9 s
# (docs/speed.md). What the suite tests does not depend on how the kernel copies.
TCG_X86_CPU = "max,erms=off,fsrm=off"


def command(image: Path, initrd: Path, append: str, accel: str = "tcg", machine: str = "pc",
            memory: str = "512M", smp: int = 1, arch: str = "x86_64") -> list[str]:
    """The QEMU command line. `image` is a PVH vmlinux (fast) or a bzImage; for arm64 an
    Image (raw, gzip or EFI zboot: QEMU unpacks it) on -M virt."""
    cpu = "host" if accel == "kvm" else "max"
    if accel == "tcg" and arch == "x86_64":
        cpu = TCG_X86_CPU
    # Several vCPUs under TCG: one host thread each (MTTCG), not one thread taking turns.
    accel = f"{accel},thread=multi" if accel == "tcg" and smp > 1 else accel
    if arch == "arm64":
        # -M virt's PL011 is the first serial port; no firmware (QEMU loads the Image itself).
        return [QEMU_ARM64, "-M", "virt", "-accel", accel, "-cpu", cpu, "-m", memory,
                "-smp", str(smp), "-nodefaults", "-display", "none", "-serial", "stdio",
                "-monitor", "none", "-no-reboot",
                "-kernel", str(image), "-initrd", str(initrd), "-append", append]
    return [QEMU, "-M", machine, "-accel", accel, "-cpu", cpu, "-m", memory, "-smp", str(smp),
            "-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none",
            "-no-reboot",
            # SeaBIOS would print escape sequences on the serial port; port 0 silences it.
            "-fw_cfg", "name=etc/sercon-port,string=0",
            "-kernel", str(image), "-initrd", str(initrd), "-append", append]


def cmdline(cases: list[str] | None = None, timeout: int | None = None, probe: bool = False,
            extra: str = "", arch: str = "x86_64", jobs: int = 1) -> str:
    """The kernel command line; jobs > 1: the guest runs that many cases at once."""
    parts = [BASE_CMDLINE_ARM64 if arch == "arm64" else BASE_CMDLINE]
    if probe:
        parts.append("ubc.probe=1")
    if cases:
        parts.append("ubc.cases=" + ",".join(cases))
    if timeout:
        parts.append(f"ubc.timeout={timeout}")
    if jobs > 1:
        parts.append(f"ubc.jobs={jobs}")
    if extra:
        parts.append(extra)
    return " ".join(parts)


def probe_end(console: list[str], exit_code: int | None, timed_out: bool) -> str | None:
    """How a probe boot ended (no console reader there): None when its guest said alive and
    QEMU exited 0. A run's boots are told by the caller's streaming parse (`ended`)."""
    if timed_out:
        return "timeout"
    if exit_code == 0 and any(line.startswith((ALIVE_MARK, DONE_MARK)) for line in console):
        return None
    return f"qemu killed by signal {-exit_code}" if exit_code is not None and exit_code < 0 \
        else f"qemu exit {exit_code}"


def host_fault(reason: str | None, exit_code: int | None, stderr: str) -> str | None:
    """Why a boot ended on the host's side, or None when the guest ended it (done, panic,
    a kernel that powered off early) or the runner's timeout did (a hang is the kernel's).
    QEMU exits 0 for everything a guest can do with -no-reboot; a non-zero exit or a signal
    is QEMU failing or being killed."""
    if reason is None or reason in ("timeout", "panic"):
        return None
    if reason == "interrupted":
        return "interrupted"
    if exit_code == 0:
        return None
    last = next((l for l in reversed(stderr.strip().splitlines()) if l.strip()), "")
    what = reason.replace("qemu", "QEMU", 1)
    return f"{what} on the host side, not a kernel crash" + (f": {last[:200]}" if last else "")


def _stopped_on_host(pid: int) -> bool:
    """Is the process stopped (state T: SIGSTOP, a debugger) rather than silent?"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("T", "t")
    except (OSError, IndexError):
        return False


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL when the runner dies, even by kill -9."""
    import ctypes
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class tracked:
    """with tracked(proc): a child that kill_running() kills on Ctrl-C / SIGTERM."""

    def __init__(self, proc):
        self.proc = proc

    def __enter__(self):
        with _running_lock:
            _running.add(self.proc)
        if _stopping.is_set():
            _kill(self.proc)
        return self.proc

    def __exit__(self, exc_type, *exc):
        # Left by an exception (Ctrl-C, SIGTERM raised as KeyboardInterrupt) while the child
        # runs: nobody waits for it any more, so its group dies now. Discarding it first
        # would hide it from kill_running() and leave e.g. a kernel build's sub-makes running.
        if exc_type is not None and self.proc.poll() is None:
            _kill(self.proc)
        with _running_lock:
            _running.discard(self.proc)
        return False


def _kill(proc) -> None:
    """SIGKILL the child's process group and every process of its session: a case that
    coreutils' timeout moved to a group of its own is still in the session."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in session_members(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def session_members(sid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 3 and fields[3] == str(sid):  # field 6 of stat: the session id
            out.append(int(d))
    return out


def run(cmd: list[str], deadline: float, silence: float,
        on_line: Callable[[str], None] | None = None, log=None,
        on_spawn: Callable[[subprocess.Popen], None] | None = None,
        ended: Callable[[int | None, bool], str | None] | None = None) -> Boot:
    """Run QEMU, handing each console line to on_line as it arrives. Kill it when the
    whole run exceeds `deadline` seconds or the console stays silent for `silence` seconds.
    on_spawn gets the process (the tests use it to kill a VM mid-run). ended(exit code, timed
    out) says how the boot ended from the caller's parse of the lines it was handed (the
    console is parsed once, as it streams); without it, as a probe boot (probe_end)."""
    b = Boot(command=cmd)
    if _stopping.is_set():
        b.end_reason = b.host_fault = "interrupted"
        return b
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as errf:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=errf, start_new_session=True, preexec_fn=die_with_parent)
        with _running_lock:
            _running.add(proc)
        if on_spawn:
            on_spawn(proc)
        fd = proc.stdout.fileno()
        buf = b""
        last = t0
        timed_out = stopped = False

        def emit(raw: bytes):
            line = raw.decode("utf-8", "replace").replace("\r", "")
            b.console.append(line)
            if log:
                log.write(line + "\n")
                log.flush()
            if on_line:
                on_line(line)

        while True:
            now = time.monotonic()
            left = min(t0 + deadline - now, last + silence - now)
            if left <= 0:
                timed_out = True
                stopped = _stopped_on_host(proc.pid)
                break
            r, _, _ = select.select([fd], [], [], min(left, 0.5))
            if not r:
                if proc.poll() is not None:
                    # Gone, even if something it started still holds the pipe: take what
                    # is already written and stop.
                    while select.select([fd], [], [], 0.1)[0]:
                        chunk = os.read(fd, 65536)
                        if not chunk:
                            break
                        buf += chunk
                    break
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            last = time.monotonic()
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                emit(raw)
        lines = buf.split(b"\n")
        for raw in lines[:-1] + ([lines[-1]] if lines[-1] else []):
            emit(raw)
        if timed_out:
            os.killpg(proc.pid, signal.SIGKILL)
        try:
            b.exit_code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            b.exit_code = proc.wait()
        with _running_lock:
            _running.discard(proc)
        try:  # whatever is left of its process group
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.stdout.close()
        errf.seek(0)
        # SeaBIOS reads etc/sercon-port; QEMU warns about the name on every boot.
        b.stderr = "".join(l for l in errf.read().decode("utf-8", "replace").splitlines(True)
                           if "sercon-port" not in l)
    b.seconds = round(time.monotonic() - t0, 2)
    b.timed_out = timed_out
    b.end_reason = ended(b.exit_code, timed_out) if ended else probe_end(b.console, b.exit_code, timed_out)
    if stopped:  # SIGSTOP on the host froze it: silence that says nothing of the kernel
        b.end_reason, b.stderr = "qemu stopped", b.stderr + "stopped (SIGSTOP) on the host\n"
    if _stopping.is_set() and b.end_reason is not None:
        b.end_reason = "interrupted"
    b.host_fault = host_fault(b.end_reason, b.exit_code, b.stderr)
    return b


_running: set = set()
_running_lock = threading.Lock()


_stopping = threading.Event()


def kill_running() -> None:
    """Kill every VM (and host case run) this process started that is still running, and
    start no more (Ctrl-C, SIGTERM)."""
    _stopping.set()
    with _running_lock:
        procs = list(_running)
    for p in procs:
        _kill(p)


def stopping() -> bool:
    return _stopping.is_set()


_accel_cache: dict[str, str] = {}
_accel_lock = threading.Lock()
ACCEL_TTL = 24 * 3600  # a probe verdict is reused for a day (a failing probe costs its timeout)


def kvm_usable() -> bool:
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def _accel_key() -> str:
    model = ""
    try:
        model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                      if l.startswith("model name")), "")
    except OSError:
        pass
    return f"{qemu_version()}|{os.uname().release}|{model}"


def detect_accel(image: Path, initrd: Path, machine: str = "pc", timeout: float = 15,
                 cache_file: Path | None = None) -> tuple[str, str]:
    """('kvm' | 'tcg', why). KVM only counts if a real short boot reaches the guest's init:
    on nested hypervisors /dev/kvm exists but guests abort, hang or crawl. The verdict is
    kept in memory and, for a day, in cache_file (same QEMU, host kernel and CPU)."""
    with _accel_lock:  # kernels booting in parallel share one probe
        return _detect_accel(image, initrd, machine, timeout, cache_file)


def _detect_accel(image, initrd, machine, timeout, cache_file) -> tuple[str, str]:
    if "accel" in _accel_cache:
        return _accel_cache["accel"], _accel_cache["why"]
    if not kvm_usable():
        accel, why = "tcg", "no usable /dev/kvm"
        _accel_cache.update(accel=accel, why=why)
        return accel, why
    key = _accel_key()
    if cache_file is not None and cache_file.exists():
        try:
            data = json.loads(cache_file.read_text())
            if data.get("key") == key and time.time() - data.get("time", 0) < ACCEL_TTL:
                _accel_cache.update(accel=data["accel"], why=data["why"] + " (cached verdict)")
                return _accel_cache["accel"], _accel_cache["why"]
        except (ValueError, KeyError):
            pass
    b = run(command(image, initrd, cmdline(probe=True), accel="kvm", machine=machine),
            deadline=timeout, silence=timeout)
    if b.end_reason is None:
        accel, why = "kvm", f"KVM probe boot took {b.seconds:.1f}s"
    else:
        errs = [l for l in b.stderr.strip().splitlines() if "warning:" not in l]
        detail = f": {errs[-1][:120]}" if errs else ""
        accel, why = "tcg", f"KVM probe boot failed ({b.end_reason}{detail})"
    _accel_cache.update(accel=accel, why=why)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp%d" % os.getpid())
        tmp.write_text(json.dumps({"key": key, "time": time.time(), "accel": accel, "why": why}))
        tmp.replace(cache_file)
    return accel, why
