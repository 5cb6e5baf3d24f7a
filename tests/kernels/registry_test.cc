#include <gtest/gtest.h>

#include <set>
#include <string>

#include "kernels/registry.h"

namespace parallax {
namespace {

TEST(Registry, RowsAreWellFormedAndDoNotOverlap) {
  std::set<std::string> seen;
  for (const KernelDef& k : AllKernels()) {
    EXPECT_NE(k.infer, nullptr) << k.op_type;
    EXPECT_NE(k.compute, nullptr) << k.op_type;
    EXPECT_GE(k.since_version, 1) << k.op_type;
    // Two rows for one op must cover disjoint opset ranges.
    for (const KernelDef& o : AllKernels()) {
      if (&o == &k || std::string(o.op_type) != k.op_type || std::string(o.domain) != k.domain) continue;
      int k_end = k.until_version ? k.until_version : 1 << 20;
      int o_end = o.until_version ? o.until_version : 1 << 20;
      EXPECT_TRUE(k_end < o.since_version || o_end < k.since_version)
          << k.op_type << " has overlapping rows";
    }
  }
}

TEST(Registry, UnknownOpIsNotFound) {
  EXPECT_EQ(FindKernel("NoSuchOp", "", 17), nullptr);
  EXPECT_FALSE(IsKnownOp("NoSuchOp", ""));
}

}  // namespace
}  // namespace parallax
