// Unique (ai.onnx 11): the unique elements (no `axis`: of the flattened input) or unique
// slices along `axis`, with outputs Y, indices (first occurrence), inverse_indices and counts
// (int64). sorted=1 (default) orders them ascending (slices lexicographically); sorted=0 by
// first occurrence. The output size depends on the contents, so infer needs the input's value.
// Numeric dtypes (float compared by value; NaNs are all equal and sort last).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel_util.h"

namespace parallax::ops {
namespace {

struct UniqueResult {
  std::vector<int64_t> first;    // per unique: the slice index of its first occurrence
  std::vector<int64_t> inverse;  // per slice: its unique's position
  std::vector<int64_t> counts;
  int64_t outer = 1, n = 1, inner = 1;  // slices: n of them, each outer x inner elements
};

template <typename T>
int Cmp(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    const bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
  }
  return a < b ? -1 : (b < a ? 1 : 0);
}

template <typename T>
void UniqueTyped(const T* x, UniqueResult* r, bool sorted) {
  const int64_t n = r->n, outer = r->outer, inner = r->inner;
  // Compares slices i and j lexicographically (slice = x[o, i, k] over o, k in row-major order).
  auto cmp = [&](int64_t i, int64_t j) {
    for (int64_t o = 0; o < outer; ++o) {
      const T* a = x + (o * n + i) * inner;
      const T* b = x + (o * n + j) * inner;
      for (int64_t k = 0; k < inner; ++k) {
        const int c = Cmp(a[k], b[k]);
        if (c != 0) return c;
      }
    }
    return 0;
  };
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return cmp(i, j) < 0; });
  // Groups in sorted order; stable sort keeps the first occurrence first in each group.
  std::vector<int64_t> group_of(n);
  std::vector<int64_t> first, counts;
  for (int64_t p = 0; p < n; ++p) {
    if (p == 0 || cmp(order[p - 1], order[p]) != 0) {
      first.push_back(order[p]);
      counts.push_back(0);
    }
    group_of[order[p]] = static_cast<int64_t>(first.size()) - 1;
    ++counts.back();
  }
  std::vector<int64_t> rank(first.size());
  std::iota(rank.begin(), rank.end(), 0);
  if (!sorted) {
    std::vector<int64_t> by_first(first.size());
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) { return first[a] < first[b]; });
    std::vector<int64_t> f2(first.size()), c2(first.size());
    for (size_t q = 0; q < by_first.size(); ++q) {
      f2[q] = first[by_first[q]];
      c2[q] = counts[by_first[q]];
      rank[by_first[q]] = static_cast<int64_t>(q);
    }
    first.swap(f2);
    counts.swap(c2);
  }
  r->inverse.resize(n);
  for (int64_t i = 0; i < n; ++i) r->inverse[i] = rank[group_of[i]];
  r->first = std::move(first);
  r->counts = std::move(counts);
}

StatusOr<UniqueResult> RunUnique(const Node& node, const Tensor& x) {
  UniqueResult r;
  const Shape& s = x.shape();
  if (node.attr("axis") != nullptr) {
    PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(node.GetInt("axis", 0), x.rank()));
    for (int64_t i = 0; i < axis; ++i) r.outer *= s[i];
    r.n = s[axis];
    for (int64_t i = axis + 1; i < x.rank(); ++i) r.inner *= s[i];
  } else {
    r.n = x.numel();
  }
  if (r.outer * r.inner == 0) {
    // Zero-size slices: all equal (one unique when there is any slice).
    r.inverse.assign(r.n, 0);
    if (r.n > 0) {
      r.first = {0};
      r.counts = {r.n};
    }
    return r;
  }
  const bool sorted = node.GetInt("sorted", 1) != 0;
  Status st = DispatchNumeric(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    UniqueTyped<T>(x.data<T>(), &r, sorted);
  });
  PX_RETURN_IF_ERROR(st);
  return r;
}

Shape YShape(const Node& node, const Shape& s, int64_t u) {
  if (node.attr("axis") == nullptr) return {u};
  Shape y = s;
  const int64_t rank = static_cast<int64_t>(s.size());
  int64_t axis = node.GetInt("axis", 0);
  if (axis < 0) axis += rank;
  y[axis] = u;
  return y;
}

Status UniqueInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("input 'X' is required");
  const DataType dt = ctx.in(0).dtype;
  if (dt == DataType::kFloat16 || DataTypeSize(dt) == 0) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by Unique");
  }
  if (ctx.node.attr("axis") != nullptr) {
    PX_RETURN_IF_ERROR(NormalizeAxis(ctx.node.GetInt("axis", 0), static_cast<int64_t>(ctx.in(0).shape.size())).status());
  }
  const Tensor* v = ctx.Value(0);
  if (v == nullptr) return NeedsValue();
  PX_ASSIGN_OR_RETURN(UniqueResult r, RunUnique(ctx.node, *v));
  const int64_t u = static_cast<int64_t>(r.first.size());
  ctx.SetOutput(0, dt, YShape(ctx.node, ctx.in(0).shape, u));
  if (ctx.outputs.size() > 1) ctx.SetOutput(1, DataType::kInt64, {u});
  if (ctx.outputs.size() > 2) ctx.SetOutput(2, DataType::kInt64, {r.n});
  if (ctx.outputs.size() > 3) ctx.SetOutput(3, DataType::kInt64, {u});
  return Status::Ok();
}

Status UniqueCompute(KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  PX_ASSIGN_OR_RETURN(UniqueResult r, RunUnique(ctx.node, x));
  const int64_t u = static_cast<int64_t>(r.first.size());
  Tensor& y = ctx.out(0);
  if (y.shape() != YShape(ctx.node, x.shape(), u)) return Internal("Unique: output shape changed since inference");
  const size_t es = DataTypeSize(x.dtype());
  const char* src = static_cast<const char*>(x.raw());
  char* dst = static_cast<char*>(y.raw());
  for (int64_t o = 0; o < r.outer; ++o) {
    for (int64_t q = 0; q < u; ++q) {
      std::memcpy(dst + ((o * u + q) * r.inner) * es, src + ((o * r.n + r.first[q]) * r.inner) * es,
                  static_cast<size_t>(r.inner) * es);
    }
  }
  auto put = [&](size_t i, const std::vector<int64_t>& v) {
    if (ctx.outputs.size() > i && ctx.outputs[i] != nullptr) {
      std::copy(v.begin(), v.end(), ctx.out(i).data<int64_t>());
    }
  };
  put(1, r.first);
  put(2, r.inverse);
  put(3, r.counts);
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> ExtraUniqueKernels() {
  return {{"Unique", "", 11, 0, UniqueInfer, UniqueCompute}};
}

}  // namespace parallax::ops
