#!/bin/sh
# Integration: the engine's NEON level (engine/quant_neon.c, quant_neon_tile.h) on aarch64.
# A release `make test` cross-builds the engine and five of its test programs for aarch64
# into TB_A64 (Makefile, "The NEON level"); this runs them under qemu-user:
#   - test_kernels twice: on a CPU without the dot-product extension (qemu's cortex-a57: the
#     plain ARMv8-A kernels) and on one with it (qemu's max: the `sdot` kernels), so both
#     variants are held to the _ref, to order B bit for bit and to their single dots;
#   - test_quant and test_iq (quantizers and dots against the _ref, the IQ types' models), and
#     test_iq's kernel tests once more on the CPU without the extension (the IQ and ternary
#     types' plain variant);
#   - test_model, and test_moe's check against llama.cpp's reference files (logits within each
#     file's tolerance, greedy tokens), i.e. whole dense and mixture-of-experts models on the
#     NEON level. (test_moe's other tests set memory limits that qemu's own reservations break.)
# Each program's own lines are passed on with the CPU's name added. Skips when the cross build
# or qemu-aarch64 is missing (scripts/install-deps.sh installs both).
. tests/integration/lib.sh
A64=${TB_A64:-}
QEMU=$(command -v qemu-aarch64 2>/dev/null)
# The arm64 C library of the multiarch packages runs with their own loader; the cross
# compiler's sysroot would pair its loader with that newer C library.
if [ -e /lib/ld-linux-aarch64.so.1 ]; then QL=""; else QL="-L /usr/aarch64-linux-gnu"; fi

if [ -z "$A64" ] || [ ! -x "$A64/tests/engine/test_kernels" ] || [ -z "$QEMU" ]; then
	skip neon_kernels_under_qemu "no aarch64 cross build or no qemu-aarch64 (scripts/install-deps.sh installs them)"
	end_tests
	exit $?
fi

# run_a64 LABEL CPU PROGRAM [ENV...]: the program's ok/FAIL/skip lines, renamed LABEL_NAME.
run_a64() {
	label=$1 cpu=$2 prog=$3
	shift 3
	out=$T_DIR/$label.out
	env "$@" timeout 1500 "$QEMU" -cpu "$cpu" $QL "$A64/tests/engine/$prog" >"$out" 2>&1
	rc=$?
	if ! grep -q '^# counts ' "$out"; then
		fail "${label}_runs" "exited $rc without a counts line: $(tail -n 5 "$out" | tr '\n' ' ')"
		return
	fi
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "${label}_${line#ok }" ;;
		*"has no avx"* | *"needs both x86 levels"*) ;;   # the x86 levels, absent here by design
		"skip "*) n=${line#skip }; skip "${label}_${n%%:*}" "${n#*: }" ;;
		"FAIL "*) fail "${label}_${line#FAIL }" "see the lines above" ;;
		"# counts"*) ;;
		*) echo "  $line" ;;
		esac
	done <"$out"
	[ "$rc" -eq 0 ] || grep -q '^FAIL ' "$out" || fail "${label}_exit" "exited $rc after reporting no failures"
}

run_a64 a57 cortex-a57 test_kernels
run_a64 sdot max test_kernels
run_a64 a64 max test_quant
run_a64 a64 max test_model
run_a64 a64 max test_iq
run_a64 a57 cortex-a57 test_iq TB_ONLY=test_iq_kernels
run_a64 a64 max test_moe TB_ONLY=test_moe_matches_the_reference_on_every_file
end_tests
