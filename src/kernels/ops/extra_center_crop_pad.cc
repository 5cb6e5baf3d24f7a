// CenterCropPad (ai.onnx 18): crops or zero-pads input_data to `shape` (1-D int64 input, one
// entry per axis in the `axes` attribute, default all axes), centred: a crop of d elements
// starts at floor(d/2), a pad of d elements puts floor(d/2) before. Any dtype.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/kernel_util.h"

namespace parallax::ops {
namespace {

// Output shape, and per axis the source start (crop) and destination start (pad).
Status CropPadPlan(const Node& node, const Shape& in, const Tensor& shape_t, Shape* out,
                   std::vector<int64_t>* src0, std::vector<int64_t>* dst0) {
  const int64_t rank = static_cast<int64_t>(in.size());
  PX_ASSIGN_OR_RETURN(std::vector<int64_t> sh, ReadInts(shape_t));
  std::vector<int64_t> axes = node.GetInts("axes");
  if (node.attr("axes") == nullptr) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  if (shape_t.rank() != 1 || sh.size() != axes.size()) {
    return InvalidArgument("input 'shape' must be 1-D with one value per axis (" + std::to_string(axes.size()) +
                           "), got " + ShapeToString(shape_t.shape()));
  }
  *out = in;
  src0->assign(rank, 0);
  dst0->assign(rank, 0);
  std::vector<bool> seen(rank, false);
  for (size_t k = 0; k < axes.size(); ++k) {
    PX_ASSIGN_OR_RETURN(int64_t a, NormalizeAxis(axes[k], rank));
    if (seen[a]) return InvalidArgument("axes contains a duplicate axis");
    seen[a] = true;
    if (sh[k] < 0) return InvalidArgument("shape values must be >= 0");
    const int64_t dim = in[a];
    (*out)[a] = sh[k];
    if (sh[k] < dim) (*src0)[a] = (dim - sh[k]) / 2;
    else (*dst0)[a] = (sh[k] - dim) / 2;
  }
  return Status::Ok();
}

Status CropPadInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("inputs 'input_data' and 'shape' are required");
  if (ctx.in(1).dtype != DataType::kInt64 && ctx.in(1).dtype != DataType::kInt32) {
    return InvalidArgument("input 'shape' must be int64");
  }
  if (DataTypeSize(ctx.in(0).dtype) == 0) return NotImplemented("CenterCropPad: unsupported dtype");
  const Tensor* s = ctx.Value(1);
  if (s == nullptr) return NeedsValue();
  Shape out;
  std::vector<int64_t> a, b;
  PX_RETURN_IF_ERROR(CropPadPlan(ctx.node, ctx.in(0).shape, *s, &out, &a, &b));
  ctx.SetOutput(0, ctx.in(0).dtype, out);
  return Status::Ok();
}

Status CropPadCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  Shape os;
  std::vector<int64_t> src0, dst0;
  PX_RETURN_IF_ERROR(CropPadPlan(ctx.node, in.shape(), ctx.in(1), &os, &src0, &dst0));
  std::memset(out.raw(), 0, out.nbytes());
  const int64_t rank = in.rank();
  // The copied block: per axis min(in, out) elements.
  Shape block(rank);
  for (int64_t i = 0; i < rank; ++i) block[i] = std::min(in.shape()[i], os[i]);
  if (NumElements(block) == 0) return Status::Ok();
  const std::vector<int64_t> is = Strides(in.shape()), ost = Strides(os);
  const size_t es = DataTypeSize(in.dtype());
  const int64_t inner = rank == 0 ? 1 : block[rank - 1];
  const int64_t rows = rank == 0 ? 1 : NumElements(block) / std::max<int64_t>(1, inner);
  std::vector<int64_t> idx(rank, 0);
  const char* src = static_cast<const char*>(in.raw());
  char* dst = static_cast<char*>(out.raw());
  for (int64_t r = 0; r < rows; ++r) {
    int64_t so = 0, doff = 0;
    for (int64_t i = 0; i < rank; ++i) {
      so += (idx[i] + src0[i]) * is[i];
      doff += (idx[i] + dst0[i]) * ost[i];
    }
    std::memcpy(dst + doff * es, src + so * es, static_cast<size_t>(inner) * es);
    for (int64_t i = rank - 2; i >= 0; --i) {
      if (++idx[i] < block[i]) break;
      idx[i] = 0;
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> ExtraCenterCropPadKernels() {
  return {{"CenterCropPad", "", 18, 0, CropPadInfer, CropPadCompute}};
}

}  // namespace parallax::ops
