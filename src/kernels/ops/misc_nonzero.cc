// NonZero (opset 9+): int64 [rank, nnz] indices of the non-zero elements in row-major order.
// A scalar is treated as a 1-element 1-D tensor ([1, nnz]). The output shape depends on the
// data, so infer always needs the input's contents.
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel_util.h"

namespace parallax::ops {
namespace {

int64_t CountNonZero(const Tensor& t) {
  int64_t nnz = 0;
  if (t.dtype() == DataType::kFloat16) {
    for (int64_t i = 0; i < t.numel(); ++i) nnz += (t.data<uint16_t>()[i] & 0x7fff) != 0;
    return nnz;
  }
  (void)DispatchNumeric(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) nnz += x[i] != T(0);
  });
  return nnz;
}

Status NonZeroInfer(InferContext& ctx) {
  if (!ctx.has(0)) return InvalidArgument("missing input 'X'");
  const DataType dt = ctx.in(0).dtype;
  if (!(IsFloat(dt) || IsInteger(dt) || dt == DataType::kBool)) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by NonZero");
  }
  const Tensor* v = ctx.Value(0);
  if (v == nullptr) return NeedsValue();
  const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(ctx.in(0).shape.size()));
  ctx.SetOutput(0, DataType::kInt64, {rank, CountNonZero(*v)});
  return Status::Ok();
}

Status NonZeroCompute(KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  const Shape shape = in.rank() == 0 ? Shape{1} : in.shape();
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t nnz = out.dim(1);
  if (CountNonZero(in) != nnz) return Internal("NonZero: output was sized for different data");
  int64_t* y = out.data<int64_t>();
  std::vector<int64_t> idx(rank, 0);
  int64_t j = 0;
  auto walk = [&](auto is_nz) {
    for (int64_t e = 0; e < in.numel(); ++e) {
      if (is_nz(e)) {
        for (int64_t d = 0; d < rank; ++d) y[d * nnz + j] = idx[d];
        ++j;
      }
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  };
  if (in.dtype() == DataType::kFloat16) {
    const uint16_t* x = in.data<uint16_t>();
    walk([&](int64_t e) { return (x[e] & 0x7fff) != 0; });
    return Status::Ok();
  }
  return DispatchNumeric(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in.data<T>();
    walk([&](int64_t e) { return x[e] != T(0); });
  });
}

}  // namespace

std::vector<KernelDef> MiscNonZeroKernels() {
  return {{"NonZero", "", 9, 0, NonZeroInfer, NonZeroCompute}};
}

}  // namespace parallax::ops
