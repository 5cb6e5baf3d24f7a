// ScatterND (reduction none/add/mul/max/min), ScatterElements (same reductions) and the
// deprecated Scatter (opset 9-10). Output starts as a copy of data (in place when allowed).
#include <algorithm>

#include "kernels/ops/tensor_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

using tensor_detail::Str;

enum class Red { kNone, kAdd, kMul, kMax, kMin };

Status GetReduction(const Node& node, Red* red) {
  const std::string s = node.GetString("reduction", "none");
  if (s == "none") *red = Red::kNone;
  else if (s == "add") *red = Red::kAdd;
  else if (s == "mul") *red = Red::kMul;
  else if (s == "max") *red = Red::kMax;
  else if (s == "min") *red = Red::kMin;
  else return InvalidArgument("unknown reduction '" + s + "'");
  const int need = (*red == Red::kMax || *red == Red::kMin) ? 18 : (*red == Red::kNone ? 1 : 16);
  if (node.opset < need) return InvalidArgument("reduction '" + s + "' needs opset " + Str(need));
  return Status::Ok();
}

template <typename T>
inline void Apply(Red red, T* dst, T v) {
  switch (red) {
    case Red::kNone: *dst = v; break;
    case Red::kAdd: *dst = static_cast<T>(*dst + v); break;
    case Red::kMul: *dst = static_cast<T>(*dst * v); break;
    case Red::kMax: *dst = std::max(*dst, v); break;
    case Red::kMin: *dst = std::min(*dst, v); break;
  }
}

// Calls f(T{}) for numeric element types, or f(U{}) by size when red is kNone.
template <typename F>
Status DispatchScatter(DataType dt, Red red, F&& f) {
  if (red == Red::kNone) return DispatchBySize(dt, f);
  return DispatchNumeric(dt, f);
}

Status CheckIdx(int64_t* i, int64_t dim) {
  const int64_t v = *i;
  if (v < -dim || v >= dim)
    return InvalidArgument("index " + Str(v) + " is out of range for a dim of size " + Str(dim));
  if (v < 0) *i = v + dim;
  return Status::Ok();
}

// ---- ScatterND -------------------------------------------------------------------------

Status ScatterNDInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1) || !ctx.has(2)) return InvalidArgument("expected inputs data, indices, updates");
  Red red;
  PX_RETURN_IF_ERROR(GetReduction(ctx.node, &red));
  if (ctx.in(1).dtype != DataType::kInt64) return InvalidArgument("indices must be int64");
  if (ctx.in(2).dtype != ctx.in(0).dtype) return InvalidArgument("updates must have the dtype of data");
  const Shape& d = ctx.in(0).shape;
  const Shape& ix = ctx.in(1).shape;
  const Shape& up = ctx.in(2).shape;
  const int64_t r = static_cast<int64_t>(d.size()), q = static_cast<int64_t>(ix.size());
  if (r < 1 || q < 1) return InvalidArgument("data and indices must have rank >= 1");
  const int64_t k = ix[q - 1];
  if (k < 1 || k > r) return InvalidArgument("indices last dim " + Str(k) + " must be in [1, " + Str(r) + "]");
  Shape want(ix.begin(), ix.end() - 1);
  for (int64_t i = k; i < r; ++i) want.push_back(d[i]);
  if (up != want)
    return InvalidArgument("updates have shape " + ShapeToString(up) + ", expected " + ShapeToString(want));
  ctx.SetOutput(0, ctx.in(0).dtype, d);
  return Status::Ok();
}

Status ScatterNDCompute(KernelContext& ctx) {
  Red red;
  PX_RETURN_IF_ERROR(GetReduction(ctx.node, &red));
  const Tensor& data = ctx.in(0);
  const Tensor& it = ctx.in(1);
  const Tensor& up = ctx.in(2);
  const Shape& d = data.shape();
  const int64_t r = data.rank(), k = it.shape().back();
  const std::vector<int64_t> ds = Strides(d);
  int64_t slice = 1;
  for (int64_t i = k; i < r; ++i) slice *= d[i];
  const int64_t tuples = it.numel() / k;
  std::vector<int64_t> offs(tuples);
  const int64_t* iv = it.data<int64_t>();
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t v = iv[t * k + j];
      PX_RETURN_IF_ERROR(CheckIdx(&v, d[j]));
      off += v * ds[j];
    }
    offs[t] = off;
  }
  Tensor& out = ctx.out(0);
  PX_RETURN_IF_ERROR(tensor_detail::CopyIfDistinct(data, out));
  if (slice == 0) return Status::Ok();
  return DispatchScatter(data.dtype(), red, [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T* u = up.data<T>();
    for (int64_t t = 0; t < tuples; ++t) {
      T* dst = o + offs[t];
      const T* src = u + t * slice;
      if (red == Red::kNone) {
        std::memcpy(dst, src, static_cast<size_t>(slice) * sizeof(T));
      } else {
        for (int64_t i = 0; i < slice; ++i) Apply(red, dst + i, src[i]);
      }
    }
  });
}

// ---- ScatterElements -------------------------------------------------------------------

Status ScatterElementsInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1) || !ctx.has(2)) return InvalidArgument("expected inputs data, indices, updates");
  Red red;
  PX_RETURN_IF_ERROR(GetReduction(ctx.node, &red));
  if (!tensor_detail::IsIntDtype(ctx.in(1).dtype)) return InvalidArgument("indices must be int32 or int64");
  if (ctx.in(2).dtype != ctx.in(0).dtype) return InvalidArgument("updates must have the dtype of data");
  const Shape& d = ctx.in(0).shape;
  const Shape& ix = ctx.in(1).shape;
  const int64_t r = static_cast<int64_t>(d.size());
  if (r < 1) return InvalidArgument("data must have rank >= 1");
  if (ix.size() != d.size())
    return InvalidArgument("indices " + ShapeToString(ix) + " must have the rank of data " + ShapeToString(d));
  if (ctx.in(2).shape != ix)
    return InvalidArgument("updates " + ShapeToString(ctx.in(2).shape) + " must have the shape of indices " + ShapeToString(ix));
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 0), r));
  for (int64_t i = 0; i < r; ++i)
    if (i != axis && ix[i] > d[i])
      return InvalidArgument("indices " + ShapeToString(ix) + " exceed data " + ShapeToString(d) + " on axis " + Str(i));
  ctx.SetOutput(0, ctx.in(0).dtype, d);
  return Status::Ok();
}

Status ScatterElementsCompute(KernelContext& ctx) {
  Red red;
  PX_RETURN_IF_ERROR(GetReduction(ctx.node, &red));
  const Tensor& data = ctx.in(0);
  const Tensor& it = ctx.in(1);
  const Tensor& up = ctx.in(2);
  const int64_t r = data.rank();
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 0), r));
  StatusOr<std::vector<int64_t>> iv = ReadInts(it);
  if (!iv.ok()) return InvalidArgument("indices: " + iv.status().message());
  std::vector<int64_t> idx = std::move(iv).value();
  const Shape& is = it.shape();
  const std::vector<int64_t> ds = Strides(data.shape());
  // Data offset of every update element.
  std::vector<int64_t> offs(idx.size());
  std::vector<int64_t> c(r, 0);
  for (size_t e = 0; e < idx.size(); ++e) {
    int64_t v = idx[e];
    PX_RETURN_IF_ERROR(CheckIdx(&v, data.shape()[axis]));
    int64_t off = 0;
    for (int64_t dd = 0; dd < r; ++dd) off += (dd == axis ? v : c[dd]) * ds[dd];
    offs[e] = off;
    for (int64_t dd = r - 1; dd >= 0; --dd) {
      if (++c[dd] < is[dd]) break;
      c[dd] = 0;
    }
  }
  Tensor& out = ctx.out(0);
  PX_RETURN_IF_ERROR(tensor_detail::CopyIfDistinct(data, out));
  return DispatchScatter(data.dtype(), red, [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T* u = up.data<T>();
    for (size_t e = 0; e < offs.size(); ++e) Apply(red, o + offs[e], u[e]);
  });
}

KernelDef InPlace(KernelDef k) {
  k.inplace_input = 0;
  return k;
}

}  // namespace

std::vector<KernelDef> TensorScatterRows() {
  return {
      InPlace({"ScatterND", "", 11, 12, ScatterNDInfer, ScatterNDCompute}),
      InPlace({"ScatterND", "", 13, 15, ScatterNDInfer, ScatterNDCompute}),
      InPlace({"ScatterND", "", 16, 17, ScatterNDInfer, ScatterNDCompute}),
      InPlace({"ScatterND", "", 18, 0, ScatterNDInfer, ScatterNDCompute}),
      InPlace({"ScatterElements", "", 11, 12, ScatterElementsInfer, ScatterElementsCompute}),
      InPlace({"ScatterElements", "", 13, 15, ScatterElementsInfer, ScatterElementsCompute}),
      InPlace({"ScatterElements", "", 16, 17, ScatterElementsInfer, ScatterElementsCompute}),
      InPlace({"ScatterElements", "", 18, 0, ScatterElementsInfer, ScatterElementsCompute}),
      InPlace({"Scatter", "", 9, 10, ScatterElementsInfer, ScatterElementsCompute}),
  };
}

}  // namespace parallax::ops
