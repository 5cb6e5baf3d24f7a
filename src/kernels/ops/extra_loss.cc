// NegativeLogLikelihoodLoss (ai.onnx 12, 13, 22) and SoftmaxCrossEntropyLoss (12, 13): one
// implementation. Input (N, C, d1..dk), target (N, d1..dk) int32/int64, optional weight (C).
//   loss[n, d] = -w[t] * x[n, t, d]  with t = target[n, d]; 0 (weight 0) where t == ignore_index
// reduction "none": that tensor; "sum": its sum; "mean" (default): sum / sum of applied weights.
// SoftmaxCrossEntropyLoss first takes x = log_softmax(scores, axis=1) and can also output it
// (second output, log_prob). A target outside [0, C) that is not ignore_index is an error.
// float32, float64; float16 computed in float32.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/ops/extra_common.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

enum class Reduction { kNone, kSum, kMean };

StatusOr<Reduction> GetReduction(const Node& node) {
  const std::string r = node.GetString("reduction", "mean");
  if (r == "none") return Reduction::kNone;
  if (r == "sum") return Reduction::kSum;
  if (r == "mean") return Reduction::kMean;
  return InvalidArgument("reduction must be 'none', 'sum' or 'mean', got '" + r + "'");
}

Status LossInferCommon(InferContext& ctx, bool sce) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("inputs 'input' and 'target' are required");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64 && dt != DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported");
  }
  const Shape& x = ctx.in(0).shape;
  const Shape& t = ctx.in(1).shape;
  if (x.size() < 2) return InvalidArgument("input must have rank >= 2 (N, C, ...), got " + ShapeToString(x));
  if (ctx.in(1).dtype != DataType::kInt32 && ctx.in(1).dtype != DataType::kInt64) {
    return InvalidArgument("target must be int32 or int64");
  }
  Shape want{x[0]};
  want.insert(want.end(), x.begin() + 2, x.end());
  if (t != want) {
    return InvalidArgument("target shape " + ShapeToString(t) + " does not match input " +
                           ShapeToString(x) + " (expected " + ShapeToString(want) + ")");
  }
  if (ctx.has(2)) {
    if (ctx.in(2).dtype != dt) return InvalidArgument("weight must have the input's dtype");
    if (ctx.in(2).shape != Shape{x[1]}) {
      return InvalidArgument("weight shape " + ShapeToString(ctx.in(2).shape) + " must be (C) = (" +
                             std::to_string(x[1]) + ")");
    }
  }
  PX_ASSIGN_OR_RETURN(Reduction red, GetReduction(ctx.node));
  ctx.SetOutput(0, dt, red == Reduction::kNone ? t : Shape{});
  if (ctx.outputs.size() > 1) {
    if (!sce) return InvalidArgument("NegativeLogLikelihoodLoss has one output");
    ctx.SetOutput(1, dt, x);
  }
  return Status::Ok();
}

Status NllInfer(InferContext& ctx) { return LossInferCommon(ctx, false); }
Status SceInfer(InferContext& ctx) { return LossInferCommon(ctx, true); }

template <typename T>
Status LossTyped(KernelContext& ctx, bool sce) {
  const Tensor& xt = ctx.in(0);
  const Shape& xs = xt.shape();
  const int64_t N = xs[0], C = xs[1];
  int64_t D = 1;
  for (size_t i = 2; i < xs.size(); ++i) D *= xs[i];
  PX_ASSIGN_OR_RETURN(Reduction red, GetReduction(ctx.node));
  PX_ASSIGN_OR_RETURN(std::vector<int64_t> target, ReadInts(ctx.in(1)));
  const T* w = ctx.has(2) ? ctx.in(2).data<T>() : nullptr;
  const Node& node = ctx.node;
  const bool has_ii = node.attr("ignore_index") != nullptr;
  const int64_t ii = node.GetInt("ignore_index", 0);

  const T* x = xt.data<T>();
  std::vector<T> logp_store;
  if (sce) {
    T* lp;
    if (ctx.outputs.size() > 1 && ctx.outputs[1] != nullptr) {
      lp = ctx.out(1).data<T>();
    } else {
      logp_store.resize(static_cast<size_t>(xt.numel()));
      lp = logp_store.data();
    }
    // log_softmax over C for every (n, d).
    for (int64_t n = 0; n < N; ++n) {
      const T* xn = x + n * C * D;
      T* ln = lp + n * C * D;
      for (int64_t dd = 0; dd < D; ++dd) {
        T mx = -std::numeric_limits<T>::infinity();
        for (int64_t c = 0; c < C; ++c) mx = std::max(mx, xn[c * D + dd]);
        double sum = 0;
        for (int64_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(xn[c * D + dd] - mx));
        const double lse = std::log(sum);
        for (int64_t c = 0; c < C; ++c) ln[c * D + dd] = static_cast<T>(static_cast<double>(xn[c * D + dd] - mx) - lse);
      }
    }
    x = lp;
  }

  std::vector<double> loss(static_cast<size_t>(N * D), 0.0);
  double wsum = 0;
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t dd = 0; dd < D; ++dd) {
      const int64_t t = target[n * D + dd];
      if (has_ii && t == ii) continue;
      if (t < 0 || t >= C) {
        return InvalidArgument("target value " + std::to_string(t) + " is outside [0, " +
                               std::to_string(C) + ")");
      }
      const double wt = w != nullptr ? static_cast<double>(w[t]) : 1.0;
      loss[n * D + dd] = -wt * static_cast<double>(x[(n * C + t) * D + dd]);
      wsum += wt;
    }
  }
  T* out = ctx.out(0).data<T>();
  if (red == Reduction::kNone) {
    for (size_t i = 0; i < loss.size(); ++i) out[i] = static_cast<T>(loss[i]);
  } else {
    double s = 0;
    for (double v : loss) s += v;
    out[0] = static_cast<T>(red == Reduction::kSum ? s : s / wsum);
  }
  return Status::Ok();
}

Status NllFloat(KernelContext& ctx) { return LossTyped<float>(ctx, false); }
Status SceFloat(KernelContext& ctx) { return LossTyped<float>(ctx, true); }

Status NllCompute(KernelContext& ctx) {
  switch (ctx.in(0).dtype()) {
    case DataType::kFloat32: return LossTyped<float>(ctx, false);
    case DataType::kFloat64: return LossTyped<double>(ctx, false);
    case DataType::kFloat16: return extra::RunHalfAsFloat(ctx, NllFloat);
    default: return NotImplemented("NegativeLogLikelihoodLoss: unsupported dtype");
  }
}

Status SceCompute(KernelContext& ctx) {
  switch (ctx.in(0).dtype()) {
    case DataType::kFloat32: return LossTyped<float>(ctx, true);
    case DataType::kFloat64: return LossTyped<double>(ctx, true);
    case DataType::kFloat16: return extra::RunHalfAsFloat(ctx, SceFloat);
    default: return NotImplemented("SoftmaxCrossEntropyLoss: unsupported dtype");
  }
}

}  // namespace

std::vector<KernelDef> ExtraLossKernels() {
  return {
      {"NegativeLogLikelihoodLoss", "", 12, 0, NllInfer, NllCompute},
      {"SoftmaxCrossEntropyLoss", "", 12, 0, SceInfer, SceCompute},
  };
}

}  // namespace parallax::ops
