// Naive double-precision pooling reference (tests only).
#pragma once

#include <vector>

#include "parallax/tensor.h"

namespace parallax::ref {

enum class PoolRefKind { kMax, kAvg, kLp };

struct PoolParams {
  std::vector<int64_t> kernel, strides, dilations, pad_begin, pad_end, out;  // out: spatial dims
  bool count_include_pad = false;
  double p = 2.0;  // LpPool
};

// Visits every tap of every window (float32 input). Max ignores padding; Avg divides by the
// number of in-bounds taps (or, with count_include_pad, of taps inside the padded extent);
// Lp is (sum |x|^p)^(1/p). `indices` (optional) receives MaxPool's row-major flat argmax.
Tensor PoolRef(const Tensor& x, PoolRefKind kind, const PoolParams& p, Tensor* indices = nullptr);

}  // namespace parallax::ref
