"""What the runner's tests share: recorded consoles and data (data/), fake programs (fake/:
qemu, vng, make, a kernel tree), test-only guest cases (guest/), and small builders."""
import gzip
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FAKE = HERE / "fake"
GUEST_CASES = HERE / "guest"

# An ELF "vmlinux" without the PVH note: the runner boots the bzImage itself.
FAKE_ELF = b"\x7fELF" + b"\x00" * 60 + b"fake kernel" * 20


def kernel_payload(compressed: bytes, size: int) -> bytes:
    """A bzImage payload as the kernel's build writes it: the compressed vmlinux, then its
    uncompressed size (le32) unless the format ends with it already (gzip)."""
    return compressed if compressed[:2] == b"\x1f\x8b" else compressed + struct.pack("<I", size)


def bzimage_bytes(payload: bytes, setup_sects: int = 3, off: int = 100) -> bytes:
    """A bzImage shape: setup sectors, 'HdrS', boot protocol 2.15, payload_offset/length."""
    img = bytearray((setup_sects + 1) * 512)
    img[0x1F1] = setup_sects
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, 0x20F)
    struct.pack_into("<II", img, 0x248, off, len(payload))
    return bytes(img) + bytes(off) + payload


def fake_bzimage(path: Path) -> Path:
    """The smallest file that passes as a whole bzImage: boot header, a gzip payload that
    decompresses to an ELF with no PVH note."""
    path.write_bytes(bzimage_bytes(kernel_payload(gzip.compress(FAKE_ELF), len(FAKE_ELF))))
    return path


# -- consoles of one-case boots (provide_nr_bounds), for the fake QEMUs of the bisect step and
# of the kernel mutation run ------------------------------------------------------------------
ONE_CASE = "provide_nr_bounds"


def one_case_consoles(version: str) -> dict[str, str]:
    """kind -> the console of a boot of `version` running ONE_CASE: pass, fail, skip, warn,
    timeout, panic (during the case), bootpanic (no root: no case ran)."""
    c = ONE_CASE
    head = (f"[    0.000000] Linux version {version}\nKTAP version 1\n"
            f"# uring-buffer-conformance on kernel {version} (x86_64)\n1..1\n"
            f"    # Subtest: {c}\n    TAP version 13\n    1..1\n")
    ok = f"    ok 1 nr_bounds.nr_65536_ok.provide_res\nok 1 {c}\n# time: {c} 0.10\n"
    tail_ok = "1 passed, 0 failed, 0 skipped\n# ubc-guest: done exit 0\n"
    return {
        "pass": head + ok + tail_ok,
        "fail": head + "    # nr_bounds.nr_65536_ok.provide_res: Expected 0 (0) == res (-7)\n"
                f"    not ok 1 nr_bounds.nr_65536_ok.provide_res\nnot ok 1 {c}\n# time: {c} 0.10\n"
                "0 passed, 1 failed, 0 skipped\n# ubc-guest: done exit 1\n",
        "skip": head + "    ok 1 nr_bounds.nr_65536_ok.provide_res # SKIP IORING_OP_PROVIDE_BUFFERS "
                f"absent: EINVAL\nok 1 {c} # SKIP IORING_OP_PROVIDE_BUFFERS absent: EINVAL\n"
                f"# time: {c} 0.10\n0 passed, 0 failed, 1 skipped\n# ubc-guest: done exit 0\n",
        "warn": head + "[    2.000000] ------------[ cut here ]------------\n"
                "[    2.000001] WARNING: CPU: 0 PID: 40 at io_uring/kbuf.c:12 io_add_buffers+0x10/0x20\n"
                "[    2.000002] ---[ end trace 0000000000000000 ]---\n" + ok + tail_ok,
        "timeout": head + f"not ok 1 {c} # TIMEOUT killed after 120s\n# time: {c} 120.00\n"
                   "0 passed, 1 failed, 0 skipped\n# ubc-guest: done exit 1\n",
        "panic": head + "[    3.101400] Kernel panic - not syncing: Fatal exception\n"
                 "[    3.101600] ---[ end Kernel panic - not syncing: Fatal exception ]---\n",
        "bootpanic": f"[    0.000000] Linux version {version}\n"
                     "[    0.400000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n"
                     "[    0.400100] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs ]---\n",
        "started": head,
    }


def sigint_default() -> None:
    """Popen preexec_fn for a test that sends SIGINT: a shell running tests in the background
    ignores SIGINT, the child inherits that and Python then installs no KeyboardInterrupt."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
