// Double-precision references for the elementwise unary family (tests only), written from the
// ONNX operator definitions.
#pragma once

#include <string>

namespace parallax::reference {

// y = op(x) with the op's default attributes; alpha/beta override the op's first two float
// attributes (LeakyRelu alpha, HardSigmoid alpha/beta, Selu alpha/gamma, Elu/Celu alpha,
// ThresholdedRelu alpha, Shrink bias/lambd) when `with_attrs` is true.
// `op` "GeluTanh" is Gelu with approximate="tanh". Returns NaN for unknown ops.
double UnaryRef(const std::string& op, double x, bool with_attrs = false, double alpha = 0,
                double beta = 0);

}  // namespace parallax::reference
