// Fused epilogue activations shared by Conv (internal attribute "activation") and the internal
// FusedMatMul op. The graph fusion pass sets the attributes; kernels apply them in place on
// the freshly computed output, optionally adding a per-row bias first.
//
//   PX_ASSIGN_OR_RETURN(Activation act, ParseActivation(node));
//   ApplyBiasActivation(act, row, n, bias_value);     // row[i] = act(row[i] + bias)
//
// The exp used by Sigmoid/Silu is a vectorizable polynomial (relative error ~2e-7).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "ir/graph.h"
#include "parallax/status.h"

namespace parallax::ops {

struct Activation {
  enum Kind { kNone, kRelu, kSigmoid, kSilu, kLeakyRelu, kClip, kHardSwish, kGelu, kTanh };
  Kind kind = kNone;
  float alpha = 0.01f;  // LeakyRelu slope
  float lo = -INFINITY, hi = INFINITY;  // Clip bounds
};

// Reads "activation" (+ "activation_alpha", "activation_min", "activation_max").
inline StatusOr<Activation> ParseActivation(const Node& node) {
  Activation a;
  const std::string s = node.GetString("activation", "");
  if (s.empty() || s == "None" || s == "Identity") {
    a.kind = Activation::kNone;
  } else if (s == "Relu") {
    a.kind = Activation::kRelu;
  } else if (s == "Sigmoid") {
    a.kind = Activation::kSigmoid;
  } else if (s == "Silu" || s == "Swish") {
    a.kind = Activation::kSilu;
  } else if (s == "LeakyRelu") {
    a.kind = Activation::kLeakyRelu;
    a.alpha = node.GetFloat("activation_alpha", 0.01f);
  } else if (s == "Clip") {
    a.kind = Activation::kClip;
    a.lo = node.GetFloat("activation_min", -INFINITY);
    a.hi = node.GetFloat("activation_max", INFINITY);
  } else if (s == "HardSwish") {
    a.kind = Activation::kHardSwish;
  } else if (s == "Gelu") {
    a.kind = Activation::kGelu;
  } else if (s == "Tanh") {
    a.kind = Activation::kTanh;
  } else {
    return NotImplemented("fused activation '" + s + "' is not supported");
  }
  return a;
}

// exp(x) for float, vectorizable (no library calls, no branches).
inline float ActFastExp(float x) {
  x = std::min(std::max(x, -87.33654f), 88.72283f);
  const float magic = 12582912.0f;  // 1.5 * 2^23: rounds to nearest integer
  float n = (x * 1.44269504088896341f + magic) - magic;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t e = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &e, 4);
  return p * scale;
}

// erf via Abramowitz-Stegun 7.1.26 refined (abs error < 1.5e-7).
inline float ActErf(float x) {
  float ax = std::fabs(x);
  float t = 1.0f / (1.0f + 0.3275911f * ax);
  float y = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t +
             0.254829592f) * t;
  float r = 1.0f - y * ActFastExp(-ax * ax);
  return std::copysign(r, x);
}

template <Activation::Kind K>
__attribute__((optimize("tree-vectorize"))) inline void ActLoop(const Activation& a, float* x,
                                                                 int64_t n, float bias) {
  const float alpha = a.alpha, lo = a.lo, hi = a.hi;
  for (int64_t i = 0; i < n; ++i) {
    float v = x[i] + bias;
    if constexpr (K == Activation::kRelu) {
      v = std::max(v, 0.0f);
    } else if constexpr (K == Activation::kSigmoid) {
      v = 1.0f / (1.0f + ActFastExp(-v));
    } else if constexpr (K == Activation::kSilu) {
      v = v / (1.0f + ActFastExp(-v));
    } else if constexpr (K == Activation::kLeakyRelu) {
      v = v >= 0.0f ? v : v * alpha;
    } else if constexpr (K == Activation::kClip) {
      v = std::min(std::max(v, lo), hi);
    } else if constexpr (K == Activation::kHardSwish) {
      v = v * std::min(std::max(v * (1.0f / 6.0f) + 0.5f, 0.0f), 1.0f);
    } else if constexpr (K == Activation::kGelu) {
      v = 0.5f * v * (1.0f + ActErf(v * 0.70710678118654752f));
    } else if constexpr (K == Activation::kTanh) {
      v = std::tanh(v);
    }
    x[i] = v;
  }
}

// x[i] = act(x[i] + bias) for i in [0, n).
inline void ApplyBiasActivation(const Activation& a, float* x, int64_t n, float bias = 0.0f) {
  switch (a.kind) {
    case Activation::kNone:
      if (bias != 0.0f) ActLoop<Activation::kNone>(a, x, n, bias);
      return;
    case Activation::kRelu: return ActLoop<Activation::kRelu>(a, x, n, bias);
    case Activation::kSigmoid: return ActLoop<Activation::kSigmoid>(a, x, n, bias);
    case Activation::kSilu: return ActLoop<Activation::kSilu>(a, x, n, bias);
    case Activation::kLeakyRelu: return ActLoop<Activation::kLeakyRelu>(a, x, n, bias);
    case Activation::kClip: return ActLoop<Activation::kClip>(a, x, n, bias);
    case Activation::kHardSwish: return ActLoop<Activation::kHardSwish>(a, x, n, bias);
    case Activation::kGelu: return ActLoop<Activation::kGelu>(a, x, n, bias);
    case Activation::kTanh: return ActLoop<Activation::kTanh>(a, x, n, bias);
  }
}

// Row-vector bias: x[r*n + j] = act(x[r*n + j] + bias[j]) (FusedMatMul); bias may be null.
inline void ApplyRowBiasActivation(const Activation& a, float* x, int64_t rows, int64_t n,
                                   const float* bias) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * n;
    if (bias != nullptr) {
      for (int64_t j = 0; j < n; ++j) row[j] += bias[j];
    }
    if (a.kind != Activation::kNone) ApplyBiasActivation(a, row, n, 0.0f);
  }
}

}  // namespace parallax::ops
