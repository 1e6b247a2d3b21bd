#!/bin/sh
# Integration: tools/mkbench's options for the big mixture-of-experts files, on a small shape.
# --layers N writes NAME-Nlayers-TYPE.gguf with N blocks that the engine loads and runs; with a row
# pool smaller than the expert tensors (--pool-kib), those tensors take every row from the pool
# (at most the pool's row count of distinct rows, each a valid block row) while each expert's
# bytes differ from every other expert's and each layer's from every other layer's; the other
# tensors are quantized row by row as before (the same bytes as without a pool);
# bad values are one-line usage errors. Needs nothing from the shared folder.
. tests/integration/lib.sh
ROOT=$(pwd)
MKBENCH=${TB_MKBENCH:-$ROOT/build/release/tools/mkbench}
case "$MKBENCH" in /*) ;; *) MKBENCH="$ROOT/$MKBENCH" ;; esac
cd "$T_DIR" || exit 1

if [ ! -x "$MKBENCH" ]; then
	skip mkbench_layers_and_pool "no $MKBENCH (make $MKBENCH)"
	end_tests
	exit $?
fi
mkdir -p "$T_DIR/pool" "$T_DIR/plain"
"$MKBENCH" --shape qwen3moe-test --layers 2 --pool-kib 64 "$T_DIR/pool" Q8_0 >pool.out 2>pool.err; rc=$?
check mkbench_layers_names_the_file sh -c \
	"test $rc -eq 0 && test \"\$(cat pool.out)\" = \"$T_DIR/pool/qwen3moe-test-2layers-Q8_0.gguf\""
"$MKBENCH" --shape qwen3moe-test --layers 2 "$T_DIR/plain" Q8_0 >/dev/null 2>&1; rc=$?
check mkbench_layers_without_pool_exits_zero test $rc -eq 0
POOLED=$T_DIR/pool/qwen3moe-test-2layers-Q8_0.gguf
PLAIN=$T_DIR/plain/qwen3moe-test-2layers-Q8_0.gguf

check mkbench_pooled_file_has_the_layers_and_pool_rows python3 - "$POOLED" "$PLAIN" <<'PY'
import struct, sys

def read(path):
    b = open(path, "rb").read()
    o = 0
    def u(fmt):
        nonlocal o
        v = struct.unpack_from("<" + fmt, b, o)
        o += struct.calcsize("<" + fmt)
        return v[0]
    def s():
        nonlocal o
        n = u("Q")
        o += n
        return b[o - n:o].decode()
    size = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    def val(t):
        nonlocal o
        if t == 8:
            return s()
        if t == 9:
            et, n = u("I"), u("Q")
            return [val(et) for _ in range(n)]
        o += size[t]
        return b[o - size[t]:o]
    assert b[:4] == b"GGUF"
    o = 8
    nt, nkv = u("Q"), u("Q")
    kv = {}
    for _ in range(nkv):
        k = s()
        kv[k] = val(u("I"))
    ten = []
    for _ in range(nt):
        name = s()
        nd = u("I")
        ne = [u("Q") for _ in range(nd)]
        ten.append((name, ne, u("I"), u("Q")))
    data = (o + 31) // 32 * 32
    return kv, {n: (ne, t, data + off) for n, ne, t, off in ten}, b

kv, ten, b = read(sys.argv[1])
kv2, ten2, b2 = read(sys.argv[2])
assert struct.unpack("<I", kv["qwen3moe.block_count"])[0] == 2, kv["qwen3moe.block_count"]
assert sorted(n for n in ten if n.startswith("blk.")) == sorted(n for n in ten2 if n.startswith("blk."))
assert not any(n.startswith("blk.2.") for n in ten), sorted(ten)
Q8 = 8  # ggml type Q8_0: 34 bytes per 32 values; F32 (0) for the norms and routers
def rows(t, ne, off):
    assert t in (0, Q8), t
    rs = ne[0] // 32 * 34 if t == Q8 else ne[0] * 4
    n = 1
    for d in ne[1:]:
        n *= d
    return [b[off + i * rs:off + (i + 1) * rs] for i in range(n)]
pool_rows = {}
for name, (ne, t, off) in ten.items():
    ne2, t2, off2 = ten2[name]
    assert (ne, t) == (ne2, t2), name
    r = rows(t, ne, off)
    size = len(r) * len(r[0]) if r else 0
    if "_exps" not in name:
        # not an expert tensor: the same bytes as without a pool
        assert b[off:off + size] == b2[off2:off2 + size], name
        continue
    # an expert tensor larger than the 64 KiB pool: every row from the pool of this width
    assert t == Q8 and size > 64 * 1024, name
    pool_rows.setdefault(ne[0], set()).update(r)
    for row in r:   # a valid Q8_0 row: finite F16 scales
        for k in range(0, len(row), 34):
            d = struct.unpack_from("<e", row, k)[0]
            assert d == d and abs(d) < 1, (name, d)
    limit = (64 * 1024 + len(r[0]) - 1) // len(r[0])   # the pool's rows
    assert len(set(r)) > min(len(r), limit) // 2, (name, len(set(r)))   # spread over the pool
    per = len(r) // ne[2]
    experts = [b"".join(r[e * per:(e + 1) * per]) for e in range(ne[2])]
    assert len(set(experts)) == ne[2], name   # no two experts alike
assert set(pool_rows) == {128, 256}, pool_rows.keys()   # the experts of both widths
for width, got in pool_rows.items():
    limit = (64 * 1024 + width // 32 * 34 - 1) // (width // 32 * 34)
    assert len(got) <= limit, (width, len(got), limit)
for a in ("ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"):
    x, y = ten["blk.0.%s.weight" % a], ten["blk.1.%s.weight" % a]
    assert b[x[2]:x[2] + 4096] != b[y[2]:y[2] + 4096], a   # layers differ
PY

"$TB_BIN" generate -m "$POOLED" -p "hello" -n 4 --temp 0 >gen.out 2>gen.err; rc=$?
check mkbench_pooled_file_generates sh -c "test $rc -eq 0 && test -s gen.out"

for bad in "--layers 0" "--layers x" "--pool-kib -1" "--frobnicate 1"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	"$MKBENCH" --shape qwen3moe-test $bad "$T_DIR/pool" Q8_0 >bad.out 2>bad.err; rc=$?
	check "mkbench_refuses_$(echo "$bad" | tr -c 'a-z0-9\n' '_')" sh -c \
		"test $rc -eq 1 && test \$(wc -l < bad.err) -eq 1 && test ! -s bad.out"
done
end_tests
