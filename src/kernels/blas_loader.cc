// OpenBLAS, loaded at first use instead of linked.
//
// Why: OpenBLAS picks its kernels in a library constructor, from the CPU model. Debian 12's
// OpenBLAS 0.3.21 does not know recent Xeons and falls back to its SSE3 "Prescott" kernels:
// measured on this project's 2-core VM (DistilBERT, 1 thread), 401 ms of CPU per inference
// with Prescott, 181 ms with Haswell, 126 ms with SkylakeX. A constructor runs before main(),
// so the only reliable fix inside the library is to set OPENBLAS_CORETYPE from the features
// the CPU reports and then dlopen OpenBLAS. A user's own OPENBLAS_CORETYPE always wins.
//
// This file defines the three OpenBLAS entry points Parallax uses (with the signatures of
// <cblas.h>), each forwarding to the loaded library.
#include <cblas.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "kernels/gemm.h"

namespace {

using SgemmFn = void (*)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
                         float, const float*, blasint, const float*, blasint, float, float*, blasint);
using DgemmFn = void (*)(CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
                         double, const double*, blasint, const double*, blasint, double, double*,
                         blasint);
using SetThreadsFn = void (*)(int);

struct Blas {
  std::string error;  // why loading failed; empty when loaded
  SgemmFn sgemm = nullptr;
  DgemmFn dgemm = nullptr;
  SetThreadsFn set_threads = nullptr;
};

const char* PickCoreType() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;  // let OpenBLAS decide
}

const Blas& Get() {
  static Blas blas;
  static std::once_flag once;
  std::call_once(once, [] {
    if (const char* core = PickCoreType()) setenv("OPENBLAS_CORETYPE", core, /*overwrite=*/0);
    // Parallax splits GEMMs over its own pool; OpenBLAS threads would only spin beside it.
    setenv("OPENBLAS_NUM_THREADS", "1", /*overwrite=*/1);
    void* lib = nullptr;
    for (const char* name : {"libopenblas.so.0", "libopenblas.so"}) {
      lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (lib != nullptr) break;
    }
    if (lib == nullptr) {
      const char* why = dlerror();
      blas.error = std::string("cannot load OpenBLAS (libopenblas.so.0): ") + (why ? why : "unknown");
      return;
    }
    blas.sgemm = reinterpret_cast<SgemmFn>(dlsym(lib, "cblas_sgemm"));
    blas.dgemm = reinterpret_cast<DgemmFn>(dlsym(lib, "cblas_dgemm"));
    blas.set_threads = reinterpret_cast<SetThreadsFn>(dlsym(lib, "openblas_set_num_threads"));
    if (!blas.sgemm || !blas.dgemm || !blas.set_threads) {
      blas.error = "OpenBLAS lacks cblas_sgemm/cblas_dgemm/openblas_set_num_threads";
    }
  });
  return blas;
}

// Sessions check LoadBlas() first, so reaching this is a broken invariant.
const Blas& Loaded() {
  const Blas& blas = Get();
  if (!blas.error.empty()) {
    std::fprintf(stderr, "parallax: %s\n", blas.error.c_str());
    std::abort();
  }
  return blas;
}

}  // namespace

extern "C" {

void cblas_sgemm(OPENBLAS_CONST enum CBLAS_ORDER order, OPENBLAS_CONST enum CBLAS_TRANSPOSE ta,
                 OPENBLAS_CONST enum CBLAS_TRANSPOSE tb, OPENBLAS_CONST blasint m,
                 OPENBLAS_CONST blasint n, OPENBLAS_CONST blasint k, OPENBLAS_CONST float alpha,
                 OPENBLAS_CONST float* a, OPENBLAS_CONST blasint lda, OPENBLAS_CONST float* b,
                 OPENBLAS_CONST blasint ldb, OPENBLAS_CONST float beta, float* c,
                 OPENBLAS_CONST blasint ldc) {
  Loaded().sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void cblas_dgemm(OPENBLAS_CONST enum CBLAS_ORDER order, OPENBLAS_CONST enum CBLAS_TRANSPOSE ta,
                 OPENBLAS_CONST enum CBLAS_TRANSPOSE tb, OPENBLAS_CONST blasint m,
                 OPENBLAS_CONST blasint n, OPENBLAS_CONST blasint k, OPENBLAS_CONST double alpha,
                 OPENBLAS_CONST double* a, OPENBLAS_CONST blasint lda, OPENBLAS_CONST double* b,
                 OPENBLAS_CONST blasint ldb, OPENBLAS_CONST double beta, double* c,
                 OPENBLAS_CONST blasint ldc) {
  Loaded().dgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void openblas_set_num_threads(int num_threads) {
  if (Get().error.empty()) Get().set_threads(num_threads);
}

}  // extern "C"

namespace parallax {

Status LoadBlas() {
  const std::string& error = Get().error;
  return error.empty() ? Status::Ok() : OutOfMemory(error);
}

}  // namespace parallax
