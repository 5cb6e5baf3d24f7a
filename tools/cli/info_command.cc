#include <iostream>
#include <map>
#include <set>

#include "cli_common.h"
#include "kernels/registry.h"
#include "onnx/loader.h"

namespace parallax::cli {
namespace {

void CountOps(const Graph& g, std::map<std::string, int>* hist, std::set<std::string>* unsupported) {
  for (const Node& n : g.nodes) {
    std::string key = n.domain.empty() ? n.op_type : n.domain + "::" + n.op_type;
    ++(*hist)[key];
    if (FindKernel(n.op_type, n.domain, n.opset) == nullptr) {
      unsupported->insert(key + " (opset " + std::to_string(n.opset) + ")");
    }
    for (const auto& [k, a] : n.attrs) {
      if (a.g) CountOps(*a.g, hist, unsupported);
    }
  }
}

std::string Describe(const Graph& g, ValueId v) {
  const Value& val = g.values[v];
  std::string s = val.name + "  " + DataTypeName(val.dtype) + " [";
  if (val.shape) {
    for (size_t i = 0; i < val.shape->size(); ++i) {
      if (i) s += ", ";
      int64_t d = (*val.shape)[i];
      s += d >= 0 ? std::to_string(d) : (i < val.dim_names.size() && !val.dim_names[i].empty() ? val.dim_names[i] : "?");
    }
  } else {
    s += "unknown";
  }
  return s + "]";
}

}  // namespace

int InfoCommand(const std::string& path) {
  auto model = LoadModelFile(path);
  if (!model.ok()) {
    std::cerr << "error: " << model.status().message() << "\n";
    return 1;
  }
  const Graph& g = *model->graph;
  std::cout << "model      " << path << "\n";
  std::cout << "producer   " << (model->producer.empty() ? "?" : model->producer) << ", IR version " << model->ir_version << "\n";
  std::cout << "opsets    ";
  for (const auto& [dom, ver] : g.opsets) {
    if (dom != "parallax") std::cout << " " << (dom.empty() ? "ai.onnx" : dom) << ":" << ver;
  }
  std::cout << "\ninputs\n";
  for (ValueId v : g.inputs) std::cout << "  " << Describe(g, v) << "\n";
  std::cout << "outputs\n";
  for (ValueId v : g.outputs) std::cout << "  " << Describe(g, v) << "\n";
  size_t param_bytes = 0;
  for (const auto& [v, t] : g.initializers) param_bytes += t.nbytes();
  std::cout << "parameters " << param_bytes << " bytes (" << g.initializers.size() << " tensors)\n";
  std::map<std::string, int> hist;
  std::set<std::string> unsupported;
  CountOps(g, &hist, &unsupported);
  std::cout << "ops        " << g.nodes.size() << " nodes\n";
  for (const auto& [op, n] : hist) std::cout << "  " << op << " " << n << "\n";
  std::cout << "unsupported";
  if (unsupported.empty()) std::cout << " none";
  for (const auto& u : unsupported) std::cout << "\n  " << u;
  std::cout << "\n";
  return 0;
}

}  // namespace parallax::cli
