#!/bin/sh
# The one entry point: python3 -m runner (runner/cli.py) owns the options, builds what is
# needed, runs the cases on this kernel or on kernels in QEMU and judges them. See --help.
# Exit: 0 ok, 1 regression, 2 usage or input error, 3 could not run what was asked,
# 130 interrupted.
top=$(cd "$(dirname "$0")" && pwd)
py=${UBC_PYTHON:-/usr/bin/python3}
if ! "$py" -c 'import pytest' 2>/dev/null; then
	echo "run_tests.sh: $py has no pytest: run 'make setup' (as root), or apt-get install python3-pytest" >&2
	exit 3
fi
cd "$top" && exec "$py" -m runner "$@"
