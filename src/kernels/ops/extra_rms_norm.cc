// RMSNormalization (ai.onnx 23): Y = X / sqrt(mean(X^2 over axes [axis, rank)) + epsilon) * scale.
// `scale` broadcasts (numpy style) onto X's shape. stash_type 1 (float32 statistics) only; the
// statistics are accumulated in double. float32, float64; float16 computed in float32.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/ops/extra_common.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

Status RmsInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("inputs 'X' and 'scale' are required");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64 && dt != DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by RMSNormalization");
  }
  if (ctx.in(1).dtype != dt) {
    return InvalidArgument(std::string("input 'scale' has dtype ") + DataTypeName(ctx.in(1).dtype) +
                           ", expected " + DataTypeName(dt));
  }
  const Shape& x = ctx.in(0).shape;
  if (x.empty()) return InvalidArgument("input 'X' must have rank >= 1");
  PX_RETURN_IF_ERROR(NormalizeAxis(ctx.node.GetInt("axis", -1), static_cast<int64_t>(x.size())).status());
  if (ctx.node.GetInt("stash_type", 1) != 1) return NotImplemented("stash_type other than 1 is not supported");
  auto b = BroadcastShapes(x, ctx.in(1).shape);
  if (!b.ok() || *b != x) {
    return InvalidArgument("scale shape " + ShapeToString(ctx.in(1).shape) +
                           " does not broadcast to X shape " + ShapeToString(x));
  }
  ctx.SetOutput(0, dt, x);
  return Status::Ok();
}

template <typename T>
Status RmsTyped(KernelContext& ctx) {
  const Tensor& xt = ctx.in(0);
  const Tensor& st = ctx.in(1);
  const Shape& shape = xt.shape();
  const int64_t rank = xt.rank();
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", -1), rank));
  const double eps = ctx.node.GetFloat("epsilon", 1e-5f);
  int64_t rows = 1, cols = 1;
  for (int64_t i = 0; i < axis; ++i) rows *= shape[i];
  for (int64_t i = axis; i < rank; ++i) cols *= shape[i];
  if (rows * cols == 0) return Status::Ok();
  // The scale, densified: one row of `cols` when it does not vary over the leading dims,
  // otherwise the whole X-shaped tensor.
  const std::vector<int64_t> bs = BroadcastStrides(st.shape(), shape);
  bool per_row = false;
  for (int64_t i = 0; i < axis; ++i) per_row |= bs[i] != 0;
  const int64_t n = per_row ? rows * cols : cols;
  std::vector<T> scale(static_cast<size_t>(n));
  {
    std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
    const int64_t first = per_row ? 0 : axis;
    for (int64_t i = 0; i < first; ++i) idx[i] = 0;
    for (int64_t e = 0; e < n; ++e) {
      int64_t off = 0;
      for (int64_t k = first; k < rank; ++k) off += idx[k] * bs[k];
      scale[e] = st.data<T>()[off];
      for (int64_t k = rank - 1; k >= first; --k) {
        if (++idx[k] < shape[k]) break;
        idx[k] = 0;
      }
    }
  }
  const T* x = xt.data<T>();
  T* y = ctx.out(0).data<T>();
  ctx.pool->ParallelFor(rows, std::max<int64_t>(1, 16384 / cols), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      const T* sr = scale.data() + (per_row ? r * cols : 0);
      double ss = 0;
      for (int64_t c = 0; c < cols; ++c) ss += static_cast<double>(xr[c]) * xr[c];
      const T inv = static_cast<T>(1.0 / std::sqrt(ss / cols + eps));
      for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] * inv * sr[c];
    }
  });
  return Status::Ok();
}

Status RmsFloat(KernelContext& ctx) { return RmsTyped<float>(ctx); }

Status RmsCompute(KernelContext& ctx) {
  switch (ctx.in(0).dtype()) {
    case DataType::kFloat32: return RmsTyped<float>(ctx);
    case DataType::kFloat64: return RmsTyped<double>(ctx);
    case DataType::kFloat16: return extra::RunHalfAsFloat(ctx, RmsFloat);
    default: return NotImplemented("RMSNormalization: unsupported dtype");
  }
}

}  // namespace

std::vector<KernelDef> ExtraRmsNormKernels() {
  return {{"RMSNormalization", "", 23, 0, RmsInfer, RmsCompute, 0}};
}

}  // namespace parallax::ops
