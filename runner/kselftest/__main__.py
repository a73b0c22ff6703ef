"""python3 -m runner.kselftest [--release R] [--results] LOG...: run_kselftest.sh's output (a
file, or - for stdin) rewritten as run-cases.sh's KTAP on stdout. `./run_tests.sh judge`
reads that like a console log; it needs the kernel the tests ran on, which the kernel's
runner does not print: give it with --release "$(uname -r)" [--arch "$(uname -m)"]
[--proc-version "$(cat /proc/version)"] (taken on the machine that ran them). --results prints
`NAME STATUS` per case instead, and exits 1 when the run is incomplete or a case did not pass
or skip."""
import argparse
import sys

from runner.kselftest import COLLECTION, banner, outcomes, parse_kselftest, to_suite_ktap


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m runner.kselftest",
                                 description=__doc__.split(":", 1)[1].strip())
    ap.add_argument("logs", nargs="+", metavar="LOG")
    ap.add_argument("--collection", default=COLLECTION)
    ap.add_argument("--release", help="uname -r of the machine that ran the tests")
    ap.add_argument("--arch", default="x86_64", help="its uname -m (default x86_64)")
    ap.add_argument("--proc-version", help="its /proc/version")
    ap.add_argument("--results", action="store_true", help="NAME STATUS per case")
    a = ap.parse_args(argv)
    lines = banner(a.release, a.arch, a.proc_version) if a.release else []
    bad = False
    for log in a.logs:
        try:
            text = sys.stdin.read() if log == "-" else open(log, errors="replace").read()
        except OSError as e:
            ap.error(f"{log}: {e.strerror}")
        if not a.results:
            sys.stdout.write(to_suite_ktap(text, a.collection, lines))
            continue
        run = parse_kselftest(text, collection=a.collection)
        for name, status in outcomes(run).items():
            print(f"{name} {status}")
        for err in run.errors:
            print(f"# {log}: {err}")
        if not run.complete:
            print(f"# {log}: incomplete")
        bad |= not run.complete or any(s not in ("pass", "skip") for s in outcomes(run).values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
