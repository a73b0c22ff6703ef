"""Cached files that were cut or changed after they were made are not reused (issue 18,
faults 11 and 12): the initramfs (a cut one "panics" every later run: VFS: Unable to mount
root fs) and the PVH vmlinux made from a --kernel bzImage (a damaged one boots mute). Each
is checked against the size and sha256 recorded beside it, made again, and one line says so."""
import lzma
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from runner.kernel import initramfs, resolve
from runner.testing.fakes import bzimage_bytes, kernel_payload

TOP = Path(__file__).resolve().parents[3]


@pytest.fixture
def notices(tmp_path, monkeypatch):
    monkeypatch.setenv("UBC_CACHE", str(tmp_path / "cache"))
    said: list[str] = []
    monkeypatch.setattr(initramfs, "notice", said.append, raising=False)
    monkeypatch.setattr(resolve, "notice", said.append, raising=False)
    return said


def damage_it(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "cut":
        path.write_bytes(data[:len(data) // 2])
    else:  # the same size, one byte changed
        path.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])


# -- the initramfs -----------------------------------------------------------------------------

@pytest.fixture
def rootfs(tmp_path, monkeypatch):
    """An Initramfs maker over a fake build (two case binaries) and a fake busybox."""
    build = tmp_path / "build"
    (build / "bin").mkdir(parents=True)
    for name in ("case_a", "case_b"):
        (build / "bin" / name).write_bytes(b"\x7fELF case " + name.encode() * 500)
    (build / "bin" / "run-cases.sh").write_text("#!/bin/sh\n")
    (build / "versions.txt").write_text("liburing fake\n")
    bb = tmp_path / "busybox"
    bb.write_bytes(b"\x7fELF busybox" * 1000)
    monkeypatch.setattr(initramfs, "busybox", lambda arch="x86_64": (bb, "busybox fake"))
    opts = SimpleNamespace(build=build, extra_binaries=[])
    return lambda: initramfs.Initramfs(opts, ["case_a", "case_b"]).get()


@pytest.mark.parametrize("how", ["cut", "changed"])
def test_a_damaged_cached_initramfs_is_built_again(rootfs, notices, how):
    first = rootfs()
    whole = first.read_bytes()
    damage_it(first, how)
    again = rootfs()
    assert again == first and again.read_bytes() == whole
    assert [n for n, _, _ in initramfs.parse_cpio(again.read_bytes())][-1] == "ubc/bin/case_b"
    assert len(notices) == 1 and f"the cached initramfs {first} is damaged" in notices[0]


def test_a_whole_cached_initramfs_is_reused_quietly(rootfs, notices):
    first = rootfs()
    ino = first.stat().st_ino
    assert rootfs().stat().st_ino == ino and notices == []


def test_one_without_a_record_is_built_again(rootfs, notices):
    first = rootfs()
    first.with_name(first.name + ".sha256").unlink()  # as an older runner left it
    first.write_bytes(first.read_bytes()[:1000])
    assert rootfs().stat().st_size > 1000
    assert f"the cached initramfs {first} has no size and sha256 record" in notices[0]


# -- the PVH vmlinux of a --kernel bzImage -----------------------------------------------------

ELF = b"\x7fELF" + b"\x00" * 60 + b"....Xen\x00 PVH note" + bytes(range(256)) * 40


@pytest.mark.parametrize("how", ["cut", "changed"])
def test_a_damaged_cached_pvh_vmlinux_is_made_again(tmp_path, notices, how):
    img = tmp_path / "bzImage"
    img.write_bytes(bzimage_bytes(kernel_payload(lzma.compress(ELF), len(ELF))))
    k = resolve.resolve(str(img))
    assert k.pvh is not None and k.pvh.read_bytes() == ELF
    damage_it(k.pvh, how)
    k2 = resolve.resolve(str(img))
    assert k2.pvh == k.pvh and k2.pvh.read_bytes() == ELF
    assert len(notices) == 1 and f"the cached PVH vmlinux {k.pvh} of {img} is damaged" in notices[0]
    resolve.resolve(str(img))
    assert len(notices) == 1  # whole again: reused quietly


def test_a_notice_is_one_line_on_stderr():
    cp = subprocess.run([sys.executable, "-c", "from runner.kernel import cache; cache.notice('x y')"],
                        cwd=TOP, capture_output=True, text=True, timeout=30)
    assert cp.stderr == "ubc-runner: x y\n" and cp.stdout == ""
