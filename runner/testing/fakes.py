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
