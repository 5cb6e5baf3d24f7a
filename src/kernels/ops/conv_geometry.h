// Spatial geometry shared by Conv, ConvTranspose and the pooling ops: reads kernel_shape,
// strides, dilations, pads and auto_pad, validates them, and computes output sizes.
//
//   PX_ASSIGN_OR_RETURN(SpatialGeometry g, ComputeConvGeometry(node, in_spatial, kernel, false));
//   g.out[i], g.pad_begin[i], g.stride[i], g.dilation[i]
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "parallax/status.h"

namespace parallax::ops {

struct SpatialGeometry {
  std::vector<int64_t> in, kernel, stride, dilation, pad_begin, pad_end, out;
  size_t rank() const { return in.size(); }
};

inline std::string VecToString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  s += ']';
  return s;
}

// Reads strides/dilations/pads/auto_pad for `kernel` (already known) over spatial dims `in`.
// ceil_mode: pooling rounding. Output dims may be 0 (never negative: that is an error).
inline StatusOr<SpatialGeometry> ComputeConvGeometry(const Node& node,
                                                     const std::vector<int64_t>& in,
                                                     const std::vector<int64_t>& kernel,
                                                     bool ceil_mode,
                                                     bool allow_dilations = true) {
  const size_t r = in.size();
  SpatialGeometry g;
  g.in = in;
  g.kernel = kernel;
  if (kernel.size() != r) {
    return InvalidArgument("kernel_shape " + VecToString(kernel) + " has " +
                           std::to_string(kernel.size()) + " dims, expected " + std::to_string(r));
  }
  for (int64_t k : kernel) {
    if (k <= 0) return InvalidArgument("kernel_shape " + VecToString(kernel) + " must be positive");
  }
  g.stride = node.GetInts("strides");
  if (g.stride.empty()) g.stride.assign(r, 1);
  g.dilation = allow_dilations ? node.GetInts("dilations") : std::vector<int64_t>{};
  if (g.dilation.empty()) g.dilation.assign(r, 1);
  if (g.stride.size() != r) {
    return InvalidArgument("strides " + VecToString(g.stride) + " must have " + std::to_string(r) + " values");
  }
  if (g.dilation.size() != r) {
    return InvalidArgument("dilations " + VecToString(g.dilation) + " must have " + std::to_string(r) +
                           " values");
  }
  for (size_t i = 0; i < r; ++i) {
    if (g.stride[i] <= 0 || g.stride[i] > (int64_t{1} << 31)) {
      return InvalidArgument("strides " + VecToString(g.stride) + " must be positive");
    }
    if (g.dilation[i] <= 0 || g.dilation[i] > (int64_t{1} << 31)) {
      return InvalidArgument("dilations " + VecToString(g.dilation) + " must be positive");
    }
    if (kernel[i] > (int64_t{1} << 31)) return InvalidArgument("kernel_shape is too large");
  }
  const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  std::vector<int64_t> pads = node.GetInts("pads");
  g.pad_begin.assign(r, 0);
  g.pad_end.assign(r, 0);
  g.out.assign(r, 0);
  if (auto_pad == "NOTSET" || auto_pad.empty()) {
    if (!pads.empty()) {
      if (pads.size() != 2 * r) {
        return InvalidArgument("pads " + VecToString(pads) + " must have " + std::to_string(2 * r) +
                               " values");
      }
      for (size_t i = 0; i < r; ++i) {
        g.pad_begin[i] = pads[i];
        g.pad_end[i] = pads[i + r];
        if (pads[i] < 0 || pads[i + r] < 0 || pads[i] > (int64_t{1} << 31) ||
            pads[i + r] > (int64_t{1} << 31)) {
          return InvalidArgument("pads " + VecToString(pads) + " must be non-negative");
        }
      }
    }
    for (size_t i = 0; i < r; ++i) {
      const int64_t dk = (kernel[i] - 1) * g.dilation[i] + 1;
      const int64_t span = in[i] + g.pad_begin[i] + g.pad_end[i] - dk;
      if (span < 0) {
        return InvalidArgument("spatial dim " + std::to_string(i) + " of size " + std::to_string(in[i]) +
                               " (padded " + std::to_string(in[i] + g.pad_begin[i] + g.pad_end[i]) +
                               ") is smaller than the dilated kernel " + std::to_string(dk));
      }
      int64_t o = ceil_mode ? (span + g.stride[i] - 1) / g.stride[i] + 1 : span / g.stride[i] + 1;
      // The last window must start inside the input or the left padding.
      if (ceil_mode && (o - 1) * g.stride[i] >= in[i] + g.pad_begin[i]) --o;
      g.out[i] = o;
    }
  } else if (auto_pad == "VALID") {
    for (size_t i = 0; i < r; ++i) {
      const int64_t dk = (kernel[i] - 1) * g.dilation[i] + 1;
      const int64_t span = in[i] - dk;
      if (span < 0) {
        return InvalidArgument("spatial dim " + std::to_string(i) + " of size " + std::to_string(in[i]) +
                               " is smaller than the dilated kernel " + std::to_string(dk));
      }
      g.out[i] = ceil_mode ? (span + g.stride[i] - 1) / g.stride[i] + 1 : span / g.stride[i] + 1;
    }
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (size_t i = 0; i < r; ++i) {
      const int64_t dk = (kernel[i] - 1) * g.dilation[i] + 1;
      const int64_t o = (in[i] + g.stride[i] - 1) / g.stride[i];
      int64_t total = (o - 1) * g.stride[i] + dk - in[i];
      if (total < 0) total = 0;
      if (auto_pad == "SAME_UPPER") {
        g.pad_begin[i] = total / 2;
        g.pad_end[i] = total - total / 2;
      } else {
        g.pad_end[i] = total / 2;
        g.pad_begin[i] = total - total / 2;
      }
      g.out[i] = o;
    }
  } else {
    return InvalidArgument("auto_pad '" + auto_pad +
                           "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  return g;
}

}  // namespace parallax::ops
