"""LAVA's files for the suite, written from the suite's own definitions so a lab boots what a
local run boots:

- job(): a `device_type: qemu` job that boots a kernel and the suite's initramfs
  (`deploy: to: tmpfs`, `boot: method: qemu, media: tmpfs`) with the kernel command line of
  runner/kernel/qemu.py cmdline(), and turns the console's top-level KTAP results into LAVA
  test cases with a `test: monitors:` block between the guest's start and done markers
  (runner/guest). No shell: the initramfs runs the cases and powers off.
- device(): a device dictionary for lava-run on this machine: QEMU with the options of
  runner/kernel/qemu.py command() (TCG unless told otherwise).
- testdef() and overlay(): for a device with a shell: a `Lava-Test Test Definition 1.0`
  that runs runner/guest/run-cases.sh from an overlay tarball and calls lava-test-case for
  each top-level KTAP result (runner/lab/lava-cases.sh does the calling).
- install(): where `scripts/setup --lava` put lava-run (the cache's lava/ folder).

Every file is YAML written by to_yaml() (no PyYAML needed to write it).
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from runner.core.errors import NotRun, UsageError
from runner.core.paths import RUN_CASES
from runner.guest import GUEST_DONE, GUEST_START
from runner.kernel import qemu
from runner.kernel.cache import cache_dir
from runner.kernel.initramfs import layout
from runner.run.kernel_run import DEFAULT_CASE_TIMEOUT

HERE = Path(__file__).resolve().parent
LAVA_CASES = HERE / "lava-cases.sh"
# The LAVA test definition name of the monitor and of the shell definition: SQUAD's LAVA
# backend names the tests <definition>/<case>, as runner/report/squad.py does.
SUITE = "uring_buffer"
DEFAULT_NAME = "uring-buffer-conformance"
# A top-level KTAP result line of run-cases.sh, whole (up to its line end, so pexpect never
# matches half a line): "ok N name", "not ok N name # CRASH ...", "ok N name # SKIP why".
# The lookahead reads the result: SKIP when the first "# " directive is SKIP, else the line's
# own "ok" / "not ok". Nested (indented) lines never match: the line must start with the
# result. pexpect compiles with DOTALL, so no "." here.
RESULT_PATTERN = (r"(?m)^(?=(?:[^\r\n]*?# )?(?P<result>SKIP|not ok|ok))(?:not )?ok \d+ "
                  r"(?P<test_case_id>[^#\r\n]*[^#\s])[^\r\n]*\r*\n")
FIXUPDICT = {"ok": "pass", "not ok": "fail", "SKIP": "skip"}
OVERLAY_ROOT = "ubc"  # the tarball's top folder (the initramfs's /ubc layout)


# -- YAML out ---------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./+-]*\Z")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _scalar(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _RESERVED:
        return s
    if s.isprintable() and "'" not in s:
        return f"'{s}'"  # single-quoted: backslashes stay as they are (regexes read well)
    return json.dumps(s)  # a JSON string is a YAML double-quoted scalar


def to_yaml(obj, comment: str = "") -> str:
    """Block-style YAML of dicts, lists and scalars; `comment` goes on top as # lines."""
    out = [f"# {line}".rstrip() for line in comment.splitlines()]

    def emit(v, indent: int, prefix: str) -> None:
        pad = " " * indent
        if isinstance(v, dict) and v:
            first = True
            for k, x in v.items():
                lead = prefix if first else pad
                first = False
                if isinstance(x, (dict, list)) and x:
                    out.append(f"{lead}{_scalar(k)}:")
                    emit(x, indent + 2, " " * (indent + 2))
                else:
                    out.append(f"{lead}{_scalar(k)}: {_inline(x)}")
        elif isinstance(v, list) and v:
            first = True
            for x in v:
                lead = prefix if first else pad
                first = False
                if isinstance(x, (dict, list)) and x:
                    emit(x, indent + 2, lead + "- ")
                else:
                    out.append(f"{lead}- {_inline(x)}")
        else:
            out.append(prefix + _inline(v))
    emit(obj, 0, "")
    return "\n".join(out) + "\n"


def _inline(v) -> str:
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    return _scalar(v)


# -- the monitors job -------------------------------------------------------------------------

def literal(marker: str) -> str:
    """A console marker as LAVA's start/end regex: it must need no escaping."""
    if re.escape(marker).replace("\\ ", " ").replace("\\#", "#").replace("\\-", "-") != marker:
        raise ValueError(f"marker {marker!r} has regex metacharacters")
    return marker


def url(value: str, what: str) -> str:
    """A URL LAVA can download: http(s)://, file://, ...; a path becomes file:// (the
    dispatcher must see it: on a lab, give a URL)."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", value):
        return value
    p = Path(value)
    if not p.is_file():
        raise UsageError(f"{what} {value}: neither a URL nor a file")
    return "file://" + str(p.resolve())


@dataclass
class JobSpec:
    kernel_url: str
    ramdisk_url: str
    name: str = DEFAULT_NAME
    cases: list[str] | None = None     # ubc.cases= (default: every case in the initramfs)
    case_timeout: int = DEFAULT_CASE_TIMEOUT
    minutes: int = 30                  # the job's timeout
    memory_mb: int = 512               # context: memory (a lab's qemu device type reads it)
    no_kvm: bool = False               # context: no_kvm (a lab's qemu device type reads it)
    extra_append: str = ""

    @property
    def silence_seconds(self) -> int:
        """The longest console silence LAVA allows (the boot action's timeout is the
        monitor's pexpect timeout): a case killed after case_timeout still prints its line."""
        return self.case_timeout + 60


def append(spec: JobSpec) -> str:
    """The kernel command line: the one a local boot uses (qemu.cmdline)."""
    line = qemu.cmdline(cases=spec.cases, timeout=spec.case_timeout, extra=spec.extra_append)
    if '"' in line:
        raise UsageError(f"the kernel command line may not hold a double quote: {line}")
    return line


def job(spec: JobSpec) -> dict:
    """The LAVA job (a dict for to_yaml)."""
    if spec.minutes < 5:
        raise UsageError(f"the job's timeout must be at least 5 minutes, not {spec.minutes}")
    context = {"arch": "amd64", "memory": spec.memory_mb}
    if spec.no_kvm:
        context["no_kvm"] = True
    return {
        "device_type": "qemu",
        "job_name": spec.name,
        "visibility": "public",
        "priority": "medium",
        "timeouts": {"job": {"minutes": spec.minutes},
                     "action": {"minutes": spec.minutes - 1},
                     "connection": {"seconds": spec.silence_seconds}},
        "context": context,
        "actions": [
            {"deploy": {
                "to": "tmpfs",
                "timeout": {"minutes": 5},
                "images": {
                    # LAVA passes every image_arg to QEMU with {kernel}/{ramdisk} replaced by
                    # the downloaded file: the kernel command line travels here.
                    "kernel": {"image_arg": f'-kernel {{kernel}} -append "{append(spec)}"',
                               "url": spec.kernel_url},
                    "ramdisk": {"image_arg": "-initrd {ramdisk}", "url": spec.ramdisk_url},
                }}},
            {"boot": {
                "method": "qemu",
                "media": "tmpfs",
                # Also the console's pexpect timeout: the longest silence between two results.
                "timeout": {"seconds": spec.silence_seconds}}},
            {"test": {
                "timeout": {"minutes": spec.minutes - 2},
                "monitors": [{
                    "name": SUITE,
                    "start": literal(GUEST_START),
                    "end": literal(GUEST_DONE),
                    "pattern": RESULT_PATTERN,
                    "fixupdict": dict(FIXUPDICT)}]}},
        ],
    }


JOB_COMMENT = """LAVA job: boot a kernel and the uring-buffer-conformance initramfs in QEMU; its init runs
the cases, prints KTAP on the serial console and powers off. The monitor turns each
top-level KTAP result into a LAVA test case ({suite}/<case>: pass, fail, skip).
Written by `run_tests.sh lava-job` (docs/lava.md): the kernel command line is the one a
local run uses. LAVA's verdict: the job passes even when the guest hangs (the monitor then
says failed) -- read it with `run_tests.sh lava-log LOG.yaml`."""


def job_yaml(spec: JobSpec) -> str:
    return to_yaml(job(spec), JOB_COMMENT.format(suite=SUITE))


# -- a device dictionary for lava-run on this machine -----------------------------------------

def device(accel: str = "tcg", memory: str = "512M", smp: int = 1, machine: str = "pc") -> dict:
    """A rendered device dictionary (what `lava-run --device` takes) for a qemu device on
    this machine: QEMU with runner/kernel/qemu.py command()'s options, less what the job
    gives (-kernel, -initrd, -append)."""
    cmd = qemu.command(Path("K"), Path("I"), "A", accel=accel, machine=machine,
                       memory=memory, smp=smp)
    binary, args = cmd[0], cmd[1:cmd.index("-kernel")]
    options, i = [], 0
    while i < len(args):  # "-opt value" pairs as LAVA lists them (it joins with spaces)
        if i + 1 < len(args) and not args[i + 1].startswith("-"):
            options.append(f"{args[i]} {args[i + 1]}")
            i += 2
        else:
            options.append(args[i])
            i += 1
    return {
        "device_type": "qemu",
        "hostname": "ubc-qemu",
        "available_architectures": ["amd64", "x86_64"],
        # RetryAction reads both; absent, lava-run fails with a ConfigurationError.
        "constants": {"failure_retry": 1, "boot_retry": None,
                      "kernel-start-message": "Linux version [0-9]"},
        "actions": {
            # `deploy: to: tmpfs` is accepted when the device has the image method.
            "deploy": {"methods": {"image": {"parameters": {"guest": {
                "size": 512, "interface": "ide", "driveid": "lavatest"}}}}},
            "boot": {"methods": {"qemu": {"parameters": {"command": binary,
                                                          "options": options}}}},
        },
        "timeouts": {"actions": {"power-off": {"seconds": 10}}},
    }


DEVICE_COMMENT = """lava-run device dictionary for a qemu device on this machine (written by
`run_tests.sh lava-job --device`): QEMU with the options a local run uses."""


def device_yaml(**kw) -> str:
    return to_yaml(device(**kw), DEVICE_COMMENT)


# -- a device with a shell: the test definition and its overlay ---------------------------------

TESTDEF_STEPS = [
    # The overlay: already unpacked under UBC_PREFIX (a deploy's overlay), or fetched here.
    'if [ -n "$UBC_OVERLAY_URL" ]; then mkdir -p "$UBC_PREFIX" && '
    '{ wget -q -O /tmp/ubc-overlay.tar.gz "$UBC_OVERLAY_URL" || '
    'curl -fsSL -o /tmp/ubc-overlay.tar.gz "$UBC_OVERLAY_URL"; } && '
    'tar -xzf /tmp/ubc-overlay.tar.gz -C "$UBC_PREFIX" && rm -f /tmp/ubc-overlay.tar.gz; fi',
    f'"$UBC_PREFIX/{OVERLAY_ROOT}/lava-cases.sh" -t "$UBC_CASE_TIMEOUT" $UBC_CASES',
]


def testdef(case_timeout: int = DEFAULT_CASE_TIMEOUT) -> dict:
    """The Lava-Test Test Definition 1.0 (a dict for to_yaml)."""
    return {
        "metadata": {
            "format": "Lava-Test Test Definition 1.0",
            "name": SUITE,
            "description": "uring-buffer-conformance: the io_uring buffer API cases; one LAVA "
                           "test case per case (lava-test-case with its KTAP result)",
            "os": ["debian", "oe", "buildroot"],
            "scope": ["functional"],
            "environment": ["lava-test-shell"],
            "devices": ["qemu", "x86_64"],
        },
        "params": {
            "UBC_OVERLAY_URL": "",  # empty: the overlay is already under UBC_PREFIX
            "UBC_PREFIX": "/",
            "UBC_CASE_TIMEOUT": str(case_timeout),
            "UBC_CASES": "",        # empty: every case of the overlay
        },
        "run": {"steps": list(TESTDEF_STEPS)},
    }


TESTDEF_COMMENT = """Lava-Test Test Definition 1.0 for a device with a shell (x86_64, root): runs the
uring-buffer-conformance cases from its overlay tarball (`run_tests.sh lava-overlay`) and
records one LAVA test case per case with lava-test-case. docs/lava.md says how to use it."""


def testdef_yaml(case_timeout: int = DEFAULT_CASE_TIMEOUT) -> str:
    return to_yaml(testdef(case_timeout), TESTDEF_COMMENT)


def overlay(out: Path, binaries: list[Path], versions: list[str]) -> Path:
    """The overlay tarball (gzip): ubc/ as in the initramfs (bin/<case> -> ../multi/..., bin/
    run-cases.sh, cases, versions.txt) plus ubc/lava-cases.sh, owned by root."""
    bins, multi = layout(binaries)

    def add(tf, name: str, data: bytes | None = None, mode: int = 0o755, link: str = "") -> None:
        ti = tarfile.TarInfo(f"{OVERLAY_ROOT}/{name}" if name else OVERLAY_ROOT)
        ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = int(time.time()), 0, 0, "root", "root"
        ti.mode = mode
        if data is None and not link:
            ti.type = tarfile.DIRTYPE
            tf.addfile(ti)
        elif link:
            ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, link, 0o777
            tf.addfile(ti)
        else:
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with tarfile.open(tmp, "w:gz") as tf:
            for d in ("", "bin", "multi"):
                add(tf, d)
            add(tf, "lava-cases.sh", LAVA_CASES.read_bytes())
            add(tf, "bin/run-cases.sh", RUN_CASES.read_bytes())
            add(tf, "versions.txt", "".join(v + "\n" for v in versions).encode(), 0o644)
            add(tf, "cases", "".join(b.name + "\n" for b in binaries).encode(), 0o644)
            for name, real in multi:
                add(tf, f"multi/{name}", real.read_bytes())
            for name, what in bins:
                if isinstance(what, str):
                    add(tf, f"bin/{name}", link=what)
                else:
                    add(tf, f"bin/{name}", what.read_bytes())
        tmp.replace(out)
    except OSError as e:
        raise NotRun(f"cannot write {out}: {e.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out


# -- lava-run on this machine (scripts/setup --lava) --------------------------------------------

@dataclass
class Install:
    """lava-dispatcher unpacked by `scripts/setup --lava` under <cache>/lava/."""
    root: Path

    @property
    def lava_run(self) -> Path:
        return self.root / "root" / "usr" / "bin" / "lava-run"

    @property
    def pythonpath(self) -> str:
        return f"{self.root / 'root' / 'usr' / 'lib' / 'python3' / 'dist-packages'}:{self.root / 'stubs'}"

    def command(self, job_file: Path, device_file: Path, out: Path, job_id: str) -> list[str]:
        # Debian's python3: the python3-* modules lava-run needs are installed for it.
        return ["/usr/bin/python3", str(self.lava_run), "--job-id", job_id,
                "--output-dir", str(out), "--device", str(device_file), str(job_file)]

    def env(self) -> dict:
        return {**os.environ, "PYTHONPATH": self.pythonpath}


def install(root: Path | None = None) -> Install | None:
    """The lava-run scripts/setup --lava installed, or None."""
    i = Install(root or cache_dir() / "lava")
    return i if i.lava_run.is_file() and (i.root / "stubs" / "guestfs.py").is_file() else None


@dataclass
class LavaRun:
    exit_code: int | None
    log: Path          # lava-run's stderr: LAVA's log stream, one YAML mapping a line
    seconds: float
    timed_out: bool


def run(inst: Install, job_file: Path, device_file: Path, out: Path, job_id: str = "1",
        timeout: float = 1800) -> LavaRun:
    """Run lava-run (as root: it writes under /var/lib/lava) bounded by `timeout` seconds;
    LAVA's log goes to out/log.yaml."""
    if shutil.which("/usr/bin/python3") is None:
        raise NotRun("lava-run needs /usr/bin/python3 (Debian's)")
    out.mkdir(parents=True, exist_ok=True)
    log = out / "log.yaml"
    t0 = time.monotonic()
    with open(log, "w") as err, open(out / "lava-run.stdout", "w") as so:
        p = subprocess.Popen(inst.command(job_file, device_file, out, job_id), stdout=so,
                             stderr=err, env=inst.env(), start_new_session=True)
        try:
            rc, timed_out = p.wait(timeout=timeout), False
        except subprocess.TimeoutExpired:
            # SIGTERM first: lava-run cancels the job, which stops its QEMU; then SIGKILL.
            p.terminate()
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
            rc, timed_out = p.wait(), True
    return LavaRun(rc, log, round(time.monotonic() - t0, 1), timed_out)
