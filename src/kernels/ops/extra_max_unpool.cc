// MaxUnpool (ai.onnx 9, 11, 22): scatters X into zeros of the unpooled shape
//   (N, C, (in_i - 1)*stride_i - pad_begin_i - pad_end_i + kernel_i)
// at the flat positions given by I (as MaxPool's Indices output produces them). With the
// optional output_shape input the result is that shape, the unpooled block sitting at its
// origin (as the ONNX reference does). Any dtype (data movement).
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/kernel_util.h"

namespace parallax::ops {
namespace {

StatusOr<Shape> UnpooledShape(const Node& node, const Shape& x) {
  if (x.size() < 3) return InvalidArgument("X must have rank >= 3 (N, C, spatial...), got " + ShapeToString(x));
  const size_t r = x.size() - 2;
  const std::vector<int64_t> k = node.GetInts("kernel_shape");
  std::vector<int64_t> pads = node.GetInts("pads"), strides = node.GetInts("strides");
  if (pads.empty()) pads.assign(2 * r, 0);
  if (strides.empty()) strides.assign(r, 1);
  if (k.size() != r || pads.size() != 2 * r || strides.size() != r) {
    return InvalidArgument("kernel_shape/strides need " + std::to_string(r) + " values and pads " +
                           std::to_string(2 * r));
  }
  Shape out{x[0], x[1]};
  for (size_t i = 0; i < r; ++i) {
    if (k[i] <= 0 || strides[i] <= 0 || pads[i] < 0 || pads[i + r] < 0) {
      return InvalidArgument("kernel_shape and strides must be positive, pads non-negative");
    }
    const int64_t d = (x[i + 2] - 1) * strides[i] - pads[i] - pads[i + r] + k[i];
    if (d < 0) return InvalidArgument("unpooled size is negative");
    out.push_back(x[i + 2] == 0 ? 0 : d);
  }
  return out;
}

StatusOr<Shape> FinalShape(const Shape& inferred, const Tensor* output_shape) {
  if (output_shape == nullptr) return inferred;
  PX_ASSIGN_OR_RETURN(std::vector<int64_t> os, ReadInts(*output_shape));
  if (os.size() != inferred.size()) {
    return InvalidArgument("output_shape must have " + std::to_string(inferred.size()) + " values");
  }
  for (size_t i = 0; i < os.size(); ++i) {
    if (os[i] < inferred[i]) {
      return InvalidArgument("output_shape " + ShapeToString(os) + " is smaller than the unpooled shape " +
                             ShapeToString(inferred));
    }
  }
  return Shape(os.begin(), os.end());
}

Status MaxUnpoolInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("inputs 'X' and 'I' are required");
  if (DataTypeSize(ctx.in(0).dtype) == 0) return NotImplemented("MaxUnpool: unsupported dtype");
  if (ctx.in(1).dtype != DataType::kInt64) return InvalidArgument("input 'I' must be int64");
  if (ctx.in(1).shape != ctx.in(0).shape) return InvalidArgument("input 'I' must have X's shape");
  PX_ASSIGN_OR_RETURN(Shape inferred, UnpooledShape(ctx.node, ctx.in(0).shape));
  if (ctx.has(2) && ctx.Value(2) == nullptr) return NeedsValue();
  PX_ASSIGN_OR_RETURN(Shape out, FinalShape(inferred, ctx.has(2) ? ctx.Value(2) : nullptr));
  ctx.SetOutput(0, ctx.in(0).dtype, out);
  return Status::Ok();
}

Status MaxUnpoolCompute(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const int64_t* idx = ctx.in(1).data<int64_t>();
  PX_ASSIGN_OR_RETURN(Shape inferred, UnpooledShape(ctx.node, x.shape()));
  Tensor& out = ctx.out(0);
  const int64_t total = NumElements(inferred);
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (idx[i] < 0 || idx[i] >= total) {
      return InvalidArgument("index " + std::to_string(idx[i]) + " is outside the unpooled tensor (" +
                             std::to_string(total) + " elements)");
    }
  }
  std::memset(out.raw(), 0, out.nbytes());
  const Shape& os = out.shape();
  const size_t es = DataTypeSize(x.dtype());
  const std::vector<int64_t> ist = Strides(inferred), ost = Strides(os);
  const char* src = static_cast<const char*>(x.raw());
  char* dst = static_cast<char*>(out.raw());
  for (int64_t i = 0; i < x.numel(); ++i) {
    // Position in the unpooled shape, then in the (possibly larger) output.
    int64_t rem = idx[i], off = 0;
    for (size_t d = 0; d < inferred.size(); ++d) {
      const int64_t c = rem / ist[d];
      rem %= ist[d];
      off += c * ost[d];
    }
    std::memcpy(dst + off * es, src + i * es, es);
  }
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> ExtraMaxUnpoolKernels() {
  return {{"MaxUnpool", "", 9, 0, MaxUnpoolInfer, MaxUnpoolCompute}};
}

}  // namespace parallax::ops
