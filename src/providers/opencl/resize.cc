// Resize (opset 10+) and Upsample on OpenCL, for float32. The host computes the CPU kernel's
// per-axis taps (kernels/ops/resize_taps.h: source index and weight per output position); the
// "resize" kernel sums, per output element, the products of every axis's taps. Nearest modes
// are one tap per axis, linear two and cubic four per resized axis; a node whose taps would
// need more than kMaxCombos products per element, or extrapolates (tf_crop_and_resize outside
// the input), stays on the CPU. roi, scales and sizes must be plan constants.
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel_util.h"
#include "kernels/ops/resize_taps.h"
#include "providers/opencl/cl_ops.h"

namespace parallax::opencl {

const char* const kResizeClSource = R"CLC(
#define PX_RESIZE_RANK 8
typedef struct {
  int rank;
  int out_dims[PX_RESIZE_RANK];
  int in_strides[PX_RESIZE_RANK];
  int taps[PX_RESIZE_RANK];
  int offset[PX_RESIZE_RANK];  /* first entry of the axis in idx/w */
} ResizeGeom;

__kernel void resize(__global const float* x, __global float* y, __global const int* idx,
                     __global const float* w, int total, ResizeGeom g) {
  const int i = get_global_id(0);
  if (i >= total) return;
  int coord[PX_RESIZE_RANK];
  int rem = i, combos = 1;
  for (int d = g.rank - 1; d >= 0; --d) {
    coord[d] = rem % g.out_dims[d];
    rem /= g.out_dims[d];
    combos *= g.taps[d];
  }
  float acc = 0.0f;
  for (int t = 0; t < combos; ++t) {
    int r = t, off = 0;
    float wt = 1.0f;
    for (int d = g.rank - 1; d >= 0; --d) {
      const int j = r % g.taps[d];
      r /= g.taps[d];
      const int k = g.offset[d] + coord[d] * g.taps[d] + j;
      off += idx[k] * g.in_strides[d];
      wt *= w[k];
    }
    acc += combos == 1 ? x[off] : wt * x[off];
  }
  y[i] = acc;
}
)CLC";

namespace {

constexpr int kMaxRank = 8;
constexpr int kMaxCombos = 64;

struct ResizeGeom {
  int32_t rank = 0;
  int32_t out_dims[kMaxRank] = {};
  int32_t in_strides[kMaxRank] = {};
  int32_t taps[kMaxRank] = {};
  int32_t offset[kMaxRank] = {};
};

// The taps of `node` on X of shape `x`, given the constant inputs; false when the kernel
// cannot run them.
bool Taps(const Node& node, const Shape& x, const std::vector<const Tensor*>& vals,
          const std::vector<bool>& present, ops::ResizeTaps* taps) {
  if (x.empty() || x.size() > kMaxRank) return false;
  StatusOr<ops::ResizeTaps> t = ops::ComputeResizeTaps(node, x, vals, present);
  if (!t.ok()) return false;
  const int64_t n = NumElements(t->out_shape);
  if (n <= 0 || n > INT32_MAX) return false;
  int64_t combos = 1, entries = 0;
  for (const ops::ResizeTaps::Axis& a : t->axes) {
    if (a.outside) return false;
    combos *= a.n;
    if (combos > kMaxCombos) return false;
    entries += static_cast<int64_t>(a.idx.size());
  }
  if (combos > kMaxCombos || entries > INT32_MAX) return false;
  *taps = std::move(t).value();
  return true;
}

bool ResizeSupports(const Node& node, const std::vector<ValueInfo>& in) {
  if (in.empty() || !IsDenseFloat(in, 0)) return false;
  std::vector<const Tensor*> vals(in.size(), nullptr);
  std::vector<bool> present(in.size(), false);
  for (size_t i = 1; i < in.size(); ++i) {
    if (IsOmitted(in, i)) continue;
    if (in[i].value == nullptr) return false;  // roi/scales/sizes known only at run time
    vals[i] = in[i].value;
    present[i] = true;
  }
  present[0] = true;
  ops::ResizeTaps taps;
  return Taps(node, in[0].shape, vals, present, &taps);
}

// The taps for the actual inputs (roi/scales/sizes are the plan's constants).
bool RunTaps(const Node& node, const std::vector<const Tensor*>& in, ops::ResizeTaps* taps) {
  std::vector<const Tensor*> vals(in.size(), nullptr);
  std::vector<bool> present(in.size(), false);
  for (size_t i = 1; i < in.size(); ++i) {
    vals[i] = in[i];
    present[i] = in[i] != nullptr;
  }
  present[0] = true;
  return Taps(node, in[0]->shape(), vals, present, taps);
}

// The device tables: every axis's source indices (int32), then their weights (float32).
template <typename T>
std::vector<uint8_t> Table(const Node& node, const std::vector<const Tensor*>& in) {
  ops::ResizeTaps taps;
  RunTaps(node, in, &taps);
  std::vector<T> v;
  for (const ops::ResizeTaps::Axis& a : taps.axes) {
    if constexpr (std::is_same_v<T, int32_t>) {
      for (int64_t k : a.idx) v.push_back(static_cast<int32_t>(k));
    } else {
      for (double x : a.w) v.push_back(static_cast<float>(x));
    }
  }
  std::vector<uint8_t> bytes(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

Status ResizeRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
                 const std::vector<Tensor*>& out, ClIo& io) {
  ops::ResizeTaps taps;
  if (!RunTaps(node, in, &taps)) return Internal("shapes or scales changed since Supports");
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, taps.out_shape));
  const Shape& x_shape = in[0]->shape();
  ResizeGeom g;
  g.rank = static_cast<int32_t>(x_shape.size());
  const std::vector<int64_t> strides = Strides(x_shape);
  int32_t entries = 0;
  for (size_t d = 0; d < x_shape.size(); ++d) {
    g.out_dims[d] = static_cast<int32_t>(taps.out_shape[d]);
    g.in_strides[d] = static_cast<int32_t>(strides[d]);
    g.taps[d] = taps.axes[d].n;
    g.offset[d] = entries;
    entries += static_cast<int32_t>(taps.axes[d].idx.size());
  }
  // Fixed for the plan (static X, constant roi/scales/sizes): uploaded once per plan.
  PX_ASSIGN_OR_RETURN(const ClBuffer* idx, io.NodeConstant(0, Table<int32_t>));
  PX_ASSIGN_OR_RETURN(const ClBuffer* w, io.NodeConstant(1, Table<float>));
  PX_ASSIGN_OR_RETURN(const ClBuffer* x, io.Input(0));
  PX_ASSIGN_OR_RETURN(const ClBuffer* y, io.Output(0));
  const int64_t total = out[0]->numel();
  return rt.Launch("resize", {static_cast<size_t>(total)}, {}, *x, *y, *idx, *w, static_cast<int32_t>(total), g);
}

}  // namespace

std::vector<ClOp> ResizeClOps() {
  return {
      {"Resize", "", 10, ResizeSupports, ResizeRun},
      {"Upsample", "", 7, ResizeSupports, ResizeRun},
  };
}

}  // namespace parallax::opencl
