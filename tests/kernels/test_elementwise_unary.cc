// Tests of the elementwise unary family against double-precision references.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernel_test_util.h"
#include "kernels/kernel_util.h"
#include "kernels/reference/elementwise_binary_ref.h"
#include "kernels/reference/elementwise_unary_ref.h"

namespace parallax {
namespace {

using testing::FloatTensor;
using testing::MakeNode;
using testing::MakeTensor;
using testing::RunKernel;
using testing::SetFloat;
using testing::SetInt;
using testing::SetString;
using reference::ToDoubles;
using reference::UnaryRef;

Shape RandomShape(std::mt19937& rng, int max_rank = 4, int max_dim = 5) {
  std::uniform_int_distribution<int> rank_d(0, max_rank), dim_d(1, max_dim);
  Shape s(static_cast<size_t>(rank_d(rng)));
  for (auto& d : s) d = dim_d(rng);
  return s;
}

Tensor RandomTensor(DataType dt, const Shape& shape, std::mt19937& rng, double lo, double hi) {
  Tensor t = Tensor::Allocate(dt, shape).value();
  std::uniform_real_distribution<double> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = d(rng);
    if (dt == DataType::kFloat32) t.data<float>()[i] = static_cast<float>(v);
    if (dt == DataType::kFloat64) t.data<double>()[i] = v;
    if (dt == DataType::kFloat16) t.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(v));
  }
  return t;
}

// Checks every element: |got - want| <= atol + rtol * |want| (NaN matches NaN).
void ExpectNear(const Tensor& got, const std::vector<double>& want, double rtol, double atol,
                const std::string& what) {
  std::vector<double> g = ToDoubles(got);
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(g[i])) << what << " at " << i;
      continue;
    }
    if (std::isinf(want[i])) {
      EXPECT_EQ(g[i], want[i]) << what << " at " << i;
      continue;
    }
    ASSERT_LE(std::fabs(g[i] - want[i]), atol + rtol * std::fabs(want[i]))
        << what << " at " << i << ": got " << g[i] << " want " << want[i];
  }
}

struct FloatCase {
  const char* op;
  double lo, hi;
  int opset = 17;
  const char* domain = "";
};

const FloatCase kFloatCases[] = {
    {"Relu", -5, 5},      {"Sigmoid", -12, 12},  {"Tanh", -5, 5},        {"Exp", -10, 10},
    {"Log", 0.01, 5},     {"Sqrt", 0, 5},        {"Reciprocal", 0.1, 4}, {"Neg", -5, 5},
    {"Abs", -5, 5},       {"Erf", -3, 3},        {"Floor", -5, 5},       {"Ceil", -5, 5},
    {"Round", -5, 5},     {"Sign", -5, 5},       {"Sin", -5, 5},         {"Cos", -5, 5},
    {"Tan", -1.4, 1.4},   {"Asin", -0.99, 0.99}, {"Acos", -0.99, 0.99},  {"Atan", -5, 5},
    {"Sinh", -5, 5},      {"Cosh", -5, 5},       {"Asinh", -5, 5},       {"Acosh", 1, 5},
    {"Atanh", -0.9, 0.9}, {"Softplus", -20, 20}, {"Softsign", -5, 5},    {"HardSigmoid", -5, 5},
    {"HardSwish", -5, 5, 14}, {"LeakyRelu", -5, 5}, {"Elu", -5, 5},      {"Selu", -5, 5},
    {"Celu", -5, 5},      {"ThresholdedRelu", -3, 3}, {"Mish", -10, 10, 18}, {"Gelu", -6, 6, 20},
    {"Shrink", -2, 2},    {"Gelu", -6, 6, 1, "parallax"}, {"Silu", -12, 12, 1, "parallax"},
};

TEST(ElementwiseUnary, FloatOpsMatchReferenceOnRandomShapes) {
  std::mt19937 rng(1234);
  for (const FloatCase& c : kFloatCases) {
    for (DataType dt : {DataType::kFloat32, DataType::kFloat64}) {
      for (int trial = 0; trial < 4; ++trial) {
        Shape shape = trial == 3 ? Shape{3, 0, 2} : RandomShape(rng);
        Tensor x = RandomTensor(dt, shape, rng, c.lo, c.hi);
        Node n = MakeNode(c.op, c.opset);
        n.domain = c.domain;
        auto out = RunKernel(n, {x});
        ASSERT_TRUE(out.ok()) << c.op << ": " << out.status().message();
        ASSERT_EQ(out->at(0).shape(), shape);
        ASSERT_EQ(out->at(0).dtype(), dt);
        std::vector<double> xs = ToDoubles(x), want(xs.size());
        for (size_t i = 0; i < xs.size(); ++i) want[i] = UnaryRef(c.op, xs[i]);
        const bool f32 = dt == DataType::kFloat32;
        ExpectNear(out->at(0), want, f32 ? 1e-5 : 1e-12, f32 ? 1e-7 : 1e-15,
                   std::string(c.op) + (f32 ? " f32" : " f64"));
      }
    }
  }
}

TEST(ElementwiseUnary, LargeTensorsRunInParallel) {
  std::mt19937 rng(7);
  ThreadPool pool(3);
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "Gelu", "Exp"}) {
    Tensor x = RandomTensor(DataType::kFloat32, {3, 70001}, rng, -8, 8);
    auto out = RunKernel(MakeNode(op, 20), {x}, &pool);
    ASSERT_TRUE(out.ok()) << out.status().message();
    std::vector<double> xs = ToDoubles(x), want(xs.size());
    for (size_t i = 0; i < xs.size(); ++i) want[i] = UnaryRef(op, xs[i]);
    ExpectNear(out->at(0), want, 2e-6, 1e-7, op);
  }
}

TEST(ElementwiseUnary, SaturatedSigmoidSiluAndGeluStayFinite) {
  Tensor x = FloatTensor({6}, {-200.f, -90.f, -30.f, 30.f, 90.f, 200.f});
  for (const char* op : {"Sigmoid", "Silu", "Gelu"}) {
    Node n = MakeNode(op, 20);
    if (std::string(op) == "Silu") n.domain = "parallax";
    auto out = RunKernel(n, {x});
    ASSERT_TRUE(out.ok());
    std::vector<double> want;
    for (double v : ToDoubles(x)) want.push_back(UnaryRef(op, v));
    ExpectNear(out->at(0), want, 1e-6, 1e-30, op);
  }
  Node n = MakeNode("Gelu", 20);
  SetString(n, "approximate", "tanh");
  auto out = RunKernel(n, {x});
  ASSERT_TRUE(out.ok());
  std::vector<double> want;
  for (double v : ToDoubles(x)) want.push_back(UnaryRef("GeluTanh", v));
  ExpectNear(out->at(0), want, 1e-6, 1e-30, "GeluTanh");
}

TEST(ElementwiseUnary, AttributesAreHonoured) {
  std::mt19937 rng(99);
  struct Case {
    const char* op;
    const char* a_name;
    const char* b_name;
    float a, b;
  } cases[] = {
      {"LeakyRelu", "alpha", nullptr, 0.3f, 0},   {"Elu", "alpha", nullptr, 2.f, 0},
      {"Selu", "alpha", "gamma", 2.f, 3.f},       {"Celu", "alpha", nullptr, 0.7f, 0},
      {"HardSigmoid", "alpha", "beta", 0.5f, 0.6f}, {"ThresholdedRelu", "alpha", nullptr, 0.4f, 0},
      {"Shrink", "bias", "lambd", 1.5f, 1.f},
  };
  for (const Case& c : cases) {
    Node n = MakeNode(c.op, 17);
    SetFloat(n, c.a_name, c.a);
    if (c.b_name) SetFloat(n, c.b_name, c.b);
    Tensor x = RandomTensor(DataType::kFloat32, {4, 5}, rng, -4, 4);
    auto out = RunKernel(n, {x});
    ASSERT_TRUE(out.ok()) << c.op;
    std::vector<double> want;
    for (double v : ToDoubles(x)) want.push_back(UnaryRef(c.op, v, true, c.a, c.b));
    ExpectNear(out->at(0), want, 2e-6, 1e-7, c.op);
  }
  Node g = MakeNode("Gelu", 20);
  SetString(g, "approximate", "tanh");
  Tensor x = RandomTensor(DataType::kFloat64, {50}, rng, -5, 5);
  auto out = RunKernel(g, {x});
  ASSERT_TRUE(out.ok());
  std::vector<double> want;
  for (double v : ToDoubles(x)) want.push_back(UnaryRef("GeluTanh", v));
  ExpectNear(out->at(0), want, 1e-12, 1e-15, "GeluTanh f64");
}

TEST(ElementwiseUnary, RoundIsHalfToEven) {
  Tensor x = FloatTensor({8}, {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 2.4f, 2.6f, -3.5f});
  auto out = RunKernel(MakeNode("Round", 11), {x});
  ASSERT_TRUE(out.ok());
  const float want[] = {0.f, 2.f, 2.f, -0.f, -2.f, 2.f, 3.f, -4.f};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out->at(0).data<float>()[i], want[i]) << i;
}

TEST(ElementwiseUnary, IntegerAbsNegSignRelu) {
  Tensor x32 = MakeTensor<int32_t>({2, 3}, {-5, 0, 7, -1, 3, -2147483647}, DataType::kInt32);
  Tensor x8 = MakeTensor<int8_t>({4}, {-5, 0, 7, -100}, DataType::kInt8);
  Tensor x64 = MakeTensor<int64_t>({3}, {-(int64_t{1} << 40), 0, 9}, DataType::kInt64);
  for (const char* op : {"Abs", "Neg", "Sign", "Relu"}) {
    for (const Tensor* x : {&x32, &x8, &x64}) {
      auto out = RunKernel(MakeNode(op, 14), {*x});
      ASSERT_TRUE(out.ok()) << op << " " << DataTypeName(x->dtype()) << out.status().message();
      EXPECT_EQ(out->at(0).dtype(), x->dtype());
      std::vector<double> xs = ToDoubles(*x), want;
      for (double v : xs) want.push_back(UnaryRef(op, v));
      ExpectNear(out->at(0), want, 0, 0, op);
    }
  }
  Tensor u = MakeTensor<uint8_t>({3}, {0, 5, 255}, DataType::kUInt8);
  auto sign = RunKernel(MakeNode("Sign", 13), {u});
  ASSERT_TRUE(sign.ok());
  ExpectNear(sign->at(0), {0, 1, 1}, 0, 0, "Sign u8");
  EXPECT_FALSE(RunKernel(MakeNode("Neg", 13), {u}).ok());  // Neg takes signed types only
}

TEST(ElementwiseUnary, Float16RunsThroughFloat32) {
  std::mt19937 rng(5);
  Tensor x = RandomTensor(DataType::kFloat16, {3, 7}, rng, -3, 3);
  for (const char* op : {"Relu", "Sigmoid", "Abs", "Celu"}) {
    auto out = RunKernel(MakeNode(op, 13), {x});
    ASSERT_TRUE(out.ok()) << op;
    ASSERT_EQ(out->at(0).dtype(), DataType::kFloat16);
    std::vector<double> want;
    for (double v : ToDoubles(x)) want.push_back(UnaryRef(op, v));
    ExpectNear(out->at(0), want, 1e-3, 1e-4, op);
  }
}

TEST(ElementwiseUnary, RankZeroAndEmpty) {
  Tensor s = FloatTensor({}, {-2.f});
  auto out = RunKernel(MakeNode("Relu"), {s});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->at(0).rank(), 0);
  EXPECT_EQ(out->at(0).data<float>()[0], 0.f);
  auto e = RunKernel(MakeNode("Exp"), {FloatTensor({0, 4}, {})});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->at(0).shape(), (Shape{0, 4}));
}

TEST(ElementwiseUnary, InvalidInputsAreRejected) {
  Tensor i = MakeTensor<int32_t>({2}, {1, 2}, DataType::kInt32);
  EXPECT_EQ(RunKernel(MakeNode("Sigmoid"), {i}).status().code(), StatusCode::kNotImplemented);
  Node g = MakeNode("Gelu", 20);
  SetString(g, "approximate", "fast");
  EXPECT_EQ(RunKernel(g, {FloatTensor({2}, {1, 2})}).status().code(), StatusCode::kInvalidArgument);
  Node c = MakeNode("Celu", 12);
  SetFloat(c, "alpha", 0.f);
  EXPECT_FALSE(RunKernel(c, {FloatTensor({2}, {1, 2})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Not"), {FloatTensor({2}, {1, 2})}).ok());
  EXPECT_FALSE(RunKernel(MakeNode("Relu"), {}).ok());
}

// Runs a kernel with output 0 written over input 0 (as the executor does with inplace_input).
Tensor RunInPlace(const Node& node, Tensor x) {
  const KernelDef* def = FindKernel(node.op_type, node.domain, node.opset);
  EXPECT_NE(def, nullptr);
  EXPECT_EQ(def->inplace_input, 0);
  KernelContext ctx{node, {&x}, {&x}, &testing::TestPool()};
  EXPECT_TRUE(def->compute(ctx).ok());
  return x;
}

TEST(ElementwiseUnary, InPlaceOutputMatches) {
  std::mt19937 rng(3);
  Tensor x = RandomTensor(DataType::kFloat32, {5, 40000}, rng, -4, 4);
  for (const char* op : {"Sigmoid", "Relu", "Tanh"}) {
    Tensor copy = x.Clone().value();
    Tensor y = RunInPlace(MakeNode(op), copy);
    std::vector<double> want;
    for (double v : ToDoubles(x)) want.push_back(UnaryRef(op, v));
    ExpectNear(y, want, 2e-6, 1e-7, op);
  }
}

TEST(ElementwiseUnary, NotIsNaNIsInf) {
  Tensor b = MakeTensor<bool>({3}, {true, false, true}, DataType::kBool);
  auto n = RunKernel(MakeNode("Not", 1), {b});
  ASSERT_TRUE(n.ok());
  ExpectNear(n->at(0), {0, 1, 0}, 0, 0, "Not");
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  Tensor x = FloatTensor({5}, {1.f, nan, inf, -inf, 0.f});
  auto isnan = RunKernel(MakeNode("IsNaN", 13), {x});
  ASSERT_TRUE(isnan.ok());
  ExpectNear(isnan->at(0), {0, 1, 0, 0, 0}, 0, 0, "IsNaN");
  auto isinf = RunKernel(MakeNode("IsInf", 10), {x});
  ASSERT_TRUE(isinf.ok());
  ExpectNear(isinf->at(0), {0, 0, 1, 1, 0}, 0, 0, "IsInf");
  Node pos = MakeNode("IsInf", 10);
  SetInt(pos, "detect_negative", 0);
  ExpectNear(RunKernel(pos, {x})->at(0), {0, 0, 1, 0, 0}, 0, 0, "IsInf positive");
  Node neg = MakeNode("IsInf", 10);
  SetInt(neg, "detect_positive", 0);
  ExpectNear(RunKernel(neg, {x})->at(0), {0, 0, 0, 1, 0}, 0, 0, "IsInf negative");
  Tensor h = MakeTensor<uint16_t>({2}, {FloatToHalf(nan), FloatToHalf(1.f)}, DataType::kFloat16);
  ExpectNear(RunKernel(MakeNode("IsNaN", 20), {h})->at(0), {1, 0}, 0, 0, "IsNaN f16");
}

TEST(ElementwiseUnary, ClipAttributesAndInputs) {
  Tensor x = FloatTensor({2, 3}, {-3.f, -1.f, 0.f, 0.5f, 2.f, 9.f});
  Node old = MakeNode("Clip", 6);
  SetFloat(old, "min", -1.5f);
  SetFloat(old, "max", 1.f);
  ExpectNear(RunKernel(old, {x})->at(0), {-1.5, -1, 0, 0.5, 1, 1}, 0, 0, "Clip-6");
  Node n = MakeNode("Clip", 13);
  Tensor lo = FloatTensor({}, {-1.f}), hi = FloatTensor({}, {2.f});
  ExpectNear(RunKernel(n, {x, lo, hi})->at(0), {-1, -1, 0, 0.5, 2, 2}, 0, 0, "Clip both");
  ExpectNear(RunKernel(n, {x, Tensor(), hi})->at(0), {-3, -1, 0, 0.5, 2, 2}, 0, 0, "Clip max");
  ExpectNear(RunKernel(n, {x, lo})->at(0), {-1, -1, 0, 0.5, 2, 9}, 0, 0, "Clip min");
  ExpectNear(RunKernel(n, {x})->at(0), {-3, -1, 0, 0.5, 2, 9}, 0, 0, "Clip none");
  ExpectNear(RunKernel(n, {x, hi, lo})->at(0), {-1, -1, -1, -1, -1, -1}, 0, 0, "min > max");
  Tensor xi = MakeTensor<int8_t>({4}, {-128, -3, 4, 127}, DataType::kInt8);
  Tensor li = MakeTensor<int8_t>({}, {-4}, DataType::kInt8), hi8 = MakeTensor<int8_t>({}, {5}, DataType::kInt8);
  ExpectNear(RunKernel(n, {xi, li, hi8})->at(0), {-4, -3, 4, 5}, 0, 0, "Clip int8");
  EXPECT_FALSE(RunKernel(n, {x, FloatTensor({2}, {0, 1})}).ok());  // min must be a scalar
  EXPECT_FALSE(RunKernel(n, {x, li}).ok());                         // dtype mismatch
}

TEST(ElementwiseUnary, IdentityAndDropout) {
  Tensor x = MakeTensor<int64_t>({2, 2}, {1, -2, 3, 4}, DataType::kInt64);
  const KernelDef* id = FindKernel("Identity", "", 16);
  ASSERT_NE(id, nullptr);
  EXPECT_TRUE(id->alias);
  ExpectNear(RunKernel(MakeNode("Identity", 16), {x})->at(0), {1, -2, 3, 4}, 0, 0, "Identity");

  Tensor f = FloatTensor({3}, {1.f, 2.f, 3.f});
  auto d = RunKernel(MakeNode("Dropout", 13, 2), {f});
  ASSERT_TRUE(d.ok()) << d.status().message();
  ExpectNear(d->at(0), {1, 2, 3}, 0, 0, "Dropout");
  EXPECT_EQ(d->at(1).dtype(), DataType::kBool);
  ExpectNear(d->at(1), {1, 1, 1}, 0, 0, "Dropout mask");
  auto d7 = RunKernel(MakeNode("Dropout", 7, 2), {f});
  ASSERT_TRUE(d7.ok());
  EXPECT_EQ(d7->at(1).dtype(), DataType::kFloat32);

  Tensor ratio = FloatTensor({}, {0.5f});
  Tensor zero = FloatTensor({}, {0.f});
  Tensor yes = MakeTensor<bool>({}, {true}, DataType::kBool);
  Tensor no = MakeTensor<bool>({}, {false}, DataType::kBool);
  EXPECT_TRUE(RunKernel(MakeNode("Dropout", 13), {f, ratio, no}).ok());
  EXPECT_TRUE(RunKernel(MakeNode("Dropout", 13), {f, zero, yes}).ok());
  EXPECT_EQ(RunKernel(MakeNode("Dropout", 13), {f, ratio, yes}).status().code(),
            StatusCode::kNotImplemented);
}

TEST(ElementwiseUnary, CastBetweenDtypes) {
  Tensor x = FloatTensor({6}, {-1.7f, 2.9f, 0.f, 100.5f, -0.2f, 3.f});
  Node to_i32 = MakeNode("Cast", 13);
  SetInt(to_i32, "to", static_cast<int64_t>(DataType::kInt32));
  auto i = RunKernel(to_i32, {x});
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->at(0).dtype(), DataType::kInt32);
  ExpectNear(i->at(0), {-1, 2, 0, 100, 0, 3}, 0, 0, "float->int32 truncates");

  Node to_bool = MakeNode("Cast", 19);
  SetInt(to_bool, "to", static_cast<int64_t>(DataType::kBool));
  auto b = RunKernel(to_bool, {x});
  ASSERT_TRUE(b.ok());
  ExpectNear(b->at(0), {1, 1, 0, 1, 1, 1}, 0, 0, "float->bool");

  Node to_f = MakeNode("Cast", 9);
  SetInt(to_f, "to", static_cast<int64_t>(DataType::kFloat32));
  ExpectNear(RunKernel(to_f, {b->at(0)})->at(0), {1, 1, 0, 1, 1, 1}, 0, 0, "bool->float");
  Tensor big = MakeTensor<int64_t>({3}, {-(int64_t{1} << 40), 7, 255}, DataType::kInt64);
  ExpectNear(RunKernel(to_f, {big})->at(0), {-1099511627776.0, 7, 255}, 0, 0, "int64->float");

  Node old = MakeNode("Cast", 1);
  SetString(old, "to", "DOUBLE");
  auto dbl = RunKernel(old, {x});
  ASSERT_TRUE(dbl.ok());
  EXPECT_EQ(dbl->at(0).dtype(), DataType::kFloat64);
  ExpectNear(dbl->at(0), ToDoubles(x), 0, 0, "float->double (opset 1)");

  Node bad = MakeNode("Cast", 13);
  SetInt(bad, "to", static_cast<int64_t>(DataType::kString));
  EXPECT_EQ(RunKernel(bad, {x}).status().code(), StatusCode::kNotImplemented);
  EXPECT_FALSE(RunKernel(MakeNode("Cast", 13), {x}).ok());  // 'to' missing
}

TEST(ElementwiseUnary, CastFloat16RoundTrips) {
  std::mt19937 rng(11);
  Tensor x = RandomTensor(DataType::kFloat32, {4, 33}, rng, -100, 100);
  x.data<float>()[0] = 65504.f;
  x.data<float>()[1] = 0.5f;
  x.data<float>()[2] = -2.f;
  Node to_h = MakeNode("Cast", 19);
  SetInt(to_h, "to", static_cast<int64_t>(DataType::kFloat16));
  auto h = RunKernel(to_h, {x});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->at(0).dtype(), DataType::kFloat16);
  Node to_f = MakeNode("Cast", 19);
  SetInt(to_f, "to", static_cast<int64_t>(DataType::kFloat32));
  auto back = RunKernel(to_f, {h->at(0)});
  ASSERT_TRUE(back.ok());
  ExpectNear(back->at(0), ToDoubles(x), 1e-3, 0, "f32->f16->f32");
  EXPECT_EQ(back->at(0).data<float>()[0], 65504.f);
  EXPECT_EQ(back->at(0).data<float>()[1], 0.5f);
  EXPECT_EQ(back->at(0).data<float>()[2], -2.f);

  Node to_d = MakeNode("Cast", 13);
  SetInt(to_d, "to", static_cast<int64_t>(DataType::kFloat64));
  auto d = RunKernel(to_d, {h->at(0)});
  ASSERT_TRUE(d.ok());
  ExpectNear(d->at(0), ToDoubles(back->at(0)), 0, 0, "f16->f64");
  auto h2 = RunKernel(to_h, {d->at(0)});  // f64 -> f16 reproduces the same halves
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ(std::memcmp(h2->at(0).raw(), h->at(0).raw(), h->at(0).nbytes()), 0);

  Tensor ints = MakeTensor<int32_t>({3}, {-7, 0, 2048}, DataType::kInt32);
  auto hi = RunKernel(to_h, {ints});
  ASSERT_TRUE(hi.ok());
  Node to_i = MakeNode("Cast", 13);
  SetInt(to_i, "to", static_cast<int64_t>(DataType::kInt64));
  ExpectNear(RunKernel(to_i, {hi->at(0)})->at(0), {-7, 0, 2048}, 0, 0, "int32->f16->int64");
}

TEST(ElementwiseUnary, CastLikeUsesTargetDtype) {
  Tensor x = FloatTensor({3}, {1.9f, -1.9f, 0.f});
  Tensor like = MakeTensor<int8_t>({}, {0}, DataType::kInt8);
  auto out = RunKernel(MakeNode("CastLike", 15), {x, like});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->at(0).dtype(), DataType::kInt8);
  EXPECT_EQ(out->at(0).shape(), (Shape{3}));
  ExpectNear(out->at(0), {1, -1, 0}, 0, 0, "CastLike");
}

TEST(ElementwiseUnary, ShrinkOnIntegers) {
  Node n = MakeNode("Shrink", 9);
  SetFloat(n, "lambd", 1.5f);
  SetFloat(n, "bias", 1.f);
  Tensor x = MakeTensor<int32_t>({5}, {-3, -1, 0, 2, 5}, DataType::kInt32);
  ExpectNear(RunKernel(n, {x})->at(0), {-2, 0, 0, 1, 4}, 0, 0, "Shrink int32");
}

}  // namespace
}  // namespace parallax
