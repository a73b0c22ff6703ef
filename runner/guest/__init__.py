"""The guest half of the console protocol: init (the initramfs's /init) and run-cases.sh
(runs the case binaries and prints one KTAP document; the same script on the host)."""

# The markers of the guest's init (runner/guest/init) on the console: the console reader
# (runner/ktap) reads them, the transports (runner/kernel) only pass them through.
GUEST_START = "# ubc-guest: start"
GUEST_DONE = "# ubc-guest: done"     # the cases ran; the guest powers off
GUEST_ALIVE = "# ubc-guest: alive"   # the accelerator probe's guest reached its init
# ubc.gcov=1 (opt-in): the kernel's gcov data after the cases, a base64 tar.gz, each line prefixed
GCOV_PREFIX = "# ubc-gcov: "
GCOV_BEGIN = "# ubc-gcov: begin"
GCOV_END = "# ubc-gcov: end"
