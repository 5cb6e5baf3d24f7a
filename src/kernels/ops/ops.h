// Each op file (or small family of ops sharing one implementation) exports its registry rows.
// registry.cc concatenates these lists into the one table.
#pragma once

#include <vector>

#include "kernels/kernel.h"

namespace parallax::ops {

std::vector<KernelDef> ElementwiseUnaryKernels();  // elementwise_unary.cc
std::vector<KernelDef> ElementwiseBinaryKernels(); // elementwise_binary.cc
std::vector<KernelDef> ShapeOpKernels();           // shape_ops.cc (Shape, Size, Reshape...)
std::vector<KernelDef> TensorOpKernels();          // tensor ops: Concat, Split, Slice, Gather...
std::vector<KernelDef> ReductionKernels();         // reduce.cc, argmax.cc
std::vector<KernelDef> NormalizationKernels();     // softmax, layer/batch/instance norm
std::vector<KernelDef> MatMulKernels();            // matmul.cc, gemm.cc
std::vector<KernelDef> ConvKernels();              // conv.cc, conv_transpose.cc
std::vector<KernelDef> PoolKernels();              // pool.cc
std::vector<KernelDef> MiscKernels();              // Resize, TopK, NonZero, CumSum, Range...
std::vector<KernelDef> ControlFlowKernels();       // control_flow.cc: If, Loop

}  // namespace parallax::ops
