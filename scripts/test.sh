#!/bin/sh
# Quick start 2: install what is missing, build, and run the whole test suite.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build && ctest --output-on-failure -j"$(nproc)" "$@"
