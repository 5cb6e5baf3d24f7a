// CumSum (opset 11+) and CumProd (opset 26+): one cumulative scan along the axis given by a
// 0-D/1-element input, with `exclusive` (the first output is the identity: 0 or 1) and
// `reverse`. float32, float64, int32, int64, uint32, uint64. The output shape equals the
// input's, so infer only validates the axis when its contents are known.
#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel_util.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

struct SumOp {
  static constexpr const char* kName = "CumSum";
  template <typename T>
  static T Identity() { return T(0); }
  template <typename T>
  static void Apply(T& acc, T v) { acc += v; }
};

struct ProdOp {
  static constexpr const char* kName = "CumProd";
  template <typename T>
  static T Identity() { return T(1); }
  template <typename T>
  static void Apply(T& acc, T v) { acc *= v; }
};

bool ScanDtype(DataType dt) {
  return dt == DataType::kFloat32 || dt == DataType::kFloat64 || dt == DataType::kInt32 ||
         dt == DataType::kInt64 || dt == DataType::kUInt32 || dt == DataType::kUInt64;
}

StatusOr<int64_t> ReadAxis(const Tensor& t, int64_t rank) {
  if (t.numel() != 1) return InvalidArgument("input 'axis' must hold exactly one value");
  PX_ASSIGN_OR_RETURN(std::vector<int64_t> a, ReadInts(t));
  return NormalizeAxis(a[0], std::max<int64_t>(1, rank));
}

template <typename Op>
Status ScanInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1)) return InvalidArgument("inputs 'x' and 'axis' are required");
  const DataType dt = ctx.in(0).dtype;
  if (!ScanDtype(dt)) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by " + Op::kName);
  }
  if (ctx.in(1).dtype != DataType::kInt32 && ctx.in(1).dtype != DataType::kInt64) {
    return InvalidArgument("input 'axis' must be int32 or int64");
  }
  if (const Tensor* a = ctx.Value(1)) {
    PX_RETURN_IF_ERROR(ReadAxis(*a, static_cast<int64_t>(ctx.in(0).shape.size())).status());
  }
  ctx.SetOutput(0, dt, ctx.in(0).shape);
  return Status::Ok();
}

template <typename Op, typename T>
void ScanTyped(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool excl, bool rev,
               ThreadPool* pool) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * inner));
  pool->ParallelFor(outer, grain, [&](int64_t b, int64_t e) {
    std::vector<T> acc(static_cast<size_t>(inner));
    for (int64_t o = b; o < e; ++o) {
      std::fill(acc.begin(), acc.end(), Op::template Identity<T>());
      for (int64_t s = 0; s < n; ++s) {
        const int64_t i = rev ? n - 1 - s : s;
        const T* xr = x + (o * n + i) * inner;
        T* yr = y + (o * n + i) * inner;
        for (int64_t k = 0; k < inner; ++k) {
          if (excl) {
            yr[k] = acc[k];
            Op::Apply(acc[k], xr[k]);
          } else {
            Op::Apply(acc[k], xr[k]);
            yr[k] = acc[k];
          }
        }
      }
    }
  });
}

template <typename Op>
Status ScanCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  PX_ASSIGN_OR_RETURN(int64_t axis, ReadAxis(ctx.in(1), in.rank()));
  if (in.numel() == 0) return Status::Ok();
  if (!ScanDtype(in.dtype())) return NotImplemented(std::string(Op::kName) + ": unsupported dtype");
  const Shape shape = in.rank() == 0 ? Shape{1} : in.shape();
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  const bool excl = ctx.node.GetInt("exclusive", 0) != 0;
  const bool rev = ctx.node.GetInt("reverse", 0) != 0;
  return DispatchNumeric(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      ScanTyped<Op, T>(in.data<T>(), ctx.out(0).data<T>(), outer, shape[axis], inner, excl, rev,
                       ctx.pool);
    }
  });
}

}  // namespace

std::vector<KernelDef> MiscCumulativeKernels() {
  return {{"CumSum", "", 11, 0, ScanInfer<SumOp>, ScanCompute<SumOp>, 0},
          {"CumProd", "", 26, 0, ScanInfer<ProdOp>, ScanCompute<ProdOp>, 0}};
}

}  // namespace parallax::ops
