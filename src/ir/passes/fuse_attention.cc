// Scaled dot-product attention, as PyTorch exports it, becomes one parallax::FusedAttention:
//
//   Q ──MatMul(Q, Kᵀ)──[Mul(scale)]──[Add(mask)]──Softmax(axis -1)──MatMul(·, V)── O
//
// The kernel (kernels/ops/matmul_attention.cc) computes blocks of rows of the scores in a
// cache-sized scratch buffer, so the [.., M, N] score tensor — 54 MB per Whisper-encoder
// layer — is never written to memory nor planned in the arena. Inputs of the fused node:
// Q, Kᵀ, V, then the optional scale (multiplied) and mask (added), each broadcast to the
// scores' shape. Every intermediate must have the next node as its only consumer.
//
// Then the head transposes around it — Q and V from [B, S, H, E] by Transpose(0 2 1 3), Kᵀ by
// Transpose(0 2 3 1), the output back by Transpose(0 2 1 3) — are absorbed: the kernel reads
// and writes those layouts in place ("heads_interleaved"), so the four copies per layer go.
#include <algorithm>

#include "ir/passes/fusion_util.h"
#include "ir/passes/passes.h"

namespace parallax {

using namespace fusion;

namespace {

bool DeclaredNonFloat(const Graph& g, ValueId v) {
  const DataType dt = g.values[v].dtype;
  return dt != DataType::kUndefined && dt != DataType::kFloat32;
}

// Absorbs the transposes on node `att`'s inputs and output that only move the head axis.
void AbsorbHeadTransposes(Graph* g, NodeId att, const std::vector<bool>& pinned, std::vector<bool>& removed) {
  static const std::vector<int64_t> kHeads = {0, 2, 1, 3}, kKeys = {0, 2, 3, 1};
  Node& f = g->nodes[att];
  std::vector<int64_t> flags(4, 0);
  for (int i = 0; i < 3; ++i) {
    const ValueId x = f.inputs[i];
    const NodeId t = g->values[x].producer;
    if (!Is(*g, t, "Transpose", removed) || g->nodes[t].GetInts("perm") != (i == 1 ? kKeys : kHeads)) continue;
    if (SoleConsumer(*g, pinned, x) != att || std::count(f.inputs.begin(), f.inputs.end(), x) != 1) continue;
    f.inputs[i] = g->nodes[t].inputs[0];
    flags[i] = 1;
    removed[t] = true;
  }
  const NodeId t = SoleConsumer(*g, pinned, f.outputs[0]);
  if (Is(*g, t, "Transpose", removed) && g->nodes[t].GetInts("perm") == kHeads) {
    f.outputs[0] = g->nodes[t].outputs[0];
    flags[3] = 1;
    removed[t] = true;
  }
  if (std::count(flags.begin(), flags.end(), 1) == 0) return;
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = flags;
  f.attrs["heads_interleaved"] = a;
}

}  // namespace

Status FuseAttention(Graph* g) {
  std::vector<bool> removed(g->nodes.size(), false);
  const std::vector<bool> pinned = PinnedValues(*g);
  const NodeId count = static_cast<NodeId>(g->nodes.size());
  for (NodeId sm = 0; sm < count; ++sm) {
    if (!Is(*g, sm, "Softmax", removed)) continue;
    const Node& softmax = g->nodes[sm];
    if (softmax.GetInt("axis", softmax.opset < 13 ? 1 : -1) != -1) continue;
    const NodeId mm2 = SoleConsumer(*g, pinned, softmax.outputs[0]);
    if (!Is(*g, mm2, "MatMul", removed) || g->nodes[mm2].inputs[0] != softmax.outputs[0]) continue;

    // Walk back from the softmax input: [Add(mask)] then [Mul(scale)] then MatMul.
    std::vector<NodeId> chain = {sm};
    ValueId x = softmax.inputs[0], mask = kNoValue, scale = kNoValue;
    auto sole_into = [&](ValueId v, NodeId consumer) { return SoleConsumer(*g, pinned, v) == consumer; };
    NodeId p = g->values[x].producer;
    if (Is(*g, p, "Add", removed) && sole_into(x, chain.back())) {
      // The scores side is MatMul's output, or a Mul of it; the other operand is the mask.
      const Node& add = g->nodes[p];
      auto scores_side = [&](ValueId v) {
        const NodeId q = g->values[v].producer;
        if (Is(*g, q, "MatMul", removed)) return true;
        if (!Is(*g, q, "Mul", removed)) return false;
        for (ValueId in : g->nodes[q].inputs) {
          if (Is(*g, g->values[in].producer, "MatMul", removed)) return true;
        }
        return false;
      };
      const bool s0 = scores_side(add.inputs[0]), s1 = scores_side(add.inputs[1]);
      if (s0 == s1) continue;  // neither, or ambiguous
      x = add.inputs[s0 ? 0 : 1];
      mask = add.inputs[s0 ? 1 : 0];
      chain.push_back(p);
      p = g->values[x].producer;
    }
    if (Is(*g, p, "Mul", removed) && sole_into(x, chain.back())) {
      const Node& mul = g->nodes[p];
      const NodeId q0 = g->values[mul.inputs[0]].producer, q1 = g->values[mul.inputs[1]].producer;
      const int side = Is(*g, q0, "MatMul", removed) ? 0 : Is(*g, q1, "MatMul", removed) ? 1 : -1;
      if (side < 0) continue;
      scale = mul.inputs[1 - side];
      x = mul.inputs[side];
      chain.push_back(p);
      p = g->values[x].producer;
    }
    if (!Is(*g, p, "MatMul", removed) || !sole_into(x, chain.back())) continue;
    const Node& mm1 = g->nodes[p];
    if (DeclaredNonFloat(*g, mm1.inputs[0]) || DeclaredNonFloat(*g, g->nodes[mm2].inputs[1])) continue;
    chain.push_back(p);

    Node& fused = g->nodes[mm2];
    const ValueId v = fused.inputs[1];
    fused.op_type = "FusedAttention";
    fused.domain = "parallax";
    fused.opset = 1;
    fused.inputs = {mm1.inputs[0], mm1.inputs[1], v, scale, mask};
    while (fused.inputs.back() == kNoValue) fused.inputs.pop_back();
    fused.attrs.clear();
    for (NodeId n : chain) removed[n] = true;
  }
  PX_RETURN_IF_ERROR(Compact(g, removed));

  removed.assign(g->nodes.size(), false);
  for (NodeId n = 0; n < static_cast<NodeId>(g->nodes.size()); ++n) {
    const Node& node = g->nodes[n];
    if (node.op_type == "FusedAttention" && node.domain == "parallax" && !node.attr("heads_interleaved")) {
      AbsorbHeadTransposes(g, n, pinned, removed);
    }
  }
  return Compact(g, removed);
}

}  // namespace parallax
