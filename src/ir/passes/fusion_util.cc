#include "ir/passes/fusion_util.h"

#include <cmath>

namespace parallax::fusion {

namespace {
void PinSubgraphRefs(const Graph& outer, const Graph& sub, std::vector<bool>* pinned) {
  for (const auto& [name, inner] : sub.outer_refs) {
    ValueId v = outer.Find(name);
    if (v != kNoValue) (*pinned)[v] = true;
  }
  for (const Node& n : sub.nodes) {
    for (const auto& [k, a] : n.attrs) {
      if (a.g) PinSubgraphRefs(outer, *a.g, pinned);
    }
  }
}
}  // namespace

std::vector<bool> PinnedValues(const Graph& g) {
  std::vector<bool> pinned(g.values.size(), false);
  for (ValueId v : g.outputs) pinned[v] = true;
  for (const Node& n : g.nodes) {
    for (const auto& [k, a] : n.attrs) {
      if (a.g) PinSubgraphRefs(g, *a.g, &pinned);
    }
  }
  return pinned;
}

NodeId SoleConsumer(const Graph& g, const std::vector<bool>& pinned, ValueId v) {
  if (v == kNoValue || pinned[v] || g.values[v].consumers.size() != 1) return -1;
  return g.values[v].consumers[0];
}

bool ScalarConstant(const Graph& g, ValueId v, float* value) {
  auto it = g.initializers.find(v);
  if (it == g.initializers.end() || it->second.numel() != 1) return false;
  if (it->second.dtype() != DataType::kFloat32) return false;
  *value = *it->second.data<float>();
  return true;
}

bool IsScalarConstant(const Graph& g, ValueId v, float want) {
  float value = 0;
  return ScalarConstant(g, v, &value) && std::fabs(value - want) <= 1e-4f * std::max(1.f, std::fabs(want));
}

bool IsProductOf(const Node& mul, ValueId a, ValueId b) {
  return (mul.inputs[0] == a && mul.inputs[1] == b) || (mul.inputs[0] == b && mul.inputs[1] == a);
}

bool Is(const Graph& g, NodeId n, const char* op_type, const std::vector<bool>& removed) {
  if (n < 0 || removed[n]) return false;
  const Node& node = g.nodes[n];
  if (!node.domain.empty() || node.op_type != op_type || node.outputs.empty() || node.outputs[0] == kNoValue) {
    return false;
  }
  // The fusions read inputs[0] and, of a binary op, inputs[1]: a node of a hostile file without
  // them does not match (its kernel's checks report it later).
  static const std::set<std::string> kBinary = {"Add", "Sub", "Mul", "Div", "MatMul", "Pow"};
  const size_t want = kBinary.count(op_type) ? 2 : 1;
  if (node.inputs.size() < want) return false;
  for (size_t i = 0; i < want; ++i) {
    if (node.inputs[i] == kNoValue) return false;
  }
  return true;
}

const Tensor* PointwiseConvWeight(const Graph& g, const Node& n) {
  if (n.inputs.size() < 2) return nullptr;
  auto it = g.initializers.find(n.inputs[1]);
  if (it == g.initializers.end() || it->second.rank() < 3) return nullptr;
  const Tensor& w = it->second;
  for (int64_t d = 2; d < w.rank(); ++d) {
    if (w.dim(d) != 1) return nullptr;
  }
  for (int64_t s : n.GetInts("strides")) {
    if (s != 1) return nullptr;
  }
  for (int64_t p : n.GetInts("pads")) {
    if (p != 0) return nullptr;
  }
  return &w;
}

Status Compact(Graph* g, const std::vector<bool>& removed) {
  std::vector<Node> kept;
  kept.reserve(g->nodes.size());
  for (size_t i = 0; i < g->nodes.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(g->nodes[i]));
  }
  g->nodes = std::move(kept);
  return g->Link();
}

}  // namespace parallax::fusion
