// LayerNormalization (ai.onnx since 17; parallax domain since 1, emitted by the fusion pass for
// older opsets). Inputs X, Scale, B (optional); outputs Y, Mean, InvStdDev (optional, float32,
// shaped X.shape[:axis] + 1s). Scale/B broadcast to X.shape[axis:]. Rows are normalised in
// parallel; each row is two tight passes (mean, variance) and one fused scale/shift pass.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/kernel_util.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

Status CheckParam(const ValueInfo& p, const char* name, const Shape& norm_shape, DataType dt) {
  if (p.dtype != dt) {
    return InvalidArgument(std::string("input '") + name + "' has dtype " + DataTypeName(p.dtype) +
                           ", expected " + DataTypeName(dt));
  }
  if (p.shape.size() > norm_shape.size()) {
    return InvalidArgument(std::string("input '") + name + "' has shape " + ShapeToString(p.shape) +
                           ", expected one broadcastable to " + ShapeToString(norm_shape));
  }
  const size_t off = norm_shape.size() - p.shape.size();
  for (size_t i = 0; i < p.shape.size(); ++i) {
    if (p.shape[i] != 1 && p.shape[i] != norm_shape[off + i]) {
      return InvalidArgument(std::string("input '") + name + "' has shape " +
                             ShapeToString(p.shape) + ", expected one broadcastable to " +
                             ShapeToString(norm_shape));
    }
  }
  return Status::Ok();
}

Status LayerNormInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("inputs 'X' and 'Scale' are required");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) +
                          " is not supported by LayerNormalization (float32, float64)");
  }
  const Shape& shape = ctx.in(0).shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank == 0) return InvalidArgument("input 'X' must have rank >= 1");
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", -1), rank));
  const Shape norm(shape.begin() + axis, shape.end());
  PX_RETURN_IF_ERROR(CheckParam(ctx.in(1), "Scale", norm, dt));
  if (ctx.has(2)) PX_RETURN_IF_ERROR(CheckParam(ctx.in(2), "B", norm, dt));
  ctx.SetOutput(0, dt, shape);
  Shape stat(shape.begin(), shape.begin() + axis);
  stat.resize(shape.size(), 1);
  for (size_t i = 1; i < ctx.outputs.size() && i < 3; ++i) ctx.SetOutput(i, DataType::kFloat32, stat);
  return Status::Ok();
}

// The parameter as a dense vector of the normalised size (copied only when it broadcasts).
template <typename T>
const T* Dense(const Tensor& p, const Shape& norm, int64_t d, std::vector<T>* store) {
  if (p.numel() == d) return p.data<T>();
  store->resize(static_cast<size_t>(d));
  std::vector<int64_t> bs = BroadcastStrides(p.shape(), norm);
  std::vector<int64_t> idx(norm.size(), 0);
  for (int64_t i = 0; i < d; ++i) {
    int64_t off = 0;
    for (size_t k = 0; k < norm.size(); ++k) off += idx[k] * bs[k];
    (*store)[i] = p.data<T>()[off];
    for (int64_t k = static_cast<int64_t>(norm.size()) - 1; k >= 0; --k) {
      if (++idx[k] < norm[k]) break;
      idx[k] = 0;
    }
  }
  return store->data();
}

template <typename T>
void LayerNormTyped(KernelContext& ctx, int64_t axis) {
  const Tensor& xt = ctx.in(0);
  const Shape& shape = xt.shape();
  const Shape norm(shape.begin() + axis, shape.end());
  int64_t rows = 1, d = 1;
  for (int64_t i = 0; i < axis; ++i) rows *= shape[i];
  for (int64_t v : norm) d *= v;
  const float eps = ctx.node.GetFloat("epsilon", 1e-5f);
  std::vector<T> sstore, bstore;
  const T* scale = Dense<T>(ctx.in(1), norm, d, &sstore);
  const T* bias = ctx.has(2) ? Dense<T>(ctx.in(2), norm, d, &bstore) : nullptr;
  const T* x = xt.data<T>();
  T* y = ctx.out(0).data<T>();
  float* mean_out = ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.out(1).data<float>() : nullptr;
  float* inv_out = ctx.outputs.size() > 2 && ctx.outputs[2] ? ctx.out(2).data<float>() : nullptr;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d));
  ctx.pool->ParallelFor(rows, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* xr = x + r * d;
      T* yr = y + r * d;
      T s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t i = 0;
      for (; i + 8 <= d; i += 8) for (int l = 0; l < 8; ++l) s[l] += xr[i + l];
      for (; i < d; ++i) s[0] += xr[i];
      T sum = 0;
      for (int l = 0; l < 8; ++l) { sum += s[l]; s[l] = 0; }
      const T mean = sum / static_cast<T>(d);
      i = 0;
      for (; i + 8 <= d; i += 8) {
        for (int l = 0; l < 8; ++l) {
          const T c = xr[i + l] - mean;
          s[l] += c * c;
        }
      }
      for (; i < d; ++i) s[0] += (xr[i] - mean) * (xr[i] - mean);
      T var = 0;
      for (int l = 0; l < 8; ++l) var += s[l];
      var /= static_cast<T>(d);
      const T inv = T(1) / std::sqrt(var + static_cast<T>(eps));
      if (bias) {
        for (int64_t j = 0; j < d; ++j) yr[j] = (xr[j] - mean) * inv * scale[j] + bias[j];
      } else {
        for (int64_t j = 0; j < d; ++j) yr[j] = (xr[j] - mean) * inv * scale[j];
      }
      if (mean_out) mean_out[r] = static_cast<float>(mean);
      if (inv_out) inv_out[r] = static_cast<float>(inv);
    }
  });
}

Status LayerNormCompute(KernelContext& ctx) {
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", -1), ctx.in(0).rank()));
  if (ctx.in(0).numel() == 0) return Status::Ok();
  if (ctx.in(0).dtype() == DataType::kFloat32) LayerNormTyped<float>(ctx, axis);
  else LayerNormTyped<double>(ctx, axis);
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> NormalizationLayerNormKernels() {
  return {
      {"LayerNormalization", "", 17, 0, LayerNormInfer, LayerNormCompute},
      {"LayerNormalization", "parallax", 1, 0, LayerNormInfer, LayerNormCompute},
  };
}

}  // namespace parallax::ops
