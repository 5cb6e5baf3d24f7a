#include <algorithm>

#include "ir/passes/passes.h"

namespace parallax {

Status RemoveDeadNodes(Graph* g) {
  std::vector<bool> live(g->nodes.size(), false), seen(g->values.size(), false);
  std::vector<ValueId> stack(g->outputs.begin(), g->outputs.end());
  while (!stack.empty()) {
    ValueId v = stack.back();
    stack.pop_back();
    if (v == kNoValue || seen[v]) continue;
    seen[v] = true;
    NodeId p = g->values[v].producer;
    if (p < 0 || live[p]) continue;
    live[p] = true;
    for (ValueId in : g->nodes[p].inputs) stack.push_back(in);
    // Subgraph bodies read outer values by name; keep those alive too.
    for (const auto& [key, attr] : g->nodes[p].attrs) {
      if (!attr.g) continue;
      for (const auto& [name, inner] : attr.g->outer_refs) stack.push_back(g->Find(name));
    }
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g->nodes.size(); ++i) {
    if (live[i]) kept.push_back(std::move(g->nodes[i]));
  }
  g->nodes = std::move(kept);
  return g->Link();
}

}  // namespace parallax
