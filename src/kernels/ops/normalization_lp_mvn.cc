// LpNormalization (axis, p in {1, 2}) and MeanVarianceNormalization (axes, default [0, 2, 3]:
// y = (x - mean) / (sqrt(var) + 1e-9), as in the ONNX function body). float32 / float64.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/kernel_util.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

Status FloatOnly(const InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("missing input");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by " +
                          ctx.node.op_type + " (float32, float64)");
  }
  return Status::Ok();
}

Status LpInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(FloatOnly(ctx));
  const int64_t rank = static_cast<int64_t>(ctx.in(0).shape.size());
  if (rank == 0) return InvalidArgument("input must have rank >= 1");
  PX_RETURN_IF_ERROR(NormalizeAxis(ctx.node.GetInt("axis", -1), rank).status());
  const int64_t p = ctx.node.GetInt("p", 2);
  if (p != 1 && p != 2) return InvalidArgument("attribute 'p' is " + std::to_string(p) + ", expected 1 or 2");
  ctx.SetOutput(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::Ok();
}

template <typename T>
void LpTyped(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, int64_t p, ThreadPool* pool) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * inner));
  pool->ParallelFor(outer, grain, [&](int64_t b, int64_t e) {
    std::vector<double> norm(static_cast<size_t>(inner));
    for (int64_t o = b; o < e; ++o) {
      const T* xo = x + o * n * inner;
      T* yo = y + o * n * inner;
      std::fill(norm.begin(), norm.end(), 0.0);
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t k = 0; k < inner; ++k) {
          const double v = xo[i * inner + k];
          norm[k] += p == 1 ? std::fabs(v) : v * v;
        }
      }
      for (int64_t k = 0; k < inner; ++k) {
        const double nk = p == 1 ? norm[k] : std::sqrt(norm[k]);
        norm[k] = nk == 0 ? 0.0 : 1.0 / nk;
      }
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t k = 0; k < inner; ++k) {
          yo[i * inner + k] = static_cast<T>(xo[i * inner + k] * norm[k]);
        }
      }
    }
  });
}

Status LpCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  if (in.numel() == 0) return Status::Ok();
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", -1), in.rank()));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= in.dim(i);
  for (int64_t i = axis + 1; i < in.rank(); ++i) inner *= in.dim(i);
  const int64_t p = ctx.node.GetInt("p", 2);
  if (in.dtype() == DataType::kFloat32) {
    LpTyped(in.data<float>(), ctx.out(0).data<float>(), outer, in.dim(axis), inner, p, ctx.pool);
  } else {
    LpTyped(in.data<double>(), ctx.out(0).data<double>(), outer, in.dim(axis), inner, p, ctx.pool);
  }
  return Status::Ok();
}

StatusOr<std::vector<bool>> MvnAxes(const Node& node, int64_t rank) {
  std::vector<int64_t> axes = node.attr("axes") ? node.GetInts("axes") : std::vector<int64_t>{0, 2, 3};
  std::vector<bool> red(static_cast<size_t>(rank), false);
  for (int64_t a : axes) {
    PX_ASSIGN_OR_RETURN(int64_t ax, NormalizeAxis(a, rank));
    red[ax] = true;
  }
  return red;
}

Status MvnInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(FloatOnly(ctx));
  PX_RETURN_IF_ERROR(MvnAxes(ctx.node, static_cast<int64_t>(ctx.in(0).shape.size())).status());
  ctx.SetOutput(0, ctx.in(0).dtype, ctx.in(0).shape);
  return Status::Ok();
}

template <typename T>
void MvnTyped(const Tensor& in, Tensor& out, const std::vector<bool>& red) {
  const Shape& s = in.shape();
  const int64_t n = in.numel();
  // Group id (index over the kept dims) of every element, in row-major order.
  std::vector<int64_t> gstride(s.size(), 0);
  int64_t groups = 1;
  for (int64_t i = static_cast<int64_t>(s.size()) - 1; i >= 0; --i) {
    if (!red[i]) { gstride[i] = groups; groups *= s[i]; }
  }
  std::vector<int64_t> gid(static_cast<size_t>(n));
  std::vector<int64_t> idx(s.size(), 0);
  int64_t g = 0;
  for (int64_t e = 0; e < n; ++e) {
    gid[e] = g;
    for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
      g += gstride[d];
      if (++idx[d] < s[d]) break;
      g -= gstride[d] * s[d];
      idx[d] = 0;
    }
  }
  const int64_t count = n / std::max<int64_t>(1, groups);
  std::vector<double> mean(groups, 0.0), sq(groups, 0.0);
  const T* x = in.data<T>();
  for (int64_t e = 0; e < n; ++e) mean[gid[e]] += x[e];
  for (double& m : mean) m /= static_cast<double>(count);
  for (int64_t e = 0; e < n; ++e) sq[gid[e]] += (x[e] - mean[gid[e]]) * (x[e] - mean[gid[e]]);
  for (double& v : sq) v = 1.0 / (std::sqrt(v / static_cast<double>(count)) + 1e-9);
  T* y = out.data<T>();
  for (int64_t e = 0; e < n; ++e) y[e] = static_cast<T>((x[e] - mean[gid[e]]) * sq[gid[e]]);
}

Status MvnCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  if (in.numel() == 0) return Status::Ok();
  PX_ASSIGN_OR_RETURN(std::vector<bool> red, MvnAxes(ctx.node, in.rank()));
  if (in.dtype() == DataType::kFloat32) MvnTyped<float>(in, ctx.out(0), red);
  else MvnTyped<double>(in, ctx.out(0), red);
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> NormalizationLpMvnKernels() {
  return {
      {"LpNormalization", "", 1, 0, LpInfer, LpCompute},
      {"MeanVarianceNormalization", "", 1, 0, MvnInfer, MvnCompute},
  };
}

}  // namespace parallax::ops
