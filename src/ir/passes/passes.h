// Graph passes run once at load, before any plan is built. Each pass is its own function
// in its own file; OptimizeGraph runs them in order.
#pragma once

#include "ir/graph.h"

namespace parallax {

struct PassOptions {
  // Off when an accelerator runs the graph: its providers know MatMul and Softmax, not the
  // fused node, and the placement must see the ops as the model has them.
  bool fuse_attention = true;
};

// Runs every pass below, in order, and relinks the graph.
Status OptimizeGraph(Graph* graph, const PassOptions& options = {});

// Values that If/Loop bodies read from enclosing graphs become explicit node inputs and
// subgraph inputs (implicit_inputs.cc). Always runs, before the other passes.
Status MakeImplicitInputsExplicit(Graph* graph);

// Removes nodes whose outputs reach no graph output.
Status RemoveDeadNodes(Graph* graph);

// x·0.5·(1+erf(x/√2)) → parallax::Gelu (fuse_gelu.cc).
Status FuseGelu(Graph* graph);

// MatMul(Q, Kᵀ)→[Mul scale]→[Add mask]→Softmax→MatMul(·, V) → parallax::FusedAttention
// (fuse_attention.cc). Skipped when a session offloads to an accelerator (see OptimizeGraph).
Status FuseAttention(Graph* graph);

// Conv+activation (incl. SiLU), MatMul+bias(+activation) → FusedMatMul, Sigmoid·x → Silu
// (fuse_epilogues.cc).
Status FuseEpilogues(Graph* graph);

// Convolution regions → NHWC (parallax::NhwcConv, NhwcMaxPool, channel-axis Concat/Split,
// permuted Resize scales), transposes at region borders (layout_nhwc.cc).
Status ConvertConvRegionsToNhwc(Graph* graph);

// A channel Concat read only by a 1x1 NhwcConv becomes that convolution's X pieces
// (fuse_concat_conv.cc). After the layout pass.
Status FuseConcatIntoPointwiseConv(Graph* graph);

// A channel Split read alone from an NhwcConv's output becomes that convolution's outputs,
// written in pieces (fuse_split_conv.cc). After the layout pass.
Status FuseSplitIntoConv(Graph* graph);

}  // namespace parallax
