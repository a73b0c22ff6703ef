"""A bzImage whose header is whole but whose payload does not decompress is bad input (issue
18, fault 13): one line, exit 2, before any boot, instead of a kernel that boots mute for the
whole boot allowance."""
import bz2
import gzip
import lzma
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner.kernel import bzimage
from runner.kernel.cache import cache_dir
from runner.testing.fakes import FAKE_ELF, bzimage_bytes, kernel_payload

TOP = Path(__file__).resolve().parents[3]
ELF = FAKE_ELF + bytes(range(256)) * 64  # long enough that a cut stream is clearly cut


def _tool(*cmd):
    def compress(data: bytes) -> bytes:
        return subprocess.run(list(cmd), input=data, capture_output=True, check=True).stdout
    return pytest.param(compress, marks=pytest.mark.skipif(not shutil.which(cmd[0]),
                                                           reason=f"no {cmd[0]}"), id=cmd[0])


COMPRESSORS = [pytest.param(gzip.compress, id="gzip"), pytest.param(bz2.compress, id="bzip2"),
               pytest.param(lambda d: lzma.compress(d, check=lzma.CHECK_CRC32), id="xz"),
               pytest.param(lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE), id="lzma"),
               _tool("zstd", "-q", "-c"), _tool("lz4", "-l", "-q", "-c")]  # lz4 -l: the kernel's


def write(tmp_path: Path, payload: bytes) -> Path:
    p = tmp_path / "bzImage"
    p.write_bytes(bzimage_bytes(payload))
    return p


@pytest.mark.parametrize("compress", COMPRESSORS)
def test_a_whole_payload_passes_and_gives_the_vmlinux(tmp_path, compress):
    p = write(tmp_path, kernel_payload(compress(ELF), len(ELF)))
    bzimage.check_bzimage(p)
    assert bzimage.decompress(bzimage.bzimage_payload(p.read_bytes())) == ELF


@pytest.mark.parametrize("compress", COMPRESSORS)
def test_a_cut_payload_is_not_a_bzimage(tmp_path, compress):
    stream = compress(ELF)
    p = write(tmp_path, kernel_payload(stream[:len(stream) // 2], len(ELF)))
    with pytest.raises(bzimage.NotABzImage, match=r"the bzImage's payload does not decompress "
                       r"\((gzip|bzip2|xz|lzma|zstd|lz4): .+\)$"):
        bzimage.check_bzimage(p)


@pytest.mark.parametrize("compress", [c for c in COMPRESSORS if c.id in ("gzip", "bzip2", "xz",
                                                                         "zstd")])
def test_a_corrupt_payload_is_not_a_bzimage(tmp_path, compress):
    """Formats with a checksum: a few bytes changed in the middle of the stream."""
    stream = bytearray(compress(ELF))
    mid = len(stream) // 2
    stream[mid:mid + 8] = bytes(b ^ 0x5A for b in stream[mid:mid + 8])
    p = write(tmp_path, kernel_payload(bytes(stream), len(ELF)))
    with pytest.raises(bzimage.NotABzImage, match="payload does not decompress"):
        bzimage.check_bzimage(p)
    assert bzimage.pvh_elf(p) == b""  # never a partial vmlinux to boot


@pytest.mark.parametrize("payload,why", [
    pytest.param(b"\x00" * 64, r"unknown format: it starts with 000000000000", id="zeros"),
    pytest.param(kernel_payload(lzma.compress(ELF), len(ELF) + 1),
                 r"xz: \d+ bytes out; the bzImage says \d+", id="size"),
    pytest.param(kernel_payload(gzip.compress(b"not an ELF" * 10), 100),
                 "gzip: it holds no ELF kernel", id="no-elf"),
])
def test_a_payload_that_is_no_kernel(tmp_path, payload, why):
    with pytest.raises(bzimage.NotABzImage, match=why):
        bzimage.check_bzimage(write(tmp_path, payload))


def test_the_command_says_so_in_one_line_exit_2_before_any_boot(tmp_path):
    stream = bytearray(gzip.compress(ELF))
    stream[len(stream) // 2] ^= 0xFF
    img = write(tmp_path, kernel_payload(bytes(stream), len(ELF)))
    env = dict(os.environ, UBC_CACHE=str(tmp_path / "cache"), UBC_QEMU="/bin/false")
    t0 = time.monotonic()
    cp = subprocess.run([sys.executable, "-m", "runner", "--kernel", str(img), "--no-build",
                         "--results", str(tmp_path / "res")], cwd=TOP, env=env,
                        capture_output=True, text=True, timeout=60)
    lines = cp.stderr.strip().splitlines()
    assert cp.returncode == 2, cp.stderr
    assert len(lines) == 1 and "the bzImage's payload does not decompress (gzip: " in lines[0]
    assert cp.stdout == "" and time.monotonic() - t0 < 20
    assert not (tmp_path / "res").exists()


def real_vmlinuz() -> list[Path]:
    """The shared download cache's Debian kernels (read only), if this machine has any."""
    root = Path(os.environ.get("UBC_REAL_KERNELS", cache_dir() / "kernels"))
    # x86 ones only: the cache also holds arm64 kernels (Images, not bzImages: docs/arm64.md).
    return (sorted(root.glob("*-amd64_*/vmlinuz"))[-1:]
            + sorted(root.glob("linux-image-6.1.*-amd64_*/vmlinuz"))[:1])


@pytest.mark.skipif(not real_vmlinuz(), reason="no Debian kernel in the download cache")
def test_real_debian_kernels_pass_quickly():
    for p in real_vmlinuz():
        t0 = time.monotonic()
        bzimage.check_bzimage(p)
        took = time.monotonic() - t0
        # About 0.3-0.5 s here (zstd and lz4, 2 shared cores); a bound, not a benchmark.
        assert took < 5, f"{p}: {took:.1f}s"
