#include "kernels/reference/extra_ref.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace parallax::ref {

Tensor AttentionRef(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* mask,
                    const AttentionRefParams& p, Tensor* probs) {
  const int64_t B = q.dim(0), Hq = q.dim(1), Sq = q.dim(2), D = q.dim(3);
  const int64_t Hkv = k.dim(1), T = k.dim(2), Dv = v.dim(3);
  Tensor y = Tensor::Allocate(DataType::kFloat32, {B, Hq, Sq, Dv}).value();
  Tensor pr = Tensor::Allocate(DataType::kFloat32, {B, Hq, Sq, T}).value();
  const double scale = p.scale != 0 ? p.scale : 1.0 / std::sqrt(static_cast<double>(D));
  const double inf = std::numeric_limits<double>::infinity();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < Hq; ++h) {
      const int64_t hk = h / (Hq / Hkv);
      for (int64_t i = 0; i < Sq; ++i) {
        std::vector<double> s(T);
        for (int64_t j = 0; j < T; ++j) {
          double dot = 0;
          for (int64_t c = 0; c < D; ++c) {
            dot += static_cast<double>(q.data<float>()[((b * Hq + h) * Sq + i) * D + c]) *
                   k.data<float>()[((b * Hkv + hk) * T + j) * D + c];
          }
          s[j] = dot * scale;
          if (p.softcap > 0) s[j] = p.softcap * std::tanh(s[j] / p.softcap);
          if (mask) s[j] += mask->data<float>()[((b * Hq + h) * Sq + i) * T + j];
          if (p.causal && j > i + p.causal_offset) s[j] = -inf;
        }
        double mx = -inf;
        for (double x : s) mx = std::max(mx, x);
        double sum = 0;
        for (double& x : s) {
          x = mx == -inf ? 0.0 : std::exp(x - mx);
          sum += x;
        }
        for (int64_t j = 0; j < T; ++j) {
          if (sum > 0) s[j] /= sum;
          pr.data<float>()[((b * Hq + h) * Sq + i) * T + j] = static_cast<float>(s[j]);
        }
        for (int64_t c = 0; c < Dv; ++c) {
          double acc = 0;
          for (int64_t j = 0; j < T; ++j) acc += s[j] * v.data<float>()[((b * Hkv + hk) * T + j) * Dv + c];
          y.data<float>()[((b * Hq + h) * Sq + i) * Dv + c] = static_cast<float>(acc);
        }
      }
    }
  }
  if (probs) *probs = pr;
  return y;
}

Tensor LogSoftmaxAxis1Ref(const Tensor& x) {
  const int64_t N = x.dim(0), C = x.dim(1), D = x.numel() / std::max<int64_t>(1, N * C);
  Tensor out = Tensor::Allocate(DataType::kFloat32, x.shape()).value();
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t d = 0; d < D; ++d) {
      double sum = 0;
      for (int64_t c = 0; c < C; ++c) sum += std::exp(static_cast<double>(x.data<float>()[(n * C + c) * D + d]));
      for (int64_t c = 0; c < C; ++c) {
        out.data<float>()[(n * C + c) * D + d] =
            static_cast<float>(x.data<float>()[(n * C + c) * D + d] - std::log(sum));
      }
    }
  }
  return out;
}

Tensor NllLossRef(const Tensor& x, const Tensor& target, const Tensor* weight,
                  const std::string& reduction, bool has_ii, int64_t ii) {
  const int64_t N = x.dim(0), C = x.dim(1), D = x.numel() / std::max<int64_t>(1, N * C);
  std::vector<double> loss(N * D, 0.0);
  double wsum = 0, lsum = 0;
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t d = 0; d < D; ++d) {
      const int64_t t = target.data<int64_t>()[n * D + d];
      if (has_ii && t == ii) continue;
      const double w = weight ? weight->data<float>()[t] : 1.0;
      loss[n * D + d] = -w * x.data<float>()[(n * C + t) * D + d];
      wsum += w;
      lsum += loss[n * D + d];
    }
  }
  if (reduction == "none") {
    Tensor out = Tensor::Allocate(DataType::kFloat32, target.shape()).value();
    for (int64_t i = 0; i < N * D; ++i) out.data<float>()[i] = static_cast<float>(loss[i]);
    return out;
  }
  Tensor out = Tensor::Allocate(DataType::kFloat32, {}).value();
  out.data<float>()[0] = static_cast<float>(reduction == "sum" ? lsum : lsum / wsum);
  return out;
}

Tensor RmsNormRef(const Tensor& x, const Tensor& scale, int64_t axis, double eps) {
  int64_t rows = 1;
  for (int64_t i = 0; i < axis; ++i) rows *= x.dim(i);
  const int64_t cols = x.numel() / std::max<int64_t>(1, rows);
  Tensor y = Tensor::Allocate(DataType::kFloat32, x.shape()).value();
  for (int64_t r = 0; r < rows; ++r) {
    double ss = 0;
    for (int64_t c = 0; c < cols; ++c) ss += std::pow(static_cast<double>(x.data<float>()[r * cols + c]), 2);
    const double rms = std::sqrt(ss / cols + eps);
    for (int64_t c = 0; c < cols; ++c) {
      y.data<float>()[r * cols + c] = static_cast<float>(x.data<float>()[r * cols + c] / rms * scale.data<float>()[c]);
    }
  }
  return y;
}

Tensor RotaryRef(const Tensor& x, const Tensor& cos, const Tensor& sin, const std::vector<int64_t>& pos,
                 int64_t rd, bool interleaved) {
  const int64_t B = x.dim(0), H = x.dim(1), S = x.dim(2), hd = x.dim(3), half = rd / 2;
  Tensor y = x.Clone().value();
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t s = 0; s < S; ++s) {
        const float* xr = x.data<float>() + ((b * H + h) * S + s) * hd;
        float* yr = y.data<float>() + ((b * H + h) * S + s) * hd;
        const int64_t p = pos[b * S + s];
        for (int64_t k = 0; k < half; ++k) {
          const double c = cos.data<float>()[p * half + k], sn = sin.data<float>()[p * half + k];
          const int64_t i1 = interleaved ? 2 * k : k, i2 = interleaved ? 2 * k + 1 : k + half;
          yr[i1] = static_cast<float>(c * xr[i1] - sn * xr[i2]);
          yr[i2] = static_cast<float>(sn * xr[i1] + c * xr[i2]);
        }
      }
    }
  }
  return y;
}

Tensor LrnRef(const Tensor& x, int64_t size, double alpha, double beta, double bias) {
  const int64_t N = x.dim(0), C = x.dim(1), D = x.numel() / std::max<int64_t>(1, N * C);
  Tensor y = Tensor::Allocate(DataType::kFloat32, x.shape()).value();
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t d = 0; d < D; ++d) {
        double ss = 0;
        for (int64_t cc = c - (size - 1) / 2; cc <= c + size / 2; ++cc) {
          if (cc < 0 || cc >= C) continue;
          ss += std::pow(static_cast<double>(x.data<float>()[(n * C + cc) * D + d]), 2);
        }
        y.data<float>()[(n * C + c) * D + d] =
            static_cast<float>(x.data<float>()[(n * C + c) * D + d] / std::pow(bias + alpha / size * ss, beta));
      }
    }
  }
  return y;
}

}  // namespace parallax::ref
