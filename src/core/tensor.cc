#include "parallax/tensor.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace parallax {

// Allocation-failure injection for tests (tests/unit/alloc_failure_test.cc declares these two
// functions itself; they are not public API). SetAllocationFailureCountdownForTesting(n), n >= 1,
// makes the n-th Tensor::Allocate from now on fail with OutOfMemory; 0 turns it off.
// AllocationCountForTesting() counts every Tensor::Allocate call that reached the allocator.
namespace {
std::atomic<int64_t> g_fail_countdown{0};
std::atomic<int64_t> g_allocations{0};
}  // namespace

void SetAllocationFailureCountdownForTesting(int64_t n) { g_fail_countdown.store(n); }
int64_t AllocationCountForTesting() { return g_allocations.load(); }

size_t DataTypeSize(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32: return 4;
    case DataType::kUInt8: return 1;
    case DataType::kInt8: return 1;
    case DataType::kUInt16: return 2;
    case DataType::kInt16: return 2;
    case DataType::kInt32: return 4;
    case DataType::kInt64: return 8;
    case DataType::kBool: return 1;
    case DataType::kFloat16: return 2;
    case DataType::kFloat64: return 8;
    case DataType::kUInt32: return 4;
    case DataType::kUInt64: return 8;
    default: return 0;
  }
}

const char* DataTypeName(DataType dtype) {
  switch (dtype) {
    case DataType::kFloat32: return "float32";
    case DataType::kUInt8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kUInt16: return "uint16";
    case DataType::kInt16: return "int16";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kString: return "string";
    case DataType::kBool: return "bool";
    case DataType::kFloat16: return "float16";
    case DataType::kFloat64: return "float64";
    case DataType::kUInt32: return "uint32";
    case DataType::kUInt64: return "uint64";
    default: return "undefined";
  }
}

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

StatusOr<Tensor> Tensor::Allocate(DataType dtype, Shape shape) {
  int64_t n = NumElements(shape);
  size_t esize = DataTypeSize(dtype);
  if (n < 0 || esize == 0) {
    return InvalidArgument(std::string("cannot allocate a ") + DataTypeName(dtype) +
                           " tensor of shape " + ShapeToString(shape));
  }
  // Refuse sizes no machine we target can hold, before asking the allocator.
  constexpr int64_t kMaxBytes = int64_t{1} << 40;
  if (n > kMaxBytes / static_cast<int64_t>(esize)) {
    return OutOfMemory("tensor of shape " + ShapeToString(shape) + " is too large");
  }
  size_t bytes = static_cast<size_t>(n) * esize;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (g_fail_countdown.load(std::memory_order_relaxed) > 0 && g_fail_countdown.fetch_sub(1) == 1) {
    return OutOfMemory("allocation of " + std::to_string(bytes) + " bytes failed (injected for testing)");
  }
  size_t rounded = ((bytes + 63) / 64) * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  if (p == nullptr) return OutOfMemory("allocation of " + std::to_string(bytes) + " bytes failed");
  std::memset(p, 0, rounded);
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.numel_ = n;
  t.owner_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  t.data_ = p;
  return t;
}

Tensor Tensor::Wrap(DataType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.numel_ = NumElements(shape);
  t.shape_ = std::move(shape);
  t.data_ = data;
  return t;
}

Tensor Tensor::Adopt(DataType dtype, Shape shape, std::shared_ptr<void> owner, void* data) {
  Tensor t = Wrap(dtype, std::move(shape), data);
  t.owner_ = std::move(owner);
  return t;
}

Tensor Tensor::Reshaped(Shape shape) const {
  Tensor t = *this;
  t.numel_ = NumElements(shape);
  t.shape_ = std::move(shape);
  return t;
}

StatusOr<Tensor> Tensor::Clone() const {
  PX_ASSIGN_OR_RETURN(Tensor t, Allocate(dtype_, shape_));
  if (nbytes() > 0) std::memcpy(t.raw(), data_, nbytes());
  return t;
}

}  // namespace parallax
