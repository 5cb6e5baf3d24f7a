// Swish (ai.onnx 24): y = x * sigmoid(alpha * x), alpha defaults to 1. float32 (vectorised
// FastSigmoid), float64; float16 computed in float32.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/ops/extra_common.h"
#include "kernels/vector_math.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

Status SwishInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("input 'X' is required");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64 && dt != DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by Swish");
  }
  ctx.SetOutput(0, dt, ctx.in(0).shape);
  return Status::Ok();
}

Status SwishFloat(KernelContext& ctx) {
  const float alpha = ctx.node.GetFloat("alpha", 1.f);
  const float* x = ctx.in(0).data<float>();
  float* y = ctx.out(0).data<float>();
  ctx.pool->ParallelFor(ctx.in(0).numel(), 16384, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = x[i] * FastSigmoid(alpha * x[i]);
  });
  return Status::Ok();
}

Status SwishCompute(KernelContext& ctx) {
  switch (ctx.in(0).dtype()) {
    case DataType::kFloat32: return SwishFloat(ctx);
    case DataType::kFloat64: {
      const double alpha = ctx.node.GetFloat("alpha", 1.f);
      const double* x = ctx.in(0).data<double>();
      double* y = ctx.out(0).data<double>();
      for (int64_t i = 0; i < ctx.in(0).numel(); ++i) y[i] = x[i] / (1.0 + std::exp(-alpha * x[i]));
      return Status::Ok();
    }
    case DataType::kFloat16: return extra::RunHalfAsFloat(ctx, SwishFloat);
    default: return NotImplemented("Swish: unsupported dtype");
  }
}

}  // namespace

std::vector<KernelDef> ExtraSwishKernels() {
  return {{"Swish", "", 24, 0, SwishInfer, SwishCompute, 0}};
}

}  // namespace parallax::ops
