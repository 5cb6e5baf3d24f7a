// Row lists of the tensor-op family; concatenated by tensor_ops_list.cc.
#pragma once

#include <vector>

#include "kernels/kernel.h"

namespace parallax::ops {

std::vector<KernelDef> TensorConcatSplitRows();  // tensor_ops_concat_split.cc: Concat, Split
std::vector<KernelDef> TensorSliceRows();        // tensor_ops_slice.cc: Slice
std::vector<KernelDef> TensorGatherRows();       // tensor_ops_gather.cc: Gather, GatherElements, GatherND
std::vector<KernelDef> TensorScatterRows();      // tensor_ops_scatter.cc: ScatterND, ScatterElements, Scatter
std::vector<KernelDef> TensorTransposeRows();    // tensor_ops_transpose.cc: Transpose, Tile, DepthToSpace, SpaceToDepth
std::vector<KernelDef> TensorPadRows();          // tensor_ops_pad.cc: Pad
std::vector<KernelDef> TensorMiscRows();         // tensor_ops_misc.cc: Trilu, OneHot, Compress, ReverseSequence

// What a Slice node takes from an input of shape `in`: the output shape and, per input axis,
// the first index and the step (clamped as the spec says). `vals`: the starts, ends, axes and
// steps tensors (opset 10+; null where omitted), unused before opset 10 (attributes).
// Shared with the OpenCL provider's Slice.
struct SlicePlan {
  Shape out;
  std::vector<int64_t> start, step;
};
Status GetSlicePlan(const Node& node, const Shape& in, const std::vector<const Tensor*>& vals, SlicePlan* p);

}  // namespace parallax::ops
