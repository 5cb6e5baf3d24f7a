// Elementwise ops on OpenCL: Add/Sub/Mul/Div with numpy broadcasting, and the unary
// activations (Relu, Sigmoid, Tanh, Erf, Gelu, parallax::Gelu, parallax::Silu), which share the
// "activate" kernel with the FusedMatMul epilogue.
//
// Broadcasting: each output element's index is split into coordinates and mapped to an offset
// in each input through its broadcast strides (0 on broadcast dims). The host first drops
// size-1 dims and merges neighbouring dims that are contiguous in both inputs, so same-shape
// operands become one dim and a [M, N] + [N] bias becomes two.
#include <string>
#include <vector>

#include "kernels/kernel_util.h"
#include "providers/opencl/cl_ops.h"

namespace parallax::opencl {

const char* const kElementwiseClSource = R"CLC(
#define PX_MAX_RANK 8
typedef struct {
  int rank;
  int dims[PX_MAX_RANK];
  int a_strides[PX_MAX_RANK];
  int b_strides[PX_MAX_RANK];
} BinaryGeom;

__kernel void binary(__global const float* a, __global const float* b, __global float* y, int n,
                     int op, BinaryGeom g) {
  const int i = get_global_id(0);
  if (i >= n) return;
  int rem = i, oa = 0, ob = 0;
  for (int d = g.rank - 1; d >= 0; --d) {
    const int idx = rem % g.dims[d];
    rem /= g.dims[d];
    oa += idx * g.a_strides[d];
    ob += idx * g.b_strides[d];
  }
  const float x = a[oa], z = b[ob];
  float r;
  switch (op) {
    case 0: r = x + z; break;
    case 1: r = x - z; break;
    case 2: r = x * z; break;
    default: r = x / z; break;
  }
  y[i] = r;
}

float px_activation(float x, int kind, float alpha, float lo, float hi) {
  switch (kind) {
    case 1: return x > 0.0f ? x : 0.0f;
    case 2: return 1.0f / (1.0f + exp(-x));
    case 3: return tanh(x);
    case 4: return erf(x);
    case 5: return x / (1.0f + exp(-x));
    case 6: return 0.5f * x * erfc(x * -0.70710678118654752f);  /* 1 + erf(z) = erfc(-z) */
    case 7: {
      const float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.0f + tanh(u));
    }
    case 8: return x >= 0.0f ? x : x * alpha;
    case 9: return fmin(fmax(x, lo), hi);
    case 10: return x * clamp(x * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f);
    default: return x;
  }
}

/* y[i] = act(x[i] + bias[(i / inner) % cols]); bias may be NULL; y may be x. */
__kernel void activate(__global const float* x, __global float* y, __global const float* bias,
                       int cols, int inner, int n, int kind, float alpha, float lo, float hi) {
  const int i = get_global_id(0);
  if (i >= n) return;
  float v = x[i];
  if (bias) v += bias[(i / inner) % cols];
  y[i] = px_activation(v, kind, alpha, lo, hi);
}
)CLC";

namespace {

constexpr int kMaxRank = 8;

// Byte for byte the OpenCL C BinaryGeom above.
struct BinaryGeom {
  int32_t rank = 0;
  int32_t dims[kMaxRank] = {};
  int32_t a_strides[kMaxRank] = {};
  int32_t b_strides[kMaxRank] = {};
};

// Output shape and compacted geometry; false when the shapes do not broadcast or exceed the
// kernel's limits (rank 8 after compaction, 32-bit offsets).
bool MakeGeom(const Shape& a, const Shape& b, Shape* out, BinaryGeom* g) {
  StatusOr<Shape> s = BroadcastShapes(a, b);
  if (!s.ok()) return false;
  *out = *s;
  const std::vector<int64_t> sa = BroadcastStrides(a, *out), sb = BroadcastStrides(b, *out);
  std::vector<int64_t> dims, as, bs;
  for (size_t d = 0; d < out->size(); ++d) {
    if ((*out)[d] == 1) continue;
    if (!dims.empty() && as.back() == sa[d] * (*out)[d] && bs.back() == sb[d] * (*out)[d]) {
      dims.back() *= (*out)[d];  // contiguous in both: merge into the previous dim
      as.back() = sa[d];
      bs.back() = sb[d];
      continue;
    }
    dims.push_back((*out)[d]);
    as.push_back(sa[d]);
    bs.push_back(sb[d]);
  }
  if (dims.size() > kMaxRank) return false;
  g->rank = static_cast<int32_t>(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    g->dims[d] = static_cast<int32_t>(dims[d]);
    g->a_strides[d] = static_cast<int32_t>(as[d]);
    g->b_strides[d] = static_cast<int32_t>(bs[d]);
  }
  return NumElements(*out) > 0 && NumElements(*out) <= INT32_MAX;
}

int32_t BinaryCode(const std::string& op) {
  if (op == "Add") return 0;
  if (op == "Sub") return 1;
  if (op == "Mul") return 2;
  return 3;  // Div
}

bool BinarySupports(const Node& node, const std::vector<ValueInfo>& in) {
  if (in.size() != 2 || !IsDenseFloat(in, 0) || !IsDenseFloat(in, 1)) return false;
  Shape out;
  BinaryGeom g;
  return MakeGeom(in[0].shape, in[1].shape, &out, &g);
}

Status BinaryRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
                 const std::vector<Tensor*>& out, ClIo& io) {
  Shape shape;
  BinaryGeom g;
  if (!MakeGeom(in[0]->shape(), in[1]->shape(), &shape, &g)) {
    return Internal("shapes changed since Supports");
  }
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, shape));
  const int64_t n = out[0]->numel();
  PX_ASSIGN_OR_RETURN(const ClBuffer* a, io.Input(0));
  PX_ASSIGN_OR_RETURN(const ClBuffer* b, io.Input(1));
  PX_ASSIGN_OR_RETURN(const ClBuffer* y, io.Output(0));
  return rt.Launch("binary", {static_cast<size_t>(n)}, {}, *a, *b, *y, static_cast<int32_t>(n),
                   BinaryCode(node.op_type), g);
}

// The activation of a unary op node; kActNone with *ok = false for an unsupported attribute.
ClActivation UnaryKind(const Node& node, bool* ok) {
  *ok = true;
  const std::string& op = node.op_type;
  if (op == "Relu") return kActRelu;
  if (op == "Sigmoid") return kActSigmoid;
  if (op == "Tanh") return kActTanh;
  if (op == "Erf") return kActErf;
  if (op == "Silu") return kActSilu;
  if (op == "Gelu") {
    const std::string approx = node.GetString("approximate", "none");
    if (approx == "none") return kActGelu;
    if (approx == "tanh") return kActGeluTanh;
  }
  *ok = false;
  return kActNone;
}

bool UnarySupports(const Node& node, const std::vector<ValueInfo>& in) {
  bool ok = false;
  UnaryKind(node, &ok);
  return ok && in.size() == 1 && IsDenseFloat(in, 0);
}

Status UnaryRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
                const std::vector<Tensor*>& out, ClIo& io) {
  bool ok = false;
  ClActivationParams act;
  act.kind = UnaryKind(node, &ok);
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, in[0]->shape()));
  const int64_t n = in[0]->numel();
  PX_ASSIGN_OR_RETURN(const ClBuffer* x, io.Input(0));
  PX_ASSIGN_OR_RETURN(const ClBuffer* y, io.Output(0));
  return RunActivation(rt, *x, *y, nullptr, 1, n, act);
}

}  // namespace

Status RunActivation(ClRuntime& rt, const ClBuffer& in, const ClBuffer& out, const ClBuffer* bias,
                     int64_t cols, int64_t n, const ClActivationParams& act, int64_t inner) {
  const size_t global = static_cast<size_t>(n);
  const int32_t c = static_cast<int32_t>(cols), nn = static_cast<int32_t>(n);
  const int32_t in_stride = static_cast<int32_t>(inner);
  const int32_t kind = act.kind;
  const ClMemArg b{bias != nullptr ? bias->get() : nullptr};
  return rt.Launch("activate", {global}, {}, in, out, b, c, in_stride, nn, kind, act.alpha, act.lo, act.hi);
}

std::vector<ClOp> ElementwiseClOps() {
  return {
      {"Add", "", 7, BinarySupports, BinaryRun},
      {"Sub", "", 7, BinarySupports, BinaryRun},
      {"Mul", "", 7, BinarySupports, BinaryRun},
      {"Div", "", 7, BinarySupports, BinaryRun},
      {"Relu", "", 6, UnarySupports, UnaryRun},
      {"Sigmoid", "", 6, UnarySupports, UnaryRun},
      {"Tanh", "", 6, UnarySupports, UnaryRun},
      {"Erf", "", 9, UnarySupports, UnaryRun},
      {"Gelu", "", 20, UnarySupports, UnaryRun},
      {"Gelu", "parallax", 1, UnarySupports, UnaryRun},
      {"Silu", "parallax", 1, UnarySupports, UnaryRun},
  };
}

}  // namespace parallax::opencl
