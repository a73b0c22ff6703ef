"""What is inside an x86 bzImage: its boot header, the compressed kernel it carries, and
the ELF vmlinux with a PVH entry note that QEMU boots without the real-mode setup.
"""
from __future__ import annotations

import bz2
import lzma
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

from runner.core.errors import UsageError


class NotABzImage(UsageError):
    """The file is not a whole x86 bzImage."""


class BadPayload(Exception):
    """The compressed kernel does not decompress: (format, what went wrong)."""


# The formats the kernel's own decompressor may be built for, by their first bytes.
FORMATS = [(b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"),
           (b"\x5d\x00\x00", "lzma"), (b"\x28\xb5\x2f\xfd", "zstd"),
           (b"\x02\x21\x4c\x18", "lz4"), (b"\x89LZO\x00\r\n\x1a\n", "lzo")]
# The ones Python cannot read, with the command-line tool that can (--memory: zstd -22).
TOOLS = {"zstd": ["zstd", "-dcq", "--memory=2047MB"], "lz4": ["lz4", "-dcq"],
         "lzo": ["lzop", "-dcq"]}


def _header(path: Path) -> tuple[int, int, int]:
    """(setup size, payload offset, payload length) from the boot protocol header, or
    NotABzImage when it is not a whole bzImage."""
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
    # payload_offset/length exist from boot protocol 2.08 (2.6.26) on.
    version = struct.unpack_from("<H", head, 0x206)[0]
    return setup, off, (length if version >= 0x208 else 0)


def check_bzimage(path: Path) -> None:
    """NotABzImage unless path is a whole x86 bzImage whose payload decompresses to the
    size the bzImage records (a zstd kernel: about 0.3 s). A payload in a format that needs
    a tool this machine lacks (lzop) is taken as it is."""
    setup, off, length = _header(path)
    st = path.stat()
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if not length or key in _checked:  # preflight checked it already, this process
        return
    with open(path, "rb") as f:
        f.seek(setup + off)
        payload = f.read(length)
    try:
        inflate(payload)
    except BadPayload as e:
        fmt, why = e.args
        raise NotABzImage(f"{path}: the bzImage's payload does not decompress ({fmt}: {why})") \
            from None
    _checked.add(key)


_checked: set[tuple] = set()


def payload_format(payload: bytes) -> str:
    return next((name for magic, name in FORMATS if payload.startswith(magic)), "")


def inflate(payload: bytes) -> bytes | None:
    """The decompressed payload, checked against the uncompressed size the kernel's build
    appends to it (mkpiggy reads the same 4 bytes); None when no tool here can read its
    format. BadPayload when it does not decompress."""
    fmt = payload_format(payload)
    if not fmt:
        raise BadPayload("unknown format", f"it starts with {payload[:6].hex() or 'nothing'}")
    if len(payload) < 8:
        raise BadPayload(fmt, f"{len(payload)} bytes")
    out = _python(fmt, payload) if fmt not in TOOLS else _tool(fmt, payload[:-4])
    want = struct.unpack("<I", payload[-4:])[0]
    if out is not None and len(out) & 0xFFFFFFFF != want:
        raise BadPayload(fmt, f"{len(out)} bytes out; the bzImage says {want}")
    if out is not None and out[:4] != b"\x7fELF":  # x86's payload is the vmlinux ELF
        raise BadPayload(fmt, "it holds no ELF kernel")
    return out


def _python(fmt: str, payload: bytes) -> bytes:
    d = {"gzip": lambda: zlib.decompressobj(16 + zlib.MAX_WBITS),
         "bzip2": bz2.BZ2Decompressor,
         "xz": lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ),
         "lzma": lambda: lzma.LZMADecompressor(lzma.FORMAT_ALONE)}[fmt]()
    try:
        out = d.decompress(payload)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as e:
        raise BadPayload(fmt, str(e)) from None
    if not d.eof:
        raise BadPayload(fmt, "the stream ends early")
    return out


def _tool(fmt: str, stream: bytes) -> bytes | None:
    """The tool's output (the stream without the appended size, which the tools would take
    for a second, broken frame); None without the tool, or when it takes minutes."""
    cmd = TOOLS[fmt]
    if not shutil.which(cmd[0]):
        return None
    try:
        cp = subprocess.run(cmd, input=stream, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None
    if cp.returncode != 0:
        last = (cp.stderr.decode(errors="replace").strip().splitlines() or [""])[-1]
        # zstd names its input: "/*stdin*\ : Decoding error (36) : Data corruption detected"
        last = re.sub(r"^\S*stdin\S*\s*:\s*", "", last).strip()
        raise BadPayload(fmt, last or f"{cmd[0]} exit {cp.returncode}")
    return cp.stdout


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
    """The whole decompressed payload, or b"" when it cannot be had (never a partial one:
    a cut vmlinux boots mute)."""
    try:
        return inflate(payload) or b""
    except BadPayload:
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
