#include "ir/passes/passes.h"

namespace parallax {

Status OptimizeGraph(Graph* graph) {
  PX_RETURN_IF_ERROR(RemoveDeadNodes(graph));
  return graph->Link();
}

}  // namespace parallax
