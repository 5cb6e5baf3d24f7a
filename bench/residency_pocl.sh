#!/bin/bash
# Device residency on and off (PARALLAX_DEVICE_RESIDENCY=off: every offloaded step copies its
# operands both ways), heterogeneous on the first OpenCL device, alternated, 3 rounds per model;
# prints each round's median. Needs build/parallax and the full models (tools/models/README.md).
#   bench/residency_pocl.sh [MODEL ...]      (default: yolov8n distilbert whisper_encoder clip_text)
#   RUNS=5 sets the timed runs per process.
set -eu
cd "$(dirname "$0")/.."
models="${*:-yolov8n distilbert whisper_encoder clip_text}"
for m in $models; do
  args=""
  for f in models/$m/inputs/*.npy; do args="$args --input $(basename "$f" .npy)=$f"; done
  for r in 1 2 3; do
    for mode in on off; do
      # shellcheck disable=SC2086
      ms=$(PARALLAX_DEVICE_RESIDENCY=$mode build/parallax bench "models/$m/model.onnx" $args --accelerator opencl \
             --runs "${RUNS:-5}" --warmup 1 --json 2>/dev/null |
           /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['median_ms'])")
      echo "$m round $r residency $mode median_ms $ms"
    done
  done
done
