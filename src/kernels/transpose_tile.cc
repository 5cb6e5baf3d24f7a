#include "kernels/transpose_tile.h"

#include <cstdlib>
#include <cstring>

namespace parallax {
namespace {

transpose_detail::TileFn Choose() {
#if defined(__x86_64__)
  const char* env = std::getenv("PARALLAX_SIMD_ROWS");  // off: the scalar kernels everywhere
  if (env != nullptr && (std::strcmp(env, "off") == 0 || std::strcmp(env, "0") == 0)) return nullptr;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return transpose_detail::Avx2TransposeTile();
#endif
  return nullptr;
}

}  // namespace

void TransposeTile32(const uint32_t* src, int64_t ls, uint32_t* dst, int64_t ld, int64_t nl, int64_t nj) {
  static const transpose_detail::TileFn fn = Choose();
  if (fn != nullptr) {
    fn(src, ls, dst, ld, nl, nj);
  } else {
    transpose_detail::TransposeScalar(src, ls, dst, ld, nl, nj);
  }
}

}  // namespace parallax
