// Naive double-precision references for Conv and ConvTranspose (tests only).
#pragma once

#include <vector>

#include "parallax/tensor.h"

namespace parallax::ref {

struct ConvParams {
  std::vector<int64_t> strides, dilations, pad_begin, pad_end;  // one per spatial dim
  int64_t group = 1;
};

// Y[n, m, o...] = B[m] + sum over c in group, k... of X[n, c, o*s - pb + k*d] * W[m, c, k...].
// Output spatial dims: floor((in + pb + pe - ((k-1)*d+1)) / s) + 1.
Tensor ConvRef(const Tensor& x, const Tensor& w, const Tensor* b, const ConvParams& p);

// ConvTranspose with explicit pads and output spatial dims: every input element scatters
// x * W[c, m, k...] to output position i*s - pb + k*d.
Tensor ConvTransposeRef(const Tensor& x, const Tensor& w, const Tensor* b, const ConvParams& p,
                        const std::vector<int64_t>& out_spatial);

}  // namespace parallax::ref
