// Reading and writing NumPy .npy files (format 1.0/2.0/3.0, little-endian, C order).
//
//   auto t = ReadNpy(bytes);            // StatusOr<Tensor>
//   std::string out = WriteNpy(tensor); // bytes of a .npy file
//
// The header is validated before any allocation: dtype, fortran_order, shape, and that the
// file holds exactly the bytes the shape needs.
#pragma once

#include <string>

#include "parallax/status.h"
#include "parallax/tensor.h"

namespace parallax {

StatusOr<Tensor> ReadNpy(const std::string& bytes);
StatusOr<Tensor> ReadNpyFile(const std::string& path);
std::string WriteNpy(const Tensor& t);
Status WriteNpyFile(const std::string& path, const Tensor& t);

}  // namespace parallax
