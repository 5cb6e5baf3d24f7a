// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"

namespace parallax::ops {

std::vector<KernelDef> MatMulRows();  // matmul.cc (MatMul, parallax FusedMatMul)
std::vector<KernelDef> GemmRows();    // matmul_gemm.cc
std::vector<KernelDef> AttentionRows();  // matmul_attention.cc (parallax FusedAttention)

std::vector<KernelDef> MatMulKernels() {
  std::vector<KernelDef> rows;
  for (auto list : {MatMulRows, GemmRows, AttentionRows}) {
    for (const KernelDef& k : list()) rows.push_back(k);
  }
  return rows;
}

}  // namespace parallax::ops
