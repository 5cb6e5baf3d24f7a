#include <algorithm>

#include "ir/passes/passes.h"

namespace parallax {

Status RemoveDeadNodes(Graph* g) {
  const std::vector<bool> live = g->LiveNodes();
  std::vector<Node> kept;
  for (size_t i = 0; i < g->nodes.size(); ++i) {
    if (live[i]) kept.push_back(std::move(g->nodes[i]));
  }
  g->nodes = std::move(kept);
  return g->Link();
}

}  // namespace parallax
