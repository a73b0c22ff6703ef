"""Fakes shared by the runner's tests (pytest puts this folder on sys.path)."""
from pathlib import Path


def fake_bzimage(path: Path) -> Path:
    """The smallest file that passes as a whole bzImage: boot header, empty payload."""
    data = bytearray(4096)
    data[0x1F1] = 4
    data[0x202:0x206] = b"HdrS"
    data[0x248:0x250] = (0).to_bytes(4, "little") + (16).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path
