// Subgraphs (If/Loop bodies) read values of enclosing graphs by name. This pass makes those
// reads explicit, as ONNX Runtime's "implicit inputs" do:
//
//   outer graph:  a ──▶ If{then: Add(a, c)}          becomes   a, c ──▶ If  (inputs += [a, c])
//   subgraph:     outer_refs {a, c}                            inputs += [a, c]
//
// so that topological order, liveness and dead-node removal see them like any other input.
// The names appended to a node are recorded in its "__implicit_inputs" attribute; every
// subgraph of that node gets the same names, in the same order, after its declared inputs.
#include <algorithm>
#include <set>

#include "ir/passes/passes.h"

namespace parallax {
namespace {

bool Defines(const Graph& g, ValueId v) {
  return g.values[v].producer >= 0 || g.initializers.count(v) > 0 ||
         std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end();
}

Status Process(Graph* g, int depth) {
  PX_RETURN_IF_ERROR(g->Link());
  for (NodeId id = 0; id < static_cast<NodeId>(g->nodes.size()); ++id) {
    std::set<std::string> names;
    bool has_subgraph = false;
    for (auto& [key, attr] : g->nodes[id].attrs) {
      if (!attr.g) continue;
      has_subgraph = true;
      PX_RETURN_IF_ERROR(Process(attr.g.get(), depth + 1));
      for (const auto& [name, v] : attr.g->outer_refs) names.insert(name);
    }
    if (!has_subgraph) continue;
    Attribute list;
    list.kind = Attribute::Kind::kStrings;
    list.strings.assign(names.begin(), names.end());
    for (auto& [key, attr] : g->nodes[id].attrs) {
      if (!attr.g) continue;
      for (const std::string& name : list.strings) {
        // A name this branch does not read still becomes an (unused) input, so that every
        // branch of the node takes the same input list.
        attr.g->inputs.push_back(attr.g->AddValue(name));
      }
      attr.g->outer_refs.clear();
      PX_RETURN_IF_ERROR(attr.g->Link());
    }
    for (const std::string& name : list.strings) {
      ValueId v = g->AddValue(name);
      g->nodes[id].inputs.push_back(v);
      if (!Defines(*g, v)) {
        if (depth == 0) {
          return InvalidArgument(g->nodes[id].Describe() + "a subgraph reads '" + name +
                                 "', which no enclosing graph defines");
        }
        g->outer_refs[name] = v;
      }
    }
    g->nodes[id].attrs["__implicit_inputs"] = std::move(list);
  }
  return g->Link();
}

}  // namespace

Status MakeImplicitInputsExplicit(Graph* graph) { return Process(graph, 0); }

}  // namespace parallax
