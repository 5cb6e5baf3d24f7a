#!/bin/sh
# parallax bench --lockstep (what bench/compare_ort.py --lockstep drives): 'ready' after the
# warmup, one timed run and one line of ms per request line, the final JSON over exactly those
# runs; no request line at all is an error, not a crash.
# Usage: bench_lockstep.sh PARALLAX MODEL_DIR
PARALLAX="$1"
MODEL="$2/model.onnx"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
command -v python3 >/dev/null || { echo "skip: python3 not found"; exit 77; }

printf 'run\nrun\nrun\nquit\nrun\n' | "$PARALLAX" bench "$MODEL" --threads 1 --warmup 1 --json --lockstep \
  >"$TMP/out" 2>"$TMP/err" || { echo "FAIL: exit $?: $(cat "$TMP/err")"; exit 1; }
python3 - "$TMP/out" <<'PY' || exit 1
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[0] == "ready", "first line %r, not 'ready'" % lines[0]
ms = [float(x) for x in lines[1:4]]  # one per 'run' before 'quit'; the one after it is ignored
assert all(x > 0 for x in ms), ms
d = json.loads(lines[4])
assert d["runs"] == 3, "runs %s, want 3" % d["runs"]
assert abs(d["median_ms"] - sorted(ms)[1]) < 1e-3, (d["median_ms"], ms)
assert abs(d["min_ms"] - min(ms)) < 1e-3, (d["min_ms"], ms)
assert lines[5:] == [""], "unexpected output after the JSON: %r" % lines[5:]
print("ok: ready, 3 runs, JSON over those 3")
PY

"$PARALLAX" bench "$MODEL" --threads 1 --warmup 0 --json --lockstep </dev/null >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ "$rc" -ne 1 ] || ! grep -q "no timed runs" "$TMP/err"; then
  echo "FAIL: no request line: exit $rc (want 1), stderr: $(cat "$TMP/err")"
  exit 1
fi
echo "ok: no request line: exit 1, $(cat "$TMP/err")"
