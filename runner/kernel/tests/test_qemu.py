"""runner/qemu.py and runner/initramfs.py without booting anything: the QEMU command line,
console streaming and timeouts (with a shell standing in for QEMU), how a run's end is named,
the accelerator choice, and the initramfs's cpio format and contents."""
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from runner.kernel import initramfs
from runner.kernel import qemu

TOP = Path(__file__).resolve().parents[3]


def test_command_line_tcg():
    cmd = qemu.command(Path("/k/vmlinux"), Path("/i.cpio"), qemu.cmdline(timeout=30), accel="tcg")
    assert cmd[0] == qemu.QEMU
    joined = " ".join(cmd)
    # TCG copies byte by byte under rep movsb/stosb: the x86 guest gets neither ERMS nor FSRM.
    assert cmd[cmd.index("-cpu") + 1] == "max,erms=off,fsrm=off"
    assert "-no-reboot" in cmd and "-nodefaults" in cmd
    assert cmd[cmd.index("-kernel") + 1] == "/k/vmlinux"
    assert cmd[cmd.index("-initrd") + 1] == "/i.cpio"
    assert cmd[cmd.index("-serial") + 1] == "stdio"
    assert "name=etc/sercon-port,string=0" in cmd
    append = cmd[cmd.index("-append") + 1].split()
    for word in ("console=ttyS0", "panic=-1", "oops=panic", "loglevel=5", "mitigations=off",
                 "cryptomgr.notests", "rdinit=/init", "ubc.timeout=30"):
        assert word in append


def test_command_line_kvm_and_machine():
    cmd = qemu.command(Path("/k/bzImage"), Path("/i"), "x", accel="kvm", machine="microvm", smp=2)
    joined = " ".join(cmd)
    assert "-M microvm -accel kvm -cpu host" in joined and "-smp 2" in joined


def test_guest_cmdline_words():
    assert "ubc.probe=1" in qemu.cmdline(probe=True).split()
    assert "ubc.cases=a,b" in qemu.cmdline(cases=["a", "b"]).split()


@pytest.mark.parametrize("code,lines,timed_out,reason", [
    (0, ["KTAP version 1", qemu.DONE_MARK + " exit 0"], False, None),
    (0, [qemu.ALIVE_MARK + " 6.12"], False, None),
    (0, ["[ 1.0] Kernel panic - not syncing: sysrq triggered crash"], False, "panic"),
    (0, ["KTAP version 1"], False, "qemu exit 0"),        # a reset without panic
    (1, [qemu.DONE_MARK], False, "qemu exit 1"),          # QEMU error after the end
    (-9, ["KTAP version 1"], False, "qemu killed by signal 9"),  # killed from outside
    (-9, [qemu.DONE_MARK], True, "timeout"),
])
def test_end_reason(code, lines, timed_out, reason):
    # The end reason comes from the run's one streaming parse (runner/run/kernel_run.Sink).
    from runner import ktap
    assert ktap.end_reason(ktap.parse_console("\n".join(lines)), code, timed_out) == reason
    if reason != "panic":
        assert qemu.probe_end(lines, code, timed_out) == reason


@pytest.mark.parametrize("reason,code,fault", [
    (None, 0, None), ("panic", 0, None), ("timeout", -9, None),   # the kernel's doing
    ("qemu exit 0", 0, None),                                       # a guest reset: a crash
    ("qemu exit 1", 1, "QEMU exit 1 on the host side"),             # QEMU failing
    ("qemu killed by signal 9", -9, "QEMU killed by signal 9 on the host side"),
    ("interrupted", -9, "interrupted"),
])
def test_host_faults_are_told_from_kernel_crashes(reason, code, fault):
    got = qemu.host_fault(reason, code, "qemu-system-x86_64: some error\n")
    assert (got is None) == (fault is None) and (fault is None or got.startswith(fault)), got


def test_run_streams_lines_without_cr(tmp_path):
    seen = []
    log = open(tmp_path / "log", "w")
    b = qemu.run(["sh", "-c", "printf 'one\\r\\ntwo\\n'; echo '# ubc-guest: done exit 0'; echo err >&2"],
                 deadline=20, silence=20, on_line=seen.append, log=log)
    log.close()
    assert seen == ["one", "two", "# ubc-guest: done exit 0"]
    assert b.console == seen and b.exit_code == 0 and b.end_reason is None
    assert b.stderr.strip() == "err"
    assert (tmp_path / "log").read_text().splitlines() == seen


def test_run_kills_a_silent_vm():
    b = qemu.run(["sh", "-c", "echo booting; sleep 60"], deadline=30, silence=1)
    assert b.end_reason == "timeout" and b.console == ["booting"] and b.seconds < 10


def test_run_kills_a_vm_past_its_deadline():
    b = qemu.run(["sh", "-c", "while :; do echo tick; sleep 0.2; done"], deadline=1.5, silence=30)
    assert b.end_reason == "timeout" and 3 <= len(b.console) and b.seconds < 10


def test_run_reports_a_vm_killed_from_outside():
    procs = []
    b = qemu.run(["sh", "-c", "echo '    # Subtest: a'; sleep 30"], deadline=30, silence=30,
                 on_line=lambda l: procs[0].kill(), on_spawn=procs.append)
    assert b.end_reason == "qemu killed by signal 9"
    assert "on the host side, not a kernel crash" in b.host_fault


def test_accel_without_kvm_is_tcg(monkeypatch, tmp_path):
    monkeypatch.setattr(qemu, "_accel_cache", {})
    monkeypatch.setattr(qemu, "kvm_usable", lambda: False)
    assert qemu.detect_accel(Path("/k"), Path("/i"), cache_file=tmp_path / "a.json")[0] == "tcg"


def test_accel_probe_failure_falls_back_to_tcg_and_is_remembered(monkeypatch, tmp_path):
    monkeypatch.setattr(qemu, "_accel_cache", {})
    monkeypatch.setattr(qemu, "kvm_usable", lambda: True)
    calls = []

    def fake_run(cmd, deadline, silence, **kw):
        calls.append(cmd)
        return qemu.Boot(console=["booting"], exit_code=-9, end_reason="timeout", stderr="")
    monkeypatch.setattr(qemu, "run", fake_run)
    cache = tmp_path / "accel.json"
    accel, why = qemu.detect_accel(Path("/k"), Path("/i"), cache_file=cache)
    assert accel == "tcg" and "KVM probe boot failed (timeout" in why
    assert "-accel" in calls[0] and calls[0][calls[0].index("-accel") + 1] == "kvm"
    assert "ubc.probe=1" in calls[0][-1]
    monkeypatch.setattr(qemu, "_accel_cache", {})
    assert qemu.detect_accel(Path("/k"), Path("/i"), cache_file=cache)[0] == "tcg"
    assert len(calls) == 1  # second answer from the cache file


def test_accel_probe_success_is_kvm(monkeypatch):
    monkeypatch.setattr(qemu, "_accel_cache", {})
    monkeypatch.setattr(qemu, "kvm_usable", lambda: True)
    monkeypatch.setattr(qemu, "run", lambda *a, **k: qemu.Boot(
        console=[qemu.ALIVE_MARK], exit_code=0, end_reason=None, seconds=0.8))
    assert qemu.detect_accel(Path("/k"), Path("/i"))[0] == "kvm"


# -- initramfs ---------------------------------------------------------------------------------

def test_cpio_newc_roundtrip(tmp_path):
    out = tmp_path / "x.cpio"
    with open(out, "wb") as f:
        w = initramfs.CpioWriter(f)
        w.dir("bin")
        w.file("bin/tool", b"12345", 0o755)
        w.symlink("bin/sh", "tool")
        w.file("odd", b"x" * 7, 0o644)
        w.trailer()
    data = out.read_bytes()
    assert data[:6] == b"070701" and len(data) % 4 == 0
    entries = initramfs.parse_cpio(data)
    assert [(n, stat.S_IFMT(m)) for n, m, _ in entries] == [
        ("bin", stat.S_IFDIR), ("bin/tool", stat.S_IFREG), ("bin/sh", stat.S_IFLNK), ("odd", stat.S_IFREG)]
    assert entries[1][2] == b"12345" and entries[1][1] & 0o777 == 0o755
    assert entries[2][2] == b"tool" and entries[3][2] == b"x" * 7


@pytest.mark.skipif(not shutil.which("cpio"), reason="cpio not installed")
def test_cpio_is_readable_by_gnu_cpio(tmp_path):
    out = tmp_path / "x.cpio"
    with open(out, "wb") as f:
        w = initramfs.CpioWriter(f)
        w.dir("d")
        w.file("d/f", b"hello\n")
        w.symlink("l", "d/f")
        w.trailer()
    listing = subprocess.run(["cpio", "-itv", "--quiet"], stdin=open(out, "rb"),
                             capture_output=True, text=True, check=True).stdout
    assert [l.split()[-1] if "->" not in l else l.split()[-3] for l in listing.splitlines()] == ["d", "d/f", "l"]
    x = tmp_path / "x"
    x.mkdir()
    subprocess.run(["cpio", "-id", "--quiet"], stdin=open(out, "rb"), cwd=x, check=True)
    assert (x / "d/f").read_text() == "hello\n" and os.readlink(x / "l") == "d/f"


def fake_inputs(tmp_path):
    """Two fake case binaries (b_case, a_case: that order) and a fake busybox."""
    bins = []
    for name in ("b_case", "a_case"):
        p = tmp_path / name
        p.write_bytes(b"\x7fELF" + name.encode())
        bins.append(p)
    bb = tmp_path / "busybox"
    bb.write_bytes(b"BUSYBOX")
    return bins, bb


def test_build_puts_cases_busybox_and_init_in_place(tmp_path):
    bins, bb = fake_inputs(tmp_path)
    out = initramfs.build(tmp_path / "i.cpio", bins, TOP / "runner" / "guest" / "run-cases.sh",
                          ["liburing 2.15", "busybox x"], bb)
    ent = {n: (m, d) for n, m, d in initramfs.parse_cpio(out.read_bytes())}
    assert ent["init"][1] == initramfs.GUEST_INIT.read_bytes() and ent["init"][0] & 0o111
    assert ent["bin/busybox"][1] == b"BUSYBOX"
    assert stat.S_ISLNK(ent["bin/sh"][0]) and ent["bin/sh"][1] == b"busybox"
    assert ent["ubc/bin/run-cases.sh"][1] == (TOP / "runner" / "guest" / "run-cases.sh").read_bytes()
    assert ent["ubc/bin/a_case"][1] == b"\x7fELFa_case" and ent["ubc/bin/a_case"][0] & 0o111
    assert ent["ubc/cases"][1] == b"b_case\na_case\n"  # the order asked for
    assert ent["ubc/versions.txt"][1] == b"liburing 2.15\nbusybox x\n"
    for d in ("proc", "sys", "dev", "tmp"):
        assert stat.S_ISDIR(ent[d][0])


def multi_build(tmp_path, names=("b_case", "a_case"), body=b"\x7fELFmulti"):
    """A build folder like make's: build/multi/ubc-cases and build/bin/<name> symlinks to it."""
    b = tmp_path / "build"
    (b / "multi").mkdir(parents=True, exist_ok=True)
    (b / "bin").mkdir(exist_ok=True)
    (b / "multi" / "ubc-cases").write_bytes(body)
    for n in names:
        if not (b / "bin" / n).is_symlink():
            (b / "bin" / n).symlink_to("../multi/ubc-cases")
    return b


def test_build_stores_a_multi_call_binary_once(tmp_path):
    b = multi_build(tmp_path)
    solo = tmp_path / "crash_sysrq"
    solo.write_bytes(b"#!/bin/sh\n")
    other = tmp_path / "elsewhere" / "ubc-cases"          # a second target with the same name
    other.parent.mkdir()
    other.write_bytes(b"OTHER")
    (tmp_path / "c_case").symlink_to(other)
    bb = tmp_path / "busybox"
    bb.write_bytes(b"BUSYBOX")
    bins = [b / "bin" / "b_case", b / "bin" / "a_case", solo, tmp_path / "c_case"]
    out = initramfs.build(tmp_path / "i.cpio", bins, TOP / "runner" / "guest" / "run-cases.sh", [], bb)
    ents = initramfs.parse_cpio(out.read_bytes())
    ent = {n: (m, d) for n, m, d in ents}
    assert [n for n, _, d in ents if d == b"\x7fELFmulti"] == ["ubc/multi/ubc-cases"]
    assert ent["ubc/multi/ubc-cases"][0] & 0o111 and stat.S_ISREG(ent["ubc/multi/ubc-cases"][0])
    for n in ("a_case", "b_case"):
        assert stat.S_ISLNK(ent[f"ubc/bin/{n}"][0]) and ent[f"ubc/bin/{n}"][1] == b"../multi/ubc-cases"
    assert ent["ubc/bin/c_case"][1] == b"../multi/ubc-cases.2" and ent["ubc/multi/ubc-cases.2"][1] == b"OTHER"
    assert stat.S_ISREG(ent["ubc/bin/crash_sysrq"][0]) and ent["ubc/bin/crash_sysrq"][1] == b"#!/bin/sh\n"
    assert ent["ubc/cases"][1] == b"b_case\na_case\ncrash_sysrq\nc_case\n"
    if shutil.which("cpio"):   # what the kernel unpacks: the links resolve to the one file
        x = tmp_path / "x"
        x.mkdir()
        subprocess.run(["cpio", "-id", "--quiet"], stdin=open(out, "rb"), cwd=x, check=True)
        assert (x / "ubc/bin/a_case").read_bytes() == b"\x7fELFmulti"
        assert os.readlink(x / "ubc/bin/a_case") == "../multi/ubc-cases"


def test_initramfs_name_follows_the_multi_call_binary(tmp_path, monkeypatch):
    """The cached initramfs is named by a hash of what goes in: a change to any case (the
    multi-call binary) or to the set of cases gives a new one; nothing changed, the same."""
    from runner.run.kernel_run import Options
    monkeypatch.setenv("UBC_CACHE", str(tmp_path / "cache"))
    bb = tmp_path / "busybox"
    bb.write_bytes(b"BUSYBOX")
    monkeypatch.setattr(initramfs, "busybox", lambda arch="x86_64": (bb, "busybox test"))
    b = multi_build(tmp_path)
    shutil.copy(TOP / "runner" / "guest" / "run-cases.sh", b / "bin" / "run-cases.sh")

    def image(cases=("a_case", "b_case")):
        return initramfs.Initramfs(Options(build=b), list(cases)).get()
    first = image()
    assert image() == first
    multi_build(tmp_path, body=b"\x7fELFmulti, one case changed")
    second = image()
    assert second != first
    multi_build(tmp_path, names=("a_case", "b_case", "c_case"), body=b"\x7fELFmulti, one case changed")
    assert image(("a_case", "b_case", "c_case")) not in (first, second)
    assert len([n for n, _, d in initramfs.parse_cpio(second.read_bytes())
                if d == b"\x7fELFmulti, one case changed"]) == 1


def test_static_elf_check():
    assert not initramfs.is_static(Path(sys.executable).resolve())
    static = TOP / "build" / "bin"
    cases = [p for p in static.iterdir() if p.name != "run-cases.sh"] if static.is_dir() else []
    if cases:
        assert initramfs.is_static(cases[0])     # through the symlink to build/multi/ubc-cases


def run_init_selection(tmp_path, cmdline: str) -> list[str]:
    """The guest init's case selection, run on the host: cut the script before it runs
    anything and print $bins."""
    text = initramfs.GUEST_INIT.read_text()
    body = text[text.index("# Is $1 in the ranges"):text.index('echo "# ubc-guest: start"')]
    body = body.replace("$(cat /proc/cmdline)", cmdline).replace("/ubc/", f"{tmp_path}/ubc/")
    body = body.replace('if [ "$probe" = 1 ]; then', 'if false; then')
    (tmp_path / "ubc/bin").mkdir(parents=True, exist_ok=True)
    (tmp_path / "ubc/cases").write_text("a\nb\nc\nd\ne\n")
    out = subprocess.run(["sh", "-c", body + '\necho $bins'], capture_output=True, text=True, check=True)
    return [p.rsplit("/", 1)[1] for p in out.stdout.split()]


def test_guest_init_runs_the_listed_cases_or_the_ranges(tmp_path):
    assert run_init_selection(tmp_path, "console=ttyS0") == ["a", "b", "c", "d", "e"]
    assert run_init_selection(tmp_path, "ubc.only=2-3,5 quiet") == ["b", "c", "e"]
    assert run_init_selection(tmp_path, "ubc.only=4") == ["d"]
    assert run_init_selection(tmp_path, "ubc.cases=e,a") == ["e", "a"]


def test_after_kill_running_no_vm_starts(monkeypatch):
    monkeypatch.setattr(qemu, "_stopping", qemu.threading.Event())
    qemu.kill_running()
    b = qemu.run(["sh", "-c", "echo should not run"], deadline=5, silence=5)
    assert b.end_reason == "interrupted" and b.console == []


def test_an_image_a_run_holds_is_never_evicted(tmp_path, monkeypatch):
    """Two runs sharing one cache: the KEEP rule must not delete the initramfs a concurrent
    run still boots (seen: 7.2 and 7.3 NOT RUN, "No such file", while another run built
    newer images)."""
    from runner.kernel import initramfs as ir
    d = tmp_path / "initramfs"
    d.mkdir()
    monkeypatch.setattr(ir, "KEEP", 1)
    first = d / "a.cpio"
    first.write_bytes(b"x")
    os.utime(first, (1, 1))  # the oldest
    held = ir.hold(first)
    ir._store(d / "b.cpio", lambda tmp: tmp.write_bytes(b"y"))
    assert first.exists(), "a held image was evicted"
    held.close()
    ir._store(d / "c.cpio", lambda tmp: tmp.write_bytes(b"z"))
    assert not first.exists() and (d / "c.cpio").exists()


def test_a_tracked_child_left_by_an_exception_dies_with_its_group(tmp_path):
    """An exception (Ctrl-C) inside `with tracked(proc)` kills the child's whole group: a
    kernel build's sub-makes were left running after kmutate --coverage was interrupted."""
    import subprocess
    import time
    from runner.kernel import qemu
    pids = tmp_path / "pids"
    proc = subprocess.Popen(["sh", "-c", f"sleep 300 & echo $! > {pids}; wait"],
                            start_new_session=True)
    try:
        with qemu.tracked(proc):
            while not (pids.exists() and pids.read_text().strip()):
                time.sleep(0.05)
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    grandchild = int(pids.read_text())
    proc.wait(timeout=10)
    end = time.monotonic() + 5
    while time.monotonic() < end:
        try:
            with open(f"/proc/{grandchild}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except OSError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the grandchild outlived the exception")
    assert proc not in qemu._running


def test_an_image_evicted_all_the_same_is_made_again(tmp_path, monkeypatch):
    """A run of an older checkout sharing the cache evicts without looking at the hold (seen:
    seven kernels of a --matrix --arch all run NOT RUN, "No such file"): the next kernel's
    get() makes the image again."""
    from runner.kernel import initramfs as ir
    img, made = tmp_path / "x.cpio", []

    def make(self):
        img.write_bytes(b"x")
        made.append(img)
        return img
    monkeypatch.setattr(ir.Initramfs, "_make", make)
    r = ir.Initramfs(None, [])
    assert r.get() == img and r.get() == img and len(made) == 1
    img.unlink()
    assert r.get() == img and img.exists() and len(made) == 2
