"""Bisecting: `run_tests.sh --bisect-step ...` (one git bisect run step from a kernel tree,
runner/bisect_step.py) and `run_tests.sh --bisect-packages ...` (a search over Debian's
packaged kernels, runner/bisect_packages.py). runner/cli.py hands both here."""
from __future__ import annotations


def main(argv: list[str]) -> int:
    sub, rest = argv[0], argv[1:]
    if sub == "bisect-step":
        from runner.bisect import step as bisect_step
        return bisect_step.main(rest)
    from runner.bisect import packages as bisect_packages
    return bisect_packages.main(rest)
