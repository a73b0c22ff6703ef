"""Bisecting: `run_tests.sh bisect-step ...` (one git bisect run step from a kernel tree,
step.py, building it with kbuild.py and kconfig/) and `run_tests.sh bisect-packages ...` (a
search over Debian's packaged kernels, packages.py); verdict.py says what a step's run means."""
