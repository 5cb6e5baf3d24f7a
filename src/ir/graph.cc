#include "ir/graph.h"

#include <deque>

namespace parallax {

int64_t Node::GetInt(const std::string& key, int64_t def) const {
  const Attribute* a = attr(key);
  return a && a->kind == Attribute::Kind::kInt ? a->i : def;
}

float Node::GetFloat(const std::string& key, float def) const {
  const Attribute* a = attr(key);
  if (!a) return def;
  if (a->kind == Attribute::Kind::kFloat) return a->f;
  if (a->kind == Attribute::Kind::kInt) return static_cast<float>(a->i);
  return def;
}

std::string Node::GetString(const std::string& key, const std::string& def) const {
  const Attribute* a = attr(key);
  return a && a->kind == Attribute::Kind::kString ? a->s : def;
}

std::vector<int64_t> Node::GetInts(const std::string& key) const {
  const Attribute* a = attr(key);
  if (!a) return {};
  if (a->kind == Attribute::Kind::kInt) return {a->i};
  return a->ints;
}

std::vector<float> Node::GetFloats(const std::string& key) const {
  const Attribute* a = attr(key);
  if (!a) return {};
  if (a->kind == Attribute::Kind::kFloat) return {a->f};
  return a->floats;
}

std::string Node::Describe() const { return op_type + " node '" + name + "': "; }

ValueId Graph::AddValue(const std::string& name) {
  if (!name.empty()) {
    auto it = by_name_.find(name);
    if (it != by_name_.end()) return it->second;
  }
  ValueId id = static_cast<ValueId>(values.size());
  values.push_back(Value{});
  values.back().name = name;
  if (!name.empty()) by_name_[name] = id;
  return id;
}

NodeId Graph::AddNode(const std::string& op_type, const std::string& name, std::vector<ValueId> in,
                      std::vector<ValueId> out) {
  Node n;
  n.op_type = op_type;
  n.name = name;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  nodes.push_back(std::move(n));
  return static_cast<NodeId>(nodes.size() - 1);
}

ValueId Graph::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? kNoValue : it->second;
}

Status Graph::Link() {
  for (Value& v : values) {
    v.producer = -1;
    v.consumers.clear();
  }
  for (NodeId n = 0; n < static_cast<NodeId>(nodes.size()); ++n) {
    for (ValueId v : nodes[n].outputs) {
      if (v == kNoValue) continue;
      if (values[v].producer != -1) {
        return InvalidArgument(nodes[n].Describe() + "output '" + values[v].name +
                               "' is already produced by node '" +
                               nodes[values[v].producer].name + "'");
      }
      if (initializers.count(v)) {
        return InvalidArgument(nodes[n].Describe() + "output '" + values[v].name +
                               "' has the name of an initializer");
      }
      values[v].producer = n;
    }
    for (ValueId v : nodes[n].inputs) {
      if (v != kNoValue) values[v].consumers.push_back(n);
    }
  }
  return Status::Ok();
}

std::vector<bool> Graph::LiveNodes() const {
  std::vector<bool> live(nodes.size(), false), seen(values.size(), false);
  std::vector<ValueId> stack(outputs.begin(), outputs.end());
  while (!stack.empty()) {
    ValueId v = stack.back();
    stack.pop_back();
    if (v == kNoValue || seen[v]) continue;
    seen[v] = true;
    NodeId p = values[v].producer;
    if (p < 0 || live[p]) continue;
    live[p] = true;
    for (ValueId in : nodes[p].inputs) stack.push_back(in);
    // Subgraph bodies read outer values by name; keep those alive too.
    for (const auto& [key, attr] : nodes[p].attrs) {
      if (!attr.g) continue;
      for (const auto& [name, inner] : attr.g->outer_refs) stack.push_back(Find(name));
    }
  }
  return live;
}

StatusOr<std::vector<NodeId>> Graph::TopologicalOrder() const {
  const size_t n = nodes.size();
  std::vector<int> pending(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (ValueId v : nodes[i].inputs) {
      if (v != kNoValue && values[v].producer >= 0) ++pending[i];
    }
  }
  std::deque<NodeId> ready;
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push_back(static_cast<NodeId>(i));
  }
  std::vector<NodeId> order;
  order.reserve(n);
  while (!ready.empty()) {
    NodeId id = ready.front();
    ready.pop_front();
    order.push_back(id);
    for (ValueId v : nodes[id].outputs) {
      if (v == kNoValue) continue;
      for (NodeId c : values[v].consumers) {
        // A node consuming the same value twice was counted twice above.
        if (--pending[c] == 0) ready.push_back(c);
      }
    }
  }
  if (order.size() != n) {
    std::string names;
    for (size_t i = 0; i < n && names.size() < 200; ++i) {
      if (pending[i] > 0) names += (names.empty() ? "'" : ", '") + nodes[i].name + "'";
    }
    return InvalidArgument("graph has a cycle through nodes " + names);
  }
  return order;
}

}  // namespace parallax
