// Straightforward double-precision references for the reduction kernels (tests only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parallax::reference {

// Reduces `x` (row-major, `shape`) over the axes flagged in `reduced` with the ONNX op named
// `op` ("ReduceSum", "ReduceLogSumExp", ...). Returns the output values in row-major order of
// the kept dims.
std::vector<double> Reduce(const std::string& op, const std::vector<double>& x,
                           const std::vector<int64_t>& shape, const std::vector<bool>& reduced);

// ArgMax/ArgMin along `axis`; `last` picks the last index among equal extremes.
std::vector<int64_t> ArgReduce(bool is_max, const std::vector<double>& x,
                               const std::vector<int64_t>& shape, int64_t axis, bool last);

}  // namespace parallax::reference
