#!/bin/sh
# parallax analyze (text, --json, --dot) and parallax profile (-o trace.json) on one model:
# the outputs parse and agree with each other.
# Usage: analyze_profile.sh PARALLAX MODEL_DIR
PARALLAX="$1"
MODEL="$2/model.onnx"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
command -v python3 >/dev/null || { echo "skip: python3 not found"; exit 77; }
fail=0
check() {
  desc="$1"; shift
  if "$@" >"$TMP/check.out" 2>&1; then
    echo "ok: $desc"
  else
    echo "FAIL: $desc: $(cat "$TMP/check.out")"
    fail=1
  fi
}
run() {
  desc="$1"; shift
  "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAIL: $desc: exit $rc, stderr: $(cat "$TMP/err")"
    exit 1
  fi
}

run "analyze" "$PARALLAX" analyze "$MODEL" --threads 2
check "analyze text has W, C and the arenas" \
  sh -c "grep -q '^W (work)' '$TMP/out' && grep -q '^C (critical)' '$TMP/out' && grep -q '^arena' '$TMP/out'"

run "analyze --json --dot" "$PARALLAX" analyze "$MODEL" --threads 2 --json --dot "$TMP/plan.dot"
cp "$TMP/out" "$TMP/analyze.json"
check "analyze --json" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("nodes", "branch_count", "layer_count", "width_histogram", "max_width", "work_ms",
          "critical_path_ms", "speedup_bound", "concurrent_layers", "sequential_arena_bytes",
          "parallel_arena_bytes", "parallel_min_arena_bytes", "shared_bytes", "layers", "branches"):
    assert k in d, "missing key " + k
assert d["work_ms"] >= d["critical_path_ms"] * (1 - 1e-9), "W < C"
assert len(d["branches"]) == d["branch_count"] == sum(len(l["branches"]) for l in d["layers"]), \
    "branches != sum over layers"
assert len(d["layers"]) == d["layer_count"] == sum(d["width_histogram"].values())
assert sum(b["steps"] for b in d["branches"]) == d["nodes"], "steps != nodes"
for i, b in enumerate(d["branches"]):
    assert all(p < len(d["branches"]) for p in b["preds"]), "bad pred in branch %d" % i
    assert i in d["layers"][b["layer"]]["branches"], "branch %d not in its layer" % i
' "$TMP/analyze.json"
check "analyze --dot" python3 -c '
import json, sys
dot = open(sys.argv[1]).read()
d = json.load(open(sys.argv[2]))
assert dot.startswith("digraph"), "does not start with digraph"
n = dot.count("subgraph cluster_")
assert n == d["branch_count"], "%d clusters, %d branches" % (n, d["branch_count"])
assert dot.rstrip().endswith("}")
' "$TMP/plan.dot" "$TMP/analyze.json"

for mode in parallel sequential; do
  run "profile --mode $mode" "$PARALLAX" profile "$MODEL" --threads 2 --mode $mode --runs 3 \
    -o "$TMP/trace_$mode.json"
  check "profile --mode $mode prints the op table" grep -q "ms/run" "$TMP/out"
  check "profile --mode $mode trace" python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))
nodes = json.load(open(sys.argv[2]))["nodes"]
assert t["displayTimeUnit"] == "ms"
ev = t["traceEvents"]
x = [e for e in ev if e["ph"] == "X"]
assert len(x) == nodes, "%d X events, %d steps" % (len(x), nodes)
assert sorted(e["args"]["step"] for e in x) == list(range(nodes)), "steps missing"
named = {e["tid"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
by_tid = {}
for e in x:
    assert e["pid"] == 1 and e["dur"] >= 0 and e["ts"] >= 0
    for k in ("node", "branch", "layer", "bytes", "est_ms"):
        assert k in e["args"], "missing arg " + k
    assert e["tid"] in named, "lane %d has no thread_name" % e["tid"]
    by_tid.setdefault(e["tid"], []).append((e["ts"], e["ts"] + e["dur"]))
for tid, spans in by_tid.items():
    spans.sort()
    for (s0, e0), (s1, e1) in zip(spans, spans[1:]):
        assert s1 >= e0 - 1e-6, "lane %d: [%f, %f] overlaps [%f, %f]" % (tid, s0, e0, s1, e1)
' "$TMP/trace_$mode.json" "$TMP/analyze.json"
done
exit $fail
