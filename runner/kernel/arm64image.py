"""What an arm64 kernel image is, for QEMU's -kernel (qemu-system-aarch64 -M virt).

Debian's arm64 vmlinuz is either the raw Image (from 6.19's linux-binary-*: the arm64 boot
header, "ARM\\x64" at 0x38), a gzip-compressed Image (older linux-image-*), or an EFI zboot
image ("MZ" then "zimg" at 4). QEMU takes all three as they are (it unpacks gzip and zboot
itself), so nothing is decompressed or converted here: this is only the check that a file
is one of them. The x86 PVH path (bzimage.py) has no arm64 counterpart.
"""
from __future__ import annotations

from pathlib import Path


class NotAnArm64Image(ValueError):
    pass


def kind(head: bytes) -> str | None:
    """'Image', 'gzip' or 'zboot' from a file's first 64 bytes; None for none of them."""
    if len(head) >= 0x3c and head[0x38:0x3c] == b"ARM\x64":
        return "Image"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:2] == b"MZ" and head[4:8] == b"zimg":
        return "zboot"
    return None


def check_image(path: Path) -> str:
    """The image's kind, or NotAnArm64Image naming the file."""
    with open(path, "rb") as f:
        head = f.read(64)
    k = kind(head)
    if k is None:
        raise NotAnArm64Image(f"{path} is not an arm64 kernel Image (no ARM\\x64 magic, not gzip, "
                              f"not EFI zboot)")
    return k
