// Allocation-failure injection: make the n-th Tensor::Allocate fail, for every n over all the
// allocation points of a load + run, and check each gives an OutOfMemory Status (no crash; the
// ASan build also finds leaks on these error paths).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>

#include "core/npy.h"
#include "onnx/loader.h"
#include "onnx_builder.h"
#include "parallax/session.h"

namespace parallax {

// Test-only hooks defined in src/core/tensor.cc.
void SetAllocationFailureCountdownForTesting(int64_t n);
int64_t AllocationCountForTesting();

namespace {

// x[2,3] -> Add(x, 0.5) -> Relu -> MatMul(W[3,4]) -> Reshape([-1]) -> Sigmoid -> y[8], and
// NonZero(x) -> z (a run-time shaped output). W uses float_data and the Constants are folded by
// the loader, so loading allocates too; Shape -> Reshape folds at plan time.
std::string TinyModel() {
  auto m = testing::SingleNodeModel("Add");
  auto* g = m.mutable_graph();
  g->clear_node();
  g->clear_output();
  auto node = [&](const std::string& op, std::vector<std::string> in, std::string out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + out);
    for (auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  };
  auto* c = node("Constant", {}, "half");
  auto* a = c->add_attribute();
  a->set_name("value_float");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(0.5f);
  auto* s = node("Constant", {}, "flat");
  a = s->add_attribute();
  a->set_name("value_ints");
  a->set_type(onnx::AttributeProto::INTS);
  a->add_ints(-1);
  auto* w = g->add_initializer();
  w->set_name("W");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(3);
  w->add_dims(4);
  for (int i = 0; i < 12; ++i) w->add_float_data(0.1f * static_cast<float>(i) - 0.5f);
  node("Add", {"x", "half"}, "a");
  node("Relu", {"a"}, "r");
  node("MatMul", {"r", "W"}, "mm");
  node("Shape", {"mm"}, "shape");
  node("Reshape", {"mm", "shape"}, "mm2");
  node("Reshape", {"mm2", "flat"}, "flat_mm");
  node("Sigmoid", {"flat_mm"}, "y");
  node("NonZero", {"x"}, "z");
  g->add_output()->set_name("y");
  g->add_output()->set_name("z");
  return testing::Serialize(m);
}

Tensor Input() {
  Tensor x = Tensor::Allocate(DataType::kFloat32, {2, 3}).value();
  for (int i = 0; i < 6; ++i) x.data<float>()[i] = (i % 3 == 0) ? 0.f : static_cast<float>(i) - 2.f;
  return x;
}

// Loads and runs once; on success the outputs go to *outs.
Status LoadAndRun(const std::function<StatusOr<std::unique_ptr<Session>>()>& load,
                  const NamedTensors& feeds, NamedTensors* outs) {
  PX_ASSIGN_OR_RETURN(auto session, load());
  PX_ASSIGN_OR_RETURN(*outs, session->Run(feeds));
  return Status::Ok();
}

bool SameOutputs(const NamedTensors& a, const NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const Tensor& x = a[i].second;
    const Tensor& y = b[i].second;
    if (x.dtype() != y.dtype() || x.shape() != y.shape() ||
        std::memcmp(x.raw(), y.raw(), x.nbytes()) != 0) {
      return false;
    }
  }
  return true;
}

// Counts the allocations of one clean load + run, then fails each of them in turn.
void SweepAllocationFailures(const std::function<StatusOr<std::unique_ptr<Session>>()>& load,
                             const NamedTensors& feeds) {
  SetAllocationFailureCountdownForTesting(0);
  NamedTensors reference;
  const int64_t before = AllocationCountForTesting();
  Status st = LoadAndRun(load, feeds, &reference);
  ASSERT_TRUE(st.ok()) << st.message();
  const int64_t count = AllocationCountForTesting() - before;
  ASSERT_GT(count, 0);
  std::printf("sweeping %lld Tensor::Allocate calls\n", static_cast<long long>(count));
  for (int64_t n = 1; n <= count; ++n) {
    SetAllocationFailureCountdownForTesting(n);
    NamedTensors outs;
    st = LoadAndRun(load, feeds, &outs);
    SetAllocationFailureCountdownForTesting(0);
    EXPECT_FALSE(st.ok()) << "allocation " << n << " of " << count << " failed but load + run succeeded"
                          << (SameOutputs(outs, reference) ? " (outputs correct)" : " (WRONG outputs)");
    if (!st.ok()) {
      EXPECT_EQ(st.code(), StatusCode::kOutOfMemory) << "allocation " << n << ": " << st.message();
      EXPECT_NE(st.message().find("injected for testing"), std::string::npos) << st.message();
    }
  }
  // And everything works again afterwards.
  NamedTensors outs;
  st = LoadAndRun(load, feeds, &outs);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(SameOutputs(outs, reference));
}

SessionOptions OneThread() {
  SessionOptions o;
  o.threads = 1;
  return o;
}

TEST(AllocationFailure, EveryAllocationOfATinyModelFailsCleanly) {
  const std::string bytes = TinyModel();
  SweepAllocationFailures([&] { return Session::LoadFromBytes(bytes.data(), bytes.size(), OneThread()); },
                          {{"x", Input()}});
}

TEST(AllocationFailure, EveryAllocationOfDistilBertTinyFailsCleanly) {
  const auto dir = std::filesystem::path(PARALLAX_SOURCE_DIR) / "tests/models/distilbert_tiny";
  auto ids = ReadNpyFile((dir / "inputs/input_ids.npy").string()).value();
  auto mask = ReadNpyFile((dir / "inputs/attention_mask.npy").string()).value();
  const std::string path = (dir / "model.onnx").string();
  SweepAllocationFailures([&] { return Session::Load(path, OneThread()); },
                          {{"input_ids", ids}, {"attention_mask", mask}});
}

TEST(AllocationFailure, NpyAndTensorProtoReadersFailCleanly) {
  Tensor t = Input();
  const std::string npy = WriteNpy(t);
  SetAllocationFailureCountdownForTesting(1);
  auto r = ReadNpy(npy);
  SetAllocationFailureCountdownForTesting(0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfMemory);
  onnx::TensorProto tp;
  tp.set_data_type(onnx::TensorProto::FLOAT);
  tp.add_dims(2);
  tp.add_float_data(1.f);
  tp.add_float_data(2.f);
  std::string bytes;
  tp.SerializeToString(&bytes);
  SetAllocationFailureCountdownForTesting(1);
  auto p = LoadTensorProto(bytes.data(), bytes.size());
  SetAllocationFailureCountdownForTesting(0);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kOutOfMemory);
}

}  // namespace
}  // namespace parallax
