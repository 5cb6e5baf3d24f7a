// 2-D Conv on XNNPACK's NHWC convolution, for an NCHW graph: the input is transposed to
// NHWC, the weights repacked OIHW -> OHWI (XNNPACK packs them again when the operator is
// created), and the output transposed back to NCHW, where the fused activation runs on
// contiguous channel rows. Bias, Relu and Clip are fused into XNNPACK's microkernels. With plan
// state the operator (and its packed weights) is created once per node: XnnConv2DOp. See
// bench/conv_bench.cc for why this beats im2col + sgemm.
#include "kernels/ops/conv_xnn.h"

#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "runtime/thread_pool.h"

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

namespace parallax::ops {

bool XnnReady() {
  static const bool ready = xnn_initialize(nullptr) == xnn_status_success;
  return ready;
}

namespace {

// out[c * rows + r] = in[r * cols + c] for r in [r0, r1), c in [c0, c1).
void TransposeBlock(const float* in, float* out, int64_t rows, int64_t cols, int64_t r0, int64_t r1,
                    int64_t c0, int64_t c1) {
  constexpr int64_t kTile = 64;
  for (int64_t cb = c0; cb < c1; cb += kTile) {
    const int64_t ce = std::min(c1, cb + kTile);
    int64_t r = r0;
#if defined(__SSE2__)
    for (; r + 4 <= r1; r += 4) {
      int64_t c = cb;
      for (; c + 4 <= ce; c += 4) {
        __m128 a = _mm_loadu_ps(in + r * cols + c), b = _mm_loadu_ps(in + (r + 1) * cols + c);
        __m128 d = _mm_loadu_ps(in + (r + 2) * cols + c), e = _mm_loadu_ps(in + (r + 3) * cols + c);
        _MM_TRANSPOSE4_PS(a, b, d, e);
        _mm_storeu_ps(out + c * rows + r, a);
        _mm_storeu_ps(out + (c + 1) * rows + r, b);
        _mm_storeu_ps(out + (c + 2) * rows + r, d);
        _mm_storeu_ps(out + (c + 3) * rows + r, e);
      }
      for (; c < ce; ++c) {
        for (int64_t k = 0; k < 4; ++k) out[c * rows + r + k] = in[(r + k) * cols + c];
      }
    }
#endif
    for (; r < r1; ++r) {
      for (int64_t c = cb; c < ce; ++c) out[c * rows + r] = in[r * cols + c];
    }
  }
}

// Parallel transpose of a rows x cols matrix.
void Transpose(const float* in, float* out, int64_t rows, int64_t cols, ThreadPool* pool) {
  if (cols >= rows) {
    pool->ParallelFor((cols + 63) / 64, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, rows * 64)),
                      [&](int64_t b, int64_t e) {
                        TransposeBlock(in, out, rows, cols, 0, rows, b * 64, std::min(cols, e * 64));
                      });
  } else {
    pool->ParallelFor((rows + 63) / 64, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols * 64)),
                      [&](int64_t b, int64_t e) {
                        TransposeBlock(in, out, rows, cols, b * 64, std::min(rows, e * 64), 0, cols);
                      });
  }
}

}  // namespace

bool XnnConv2DSupported(const XnnConvArgs& a) {
  if (!XnnReady()) return false;
  const int64_t lim = int64_t{1} << 30;
  for (int64_t v : {a.KH, a.KW, a.SH, a.SW, a.DH, a.DW, a.PT, a.PL, a.PB, a.PR, a.G}) {
    if (v < 0 || v > lim) return false;
  }
  return a.N > 0 && a.C > 0 && a.M > 0 && a.OH > 0 && a.OW > 0;
}

std::shared_ptr<XnnConv2DOp> XnnConv2DOp::Create(const XnnConvArgs& a, const float* w, const float* bias,
                                                  const Activation& act) {
  std::shared_ptr<XnnConv2DOp> c(new XnnConv2DOp());
  c->args_ = a;
  c->act_ = act;
  if (!XnnConv2DSupported(a)) return c;
  const int64_t Cg = a.C / a.G, Mg = a.M / a.G, KS = a.KH * a.KW;
  // OIHW -> OHWI (per output channel: Cg x KS -> KS x Cg).
  std::unique_ptr<float[]> w_ohwi(new (std::nothrow) float[static_cast<size_t>(a.M * KS * Cg)]);
  if (!w_ohwi) return c;
  for (int64_t m = 0; m < a.M; ++m) {
    const float* src = w + m * Cg * KS;
    float* dst = w_ohwi.get() + m * KS * Cg;
    for (int64_t ci = 0; ci < Cg; ++ci) {
      for (int64_t k = 0; k < KS; ++k) dst[k * Cg + ci] = src[ci * KS + k];
    }
  }
  float lo = -INFINITY, hi = INFINITY;
  if (act.kind == Activation::kRelu) {
    lo = 0.0f;
    c->fused_ = true;
  } else if (act.kind == Activation::kClip) {
    lo = act.lo;
    hi = act.hi;
    c->fused_ = lo < hi;  // XNNPACK needs min < max; otherwise apply it ourselves
    if (!c->fused_) lo = -INFINITY, hi = INFINITY;
  }
  xnn_operator_t op = nullptr;
  if (xnn_create_convolution2d_nhwc_f32(
          static_cast<uint32_t>(a.PT), static_cast<uint32_t>(a.PR), static_cast<uint32_t>(a.PB),
          static_cast<uint32_t>(a.PL), static_cast<uint32_t>(a.KH), static_cast<uint32_t>(a.KW),
          static_cast<uint32_t>(a.SH), static_cast<uint32_t>(a.SW), static_cast<uint32_t>(a.DH),
          static_cast<uint32_t>(a.DW), static_cast<uint32_t>(a.G), static_cast<size_t>(Cg),
          static_cast<size_t>(Mg), static_cast<size_t>(a.C), static_cast<size_t>(a.M), w_ohwi.get(), bias,
          lo, hi, 0, &op) != xnn_status_success) {
    if (op != nullptr) xnn_delete_operator(op);
    return c;
  }
  c->op_ = op;
  return c;
}

XnnConv2DOp::~XnnConv2DOp() {
  if (op_ != nullptr) xnn_delete_operator(op_);
}

bool XnnConv2DOp::Matches(const XnnConvArgs& a) const {
  // The operator fixes everything but the batch and the input size (setup takes those).
  const XnnConvArgs& b = args_;
  return op_ != nullptr && a.C == b.C && a.M == b.M && a.KH == b.KH && a.KW == b.KW && a.SH == b.SH &&
         a.SW == b.SW && a.DH == b.DH && a.DW == b.DW && a.PT == b.PT && a.PL == b.PL && a.PB == b.PB &&
         a.PR == b.PR && a.G == b.G;
}

bool XnnConv2DOp::TryRun(const XnnConvArgs& a, const float* x, float* y, ThreadPool* pool) {
  if (!Matches(a)) return false;
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;  // a concurrent run holds the operator
  return Run(a, x, y, pool);
}

bool XnnConv2DOp::TryRunNhwc(const XnnConvArgs& a, const float* x, float* y, ThreadPool* pool) {
  if (!Matches(a)) return false;
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;
  return RunNhwc(a, x, y, pool);
}

bool XnnConv2DOp::RunNhwc(const XnnConvArgs& a, const float* x, float* y, ThreadPool* pool) {
  const bool ok = xnn_setup_convolution2d_nhwc_f32(op_, static_cast<size_t>(a.N), static_cast<size_t>(a.H),
                                                   static_cast<size_t>(a.W), x, y, pool->handle()) ==
                      xnn_status_success &&
                  xnn_run_operator(op_, pool->handle()) == xnn_status_success;
  if (!ok) return false;
  if (!fused_ && act_.kind != Activation::kNone) {  // elementwise: the layout does not matter
    const int64_t total = a.N * a.OH * a.OW * a.M, chunk = 16384;
    pool->ParallelFor((total + chunk - 1) / chunk, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        ApplyBiasActivation(act_, y + i * chunk, std::min(chunk, total - i * chunk), 0.0f);
      }
    });
  }
  return true;
}

bool XnnConv2DOp::Run(const XnnConvArgs& a, const float* x, float* y, ThreadPool* pool) {
  const int64_t IS = a.H * a.W, OS = a.OH * a.OW;
  std::unique_ptr<float[]> x_nhwc(new (std::nothrow) float[static_cast<size_t>(a.N * IS * a.C)]);
  std::unique_ptr<float[]> y_nhwc(new (std::nothrow) float[static_cast<size_t>(a.N * OS * a.M)]);
  if (!x_nhwc || !y_nhwc) return false;
  for (int64_t n = 0; n < a.N; ++n) Transpose(x + n * a.C * IS, x_nhwc.get() + n * IS * a.C, a.C, IS, pool);
  const bool ok = xnn_setup_convolution2d_nhwc_f32(op_, static_cast<size_t>(a.N), static_cast<size_t>(a.H),
                                                   static_cast<size_t>(a.W), x_nhwc.get(), y_nhwc.get(),
                                                   pool->handle()) == xnn_status_success &&
                  xnn_run_operator(op_, pool->handle()) == xnn_status_success;
  if (!ok) return false;
  for (int64_t n = 0; n < a.N; ++n) {
    float* yn = y + n * a.M * OS;
    Transpose(y_nhwc.get() + n * OS * a.M, yn, OS, a.M, pool);
    if (!fused_ && act_.kind != Activation::kNone) {
      pool->ParallelFor(a.M, std::max<int64_t>(1, 16384 / OS), [&](int64_t b, int64_t e) {
        for (int64_t m = b; m < e; ++m) ApplyBiasActivation(act_, yn + m * OS, OS, 0.0f);
      });
    }
  }
  return true;
}

bool XnnConv2D(const XnnConvArgs& a, const float* x, const float* w, const float* bias, float* y,
               const Activation& act, ThreadPool* pool) {
  std::shared_ptr<XnnConv2DOp> op = XnnConv2DOp::Create(a, w, bias, act);
  return op->ok() && op->Run(a, x, y, pool);  // a private operator: no lock needed
}

bool XnnConv2DNhwc(const XnnConvArgs& a, const float* x, const float* w, const float* bias, float* y,
                   const Activation& act, ThreadPool* pool) {
  std::shared_ptr<XnnConv2DOp> op = XnnConv2DOp::Create(a, w, bias, act);
  return op->ok() && op->RunNhwc(a, x, y, pool);
}

}  // namespace parallax::ops
