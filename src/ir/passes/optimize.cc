#include "ir/passes/passes.h"

namespace parallax {

Status OptimizeGraph(Graph* graph, const PassOptions& options) {
  PX_RETURN_IF_ERROR(graph->Link());
  PX_RETURN_IF_ERROR(RemoveDeadNodes(graph));
  PX_RETURN_IF_ERROR(FuseGelu(graph));
  // Before FuseEpilogues, which would take the scores' MatMul + Add(mask) as a bias.
  if (options.fuse_attention) PX_RETURN_IF_ERROR(FuseAttention(graph));
  PX_RETURN_IF_ERROR(FuseEpilogues(graph));
  // After the fusions, which match NCHW Conv + activation patterns.
  PX_RETURN_IF_ERROR(ConvertConvRegionsToNhwc(graph));
  PX_RETURN_IF_ERROR(FuseConcatIntoPointwiseConv(graph));
  PX_RETURN_IF_ERROR(FuseSplitIntoConv(graph));
  return graph->Link();
}

}  // namespace parallax
