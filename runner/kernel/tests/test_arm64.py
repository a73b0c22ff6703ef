"""arm64 guests (issue 24): kernel ids, Debian's arm64 packages, the arm64 Image check, and
QEMU's command line for -M virt."""
from pathlib import Path

import pytest

from runner.core import arch
from runner.kernel import arm64image, qemu, resolve
from runner.kernel.initramfs import elf_arch, is_static


def test_kernel_ids_carry_a_foreign_architecture():
    assert arch.HOST == "x86_64"  # this machine; the rest is read relative to it
    assert arch.split("7.3@arm64") == ("7.3", "arm64")
    assert arch.split("7.3@aarch64") == ("7.3", "arm64")
    assert arch.split("7.3") == ("7.3", "x86_64")
    assert arch.split("/x/y@z") == ("/x/y@z", "x86_64")  # not an architecture: part of a path
    assert arch.spec_for("7.3", "arm64") == "7.3@arm64"
    assert arch.spec_for("7.3", "x86_64") == "7.3"
    with pytest.raises(ValueError):
        arch.canonical("sparc")


MADISON = """\
linux-binary-7.3.4+deb13-cloud-arm64 | 7.3.4-1~bpo13+1 | MIRROR trixie-backports/main arm64 Packages
linux-image-7.3.4+deb13-cloud-arm64 | 7.3.4-1~bpo13+1 | MIRROR trixie-backports/main arm64 Packages
linux-image-6.12.117+deb13-cloud-arm64 | 6.12.117-1 | MIRROR trixie/main arm64 Packages
"""


def test_arm64_packages_by_series_and_the_matrix_ids():
    pkgs = resolve.usable(resolve.parse_madison(MADISON))
    assert [(p.name, p.arch) for p in pkgs] == [
        ("linux-image-6.12.117+deb13-cloud-arm64", "arm64"),
        ("linux-binary-7.3.4+deb13-cloud-arm64", "arm64")]
    assert resolve.match("7.3", pkgs).name == "linux-binary-7.3.4+deb13-cloud-arm64"
    assert resolve.matrix_specs(pkgs, "arm64") == ["6.12@arm64", "7.3@arm64"]  # no host
    assert resolve.search_re("arm64").endswith("-cloud-arm64$")
    with pytest.raises(resolve.KernelError, match="cloud-arm64"):
        resolve.match("6.1", pkgs)


@pytest.mark.parametrize("head,kind", [
    (b"MZ@\xfa" + b"\0" * 0x34 + b"ARM\x64" + b"\0" * 8, "Image"),
    (b"\x1f\x8b\x08" + b"\0" * 61, "gzip"),
    (b"MZ\0\0zimg" + b"\0" * 56, "zboot"),
    (b"\0" * 64, None),
])
def test_the_arm64_image_kinds_qemu_takes(tmp_path, head, kind):
    f = tmp_path / "vmlinuz"
    f.write_bytes(head)
    if kind is None:
        with pytest.raises(arm64image.NotAnArm64Image, match="not an arm64 kernel Image"):
            arm64image.check_image(f)
    else:
        assert arm64image.check_image(f) == kind


def test_qemu_command_for_an_arm64_guest():
    cmd = qemu.command(Path("/k/vmlinuz"), Path("/i.cpio"), "x", accel="tcg", memory="512M",
                       arch="arm64")
    assert cmd[0] == qemu.QEMU_ARM64
    assert cmd[cmd.index("-M") + 1] == "virt" and cmd[cmd.index("-cpu") + 1] == "max"
    assert "-fw_cfg" not in cmd  # no SeaBIOS on -M virt
    line = qemu.cmdline(timeout=10, arch="arm64")
    assert "console=ttyAMA0" in line and "ttyS0" not in line and "tsc=" not in line
    assert "console=ttyS0" in qemu.cmdline()  # x86_64 unchanged


def test_elf_architecture_of_a_binary(tmp_path):
    import sys
    assert elf_arch(Path(sys.executable).resolve()) == "x86_64"
    assert not is_static(Path(sys.executable).resolve(), "arm64")
    f = tmp_path / "a"
    f.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 11 + b"\xb7\x00" + b"\0" * 44)
    assert elf_arch(f) == "arm64"
