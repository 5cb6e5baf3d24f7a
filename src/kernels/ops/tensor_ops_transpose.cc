// Transpose, Tile, DepthToSpace and SpaceToDepth: all are one strided copy over a view of the
// input (tensor_detail::StridedCopy has the tiled 2-D path and the last-dim memcpy path).
#include <algorithm>

#include "kernels/ops/tensor_ops.h"
#include "kernels/ops/tensor_ops_common.h"

namespace parallax::ops {
namespace {

using tensor_detail::Str;

// ---- Transpose -------------------------------------------------------------------------

Status GetPerm(const Node& node, int64_t r, std::vector<int64_t>* perm) {
  if (node.attr("perm") == nullptr) {
    perm->resize(r);
    for (int64_t i = 0; i < r; ++i) (*perm)[i] = r - 1 - i;
    return Status::Ok();
  }
  *perm = node.GetInts("perm");
  if (static_cast<int64_t>(perm->size()) != r)
    return InvalidArgument("perm " + ShapeToString(*perm) + " has " + Str(perm->size()) + " entries, input has rank " + Str(r));
  std::vector<bool> seen(r, false);
  for (int64_t& p : *perm) {
    if (p < -r || p >= r) return InvalidArgument("perm " + ShapeToString(*perm) + " is not a permutation");
    if (p < 0) p += r;
    if (seen[p]) return InvalidArgument("perm " + ShapeToString(*perm) + " is not a permutation");
    seen[p] = true;
  }
  return Status::Ok();
}

Status TransposeInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'data'");
  const Shape& in = ctx.in(0).shape;
  std::vector<int64_t> perm;
  PX_RETURN_IF_ERROR(GetPerm(ctx.node, static_cast<int64_t>(in.size()), &perm));
  Shape out(in.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = in[perm[i]];
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

Status TransposeCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  std::vector<int64_t> perm;
  PX_RETURN_IF_ERROR(GetPerm(ctx.node, in.rank(), &perm));
  const std::vector<int64_t> st = Strides(in.shape());
  std::vector<int64_t> strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) strides[i] = st[perm[i]];
  return tensor_detail::StridedCopy(in, 0, ctx.out(0), ctx.out(0).shape(), strides, ctx.pool);
}

// ---- Tile ------------------------------------------------------------------------------

Status TileInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("expected inputs 'input' and 'repeats'");
  const Shape& in = ctx.in(0).shape;
  if (ctx.in(1).shape.size() != 1)
    return InvalidArgument("repeats must be 1-D, got " + ShapeToString(ctx.in(1).shape));
  std::vector<int64_t> rep;
  PX_RETURN_IF_ERROR(tensor_detail::ReadIntsInput(ctx, 1, "repeats", &rep));
  if (rep.size() != in.size())
    return InvalidArgument("repeats " + ShapeToString(rep) + " must have one entry per input dim (rank " + Str(in.size()) + ")");
  Shape out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (rep[i] < 0) return InvalidArgument("repeats " + ShapeToString(rep) + " has a negative entry");
    if (in[i] != 0 && rep[i] > (int64_t{1} << 62) / in[i]) return InvalidArgument("output shape is too large");
    out[i] = in[i] * rep[i];
  }
  if (NumElements(out) < 0) return InvalidArgument("output shape is too large");
  ctx.SetOutput(0, ctx.in(0).dtype, std::move(out));
  return Status::Ok();
}

Status TileCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  const std::vector<int64_t> st = Strides(in.shape());
  Shape view;
  std::vector<int64_t> strides;
  for (int64_t d = 0; d < in.rank(); ++d) {
    const int64_t rep = in.shape()[d] == 0 ? 0 : out.shape()[d] / in.shape()[d];
    view.push_back(rep);
    strides.push_back(0);
    view.push_back(in.shape()[d]);
    strides.push_back(st[d]);
  }
  return tensor_detail::StridedCopy(in, 0, out, view, strides, ctx.pool);
}

// ---- DepthToSpace / SpaceToDepth -------------------------------------------------------

Status BlockSize(const Node& node, int64_t* b) {
  if (node.attr("blocksize") == nullptr) return InvalidArgument("missing attribute 'blocksize'");
  *b = node.GetInt("blocksize", 0);
  if (*b < 1 || *b > (1 << 20)) return InvalidArgument("blocksize must be in [1, 2^20], got " + Str(*b));
  return Status::Ok();
}

Status DepthToSpaceInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'input'");
  const Shape& in = ctx.in(0).shape;
  if (in.size() != 4) return InvalidArgument("input must be 4-D, got " + ShapeToString(in));
  int64_t b;
  PX_RETURN_IF_ERROR(BlockSize(ctx.node, &b));
  if (in[1] % (b * b) != 0)
    return InvalidArgument("channels " + Str(in[1]) + " are not divisible by blocksize^2 = " + Str(b * b));
  const std::string mode = ctx.node.GetString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") return InvalidArgument("mode must be DCR or CRD, got '" + mode + "'");
  ctx.SetOutput(0, ctx.in(0).dtype, {in[0], in[1] / (b * b), in[2] * b, in[3] * b});
  return Status::Ok();
}

Status DepthToSpaceCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  int64_t b;
  PX_RETURN_IF_ERROR(BlockSize(ctx.node, &b));
  const int64_t N = in.shape()[0], C = in.shape()[1], H = in.shape()[2], W = in.shape()[3];
  const int64_t c = C / (b * b), hw = H * W;
  int64_t s_c, s_b1, s_b2;
  if (ctx.node.GetString("mode", "DCR") == "CRD") {
    s_c = b * b * hw, s_b1 = b * hw, s_b2 = hw;
  } else {
    s_b1 = b * c * hw, s_b2 = c * hw, s_c = hw;
  }
  return tensor_detail::StridedCopy(in, 0, ctx.out(0), {N, c, H, b, W, b},
                                    {C * hw, s_c, W, s_b1, 1, s_b2}, ctx.pool);
}

Status SpaceToDepthInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("expected input 'input'");
  const Shape& in = ctx.in(0).shape;
  if (in.size() != 4) return InvalidArgument("input must be 4-D, got " + ShapeToString(in));
  int64_t b;
  PX_RETURN_IF_ERROR(BlockSize(ctx.node, &b));
  if (in[2] % b != 0 || in[3] % b != 0)
    return InvalidArgument("height and width of " + ShapeToString(in) + " must be divisible by blocksize " + Str(b));
  ctx.SetOutput(0, ctx.in(0).dtype, {in[0], in[1] * b * b, in[2] / b, in[3] / b});
  return Status::Ok();
}

Status SpaceToDepthCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  int64_t b;
  PX_RETURN_IF_ERROR(BlockSize(ctx.node, &b));
  const int64_t N = in.shape()[0], C = in.shape()[1], H = in.shape()[2], W = in.shape()[3];
  // input viewed as [N, C, H/b, b1, W/b, b2]; output is [N, b1, b2, C, H/b, W/b].
  return tensor_detail::StridedCopy(in, 0, ctx.out(0), {N, b, b, C, H / b, W / b},
                                    {C * H * W, W, 1, H * W, b * W, b}, ctx.pool);
}

}  // namespace

std::vector<KernelDef> TensorTransposeRows() {
  return {
      {"Transpose", "", 1, 12, TransposeInfer, TransposeCompute},
      {"Transpose", "", 13, 0, TransposeInfer, TransposeCompute},
      {"Tile", "", 6, 12, TileInfer, TileCompute},
      {"Tile", "", 13, 0, TileInfer, TileCompute},
      {"DepthToSpace", "", 1, 10, DepthToSpaceInfer, DepthToSpaceCompute},
      {"DepthToSpace", "", 11, 12, DepthToSpaceInfer, DepthToSpaceCompute},
      {"DepthToSpace", "", 13, 0, DepthToSpaceInfer, DepthToSpaceCompute},
      {"SpaceToDepth", "", 1, 12, SpaceToDepthInfer, SpaceToDepthCompute},
      {"SpaceToDepth", "", 13, 0, SpaceToDepthInfer, SpaceToDepthCompute},
  };
}

}  // namespace parallax::ops
