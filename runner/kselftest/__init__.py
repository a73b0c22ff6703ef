"""The suite as a kselftest collection: read what the kernel's own runner printed.

`make kselftest-install INSTALL_PATH=DIR` (scripts/kselftest-install) lays the cases out as
the collection `uring_buffer` that the kernel's tools/testing/selftests/run_kselftest.sh runs
unchanged. tap.py turns that runner's TAP (`# selftests: uring_buffer: NAME`, the case's
output prefixed `# `, `ok N selftests: uring_buffer: NAME [# SKIP]`) into the KTAP of
runner/guest/run-cases.sh, so the suite's one reader (runner.ktap.parse_console) judges both
the same way; see docs/kselftest.md.
"""
from runner.kselftest.tap import COLLECTION, banner, outcomes, parse_kselftest, to_suite_ktap

__all__ = ["COLLECTION", "banner", "outcomes", "parse_kselftest", "to_suite_ktap"]
