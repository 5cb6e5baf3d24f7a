// Conv pieces shared with the NHWC variant (conv_nhwc.cc).
#pragma once

#include "kernels/kernel.h"

namespace parallax::ops {

// Output shape of an NCHW Conv (validates X, W, B and the attributes).
Status ConvOutputShape(const Node& node, const Shape& x, const Shape& w, const Shape* b, Shape* out);
// The NCHW Conv kernel's compute.
Status ConvNchwCompute(KernelContext& ctx);

}  // namespace parallax::ops
