// Softmax and LogSoftmax. Opset 1-12: the input is coerced to 2-D at `axis` (default 1) and
// each row [axis:] is normalised. Opset 13+: normalised along the single axis (default -1).
// Numerically stable (the row max is subtracted). float32 / float64.
#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel_util.h"
#include "kernels/ops/softmax_row.h"
#include "runtime/thread_pool.h"

#include "kernels/vector_math.h"
#include "kernels/simd_rows.h"

namespace parallax::ops {
namespace {

struct SoftmaxGeom {
  int64_t outer = 1, n = 1, inner = 1;
};

StatusOr<SoftmaxGeom> Geometry(const Node& node, const Shape& shape) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  SoftmaxGeom g;
  if (rank == 0) return g;  // a scalar is a single row of one element
  if (node.opset < 13) {
    PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(node.GetInt("axis", 1), rank));
    for (int64_t i = 0; i < axis; ++i) g.outer *= shape[i];
    g.n = 1;
    for (int64_t i = axis; i < rank; ++i) g.n *= shape[i];
    return g;
  }
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(node.GetInt("axis", -1), rank));
  for (int64_t i = 0; i < axis; ++i) g.outer *= shape[i];
  g.n = shape[axis];
  for (int64_t i = axis + 1; i < rank; ++i) g.inner *= shape[i];
  return g;
}

Status SoftmaxInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("missing input 'input'");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by " +
                          ctx.node.op_type + " (float32, float64)");
  }
  PX_ASSIGN_OR_RETURN(SoftmaxGeom g, Geometry(ctx.node, ctx.in(0).shape));
  (void)g;
  ctx.SetOutput(0, dt, ctx.in(0).shape);
  return Status::Ok();
}

template <typename T>
T RowMax(const T* x, int64_t n) {
  T m[8];
  for (int l = 0; l < 8; ++l) m[l] = -INFINITY;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) m[l] = x[i + l] > m[l] ? x[i + l] : m[l];
  }
  for (; i < n; ++i) m[0] = x[i] > m[0] ? x[i] : m[0];
  T r = m[0];
  for (int l = 1; l < 8; ++l) r = m[l] > r ? m[l] : r;
  return r;
}

// Exp<T>: float32 uses the vectorisable FastExp; its saturation below e^-87 is invisible after
// the division by the row sum (which is >= 1: the row maximum contributes e^0).
// Sum of exp(x - max) over the row; y (when not null) receives the terms.
template <typename T>
T SoftmaxExpSum(const T* x, T* y, int64_t n, T mx) {
  T s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) {
      const T e = Exp(x[i + l] - mx);
      if (y != nullptr) y[i + l] = e;
      s[l] += e;
    }
  }
  for (; i < n; ++i) {
    const T e = Exp(x[i] - mx);
    if (y != nullptr) y[i] = e;
    s[0] += e;
  }
  T sum = 0;
  for (int l = 0; l < 8; ++l) sum += s[l];
  return sum;
}

template <typename T, bool kLog>
void SoftmaxRow(const T* x, T* y, int64_t n) {
  T mx = RowMax(x, n);
  if (!std::isfinite(mx)) mx = 0;  // all -inf (or inf/nan): let the arithmetic produce nan/0
  const T sum = SoftmaxExpSum<T>(x, kLog ? nullptr : y, n, mx);
  if constexpr (kLog) {
    const T sh = mx + std::log(sum);
    for (int64_t j = 0; j < n; ++j) y[j] = x[j] - sh;
  } else {
    const T inv = T(1) / sum;
    for (int64_t j = 0; j < n; ++j) y[j] *= inv;
  }
}

template <typename T, bool kLog>
void SoftmaxRowAny(const T* x, T* y, int64_t n) {
  if constexpr (std::is_same_v<T, float> && !kLog) {
    if (const RowKernels* rows = BestRowKernels()) return rows->softmax(x, y, n);
  }
  SoftmaxRow<T, kLog>(x, y, n);
}

// Softmax along the middle dim of a [n, stride] block, over columns [0, width) of it.
template <typename T, bool kLog>
void SoftmaxStrided(const T* x, T* y, int64_t n, int64_t width, int64_t stride, T* mx, T* sum) {
  for (int64_t k = 0; k < width; ++k) { mx[k] = -INFINITY; sum[k] = 0; }
  for (int64_t i = 0; i < n; ++i) {
    const T* r = x + i * stride;
    for (int64_t k = 0; k < width; ++k) mx[k] = r[k] > mx[k] ? r[k] : mx[k];
  }
  for (int64_t k = 0; k < width; ++k) if (!std::isfinite(mx[k])) mx[k] = 0;
  const RowKernels* rows = std::is_same_v<T, float> && !kLog ? BestRowKernels() : nullptr;
  for (int64_t i = 0; i < n; ++i) {
    const T* r = x + i * stride;
    T* o = y + i * stride;
    if constexpr (std::is_same_v<T, float> && !kLog) {
      if (rows != nullptr) {
        rows->exp_sub_acc(r, mx, o, sum, width);
        continue;
      }
    }
    for (int64_t k = 0; k < width; ++k) {
      const T e = Exp(r[k] - mx[k]);
      if constexpr (!kLog) o[k] = e;
      sum[k] += e;
    }
  }
  if constexpr (kLog) {
    for (int64_t k = 0; k < width; ++k) sum[k] = mx[k] + std::log(sum[k]);
    for (int64_t i = 0; i < n; ++i) {
      const T* r = x + i * stride;
      T* o = y + i * stride;
      for (int64_t k = 0; k < width; ++k) o[k] = r[k] - sum[k];
    }
  } else {
    for (int64_t k = 0; k < width; ++k) sum[k] = T(1) / sum[k];
    for (int64_t i = 0; i < n; ++i) {
      T* o = y + i * stride;
      for (int64_t k = 0; k < width; ++k) o[k] *= sum[k];
    }
  }
}

template <typename T, bool kLog>
void SoftmaxTyped(const T* x, T* y, const SoftmaxGeom& g, ThreadPool* pool) {
  const int64_t block = g.n * g.inner;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, block));
  if (g.inner == 1) {
    pool->ParallelFor(g.outer, grain, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) SoftmaxRowAny<T, kLog>(x + o * g.n, y + o * g.n, g.n);
    });
    return;
  }
  // Tasks: column chunks of each [n, inner] block (one block can be the whole tensor, as in
  // YOLOv8n's DFL softmax over axis 1 of [1, 16, 4, 8400]); each column is one softmax.
  constexpr int64_t kChunk = 1024;
  const int64_t chunks = (g.inner + kChunk - 1) / kChunk;
  const int64_t task_grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, g.n * std::min(kChunk, g.inner)));
  pool->ParallelFor(g.outer * chunks, task_grain, [&](int64_t b, int64_t e) {
    std::vector<T> mx(static_cast<size_t>(std::min(kChunk, g.inner))), sum(mx.size());
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / chunks, k0 = (t % chunks) * kChunk, width = std::min(kChunk, g.inner - k0);
      SoftmaxStrided<T, kLog>(x + o * block + k0, y + o * block + k0, g.n, width, g.inner, mx.data(), sum.data());
    }
  });
}

Status SoftmaxCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  if (in.numel() == 0) return Status::Ok();
  PX_ASSIGN_OR_RETURN(SoftmaxGeom g, Geometry(ctx.node, in.shape()));
  const bool log = ctx.node.op_type == "LogSoftmax";
  if (in.dtype() == DataType::kFloat32) {
    if (log) SoftmaxTyped<float, true>(in.data<float>(), out.data<float>(), g, ctx.pool);
    else SoftmaxTyped<float, false>(in.data<float>(), out.data<float>(), g, ctx.pool);
  } else {
    if (log) SoftmaxTyped<double, true>(in.data<double>(), out.data<double>(), g, ctx.pool);
    else SoftmaxTyped<double, false>(in.data<double>(), out.data<double>(), g, ctx.pool);
  }
  return Status::Ok();
}

}  // namespace

void SoftmaxRowF32(const float* x, float* y, int64_t n) { SoftmaxRowAny<float, false>(x, y, n); }

float SoftmaxExpRowF32(const float* x, float* y, int64_t n) {
  if (const RowKernels* rows = BestRowKernels()) return rows->softmax_exp(x, y, n);
  float mx = RowMax(x, n);
  if (!std::isfinite(mx)) mx = 0;
  return SoftmaxExpSum<float>(x, y, n, mx);
}

std::vector<KernelDef> NormalizationSoftmaxKernels() {
  std::vector<KernelDef> rows;
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    rows.push_back({op, "", 1, 12, SoftmaxInfer, SoftmaxCompute, 0});
    rows.push_back({op, "", 13, 0, SoftmaxInfer, SoftmaxCompute, 0});
  }
  return rows;
}

}  // namespace parallax::ops
