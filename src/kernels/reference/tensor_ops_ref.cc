#include "kernels/reference/tensor_ops_ref.h"

#include <algorithm>

namespace parallax::reference {

std::vector<int64_t> Unravel(int64_t i, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}

int64_t Ravel(const std::vector<int64_t>& idx, const Shape& shape) {
  int64_t r = 0;
  for (size_t d = 0; d < shape.size(); ++d) r = r * shape[d] + idx[d];
  return r;
}

Tensor RefMap(const Tensor& in, const Shape& out_shape,
              const std::function<int64_t(const std::vector<int64_t>&)>& f, float pad) {
  Tensor out = Tensor::Allocate(DataType::kFloat32, out_shape).value();
  for (int64_t i = 0; i < out.numel(); ++i) {
    int64_t s = f(Unravel(i, out_shape));
    out.data<float>()[i] = s < 0 ? pad : in.data<float>()[s];
  }
  return out;
}

Tensor RefTranspose(const Tensor& in, const std::vector<int64_t>& perm) {
  Shape os(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) os[i] = in.shape()[perm[i]];
  return RefMap(in, os, [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> ii(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) ii[perm[i]] = o[i];
    return Ravel(ii, in.shape());
  });
}

Tensor RefSlice(const Tensor& in, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                const std::vector<int64_t>& axes, const std::vector<int64_t>& steps) {
  const Shape& s = in.shape();
  const int64_t r = in.rank();
  // For every axis, the list of selected input indices.
  std::vector<std::vector<int64_t>> sel(r);
  for (int64_t d = 0; d < r; ++d)
    for (int64_t i = 0; i < s[d]; ++i) sel[d].push_back(i);
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t a = axes[k] < 0 ? axes[k] + r : axes[k];
    const long double dim = static_cast<long double>(s[a]);
    long double st = starts[k], en = ends[k];
    const long double step = steps[k];
    if (st < 0) st += dim;
    if (en < 0) en += dim;
    sel[a].clear();
    if (step > 0) {
      st = std::clamp<long double>(st, 0, dim);
      en = std::clamp<long double>(en, 0, dim);
      for (long double i = st; i < en; i += step) sel[a].push_back(static_cast<int64_t>(i));
    } else {
      st = std::clamp<long double>(st, 0, dim - 1);
      en = std::clamp<long double>(en, -1, dim - 1);
      for (long double i = st; i > en; i += step) sel[a].push_back(static_cast<int64_t>(i));
    }
  }
  Shape os(r);
  for (int64_t d = 0; d < r; ++d) os[d] = static_cast<int64_t>(sel[d].size());
  return RefMap(in, os, [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> ii(r);
    for (int64_t d = 0; d < r; ++d) ii[d] = sel[d][o[d]];
    return Ravel(ii, s);
  });
}

Tensor RefPad(const Tensor& in, const std::vector<int64_t>& pads, const std::string& mode, float value) {
  // First crop for negative pads, then pad with the mode on the cropped tensor.
  const int64_t r = in.rank();
  std::vector<int64_t> lo(r), n(r);
  Shape os(r);
  for (int64_t d = 0; d < r; ++d) {
    lo[d] = std::max<int64_t>(0, -pads[d]);
    n[d] = in.shape()[d] - lo[d] - std::max<int64_t>(0, -pads[d + r]);
    os[d] = in.shape()[d] + pads[d] + pads[d + r];
  }
  return RefMap(in, os, [&](const std::vector<int64_t>& o) -> int64_t {
    std::vector<int64_t> ii(r);
    for (int64_t d = 0; d < r; ++d) {
      int64_t j = o[d] - std::max<int64_t>(0, pads[d]);
      if (j < 0 || j >= n[d]) {
        if (mode == "constant") return -1;
        if (mode == "edge") j = j < 0 ? 0 : n[d] - 1;
        if (mode == "wrap") {
          while (j < 0) j += n[d];
          while (j >= n[d]) j -= n[d];
        }
        if (mode == "reflect") {
          while (j < 0 || j >= n[d]) {
            if (n[d] == 1) { j = 0; break; }
            if (j < 0) j = -j;
            if (j >= n[d]) j = 2 * (n[d] - 1) - j;
          }
        }
      }
      ii[d] = lo[d] + j;
    }
    return Ravel(ii, in.shape());
  }, value);
}

Tensor RefTile(const Tensor& in, const std::vector<int64_t>& repeats) {
  Shape os(in.rank());
  for (int64_t d = 0; d < in.rank(); ++d) os[d] = in.shape()[d] * repeats[d];
  return RefMap(in, os, [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> ii(o.size());
    for (size_t d = 0; d < o.size(); ++d) ii[d] = o[d] % in.shape()[d];
    return Ravel(ii, in.shape());
  });
}

Tensor RefExpand(const Tensor& in, const Shape& os) {
  const size_t off = os.size() - in.shape().size();
  return RefMap(in, os, [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> ii(in.shape().size());
    for (size_t d = 0; d < ii.size(); ++d) ii[d] = in.shape()[d] == 1 ? 0 : o[d + off];
    return Ravel(ii, in.shape());
  });
}

Tensor RefGather(const Tensor& in, const std::vector<int64_t>& idx, const Shape& idx_shape, int64_t axis) {
  const int64_t r = in.rank(), q = static_cast<int64_t>(idx_shape.size());
  Shape os(in.shape().begin(), in.shape().begin() + axis);
  for (int64_t x : idx_shape) os.push_back(x);
  for (int64_t d = axis + 1; d < r; ++d) os.push_back(in.shape()[d]);
  return RefMap(in, os, [&](const std::vector<int64_t>& o) {
    std::vector<int64_t> ii(r), qi(q);
    for (int64_t d = 0; d < axis; ++d) ii[d] = o[d];
    for (int64_t d = 0; d < q; ++d) qi[d] = o[axis + d];
    int64_t v = idx[Ravel(qi, idx_shape)];
    ii[axis] = v < 0 ? v + in.shape()[axis] : v;
    for (int64_t d = axis + 1; d < r; ++d) ii[d] = o[d + q - 1];
    return Ravel(ii, in.shape());
  });
}

Tensor RefDepthToSpace(const Tensor& in, int64_t b, bool crd) {
  const Shape& s = in.shape();
  const int64_t c = s[1] / (b * b);
  Shape os = {s[0], c, s[2] * b, s[3] * b};
  return RefMap(in, os, [&](const std::vector<int64_t>& o) {
    const int64_t h = o[2] / b, bh = o[2] % b, w = o[3] / b, bw = o[3] % b;
    const int64_t ch = crd ? o[1] * b * b + bh * b + bw : (bh * b + bw) * c + o[1];
    return Ravel({o[0], ch, h, w}, s);
  });
}

}  // namespace parallax::reference
