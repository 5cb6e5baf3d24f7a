#!/bin/sh
# Configures and builds Parallax (Release) into build/.
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" 2>&1 | grep -E "error|warning: unused|Error" || true
test -x build/parallax
