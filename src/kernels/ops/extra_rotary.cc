// RotaryEmbedding (ai.onnx 23). X is 4-D (B, H, S, hd) or 3-D (B, S, H*hd) with the num_heads
// attribute. The first rd = rotary_embedding_dim (0: hd) features of every head are rotated:
// pairs (x1, x2) = halves (x[k], x[k + rd/2]) or, when interleaved, (x[2k], x[2k+1]):
//   x1' = cos*x1 - sin*x2,  x2' = sin*x1 + cos*x2
// with cos/sin = cos_cache[position_ids[b, s], k] (caches (max_pos, rd/2)) or, without
// position_ids, cos_cache[b, s, k] (caches (B, S, rd/2)). The rest is copied.
// float32, float64; float16 computed in float32.
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/ops/extra_common.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

struct RopeDims {
  int64_t B = 0, H = 0, S = 0, hd = 0, rd = 0;
  bool is3d = false;
};

Status RopeDimsOf(const Node& node, const Shape& x, RopeDims* d) {
  if (x.size() != 3 && x.size() != 4) return InvalidArgument("input must be 3-D or 4-D, got " + ShapeToString(x));
  d->is3d = x.size() == 3;
  d->B = x[0];
  if (d->is3d) {
    const int64_t nh = node.GetInt("num_heads", 0);
    if (nh <= 0) return InvalidArgument("3-D input needs a positive num_heads attribute");
    if (x[2] % nh != 0) return InvalidArgument("hidden size is not divisible by num_heads");
    d->H = nh;
    d->S = x[1];
    d->hd = x[2] / nh;
  } else {
    d->H = x[1];
    d->S = x[2];
    d->hd = x[3];
  }
  const int64_t rd = node.GetInt("rotary_embedding_dim", 0);
  d->rd = rd == 0 ? d->hd : rd;
  if (d->rd < 0 || d->rd > d->hd || d->rd % 2 != 0) {
    return InvalidArgument("rotary_embedding_dim must be even and <= head size " + std::to_string(d->hd));
  }
  return Status::Ok();
}

Status RopeInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1) || !ctx.has(2)) {
    return InvalidArgument("inputs 'input', 'cos_cache' and 'sin_cache' are required");
  }
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64 && dt != DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by RotaryEmbedding");
  }
  if (ctx.in(1).dtype != dt || ctx.in(2).dtype != dt) return InvalidArgument("cos/sin caches must have the input's dtype");
  RopeDims d;
  PX_RETURN_IF_ERROR(RopeDimsOf(ctx.node, ctx.in(0).shape, &d));
  const Shape& c = ctx.in(1).shape;
  if (c != ctx.in(2).shape) return InvalidArgument("cos_cache and sin_cache shapes differ");
  if (ctx.has(3)) {
    if (ctx.in(3).dtype != DataType::kInt64 && ctx.in(3).dtype != DataType::kInt32) {
      return InvalidArgument("position_ids must be int64");
    }
    if (ctx.in(3).shape != Shape{d.B, d.S}) {
      return InvalidArgument("position_ids shape " + ShapeToString(ctx.in(3).shape) + " must be (B, S)");
    }
    if (c.size() != 2 || c[1] != d.rd / 2) {
      return InvalidArgument("cos_cache shape " + ShapeToString(c) + " must be (max_position, " +
                             std::to_string(d.rd / 2) + ")");
    }
  } else if (c != Shape{d.B, d.S, d.rd / 2}) {
    return InvalidArgument("cos_cache shape " + ShapeToString(c) + " must be (" + std::to_string(d.B) + ", " +
                           std::to_string(d.S) + ", " + std::to_string(d.rd / 2) + ") without position_ids");
  }
  ctx.SetOutput(0, dt, ctx.in(0).shape);
  return Status::Ok();
}

template <typename T>
Status RopeTyped(KernelContext& ctx) {
  RopeDims d;
  PX_RETURN_IF_ERROR(RopeDimsOf(ctx.node, ctx.in(0).shape(), &d));
  const T* cc = ctx.in(1).data<T>();
  const T* sc = ctx.in(2).data<T>();
  const int64_t half = d.rd / 2;
  std::vector<int64_t> pos;
  if (ctx.has(3)) {
    PX_ASSIGN_OR_RETURN(pos, ReadInts(ctx.in(3)));
    const int64_t max_pos = ctx.in(1).dim(0);
    for (int64_t p : pos) {
      if (p < 0 || p >= max_pos) {
        return InvalidArgument("position id " + std::to_string(p) + " is outside [0, " + std::to_string(max_pos) + ")");
      }
    }
  }
  const bool inter = ctx.node.GetInt("interleaved", 0) != 0;
  const T* x = ctx.in(0).data<T>();
  T* y = ctx.out(0).data<T>();
  const int64_t hd = d.hd, H = d.H, S = d.S;
  const int64_t rows = d.B * H * S;
  ctx.pool->ParallelFor(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, hd)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      // r enumerates (b, s, h) for 3-D and (b, h, s) for 4-D: both are the memory order.
      int64_t b, s;
      if (d.is3d) {
        b = r / (S * H);
        s = (r / H) % S;
      } else {
        b = r / (H * S);
        s = r % S;
      }
      const int64_t crow = pos.empty() ? (b * S + s) : pos[b * S + s];
      const T* cr = cc + crow * half;
      const T* sr = sc + crow * half;
      const T* xr = x + r * hd;
      T* yr = y + r * hd;
      if (inter) {
        for (int64_t k = 0; k < half; ++k) {
          const T x1 = xr[2 * k], x2 = xr[2 * k + 1];
          yr[2 * k] = cr[k] * x1 - sr[k] * x2;
          yr[2 * k + 1] = sr[k] * x1 + cr[k] * x2;
        }
      } else {
        for (int64_t k = 0; k < half; ++k) {
          const T x1 = xr[k], x2 = xr[k + half];
          yr[k] = cr[k] * x1 - sr[k] * x2;
          yr[k + half] = sr[k] * x1 + cr[k] * x2;
        }
      }
      for (int64_t k = d.rd; k < hd; ++k) yr[k] = xr[k];
    }
  });
  return Status::Ok();
}

Status RopeFloat(KernelContext& ctx) { return RopeTyped<float>(ctx); }

Status RopeCompute(KernelContext& ctx) {
  switch (ctx.in(0).dtype()) {
    case DataType::kFloat32: return RopeTyped<float>(ctx);
    case DataType::kFloat64: return RopeTyped<double>(ctx);
    case DataType::kFloat16: return extra::RunHalfAsFloat(ctx, RopeFloat);
    default: return NotImplemented("RotaryEmbedding: unsupported dtype");
  }
}

}  // namespace

std::vector<KernelDef> ExtraRotaryKernels() {
  return {{"RotaryEmbedding", "", 23, 0, RopeInfer, RopeCompute, 0}};
}

}  // namespace parallax::ops
