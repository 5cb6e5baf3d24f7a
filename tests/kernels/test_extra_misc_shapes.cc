// CenterCropPad, Col2Im, MaxUnpool and Unique against straightforward references.
#include <map>

#include "kernel_test_util.h"

namespace parallax {
namespace {

using testing::ExpectClose;
using testing::Int64Tensor;
using testing::MakeNode;
using testing::RandomFloat;
using testing::RunKernel;
using testing::SetInt;
using testing::SetInts;

std::vector<int64_t> Unravel(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(s.size());
  for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
    idx[d] = i % s[d];
    i /= s[d];
  }
  return idx;
}

TEST(ExtraCenterCropPadTest, RandomMatchesReference) {
  std::mt19937 rng(101);
  std::uniform_int_distribution<int> dim(1, 6);
  for (int iter = 0; iter < 40; ++iter) {
    const int rank = 1 + iter % 3;
    Shape s;
    for (int i = 0; i < rank; ++i) s.push_back(dim(rng));
    Tensor x = RandomFloat(s, rng);
    Node n = MakeNode("CenterCropPad", 18);
    std::vector<int64_t> axes, target;
    Shape out = s;
    for (int a = 0; a < rank; ++a) {
      if (iter % 2 && a % 2) continue;  // a subset of axes, given negative
      axes.push_back(iter % 2 ? a - rank : a);
      target.push_back(dim(rng));
      out[a] = target.back();
    }
    if (iter % 2) SetInts(n, "axes", axes);
    auto got = RunKernel(n, {x, Int64Tensor({static_cast<int64_t>(target.size())}, target)});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ((*got)[0].shape(), out);
    for (int64_t i = 0; i < (*got)[0].numel(); ++i) {
      std::vector<int64_t> o = Unravel(i, out);
      bool inside = true;
      int64_t src = 0;
      for (int d = 0; d < rank; ++d) {
        const int64_t in_i = out[d] <= s[d] ? o[d] + (s[d] - out[d]) / 2 : o[d] - (out[d] - s[d]) / 2;
        if (in_i < 0 || in_i >= s[d]) inside = false;
        src = src * s[d] + in_i;
      }
      ASSERT_EQ((*got)[0].data<float>()[i], inside ? x.data<float>()[src] : 0.f) << i;
    }
  }
  Node n = MakeNode("CenterCropPad", 18);
  EXPECT_FALSE(RunKernel(n, {RandomFloat({2, 3}, rng), Int64Tensor({1}, {2})}).ok());  // wrong count
  EXPECT_FALSE(RunKernel(n, {RandomFloat({2, 3}, rng), Int64Tensor({2}, {2, -1})}).ok());
}

// im2col: col[n, c*K + k, l] = img[n, c, l_pos*stride - pad + k_pos*dil] (0 outside).
Tensor Im2Col(const Tensor& img, const Shape& block, const std::vector<int64_t>& dil,
              const std::vector<int64_t>& pads, const std::vector<int64_t>& strides, Shape* ncol) {
  const int64_t N = img.dim(0), C = img.dim(1), r = static_cast<int64_t>(block.size());
  Shape image(img.shape().begin() + 2, img.shape().end());
  ncol->clear();
  int64_t K = 1, L = 1;
  for (int64_t i = 0; i < r; ++i) {
    ncol->push_back((image[i] + pads[i] + pads[i + r] - dil[i] * (block[i] - 1) - 1) / strides[i] + 1);
    K *= block[i];
    L *= (*ncol)[i];
  }
  Tensor col = Tensor::Allocate(DataType::kFloat32, {N, C * K, L}).value();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t k = 0; k < K; ++k)
        for (int64_t l = 0; l < L; ++l) {
          auto kp = Unravel(k, block), lp = Unravel(l, *ncol);
          int64_t off = 0;
          bool in = true;
          for (int64_t i = 0; i < r; ++i) {
            const int64_t p = lp[i] * strides[i] - pads[i] + kp[i] * dil[i];
            if (p < 0 || p >= image[i]) in = false;
            off = off * image[i] + p;
          }
          col.data<float>()[((n * C + c) * K + k) * L + l] =
              in ? img.data<float>()[(n * C + c) * NumElements(image) + off] : 0.f;
        }
  return col;
}

TEST(ExtraCol2ImTest, AdjointOfIm2Col) {
  // <Col2Im(X), Y> == <X, Im2Col(Y)> for random X, Y.
  std::mt19937 rng(111);
  for (int iter = 0; iter < 16; ++iter) {
    const int r = 1 + iter % 3;
    Shape image, block;
    std::vector<int64_t> dil, pads(2 * r), strides;
    for (int i = 0; i < r; ++i) {
      image.push_back(4 + (iter + i) % 3);
      block.push_back(1 + (iter + i) % 3);
      dil.push_back(1 + (iter / 2 + i) % 2);
      strides.push_back(1 + (iter / 3 + i) % 2);
      pads[i] = (iter + i) % 2;
      pads[i + r] = (iter / 2 + i) % 2;
    }
    Shape ishape{2, 3};
    ishape.insert(ishape.end(), image.begin(), image.end());
    Tensor y = RandomFloat(ishape, rng);
    Shape ncol;
    Tensor cy = Im2Col(y, block, dil, pads, strides, &ncol);
    Tensor x = RandomFloat(cy.shape(), rng);
    Node n = MakeNode("Col2Im", 18);
    SetInts(n, "dilations", dil);
    SetInts(n, "pads", pads);
    SetInts(n, "strides", strides);
    auto got = RunKernel(n, {x, Int64Tensor({r}, image), Int64Tensor({r}, block)});
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_EQ((*got)[0].shape(), ishape);
    double lhs = 0, rhs = 0;
    for (int64_t i = 0; i < y.numel(); ++i) lhs += static_cast<double>((*got)[0].data<float>()[i]) * y.data<float>()[i];
    for (int64_t i = 0; i < x.numel(); ++i) rhs += static_cast<double>(x.data<float>()[i]) * cy.data<float>()[i];
    EXPECT_NEAR(lhs, rhs, 1e-4 * (1 + std::fabs(rhs)));
  }
  Node n = MakeNode("Col2Im", 18);
  // L does not match the block count; channel count not a multiple of the block size.
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 4, 5}, rng), Int64Tensor({2}, {3, 3}), Int64Tensor({2}, {2, 2})}).ok());
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 5, 4}, rng), Int64Tensor({2}, {3, 3}), Int64Tensor({2}, {2, 2})}).ok());
}

TEST(ExtraMaxUnpoolTest, ScatterMatchesReference) {
  std::mt19937 rng(121);
  Tensor x = RandomFloat({2, 3, 2, 3}, rng);
  Node n = MakeNode("MaxUnpool", 22);
  SetInts(n, "kernel_shape", {2, 2});
  SetInts(n, "strides", {2, 2});
  // Unpooled (2, 3, 4, 6): index of the element chosen in each 2x2 window.
  Tensor idx = Tensor::Allocate(DataType::kInt64, {2, 3, 2, 3}).value();
  std::uniform_int_distribution<int> w(0, 3);
  std::vector<float> want(2 * 3 * 4 * 6, 0.f);
  for (int64_t nc = 0; nc < 6; ++nc)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j) {
        const int k = w(rng);
        const int64_t pos = nc * 24 + (2 * i + k / 2) * 6 + 2 * j + k % 2;
        idx.data<int64_t>()[(nc * 2 + i) * 3 + j] = pos;
        want[pos] = x.data<float>()[(nc * 2 + i) * 3 + j];
      }
  auto got = RunKernel(n, {x, idx});
  ASSERT_TRUE(got.ok()) << got.status().message();
  ExpectClose((*got)[0], testing::FloatTensor({2, 3, 4, 6}, want), 0);
  // With a larger output_shape the block sits at the origin.
  auto g2 = RunKernel(n, {x, idx, Int64Tensor({4}, {2, 3, 5, 7})});
  ASSERT_TRUE(g2.ok()) << g2.status().message();
  for (int64_t i = 0; i < (*g2)[0].numel(); ++i) {
    auto o = Unravel(i, {2, 3, 5, 7});
    const float v = (o[2] < 4 && o[3] < 6) ? want[((o[0] * 3 + o[1]) * 4 + o[2]) * 6 + o[3]] : 0.f;
    ASSERT_EQ((*g2)[0].data<float>()[i], v);
  }
  // Errors: index out of range, output_shape too small, missing kernel_shape.
  idx.data<int64_t>()[0] = 144;
  EXPECT_FALSE(RunKernel(n, {x, idx}).ok());
  idx.data<int64_t>()[0] = 0;
  EXPECT_FALSE(RunKernel(n, {x, idx, Int64Tensor({4}, {2, 3, 3, 6})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("MaxUnpool", 22), {x, idx}).ok());
}

TEST(ExtraUniqueTest, FlatAndAxisMatchReference) {
  std::mt19937 rng(131);
  std::uniform_int_distribution<int64_t> val(0, 4);
  for (int iter = 0; iter < 30; ++iter) {
    const bool use_axis = iter % 2, sorted = (iter / 2) % 2 == 0;
    Shape s{1 + iter % 4, 2 + iter % 3, 1 + iter % 2};
    Tensor x = Tensor::Allocate(DataType::kInt64, s).value();
    for (int64_t i = 0; i < x.numel(); ++i) x.data<int64_t>()[i] = val(rng) % (use_axis ? 2 : 5);
    Node n = MakeNode("Unique", 11, 4);
    const int64_t axis = 1;
    if (use_axis) SetInt(n, "axis", iter % 4 == 1 ? axis - 3 : axis);
    SetInt(n, "sorted", sorted);
    // Reference: slices as vectors.
    std::vector<std::vector<int64_t>> slices;
    if (use_axis) {
      for (int64_t j = 0; j < s[1]; ++j) {
        std::vector<int64_t> v;
        for (int64_t o = 0; o < s[0]; ++o)
          for (int64_t k = 0; k < s[2]; ++k) v.push_back(x.data<int64_t>()[(o * s[1] + j) * s[2] + k]);
        slices.push_back(v);
      }
    } else {
      for (int64_t i = 0; i < x.numel(); ++i) slices.push_back({x.data<int64_t>()[i]});
    }
    std::map<std::vector<int64_t>, int64_t> first;
    std::vector<std::vector<int64_t>> order;  // by first occurrence
    for (size_t i = 0; i < slices.size(); ++i)
      if (first.emplace(slices[i], static_cast<int64_t>(i)).second) order.push_back(slices[i]);
    if (sorted) std::sort(order.begin(), order.end());
    auto got = RunKernel(n, {x});
    ASSERT_TRUE(got.ok()) << got.status().message();
    const auto& g = *got;
    ASSERT_EQ(g[1].numel(), static_cast<int64_t>(order.size()));
    for (size_t q = 0; q < order.size(); ++q) {
      EXPECT_EQ(g[1].data<int64_t>()[q], first[order[q]]);
      int64_t cnt = 0;
      for (const auto& sl : slices) cnt += sl == order[q];
      EXPECT_EQ(g[3].data<int64_t>()[q], cnt);
    }
    for (size_t i = 0; i < slices.size(); ++i) {
      EXPECT_EQ(order[g[2].data<int64_t>()[i]], slices[i]);
    }
    // Y holds the unique slices in order.
    if (!use_axis) {
      for (size_t q = 0; q < order.size(); ++q) EXPECT_EQ(g[0].data<int64_t>()[q], order[q][0]);
    } else {
      ASSERT_EQ(g[0].shape(), (Shape{s[0], static_cast<int64_t>(order.size()), s[2]}));
      for (size_t q = 0; q < order.size(); ++q) {
        size_t e = 0;
        for (int64_t o = 0; o < s[0]; ++o)
          for (int64_t k = 0; k < s[2]; ++k, ++e)
            EXPECT_EQ(g[0].data<int64_t>()[(o * static_cast<int64_t>(order.size()) + q) * s[2] + k], order[q][e]);
      }
    }
  }
  // Float, empty, and a bad axis.
  auto f = RunKernel(MakeNode("Unique", 11), {testing::FloatTensor({5}, {2.5f, -1.f, 2.5f, 0.f, -1.f})});
  ASSERT_TRUE(f.ok());
  ExpectClose((*f)[0], testing::FloatTensor({3}, {-1.f, 0.f, 2.5f}), 0);
  auto e = RunKernel(MakeNode("Unique", 11, 4), {testing::FloatTensor({0}, {})});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].numel(), 0);
  Node bad = MakeNode("Unique", 11);
  SetInt(bad, "axis", 3);
  EXPECT_FALSE(RunKernel(bad, {testing::FloatTensor({2, 2}, {1, 2, 3, 4})}).ok());
}

}  // namespace
}  // namespace parallax
