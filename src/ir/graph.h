// The compact graph IR: nodes and values addressed by integer ids.
//
//   Graph g;                         // built by onnx/loader.cc or by hand in tests
//   ValueId x = g.AddValue("x");
//   NodeId n = g.AddNode("Relu", "relu_1", {x}, {g.AddValue("y")});
//   for (NodeId id : g.TopologicalOrder().value()) ...
//
// A node input id of kNoValue marks an omitted optional input ("" in ONNX).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "parallax/status.h"
#include "parallax/tensor.h"

namespace parallax {

using NodeId = int32_t;
using ValueId = int32_t;
inline constexpr ValueId kNoValue = -1;

struct Graph;

struct Attribute {
  enum class Kind { kFloat, kInt, kString, kTensor, kGraph, kFloats, kInts, kStrings };
  Kind kind = Kind::kInt;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;    // "" for the default ONNX domain
  int opset = 0;         // opset version of `domain` imported by the model
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  std::map<std::string, Attribute> attrs;

  const Attribute* attr(const std::string& key) const {
    auto it = attrs.find(key);
    return it == attrs.end() ? nullptr : &it->second;
  }
  int64_t GetInt(const std::string& key, int64_t def) const;
  float GetFloat(const std::string& key, float def) const;
  std::string GetString(const std::string& key, const std::string& def) const;
  std::vector<int64_t> GetInts(const std::string& key) const;  // empty when absent
  std::vector<float> GetFloats(const std::string& key) const;
  // "Relu node 'relu_1': " — the prefix of every error about this node.
  std::string Describe() const;
};

struct Value {
  std::string name;
  DataType dtype = DataType::kUndefined;  // declared type, when the file gives one
  std::optional<Shape> shape;             // declared shape; dims < 0 are symbolic/unknown
  std::vector<std::string> dim_names;     // symbolic names, parallel to shape
  NodeId producer = -1;
  std::vector<NodeId> consumers;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;
  std::vector<Value> values;
  std::vector<ValueId> inputs;    // graph inputs that are not initializers
  std::vector<ValueId> outputs;
  std::unordered_map<ValueId, Tensor> initializers;
  // Initializers replaced by a kernel's packed form (runtime/prepack.h): the Tensor above then
  // keeps the shape and dtype but its data is the packed layout, which only the consuming
  // kernels, given this object through their KernelState, may read.
  std::unordered_map<ValueId, std::shared_ptr<void>> prepacked;
  std::map<std::string, int> opsets;  // domain → version
  // Names visible from enclosing graphs (for If/Loop bodies): name → outer value.
  std::unordered_map<std::string, ValueId> outer_refs;

  ValueId AddValue(const std::string& name);
  NodeId AddNode(const std::string& op_type, const std::string& name, std::vector<ValueId> in,
                 std::vector<ValueId> out);
  ValueId Find(const std::string& name) const;  // kNoValue if absent
  // Recomputes producer/consumer links; fails on a value with two producers.
  Status Link();
  // live[n]: node n's outputs reach a graph output (directly, or through the outer values a
  // subgraph of a live node reads). Needs current links (Link()).
  std::vector<bool> LiveNodes() const;
  // Kahn order over nodes; fails with the names of nodes on a cycle.
  StatusOr<std::vector<NodeId>> TopologicalOrder() const;

 private:
  std::unordered_map<std::string, ValueId> by_name_;
};

}  // namespace parallax
