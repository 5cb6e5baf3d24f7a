// Builds small ONNX models in memory for tests (bad inputs, unknown ops, external data).
#pragma once

#include <onnx/onnx-ml.pb.h>

#include <string>
#include <vector>

namespace parallax::testing {

inline onnx::ModelProto SingleNodeModel(const std::string& op_type, int opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(opset);
  auto* g = m.mutable_graph();
  g->set_name("test");
  auto* n = g->add_node();
  n->set_op_type(op_type);
  n->set_name("node_0");
  n->add_input("x");
  n->add_output("y");
  for (const char* name : {"x", "y"}) {
    auto* vi = std::string(name) == "x" ? g->add_input() : g->add_output();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int d : {2, 3}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  return m;
}

inline std::string Serialize(const onnx::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

}  // namespace parallax::testing
