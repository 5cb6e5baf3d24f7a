// Gather, GatherElements, GatherND. Every index read from data is validated (negative indices
// count from the end); an out-of-range index is InvalidArgument.
#include <algorithm>

#include "kernels/ops/tensor_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

using tensor_detail::Str;

// Indices as int64, each normalised into [0, dim) (dims[k] gives the bound of index k).
Status ReadIndices(const Tensor& t, std::vector<int64_t>* out) {
  StatusOr<std::vector<int64_t>> v = ReadInts(t);
  if (!v.ok()) return InvalidArgument("indices: " + v.status().message());
  *out = std::move(v).value();
  return Status::Ok();
}

inline Status FixIndex(int64_t* i, int64_t dim) {
  int64_t v = *i;
  if (v < -dim || v >= dim)
    return InvalidArgument("index " + Str(v) + " is out of range for a dim of size " + Str(dim));
  if (v < 0) *i = v + dim;
  return Status::Ok();
}

Status CheckIndicesDtype(const ValueInfo& v) {
  if (!tensor_detail::IsIntDtype(v.dtype))
    return InvalidArgument(std::string("indices must be int32 or int64, got ") + DataTypeName(v.dtype));
  return Status::Ok();
}

// ---- Gather ----------------------------------------------------------------------------

Status GatherInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("expected inputs 'data' and 'indices'");
  PX_RETURN_IF_ERROR(CheckIndicesDtype(ctx.in(1)));
  const Shape& d = ctx.in(0).shape;
  const int64_t r = static_cast<int64_t>(d.size());
  if (r == 0) return InvalidArgument("data must have rank >= 1");
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 0), r));
  Shape out(d.begin(), d.begin() + axis);
  for (int64_t x : ctx.in(1).shape) out.push_back(x);
  for (int64_t i = axis + 1; i < r; ++i) out.push_back(d[i]);
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

Status GatherCompute(KernelContext& ctx) {
  const Tensor& data = ctx.in(0);
  const int64_t r = data.rank();
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 0), r));
  std::vector<int64_t> idx;
  PX_RETURN_IF_ERROR(ReadIndices(ctx.in(1), &idx));
  const int64_t n = data.shape()[axis];
  for (int64_t& i : idx) PX_RETURN_IF_ERROR(FixIndex(&i, n));
  Tensor& out = ctx.out(0);
  if (out.numel() == 0) return Status::Ok();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= data.shape()[d];
  for (int64_t d = axis + 1; d < r; ++d) inner *= data.shape()[d];
  const int64_t m = static_cast<int64_t>(idx.size());
  return DispatchBySize(data.dtype(), [&](auto tag) {
    using U = decltype(tag);
    const U* src = data.data<U>();
    U* dst = out.data<U>();
    parallax::ParallelFor(ctx.pool, outer * m, tensor_detail::RowGrain(inner), [&](int64_t b, int64_t e) {
      for (int64_t w = b; w < e; ++w) {
        const int64_t o = w / m, k = w % m;
        const U* s = src + (o * n + idx[k]) * inner;
        if (inner == 1) dst[w] = *s;
        else std::memcpy(dst + w * inner, s, static_cast<size_t>(inner) * sizeof(U));
      }
    });
  });
}

// ---- GatherElements --------------------------------------------------------------------

Status GatherElementsInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("expected inputs 'data' and 'indices'");
  PX_RETURN_IF_ERROR(CheckIndicesDtype(ctx.in(1)));
  const Shape& d = ctx.in(0).shape;
  const Shape& ix = ctx.in(1).shape;
  const int64_t r = static_cast<int64_t>(d.size());
  if (r == 0) return InvalidArgument("data must have rank >= 1");
  if (ix.size() != d.size())
    return InvalidArgument("indices " + ShapeToString(ix) + " must have the rank of data " + ShapeToString(d));
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 0), r));
  for (int64_t i = 0; i < r; ++i) {
    if (i != axis && ix[i] > d[i])
      return InvalidArgument("indices " + ShapeToString(ix) + " exceed data " + ShapeToString(d) + " on axis " + Str(i));
  }
  ctx.SetOutput(0, ctx.in(0).dtype, ix);
  return Status::Ok();
}

Status GatherElementsCompute(KernelContext& ctx) {
  const Tensor& data = ctx.in(0);
  const Tensor& it = ctx.in(1);
  const int64_t r = data.rank();
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 0), r));
  std::vector<int64_t> idx;
  PX_RETURN_IF_ERROR(ReadIndices(it, &idx));
  const int64_t n = data.shape()[axis];
  for (int64_t& i : idx) PX_RETURN_IF_ERROR(FixIndex(&i, n));
  Tensor& out = ctx.out(0);
  if (out.numel() == 0) return Status::Ok();
  const std::vector<int64_t> ds = Strides(data.shape());
  const Shape& is = it.shape();
  const int64_t L = is[r - 1];
  const int64_t rows = out.numel() / L;
  return DispatchBySize(data.dtype(), [&](auto tag) {
    using U = decltype(tag);
    const U* src = data.data<U>();
    U* dst = out.data<U>();
    parallax::ParallelFor(ctx.pool, rows, tensor_detail::RowGrain(L), [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        int64_t rem = row, base = 0;
        for (int64_t d = r - 2; d >= 0; --d) {
          const int64_t c = rem % is[d];
          rem /= is[d];
          if (d != axis) base += c * ds[d];
        }
        const int64_t* ir = idx.data() + row * L;
        U* o = dst + row * L;
        if (axis == r - 1) {
          for (int64_t l = 0; l < L; ++l) o[l] = src[base + ir[l]];
        } else {
          const int64_t sa = ds[axis];
          for (int64_t l = 0; l < L; ++l) o[l] = src[base + l + ir[l] * sa];
        }
      }
    });
  });
}

// ---- GatherND --------------------------------------------------------------------------

Status GatherNDInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("expected inputs 'data' and 'indices'");
  if (ctx.in(1).dtype != DataType::kInt64) return InvalidArgument("indices must be int64");
  const Shape& d = ctx.in(0).shape;
  const Shape& ix = ctx.in(1).shape;
  const int64_t r = static_cast<int64_t>(d.size()), q = static_cast<int64_t>(ix.size());
  const int64_t b = ctx.node.GetInt("batch_dims", 0);
  if (r < 1 || q < 1) return InvalidArgument("data and indices must have rank >= 1");
  if (b < 0 || b >= std::min(r, q))
    return InvalidArgument("batch_dims " + Str(b) + " must be in [0, min(rank(data), rank(indices)))");
  for (int64_t i = 0; i < b; ++i)
    if (d[i] != ix[i])
      return InvalidArgument("batch dims of data " + ShapeToString(d) + " and indices " + ShapeToString(ix) + " differ");
  const int64_t k = ix[q - 1];
  if (k < 1 || k > r - b)
    return InvalidArgument("indices last dim " + Str(k) + " must be in [1, " + Str(r - b) + "]");
  Shape out(ix.begin(), ix.end() - 1);
  for (int64_t i = b + k; i < r; ++i) out.push_back(d[i]);
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

Status GatherNDCompute(KernelContext& ctx) {
  const Tensor& data = ctx.in(0);
  const Tensor& it = ctx.in(1);
  const Shape& d = data.shape();
  const Shape& ix = it.shape();
  const int64_t r = data.rank(), q = it.rank();
  const int64_t b = ctx.node.GetInt("batch_dims", 0);
  const int64_t k = ix[q - 1];
  int64_t batch = 1, slice = 1;
  for (int64_t i = 0; i < b; ++i) batch *= d[i];
  for (int64_t i = b + k; i < r; ++i) slice *= d[i];
  const std::vector<int64_t> ds = Strides(d);
  const int64_t batch_stride = b > 0 ? ds[b - 1] : 0;
  const int64_t tuples = NumElements(ix) / k;  // all tuples over all batches
  const int64_t per_batch = batch > 0 ? tuples / batch : 0;
  // Validate and turn each tuple into a data offset.
  std::vector<int64_t> offs(tuples);
  const int64_t* iv = it.data<int64_t>();
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = per_batch > 0 ? (t / per_batch) * batch_stride : 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t v = iv[t * k + j];
      PX_RETURN_IF_ERROR(FixIndex(&v, d[b + j]));
      off += v * ds[b + j];
    }
    offs[t] = off;
  }
  Tensor& out = ctx.out(0);
  if (out.numel() == 0) return Status::Ok();
  return DispatchBySize(data.dtype(), [&](auto tag) {
    using U = decltype(tag);
    const U* src = data.data<U>();
    U* dst = out.data<U>();
    parallax::ParallelFor(ctx.pool, tuples, tensor_detail::RowGrain(slice), [&](int64_t s, int64_t e) {
      for (int64_t t = s; t < e; ++t)
        std::memcpy(dst + t * slice, src + offs[t], static_cast<size_t>(slice) * sizeof(U));
    });
  });
}

}  // namespace

std::vector<KernelDef> TensorGatherRows() {
  return {
      {"Gather", "", 1, 10, GatherInfer, GatherCompute},
      {"Gather", "", 11, 12, GatherInfer, GatherCompute},
      {"Gather", "", 13, 0, GatherInfer, GatherCompute},
      {"GatherElements", "", 11, 12, GatherElementsInfer, GatherElementsCompute},
      {"GatherElements", "", 13, 0, GatherElementsInfer, GatherElementsCompute},
      {"GatherND", "", 11, 11, GatherNDInfer, GatherNDCompute},
      {"GatherND", "", 12, 12, GatherNDInfer, GatherNDCompute},
      {"GatherND", "", 13, 0, GatherNDInfer, GatherNDCompute},
  };
}

}  // namespace parallax::ops
