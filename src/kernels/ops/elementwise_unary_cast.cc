// Cast and CastLike between every numeric dtype, bool and float16 (float16 goes through
// float32). Float to integer truncates toward zero; NaN becomes 0 and values beyond int64 clamp
// (ONNX leaves out-of-range results undefined). The saturate attribute (opset 19) only concerns
// float8 types, which are not supported, so it is ignored. String casts are NotImplemented.
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "kernels/kernel_util.h"
#include "kernels/ops/elementwise_unary.h"
#include "kernels/ops/elementwise_unary_common.h"

#pragma GCC optimize("tree-vectorize")
#pragma GCC optimize("vect-cost-model=dynamic")
#pragma GCC optimize("no-trapping-math")  // lets float selects (x < 0 ? a : b) vectorize

namespace parallax::ops {
namespace {

using namespace elementwise;

bool Castable(DataType t) { return t == DataType::kBool || t == DataType::kFloat16 || IsNumeric(t); }

StatusOr<DataType> TargetType(const Node& node) {
  const Attribute* a = node.attr("to");
  if (a == nullptr) return InvalidArgument("missing required attribute 'to'");
  DataType t = DataType::kUndefined;
  if (a->kind == Attribute::Kind::kString) {  // opset 1-5 names the type
    static const struct { const char* name; DataType t; } kNames[] = {
        {"FLOAT", DataType::kFloat32}, {"UINT8", DataType::kUInt8},    {"INT8", DataType::kInt8},
        {"UINT16", DataType::kUInt16}, {"INT16", DataType::kInt16},    {"INT32", DataType::kInt32},
        {"INT64", DataType::kInt64},   {"STRING", DataType::kString},  {"BOOL", DataType::kBool},
        {"FLOAT16", DataType::kFloat16}, {"DOUBLE", DataType::kFloat64}, {"UINT32", DataType::kUInt32},
        {"UINT64", DataType::kUInt64},
    };
    for (const auto& n : kNames) {
      if (a->s == n.name) t = n.t;
    }
    if (t == DataType::kUndefined) return InvalidArgument("attribute 'to' names unknown type '" + a->s + "'");
  } else if (a->kind == Attribute::Kind::kInt) {
    if (a->i < 1 || a->i > 13) {
      return NotImplemented("cast to data type " + std::to_string(a->i) + " is not supported");
    }
    t = static_cast<DataType>(a->i);
  } else {
    return InvalidArgument("attribute 'to' must be an int");
  }
  if (!Castable(t)) return NotImplemented(std::string("cast to ") + DataTypeName(t) + " is not supported");
  return t;
}

Status InferTo(InferContext& ctx, DataType to) {
  const DataType from = ctx.in(0).dtype;
  if (!Castable(from)) {
    return NotImplemented(std::string("cast from ") + DataTypeName(from) + " is not supported");
  }
  ctx.SetOutput(0, to, ctx.in(0).shape);
  return Status::Ok();
}

Status CastInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "input"));
  PX_ASSIGN_OR_RETURN(DataType to, TargetType(ctx.node));
  return InferTo(ctx, to);
}

Status CastLikeInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "input"));
  PX_RETURN_IF_ERROR(RequireInput(ctx, 1, "target_type"));
  if (!Castable(ctx.in(1).dtype)) {
    return NotImplemented(std::string("cast to ") + DataTypeName(ctx.in(1).dtype) + " is not supported");
  }
  return InferTo(ctx, ctx.in(1).dtype);
}

template <typename D, typename S>
inline D ConvertOne(S v) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != S(0);
  } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
    if (!(v == v)) return D(0);
    if constexpr (std::is_same_v<D, uint64_t>) {
      if (v >= S(18446744073709551615.0)) return std::numeric_limits<uint64_t>::max();
      if (v >= S(9223372036854775808.0)) return static_cast<uint64_t>(v);
    }
    if constexpr (sizeof(D) < 8) {
      if (v > S(-2147483648.0) && v < S(2147483648.0)) return static_cast<D>(static_cast<int32_t>(v));
    }
    if (v >= S(9223372036854775807.0)) return static_cast<D>(std::numeric_limits<int64_t>::max());
    if (v <= S(-9223372036854775807.0)) return static_cast<D>(std::numeric_limits<int64_t>::min());
    return static_cast<D>(static_cast<int64_t>(v));
  } else {
    return static_cast<D>(v);
  }
}

template <typename S, typename D>
void ConvertLoop(ThreadPool* pool, const S* src, D* dst, int64_t n) {
  ParallelFor(pool, n, kCheapGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dst[i] = ConvertOne<D>(src[i]);
  });
}

// Casts between non-float16 dtypes.
Status CastPlain(ThreadPool* pool, const Tensor& x, Tensor& y) {
  const int64_t n = x.numel();
  if (x.dtype() == y.dtype()) {
    if (y.raw() != x.raw() && x.nbytes() > 0) std::memcpy(y.raw(), x.raw(), x.nbytes());
    return Status::Ok();
  }
  Status inner = Status::Ok();
  Status outer = DispatchNumeric(x.dtype(), [&](auto stag) {
    using S = decltype(stag);
    inner = DispatchNumeric(y.dtype(), [&](auto dtag) {
      using D = decltype(dtag);
      ConvertLoop<S, D>(pool, x.data<S>(), y.data<D>(), n);
    });
  });
  PX_RETURN_IF_ERROR(outer);
  return inner;
}

Status CastCompute(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  Tensor& y = ctx.out(0);
  const int64_t n = x.numel();
  if (x.dtype() == y.dtype()) return CastPlain(ctx.pool, x, y);
  if (x.dtype() == DataType::kFloat16) {
    const uint16_t* h = x.data<uint16_t>();
    if (y.dtype() == DataType::kFloat32) {
      float* f = y.data<float>();
      ParallelFor(ctx.pool, n, kCheapGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) f[i] = HalfToFloat(h[i]);
      });
      return Status::Ok();
    }
    PX_ASSIGN_OR_RETURN(Tensor tmp, Tensor::Allocate(DataType::kFloat32, x.shape()));
    for (int64_t i = 0; i < n; ++i) tmp.data<float>()[i] = HalfToFloat(h[i]);
    return CastPlain(ctx.pool, tmp, y);
  }
  if (y.dtype() == DataType::kFloat16) {
    uint16_t* h = y.data<uint16_t>();
    if (x.dtype() == DataType::kFloat32) {
      const float* f = x.data<float>();
      ParallelFor(ctx.pool, n, kCheapGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) h[i] = FloatToHalf(f[i]);
      });
      return Status::Ok();
    }
    PX_ASSIGN_OR_RETURN(Tensor tmp, Tensor::Allocate(DataType::kFloat32, x.shape()));
    PX_RETURN_IF_ERROR(CastPlain(ctx.pool, x, tmp));
    for (int64_t i = 0; i < n; ++i) h[i] = FloatToHalf(tmp.data<float>()[i]);
    return Status::Ok();
  }
  return CastPlain(ctx.pool, x, y);
}

}  // namespace

std::vector<KernelDef> ElementwiseUnaryCastRows() {
  return {
      {"Cast", "", 1, 5, CastInfer, CastCompute},
      {"Cast", "", 6, 12, CastInfer, CastCompute},
      {"Cast", "", 13, 18, CastInfer, CastCompute},
      {"Cast", "", 19, 0, CastInfer, CastCompute},
      {"CastLike", "", 15, 0, CastLikeInfer, CastCompute},
  };
}

}  // namespace parallax::ops
