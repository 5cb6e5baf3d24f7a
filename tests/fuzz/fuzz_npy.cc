// Fuzz target: bytes -> ReadNpy. When a file parses, WriteNpy + ReadNpy must give back the
// same dtype, shape and data.
//
//   scripts/fuzz.sh fuzz_npy 60
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace parallax;
  auto t = ReadNpy(std::string(reinterpret_cast<const char*>(data), size));
  if (!t.ok()) return 0;
  if (t->numel() < 0 || t->nbytes() > size) __builtin_trap();
  auto back = ReadNpy(WriteNpy(*t));
  if (!back.ok() || back->dtype() != t->dtype() || back->shape() != t->shape() ||
      back->nbytes() != t->nbytes() ||
      (t->nbytes() > 0 && std::memcmp(back->raw(), t->raw(), t->nbytes()) != 0)) {
    __builtin_trap();
  }
  return 0;
}
