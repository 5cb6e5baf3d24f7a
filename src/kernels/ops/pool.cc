// MaxPool, AveragePool, LpPool (N-D, NCHW) and GlobalAveragePool/GlobalMaxPool/GlobalLpPool.
//
// Window pools are separable: a max (or sum) over an N-D box is the max (sum) of 1-D windows
// along each spatial axis in turn. Each pass runs along one axis with the trailing axes
// contiguous, so inner loops are plain vectorizable streams (YOLOv8's SPPF 5x5/s1/p2 MaxPool
// costs ~10 ops per element instead of 25). Averages divide by per-axis counts (the count of
// an N-D box is the product of per-axis counts, with or without padding). MaxPool with the
// Indices output uses a direct loop.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/kernel_util.h"
#include "kernels/ops/conv_geometry.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

enum class PoolKind { kMax, kAvg, kLp };

int64_t Prod(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// Product of v[b, e).
int64_t ProdRange(const std::vector<int64_t>& v, size_t b, size_t e) {
  int64_t p = 1;
  for (size_t i = b; i < e; ++i) p *= v[i];
  return p;
}

Status PoolGeometry(const Node& node, PoolKind kind, const Shape& x, SpatialGeometry* g) {
  if (x.size() < 3) {
    return InvalidArgument("input X has shape " + ShapeToString(x) + ", expected rank >= 3 (N, C, spatial...)");
  }
  std::vector<int64_t> kernel = node.GetInts("kernel_shape");
  if (kernel.empty()) return InvalidArgument("attribute kernel_shape is required");
  const int64_t ceil_mode = node.GetInt("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) return InvalidArgument("ceil_mode must be 0 or 1");
  std::vector<int64_t> in(x.begin() + 2, x.end());
  PX_ASSIGN_OR_RETURN(*g, ComputeConvGeometry(node, in, kernel, ceil_mode != 0, kind != PoolKind::kLp || node.opset >= 18));
  for (size_t i = 0; i < g->rank(); ++i) {
    if (g->pad_begin[i] >= g->kernel[i] * g->dilation[i] || g->pad_end[i] >= g->kernel[i] * g->dilation[i]) {
      return InvalidArgument("pads " + VecToString(node.GetInts("pads")) + " must be smaller than the kernel " +
                             VecToString(kernel));
    }
  }
  return Status::Ok();
}

bool PoolDtypeOk(PoolKind kind, DataType dt) {
  if (dt == DataType::kFloat32 || dt == DataType::kFloat64) return true;
  return kind == PoolKind::kMax && (dt == DataType::kInt8 || dt == DataType::kUInt8);
}

template <PoolKind kKind>
Status PoolInfer(InferContext& ctx) {
  if (ctx.num_inputs() < 1 || !ctx.has(0)) return InvalidArgument("expected input X");
  const DataType dt = ctx.in(0).dtype;
  if (!PoolDtypeOk(kKind, dt)) {
    return NotImplemented(std::string("pooling does not support dtype ") + DataTypeName(dt));
  }
  SpatialGeometry g;
  PX_RETURN_IF_ERROR(PoolGeometry(ctx.node, kKind, ctx.in(0).shape, &g));
  Shape out = {ctx.in(0).shape[0], ctx.in(0).shape[1]};
  for (int64_t o : g.out) out.push_back(o);
  ctx.SetOutput(0, dt, out);
  if (ctx.outputs.size() > 1) {
    if (kKind != PoolKind::kMax) return InvalidArgument("only MaxPool has a second output");
    const int64_t so = ctx.node.GetInt("storage_order", 0);
    if (so != 0 && so != 1) return InvalidArgument("storage_order must be 0 or 1");
    ctx.SetOutput(1, DataType::kInt64, out);
  }
  return Status::Ok();
}

// Valid taps [k0, k1) of output position o along one axis: 0 <= o*s - pb + k*d < in.
inline void TapRange(int64_t o, int64_t s, int64_t pb, int64_t d, int64_t kernel, int64_t in, int64_t* k0,
                     int64_t* k1) {
  const int64_t start = o * s - pb;
  int64_t lo = start >= 0 ? 0 : (-start + d - 1) / d;
  int64_t hi = in - start <= 0 ? 0 : (in - start + d - 1) / d;
  *k0 = std::min(lo, kernel);
  *k1 = std::min(std::max(hi, *k0), kernel);
}

template <PoolKind kKind, typename T>
__attribute__((optimize("tree-vectorize"))) void PassAxis(const T* src, T* dst, int64_t outer, int64_t in_len,
                                                          int64_t out_len, int64_t inner, int64_t s, int64_t pb,
                                                          int64_t d, int64_t kernel, const float* scale,
                                                          ThreadPool* pool) {
  const int64_t work = std::max<int64_t>(1, out_len * inner * kernel);
  const T init = kKind == PoolKind::kMax ? std::numeric_limits<T>::lowest() : T(0);
  pool->ParallelFor(outer, std::max<int64_t>(1, 16384 / work), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* sp = src + r * in_len * inner;
      T* dp = dst + r * out_len * inner;
      if (inner == 1) {
        for (int64_t o = 0; o < out_len; ++o) dp[o] = init;
        for (int64_t k = 0; k < kernel; ++k) {
          // o valid: 0 <= o*s + off < in_len
          const int64_t off = k * d - pb;
          int64_t o0 = off >= 0 ? 0 : (-off + s - 1) / s;
          int64_t o1 = in_len - off <= 0 ? 0 : (in_len - off + s - 1) / s;
          o0 = std::min(o0, out_len);
          o1 = std::min(std::max(o1, o0), out_len);
          const T* x = sp + off;
          if (s == 1) {
            for (int64_t o = o0; o < o1; ++o) {
              if constexpr (kKind == PoolKind::kMax) dp[o] = std::max(dp[o], x[o]);
              else dp[o] += x[o];
            }
          } else {
            for (int64_t o = o0; o < o1; ++o) {
              if constexpr (kKind == PoolKind::kMax) dp[o] = std::max(dp[o], x[o * s]);
              else dp[o] += x[o * s];
            }
          }
        }
        if (scale != nullptr) {
          for (int64_t o = 0; o < out_len; ++o) dp[o] = static_cast<T>(dp[o] * scale[o]);
        }
        continue;
      }
      for (int64_t o = 0; o < out_len; ++o) {
        T* drow = dp + o * inner;
        int64_t k0, k1;
        TapRange(o, s, pb, d, kernel, in_len, &k0, &k1);
        if (k0 >= k1) {
          for (int64_t j = 0; j < inner; ++j) drow[j] = init;
          continue;
        }
        const int64_t start = o * s - pb;
        std::memcpy(drow, sp + (start + k0 * d) * inner, sizeof(T) * inner);
        for (int64_t k = k0 + 1; k < k1; ++k) {
          const T* x = sp + (start + k * d) * inner;
          for (int64_t j = 0; j < inner; ++j) {
            if constexpr (kKind == PoolKind::kMax) drow[j] = std::max(drow[j], x[j]);
            else drow[j] += x[j];
          }
        }
        if (scale != nullptr) {
          const T sc = static_cast<T>(scale[o]);
          for (int64_t j = 0; j < inner; ++j) drow[j] *= sc;
        }
      }
    }
  });
}

template <PoolKind kKind, typename T>
Status SeparablePool(const Node& node, const SpatialGeometry& g, const Tensor& X, Tensor& Y, ThreadPool* pool) {
  const size_t R = g.rank();
  const int64_t planes = X.dim(0) * X.dim(1);
  const int64_t count_include_pad = node.GetInt("count_include_pad", 0);
  double p = 2.0;
  if (kKind == PoolKind::kLp) {
    const Attribute* pa = node.attr("p");
    if (pa != nullptr) p = pa->kind == Attribute::Kind::kFloat ? pa->f : static_cast<double>(pa->i);
    if (!(p > 0)) return InvalidArgument("LpPool p must be positive");
  }
  std::vector<int64_t> cur = g.in;
  const T* src = X.data<T>();
  std::vector<T> bufs[2];
  std::vector<T> powered;
  if (kKind == PoolKind::kLp) {
    powered.resize(static_cast<size_t>(X.numel()));
    for (int64_t i = 0; i < X.numel(); ++i) {
      const double v = std::fabs(static_cast<double>(src[i]));
      powered[i] = static_cast<T>(p == 2.0 ? v * v : (p == 1.0 ? v : std::pow(v, p)));
    }
    src = powered.data();
  }
  int which = 0;
  for (size_t step = 0; step < R; ++step) {
    const size_t ax = R - 1 - step;
    std::vector<int64_t> next = cur;
    next[ax] = g.out[ax];
    const bool last = step + 1 == R;
    T* dst;
    if (last) {
      dst = Y.data<T>();
    } else {
      bufs[which].resize(static_cast<size_t>(planes * Prod(next)));
      dst = bufs[which].data();
    }
    std::vector<float> scale;
    if (kKind == PoolKind::kAvg) {
      scale.resize(g.out[ax]);
      for (int64_t o = 0; o < g.out[ax]; ++o) {
        int64_t cnt;
        if (count_include_pad) {
          // Taps inside [-pad_begin, in + pad_end).
          int64_t k0, k1;
          TapRange(o, g.stride[ax], 0, g.dilation[ax], g.kernel[ax], g.in[ax] + g.pad_begin[ax] + g.pad_end[ax], &k0, &k1);
          cnt = k1 - k0;
        } else {
          int64_t k0, k1;
          TapRange(o, g.stride[ax], g.pad_begin[ax], g.dilation[ax], g.kernel[ax], g.in[ax], &k0, &k1);
          cnt = k1 - k0;
        }
        scale[o] = cnt > 0 ? 1.0f / static_cast<float>(cnt) : 0.0f;
      }
    }
    PassAxis<kKind, T>(src, dst, planes * ProdRange(cur, 0, ax), cur[ax], g.out[ax], ProdRange(cur, ax + 1, cur.size()), g.stride[ax],
                       g.pad_begin[ax], g.dilation[ax], g.kernel[ax], scale.empty() ? nullptr : scale.data(), pool);
    src = dst;
    which ^= 1;
    cur = next;
  }
  if (kKind == PoolKind::kLp) {
    T* y = Y.data<T>();
    for (int64_t i = 0; i < Y.numel(); ++i) {
      const double v = static_cast<double>(y[i]);
      y[i] = static_cast<T>(p == 2.0 ? std::sqrt(v) : (p == 1.0 ? v : std::pow(v, 1.0 / p)));
    }
  }
  return Status::Ok();
}

// MaxPool with Indices: direct loop over each output position's window.
template <typename T>
void MaxPoolWithIndices(const Node& node, const SpatialGeometry& g, const Tensor& X, Tensor& Y, Tensor& I,
                        ThreadPool* pool) {
  const size_t R = g.rank();
  const int64_t planes = X.dim(0) * X.dim(1);
  const int64_t IS = Prod(g.in), OS = Prod(g.out), KS = Prod(g.kernel);
  const bool col_major = node.GetInt("storage_order", 0) == 1;
  const T* x = X.data<T>();
  T* y = Y.data<T>();
  int64_t* idx = I.data<int64_t>();
  pool->ParallelFor(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, OS * KS)), [&](int64_t b, int64_t e) {
    std::vector<int64_t> o(R), k(R), pos(R);
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xp = x + pl * IS;
      std::fill(o.begin(), o.end(), 0);
      for (int64_t oi = 0; oi < OS; ++oi) {
        T best = std::numeric_limits<T>::lowest();
        int64_t best_i = -1;
        std::fill(k.begin(), k.end(), 0);
        for (int64_t ki = 0; ki < KS; ++ki) {
          int64_t off = 0;
          bool valid = true;
          for (size_t dd = 0; dd < R; ++dd) {
            pos[dd] = o[dd] * g.stride[dd] - g.pad_begin[dd] + k[dd] * g.dilation[dd];
            if (pos[dd] < 0 || pos[dd] >= g.in[dd]) {
              valid = false;
              break;
            }
            off = off * g.in[dd] + pos[dd];
          }
          if (valid && (best_i < 0 || xp[off] > best)) {
            best = xp[off];
            if (col_major) {
              int64_t cm = 0, mul = 1;
              for (size_t dd = 0; dd < R; ++dd) {
                cm += pos[dd] * mul;
                mul *= g.in[dd];
              }
              best_i = cm;
            } else {
              best_i = off;
            }
          }
          for (size_t dd = R; dd-- > 0;) {
            if (++k[dd] < g.kernel[dd]) break;
            k[dd] = 0;
          }
        }
        y[pl * OS + oi] = best;
        idx[pl * OS + oi] = best_i < 0 ? -1 : pl * IS + best_i;
        for (size_t dd = R; dd-- > 0;) {
          if (++o[dd] < g.out[dd]) break;
          o[dd] = 0;
        }
      }
    }
  });
}

template <PoolKind kKind>
Status PoolCompute(KernelContext& ctx) {
  const Tensor& X = ctx.in(0);
  Tensor& Y = ctx.out(0);
  SpatialGeometry g;
  PX_RETURN_IF_ERROR(PoolGeometry(ctx.node, kKind, X.shape(), &g));
  if (Y.numel() == 0) return Status::Ok();
  const bool with_indices = kKind == PoolKind::kMax && ctx.outputs.size() > 1 && ctx.outputs[1] != nullptr;
  auto run = [&](auto tag) -> Status {
    using T = decltype(tag);
    if constexpr (kKind == PoolKind::kMax) {
      if (with_indices) {
        MaxPoolWithIndices<T>(ctx.node, g, X, Y, ctx.out(1), ctx.pool);
        return Status::Ok();
      }
    }
    return SeparablePool<kKind, T>(ctx.node, g, X, Y, ctx.pool);
  };
  switch (X.dtype()) {
    case DataType::kFloat32: return run(float{});
    case DataType::kFloat64: return run(double{});
    case DataType::kInt8:
      if constexpr (kKind == PoolKind::kMax) return run(int8_t{});
      break;
    case DataType::kUInt8:
      if constexpr (kKind == PoolKind::kMax) return run(uint8_t{});
      break;
    default:
      break;
  }
  return NotImplemented(std::string("pooling does not support dtype ") + DataTypeName(X.dtype()));
}

// ---- Global pools -------------------------------------------------------------------------

template <PoolKind kKind>
Status GlobalPoolInfer(InferContext& ctx) {
  if (ctx.num_inputs() < 1 || !ctx.has(0)) return InvalidArgument("expected input X");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64) {
    return NotImplemented(std::string("global pooling does not support dtype ") + DataTypeName(dt));
  }
  const Shape& x = ctx.in(0).shape;
  if (x.size() < 2) return InvalidArgument("input X has shape " + ShapeToString(x) + ", expected rank >= 2");
  Shape out = x;
  for (size_t i = 2; i < out.size(); ++i) out[i] = 1;
  ctx.SetOutput(0, dt, out);
  return Status::Ok();
}

template <PoolKind kKind, typename T>
__attribute__((optimize("tree-vectorize"))) void GlobalPoolRun(const Node& node, const Tensor& X, Tensor& Y,
                                                               ThreadPool* pool) {
  const int64_t planes = X.dim(0) * X.dim(1);
  const int64_t IS = planes == 0 ? 0 : X.numel() / planes;
  const T* x = X.data<T>();
  T* y = Y.data<T>();
  double p = 2.0;
  if (kKind == PoolKind::kLp) {
    const Attribute* pa = node.attr("p");
    if (pa != nullptr) p = pa->kind == Attribute::Kind::kFloat ? pa->f : static_cast<double>(pa->i);
  }
  pool->ParallelFor(planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, IS)), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xp = x + pl * IS;
      if constexpr (kKind == PoolKind::kMax) {
        T m = IS > 0 ? xp[0] : std::numeric_limits<T>::lowest();
        for (int64_t i = 1; i < IS; ++i) m = std::max(m, xp[i]);
        y[pl] = m;
      } else if constexpr (kKind == PoolKind::kAvg) {
        // 8 partial sums: vectorizable without reassociation flags, and more accurate.
        T acc[8] = {};
        int64_t i = 0;
        for (; i + 8 <= IS; i += 8) {
          for (int j = 0; j < 8; ++j) acc[j] += xp[i + j];
        }
        T s = 0;
        for (; i < IS; ++i) s += xp[i];
        for (int j = 0; j < 8; ++j) s += acc[j];
        y[pl] = IS > 0 ? static_cast<T>(s / static_cast<T>(IS)) : std::numeric_limits<T>::quiet_NaN();
      } else {
        double s = 0;
        for (int64_t i = 0; i < IS; ++i) s += std::pow(std::fabs(static_cast<double>(xp[i])), p);
        y[pl] = static_cast<T>(std::pow(s, 1.0 / p));
      }
    }
  });
}

template <PoolKind kKind>
Status GlobalPoolCompute(KernelContext& ctx) {
  const Tensor& X = ctx.in(0);
  Tensor& Y = ctx.out(0);
  if (Y.numel() == 0) return Status::Ok();
  if (X.dtype() == DataType::kFloat32) {
    GlobalPoolRun<kKind, float>(ctx.node, X, Y, ctx.pool);
  } else {
    GlobalPoolRun<kKind, double>(ctx.node, X, Y, ctx.pool);
  }
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> PoolRows() {
  return {
      {"MaxPool", "", 1, 0, PoolInfer<PoolKind::kMax>, PoolCompute<PoolKind::kMax>},
      {"AveragePool", "", 1, 0, PoolInfer<PoolKind::kAvg>, PoolCompute<PoolKind::kAvg>},
      {"LpPool", "", 1, 0, PoolInfer<PoolKind::kLp>, PoolCompute<PoolKind::kLp>},
      {"GlobalMaxPool", "", 1, 0, GlobalPoolInfer<PoolKind::kMax>, GlobalPoolCompute<PoolKind::kMax>},
      {"GlobalAveragePool", "", 1, 0, GlobalPoolInfer<PoolKind::kAvg>, GlobalPoolCompute<PoolKind::kAvg>},
      {"GlobalLpPool", "", 1, 0, GlobalPoolInfer<PoolKind::kLp>, GlobalPoolCompute<PoolKind::kLp>},
  };
}

}  // namespace parallax::ops
