#!/usr/bin/env bash
# Obtain the third-party build inputs pinned in deps.conf and write build/deps.mk (make
# variables) and build/versions.txt (what was used, printed at the top of every run).
#   liburing: the system's when pkg-config reports >= LIBURING_MIN and a liburing.a exists,
#             otherwise Debian's liburing-dev through scripts/papt (private apt configuration).
#   kselftest harness: $KDIR/tools/testing/selftests when KDIR is set, otherwise the pinned
#             Debian linux-source package (only the two headers are extracted).
# ARCH=arm64 (the Makefile's): Debian's arm64 liburing-dev (and linux-libc-dev) through
# `papt --arch arm64`, extracted under <cache>/deps/arm64/, never the system's; the compiler
# named in the banner is CC (aarch64-linux-gnu-gcc). The kselftest headers are the same.
# Every extraction is killed after UBC_EXTRACT_TIMEOUT seconds (default 600), each apt step
# after UBC_APT_TIMEOUT (scripts/papt); a full disk is said as such.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/deps.conf"
out=${1:?usage: get-deps.sh OUT_DIR}
cache=$("$top/scripts/papt" cache)
deps=$cache/deps
case ${ARCH:-} in
""|x86_64|x86|amd64) darch=amd64 triplet=x86_64-linux-gnu cc=${CC:-gcc} ;;
arm64|aarch64) darch=arm64 triplet=aarch64-linux-gnu cc=${CC:-aarch64-linux-gnu-gcc} ;;
*) echo "get-deps: ARCH=$ARCH: x86_64 or arm64" >&2; exit 1 ;;
esac
papt=("$top/scripts/papt" --arch "$darch")
# Another architecture's packages have names of their own: never mixed with amd64's.
pkgdir=$deps
[ "$darch" = amd64 ] || pkgdir=$deps/$darch
mkdir -p "$deps" "$out"
notes=()
# Two builds sharing one cache: one extracts, the other waits and then finds it done.
exec 9>>"$deps/lock"
flock -w 1800 9 || { echo "get-deps: waited 30 minutes for the lock on $deps" >&2; exit 1; }

die() { echo "get-deps: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "'$1' not found: apt-get install $2"; }
need dpkg-deb dpkg; need apt-get apt; need xz xz-utils
if [ "$darch" = amd64 ]; then need "$cc" gcc; else need "$cc" gcc-aarch64-linux-gnu; fi

extract_timeout=${UBC_EXTRACT_TIMEOUT:-600}
[[ $extract_timeout =~ ^[0-9]+$ ]] && [ "$extract_timeout" -ge 1 ] ||
	die "UBC_EXTRACT_TIMEOUT='$extract_timeout' is not a whole number of seconds (at least 1)"
# Each stage of an extraction gets the same bound (a killed stage ends its pipe's others);
# one that overran leaves $tmp/timed-out (a pipeline's exit status is its last failure's).
# Not fd 9, the deps lock: a straggler holding it would stall every later build.
bounded() {
	local rc=0
	timeout --foreground -k 10 "$extract_timeout" "$@" 9>&- || rc=$?
	case $rc in 124|137) : > "$tmp/timed-out" ;; esac
	return "$rc"
}

tmps=()  # download folders, removed however this script ends
trap 'rm -rf "${tmps[@]}"' EXIT
new_tmp() { made=$(mktemp -d "$deps/dl.XXXXXX"); tmps+=("$made"); }  # sets $made

# Why extracting DEB failed (exit status RC, dpkg-deb's or tar's messages in ERR): one line.
extract_failed() { # RC ERR DEB
	local free; free=$({ df -Pk "$deps" 2>/dev/null || true; } | awk 'NR==2 { print int($4 / 1024) }')
	tail -n 3 "$2" >&2
	if grep -q 'No space left on device' "$2" || [ "${free:-99}" -lt 8 ]; then
		die "cannot extract $(basename "$3") into $deps: No space left on device (${free:-?} MB free)"
	fi
	[ ! -e "$tmp/timed-out" ] || die "extracting $(basename "$3") took more than ${extract_timeout}s (UBC_EXTRACT_TIMEOUT)"
	die "cannot extract $(basename "$3") (exit $1, see above)"
}

# The pinned version if the mirror serves it, else the newest served (papt warns).
pick() { "${papt[@]}" pick "$1" "$2" 9>&-; }

extract_deb() { # PKG VERSION DEST -> DEST holds the unpacked package (once)
	[ -f "$3/.done" ] && return 0
	new_tmp; local tmp=$made
	local deb; deb=$("${papt[@]}" download "$1=$2" "$tmp" 9>&-)
	rm -rf "$3"; mkdir -p "$3"
	local rc=0
	bounded dpkg-deb -x "$deb" "$3" 2>"$tmp/err" || rc=$?
	[ "$rc" = 0 ] || { rm -rf "$3"; extract_failed "$rc" "$tmp/err" "$deb"; }
	sha256sum "$deb" | cut -d' ' -f1 > "$3/.sha256"
	rm -rf "$tmp"; touch "$3/.done"
}

# --- liburing ---------------------------------------------------------------------------
sysver=""
[ "$darch" != amd64 ] || sysver=$(pkg-config --modversion liburing 2>/dev/null || true)
sysa=$(pkg-config --variable=libdir liburing 2>/dev/null || true)/liburing.a
if [ -n "$sysver" ] && [ "$(printf '%s\n%s\n' "$LIBURING_MIN" "$sysver" | sort -V | head -n1)" = "$LIBURING_MIN" ] && [ -f "$sysa" ]; then
	uring_cflags=$(pkg-config --cflags liburing)
	uring_lib=$sysa
	uring_desc="liburing $sysver (system, static $sysa)"
	libc_dev_inc=""
else
	v=$(pick "$LIBURING_PKG" "$LIBURING_VERSION")
	d=$pkgdir/liburing-dev_$v
	extract_deb "$LIBURING_PKG" "$v" "$d"
	uring_cflags="-I$d/usr/include"
	uring_lib=$d/usr/lib/$triplet/liburing.a
	uring_desc="liburing $v (Debian $LIBURING_PKG $darch, static, sha256 $(cut -c1-16 "$d/.sha256"))"
	[ "$v" = "$LIBURING_VERSION" ] || notes+=("pinned $LIBURING_PKG $LIBURING_VERSION not served, used $v")
	libc_dev_inc=""
	sysinc=/usr/include
	[ "$darch" = amd64 ] || sysinc=/usr/$triplet/include
	if grep -q 'linux/blkdev.h' "$d/usr/include/liburing/compat.h" 2>/dev/null && [ ! -f $sysinc/linux/blkdev.h ]; then
		lv=$(pick linux-libc-dev "$LINUX_LIBC_DEV_VERSION")
		ld=$pkgdir/linux-libc-dev_$lv
		extract_deb linux-libc-dev "$lv" "$ld"
		libc_dev_inc="-idirafter $ld/usr/include"
		uring_desc="$uring_desc; uapi headers after the system's: linux-libc-dev $lv"
	fi
fi
[ -f "$uring_lib" ] || die "liburing.a not found at $uring_lib"

# --- kselftest harness ------------------------------------------------------------------
if [ -n "${KDIR:-}" ]; then
	ks=$KDIR/tools/testing/selftests
	[ -f "$ks/kselftest_harness.h" ] || die "KDIR=$KDIR has no tools/testing/selftests/kselftest_harness.h"
	kv=$(make -s -C "$KDIR" kernelversion 2>/dev/null || echo unknown)
	ks_desc="kselftest harness from KDIR=$KDIR (kernel $kv)"
else
	v=$(pick "$KSELFTEST_PKG" "$KSELFTEST_VERSION")
	ks=$deps/kselftest_$KSELFTEST_PKG-$v
	if [ ! -f "$ks/.done" ]; then
		new_tmp; tmp=$made
		echo "get-deps: extracting kselftest_harness.h from $KSELFTEST_PKG $v (about 150 MB, once)" >&2
		deb=$("$top/scripts/papt" download "$KSELFTEST_PKG=$v" "$tmp" 9>&-)
		mkdir -p "$tmp/x" "$ks"
		rc=0
		{ bounded dpkg-deb --fsys-tarfile "$deb" |
			bounded tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
			bounded xz -dc -T0 | bounded tar -x -C "$tmp/x" --wildcards \
			'*/tools/testing/selftests/kselftest_harness.h' '*/tools/testing/selftests/kselftest.h'
		} 2>"$tmp/err" || rc=$?
		[ "$rc" = 0 ] || extract_failed "$rc" "$tmp/err" "$deb"
		find "$tmp/x" -name 'kselftest*.h' -exec cp {} "$ks/" \;
		[ -f "$ks/kselftest_harness.h" ] && [ -f "$ks/kselftest.h" ] || die "headers not found in $deb"
		sha256sum "$deb" | cut -d' ' -f1 > "$ks/.sha256"
		rm -rf "$tmp"; touch "$ks/.done"
	fi
	ks_desc="kselftest harness from Debian $KSELFTEST_PKG $v (sha256 $(cut -c1-16 "$ks/.sha256"))"
	[ "$v" = "$KSELFTEST_VERSION" ] || notes+=("pinned $KSELFTEST_PKG $KSELFTEST_VERSION not served, used $v")
fi

dmk=$(mktemp "$out/deps.mk.XXXXXX")
cat > "$dmk" <<MK
# Written by scripts/get-deps.sh; do not edit.
URING_CFLAGS := $uring_cflags $libc_dev_inc
URING_LIB := $uring_lib
KSELFTEST_INC := -isystem $ks
MK
mv -f "$dmk" "$out/deps.mk"
{
	echo "$uring_desc"
	echo "$ks_desc"
	echo "compiler: $("$cc" --version | head -n1)"
	for n in "${notes[@]}"; do echo "warning: $n"; done
} > "$out/versions.txt"
cat "$out/versions.txt" >&2
