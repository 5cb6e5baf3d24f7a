// Tests for Resize/Upsample, TopK, NonZero, CumSum, Einsum and NonMaxSuppression.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernel_test_util.h"
#include "kernels/kernel_util.h"
#include "kernels/reference/misc_ref.h"

namespace parallax::testing {
namespace {

std::vector<double> D(const Tensor& t) { return ReadDoubles(t).value(); }

void ExpectVecNear(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::fabs(want[i]))) << "at " << i;
  }
}

Tensor Scales(std::vector<float> s) {
  const int64_t n = static_cast<int64_t>(s.size());
  return FloatTensor({n}, s);
}

// Every mode x coordinate transformation (x nearest_mode), up- and downsampling, against the
// ONNX-style reference.
TEST(ResizeTest, ModesAndCoordinateTransformsMatchReference) {
  std::mt19937 rng(3);
  const Shape in_shape = {1, 2, 5, 4};
  Tensor x = RandomFloat(in_shape, rng, -2.f, 2.f);
  const char* coords[] = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                          "half_pixel_symmetric"};
  const char* nearest_modes[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  const std::vector<std::vector<float>> scale_sets = {{1, 1, 2, 2}, {1, 1, 0.6f, 0.75f},
                                                      {1, 1, 1.7f, 0.5f}};
  int checked = 0;
  for (const char* mode : {"nearest", "linear", "cubic"}) {
    for (const char* coord : coords) {
      for (int nm = 0; nm < (std::string(mode) == "nearest" ? 4 : 1); ++nm) {
        for (const auto& sc : scale_sets) {
          for (bool excl : {false, true}) {
            if (excl && std::string(mode) != "cubic") continue;
            Node n = MakeNode("Resize", 19);
            SetString(n, "mode", mode);
            SetString(n, "coordinate_transformation_mode", coord);
            SetString(n, "nearest_mode", nearest_modes[nm]);
            SetInt(n, "exclude_outside", excl);
            auto out = RunKernel(n, {x, Tensor(), Scales(sc)});
            ASSERT_TRUE(out.ok()) << out.status().message();
            Shape os;
            std::vector<double> sd;
            for (size_t d = 0; d < 4; ++d) {
              os.push_back(static_cast<int64_t>(std::floor(in_shape[d] * static_cast<double>(sc[d]))));
              sd.push_back(sc[d]);
            }
            ASSERT_EQ((*out)[0].shape(), os);
            reference::ResizeRefParams p;
            p.mode = mode;
            p.coord = coord;
            p.nearest = nearest_modes[nm];
            p.exclude_outside = excl;
            SCOPED_TRACE(std::string(mode) + " " + coord + " " + nearest_modes[nm]);
            ExpectVecNear(D((*out)[0]), reference::Resize(D(x), in_shape, os, sd, p), 1e-4);
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 40);
}

TEST(ResizeTest, SizesAxesAndYoloNearestUpsample) {
  std::mt19937 rng(4);
  // YOLO-style: nearest, asymmetric, floor, scales [1, 1, 2, 2].
  Tensor x = RandomFloat({1, 8, 20, 20}, rng);
  Node n = MakeNode("Resize", 13);
  SetString(n, "coordinate_transformation_mode", "asymmetric");
  SetString(n, "nearest_mode", "floor");
  auto out = RunKernel(n, {x, Tensor(), Scales({1, 1, 2, 2})});
  ASSERT_TRUE(out.ok());
  ASSERT_EQ((*out)[0].shape(), (Shape{1, 8, 40, 40}));
  const float* y = (*out)[0].data<float>();
  for (int64_t c = 0; c < 8; ++c)
    for (int64_t h = 0; h < 40; ++h)
      for (int64_t w = 0; w < 40; ++w)
        ASSERT_EQ(y[(c * 40 + h) * 40 + w], x.data<float>()[(c * 20 + h / 2) * 20 + w / 2]);

  // sizes with linear and an `axes` attribute (opset 18).
  Tensor x2 = RandomFloat({2, 3, 4}, rng);
  Node l = MakeNode("Resize", 18);
  SetString(l, "mode", "linear");
  SetInts(l, "axes", {-1, 1});
  auto o2 = RunKernel(l, {x2, Tensor(), Tensor(), Int64Tensor({2}, {7, 5})});
  ASSERT_TRUE(o2.ok()) << o2.status().message();
  ASSERT_EQ((*o2)[0].shape(), (Shape{2, 5, 7}));
  reference::ResizeRefParams p;
  p.mode = "linear";
  ExpectVecNear(D((*o2)[0]), reference::Resize(D(x2), {2, 3, 4}, {2, 5, 7}, {1, 5.0 / 3, 7.0 / 4}, p), 1e-5);

  // Integer dtype, nearest.
  Tensor xi = Int64Tensor({1, 2}, {7, 9});
  auto oi = RunKernel(n, {xi, Tensor(), Scales({2, 2})});
  ASSERT_TRUE(oi.ok());
  EXPECT_EQ(D((*oi)[0]), (std::vector<double>{7, 7, 9, 9, 7, 7, 9, 9}));
}

TEST(ResizeTest, UpsampleAndErrors) {
  Tensor x = FloatTensor({1, 1, 2, 2}, {1, 2, 3, 4});
  Node u = MakeNode("Upsample", 9);
  auto o = RunKernel(u, {x, Scales({1, 1, 2, 3})});
  ASSERT_TRUE(o.ok()) << o.status().message();
  ASSERT_EQ((*o)[0].shape(), (Shape{1, 1, 4, 6}));
  EXPECT_EQ(D((*o)[0]), (std::vector<double>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                             3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}));
  Node u7 = MakeNode("Upsample", 7);
  SetString(u7, "mode", "linear");
  SetInts(u7, "scales", {});
  u7.attrs["scales"].kind = Attribute::Kind::kFloats;
  u7.attrs["scales"].floats = {1, 1, 2, 2};
  auto o7 = RunKernel(u7, {x});
  ASSERT_TRUE(o7.ok()) << o7.status().message();
  // asymmetric linear: row 0 = 1, 1.5, 2, 2
  EXPECT_NEAR((*o7)[0].data<float>()[1], 1.5f, 1e-6);
  EXPECT_NEAR((*o7)[0].data<float>()[3], 2.f, 1e-6);

  Node r = MakeNode("Resize", 13);
  EXPECT_FALSE(RunKernel(r, {x, Tensor(), Scales({1, 2})}).ok());  // wrong length
  EXPECT_FALSE(RunKernel(r, {x, Tensor(), Scales({1, 1, -2, 2})}).ok());
  EXPECT_FALSE(RunKernel(r, {x, Tensor(), Scales({1, 1, 2, 2}), Int64Tensor({4}, {1, 1, 4, 4})}).ok());
  SetString(r, "mode", "bogus");
  EXPECT_FALSE(RunKernel(r, {x, Tensor(), Scales({1, 1, 2, 2})}).ok());
  // An empty scales input of the opset-10 form (found by fuzz_loader: it read an empty sizes).
  auto empty = RunKernel(MakeNode("Resize", 10), {x, FloatTensor({0}, {})});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("'scales' is empty"), std::string::npos) << empty.status().message();
  EXPECT_FALSE(RunKernel(MakeNode("Upsample", 9), {x, FloatTensor({0}, {})}).ok());
}

TEST(TopKTest, RandomWithTiesMatchesReference) {
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> vd(0, 5);
  for (int trial = 0; trial < 30; ++trial) {
    Shape s = {1 + static_cast<int64_t>(rng() % 4), 1 + static_cast<int64_t>(rng() % 9),
               1 + static_cast<int64_t>(rng() % 3)};
    const int64_t axis = static_cast<int64_t>(rng() % 3);
    const int64_t k = static_cast<int64_t>(rng() % (s[axis] + 1));
    const bool largest = trial % 2;
    Tensor x = Tensor::Allocate(DataType::kFloat32, s).value();
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(vd(rng));
    Node n = MakeNode("TopK", 11, 2);
    SetInt(n, "axis", axis - (trial % 3 == 0 ? 3 : 0));
    SetInt(n, "largest", largest);
    auto out = RunKernel(n, {x, Int64Tensor({1}, {k})});
    ASSERT_TRUE(out.ok()) << out.status().message();
    std::vector<double> vals;
    std::vector<int64_t> idx;
    reference::TopK(D(x), s, axis, k, largest, &vals, &idx);
    Shape os = s;
    os[axis] = k;
    EXPECT_EQ((*out)[0].shape(), os);
    EXPECT_EQ(D((*out)[0]), vals);
    for (size_t i = 0; i < idx.size(); ++i) EXPECT_EQ((*out)[1].data<int64_t>()[i], idx[i]);
  }
  Node n = MakeNode("TopK", 11, 2);
  EXPECT_FALSE(RunKernel(n, {FloatTensor({3}, {1, 2, 3}), Int64Tensor({1}, {4})}).ok());
  Node old = MakeNode("TopK", 1, 2);
  SetInt(old, "k", 2);
  auto o = RunKernel(old, {FloatTensor({4}, {3, 9, 1, 9})});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(D((*o)[0]), (std::vector<double>{9, 9}));
  EXPECT_EQ((*o)[1].data<int64_t>()[0], 1);
  EXPECT_EQ((*o)[1].data<int64_t>()[1], 3);
}

TEST(NonZeroTest, MatchesAndNeedsValue) {
  Tensor x = FloatTensor({2, 3}, {0, 1.5f, 0, -2, 0, 3});
  Node n = MakeNode("NonZero", 13);
  auto out = RunKernel(n, {x});
  ASSERT_TRUE(out.ok());
  ASSERT_EQ((*out)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(D((*out)[0]), (std::vector<double>{0, 1, 1, 1, 0, 2}));
  auto b = RunKernel(n, {MakeTensor<bool>({3}, {false, false, false}, DataType::kBool)});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)[0].shape(), (Shape{1, 0}));
  auto s = RunKernel(n, {FloatTensor({}, {5.f})});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].shape(), (Shape{1, 1}));
  const KernelDef* def = FindKernel("NonZero", "", 13);
  ValueInfo vi{DataType::kFloat32, {2, 3}, nullptr};
  InferContext ictx{n, {&vi}, {}};
  ictx.outputs.resize(1);
  EXPECT_EQ(def->infer(ictx).code(), StatusCode::kNeedsValue);
}

TEST(CumSumTest, RandomAxesExclusiveReverse) {
  std::mt19937 rng(23);
  for (int trial = 0; trial < 16; ++trial) {
    Shape s = {2, 1 + static_cast<int64_t>(rng() % 6), 3};
    const int64_t axis = static_cast<int64_t>(rng() % 3);
    const bool excl = trial % 2, rev = (trial / 2) % 2;
    Node n = MakeNode("CumSum", 14);
    SetInt(n, "exclusive", excl);
    SetInt(n, "reverse", rev);
    Tensor x = RandomFloat(s, rng);
    auto out = RunKernel(n, {x, Int64Tensor({}, {trial % 3 == 0 ? axis - 3 : axis})});
    ASSERT_TRUE(out.ok()) << out.status().message();
    ExpectVecNear(D((*out)[0]), reference::CumSum(D(x), s, axis, excl, rev), 1e-5);
  }
  Node n = MakeNode("CumSum", 14);
  Tensor xi = MakeTensor<int32_t>({4}, {1, 2, 3, 4}, DataType::kInt32);
  auto oi = RunKernel(n, {xi, MakeTensor<int32_t>({1}, {0}, DataType::kInt32)});
  ASSERT_TRUE(oi.ok());
  EXPECT_EQ(D((*oi)[0]), (std::vector<double>{1, 3, 6, 10}));
  EXPECT_FALSE(RunKernel(n, {xi, Int64Tensor({}, {1})}).ok());
}

TEST(EinsumTest, CommonEquations) {
  std::mt19937 rng(29);
  Tensor a = RandomFloat({2, 3, 4}, rng), b = RandomFloat({2, 4, 5}, rng);
  auto ad = D(a), bd = D(b);
  Node n = MakeNode("Einsum", 12);
  SetString(n, "equation", "bij,bjk->bik");
  auto mm = RunKernel(n, {a, b});
  ASSERT_TRUE(mm.ok()) << mm.status().message();
  std::vector<double> want(2 * 3 * 5, 0);
  for (int bb = 0; bb < 2; ++bb)
    for (int i = 0; i < 3; ++i)
      for (int k = 0; k < 5; ++k)
        for (int j = 0; j < 4; ++j) want[(bb * 3 + i) * 5 + k] += ad[(bb * 3 + i) * 4 + j] * bd[(bb * 4 + j) * 5 + k];
  ExpectVecNear(D((*mm)[0]), want, 1e-5);

  // Implicit output with ellipsis: "...ij,...jk" -> "...ik".
  SetString(n, "equation", "...ij,...jk");
  auto im = RunKernel(n, {a, b});
  ASSERT_TRUE(im.ok()) << im.status().message();
  ExpectVecNear(D((*im)[0]), want, 1e-5);

  // Transpose, sum, diagonal, inner product.
  Tensor m = RandomFloat({3, 3}, rng);
  auto md = D(m);
  SetString(n, "equation", "ij->ji");
  auto tr = RunKernel(n, {m});
  ASSERT_TRUE(tr.ok());
  EXPECT_FLOAT_EQ((*tr)[0].data<float>()[1], static_cast<float>(md[3]));
  SetString(n, "equation", "ii");
  auto trace = RunKernel(n, {m});
  ASSERT_TRUE(trace.ok());
  EXPECT_EQ((*trace)[0].shape(), Shape{});
  EXPECT_NEAR((*trace)[0].data<float>()[0], md[0] + md[4] + md[8], 1e-5);
  SetString(n, "equation", "ii->i");
  auto diag = RunKernel(n, {m});
  ASSERT_TRUE(diag.ok());
  ExpectVecNear(D((*diag)[0]), {md[0], md[4], md[8]}, 1e-6);
  SetString(n, "equation", "i,i");
  Tensor v = FloatTensor({3}, {1, 2, 3});
  auto ip = RunKernel(n, {v, v});
  ASSERT_TRUE(ip.ok());
  EXPECT_FLOAT_EQ((*ip)[0].data<float>()[0], 14.f);

  SetString(n, "equation", "ij,jk->ik");
  EXPECT_FALSE(RunKernel(n, {m, RandomFloat({4, 2}, rng)}).ok());  // j mismatch
  SetString(n, "equation", "ij->k");
  EXPECT_FALSE(RunKernel(n, {m}).ok());
  SetString(n, "equation", "ijk->i");
  EXPECT_FALSE(RunKernel(n, {m}).ok());  // rank mismatch
}

TEST(NmsTest, SuppressByIouAndLimits) {
  Tensor boxes = FloatTensor({1, 6, 4}, {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f,
                                         0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101});
  Tensor scores = FloatTensor({1, 1, 6}, {0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f});
  Node n = MakeNode("NonMaxSuppression", 11);
  auto out = RunKernel(n, {boxes, scores, Int64Tensor({1}, {3}), FloatTensor({1}, {0.5f}),
                           FloatTensor({1}, {0.f})});
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ((*out)[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(D((*out)[0]), (std::vector<double>{0, 0, 3, 0, 0, 0, 0, 0, 5}));
  // Score threshold removes the low boxes; max 2 per class.
  auto o2 = RunKernel(n, {boxes, scores, Int64Tensor({1}, {2}), FloatTensor({1}, {0.5f}),
                          FloatTensor({1}, {0.85f})});
  ASSERT_TRUE(o2.ok());
  EXPECT_EQ(D((*o2)[0]), (std::vector<double>{0, 0, 3, 0, 0, 0}));
  // No max_output_boxes_per_class: nothing selected.
  auto o3 = RunKernel(n, {boxes, scores});
  ASSERT_TRUE(o3.ok());
  EXPECT_EQ((*o3)[0].shape(), (Shape{0, 3}));
  EXPECT_FALSE(RunKernel(n, {boxes, FloatTensor({1, 1, 5}, {1, 2, 3, 4, 5})}).ok());
}

}  // namespace
}  // namespace parallax::testing
