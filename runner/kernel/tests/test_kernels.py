"""runner/kernels.py: which Debian package a --kernel argument means, and what is kept of it.

The package data is recorded `papt apt-cache madison` output (data/papt_madison.txt, mirror
replaced by MIRROR), so no network is needed.
"""
from runner.testing.fakes import DATA, bzimage_bytes, kernel_payload
import gzip
import lzma
from pathlib import Path

import pytest

from runner.testing.fakes import DATA
from runner.kernel import bzimage
from runner.kernel import resolve as kernels



@pytest.fixture
def pkgs():
    return kernels.usable(kernels.parse_madison((DATA / "papt_madison.txt").read_text()))


def test_madison_lines_become_packages(pkgs):
    p = next(p for p in pkgs if p.name == "linux-image-6.12.95+deb12-cloud-amd64")
    assert (p.version, p.suite, p.abi, p.upstream, p.series) == \
        ("6.12.95-1~bpo12+1", "bookworm-backports", "6.12.95+deb12", "6.12.95", "6.12")


def test_debian_61_abi_name_but_real_upstream_version(pkgs):
    p = kernels.match("6.1", pkgs)
    assert p.name == "linux-image-6.1.0-50-cloud-amd64"
    assert (p.upstream, p.abi, p.series) == ("6.1.176", "6.1.0-50", "6.1")


def test_metapackages_from_619_on_are_replaced_by_linux_binary(pkgs):
    names = {p.name for p in pkgs}
    assert "linux-binary-7.3.4+deb13-cloud-amd64" in names
    assert "linux-image-7.3.4+deb13-cloud-amd64" not in names
    assert "linux-image-6.12.107+deb13-cloud-amd64" in names  # no linux-binary for 6.12


@pytest.mark.parametrize("spec,name", [
    ("6.12", "linux-image-6.12.107+deb13-cloud-amd64"),      # series: newest (107 > 95)
    ("6.12.95", "linux-image-6.12.95+deb12-cloud-amd64"),    # upstream version
    ("6.12.95+deb12", "linux-image-6.12.95+deb12-cloud-amd64"),  # package ABI
    ("6.1.0-47", "linux-image-6.1.0-47-cloud-amd64"),
    ("6.1.170", "linux-image-6.1.0-47-cloud-amd64"),
    ("7.2", "linux-binary-7.2.13+deb14-cloud-amd64"),        # sid's newer one wins
    ("7.3", "linux-binary-7.3.4+deb13-cloud-amd64"),
    ("7.3.4-1~bpo13+1", "linux-binary-7.3.4+deb13-cloud-amd64"),  # package version
])
def test_match(pkgs, spec, name):
    assert kernels.match(spec, pkgs).name == name


@pytest.mark.parametrize("spec", ["6.5", "6.12.96", "7.30", "6"])
def test_unknown_version_is_one_clear_error(pkgs, spec):
    with pytest.raises(kernels.KernelError, match=f"no Debian cloud-amd64 kernel package matches '{spec}'"):
        kernels.match(spec, pkgs)


def test_matrix_is_newest_of_each_series_then_host(pkgs):
    assert kernels.matrix_specs(pkgs) == ["6.1", "6.12", "6.19", "7.2", "7.3", "host"]
    newest = kernels.series_newest(pkgs)
    assert newest["6.1"].upstream == "6.1.176"


def test_version_order():
    assert kernels.vkey("6.12.107") > kernels.vkey("6.12.95")
    assert kernels.vkey("7.0") > kernels.vkey("6.19")
    assert kernels.vkey("6.12.95-1~bpo12+1") < kernels.vkey("6.12.95-1")


def test_list_kernels_marks_what_a_series_selects(pkgs):
    text = kernels.list_kernels(pkgs)
    line = next(l for l in text.splitlines() if "6.12.107" in l)
    assert line.endswith("*") and "trixie" in line
    assert not next(l for l in text.splitlines() if "6.12.95" in l).endswith("*")


@pytest.mark.parametrize("member,kept", [
    ("./boot/vmlinuz-6.12.95+deb12-cloud-amd64", "vmlinuz"),
    ("./boot/config-6.12.95+deb12-cloud-amd64", "config"),
    ("./boot/System.map-6.12.95+deb12-cloud-amd64", None),
    ("./usr/lib/modules/7.3.4+deb13-cloud-amd64/vmlinuz", "vmlinuz"),
    ("./usr/lib/modules/7.3.4+deb13-cloud-amd64/kernel/fs/ext4/ext4.ko.xz", None),
])
def test_only_vmlinuz_and_config_are_kept(member, kept):
    assert kernels.boot_file(member) == kept


def fake_bzimage(payload: bytes, size: int) -> bytes:
    """A bzImage shape around a compressed vmlinux of `size` bytes (runner/testing/fakes)."""
    return bzimage_bytes(kernel_payload(payload, size))


ELF = b"\x7fELF" + b"\x00" * 60 + b"....Xen\x00 PVH note" + b"\x90" * 4000


@pytest.mark.parametrize("compress", [lzma.compress, gzip.compress])
def test_pvh_vmlinux_is_the_decompressed_payload(tmp_path, compress):
    bz = tmp_path / "bzImage"
    bz.write_bytes(fake_bzimage(compress(ELF), len(ELF)))
    out = tmp_path / "vmlinux"
    assert bzimage.pvh_vmlinux(bz, out)
    assert out.read_bytes() == ELF


def test_no_pvh_note_means_boot_the_bzimage(tmp_path):
    bz = tmp_path / "bzImage"
    bz.write_bytes(fake_bzimage(lzma.compress(b"\x7fELF no note here"), 17))
    assert not bzimage.pvh_vmlinux(bz, tmp_path / "vmlinux")
    bz.write_bytes(b"not a kernel at all" * 100)
    assert not bzimage.pvh_vmlinux(bz, tmp_path / "vmlinux")


def test_build_tree_and_bzimage_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("UBC_CACHE", str(tmp_path / "cache"))
    tree = tmp_path / "linux"
    (tree / "arch/x86/boot").mkdir(parents=True)
    with pytest.raises(kernels.KernelError, match="has no arch/x86/boot/bzImage"):
        kernels.resolve(str(tree))
    (tree / "arch/x86/boot/bzImage").write_bytes(fake_bzimage(lzma.compress(ELF), len(ELF)))
    (tree / ".config").write_text("CONFIG_IO_URING=y\n")
    k = kernels.resolve(str(tree))
    assert k.kind == "bzimage" and k.id == str(tree)
    assert k.pvh is not None and k.pvh.read_bytes() == ELF
    assert k.config == tree / ".config"
    k2 = kernels.resolve(str(tree / "arch/x86/boot/bzImage"))
    assert k2.sha256 == k.sha256
    with pytest.raises(kernels.KernelError, match="no such bzImage"):
        kernels.resolve(str(tmp_path / "missing/bzImage"))


def test_host_and_nonsense():
    assert kernels.resolve("host").kind == "host"
    with pytest.raises(kernels.KernelError, match="unknown kernel 'latest'"):
        kernels.resolve("latest")
