"""`run_tests.sh --kernel PATH --vng`: vng where the kernel can share the host's root (9p built
in), else one line and the built-in QEMU. Fake vng and fake QEMU replay a recorded console."""
import subprocess
from pathlib import Path

from runner.bisect.tests.test_bisect_step import CASE, TOP, env_for, fake_bzimage, needs_build


def run(tmp_path, img, **extra):
    e = env_for(tmp_path, "pass", FAKE_VNG_ARGS=tmp_path / "vng.args", **extra)
    return subprocess.run([str(TOP / "run_tests.sh"), "--kernel", str(img), "--vng", "--accel",
                           "tcg", "--no-build", "--results", str(tmp_path / "res"), CASE],
                          capture_output=True, text=True, timeout=120, env=e)


def kernel_image(tmp_path, config: str) -> Path:
    """A fake built tree: its bzImage, and the .config vng's 9p check reads beside it."""
    tree = tmp_path / "tree"
    (tree / "arch/x86/boot").mkdir(parents=True)
    (tree / ".config").write_text(config)
    return fake_bzimage(tree / "arch/x86/boot/bzImage")


@needs_build
def test_a_kernel_without_9p_falls_back_to_qemu_in_one_line(tmp_path):
    img = kernel_image(tmp_path, "CONFIG_IO_URING=y\n# CONFIG_NET_9P is not set\n")
    cp = run(tmp_path, img)
    out = cp.stdout + cp.stderr
    assert cp.returncode == 0, out
    assert "has no 9p (CONFIG_NET_9P unset)" in out and "using the built-in QEMU backend" in out
    assert not (tmp_path / "vng.args").exists()


@needs_build
def test_a_kernel_with_9p_runs_in_vng_and_255_after_done_is_success(tmp_path):
    img = kernel_image(tmp_path, "CONFIG_NET_9P=y\nCONFIG_NET_9P_VIRTIO=y\nCONFIG_9P_FS=y\n")
    cp = run(tmp_path, img, FAKE_VNG_RC=255)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    args = (tmp_path / "vng.args").read_text()
    assert "--disable-kvm" in args and str(img) in args and "vng-guest.sh" in args
    assert "vng exit 255" in (tmp_path / "res").joinpath(
        next(p.name for p in (tmp_path / "res").iterdir() if p.is_dir()), "console.log").read_text()
