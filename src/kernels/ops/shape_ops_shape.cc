// Shape (start/end from opset 15) and Size: outputs computed from the input's shape only.
#include <algorithm>

#include "kernels/ops/shape_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

void ShapeRange(const Node& node, int64_t rank, int64_t* start, int64_t* end) {
  int64_t s = node.GetInt("start", 0);
  int64_t e = node.GetInt("end", rank);
  if (s < 0) s += rank;
  if (e < 0) e += rank;
  s = std::clamp<int64_t>(s, 0, rank);
  e = std::clamp<int64_t>(e, 0, rank);
  *start = s;
  *end = std::max(s, e);
}

Status ShapeInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected 1 input");
  int64_t s, e;
  ShapeRange(ctx.node, static_cast<int64_t>(ctx.in(0).shape.size()), &s, &e);
  ctx.SetOutput(0, DataType::kInt64, {e - s});
  return Status::Ok();
}

Status ShapeCompute(KernelContext& ctx) {
  const Shape& shape = ctx.in(0).shape();
  int64_t s, e;
  ShapeRange(ctx.node, static_cast<int64_t>(shape.size()), &s, &e);
  int64_t* out = ctx.out(0).data<int64_t>();
  for (int64_t i = s; i < e; ++i) out[i - s] = shape[i];
  return Status::Ok();
}

Status SizeInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected 1 input");
  ctx.SetOutput(0, DataType::kInt64, {});
  return Status::Ok();
}

Status SizeCompute(KernelContext& ctx) {
  ctx.out(0).data<int64_t>()[0] = ctx.in(0).numel();
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> ShapeSizeRows() {
  return {
      {"Shape", "", 1, 14, ShapeInfer, ShapeCompute},
      {"Shape", "", 15, 0, ShapeInfer, ShapeCompute},
      {"Size", "", 1, 0, SizeInfer, SizeCompute},
  };
}

}  // namespace parallax::ops
