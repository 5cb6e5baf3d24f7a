// Epilogue fusions: work that can ride on a Conv or MatMul's output while it is in cache.
//
//   Conv ─┬─ Sigmoid ─┐
//         └───────────Mul   →  Conv{activation=Silu}        (YOLO's SiLU)
//   Conv ── Relu / Sigmoid / LeakyRelu / HardSwish / Clip(const)  →  Conv{activation=...}
//   MatMul(A, W[K,N]) ── Add(bias[N])  →  parallax::FusedMatMul(A, W, bias)
//   FusedMatMul ── Gelu / Relu         →  FusedMatMul{activation=...}
//   FusedMatMul ── x·Sigmoid(β·x)      →  FusedMatMul{activation=Silu, activation_beta=β}
//   Sigmoid(x) ── Mul(x, ·)            →  parallax::Silu(x)
#include "ir/passes/fusion_util.h"
#include "ir/passes/passes.h"

namespace parallax {

using namespace fusion;

namespace {

void SetString(Node* n, const std::string& key, const std::string& value) {
  Attribute a;
  a.kind = Attribute::Kind::kString;
  a.s = value;
  n->attrs[key] = a;
}
void SetFloat(Node* n, const std::string& key, float value) {
  Attribute a;
  a.kind = Attribute::Kind::kFloat;
  a.f = value;
  n->attrs[key] = a;
}

bool HasActivation(const Node& n) { return !n.GetString("activation", "").empty(); }

// If `x` feeds exactly Sigmoid(x) and Mul(x, sigmoid) — and nothing else — returns the Mul.
NodeId MatchSilu(const Graph& g, const std::vector<bool>& pinned, const std::vector<bool>& removed,
                 ValueId x, NodeId* sigmoid) {
  if (x == kNoValue || pinned[x] || g.values[x].consumers.size() != 2) return -1;
  NodeId a = g.values[x].consumers[0], b = g.values[x].consumers[1];
  if (Is(g, b, "Sigmoid", removed)) std::swap(a, b);
  if (!Is(g, a, "Sigmoid", removed) || !Is(g, b, "Mul", removed)) return -1;
  const ValueId s = g.nodes[a].outputs[0];
  if (SoleConsumer(g, pinned, s) != b) return -1;
  if (!IsProductOf(g.nodes[b], x, s)) return -1;
  *sigmoid = a;
  return b;
}

// CLIP's QuickGELU, x·sigmoid(β·x): if `x` feeds exactly Mul(x, β) → Sigmoid → Mul(x, ·) with
// β a float scalar constant, returns the last Mul and sets *beta and the two other nodes.
NodeId MatchScaledSilu(const Graph& g, const std::vector<bool>& pinned, const std::vector<bool>& removed,
                       ValueId x, float* beta, NodeId* scale, NodeId* sigmoid) {
  if (x == kNoValue || pinned[x] || g.values[x].consumers.size() != 2) return -1;
  for (int first = 0; first < 2; ++first) {
    const NodeId m1 = g.values[x].consumers[first], m2 = g.values[x].consumers[1 - first];
    if (!Is(g, m1, "Mul", removed) || !Is(g, m2, "Mul", removed) || m1 == m2) continue;
    const Node& s = g.nodes[m1];
    const ValueId c = s.inputs[0] == x ? s.inputs[1] : s.inputs[0];
    float b = 0;
    if (!IsProductOf(s, x, c) || !ScalarConstant(g, c, &b)) continue;
    const NodeId sg = SoleConsumer(g, pinned, s.outputs[0]);
    if (!Is(g, sg, "Sigmoid", removed) || SoleConsumer(g, pinned, g.nodes[sg].outputs[0]) != m2) continue;
    if (!IsProductOf(g.nodes[m2], x, g.nodes[sg].outputs[0])) continue;
    *beta = b;
    *scale = m1;
    *sigmoid = sg;
    return m2;
  }
  return -1;
}

// Folds a single-consumer activation node after `producer` into its "activation" attribute.
bool FoldActivation(Graph* g, const std::vector<bool>& pinned, std::vector<bool>* removed,
                    NodeId producer, bool conv) {
  Node& p = g->nodes[producer];
  const NodeId c = SoleConsumer(*g, pinned, p.outputs[0]);
  if (c < 0 || (*removed)[c]) return false;
  const Node& act = g->nodes[c];
  const bool default_domain = act.domain.empty();
  std::string kind;
  if (default_domain && act.op_type == "Relu") kind = "Relu";
  else if (act.op_type == "Gelu" && (act.domain == "parallax" || act.GetString("approximate", "none") == "none")) kind = "Gelu";
  else if (conv && default_domain && act.op_type == "Sigmoid") kind = "Sigmoid";
  else if (conv && default_domain && act.op_type == "HardSwish") kind = "HardSwish";
  else if (conv && default_domain && act.op_type == "LeakyRelu") {
    kind = "LeakyRelu";
    SetFloat(&p, "activation_alpha", act.GetFloat("alpha", 0.01f));
  } else if (conv && default_domain && act.op_type == "Clip") {
    float lo = -3.4e38f, hi = 3.4e38f;
    if (act.opset < 11) {
      lo = act.GetFloat("min", lo);
      hi = act.GetFloat("max", hi);
    } else {
      for (size_t i = 1; i < act.inputs.size() && i < 3; ++i) {
        if (act.inputs[i] == kNoValue) continue;
        if (!ScalarConstant(*g, act.inputs[i], i == 1 ? &lo : &hi)) return false;
      }
    }
    kind = "Clip";
    SetFloat(&p, "activation_min", lo);
    SetFloat(&p, "activation_max", hi);
  }
  if (kind.empty() || (!conv && kind != "Relu" && kind != "Gelu")) return false;
  SetString(&p, "activation", kind);
  p.outputs[0] = act.outputs[0];
  (*removed)[c] = true;
  return true;
}

}  // namespace

Status FuseEpilogues(Graph* g) {
  std::vector<bool> removed(g->nodes.size(), false);
  const std::vector<bool> pinned = PinnedValues(*g);
  const size_t n_nodes = g->nodes.size();
  for (NodeId id = 0; id < static_cast<NodeId>(n_nodes); ++id) {
    if (removed[id]) continue;
    Node& n = g->nodes[id];
    if (n.domain.empty() && n.op_type == "Conv" && !HasActivation(n) && n.outputs.size() == 1) {
      NodeId sigmoid = -1;
      NodeId mul = MatchSilu(*g, pinned, removed, n.outputs[0], &sigmoid);
      if (mul >= 0) {
        SetString(&n, "activation", "Silu");
        n.outputs[0] = g->nodes[mul].outputs[0];
        removed[sigmoid] = removed[mul] = true;
      } else {
        FoldActivation(g, pinned, &removed, id, /*conv=*/true);
      }
      continue;
    }
    if (Is(*g, id, "MatMul", removed)) {
      // B must be a 2-D constant and the bias a 1-D constant of length N.
      auto w = g->initializers.find(n.inputs[1]);
      if (w == g->initializers.end() || w->second.rank() != 2 || w->second.dtype() != DataType::kFloat32) continue;
      const NodeId add = SoleConsumer(*g, pinned, n.outputs[0]);
      if (!Is(*g, add, "Add", removed)) continue;
      const Node& a = g->nodes[add];
      ValueId bias = a.inputs[0] == n.outputs[0] ? a.inputs[1] : a.inputs[0];
      auto b = g->initializers.find(bias);
      if (b == g->initializers.end() || b->second.dtype() != DataType::kFloat32 ||
          b->second.shape() != Shape{w->second.dim(1)}) continue;
      n.op_type = "FusedMatMul";
      n.domain = "parallax";
      n.opset = 1;
      n.inputs.push_back(bias);
      n.outputs[0] = a.outputs[0];
      removed[add] = true;
      continue;
    }
    if (Is(*g, id, "Sigmoid", removed)) {
      const ValueId x = n.inputs[0];
      NodeId sigmoid = -1;
      NodeId mul = MatchSilu(*g, pinned, removed, x, &sigmoid);
      if (mul < 0 || sigmoid != id) continue;
      n.op_type = "Silu";
      n.domain = "parallax";
      n.opset = 1;
      n.outputs[0] = g->nodes[mul].outputs[0];
      removed[mul] = true;
    }
  }
  PX_RETURN_IF_ERROR(Compact(g, removed));
  // Second sweep: activations after the FusedMatMuls made above (their links are fresh now).
  removed.assign(g->nodes.size(), false);
  const std::vector<bool> pinned2 = PinnedValues(*g);
  for (NodeId id = 0; id < static_cast<NodeId>(g->nodes.size()); ++id) {
    Node& n = g->nodes[id];
    if (!removed[id] && n.domain == "parallax" && n.op_type == "FusedMatMul" && !HasActivation(n)) {
      float beta = 1.0f;
      NodeId scale = -1, sigmoid = -1;
      const NodeId mul = MatchScaledSilu(*g, pinned2, removed, n.outputs[0], &beta, &scale, &sigmoid);
      if (mul >= 0) {
        SetString(&n, "activation", "Silu");
        SetFloat(&n, "activation_beta", beta);
        n.outputs[0] = g->nodes[mul].outputs[0];
        removed[scale] = removed[sigmoid] = removed[mul] = true;
        continue;
      }
      FoldActivation(g, pinned2, &removed, id, /*conv=*/false);
    }
  }
  return Compact(g, removed);
}

}  // namespace parallax
