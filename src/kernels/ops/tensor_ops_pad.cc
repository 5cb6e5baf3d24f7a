// Pad: modes constant/reflect/edge/wrap. Opset 1 (paddings attribute) and 2-10 (pads/value
// attributes); 11+ inputs pads, constant_value and (18+) axes. Negative pads crop.
#include <algorithm>

#include "kernels/ops/tensor_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

using tensor_detail::Str;

enum class Mode { kConstant, kReflect, kEdge, kWrap };

struct PadPlan {
  Mode mode = Mode::kConstant;
  std::vector<int64_t> begin, end;  // per input dim
  Shape out;
};

Status MakePlan(const Node& node, const Shape& in, const std::vector<const Tensor*>& vals, PadPlan* p) {
  const int64_t r = static_cast<int64_t>(in.size());
  const std::string mode = node.GetString("mode", "constant");
  if (mode == "constant") p->mode = Mode::kConstant;
  else if (mode == "reflect") p->mode = Mode::kReflect;
  else if (mode == "edge") p->mode = Mode::kEdge;
  else if (mode == "wrap" && node.opset >= 19) p->mode = Mode::kWrap;
  else return InvalidArgument("unsupported mode '" + mode + "'");
  std::vector<int64_t> pads, axes;
  if (node.opset < 11) {
    pads = node.GetInts(node.opset < 2 ? "paddings" : "pads");
    if (pads.empty() && node.attr(node.opset < 2 ? "paddings" : "pads") == nullptr)
      return InvalidArgument("missing attribute 'pads'");
  } else {
    if (vals[0] == nullptr) return InvalidArgument("expected input 'pads'");
    StatusOr<std::vector<int64_t>> v = ReadInts(*vals[0]);
    if (!v.ok()) return InvalidArgument("pads: " + v.status().message());
    pads = std::move(v).value();
    if (vals[2] != nullptr) {
      StatusOr<std::vector<int64_t>> a = ReadInts(*vals[2]);
      if (!a.ok()) return InvalidArgument("axes: " + a.status().message());
      axes = std::move(a).value();
      PX_RETURN_IF_ERROR(tensor_detail::NormalizeAxes(&axes, r, "axes"));
    }
  }
  if (axes.empty() && !(node.opset >= 18 && vals[2] != nullptr)) {
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size())
    return InvalidArgument("pads " + ShapeToString(pads) + " must have " + Str(2 * axes.size()) + " entries");
  for (int64_t v : pads)
    if (v > (int64_t{1} << 40) || v < -(int64_t{1} << 40)) return InvalidArgument("pad " + Str(v) + " is too large");
  p->begin.assign(r, 0);
  p->end.assign(r, 0);
  const size_t n = axes.size();
  for (size_t i = 0; i < n; ++i) {
    p->begin[axes[i]] = pads[i];
    p->end[axes[i]] = pads[i + n];
  }
  p->out.resize(r);
  for (int64_t d = 0; d < r; ++d) {
    const int64_t o = in[d] + p->begin[d] + p->end[d];
    if (o < 0)
      return InvalidArgument("pads " + ShapeToString(pads) + " give a negative dim on axis " + Str(d));
    p->out[d] = o;
    const int64_t kept = in[d] + std::min<int64_t>(p->begin[d], 0) + std::min<int64_t>(p->end[d], 0);
    const bool padded = p->begin[d] > 0 || p->end[d] > 0;
    if (p->mode != Mode::kConstant && padded && kept <= 0)
      return InvalidArgument("mode '" + mode + "' cannot pad axis " + Str(d) + " of size 0");
  }
  if (NumElements(p->out) < 0) return InvalidArgument("output shape " + ShapeToString(p->out) + " is too large");
  return Status::Ok();
}

Status PadInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'data'");
  std::vector<const Tensor*> vals(3, nullptr);
  if (ctx.node.opset >= 11) {
    if (!ctx.has(1)) return InvalidArgument("expected input 'pads'");
    if (!tensor_detail::IsIntDtype(ctx.in(1).dtype)) return InvalidArgument("pads must be int64");
    if (ctx.in(1).shape.size() != 1) return InvalidArgument("pads must be 1-D, got " + ShapeToString(ctx.in(1).shape));
    if (ctx.has(2)) {
      if (ctx.in(2).dtype != ctx.in(0).dtype) return InvalidArgument("constant_value must have the dtype of data");
      if (NumElements(ctx.in(2).shape) != 1) return InvalidArgument("constant_value must be a scalar");
    }
    if (ctx.has(3) && ctx.node.opset < 18) return InvalidArgument("input 'axes' needs opset 18");
    for (size_t i : {size_t{1}, size_t{3}}) {
      if (!ctx.has(i)) continue;
      if (ctx.Value(i) == nullptr) return NeedsValue();
      vals[i - 1] = ctx.Value(i);
    }
  }
  PadPlan p;
  PX_RETURN_IF_ERROR(MakePlan(ctx.node, ctx.in(0).shape, vals, &p));
  ctx.SetOutput(0, ctx.in(0).dtype, p.out);
  return Status::Ok();
}

// Source index for output index o along one dim, or -1 for the constant value.
// The kept input range is [lo, lo + n).
inline int64_t MapIndex(Mode mode, int64_t o, int64_t pb, int64_t lo, int64_t n) {
  int64_t j = o - pb;
  if (j >= 0 && j < n) return lo + j;
  switch (mode) {
    case Mode::kConstant: return -1;
    case Mode::kEdge: return lo + (j < 0 ? 0 : n - 1);
    case Mode::kWrap: return lo + ((j % n) + n) % n;
    case Mode::kReflect: {
      if (n == 1) return lo;
      const int64_t period = 2 * (n - 1);
      j = ((j % period) + period) % period;
      return lo + (j < n ? j : period - j);
    }
  }
  return -1;
}

Status PadCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  std::vector<const Tensor*> vals(3, nullptr);
  if (ctx.node.opset >= 11) {
    vals[0] = ctx.inputs[1];
    if (ctx.has(3)) vals[2] = ctx.inputs[3];
  }
  PadPlan p;
  PX_RETURN_IF_ERROR(MakePlan(ctx.node, in.shape(), vals, &p));
  if (out.numel() == 0) return Status::Ok();
  const size_t es = DataTypeSize(in.dtype());
  alignas(8) char value[16] = {0};
  if (ctx.node.opset >= 11) {
    if (ctx.has(2)) std::memcpy(value, ctx.in(2).raw(), es);
  } else {
    PX_RETURN_IF_ERROR(tensor_detail::StoreScalar(in.dtype(), ctx.node.GetFloat("value", 0.f), value));
  }
  const int64_t r = in.rank();
  if (r == 0) return tensor_detail::CopyIfDistinct(in, out);
  // Per-dim index maps (output index -> input index or -1).
  std::vector<std::vector<int64_t>> maps(r);
  for (int64_t d = 0; d < r; ++d) {
    const int64_t lo = std::max<int64_t>(0, -p.begin[d]);
    const int64_t n = in.shape()[d] - lo - std::max<int64_t>(0, -p.end[d]);
    const int64_t pb = std::max<int64_t>(0, p.begin[d]);
    maps[d].resize(p.out[d]);
    for (int64_t o = 0; o < p.out[d]; ++o) maps[d][o] = MapIndex(p.mode, o, pb, lo, n);
  }
  const std::vector<int64_t> st = Strides(in.shape());
  const int64_t L = p.out[r - 1];
  const int64_t rows = out.numel() / L;
  const std::vector<int64_t>& last = maps[r - 1];
  // The contiguous middle of the last dim: [m0, m1) maps to consecutive inputs.
  int64_t m0 = 0, m1 = 0;
  {
    const int64_t pb = std::max<int64_t>(0, p.begin[r - 1]);
    const int64_t lo = std::max<int64_t>(0, -p.begin[r - 1]);
    const int64_t n = in.shape()[r - 1] - lo - std::max<int64_t>(0, -p.end[r - 1]);
    m0 = std::min(pb, L);
    m1 = std::min(pb + std::max<int64_t>(n, 0), L);
  }
  return DispatchBySize(in.dtype(), [&](auto tag) {
    using U = decltype(tag);
    U cv;
    std::memcpy(&cv, value, sizeof(U));
    const U* src = in.data<U>();
    U* dst = out.data<U>();
    parallax::ParallelFor(ctx.pool, rows, tensor_detail::RowGrain(L), [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        U* o = dst + row * L;
        int64_t rem = row, base = 0;
        bool constant = false;
        for (int64_t d = r - 2; d >= 0; --d) {
          const int64_t c = rem % p.out[d];
          rem /= p.out[d];
          const int64_t m = maps[d][c];
          if (m < 0) constant = true;
          else base += m * st[d];
        }
        if (constant) {
          std::fill(o, o + L, cv);
          continue;
        }
        const U* s = src + base;
        for (int64_t l = 0; l < m0; ++l) o[l] = last[l] < 0 ? cv : s[last[l]];
        if (m1 > m0) std::memcpy(o + m0, s + last[m0], static_cast<size_t>(m1 - m0) * sizeof(U));
        for (int64_t l = m1; l < L; ++l) o[l] = last[l] < 0 ? cv : s[last[l]];
      }
    });
  });
}

}  // namespace

std::vector<KernelDef> TensorPadRows() {
  return {
      {"Pad", "", 1, 1, PadInfer, PadCompute},
      {"Pad", "", 2, 10, PadInfer, PadCompute},
      {"Pad", "", 11, 12, PadInfer, PadCompute},
      {"Pad", "", 13, 17, PadInfer, PadCompute},
      {"Pad", "", 18, 18, PadInfer, PadCompute},
      {"Pad", "", 19, 0, PadInfer, PadCompute},
  };
}

}  // namespace parallax::ops
