"""Every exit path of `run_tests.sh --bisect-step` (what git bisect run reads: 0 good, 1 bad,
125 skip, 128 abort, 130 interrupted), on a fake kernel tree with a fake make, a fake QEMU
that replays a console, and a fake vng. No kernel is built or booted."""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from runner.testing.fakes import FAKE, sigint_default
from runner.testing.fakes import ONE_CASE, fake_bzimage, one_case_consoles

from runner.bisect import verdict as bv
from runner.ktap.model import CaseResult, SubResult

TOP = Path(__file__).resolve().parents[3]
CASE = ONE_CASE
BUILT = (TOP / "build" / "bin" / CASE).is_file()
needs_build = pytest.mark.skipif(not BUILT, reason="no case binaries built (run make)")

CONSOLES = one_case_consoles("6.12.107-fake")
CONSOLES.update({
    "nothing": "",
    "booting": "[    0.000000] Linux version 6.12.107-fake\n",
    "vngroot": """[    0.000000] Linux version 6.12.107-virtme
[    1.098893] 9pnet_virtio: no channels available for device
[    1.100386] VFS: Cannot open root device "" or unknown-block(0,0): error -2
[    1.101258] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)
""",
})


def env_for(tmp_path, console="pass", qemu="replay", **extra):
    log = tmp_path / "console.txt"
    log.write_text(CONSOLES[console])
    e = dict(os.environ)
    e.update({"PATH": f"{FAKE / 'bin'}:{e.get('PATH', '/usr/bin:/bin')}",
              "UBC_QEMU": str(FAKE / "qemu"), "FAKE_QEMU": qemu, "FAKE_QEMU_LOG": str(log),
              "FAKE_QEMU_PIDFILE": str(tmp_path / "qemu.pid"),
              "FAKE_BZIMAGE": str(fake_bzimage(tmp_path / "bzImage")),
              "FAKE_MAKE_LOG": str(tmp_path / "make.log"),
              "UBC_KBUILD_DIR": str(tmp_path / "kbuild"), "UBC_VNG": str(FAKE / "vng"),
              "FAKE_VNG_LOG": str(log)})
    e.pop("PYTHONPATH", None)
    e.update({k: str(v) for k, v in extra.items()})
    return e


def step_cmd(*args):
    return [str(TOP / "run_tests.sh"), "--bisect-step", "--accel", "tcg", "--no-build",
            "--case-timeout", "5", *args, CASE]


def step(tmp_path, *args, console="pass", **extra):
    cp = subprocess.run(step_cmd(*args), cwd=FAKE / "tree", capture_output=True, text=True,
                        timeout=120, env=env_for(tmp_path, console, **extra))
    return cp, [l for l in cp.stdout.splitlines() if l.startswith("bisect-step: ")]


def one_line(cp, lines, verdict):
    assert len(lines) == 1, cp.stdout + cp.stderr
    words = lines[0].split()
    # commit, build seconds, boot seconds, verdict, the kept console log
    assert words[2] == "build" and words[3].endswith("s") and words[4] == "boot", lines[0]
    assert words[6] == verdict, lines[0] + cp.stderr
    log = Path(lines[0].rsplit(" log ", 1)[1])
    assert log.is_file(), lines[0]
    return lines[0], log


@needs_build
@pytest.mark.parametrize("console,rc,verdict,why", [
    ("pass", 0, "GOOD", "1 passed"),
    ("fail", 1, "BAD", "Expected 0 (0) == res (-7)"),
    ("timeout", 1, "BAD", "timeout"),
    ("panic", 1, "BAD", "Kernel panic"),
    ("bootpanic", 125, "SKIP", "untestable: the kernel panicked before the cases ran"),
    ("skip", 125, "SKIP", "feature absent"),
])
def test_step_verdicts(tmp_path, console, rc, verdict, why):
    cp, lines = step(tmp_path, console=console)
    assert cp.returncode == rc, cp.stdout + cp.stderr
    text, log = one_line(cp, lines, verdict)
    assert why in text
    assert log.name == "console.log" and "ubc-runner: boot 1" in log.read_text()


@needs_build
def test_bisect_fix_swaps_good_and_bad_only(tmp_path):
    cp, lines = step(tmp_path, "--bisect-fix", console="pass")
    assert cp.returncode == 1 and one_line(cp, lines, "BAD")
    cp, lines = step(tmp_path, "--bisect-fix", console="fail")
    assert cp.returncode == 0 and one_line(cp, lines, "GOOD")
    cp, lines = step(tmp_path, "--bisect-fix", console="skip")
    assert cp.returncode == 125


@needs_build
def test_a_tree_that_does_not_build_is_skip_125(tmp_path):
    cp, lines = step(tmp_path, FAKE_MAKE="fail")
    assert cp.returncode == 125, cp.stdout + cp.stderr
    text, log = one_line(cp, lines, "SKIP")
    assert "does not build" in text and "error: expected ';'" in text
    assert log.name == "build.log"


@needs_build
def test_the_second_step_reuses_the_configuration(tmp_path):
    step(tmp_path)
    cfg = tmp_path / "kbuild" / "qemu" / ".config"
    first = cfg.stat().st_mtime_ns
    assert "CONFIG_IO_URING=y" in cfg.read_text()
    time.sleep(0.05)
    cp, _ = step(tmp_path)
    assert cp.returncode == 0
    # tinyconfig again would rewrite it empty first; olddefconfig only touches it
    assert "CONFIG_IO_URING=y" in cfg.read_text() and cfg.stat().st_mtime_ns >= first
    assert (tmp_path / "make.log").read_text().count("bzImage") == 2


@needs_build
@pytest.mark.parametrize("qemu,env,why", [
    ("silent", {}, "no console output at all"),
    ("fail", {}, "could not load kernel"),
    ("replay", {"UBC_QEMU": "/no/such/qemu-system-x86_64"}, "not found"),
])
def test_infrastructure_failures_abort_the_bisect_128(tmp_path, qemu, env, why):
    cp, lines = step(tmp_path, qemu=qemu, **env)
    assert cp.returncode == 128, cp.stdout + cp.stderr
    assert why in cp.stdout + cp.stderr


def test_usage_errors_are_128_never_bad(tmp_path):
    e = env_for(tmp_path)
    for args, cwd in ((["--bisect-step"], FAKE / "tree"),                # no case
                      (["--bisect-step", "no_such_case"], FAKE / "tree"),
                      (["--bisect-step", "--nope", CASE], FAKE / "tree"),
                      (["--bisect-step", CASE], tmp_path)):               # not a kernel tree
        cp = subprocess.run([str(TOP / "run_tests.sh"), *args], cwd=cwd, capture_output=True,
                            text=True, timeout=60, env=e)
        assert cp.returncode == 128, (args, cp.stdout, cp.stderr)


@needs_build
def test_a_vm_that_hangs_in_the_case_is_bad(tmp_path):
    cp, lines = step(tmp_path, "--boot-allowance", "1", "--case-timeout", "1", console="started",
                     qemu="replay-hang")
    assert cp.returncode == 1, cp.stdout + cp.stderr
    one_line(cp, lines, "BAD")


@needs_build
def test_a_kernel_that_hangs_before_the_cases_is_untestable_125(tmp_path):
    cp, lines = step(tmp_path, "--boot-allowance", "1", "--case-timeout", "1", console="booting",
                     qemu="replay-hang")
    assert cp.returncode == 125, cp.stdout + cp.stderr
    assert "untestable: the kernel hung before the cases ran" in one_line(cp, lines, "SKIP")[0]


@needs_build
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_is_130(tmp_path, sig):
    proc = subprocess.Popen(step_cmd(), cwd=FAKE / "tree", env=env_for(tmp_path, qemu="hang"),
                            preexec_fn=sigint_default,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pidfile = tmp_path / "qemu.pid"
    end = time.monotonic() + 60
    while not (pidfile.exists() and pidfile.read_text().strip()) and time.monotonic() < end:
        time.sleep(0.1)
    time.sleep(0.3)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err


# -- vng ------------------------------------------------------------------------------------------

@needs_build
@pytest.mark.parametrize("console,rc,verdict", [
    ("pass", 0, "GOOD"),        # 255 with the done line and a complete KTAP: no host udev
    ("fail", 1, "BAD"),
    ("panic", 1, "BAD"),        # 255 with panic text
    ("nothing", 128, None),     # 255 with no output at all: vng itself failed
    ("vngroot", 128, None),     # 255, panic: vng's 9p root did not mount (the kernel lacks 9p)
])
def test_vng_255_is_read_from_the_console(tmp_path, console, rc, verdict):
    cp, lines = step(tmp_path, "--vng", console=console, FAKE_VNG_RC=255,
                     FAKE_VNG_ARGS=tmp_path / "vng.args")
    assert cp.returncode == rc, cp.stdout + cp.stderr
    if verdict:
        one_line(cp, lines, verdict)
    elif console == "nothing":
        assert "vng exit 255 with no output at all" in cp.stdout + cp.stderr
    else:
        assert "vng could not give the guest the host's root" in cp.stdout + cp.stderr
    args = (tmp_path / "vng.args").read_text()
    assert "--disable-kvm" in args and "--exec" in args  # --accel tcg: no KVM for vng either


@needs_build
def test_vng_build_failure_is_skip_and_broken_vng_is_128(tmp_path):
    cp, lines = step(tmp_path, "--vng", FAKE_VNG_BUILD="fail")
    assert cp.returncode == 125 and one_line(cp, lines, "SKIP")
    cp, _ = step(tmp_path, "--vng", FAKE_VNG="broken")
    assert cp.returncode == 128 and "vng does not start" in cp.stderr


# -- the verdict rules, on results alone ------------------------------------------------------------

def _case(status, reason="", subs=()):
    return CaseResult(CASE, status, reason, [SubResult(n, s) for n, s in subs])


def test_verdict_rules():
    j = bv.judge
    assert j({CASE: _case("pass")}, [CASE], 10).kind == bv.GOOD
    v = j({CASE: _case("fail", "x", [("a", "fail"), ("b", "pass")])}, [CASE], 10)
    assert v.kind == bv.BAD and "[failed: a]" in v.why
    assert j({CASE: _case("crash")}, [CASE], 10).kind == bv.BAD
    assert j({CASE: _case("skip", "absent")}, [CASE], 10).kind == bv.SKIP
    assert j({}, [CASE], 0).kind == bv.INFRA
    assert j({CASE: _case("notrun")}, [CASE], 5, host_fault="QEMU exit 1").kind == bv.INFRA
    assert j({CASE: _case("notrun")}, [CASE], 5, end_reason="qemu exit 0").kind == bv.SKIP
    assert j({CASE: _case("notrun")}, [CASE], 5, end_reason="panic").kind == bv.SKIP
    assert j({CASE: _case("crash")}, [CASE], 5, end_reason="panic").kind == bv.BAD
    assert j({CASE: _case("interrupted")}, [CASE], 5).kind == bv.INTERRUPTED
    # a failing case is bad even if the host then killed QEMU
    assert j({CASE: _case("fail")}, [CASE], 5, host_fault="QEMU killed").kind == bv.BAD
    assert bv.StepVerdict(bv.SKIP, "").flipped().kind == bv.SKIP
    assert {bv.EXIT[k] for k in bv.EXIT} == {0, 1, 125, 128, 130}


def test_an_arm64_step_builds_the_image_with_the_cross_compiler(tmp_path, monkeypatch):
    """--arch arm64: every make gets ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-, the target
    is Image, the arm64 lines join the fragment (issue 24)."""
    from runner.bisect import kbuild
    tree = tmp_path / "tree"
    tree.mkdir()
    image = tmp_path / "Image"
    image.write_bytes(b"MZ@\xfa" + b"\0" * 0x34 + b"ARM\x64" + b"\0" * 8)
    log = tmp_path / "makes"
    monkeypatch.setenv("PATH", f"{FAKE / 'bin'}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_BZIMAGE", str(image))
    monkeypatch.setenv("FAKE_MAKE_LOG", str(log))
    monkeypatch.setattr(kbuild.shutil, "which", lambda tool: "/usr/bin/" + tool)
    b = kbuild.build(tree, tmp_path / "out", "tinyconfig", tmp_path / "build.log", 2, "arm64")
    assert b.ok and b.image == tmp_path / "out" / "arch" / "arm64" / "boot" / "Image", b.why
    makes = [l for l in (tmp_path / "build.log").read_text().splitlines() if "ubc-kbuild: make" in l]
    assert makes and all("ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" in l for l in makes), makes
    assert makes[-1].endswith(" Image")
    assert "CONFIG_SERIAL_AMBA_PL011_CONSOLE=y" in (tmp_path / "out" / ".ubc-fragment").read_text()
