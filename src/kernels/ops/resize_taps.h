// Resize/Upsample interpolation taps (misc_resize.cc), shared with the OpenCL provider: for each
// axis and output position, the source indices and weights the CPU kernel uses, so a device
// kernel that sums taps·weights computes the same function.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "parallax/status.h"
#include "parallax/tensor.h"

namespace parallax::ops {

struct ResizeTaps {
  struct Axis {
    int n = 1;                  // taps per output position
    std::vector<int64_t> idx;   // out_len * n source indices (clamped into the input)
    std::vector<double> w;      // out_len * n weights
    bool outside = false;       // some position extrapolates (tf_crop_and_resize)
  };
  Shape out_shape;
  std::vector<Axis> axes;       // one per input axis
};

// `vals[i]` is the contents of input i (roi, scales, sizes) or nullptr; `present[i]` whether
// input i is given. Errors as the Resize kernel's shape inference.
StatusOr<ResizeTaps> ComputeResizeTaps(const Node& node, const Shape& in_shape,
                                       const std::vector<const Tensor*>& vals, const std::vector<bool>& present);

}  // namespace parallax::ops
