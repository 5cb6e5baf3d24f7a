// Small queries the fusion passes share. All of them read the graph's producer/consumer links,
// which the passes keep valid by relinking after each pass.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace parallax::fusion {

// Values a fusion may not remove: graph outputs and names read by subgraphs.
std::vector<bool> PinnedValues(const Graph& g);

// The only consumer of `v`, or -1 when it has none, several, or is pinned.
NodeId SoleConsumer(const Graph& g, const std::vector<bool>& pinned, ValueId v);

// True when `v` is a one-element float initializer; *value is it.
bool ScalarConstant(const Graph& g, ValueId v, float* value);

// True when `v` is a one-element float initializer within 1e-4 of `want`.
bool IsScalarConstant(const Graph& g, ValueId v, float want);

// True when binary node `mul` (two inputs, see Is) multiplies a and b, in either order.
bool IsProductOf(const Node& mul, ValueId a, ValueId b);

// True when node `n` is `op_type` in the default ONNX domain, not already removed, and has the
// operands the fusions read: an output, input 0, and input 1 for binary ops (Add, Sub, Mul,
// Div, MatMul, Pow).
bool Is(const Graph& g, NodeId n, const char* op_type, const std::vector<bool>& removed);

// The constant weight of a 1x1, stride-1, unpadded convolution node (Conv or NhwcConv: W is
// input 1, rank >= 3, every kernel dim 1), or null when `n` is not one.
const Tensor* PointwiseConvWeight(const Graph& g, const Node& n);

// Drops removed nodes and relinks.
Status Compact(Graph* g, const std::vector<bool>& removed);

}  // namespace parallax::fusion
