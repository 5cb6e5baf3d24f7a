// ArgMax / ArgMin (opset 1-10, 11-12, 13+): axis, keepdims, select_last_index (from 12).
// Output is int64. Ties pick the first index unless select_last_index = 1.
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel_util.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

Status ArgInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("missing input 'data'");
  const DataType dt = ctx.in(0).dtype;
  if (!(IsFloat(dt) || IsInteger(dt)) || dt == DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by " +
                          ctx.node.op_type);
  }
  const Shape& shape = ctx.in(0).shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank == 0) return InvalidArgument("input 'data' must have rank >= 1");
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 0), rank));
  if (shape[axis] == 0) return InvalidArgument("cannot take " + ctx.node.op_type + " over an empty axis");
  const bool keepdims = ctx.node.GetInt("keepdims", 1) != 0;
  Shape out;
  for (int64_t i = 0; i < rank; ++i) {
    if (i != axis) out.push_back(shape[i]);
    else if (keepdims) out.push_back(1);
  }
  ctx.SetOutput(0, DataType::kInt64, out);
  return Status::Ok();
}

template <typename T, bool kMax, bool kLast>
void ArgTyped(const T* x, int64_t* y, int64_t outer, int64_t n, int64_t inner, ThreadPool* pool) {
  auto better = [](T a, T b) {  // is a strictly better (or equal, for kLast) than b
    if constexpr (kMax) return kLast ? a >= b : a > b;
    else return kLast ? a <= b : a < b;
  };
  if (inner == 1) {
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n));
    pool->ParallelFor(outer, grain, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const T* row = x + o * n;
        T best = row[0];
        int64_t bi = 0;
        for (int64_t i = 1; i < n; ++i) {
          if (better(row[i], best)) { best = row[i]; bi = i; }
        }
        y[o] = bi;
      }
    });
    return;
  }
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * inner));
  pool->ParallelFor(outer, grain, [&](int64_t b, int64_t e) {
    std::vector<T> best(static_cast<size_t>(inner));
    for (int64_t o = b; o < e; ++o) {
      const T* blk = x + o * n * inner;
      int64_t* yo = y + o * inner;
      for (int64_t k = 0; k < inner; ++k) { best[k] = blk[k]; yo[k] = 0; }
      for (int64_t i = 1; i < n; ++i) {
        const T* row = blk + i * inner;
        for (int64_t k = 0; k < inner; ++k) {
          if (better(row[k], best[k])) { best[k] = row[k]; yo[k] = i; }
        }
      }
    }
  });
}

Status ArgCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  const int64_t rank = in.rank();
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(ctx.node.GetInt("axis", 0), rank));
  if (in.numel() == 0) return Status::Ok();
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= in.dim(i);
  for (int64_t i = axis + 1; i < rank; ++i) inner *= in.dim(i);
  const int64_t n = in.dim(axis);
  const bool is_max = ctx.node.op_type == "ArgMax";
  const bool last = ctx.node.opset >= 12 && ctx.node.GetInt("select_last_index", 0) != 0;
  int64_t* y = out.data<int64_t>();
  return DispatchNumeric(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in.data<T>();
    if (is_max) {
      if (last) ArgTyped<T, true, true>(x, y, outer, n, inner, ctx.pool);
      else ArgTyped<T, true, false>(x, y, outer, n, inner, ctx.pool);
    } else {
      if (last) ArgTyped<T, false, true>(x, y, outer, n, inner, ctx.pool);
      else ArgTyped<T, false, false>(x, y, outer, n, inner, ctx.pool);
    }
  });
}

}  // namespace

std::vector<KernelDef> ReduceArgKernels() {
  std::vector<KernelDef> rows;
  for (const char* op : {"ArgMax", "ArgMin"}) {
    rows.push_back({op, "", 1, 10, ArgInfer, ArgCompute});
    rows.push_back({op, "", 11, 12, ArgInfer, ArgCompute});
    rows.push_back({op, "", 13, 0, ArgInfer, ArgCompute});
  }
  return rows;
}

}  // namespace parallax::ops
