#include "core/npy.h"

#include <cstring>
#include <fstream>

namespace parallax {
namespace {

struct DescrEntry {
  const char* descr;
  DataType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"<f4", DataType::kFloat32}, {"<f8", DataType::kFloat64}, {"<f2", DataType::kFloat16},
    {"<i8", DataType::kInt64},   {"<i4", DataType::kInt32},   {"<i2", DataType::kInt16},
    {"|i1", DataType::kInt8},    {"|u1", DataType::kUInt8},   {"<u2", DataType::kUInt16},
    {"<u4", DataType::kUInt32},  {"<u8", DataType::kUInt64},  {"|b1", DataType::kBool},
};

// Finds `'key': ` in the header dict and returns the position after it.
size_t FindKey(const std::string& h, const std::string& key) {
  size_t p = h.find("'" + key + "'");
  if (p == std::string::npos) return p;
  p = h.find(':', p);
  if (p == std::string::npos) return p;
  ++p;
  while (p < h.size() && h[p] == ' ') ++p;
  return p;
}

}  // namespace

StatusOr<Tensor> ReadNpy(const std::string& bytes) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) {
    return InvalidArgument("not a .npy file (bad magic)");
  }
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return InvalidArgument(".npy header is truncated");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    return InvalidArgument(".npy version " + std::to_string(major) + " is not supported");
  }
  if (header_start + header_len > bytes.size()) return InvalidArgument(".npy header is truncated");
  const std::string h = bytes.substr(header_start, header_len);

  size_t p = FindKey(h, "descr");
  if (p == std::string::npos || p >= h.size() || h[p] != '\'') return InvalidArgument(".npy header has no descr");
  size_t q = h.find('\'', p + 1);
  if (q == std::string::npos) return InvalidArgument(".npy header descr is malformed");
  std::string descr = h.substr(p + 1, q - p - 1);
  if (descr == "<b1") descr = "|b1";
  if (descr == "<i1") descr = "|i1";
  if (descr == "<u1") descr = "|u1";
  DataType dtype = DataType::kUndefined;
  for (const auto& e : kDescrs) {
    if (descr == e.descr) dtype = e.dtype;
  }
  if (dtype == DataType::kUndefined) return NotImplemented(".npy dtype '" + descr + "' is not supported");

  p = FindKey(h, "fortran_order");
  if (p == std::string::npos) return InvalidArgument(".npy header has no fortran_order");
  if (h.compare(p, 4, "True") == 0) return NotImplemented(".npy files in Fortran order are not supported");
  if (h.compare(p, 5, "False") != 0) return InvalidArgument(".npy fortran_order is neither True nor False");

  p = FindKey(h, "shape");
  if (p == std::string::npos || p >= h.size() || h[p] != '(') return InvalidArgument(".npy header has no shape");
  q = h.find(')', p);
  if (q == std::string::npos) return InvalidArgument(".npy shape is malformed");
  Shape shape;
  std::string dims = h.substr(p + 1, q - p - 1);
  size_t i = 0;
  while (i < dims.size()) {
    while (i < dims.size() && (dims[i] == ' ' || dims[i] == ',')) ++i;
    if (i >= dims.size()) break;
    if (dims[i] < '0' || dims[i] > '9') return InvalidArgument(".npy shape '" + dims + "' is malformed");
    int64_t d = 0;
    while (i < dims.size() && dims[i] >= '0' && dims[i] <= '9') {
      if (d > (int64_t{1} << 40)) return InvalidArgument(".npy shape dim is too large");
      d = d * 10 + (dims[i++] - '0');
    }
    shape.push_back(d);
    if (shape.size() > 16) return InvalidArgument(".npy rank is above 16");
  }
  const int64_t n = NumElements(shape);
  const size_t data_start = header_start + header_len;
  if (n < 0 || static_cast<size_t>(n) > (bytes.size() - data_start) / DataTypeSize(dtype) ||
      static_cast<size_t>(n) * DataTypeSize(dtype) != bytes.size() - data_start) {
    return InvalidArgument(".npy data size does not match shape " + ShapeToString(shape));
  }
  PX_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(dtype, shape));
  if (t.nbytes() > 0) std::memcpy(t.raw(), bytes.data() + data_start, t.nbytes());
  return t;
}

StatusOr<Tensor> ReadNpyFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFound("cannot open '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto t = ReadNpy(bytes);
  if (!t.ok()) return t.status().WithPrefix("'" + path + "': ");
  return t;
}

std::string WriteNpy(const Tensor& t) {
  const char* descr = "<f4";
  for (const auto& e : kDescrs) {
    if (e.dtype == t.dtype()) descr = e.descr;
  }
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) {
    shape += (i ? ", " : "") + std::to_string(t.shape()[i]);
  }
  shape += t.shape().size() == 1 ? ",)" : ")";
  std::string header = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(static_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

Status WriteNpyFile(const std::string& path, const Tensor& t) {
  std::ofstream f(path, std::ios::binary);
  if (!f) return NotFound("cannot write '" + path + "'");
  std::string bytes = WriteNpy(t);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return f ? Status::Ok() : Internal("write to '" + path + "' failed");
}

}  // namespace parallax
