// LRN (ai.onnx 1, 13): local response normalisation across channels of X (N, C, d1..dk):
//   y = x / (bias + alpha / size * sum_{c' in window(c)} x[c']^2)^beta
// window(c) = [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to [0, C).
// float32, float64; float16 computed in float32.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/ops/extra_common.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

Status LrnInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("input 'X' is required");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64 && dt != DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by LRN");
  }
  if (ctx.in(0).shape.size() < 2) return InvalidArgument("input must have rank >= 2 (N, C, ...)");
  if (ctx.node.attr("size") == nullptr || ctx.node.GetInt("size", 0) <= 0) {
    return InvalidArgument("attribute 'size' is required and must be positive");
  }
  ctx.SetOutput(0, dt, ctx.in(0).shape);
  return Status::Ok();
}

template <typename T>
Status LrnTyped(KernelContext& ctx) {
  const Shape& s = ctx.in(0).shape();
  const int64_t N = s[0], C = s[1];
  int64_t inner = 1;
  for (size_t i = 2; i < s.size(); ++i) inner *= s[i];
  const int64_t size = ctx.node.GetInt("size", 1);
  const double alpha = ctx.node.GetFloat("alpha", 1e-4f);
  const double beta = ctx.node.GetFloat("beta", 0.75f);
  const double bias = ctx.node.GetFloat("bias", 1.f);
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  const T* x = ctx.in(0).data<T>();
  T* y = ctx.out(0).data<T>();
  const double a = alpha / static_cast<double>(size);
  ctx.pool->ParallelFor(N * C, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner * size)),
                        [&](int64_t r0, int64_t r1) {
    std::vector<double> acc(static_cast<size_t>(inner));
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / C, c = r % C;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t cc = std::max<int64_t>(0, c - lo); cc <= std::min<int64_t>(C - 1, c + hi); ++cc) {
        const T* xr = x + (n * C + cc) * inner;
        for (int64_t k = 0; k < inner; ++k) acc[k] += static_cast<double>(xr[k]) * xr[k];
      }
      const T* xr = x + r * inner;
      T* yr = y + r * inner;
      for (int64_t k = 0; k < inner; ++k) {
        yr[k] = static_cast<T>(xr[k] / std::pow(bias + a * acc[k], beta));
      }
    }
  });
  return Status::Ok();
}

Status LrnFloat(KernelContext& ctx) { return LrnTyped<float>(ctx); }

Status LrnCompute(KernelContext& ctx) {
  switch (ctx.in(0).dtype()) {
    case DataType::kFloat32: return LrnTyped<float>(ctx);
    case DataType::kFloat64: return LrnTyped<double>(ctx);
    case DataType::kFloat16: return extra::RunHalfAsFloat(ctx, LrnFloat);
    default: return NotImplemented("LRN: unsupported dtype");
  }
}

}  // namespace

std::vector<KernelDef> ExtraLrnKernels() {
  return {{"LRN", "", 1, 0, LrnInfer, LrnCompute}};
}

}  // namespace parallax::ops
