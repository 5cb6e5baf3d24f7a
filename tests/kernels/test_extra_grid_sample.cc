// GridSample (2-D and 3-D) against a direct per-pixel reference written here.
#include "kernel_test_util.h"

namespace parallax {
namespace {

using testing::ExpectClose;
using testing::MakeNode;
using testing::RandomFloat;
using testing::RunKernel;
using testing::SetInt;
using testing::SetString;

double Unnorm(double g, int64_t d, bool align) { return align ? (g + 1) / 2 * (d - 1) : ((g + 1) * d - 1) / 2; }

// Mirrors x into [lo, hi] by repeated reflection.
double Mirror(double x, double lo, double hi) {
  const double span = hi - lo;
  if (span <= 0) return lo;
  while (x < lo || x > hi) x = x < lo ? 2 * lo - x : 2 * hi - x;
  return x;
}

// Reads X[n, c, i, j] (2-D) with the padding rule; `bounds` as in the spec.
double Read2(const Tensor& x, int64_t n, int64_t c, int64_t i, int64_t j, const std::string& pad, bool align) {
  const int64_t C = x.dim(1), H = x.dim(2), W = x.dim(3);
  auto fix = [&](int64_t k, int64_t d) -> int64_t {
    if (pad == "zeros") return (k < 0 || k >= d) ? -1 : k;
    if (pad == "border") return std::clamp<int64_t>(k, 0, d - 1);
    const double lo = align ? 0 : -0.5, hi = align ? d - 1 : d - 0.5;
    return std::clamp<int64_t>(static_cast<int64_t>(Mirror(static_cast<double>(k), lo, hi)), 0, d - 1);
  };
  const int64_t ii = fix(i, H), jj = fix(j, W);
  if (ii < 0 || jj < 0) return 0;
  return x.data<float>()[((n * C + c) * H + ii) * W + jj];
}

double Keys(double t) {
  const double a = -0.75;
  t = std::fabs(t);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

Tensor GridSample2DRef(const Tensor& x, const Tensor& grid, const std::string& mode, const std::string& pad,
                       bool align) {
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3), OH = grid.dim(1), OW = grid.dim(2);
  Tensor y = Tensor::Allocate(DataType::kFloat32, {N, C, OH, OW}).value();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        const float* g = grid.data<float>() + ((n * OH + oh) * OW + ow) * 2;
        double xi = Unnorm(g[1], H, align), xj = Unnorm(g[0], W, align);
        if (mode == "nearest") {
          xi = std::nearbyint(xi);
          xj = std::nearbyint(xj);
        }
        const double loi = align ? 0 : -0.5, hii = align ? H - 1 : H - 0.5;
        const double loj = align ? 0 : -0.5, hij = align ? W - 1 : W - 0.5;
        if (pad == "border") {
          if (xi < loi || xi > hii) xi = std::clamp(xi, 0.0, H - 1.0);
          if (xj < loj || xj > hij) xj = std::clamp(xj, 0.0, W - 1.0);
        } else if (pad == "reflection") {
          xi = Mirror(xi, loi, hii);
          xj = Mirror(xj, loj, hij);
        }
        for (int64_t c = 0; c < C; ++c) {
          double v = 0;
          if (mode == "nearest") {
            v = Read2(x, n, c, static_cast<int64_t>(xi), static_cast<int64_t>(xj), pad, align);
          } else {
            const int64_t i0 = static_cast<int64_t>(std::floor(xi)), j0 = static_cast<int64_t>(std::floor(xj));
            const int lo = mode == "linear" ? 0 : -1, hi = mode == "linear" ? 1 : 2;
            for (int di = lo; di <= hi; ++di)
              for (int dj = lo; dj <= hi; ++dj) {
                const double ti = xi - (i0 + di), tj = xj - (j0 + dj);
                const double wi = mode == "linear" ? 1 - std::fabs(ti) : Keys(ti);
                const double wj = mode == "linear" ? 1 - std::fabs(tj) : Keys(tj);
                v += wi * wj * Read2(x, n, c, i0 + di, j0 + dj, pad, align);
              }
          }
          y.data<float>()[((n * C + c) * OH + oh) * OW + ow] = static_cast<float>(v);
        }
      }
  return y;
}

TEST(ExtraGridSampleTest, Random2DMatchesReference) {
  std::mt19937 rng(91);
  const char* modes[] = {"linear", "nearest", "cubic"};
  const char* pads[] = {"zeros", "border", "reflection"};
  int iter = 0;
  for (const char* mode : modes)
    for (const char* pad : pads)
      for (int align = 0; align < 2; ++align, ++iter) {
        Tensor x = RandomFloat({2, 3, 4 + iter % 3, 5}, rng);
        Tensor grid = RandomFloat({2, 3, 4, 2}, rng, -1.4f, 1.4f);  // some samples outside
        Node n = MakeNode("GridSample", 22);
        SetString(n, "mode", mode);
        SetString(n, "padding_mode", pad);
        SetInt(n, "align_corners", align);
        auto got = RunKernel(n, {x, grid});
        ASSERT_TRUE(got.ok()) << got.status().message();
        SCOPED_TRACE(std::string(mode) + " " + pad + " align " + std::to_string(align));
        ExpectClose((*got)[0], GridSample2DRef(x, grid, mode, pad, align), 1e-5);
      }
}

TEST(ExtraGridSampleTest, Opset16NamesAnd3D) {
  std::mt19937 rng(5);
  Tensor x = RandomFloat({1, 2, 3, 4}, rng);
  Tensor grid = RandomFloat({1, 2, 2, 2}, rng);
  Node n16 = MakeNode("GridSample", 16);
  SetString(n16, "mode", "bilinear");
  auto got = RunKernel(n16, {x, grid});
  ASSERT_TRUE(got.ok()) << got.status().message();
  ExpectClose((*got)[0], GridSample2DRef(x, grid, "linear", "zeros", false), 1e-5);
  // Opset 16 rejects 5-D input; opset 22 accepts it. A 3-D volume with depth 1 and grid z
  // on the plane (align_corners: z = anything maps to 0 with d = 1... use z = 0 exactly)
  // equals the 2-D sample.
  Tensor x5 = x.Reshaped({1, 2, 1, 3, 4});
  Tensor g5 = Tensor::Allocate(DataType::kFloat32, {1, 1, 2, 2, 3}).value();
  for (int i = 0; i < 4; ++i) {
    g5.data<float>()[i * 3] = grid.data<float>()[i * 2];
    g5.data<float>()[i * 3 + 1] = grid.data<float>()[i * 2 + 1];
    g5.data<float>()[i * 3 + 2] = 0.f;
  }
  EXPECT_FALSE(RunKernel(n16, {x5, g5}).ok());
  Node n22 = MakeNode("GridSample", 22);
  SetString(n22, "padding_mode", "border");
  auto g3 = RunKernel(n22, {x5, g5});
  ASSERT_TRUE(g3.ok()) << g3.status().message();
  Tensor want = GridSample2DRef(x, grid, "linear", "border", false);
  ExpectClose((*g3)[0].Reshaped(want.shape()), want, 1e-5);
}

TEST(ExtraGridSampleTest, EmptyAndErrors) {
  std::mt19937 rng(6);
  Node n = MakeNode("GridSample", 22);
  auto e = RunKernel(n, {RandomFloat({1, 2, 3, 4}, rng), RandomFloat({1, 0, 2, 2}, rng)});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].shape(), (Shape{1, 2, 0, 2}));
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 2, 3, 4}, rng), RandomFloat({1, 2, 2, 3}, rng)}).ok());
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 2, 3, 4}, rng), RandomFloat({2, 2, 2, 2}, rng)}).ok());
  SetString(n, "mode", "area");
  EXPECT_FALSE(RunKernel(n, {RandomFloat({1, 2, 3, 4}, rng), RandomFloat({1, 2, 2, 2}, rng)}).ok());
}

}  // namespace
}  // namespace parallax
