#!/bin/sh
# Sanitizer CI: builds the `asan` and `tsan` presets (CMakePresets.json; clang, into build-asan/
# and build-tsan/) and runs
#   ASan + UBSan: unit_tests and kernel_tests (all of them), and the CLI error test
#   TSan:         the concurrency tests (the thread pool, Session.ConcurrentRunsMatchSequential, the parallel
#                 executor on every tiny model, the random-DAG scheduler stress, concurrent runs
#                 through the CPU provider) and the kernel
#                 tests (every kernel test runs on the 2-thread test pool)
# Any sanitizer report fails the script (halt_on_error / exitcode; UBSan does not recover).
#   scripts/ci_sanitizers.sh            # both
#   scripts/ci_sanitizers.sh asan       # one of them
# JOBS=N sets the build parallelism (default 1: the build machines are shared).
# Suppressions (scripts/sanitizers/*.supp) cover reports inside uninstrumented system libraries
# only -- OpenBLAS (dlopen'ed), XNNPACK, pthreadpool -- each entry says why.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS="${JOBS:-1}"
WHICH="${1:-all}"
SUPP="$ROOT/scripts/sanitizers"

run() { echo "+ $*"; "$@"; }

if [ "$WHICH" = all ] || [ "$WHICH" = asan ]; then
  run nice cmake --preset asan >/dev/null
  run nice cmake --build build-asan -j"$JOBS" --target unit_tests kernel_tests parallax_cli
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:detect_odr_violation=0"
  export LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$SUPP/ubsan.supp"
  run build-asan/tests/unit_tests --gtest_brief=1
  run build-asan/tests/kernel_tests --gtest_brief=1
  run tests/cli/cli_errors.sh build-asan/parallax tests/models/yolov8n_tiny
  unset ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS
fi

if [ "$WHICH" = all ] || [ "$WHICH" = tsan ]; then
  run nice cmake --preset tsan >/dev/null
  run nice cmake --build build-tsan -j"$JOBS" --target unit_tests kernel_tests
  export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$SUPP/tsan.supp:print_suppressions=0"
  run build-tsan/tests/unit_tests --gtest_brief=1 \
    --gtest_filter='Session.ConcurrentRunsMatchSequential:*TinyModelParallel.*:ParallelStress.*:Scheduler.*:ThreadPool.*:*HeterogeneousConcurrency.*/0'
  run build-tsan/tests/kernel_tests --gtest_brief=1 --gtest_filter="${TSAN_KERNEL_FILTER:-*}"
fi
echo "ci_sanitizers: all clean"
