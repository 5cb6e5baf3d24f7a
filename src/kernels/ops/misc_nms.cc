// NonMaxSuppression (opset 10, 11+): boxes [B, N, 4], scores [B, C, N], optional
// max_output_boxes_per_class (int64, default 0), iou_threshold (default 0), score_threshold
// (default: none). center_point_box 0: [y1, x1, y2, x2] (any corner order), 1: [xc, yc, w, h].
// Output int64 [selected, 3] of (batch, class, box), batch-major, class, then by score.
// The output size depends on the data, so infer always needs the input contents.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/kernel_util.h"

namespace parallax::ops {
namespace {

struct Box { float y1, x1, y2, x2; };

Status Validate(const InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("inputs 'boxes' and 'scores' are required");
  const ValueInfo& b = ctx.in(0);
  const ValueInfo& s = ctx.in(1);
  if (b.dtype != DataType::kFloat32 || s.dtype != DataType::kFloat32) {
    return NotImplemented("NonMaxSuppression supports float32 boxes and scores");
  }
  if (b.shape.size() != 3 || b.shape[2] != 4) {
    return InvalidArgument("input 'boxes' has shape " + ShapeToString(b.shape) +
                           ", expected [num_batches, spatial_dimension, 4]");
  }
  if (s.shape.size() != 3 || s.shape[0] != b.shape[0] || s.shape[2] != b.shape[1]) {
    return InvalidArgument("input 'scores' has shape " + ShapeToString(s.shape) + ", expected [" +
                           std::to_string(b.shape[0]) + ", num_classes, " +
                           std::to_string(b.shape[1]) + "]");
  }
  const int64_t cpb = ctx.node.GetInt("center_point_box", 0);
  if (cpb != 0 && cpb != 1) return InvalidArgument("attribute 'center_point_box' must be 0 or 1");
  return Status::Ok();
}

// Runs the selection; `sel` receives (batch, class, box) triples.
Status Select(const Node& node, const Tensor& boxes_t, const Tensor& scores_t, const Tensor* max_t,
              const Tensor* iou_t, const Tensor* score_t, std::vector<int64_t>* sel) {
  int64_t max_out = 0;
  double iou_thr = 0;
  bool use_score = false;
  double score_thr = 0;
  if (max_t && max_t->numel() > 0) {
    PX_ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInts(*max_t));
    max_out = v[0];
  }
  if (iou_t && iou_t->numel() > 0) {
    PX_ASSIGN_OR_RETURN(std::vector<double> v, ReadDoubles(*iou_t));
    iou_thr = v[0];
  }
  if (score_t && score_t->numel() > 0) {
    PX_ASSIGN_OR_RETURN(std::vector<double> v, ReadDoubles(*score_t));
    use_score = true;
    score_thr = v[0];
  }
  if (iou_thr < 0 || iou_thr > 1) return InvalidArgument("iou_threshold must be in [0, 1]");
  sel->clear();
  if (max_out <= 0) return Status::Ok();
  const int64_t nb = boxes_t.dim(0), n = boxes_t.dim(1), nc = scores_t.dim(1);
  const bool center = node.GetInt("center_point_box", 0) == 1;
  std::vector<Box> boxes(static_cast<size_t>(n));
  std::vector<float> area(static_cast<size_t>(n));
  std::vector<int64_t> cand, kept;
  for (int64_t b = 0; b < nb; ++b) {
    const float* bp = boxes_t.data<float>() + b * n * 4;
    for (int64_t i = 0; i < n; ++i) {
      const float* q = bp + i * 4;
      Box bx;
      if (center) {
        bx = {q[1] - q[3] / 2, q[0] - q[2] / 2, q[1] + q[3] / 2, q[0] + q[2] / 2};
      } else {
        bx = {std::min(q[0], q[2]), std::min(q[1], q[3]), std::max(q[0], q[2]), std::max(q[1], q[3])};
      }
      boxes[i] = bx;
      area[i] = (bx.y2 - bx.y1) * (bx.x2 - bx.x1);
    }
    for (int64_t c = 0; c < nc; ++c) {
      const float* sp = scores_t.data<float>() + (b * nc + c) * n;
      cand.clear();
      for (int64_t i = 0; i < n; ++i) {
        if (!use_score || sp[i] > score_thr) cand.push_back(i);
      }
      std::stable_sort(cand.begin(), cand.end(), [&](int64_t a, int64_t d) { return sp[a] > sp[d]; });
      kept.clear();
      for (int64_t i : cand) {
        if (static_cast<int64_t>(kept.size()) >= max_out) break;
        bool ok = true;
        for (int64_t j : kept) {
          const Box& p = boxes[i];
          const Box& r = boxes[j];
          const float ih = std::min(p.y2, r.y2) - std::max(p.y1, r.y1);
          const float iw = std::min(p.x2, r.x2) - std::max(p.x1, r.x1);
          if (ih <= 0 || iw <= 0) continue;
          const float inter = ih * iw;
          const float uni = area[i] + area[j] - inter;
          if (uni <= 0) continue;
          if (inter / uni > iou_thr) { ok = false; break; }
        }
        if (ok) kept.push_back(i);
      }
      for (int64_t i : kept) {
        sel->push_back(b);
        sel->push_back(c);
        sel->push_back(i);
      }
    }
  }
  return Status::Ok();
}

Status NmsInfer(InferContext& ctx) {
  PX_RETURN_IF_ERROR(Validate(ctx));
  for (size_t i = 0; i < 5; ++i) {
    if (ctx.has(i) && ctx.Value(i) == nullptr) return NeedsValue();
  }
  std::vector<int64_t> sel;
  PX_RETURN_IF_ERROR(Select(ctx.node, *ctx.Value(0), *ctx.Value(1), ctx.Value(2), ctx.Value(3),
                            ctx.Value(4), &sel));
  ctx.SetOutput(0, DataType::kInt64, {static_cast<int64_t>(sel.size() / 3), 3});
  return Status::Ok();
}

Status NmsCompute(KernelContext& ctx) {
  auto opt = [&](size_t i) { return ctx.has(i) ? &ctx.in(i) : nullptr; };
  std::vector<int64_t> sel;
  PX_RETURN_IF_ERROR(Select(ctx.node, ctx.in(0), ctx.in(1), opt(2), opt(3), opt(4), &sel));
  Tensor& out = ctx.out(0);
  if (static_cast<int64_t>(sel.size()) != out.numel()) {
    return Internal("NonMaxSuppression: output was sized for different data");
  }
  std::copy(sel.begin(), sel.end(), out.data<int64_t>());
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> MiscNmsKernels() {
  return {
      {"NonMaxSuppression", "", 10, 10, NmsInfer, NmsCompute},
      {"NonMaxSuppression", "", 11, 0, NmsInfer, NmsCompute},
  };
}

}  // namespace parallax::ops
