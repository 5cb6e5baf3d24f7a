#include "analysis/cost_model.h"

#include <algorithm>

namespace parallax {
namespace {

double Numel(const Shape& s) {
  double n = 1;
  for (int64_t d : s) n *= static_cast<double>(std::max<int64_t>(d, 0));
  return n;
}

// Arithmetic per output element for the common non-GEMM ops (rough; exp-like ops ~10).
double FlopsPerElement(const std::string& op) {
  static const char* kTranscendental[] = {"Exp", "Erf", "Gelu", "Tanh", "Sigmoid", "Silu",
                                          "Softmax", "LogSoftmax", "Log", "Pow", "Sqrt",
                                          "HardSwish", "Mish", "Softplus"};
  for (const char* t : kTranscendental) {
    if (op == t) return 10;
  }
  if (op == "LayerNormalization" || op == "BatchNormalization" || op == "InstanceNormalization" ||
      op == "RMSNormalization" || op == "Resize") {
    return 8;
  }
  return 1;
}

}  // namespace

NodeCost EstimateNodeCost(const Node& node, const std::vector<TensorInfo>& inputs,
                          const std::vector<TensorInfo>& outputs) {
  NodeCost c;
  double out_elems = 0;
  for (const TensorInfo& t : outputs) {
    c.bytes += static_cast<double>(t.bytes);
    out_elems += Numel(t.shape);
  }
  for (const TensorInfo& t : inputs) c.bytes += static_cast<double>(t.bytes);
  c.items = static_cast<int64_t>(out_elems);
  const std::string& op = node.op_type;
  const Shape* a = inputs.size() > 0 ? &inputs[0].shape : nullptr;
  const Shape* w = inputs.size() > 1 ? &inputs[1].shape : nullptr;
  if ((op == "MatMul" || op == "FusedMatMul" || op == "Gemm") && a && !a->empty()) {
    int64_t k = a->back();
    if (op == "Gemm" && node.GetInt("transA", 0) != 0 && a->size() == 2) k = (*a)[0];
    c.flops = 2.0 * out_elems * static_cast<double>(std::max<int64_t>(k, 1));
    c.compute_bound = true;
  } else if (op == "FusedAttention" && inputs.size() >= 3 && a && a->size() >= 2 && w && !w->empty()) {
    // Softmax(Q·Kᵀ)·V: 2·M·N·K + 2·M·N·D per batch, out_elems = batch·M·D.
    const double k = static_cast<double>(a->back()), n = static_cast<double>(w->back());
    const double dv = std::max<double>(1.0, static_cast<double>(inputs[2].shape.empty() ? 1 : inputs[2].shape.back()));
    c.flops = 2.0 * (out_elems / dv) * n * (k + dv);
    c.compute_bound = true;
  } else if ((op == "Conv" || op == "NhwcConv") && w && w->size() >= 2) {  // NhwcConv keeps OIHW weights
    double per_out = 1;
    for (size_t d = 1; d < w->size(); ++d) per_out *= static_cast<double>((*w)[d]);
    c.flops = 2.0 * out_elems * per_out;
    c.compute_bound = true;
  } else if (op == "ConvTranspose" && w && w->size() >= 2 && a) {
    double per_in = 1;
    for (size_t d = 1; d < w->size(); ++d) per_in *= static_cast<double>((*w)[d]);
    c.flops = 2.0 * Numel(*a) * per_in;
    c.compute_bound = true;
  } else {
    double in_elems = 0;
    for (const TensorInfo& t : inputs) in_elems = std::max(in_elems, Numel(t.shape));
    c.flops = std::max(out_elems, in_elems) * FlopsPerElement(op);
  }
  return c;
}

double EstimateMs(const NodeCost& cost, const CostParams& p) {
  const double flops_s = cost.flops / ((cost.compute_bound ? p.gemm_gflops : p.simple_gflops) * 1e9);
  const double bytes_s = cost.bytes / (p.gbytes_per_s * 1e9);
  return p.step_overhead_ms + 1e3 * std::max(flops_s, bytes_s);
}

double IntraOpSpeedup(const NodeCost& cost, int threads, const CostParams& p) {
  if (threads <= 1) return 1.0;
  double eff;
  if (cost.compute_bound) {
    eff = cost.flops >= 2e6 ? p.parallel_efficiency : cost.flops >= 2e5 ? 0.5 : 0.0;
  } else {
    eff = cost.items >= 65536 ? 0.5 : cost.items >= 16384 ? 0.25 : 0.0;
  }
  return 1.0 + (threads - 1) * eff;
}

}  // namespace parallax
