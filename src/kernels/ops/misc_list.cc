// Registry rows for this family; the kernels live in their own files in this folder.
#include "kernels/ops/ops.h"

namespace parallax::ops {

std::vector<KernelDef> MiscResizeKernels();   // misc_resize.cc: Resize, Upsample
std::vector<KernelDef> MiscTopKKernels();     // misc_topk.cc
std::vector<KernelDef> MiscNonZeroKernels();  // misc_nonzero.cc
std::vector<KernelDef> MiscCumulativeKernels();  // misc_cumulative.cc: CumSum, CumProd
std::vector<KernelDef> MiscEinsumKernels();   // misc_einsum.cc
std::vector<KernelDef> MiscNmsKernels();      // misc_nms.cc: NonMaxSuppression
std::vector<KernelDef> ExtraAttentionKernels();  // extra_attention.cc: Attention
std::vector<KernelDef> ExtraLossKernels();       // extra_loss.cc: NLL / SoftmaxCrossEntropy losses
std::vector<KernelDef> ExtraRotaryKernels();     // extra_rotary.cc: RotaryEmbedding
std::vector<KernelDef> ExtraSwishKernels();      // extra_swish.cc: Swish
std::vector<KernelDef> ExtraGridSampleKernels(); // extra_grid_sample.cc: GridSample
std::vector<KernelDef> ExtraCenterCropPadKernels();  // extra_center_crop_pad.cc: CenterCropPad
std::vector<KernelDef> ExtraCol2ImKernels();         // extra_col2im.cc: Col2Im
std::vector<KernelDef> ExtraMaxUnpoolKernels();      // extra_max_unpool.cc: MaxUnpool
std::vector<KernelDef> ExtraUniqueKernels();         // extra_unique.cc: Unique

std::vector<KernelDef> MiscKernels() {
  std::vector<KernelDef> rows;
  for (auto list : {MiscResizeKernels, MiscTopKKernels, MiscNonZeroKernels, MiscCumulativeKernels,
                    MiscEinsumKernels, MiscNmsKernels, ExtraAttentionKernels, ExtraLossKernels,
                    ExtraRotaryKernels, ExtraSwishKernels,
                    ExtraGridSampleKernels, ExtraCenterCropPadKernels, ExtraCol2ImKernels,
                    ExtraMaxUnpoolKernels, ExtraUniqueKernels}) {
    for (const KernelDef& k : list()) rows.push_back(k);
  }
  return rows;
}

}  // namespace parallax::ops
