// Row kernels (softmax, GELU, SiLU, sigmoid) written once over a SIMD traits type V and
// compiled per ISA in simd_rows_avx512.cc / simd_rows_avx2.cc with that ISA's flags;
// simd_rows.cc picks one by CPUID. Every element of a row, the tail included (masked loads and stores), goes through
// the same vector code, so a result does not depend on where a row was split.
//
// V provides: kLanes, T (vector), M (lane mask), Set(f), Load, Store, LoadN(p, n, fill),
// StoreN(p, n, v), Add, Sub, Mul, Recip (estimate), Fma(a, b, c) = a·b + c,
// Fnma(a, b, c) = c − a·b, Max(a, b) (a > b ? a : b, so a NaN in a is dropped),
// Min(a, b) (a < b ? a : b), Abs, Round, Lt(a, b), IsNan, Select(m, a, b),
// Pow2(p, n) = p·2ⁿ for integral n (simd_avx512.h, simd_avx2.h).
#pragma once

#include <cmath>
#include <cstdint>

namespace parallax::simd {

// Horizontal sum and max in lane order (a fixed order: results do not depend on the caller).
template <class V>
float SumLanes(typename V::T v) {
  alignas(64) float l[V::kLanes];
  V::Store(l, v);
  float s = 0;
  for (float x : l) s += x;
  return s;
}
template <class V>
float MaxLanes(typename V::T v) {
  alignas(64) float l[V::kLanes];
  V::Store(l, v);
  float m = l[0];
  for (float x : l) m = x > m ? x : m;
  return m;
}

// 1 / d by the hardware estimate and one Newton step (~1e-7 relative): a division would be
// the slowest instruction of the loops below. d must be finite and nonzero.
template <class V>
inline typename V::T Reciprocal(typename V::T d) {
  const typename V::T r0 = V::Recip(d);
  return V::Mul(r0, V::Fnma(d, r0, V::Set(2.f)));
}

// exp(x) for x < 88 (every caller's argument is <= ~0): FastExp's polynomial; 0 below -87.3
// (never a subnormal); NaN stays NaN when kKeepNan (otherwise it gives e^-87.3).
template <class V, bool kKeepNan = true>
inline typename V::T ExpBelow88(typename V::T x) {
  using T = typename V::T;
  const T lo = V::Set(-87.3f);
  const T xc = V::Max(x, lo);  // NaN x is dropped here ...
  const T n = V::Round(V::Mul(xc, V::Set(1.44269504088896341f)));
  T r = V::Fnma(n, V::Set(0.693359375f), xc);
  r = V::Fnma(n, V::Set(-2.12194440e-4f), r);
  T p = V::Set(1.9875691500e-4f);
  p = V::Fma(p, r, V::Set(1.3981999507e-3f));
  p = V::Fma(p, r, V::Set(8.3334519073e-3f));
  p = V::Fma(p, r, V::Set(4.1665795894e-2f));
  p = V::Fma(p, r, V::Set(1.6666665459e-1f));
  p = V::Fma(p, r, V::Set(5.0000001201e-1f));
  p = V::Add(V::Fma(V::Mul(p, r), r, r), V::Set(1.f));
  const T y = V::Select(V::Lt(x, lo), V::Set(0.f), V::Pow2(p, n));
  if constexpr (!kKeepNan) return y;
  return V::Select(V::IsNan(x), x, y);  // ... and handed back here
}

// 0.5·x·(1 + erf(x/√2)) with 1 + erf(z) = 2 − erfc(z) for z >= 0 and erfc(−z) for z < 0, erfc
// by the Chebyshev fit of vector_math.h (relative error < 1.2e-7 for all z >= 0): unlike erf
// itself, 1 + erf never cancels, so GELU needs no separate series near 0. NaN propagates
// through t.
template <class V>
inline typename V::T Gelu(typename V::T x) {
  using T = typename V::T;
  const T z = V::Mul(x, V::Set(0.70710678118654752f));
  // |z| capped at 1e4 (erfc is 0 in float long before): keeps the Newton step below finite
  // at x = ±inf. A NaN z becomes 1e4 too; x carries the NaN to the result.
  const T a = V::Min(V::Abs(z), V::Set(1e4f));
  const T t = Reciprocal<V>(V::Fma(V::Set(0.5f), a, V::Set(1.f)));  // 1 / (1 + a/2)
  T p = V::Set(0.17087277f);
  p = V::Fma(p, t, V::Set(-0.82215223f));
  p = V::Fma(p, t, V::Set(1.48851587f));
  p = V::Fma(p, t, V::Set(-1.13520398f));
  p = V::Fma(p, t, V::Set(0.27886807f));
  p = V::Fma(p, t, V::Set(-0.18628806f));
  p = V::Fma(p, t, V::Set(0.09678418f));
  p = V::Fma(p, t, V::Set(0.37409196f));
  p = V::Fma(p, t, V::Set(1.00002368f));
  p = V::Fma(p, t, V::Set(-1.26551223f));
  const T c = V::Mul(t, ExpBelow88<V, false>(V::Fnma(a, a, p)));  // erfc(|z|)
  const T one_plus_erf = V::Select(V::Lt(z, V::Set(0.f)), c, V::Sub(V::Set(2.f), c));
  return V::Mul(V::Mul(V::Set(0.5f), x), one_plus_erf);
}

// x·sigmoid(β·x) (kGate) or sigmoid(x). Where e^(−βx) would pass 2^126 the sigmoid is taken as
// exactly 0 (its true value is below 1e-38: a subnormal would slow every later op). NaN stays
// NaN through v (kGate) or through the Newton step.
template <class V, bool kGate>
inline typename V::T SigmoidGate(typename V::T v, typename V::T nbeta) {
  using T = typename V::T;
  const T t = V::Mul(nbeta, v);
  const T e = ExpBelow88<V, false>(V::Min(t, V::Set(87.f)));
  T s = Reciprocal<V>(V::Add(V::Set(1.f), e));
  s = V::Select(V::Lt(V::Set(87.f), t), V::Set(0.f), s);
  if constexpr (!kGate) s = V::Select(V::IsNan(v), v, s);
  return kGate ? V::Mul(v, s) : s;
}

// v·sigmoid(β·v) = v / (1 + 2^y), y = −β·log2(e)·v, in fewer operations than SigmoidGate (SiLU
// runs on every convolution output of YOLOv8n: 15 M elements per inference): y is clamped to
// [−126, 125] (2^y and 1 / (1 + 2^y) stay normal floats, so no selects) and 2^y is 2^n times a
// degree-6 fit of 2^f on [−0.5, 0.5] (relative error 1e-7). Rounding y costs a relative error
// of about 4e-8·|y| in 2^y, so sigmoid is within ~1e-6 of exact for |β·v| < 20 and saturates
// correctly beyond. NaN v gives NaN (through the final product); v = −inf gives −inf (not the
// NaN of −inf · 0).
template <class V>
inline typename V::T SiluFast(typename V::T v, typename V::T scale) {
  using T = typename V::T;
  const T y = V::Min(V::Max(V::Mul(v, scale), V::Set(-126.f)), V::Set(125.f));
  const T n = V::Round(y);
  const T f = V::Sub(y, n);
  T p = V::Set(1.5353360504377633e-4f);
  p = V::Fma(p, f, V::Set(1.3398875016719103e-3f));
  p = V::Fma(p, f, V::Set(9.61843691766262e-3f));
  p = V::Fma(p, f, V::Set(5.5503323674201965e-2f));
  p = V::Fma(p, f, V::Set(2.4022647738456726e-1f));
  p = V::Fma(p, f, V::Set(6.931471824645996e-1f));
  p = V::Fma(p, f, V::Set(1.f));
  const T e = V::Pow2(p, n);
  return V::Mul(v, Reciprocal<V>(V::Add(V::Set(1.f), e)));
}

// x[i] = act(x[i] + bias) for act = x·sigmoid(β·x) (kGate) or sigmoid.
template <class V, bool kGate>
void SigmoidRow(float* x, int64_t n, float bias, float beta) {
  constexpr int L = V::kLanes;
  const typename V::T b = V::Set(bias), nbeta = V::Set(-beta);
  int64_t i = 0;
  if constexpr (kGate) {
    const typename V::T scale = V::Set(-beta * 1.44269504088896341f);
    for (; i + L <= n; i += L) V::Store(x + i, SiluFast<V>(V::Add(V::Load(x + i), b), scale));
    if (i < n) V::StoreN(x + i, n - i, SiluFast<V>(V::Add(V::LoadN(x + i, n - i, 0.f), b), scale));
    return;
  }
  for (; i + L <= n; i += L) V::Store(x + i, SigmoidGate<V, kGate>(V::Add(V::Load(x + i), b), nbeta));
  if (i < n) V::StoreN(x + i, n - i, SigmoidGate<V, kGate>(V::Add(V::LoadN(x + i, n - i, 0.f), b), nbeta));
}

// x[i] = Gelu(x[i] + bias).
template <class V>
void GeluRow(float* x, int64_t n, float bias) {
  constexpr int L = V::kLanes;
  const typename V::T b = V::Set(bias);
  int64_t i = 0;
  for (; i + L <= n; i += L) V::Store(x + i, Gelu<V>(V::Add(V::Load(x + i), b)));
  if (i < n) V::StoreN(x + i, n - i, Gelu<V>(V::Add(V::LoadN(x + i, n - i, 0.f), b)));
}

// y = exp(x - max(x)) over n elements (x == y allowed); returns the sum of y, so that softmax
// is y / sum. The max ignores NaN elements, a row with no finite max uses 0 (vector_math's
// scalar SoftmaxRow does the same).
template <class V>
float SoftmaxExpRow(const float* x, float* y, int64_t n) {
  using T = typename V::T;
  constexpr int L = V::kLanes;
  T m0 = V::Set(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
  int64_t i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    m0 = V::Max(V::Load(x + i), m0);
    m1 = V::Max(V::Load(x + i + L), m1);
    m2 = V::Max(V::Load(x + i + 2 * L), m2);
    m3 = V::Max(V::Load(x + i + 3 * L), m3);
  }
  for (; i + L <= n; i += L) m0 = V::Max(V::Load(x + i), m0);
  if (i < n) m1 = V::Max(V::LoadN(x + i, n - i, -INFINITY), m1);
  float mx = MaxLanes<V>(V::Max(V::Max(m0, m1), V::Max(m2, m3)));
  if (!std::isfinite(mx)) mx = 0;
  const T vmx = V::Set(mx);
  T s0 = V::Set(0.f), s1 = s0;
  for (i = 0; i + 2 * L <= n; i += 2 * L) {
    const T e0 = ExpBelow88<V>(V::Sub(V::Load(x + i), vmx));
    const T e1 = ExpBelow88<V>(V::Sub(V::Load(x + i + L), vmx));
    V::Store(y + i, e0);
    V::Store(y + i + L, e1);
    s0 = V::Add(s0, e0);
    s1 = V::Add(s1, e1);
  }
  for (; i + L <= n; i += L) {
    const T e = ExpBelow88<V>(V::Sub(V::Load(x + i), vmx));
    V::Store(y + i, e);
    s0 = V::Add(s0, e);
  }
  if (i < n) {
    // Lanes past n load -inf: exp gives 0 there, adding nothing to the sum.
    const T e = ExpBelow88<V>(V::Sub(V::LoadN(x + i, n - i, -INFINITY), vmx));
    V::StoreN(y + i, n - i, e);
    s1 = V::Add(s1, e);
  }
  return SumLanes<V>(V::Add(s0, s1));
}

// y[k] = exp(x[k] − m[k]) and sum[k] += y[k] for k < n, where every x[k] − m[k] <= 0 (or NaN):
// one row of a softmax over a strided axis, m and sum being the columns' maxima and running
// sums (each column is one softmax).
template <class V>
void ExpSubAccRow(const float* x, const float* m, float* y, float* sum, int64_t n) {
  using T = typename V::T;
  constexpr int L = V::kLanes;
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    const T e = ExpBelow88<V>(V::Sub(V::Load(x + i), V::Load(m + i)));
    V::Store(y + i, e);
    V::Store(sum + i, V::Add(V::Load(sum + i), e));
  }
  if (i < n) {
    const T e = ExpBelow88<V>(V::Sub(V::LoadN(x + i, n - i, 0.f), V::LoadN(m + i, n - i, 0.f)));
    V::StoreN(y + i, n - i, e);
    V::StoreN(sum + i, n - i, V::Add(V::LoadN(sum + i, n - i, 0.f), e));
  }
}

// y = softmax(x) over n elements (x == y allowed).
template <class V>
void SoftmaxRow(const float* x, float* y, int64_t n) {
  using T = typename V::T;
  constexpr int L = V::kLanes;
  const T inv = V::Set(1.f / SoftmaxExpRow<V>(x, y, n));
  int64_t i = 0;
  for (; i + L <= n; i += L) V::Store(y + i, V::Mul(V::Load(y + i), inv));
  if (i < n) V::StoreN(y + i, n - i, V::Mul(V::LoadN(y + i, n - i, 0.f), inv));
}

}  // namespace parallax::simd
