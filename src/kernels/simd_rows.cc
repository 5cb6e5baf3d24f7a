#include "kernels/simd_rows.h"

#include <cstdlib>
#include <string>

namespace parallax {

const RowKernels* BestRowKernels() {
  static const RowKernels* best = [] {
    const char* env = std::getenv("PARALLAX_SIMD_ROWS");
    const std::string cap = env ? env : "";
    if (cap == "off" || cap == "0") return static_cast<const RowKernels*>(nullptr);
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (cap != "avx2" && __builtin_cpu_supports("avx512f") && simd::Avx512RowKernels()) {
      return simd::Avx512RowKernels();
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return simd::Avx2RowKernels();
#endif
    return static_cast<const RowKernels*>(nullptr);
  }();
  return best;
}

}  // namespace parallax
