// The OpenCL provider's op table: one row per op, like the CPU registry (src/kernels/
// registry.cc), assembled from one list per op family file. Each family file also holds the
// OpenCL C source of its kernels; the provider builds all sources into one program.
//
//   matmul.cc         MatMul, Gemm, parallax::FusedMatMul (CLBlast SGEMM + epilogue kernels)
//   elementwise.cc    Add, Sub, Mul, Div (numpy broadcasting); Relu, Sigmoid, Tanh, Erf,
//                     Gelu, parallax::Gelu, parallax::Silu
//   normalization.cc  Softmax, LogSoftmax, LayerNormalization (+ parallax::LayerNormalization)
//   data_movement.cc  Transpose, Slice, Split, Concat
//   conv_pool.cc      Conv, MaxPool and their NHWC forms (im2col + CLBlast SGEMM, direct)
//   resize.cc         Resize, Upsample (the CPU kernel's taps, summed on the device)
//
// `supports` sees dtypes and static shapes only and must not accept what `run` cannot do.
// `run` gets the host tensors (for their shapes: their data may be stale when the operand lives
// on the device) and a ClIo that hands out the operands' device buffers: the provider uploads,
// caches and keeps values on the device as the plan says (providers/provider.h) and copies the
// outputs to the host after `run` returns where needed. `run` only enqueues work.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kernels/kernel.h"
#include "providers/opencl/cl_runtime.h"

namespace parallax::opencl {

using ClSupportsFn = bool (*)(const Node& node, const std::vector<ValueInfo>& inputs);
// A node's operands on the device, for a ClRunFn.
class ClIo {
 public:
  virtual ~ClIo() = default;
  // Input i on the device: uploaded now, or the copy an earlier step or the plan cache kept.
  virtual StatusOr<const ClBuffer*> Input(size_t i) = 0;
  // A buffer made from input i on the host by `make` (e.g. a broadcast row of a scale); made
  // and uploaded once per plan and node when input i is constant, else on every call. `tag`
  // names the derivation among those of the same input.
  using DeriveFn = std::vector<float> (*)(const Tensor& input, const Node& node,
                                          const std::vector<const Tensor*>& inputs);
  virtual StatusOr<const ClBuffer*> Derived(size_t i, int tag, DeriveFn make) = 0;
  // A table of the node's own (e.g. Resize's source indices and weights) that is the same on
  // every run of the plan: `make` runs and the bytes are uploaded once per plan and node.
  virtual StatusOr<const ClBuffer*> NodeConstant(int tag, std::vector<uint8_t> (*make)(const Node& node,
                                                 const std::vector<const Tensor*>& inputs)) = 0;
  // Output i's device buffer, as many floats as the host output (filled with zeros first
  // when `zero`). The output must be present (CheckOutput).
  virtual StatusOr<const ClBuffer*> Output(size_t i, bool zero = false) = 0;
};

using ClRunFn = Status (*)(ClRuntime& rt, const Node& node,
                           const std::vector<const Tensor*>& inputs,
                           const std::vector<Tensor*>& outputs, ClIo& io);

struct ClOp {
  const char* op_type;
  const char* domain;  // "" = ai.onnx
  int since_version;   // first opset this row handles
  ClSupportsFn supports;
  ClRunFn run;
};

std::vector<ClOp> MatMulClOps();
std::vector<ClOp> ElementwiseClOps();
std::vector<ClOp> NormalizationClOps();
std::vector<ClOp> DataMovementClOps();
std::vector<ClOp> ConvPoolClOps();
std::vector<ClOp> ResizeClOps();

extern const char* const kMatMulClSource;
extern const char* const kElementwiseClSource;
extern const char* const kNormalizationClSource;
extern const char* const kDataMovementClSource;
extern const char* const kConvPoolClSource;
extern const char* const kResizeClSource;

// Shared checks for `supports`: a present float32 input with a static, non-empty shape of at
// most 2^31 - 1 elements (kernels index with 32-bit ints).
bool IsDenseFloat(const std::vector<ValueInfo>& inputs, size_t i);
// True when input i is omitted (absent or dtype kUndefined).
bool IsOmitted(const std::vector<ValueInfo>& inputs, size_t i);
// For `run`: output i is present with `shape` (the provider checks inputs through `supports`).
Status CheckOutput(const Node& node, const std::vector<Tensor*>& outputs, size_t i,
                   const Shape& shape);

// Activations shared by the unary ops and the FusedMatMul epilogue (kernel "activate").
enum ClActivation : int32_t {
  kActNone = 0,
  kActRelu,
  kActSigmoid,
  kActTanh,
  kActErf,
  kActSilu,
  kActGelu,      // 0.5 x (1 + erf(x / sqrt 2))
  kActGeluTanh,  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  kActLeakyRelu,
  kActClip,
  kActHardSwish,
};

struct ClActivationParams {
  ClActivation kind = kActNone;
  float alpha = 0.01f;                  // LeakyRelu slope
  float lo = -INFINITY, hi = INFINITY;  // Clip bounds
};

// out[i] = act(in[i] + (bias ? bias[(i / inner) % cols] : 0)) for i < n; `out` may be `in`.
// inner = 1: a bias per column of [rows, cols]; inner = H·W: a bias per channel of NCHW.
Status RunActivation(ClRuntime& rt, const ClBuffer& in, const ClBuffer& out, const ClBuffer* bias,
                     int64_t cols, int64_t n, const ClActivationParams& act, int64_t inner = 1);

// C = alpha op(A) op(B) + beta C with CLBlast (row-major; offsets in floats; lda/ldb/ldc dense).
Status Sgemm(ClRuntime& rt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
             const ClBuffer& a, int64_t a_off, const ClBuffer& b, int64_t b_off, float beta,
             const ClBuffer& c, int64_t c_off);

// The fused "activation" attribute of FusedMatMul, Conv and NhwcConv (ops::ParseActivation) as
// a kernel code; false for one the kernels do not have.
bool FusedActivation(const Node& node, ClActivationParams* p);

}  // namespace parallax::opencl
