// TopK: opset 1-9 (k attribute), 10 (k input), 11+ (largest, sorted). Outputs the values and
// int64 indices of the k largest (or smallest) elements along `axis`, sorted; equal values
// keep the lower index first. Output shape depends on k, so k's contents are needed.
#include <algorithm>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel_util.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

StatusOr<int64_t> ReadK(const Node& node, const Tensor* kt) {
  if (node.opset < 10) return node.GetInt("k", -1);
  if (kt == nullptr) return NeedsValue();
  if (kt->numel() != 1) return InvalidArgument("input 'K' must hold exactly one value");
  PX_ASSIGN_OR_RETURN(std::vector<int64_t> k, ReadInts(*kt));
  return k[0];
}

Status TopKInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("missing input 'X'");
  const DataType dt = ctx.in(0).dtype;
  if (!(IsFloat(dt) || IsInteger(dt)) || dt == DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by TopK");
  }
  const Shape& shape = ctx.in(0).shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank == 0) return InvalidArgument("input 'X' must have rank >= 1");
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", -1), rank));
  if (ctx.node.opset >= 10 && !ctx.has(1)) return InvalidArgument("missing input 'K'");
  PX_ASSIGN_OR_RETURN(int64_t k, ReadK(ctx.node, ctx.Value(1)));
  if (k < 0 || k > shape[axis]) {
    return InvalidArgument("k = " + std::to_string(k) + " is out of range [0, " +
                           std::to_string(shape[axis]) + "] for axis " + std::to_string(axis));
  }
  Shape out = shape;
  out[axis] = k;
  ctx.SetOutput(0, dt, out);
  if (ctx.outputs.size() > 1) ctx.SetOutput(1, DataType::kInt64, out);
  return Status::Ok();
}

template <typename T>
void TopKTyped(const T* x, T* vals, int64_t* idxs, int64_t outer, int64_t n, int64_t inner,
               int64_t k, bool largest, ThreadPool* pool) {
  const int64_t slices = outer * inner;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n));
  pool->ParallelFor(slices, grain, [&](int64_t b, int64_t e) {
    std::vector<int64_t> ord(static_cast<size_t>(n));
    std::vector<T> v(static_cast<size_t>(n));
    for (int64_t s = b; s < e; ++s) {
      const int64_t o = s / inner, in = s % inner;
      const T* xs = x + o * n * inner + in;
      for (int64_t i = 0; i < n; ++i) v[i] = xs[i * inner];
      std::iota(ord.begin(), ord.end(), int64_t{0});
      auto cmp = [&](int64_t a, int64_t c) {
        if (v[a] != v[c]) return largest ? v[a] > v[c] : v[a] < v[c];
        return a < c;
      };
      std::partial_sort(ord.begin(), ord.begin() + k, ord.end(), cmp);
      T* vo = vals + o * k * inner + in;
      int64_t* io = idxs ? idxs + o * k * inner + in : nullptr;
      for (int64_t j = 0; j < k; ++j) {
        vo[j * inner] = v[ord[j]];
        if (io) io[j * inner] = ord[j];
      }
    }
  });
}

Status TopKCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", -1), in.rank()));
  Tensor& vals = ctx.out(0);
  const int64_t k = vals.dim(axis);
  if (vals.numel() == 0) return Status::Ok();
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= in.dim(i);
  for (int64_t i = axis + 1; i < in.rank(); ++i) inner *= in.dim(i);
  const bool largest = ctx.node.opset < 11 || ctx.node.GetInt("largest", 1) != 0;
  int64_t* idx = ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.out(1).data<int64_t>() : nullptr;
  return DispatchNumeric(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    TopKTyped<T>(in.data<T>(), vals.data<T>(), idx, outer, in.dim(axis), inner, k, largest, ctx.pool);
  });
}

}  // namespace

std::vector<KernelDef> MiscTopKKernels() {
  return {
      {"TopK", "", 1, 9, TopKInfer, TopKCompute},
      {"TopK", "", 10, 10, TopKInfer, TopKCompute},
      {"TopK", "", 11, 0, TopKInfer, TopKCompute},
  };
}

}  // namespace parallax::ops
