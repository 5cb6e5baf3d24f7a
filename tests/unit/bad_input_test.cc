// Bad input gets a clear Status, never a crash: one test per case of the foundation issue.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "onnx_builder.h"
#include "parallax/session.h"

namespace parallax {
namespace {

using testing::Serialize;
using testing::SingleNodeModel;

Tensor Floats(Shape s) { return Tensor::Allocate(DataType::kFloat32, std::move(s)).value(); }

TEST(BadInput, TruncatedModelFile) {
  std::string bytes = Serialize(SingleNodeModel("Relu"));
  auto s = Session::LoadFromBytes(bytes.data(), bytes.size() / 2);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("truncated or corrupt"), std::string::npos) << s.status().message();
}

TEST(BadInput, NotAnOnnxFile) {
  std::string bytes = "this is a text file, not a model\n";
  auto s = Session::LoadFromBytes(bytes.data(), bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
}

TEST(BadInput, MissingFile) {
  auto s = Session::Load("/nonexistent/model.onnx");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
}

TEST(BadInput, UnknownOpNamesOpAndNode) {
  std::string bytes = Serialize(SingleNodeModel("FrobnicateTensor"));
  auto s = Session::LoadFromBytes(bytes.data(), bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotImplemented);
  EXPECT_NE(s.status().message().find("FrobnicateTensor"), std::string::npos);
  EXPECT_NE(s.status().message().find("'node_0'"), std::string::npos) << s.status().message();
}

class RunErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string bytes = Serialize(SingleNodeModel("Relu"));
    auto s = Session::LoadFromBytes(bytes.data(), bytes.size());
    ASSERT_TRUE(s.ok()) << s.status().message();
    session_ = std::move(s).value();
  }
  std::string RunError(const NamedTensors& in) {
    auto r = session_->Run(in);
    EXPECT_FALSE(r.ok());
    return r.ok() ? "" : r.status().message();
  }
  std::unique_ptr<Session> session_;
};

TEST_F(RunErrors, CorrectInputRuns) {
  auto r = session_->Run({{"x", Floats({2, 3})}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].second.shape(), (Shape{2, 3}));
}

TEST_F(RunErrors, WrongName) {
  EXPECT_NE(RunError({{"nope", Floats({2, 3})}}).find("unknown input 'nope'"), std::string::npos);
}

TEST_F(RunErrors, WrongRank) {
  EXPECT_NE(RunError({{"x", Floats({6})}}).find("expected shape [2,3]"), std::string::npos);
}

TEST_F(RunErrors, WrongShape) {
  EXPECT_NE(RunError({{"x", Floats({2, 4})}}).find("got [2,4]"), std::string::npos);
}

TEST_F(RunErrors, WrongDtype) {
  auto t = Tensor::Allocate(DataType::kInt64, {2, 3}).value();
  EXPECT_NE(RunError({{"x", t}}).find("expected dtype float32, got int64"), std::string::npos);
}

TEST_F(RunErrors, MissingInput) {
  EXPECT_NE(RunError({}).find("missing input 'x'"), std::string::npos);
}

onnx::ModelProto ExternalDataModel(const std::string& location) {
  auto m = SingleNodeModel("Add");
  auto* g = m.mutable_graph();
  g->mutable_node(0)->add_input("w");
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(3);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = w->add_external_data();
  kv->set_key("location");
  kv->set_value(location);
  return m;
}

TEST(BadInput, MissingExternalDataFile) {
  auto dir = std::filesystem::temp_directory_path() / "parallax_ext_test";
  std::filesystem::create_directories(dir);
  std::string path = (dir / "model.onnx").string();
  std::ofstream(path, std::ios::binary) << Serialize(ExternalDataModel("weights.bin"));
  auto s = Session::Load(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("external data 'weights.bin'"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("not found"), std::string::npos) << s.status().message();
}

TEST(BadInput, ExternalDataOutsideTheModelFolderIsRefused) {
  auto dir = std::filesystem::temp_directory_path() / "parallax_ext_test";
  std::filesystem::create_directories(dir);
  std::string path = (dir / "escape.onnx").string();
  std::ofstream(path, std::ios::binary) << Serialize(ExternalDataModel("../../etc/passwd"));
  auto s = Session::Load(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("outside the model's folder"), std::string::npos) << s.status().message();
}

TEST(BadInput, ExternalDataIsRead) {
  auto dir = std::filesystem::temp_directory_path() / "parallax_ext_test";
  std::filesystem::create_directories(dir);
  const float w[3] = {1.f, 2.f, 3.f};
  std::ofstream(dir / "w.bin", std::ios::binary).write(reinterpret_cast<const char*>(w), sizeof w);
  std::string path = (dir / "good.onnx").string();
  std::ofstream(path, std::ios::binary) << Serialize(ExternalDataModel("w.bin"));
  auto s = Session::Load(path);
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto r = (*s)->Run({{"x", Floats({2, 3})}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)[0].second.data<float>()[5], 3.f);
}

TEST(BadInput, InitializerShorterThanDeclared) {
  auto m = SingleNodeModel("Add");
  auto* g = m.mutable_graph();
  g->mutable_node(0)->add_input("w");
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(1000000);
  w->set_raw_data(std::string(8, '\0'));
  std::string bytes = Serialize(m);
  auto s = Session::LoadFromBytes(bytes.data(), bytes.size());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("needs 4000000 bytes"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace parallax
