// XNNPACK NHWC convolution behind an NCHW interface (conv_xnn.cc).
#pragma once

#include <cstdint>

#include "kernels/ops/conv_activation.h"

namespace parallax {
class ThreadPool;
}

namespace parallax::ops {

struct XnnConvArgs {
  int64_t N, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, G;
};

// Whether XNNPACK is initialised and the arguments fit its 32-bit parameters.
bool XnnConv2DSupported(const XnnConvArgs& a);
// y (N, M, OH, OW) = act(conv(x, w) + bias); bias may be null. Returns false (y untouched or
// partially written) when XNNPACK refuses; the caller then uses its own path.
bool XnnConv2D(const XnnConvArgs& a, const float* x, const float* w, const float* bias, float* y,
               const Activation& act, ThreadPool* pool);

}  // namespace parallax::ops
