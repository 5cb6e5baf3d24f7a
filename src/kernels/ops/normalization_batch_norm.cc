// BatchNormalization (all opsets; inference mode, plus training_mode = 1 from opset 14 which
// uses batch statistics and outputs the updated running mean/var), InstanceNormalization and
// GroupNormalization (18: scale/bias per group; 21: per channel). float32 / float64.
// Every op reduces to y = x * a[plane] + b[plane] over contiguous planes of the spatial size.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/kernel_util.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

Status CheckFloat(const InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("missing input 'X'");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by " +
                          ctx.node.op_type + " (float32, float64)");
  }
  if (ctx.in(0).shape.size() < 2) {
    return InvalidArgument("input 'X' has rank " + std::to_string(ctx.in(0).shape.size()) +
                           ", expected rank >= 2 (N x C x ...)");
  }
  return Status::Ok();
}

Status CheckVec(const InferContext& ctx, size_t i, const char* name, int64_t len) {
  if (!ctx.has(i)) return InvalidArgument(std::string("missing input '") + name + "'");
  const ValueInfo& v = ctx.in(i);
  if (v.dtype != ctx.in(0).dtype && !(v.dtype == DataType::kFloat32 || v.dtype == DataType::kFloat64)) {
    return InvalidArgument(std::string("input '") + name + "' has dtype " + DataTypeName(v.dtype));
  }
  if (NumElements(v.shape) != len || v.shape.size() > 1) {
    return InvalidArgument(std::string("input '") + name + "' has shape " + ShapeToString(v.shape) +
                           ", expected [" + std::to_string(len) + "]");
  }
  return Status::Ok();
}

std::vector<double> AsDoubles(const Tensor& t) {
  auto r = ReadDoubles(t);
  return r.ok() ? std::move(r).value() : std::vector<double>();
}

// y[n, c, :] = x[n, c, :] * a[c] + b[c]; a, b per channel.
template <typename T>
void ApplyPlanes(const T* x, T* y, int64_t n, int64_t c, int64_t hw, const std::vector<double>& a,
                 const std::vector<double>& b, ThreadPool* pool) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, hw));
  pool->ParallelFor(n * c, grain, [&](int64_t s, int64_t e) {
    for (int64_t p = s; p < e; ++p) {
      const T ap = static_cast<T>(a[p % c]), bp = static_cast<T>(b[p % c]);
      const T* xp = x + p * hw;
      T* yp = y + p * hw;
      for (int64_t i = 0; i < hw; ++i) yp[i] = xp[i] * ap + bp;
    }
  });
}

// Mean and population variance of each of `planes` contiguous runs of `len` elements.
template <typename T>
void PlaneStats(const T* x, int64_t planes, int64_t len, std::vector<double>* mean,
                std::vector<double>* var, ThreadPool* pool) {
  mean->assign(static_cast<size_t>(planes), 0.0);
  var->assign(static_cast<size_t>(planes), 0.0);
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, len));
  pool->ParallelFor(planes, grain, [&](int64_t s, int64_t e) {
    for (int64_t p = s; p < e; ++p) {
      const T* xp = x + p * len;
      double sum = 0;
      for (int64_t i = 0; i < len; ++i) sum += xp[i];
      const double m = len > 0 ? sum / len : 0.0;
      double sq = 0;
      for (int64_t i = 0; i < len; ++i) sq += (xp[i] - m) * (xp[i] - m);
      (*mean)[p] = m;
      (*var)[p] = len > 0 ? sq / len : 0.0;
    }
  });
}

template <typename T>
void Store(Tensor* t, const std::vector<double>& v) {
  if (t == nullptr) return;
  for (size_t i = 0; i < v.size() && static_cast<int64_t>(i) < t->numel(); ++i) {
    t->data<T>()[i] = static_cast<T>(v[i]);
  }
}

void Dims(const Shape& s, int64_t* n, int64_t* c, int64_t* hw) {
  *n = s[0];
  *c = s[1];
  *hw = 1;
  for (size_t i = 2; i < s.size(); ++i) *hw *= s[i];
}

// ---- BatchNormalization ----

bool Training(const Node& n) { return n.opset >= 14 && n.GetInt("training_mode", 0) != 0; }

Status BatchNormInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(CheckFloat(ctx));
  if (ctx.node.opset < 9 && ctx.node.GetInt("spatial", 1) == 0 && ctx.in(0).shape.size() > 2) {
    return NotImplemented("BatchNormalization with spatial = 0 is not supported");
  }
  const int64_t c = ctx.in(0).shape[1];
  const char* names[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (size_t i = 1; i < 5; ++i) PX_RETURN_IF_ERROR(CheckVec(ctx, i, names[i], c));
  ctx.SetOutput(0, ctx.in(0).dtype, ctx.in(0).shape);
  for (size_t i = 1; i < ctx.outputs.size() && i < 5; ++i) ctx.SetOutput(i, ctx.in(3).dtype, {c});
  return Status::Ok();
}

Status BatchNormCompute(KernelContext& ctx) {
  const Tensor& xt = ctx.in(0);
  int64_t n, c, hw;
  Dims(xt.shape(), &n, &c, &hw);
  const double eps = ctx.node.GetFloat("epsilon", 1e-5f);
  const std::vector<double> scale = AsDoubles(ctx.in(1)), bias = AsDoubles(ctx.in(2));
  std::vector<double> mean = AsDoubles(ctx.in(3)), var = AsDoubles(ctx.in(4));
  const bool training = Training(ctx.node);
  std::vector<double> bmean(c, 0.0), bvar(c, 0.0);
  if (training && xt.numel() > 0) {
    // Per-channel batch statistics over N and the spatial dims.
    std::vector<double> pm, pv;
    if (xt.dtype() == DataType::kFloat32) PlaneStats(xt.data<float>(), n * c, hw, &pm, &pv, ctx.pool);
    else PlaneStats(xt.data<double>(), n * c, hw, &pm, &pv, ctx.pool);
    for (int64_t ch = 0; ch < c; ++ch) {
      double m = 0;
      for (int64_t i = 0; i < n; ++i) m += pm[i * c + ch];
      m /= n;
      double v = 0;  // total variance = mean of (plane var + (plane mean - m)^2)
      for (int64_t i = 0; i < n; ++i) v += pv[i * c + ch] + (pm[i * c + ch] - m) * (pm[i * c + ch] - m);
      bmean[ch] = m;
      bvar[ch] = v / n;
    }
  }
  const std::vector<double>& um = training ? bmean : mean;
  const std::vector<double>& uv = training ? bvar : var;
  std::vector<double> a(c), b(c);
  for (int64_t ch = 0; ch < c; ++ch) {
    a[ch] = scale[ch] / std::sqrt(uv[ch] + eps);
    b[ch] = bias[ch] - um[ch] * a[ch];
  }
  if (xt.dtype() == DataType::kFloat32) {
    ApplyPlanes(xt.data<float>(), ctx.out(0).data<float>(), n, c, hw, a, b, ctx.pool);
  } else {
    ApplyPlanes(xt.data<double>(), ctx.out(0).data<double>(), n, c, hw, a, b, ctx.pool);
  }
  std::vector<double> run_mean = mean, run_var = var;
  if (training) {
    const double mom = ctx.node.GetFloat("momentum", 0.9f);
    for (int64_t ch = 0; ch < c; ++ch) {
      run_mean[ch] = mean[ch] * mom + bmean[ch] * (1 - mom);
      run_var[ch] = var[ch] * mom + bvar[ch] * (1 - mom);
    }
  }
  const std::vector<double>* extra[] = {&run_mean, &run_var, &mean, &var};
  for (size_t i = 1; i < ctx.outputs.size() && i < 5; ++i) {
    Tensor* t = ctx.outputs[i];
    if (t == nullptr) continue;
    if (t->dtype() == DataType::kFloat32) Store<float>(t, *extra[i - 1]);
    else Store<double>(t, *extra[i - 1]);
  }
  return Status::Ok();
}

// ---- InstanceNormalization / GroupNormalization ----

Status InstanceNormInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(CheckFloat(ctx));
  const int64_t c = ctx.in(0).shape[1];
  PX_RETURN_IF_ERROR(CheckVec(ctx, 1, "scale", c));
  PX_RETURN_IF_ERROR(CheckVec(ctx, 2, "B", c));
  ctx.SetOutput(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::Ok();
}

Status GroupNormInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(CheckFloat(ctx));
  const int64_t c = ctx.in(0).shape[1];
  const Attribute* g_attr = ctx.node.attr("num_groups");
  if (g_attr == nullptr) return InvalidArgument("attribute 'num_groups' is required");
  const int64_t g = g_attr->i;
  if (g <= 0 || c % g != 0) {
    return InvalidArgument("num_groups " + std::to_string(g) + " must be positive and divide the " +
                           std::to_string(c) + " channels");
  }
  const int64_t len = ctx.node.opset >= 21 ? c : g;
  PX_RETURN_IF_ERROR(CheckVec(ctx, 1, "scale", len));
  PX_RETURN_IF_ERROR(CheckVec(ctx, 2, "bias", len));
  ctx.SetOutput(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::Ok();
}

template <typename T>
void GroupNormTyped(KernelContext& ctx, int64_t groups, bool per_channel) {
  const Tensor& xt = ctx.in(0);
  int64_t n, c, hw;
  Dims(xt.shape(), &n, &c, &hw);
  const double eps = ctx.node.GetFloat("epsilon", 1e-5f);
  const std::vector<double> scale = AsDoubles(ctx.in(1)), bias = AsDoubles(ctx.in(2));
  const int64_t cpg = c / groups;
  std::vector<double> mean, var;
  PlaneStats(xt.data<T>(), n * groups, cpg * hw, &mean, &var, ctx.pool);
  const T* x = xt.data<T>();
  T* y = ctx.out(0).data<T>();
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, hw));
  ctx.pool->ParallelFor(n * c, grain, [&](int64_t s, int64_t e) {
    for (int64_t p = s; p < e; ++p) {
      const int64_t ch = p % c, grp = (p / c) * groups + ch / cpg;
      const int64_t pi = per_channel ? ch : ch / cpg;
      const double inv = 1.0 / std::sqrt(var[grp] + eps);
      const T a = static_cast<T>(scale[pi] * inv);
      const T b = static_cast<T>(bias[pi] - mean[grp] * scale[pi] * inv);
      const T* xp = x + p * hw;
      T* yp = y + p * hw;
      for (int64_t i = 0; i < hw; ++i) yp[i] = xp[i] * a + b;
    }
  });
}

Status InstanceNormCompute(KernelContext& ctx) {
  if (ctx.in(0).numel() == 0) return Status::Ok();
  const int64_t c = ctx.in(0).dim(1);
  if (ctx.in(0).dtype() == DataType::kFloat32) GroupNormTyped<float>(ctx, c, true);
  else GroupNormTyped<double>(ctx, c, true);
  return Status::Ok();
}

Status GroupNormCompute(KernelContext& ctx) {
  if (ctx.in(0).numel() == 0) return Status::Ok();
  const int64_t g = ctx.node.GetInt("num_groups", 1);
  const bool per_channel = ctx.node.opset >= 21;
  if (ctx.in(0).dtype() == DataType::kFloat32) GroupNormTyped<float>(ctx, g, per_channel);
  else GroupNormTyped<double>(ctx, g, per_channel);
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> NormalizationBatchNormKernels() {
  return {
      {"BatchNormalization", "", 1, 0, BatchNormInfer, BatchNormCompute},
      {"InstanceNormalization", "", 1, 0, InstanceNormInfer, InstanceNormCompute},
      {"GroupNormalization", "", 18, 20, GroupNormInfer, GroupNormCompute},
      {"GroupNormalization", "", 21, 0, GroupNormInfer, GroupNormCompute},
  };
}

}  // namespace parallax::ops
