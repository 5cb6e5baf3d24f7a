#!/bin/sh
# Each bad invocation must exit with status 1 and print "error: ..." (a crash gives >= 128).
PARALLAX="$1"
MODEL_DIR="$2"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
expect_error() {
  desc="$1"; shift
  "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ "$rc" -ne 1 ] || ! grep -q "error:" "$TMP/err"; then
    echo "FAIL: $desc: exit $rc, stderr: $(cat "$TMP/err")"
    fail=1
  else
    echo "ok: $desc: $(head -c 160 "$TMP/err")"
  fi
}
head -c 1000 "$MODEL_DIR/model.onnx" > "$TMP/truncated.onnx"
echo "hello" > "$TMP/text.onnx"
expect_error "missing model" "$PARALLAX" run "$TMP/none.onnx" --output-dir "$TMP/o"
expect_error "truncated model" "$PARALLAX" run "$TMP/truncated.onnx" --output-dir "$TMP/o"
expect_error "non-ONNX file" "$PARALLAX" info "$TMP/text.onnx"
expect_error "wrong input name" "$PARALLAX" run "$MODEL_DIR/model.onnx" --input nope="$MODEL_DIR/inputs/images.npy" --output-dir "$TMP/o"
expect_error "input file missing" "$PARALLAX" run "$MODEL_DIR/model.onnx" --input images="$TMP/none.npy" --output-dir "$TMP/o"
expect_error "input not npy" "$PARALLAX" run "$MODEL_DIR/model.onnx" --input images="$TMP/text.onnx" --output-dir "$TMP/o"
# A good run writes its outputs.
"$PARALLAX" run "$MODEL_DIR/model.onnx" --input images="$MODEL_DIR/inputs/images.npy" --output-dir "$TMP/good" >/dev/null || { echo "FAIL: good run"; fail=1; }
[ -f "$TMP/good/output0.npy" ] || { echo "FAIL: output0.npy not written"; fail=1; }
exit $fail
