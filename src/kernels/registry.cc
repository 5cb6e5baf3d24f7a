#include "kernels/registry.h"

#include "kernels/ops/ops.h"

namespace parallax {

const std::vector<KernelDef>& AllKernels() {
  static const std::vector<KernelDef> table = [] {
    std::vector<KernelDef> rows;
    using ListFn = std::vector<KernelDef> (*)();
    const ListFn lists[] = {
        ops::ElementwiseUnaryKernels, ops::ElementwiseBinaryKernels, ops::ShapeOpKernels,
        ops::TensorOpKernels,         ops::ReductionKernels,         ops::NormalizationKernels,
        ops::MatMulKernels,           ops::ConvKernels,              ops::PoolKernels,
        ops::MiscKernels,           ops::ControlFlowKernels,
    };
    for (ListFn list : lists) {
      for (const KernelDef& k : list()) rows.push_back(k);
    }
    return rows;
  }();
  return table;
}

const KernelDef* FindKernel(const std::string& op_type, const std::string& domain, int opset) {
  const std::string dom = domain == "ai.onnx" ? "" : domain;
  for (const KernelDef& k : AllKernels()) {
    if (op_type != k.op_type || dom != k.domain) continue;
    if (opset < k.since_version) continue;
    if (k.until_version != 0 && opset > k.until_version) continue;
    return &k;
  }
  return nullptr;
}

bool IsKnownOp(const std::string& op_type, const std::string& domain) {
  const std::string dom = domain == "ai.onnx" ? "" : domain;
  for (const KernelDef& k : AllKernels()) {
    if (op_type == k.op_type && dom == k.domain) return true;
  }
  return false;
}

}  // namespace parallax
