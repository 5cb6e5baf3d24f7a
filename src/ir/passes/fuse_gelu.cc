// GELU (erf form), as PyTorch exports it, becomes one parallax::Gelu node:
//
//   x ──Div(√2)──Erf──Add(1)──┐
//   └─────────────────────────Mul──Mul(0.5)── y        (or Mul(x, 0.5) first, then Mul)
#include "ir/passes/fusion_util.h"
#include "ir/passes/passes.h"

namespace parallax {

using namespace fusion;

Status FuseGelu(Graph* g) {
  std::vector<bool> removed(g->nodes.size(), false);
  const std::vector<bool> pinned = PinnedValues(*g);
  for (NodeId erf = 0; erf < static_cast<NodeId>(g->nodes.size()); ++erf) {
    if (!Is(*g, erf, "Erf", removed)) continue;
    const ValueId d = g->nodes[erf].inputs[0];
    const NodeId div = g->values[d].producer;
    if (!Is(*g, div, "Div", removed) || SoleConsumer(*g, pinned, d) != erf) continue;
    if (!IsScalarConstant(*g, g->nodes[div].inputs[1], 1.41421356f)) continue;
    const ValueId x = g->nodes[div].inputs[0];
    const NodeId add = SoleConsumer(*g, pinned, g->nodes[erf].outputs[0]);
    if (!Is(*g, add, "Add", removed)) continue;
    const Node& an = g->nodes[add];
    ValueId one = an.inputs[0] == g->nodes[erf].outputs[0] ? an.inputs[1] : an.inputs[0];
    if (!IsScalarConstant(*g, one, 1.0f)) continue;
    const NodeId mul1 = SoleConsumer(*g, pinned, an.outputs[0]);
    if (!Is(*g, mul1, "Mul", removed)) continue;
    const Node& m1 = g->nodes[mul1];
    const ValueId other = m1.inputs[0] == an.outputs[0] ? m1.inputs[1] : m1.inputs[0];
    NodeId last = -1, half_node = -1;
    if (other == x) {  // x * (1 + erf) then * 0.5
      last = SoleConsumer(*g, pinned, m1.outputs[0]);
      if (!Is(*g, last, "Mul", removed)) continue;
      const Node& m2 = g->nodes[last];
      ValueId c = m2.inputs[0] == m1.outputs[0] ? m2.inputs[1] : m2.inputs[0];
      if (!IsScalarConstant(*g, c, 0.5f)) continue;
    } else {  // (x * 0.5) * (1 + erf)
      half_node = g->values[other].producer;
      if (!Is(*g, half_node, "Mul", removed) || SoleConsumer(*g, pinned, other) != mul1) continue;
      const Node& h = g->nodes[half_node];
      ValueId c = h.inputs[0] == x ? h.inputs[1] : h.inputs[0];
      if (!IsProductOf(h, x, c) || !IsScalarConstant(*g, c, 0.5f)) continue;
      last = mul1;
    }
    // Rewrite: Div becomes Gelu(x) -> y; the rest goes.
    Node& gelu = g->nodes[div];
    gelu.op_type = "Gelu";
    gelu.domain = "parallax";
    gelu.opset = 1;
    gelu.inputs = {x};
    gelu.outputs = {g->nodes[last].outputs[0]};
    gelu.attrs.clear();
    for (NodeId n : {erf, add, mul1, last, half_node}) {
      if (n >= 0) removed[n] = true;
    }
  }
  return Compact(g, removed);
}

}  // namespace parallax
