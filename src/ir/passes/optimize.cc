#include "ir/passes/passes.h"

namespace parallax {

Status OptimizeGraph(Graph* graph) {
  PX_RETURN_IF_ERROR(graph->Link());
  PX_RETURN_IF_ERROR(RemoveDeadNodes(graph));
  PX_RETURN_IF_ERROR(FuseGelu(graph));
  PX_RETURN_IF_ERROR(FuseEpilogues(graph));
  // After the fusions, which match NCHW Conv + activation patterns.
  PX_RETURN_IF_ERROR(ConvertConvRegionsToNhwc(graph));
  return graph->Link();
}

}  // namespace parallax
