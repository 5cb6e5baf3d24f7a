// Naive double-precision references for the extra_* kernels (tests only): Attention, the
// NLL/SoftmaxCrossEntropy losses, RMSNormalization, RotaryEmbedding, LRN.
#pragma once

#include <string>
#include <vector>

#include "parallax/tensor.h"

namespace parallax::ref {

struct AttentionRefParams {
  bool causal = false;
  int64_t causal_offset = 0;  // key j is masked for query i when j > i + causal_offset
  double scale = 0;    // 0: 1/sqrt(head_size)
  double softcap = 0;  // 0: none
};

// Q (B, Hq, Sq, D), K (B, Hkv, T, D), V (B, Hkv, T, Dv) float32, all keys already concatenated
// (past + new). mask: optional float additive (B, Hq, Sq, T) (nullptr: none). Returns Y (B, Hq, Sq, Dv) and, in *probs, the softmax (B, Hq, Sq, T). A row whose
// scores are all -inf has zero probabilities.
Tensor AttentionRef(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* mask,
                    const AttentionRefParams& p, Tensor* probs);

// NegativeLogLikelihoodLoss over x (N, C, D...) (log-probabilities), target (N, D...) int64,
// optional weight (C). reduction "none", "sum" or "mean"; ignore_index applied when has_ii.
Tensor NllLossRef(const Tensor& x, const Tensor& target, const Tensor* weight,
                  const std::string& reduction, bool has_ii, int64_t ii);
// log_softmax over axis 1.
Tensor LogSoftmaxAxis1Ref(const Tensor& x);

// RMSNormalization: scale has X's trailing shape from axis (dense).
Tensor RmsNormRef(const Tensor& x, const Tensor& scale, int64_t axis, double eps);

// RotaryEmbedding on 4-D X (B, H, S, hd); caches (P, rd/2) indexed by pos (B*S values).
Tensor RotaryRef(const Tensor& x, const Tensor& cos, const Tensor& sin, const std::vector<int64_t>& pos,
                 int64_t rd, bool interleaved);

// LRN across channels.
Tensor LrnRef(const Tensor& x, int64_t size, double alpha, double beta, double bias);

}  // namespace parallax::ref
