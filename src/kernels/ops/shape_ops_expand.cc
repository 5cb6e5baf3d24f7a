// Expand: bidirectional (numpy) broadcast of the input to a shape given as a tensor.
#include "kernels/ops/shape_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

Status ExpandInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("expected inputs 'input' and 'shape'");
  if (ctx.in(1).shape.size() != 1)
    return InvalidArgument("input 'shape' must be 1-D, got " + ShapeToString(ctx.in(1).shape));
  std::vector<int64_t> req;
  PX_RETURN_IF_ERROR(tensor_detail::ReadIntsInput(ctx, 1, "shape", &req));
  for (int64_t d : req)
    if (d < 0) return InvalidArgument("shape " + ShapeToString(req) + " has a negative dim");
  PX_ASSIGN_OR_RETURN(Shape out, BroadcastShapes(ctx.in(0).shape, req));
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

Status ExpandCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  return tensor_detail::StridedCopy(in, 0, out, out.shape(), BroadcastStrides(in.shape(), out.shape()),
                                    ctx.pool);
}

}  // namespace

std::vector<KernelDef> ShapeExpandRows() {
  return {
      {"Expand", "", 8, 12, ExpandInfer, ExpandCompute},
      {"Expand", "", 13, 0, ExpandInfer, ExpandCompute},
  };
}

}  // namespace parallax::ops
