// Helpers for tests that build graphs by hand and run them through a plan: random and scalar
// float tensors, initializers, attributes, and one sequential run of a graph (its memory plan
// checked).
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/plan.h"
#include "runtime/thread_pool.h"

namespace parallax::testing {

inline Attribute Ints(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}

inline Attribute Int(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}

inline Attribute Str(std::string v) {
  Attribute a;
  a.kind = Attribute::Kind::kString;
  a.s = std::move(v);
  return a;
}

inline Tensor Random(Shape s, uint32_t seed, float lo = -2.f, float hi = 2.f) {
  Tensor t = Tensor::Allocate(DataType::kFloat32, std::move(s)).value();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

inline Tensor Scalar(float v) {
  Tensor t = Tensor::Allocate(DataType::kFloat32, {}).value();
  *t.data<float>() = v;
  return t;
}

inline ValueId Const(Graph& g, const std::string& name, Tensor t) {
  ValueId v = g.AddValue(name);
  g.initializers[v] = std::move(t);
  return v;
}

// Plans `g` for these inputs on a 2-thread pool and runs it sequentially; empty on failure
// (reported as a test failure).
inline std::vector<Tensor> RunGraph(const Graph& g, const std::vector<Tensor>& inputs) {
  static ThreadPool pool(2);
  std::vector<ValueInfo> infos;
  for (const Tensor& t : inputs) infos.push_back({t.dtype(), t.shape(), nullptr});
  auto plan = BuildPlan(g, infos);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  if (!plan.ok()) return {};
  EXPECT_EQ(CheckMemoryPlan((*plan)->buffers, (*plan)->memory), "");
  std::vector<uint8_t> arena((*plan)->arena_bytes + 64);
  std::vector<Tensor> outs;
  ExecContext ctx;
  ctx.pool = &pool;
  ctx.arena = arena.data();
  Status st = Execute(g, **plan, inputs, ctx, &outs);
  EXPECT_TRUE(st.ok()) << st.message();
  return outs;
}

}  // namespace parallax::testing
