// Hardmax (ai.onnx 1, 11, 13): 1 at the first maximum, 0 elsewhere.
// Opsets 1-12 coerce the input to 2-D at `axis` (default 1) and take the max over each row of
// the flattened trailing dims; opset 13 takes it along the single `axis` (default -1).
// float32, float64, float16.
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/ops/extra_common.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

Status HardmaxInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("input is required");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64 && dt != DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by Hardmax");
  }
  const int64_t rank = static_cast<int64_t>(ctx.in(0).shape.size());
  const bool v13 = ctx.node.opset >= 13;
  const int64_t axis = ctx.node.GetInt("axis", v13 ? -1 : 1);
  if (v13) {
    PX_RETURN_IF_ERROR(NormalizeAxis(axis, std::max<int64_t>(1, rank)).status());
  } else if (axis < -rank || axis > rank) {
    // The 2-D coercion allows axis == rank (each element its own row).
    return InvalidArgument("axis " + std::to_string(axis) + " is outside [" + std::to_string(-rank) +
                           ", " + std::to_string(rank) + "]");
  }
  ctx.SetOutput(0, dt, ctx.in(0).shape);
  return Status::Ok();
}

template <typename T, typename Load>
void HardmaxRows(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, T one, Load load) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < inner; ++k) {
      const T* xr = x + o * n * inner + k;
      T* yr = y + o * n * inner + k;
      int64_t best = 0;
      double bestd = load(xr[0]);
      for (int64_t i = 1; i < n; ++i) {
        const double v = load(xr[i * inner]);
        if (v > bestd) {
          bestd = v;
          best = i;
        }
      }
      for (int64_t i = 0; i < n; ++i) yr[i * inner] = T(0);
      if (n > 0) yr[best * inner] = one;
    }
  }
}

Status HardmaxCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  const bool v13 = ctx.node.opset >= 13;
  const Shape shape = in.rank() == 0 && v13 ? Shape{1} : in.shape();
  const int64_t rank = static_cast<int64_t>(shape.size());
  int64_t axis = ctx.node.GetInt("axis", v13 ? -1 : 1);
  if (axis < 0) axis += rank;
  axis = std::clamp<int64_t>(axis, 0, rank);
  int64_t outer = 1, n = 1, inner = 1;
  if (v13) {
    for (int64_t i = 0; i < axis; ++i) outer *= shape[i];
    n = shape[axis];
    for (int64_t i = axis + 1; i < rank; ++i) inner *= shape[i];
  } else {
    for (int64_t i = 0; i < axis; ++i) outer *= shape[i];
    for (int64_t i = axis; i < rank; ++i) n *= shape[i];
  }
  if (in.numel() == 0) return Status::Ok();
  Tensor& out = ctx.out(0);
  switch (in.dtype()) {
    case DataType::kFloat32:
      HardmaxRows<float>(in.data<float>(), out.data<float>(), outer, n, inner, 1.f,
                         [](float v) { return static_cast<double>(v); });
      break;
    case DataType::kFloat64:
      HardmaxRows<double>(in.data<double>(), out.data<double>(), outer, n, inner, 1.0,
                          [](double v) { return v; });
      break;
    case DataType::kFloat16:
      HardmaxRows<uint16_t>(in.data<uint16_t>(), out.data<uint16_t>(), outer, n, inner,
                            FloatToHalf(1.f), [](uint16_t v) { return static_cast<double>(HalfToFloat(v)); });
      break;
    default:
      return NotImplemented("Hardmax: unsupported dtype");
  }
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> ExtraHardmaxKernels() {
  return {{"Hardmax", "", 1, 0, HardmaxInfer, HardmaxCompute}};
}

}  // namespace parallax::ops
