"""Labs: the suite run by someone else's scheduler. lava.py writes LAVA's job, device and
test definition for the suite's kernel command line and console markers (and the overlay a
device with a shell needs); lava_log.py reads what LAVA logged (its test cases, the raw
console, its verdict) so a lab's run is judged against expected/ like a local one."""
