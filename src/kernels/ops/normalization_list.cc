// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"

namespace parallax::ops {

std::vector<KernelDef> NormalizationSoftmaxKernels();    // normalization_softmax.cc
std::vector<KernelDef> NormalizationLayerNormKernels();  // normalization_layer_norm.cc
std::vector<KernelDef> NormalizationBatchNormKernels();  // normalization_batch_norm.cc
std::vector<KernelDef> NormalizationLpMvnKernels();      // normalization_lp_mvn.cc
std::vector<KernelDef> ExtraRmsNormKernels();            // extra_rms_norm.cc: RMSNormalization
std::vector<KernelDef> ExtraLrnKernels();                // extra_lrn.cc: LRN
std::vector<KernelDef> ExtraHardmaxKernels();            // extra_hardmax.cc: Hardmax

std::vector<KernelDef> NormalizationKernels() {
  std::vector<KernelDef> rows;
  for (auto list : {NormalizationSoftmaxKernels, NormalizationLayerNormKernels,
                    NormalizationBatchNormKernels, NormalizationLpMvnKernels, ExtraRmsNormKernels,
                    ExtraLrnKernels, ExtraHardmaxKernels}) {
    for (const KernelDef& k : list()) rows.push_back(k);
  }
  return rows;
}

}  // namespace parallax::ops
