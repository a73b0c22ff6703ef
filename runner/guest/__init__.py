"""The guest half of the console protocol: init (the initramfs's /init) and run-cases.sh
(runs the case binaries and prints one KTAP document; the same script on the host)."""
