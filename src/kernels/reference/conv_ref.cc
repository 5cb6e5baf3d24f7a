#include "kernels/reference/conv_ref.h"

namespace parallax::ref {
namespace {

int64_t Prod(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// Advances a row-major multi-index; returns false after the last one.
bool Next(std::vector<int64_t>& idx, const std::vector<int64_t>& dims) {
  for (size_t d = idx.size(); d-- > 0;) {
    if (++idx[d] < dims[d]) return true;
    idx[d] = 0;
  }
  return false;
}

}  // namespace

Tensor ConvRef(const Tensor& x, const Tensor& w, const Tensor* b, const ConvParams& p) {
  const size_t R = x.rank() - 2;
  const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), G = p.group;
  const int64_t Cg = C / G, Mg = M / G;
  std::vector<int64_t> in(R), k(R), out(R);
  for (size_t d = 0; d < R; ++d) {
    in[d] = x.dim(2 + d);
    k[d] = w.dim(2 + d);
    out[d] = (in[d] + p.pad_begin[d] + p.pad_end[d] - ((k[d] - 1) * p.dilations[d] + 1)) / p.strides[d] + 1;
  }
  Shape ys = {N, M};
  for (int64_t o : out) ys.push_back(o);
  Tensor y = Tensor::Allocate(DataType::kFloat32, ys).value();
  const int64_t IS = Prod(in), OS = Prod(out), KS = Prod(k);
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  float* yp = y.data<float>();
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      const int64_t g = m / Mg;
      std::vector<int64_t> oi(R, 0);
      for (int64_t o = 0; o < OS; ++o) {
        double acc = b ? b->data<float>()[m] : 0.0;
        for (int64_t c = 0; c < Cg; ++c) {
          std::vector<int64_t> ki(R, 0);
          for (int64_t kk = 0; kk < KS; ++kk) {
            int64_t off = 0;
            bool ok = true;
            for (size_t d = 0; d < R; ++d) {
              int64_t pos = oi[d] * p.strides[d] - p.pad_begin[d] + ki[d] * p.dilations[d];
              if (pos < 0 || pos >= in[d]) ok = false;
              off = off * in[d] + pos;
            }
            if (ok) {
              acc += static_cast<double>(xp[(n * C + g * Cg + c) * IS + off]) *
                     static_cast<double>(wp[(m * Cg + c) * KS + kk]);
            }
            Next(ki, k);
          }
        }
        yp[(n * M + m) * OS + o] = static_cast<float>(acc);
        Next(oi, out);
      }
    }
  }
  return y;
}

Tensor ConvTransposeRef(const Tensor& x, const Tensor& w, const Tensor* b, const ConvParams& p,
                        const std::vector<int64_t>& out) {
  const size_t R = x.rank() - 2;
  const int64_t N = x.dim(0), C = x.dim(1), Mg = w.dim(1), G = p.group, M = Mg * G, Cg = C / G;
  std::vector<int64_t> in(R), k(R);
  for (size_t d = 0; d < R; ++d) {
    in[d] = x.dim(2 + d);
    k[d] = w.dim(2 + d);
  }
  Shape ys = {N, M};
  for (int64_t o : out) ys.push_back(o);
  const int64_t IS = Prod(in), OS = Prod(out), KS = Prod(k);
  std::vector<double> acc(static_cast<size_t>(N * M * OS), 0.0);
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const int64_t g = c / Cg;
      std::vector<int64_t> ii(R, 0);
      for (int64_t i = 0; i < IS; ++i) {
        const double xv = xp[(n * C + c) * IS + i];
        for (int64_t m = 0; m < Mg; ++m) {
          std::vector<int64_t> ki(R, 0);
          for (int64_t kk = 0; kk < KS; ++kk) {
            int64_t off = 0;
            bool ok = true;
            for (size_t d = 0; d < R; ++d) {
              int64_t pos = ii[d] * p.strides[d] - p.pad_begin[d] + ki[d] * p.dilations[d];
              if (pos < 0 || pos >= out[d]) ok = false;
              off = off * out[d] + pos;
            }
            if (ok) acc[(n * M + g * Mg + m) * OS + off] += xv * wp[(c * Mg + m) * KS + kk];
            Next(ki, k);
          }
        }
        Next(ii, in);
      }
    }
  }
  Tensor y = Tensor::Allocate(DataType::kFloat32, ys).value();
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t o = 0; o < OS; ++o) {
        const int64_t i = (n * M + m) * OS + o;
        y.data<float>()[i] = static_cast<float>(acc[i] + (b ? b->data<float>()[m] : 0.0));
      }
    }
  }
  return y;
}

}  // namespace parallax::ref
