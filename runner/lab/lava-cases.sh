#!/bin/sh
# The LAVA test shell's step (runner/lab/lava.py testdef()): run the cases of this overlay
# with bin/run-cases.sh, print its KTAP as it comes (the console keeps it, so
# `run_tests.sh judge` can judge the job's log), and record each top-level KTAP result as a
# LAVA test case: lava-test-case NAME --result pass|fail|skip, with the case's seconds
# (run-cases.sh's "# time: NAME S" line) as its measurement.
#   lava-cases.sh [-t SECS] [CASE...]     (default: every case in ./cases, in order)
# Exit: 0 when the KTAP document was whole (plan, every result, the summary line), whatever
# the cases did (LAVA holds their results); 1 when it was not (run-cases.sh could not run,
# or stopped early).
set -u
here=$(cd "$(dirname "$0")" && pwd)
t=""
if [ "${1:-}" = -t ]; then
	[ -n "${2:-}" ] && t=$2
	shift 2
fi
if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046  # one word per case name
	set -- $(cat "$here/cases")
fi
bins=""
for c in "$@"; do bins="$bins $here/bin/$c"; done
command -v lava-test-case >/dev/null 2>&1 || { echo "lava-cases.sh: lava-test-case not found (not in a LAVA test shell?)" >&2; exit 1; }

# shellcheck disable=SC2086  # one word per binary
"$here/bin/run-cases.sh" ${t:+-t "$t"} $bins 2>&1 | awk '
	function record(name, result, secs,   cmd) {
		gsub(/[^A-Za-z0-9_.-]/, "_", name)
		cmd = "lava-test-case " name " --result " result
		if (secs != "") cmd = cmd " --measurement " secs " --units seconds"
		system(cmd)
	}
	function flush() { if (pending != "") record(pending, presult, ""); pending = "" }
	{ print; fflush() }
	/^1\.\.[0-9]+$/ && plan == "" { plan = substr($0, 4) + 0; next }
	/^(not )?ok [0-9]+ / {
		flush()
		line = $0
		result = (line ~ /^not ok /) ? "fail" : "pass"
		sub(/^(not )?ok [0-9]+ /, "", line)
		name = line
		sub(/ *#.*$/, "", name)
		if (result == "pass" && line ~ /# SKIP/) result = "skip"
		pending = name; presult = result; seen++
		next
	}
	/^# time: / {
		if (pending != "" && $3 == pending) { record(pending, presult, $4); pending = "" }
		next
	}
	/^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ { summary = 1 }
	END {
		flush()
		if (plan == "" || seen != plan || !summary) {
			printf "lava-cases.sh: the KTAP document is not whole: %d of %s results%s\n", seen, (plan == "" ? "?" : plan), (summary ? "" : ", no summary line") > "/dev/stderr"
			exit 1
		}
	}'
