// Concat and Split: block copies along one axis.
#include <algorithm>

#include "kernels/ops/tensor_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

using tensor_detail::Str;

// ---- Concat ----------------------------------------------------------------------------

Status ConcatInfer(InferContext& ctx) {
  if (ctx.num_inputs() == 0 || !ctx.has(0)) return InvalidArgument("expected at least one input");
  const Shape& first = ctx.in(0).shape;
  const int64_t r = static_cast<int64_t>(first.size());
  if (r == 0) return InvalidArgument("inputs must have rank >= 1");
  const Attribute* a = ctx.node.attr("axis");
  if (a == nullptr && ctx.node.opset >= 4) return InvalidArgument("missing attribute 'axis'");
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 1), r));
  Shape out = first;
  out[axis] = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has(i)) return InvalidArgument("input " + Str(i) + " is missing");
    const Shape& s = ctx.in(i).shape;
    if (ctx.in(i).dtype != ctx.in(0).dtype) return InvalidArgument("inputs must have one dtype");
    if (static_cast<int64_t>(s.size()) != r)
      return InvalidArgument("input " + Str(i) + " has shape " + ShapeToString(s) + ", expected rank " + Str(r));
    for (int64_t d = 0; d < r; ++d) {
      if (d != axis && s[d] != first[d])
        return InvalidArgument("input " + Str(i) + " has shape " + ShapeToString(s) +
                               ", incompatible with " + ShapeToString(first) + " on axis " + Str(d));
    }
    out[axis] += s[axis];
  }
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

Status ConcatCompute(KernelContext& ctx) {
  Tensor& out = ctx.out(0);
  if (out.numel() == 0) return Status::Ok();
  const int64_t r = out.rank();
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 1), r));
  const size_t es = DataTypeSize(out.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= out.shape()[d];
  for (int64_t d = axis + 1; d < r; ++d) inner *= out.shape()[d];
  const size_t out_row = static_cast<size_t>(out.shape()[axis] * inner) * es;
  struct Part { const char* src; size_t bytes, dst_off; };
  std::vector<Part> parts;
  size_t off = 0;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& t = ctx.in(i);
    size_t bytes = static_cast<size_t>(t.shape()[axis] * inner) * es;
    if (bytes > 0) parts.push_back({static_cast<const char*>(t.raw()), bytes, off});
    off += bytes;
  }
  char* dst = static_cast<char*>(out.raw());
  const int64_t row_elems = out.shape()[axis] * inner;
  parallax::ParallelFor(ctx.pool, outer, tensor_detail::RowGrain(row_elems), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      for (const Part& p : parts) std::memcpy(dst + o * out_row + p.dst_off, p.src + o * p.bytes, p.bytes);
    }
  });
  return Status::Ok();
}

// ---- Split -----------------------------------------------------------------------------

Status SplitSizes(const InferContext& ctx, int64_t dim, std::vector<int64_t>* sizes) {
  const int64_t n = static_cast<int64_t>(ctx.node.outputs.size());
  if (n == 0) return InvalidArgument("expected at least one output");
  std::vector<int64_t> split;
  bool given = false;
  if (ctx.node.opset < 13) {
    if (ctx.node.attr("split") != nullptr) {
      given = true;
      split = ctx.node.GetInts("split");
    } else if (ctx.node.opset < 2 && ctx.has(1)) {
      given = true;
      PX_RETURN_IF_ERROR(tensor_detail::ReadIntsInput(ctx, 1, "split", &split));
    }
  } else if (ctx.has(1)) {
    given = true;
    PX_RETURN_IF_ERROR(tensor_detail::ReadIntsInput(ctx, 1, "split", &split));
  }
  if (given && split.empty() && ctx.node.opset >= 13) given = false;  // empty tensor = omitted
  if (given) {
    if (static_cast<int64_t>(split.size()) != n)
      return InvalidArgument("split has " + Str(split.size()) + " entries for " + Str(n) + " outputs");
    int64_t sum = 0;
    for (int64_t s : split) {
      if (s < 0) return InvalidArgument("split " + ShapeToString(split) + " has a negative entry");
      sum += s;
    }
    if (sum != dim)
      return InvalidArgument("split " + ShapeToString(split) + " sums to " + Str(sum) + ", expected " + Str(dim));
    *sizes = split;
    return Status::Ok();
  }
  const Attribute* no = ctx.node.opset >= 18 ? ctx.node.attr("num_outputs") : nullptr;
  if (no != nullptr) {
    const int64_t k = no->i;
    if (k != n) return InvalidArgument("num_outputs is " + Str(k) + " but the node has " + Str(n) + " outputs");
    const int64_t chunk = (dim + k - 1) / k;
    sizes->assign(k, 0);
    int64_t left = dim;
    for (int64_t i = 0; i < k; ++i) {
      (*sizes)[i] = std::min(chunk, left);
      left -= (*sizes)[i];
    }
    return Status::Ok();
  }
  if (dim % n != 0)
    return InvalidArgument("dim " + Str(dim) + " cannot be split evenly into " + Str(n) + " outputs");
  sizes->assign(n, dim / n);
  return Status::Ok();
}

Status SplitInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'input'");
  const Shape& in = ctx.in(0).shape;
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 0), static_cast<int64_t>(in.size())));
  std::vector<int64_t> sizes;
  PX_RETURN_IF_ERROR(SplitSizes(ctx, in[axis], &sizes));
  for (size_t i = 0; i < sizes.size(); ++i) {
    Shape s = in;
    s[axis] = sizes[i];
    ctx.SetOutput(i, ctx.in(0).dtype, std::move(s));
  }
  return Status::Ok();
}

Status SplitCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  const int64_t r = in.rank();
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 0), r));
  const size_t es = DataTypeSize(in.dtype());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= in.shape()[d];
  for (int64_t d = axis + 1; d < r; ++d) inner *= in.shape()[d];
  const size_t in_row = static_cast<size_t>(in.shape()[axis] * inner) * es;
  if (in_row == 0 || outer == 0) return Status::Ok();
  size_t off = 0;
  const char* src = static_cast<const char*>(in.raw());
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    if (ctx.outputs[i] == nullptr) continue;
    Tensor& o = ctx.out(i);
    const size_t bytes = static_cast<size_t>(o.shape()[axis] * inner) * es;
    char* dst = static_cast<char*>(o.raw());
    if (bytes > 0) {
      parallax::ParallelFor(ctx.pool, outer, tensor_detail::RowGrain(o.shape()[axis] * inner),
                            [&](int64_t b, int64_t e) {
                              for (int64_t k = b; k < e; ++k) std::memcpy(dst + k * bytes, src + k * in_row + off, bytes);
                            });
    }
    off += bytes;
  }
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> TensorConcatSplitRows() {
  return {
      {"Concat", "", 1, 3, ConcatInfer, ConcatCompute},
      {"Concat", "", 4, 10, ConcatInfer, ConcatCompute},
      {"Concat", "", 11, 0, ConcatInfer, ConcatCompute},
      {"Split", "", 1, 12, SplitInfer, SplitCompute},
      {"Split", "", 13, 17, SplitInfer, SplitCompute},
      {"Split", "", 18, 0, SplitInfer, SplitCompute},
  };
}

}  // namespace parallax::ops
