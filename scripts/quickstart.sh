#!/bin/sh
# Quick start 1: install what is missing, build, and benchmark the embedded default model.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/parallax bench "$@"
