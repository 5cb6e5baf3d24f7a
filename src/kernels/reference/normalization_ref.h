// Double-precision references for the normalization kernels (tests only).
#pragma once

#include <cstdint>
#include <vector>

namespace parallax::reference {

// Softmax (or LogSoftmax) of each [outer, n, inner] slice along n.
std::vector<double> Softmax(const std::vector<double>& x, int64_t outer, int64_t n, int64_t inner,
                            bool log);
// LayerNorm of rows of length d; scale/bias of length d (bias may be empty).
std::vector<double> LayerNorm(const std::vector<double>& x, int64_t d, const std::vector<double>& scale,
                              const std::vector<double>& bias, double eps,
                              std::vector<double>* mean, std::vector<double>* inv_std);
// GroupNorm over [n, c, hw] with `groups`; scale/bias per channel.
std::vector<double> GroupNorm(const std::vector<double>& x, int64_t n, int64_t c, int64_t hw,
                              int64_t groups, const std::vector<double>& scale,
                              const std::vector<double>& bias, double eps);

}  // namespace parallax::reference
