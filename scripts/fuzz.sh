#!/bin/sh
# Runs one libFuzzer target for a bounded time; exits non-zero on a crash, leak, timeout or OOM.
#
#   scripts/fuzz.sh fuzz_loader 60      # TARGET: fuzz_loader | fuzz_graph | fuzz_npy
#
# Builds the target in build-asan/ (the `asan` preset, clang, PARALLAX_FUZZ=ON) when missing;
# FUZZ_PRESET=fuzz uses build-fuzz/ instead (UBSan only, -O2: the long local runs).
# Seeds go into a temporary corpus that is deleted afterwards (set FUZZ_CORPUS=DIR to keep one):
#   fuzz_loader  tests/models/*/model.onnx, tests/bad_models/*.onnx and about FUZZ_NODE_SEEDS
#                (default 300) of the small ../shared/onnx-node-tests/*/model.onnx, spread
#                over the op list (NODE_TESTS_DIR=DIR to point elsewhere)
#   fuzz_npy     tests/models/*/inputs/*.npy
#   fuzz_graph   none (the input is a recipe; libFuzzer grows it from nothing)
# Crash reproducers are written to build-$PRESET/fuzz-artifacts/ (FUZZ_ARTIFACTS=DIR to change);
# rerun one with: build-asan/tests/fuzz/TARGET FILE
# FUZZ_MAX_LEN overrides the target's input size cap (e.g. 16384 for fast loader runs on small
# models). FUZZ_ARGS adds libFuzzer flags, e.g. FUZZ_ARGS="-fork=1 -ignore_crashes=1" to keep going past
# known crashes and collect every distinct one.
set -eu
cd "$(dirname "$0")/.."
TARGET="${1:?usage: scripts/fuzz.sh TARGET SECONDS}"
SECONDS_TO_RUN="${2:?usage: scripts/fuzz.sh TARGET SECONDS}"
PRESET="${FUZZ_PRESET:-asan}"
BUILD="build-$PRESET"
BIN="$BUILD/tests/fuzz/$TARGET"
NODE_TESTS="${NODE_TESTS_DIR:-../shared/onnx-node-tests}"
ARTIFACTS="${FUZZ_ARTIFACTS:-$BUILD/fuzz-artifacts}"

case "$TARGET" in
  fuzz_loader) MAX_LEN=${FUZZ_MAX_LEN:-1200000} ;;
  fuzz_npy) MAX_LEN=${FUZZ_MAX_LEN:-65536} ;;
  fuzz_graph) MAX_LEN=${FUZZ_MAX_LEN:-512} ;;
  *) echo "fuzz.sh: unknown target '$TARGET'" >&2; exit 2 ;;
esac

if [ ! -x "$BIN" ]; then
  [ -f "$BUILD/CMakeCache.txt" ] || nice cmake --preset "$PRESET" >/dev/null
  nice cmake --build "$BUILD" -j1 --target "$TARGET"
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CORPUS="${FUZZ_CORPUS:-$TMP/corpus}"
mkdir -p "$CORPUS" "$ARTIFACTS"
case "$TARGET" in
  fuzz_loader)
    for f in tests/models/*/model.onnx; do cp "$f" "$CORPUS/model-$(basename "$(dirname "$f")").onnx"; done
    cp tests/bad_models/*.onnx "$CORPUS/" 2>/dev/null || true
    if [ -d "$NODE_TESTS" ]; then
      # Every k-th of the small (< 8 KiB) node tests, by name: a few hundred single-op models
      # spread over the whole op list.
      find "$NODE_TESTS" -name model.onnx -size -8k | sort >"$TMP/node_tests"
      k=$(( ($(wc -l <"$TMP/node_tests") + ${FUZZ_NODE_SEEDS:-300} - 1) / ${FUZZ_NODE_SEEDS:-300} ))
      awk -v k="$k" 'NR % k == 0' "$TMP/node_tests" | while read -r f; do
        cp "$f" "$CORPUS/node-$(basename "$(dirname "$f")").onnx"
      done
    fi ;;
  fuzz_npy)
    for f in tests/models/*/inputs/*.npy; do
      cp "$f" "$CORPUS/$(basename "$(dirname "$(dirname "$f")")")-$(basename "$f")"
    done ;;
esac
echo "fuzz.sh: $TARGET for ${SECONDS_TO_RUN}s, seed corpus $(ls "$CORPUS" | wc -l) files"

# Huge allocations return NULL (Tensor::Allocate then fails with a Status) instead of aborting;
# operator new of a huge size still aborts, as it should (an unchecked size from the file).
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:max_allocation_size_mb=1024:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
set +e
nice "$BIN" "$CORPUS" -max_total_time="$SECONDS_TO_RUN" -timeout="${FUZZ_TIMEOUT:-25}" \
  -rss_limit_mb=2560 -malloc_limit_mb=1100 -max_len="$MAX_LEN" -print_final_stats=1 \
  -artifact_prefix="$ARTIFACTS/$TARGET-" ${FUZZ_ARGS:-} >"$TMP/log" 2>&1
rc=$?
set -e
grep -E "^(INFO: Loaded|INFO: seed corpus|#[0-9]+ +DONE|Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss)" "$TMP/log" || true
echo "fuzz.sh: corpus now $(ls "$CORPUS" | wc -l) files"
if [ "$rc" -ne 0 ]; then
  # The report: everything from the first sanitizer/libFuzzer error line on.
  sed -n '/==ERROR\|ERROR: libFuzzer\|runtime error\|fuzz_graph:\|deadly signal/,$p' "$TMP/log" | head -120
  echo "fuzz.sh: $TARGET FAILED (exit $rc); reproducer(s) in $ARTIFACTS/" >&2
  exit 1
fi
echo "fuzz.sh: $TARGET ok"
