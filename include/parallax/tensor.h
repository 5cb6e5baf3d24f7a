// Tensor: a dtype, a shape and a pointer to contiguous row-major data.
//
// A tensor either owns its buffer (Tensor::Allocate, shared between copies) or borrows
// memory that someone else keeps alive (Tensor::Wrap, e.g. a slot in a planned arena).
//
//   auto t = parallax::Tensor::Allocate(parallax::DataType::kFloat32, {1, 3, 224, 224});
//   float* p = t.data<float>();
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "parallax/status.h"

namespace parallax {

// Values match onnx::TensorProto::DataType so that conversion is a cast.
enum class DataType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
};

using Shape = std::vector<int64_t>;

// Bytes per element; 0 for kUndefined and kString.
size_t DataTypeSize(DataType dtype);
const char* DataTypeName(DataType dtype);
// Number of elements of `shape` (1 for rank 0). Returns -1 on negative dims or overflow.
int64_t NumElements(const Shape& shape);
std::string ShapeToString(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;

  // Allocates a zero-initialised, 64-byte aligned buffer. Fails on negative dims, overflow,
  // or allocation failure.
  static StatusOr<Tensor> Allocate(DataType dtype, Shape shape);
  // Borrows `data`, which must hold NumElements(shape) elements and outlive the tensor.
  static Tensor Wrap(DataType dtype, Shape shape, void* data);
  // Shares ownership of `owner`, which keeps `data` (NumElements(shape) elements) alive.
  static Tensor Adopt(DataType dtype, Shape shape, std::shared_ptr<void> owner, void* data);

  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[i < 0 ? i + rank() : i]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * DataTypeSize(dtype_); }
  bool defined() const { return dtype_ != DataType::kUndefined; }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <typename T>
  T* data() { return static_cast<T*>(data_); }
  template <typename T>
  const T* data() const { return static_cast<const T*>(data_); }

  // Same buffer, new shape with the same element count (checked by the caller).
  Tensor Reshaped(Shape shape) const;
  // Deep copy into a freshly owned buffer.
  StatusOr<Tensor> Clone() const;

 private:
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
  int64_t numel_ = 0;
  std::shared_ptr<void> owner_;
  void* data_ = nullptr;
};

}  // namespace parallax
