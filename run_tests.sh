#!/bin/sh
# The one entry point: python3 -m runner (runner/cli.py) owns the options, builds what is
# needed, runs the cases on this kernel or on kernels in QEMU and judges them. See --help.
# Exit: 0 ok, 1 regression, 2 usage or input error, 3 could not run what was asked,
# 130 interrupted.
# --bisect-step ... (git bisect run, from a kernel tree: 0 good, 1 bad, 125 skip, 128 abort,
# 130 interrupted) and --bisect-packages ... run in the caller's folder, not the suite's.
top=$(cd "$(dirname "$0")" && pwd)
py=${UBC_PYTHON:-/usr/bin/python3}
fail=3
[ "${1:-}" = --bisect-step ] && fail=128
# A fresh machine: as root, set up what is missing (scripts/setup, as make check does);
# as another user, scripts/setup prints the one line to run.
if ! "$py" -c 'import pytest' 2>/dev/null || ! command -v cc >/dev/null || ! command -v make >/dev/null; then
	"$top/scripts/setup" >&2 || exit $fail
fi
case "${1:-}" in
--bisect-step|--bisect-packages)
	sub=${1#--}
	shift
	# The step runs in the kernel tree (the cwd git bisect gives it). A set-up failure is
	# 128 there, so that git bisect stops instead of counting the commit bad.
	PYTHONPATH=$top${PYTHONPATH:+:$PYTHONPATH} exec "$py" -m runner "$sub" "$@" ;;
esac
cd "$top" && exec "$py" -m runner "$@"
