// The explicit kernel registry: one table of KernelDef rows, assembled in registry.cc from the
// per-file lists declared in kernels/ops/ops.h. No static-initializer self-registration.
#pragma once

#include <string>
#include <vector>

#include "kernels/kernel.h"

namespace parallax {

// All rows, in table order.
const std::vector<KernelDef>& AllKernels();
// The row implementing `op_type` of `domain` at `opset`, or nullptr.
const KernelDef* FindKernel(const std::string& op_type, const std::string& domain, int opset);
// True when some row implements `op_type` of `domain` at any opset.
bool IsKnownOp(const std::string& op_type, const std::string& domain);

}  // namespace parallax
