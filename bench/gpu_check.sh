#!/bin/bash
# The OpenCL provider on a real GPU: its unit tests, then full models on the device against the
# CPU kernels (same machine, same seeded inputs) and their latency both ways.
#
#   bench/gpu_check.sh BUNDLE OUT
#
# BUNDLE holds bins.tar.xz (parallax, unit_tests and lib/ with the Debian shared libraries they
# link, for a GPU machine that lacks them) and models/M/model.onnx [+ inputs/, outputs/ with the
# ONNX Runtime references]. How the bundle is made: docs/providers.md, "On a GPU".
set -u
B=$(realpath "$1"); O=$2
mkdir -p "$O"
tar xJf "$B/bins.tar.xz" -C "$B" || exit 1
export LD_LIBRARY_PATH=$B/lib
# The unit tests read their data under the source path they were built in.
mkdir -p /work && { [ -e /work/main ] || ln -s "$PWD" /work/main; }

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
# The NVIDIA OpenCL driver ships with the GPU driver; the ICD loader needs a vendors entry.
lib=$(ldconfig -p | awk '/libnvidia-opencl.so.1/{print $NF; exit}')
[ -n "$lib" ] || lib=$(find / -xdev -name 'libnvidia-opencl.so.1*' 2>/dev/null | head -1)
echo "NVIDIA OpenCL library: ${lib:-none found}"
mkdir -p /etc/OpenCL/vendors
[ -n "$lib" ] && echo "$lib" >/etc/OpenCL/vendors/nvidia.icd
head /etc/OpenCL/vendors/*.icd

P=$B/parallax
timeout 240 "$B/unit_tests" --gtest_filter='OpenCl*:*Heterogeneous*' 2>&1 | tee "$O/unit_tests.log" |
  grep -E '^\[ *(OK|FAILED|SKIPPED|PASSED) |^\[==|opencl:|note' | head -80

for dir in "$B"/models/*/; do
  [ -e "$dir/model.onnx" ] || continue
  m=$(basename "$dir")
  in=()
  for f in "$dir"inputs/*.npy; do [ -e "$f" ] && in+=(--input "$(basename "$f" .npy)=$f"); done
  echo "== $m (${#in[@]} input flags; none = seeded random)"
  "$P" run "$dir/model.onnx" "${in[@]}" --seed 7 --output-dir "$O/cpu_$m" >/dev/null || echo "cpu run failed"
  "$P" run "$dir/model.onnx" "${in[@]}" --seed 7 --output-dir "$O/gpu_$m" --accelerator opencl -v \
    >"$O/gpu_$m.log" 2>&1 || echo "gpu run failed"
  grep -iE 'accelerator|offload|to device|warning' "$O/gpu_$m.log" | head -8
  echo "-- device vs CPU kernels:"; python3 tools/models/compare.py "$O/gpu_$m" "$O/cpu_$m"
  [ -d "${dir}outputs" ] && { echo "-- device vs ONNX Runtime:"; python3 tools/models/compare.py "$O/gpu_$m" "${dir}outputs"; }
  for t in 2 16; do
    for acc in "" "--accelerator opencl"; do
      r=$("$P" bench "$dir/model.onnx" "${in[@]}" --seed 7 --runs 20 --warmup 3 --threads $t $acc --json 2>/dev/null)
      echo "$m threads=$t ${acc:-cpu}: $(echo "$r" | python3 -c 'import json,sys; d=json.load(sys.stdin); print({k: d[k] for k in d if k in ("median_ms","min_ms","p90_ms","peak_rss_bytes")})' 2>&1)"
    done
  done
done
