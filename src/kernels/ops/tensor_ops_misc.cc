// Trilu, OneHot, Compress and ReverseSequence.
#include <algorithm>
#include <cmath>

#include "kernels/ops/tensor_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

using tensor_detail::Str;

// ---- Trilu -----------------------------------------------------------------------------

Status TriluInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'input'");
  if (ctx.in(0).shape.size() < 2) return InvalidArgument("input must have rank >= 2, got " + ShapeToString(ctx.in(0).shape));
  if (ctx.has(1)) {
    if (!tensor_detail::IsIntDtype(ctx.in(1).dtype) || NumElements(ctx.in(1).shape) != 1)
      return InvalidArgument("k must be an int64 scalar");
  }
  ctx.SetOutput(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::Ok();
}

Status TriluCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  int64_t k = 0;
  if (ctx.has(1)) {
    StatusOr<std::vector<int64_t>> kv = ReadInts(ctx.in(1));
    if (!kv.ok() || kv->size() != 1) return InvalidArgument("k must be an int64 scalar");
    k = (*kv)[0];
  }
  const bool upper = ctx.node.GetInt("upper", 1) != 0;
  PX_RETURN_IF_ERROR(tensor_detail::CopyIfDistinct(in, out));
  const int64_t N = in.dim(-2), M = in.dim(-1);
  if (out.numel() == 0) return Status::Ok();
  const int64_t rows = out.numel() / M;
  const size_t es = DataTypeSize(in.dtype());
  char* p = static_cast<char*>(out.raw());
  // Clamp k so that i + k cannot overflow.
  k = std::clamp<int64_t>(k, -(N + 1), M + 1);
  parallax::ParallelFor(ctx.pool, rows, tensor_detail::RowGrain(M), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t i = row % N;
      int64_t z0, z1;  // zeroed columns [z0, z1)
      if (upper) {
        z0 = 0;
        z1 = std::clamp<int64_t>(i + k, 0, M);
      } else {
        z0 = std::clamp<int64_t>(i + k + 1, 0, M);
        z1 = M;
      }
      if (z1 > z0) std::memset(p + (row * M + z0) * es, 0, static_cast<size_t>(z1 - z0) * es);
    }
  });
  return Status::Ok();
}

// ---- OneHot ----------------------------------------------------------------------------

Status OneHotDepth(const Tensor& t, int64_t* depth) {
  if (t.numel() != 1) return InvalidArgument("depth must be a scalar or a 1-element tensor");
  PX_ASSIGN_OR_RETURN(std::vector<double> v, ReadDoubles(t));
  if (!(v[0] >= 1 && v[0] < 1e15)) return InvalidArgument("depth must be >= 1, got " + std::to_string(v[0]));
  *depth = static_cast<int64_t>(v[0]);
  return Status::Ok();
}

Status OneHotInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1) || !ctx.has(2)) return InvalidArgument("expected inputs indices, depth, values");
  if (NumElements(ctx.in(2).shape) != 2 || ctx.in(2).shape.size() != 1)
    return InvalidArgument("values must have shape [2], got " + ShapeToString(ctx.in(2).shape));
  if (ctx.in(0).dtype == DataType::kFloat16 || ctx.in(1).dtype == DataType::kFloat16)
    return NotImplemented("float16 indices/depth are not supported");
  const Shape& is = ctx.in(0).shape;
  const int64_t r = static_cast<int64_t>(is.size());
  int64_t axis = ctx.node.GetInt("axis", -1);
  if (axis < -(r + 1) || axis > r) return InvalidArgument("axis " + Str(axis) + " is out of range for rank " + Str(r + 1));
  if (axis < 0) axis += r + 1;
  if (ctx.Value(1) == nullptr) return NeedsValue();
  int64_t depth;
  PX_RETURN_IF_ERROR(OneHotDepth(*ctx.Value(1), &depth));
  Shape out(is.begin(), is.end());
  out.insert(out.begin() + axis, depth);
  if (NumElements(out) < 0) return InvalidArgument("output shape is too large");
  ctx.SetOutput(0, ctx.in(2).dtype, std::move(out));
  return Status::Ok();
}

Status OneHotCompute(KernelContext& ctx) {
  const Tensor& it = ctx.in(0);
  Tensor& out = ctx.out(0);
  const int64_t r = it.rank();
  int64_t axis = ctx.node.GetInt("axis", -1);
  if (axis < 0) axis += r + 1;
  int64_t depth;
  PX_RETURN_IF_ERROR(OneHotDepth(ctx.in(1), &depth));
  PX_ASSIGN_OR_RETURN(std::vector<double> idx, ReadDoubles(it));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= it.shape()[d];
  for (int64_t d = axis; d < r; ++d) inner *= it.shape()[d];
  const size_t es = DataTypeSize(out.dtype());
  const char* vals = static_cast<const char*>(ctx.in(2).raw());
  char* p = static_cast<char*>(out.raw());
  tensor_detail::FillBytes(p, vals, out.numel(), es);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      double v = idx[o * inner + i];
      if (!std::isfinite(v)) continue;
      int64_t x = static_cast<int64_t>(std::trunc(std::clamp(v, -1e15, 1e15)));
      if (x < 0) x += depth;
      if (x < 0 || x >= depth) continue;
      std::memcpy(p + ((o * depth + x) * inner + i) * es, vals + es, es);
    }
  }
  return Status::Ok();
}

// ---- Compress --------------------------------------------------------------------------

Status CompressPlan(const Node& node, const Shape& in, const Tensor& cond, int64_t* axis,
                    std::vector<int64_t>* keep) {
  if (cond.dtype() != DataType::kBool) return InvalidArgument("condition must be bool");
  if (cond.rank() != 1) return InvalidArgument("condition must be 1-D, got " + ShapeToString(cond.shape()));
  int64_t dim;
  if (node.attr("axis") != nullptr) {
    PX_ASSIGN_OR_RETURN(*axis, NormalizeAxis(node.GetInt("axis", 0), static_cast<int64_t>(in.size())));
    dim = in[*axis];
  } else {
    *axis = -1;
    dim = NumElements(in);
  }
  keep->clear();
  const bool* c = cond.data<bool>();
  for (int64_t i = 0; i < cond.numel(); ++i) {
    if (!c[i]) continue;
    if (i >= dim)
      return InvalidArgument("condition is true at " + Str(i) + ", beyond the dim of size " + Str(dim));
    keep->push_back(i);
  }
  return Status::Ok();
}

Status CompressInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("expected inputs 'input' and 'condition'");
  if (ctx.Value(1) == nullptr) return NeedsValue();
  int64_t axis;
  std::vector<int64_t> keep;
  PX_RETURN_IF_ERROR(CompressPlan(ctx.node, ctx.in(0).shape, *ctx.Value(1), &axis, &keep));
  Shape out;
  if (axis < 0) {
    out = {static_cast<int64_t>(keep.size())};
  } else {
    out = ctx.in(0).shape;
    out[axis] = static_cast<int64_t>(keep.size());
  }
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

Status CompressCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  int64_t axis;
  std::vector<int64_t> keep;
  PX_RETURN_IF_ERROR(CompressPlan(ctx.node, in.shape(), ctx.in(1), &axis, &keep));
  int64_t outer = 1, inner = 1, dim = in.numel();
  if (axis >= 0) {
    dim = in.shape()[axis];
    for (int64_t d = 0; d < axis; ++d) outer *= in.shape()[d];
    for (int64_t d = axis + 1; d < in.rank(); ++d) inner *= in.shape()[d];
  }
  const size_t es = DataTypeSize(in.dtype());
  const size_t blk = static_cast<size_t>(inner) * es;
  if (blk == 0) return Status::Ok();
  const char* s = static_cast<const char*>(in.raw());
  char* d = static_cast<char*>(ctx.out(0).raw());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k : keep) {
      std::memcpy(d, s + (o * dim + k) * blk, blk);
      d += blk;
    }
  }
  return Status::Ok();
}

// ---- ReverseSequence -------------------------------------------------------------------

Status RevAxes(const Node& node, int64_t* ta, int64_t* ba) {
  *ta = node.GetInt("time_axis", 0);
  *ba = node.GetInt("batch_axis", 1);
  if ((*ta != 0 && *ta != 1) || (*ba != 0 && *ba != 1) || *ta == *ba)
    return InvalidArgument("time_axis and batch_axis must be 0 and 1 in some order");
  return Status::Ok();
}

Status ReverseSequenceInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("expected inputs 'input' and 'sequence_lens'");
  const Shape& in = ctx.in(0).shape;
  if (in.size() < 2) return InvalidArgument("input must have rank >= 2, got " + ShapeToString(in));
  int64_t ta, ba;
  PX_RETURN_IF_ERROR(RevAxes(ctx.node, &ta, &ba));
  if (!tensor_detail::IsIntDtype(ctx.in(1).dtype)) return InvalidArgument("sequence_lens must be int64");
  if (ctx.in(1).shape != Shape{in[ba]})
    return InvalidArgument("sequence_lens " + ShapeToString(ctx.in(1).shape) + " must have shape [" + Str(in[ba]) + "]");
  ctx.SetOutput(0, ctx.in(0).dtype, in);
  return Status::Ok();
}

Status ReverseSequenceCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  int64_t ta, ba;
  PX_RETURN_IF_ERROR(RevAxes(ctx.node, &ta, &ba));
  PX_ASSIGN_OR_RETURN(std::vector<int64_t> lens, ReadInts(ctx.in(1)));
  const int64_t T = in.shape()[ta], B = in.shape()[ba];
  for (int64_t l : lens)
    if (l < 0 || l > T) return InvalidArgument("sequence length " + Str(l) + " is out of range [0, " + Str(T) + "]");
  const std::vector<int64_t> st = Strides(in.shape());
  const int64_t inner = st[1];
  const size_t es = DataTypeSize(in.dtype());
  const char* s = static_cast<const char*>(in.raw());
  char* d = static_cast<char*>(ctx.out(0).raw());
  if (inner == 0) return Status::Ok();
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t b = 0; b < B; ++b) {
      const int64_t src_t = t < lens[b] ? lens[b] - 1 - t : t;
      const int64_t so = src_t * st[ta] + b * st[ba];
      const int64_t dof = t * st[ta] + b * st[ba];
      std::memcpy(d + dof * es, s + so * es, static_cast<size_t>(inner) * es);
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> TensorMiscRows() {
  KernelDef trilu{"Trilu", "", 14, 0, TriluInfer, TriluCompute};
  trilu.inplace_input = 0;
  return {
      trilu,
      {"OneHot", "", 9, 10, OneHotInfer, OneHotCompute},
      {"OneHot", "", 11, 0, OneHotInfer, OneHotCompute},
      {"Compress", "", 9, 10, CompressInfer, CompressCompute},
      {"Compress", "", 11, 0, CompressInfer, CompressCompute},
      {"ReverseSequence", "", 10, 0, ReverseSequenceInfer, ReverseSequenceCompute},
  };
}

}  // namespace parallax::ops
