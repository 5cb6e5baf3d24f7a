// Fused epilogue activations shared by Conv (internal attribute "activation") and the internal
// FusedMatMul op. The graph fusion pass sets the attributes; kernels apply them in place on
// the freshly computed output, optionally adding a per-row bias first.
//
//   PX_ASSIGN_OR_RETURN(Activation act, ParseActivation(node));
//   ApplyBiasActivation(act, row, n, bias_value);     // row[i] = act(row[i] + bias)
//
// Sigmoid, Silu and Gelu run on the SIMD row kernels (kernels/simd_rows.h) where the CPU has
// them; elsewhere on SSE/scalar loops around vector_math.h's polynomial exp (~2e-7 relative).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <optional>

#include "ir/graph.h"
#include "kernels/packed_gemm.h"
#include "kernels/simd_rows.h"
#include "kernels/vector_math.h"
#include "parallax/status.h"

namespace parallax::ops {

struct Activation {
  enum Kind { kNone, kRelu, kSigmoid, kSilu, kLeakyRelu, kClip, kHardSwish, kGelu, kTanh };
  Kind kind = kNone;
  float alpha = 0.01f;  // LeakyRelu slope
  float beta = 1.0f;    // Silu: x·sigmoid(beta·x) (CLIP's QuickGELU is beta = 1.702)
  float lo = -INFINITY, hi = INFINITY;  // Clip bounds
};

// Reads "activation" (+ "activation_alpha", "activation_beta", "activation_min", "activation_max").
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
    a.beta = node.GetFloat("activation_beta", 1.0f);
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

// exp and erf come from kernels/vector_math.h (one implementation, NaN-safe).
__attribute__((always_inline)) inline float ActFastExp(float x) { return FastExp(x); }

#if defined(__SSE2__)
// 4-wide SSE2 versions (baseline x86-64): scalar float compares are not if-converted under
// the default -ftrapping-math, so the plain loop would not vectorize.
inline __m128 ActExp4(__m128 x) {
  x = _mm_max_ps(_mm_min_ps(x, _mm_set1_ps(88.72283f)), _mm_set1_ps(-87.33654f));
  const __m128 magic = _mm_set1_ps(12582912.0f);
  __m128 n = _mm_sub_ps(_mm_add_ps(_mm_mul_ps(x, _mm_set1_ps(1.44269504088896341f)), magic), magic);
  __m128 r = _mm_sub_ps(x, _mm_mul_ps(n, _mm_set1_ps(0.693359375f)));
  r = _mm_sub_ps(r, _mm_mul_ps(n, _mm_set1_ps(-2.12194440e-4f)));
  __m128 p = _mm_set1_ps(1.9875691500e-4f);
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.3981999507e-3f));
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(8.3334519073e-3f));
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(4.1665795894e-2f));
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.6666665459e-1f));
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(5.0000001201e-1f));
  p = _mm_add_ps(_mm_add_ps(_mm_mul_ps(_mm_mul_ps(p, r), r), r), _mm_set1_ps(1.0f));
  __m128i e = _mm_slli_epi32(_mm_add_epi32(_mm_cvtps_epi32(n), _mm_set1_epi32(127)), 23);
  return _mm_mul_ps(p, _mm_castsi128_ps(e));
}

template <Activation::Kind K>
inline __m128 ActVec4(__m128 v, const Activation& a) {
  const __m128 zero = _mm_setzero_ps(), one = _mm_set1_ps(1.0f);
  if constexpr (K == Activation::kRelu) {
    return _mm_max_ps(v, zero);
  } else if constexpr (K == Activation::kSigmoid) {
    return _mm_div_ps(one, _mm_add_ps(one, ActExp4(_mm_sub_ps(zero, v))));
  } else if constexpr (K == Activation::kSilu) {
    return _mm_div_ps(v, _mm_add_ps(one, ActExp4(_mm_mul_ps(_mm_set1_ps(-a.beta), v))));
  } else if constexpr (K == Activation::kLeakyRelu) {
    __m128 neg = _mm_mul_ps(v, _mm_set1_ps(a.alpha));
    __m128 mask = _mm_cmpge_ps(v, zero);
    return _mm_or_ps(_mm_and_ps(mask, v), _mm_andnot_ps(mask, neg));
  } else if constexpr (K == Activation::kClip) {
    return _mm_min_ps(_mm_max_ps(v, _mm_set1_ps(a.lo)), _mm_set1_ps(a.hi));
  } else if constexpr (K == Activation::kHardSwish) {
    __m128 t = _mm_add_ps(_mm_mul_ps(v, _mm_set1_ps(1.0f / 6.0f)), _mm_set1_ps(0.5f));
    return _mm_mul_ps(v, _mm_min_ps(_mm_max_ps(t, zero), one));
  } else {
    return v;
  }
}
#endif

template <Activation::Kind K>
inline float ActScalar(float v, const Activation& a) {
  if constexpr (K == Activation::kRelu) {
    return v > 0.0f ? v : 0.0f;
  } else if constexpr (K == Activation::kSigmoid) {
    return 1.0f / (1.0f + ActFastExp(-v));
  } else if constexpr (K == Activation::kSilu) {
    return v / (1.0f + ActFastExp(-a.beta * v));
  } else if constexpr (K == Activation::kLeakyRelu) {
    return v >= 0.0f ? v : v * a.alpha;
  } else if constexpr (K == Activation::kClip) {
    v = v < a.lo ? a.lo : v;
    return v > a.hi ? a.hi : v;
  } else if constexpr (K == Activation::kHardSwish) {
    float t = v * (1.0f / 6.0f) + 0.5f;
    t = t < 0.0f ? 0.0f : t;
    t = t > 1.0f ? 1.0f : t;
    return v * t;
  } else if constexpr (K == Activation::kGelu) {
    return FastGelu(v);
  } else if constexpr (K == Activation::kTanh) {
    return std::tanh(v);
  } else {
    return v;
  }
}

template <Activation::Kind K>
inline void ActLoop(const Activation& a, float* x, int64_t n, float bias) {
  int64_t i = 0;
  if constexpr (K == Activation::kGelu || K == Activation::kSilu || K == Activation::kSigmoid) {
    if (const RowKernels* rows = BestRowKernels()) {
      if constexpr (K == Activation::kGelu) return rows->gelu(x, n, bias);
      if constexpr (K == Activation::kSilu) return rows->silu(x, n, bias, a.beta);
      if constexpr (K == Activation::kSigmoid) return rows->sigmoid(x, n, bias);
    }
  }
#if defined(__SSE2__)
  if constexpr (K != Activation::kGelu && K != Activation::kTanh) {
    const __m128 b = _mm_set1_ps(bias);
    for (; i + 4 <= n; i += 4) {
      _mm_storeu_ps(x + i, ActVec4<K>(_mm_add_ps(_mm_loadu_ps(x + i), b), a));
    }
  }
#endif
  for (; i < n; ++i) x[i] = ActScalar<K>(x[i] + bias, a);
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

// act(C + bias[column]) as a TileEpilogue, which the packed kernels apply to each tile in L1
// (the same vector functions as the row kernels); nullopt for the activations they do not have.
inline std::optional<TileEpilogue> AsTileEpilogue(const Activation& a, const float* bias) {
  TileEpilogue t;
  t.bias = bias;
  switch (a.kind) {
    case Activation::kNone: t.act = TileEpilogue::kNone; return t;
    case Activation::kRelu: t.act = TileEpilogue::kRelu; return t;
    case Activation::kSilu: t.act = TileEpilogue::kSilu; t.beta = a.beta; return t;
    case Activation::kSigmoid: t.act = TileEpilogue::kSigmoid; return t;
    case Activation::kGelu: t.act = TileEpilogue::kGelu; return t;
    default: return std::nullopt;
  }
}

// Row-vector bias: x[r*ld + j] = act(x[r*ld + j] + bias[j]) for j < n (FusedMatMul, on all of
// C or on one block of it: ld = 0 means ld = n); bias may be null.
inline void ApplyRowBiasActivation(const Activation& a, float* x, int64_t rows, int64_t n,
                                   const float* bias, int64_t ld = 0) {
  if (ld == 0) ld = n;
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * ld;
    if (bias != nullptr) {
      for (int64_t j = 0; j < n; ++j) row[j] += bias[j];
    }
    if (a.kind != Activation::kNone) ApplyBiasActivation(a, row, n, 0.0f);
  }
}

}  // namespace parallax::ops
