// Helpers shared by kernels: broadcasting, axis normalisation, reading index tensors, and
// dtype dispatch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernel.h"

namespace parallax {

// Numpy-style multidirectional broadcast of two or more shapes.
StatusOr<Shape> BroadcastShapes(const Shape& a, const Shape& b);
// Maps axis in [-rank, rank) to [0, rank); error names the axis and rank.
StatusOr<int64_t> NormalizeAxis(int64_t axis, int64_t rank);
// Row-major strides of `shape` (in elements).
std::vector<int64_t> Strides(const Shape& shape);
// Strides of `in` broadcast to `out` (0 on broadcast dims); `in` is right-aligned.
std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out);
// Contents of an integer tensor (int32 or int64) as int64.
StatusOr<std::vector<int64_t>> ReadInts(const Tensor& t);
// Contents of a float/double/int tensor as double (for scalars like Clip's min).
StatusOr<std::vector<double>> ReadDoubles(const Tensor& t);

bool IsFloat(DataType t);    // float32, float64, float16
bool IsInteger(DataType t);  // any signed or unsigned integer type

// Invokes f(T{}) with T the C++ type of `dtype` (float, double, int8..uint64, bool).
// Float16 is not dispatched here; kernels that accept it convert explicitly.
template <typename F>
Status DispatchNumeric(DataType dtype, F&& f) {
  switch (dtype) {
    case DataType::kFloat32: f(float{}); return Status::Ok();
    case DataType::kFloat64: f(double{}); return Status::Ok();
    case DataType::kInt64: f(int64_t{}); return Status::Ok();
    case DataType::kInt32: f(int32_t{}); return Status::Ok();
    case DataType::kInt16: f(int16_t{}); return Status::Ok();
    case DataType::kInt8: f(int8_t{}); return Status::Ok();
    case DataType::kUInt64: f(uint64_t{}); return Status::Ok();
    case DataType::kUInt32: f(uint32_t{}); return Status::Ok();
    case DataType::kUInt16: f(uint16_t{}); return Status::Ok();
    case DataType::kUInt8: f(uint8_t{}); return Status::Ok();
    case DataType::kBool: f(bool{}); return Status::Ok();
    default:
      return NotImplemented(std::string("dtype ") + DataTypeName(dtype) + " is not supported");
  }
}

// Dispatch over every dtype by element size only (for data movement ops: Transpose, Gather,
// Concat...): invokes f(U{}) with U an unsigned integer of the element's width.
template <typename F>
Status DispatchBySize(DataType dtype, F&& f) {
  switch (DataTypeSize(dtype)) {
    case 1: f(uint8_t{}); return Status::Ok();
    case 2: f(uint16_t{}); return Status::Ok();
    case 4: f(uint32_t{}); return Status::Ok();
    case 8: f(uint64_t{}); return Status::Ok();
    default:
      return NotImplemented(std::string("dtype ") + DataTypeName(dtype) + " is not supported");
  }
}

// IEEE half <-> float.
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);

}  // namespace parallax
