// Runs one registry kernel on concrete tensors, the way the executor does: infer, allocate,
// compute. Used by every kernel test.
//
//   Node n = MakeNode("Add");
//   auto out = RunKernel(n, {a, b});     // StatusOr<std::vector<Tensor>>
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kernels/kernel.h"
#include "kernels/registry.h"
#include "runtime/thread_pool.h"

namespace parallax::testing {

inline Node MakeNode(const std::string& op_type, int opset = 17, int num_outputs = 1) {
  Node n;
  n.op_type = op_type;
  n.name = op_type + "_test";
  n.opset = opset;
  n.outputs.assign(num_outputs, 0);
  return n;
}

inline void SetInt(Node& n, const std::string& k, int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  n.attrs[k] = a;
}
inline void SetFloat(Node& n, const std::string& k, float v) {
  Attribute a;
  a.kind = Attribute::Kind::kFloat;
  a.f = v;
  n.attrs[k] = a;
}
inline void SetInts(Node& n, const std::string& k, std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  n.attrs[k] = a;
}
inline void SetString(Node& n, const std::string& k, const std::string& v) {
  Attribute a;
  a.kind = Attribute::Kind::kString;
  a.s = v;
  n.attrs[k] = a;
}

inline ThreadPool& TestPool() {
  static ThreadPool pool(2);
  return pool;
}

// Runs `node` on `inputs` (an undefined Tensor marks an omitted optional input).
// Shape inference sees every input's contents, as at run time. `state` and `constant_inputs`
// (bit i: input i is a plan constant) are passed to the kernel as a plan step would; reuse one
// KernelState across calls to exercise what a kernel caches there.
inline StatusOr<std::vector<Tensor>> RunKernel(const Node& node, const std::vector<Tensor>& inputs,
                                               ThreadPool* pool = nullptr, KernelState* state = nullptr,
                                               uint64_t constant_inputs = 0) {
  const KernelDef* def = FindKernel(node.op_type, node.domain, node.opset);
  if (def == nullptr) return NotImplemented("no kernel for " + node.op_type);
  std::vector<ValueInfo> infos(inputs.size());
  InferContext ictx{node, {}, {}};
  ictx.outputs.resize(node.outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      ictx.inputs.push_back(nullptr);
      continue;
    }
    infos[i] = ValueInfo{inputs[i].dtype(), inputs[i].shape(), &inputs[i]};
    ictx.inputs.push_back(&infos[i]);
  }
  PX_RETURN_IF_ERROR(def->infer(ictx));
  std::vector<Tensor> outs;
  for (const ValueInfo& vi : ictx.outputs) {
    PX_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(vi.dtype, vi.shape));
    outs.push_back(std::move(t));
  }
  KernelContext kctx{node, {}, {}, pool ? pool : &TestPool(), state, constant_inputs};
  for (size_t i = 0; i < inputs.size(); ++i) kctx.inputs.push_back(inputs[i].defined() ? &inputs[i] : nullptr);
  for (Tensor& t : outs) kctx.outputs.push_back(&t);
  PX_RETURN_IF_ERROR(def->compute(kctx));
  return outs;
}

template <typename T>
Tensor MakeTensor(Shape shape, const std::vector<T>& values, DataType dtype) {
  Tensor t = Tensor::Allocate(dtype, std::move(shape)).value();
  for (size_t i = 0; i < values.size() && i < static_cast<size_t>(t.numel()); ++i) t.data<T>()[i] = values[i];
  return t;
}
inline Tensor FloatTensor(Shape shape, const std::vector<float>& v) { return MakeTensor<float>(std::move(shape), v, DataType::kFloat32); }
inline Tensor Int64Tensor(Shape shape, const std::vector<int64_t>& v) { return MakeTensor<int64_t>(std::move(shape), v, DataType::kInt64); }

// n floats uniform in [-1, 1) (the packed GEMM and convolution tests' raw operands).
inline std::vector<float> RandomVector(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

// Uniform random float tensor with a fixed-seed generator.
inline Tensor RandomFloat(Shape shape, std::mt19937& rng, float lo = -1.f, float hi = 1.f) {
  Tensor t = Tensor::Allocate(DataType::kFloat32, std::move(shape)).value();
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

// max |a-b| / max(1e-6, max |b|) <= tol, shapes equal.
inline void ExpectClose(const Tensor& a, const Tensor& b, double tol = 1e-5) {
  ASSERT_EQ(a.shape(), b.shape());
  ASSERT_EQ(a.dtype(), b.dtype());
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = a.data<float>()[i], y = b.data<float>()[i];
    max_diff = std::max(max_diff, std::fabs(x - y));
    max_ref = std::max(max_ref, std::fabs(y));
  }
  EXPECT_LE(max_diff / std::max(1e-6, max_ref), tol) << "max abs diff " << max_diff;
}

}  // namespace parallax::testing
