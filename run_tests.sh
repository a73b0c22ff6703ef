#!/usr/bin/env bash
# The one entry point. With no --kernel: build if needed and run the selected cases on the
# running kernel, printing one KTAP document. With --kernel: boot each kernel in QEMU
# through the pytest runner (runner/).
#   ./run_tests.sh [-v] [--list] [CASE|GLOB ...]
#   ./run_tests.sh --kernel K [--kernel K ...] [runner options] [CASE|GLOB ...]
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$top/build}

usage() {
	cat <<'USAGE'
usage: ./run_tests.sh [options] [CASE|GLOB ...]
  -v, --verbose     say what runs and how long it took
  --raw             exit status from the raw results (any failure fails) instead of the
                    verdicts against expected/ (known kernel bugs of that kernel, errata)
  --list            list the case binaries (after selection) and exit
  -h, --help        this text
Cases are the binaries built from cases/*/*.c, e.g. clone_read_through_dst or 'clone*'.

Other kernels, booted in QEMU (one pytest result per kernel and case):
  --kernel K        repeatable: a Debian series or version (6.1, 6.12, 7.3, 6.12.95+deb12),
                    a bzImage, a kernel build tree (arch/x86/boot/bzImage), or host
  --matrix          the newest Debian package of every series, and host
  --list-kernels    the Debian kernels available, and exit
  --results DIR     results folder (default results/<timestamp>/): console logs, KTAP,
                    summary.json, junit.xml
  --accel A         auto (default: KVM if a probe boot works, else TCG), tcg or kvm
  -j N              boot N kernels in parallel
  -x, -k EXPR, --junitxml FILE    as in pytest (items are KERNEL::CASE)
  --case-timeout S  seconds per case binary (default UBC_CASE_TIMEOUT or 120)
  --gate --baseline K1 --candidate K2
                    run both kernels and print the behaviour differences (new failures,
                    new skips, fixes); exit 1 when the candidate regressed
  --save-baseline F / --against F
                    with one --kernel: save its results as a baseline file, or compare
                    the run against one saved earlier
USAGE
}

err() { echo "run_tests.sh: $*" >&2; exit 2; }
py=${UBC_PYTHON:-/usr/bin/python3}

verbose=() list=0 pats=() kopts=() kernel_mode=0 raw=0
while [ $# -gt 0 ]; do
	case "$1" in
	-v|--verbose) verbose=(-v) ;;
	--kernel|--results|--accel|-j|-k|--junitxml|--case-timeout)
		[ $# -ge 2 ] || err "option '$1' needs a value"
		kopts+=("$1" "$2"); kernel_mode=1; shift ;;
	--baseline|--candidate|--save-baseline|--against)
		[ $# -ge 2 ] || err "option '$1' needs a value"
		kopts+=("$1" "$2"); kernel_mode=1; shift ;;
	--matrix|-x|--gate) kopts+=("$1"); kernel_mode=1 ;;
	--raw) raw=1 ;;
	--list-kernels) exec "$py" -m runner --list-kernels ;;
	--list) list=1 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; pats+=("$@"); break ;;
	-*) err "unknown option '$1' (see --help)" ;;
	*) pats+=("$1") ;;
	esac
	shift
done

# Case names come from the sources, so an unknown name is caught before any build.
mapfile -t all < <(for f in "$top"/cases/*/*.c; do basename "$f" .c; done | sort)
selected=()
if [ ${#pats[@]} = 0 ]; then
	selected=("${all[@]}")
else
	for p in "${pats[@]}"; do
		hit=0
		for c in "${all[@]}"; do
			# shellcheck disable=SC2053  # $p is a glob on purpose
			if [[ $c == $p ]]; then hit=1; [[ " ${selected[*]} " == *" $c "* ]] || selected+=("$c"); fi
		done
		[ $hit = 1 ] || err "no case matches '$p' (see --list)"
	done
fi

if [ $list = 1 ]; then printf '%s\n' "${selected[@]}"; exit 0; fi

make -s -C "$top" BUILD="$build" all >&2 || { echo "run_tests.sh: build failed" >&2; exit 2; }
if [ $kernel_mode = 1 ]; then
	cd "$top"
	[ $raw = 1 ] && kopts+=(--raw)
	exec "$py" -m runner --build "$build" "${kopts[@]}" "${verbose[@]}" "${selected[@]}"
fi
bins=()
for c in "${selected[@]}"; do bins+=("$build/bin/$c"); done
log=$(mktemp "${TMPDIR:-/tmp}/ubc-host.XXXXXX")
trap 'rm -f "$log"' EXIT
set +e
"$build/bin/run-cases.sh" "${verbose[@]}" "${bins[@]}" | tee "$log"
rc=${PIPESTATUS[0]}
[ $raw = 1 ] && exit "$rc"
# The raw document is above; the exit status is the verdict against expected/, so a known
# kernel bug of this kernel does not fail the run and an unknown kernel's failure still does.
cd "$top" && "$py" -m runner.expected --comments --label host "$log"
