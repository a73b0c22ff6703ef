"""What the runner's tests share: recorded consoles and data (data/), fake programs (fake/:
qemu, vng, make, a kernel tree), test-only guest cases (guest/), and small builders."""
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FAKE = HERE / "fake"
GUEST_CASES = HERE / "guest"


def fake_bzimage(path: Path) -> Path:
    """The smallest file that passes as a whole bzImage: boot header, empty payload."""
    data = bytearray(4096)
    data[0x1F1] = 4
    data[0x202:0x206] = b"HdrS"
    data[0x248:0x250] = (0).to_bytes(4, "little") + (16).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path
