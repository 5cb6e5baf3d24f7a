// Helpers shared by the fuzz targets: small deterministic tensor contents.
#pragma once

#include <cstdint>
#include <cstring>

#include "parallax/tensor.h"

namespace parallax::fuzz {

// Fills `t` with small values (ints in [0, 3), floats in [-1.5, 1.5]) so that index-like
// inputs stay in range often enough for the fuzzer to get past validation.
inline void FillSmall(Tensor* t, uint32_t seed) {
  const int64_t n = t->numel();
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t r = (static_cast<uint32_t>(i) * 2654435761u + seed) >> 7;
    const int64_t k = static_cast<int64_t>(r % 3);
    const float f = static_cast<float>(static_cast<int>(r % 7) - 3) * 0.5f;
    switch (t->dtype()) {
      case DataType::kFloat32: t->data<float>()[i] = f; break;
      case DataType::kFloat64: t->data<double>()[i] = f; break;
      case DataType::kFloat16: t->data<uint16_t>()[i] = 0x3c00; break;  // 1.0
      case DataType::kInt64: t->data<int64_t>()[i] = k; break;
      case DataType::kInt32: t->data<int32_t>()[i] = static_cast<int32_t>(k); break;
      case DataType::kUInt64: t->data<uint64_t>()[i] = static_cast<uint64_t>(k); break;
      case DataType::kUInt32: t->data<uint32_t>()[i] = static_cast<uint32_t>(k); break;
      case DataType::kInt16: case DataType::kUInt16: t->data<uint16_t>()[i] = static_cast<uint16_t>(k); break;
      case DataType::kBool: t->data<uint8_t>()[i] = 1; break;
      case DataType::kInt8: case DataType::kUInt8: t->data<uint8_t>()[i] = static_cast<uint8_t>(k); break;
      default: return;
    }
  }
}

}  // namespace parallax::fuzz
