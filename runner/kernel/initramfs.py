"""The guest's initramfs: an uncompressed cpio (newc) written with the standard library.

Contents: /bin/busybox (static, Debian's busybox-static) with /bin/sh, /init (runner/guest/init),
/ubc/bin/<case binaries> + run-cases.sh, /ubc/cases (their order), /ubc/order (the order they
start in when several run at once: runner/kernel/order.py), /ubc/versions.txt (banner
lines), and empty mount points. A case binary that is a symlink (build/bin/<name> ->
../multi/ubc-cases, the multi-call binary that runs the case its name says) stays a symlink:
its target is stored once, as /ubc/multi/<target's name>, and /ubc/bin/<name> points there.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path

from runner.core import env
from runner.core.paths import GUEST, TOP
from runner.kernel.cache import (CacheError, cache_dir, damage, discard, locked, notice, publish,
                                 sha256, work_dir, write_atomic)
from runner.kernel.resolve import FetchError, papt
from runner.kernel.steps import StepError, extract
from runner.kernel.order import order_text as longest_first_text

GUEST_INIT = GUEST / "init"
# Debian's busybox-static, fetched through scripts/papt so every machine uses the same one.
# Falls back to the newest served if this one is gone, then to /bin/busybox if static.
BUSYBOX_PKG = "busybox-static"


def _pinned_busybox() -> str:
    """UBC_BUSYBOX_VERSION, else BUSYBOX_VERSION= in deps.conf (where every pin lives)."""
    v = env.get("UBC_BUSYBOX_VERSION")
    conf = TOP / "deps.conf"
    for line in conf.read_text().splitlines() if not v else []:
        if line.startswith("BUSYBOX_VERSION="):
            v = line.split("=", 1)[1].strip().strip('"')
    return v or ""


BUSYBOX_VERSION = _pinned_busybox()


class CpioWriter:
    """SVR4 'newc' format without CRC: a 110-byte ASCII header, the name, data, 4-byte padding."""

    def __init__(self, out):
        self.out = out
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", nlink: int = 1) -> None:
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out.write(hdr + name_b)
        self.out.write(b"\0" * (-(len(hdr) + len(name_b)) % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-len(data) % 4))

    def dir(self, name: str, perm: int = 0o755) -> None:
        self._entry(name, stat.S_IFDIR | perm, nlink=2)

    def file(self, name: str, data: bytes, perm: int = 0o755) -> None:
        self._entry(name, stat.S_IFREG | perm, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def trailer(self) -> None:
        self.ino = 0
        self._entry("TRAILER!!!", 0)


def parse_cpio(data: bytes) -> list[tuple[str, int, bytes]]:
    """(name, mode, data) of each entry: for the tests, and to check what was written."""
    out, pos = [], 0
    while True:
        hdr = data[pos:pos + 110]
        assert hdr[:6] == b"070701", f"bad magic at {pos}"
        f = [int(hdr[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = f[1], f[6], f[11]
        pos += 110
        name = data[pos:pos + namesize - 1].decode()
        pos += namesize
        pos += -pos % 4
        body = data[pos:pos + size]
        pos += size
        pos += -pos % 4
        if name == "TRAILER!!!":
            return out
        out.append((name, mode, body))


# ELF e_machine of each guest architecture.
E_MACHINE = {"x86_64": 0x3e, "arm64": 0xb7}


def elf_arch(path: Path) -> str | None:
    """x86_64 or arm64 for a 64-bit ELF of one of them, else None."""
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        return None
    if head[:4] != b"\x7fELF" or len(head) < 20:
        return None
    m = int.from_bytes(head[18:20], "little")
    return next((a for a, n in E_MACHINE.items() if n == m), None)


def is_static(path: Path, arch: str | None = None) -> bool:
    """An ELF with no PT_INTERP program header (no dynamic loader needed); of `arch` when
    one is given."""
    if arch is not None and elf_arch(path) != arch:
        return False
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:
            return False
        phoff = int.from_bytes(head[32:40], "little")
        phentsize = int.from_bytes(head[54:56], "little")
        phnum = int.from_bytes(head[56:58], "little")
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return all(int.from_bytes(table[i:i + 4], "little") != 3 for i in range(0, len(table), phentsize))


def busybox(arch: str = "x86_64") -> tuple[Path, str]:
    """(path, description) of a static busybox, cached under <cache>/busybox/ (arm64's
    under <cache>/busybox-arm64/; once, under the cache's lock, so two runs on an empty cache
    do not trip over each other)."""
    name = "busybox" if arch == "x86_64" else f"busybox-{arch}"
    d = cache_dir() / name
    with locked(name):
        try:
            m = json.loads((d / "meta.json").read_text())
            if is_static(d / "busybox", arch):
                return d / "busybox", m["desc"]
        except (OSError, ValueError, KeyError):
            pass
        with work_dir(d) as tmp:  # removed however this ends, swept if we die
            desc = _fetch_busybox(tmp, arch)
            try:
                os.replace(tmp / "busybox", d / "busybox")
                write_atomic(d / "meta.json", json.dumps({"desc": desc}).encode())
            except OSError as e:
                raise CacheError(f"cannot write the cache {d}: {e.strerror}") from None
        return d / "busybox", desc


def _fetch_busybox(tmp: Path, arch: str = "x86_64") -> str:
    """Put a static busybox at tmp/busybox: the pinned Debian package (the newest served if
    the pin is gone), else the system's /bin/busybox if it is static (and of `arch`)."""
    try:
        if not BUSYBOX_VERSION:
            raise FetchError("deps.conf pins no BUSYBOX_VERSION")
        version = papt("pick", BUSYBOX_PKG, BUSYBOX_VERSION, arch=arch).strip()
        warn = "" if version == BUSYBOX_VERSION else f" (pinned {BUSYBOX_VERSION} not served)"
        deb = Path(papt("download", f"{BUSYBOX_PKG}={version}", str(tmp), arch=arch
                        ).strip().splitlines()[-1])
        digest = sha256(deb)[:16]
        try:
            extract(deb, lambda name: "busybox" if name.lstrip("./") == "bin/busybox" else None, tmp)
        except StepError as e:
            raise FetchError(str(e)) from None
        if not is_static(tmp / "busybox", arch):
            raise FetchError(f"{deb.name} holds no static {arch} bin/busybox")
        (tmp / "busybox").chmod(0o755)
        what = "" if arch == "x86_64" else f" {arch}"
        return f"busybox {BUSYBOX_PKG}{what} {version} (sha256 {digest}){warn}"
    except (FetchError, OSError) as e:
        sysbb = Path(shutil.which("busybox") or "/bin/busybox")
        if not (sysbb.exists() and is_static(sysbb, arch)):
            raise FetchError(f"no static busybox: {e}; install busybox-static") from e
        shutil.copy(sysbb, tmp / "busybox")
        return f"busybox from {sysbb} (sha256 {sha256(sysbb)[:16]})"


def layout(binaries: list[Path]) -> tuple[list[tuple[str, Path | str]], list[tuple[str, Path]]]:
    """Where the binaries go: ([(name in /ubc/bin, its file, or for a symlink the link's
    target)], [(name in /ubc/multi, file)]). A symlink's target file is stored once however
    many binaries point to it (the multi-call binary: one copy of glibc and liburing for
    every case, and the case still sees its own name in argv[0]); two different targets
    with one name get distinct names."""
    bins: list[tuple[str, Path | str]] = []
    multi: dict[Path, str] = {}
    for b in binaries:
        if not b.is_symlink():
            bins.append((b.name, b))
            continue
        real = b.resolve()
        if real not in multi:
            taken = set(multi.values())
            name, n = real.name, 1
            while name in taken:
                n += 1
                name = f"{real.name}.{n}"
            multi[real] = name
        bins.append((b.name, f"../multi/{multi[real]}"))
    return bins, [(name, real) for real, name in multi.items()]


def build(out: Path, binaries: list[Path], run_cases: Path, versions: list[str],
          busybox_path: Path, init: Path = GUEST_INIT, order: str = "") -> Path:
    """Write the initramfs to `out`. Every binary goes to /ubc/bin/<basename> (a symlink
    there for one that is a symlink, see layout); /ubc/cases lists them in run order (the
    guest's ubc.only= ranges index it); /ubc/order is run-cases.sh -o's file (the order
    cases start in when several run at once: runner/kernel/order.py)."""
    bins, multi = layout(binaries)
    with open(out, "wb") as f:
        w = CpioWriter(f)
        for d in ("bin", "dev", "proc", "sys", "tmp", "ubc", "ubc/bin", "ubc/multi"):
            w.dir(d)
        w.file("bin/busybox", busybox_path.read_bytes())
        w.symlink("bin/sh", "busybox")
        w.file("init", init.read_bytes())
        w.file("ubc/bin/run-cases.sh", run_cases.read_bytes())
        w.file("ubc/versions.txt", "".join(v + "\n" for v in versions).encode(), 0o644)
        w.file("ubc/cases", "".join(b.name + "\n" for b in binaries).encode(), 0o644)
        w.file("ubc/order", order.encode(), 0o644)
        for name, real in multi:
            w.file(f"ubc/multi/{name}", real.read_bytes())
        for name, what in bins:
            if isinstance(what, str):
                w.symlink(f"ubc/bin/{name}", what)
            else:
                w.file(f"ubc/bin/{name}", what.read_bytes())
        w.trailer()
    return out


def case_binaries(build: Path, cases: list[str], extra: list[Path] = ()) -> list[Path]:
    bins = [build / "bin" / c for c in cases]
    missing = [str(b) for b in bins if not b.is_file()]
    if missing:
        raise FetchError(f"case binaries missing (run make): {', '.join(missing)}")
    return bins + list(extra)


def versions_lines(build: Path, extra: list[str] = ()) -> list[str]:
    f = build / "versions.txt"
    lines = f.read_text().splitlines() if f.exists() else []
    return lines + list(extra)


KEEP = 8  # initramfs images kept in the cache (the newest by use)


class Initramfs:
    """The initramfs of a run, shared by every kernel: built on first use into the cache,
    named by the hash of what goes in, so an unchanged suite reuses it and a killed run
    leaves nothing behind in its results folder."""

    def __init__(self, opts, cases: list[str], arch: str = "x86_64"):
        """opts.build: the build of `arch` (build-arm64/ for arm64 guests)."""
        self.opts, self.cases, self.arch = opts, cases, arch
        self.path: Path | None = None
        self.busybox = ""
        self.order: list[str] = []
        self._lock = threading.Lock()
        self._hold = None  # a shared lock on the image while this run may boot it

    def get(self) -> Path:
        with self._lock:
            if self.path is not None and not self.path.exists():
                # Evicted all the same, by a run that does not honour the hold (an older
                # checkout sharing the cache): made again, not a kernel NOT RUN.
                notice(f"the cached initramfs {self.path} vanished: building it again")
                self.path = None
            if self.path is None:
                self.path = self._make()
            return self.path

    def _make(self) -> Path:
        bb, self.busybox = busybox(self.arch)
        bins = sorted(case_binaries(self.opts.build, self.cases, self.opts.extra_binaries),
                      key=lambda p: p.name)
        wrong = next((b for b in bins if elf_arch(b) not in (None, self.arch)), None)
        if wrong is not None:  # an exec format error in the guest would look like a crash
            raise FetchError(f"{wrong} is an {elf_arch(wrong)} binary, not {self.arch}: "
                             f"build {self.opts.build} for {self.arch} (make ARCH={self.arch})")
        self.order = [b.name for b in bins]
        run_cases = self.opts.build / "bin" / "run-cases.sh"
        versions = versions_lines(self.opts.build, [self.busybox])
        # What goes in, as build writes it: a symlink by its target's name, each target once.
        h = hashlib.sha256()
        for p in [GUEST_INIT, run_cases, bb]:
            h.update(p.name.encode() + b"\0" + p.read_bytes())
        links, multi = layout(bins)
        for name, real in multi:
            h.update(b"multi/" + name.encode() + b"\0" + real.read_bytes())
        for name, what in links:
            h.update(name.encode() + b"\0" + (b"-> " + what.encode() if isinstance(what, str)
                                               else what.read_bytes()))
        h.update("\n".join(versions).encode())
        order = longest_first_text([b.name for b in bins])
        h.update(b"order\0" + order.encode())
        out = cache_dir() / "initramfs" / f"{h.hexdigest()[:24]}.cpio"
        with locked("initramfs"):
            why = damage(out) if out.exists() else None
            if out.exists() and why is None:
                os.utime(out)
            else:
                if why:  # a cut one boots to "VFS: Unable to mount root fs" and blames the kernel
                    notice(f"the cached initramfs {out} {why}: building it again")
                _store(out, lambda tmp: build(tmp, bins, run_cases, versions, bb, order=order))
            self._hold = hold(out)  # taken under the lock: no other run evicts it from here on
        return out


def _store(out: Path, make) -> None:
    """make(tmp) writes the initramfs; it goes in place with its size and sha256 recorded,
    and only the KEEP newest stay."""
    d = out.parent
    d.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".cpio.", dir=d)
    os.close(fd)
    try:
        make(Path(tmp))
        publish(Path(tmp), out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    old = sorted(d.glob("*.cpio"), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in old[KEEP:]:
        if not held(p):  # another run is booting it: it stays until a later run's turn
            discard(p)


def hold(path: Path):
    """A shared lock on an image for as long as the returned file stays open (the run's
    lifetime): the KEEP rule then never takes an image a concurrent run still boots."""
    f = open(path, "rb")
    fcntl.flock(f, fcntl.LOCK_SH)
    return f


def held(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
    except OSError:
        return False
    return False
