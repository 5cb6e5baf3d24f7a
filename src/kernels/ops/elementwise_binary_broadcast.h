// The numpy-broadcasting loop engine of the elementwise binary family.
//
// The output shape is collapsed: dims of size 1 are dropped and neighbouring dims are merged
// when every input is either contiguous across both or broadcast across both. Same-shape and
// scalar operands thus become one flat dim, [N,C,H,W] + [C,1,1] becomes [N, C, H*W] with a
// broadcast inner dim, and [.., K] + [K] becomes [M, K]. The innermost collapsed dim has input
// stride 1 (contiguous) or 0 (broadcast), so the inner loops are tight, vectorizable loops.
// The iteration space is split over the thread pool in element ranges (partial rows allowed).
//
// Output 0 may alias input 0 (inplace_input = 0): the loops read a[i] before writing o[i] at
// the same index and never read an output element after writing it.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "kernels/kernel.h"
#include "kernels/kernel_util.h"
#include "kernels/ops/elementwise_unary_common.h"

#pragma GCC push_options
#pragma GCC optimize("tree-vectorize")
#pragma GCC optimize("vect-cost-model=dynamic")
#pragma GCC optimize("no-trapping-math")  // lets float selects (x < 0 ? a : b) vectorize

namespace parallax::ops::elementwise {

template <int K>
struct BroadcastLayout {
  std::vector<int64_t> dims;                      // collapsed output dims, at least one
  std::array<std::vector<int64_t>, K> strides;    // per input, per collapsed dim (elements)
  int64_t numel = 0;
};

template <int K>
BroadcastLayout<K> MakeLayout(const std::array<const Shape*, K>& ins, const Shape& out) {
  BroadcastLayout<K> L;
  L.numel = NumElements(out);
  std::array<std::vector<int64_t>, K> s;
  for (int k = 0; k < K; ++k) s[k] = BroadcastStrides(*ins[k], out);
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;
    if (!L.dims.empty()) {
      bool merge = true;
      for (int k = 0; k < K; ++k) merge &= L.strides[k].back() == s[k][d] * out[d];
      if (merge) {
        L.dims.back() *= out[d];
        for (int k = 0; k < K; ++k) L.strides[k].back() = s[k][d];
        continue;
      }
    }
    L.dims.push_back(out[d]);
    for (int k = 0; k < K; ++k) L.strides[k].push_back(s[k][d]);
  }
  if (L.dims.empty()) {
    L.dims.push_back(1);
    for (int k = 0; k < K; ++k) L.strides[k].push_back(0);
  }
  return L;
}

// Calls inner(out_offset, in_offsets, count, inner_is_vector) over runs of the innermost dim,
// splitting [0, numel) over the pool.
template <int K, typename Inner>
void ForEachRun(ThreadPool* pool, const BroadcastLayout<K>& L, int64_t grain, const Inner& inner) {
  if (L.numel <= 0) return;
  const int rank = static_cast<int>(L.dims.size());
  const int64_t n_in = L.dims.back();
  std::array<bool, K> vec;
  for (int k = 0; k < K; ++k) vec[k] = L.strides[k].back() != 0;
  ParallelFor(pool, L.numel, grain, [&](int64_t begin, int64_t end) {
    int64_t row = begin / n_in, col = begin % n_in;
    std::vector<int64_t> idx(rank > 1 ? rank - 1 : 1, 0);
    std::array<int64_t, K> off{};
    for (int d = rank - 2; d >= 0; --d) {
      idx[d] = row % L.dims[d];
      row /= L.dims[d];
      for (int k = 0; k < K; ++k) off[k] += idx[d] * L.strides[k][d];
    }
    int64_t pos = begin;
    while (pos < end) {
      const int64_t cnt = std::min(n_in - col, end - pos);
      std::array<int64_t, K> o = off;
      for (int k = 0; k < K; ++k) o[k] += vec[k] ? col : 0;
      inner(pos, o, cnt, vec);
      pos += cnt;
      col = 0;
      for (int d = rank - 2; d >= 0; --d) {  // next row
        for (int k = 0; k < K; ++k) off[k] += L.strides[k][d];
        if (++idx[d] < L.dims[d]) break;
        for (int k = 0; k < K; ++k) off[k] -= L.strides[k][d] * L.dims[d];
        idx[d] = 0;
      }
    }
  });
}

// o = f(a, b) with a, b broadcast to o's shape.
template <typename TA, typename TB, typename TO, typename F>
void BroadcastBinary(ThreadPool* pool, const Tensor& ta, const Tensor& tb, Tensor& to, const F& f,
                     int64_t grain = kCheapGrain) {
  const TA* a = ta.data<TA>();
  const TB* b = tb.data<TB>();
  TO* o = to.data<TO>();
  if (ta.shape() == to.shape() && tb.shape() == to.shape()) {  // the hottest path
    ParallelFor(pool, to.numel(), grain, [&](int64_t s, int64_t e) {
#pragma GCC ivdep
      for (int64_t i = s; i < e; ++i) o[i] = f(a[i], b[i]);
    });
    return;
  }
  BroadcastLayout<2> L = MakeLayout<2>({&ta.shape(), &tb.shape()}, to.shape());
  ForEachRun<2>(pool, L, grain,
                [&](int64_t pos, const std::array<int64_t, 2>& off, int64_t n,
                    const std::array<bool, 2>& vec) {
                  TO* op = o + pos;
                  const TA* ap = a + off[0];
                  const TB* bp = b + off[1];
                  if (vec[0] && vec[1]) {
#pragma GCC ivdep
                    for (int64_t i = 0; i < n; ++i) op[i] = f(ap[i], bp[i]);
                  } else if (vec[0]) {
                    const TB bv = *bp;
#pragma GCC ivdep
                    for (int64_t i = 0; i < n; ++i) op[i] = f(ap[i], bv);
                  } else if (vec[1]) {
                    const TA av = *ap;
#pragma GCC ivdep
                    for (int64_t i = 0; i < n; ++i) op[i] = f(av, bp[i]);
                  } else {
                    const TO v = f(*ap, *bp);
                    for (int64_t i = 0; i < n; ++i) op[i] = v;
                  }
                });
}

// o = f(a, b, c) with all three broadcast to o's shape (Where).
template <typename TA, typename TB, typename TC, typename TO, typename F>
void BroadcastTernary(ThreadPool* pool, const Tensor& ta, const Tensor& tb, const Tensor& tc,
                      Tensor& to, const F& f, int64_t grain = kCheapGrain) {
  const TA* a = ta.data<TA>();
  const TB* b = tb.data<TB>();
  const TC* c = tc.data<TC>();
  TO* o = to.data<TO>();
  BroadcastLayout<3> L = MakeLayout<3>({&ta.shape(), &tb.shape(), &tc.shape()}, to.shape());
  ForEachRun<3>(pool, L, grain,
                [&](int64_t pos, const std::array<int64_t, 3>& off, int64_t n,
                    const std::array<bool, 3>& vec) {
                  TO* op = o + pos;
                  const TA* ap = a + off[0];
                  const TB* bp = b + off[1];
                  const TC* cp = c + off[2];
                  const int64_t sa = vec[0], sb = vec[1], sc = vec[2];
                  if (sa && sb && sc) {
                    for (int64_t i = 0; i < n; ++i) op[i] = f(ap[i], bp[i], cp[i]);
                  } else {
                    for (int64_t i = 0; i < n; ++i) op[i] = f(ap[i * sa], bp[i * sb], cp[i * sc]);
                  }
                });
}

// Input B's shape as broadcasting sees it. Before opset 7, arithmetic/logic ops with
// broadcast=1 align B with A starting at `axis` (default: suffix alignment).
inline StatusOr<Shape> EffectiveShapeB(const Node& node, const Shape& a, const Shape& b) {
  if (node.opset >= 7 || node.GetInt("broadcast", 0) == 0 || node.attr("axis") == nullptr) return b;
  const int64_t ra = static_cast<int64_t>(a.size()), rb = static_cast<int64_t>(b.size());
  int64_t axis = node.GetInt("axis", ra - rb);
  if (axis < 0) axis += ra;
  if (axis < 0 || axis + rb > ra) {
    return InvalidArgument("legacy broadcast axis " + std::to_string(node.GetInt("axis", 0)) +
                           " does not fit B " + ShapeToString(b) + " into A " + ShapeToString(a));
  }
  Shape e = b;
  e.resize(static_cast<size_t>(ra - axis), 1);
  return e;
}

}  // namespace parallax::ops::elementwise

#pragma GCC pop_options
