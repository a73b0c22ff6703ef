"""The one command line: ./run_tests.sh is `python3 -m runner`. One parser; each subcommand
is a module of runner/commands (or runner/bisect) with add_arguments() and main(); the
options they share are declared once in runner/run/options.py. Every error is a UbcError
(runner/core/errors.py) carrying its exit status, turned into one line here and nowhere else.
"""
from __future__ import annotations

import sys

from runner.core import env
from runner.core.errors import UbcError
from runner.core.status import Exit
from runner.run.options import Parser, resolve_env

PROG = "run_tests.sh"


def commands() -> dict:
    """name -> module (imported lazily where it pulls in much)."""
    from runner.bisect import packages as bisect_packages, step as bisect_step
    from runner.commands import durations, gate, judge, kcidb, kmutate, merge, plan, report, run
    from runner.commands import kselftest_guest, kselftest_log
    from runner.commands import initramfs, lava_job, lava_log, lava_overlay, squad
    return {"run": run, "list-kernels": None, "judge": judge, "gate": gate, "report": report,
            "bisect-step": bisect_step, "bisect-packages": bisect_packages,
            "plan": plan, "merge": merge, "kcidb": kcidb, "durations": durations,
            "kselftest-log": kselftest_log, "kselftest-guest": kselftest_guest,
            "initramfs": initramfs, "lava-job": lava_job, "lava-overlay": lava_overlay,
            "lava-log": lava_log, "squad": squad, "kmutate": kmutate}


EPILOG = """exit status: 0 ok, 1 regression (or a gate's), 2 usage or input error (one line,
before anything is built or booted), 3 could not run what was asked, 130 interrupted.
bisect-step exits as git bisect run wants: 0 good, 1 bad, 125 skip, 128 abort, 130.

environment (validated like the options they stand for):
""" + "\n".join(env.help_lines())


def parser() -> Parser:
    import argparse
    ap = Parser(prog=PROG, description="The io_uring buffer-API conformance suite: run the "
                "cases on this kernel or on kernels booted in QEMU, judge them against "
                "expected/, gate, bisect, report. Without a subcommand: run.",
                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, mod in commands().items():
        if mod is None:
            sub.add_parser(name, help="the Debian kernels served (run --list-kernels)")
            continue
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP, epilog=EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
    return ap


def interrupt_on_sigterm() -> None:
    """SIGTERM ends every command like Ctrl-C, from its first step (the build too): what
    was collected is written, children are killed, the exit status is 130."""
    import signal
    import threading

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    remap = int
    interrupt_on_sigterm()
    try:
        ap = parser()
        names = commands()
        if not argv or (argv[0] not in names and argv[0] not in ("-h", "--help")):
            argv = ["run", *argv]
        remap = getattr(names.get(argv[0]), "remap_exit", int)
        if argv[0] == "list-kernels":
            argv = ["run", "--list-kernels", *argv[1:]]
        a = resolve_env(ap.parse_args(argv))
        return int(names[a.command].main(a))
    except UbcError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return remap(int(e.exit_status))
    except KeyboardInterrupt:
        from runner.kernel import qemu
        qemu.kill_running()
        print(f"{PROG}: interrupted", file=sys.stderr)
        return Exit.INTERRUPTED
