// Straightforward index-loop references for the shape/tensor-op families (tests only).
// All work on float32 tensors; indices are assumed valid (tests check errors separately).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "parallax/tensor.h"

namespace parallax::reference {

std::vector<int64_t> Unravel(int64_t i, const Shape& shape);
int64_t Ravel(const std::vector<int64_t>& idx, const Shape& shape);

// out[i] = in[f(multi-index of i)], or pad when f returns -1.
Tensor RefMap(const Tensor& in, const Shape& out_shape,
              const std::function<int64_t(const std::vector<int64_t>&)>& f, float pad = 0.f);

Tensor RefTranspose(const Tensor& in, const std::vector<int64_t>& perm);
// starts/ends/axes/steps already per-axis normalised by the caller's own formula is NOT
// assumed: this applies the ONNX clamping rules itself, one axis at a time.
Tensor RefSlice(const Tensor& in, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                const std::vector<int64_t>& axes, const std::vector<int64_t>& steps);
// pads: [begin..., end...] over all dims; mode "constant" | "reflect" | "edge" | "wrap".
Tensor RefPad(const Tensor& in, const std::vector<int64_t>& pads, const std::string& mode, float value);
Tensor RefTile(const Tensor& in, const std::vector<int64_t>& repeats);
Tensor RefExpand(const Tensor& in, const Shape& out_shape);
Tensor RefGather(const Tensor& in, const std::vector<int64_t>& idx, const Shape& idx_shape, int64_t axis);
Tensor RefDepthToSpace(const Tensor& in, int64_t b, bool crd);

}  // namespace parallax::reference
