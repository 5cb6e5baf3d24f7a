// Elementwise math functions y = f(x): activations (Relu, Sigmoid, Gelu...), transcendental
// functions (Exp, Log, Sin...), rounding, Abs/Neg/Sign, and the fused parallax::Silu and
// parallax::Gelu. float32/float64 everywhere (float16 through float32), integer types where the
// spec allows them (Relu, Abs, Neg, Sign).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "kernels/kernel_util.h"
#include "kernels/simd_rows.h"
#include "kernels/ops/elementwise_unary.h"
#include "kernels/ops/elementwise_unary_common.h"

#pragma GCC optimize("tree-vectorize")
#pragma GCC optimize("vect-cost-model=dynamic")
#pragma GCC optimize("no-trapping-math")  // lets float selects (x < 0 ? a : b) vectorize

#include "kernels/vector_math.h"

namespace parallax::ops {
namespace {

using namespace elementwise;

// Softplus without overflow: log(1 + e^x).
template <typename T>
inline T Softplus(T x) {
  return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

struct NoAttrs {
  explicit NoAttrs(const Node&) {}
  static Status Check(const Node&) { return Status::Ok(); }
  static constexpr int64_t kGrain = kCostlyGrain;
};
struct CheapNoAttrs : NoAttrs {
  using NoAttrs::NoAttrs;
  static constexpr int64_t kGrain = kCheapGrain;
};

#define PX_UNARY_OP(Name, Base, expr)        \
  struct Name : Base {                       \
    using Base::Base;                        \
    template <typename T>                    \
    T operator()(T x) const {                \
      return static_cast<T>(expr);           \
    }                                        \
  };

PX_UNARY_OP(ReluOp, CheapNoAttrs, x > T(0) ? x : T(0))
PX_UNARY_OP(SigmoidOp, NoAttrs, T(1) / (T(1) + Exp<T>(-x)))
PX_UNARY_OP(SiluOp, NoAttrs, x / (T(1) + Exp<T>(-x)))
PX_UNARY_OP(TanhOp, NoAttrs, Tanh<T>(x))
PX_UNARY_OP(ExpOp, NoAttrs, std::exp(x))
PX_UNARY_OP(LogOp, NoAttrs, std::log(x))
PX_UNARY_OP(SqrtOp, CheapNoAttrs, std::sqrt(x))
PX_UNARY_OP(ReciprocalOp, CheapNoAttrs, T(1) / x)
PX_UNARY_OP(NegOp, CheapNoAttrs, -x)
PX_UNARY_OP(AbsOp, CheapNoAttrs, x < T(0) ? static_cast<T>(-x) : x)
PX_UNARY_OP(SignOp, CheapNoAttrs, x > T(0) ? T(1) : (x < T(0) ? static_cast<T>(-1) : x))
PX_UNARY_OP(ErfOp, NoAttrs, Erf<T>(x))
PX_UNARY_OP(FloorOp, CheapNoAttrs, std::floor(x))
PX_UNARY_OP(CeilOp, CheapNoAttrs, std::ceil(x))
PX_UNARY_OP(RoundOp, CheapNoAttrs, std::nearbyint(x))  // default rounding: half to even
PX_UNARY_OP(SinOp, NoAttrs, std::sin(x))
PX_UNARY_OP(CosOp, NoAttrs, std::cos(x))
PX_UNARY_OP(TanOp, NoAttrs, std::tan(x))
PX_UNARY_OP(AsinOp, NoAttrs, std::asin(x))
PX_UNARY_OP(AcosOp, NoAttrs, std::acos(x))
PX_UNARY_OP(AtanOp, NoAttrs, std::atan(x))
PX_UNARY_OP(SinhOp, NoAttrs, std::sinh(x))
PX_UNARY_OP(CoshOp, NoAttrs, std::cosh(x))
PX_UNARY_OP(AsinhOp, NoAttrs, std::asinh(x))
PX_UNARY_OP(AcoshOp, NoAttrs, std::acosh(x))
PX_UNARY_OP(AtanhOp, NoAttrs, std::atanh(x))
PX_UNARY_OP(SoftplusOp, NoAttrs, Softplus(x))
PX_UNARY_OP(SoftsignOp, CheapNoAttrs, x / (T(1) + std::fabs(x)))
PX_UNARY_OP(MishOp, NoAttrs, x * std::tanh(Softplus(x)))
PX_UNARY_OP(HardSwishOp, CheapNoAttrs,
            x * std::max(T(0), std::min(T(1), x * T(1.0 / 6.0) + T(0.5))))
#undef PX_UNARY_OP

struct HardSigmoidOp : CheapNoAttrs {
  float alpha, beta;
  explicit HardSigmoidOp(const Node& n)
      : CheapNoAttrs(n), alpha(n.GetFloat("alpha", 0.2f)), beta(n.GetFloat("beta", 0.5f)) {}
  template <typename T>
  T operator()(T x) const {
    return std::max(T(0), std::min(T(1), T(alpha) * x + T(beta)));
  }
};

struct LeakyReluOp : CheapNoAttrs {
  float alpha;
  explicit LeakyReluOp(const Node& n) : CheapNoAttrs(n), alpha(n.GetFloat("alpha", 0.01f)) {}
  template <typename T>
  T operator()(T x) const {
    return x >= T(0) ? x : T(alpha) * x;
  }
};

struct EluOp : NoAttrs {
  float alpha;
  explicit EluOp(const Node& n) : NoAttrs(n), alpha(n.GetFloat("alpha", 1.f)) {}
  template <typename T>
  T operator()(T x) const {
    return x >= T(0) ? x : T(alpha) * std::expm1(x);
  }
};

struct SeluOp : NoAttrs {
  float alpha, gamma;
  explicit SeluOp(const Node& n)
      : NoAttrs(n),
        alpha(n.GetFloat("alpha", 1.67326319217681884765625f)),
        gamma(n.GetFloat("gamma", 1.05070102214813232421875f)) {}
  template <typename T>
  T operator()(T x) const {
    return x > T(0) ? T(gamma) * x : T(gamma) * T(alpha) * std::expm1(x);
  }
};

struct CeluOp : NoAttrs {
  float alpha;
  explicit CeluOp(const Node& n) : NoAttrs(n), alpha(n.GetFloat("alpha", 1.f)) {}
  static Status Check(const Node& n) {
    if (n.GetFloat("alpha", 1.f) == 0.f) return InvalidArgument("attribute alpha must not be 0");
    return Status::Ok();
  }
  template <typename T>
  T operator()(T x) const {
    return x > T(0) ? x : T(alpha) * std::expm1(x / T(alpha));
  }
};

struct ThresholdedReluOp : CheapNoAttrs {
  float alpha;
  explicit ThresholdedReluOp(const Node& n) : CheapNoAttrs(n), alpha(n.GetFloat("alpha", 1.f)) {}
  template <typename T>
  T operator()(T x) const {
    return x > T(alpha) ? x : T(0);
  }
};

struct GeluOp : NoAttrs {
  bool tanh_approx;
  explicit GeluOp(const Node& n) : NoAttrs(n), tanh_approx(n.GetString("approximate", "none") == "tanh") {}
  static Status Check(const Node& n) {
    std::string a = n.GetString("approximate", "none");
    if (a != "none" && a != "tanh") {
      return InvalidArgument("attribute approximate must be \"none\" or \"tanh\", got \"" + a + "\"");
    }
    return Status::Ok();
  }
  template <typename T>
  T operator()(T x) const {
    if (tanh_approx) {
      // 0.5 x (1 + tanh(u)) == x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3).
      T u2 = T(2 * 0.7978845608028654) * (x + T(0.044715) * x * x * x);
      return x / (T(1) + Exp<T>(-u2));
    }
    if constexpr (std::is_same_v<T, float>) {
      return FastGelu(x);
    } else {
      // 1 + erf(z) == erfc(-z), without the cancellation for negative x.
      return T(0.5) * x * std::erfc(x * T(-0.70710678118654752440));
    }
  }
};

// Which dtypes an op accepts besides float16/32/64.
enum class IntTypes { kNone, kSigned, kAll };

bool Accepts(IntTypes ints, DataType t) {
  if (t == DataType::kFloat32 || t == DataType::kFloat64 || t == DataType::kFloat16) return true;
  if (ints == IntTypes::kSigned) return IsSignedInt(t);
  if (ints == IntTypes::kAll) return IsInteger(t);
  return false;
}

template <class Op, IntTypes kInts>
Status UnaryInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "X"));
  const DataType t = ctx.in(0).dtype;
  if (!Accepts(kInts, t)) {
    const char* want = kInts == IntTypes::kNone     ? "expected a float tensor"
                       : kInts == IntTypes::kSigned ? "expected a float or signed integer tensor"
                                                    : "expected a numeric tensor";
    return NotImplemented(DtypeError(want, t));
  }
  PX_RETURN_IF_ERROR(Op::Check(ctx.node));
  ctx.SetOutput(0, t, ctx.in(0).shape);
  return Status::Ok();
}

// The vectorised row kernel (simd_rows.h) of an op, where it has one: RowOf<Op>::Apply applies
// the op in place to n floats. (Silu keeps its scalar loop: the row kernel's SiluFast is 1.3e-6
// relative off in the far negative tail, where the standalone op is held to 1e-6.)
template <class Op>
struct RowOf {
  static constexpr bool kHas = false;
  static void Apply(const RowKernels&, float*, int64_t) {}
};
template <>
struct RowOf<SigmoidOp> {
  static constexpr bool kHas = true;
  static void Apply(const RowKernels& k, float* x, int64_t n) { k.sigmoid(x, n, 0.f); }
};

template <typename T, class Op>
void UnaryLoop(KernelContext& ctx, const Op& op) {
  const T* x = ctx.in(0).data<T>();
  T* y = ctx.out(0).data<T>();
  if constexpr (std::is_same_v<T, float> && RowOf<Op>::kHas) {
    if (const RowKernels* rows = BestRowKernels()) {  // in place on y, a chunk at a time
      ParallelFor(ctx.pool, ctx.in(0).numel(), Op::kGrain, [&](int64_t b, int64_t e) {
        constexpr int64_t kChunk = 4096;
        for (int64_t i = b; i < e; i += kChunk) {
          const int64_t n = std::min(kChunk, e - i);
          if (y != x) std::memcpy(y + i, x + i, static_cast<size_t>(n) * sizeof(float));
          RowOf<Op>::Apply(*rows, y + i, n);
        }
      });
      return;
    }
  }
  ParallelFor(ctx.pool, ctx.in(0).numel(), Op::kGrain, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) y[i] = op(x[i]);
  });
}

template <class Op, IntTypes kInts>
Status UnaryComputeF(KernelContext& ctx) {
  const Op op(ctx.node);
  const DataType t = ctx.in(0).dtype();
  if (t == DataType::kFloat32) {
    UnaryLoop<float>(ctx, op);
    return Status::Ok();
  }
  if (t == DataType::kFloat64) {
    UnaryLoop<double>(ctx, op);
    return Status::Ok();
  }
  if constexpr (kInts != IntTypes::kNone) {
    if (Accepts(kInts, t)) {
      return DispatchNumeric(t, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) UnaryLoop<T>(ctx, op);
      });
    }
  }
  return NotImplemented(DtypeError("unsupported dtype", t));
}

template <class Op, IntTypes kInts>
Status UnaryCompute(KernelContext& ctx) {
  return WithHalfAsFloat(ctx, UnaryComputeF<Op, kInts>);
}

template <class Op, IntTypes kInts = IntTypes::kNone>
KernelDef Row(const char* name, int since, const char* domain = "") {
  return KernelDef{name, domain, since, 0, UnaryInfer<Op, kInts>, UnaryCompute<Op, kInts>,
                   /*inplace_input=*/0};
}

}  // namespace

std::vector<KernelDef> ElementwiseUnaryMathRows() {
  return {
      Row<ReluOp, IntTypes::kSigned>("Relu", 1),
      Row<SigmoidOp>("Sigmoid", 1),
      Row<TanhOp>("Tanh", 1),
      Row<ExpOp>("Exp", 1),
      Row<LogOp>("Log", 1),
      Row<SqrtOp>("Sqrt", 1),
      Row<ReciprocalOp>("Reciprocal", 1),
      Row<NegOp, IntTypes::kSigned>("Neg", 1),
      Row<AbsOp, IntTypes::kAll>("Abs", 1),
      Row<ErfOp>("Erf", 9),
      Row<FloorOp>("Floor", 1),
      Row<CeilOp>("Ceil", 1),
      Row<RoundOp>("Round", 11),
      Row<SignOp, IntTypes::kAll>("Sign", 9),
      Row<SinOp>("Sin", 7),
      Row<CosOp>("Cos", 7),
      Row<TanOp>("Tan", 7),
      Row<AsinOp>("Asin", 7),
      Row<AcosOp>("Acos", 7),
      Row<AtanOp>("Atan", 7),
      Row<SinhOp>("Sinh", 9),
      Row<CoshOp>("Cosh", 9),
      Row<AsinhOp>("Asinh", 9),
      Row<AcoshOp>("Acosh", 9),
      Row<AtanhOp>("Atanh", 9),
      Row<SoftplusOp>("Softplus", 1),
      Row<SoftsignOp>("Softsign", 1),
      Row<HardSigmoidOp>("HardSigmoid", 1),
      Row<HardSwishOp>("HardSwish", 14),
      Row<LeakyReluOp>("LeakyRelu", 1),
      Row<EluOp>("Elu", 1),
      Row<SeluOp>("Selu", 1),
      Row<CeluOp>("Celu", 12),
      Row<ThresholdedReluOp>("ThresholdedRelu", 10),
      Row<MishOp>("Mish", 18),
      Row<GeluOp>("Gelu", 20),
      Row<GeluOp>("Gelu", 1, "parallax"),
      Row<SiluOp>("Silu", 1, "parallax"),
  };
}

}  // namespace parallax::ops
