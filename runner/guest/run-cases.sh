#!/bin/sh
# Run case binaries and print one KTAP document: a subtest per binary, its own KTAP
# nested (indented four spaces), then "N passed, N failed, N skipped" over the harness
# cases, and after each case a comment "# time: NAME SECONDS" (its wall time). POSIX sh + awk
# + timeout, so the same script runs on the host and, under busybox, as the guest's test step
# (the runner reads this same format from the console). Under TCG every process costs
# milliseconds, so the loop uses shell builtins (read from /proc, parameter expansion): per
# case it starts only timeout, the binary and awk.
#   run-cases.sh [-v] [-t SECS] [-P N] [-o ORDER] BINARY...
# -P N (default 1): up to N cases at once (the guest's vCPUs). Each runs in the background
# with its output in a file of its own; "# start: NAME pid=P" says it started, and its whole
# block (header, nested KTAP, result, time) is printed when it ends, so blocks never
# interleave and results come in the order cases end. Two cases whose names share their
# first 15 characters (a task's comm, which a kernel splat names) never run at once, nor
# two cases of one APART pattern; the cases in ALONE run after the others, one at a time.
# A taint change seen when a case ends names every case that ran since the last look
# ("during A B"): the runner re-runs them alone. With -P 1 the output is what it always was.
# -o ORDER (only with -P N > 1): a file of case names, longest first (bench/durations.json):
# those cases start in that order, the others after them in theirs, so the last to end
# is a short one.
# Exit: 0 if nothing failed, 1 otherwise, 3 if it could not run (no temporary folder).
set -u
timeout_s=${UBC_CASE_TIMEOUT:-120}
verbose=0
jobs=1
order=''
# Cases that measure global state (a memory cgroup's charges, the stress tier's races that
# want every CPU) never share the kernel with another case: patterns, one a word.
ALONE="clone_memlock_not_charged provide_res_zero stress_*"
# Cases of one pattern here never run at once with each other (but do with the rest):
# regbuf_huge_* switch the THP sysfs setting from never to madvise for a moment and back,
# which another of them must not see half way. (regbuf_huge_memlock charges a uid of its
# own: no other case's registrations count against its limit.)
APART="regbuf_huge_*"
while [ $# -gt 0 ]; do
	case "$1" in
	-v) verbose=1; shift ;;
	-t) timeout_s=$2; shift 2 ;;
	-P) jobs=$2; shift 2 ;;
	-o) order=$2; shift 2 ;;
	*) break ;;
	esac
done
here=$(cd "$(dirname "$0")" && pwd)
# Exit 3: could not run at all (the runner tells that from a case failure).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ubc-run.XXXXXX") || { echo "run-cases.sh: cannot create a temporary folder" >&2; exit 3; }
trap 'rm -rf "$tmp"' EXIT

echo "KTAP version 1"
echo "# uring-buffer-conformance on kernel $(uname -r) ($(uname -m))"
# Debian's 6.1 packages say 6.1.0-N in uname -r; /proc/version has the real 6.1.x.
[ -r /proc/version ] && echo "# proc-version: $(cat /proc/version)"
[ -f "$here/../versions.txt" ] && sed 's/^/# /' "$here/../versions.txt"
[ -f "$here/versions.txt" ] && sed 's/^/# /' "$here/versions.txt"
[ "$jobs" -gt 1 ] && echo "# parallel: $jobs"
echo "1..$#"

# A case that taints the kernel (WARN, BUG, ...) is reported by a comment the runner reads.
# A sysctl file answers only a read at offset 0, and `read` reads a byte at a time (6.1 gave "6"
# for "64"): cat copies it whole into a file `read` can take (in busybox cat runs in-process).
taint() {
	t=unknown
	cat /proc/sys/kernel/tainted > "$tmp/taint" 2>/dev/null && read -r t < "$tmp/taint"
}
# Seconds since boot with centiseconds, from /proc/uptime ("12.34 ..."); date(1) elsewhere.
if [ -r /proc/uptime ]; then
	now() { read -r up _ < /proc/uptime; }
else
	now() { up=$(date +%s).00; }
fi
# $2 - $1 for two "S.CC" stamps, printed as S.CC.
elapsed() {
	_a=${1%.*}${1#*.} _b=${2%.*}${2#*.}
	_d=$((${_b#"${_b%%[!0]*}"}0 / 10 - ${_a#"${_a%%[!0]*}"}0 / 10))
	[ "$_d" -lt 0 ] && _d=0
	_c=$((_d % 100))
	[ "$_c" -lt 10 ] && _c=0$_c
	secs=$((_d / 100)).$_c
}
n=0 pass=0 fail=0 skip=0
# Indent a case's output, counting its results on the way (awk's program: no shell expansion).
# shellcheck disable=SC2016
COUNT='
	{ print "    " $0; fflush() }
	/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0 }
	/^ok / { if ($0 ~ /# SKIP/) { s++; if (reason == "") { reason = $0; sub(/.*# SKIP */, "", reason) } } else p++ }
	/^not ok / { f++ }
	END { printf "%d %d %d %d\n", plan, p, f, s > counts; print reason > (counts ".reason") }'
# The end of case $n ($name, exit $rc, started at $start): the taint line, its result line
# and its time. $suspects: the cases that ran since the last taint read.
finish_case() {
	read -r plan p f s < "$tmp/counts"
	IFS= read -r reason < "$tmp/counts.reason"
	now; elapsed "$start" "$up"
	missing=$((plan - p - f - s))
	[ "$missing" -lt 0 ] && missing=0
	directive=""
	if [ "$rc" = 137 ]; then
		directive=" # TIMEOUT killed after ${timeout_s}s"
	elif [ "$missing" -gt 0 ]; then
		directive=" # CRASH $missing of $plan results missing, exit $rc"
	elif [ "$plan" = 0 ] && [ "$rc" != 0 ]; then
		directive=" # CRASH no KTAP plan, exit $rc"
	fi
	# Results the binary announced but never printed, and a failing exit with no failed
	# result, count as failures: a crash is never a pass.
	f=$((f + missing))
	if [ "$f" = 0 ] && [ "$rc" != 0 ]; then f=1; fi
	if [ "$plan" = 0 ] && [ "$f" = 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	taint; taint_after=$t
	if [ "$taint_after" != "$taint_before" ]; then
		# shellcheck disable=SC2086  # one word per case
		set -- $suspects
		if [ $# = 1 ]; then
			echo "# taint changed: $taint_before -> $taint_after after $name"
		else
			echo "# taint changed: $taint_before -> $taint_after during $*"
		fi
	fi
	taint_before=$taint_after
	if [ "$f" -gt 0 ]; then
		echo "not ok $n $name$directive"
	elif [ "$p" = 0 ] && [ "$s" -gt 0 ]; then
		echo "ok $n $name # SKIP $reason"
	else
		echo "ok $n $name"
	fi
	echo "# time: $name $secs"
	[ "$verbose" = 1 ] && echo "# $name: exit $rc after ${secs}s"
}

# One read per case: its taint after is the next one's before (a taint set in between, by
# deferred kernel work, shows after the next case instead of being missed).
taint; taint_before=$t
if [ "$jobs" -le 1 ]; then
	for bin in "$@"; do
		n=$((n + 1))
		name=${bin##*/} suspects=${bin##*/}
		# KTAP's subtest header: also tells a console reader which case a kernel crash hit.
		echo "    # Subtest: $name"
		[ "$verbose" = 1 ] && echo "# running $bin (timeout ${timeout_s}s)"
		now; start=$up
		# Stream the binary's output indented as it comes, counting its results on the way.
		{ timeout -s KILL "$timeout_s" "$bin" 2>&1; echo $? > "$tmp/rc"; } </dev/null |
		awk -v counts="$tmp/counts" "$COUNT"
		read -r rc < "$tmp/rc"
		finish_case
	done
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ]
	exit
fi

# -P N: each case in the background; a case that ends writes "INDEX EXIT" into a FIFO the
# loop blocks on (POSIX sh has no wait for any one child).
if ! mkfifo "$tmp/ended"; then echo "run-cases.sh: cannot create a FIFO" >&2; exit 3; fi
exec 3<>"$tmp/ended"
# A task's comm: its name's first 15 characters.
comm_of() {
	comm=$1
	if [ "${#1}" -gt 15 ]; then comm=${1%"${1#???????????????}"}; fi
}
# Does name $1 match a pattern of the list $2? ($at: the pattern's place in it, from 1)
matches() {
	set -f  # the patterns are matched against names, not expanded against files
	at=0
	for pat in $2; do
		at=$((at + 1))
		# shellcheck disable=SC2254  # a pattern
		case "$1" in $pat) set +f; return 0 ;; esac
	done
	set +f
	return 1
}
# What case $1 must not share with a running case: its comm, and its APART pattern if any.
keys_of() {
	comm_of "$1"
	keys=$comm
	if matches "$1" "$APART"; then keys="$keys apart:$at"; fi
}
# Is one of $keys held by a running case?
busy() {
	for k in $keys; do
		case "$comms" in *" $k "*) return 0 ;; esac
	done
	return 1
}
running=0 started=0 suspects='' comms=' '
# Wait for one case to end and print its block.
reap() {
	read -r i rc <&3
	held=''
	eval "name=\$name_$i start=\$start_$i held=\$keys_$i"
	running=$((running - 1))
	for c in $held; do comms=${comms%% "$c" *}' '${comms#* "$c" }; done
	n=$((n + 1))
	echo "    # Subtest: $name"
	awk -v counts="$tmp/counts" "$COUNT" "$tmp/out.$i"  # (the folder goes at exit: no rm)
	finish_case
	# The cases still running are the suspects of the next taint change.
	suspects='' left=''
	for r in $inflight; do
		[ "$r" = "$i" ] || eval "suspects=\"\$suspects \$name_$r\" left=\"\$left $r\""
	done
	inflight=$left
}
# Start case $bin (keys $keys) in the background.
launch() {
	started=$((started + 1))
	eval "name_$started=\${bin##*/} keys_$started=\$keys"
	[ "$verbose" = 1 ] && echo "# running $bin (timeout ${timeout_s}s)"
	now; eval "start_$started=\$up"
	{ timeout -s KILL "$timeout_s" "$bin" > "$tmp/out.$started" 2>&1 3>&-; echo "$started $?" >&3; } </dev/null &
	echo "# start: ${bin##*/} pid=$!"
	running=$((running + 1)) comms="$comms$keys " inflight="$inflight $started"
	suspects="$suspects ${bin##*/}"
}
# bin = the first case of $pending whose keys ($keys) are free, taken out of it; "" if
# none is. Most times it is the first, so the whole list is walked only when that one waits.
next_free() {
	bin=${pending%% *}
	keys_of "${bin##*/}"
	if ! busy; then pending=${pending#"$bin"}; pending=${pending# }; return; fi
	rest='' found=''
	for b in $pending; do
		if [ -z "$found" ]; then
			keys_of "${b##*/}"
			if ! busy; then found=$b; continue; fi
		fi
		rest="$rest $b"
	done
	pending=${rest# } bin=$found
}
if [ -n "$order" ] && [ -r "$order" ]; then
	# One awk for the reorder: a loop in sh costs seconds under TCG.
	# shellcheck disable=SC2046,SC2016  # one word per binary; awk's program
	set -- $(awk -v list="$*" '
		BEGIN { n = split(list, b, " "); for (i = 1; i <= n; i++) { nm = b[i]; sub(/.*\//, "", nm); at[nm] = i } }
		($1 in at) && !($1 in done) { done[$1] = 1; print b[at[$1]] }
		END { for (i = 1; i <= n; i++) { nm = b[i]; sub(/.*\//, "", nm); if (!(nm in done)) print b[i] } }' "$order")
fi
inflight='' pending='' later=''
for bin in "$@"; do
	if matches "${bin##*/}" "$ALONE"; then later="$later $bin"; else pending="$pending $bin"; fi
done
pending=${pending# }
# A case whose comm or APART pattern a running case holds waits; the ones after it go first.
while [ -n "$pending" ]; do
	while [ "$running" -ge "$jobs" ]; do reap; done
	next_free
	if [ -n "$bin" ]; then launch; else reap; fi
done
# shellcheck disable=SC2086  # one word per binary
for bin in $later; do
	while [ "$running" -gt 0 ]; do reap; done
	keys_of "${bin##*/}"
	launch
done
while [ "$running" -gt 0 ]; do reap; done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
