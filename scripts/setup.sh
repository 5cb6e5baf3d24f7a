#!/bin/sh
# Installs the Debian 12 packages Parallax needs, only those missing. Quiet when all is there.
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --zoo      also what the model zoo and the ONNX Runtime comparison need
#   scripts/setup.sh --sanitizers  also clang and its sanitizer/libFuzzer runtimes
set -eu
PKGS="build-essential cmake pkg-config libonnx-dev libprotobuf-dev protobuf-compiler
libxnnpack-dev libpthreadpool-dev libopenblas-dev libcli11-dev libgtest-dev libgmock-dev
libbenchmark-dev nlohmann-json3-dev
ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libclblast-dev"
if [ "${1:-}" = "--zoo" ]; then
  PKGS="$PKGS python3-torch python3-onnx python3-numpy"
  # A machine may carry its own Node.js (NodeSource's nodejs bundles npm and conflicts with
  # Debian's npm package): take Debian's only where the command is missing.
  command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
  command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
fi
if [ "${1:-}" = "--sanitizers" ]; then
  PKGS="$PKGS clang libclang-rt-14-dev"
fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ "${1:-}" = "--zoo" ]; then
  cd "$(dirname "$0")/.."
  [ -d node_modules/onnxruntime-node ] || npm install --ignore-scripts --no-audit --no-fund --silent
fi
