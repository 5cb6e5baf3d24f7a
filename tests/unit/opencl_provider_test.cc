// The OpenCL provider against the CPU kernels: every supported op on random shapes (fixed
// seeds), including broadcasting, batched MatMul, Gemm transposes and 1-element tensors;
// Supports() refusals; clean errors for a bad device index. Without an OpenCL device (or in a
// build without OpenCL) the comparisons are skipped with the reason. On POCL the first run
// compiles the kernels with LLVM (~20 s, mostly CLBlast's SGEMM); later runs hit POCL's cache.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../kernels/kernel_test_util.h"
#include "opencl_required.h"
#include "providers/provider.h"

namespace parallax {
namespace {

using testing::FloatTensor;
using testing::Int64Tensor;
using testing::MakeNode;
using testing::RandomFloat;
using testing::SetFloat;
using testing::SetInts;
using testing::SetInt;
using testing::SetString;

// The inputs as `Supports` sees them; with_values: as plan constants (Slice's starts/ends).
std::vector<ValueInfo> Infos(const std::vector<Tensor>& inputs, bool with_values = false) {
  std::vector<ValueInfo> infos(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].defined()) {
      infos[i] = ValueInfo{inputs[i].dtype(), inputs[i].shape(), with_values ? &inputs[i] : nullptr};
    }
  }
  return infos;
}

Node ParallaxNode(const std::string& op, int num_outputs = 1) {
  Node n = MakeNode(op, 1, num_outputs);
  n.domain = "parallax";
  return n;
}

class OpenClProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto p = CreateOpenClProvider(0);
    if (p.ok()) {
      provider_ = std::move(p).value();
    } else {
      skip_reason_ = p.status().message();
    }
  }
  static void TearDownTestSuite() { provider_.reset(); }
  void SetUp() override {
    if (!provider_) PX_SKIP_WITHOUT_OPENCL("OpenCL provider unavailable, tests skipped: " + skip_reason_);
  }

  // Runs `node` on the CPU kernel and on the provider; outputs must agree to `tol` (relative
  // to the largest reference magnitude).
  void Compare(const Node& node, const std::vector<Tensor>& inputs, double tol = 1e-4) {
    SCOPED_TRACE(node.op_type);
    ASSERT_TRUE(provider_->Supports(node, Infos(inputs, /*with_values=*/node.op_type == "Slice" ||
                                                             node.op_type == "Split" ||
                                                             node.op_type == "Resize" ||
                                                             node.op_type == "Upsample")))
        << node.op_type << " not supported";
    auto cpu = testing::RunKernel(node, inputs);
    ASSERT_TRUE(cpu.ok()) << cpu.status().message();
    std::vector<Tensor> dev;
    std::vector<Tensor*> outs;
    for (const Tensor& t : *cpu) dev.push_back(Tensor::Allocate(t.dtype(), t.shape()).value());
    for (Tensor& t : dev) outs.push_back(&t);
    std::vector<const Tensor*> ins;
    for (const Tensor& t : inputs) ins.push_back(t.defined() ? &t : nullptr);
    const Status st = provider_->Run(node, ins, outs);
    ASSERT_TRUE(st.ok()) << st.message();
    for (size_t i = 0; i < dev.size(); ++i) testing::ExpectClose(dev[i], (*cpu)[i], tol);
  }

  static std::unique_ptr<ExecutionProvider> provider_;
  static std::string skip_reason_;
};

std::unique_ptr<ExecutionProvider> OpenClProviderTest::provider_;
std::string OpenClProviderTest::skip_reason_;

TEST(OpenClProviderCreate, BadDeviceIndexIsACleanError) {
  for (int index : {-1, 1000}) {
    auto p = CreateOpenClProvider(index);
    ASSERT_FALSE(p.ok());
    EXPECT_TRUE(p.status().code() == StatusCode::kNotFound ||
                p.status().code() == StatusCode::kNotImplemented)
        << p.status().message();
    EXPECT_FALSE(p.status().message().empty());
  }
}

TEST_F(OpenClProviderTest, Name) {
  EXPECT_EQ(provider_->name().rfind("opencl:", 0), 0u) << provider_->name();
}

TEST_F(OpenClProviderTest, MatMul2D) {
  std::mt19937 rng(1);
  std::uniform_int_distribution<int64_t> dim(1, 70);
  for (int i = 0; i < 4; ++i) {
    const int64_t M = dim(rng), K = dim(rng), N = dim(rng);
    Compare(MakeNode("MatMul"), {RandomFloat({M, K}, rng), RandomFloat({K, N}, rng)});
  }
  Compare(MakeNode("MatMul"), {RandomFloat({1, 1}, rng), RandomFloat({1, 1}, rng)});  // 1 element
  Compare(MakeNode("MatMul"), {RandomFloat({200, 150}, rng), RandomFloat({150, 90}, rng)});
}

TEST_F(OpenClProviderTest, MatMulBatchedAndBroadcast) {
  std::mt19937 rng(2);
  const Node mm = MakeNode("MatMul");
  Compare(mm, {RandomFloat({2, 3, 5, 7}, rng), RandomFloat({7, 6}, rng)});     // batch folds into M
  Compare(mm, {RandomFloat({2, 1, 5, 7}, rng), RandomFloat({3, 7, 4}, rng)});  // both broadcast
  Compare(mm, {RandomFloat({5, 7}, rng), RandomFloat({4, 7, 3}, rng)});        // A broadcast
  Compare(mm,
          {RandomFloat({3, 4, 9, 16}, rng), RandomFloat({3, 4, 16, 9}, rng)});  // attention-like
  Compare(mm, {RandomFloat({7}, rng), RandomFloat({7, 3}, rng)});               // 1-D A
  Compare(mm, {RandomFloat({2, 5, 7}, rng), RandomFloat({7}, rng)});            // 1-D B
  Compare(mm, {RandomFloat({7}, rng), RandomFloat({7}, rng)});                  // dot: rank 0 out
}

TEST_F(OpenClProviderTest, Gemm) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int64_t> dim(1, 40);
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      const int64_t M = dim(rng), K = dim(rng), N = dim(rng);
      Node n = MakeNode("Gemm", 13);
      SetInt(n, "transA", ta);
      SetInt(n, "transB", tb);
      SetFloat(n, "alpha", 0.5f + ta);
      SetFloat(n, "beta", 2.0f - tb);
      Tensor a = RandomFloat(ta ? Shape{K, M} : Shape{M, K}, rng);
      Tensor b = RandomFloat(tb ? Shape{N, K} : Shape{K, N}, rng);
      Compare(n, {a, b});
      for (Shape cs : {Shape{N}, Shape{M, 1}, Shape{M, N}, Shape{1, 1}, Shape{}}) {
        Compare(n, {a, b, RandomFloat(cs, rng)});
      }
    }
  }
  Node zero_beta = MakeNode("Gemm", 13);
  SetFloat(zero_beta, "beta", 0.0f);
  Compare(zero_beta, {RandomFloat({4, 3}, rng), RandomFloat({3, 5}, rng), RandomFloat({5}, rng)});
}

TEST_F(OpenClProviderTest, FusedMatMul) {
  std::mt19937 rng(4);
  for (const char* act : {"", "Relu", "Gelu", "Silu", "Clip"}) {
    Node n = ParallaxNode("FusedMatMul");
    if (*act) SetString(n, "activation", act);
    if (std::string(act) == "Clip") {
      SetFloat(n, "activation_min", -0.2f);
      SetFloat(n, "activation_max", 0.3f);
    }
    Compare(n, {RandomFloat({2, 3, 5, 8}, rng), RandomFloat({8, 6}, rng), RandomFloat({6}, rng)});
    Compare(n, {RandomFloat({17, 9}, rng), RandomFloat({9, 13}, rng)});  // no bias
  }
}

TEST_F(OpenClProviderTest, BinaryBroadcasting) {
  std::mt19937 rng(5);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 4, 5}, {3, 4, 5}}, {{3, 4, 5}, {5}}, {{3, 1, 5}, {4, 1}},
      {{}, {2, 3}},           {{1}, {1}},       {{2, 1, 3, 1, 2, 1}, {1, 4, 1, 3, 1, 5}},
      {{6, 1}, {1, 7}}};
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (const auto& [sa, sb] : shapes) {
      // Div: denominators away from zero.
      Compare(MakeNode(op, 14), {RandomFloat(sa, rng), RandomFloat(sb, rng, 0.5f, 2.0f)});
    }
  }
}

TEST_F(OpenClProviderTest, Unary) {
  std::mt19937 rng(6);
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "Erf"}) {
    Compare(MakeNode(op, 13), {RandomFloat({3, 7, 11}, rng, -6.f, 6.f)});
    Compare(MakeNode(op, 13), {RandomFloat({1}, rng, -6.f, 6.f)});
  }
  for (const char* op : {"Silu", "Gelu"}) {
    Compare(ParallaxNode(op), {RandomFloat({5, 33}, rng, -6.f, 6.f)});
  }
  Node gelu = MakeNode("Gelu", 20);
  Compare(gelu, {RandomFloat({4, 9}, rng, -6.f, 6.f)});
  SetString(gelu, "approximate", "tanh");
  Compare(gelu, {RandomFloat({4, 9}, rng, -6.f, 6.f)});
}

TEST_F(OpenClProviderTest, Softmax) {
  std::mt19937 rng(7);
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    for (int64_t axis : {-1, 0, 1}) {
      Node n = MakeNode(op, 13);
      SetInt(n, "axis", axis);
      Compare(n, {RandomFloat({3, 5, 7}, rng, -4.f, 4.f)});
    }
    Compare(MakeNode(op, 13), {RandomFloat({4, 300}, rng, -4.f, 4.f)});  // rows longer than a group
    Compare(MakeNode(op, 13), {RandomFloat({1}, rng)});
    Node old = MakeNode(op, 11);  // opset < 13: coerced to 2-D at axis 1
    Compare(old, {RandomFloat({2, 3, 4}, rng, -4.f, 4.f)});
  }
}

TEST_F(OpenClProviderTest, LayerNormalization) {
  std::mt19937 rng(8);
  Node last = MakeNode("LayerNormalization", 17);
  Compare(last, {RandomFloat({6, 40}, rng), RandomFloat({40}, rng), RandomFloat({40}, rng)});
  Compare(last, {RandomFloat({3, 2, 300}, rng), RandomFloat({300}, rng)});  // no bias, long rows
  Node axis1 = MakeNode("LayerNormalization", 17, 3);  // with Mean and InvStdDev
  SetInt(axis1, "axis", 1);
  SetFloat(axis1, "epsilon", 1e-3f);
  Compare(axis1,
          {RandomFloat({2, 3, 4, 5}, rng), RandomFloat({1, 4, 5}, rng), RandomFloat({5}, rng)});
  Node fused = ParallaxNode("LayerNormalization");
  Compare(fused, {RandomFloat({1, 1}, rng), RandomFloat({1}, rng), RandomFloat({1}, rng)});
}

TEST_F(OpenClProviderTest, ConcurrentRunsAreSerialised) {
  std::mt19937 rng(10);
  const Tensor a = RandomFloat({33, 20}, rng), b = RandomFloat({20, 17}, rng);
  auto ref = testing::RunKernel(MakeNode("MatMul"), {a, b});
  ASSERT_TRUE(ref.ok());
  std::vector<Tensor> outs;
  for (int t = 0; t < 4; ++t) {
    outs.push_back(Tensor::Allocate(DataType::kFloat32, {33, 17}).value());
  }
  std::vector<Status> status(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 10 && status[t].ok(); ++r) {
        status[t] = provider_->Run(MakeNode("MatMul"), {&a, &b}, {&outs[t]});
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    ASSERT_TRUE(status[t].ok()) << status[t].message();
    testing::ExpectClose(outs[t], (*ref)[0], 1e-4);
  }
}

TEST_F(OpenClProviderTest, Transpose) {
  std::mt19937 rng(10);
  const std::vector<std::pair<Shape, std::vector<int64_t>>> cases = {
      {{3, 4}, {1, 0}},          {{2, 3, 4}, {0, 2, 1}}, {{2, 3, 4, 5}, {0, 2, 1, 3}},
      {{2, 3, 4, 5}, {3, 1, 0, 2}}, {{1, 6, 1, 7}, {2, 0, 3, 1}}, {{2, 1, 2, 1, 2, 3}, {5, 4, 3, 2, 1, 0}}};
  for (const auto& [shape, perm] : cases) {
    SCOPED_TRACE(ShapeToString(shape));
    Node n = MakeNode("Transpose", 13);
    testing::SetInts(n, "perm", perm);
    Compare(n, {RandomFloat(shape, rng)});
  }
  Compare(MakeNode("Transpose", 13), {RandomFloat({3, 5, 2}, rng)});  // no perm: reversed axes
}

TEST_F(OpenClProviderTest, Concat) {
  std::mt19937 rng(11);
  for (int64_t axis : {0, 1, 2, -1}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    Node n = MakeNode("Concat", 13);
    SetInt(n, "axis", axis);
    const int64_t a = axis < 0 ? 2 : axis;
    Shape s1 = {2, 3, 4}, s2 = {2, 3, 4}, s3 = {2, 3, 4};
    s2[a] = 1;
    s3[a] = 5;
    Compare(n, {RandomFloat(s1, rng), RandomFloat(s2, rng), RandomFloat(s3, rng)});
  }
  Node n = MakeNode("Concat", 13);
  SetInt(n, "axis", 1);
  Compare(n, {RandomFloat({2, 3}, rng), RandomFloat({2, 0}, rng), RandomFloat({2, 2}, rng)});  // an empty input
  EXPECT_FALSE(provider_->Supports(n, Infos({RandomFloat({2, 3}, rng), RandomFloat({3, 3}, rng)})));
  Node bad = MakeNode("Transpose", 13);
  testing::SetInts(bad, "perm", {0, 0});
  EXPECT_FALSE(provider_->Supports(bad, Infos({RandomFloat({2, 3}, rng)})));
}

TEST_F(OpenClProviderTest, Slice) {
  std::mt19937 rng(12);
  struct Case {
    Shape shape;
    std::vector<int64_t> starts, ends, axes, steps;
  };
  const std::vector<Case> cases = {
      {{5, 6}, {1}, {4}, {}, {}},                      // leading axis
      {{4, 6, 8}, {0, 2}, {3, 100}, {0, 2}, {1, 3}},   // clamped end, step 3
      {{4, 6, 8}, {-1}, {-100}, {1}, {-2}},            // negative start and step
      {{2, 3, 16, 16}, {0, 1}, {16, 16}, {2, 3}, {2, 2}},  // YOLO-style space-to-depth slices
      {{7}, {6}, {0}, {0}, {-1}}};                     // reversal
  for (const Case& c : cases) {
    SCOPED_TRACE(ShapeToString(c.shape));
    std::vector<Tensor> ins = {RandomFloat(c.shape, rng), Int64Tensor({static_cast<int64_t>(c.starts.size())}, c.starts),
                               Int64Tensor({static_cast<int64_t>(c.ends.size())}, c.ends)};
    ins.push_back(c.axes.empty() ? Tensor() : Int64Tensor({static_cast<int64_t>(c.axes.size())}, c.axes));
    if (!c.steps.empty()) ins.push_back(Int64Tensor({static_cast<int64_t>(c.steps.size())}, c.steps));
    Compare(MakeNode("Slice", 13), ins);
  }
  // starts/ends unknown until run time: refused.
  const std::vector<Tensor> dyn = {RandomFloat({4, 4}, rng), Int64Tensor({1}, {1}), Int64Tensor({1}, {3})};
  EXPECT_FALSE(provider_->Supports(MakeNode("Slice", 13), Infos(dyn)));
  Node old = MakeNode("Slice", 9);  // attributes
  testing::SetInts(old, "starts", {1, 0});
  testing::SetInts(old, "ends", {3, 2});
  Compare(old, {RandomFloat({4, 5}, rng)});
}

// Conv and NhwcConv: the im2col + SGEMM path (one group) and the direct kernel (groups), with
// strides, dilations, pads, auto_pad, bias and fused activations.
TEST_F(OpenClProviderTest, ConvAndNhwcConv) {
  std::mt19937 rng(21);
  struct Case {
    int64_t n, c, h, w, m, k, stride, dilation, pad, group;
    const char* auto_pad;
    const char* act;
  };
  const std::vector<Case> cases = {
      {1, 3, 9, 11, 8, 3, 1, 1, 1, 1, "", ""},        {2, 4, 8, 8, 6, 3, 2, 1, 1, 1, "", "Silu"},
      {1, 5, 7, 6, 4, 1, 1, 1, 0, 1, "", "Relu"},     {1, 6, 10, 9, 6, 3, 1, 1, 1, 6, "", "Sigmoid"},
      {2, 4, 9, 9, 8, 3, 2, 2, 2, 2, "", ""},         {1, 3, 8, 7, 5, 3, 2, 1, 0, 1, "SAME_UPPER", ""},
      {1, 2, 5, 5, 3, 5, 1, 1, 2, 1, "", "HardSwish"}};
  for (const Case& k : cases) {
    for (bool nhwc : {false, true}) {
      Node node = nhwc ? ParallaxNode("NhwcConv") : MakeNode("Conv", 11);
      SetInts(node, "strides", {k.stride, k.stride});
      SetInts(node, "dilations", {k.dilation, k.dilation});
      SetInt(node, "group", k.group);
      if (*k.auto_pad) {
        SetString(node, "auto_pad", k.auto_pad);
      } else {
        SetInts(node, "pads", {k.pad, k.pad, k.pad, k.pad});
      }
      if (*k.act) SetString(node, "activation", k.act);
      const Shape x = nhwc ? Shape{k.n, k.h, k.w, k.c} : Shape{k.n, k.c, k.h, k.w};
      SCOPED_TRACE(std::string(nhwc ? "NHWC" : "NCHW") + " group " + std::to_string(k.group) + " " + k.act);
      Compare(node, {RandomFloat(x, rng), RandomFloat({k.m, k.c / k.group, k.k, k.k}, rng), RandomFloat({k.m}, rng)});
      if (k.group == 1) Compare(node, {RandomFloat(x, rng), RandomFloat({k.m, k.c, k.k, k.k}, rng)});  // no bias
    }
  }
}

TEST_F(OpenClProviderTest, Pooling) {
  std::mt19937 rng(22);
  struct Case {
    int64_t k, stride, pad, dilation, ceil;
  };
  for (const Case& k : std::vector<Case>{{5, 1, 2, 1, 0}, {3, 2, 1, 1, 0}, {2, 2, 0, 1, 1}, {3, 2, 1, 2, 1}}) {
    for (bool nhwc : {false, true}) {
      Node node = nhwc ? ParallaxNode("NhwcMaxPool") : MakeNode("MaxPool", 12);
      SetInts(node, "kernel_shape", {k.k, k.k});
      SetInts(node, "strides", {k.stride, k.stride});
      SetInts(node, "pads", {k.pad, k.pad, k.pad, k.pad});
      SetInts(node, "dilations", {k.dilation, k.dilation});
      SetInt(node, "ceil_mode", k.ceil);
      SCOPED_TRACE(std::string(nhwc ? "NHWC" : "NCHW") + " kernel " + std::to_string(k.k));
      Compare(node, {RandomFloat(nhwc ? Shape{2, 9, 11, 3} : Shape{2, 3, 9, 11}, rng)});
    }
  }
  for (int64_t include_pad : {0, 1}) {
    for (const Case& k : std::vector<Case>{{3, 1, 1, 1, 0}, {3, 2, 1, 1, 1}, {2, 2, 0, 1, 0}}) {
      Node node = MakeNode("AveragePool", 11);
      SetInts(node, "kernel_shape", {k.k, k.k});
      SetInts(node, "strides", {k.stride, k.stride});
      SetInts(node, "pads", {k.pad, k.pad, k.pad, k.pad});
      SetInt(node, "ceil_mode", k.ceil);
      SetInt(node, "count_include_pad", include_pad);
      SCOPED_TRACE("AveragePool kernel " + std::to_string(k.k) + " include_pad " + std::to_string(include_pad));
      Compare(node, {RandomFloat({2, 3, 9, 10}, rng)});
    }
  }
  // Dilations on AveragePool before opset 19, as the CPU kernel reads them.
  Node dilated = MakeNode("AveragePool", 11);
  SetInts(dilated, "kernel_shape", {2, 2});
  SetInts(dilated, "dilations", {2, 2});
  SetInts(dilated, "pads", {1, 1, 1, 1});
  SetInts(dilated, "strides", {3, 3});
  Compare(dilated, {RandomFloat({1, 2, 4, 4}, rng)});
  // A MaxPool window wholly in the padding gives the CPU kernel's lowest float, not -inf.
  for (bool nhwc : {false, true}) {
    Node empty = nhwc ? ParallaxNode("NhwcMaxPool") : MakeNode("MaxPool", 12);
    SetInts(empty, "kernel_shape", {1, 2});
    SetInts(empty, "dilations", {1, 3});
    SetInts(empty, "pads", {0, 4, 0, 0});
    Compare(empty, {RandomFloat(nhwc ? Shape{1, 2, 4, 3} : Shape{1, 3, 2, 4}, rng)});
  }
  Compare(MakeNode("GlobalAveragePool", 1), {RandomFloat({2, 5, 7, 6}, rng)});
  Compare(MakeNode("GlobalMaxPool", 1), {RandomFloat({2, 5, 7, 6}, rng)});
  // The Indices output stays on the CPU.
  Node with_indices = MakeNode("MaxPool", 12, 2);
  SetInts(with_indices, "kernel_shape", {2, 2});
  EXPECT_FALSE(provider_->Supports(with_indices, Infos({RandomFloat({1, 1, 4, 4}, rng)})));
}

// Resize: nearest (YOLO's 2x asymmetric floor and others), linear and cubic, up and down,
// scales or sizes; Upsample. The tables come from the CPU kernel; the sums are the device's.
TEST_F(OpenClProviderTest, Resize) {
  std::mt19937 rng(23);
  struct Case {
    const char* mode;
    const char* coord;
    const char* nearest;
    std::vector<float> scales;  // empty: sizes
    std::vector<int64_t> sizes;
  };
  const std::vector<Case> cases = {
      {"nearest", "asymmetric", "floor", {1, 1, 2, 2}, {}},
      {"nearest", "half_pixel", "round_prefer_floor", {1, 1, 1.5f, 0.75f}, {}},
      {"nearest", "align_corners", "round_prefer_ceil", {}, {2, 3, 7, 4}},
      {"linear", "half_pixel", "", {1, 1, 2, 2}, {}},
      {"linear", "align_corners", "", {}, {2, 3, 3, 11}},
      {"linear", "pytorch_half_pixel", "", {1, 1, 0.5f, 1.25f}, {}},
      {"cubic", "half_pixel", "", {1, 1, 1.5f, 2}, {}},
  };
  for (const Case& k : cases) {
    Node node = MakeNode("Resize", 13);
    SetString(node, "mode", k.mode);
    SetString(node, "coordinate_transformation_mode", k.coord);
    if (*k.nearest) SetString(node, "nearest_mode", k.nearest);
    SCOPED_TRACE(std::string(k.mode) + " " + k.coord);
    const Tensor x = RandomFloat({2, 3, 6, 5}, rng);
    if (!k.scales.empty()) {
      Compare(node, {x, Tensor(), FloatTensor({4}, k.scales)});
    } else {
      Compare(node, {x, Tensor(), Tensor(), Int64Tensor({4}, k.sizes)});
    }
  }
  // NHWC (the layout pass permutes the scales) and opset 10 (scales as input 1).
  Node nhwc = MakeNode("Resize", 13);
  SetString(nhwc, "coordinate_transformation_mode", "asymmetric");
  SetString(nhwc, "nearest_mode", "floor");
  Compare(nhwc, {RandomFloat({1, 4, 5, 8}, rng), Tensor(), FloatTensor({4}, {1, 2, 2, 1})});
  Compare(MakeNode("Resize", 10), {RandomFloat({1, 2, 3, 4}, rng), FloatTensor({4}, {1, 1, 2, 3})});
  // Scales known only at run time stay on the CPU.
  EXPECT_FALSE(provider_->Supports(MakeNode("Resize", 13),
                                   {ValueInfo{DataType::kFloat32, {1, 1, 2, 2}, nullptr}, ValueInfo{},
                                    ValueInfo{DataType::kFloat32, {4}, nullptr}}));
}

TEST_F(OpenClProviderTest, Split) {
  std::mt19937 rng(13);
  Node even = MakeNode("Split", 13, 3);
  testing::SetInt(even, "axis", 1);
  Compare(even, {RandomFloat({2, 6, 5}, rng)});
  Node sizes = MakeNode("Split", 13, 2);
  testing::SetInt(sizes, "axis", -1);
  Compare(sizes, {RandomFloat({3, 4, 7}, rng), Int64Tensor({2}, {2, 5})});
  Node old = MakeNode("Split", 11, 2);
  testing::SetInts(old, "split", {1, 3});
  Compare(old, {RandomFloat({4, 3}, rng)});
}

TEST_F(OpenClProviderTest, RefusesWhatItCannotRun) {
  std::mt19937 rng(9);
  const Tensor f = RandomFloat({2, 3}, rng);
  const Tensor i64 = Int64Tensor({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_FALSE(provider_->Supports(MakeNode("Add", 14), Infos({i64, i64})));
  EXPECT_FALSE(provider_->Supports(MakeNode("Add", 14), Infos({f, i64})));
  EXPECT_FALSE(
      provider_->Supports(MakeNode("Add", 6), Infos({f, f})));  // legacy broadcast attribute
  EXPECT_FALSE(provider_->Supports(MakeNode("Conv", 13), Infos({f, f})));  // 2-D X: not a 2-D conv
  EXPECT_FALSE(provider_->Supports(MakeNode("NoSuchOp", 13), Infos({f})));
  EXPECT_FALSE(provider_->Supports(MakeNode("Relu", 13), Infos({i64})));
  EXPECT_FALSE(provider_->Supports(MakeNode("MatMul"), Infos({f, f})));  // [2,3] x [2,3]
  EXPECT_FALSE(provider_->Supports(MakeNode("Add", 14), Infos({f, RandomFloat({4}, rng)})));
  EXPECT_FALSE(
      provider_->Supports(MakeNode("Relu", 13), {ValueInfo{DataType::kFloat32, {-1, 3}, nullptr}}));
  EXPECT_FALSE(
      provider_->Supports(MakeNode("Relu", 13), {ValueInfo{DataType::kFloat32, {0, 3}, nullptr}}));
  EXPECT_FALSE(
      provider_->Supports(MakeNode("Relu", 13), {ValueInfo{DataType::kFloat64, {2, 3}, nullptr}}));
  Node gelu = MakeNode("Gelu", 20);
  SetString(gelu, "approximate", "sigmoid");
  EXPECT_FALSE(provider_->Supports(gelu, Infos({f})));
  EXPECT_FALSE(provider_->Supports(MakeNode("Gelu", 17), Infos({f})));  // ai.onnx Gelu is opset 20
  Node softmax = MakeNode("Softmax", 13);
  SetInt(softmax, "axis", 2);
  EXPECT_FALSE(provider_->Supports(softmax, Infos({f})));
  Node ln = MakeNode("LayerNormalization", 17);
  SetInt(ln, "stash_type", 0);
  EXPECT_FALSE(provider_->Supports(ln, Infos({f, RandomFloat({3}, rng)})));
  Node fused = ParallaxNode("FusedMatMul");
  SetString(fused, "activation", "Mystery");
  EXPECT_FALSE(provider_->Supports(fused, Infos({f, RandomFloat({3, 4}, rng)})));

  // Run refuses the same, and checks the outputs it is given.
  Tensor out = Tensor::Allocate(DataType::kInt64, {2, 3}).value();
  Status st = provider_->Run(MakeNode("Add", 14), {&i64, &i64}, {&out});
  EXPECT_EQ(st.code(), StatusCode::kNotImplemented) << st.message();
  Tensor wrong = Tensor::Allocate(DataType::kFloat32, {3, 2}).value();
  st = provider_->Run(MakeNode("Relu", 13), {&f}, {&wrong});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.message();
  st = provider_->Run(MakeNode("Relu", 13), {&f}, {nullptr});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.message();
}

}  // namespace
}  // namespace parallax
