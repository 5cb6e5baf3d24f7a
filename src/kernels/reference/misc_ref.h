// References for the misc kernels (tests only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parallax::reference {

struct ResizeRefParams {
  std::string mode = "nearest";        // nearest | linear | cubic
  std::string coord = "half_pixel";    // coordinate_transformation_mode
  std::string nearest = "round_prefer_floor";
  double cubic_a = -0.75;
  bool exclude_outside = false;
};

// Resize as the ONNX reference does it: per output element, recursive 1-D interpolation over
// the n closest source positions of an edge-padded axis. `scales` per dim.
std::vector<double> Resize(const std::vector<double>& x, const std::vector<int64_t>& in_shape,
                           const std::vector<int64_t>& out_shape, const std::vector<double>& scales,
                           const ResizeRefParams& p);

// Values and indices of the top k along `axis` (stable: equal values keep index order).
void TopK(const std::vector<double>& x, const std::vector<int64_t>& shape, int64_t axis, int64_t k,
          bool largest, std::vector<double>* vals, std::vector<int64_t>* idx);

std::vector<double> CumSum(const std::vector<double>& x, const std::vector<int64_t>& shape,
                           int64_t axis, bool exclusive, bool reverse);

}  // namespace parallax::reference
