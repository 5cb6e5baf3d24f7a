// Attention (ai.onnx 23, 24): scaled dot-product attention over Q, K, V with optional mask,
// causal masking, KV cache (past_key/past_value -> present_key/present_value), softcap,
// grouped-query heads and the qk_matmul_output diagnostic output. Opset 24 adds the
// nonpad_kv_seqlen input (per-batch count of valid keys).
//
// Shapes: 4-D Q (B, Hq, Sq, D), K (B, Hkv, Skv, D), V (B, Hkv, Skv, Dv); 3-D Q (B, Sq, Hq*D),
// K (B, Skv, Hkv*D), V (B, Skv, Hkv*Dv) with the q_num_heads/kv_num_heads attributes. Query head
// h uses KV head h / (Hq / Hkv). T = past + Skv keys in all.
//
// Per query row: s = scale * q·k (scale defaults to 1/sqrt(D)); s = softcap*tanh(s/softcap)
// when softcap > 0; s += bias (attn_mask, padded with -inf past its last dim; causal: key j is
// masked when j > i + offset, offset = past length, or nonpad_kv_seqlen[b] - Sq with no past);
// p = softmax(s) (a row whose every score is -inf gives p = 0); y = p·V.
// qk_matmul_output: mode 0/1 the (soft-capped) scores, 2 after the bias, 3 the softmax.
// float32 and float64 natively; float16 is computed in float32.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/ops/extra_common.h"
#include "kernels/vector_math.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

struct AttnDims {
  bool is3d = false;
  int64_t B = 0, Hq = 0, Hkv = 0, Sq = 0, Skv = 0, P = 0, T = 0, D = 0, Dv = 0;
};

Status ComputeDims(const Node& node, const Shape& q, const Shape& k, const Shape& v,
                   const Shape* past_k, const Shape* past_v, AttnDims* d) {
  if (q.size() != k.size() || q.size() != v.size() || (q.size() != 3 && q.size() != 4)) {
    return InvalidArgument("Q, K and V must all be 3-D or all be 4-D; got " + ShapeToString(q) +
                           ", " + ShapeToString(k) + ", " + ShapeToString(v));
  }
  d->is3d = q.size() == 3;
  d->B = q[0];
  if (k[0] != d->B || v[0] != d->B) return InvalidArgument("Q, K and V must share the batch dimension");
  if (d->is3d) {
    const int64_t hq = node.GetInt("q_num_heads", 0), hkv = node.GetInt("kv_num_heads", 0);
    if (hq <= 0 || hkv <= 0) {
      return InvalidArgument("3-D inputs need positive q_num_heads and kv_num_heads attributes");
    }
    if (q[2] % hq != 0 || k[2] % hkv != 0 || v[2] % hkv != 0) {
      return InvalidArgument("hidden sizes of Q/K/V must be divisible by q_num_heads/kv_num_heads");
    }
    d->Hq = hq;
    d->Hkv = hkv;
    d->Sq = q[1];
    d->Skv = k[1];
    d->D = q[2] / hq;
    if (k[2] / hkv != d->D) return InvalidArgument("Q and K head sizes differ");
    d->Dv = v[2] / hkv;
    if (v[1] != d->Skv) return InvalidArgument("K and V sequence lengths differ");
  } else {
    d->Hq = q[1];
    d->Hkv = k[1];
    d->Sq = q[2];
    d->Skv = k[2];
    d->D = q[3];
    d->Dv = v[3];
    if (v[1] != d->Hkv || v[2] != d->Skv) return InvalidArgument("K and V must share heads and sequence length");
    if (k[3] != d->D) return InvalidArgument("Q and K head sizes differ");
  }
  if (d->Hkv <= 0 || d->Hq % d->Hkv != 0) {
    return InvalidArgument("q heads (" + std::to_string(d->Hq) + ") must be a multiple of kv heads (" +
                           std::to_string(d->Hkv) + ")");
  }
  if ((past_k == nullptr) != (past_v == nullptr)) {
    return InvalidArgument("past_key and past_value must be given together");
  }
  d->P = 0;
  if (past_k != nullptr) {
    const Shape& pk = *past_k;
    const Shape& pv = *past_v;
    if (pk.size() != 4 || pv.size() != 4 || pk[0] != d->B || pk[1] != d->Hkv || pk[3] != d->D ||
        pv[0] != d->B || pv[1] != d->Hkv || pv[3] != d->Dv || pv[2] != pk[2]) {
      return InvalidArgument("past_key/past_value shapes " + ShapeToString(pk) + ", " +
                             ShapeToString(pv) + " do not match (B, kv_heads, past, head_size)");
    }
    d->P = pk[2];
  }
  d->T = d->P + d->Skv;
  return Status::Ok();
}

Status AttentionInfer(InferContext& ctx) {
  if (!ctx.has(0) || !ctx.has(1) || !ctx.has(2)) return InvalidArgument("inputs Q, K and V are required");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64 && dt != DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by Attention");
  }
  for (size_t i : {1, 2, 4, 5}) {
    if (ctx.has(i) && ctx.in(i).dtype != dt) {
      return InvalidArgument("input " + std::to_string(i) + " has dtype " + DataTypeName(ctx.in(i).dtype) +
                             ", expected " + DataTypeName(dt));
    }
  }
  AttnDims d;
  PX_RETURN_IF_ERROR(ComputeDims(ctx.node, ctx.in(0).shape, ctx.in(1).shape, ctx.in(2).shape,
                                 ctx.has(4) ? &ctx.in(4).shape : nullptr,
                                 ctx.has(5) ? &ctx.in(5).shape : nullptr, &d));
  if (ctx.has(3)) {
    const ValueInfo& m = ctx.in(3);
    if (m.dtype != DataType::kBool && m.dtype != dt) {
      return InvalidArgument(std::string("attn_mask has dtype ") + DataTypeName(m.dtype) +
                             ", expected bool or " + DataTypeName(dt));
    }
    const Shape target{d.B, d.Hq, d.Sq, d.T};
    if (m.shape.empty() || m.shape.size() > 4 || m.shape.back() > d.T) {
      return InvalidArgument("attn_mask shape " + ShapeToString(m.shape) + " is not broadcastable to " +
                             ShapeToString(target));
    }
    const size_t off = 4 - m.shape.size();
    for (size_t i = 0; i + 1 < m.shape.size(); ++i) {
      if (m.shape[i] != 1 && m.shape[i] != target[off + i]) {
        return InvalidArgument("attn_mask shape " + ShapeToString(m.shape) + " is not broadcastable to " +
                               ShapeToString(target));
      }
    }
  }
  if (ctx.has(6)) {
    if (ctx.node.opset < 24) return InvalidArgument("nonpad_kv_seqlen needs opset 24");
    const ValueInfo& n = ctx.in(6);
    if (n.dtype != DataType::kInt64 || n.shape != Shape{d.B}) {
      return InvalidArgument("nonpad_kv_seqlen must be an int64 tensor of shape (batch)");
    }
  }
  const int64_t mode = ctx.node.GetInt("qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3) return InvalidArgument("qk_matmul_output_mode must be in [0, 3]");
  if (ctx.node.GetFloat("softcap", 0.f) < 0.f) return InvalidArgument("softcap must be >= 0");
  if (d.is3d) {
    ctx.SetOutput(0, dt, {d.B, d.Sq, d.Hq * d.Dv});
  } else {
    ctx.SetOutput(0, dt, {d.B, d.Hq, d.Sq, d.Dv});
  }
  if (ctx.outputs.size() > 1) ctx.SetOutput(1, dt, {d.B, d.Hkv, d.T, d.D});
  if (ctx.outputs.size() > 2) ctx.SetOutput(2, dt, {d.B, d.Hkv, d.T, d.Dv});
  if (ctx.outputs.size() > 3) ctx.SetOutput(3, dt, {d.B, d.Hq, d.Sq, d.T});
  return Status::Ok();
}

// Writes (B, H, P + S, hd) = concat(past, new) where `nw` is 4-D (B, H, S, hd) or 3-D (B, S, H*hd).
template <typename T>
void BuildPresent(const T* past, const T* nw, bool is3d, int64_t B, int64_t H, int64_t P, int64_t S,
                  int64_t hd, T* out) {
  const int64_t Tt = P + S;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      T* o = out + (b * H + h) * Tt * hd;
      if (P > 0) std::copy(past + (b * H + h) * P * hd, past + (b * H + h + 1) * P * hd, o);
      for (int64_t s = 0; s < S; ++s) {
        const T* src = is3d ? nw + (b * S + s) * H * hd + h * hd : nw + ((b * H + h) * S + s) * hd;
        std::copy(src, src + hd, o + (P + s) * hd);
      }
    }
  }
}

template <typename T>
T Exp(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return FastExp(x);
  } else {
    return std::exp(x);
  }
}

template <typename T>
Status AttentionTyped(KernelContext& ctx) {
  const Tensor& q = ctx.in(0);
  const Tensor& k = ctx.in(1);
  const Tensor& v = ctx.in(2);
  AttnDims d;
  PX_RETURN_IF_ERROR(ComputeDims(ctx.node, q.shape(), k.shape(), v.shape(),
                                 ctx.has(4) ? &ctx.in(4).shape() : nullptr,
                                 ctx.has(5) ? &ctx.in(5).shape() : nullptr, &d));
  const int64_t B = d.B, Hq = d.Hq, Hkv = d.Hkv, Sq = d.Sq, T_ = d.T, D = d.D, Dv = d.Dv;
  // Keys and values as (B, Hkv, T, hd): the input itself when 4-D without a cache, otherwise
  // the present outputs (or scratch when those are not wanted).
  std::vector<T> kbuf, vbuf;
  const T* kp = k.data<T>();
  const T* vp = v.data<T>();
  Tensor* pres_k = ctx.outputs.size() > 1 ? ctx.outputs[1] : nullptr;
  Tensor* pres_v = ctx.outputs.size() > 2 ? ctx.outputs[2] : nullptr;
  const T* past_k = ctx.has(4) ? ctx.in(4).data<T>() : nullptr;
  const T* past_v = ctx.has(5) ? ctx.in(5).data<T>() : nullptr;
  const bool direct = !d.is3d && d.P == 0;
  if (pres_k != nullptr) {
    BuildPresent<T>(past_k, k.data<T>(), d.is3d, B, Hkv, d.P, d.Skv, D, pres_k->data<T>());
    kp = pres_k->data<T>();
  } else if (!direct) {
    kbuf.resize(static_cast<size_t>(B * Hkv * T_ * D));
    BuildPresent<T>(past_k, k.data<T>(), d.is3d, B, Hkv, d.P, d.Skv, D, kbuf.data());
    kp = kbuf.data();
  }
  if (pres_v != nullptr) {
    BuildPresent<T>(past_v, v.data<T>(), d.is3d, B, Hkv, d.P, d.Skv, Dv, pres_v->data<T>());
    vp = pres_v->data<T>();
  } else if (!direct) {
    vbuf.resize(static_cast<size_t>(B * Hkv * T_ * Dv));
    BuildPresent<T>(past_v, v.data<T>(), d.is3d, B, Hkv, d.P, d.Skv, Dv, vbuf.data());
    vp = vbuf.data();
  }
  if (B * Hq * Sq == 0) return Status::Ok();

  // Mask access: right-aligned broadcast strides onto (B, Hq, Sq, Tm).
  const Tensor* mask = ctx.has(3) ? &ctx.in(3) : nullptr;
  int64_t ms[4] = {0, 0, 0, 0}, Tm = 0;
  if (mask != nullptr) {
    const Shape& msh = mask->shape();
    const size_t off = 4 - msh.size();
    int64_t stride = 1;
    for (int64_t i = static_cast<int64_t>(msh.size()) - 1; i >= 0; --i) {
      ms[off + i] = msh[i] == 1 && i + 1 != static_cast<int64_t>(msh.size()) ? 0 : stride;
      stride *= msh[i];
    }
    Tm = msh.back();
    if (mask->numel() == 0) Tm = 0;
  }
  std::vector<int64_t> nonpad;
  if (ctx.has(6)) nonpad.assign(ctx.in(6).data<int64_t>(), ctx.in(6).data<int64_t>() + B);
  const bool causal = ctx.node.GetInt("is_causal", 0) != 0;
  const float scale_attr = ctx.node.GetFloat("scale", 0.f);
  const bool has_scale = ctx.node.attr("scale") != nullptr;
  const T scale = has_scale ? static_cast<T>(scale_attr) : static_cast<T>(1.0 / std::sqrt(static_cast<double>(D)));
  const T softcap = static_cast<T>(ctx.node.GetFloat("softcap", 0.f));
  const int64_t mode = ctx.node.GetInt("qk_matmul_output_mode", 0);
  T* qk_out = ctx.outputs.size() > 3 && ctx.outputs[3] != nullptr ? ctx.outputs[3]->data<T>() : nullptr;
  const T* qp = q.data<T>();
  T* yp = ctx.out(0).data<T>();
  const int64_t group = Hq / Hkv;
  const int64_t q_sb = Hq * Sq * D, q_sh = d.is3d ? D : Sq * D, q_ss = d.is3d ? Hq * D : D;
  const int64_t y_sb = Hq * Sq * Dv, y_sh = d.is3d ? Dv : Sq * Dv, y_ss = d.is3d ? Hq * Dv : Dv;
  const T kNegInf = -std::numeric_limits<T>::infinity();
  const bool mask_bool = mask != nullptr && mask->dtype() == DataType::kBool;
  const bool* mb = mask_bool ? mask->data<bool>() : nullptr;
  const T* mf = mask != nullptr && !mask_bool ? mask->data<T>() : nullptr;

  const int64_t rows = B * Hq * Sq;
  const int64_t work = std::max<int64_t>(1, T_ * (D + Dv));
  ctx.pool->ParallelFor(rows, std::max<int64_t>(1, 16384 / work), [&](int64_t r0, int64_t r1) {
    std::vector<T> s(static_cast<size_t>(T_)), acc(static_cast<size_t>(Dv));
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / (Hq * Sq), h = (r / Sq) % Hq, i = r % Sq;
      const int64_t hk = h / group;
      const T* qrow = qp + b * q_sb + h * q_sh + i * q_ss;
      const T* kh = kp + (b * Hkv + hk) * T_ * D;
      const T* vh = vp + (b * Hkv + hk) * T_ * Dv;
      for (int64_t j = 0; j < T_; ++j) {
        const T* kr = kh + j * D;
        T dot = 0;
        for (int64_t c = 0; c < D; ++c) dot += qrow[c] * kr[c];
        s[j] = dot * scale;
      }
      if (softcap > 0) {
        for (int64_t j = 0; j < T_; ++j) s[j] = softcap * std::tanh(s[j] / softcap);
      }
      T* qk_row = qk_out != nullptr ? qk_out + r * T_ : nullptr;
      if (qk_row != nullptr && mode <= 1) std::copy(s.begin(), s.end(), qk_row);
      // Bias.
      if (mask != nullptr) {
        const int64_t base = b * ms[0] + h * ms[1] + i * ms[2];
        const int64_t sj = ms[3];
        for (int64_t j = 0; j < T_; ++j) {
          if (j >= Tm) {
            s[j] = kNegInf;
          } else if (mb != nullptr) {
            if (!mb[base + j * sj]) s[j] = kNegInf;
          } else {
            s[j] += mf[base + j * sj];
          }
        }
      }
      if (causal) {
        const int64_t offset = d.P > 0 || nonpad.empty() ? d.P : nonpad[b] - Sq;
        for (int64_t j = std::max<int64_t>(0, i + offset + 1); j < T_; ++j) s[j] = kNegInf;
      }
      if (!nonpad.empty()) {
        for (int64_t j = std::max<int64_t>(0, nonpad[b]); j < T_; ++j) s[j] = kNegInf;
      }
      if (qk_row != nullptr && mode == 2) std::copy(s.begin(), s.end(), qk_row);
      // Softmax; a fully masked row gives zeros.
      T mx = kNegInf;
      for (int64_t j = 0; j < T_; ++j) mx = std::max(mx, s[j]);
      if (mx == kNegInf) {
        std::fill(s.begin(), s.end(), T(0));
      } else {
        T sum = 0;
        for (int64_t j = 0; j < T_; ++j) {
          const T e = s[j] == kNegInf ? T(0) : Exp<T>(s[j] - mx);
          s[j] = e;
          sum += e;
        }
        const T inv = T(1) / sum;
        for (int64_t j = 0; j < T_; ++j) s[j] *= inv;
      }
      if (qk_row != nullptr && mode == 3) std::copy(s.begin(), s.end(), qk_row);
      std::fill(acc.begin(), acc.end(), T(0));
      for (int64_t j = 0; j < T_; ++j) {
        const T p = s[j];
        if (p == T(0)) continue;
        const T* vr = vh + j * Dv;
        for (int64_t c = 0; c < Dv; ++c) acc[c] += p * vr[c];
      }
      T* yrow = yp + b * y_sb + h * y_sh + i * y_ss;
      std::copy(acc.begin(), acc.end(), yrow);
    }
  });
  return Status::Ok();
}

Status AttentionFloat(KernelContext& ctx) { return AttentionTyped<float>(ctx); }

Status AttentionCompute(KernelContext& ctx) {
  switch (ctx.in(0).dtype()) {
    case DataType::kFloat32: return AttentionTyped<float>(ctx);
    case DataType::kFloat64: return AttentionTyped<double>(ctx);
    case DataType::kFloat16: return extra::RunHalfAsFloat(ctx, AttentionFloat);
    default: return NotImplemented("Attention: unsupported dtype");
  }
}

}  // namespace

std::vector<KernelDef> ExtraAttentionKernels() {
  return {{"Attention", "", 23, 0, AttentionInfer, AttentionCompute}};
}

}  // namespace parallax::ops
