// MatMul, Gemm and parallax::FusedMatMul on OpenCL, with CLBlast's SGEMM.
//
// MatMul follows numpy (and the CPU kernel, src/kernels/ops/matmul.cc): 1-D operands are
// promoted, batch dims broadcast. When B has no batch and A's batch is not broadcast, A's batch
// folds into M for one SGEMM; otherwise one SGEMM per output batch at the broadcast offsets.
// (CLBlastSgemmBatched would launch once, but POCL needs ~30 s to compile its kernels, on top of
// ~15 s for SGEMM's: the per-batch loop reuses SGEMM's. Worth revisiting on GPUs.)
// FusedMatMul adds the [N] bias and the activation with the "activate" kernel (elementwise.cc).
// Gemm: Y = alpha op(A) op(B) + beta C, C broadcast to [M, N] on the host, then scaled by SGEMM.
#include <clblast_c.h>

#include <string>
#include <vector>

#include "kernels/kernel_util.h"
#include "kernels/ops/conv_activation.h"
#include "providers/opencl/cl_ops.h"

namespace parallax::opencl {

// No kernels of its own: SGEMM is CLBlast's, the epilogue is elementwise.cc's "activate".
const char* const kMatMulClSource = "";

namespace {

struct MatMulDims {
  int64_t M = 0, K = 0, N = 0;
  Shape batch, batch_a, batch_b, out;
};

// As the CPU kernel's MatMulShapes; false when the shapes do not multiply.
bool MatMulShapes(const Shape& a, const Shape& b, MatMulDims* d) {
  if (a.empty() || b.empty()) return false;
  Shape sa = a, sb = b;
  const bool a1d = sa.size() == 1, b1d = sb.size() == 1;
  if (a1d) sa.insert(sa.begin(), 1);
  if (b1d) sb.push_back(1);
  d->M = sa[sa.size() - 2];
  d->K = sa[sa.size() - 1];
  d->N = sb[sb.size() - 1];
  if (sb[sb.size() - 2] != d->K) return false;
  d->batch_a.assign(sa.begin(), sa.end() - 2);
  d->batch_b.assign(sb.begin(), sb.end() - 2);
  StatusOr<Shape> batch = BroadcastShapes(d->batch_a, d->batch_b);
  if (!batch.ok()) return false;
  d->batch = *batch;
  d->out = d->batch;
  if (!a1d) d->out.push_back(d->M);
  if (!b1d) d->out.push_back(d->N);
  const int64_t n = NumElements(d->out);
  return n > 0 && n <= INT32_MAX;
}

// C = A B for every output batch (C holds NumElements(d.out) floats).
Status BatchedSgemm(ClRuntime& rt, const MatMulDims& d, const ClBuffer& a, const ClBuffer& b,
                    const ClBuffer& c) {
  const int64_t batches = NumElements(d.batch);
  const int64_t ba = NumElements(d.batch_a), bb = NumElements(d.batch_b);
  if (bb == 1 && ba == batches) {
    return Sgemm(rt, false, false, batches * d.M, d.N, d.K, 1.0f, a, 0, b, 0, 0.0f, c, 0);
  }
  const std::vector<int64_t> sa = BroadcastStrides(d.batch_a, d.batch);
  const std::vector<int64_t> sb = BroadcastStrides(d.batch_b, d.batch);
  const std::vector<int64_t> so = Strides(d.batch);
  for (int64_t bi = 0; bi < batches; ++bi) {
    int64_t oa = 0, ob = 0, rem = bi;
    for (size_t i = 0; i < d.batch.size(); ++i) {
      const int64_t idx = rem / so[i];
      rem %= so[i];
      oa += idx * sa[i];
      ob += idx * sb[i];
    }
    PX_RETURN_IF_ERROR(Sgemm(rt, false, false, d.M, d.N, d.K, 1.0f, a, oa * d.M * d.K, b,
                             ob * d.K * d.N, 0.0f, c, bi * d.M * d.N));
  }
  return Status::Ok();
}

bool MatMulSupports(const Node& node, const std::vector<ValueInfo>& in) {
  const bool fused = node.op_type == "FusedMatMul";
  if (in.size() < 2 || in.size() > (fused ? 3u : 2u) || !IsDenseFloat(in, 0) ||
      !IsDenseFloat(in, 1)) {
    return false;
  }
  MatMulDims d;
  if (!MatMulShapes(in[0].shape, in[1].shape, &d)) return false;
  if (!fused) return true;
  ClActivationParams act;
  if (!FusedActivation(node, &act)) return false;
  return in.size() < 3 || IsOmitted(in, 2) || (IsDenseFloat(in, 2) && in[2].shape == Shape{d.N});
}

Status MatMulRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
                 const std::vector<Tensor*>& out, ClIo& io) {
  MatMulDims d;
  MatMulShapes(in[0]->shape(), in[1]->shape(), &d);
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, d.out));
  PX_ASSIGN_OR_RETURN(const ClBuffer* a, io.Input(0));
  PX_ASSIGN_OR_RETURN(const ClBuffer* b, io.Input(1));
  PX_ASSIGN_OR_RETURN(const ClBuffer* c, io.Output(0, /*zero=*/true));
  PX_RETURN_IF_ERROR(BatchedSgemm(rt, d, *a, *b, *c));
  ClActivationParams act;
  const bool has_bias = in.size() > 2 && in[2] != nullptr;
  if (node.op_type == "FusedMatMul") FusedActivation(node, &act);
  if (act.kind == kActNone && !has_bias) return Status::Ok();
  const ClBuffer* bias = nullptr;
  if (has_bias) {
    PX_ASSIGN_OR_RETURN(bias, io.Input(2));
  }
  return RunActivation(rt, *c, *c, bias, d.N, out[0]->numel(), act);
}

struct GemmDims {
  int64_t M = 0, N = 0, K = 0;
  bool ta = false, tb = false;
};

bool GemmShapes(const Node& node, const Shape& a, const Shape& b, GemmDims* d) {
  if (a.size() != 2 || b.size() != 2) return false;
  d->ta = node.GetInt("transA", 0) != 0;
  d->tb = node.GetInt("transB", 0) != 0;
  d->M = d->ta ? a[1] : a[0];
  d->K = d->ta ? a[0] : a[1];
  d->N = d->tb ? b[0] : b[1];
  return (d->tb ? b[1] : b[0]) == d->K && d->M * d->N <= INT32_MAX;
}

// C's shape broadcasts to [M, N] the way Gemm allows (unidirectionally).
bool GemmCBroadcasts(const Shape& s, const GemmDims& d) {
  if (s.size() == 2) return (s[0] == 1 || s[0] == d.M) && (s[1] == 1 || s[1] == d.N);
  if (s.size() == 1) return s[0] == 1 || s[0] == d.N;
  return s.empty();
}

bool GemmSupports(const Node& node, const std::vector<ValueInfo>& in) {
  if (in.size() < 2 || in.size() > 3 || !IsDenseFloat(in, 0) || !IsDenseFloat(in, 1)) return false;
  GemmDims d;
  if (!GemmShapes(node, in[0].shape, in[1].shape, &d)) return false;
  return in.size() < 3 || IsOmitted(in, 2) ||
         (IsDenseFloat(in, 2) && GemmCBroadcasts(in[2].shape, d));
}

// broadcast(C) as a dense [M, N] matrix, which SGEMM then scales by beta.
std::vector<float> BroadcastC(const Tensor& C, const Node& node, const std::vector<const Tensor*>& in) {
  GemmDims d;
  GemmShapes(node, in[0]->shape(), in[1]->shape(), &d);
  const Shape& s = C.shape();
  const int64_t cm = s.size() == 2 ? s[0] : 1, cn = s.empty() ? 1 : s.back();
  std::vector<float> y0(static_cast<size_t>(d.M * d.N));
  for (int64_t i = 0; i < d.M; ++i) {
    for (int64_t j = 0; j < d.N; ++j) {
      y0[i * d.N + j] = C.data<float>()[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
    }
  }
  return y0;
}

Status GemmRun(ClRuntime& rt, const Node& node, const std::vector<const Tensor*>& in,
               const std::vector<Tensor*>& out, ClIo& io) {
  GemmDims d;
  GemmShapes(node, in[0]->shape(), in[1]->shape(), &d);
  PX_RETURN_IF_ERROR(CheckOutput(node, out, 0, {d.M, d.N}));
  const float alpha = node.GetFloat("alpha", 1.0f), beta = node.GetFloat("beta", 1.0f);
  const bool use_c = in.size() > 2 && in[2] != nullptr && beta != 0.0f;
  PX_ASSIGN_OR_RETURN(const ClBuffer* a, io.Input(0));
  PX_ASSIGN_OR_RETURN(const ClBuffer* b, io.Input(1));
  PX_ASSIGN_OR_RETURN(const ClBuffer* y, io.Output(0, /*zero=*/!use_c));
  if (use_c) {
    PX_ASSIGN_OR_RETURN(const ClBuffer* c, io.Derived(2, 0, BroadcastC));
    PX_RETURN_IF_ERROR(rt.Copy(*c, *y, d.M * d.N));
  }
  return Sgemm(rt, d.ta, d.tb, d.M, d.N, d.K, alpha, *a, 0, *b, 0, use_c ? beta : 0.0f, *y, 0);
}

}  // namespace

Status Sgemm(ClRuntime& rt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha,
             const ClBuffer& a, int64_t a_off, const ClBuffer& b, int64_t b_off, float beta,
             const ClBuffer& c, int64_t c_off) {
  const CLBlastStatusCode st = CLBlastSgemm(
      CLBlastLayoutRowMajor, ta ? CLBlastTransposeYes : CLBlastTransposeNo,
      tb ? CLBlastTransposeYes : CLBlastTransposeNo, M, N, K, alpha, a.get(), a_off, ta ? M : K,
      b.get(), b_off, tb ? K : N, beta, c.get(), c_off, N, rt.queue(), nullptr);
  if (st != CLBlastSuccess) {
    return Internal("CLBlastSgemm failed with status " + std::to_string(st) +
                    " (M=" + std::to_string(M) + " N=" + std::to_string(N) +
                    " K=" + std::to_string(K) + ")");
  }
  return Status::Ok();
}

bool FusedActivation(const Node& node, ClActivationParams* p) {
  StatusOr<ops::Activation> act = ops::ParseActivation(node);
  if (!act.ok()) return false;
  p->alpha = act->alpha;
  p->lo = act->lo;
  p->hi = act->hi;
  switch (act->kind) {
    case ops::Activation::kNone:
      p->kind = kActNone;
      return true;
    case ops::Activation::kRelu:
      p->kind = kActRelu;
      return true;
    case ops::Activation::kSigmoid:
      p->kind = kActSigmoid;
      return true;
    case ops::Activation::kSilu:
      p->kind = kActSilu;
      return act->beta == 1.0f;  // the OpenCL kernel has no x·sigmoid(beta·x) form
    case ops::Activation::kLeakyRelu:
      p->kind = kActLeakyRelu;
      return true;
    case ops::Activation::kClip:
      p->kind = kActClip;
      return true;
    case ops::Activation::kHardSwish:
      p->kind = kActHardSwish;
      return true;
    case ops::Activation::kGelu:
      p->kind = kActGelu;
      return true;
    case ops::Activation::kTanh:
      p->kind = kActTanh;
      return true;
  }
  return false;
}

std::vector<ClOp> MatMulClOps() {
  return {
      {"MatMul", "", 1, MatMulSupports, MatMulRun},
      {"FusedMatMul", "parallax", 1, MatMulSupports, MatMulRun},
      {"Gemm", "", 7, GemmSupports, GemmRun},
  };
}

}  // namespace parallax::opencl
