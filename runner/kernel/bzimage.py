"""What is inside an x86 bzImage: its boot header, the compressed kernel it carries, and
the ELF vmlinux with a PVH entry note that QEMU boots without the real-mode setup.
"""
from __future__ import annotations

import bz2
import lzma
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

from runner.core.errors import UsageError


class NotABzImage(UsageError):
    """The file is not a whole x86 bzImage."""


def check_bzimage(path: Path) -> None:
    """NotABzImage unless path is a whole x86 bzImage (boot header, payload inside the file)."""
    with open(path, "rb") as f:
        head = f.read(0x250)
    size = path.stat().st_size
    if len(head) < 0x250 or head[0x202:0x206] != b"HdrS":
        raise NotABzImage(f"{path} is not an x86 bzImage (no boot protocol header)")
    setup = ((head[0x1F1] or 4) + 1) * 512
    off, length = struct.unpack_from("<II", head, 0x248)
    if setup + off + length > size:
        raise NotABzImage(f"{path} is a truncated bzImage ({size} bytes; its header says "
                          f"{setup + off + length})")


def bzimage_payload(data: bytes) -> bytes:
    """The compressed kernel inside a bzImage, located by the boot protocol header
    (setup_sects at 0x1f1, payload_offset/length at 0x248/0x24c, relative to the
    protected-mode code that follows the setup sectors)."""
    if len(data) < 0x250 or data[0x202:0x206] != b"HdrS":
        return b""
    setup = ((data[0x1F1] or 4) + 1) * 512
    off, length = struct.unpack_from("<II", data, 0x248)
    return data[setup + off:setup + off + length]


def decompress(payload: bytes) -> bytes:
    """gzip, bzip2, xz, lzma in Python; zstd and lz4 with their command-line tools."""
    head = payload[:6]
    try:
        if head.startswith(b"\x1f\x8b"):
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(payload)
        if head.startswith(b"BZh"):
            return bz2.BZ2Decompressor().decompress(payload)
        if head.startswith(b"\xfd7zXZ\x00"):
            return lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(payload)
        if head.startswith(b"\x5d\x00\x00"):
            return lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(payload)
    except (OSError, EOFError, lzma.LZMAError, zlib.error):
        return b""
    tool = {b"\x28\xb5\x2f\xfd": ["zstd", "-dcq", "--memory=2047MB"],
            b"\x02\x21\x4c\x18": ["lz4", "-dcq"]}.get(head[:4])
    if tool and shutil.which(tool[0]):
        # The kernel appends the uncompressed size after the stream; the tools may complain
        # about it, but their output is whole by then.
        return subprocess.run(tool, input=payload, capture_output=True).stdout
    return b""


def pvh_elf(bzimage: Path) -> bytes:
    """The ELF vmlinux decompressed out of a bzImage. QEMU boots an ELF vmlinux with a PVH
    note directly, skipping real-mode setup and the decompressor: two to three times faster
    under TCG. b"" when there is none to be had (then the bzImage itself is booted)."""
    elf = decompress(bzimage_payload(bzimage.read_bytes()))
    # The PVH entry point is an ELF note named "Xen" (XEN_ELFNOTE_PHYS32_ENTRY).
    if elf[:4] != b"\x7fELF" or b"Xen\x00" not in elf:
        return b""
    return elf


def pvh_vmlinux(bzimage: Path, out: Path) -> bool:
    elf = pvh_elf(bzimage)
    if elf:
        out.write_bytes(elf)
    return bool(elf)
