// The parallel executor end to end: every tiny model and hundreds of random DAG models give
// bitwise the sequential mode's outputs; plans pass both overlap checkers; memory budgets are
// honoured (the measured arena and branch-slab use never exceed them) or refused clearly.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "core/npy.h"
#include "ir/passes/passes.h"
#include "onnx/loader.h"
#include "onnx_builder.h"
#include "parallax/session.h"
#include "runtime/plan.h"
#include "runtime/thread_pool.h"
#include "zoo_fixtures.h"

namespace parallax {
namespace {

namespace fs = std::filesystem;
using testing::kModels;
using testing::ModelNames;
using testing::ReadInputs;

void ExpectBitwiseEqual(const NamedTensors& a, const NamedTensors& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].second.shape(), b[i].second.shape()) << what << " " << a[i].first;
    ASSERT_EQ(a[i].second.nbytes(), b[i].second.nbytes());
    EXPECT_EQ(std::memcmp(a[i].second.raw(), b[i].second.raw(), a[i].second.nbytes()), 0)
        << what << ": output '" << a[i].first << "' differs from sequential mode";
  }
}

std::unique_ptr<Session> Open(const std::string& bytes_or_path, bool from_bytes, SessionOptions o) {
  auto s = from_bytes ? Session::LoadFromBytes(bytes_or_path.data(), bytes_or_path.size(), o)
                      : Session::Load(bytes_or_path, o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

class TinyModelParallel : public ::testing::TestWithParam<std::string> {};

TEST_P(TinyModelParallel, ParallelIsBitwiseSequential) {
  const fs::path dir = kModels / GetParam();
  const NamedTensors feeds = ReadInputs(dir);
  for (int threads : {2, 3}) {
    SessionOptions seq;
    seq.threads = threads;
    seq.mode = ExecutionMode::kSequential;
    auto s = Open((dir / "model.onnx").string(), false, seq);
    ASSERT_TRUE(s);
    auto want = s->Run(feeds);
    ASSERT_TRUE(want.ok()) << want.status().message();
    for (bool all : {false, true}) {
      SessionOptions par = seq;
      par.mode = ExecutionMode::kParallel;
      par.all_branches_concurrent = all;
      auto p = Open((dir / "model.onnx").string(), false, par);
      ASSERT_TRUE(p);
      RunStats rs;
      for (int rep = 0; rep < 2; ++rep) {
        auto got = p->Run(feeds, &rs);
        ASSERT_TRUE(got.ok()) << got.status().message();
        ExpectBitwiseEqual(*want, *got, GetParam() + " threads " + std::to_string(threads));
      }
      auto stats = p->Plan(feeds).value();
      if (all) {
        EXPECT_GT(stats.concurrent_layers, 0u) << "every tiny model has a multi-branch layer";
        EXPECT_GT(rs.concurrent_waves, 0);
        EXPECT_EQ(rs.mode, ExecutionMode::kParallel);
      }
    }
  }
}

TEST_P(TinyModelParallel, PlansPassTheOverlapCheckers) {
  const fs::path dir = kModels / GetParam();
  auto model = LoadModelFile((dir / "model.onnx").string());
  ASSERT_TRUE(model.ok()) << model.status().message();
  Graph& g = *model->graph;
  ASSERT_TRUE(MakeImplicitInputsExplicit(&g).ok());
  ASSERT_TRUE(OptimizeGraph(&g).ok());
  const NamedTensors feeds = ReadInputs(dir);
  std::vector<ValueInfo> infos;
  for (ValueId v : g.inputs) {
    for (const auto& [name, t] : feeds) {
      if (name == g.values[v].name) infos.push_back({t.dtype(), t.shape(), nullptr});
    }
  }
  ASSERT_EQ(infos.size(), g.inputs.size());
  ThreadPool pool(1);
  for (BranchPolicy policy : {BranchPolicy::kAuto, BranchPolicy::kAll}) {
    for (int threads : {2, 4, 8}) {
      PlanOptions po{true, threads, policy, CostParams{}};
      auto plan = BuildPlan(g, infos, po);
      ASSERT_TRUE(plan.ok()) << plan.status().message();
      EXPECT_EQ(CheckMemoryPlan((*plan)->buffers, (*plan)->memory), "");
      const ParallelPlan& pp = *(*plan)->parallel;
      EXPECT_EQ(CheckBranchMemoryPlan(pp.buffers, pp.memory), "");
      EXPECT_EQ(pp.memory.order.size(), (*plan)->steps.size());
      EXPECT_GE(pp.partition.work_ms, pp.partition.critical_path_ms);
    }
  }
}

TEST_P(TinyModelParallel, BudgetAtTheSequentialPeakRunsAndBelowItFailsClearly) {
  const fs::path dir = kModels / GetParam();
  const NamedTensors feeds = ReadInputs(dir);
  SessionOptions o;
  o.threads = 2;
  o.all_branches_concurrent = true;
  auto probe = Open((dir / "model.onnx").string(), false, o);
  ASSERT_TRUE(probe);
  const PlanStats stats = probe->Plan(feeds).value();
  auto want = probe->Run(feeds).value();

  o.memory_budget = stats.sequential_arena_bytes;
  auto s = Open((dir / "model.onnx").string(), false, o);
  RunStats rs;
  auto got = s->Run(feeds, &rs);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ExpectBitwiseEqual(want, *got, GetParam() + " at the sequential budget");
  EXPECT_LE(rs.arena_bytes, o.memory_budget);

  o.memory_budget = std::min(stats.sequential_arena_bytes, stats.parallel_min_arena_bytes) - 1;
  s = Open((dir / "model.onnx").string(), false, o);
  auto bad = s->Run(feeds, &rs);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kOutOfMemory);
  EXPECT_NE(bad.status().message().find("branch"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("needs"), std::string::npos) << bad.status().message();
}

INSTANTIATE_TEST_SUITE_P(Zoo, TinyModelParallel, ::testing::ValuesIn(ModelNames()));

// A random DAG model over float[4, 8] values: unary and binary elementwise ops, MatMuls with
// weights or with activations, and Concat + MatMul pairs, reading random earlier values (so
// fan-out and fan-in are random). Every value nobody reads is a graph output.
std::string RandomDagModel(std::mt19937* rng, int nodes) {
  onnx::ModelProto m = testing::NewModel("random_dag");
  auto* g = m.mutable_graph();
  testing::SetFloatValueInfo(g->add_input(), "x", {4, 8});
  std::vector<std::string> values = {"x"};
  std::vector<int> readers = {0};
  std::uniform_real_distribution<float> w(-0.5f, 0.5f);
  auto weight = [&](const std::string& name, int rows) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(rows);
    t->add_dims(8);
    for (int i = 0; i < rows * 8; ++i) t->add_float_data(w(*rng));
  };
  auto pick = [&]() {
    // Prefer recent values (long chains) but reach back often enough for wide fan-out.
    size_t n = values.size();
    size_t i = (*rng)() % 3 == 0 ? (*rng)() % n : n - 1 - (*rng)() % std::min<size_t>(n, 3);
    ++readers[i];
    return values[i];
  };
  // Inner values (shapes other than [4, 8]) are read once by the next node and never picked.
  auto node = [&](const std::string& op, std::vector<std::string> in, const std::string& out,
                  bool inner = false) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(out + "_node");
    for (auto& s : in) n->add_input(s);
    n->add_output(out);
    if (!inner) {
      values.push_back(out);
      readers.push_back(0);
    }
    return n;
  };
  static const char* kUnary[] = {"Relu", "Sigmoid", "Tanh", "Neg", "Abs", "Exp"};
  static const char* kBinary[] = {"Add", "Mul", "Sub", "Max"};
  for (int i = 0; i < nodes; ++i) {
    const std::string out = "v" + std::to_string(i), wname = "w" + std::to_string(i);
    switch ((*rng)() % 5) {
      case 0: {  // (argument evaluation order is unspecified: draw in statements)
        const char* op = kUnary[(*rng)() % 6];
        node(op, {pick()}, out);
        break;
      }
      case 1: {
        const char* op = kBinary[(*rng)() % 4];
        node(op, {pick(), pick()}, out);
        break;
      }
      case 2:
        weight(wname, 8);
        node("MatMul", {pick(), wname}, out);
        break;
      case 3: {  // activations × activations: [4, 8] × [8, 4] -> [4, 4], then × w[4, 8]
        node("Transpose", {pick()}, out + "_t", true);
        node("MatMul", {pick(), out + "_t"}, out + "_aa", true);
        auto* tw = g->add_initializer();
        tw->set_name(wname);
        tw->set_data_type(onnx::TensorProto::FLOAT);
        tw->add_dims(4);
        tw->add_dims(8);
        for (int k = 0; k < 32; ++k) tw->add_float_data(w(*rng));
        node("MatMul", {out + "_aa", wname}, out);
        break;
      }
      default: {
        const std::string a = pick(), b = pick();
        auto* c = node("Concat", {a, b}, out + "_cat", true);
        auto* axis = c->add_attribute();
        axis->set_name("axis");
        axis->set_type(onnx::AttributeProto::INT);
        axis->set_i(1);
        weight(wname, 16);
        node("MatMul", {out + "_cat", wname}, out);
        break;
      }
    }
  }
  // Everything nobody reads is a graph output.
  for (size_t i = 1; i < values.size(); ++i) {
    if (readers[i] == 0) testing::SetFloatValueInfo(g->add_output(), values[i], {});
  }
  if (g->output_size() == 0) testing::SetFloatValueInfo(g->add_output(), values.back(), {});
  return testing::Serialize(m);
}

TEST(ParallelStress, RandomDagsMatchSequentialUnderRandomBudgets) {
  std::mt19937 rng(20261126);
  Tensor x = Tensor::Allocate(DataType::kFloat32, {4, 8}).value();
  for (int i = 0; i < 32; ++i) x.data<float>()[i] = std::sin(0.7f * i);
  int held_back = 0, fell_back = 0, refused = 0, concurrent = 0;
  const int kGraphs = 200;
  for (int trial = 0; trial < kGraphs; ++trial) {
    const std::string bytes = RandomDagModel(&rng, 5 + static_cast<int>(rng() % 40));
    const std::string what = "graph " + std::to_string(trial);
    const int threads = 2 + static_cast<int>(rng() % 3);
    SessionOptions seq;
    seq.threads = threads;
    seq.mode = ExecutionMode::kSequential;
    auto s = Open(bytes, true, seq);
    ASSERT_TRUE(s) << what;
    auto want = s->Run({{"x", x}});
    ASSERT_TRUE(want.ok()) << what << ": " << want.status().message();

    SessionOptions par = seq;
    par.mode = ExecutionMode::kParallel;
    par.all_branches_concurrent = true;
    auto p = Open(bytes, true, par);
    const PlanStats st = p->Plan({{"x", x}}).value();
    // A budget anywhere from below the smallest plan to above the full parallel peak.
    const size_t lo = std::min(st.sequential_arena_bytes, st.parallel_min_arena_bytes);
    const size_t hi = std::max(st.parallel_arena_bytes, st.sequential_arena_bytes);
    par.memory_budget = rng() % 5 == 0 ? lo / 2 + rng() % (lo - lo / 2)
                                       : lo + rng() % (hi + hi / 4 - lo + 1);
    p = Open(bytes, true, par);
    RunStats rs;
    auto got = p->Run({{"x", x}}, &rs);
    if (par.memory_budget < lo) {
      ASSERT_FALSE(got.ok()) << what << ": ran with " << rs.arena_bytes << " bytes, budget " << par.memory_budget;
      EXPECT_EQ(got.status().code(), StatusCode::kOutOfMemory);
      ++refused;
      continue;
    }
    ASSERT_TRUE(got.ok()) << what << ": " << got.status().message();
    ExpectBitwiseEqual(*want, *got, what);
    EXPECT_LE(rs.arena_bytes, par.memory_budget) << what;
    // Measured: the highest arena byte any wave used stays inside the arena, inside the budget.
    EXPECT_LE(rs.peak_arena_bytes_used, rs.arena_bytes) << what;
    if (rs.mode == ExecutionMode::kParallel) concurrent += rs.concurrent_waves > 0;
    held_back += rs.branches_held_back > 0;
    fell_back += rs.parallel_fell_back;
  }
  // The budgets must have exercised every path.
  EXPECT_GT(concurrent, kGraphs / 4);
  EXPECT_GT(held_back, 0);
  EXPECT_GT(refused, 0);
  std::printf("random DAGs: %d concurrent, %d with branches held back, %d fell back to sequential, "
              "%d refused\n", concurrent, held_back, fell_back, refused);
}

}  // namespace
}  // namespace parallax
