#include "kernels/reference/elementwise_unary_ref.h"

#include <cmath>
#include <limits>

namespace parallax::reference {

double UnaryRef(const std::string& op, double x, bool with_attrs, double alpha, double beta) {
  // Attribute defaults are float32 values in ONNX; kernels see them rounded to float.
  auto a = [&](double def) { return with_attrs ? alpha : def; };
  auto b = [&](double def) { return with_attrs ? beta : def; };
  if (op == "Relu") return std::max(x, 0.0);
  if (op == "Sigmoid" ) return 1.0 / (1.0 + std::exp(-x));
  if (op == "Silu") return x / (1.0 + std::exp(-x));
  if (op == "Tanh") return std::tanh(x);
  if (op == "Exp") return std::exp(x);
  if (op == "Log") return std::log(x);
  if (op == "Sqrt") return std::sqrt(x);
  if (op == "Reciprocal") return 1.0 / x;
  if (op == "Neg") return -x;
  if (op == "Abs") return std::fabs(x);
  if (op == "Erf") return std::erf(x);
  if (op == "Floor") return std::floor(x);
  if (op == "Ceil") return std::ceil(x);
  if (op == "Round") {  // half to even, written out
    double f = std::floor(x), d = x - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return std::fmod(f, 2.0) == 0 ? f : f + 1;
  }
  if (op == "Sign") return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
  if (op == "Sin") return std::sin(x);
  if (op == "Cos") return std::cos(x);
  if (op == "Tan") return std::tan(x);
  if (op == "Asin") return std::asin(x);
  if (op == "Acos") return std::acos(x);
  if (op == "Atan") return std::atan(x);
  if (op == "Sinh") return std::sinh(x);
  if (op == "Cosh") return std::cosh(x);
  if (op == "Asinh") return std::log(x + std::sqrt(x * x + 1));
  if (op == "Acosh") return std::log(x + std::sqrt(x * x - 1));
  if (op == "Atanh") return 0.5 * std::log((1 + x) / (1 - x));
  if (op == "Softplus") return std::log(1 + std::exp(x));
  if (op == "Softsign") return x / (1 + std::fabs(x));
  if (op == "HardSigmoid") return std::max(0.0, std::min(1.0, a(double(0.2f)) * x + b(0.5)));
  if (op == "HardSwish") return x * std::max(0.0, std::min(1.0, x / 6 + 0.5));
  if (op == "LeakyRelu") return x >= 0 ? x : a(double(0.01f)) * x;
  if (op == "Elu") return x >= 0 ? x : a(1.0) * (std::exp(x) - 1);
  if (op == "Selu") {
    const double al = a(1.67326319217681884765625), g = b(1.05070102214813232421875);
    return x > 0 ? g * x : g * (al * std::exp(x) - al);
  }
  if (op == "Celu") return std::max(0.0, x) + std::min(0.0, a(1.0) * (std::exp(x / a(1.0)) - 1));
  if (op == "ThresholdedRelu") return x > a(1.0) ? x : 0.0;
  if (op == "Mish") return x * std::tanh(std::log(1 + std::exp(x)));
  if (op == "Gelu") return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  if (op == "GeluTanh") {
    const double k = std::sqrt(2.0 / M_PI);
    return 0.5 * x * (1 + std::tanh(k * (x + 0.044715 * x * x * x)));
  }
  if (op == "Shrink") {
    const double bias = a(0.0), lambd = b(0.5);
    return x < -lambd ? x + bias : (x > lambd ? x - bias : 0.0);
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace parallax::reference
