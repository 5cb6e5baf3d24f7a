// The SIMD row kernels (kernels/simd_rows.h) per element, in cache, 1 thread (Google
// Benchmark): softmax, GELU, SiLU and sigmoid on 240 x 64 floats (one block of a packed
// convolution's output, 60 KiB), for each ISA this CPU runs. The kernels work in place, so each
// iteration first copies the same inputs back (applied to their own output, SiLU and sigmoid
// would drift into subnormals): BM_Copy is that copy alone, to subtract.
//
//   build/bench/rows_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/simd_rows.h"

using namespace parallax;

namespace {

constexpr int64_t kElems = 240 * 64;

const RowKernels* Isa(int64_t which) {
  const RowKernels* k = which == 0 ? simd::Avx512RowKernels() : simd::Avx2RowKernels();
  if (k == nullptr) return nullptr;
  __builtin_cpu_init();
  const bool ok = which == 0 ? __builtin_cpu_supports("avx512f")
                             : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok ? k : nullptr;
}

std::vector<float> Inputs() {
  std::vector<float> x(kElems);
  for (int64_t i = 0; i < kElems; ++i) x[i] = static_cast<float>(i % 101) * 0.1f - 5.0f;
  return x;
}

template <class F>
void Run(benchmark::State& st, F f) {
  const RowKernels* k = Isa(st.range(0));
  if (k == nullptr) {
    st.SkipWithError("ISA not available here");
    return;
  }
  st.SetLabel(k->isa);
  const std::vector<float> src = Inputs();
  std::vector<float> x(src.size());
  for (auto _ : st) {
    std::memcpy(x.data(), src.data(), src.size() * sizeof(float));
    f(k, x.data());
    benchmark::DoNotOptimize(x.data());
  }
  // kIsRate divides by the seconds taken, kInvert turns that over: seconds per 1e9 elements.
  st.counters["ns/elem"] = benchmark::Counter(1e-9 * static_cast<double>(kElems) * st.iterations(),
                                              benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Copy(benchmark::State& st) { Run(st, [](const RowKernels*, float*) {}); }
void BM_Silu(benchmark::State& st) { Run(st, [](const RowKernels* k, float* x) { k->silu(x, kElems, 0.f, 1.f); }); }
void BM_Sigmoid(benchmark::State& st) { Run(st, [](const RowKernels* k, float* x) { k->sigmoid(x, kElems, 0.f); }); }
void BM_Gelu(benchmark::State& st) { Run(st, [](const RowKernels* k, float* x) { k->gelu(x, kElems, 0.f); }); }
void BM_Softmax(benchmark::State& st) {
  Run(st, [](const RowKernels* k, float* x) {
    for (int64_t r = 0; r < 240; ++r) k->softmax(x + r * 64, x + r * 64, 64);
  });
}

}  // namespace

BENCHMARK(BM_Copy)->DenseRange(0, 0);
BENCHMARK(BM_Silu)->DenseRange(0, 1);
BENCHMARK(BM_Sigmoid)->DenseRange(0, 1);
BENCHMARK(BM_Gelu)->DenseRange(0, 1);
BENCHMARK(BM_Softmax)->DenseRange(0, 1);
BENCHMARK_MAIN();
