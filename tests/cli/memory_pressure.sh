#!/bin/sh
# Memory pressure: `parallax run` on a tiny model under shrinking memory limits must succeed or
# exit 1 with "error: ..." -- never die from a signal (exit >= 128) or hang.
#   tests/cli/memory_pressure.sh PARALLAX MODEL_DIR
# Limits: address space (prlimit --as) from 16 MiB up, and cgroup memory (systemd-run --scope
# -p MemoryMax=) when systemd is available (skipped otherwise). Not for sanitizer builds
# (ASan and TSan reserve terabytes of address space).
PARALLAX="$1"
MODEL_DIR="$2"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
run_limited() {  # DESCRIPTION COMMAND-PREFIX...
  desc="$1"; shift
  timeout 120 "$@" "$PARALLAX" run "$MODEL_DIR/model.onnx" --threads 1 \
    --input images="$MODEL_DIR/inputs/images.npy" --output-dir "$TMP/o" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "ok: $desc: ran"
  elif [ "$rc" -eq 1 ] && grep -q "error:" "$TMP/err"; then
    echo "ok: $desc: clean error: $(head -c 160 "$TMP/err")"
  elif [ "$rc" -eq 127 ] && grep -q "error while loading shared libraries" "$TMP/err"; then
    # The system's dynamic loader could not map the program's libraries: nothing of ours ran.
    echo "ok: $desc: the loader refused to start the program: $(head -c 160 "$TMP/err")"
  else
    [ "$rc" -eq 124 ] && what="hung (killed after 120 s)" || what="exit $rc"
    echo "FAIL: $desc: $what, stderr: $(head -c 300 "$TMP/err")"
    fail=1
  fi
}
for mib in 16 24 32 48 64 96 128 256 512; do
  run_limited "prlimit --as=${mib}MiB" prlimit --as=$((mib * 1024 * 1024))
done
if timeout 20 systemd-run --quiet --scope -p MemoryMax=64M true >/dev/null 2>&1; then
  for mib in 16 32 64 128 256; do
    run_limited "MemoryMax=${mib}M" systemd-run --quiet --scope -p MemoryMax=${mib}M -p MemorySwapMax=0
  done
else
  echo "skip: systemd-run --scope is not available here (no systemd as init)"
fi
exit $fail
