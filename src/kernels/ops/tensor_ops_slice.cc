// Slice: opset 1-9 with attributes starts/ends/axes, opset 10+ with inputs starts, ends,
// optional axes and steps (negative steps, clamping per the spec).
#include <algorithm>
#include <limits>

#include "kernels/ops/tensor_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

using tensor_detail::Str;

Status PlanSlice(const Shape& in, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                 std::vector<int64_t> axes, const std::vector<int64_t>& steps, SlicePlan* p) {
  const int64_t r = static_cast<int64_t>(in.size());
  const size_t n = starts.size();
  if (ends.size() != n) return InvalidArgument("starts and ends must have the same length");
  if (axes.empty()) {
    if (static_cast<int64_t>(n) > r) return InvalidArgument("more starts than input dims");
    for (size_t i = 0; i < n; ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (axes.size() != n) return InvalidArgument("axes must have the same length as starts");
  if (!steps.empty() && steps.size() != n) return InvalidArgument("steps must have the same length as starts");
  PX_RETURN_IF_ERROR(tensor_detail::NormalizeAxes(&axes, r, "axes"));
  p->out = in;
  p->start.assign(r, 0);
  p->step.assign(r, 1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t a = axes[i], dim = in[a];
    int64_t step = steps.empty() ? 1 : steps[i];
    if (step == 0) return InvalidArgument("steps must not be 0");
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += dim;  // no overflow: dim >= 0
    if (e < 0) e += dim;
    int64_t count;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      count = e > s ? (e - s - 1) / step + 1 : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      // step may be INT64_MIN: compare magnitudes without negating.
      count = s > e ? (step < -(s - e) ? 1 : (s - e - 1) / (-step) + 1) : 0;
    }
    if (count == 0) s = 0;
    p->out[a] = count;
    p->start[a] = s;
    p->step[a] = count <= 1 ? 1 : step;
  }
  return Status::Ok();
}

}  // namespace

Status GetSlicePlan(const Node& node, const Shape& in, const std::vector<const Tensor*>& vals, SlicePlan* p) {
  const bool attrs = node.opset < 10;
  std::vector<int64_t> starts, ends, axes, steps;
  if (attrs) {
    if (node.attr("starts") == nullptr || node.attr("ends") == nullptr)
      return InvalidArgument("missing attribute 'starts' or 'ends'");
    starts = node.GetInts("starts");
    ends = node.GetInts("ends");
    axes = node.GetInts("axes");
  } else {
    std::vector<int64_t>* dst[4] = {&starts, &ends, &axes, &steps};
    const char* names[4] = {"starts", "ends", "axes", "steps"};
    for (int i = 0; i < 4; ++i) {
      if (vals[i] == nullptr) continue;
      if (vals[i]->rank() != 1)
        return InvalidArgument(std::string("input '") + names[i] + "' must be 1-D, got " +
                               ShapeToString(vals[i]->shape()));
      StatusOr<std::vector<int64_t>> v = ReadInts(*vals[i]);
      if (!v.ok()) return InvalidArgument(std::string("input '") + names[i] + "': " + v.status().message());
      *dst[i] = std::move(v).value();
    }
  }
  return PlanSlice(in, starts, ends, axes, steps, p);
}

namespace {

Status SliceInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'data'");
  const bool attrs = ctx.node.opset < 10;
  std::vector<const Tensor*> vals(4, nullptr);
  if (!attrs) {
    if (!ctx.has(1) || !ctx.has(2)) return InvalidArgument("expected inputs 'starts' and 'ends'");
    for (size_t i = 1; i <= 4; ++i) {
      if (!ctx.has(i)) continue;
      if (!tensor_detail::IsIntDtype(ctx.in(i).dtype))
        return InvalidArgument("input " + Str(i) + " must be int32 or int64");
      if (ctx.Value(i) == nullptr) return NeedsValue();
      vals[i - 1] = ctx.Value(i);
    }
  }
  SlicePlan p;
  PX_RETURN_IF_ERROR(GetSlicePlan(ctx.node, ctx.in(0).shape, vals, &p));
  ctx.SetOutput(0, ctx.in(0).dtype, p.out);
  return Status::Ok();
}

Status SliceCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  const bool attrs = ctx.node.opset < 10;
  std::vector<const Tensor*> vals(4, nullptr);
  if (!attrs)
    for (size_t i = 1; i <= 4; ++i) vals[i - 1] = ctx.has(i) ? ctx.inputs[i] : nullptr;
  SlicePlan p;
  PX_RETURN_IF_ERROR(GetSlicePlan(ctx.node, in.shape(), vals, &p));
  Tensor& out = ctx.out(0);
  if (out.numel() == 0) return Status::Ok();
  std::vector<int64_t> st = Strides(in.shape());
  int64_t offset = 0;
  std::vector<int64_t> strides(st.size());
  for (size_t d = 0; d < st.size(); ++d) {
    offset += p.start[d] * st[d];
    strides[d] = st[d] * p.step[d];
  }
  return tensor_detail::StridedCopy(in, offset, out, p.out, strides, ctx.pool);
}

}  // namespace

std::vector<KernelDef> TensorSliceRows() {
  return {
      {"Slice", "", 1, 9, SliceInfer, SliceCompute},
      {"Slice", "", 10, 10, SliceInfer, SliceCompute},
      {"Slice", "", 11, 12, SliceInfer, SliceCompute},
      {"Slice", "", 13, 0, SliceInfer, SliceCompute},
  };
}

}  // namespace parallax::ops
