// A channel Concat read only by a 1x1 convolution is not made: the convolution reads its
// pieces (parallax::NhwcConv inputs 3, 4, ..., see kernels/ops/conv_nhwc.cc).
//
//   a ─┐
//   b ─┼─ Concat(axis 3) ─ NhwcConv 1x1   →   NhwcConv(a, W, B, b, c) 1x1
//   c ─┘
//
// Y = [a b c]·W is a·W_a + b·W_b + c·W_c over the rows of W each piece meets, so the packed
// kernel reads each piece in place. YOLOv8n's C2f blocks end this way (and its neck's Concat
// feeds C2f's first 1x1 convolution): 19 Concats, 4% of its single-thread time, were copies.
// Only where the packed kernel runs the convolution (group 1, 32+ channels in and out, stride
// 1, no padding); the NhwcConv kernel still joins the pieces itself where it cannot.
// PARALLAX_FUSE_CONCAT=off (read when a model loads) keeps the Concats, for A/B runs.
#include <cstdlib>
#include <cstring>

#include "ir/passes/fusion_util.h"
#include "ir/passes/passes.h"

namespace parallax {

using namespace fusion;

namespace {

// A 1x1, stride-1, unpadded, group-1 NhwcConv with constant weights the packed kernel takes.
bool PackedPointwise(const Graph& g, const Node& n) {
  if (n.op_type != "NhwcConv" || n.domain != "parallax" || n.inputs.size() > 3) return false;
  const Tensor* w = PointwiseConvWeight(g, n);
  return w != nullptr && w->rank() == 4 && w->dtype() == DataType::kFloat32 && w->dim(0) >= 32 &&
         w->dim(1) >= 32 && n.GetInt("group", 1) == 1;
}

}  // namespace

Status FuseConcatIntoPointwiseConv(Graph* g) {
  const char* env = std::getenv("PARALLAX_FUSE_CONCAT");
  if (env != nullptr && std::strcmp(env, "off") == 0) return Status::Ok();
  PX_RETURN_IF_ERROR(g->Link());
  std::vector<bool> removed(g->nodes.size(), false);
  const std::vector<bool> pinned = PinnedValues(*g);
  for (NodeId id = 0; id < static_cast<NodeId>(g->nodes.size()); ++id) {
    if (!PackedPointwise(*g, g->nodes[id])) continue;
    const ValueId x = g->nodes[id].inputs[0];
    const NodeId cat = g->values[x].producer;
    if (cat < 0 || removed[cat] || SoleConsumer(*g, pinned, x) != id) continue;
    const Node& concat = g->nodes[cat];
    if (concat.op_type != "Concat" || !(concat.domain.empty() || concat.domain == "ai.onnx") ||
        concat.GetInt("axis", 0) != 3 || concat.inputs.size() < 2) {
      continue;
    }
    bool ok = true;
    for (ValueId v : concat.inputs) ok = ok && v != kNoValue;
    if (!ok) continue;
    Node& conv = g->nodes[id];
    std::vector<ValueId> inputs = {concat.inputs[0], conv.inputs[1], conv.inputs.size() > 2 ? conv.inputs[2] : kNoValue};
    inputs.insert(inputs.end(), concat.inputs.begin() + 1, concat.inputs.end());
    conv.inputs = std::move(inputs);
    removed[cat] = true;
  }
  return Compact(g, removed);
}

}  // namespace parallax
