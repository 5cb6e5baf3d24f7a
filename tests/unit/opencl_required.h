// Tests that need an OpenCL device skip without one, except where the environment says one is
// there: .ci/run (which installs POCL) sets PARALLAX_REQUIRE_OPENCL=1, and then a provider that
// fails to open or to compile its kernels fails these tests instead of passing as skipped.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace parallax::testing {

inline bool OpenClRequired() {
  const char* v = std::getenv("PARALLAX_REQUIRE_OPENCL");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

}  // namespace parallax::testing

// Skips the test (or fails it under PARALLAX_REQUIRE_OPENCL) with `reason`.
#define PX_SKIP_WITHOUT_OPENCL(reason)                                                     \
  do {                                                                                     \
    if (::parallax::testing::OpenClRequired()) {                                           \
      FAIL() << "PARALLAX_REQUIRE_OPENCL is set, but no OpenCL provider: " << (reason);    \
    }                                                                                      \
    GTEST_SKIP() << (reason);                                                              \
  } while (0)
