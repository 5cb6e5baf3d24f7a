// Softmax / LogSoftmax and LayerNormalization on OpenCL: one work group per normalised row,
// its work-items striding over the row and combining partial maxima and sums in local memory.
//
// Softmax rows follow the CPU kernel (src/kernels/ops/normalization_softmax.cc): opset 13+
// normalises along `axis` alone (rows of n elements `inner` apart), opsets 1-12 coerce the
// input to 2-D at `axis`. LayerNormalization (opset 17, and parallax::LayerNormalization)
// normalises X.shape[axis:]; Scale and B are broadcast to that shape on the host; the optional
// Mean and InvStdDev outputs are written too.
#include <string>
#include <vector>

#include "kernels/kernel_util.h"
#include "providers/opencl/cl_ops.h"

namespace parallax::opencl {

const char* const kNormalizationClSource = R"CLC(
#define PX_MAX_GROUP 256

/* All work-items of the group call this with their partial value; returns the group's total. */
float px_group_sum(__local float* scratch, float v) {
  const int lid = get_local_id(0);
  scratch[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int s = get_local_size(0) / 2; s > 0; s >>= 1) {
    if (lid < s) scratch[lid] += scratch[lid + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const float r = scratch[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

float px_group_max(__local float* scratch, float v) {
  const int lid = get_local_id(0);
  scratch[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int s = get_local_size(0) / 2; s > 0; s >>= 1) {
    if (lid < s) scratch[lid] = fmax(scratch[lid], scratch[lid + s]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  const float r = scratch[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

/* Group r normalises x[base + j * inner], j < n, base = (r / inner) * n * inner + r % inner. */
__kernel void softmax(__global const float* x, __global float* y, int n, int inner,
                      int log_softmax) {
  __local float scratch[PX_MAX_GROUP];
  const int r = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
  const int base = (r / inner) * n * inner + r % inner;
  float m = -INFINITY;
  for (int j = lid; j < n; j += ls) m = fmax(m, x[base + j * inner]);
  m = px_group_max(scratch, m);
  float s = 0.0f;
  for (int j = lid; j < n; j += ls) s += exp(x[base + j * inner] - m);
  s = px_group_sum(scratch, s);
  const float log_s = log(s), inv_s = 1.0f / s;
  for (int j = lid; j < n; j += ls) {
    const float v = x[base + j * inner] - m;
    y[base + j * inner] = log_softmax ? v - log_s : exp(v) * inv_s;
  }
}

/* Group r normalises x[r * d, (r + 1) * d); bias, mean_out and inv_out may be NULL. */
__kernel void layer_norm(__global const float* x, __global float* y, __global const float* scale,
                         __global const float* bias, __global float* mean_out,
                         __global float* inv_out, int d, float eps) {
  __local float scratch[PX_MAX_GROUP];
  const int r = get_group_id(0), lid = get_local_id(0), ls = get_local_size(0);
  __global const float* xr = x + (long)r * d;
  __global float* yr = y + (long)r * d;
  float s = 0.0f;
  for (int j = lid; j < d; j += ls) s += xr[j];
  const float mean = px_group_sum(scratch, s) / d;
  float v = 0.0f;
  for (int j = lid; j < d; j += ls) {
    const float c = xr[j] - mean;
    v += c * c;
  }
  const float inv = 1.0f / sqrt(px_group_sum(scratch, v) / d + eps);
  for (int j = lid; j < d; j += ls) {
    const float t = (xr[j] - mean) * inv * scale[j];
    yr[j] = bias ? t + bias[j] : t;
  }
  if (lid == 0 && mean_out) mean_out[r] = mean;
  if (lid == 0 && inv_out) inv_out[r] = inv;
}
)CLC";

namespace {

constexpr size_t kRowGroup = 64;  // <= PX_MAX_GROUP; fixed so POCL compiles each kernel once

struct Rows {
  int64_t rows = 1, n = 1, inner = 1;
};

// As the CPU kernel's Geometry; false for a bad axis.
bool SoftmaxRows(const Node& node, const Shape& shape, Rows* g) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  *g = Rows{};
  if (rank == 0) return true;
  const bool coerce = node.opset < 13;
  StatusOr<int64_t> axis = NormalizeAxis(node.GetInt("axis", coerce ? 1 : -1), rank);
  if (!axis.ok()) return false;
  int64_t outer = 1;
  for (int64_t i = 0; i < *axis; ++i) outer *= shape[i];
  g->n = 1;
  if (coerce) {
    for (int64_t i = *axis; i < rank; ++i) g->n *= shape[i];
  } else {
    g->n = shape[*axis];
    for (int64_t i = *axis + 1; i < rank; ++i) g->inner *= shape[i];
  }
  g->rows = outer * g->inner;
  return true;
}

bool SoftmaxSupports(const Node& node, const std::vector<ValueInfo>& in) {
  Rows g;
  return in.size() == 1 && IsDenseFloat(in, 0) && SoftmaxRows(node, in[0].shape, &g);
}

Status SoftmaxRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
                  const std::vector<Tensor*>& out, ClIo& io) {
  Rows g;
  SoftmaxRows(node, in[0]->shape(), &g);
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, in[0]->shape()));
  PX_ASSIGN_OR_RETURN(const ClBuffer* x, io.Input(0));
  PX_ASSIGN_OR_RETURN(const ClBuffer* y, io.Output(0));
  const size_t group = rt.GroupSize("softmax", kRowGroup);
  return rt.Launch("softmax", {static_cast<size_t>(g.rows) * group}, {group}, *x, *y,
                   static_cast<int32_t>(g.n), static_cast<int32_t>(g.inner),
                   static_cast<int32_t>(node.op_type == "LogSoftmax"));
}

// Normalised shape X.shape[axis:] and the row count; false for a bad axis or rank 0.
bool NormShape(const Node& node, const Shape& x, Shape* norm, int64_t* rows, int64_t* axis_out) {
  if (x.empty()) return false;
  StatusOr<int64_t> axis = NormalizeAxis(node.GetInt("axis", -1), static_cast<int64_t>(x.size()));
  if (!axis.ok()) return false;
  norm->assign(x.begin() + *axis, x.end());
  *rows = 1;
  for (int64_t i = 0; i < *axis; ++i) *rows *= x[i];
  *axis_out = *axis;
  return true;
}

bool BroadcastsTo(const Shape& p, const Shape& norm) {
  if (p.size() > norm.size()) return false;
  const size_t off = norm.size() - p.size();
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != 1 && p[i] != norm[off + i]) return false;
  }
  return true;
}

bool LayerNormSupports(const Node& node, const std::vector<ValueInfo>& in) {
  if (in.size() < 2 || in.size() > 3 || !IsDenseFloat(in, 0) || !IsDenseFloat(in, 1)) return false;
  if (node.GetInt("stash_type", 1) != 1) return false;  // statistics in float32 only
  Shape norm;
  int64_t rows = 0, axis = 0;
  if (!NormShape(node, in[0].shape, &norm, &rows, &axis)) return false;
  if (!BroadcastsTo(in[1].shape, norm)) return false;
  if (in.size() == 3 && !IsOmitted(in, 2) &&
      !(IsDenseFloat(in, 2) && BroadcastsTo(in[2].shape, norm))) {
    return false;
  }
  return node.outputs.size() <= 3;
}

// Input p (scale or bias) broadcast to X.shape[axis:], as a dense row.
std::vector<float> DenseRow(const Tensor& p, const Node& node, const std::vector<const Tensor*>& in) {
  Shape norm;
  int64_t rows = 0, axis = 0;
  NormShape(node, in[0]->shape(), &norm, &rows, &axis);
  const int64_t d = NumElements(norm);
  std::vector<float> row(static_cast<size_t>(d));
  const std::vector<int64_t> bs = BroadcastStrides(p.shape(), norm);
  const std::vector<int64_t> st = Strides(norm);
  for (int64_t i = 0; i < d; ++i) {
    int64_t off = 0, rem = i;
    for (size_t k = 0; k < norm.size(); ++k) {
      off += rem / st[k] * bs[k];
      rem %= st[k];
    }
    row[static_cast<size_t>(i)] = p.data<float>()[off];
  }
  return row;
}

Status LayerNormRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
                    const std::vector<Tensor*>& out, ClIo& io) {
  Shape norm;
  int64_t rows = 0, axis = 0;
  NormShape(node, in[0]->shape(), &norm, &rows, &axis);
  const Shape& shape = in[0]->shape();
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, shape));
  Shape stat(shape.begin(), shape.begin() + axis);
  stat.resize(shape.size(), 1);
  const bool want_mean = out.size() > 1 && out[1] != nullptr;
  const bool want_inv = out.size() > 2 && out[2] != nullptr;
  if (want_mean) PX_RETURN_IF_ERROR(CheckOutput(node, out, 1, stat));
  if (want_inv) PX_RETURN_IF_ERROR(CheckOutput(node, out, 2, stat));
  const bool has_bias = in.size() > 2 && in[2] != nullptr;
  PX_ASSIGN_OR_RETURN(const ClBuffer* x, io.Input(0));
  PX_ASSIGN_OR_RETURN(const ClBuffer* s, io.Derived(1, 0, DenseRow));
  const ClBuffer* b = nullptr;
  if (has_bias) {
    PX_ASSIGN_OR_RETURN(b, io.Derived(2, 0, DenseRow));
  }
  PX_ASSIGN_OR_RETURN(const ClBuffer* y, io.Output(0));
  const ClBuffer *mean = nullptr, *inv = nullptr;
  if (want_mean) {
    PX_ASSIGN_OR_RETURN(mean, io.Output(1));
  }
  if (want_inv) {
    PX_ASSIGN_OR_RETURN(inv, io.Output(2));
  }
  const size_t group = rt.GroupSize("layer_norm", kRowGroup);
  const size_t global = static_cast<size_t>(rows) * group;
  const float eps = node.GetFloat("epsilon", 1e-5f);
  const int32_t dd = static_cast<int32_t>(NumElements(norm));
  // The kernel tests its optional pointers against NULL.
  auto opt = [](const ClBuffer* p) { return ClMemArg{p != nullptr ? p->get() : nullptr}; };
  return rt.Launch("layer_norm", {global}, {group}, *x, *y, *s, opt(b), opt(mean), opt(inv), dd, eps);
}

}  // namespace

std::vector<ClOp> NormalizationClOps() {
  return {
      {"Softmax", "", 1, SoftmaxSupports, SoftmaxRun},
      {"LogSoftmax", "", 1, SoftmaxSupports, SoftmaxRun},
      {"LayerNormalization", "", 17, LayerNormSupports, LayerNormRun},
      {"LayerNormalization", "parallax", 1, LayerNormSupports, LayerNormRun},
  };
}

}  // namespace parallax::opencl
