// Conv implementation choice on YOLOv8n shapes (Google Benchmark), single thread by default.
//
//   Parallax     : our Conv kernel (NCHW im2col + cblas_sgemm, direct GEMM for 1x1).
//   ParallaxSilu : the same with the fused SiLU epilogue.
//   XnnFull      : XNNPACK NHWC with what a stateless NCHW kernel must pay per call:
//                  operator creation (weight repack), NCHW->NHWC input and NHWC->NCHW output.
//   XnnCached    : XNNPACK NHWC, operator cached and data already NHWC (its upper bound).
//   PackedNhwc   : kernels/packed_conv.h on NHWC data, weights packed once (what NhwcConv runs).
//
//   build/bench/conv_bench    # PX_THREADS=2 build/bench/conv_bench for two threads
#include <benchmark/benchmark.h>
#include <xnnpack.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "ir/graph.h"
#include "kernels/kernel.h"
#include "kernels/packed_conv.h"
#include "kernels/ops/ops.h"
#include "runtime/thread_pool.h"

using namespace parallax;

namespace {

struct Shape4 {
  int64_t C, H, W, M, K, S;
};
// YOLOv8n at 640x640: stem-ish, C2f 1x1, 3x3 s1 body, SPPF/head 1x1.
const Shape4 kShapes[] = {
    {16, 320, 320, 32, 3, 2},
    {32, 160, 160, 32, 1, 1},
    {64, 80, 80, 64, 3, 1},
    {256, 20, 20, 256, 1, 1},
    {64, 40, 40, 64, 3, 1},
    {128, 20, 20, 128, 3, 1},
    {80, 80, 80, 80, 3, 1},  // 6, 7: the detect head's class branch (80 outputs: 2.5 panels)
    {64, 80, 80, 80, 3, 1},
};

ThreadPool& Pool() {
  static ThreadPool pool(std::getenv("PX_THREADS") ? std::atoi(std::getenv("PX_THREADS")) : 1);
  return pool;
}

std::vector<float> Random(size_t n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

const KernelDef* ConvDef() {
  for (const KernelDef& k : ops::ConvKernels()) {
    if (std::string(k.op_type) == "Conv") {
      static KernelDef def = k;
      return &def;
    }
  }
  return nullptr;
}

void SetFlops(benchmark::State& st, const Shape4& s) {
  const int64_t OH = (s.H + 2 * (s.K / 2) - s.K) / s.S + 1, OW = (s.W + 2 * (s.K / 2) - s.K) / s.S + 1;
  const double flops = 2.0 * s.M * s.C * s.K * s.K * OH * OW;
  st.counters["GFLOPs"] = benchmark::Counter(flops * st.iterations(), benchmark::Counter::kIsRate);
  st.counters["GFLOPs"].value /= 1e9;
}

void BM_Parallax(benchmark::State& st, const char* act, const char* impl) {
  const Shape4 s = kShapes[st.range(0)];
  std::vector<float> x = Random(s.C * s.H * s.W), w = Random(s.M * s.C * s.K * s.K), b = Random(s.M);
  const int64_t p = s.K / 2, OH = (s.H + 2 * p - s.K) / s.S + 1, OW = (s.W + 2 * p - s.K) / s.S + 1;
  std::vector<float> y(s.M * OH * OW);
  Tensor tx = Tensor::Wrap(DataType::kFloat32, {1, s.C, s.H, s.W}, x.data());
  Tensor tw = Tensor::Wrap(DataType::kFloat32, {s.M, s.C, s.K, s.K}, w.data());
  Tensor tb = Tensor::Wrap(DataType::kFloat32, {s.M}, b.data());
  Tensor ty = Tensor::Wrap(DataType::kFloat32, {1, s.M, OH, OW}, y.data());
  Node n;
  n.op_type = "Conv";
  n.outputs = {0};
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = {s.S, s.S};
  n.attrs["strides"] = a;
  a.ints = {p, p, p, p};
  n.attrs["pads"] = a;
  Attribute as;
  as.kind = Attribute::Kind::kString;
  as.s = act;
  n.attrs["activation"] = as;
  as.s = impl;
  n.attrs["parallax_impl"] = as;
  KernelContext ctx{n, {&tx, &tw, &tb}, {&ty}, &Pool()};
  for (auto _ : st) {
    if (!ConvDef()->compute(ctx).ok()) st.SkipWithError("conv failed");
    benchmark::DoNotOptimize(y.data());
  }
  SetFlops(st, s);
}

void Transpose(const float* in, float* out, int64_t rows, int64_t cols) {
  for (int64_t r0 = 0; r0 < rows; r0 += 32) {
    for (int64_t c0 = 0; c0 < cols; c0 += 32) {
      for (int64_t r = r0; r < std::min(rows, r0 + 32); ++r) {
        for (int64_t c = c0; c < std::min(cols, c0 + 32); ++c) out[c * rows + r] = in[r * cols + c];
      }
    }
  }
}

void BM_Xnn(benchmark::State& st, bool cached) {
  static bool init = xnn_initialize(nullptr) == xnn_status_success;
  if (!init) st.SkipWithError("xnn_initialize failed");
  const Shape4 s = kShapes[st.range(0)];
  const uint32_t p = static_cast<uint32_t>(s.K / 2);
  const int64_t OH = (s.H + 2 * p - s.K) / s.S + 1, OW = (s.W + 2 * p - s.K) / s.S + 1;
  std::vector<float> x = Random(s.C * s.H * s.W), w = Random(s.M * s.C * s.K * s.K), b = Random(s.M);
  std::vector<float> x_nhwc(x.size()), y_nhwc(s.M * OH * OW), y(s.M * OH * OW);
  // OIHW -> OHWI weights.
  std::vector<float> w_ohwi(w.size());
  for (int64_t m = 0; m < s.M; ++m) Transpose(&w[m * s.C * s.K * s.K], &w_ohwi[m * s.C * s.K * s.K], s.C, s.K * s.K);
  auto create = [&](xnn_operator_t* op) {
    return xnn_create_convolution2d_nhwc_f32(p, p, p, p, s.K, s.K, s.S, s.S, 1, 1, 1, s.C, s.M, s.C, s.M,
                                             w_ohwi.data(), b.data(), -INFINITY, INFINITY, 0, op);
  };
  xnn_operator_t op = nullptr;
  if (cached && create(&op) != xnn_status_success) st.SkipWithError("create failed");
  for (auto _ : st) {
    if (!cached) {
      Transpose(x.data(), x_nhwc.data(), s.C, s.H * s.W);
      if (create(&op) != xnn_status_success) st.SkipWithError("create failed");
    }
    xnn_setup_convolution2d_nhwc_f32(op, 1, s.H, s.W, cached ? x.data() : x_nhwc.data(), y_nhwc.data(),
                                     Pool().handle());
    xnn_run_operator(op, Pool().handle());
    if (!cached) {
      Transpose(y_nhwc.data(), y.data(), OH * OW, s.M);
      xnn_delete_operator(op);
      op = nullptr;
    }
    benchmark::DoNotOptimize(y.data());
  }
  if (op) xnn_delete_operator(op);
  SetFlops(st, s);
}


void BM_PackedNhwc(benchmark::State& st) {
  const Shape4 s = kShapes[st.range(0)];
  const int64_t p = s.K / 2, OH = (s.H + 2 * p - s.K) / s.S + 1, OW = (s.W + 2 * p - s.K) / s.S + 1;
  std::vector<float> x = Random(s.C * s.H * s.W), w = Random(s.M * s.C * s.K * s.K);
  std::vector<float> y(s.M * OH * OW);
  auto packed = PackedConvWeights::Pack(s.M, s.C, s.K, s.K, w.data());
  if (!packed) {
    st.SkipWithError("no packed micro-kernel on this CPU");
    return;
  }
  ConvGeometry g;
  g.in_h = s.H, g.in_w = s.W, g.channels = s.C, g.out_h = OH, g.out_w = OW;
  g.kernel_h = g.kernel_w = s.K, g.stride_h = g.stride_w = s.S, g.pad_top = g.pad_left = p;
  for (auto _ : st) {
    PackedConvNhwc(&Pool(), g, x.data(), *packed, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  SetFlops(st, s);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Parallax, none, "", "")->DenseRange(0, 5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Parallax, silu, "Silu", "")->DenseRange(0, 5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Parallax, im2col_openblas, "", "im2col")->DenseRange(0, 5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Xnn, full, false)->DenseRange(0, 5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Xnn, cached, true)->DenseRange(0, 5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PackedNhwc)->DenseRange(0, 7)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
