// Reshape, Flatten, Squeeze, Unsqueeze: output 0 has input 0's data with a new shape.
// Registered with alias = true; compute copies when the executor could not alias.
#include <algorithm>

#include "kernels/ops/shape_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

using tensor_detail::Str;

Status AliasCompute(KernelContext& ctx) { return tensor_detail::CopyIfDistinct(ctx.in(0), ctx.out(0)); }

// ---- Reshape ---------------------------------------------------------------------------

Status ReshapeShape(const Shape& in, const std::vector<int64_t>& req, bool allow_zero, Shape* out) {
  Shape s(req.begin(), req.end());
  int64_t infer_at = -1;
  int64_t known = 1;
  bool has_zero = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      if (infer_at >= 0) return InvalidArgument("shape " + ShapeToString(req) + " has more than one -1");
      infer_at = static_cast<int64_t>(i);
      continue;
    }
    if (s[i] < -1) return InvalidArgument("shape " + ShapeToString(req) + " has a negative dim other than -1");
    if (s[i] == 0) {
      has_zero = true;
      if (!allow_zero) {
        if (i >= in.size())
          return InvalidArgument("shape " + ShapeToString(req) + " copies dim " + Str(i) +
                                 " (0) but the input " + ShapeToString(in) + " has rank " + Str(in.size()));
        s[i] = in[i];
      }
    }
    if (s[i] != 0 && known > (int64_t{1} << 62) / s[i])
      return InvalidArgument("shape " + ShapeToString(req) + " is too large");
    known *= s[i];
  }
  if (allow_zero && has_zero && infer_at >= 0)
    return InvalidArgument("shape " + ShapeToString(req) + " has both 0 and -1 with allowzero=1");
  const int64_t n = NumElements(in);
  if (infer_at >= 0) {
    if (known == 0) {
      if (n != 0)
        return InvalidArgument("cannot infer the -1 dim of " + ShapeToString(req) + " for input " +
                               ShapeToString(in));
      s[infer_at] = 0;
    } else {
      if (n % known != 0)
        return InvalidArgument("cannot reshape input " + ShapeToString(in) + " to " + ShapeToString(req));
      s[infer_at] = n / known;
    }
  } else if (known != n) {
    return InvalidArgument("cannot reshape input " + ShapeToString(in) + " (" + Str(n) + " elements) to " +
                           ShapeToString(s) + " (" + Str(known) + " elements)");
  }
  *out = std::move(s);
  return Status::Ok();
}

Status ReshapeInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'data'");
  std::vector<int64_t> req;
  if (ctx.node.opset < 5) {
    const Attribute* a = ctx.node.attr("shape");
    if (a == nullptr) return InvalidArgument("missing attribute 'shape'");
    req = ctx.node.GetInts("shape");
  } else {
    if (!ctx.has(1)) return InvalidArgument("expected input 'shape'");
    if (ctx.in(1).shape.size() != 1)
      return InvalidArgument("input 'shape' must be 1-D, got " + ShapeToString(ctx.in(1).shape));
    PX_RETURN_IF_ERROR(tensor_detail::ReadIntsInput(ctx, 1, "shape", &req));
  }
  const bool allow_zero = ctx.node.opset >= 14 && ctx.node.GetInt("allowzero", 0) != 0;
  Shape out;
  PX_RETURN_IF_ERROR(ReshapeShape(ctx.in(0).shape, req, allow_zero, &out));
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

// ---- Flatten ---------------------------------------------------------------------------

Status FlattenInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'input'");
  const Shape& in = ctx.in(0).shape;
  const int64_t r = static_cast<int64_t>(in.size());
  int64_t axis = ctx.node.GetInt("axis", 1);
  if (axis < -r || axis > r)
    return InvalidArgument("axis " + Str(axis) + " is out of range [" + Str(-r) + ", " + Str(r) + "]");
  if (axis < 0) axis += r;
  int64_t a = 1, b = 1;
  for (int64_t i = 0; i < r; ++i) (i < axis ? a : b) *= in[i];
  ctx.SetOutput(0, ctx.in(0).dtype, {a, b});
  return Status::Ok();
}

// ---- Squeeze / Unsqueeze -----------------------------------------------------------------

Status ReadAxes(const InferContext& ctx, bool* given, std::vector<int64_t>* axes) {
  *given = false;
  if (ctx.node.opset < 13) {
    if (ctx.node.attr("axes") != nullptr) {
      *given = true;
      *axes = ctx.node.GetInts("axes");
    }
    return Status::Ok();
  }
  if (!ctx.has(1)) return Status::Ok();
  if (ctx.in(1).shape.size() > 1)
    return InvalidArgument("input 'axes' must be 1-D, got " + ShapeToString(ctx.in(1).shape));
  *given = true;
  return tensor_detail::ReadIntsInput(ctx, 1, "axes", axes);
}

Status SqueezeInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'data'");
  const Shape& in = ctx.in(0).shape;
  const int64_t r = static_cast<int64_t>(in.size());
  bool given;
  std::vector<int64_t> axes;
  PX_RETURN_IF_ERROR(ReadAxes(ctx, &given, &axes));
  std::vector<bool> drop(r, false);
  if (given && !axes.empty()) {
    PX_RETURN_IF_ERROR(tensor_detail::NormalizeAxes(&axes, r, "axes"));
    for (int64_t a : axes) {
      if (in[a] != 1)
        return InvalidArgument("cannot squeeze axis " + Str(a) + " of shape " + ShapeToString(in) +
                               ": dim is not 1");
      drop[a] = true;
    }
  } else {
    for (int64_t i = 0; i < r; ++i) drop[i] = in[i] == 1;
  }
  Shape out;
  for (int64_t i = 0; i < r; ++i)
    if (!drop[i]) out.push_back(in[i]);
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

Status UnsqueezeInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'data'");
  const Shape& in = ctx.in(0).shape;
  bool given;
  std::vector<int64_t> axes;
  PX_RETURN_IF_ERROR(ReadAxes(ctx, &given, &axes));
  if (!given) return InvalidArgument("expected 'axes'");
  const int64_t r = static_cast<int64_t>(in.size() + axes.size());
  PX_RETURN_IF_ERROR(tensor_detail::NormalizeAxes(&axes, r, "axes"));
  std::vector<bool> ins(r, false);
  for (int64_t a : axes) ins[a] = true;
  Shape out;
  size_t k = 0;
  for (int64_t i = 0; i < r; ++i) out.push_back(ins[i] ? 1 : in[k++]);
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> ShapeReshapeRows() {
  auto row = [](const char* op, int since, int until, InferFn infer) {
    KernelDef k{op, "", since, until, infer, AliasCompute};
    k.alias = true;
    return k;
  };
  return {
      row("Reshape", 1, 4, ReshapeInfer),    row("Reshape", 5, 13, ReshapeInfer),
      row("Reshape", 14, 0, ReshapeInfer),   row("Flatten", 1, 0, FlattenInfer),
      row("Squeeze", 1, 12, SqueezeInfer),   row("Squeeze", 13, 0, SqueezeInfer),
      row("Unsqueeze", 1, 12, UnsqueezeInfer), row("Unsqueeze", 13, 0, UnsqueezeInfer),
  };
}

}  // namespace parallax::ops
