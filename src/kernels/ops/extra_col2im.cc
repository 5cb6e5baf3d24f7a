// Col2Im (ai.onnx 18): the inverse of im2col. input (N, C*prod(block_shape), L) with the
// image_shape and block_shape 1-D int64 inputs (r values each) and the dilations, pads
// (begin..., end...) and strides attributes; L must equal prod over dims of the block count
//   n_i = (image_i + pad_begin_i + pad_end_i - dilation_i*(block_i-1) - 1) / stride_i + 1.
// Output (N, C, image_shape...): every column value is added at its image position (positions
// in the padding are dropped). float32, float64; float16 computed in float32.
#include <algorithm>
#include <string>
#include <vector>

#include "kernels/ops/extra_common.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

struct Col2ImPlan {
  std::vector<int64_t> image, block, dil, pads, strides, ncol;
  int64_t C = 0, K = 1, L = 1;
};

Status MakePlan(const Node& node, const Shape& x, const Tensor& image_t, const Tensor& block_t, Col2ImPlan* p) {
  if (x.size() != 3) return InvalidArgument("input must be 3-D (N, C*prod(block_shape), L), got " + ShapeToString(x));
  PX_ASSIGN_OR_RETURN(p->image, ReadInts(image_t));
  PX_ASSIGN_OR_RETURN(p->block, ReadInts(block_t));
  const size_t r = p->image.size();
  if (r == 0 || p->block.size() != r || image_t.rank() != 1 || block_t.rank() != 1) {
    return InvalidArgument("image_shape and block_shape must be 1-D with the same, non-zero length");
  }
  p->dil = node.GetInts("dilations");
  p->pads = node.GetInts("pads");
  p->strides = node.GetInts("strides");
  if (p->dil.empty()) p->dil.assign(r, 1);
  if (p->pads.empty()) p->pads.assign(2 * r, 0);
  if (p->strides.empty()) p->strides.assign(r, 1);
  if (p->dil.size() != r || p->pads.size() != 2 * r || p->strides.size() != r) {
    return InvalidArgument("dilations/strides need " + std::to_string(r) + " values and pads " + std::to_string(2 * r));
  }
  p->K = 1;
  p->L = 1;
  p->ncol.assign(r, 0);
  for (size_t i = 0; i < r; ++i) {
    if (p->image[i] < 0 || p->block[i] <= 0 || p->dil[i] <= 0 || p->strides[i] <= 0 || p->pads[i] < 0 ||
        p->pads[i + r] < 0) {
      return InvalidArgument("image/block shapes, dilations, strides and pads must be positive");
    }
    p->K *= p->block[i];
    const int64_t span = p->image[i] + p->pads[i] + p->pads[i + r] - p->dil[i] * (p->block[i] - 1) - 1;
    if (span < 0) return InvalidArgument("the block does not fit in the padded image");
    p->ncol[i] = span / p->strides[i] + 1;
    p->L *= p->ncol[i];
  }
  if (x[1] % p->K != 0) {
    return InvalidArgument("input dim 1 (" + std::to_string(x[1]) + ") is not a multiple of prod(block_shape) (" +
                           std::to_string(p->K) + ")");
  }
  if (x[2] != p->L) {
    return InvalidArgument("input dim 2 (" + std::to_string(x[2]) + ") must equal the number of blocks (" +
                           std::to_string(p->L) + ")");
  }
  p->C = x[1] / p->K;
  return Status::Ok();
}

Status Col2ImInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1) || !ctx.has(2)) return InvalidArgument("inputs input, image_shape, block_shape are required");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64 && dt != DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by Col2Im");
  }
  const Tensor* im = ctx.Value(1);
  const Tensor* bl = ctx.Value(2);
  if (im == nullptr || bl == nullptr) return NeedsValue();
  Col2ImPlan p;
  PX_RETURN_IF_ERROR(MakePlan(ctx.node, ctx.in(0).shape, *im, *bl, &p));
  Shape out{ctx.in(0).shape[0], p.C};
  out.insert(out.end(), p.image.begin(), p.image.end());
  ctx.SetOutput(0, dt, out);
  return Status::Ok();
}

template <typename T>
Status Col2ImTyped(KernelContext& ctx) {
  Col2ImPlan p;
  PX_RETURN_IF_ERROR(MakePlan(ctx.node, ctx.in(0).shape(), ctx.in(1), ctx.in(2), &p));
  const int64_t N = ctx.in(0).dim(0), r = static_cast<int64_t>(p.image.size());
  int64_t img = 1;
  for (int64_t d : p.image) img *= d;
  const T* x = ctx.in(0).data<T>();
  T* y = ctx.out(0).data<T>();
  std::fill(y, y + ctx.out(0).numel(), T(0));
  std::vector<int64_t> istr(r, 1);
  for (int64_t i = r - 2; i >= 0; --i) istr[i] = istr[i + 1] * p.image[i + 1];
  ctx.pool->ParallelFor(N * p.C, 1, [&](int64_t b, int64_t e) {
    std::vector<int64_t> kidx(r), cidx(r);
    for (int64_t nc = b; nc < e; ++nc) {
      T* yo = y + nc * img;
      const T* xc = x + nc * p.K * p.L;
      for (int64_t k = 0; k < p.K; ++k) {
        for (int64_t i = r - 1, rem = k; i >= 0; --i) {
          kidx[i] = rem % p.block[i];
          rem /= p.block[i];
        }
        std::fill(cidx.begin(), cidx.end(), 0);
        for (int64_t l = 0; l < p.L; ++l) {
          int64_t off = 0;
          bool inside = true;
          for (int64_t i = 0; i < r; ++i) {
            const int64_t pos = cidx[i] * p.strides[i] - p.pads[i] + kidx[i] * p.dil[i];
            if (pos < 0 || pos >= p.image[i]) {
              inside = false;
              break;
            }
            off += pos * istr[i];
          }
          if (inside) yo[off] += xc[k * p.L + l];
          for (int64_t i = r - 1; i >= 0; --i) {
            if (++cidx[i] < p.ncol[i]) break;
            cidx[i] = 0;
          }
        }
      }
    }
  });
  return Status::Ok();
}

Status Col2ImFloat(KernelContext& ctx) { return Col2ImTyped<float>(ctx); }

Status Col2ImCompute(KernelContext& ctx) {
  switch (ctx.in(0).dtype()) {
    case DataType::kFloat32: return Col2ImTyped<float>(ctx);
    case DataType::kFloat64: return Col2ImTyped<double>(ctx);
    case DataType::kFloat16: return extra::RunHalfAsFloat(ctx, Col2ImFloat);
    default: return NotImplemented("Col2Im: unsupported dtype");
  }
}

}  // namespace

std::vector<KernelDef> ExtraCol2ImKernels() {
  return {{"Col2Im", "", 18, 0, Col2ImInfer, Col2ImCompute}};
}

}  // namespace parallax::ops
