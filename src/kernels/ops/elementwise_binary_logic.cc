// Broadcasting comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual -> bool), logical
// And/Or/Xor, BitShift, BitwiseAnd/Or/Xor/Not and Where.
#include <cstdint>
#include <string>
#include <type_traits>

#include "kernels/kernel_util.h"
#include "kernels/ops/elementwise_binary.h"
#include "kernels/ops/elementwise_binary_broadcast.h"
#include "kernels/ops/elementwise_unary_common.h"

#pragma GCC optimize("tree-vectorize")
#pragma GCC optimize("vect-cost-model=dynamic")
#pragma GCC optimize("no-trapping-math")  // lets float selects (x < 0 ? a : b) vectorize

namespace parallax::ops {
namespace {

using namespace elementwise;

struct EqualF {
  template <typename T>
  bool operator()(T a, T b) const { return a == b; }
};
struct LessF {
  template <typename T>
  bool operator()(T a, T b) const { return a < b; }
};
struct GreaterF {
  template <typename T>
  bool operator()(T a, T b) const { return a > b; }
};
struct LessEqF {
  template <typename T>
  bool operator()(T a, T b) const { return a <= b; }
};
struct GreaterEqF {
  template <typename T>
  bool operator()(T a, T b) const { return a >= b; }
};
struct AndF {
  template <typename T>
  T operator()(T a, T b) const { return static_cast<T>(a & b); }
};
struct OrF {
  template <typename T>
  T operator()(T a, T b) const { return static_cast<T>(a | b); }
};
struct XorF {
  template <typename T>
  T operator()(T a, T b) const { return static_cast<T>(a ^ b); }
};

// Which input dtypes an op takes.
enum class Kind { kCompare, kEqual, kBool, kInteger, kUnsigned };

bool KindAccepts(Kind kind, DataType t) {
  switch (kind) {
    case Kind::kCompare: return IsNumeric(t);
    case Kind::kEqual: return IsNumeric(t) || t == DataType::kBool;
    case Kind::kBool: return t == DataType::kBool;
    case Kind::kInteger: return IsInteger(t);
    case Kind::kUnsigned:
      return t == DataType::kUInt8 || t == DataType::kUInt16 || t == DataType::kUInt32 ||
             t == DataType::kUInt64;
  }
  return false;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kCompare: return "expected numeric tensors";
    case Kind::kEqual: return "expected numeric or bool tensors";
    case Kind::kBool: return "expected bool tensors";
    case Kind::kInteger: return "expected integer tensors";
    case Kind::kUnsigned: return "expected unsigned integer tensors";
  }
  return "";
}

StatusOr<Tensor> EffectiveB(const KernelContext& ctx) {
  const Tensor& b = ctx.in(1);
  PX_ASSIGN_OR_RETURN(Shape s, EffectiveShapeB(ctx.node, ctx.in(0).shape(), b.shape()));
  return s == b.shape() ? b : b.Reshaped(s);
}

// kBoolOut: the output is bool (comparisons); otherwise it has the inputs' dtype.
template <Kind kKind, bool kBoolOut>
Status LogicInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "A"));
  PX_RETURN_IF_ERROR(RequireInput(ctx, 1, "B"));
  const DataType a = ctx.in(0).dtype, b = ctx.in(1).dtype;
  if (a != b) {
    return InvalidArgument(std::string("inputs have dtypes ") + DataTypeName(a) + " and " +
                           DataTypeName(b) + ", expected the same dtype");
  }
  if (!KindAccepts(kKind, a)) return NotImplemented(DtypeError(KindName(kKind), a));
  PX_ASSIGN_OR_RETURN(Shape bs, EffectiveShapeB(ctx.node, ctx.in(0).shape, ctx.in(1).shape));
  PX_ASSIGN_OR_RETURN(Shape out, BroadcastShapes(ctx.in(0).shape, bs));
  ctx.SetOutput(0, kBoolOut ? DataType::kBool : a, std::move(out));
  return Status::Ok();
}

template <class F>
Status CompareComputeF(KernelContext& ctx) {
  PX_ASSIGN_OR_RETURN(Tensor b, EffectiveB(ctx));
  return DispatchNumeric(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    BroadcastBinary<T, T, bool>(ctx.pool, ctx.in(0), b, ctx.out(0), F{});
  });
}
template <class F>
Status CompareCompute(KernelContext& ctx) {
  return WithHalfAsFloat(ctx, CompareComputeF<F>);
}

// Same-dtype bitwise/logical ops on bool or integer inputs.
template <class F>
Status BitsCompute(KernelContext& ctx) {
  PX_ASSIGN_OR_RETURN(Tensor b, EffectiveB(ctx));
  return DispatchNumeric(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T>) BroadcastBinary<T, T, T>(ctx.pool, ctx.in(0), b, ctx.out(0), F{});
  });
}

// ---- BitShift ----------------------------------------------------------------------------

Status BitShiftInfer(InferContext& ctx) {
  const std::string dir = ctx.node.GetString("direction", "");
  if (dir != "LEFT" && dir != "RIGHT") {
    return InvalidArgument("attribute direction must be \"LEFT\" or \"RIGHT\", got \"" + dir + "\"");
  }
  return LogicInfer<Kind::kUnsigned, false>(ctx);
}

Status BitShiftCompute(KernelContext& ctx) {
  const bool left = ctx.node.GetString("direction", "") == "LEFT";
  return DispatchNumeric(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
      constexpr T kBits = sizeof(T) * 8;
      if (left) {
        BroadcastBinary<T, T, T>(ctx.pool, ctx.in(0), ctx.in(1), ctx.out(0),
                                 [](T a, T s) { return s >= kBits ? T(0) : static_cast<T>(a << s); });
      } else {
        BroadcastBinary<T, T, T>(ctx.pool, ctx.in(0), ctx.in(1), ctx.out(0),
                                 [](T a, T s) { return s >= kBits ? T(0) : static_cast<T>(a >> s); });
      }
    }
  });
}

// ---- BitwiseNot --------------------------------------------------------------------------

Status BitwiseNotInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "X"));
  if (!IsInteger(ctx.in(0).dtype)) {
    return NotImplemented(DtypeError("expected an integer tensor", ctx.in(0).dtype));
  }
  ctx.SetOutput(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::Ok();
}

Status BitwiseNotCompute(KernelContext& ctx) {
  return DispatchNumeric(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      const T* x = ctx.in(0).data<T>();
      T* y = ctx.out(0).data<T>();
      ParallelFor(ctx.pool, ctx.in(0).numel(), kCheapGrain, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
        for (int64_t i = b; i < e; ++i) y[i] = static_cast<T>(~x[i]);
      });
    }
  });
}

// ---- Where -------------------------------------------------------------------------------

Status WhereInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "condition"));
  PX_RETURN_IF_ERROR(RequireInput(ctx, 1, "X"));
  PX_RETURN_IF_ERROR(RequireInput(ctx, 2, "Y"));
  if (ctx.in(0).dtype != DataType::kBool) {
    return InvalidArgument(DtypeError("condition must be bool", ctx.in(0).dtype));
  }
  const DataType x = ctx.in(1).dtype, y = ctx.in(2).dtype;
  if (x != y) {
    return InvalidArgument(std::string("X and Y have dtypes ") + DataTypeName(x) + " and " +
                           DataTypeName(y) + ", expected the same dtype");
  }
  if (DataTypeSize(x) == 0) return NotImplemented(DtypeError("unsupported dtype for X and Y", x));
  PX_ASSIGN_OR_RETURN(Shape out, BroadcastShapes(ctx.in(0).shape, ctx.in(1).shape));
  PX_ASSIGN_OR_RETURN(out, BroadcastShapes(out, ctx.in(2).shape));
  ctx.SetOutput(0, x, std::move(out));
  return Status::Ok();
}

Status WhereCompute(KernelContext& ctx) {
  return DispatchBySize(ctx.in(1).dtype(), [&](auto tag) {
    using U = decltype(tag);
    BroadcastTernary<bool, U, U, U>(ctx.pool, ctx.in(0), ctx.in(1), ctx.in(2), ctx.out(0),
                                    [](bool c, U x, U y) { return c ? x : y; });
  });
}

template <class F>
KernelDef CompareRow(const char* name, int since, int until, Kind kind = Kind::kCompare) {
  InferFn infer = kind == Kind::kEqual ? LogicInfer<Kind::kEqual, true> : LogicInfer<Kind::kCompare, true>;
  return KernelDef{name, "", since, until, infer, CompareCompute<F>};
}

}  // namespace

std::vector<KernelDef> ElementwiseBinaryLogicRows() {
  return {
      CompareRow<EqualF>("Equal", 1, 6, Kind::kEqual),
      CompareRow<EqualF>("Equal", 7, 0, Kind::kEqual),
      CompareRow<LessF>("Less", 1, 6),
      CompareRow<LessF>("Less", 7, 0),
      CompareRow<GreaterF>("Greater", 1, 6),
      CompareRow<GreaterF>("Greater", 7, 0),
      CompareRow<LessEqF>("LessOrEqual", 12, 0),
      CompareRow<GreaterEqF>("GreaterOrEqual", 12, 0),
      {"And", "", 1, 6, LogicInfer<Kind::kBool, false>, BitsCompute<AndF>},
      {"And", "", 7, 0, LogicInfer<Kind::kBool, false>, BitsCompute<AndF>},
      {"Or", "", 1, 6, LogicInfer<Kind::kBool, false>, BitsCompute<OrF>},
      {"Or", "", 7, 0, LogicInfer<Kind::kBool, false>, BitsCompute<OrF>},
      {"Xor", "", 1, 6, LogicInfer<Kind::kBool, false>, BitsCompute<XorF>},
      {"Xor", "", 7, 0, LogicInfer<Kind::kBool, false>, BitsCompute<XorF>},
      {"BitShift", "", 11, 0, BitShiftInfer, BitShiftCompute},
      {"BitwiseAnd", "", 18, 0, LogicInfer<Kind::kInteger, false>, BitsCompute<AndF>},
      {"BitwiseOr", "", 18, 0, LogicInfer<Kind::kInteger, false>, BitsCompute<OrF>},
      {"BitwiseXor", "", 18, 0, LogicInfer<Kind::kInteger, false>, BitsCompute<XorF>},
      {"BitwiseNot", "", 18, 0, BitwiseNotInfer, BitwiseNotCompute},
      {"Where", "", 9, 0, WhereInfer, WhereCompute},
  };
}

}  // namespace parallax::ops
