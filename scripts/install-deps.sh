#!/bin/sh
# Installs the Debian packages tierbench needs to build, test and make reports.
# With --train it also installs what scripts/train-model.py needs (PyTorch for the system
# python3, and OpenBLAS, without which Debian's torch runs its matrix products on the reference
# BLAS at a tenth of the speed); building, testing and `make demo` never need these.
# Idempotent: each library is checked with pkg-config (tools with command -v) and only
# the missing packages are installed. Without root and without sudo it prints the
# exact apt-get line and exits non-zero.
set -u

train=0
for a in "$@"; do
	case "$a" in
	--train) train=1 ;;
	*) echo "usage: scripts/install-deps.sh [--train]" >&2; exit 1 ;;
	esac
done

missing=""
need_pkg() { # need_pkg PKG-CONFIG-NAME DEBIAN-PACKAGE
	if ! pkg-config --exists "$1" 2>/dev/null; then missing="$missing $2"; fi
}
need_cmd() { # need_cmd COMMAND DEBIAN-PACKAGE
	if ! command -v "$1" >/dev/null 2>&1; then missing="$missing $2"; fi
}

need_cmd cc build-essential
need_cmd make build-essential
need_cmd pkg-config pkg-config
if command -v pkg-config >/dev/null 2>&1; then
	need_pkg libcurl libcurl4-openssl-dev
	need_pkg libcjson libcjson-dev
	need_pkg libpcre2-8 libpcre2-dev
	need_pkg hwloc libhwloc-dev
	need_pkg sqlite3 libsqlite3-dev
	need_pkg zlib zlib1g-dev
	# tierbench serve: the HTTP server library
	need_pkg libmicrohttpd libmicrohttpd-dev
else
	missing="$missing libcurl4-openssl-dev libcjson-dev libpcre2-dev libhwloc-dev libsqlite3-dev zlib1g-dev libmicrohttpd-dev"
fi
need_cmd gnuplot gnuplot-nox
# tests/integration/test_serve.sh: the official openai npm client and curl drive `tierbench serve`
need_cmd node nodejs
need_cmd npm npm
need_cmd curl curl
need_cmd python3 python3
# reports: the HTML test renders the report in headless Chromium
need_cmd chromium chromium
# tests/integration/test_slurm.sh: a one-node Slurm cluster (controller, node daemon, client
# commands) and munge, its authentication
need_cmd slurmctld slurm-wlm
need_cmd slurmd slurm-wlm
need_cmd sbatch slurm-wlm
need_cmd munged munge
# make fuzz: clang, and the libFuzzer runtime that Debian ships in libclang-rt-dev (which clang
# only recommends, and recommends are not installed here)
fuzzer_links() {
	d=$(mktemp -d) || return 1
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n) { (void)p; (void)n; return 0; }' \
		>"$d/f.c"
	clang -fsanitize=fuzzer "$d/f.c" -o "$d/f" >/dev/null 2>&1
	rc=$?
	rm -rf "$d"
	return $rc
}
if ! command -v clang >/dev/null 2>&1 || ! fuzzer_links; then
	missing="$missing clang libclang-rt-dev"
fi

# tests/integration/test_neon.sh: the engine's NEON level, cross-built for aarch64 and run under
# qemu-user: the cross compiler and its C library, qemu-user, and the arm64 -dev packages of the
# libraries the engine and its tests link (hwloc, PCRE2, cJSON; multiarch, so arm64 is added to
# dpkg's architectures first). Optional: when they cannot be installed, the test skips.
cross=""
need_cross() { # need_cross COMMAND DEBIAN-PACKAGE
	if ! command -v "$1" >/dev/null 2>&1; then cross="$cross $2"; fi
}
need_cross aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
[ -e /usr/aarch64-linux-gnu/include/stdio.h ] || cross="$cross libc6-dev-arm64-cross"
need_cross qemu-aarch64 qemu-user
for p in libhwloc-dev libpcre2-dev libcjson-dev; do
	dpkg-query -W -f='${Status}' "$p:arm64" 2>/dev/null | grep -q 'ok installed' || cross="$cross $p:arm64"
done

if [ "$train" = 1 ]; then
	/usr/bin/python3 -c 'import torch' 2>/dev/null || missing="$missing python3-torch"
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || missing="$missing python3-numpy"
	dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing libopenblas0-pthread"
fi

# de-duplicate, keep order
pkgs=$(printf '%s\n' $missing | awk 'NF && !seen[$0]++' | tr '\n' ' ')
cross=$(printf '%s\n' $cross | awk 'NF && !seen[$0]++' | tr '\n' ' ')
if [ -z "$pkgs" ] && [ -z "$cross" ]; then
	echo "install-deps: all dependencies present"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo"
elif [ -z "$pkgs" ]; then
	echo "install-deps: optional packages missing (the aarch64 tests skip without them): $cross"
	exit 0
else
	echo "install-deps: missing packages: $pkgs" >&2
	echo "install-deps: run as root:  apt-get update && apt-get install -y --no-install-recommends $pkgs" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ -n "$pkgs" ]; then
	echo "install-deps: installing $pkgs"
	$SUDO apt-get update -q || { echo "install-deps: apt-get update failed" >&2; exit 1; }
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $pkgs || {
		echo "install-deps: apt-get install failed: $pkgs" >&2; exit 1; }
fi
if [ -n "$cross" ]; then
	# optional, and last: a failure here only makes tests/integration/test_neon.sh skip (and
	# an architecture added for nothing is removed again, so later apt-get runs are as before)
	echo "install-deps: installing (optional, for the aarch64 tests) $cross"
	added=0
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		$SUDO dpkg --add-architecture arm64 && added=1
	fi
	# shellcheck disable=SC2086
	if ! $SUDO apt-get update -q || ! $SUDO apt-get install -y -q --no-install-recommends --no-remove $cross; then
		echo "install-deps: could not install $cross; the NEON tests will skip" >&2
		if [ "$added" = 1 ] && ! dpkg -l | awk '$1 == "ii" && $2 ~ /:arm64$/' | grep -q .; then
			$SUDO dpkg --remove-architecture arm64 && $SUDO apt-get update -q
		fi
	fi
fi
echo "install-deps: done"
