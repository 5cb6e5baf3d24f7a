// Transpose, Slice, Split and Concat on OpenCL: one work-item per output element, the source offset
// computed from the output index — Transpose, Slice and each output of Split are one strided gather (base offset +
// per-output-axis input strides: permuted, or multiplied by the slice steps); Concat is one
// launch per input, each copying its block of every outer row. float32, rank <= 8, static
// shapes; Slice's starts/ends/axes/steps must be constants (the plan's, or attributes).
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernel_util.h"
#include "kernels/ops/tensor_ops.h"
#include "providers/opencl/cl_ops.h"

namespace parallax::opencl {

const char* const kDataMovementClSource = R"CLC(
#define PX_MOVE_MAX_RANK 8
typedef struct {
  int rank;
  int base;                       /* input offset of output element 0 */
  int dims[PX_MOVE_MAX_RANK];     /* output dims */
  int strides[PX_MOVE_MAX_RANK];  /* per output axis: the input offset of one step along it */
} GatherGeom;

__kernel void strided_gather(__global const float* x, __global float* y, int n, GatherGeom g) {
  const int i = get_global_id(0);
  if (i >= n) return;
  int rem = i, off = g.base;
  for (int d = g.rank - 1; d >= 0; --d) {
    off += (rem % g.dims[d]) * g.strides[d];
    rem /= g.dims[d];
  }
  y[i] = x[off];
}

/* Input rows of `width` floats go to y at row * out_width + offset. */
__kernel void copy_block(__global const float* x, __global float* y, int n, int width,
                         int out_width, int offset) {
  const int i = get_global_id(0);
  if (i >= n) return;
  y[(i / width) * out_width + offset + i % width] = x[i];
}
)CLC";

namespace {

constexpr int kMaxRank = 8;

struct GatherGeom {
  int32_t rank = 0;
  int32_t base = 0;
  int32_t dims[kMaxRank] = {};
  int32_t strides[kMaxRank] = {};
};

// Output `o` = the elements of input 0 at g (GatherGeom).
Status RunGather(ClRuntime& rt, ClIo& io, const GatherGeom& g, size_t o, int64_t n) {
  PX_ASSIGN_OR_RETURN(const ClBuffer* x, io.Input(0));
  PX_ASSIGN_OR_RETURN(const ClBuffer* y, io.Output(o));
  return rt.Launch("strided_gather", {static_cast<size_t>(n)}, {}, *x, *y, static_cast<int32_t>(n), g);
}

// The permutation of a Transpose node (default: reversed axes); false when invalid.
bool Permutation(const Node& node, size_t rank, std::vector<int64_t>* perm) {
  *perm = node.GetInts("perm");
  if (perm->empty()) {
    for (size_t i = 0; i < rank; ++i) perm->push_back(static_cast<int64_t>(rank - 1 - i));
  }
  if (perm->size() != rank) return false;
  std::vector<bool> seen(rank, false);
  for (int64_t p : *perm) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p]) return false;
    seen[p] = true;
  }
  return true;
}

bool TransposeSupports(const Node& node, const std::vector<ValueInfo>& in) {
  std::vector<int64_t> perm;
  return in.size() == 1 && IsDenseFloat(in, 0) && in[0].shape.size() <= kMaxRank &&
         Permutation(node, in[0].shape.size(), &perm);
}

Status TransposeRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
                    const std::vector<Tensor*>& out, ClIo& io) {
  const Shape& s = in[0]->shape();
  std::vector<int64_t> perm;
  Permutation(node, s.size(), &perm);
  const std::vector<int64_t> in_strides = Strides(s);
  Shape out_shape;
  GatherGeom g;
  g.rank = static_cast<int32_t>(s.size());
  for (size_t d = 0; d < s.size(); ++d) {
    out_shape.push_back(s[perm[d]]);
    g.dims[d] = static_cast<int32_t>(s[perm[d]]);
    g.strides[d] = static_cast<int32_t>(in_strides[perm[d]]);
  }
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, out_shape));
  return RunGather(rt, io, g, 0, out[0]->numel());
}

// Slice's constant operands as the CPU kernel reads them (opset 10+: inputs 1-4, each a
// constant; before: attributes); false when one is not a known constant.
bool SliceOperands(const Node& node, const std::vector<const Tensor*>& vals_in, std::vector<const Tensor*>* vals) {
  vals->assign(4, nullptr);
  if (node.opset < 10) return true;
  for (size_t i = 1; i <= 4 && i < vals_in.size(); ++i) (*vals)[i - 1] = vals_in[i];
  return (*vals)[0] != nullptr && (*vals)[1] != nullptr;
}

bool SliceSupports(const Node& node, const std::vector<ValueInfo>& in) {
  if (in.empty() || !IsDenseFloat(in, 0) || in[0].shape.size() > kMaxRank) return false;
  std::vector<const Tensor*> given(in.size(), nullptr), vals;
  for (size_t i = 1; i < in.size(); ++i) {
    if (IsOmitted(in, i)) continue;
    if (in[i].value == nullptr) return false;  // starts/ends/axes/steps known only at run time
    given[i] = in[i].value;
  }
  ops::SlicePlan p;
  return SliceOperands(node, given, &vals) && ops::GetSlicePlan(node, in[0].shape, vals, &p).ok() &&
         NumElements(p.out) > 0;
}

Status SliceRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
                const std::vector<Tensor*>& out, ClIo& io) {
  std::vector<const Tensor*> vals;
  if (!SliceOperands(node, in, &vals)) return InvalidArgument(node.Describe() + "starts and ends are required");
  ops::SlicePlan p;
  PX_RETURN_IF_ERROR(ops::GetSlicePlan(node, in[0]->shape(), vals, &p));
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, p.out));
  const std::vector<int64_t> st = Strides(in[0]->shape());
  GatherGeom g;
  g.rank = static_cast<int32_t>(st.size());
  int64_t base = 0;
  for (size_t d = 0; d < st.size(); ++d) {
    base += p.start[d] * st[d];
    g.dims[d] = static_cast<int32_t>(p.out[d]);
    g.strides[d] = static_cast<int32_t>(st[d] * p.step[d]);
  }
  g.base = static_cast<int32_t>(base);
  return RunGather(rt, io, g, 0, out[0]->numel());
}

// Split: the output shapes come from the plan (the CPU kernel's inference); each output is a
// strided gather starting at its offset along the axis.
bool SplitSupports(const Node& node, const std::vector<ValueInfo>& in) {
  if (in.empty() || !IsDenseFloat(in, 0) || in[0].shape.size() > kMaxRank) return false;
  if (!NormalizeAxis(node.GetInt("axis", 0), static_cast<int64_t>(in[0].shape.size())).ok()) return false;
  // The sizes input (opset 13+) must be a constant, or omitted.
  return in.size() < 2 || IsOmitted(in, 1) || in[1].value != nullptr;
}

Status SplitRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
                const std::vector<Tensor*>& out, ClIo& io) {
  const Shape& s = in[0]->shape();
  PX_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(node.GetInt("axis", 0), static_cast<int64_t>(s.size())));
  const std::vector<int64_t> st = Strides(s);
  int64_t at = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == nullptr || out[i]->rank() != static_cast<int64_t>(s.size())) {
      return InvalidArgument(node.Describe() + "output " + std::to_string(i) + " is missing or has the wrong rank");
    }
    const Shape& os = out[i]->shape();
    if (at + os[axis] > s[axis]) return InvalidArgument(node.Describe() + "outputs exceed the input along the axis");
    if (out[i]->numel() > 0) {
      GatherGeom g;
      g.rank = static_cast<int32_t>(s.size());
      g.base = static_cast<int32_t>(at * st[axis]);
      for (size_t d = 0; d < s.size(); ++d) {
        g.dims[d] = static_cast<int32_t>(os[d]);
        g.strides[d] = static_cast<int32_t>(st[d]);
      }
      PX_RETURN_IF_ERROR(RunGather(rt, io, g, i, out[i]->numel()));
    }
    at += os[axis];
  }
  return Status::Ok();
}

// Concat's axis and output shape; false for mismatched ranks or dims, or a bad axis.
bool ConcatShape(const Node& node, const std::vector<ValueInfo>& in, int64_t* axis, Shape* out) {
  if (in.empty()) return false;
  const int64_t rank = static_cast<int64_t>(in[0].shape.size());
  StatusOr<int64_t> a = NormalizeAxis(node.GetInt("axis", 0), rank);
  if (!a.ok() || rank == 0) return false;
  *axis = *a;
  *out = in[0].shape;
  (*out)[*a] = 0;
  for (const ValueInfo& v : in) {
    if (static_cast<int64_t>(v.shape.size()) != rank) return false;
    for (int64_t d = 0; d < rank; ++d) {
      if (d != *a && v.shape[d] != in[0].shape[d]) return false;
    }
    (*out)[*a] += v.shape[*a];
  }
  return true;
}

bool ConcatSupports(const Node& node, const std::vector<ValueInfo>& in) {
  int64_t axis = 0;
  Shape out;
  if (!ConcatShape(node, in, &axis, &out) || NumElements(out) <= 0 || NumElements(out) > INT32_MAX) return false;
  for (size_t i = 0; i < in.size(); ++i) {
    // Empty inputs add nothing; every other one must be a dense float tensor.
    if (NumElements(in[i].shape) != 0 && !IsDenseFloat(in, i)) return false;
  }
  return true;
}

Status ConcatRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
                 const std::vector<Tensor*>& out, ClIo& io) {
  std::vector<ValueInfo> infos;
  for (const Tensor* t : in) infos.push_back(ValueInfo{t->dtype(), t->shape(), nullptr});
  int64_t axis = 0;
  Shape shape;
  ConcatShape(node, infos, &axis, &shape);
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, shape));
  int64_t inner = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t out_width = shape[axis] * inner;
  PX_ASSIGN_OR_RETURN(const ClBuffer* y, io.Output(0));
  int64_t offset = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const int64_t width = in[i]->shape()[axis] * inner, n = in[i]->numel();
    if (n == 0) continue;
    PX_ASSIGN_OR_RETURN(const ClBuffer* x, io.Input(i));
    PX_RETURN_IF_ERROR(rt.Launch("copy_block", {static_cast<size_t>(n)}, {}, *x, *y, static_cast<int32_t>(n),
                                 static_cast<int32_t>(width), static_cast<int32_t>(out_width),
                                 static_cast<int32_t>(offset)));
    offset += width;
  }
  return Status::Ok();
}

}  // namespace

std::vector<ClOp> DataMovementClOps() {
  return {
      {"Transpose", "", 1, TransposeSupports, TransposeRun},
      {"Slice", "", 1, SliceSupports, SliceRun},
      {"Split", "", 1, SplitSupports, SplitRun},
      {"Concat", "", 4, ConcatSupports, ConcatRun},
  };
}

}  // namespace parallax::opencl
