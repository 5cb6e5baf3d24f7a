// How a GEMM is split over the thread pool (Google Benchmark), at the shapes of the reference
// models' weight GEMMs: split M (rows of A and C) or split N (columns of B and C). Each block is
// one single-threaded OpenBLAS call that packs its share of the split operand and all of the
// other, so the side to split is the one that duplicates the least packing.
//
//   build/bench/gemm_bench [--benchmark_repetitions=5]       # PX_THREADS=2 by default
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/ops/conv_activation.h"
#include "kernels/packed_gemm.h"
#include "parallax/status.h"
#include "runtime/thread_pool.h"

using namespace parallax;

namespace {

ThreadPool& Pool() {
  static ThreadPool pool(std::getenv("PX_THREADS") ? std::atoi(std::getenv("PX_THREADS")) : 2);
  return pool;
}

struct Operands {
  std::vector<float> a, b, c;
  Operands(int64_t m, int64_t n, int64_t k) : a(m * k), b(k * n), c(m * n) {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    for (float& x : a) x = u(rng);
    for (float& x : b) x = u(rng);
  }
};

// split: 0 = the library's choice (Sgemm), 1 = rows of C, 2 = columns of C.
void Run(benchmark::State& state, int split) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  static bool loaded = LoadBlas().ok();
  if (!loaded) {
    state.SkipWithError("OpenBLAS could not be loaded");
    return;
  }
  Operands o(m, n, k);
  ThreadPool& pool = Pool();
  const int64_t parts = pool.threads();
  for (auto _ : state) {
    if (split == 0) {
      Sgemm(&pool, false, false, m, n, k, 1.f, o.a.data(), k, o.b.data(), n, 0.f, o.c.data(), n);
    } else {
      const int64_t len = split == 1 ? m : n, step = (len + parts - 1) / parts;
      pool.ParallelFor(parts, 1, [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const int64_t lo = p * step, hi = std::min(len, lo + step);
          if (lo >= hi) continue;
          if (split == 1) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, n, k, 1.f, o.a.data() + lo * k, k,
                        o.b.data(), n, 0.f, o.c.data() + lo * n, n);
          } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, hi - lo, k, 1.f, o.a.data(), k,
                        o.b.data() + lo, n, 0.f, o.c.data() + lo, n);
          }
        }
      });
    }
    benchmark::DoNotOptimize(o.c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

void Shapes(benchmark::internal::Benchmark* b) {
  b->Args({128, 768, 768})->Args({128, 3072, 768})->Args({128, 768, 3072});  // DistilBERT
  b->Args({77, 2048, 512})->Args({77, 512, 2048});                          // CLIP text
  b->Args({1500, 384, 384})->Args({1500, 1536, 384})->Args({1500, 384, 1536});  // Whisper encoder
  b->Args({1500, 1500, 64})->Args({1500, 64, 1500});                        // its attention, per head
  b->Args({72, 1500, 64})->Args({72, 64, 1500});                            // one FusedAttention block
  b->Args({400, 256, 256})->Args({2400, 32, 32})->Args({2400, 32, 128})->Args({2400, 64, 64})->Args({25600, 32, 32})->Args({6400, 64, 576})->Args({1600, 128, 1152});  // YOLOv8n convs as GEMMs
  b->Unit(benchmark::kMillisecond);
}

// The packed-weight GEMM (kernels/packed_gemm.h): B packed once, outside the timed loop.
void RunPacked(benchmark::State& state, GemmIsa isa, bool gelu = false) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands o(m, n, k);
  auto packed = PackedMatrix::Pack(k, n, o.b.data(), /*b_is_kn=*/true, isa);
  if (!packed) {
    state.SkipWithError("this ISA is not available");
    return;
  }
  ThreadPool& pool = Pool();
  ops::Activation act;
  act.kind = ops::Activation::kGelu;
  for (auto _ : state) {
    if (gelu) {
      float* c = o.c.data();
      PackedSgemm(&pool, m, o.a.data(), k, *packed, c, n, [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
        for (int64_t r = r0; r < r1; ++r) ops::ApplyBiasActivation(act, c + r * n + c0, c1 - c0, 0.0f);
      });
    } else {
      PackedSgemm(&pool, m, o.a.data(), k, *packed, o.c.data(), n);
    }
    benchmark::DoNotOptimize(o.c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// Weights cold, as in a model: 24 different packed B (> L3) used in turn.
void BM_PackedCold(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Operands o(m, n, k);
  std::vector<std::shared_ptr<PackedMatrix>> bs;
  for (int i = 0; i < 24; ++i) {
    for (float& x : o.b) x += 1e-3f;
    bs.push_back(PackedMatrix::Pack(k, n, o.b.data(), /*b_is_kn=*/true));
    if (!bs.back()) {
      state.SkipWithError("no packed kernel");
      return;
    }
  }
  ThreadPool& pool = Pool();
  size_t i = 0;
  for (auto _ : state) {
    PackedSgemm(&pool, m, o.a.data(), k, *bs[i++ % bs.size()], o.c.data(), n);
    benchmark::DoNotOptimize(o.c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_PackedCold)->Apply(Shapes);

void BM_Sgemm(benchmark::State& s) { Run(s, 0); }
void BM_PackedAvx512(benchmark::State& s) { RunPacked(s, GemmIsa::kAvx512); }
void BM_PackedAvx2(benchmark::State& s) { RunPacked(s, GemmIsa::kAvx2); }
// With FusedMatMul's GELU epilogue on each finished block.
void BM_PackedGelu(benchmark::State& s) { RunPacked(s, GemmIsa::kAuto, true); }
BENCHMARK(BM_PackedGelu)->Apply(Shapes);
BENCHMARK(BM_PackedAvx512)->Apply(Shapes);
BENCHMARK(BM_PackedAvx2)->Apply(Shapes);
void BM_SplitRows(benchmark::State& s) { Run(s, 1); }
void BM_SplitCols(benchmark::State& s) { Run(s, 2); }
BENCHMARK(BM_Sgemm)->Apply(Shapes);
BENCHMARK(BM_SplitRows)->Apply(Shapes);
BENCHMARK(BM_SplitCols)->Apply(Shapes);

}  // namespace

BENCHMARK_MAIN();
