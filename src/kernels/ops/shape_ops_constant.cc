// Constant, ConstantOfShape, EyeLike and Range: outputs generated from attributes or scalars.
#include <cmath>
#include <limits>

#include "kernels/ops/shape_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

using tensor_detail::Str;

// ---- Constant --------------------------------------------------------------------------

// The constant tensor described by the node's attributes.
Status ConstantValue(const Node& node, Tensor* t) {
  int found = 0;
  for (const char* k : {"value", "value_float", "value_floats", "value_int", "value_ints",
                        "value_string", "value_strings", "sparse_value"}) {
    if (node.attr(k) != nullptr) ++found;
  }
  if (found != 1) return InvalidArgument("expected exactly one of the value* attributes, got " + Str(found));
  if (const Attribute* a = node.attr("value")) {
    if (a->kind != Attribute::Kind::kTensor || !a->t.defined())
      return InvalidArgument("attribute 'value' must be a tensor");
    *t = a->t;
    return Status::Ok();
  }
  if (node.attr("value_float")) {
    PX_ASSIGN_OR_RETURN(*t, Tensor::Allocate(DataType::kFloat32, {}));
    t->data<float>()[0] = node.GetFloat("value_float", 0);
    return Status::Ok();
  }
  if (node.attr("value_floats")) {
    std::vector<float> v = node.GetFloats("value_floats");
    PX_ASSIGN_OR_RETURN(*t, Tensor::Allocate(DataType::kFloat32, {static_cast<int64_t>(v.size())}));
    for (size_t i = 0; i < v.size(); ++i) t->data<float>()[i] = v[i];
    return Status::Ok();
  }
  if (node.attr("value_int")) {
    PX_ASSIGN_OR_RETURN(*t, Tensor::Allocate(DataType::kInt64, {}));
    t->data<int64_t>()[0] = node.GetInt("value_int", 0);
    return Status::Ok();
  }
  if (node.attr("value_ints")) {
    std::vector<int64_t> v = node.GetInts("value_ints");
    PX_ASSIGN_OR_RETURN(*t, Tensor::Allocate(DataType::kInt64, {static_cast<int64_t>(v.size())}));
    for (size_t i = 0; i < v.size(); ++i) t->data<int64_t>()[i] = v[i];
    return Status::Ok();
  }
  return NotImplemented("string and sparse constants are not supported");
}

Status ConstantInfer(InferContext& ctx) {
  Tensor t;
  PX_RETURN_IF_ERROR(ConstantValue(ctx.node, &t));
  ctx.SetOutput(0, t.dtype(), t.shape());
  return Status::Ok();
}

Status ConstantCompute(KernelContext& ctx) {
  Tensor t;
  PX_RETURN_IF_ERROR(ConstantValue(ctx.node, &t));
  return tensor_detail::CopyIfDistinct(t, ctx.out(0));
}

// ---- ConstantOfShape -------------------------------------------------------------------

Status FillValue(const Node& node, Tensor* t) {
  const Attribute* a = node.attr("value");
  if (a == nullptr) {
    PX_ASSIGN_OR_RETURN(*t, Tensor::Allocate(DataType::kFloat32, {1}));
    return Status::Ok();
  }
  if (a->kind != Attribute::Kind::kTensor || !a->t.defined())
    return InvalidArgument("attribute 'value' must be a tensor");
  if (a->t.numel() != 1)
    return InvalidArgument("attribute 'value' must have one element, got shape " + ShapeToString(a->t.shape()));
  if (DataTypeSize(a->t.dtype()) == 0)
    return NotImplemented(std::string("value dtype ") + DataTypeName(a->t.dtype()) + " is not supported");
  *t = a->t;
  return Status::Ok();
}

Status ConstantOfShapeInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'input'");
  if (ctx.in(0).shape.size() != 1)
    return InvalidArgument("input must be 1-D, got " + ShapeToString(ctx.in(0).shape));
  Tensor v;
  PX_RETURN_IF_ERROR(FillValue(ctx.node, &v));
  std::vector<int64_t> dims;
  PX_RETURN_IF_ERROR(tensor_detail::ReadIntsInput(ctx, 0, "input", &dims));
  for (int64_t d : dims)
    if (d < 0) return InvalidArgument("shape " + ShapeToString(dims) + " has a negative dim");
  if (NumElements(dims) < 0) return InvalidArgument("shape " + ShapeToString(dims) + " is too large");
  ctx.SetOutput(0, v.dtype(), dims);
  return Status::Ok();
}

Status ConstantOfShapeCompute(KernelContext& ctx) {
  Tensor v;
  PX_RETURN_IF_ERROR(FillValue(ctx.node, &v));
  Tensor& out = ctx.out(0);
  tensor_detail::FillBytes(out.raw(), v.raw(), out.numel(), DataTypeSize(v.dtype()));
  return Status::Ok();
}

// ---- EyeLike ---------------------------------------------------------------------------

Status EyeLikeInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'input'");
  if (ctx.in(0).shape.size() != 2)
    return InvalidArgument("input must be 2-D, got " + ShapeToString(ctx.in(0).shape));
  DataType dt = ctx.in(0).dtype;
  if (ctx.node.attr("dtype") != nullptr) dt = static_cast<DataType>(ctx.node.GetInt("dtype", 1));
  if (DataTypeSize(dt) == 0) return NotImplemented("EyeLike output dtype is not supported");
  if (dt != DataType::kFloat16 && DispatchNumeric(dt, [](auto) {}).code() != StatusCode::kOk)
    return NotImplemented(std::string("EyeLike dtype ") + DataTypeName(dt) + " is not supported");
  ctx.SetOutput(0, dt, ctx.in(0).shape);
  return Status::Ok();
}

Status EyeLikeCompute(KernelContext& ctx) {
  Tensor& out = ctx.out(0);
  const size_t es = DataTypeSize(out.dtype());
  if (out.nbytes() > 0) std::memset(out.raw(), 0, out.nbytes());
  const int64_t rows = out.shape()[0], cols = out.shape()[1];
  const int64_t k = ctx.node.GetInt("k", 0);
  char one[8];
  PX_RETURN_IF_ERROR(tensor_detail::StoreScalar(out.dtype(), 1.0, one));
  char* p = static_cast<char*>(out.raw());
  for (int64_t i = 0; i < rows; ++i) {
    int64_t j = i + k;
    if (j >= 0 && j < cols) std::memcpy(p + (i * cols + j) * es, one, es);
  }
  return Status::Ok();
}

// ---- Range -----------------------------------------------------------------------------

bool RangeDtypeOk(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat64 || t == DataType::kFloat16 ||
         t == DataType::kInt16 || t == DataType::kInt32 || t == DataType::kInt64;
}

Status RangeCount(const Tensor& s, const Tensor& l, const Tensor& d, int64_t* n) {
  if (IsInteger(s.dtype())) {
    auto get = [](const Tensor& t) -> int64_t {
      switch (t.dtype()) {
        case DataType::kInt16: return t.data<int16_t>()[0];
        case DataType::kInt32: return t.data<int32_t>()[0];
        default: return t.data<int64_t>()[0];
      }
    };
    const __int128 start = get(s), limit = get(l), delta = get(d);
    if (delta == 0) return InvalidArgument("delta must not be 0");
    __int128 diff = limit - start;
    __int128 c = delta > 0 ? (diff > 0 ? (diff + delta - 1) / delta : 0)
                           : (diff < 0 ? (-diff + (-delta) - 1) / (-delta) : 0);
    if (c > (__int128{1} << 40)) return InvalidArgument("Range would have too many elements");
    *n = static_cast<int64_t>(c);
    return Status::Ok();
  }
  PX_ASSIGN_OR_RETURN(std::vector<double> sv, ReadDoubles(s));
  PX_ASSIGN_OR_RETURN(std::vector<double> lv, ReadDoubles(l));
  PX_ASSIGN_OR_RETURN(std::vector<double> dv, ReadDoubles(d));
  const double delta = dv[0];
  if (delta == 0 || !std::isfinite(delta) || !std::isfinite(sv[0]) || !std::isfinite(lv[0]))
    return InvalidArgument("start, limit and delta must be finite and delta non-zero");
  double c = std::ceil((lv[0] - sv[0]) / delta);
  if (!(c <= double(int64_t{1} << 40))) return InvalidArgument("Range would have too many elements");
  *n = c > 0 ? static_cast<int64_t>(c) : 0;
  return Status::Ok();
}

Status RangeInfer(InferContext& ctx) {
  for (size_t i = 0; i < 3; ++i) {
    if (!ctx.has(i)) return InvalidArgument("expected inputs start, limit, delta");
    if (NumElements(ctx.in(i).shape) != 1)
      return InvalidArgument("input " + Str(i) + " must be a scalar, got " + ShapeToString(ctx.in(i).shape));
    if (ctx.in(i).dtype != ctx.in(0).dtype) return InvalidArgument("start, limit and delta must have one dtype");
  }
  if (!RangeDtypeOk(ctx.in(0).dtype))
    return NotImplemented(std::string("Range dtype ") + DataTypeName(ctx.in(0).dtype) + " is not supported");
  if (!ctx.Value(0) || !ctx.Value(1) || !ctx.Value(2)) return NeedsValue();
  int64_t n = 0;
  PX_RETURN_IF_ERROR(RangeCount(*ctx.Value(0), *ctx.Value(1), *ctx.Value(2), &n));
  ctx.SetOutput(0, ctx.in(0).dtype, {n});
  return Status::Ok();
}

Status RangeCompute(KernelContext& ctx) {
  Tensor& out = ctx.out(0);
  const int64_t n = out.numel();
  const DataType dt = out.dtype();
  if (dt == DataType::kFloat16 || dt == DataType::kFloat32 || dt == DataType::kFloat64) {
    PX_ASSIGN_OR_RETURN(std::vector<double> s, ReadDoubles(ctx.in(0)));
    PX_ASSIGN_OR_RETURN(std::vector<double> d, ReadDoubles(ctx.in(2)));
    for (int64_t i = 0; i < n; ++i) {
      double v = s[0] + static_cast<double>(i) * d[0];
      if (dt == DataType::kFloat16) out.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(v));
      else if (dt == DataType::kFloat32) out.data<float>()[i] = static_cast<float>(v);
      else out.data<double>()[i] = v;
    }
    return Status::Ok();
  }
  return DispatchNumeric(dt, [&](auto tag) {
    using T = decltype(tag);
    const int64_t s = static_cast<int64_t>(ctx.in(0).data<T>()[0]);
    const int64_t d = static_cast<int64_t>(ctx.in(2).data<T>()[0]);
    for (int64_t i = 0; i < n; ++i) out.data<T>()[i] = static_cast<T>(s + i * d);
  });
}

}  // namespace

std::vector<KernelDef> ShapeConstantRows() {
  return {
      {"Constant", "", 1, 0, ConstantInfer, ConstantCompute},
      {"ConstantOfShape", "", 9, 0, ConstantOfShapeInfer, ConstantOfShapeCompute},
      {"EyeLike", "", 9, 0, EyeLikeInfer, EyeLikeCompute},
      {"Range", "", 11, 0, RangeInfer, RangeCompute},
  };
}

}  // namespace parallax::ops
