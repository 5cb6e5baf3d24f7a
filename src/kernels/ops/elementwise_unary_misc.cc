// Elementwise ops that are not plain y = f(x) math: Not, IsNaN, IsInf, Clip (attributes before
// opset 11, optional min/max inputs from 11), Identity, Dropout (inference: a copy plus an
// all-true mask) and Shrink.
#include <cmath>
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

// Copies input 0 to output 0 unless the executor already placed them in one buffer.
void CopyInputToOutput(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  Tensor& y = ctx.out(0);
  if (y.raw() != x.raw() && x.nbytes() > 0) std::memcpy(y.raw(), x.raw(), x.nbytes());
}

// ---- Not, IsNaN, IsInf -------------------------------------------------------------------

Status NotInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "X"));
  if (ctx.in(0).dtype != DataType::kBool) {
    return InvalidArgument(DtypeError("expected a bool tensor", ctx.in(0).dtype));
  }
  ctx.SetOutput(0, DataType::kBool, ctx.in(0).shape);
  return Status::Ok();
}

Status NotCompute(KernelContext& ctx) {
  const bool* x = ctx.in(0).data<bool>();
  bool* y = ctx.out(0).data<bool>();
  ParallelFor(ctx.pool, ctx.in(0).numel(), kCheapGrain, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) y[i] = !x[i];
  });
  return Status::Ok();
}

Status FloatPredicateInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "X"));
  if (!IsFloat(ctx.in(0).dtype)) {
    return InvalidArgument(DtypeError("expected a float tensor", ctx.in(0).dtype));
  }
  ctx.SetOutput(0, DataType::kBool, ctx.in(0).shape);
  return Status::Ok();
}

template <typename T>
void IsNaNLoop(KernelContext& ctx) {
  const T* x = ctx.in(0).data<T>();
  bool* y = ctx.out(0).data<bool>();
  ParallelFor(ctx.pool, ctx.in(0).numel(), kCheapGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = x[i] != x[i];
  });
}

Status IsNaNComputeF(KernelContext& ctx) {
  if (ctx.in(0).dtype() == DataType::kFloat64) {
    IsNaNLoop<double>(ctx);
  } else {
    IsNaNLoop<float>(ctx);
  }
  return Status::Ok();
}
Status IsNaNCompute(KernelContext& ctx) { return WithHalfAsFloat(ctx, IsNaNComputeF); }

template <typename T>
void IsInfLoop(KernelContext& ctx, bool neg, bool pos) {
  const T* x = ctx.in(0).data<T>();
  bool* y = ctx.out(0).data<bool>();
  const T inf = std::numeric_limits<T>::infinity();
  ParallelFor(ctx.pool, ctx.in(0).numel(), kCheapGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = (pos && x[i] == inf) || (neg && x[i] == -inf);
  });
}

Status IsInfComputeF(KernelContext& ctx) {
  const bool neg = ctx.node.GetInt("detect_negative", 1) != 0;
  const bool pos = ctx.node.GetInt("detect_positive", 1) != 0;
  if (ctx.in(0).dtype() == DataType::kFloat64) {
    IsInfLoop<double>(ctx, neg, pos);
  } else {
    IsInfLoop<float>(ctx, neg, pos);
  }
  return Status::Ok();
}
Status IsInfCompute(KernelContext& ctx) { return WithHalfAsFloat(ctx, IsInfComputeF); }

// ---- Clip --------------------------------------------------------------------------------

Status ClipInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "input"));
  const DataType t = ctx.in(0).dtype;
  const bool attrs = ctx.node.opset < 11;
  if (attrs ? !IsFloat(t) : !IsNumeric(t)) {
    return NotImplemented(DtypeError(attrs ? "expected a float tensor" : "expected a numeric tensor", t));
  }
  if (!attrs) {
    for (size_t i = 1; i < 3; ++i) {
      if (!ctx.has(i)) continue;
      if (ctx.in(i).dtype != t) {
        return InvalidArgument(std::string(i == 1 ? "min" : "max") + " has dtype " +
                               DataTypeName(ctx.in(i).dtype) + ", expected " + DataTypeName(t) +
                               " like the input");
      }
      if (NumElements(ctx.in(i).shape) != 1) {
        return InvalidArgument(std::string(i == 1 ? "min" : "max") + " must be a scalar, got shape " +
                               ShapeToString(ctx.in(i).shape));
      }
    }
  }
  ctx.SetOutput(0, t, ctx.in(0).shape);
  return Status::Ok();
}

template <typename T>
void ClipLoop(KernelContext& ctx, T lo, T hi) {
  const T* x = ctx.in(0).data<T>();
  T* y = ctx.out(0).data<T>();
  ParallelFor(ctx.pool, ctx.in(0).numel(), kCheapGrain, [&](int64_t b, int64_t e) {
#pragma GCC ivdep
    for (int64_t i = b; i < e; ++i) {
      T v = x[i] < lo ? lo : x[i];
      y[i] = v > hi ? hi : v;
    }
  });
}

Status ClipComputeF(KernelContext& ctx) {
  const DataType t = ctx.in(0).dtype();
  if (ctx.node.opset < 11) {
    const float lo = ctx.node.GetFloat("min", std::numeric_limits<float>::lowest());
    const float hi = ctx.node.GetFloat("max", std::numeric_limits<float>::max());
    if (t == DataType::kFloat64) {
      ClipLoop<double>(ctx, lo, hi);
    } else {
      ClipLoop<float>(ctx, lo, hi);
    }
    return Status::Ok();
  }
  return DispatchNumeric(t, [&](auto tag) {
    using T = decltype(tag);
    T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    if (ctx.has(1) && ctx.in(1).numel() == 1) lo = ctx.in(1).data<T>()[0];
    if (ctx.has(2) && ctx.in(2).numel() == 1) hi = ctx.in(2).data<T>()[0];
    ClipLoop<T>(ctx, lo, hi);
  });
}
Status ClipCompute(KernelContext& ctx) { return WithHalfAsFloat(ctx, ClipComputeF); }

// ---- Identity, Dropout -------------------------------------------------------------------

Status IdentityInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "input"));
  if (DataTypeSize(ctx.in(0).dtype) == 0) {
    return NotImplemented(DtypeError("expected a numeric or bool tensor", ctx.in(0).dtype));
  }
  ctx.SetOutput(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::Ok();
}

Status IdentityCompute(KernelContext& ctx) {
  CopyInputToOutput(ctx);
  return Status::Ok();
}

// Training-mode dropout is random; only the deterministic cases (inference, or ratio 0) run.
Status DropoutInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(IdentityInfer(ctx));
  if (ctx.node.opset >= 12 && ctx.has(2)) {
    const Tensor* training = ctx.Value(2);
    if (training == nullptr) return NeedsValue();
    if (training->dtype() != DataType::kBool || training->numel() != 1) {
      return InvalidArgument("training_mode must be a bool scalar");
    }
    if (training->data<bool>()[0]) {
      double ratio = 0.5;
      if (ctx.has(1)) {
        const Tensor* r = ctx.Value(1);
        if (r == nullptr) return NeedsValue();
        PX_ASSIGN_OR_RETURN(std::vector<double> rv, ReadDoubles(*r));
        if (rv.size() != 1) return InvalidArgument("ratio must be a scalar");
        ratio = rv[0];
      }
      if (ratio != 0) return NotImplemented("Dropout in training mode with ratio > 0 is not supported");
    }
  }
  if (ctx.outputs.size() > 1) {
    const DataType mask = ctx.node.opset >= 10 ? DataType::kBool : ctx.in(0).dtype;
    ctx.SetOutput(1, mask, ctx.in(0).shape);
  }
  return Status::Ok();
}

Status DropoutCompute(KernelContext& ctx) {
  CopyInputToOutput(ctx);
  if (ctx.outputs.size() > 1 && ctx.outputs[1] != nullptr) {
    Tensor& m = ctx.out(1);
    if (m.dtype() == DataType::kFloat16) {
      uint16_t one = FloatToHalf(1.f);
      for (int64_t i = 0; i < m.numel(); ++i) m.data<uint16_t>()[i] = one;
      return Status::Ok();
    }
    return DispatchNumeric(m.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* p = m.data<T>();
      for (int64_t i = 0; i < m.numel(); ++i) p[i] = T(1);
    });
  }
  return Status::Ok();
}

// ---- Shrink ------------------------------------------------------------------------------

Status ShrinkInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(RequireInput(ctx, 0, "input"));
  if (!IsNumeric(ctx.in(0).dtype)) {
    return NotImplemented(DtypeError("expected a numeric tensor", ctx.in(0).dtype));
  }
  ctx.SetOutput(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::Ok();
}

Status ShrinkComputeF(KernelContext& ctx) {
  const float bias = ctx.node.GetFloat("bias", 0.f);
  const float lambd = ctx.node.GetFloat("lambd", 0.5f);
  return DispatchNumeric(ctx.in(0).dtype(), [&](auto tag) {
    using T = decltype(tag);
    using C = std::conditional_t<std::is_same_v<T, float>, float, double>;
    const T* x = ctx.in(0).data<T>();
    T* y = ctx.out(0).data<T>();
    const C l = lambd, bs = bias;
    ParallelFor(ctx.pool, ctx.in(0).numel(), kCheapGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const C v = static_cast<C>(x[i]);
        y[i] = static_cast<T>(v < -l ? v + bs : (v > l ? v - bs : C(0)));
      }
    });
  });
}
Status ShrinkCompute(KernelContext& ctx) { return WithHalfAsFloat(ctx, ShrinkComputeF); }

}  // namespace

std::vector<KernelDef> ElementwiseUnaryMiscRows() {
  return {
      {"Not", "", 1, 0, NotInfer, NotCompute, 0},
      {"IsNaN", "", 9, 0, FloatPredicateInfer, IsNaNCompute},
      {"IsInf", "", 10, 0, FloatPredicateInfer, IsInfCompute},
      {"Clip", "", 1, 10, ClipInfer, ClipCompute, 0},
      {"Clip", "", 11, 0, ClipInfer, ClipCompute, 0},
      {"Identity", "", 1, 0, IdentityInfer, IdentityCompute, -1, /*alias=*/true},
      {"Dropout", "", 1, 11, DropoutInfer, DropoutCompute, 0},
      {"Dropout", "", 12, 0, DropoutInfer, DropoutCompute, 0},
      {"Shrink", "", 9, 0, ShrinkInfer, ShrinkCompute, 0},
  };
}

}  // namespace parallax::ops
