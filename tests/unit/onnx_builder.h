// Builds small ONNX models in memory for tests (bad inputs, unknown ops, external data).
#pragma once

#include <onnx/onnx-ml.pb.h>

#include <string>
#include <vector>

namespace parallax::testing {

// An empty model: IR 8, the default domain at `opset`, a graph called `name`.
inline onnx::ModelProto NewModel(const std::string& name, int opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(opset);
  m.mutable_graph()->set_name(name);
  return m;
}

// `vi` becomes a float32 tensor `name` of static shape `dims`.
inline void SetFloatValueInfo(onnx::ValueInfoProto* vi, const std::string& name, const std::vector<int64_t>& dims) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

// A float32 initializer (values.size() must match dims).
inline onnx::TensorProto* AddFloatInitializer(onnx::GraphProto* g, const std::string& name,
                                              const std::vector<int64_t>& dims, const std::vector<float>& values) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
  return t;
}

inline onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& op, const std::string& name,
                                const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const std::string& in : inputs) n->add_input(in);
  for (const std::string& out : outputs) n->add_output(out);
  return n;
}

inline onnx::ModelProto SingleNodeModel(const std::string& op_type, int opset = 17) {
  onnx::ModelProto m = NewModel("test", opset);
  auto* g = m.mutable_graph();
  AddNode(g, op_type, "node_0", {"x"}, {"y"});
  SetFloatValueInfo(g->add_input(), "x", {2, 3});
  SetFloatValueInfo(g->add_output(), "y", {2, 3});
  return m;
}

inline std::string Serialize(const onnx::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

}  // namespace parallax::testing
