// Packs constant weights once at load, for the kernels that declare a KernelDef::prepack
// (MatMul, FusedMatMul, Gemm: kernels/packed_gemm.h; NhwcConv: kernels/packed_conv.h), and drops
// the original copies: the packed form replaces them instead of doubling the weights' memory
// (DistilBERT: 170 MB).
//
//   PX_RETURN_IF_ERROR(PrepackConstantWeights(graph, &stats));   // after OptimizeGraph
//
// A weight is prepacked only when every reader is such a kernel, reads it as input 1 only,
// packs it the same way (same op and attributes), and has an input 0 that is not computable
// from initializers alone (so that no reader is folded at plan time); graph outputs and values
// read by subgraphs are left alone.
// The initializer keeps its dtype and shape with no data; Graph::prepacked holds the packed
// object, which BuildPlan hands to each reading step's KernelState.
#pragma once

#include <cstddef>

#include "ir/graph.h"

namespace parallax {

struct PrepackStats {
  int weights = 0;
  size_t original_bytes = 0;  // released
};

Status PrepackConstantWeights(Graph* graph, PrepackStats* stats = nullptr);

}  // namespace parallax
