// Tests of the elementwise binary family against an index-by-index broadcasting reference.
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/kernel_util.h"
#include "kernels/reference/elementwise_binary_ref.h"

namespace parallax {
namespace {

using testing::FloatTensor;
using testing::MakeNode;
using testing::MakeTensor;
using testing::RunKernel;
using testing::SetInt;
using testing::SetString;
using reference::BroadcastRef;
using reference::BroadcastShapesRef;
using reference::ToDoubles;
using Fn = std::function<double(const std::vector<double>&)>;

// Fills a tensor of dtype `dt` with uniform values in [lo, hi] (integers for integer types).
Tensor RandomTensor(DataType dt, const Shape& shape, std::mt19937& rng, double lo, double hi) {
  Tensor t = Tensor::Allocate(dt, shape).value();
  std::uniform_real_distribution<double> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = d(rng);
    switch (dt) {
      case DataType::kFloat32: t.data<float>()[i] = static_cast<float>(v); break;
      case DataType::kFloat64: t.data<double>()[i] = v; break;
      case DataType::kFloat16: t.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(v)); break;
      case DataType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(std::lround(v)); break;
      case DataType::kInt64: t.data<int64_t>()[i] = std::llround(v); break;
      case DataType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(std::lround(v)); break;
      case DataType::kUInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(std::lround(v)); break;
      case DataType::kBool: t.data<bool>()[i] = v > 0; break;
      default: ADD_FAILURE() << "RandomTensor: unsupported dtype";
    }
  }
  return t;
}

void ExpectNear(const Tensor& got, const std::vector<double>& want, double rtol, double atol,
                const std::string& what) {
  std::vector<double> g = ToDoubles(got);
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(g[i])) << what << " at " << i;
      continue;
    }
    ASSERT_LE(std::fabs(g[i] - want[i]), atol + rtol * std::fabs(want[i]))
        << what << " at " << i << ": got " << g[i] << " want " << want[i];
  }
}

// Runs `node` on the inputs and compares with the broadcasting reference of `f`.
void CheckAgainstRef(const Node& node, const std::vector<Tensor>& ins, const Fn& f, DataType out_dt,
                     double rtol, double atol, ThreadPool* pool = nullptr) {
  std::vector<Shape> shapes;
  std::vector<std::vector<double>> vals;
  for (const Tensor& t : ins) {
    shapes.push_back(t.shape());
    vals.push_back(ToDoubles(t));
  }
  bool ok = false;
  Shape out_shape = BroadcastShapesRef(shapes, &ok);
  ASSERT_TRUE(ok);
  std::string what = node.op_type + " " + DataTypeName(ins[0].dtype());
  for (const Shape& s : shapes) what += " " + ShapeToString(s);
  auto out = RunKernel(node, ins, pool);
  ASSERT_TRUE(out.ok()) << what << ": " << out.status().message();
  ASSERT_EQ(out->at(0).shape(), out_shape) << what;
  ASSERT_EQ(out->at(0).dtype(), out_dt) << what;
  ExpectNear(out->at(0), BroadcastRef(vals, shapes, out_shape, f), rtol, atol, what);
}

const std::vector<std::pair<Shape, Shape>> kShapePairs = {
    {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}},       {{2, 3, 4}, {3, 1}},  {{2, 3, 4, 5}, {3, 1, 1}},
    {{1}, {2, 3}},          {{}, {2, 3}},           {{2, 3}, {}},         {{2, 1, 4}, {3, 1}},
    {{0, 3}, {3}},          {{2, 0}, {1}},          {{}, {}},             {{1, 1}, {1}},
    {{5, 1, 3}, {1, 4, 1}}, {{3, 1}, {1, 3, 4}},    {{4, 1}, {4, 6}},     {{1, 6}, {4, 6}},
};

double PyMod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

TEST(ElementwiseBinary, ArithmeticMatchesReferenceOnBroadcastShapes) {
  std::mt19937 rng(2024);
  struct Case {
    const char* op;
    Fn f;
  } cases[] = {
      {"Add", [](auto& v) { return v[0] + v[1]; }},
      {"Sub", [](auto& v) { return v[0] - v[1]; }},
      {"Mul", [](auto& v) { return v[0] * v[1]; }},
      {"Div", [](auto& v) { return v[0] / v[1]; }},
      {"Max", [](auto& v) { return std::max(v[0], v[1]); }},
      {"Min", [](auto& v) { return std::min(v[0], v[1]); }},
      {"Sum", [](auto& v) { return v[0] + v[1]; }},
      {"Mean", [](auto& v) { return (v[0] + v[1]) / 2; }},
  };
  for (const auto& c : cases) {
    for (DataType dt : {DataType::kFloat32, DataType::kFloat64}) {
      for (const auto& [sa, sb] : kShapePairs) {
        Tensor a = RandomTensor(dt, sa, rng, -3, 3);
        Tensor b = RandomTensor(dt, sb, rng, 0.5, 3);  // no division by ~0
        const double rtol = dt == DataType::kFloat32 ? 1e-6 : 1e-14;
        CheckAgainstRef(MakeNode(c.op, 14), {a, b}, c.f, dt, rtol, 0);
        CheckAgainstRef(MakeNode(c.op, 14), {b, a}, c.f, dt, rtol, 0);
      }
    }
  }
}

TEST(ElementwiseBinary, IntegerArithmetic) {
  std::mt19937 rng(17);
  auto trunc_div = [](auto& v) { return std::trunc(v[0] / v[1]); };
  for (DataType dt : {DataType::kInt32, DataType::kInt64, DataType::kInt8}) {
    for (const auto& [sa, sb] : kShapePairs) {
      const double lim = dt == DataType::kInt8 ? 12 : 50;  // int8 products stay in range
      Tensor a = RandomTensor(dt, sa, rng, -lim, lim);
      Tensor b = RandomTensor(dt, sb, rng, 1, 9);
      if (b.numel() > 0 && dt != DataType::kInt8) {  // negative divisors too
        for (int64_t i = 0; i < b.numel(); i += 2) {
          if (dt == DataType::kInt32) b.data<int32_t>()[i] *= -1;
          if (dt == DataType::kInt64) b.data<int64_t>()[i] *= -1;
        }
      }
      CheckAgainstRef(MakeNode("Add", 14), {a, b}, [](auto& v) { return v[0] + v[1]; }, dt, 0, 0);
      CheckAgainstRef(MakeNode("Sub", 14), {a, b}, [](auto& v) { return v[0] - v[1]; }, dt, 0, 0);
      CheckAgainstRef(MakeNode("Mul", 14), {a, b}, [](auto& v) { return v[0] * v[1]; }, dt, 0, 0);
      CheckAgainstRef(MakeNode("Div", 14), {a, b}, trunc_div, dt, 0, 0);
      CheckAgainstRef(MakeNode("Max", 13), {a, b}, [](auto& v) { return std::max(v[0], v[1]); }, dt, 0, 0);
      Node mod = MakeNode("Mod", 13);
      CheckAgainstRef(mod, {a, b}, [](auto& v) { return PyMod(v[0], v[1]); }, dt, 0, 0);
      SetInt(mod, "fmod", 1);
      CheckAgainstRef(mod, {a, b}, [](auto& v) { return std::fmod(v[0], v[1]); }, dt, 0, 0);
    }
  }
}

TEST(ElementwiseBinary, IntegerDivisionEdgeCases) {
  Tensor a = MakeTensor<int32_t>({6}, {-7, 7, -7, 5, std::numeric_limits<int32_t>::min(), 9},
                                 DataType::kInt32);
  Tensor b = MakeTensor<int32_t>({6}, {2, -2, -2, 0, -1, 3}, DataType::kInt32);
  auto d = RunKernel(MakeNode("Div", 14), {a, b});
  ASSERT_TRUE(d.ok());
  // Truncation toward zero; x / 0 gives 0 instead of trapping; INT_MIN / -1 wraps.
  ExpectNear(d->at(0), {-3, -3, 3, 0, static_cast<double>(std::numeric_limits<int32_t>::min()), 3},
             0, 0, "Div int32");
  auto m = RunKernel(MakeNode("Mod", 13), {a, b});
  ASSERT_TRUE(m.ok());
  ExpectNear(m->at(0), {1, -1, -1, 0, 0, 0}, 0, 0, "Mod int32");
}

TEST(ElementwiseBinary, FloatModSignFollowsAttribute) {
  Tensor a = FloatTensor({4}, {-4.3f, 7.5f, -7.5f, 4.f});
  Tensor b = FloatTensor({4}, {2.1f, -2.f, 2.f, 2.f});
  Node m = MakeNode("Mod", 13);
  SetInt(m, "fmod", 1);
  CheckAgainstRef(m, {a, b}, [](auto& v) { return std::fmod(v[0], v[1]); }, DataType::kFloat32, 1e-6, 1e-6);
  CheckAgainstRef(MakeNode("Mod", 13), {a, b}, [](auto& v) { return PyMod(v[0], v[1]); },
                  DataType::kFloat32, 1e-6, 1e-6);
}

TEST(ElementwiseBinary, PowWithMixedTypes) {
  std::mt19937 rng(8);
  auto pw = [](auto& v) { return std::pow(v[0], v[1]); };
  Tensor base = RandomTensor(DataType::kFloat32, {3, 4}, rng, 0.1, 3);
  CheckAgainstRef(MakeNode("Pow", 15), {base, RandomTensor(DataType::kFloat32, {4}, rng, -2, 2)}, pw,
                  DataType::kFloat32, 1e-6, 0);
  CheckAgainstRef(MakeNode("Pow", 15), {base, RandomTensor(DataType::kInt64, {3, 1}, rng, -3, 3)}, pw,
                  DataType::kFloat32, 1e-6, 0);
  CheckAgainstRef(MakeNode("Pow", 15), {base, RandomTensor(DataType::kInt32, {}, rng, -3, 3)}, pw,
                  DataType::kFloat32, 1e-6, 0);
  for (float e : {2.f, 3.f, 0.5f, 1.f, -1.5f}) {  // scalar-exponent fast paths
    CheckAgainstRef(MakeNode("Pow", 15), {base, FloatTensor({}, {e})}, pw, DataType::kFloat32, 1e-6, 0);
  }
  Tensor ib = MakeTensor<int64_t>({5}, {2, -3, 5, 1, -1}, DataType::kInt64);
  Tensor ie = MakeTensor<int64_t>({5}, {10, 3, 0, -2, -3}, DataType::kInt64);
  auto ip = RunKernel(MakeNode("Pow", 15), {ib, ie});
  ASSERT_TRUE(ip.ok());
  ExpectNear(ip->at(0), {1024, -27, 1, 1, -1}, 0, 0, "int64 pow");
  Tensor i32 = MakeTensor<int32_t>({3}, {2, 3, 4}, DataType::kInt32);
  auto fp = RunKernel(MakeNode("Pow", 15), {i32, FloatTensor({}, {0.5f})});
  ASSERT_TRUE(fp.ok());
  EXPECT_EQ(fp->at(0).dtype(), DataType::kInt32);
  ExpectNear(fp->at(0), {1, 1, 2}, 0, 0, "int32 ^ float");
}

TEST(ElementwiseBinary, ComparisonsOutputBool) {
  std::mt19937 rng(31);
  struct Case {
    const char* op;
    Fn f;
  } cases[] = {
      {"Equal", [](auto& v) { return double(v[0] == v[1]); }},
      {"Less", [](auto& v) { return double(v[0] < v[1]); }},
      {"Greater", [](auto& v) { return double(v[0] > v[1]); }},
      {"LessOrEqual", [](auto& v) { return double(v[0] <= v[1]); }},
      {"GreaterOrEqual", [](auto& v) { return double(v[0] >= v[1]); }},
  };
  for (const auto& c : cases) {
    for (DataType dt : {DataType::kInt32, DataType::kInt64, DataType::kFloat32, DataType::kFloat16}) {
      for (const auto& [sa, sb] : kShapePairs) {
        Tensor a = RandomTensor(dt, sa, rng, -2, 2), b = RandomTensor(dt, sb, rng, -2, 2);
        if (dt == DataType::kFloat32 || dt == DataType::kFloat16) {  // make ties likely
          a = RandomTensor(DataType::kInt32, sa, rng, -2, 2);
          b = RandomTensor(DataType::kInt32, sb, rng, -2, 2);
          Node cast = MakeNode("Cast", 13);
          SetInt(cast, "to", static_cast<int64_t>(dt));
          a = RunKernel(cast, {a})->at(0);
          b = RunKernel(cast, {b})->at(0);
        }
        CheckAgainstRef(MakeNode(c.op, 19), {a, b}, c.f, DataType::kBool, 0, 0);
      }
    }
  }
  Tensor t = RandomTensor(DataType::kBool, {3, 4}, rng, -1, 1), u = RandomTensor(DataType::kBool, {4}, rng, -1, 1);
  CheckAgainstRef(MakeNode("Equal", 13), {t, u}, cases[0].f, DataType::kBool, 0, 0);
  EXPECT_FALSE(RunKernel(MakeNode("Less", 13), {t, u}).ok());  // Less takes no bool
}

TEST(ElementwiseBinary, LogicalAndBitwise) {
  std::mt19937 rng(41);
  for (const auto& [sa, sb] : kShapePairs) {
    Tensor a = RandomTensor(DataType::kBool, sa, rng, -1, 1), b = RandomTensor(DataType::kBool, sb, rng, -1, 1);
    CheckAgainstRef(MakeNode("And", 7), {a, b}, [](auto& v) { return double(v[0] && v[1]); }, DataType::kBool, 0, 0);
    CheckAgainstRef(MakeNode("Or", 7), {a, b}, [](auto& v) { return double(v[0] || v[1]); }, DataType::kBool, 0, 0);
    CheckAgainstRef(MakeNode("Xor", 7), {a, b}, [](auto& v) { return double(v[0] != v[1]); }, DataType::kBool, 0, 0);
  }
  Tensor x = MakeTensor<int32_t>({2, 2}, {12, -1, 7, 0}, DataType::kInt32);
  Tensor y = MakeTensor<int32_t>({2}, {10, 3}, DataType::kInt32);
  ExpectNear(RunKernel(MakeNode("BitwiseAnd", 18), {x, y})->at(0), {8, 3, 2, 0}, 0, 0, "BitwiseAnd");
  ExpectNear(RunKernel(MakeNode("BitwiseOr", 18), {x, y})->at(0), {14, -1, 15, 3}, 0, 0, "BitwiseOr");
  ExpectNear(RunKernel(MakeNode("BitwiseXor", 18), {x, y})->at(0), {6, -4, 13, 3}, 0, 0, "BitwiseXor");
  ExpectNear(RunKernel(MakeNode("BitwiseNot", 18), {x})->at(0), {-13, 0, -8, -1}, 0, 0, "BitwiseNot");
  Tensor u = MakeTensor<uint8_t>({4}, {1, 0x81, 255, 16}, DataType::kUInt8);
  Tensor s = MakeTensor<uint8_t>({4}, {3, 1, 8, 2}, DataType::kUInt8);
  Node left = MakeNode("BitShift", 11);
  SetString(left, "direction", "LEFT");
  ExpectNear(RunKernel(left, {u, s})->at(0), {8, 2, 0, 64}, 0, 0, "BitShift left");
  Node right = MakeNode("BitShift", 11);
  SetString(right, "direction", "RIGHT");
  ExpectNear(RunKernel(right, {u, s})->at(0), {0, 0x40, 0, 4}, 0, 0, "BitShift right");
  Tensor u32 = MakeTensor<uint32_t>({2}, {1, 0x80000000u}, DataType::kUInt32);
  Tensor s32 = MakeTensor<uint32_t>({}, {31}, DataType::kUInt32);
  ExpectNear(RunKernel(right, {u32, s32})->at(0), {0, 1}, 0, 0, "BitShift u32 scalar");
  Node bad = MakeNode("BitShift", 11);
  SetString(bad, "direction", "UP");
  EXPECT_EQ(RunKernel(bad, {u, s}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(RunKernel(left, {x, x}).ok());  // signed types are not shifted
}

TEST(ElementwiseBinary, PReluBroadcastsSlopeToX) {
  std::mt19937 rng(5);
  auto prelu = [](auto& v) { return v[0] < 0 ? v[0] * v[1] : v[0]; };
  Tensor x = RandomTensor(DataType::kFloat32, {2, 3, 4, 5}, rng, -2, 2);
  for (Shape s : {Shape{3, 1, 1}, Shape{5}, Shape{1}, Shape{2, 3, 4, 5}, Shape{}}) {
    CheckAgainstRef(MakeNode("PRelu", 16), {x, RandomTensor(DataType::kFloat32, s, rng, 0, 1)}, prelu,
                    DataType::kFloat32, 1e-7, 0);
  }
  // Before opset 7 a [C] slope applies to the channel dim.
  Tensor slope = RandomTensor(DataType::kFloat32, {3}, rng, 0, 1);
  auto old = RunKernel(MakeNode("PRelu", 6), {x, slope});
  ASSERT_TRUE(old.ok());
  std::vector<double> want = BroadcastRef({ToDoubles(x), ToDoubles(slope)}, {x.shape(), {3, 1, 1}},
                                          x.shape(), prelu);
  ExpectNear(old->at(0), want, 1e-7, 0, "PRelu-6");
  Tensor xi = MakeTensor<int32_t>({3}, {-4, 0, 5}, DataType::kInt32);
  ExpectNear(RunKernel(MakeNode("PRelu", 16), {xi, MakeTensor<int32_t>({}, {3}, DataType::kInt32)})->at(0),
             {-12, 0, 5}, 0, 0, "PRelu int32");
  // The slope may not grow X's shape.
  EXPECT_EQ(RunKernel(MakeNode("PRelu", 16), {FloatTensor({3, 4}, {}), FloatTensor({2, 3, 4}, {})})
                .status().code(), StatusCode::kInvalidArgument);
}

TEST(ElementwiseBinary, WhereBroadcastsAllThree) {
  std::mt19937 rng(77);
  auto where = [](auto& v) { return v[0] != 0 ? v[1] : v[2]; };
  const std::vector<std::vector<Shape>> combos = {
      {{2, 3}, {2, 3}, {2, 3}}, {{}, {2, 3}, {3}}, {{3, 1}, {1, 4}, {}}, {{2, 1, 4}, {3, 1}, {1, 4}},
      {{0, 2}, {2}, {}},        {{}, {}, {}},      {{4}, {3, 1}, {3, 4}},
  };
  for (const auto& c : combos) {
    Tensor cond = RandomTensor(DataType::kBool, c[0], rng, -1, 1);
    for (DataType dt : {DataType::kFloat32, DataType::kInt64, DataType::kInt8, DataType::kFloat16}) {
      CheckAgainstRef(MakeNode("Where", 16),
                      {cond, RandomTensor(dt, c[1], rng, -9, 9), RandomTensor(dt, c[2], rng, -9, 9)},
                      where, dt, 0, 0);
    }
  }
  EXPECT_FALSE(RunKernel(MakeNode("Where", 16), {FloatTensor({2}, {1, 0}), FloatTensor({2}, {}),
                                                 FloatTensor({2}, {})}).ok());  // cond not bool
}

TEST(ElementwiseBinary, VariadicMinMaxSumMean) {
  std::mt19937 rng(13);
  Tensor a = RandomTensor(DataType::kFloat32, {2, 1, 4}, rng, -3, 3);
  Tensor b = RandomTensor(DataType::kFloat32, {3, 1}, rng, -3, 3);
  Tensor c = RandomTensor(DataType::kFloat32, {}, rng, -3, 3);
  Tensor d = RandomTensor(DataType::kFloat32, {2, 3, 4}, rng, -3, 3);
  const std::vector<Tensor> ins = {a, b, c, d};
  CheckAgainstRef(MakeNode("Sum", 13), ins, [](auto& v) { return v[0] + v[1] + v[2] + v[3]; },
                  DataType::kFloat32, 1e-6, 1e-6);
  CheckAgainstRef(MakeNode("Mean", 13), ins, [](auto& v) { return (v[0] + v[1] + v[2] + v[3]) / 4; },
                  DataType::kFloat32, 1e-6, 1e-6);
  CheckAgainstRef(MakeNode("Max", 13), ins,
                  [](auto& v) { return std::max({v[0], v[1], v[2], v[3]}); }, DataType::kFloat32, 0, 0);
  CheckAgainstRef(MakeNode("Min", 13), {b, c, a},
                  [](auto& v) { return std::min({v[0], v[1], v[2]}); }, DataType::kFloat32, 0, 0);
  for (const char* op : {"Min", "Max", "Sum", "Mean"}) {
    CheckAgainstRef(MakeNode(op, 13), {d}, [](auto& v) { return v[0]; }, DataType::kFloat32, 0, 0);
  }
  Tensor i = RandomTensor(DataType::kInt64, {3, 4}, rng, -100, 100);
  Tensor j = RandomTensor(DataType::kInt64, {4}, rng, -100, 100);
  CheckAgainstRef(MakeNode("Max", 13), {i, j}, [](auto& v) { return std::max(v[0], v[1]); },
                  DataType::kInt64, 0, 0);
  EXPECT_FALSE(RunKernel(MakeNode("Sum", 13), {a, i}).ok());  // mixed dtypes
  EXPECT_FALSE(RunKernel(MakeNode("Max", 13), {a, FloatTensor({5}, {})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Mean", 13), {i, j}).ok());  // float only
  EXPECT_FALSE(RunKernel(MakeNode("Sum", 13), {}).ok());
}

TEST(ElementwiseBinary, IncompatibleShapesAndDtypesAreRejected) {
  for (const char* op : {"Add", "Mul", "Equal", "Pow", "Mod"}) {
    auto st = RunKernel(MakeNode(op, 14), {FloatTensor({2, 3}, {}), FloatTensor({4}, {})}).status();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << op;
    EXPECT_NE(st.message().find("broadcast"), std::string::npos) << st.message();
  }
  EXPECT_EQ(RunKernel(MakeNode("Add", 14), {FloatTensor({2}, {}), MakeTensor<int32_t>({2}, {}, DataType::kInt32)})
                .status().code(), StatusCode::kInvalidArgument);
  Tensor t = MakeTensor<bool>({2}, {true, false}, DataType::kBool);
  EXPECT_EQ(RunKernel(MakeNode("Add", 14), {t, t}).status().code(), StatusCode::kNotImplemented);
  EXPECT_FALSE(RunKernel(MakeNode("And", 7), {FloatTensor({2}, {}), FloatTensor({2}, {})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Add", 14), {FloatTensor({2}, {})}).ok());
}

TEST(ElementwiseBinary, LegacyAxisBroadcast) {
  std::mt19937 rng(3);
  Tensor a = RandomTensor(DataType::kFloat32, {2, 3, 4, 5}, rng, -1, 1);
  Tensor b = RandomTensor(DataType::kFloat32, {3, 4}, rng, -1, 1);
  Node n = MakeNode("Add", 6);
  SetInt(n, "broadcast", 1);
  SetInt(n, "axis", 1);
  auto out = RunKernel(n, {a, b});
  ASSERT_TRUE(out.ok()) << out.status().message();
  ExpectNear(out->at(0), BroadcastRef({ToDoubles(a), ToDoubles(b)}, {a.shape(), {3, 4, 1}}, a.shape(),
                                      [](auto& v) { return v[0] + v[1]; }),
             1e-7, 0, "legacy axis");
  SetInt(n, "axis", 3);
  EXPECT_FALSE(RunKernel(n, {a, b}).ok());  // B does not fit at axis 3
}

TEST(ElementwiseBinary, Float16Arithmetic) {
  std::mt19937 rng(9);
  Tensor a = RandomTensor(DataType::kFloat16, {3, 5}, rng, -4, 4);
  Tensor b = RandomTensor(DataType::kFloat16, {5}, rng, 0.5, 4);
  CheckAgainstRef(MakeNode("Add", 14), {a, b}, [](auto& v) { return v[0] + v[1]; }, DataType::kFloat16, 1e-3, 1e-3);
  CheckAgainstRef(MakeNode("Div", 14), {a, b}, [](auto& v) { return v[0] / v[1]; }, DataType::kFloat16, 1e-3, 1e-3);
  CheckAgainstRef(MakeNode("Max", 13), {a, b}, [](auto& v) { return std::max(v[0], v[1]); }, DataType::kFloat16, 0, 0);
  Node m = MakeNode("Mod", 13);
  SetInt(m, "fmod", 1);
  CheckAgainstRef(m, {a, b}, [](auto& v) { return std::fmod(v[0], v[1]); }, DataType::kFloat16, 1e-3, 2e-3);
}

// Writes output 0 over input 0, as the executor does for inplace_input = 0.
Tensor RunInPlace(const Node& node, Tensor a, const Tensor& b, ThreadPool* pool) {
  const KernelDef* def = FindKernel(node.op_type, node.domain, node.opset);
  EXPECT_NE(def, nullptr);
  EXPECT_EQ(def->inplace_input, 0);
  KernelContext ctx{node, {&a, &b}, {&a}, pool};
  EXPECT_TRUE(def->compute(ctx).ok());
  return a;
}

TEST(ElementwiseBinary, LargeParallelAndInPlace) {
  std::mt19937 rng(21);
  ThreadPool pool(3);
  const std::vector<std::pair<Shape, Shape>> big = {
      {{64, 1024}, {64, 1024}}, {{64, 1024}, {1024}}, {{4, 32, 33, 17}, {32, 1, 1}},
      {{3, 50000}, {}},         {{2, 70000}, {2, 1}}, {{7, 3, 4001}, {7, 1, 4001}},
  };
  for (const char* op : {"Add", "Mul", "Sub", "Div"}) {
    Fn f = std::string(op) == "Add"   ? Fn([](auto& v) { return v[0] + v[1]; })
           : std::string(op) == "Mul" ? Fn([](auto& v) { return v[0] * v[1]; })
           : std::string(op) == "Sub" ? Fn([](auto& v) { return v[0] - v[1]; })
                                      : Fn([](auto& v) { return v[0] / v[1]; });
    for (const auto& [sa, sb] : big) {
      Tensor a = RandomTensor(DataType::kFloat32, sa, rng, -2, 2);
      Tensor b = RandomTensor(DataType::kFloat32, sb, rng, 0.5, 2);
      CheckAgainstRef(MakeNode(op, 14), {a, b}, f, DataType::kFloat32, 1e-6, 0, &pool);
      CheckAgainstRef(MakeNode(op, 14), {b, a}, f, DataType::kFloat32, 1e-6, 0, &pool);
      std::vector<double> want = BroadcastRef({ToDoubles(a), ToDoubles(b)}, {sa, sb}, sa, f);
      Tensor y = RunInPlace(MakeNode(op, 14), a.Clone().value(), b, &pool);
      ExpectNear(y, want, 1e-6, 0, std::string(op) + " in place " + ShapeToString(sa));
    }
  }
}

}  // namespace
}  // namespace parallax
