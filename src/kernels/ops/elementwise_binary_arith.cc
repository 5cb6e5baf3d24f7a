// Broadcasting arithmetic: Add, Sub, Mul, Div, Pow, Mod, PRelu, and the variadic Min, Max,
// Sum, Mean. Every numeric dtype the spec allows (float16 computed in float32). Integer Div
// truncates toward zero and integer division by zero gives 0 instead of trapping.
#include <cmath>
#include <cstdint>
#include <limits>
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

template <typename T>
inline constexpr bool kIsInt = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// -a without signed overflow.
template <typename T>
inline T WrapNeg(T a) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(U(0) - static_cast<U>(a)));
}

struct Plain {
  explicit Plain(const Node&) {}
  static constexpr int64_t kGrain = kCheapGrain;
};

struct AddF : Plain {
  using Plain::Plain;
  template <typename T>
  T operator()(T a, T b) const { return static_cast<T>(a + b); }
};
struct SubF : Plain {
  using Plain::Plain;
  template <typename T>
  T operator()(T a, T b) const { return static_cast<T>(a - b); }
};
struct MulF : Plain {
  using Plain::Plain;
  template <typename T>
  T operator()(T a, T b) const { return static_cast<T>(a * b); }
};
struct DivF : Plain {
  using Plain::Plain;
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (kIsInt<T>) {
      if (b == T(0)) return T(0);
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return WrapNeg(a);
      }
      return static_cast<T>(a / b);
    } else {
      return a / b;
    }
  }
};
struct MinF : Plain {
  using Plain::Plain;
  template <typename T>
  T operator()(T a, T b) const { return b < a ? b : a; }
};
struct MaxF : Plain {
  using Plain::Plain;
  template <typename T>
  T operator()(T a, T b) const { return b > a ? b : a; }
};

// Mod: fmod=1 gives the sign of the dividend (C fmod / %), fmod=0 the sign of the divisor.
struct ModF {
  bool c_style;
  explicit ModF(const Node& n) : c_style(n.GetInt("fmod", 0) != 0) {}
  static constexpr int64_t kGrain = kCostlyGrain;
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (kIsInt<T>) {
      if (b == T(0)) return T(0);
      if constexpr (std::is_signed_v<T>) {
        if (b == T(-1)) return T(0);
        T r = static_cast<T>(a % b);
        if (!c_style && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        return r;
      } else {
        return static_cast<T>(a % b);
      }
    } else {
      T r = std::fmod(a, b);
      if (!c_style && r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
      return r;
    }
  }
};

struct PReluF : Plain {
  using Plain::Plain;
  template <typename T>
  T operator()(T x, T slope) const {
    if constexpr (std::is_unsigned_v<T>) {
      return x;
    } else {
      return x < T(0) ? static_cast<T>(slope * x) : x;
    }
  }
};

enum class Types { kFloat, kNumeric };

bool AcceptsType(Types types, DataType t) {
  return types == Types::kFloat ? IsFloat(t) : IsNumeric(t);
}

Status CheckBinaryInputs(const InferContext& ctx, Types types) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "A"));
  PX_RETURN_IF_ERROR(RequireInput(ctx, 1, "B"));
  const DataType a = ctx.in(0).dtype, b = ctx.in(1).dtype;
  if (a != b) {
    return InvalidArgument(std::string("inputs have dtypes ") + DataTypeName(a) + " and " +
                           DataTypeName(b) + ", expected the same dtype");
  }
  if (!AcceptsType(types, a)) {
    return NotImplemented(DtypeError(types == Types::kFloat ? "expected float tensors"
                                                            : "expected numeric tensors", a));
  }
  return Status::Ok();
}

// B reshaped as legacy (opset < 7) broadcasting sees it.
StatusOr<Tensor> EffectiveB(const KernelContext& ctx) {
  const Tensor& b = ctx.in(1);
  PX_ASSIGN_OR_RETURN(Shape s, EffectiveShapeB(ctx.node, ctx.in(0).shape(), b.shape()));
  return s == b.shape() ? b : b.Reshaped(s);
}

template <class F, Types kTypes>
Status ArithInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(CheckBinaryInputs(ctx, kTypes));
  PX_ASSIGN_OR_RETURN(Shape b, EffectiveShapeB(ctx.node, ctx.in(0).shape, ctx.in(1).shape));
  PX_ASSIGN_OR_RETURN(Shape out, BroadcastShapes(ctx.in(0).shape, b));
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

template <class F>
Status ArithComputeF(KernelContext& ctx) {
  const F f(ctx.node);
  PX_ASSIGN_OR_RETURN(Tensor b, EffectiveB(ctx));
  return DispatchNumeric(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      BroadcastBinary<T, T, T>(ctx.pool, ctx.in(0), b, ctx.out(0), f, F::kGrain);
    }
  });
}

template <class F>
Status ArithCompute(KernelContext& ctx) {
  return WithHalfAsFloat(ctx, ArithComputeF<F>);
}

// ---- Pow ---------------------------------------------------------------------------------

Status PowInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "X"));
  PX_RETURN_IF_ERROR(RequireInput(ctx, 1, "Y"));
  const DataType x = ctx.in(0).dtype, y = ctx.in(1).dtype;
  if (!IsFloat(x) && x != DataType::kInt32 && x != DataType::kInt64) {
    return NotImplemented(DtypeError("expected a float, int32 or int64 base", x));
  }
  if (!IsNumeric(y)) return NotImplemented(DtypeError("expected a numeric exponent", y));
  if (ctx.node.opset < 12 && x != y) {
    return InvalidArgument("base and exponent must have the same dtype before opset 12");
  }
  PX_ASSIGN_OR_RETURN(Shape b, EffectiveShapeB(ctx.node, ctx.in(0).shape, ctx.in(1).shape));
  PX_ASSIGN_OR_RETURN(Shape out, BroadcastShapes(ctx.in(0).shape, b));
  ctx.SetOutput(0, x, std::move(out));
  return Status::Ok();
}

template <typename T>
inline T IntPow(T base, int64_t e) {
  if (e < 0) {
    if (base == T(1)) return T(1);
    if (base == T(-1)) return (e & 1) ? T(-1) : T(1);
    return T(0);
  }
  using U = std::make_unsigned_t<T>;  // wraps on overflow instead of UB
  U r = 1, b = static_cast<U>(base);
  while (e > 0) {
    if (e & 1) r = static_cast<U>(r * b);
    b = static_cast<U>(b * b);
    e >>= 1;
  }
  return static_cast<T>(r);
}

template <typename TX, typename TY>
inline TX PowOne(TX x, TY y) {
  if constexpr (std::is_floating_point_v<TX>) {
    if constexpr (std::is_same_v<TX, TY>) {
      return std::pow(x, y);
    } else {
      return static_cast<TX>(std::pow(static_cast<double>(x), static_cast<double>(y)));
    }
  } else if constexpr (std::is_floating_point_v<TY>) {
    double r = std::pow(static_cast<double>(x), static_cast<double>(y));
    if (!(r == r)) return TX(0);
    if (r >= 9.2e18) return std::numeric_limits<TX>::max();
    if (r <= -9.2e18) return std::numeric_limits<TX>::lowest();
    return static_cast<TX>(static_cast<int64_t>(r));
  } else {
    return IntPow<TX>(x, static_cast<int64_t>(y));
  }
}

template <typename T>
bool PowScalarFastPath(KernelContext& ctx, const Tensor& x, double e) {
  T* o = ctx.out(0).data<T>();
  const T* xp = x.data<T>();
  if (e != 2.0 && e != 3.0 && e != 0.5 && e != 1.0) return false;
  ParallelFor(ctx.pool, x.numel(), kCheapGrain, [&](int64_t b, int64_t end) {
    if (e == 2.0) {
      for (int64_t i = b; i < end; ++i) o[i] = xp[i] * xp[i];
    } else if (e == 3.0) {
      for (int64_t i = b; i < end; ++i) o[i] = xp[i] * xp[i] * xp[i];
    } else if (e == 0.5) {
      for (int64_t i = b; i < end; ++i) o[i] = std::sqrt(xp[i]);
    } else {
      for (int64_t i = b; i < end; ++i) o[i] = xp[i];
    }
  });
  return true;
}

Status PowComputeF(KernelContext& ctx) {
  PX_ASSIGN_OR_RETURN(Tensor y, EffectiveB(ctx));
  const Tensor& x = ctx.in(0);
  const DataType xt = x.dtype(), yt = y.dtype();
  if (IsFloat(xt) && y.numel() == 1 && ctx.out(0).shape() == x.shape()) {
    PX_ASSIGN_OR_RETURN(std::vector<double> ev, ReadDoubles(y));
    bool done = xt == DataType::kFloat32 ? PowScalarFastPath<float>(ctx, x, ev[0])
                                         : PowScalarFastPath<double>(ctx, x, ev[0]);
    if (done) return Status::Ok();
  }
  Status inner = Status::Ok();
  auto run = [&](auto xtag) {
    using TX = decltype(xtag);
    inner = DispatchNumeric(yt, [&](auto ytag) {
      using TY = decltype(ytag);
      if constexpr (!std::is_same_v<TY, bool>) {
        BroadcastBinary<TX, TY, TX>(ctx.pool, x, y, ctx.out(0),
                                    [](TX a, TY b) { return PowOne<TX, TY>(a, b); }, kCostlyGrain);
      }
    });
  };
  switch (xt) {
    case DataType::kFloat32: run(float{}); break;
    case DataType::kFloat64: run(double{}); break;
    case DataType::kInt32: run(int32_t{}); break;
    case DataType::kInt64: run(int64_t{}); break;
    default: return NotImplemented(DtypeError("unsupported Pow base", xt));
  }
  return inner;
}
Status PowCompute(KernelContext& ctx) { return WithHalfAsFloat(ctx, PowComputeF); }

// ---- PRelu -------------------------------------------------------------------------------

// Slope as broadcasting sees it: before opset 7 a [C] slope applies to dim 1 of X.
Shape EffectiveSlopeShape(const Node& node, const Shape& x, const Shape& slope) {
  if (node.opset < 7 && slope.size() == 1 && x.size() >= 2 && slope[0] == x[1] && slope[0] != 1) {
    Shape s(x.size() - 1, 1);
    s[0] = slope[0];
    return s;
  }
  return slope;
}

Status PReluInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(CheckBinaryInputs(ctx, Types::kNumeric));
  const Shape& x = ctx.in(0).shape;
  const Shape slope = EffectiveSlopeShape(ctx.node, x, ctx.in(1).shape);
  PX_ASSIGN_OR_RETURN(Shape out, BroadcastShapes(x, slope));
  if (out != x) {
    return InvalidArgument("slope " + ShapeToString(ctx.in(1).shape) +
                           " is not unidirectionally broadcastable to X " + ShapeToString(x));
  }
  ctx.SetOutput(0, ctx.in(0).dtype, x);
  return Status::Ok();
}

Status PReluComputeF(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const Tensor slope = ctx.in(1).Reshaped(EffectiveSlopeShape(ctx.node, x.shape(), ctx.in(1).shape()));
  const PReluF f(ctx.node);
  return DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) BroadcastBinary<T, T, T>(ctx.pool, x, slope, ctx.out(0), f);
  });
}
Status PReluCompute(KernelContext& ctx) { return WithHalfAsFloat(ctx, PReluComputeF); }

// ---- Variadic Min, Max, Sum, Mean --------------------------------------------------------

template <Types kTypes>
Status VariadicInfer(InferContext& ctx) {
  if (ctx.num_inputs() == 0) return InvalidArgument("expected at least one input");
  Shape out;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    PX_RETURN_IF_ERROR(RequireInput(ctx, i, "data"));
    if (ctx.in(i).dtype != ctx.in(0).dtype) {
      return InvalidArgument("input " + std::to_string(i) + " has dtype " +
                             DataTypeName(ctx.in(i).dtype) + ", expected " +
                             DataTypeName(ctx.in(0).dtype) + " like input 0");
    }
    if (i == 0) {
      out = ctx.in(0).shape;
    } else {
      PX_ASSIGN_OR_RETURN(out, BroadcastShapes(out, ctx.in(i).shape));
    }
  }
  if (!AcceptsType(kTypes, ctx.in(0).dtype)) {
    return NotImplemented(DtypeError(kTypes == Types::kFloat ? "expected float tensors"
                                                             : "expected numeric tensors",
                                     ctx.in(0).dtype));
  }
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

template <class F, bool kMean>
Status VariadicComputeF(KernelContext& ctx) {
  const F f(ctx.node);
  Tensor& out = ctx.out(0);
  const size_t n = ctx.num_inputs();
  // Inputs after the first that share the output's buffer (possible when the executor wrote
  // input 0 in place and the same value is passed twice) are read from a copy.
  std::vector<Tensor> ins;
  for (size_t i = 0; i < n; ++i) {
    if (i >= 2 && ctx.in(i).raw() == out.raw() && out.numel() > 0) {
      PX_ASSIGN_OR_RETURN(Tensor c, ctx.in(i).Clone());
      ins.push_back(std::move(c));
    } else {
      ins.push_back(ctx.in(i));
    }
  }
  return DispatchNumeric(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      if (n == 1) {
        BroadcastBinary<T, T, T>(ctx.pool, ins[0], ins[0], out, [](T a, T) { return a; });
      } else {
        BroadcastBinary<T, T, T>(ctx.pool, ins[0], ins[1], out, f);
        for (size_t i = 2; i < n; ++i) BroadcastBinary<T, T, T>(ctx.pool, out, ins[i], out, f);
      }
      if constexpr (kMean) {
        T* o = out.data<T>();
        const T scale = T(1) / static_cast<T>(n);
        for (int64_t i = 0; i < out.numel(); ++i) o[i] *= scale;
      }
    }
  });
}

template <class F, bool kMean>
Status VariadicCompute(KernelContext& ctx) {
  return WithHalfAsFloat(ctx, VariadicComputeF<F, kMean>);
}

template <class F, Types kTypes>
KernelDef ArithRow(const char* name, int since, int until) {
  return KernelDef{name, "", since, until, ArithInfer<F, kTypes>, ArithCompute<F>, 0};
}

}  // namespace

std::vector<KernelDef> ElementwiseBinaryArithRows() {
  return {
      ArithRow<AddF, Types::kNumeric>("Add", 1, 6),
      ArithRow<AddF, Types::kNumeric>("Add", 7, 0),
      ArithRow<SubF, Types::kNumeric>("Sub", 1, 6),
      ArithRow<SubF, Types::kNumeric>("Sub", 7, 0),
      ArithRow<MulF, Types::kNumeric>("Mul", 1, 6),
      ArithRow<MulF, Types::kNumeric>("Mul", 7, 0),
      ArithRow<DivF, Types::kNumeric>("Div", 1, 6),
      ArithRow<DivF, Types::kNumeric>("Div", 7, 0),
      ArithRow<ModF, Types::kNumeric>("Mod", 10, 0),
      {"Pow", "", 1, 6, PowInfer, PowCompute, 0},
      {"Pow", "", 7, 0, PowInfer, PowCompute, 0},
      {"PRelu", "", 1, 0, PReluInfer, PReluCompute, 0},
      {"Min", "", 1, 0, VariadicInfer<Types::kNumeric>, VariadicCompute<MinF, false>, 0},
      {"Max", "", 1, 0, VariadicInfer<Types::kNumeric>, VariadicCompute<MaxF, false>, 0},
      {"Sum", "", 1, 0, VariadicInfer<Types::kNumeric>, VariadicCompute<AddF, false>, 0},
      {"Mean", "", 1, 0, VariadicInfer<Types::kFloat>, VariadicCompute<AddF, true>, 0},
  };
}

}  // namespace parallax::ops
