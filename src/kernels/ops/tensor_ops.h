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

}  // namespace parallax::ops
