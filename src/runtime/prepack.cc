#include "runtime/prepack.h"

#include "ir/passes/fusion_util.h"
#include "kernels/registry.h"

namespace parallax {
namespace {

// Two readers may share one packed copy when the same prepack function sees the same values of
// the attributes it reads (KernelDef::prepack_attrs, e.g. Gemm's transA, transB and alpha).
// Tensor and graph attributes never compare equal; absent and present differ.
bool SameAttribute(const Attribute* a, const Attribute* b) {
  using K = Attribute::Kind;
  if (a == nullptr || b == nullptr) return a == b;
  if (a->kind != b->kind || a->kind == K::kTensor || a->kind == K::kGraph) return false;
  return a->f == b->f && a->i == b->i && a->s == b->s && a->floats == b->floats && a->ints == b->ints &&
         a->strings == b->strings;
}

bool SamePacking(const Node& a, const KernelDef& da, const Node& b, const KernelDef& db) {
  if (da.prepack != db.prepack) return false;
  for (const KernelDef* d : {&da, &db}) {
    for (const char* const* k = d->prepack_attrs; k != nullptr && *k != nullptr; ++k) {
      if (!SameAttribute(a.attr(*k), b.attr(*k))) return false;
    }
  }
  return true;
}

// Values computable from initializers alone: BuildPlan folds their producers, so a weight read
// by a node whose input 0 is one of them must keep its data (SwinV2's relative-position MLP).
StatusOr<std::vector<bool>> ConstantDerived(const Graph& g) {
  std::vector<bool> known(g.values.size(), false);
  for (const auto& [v, t] : g.initializers) known[v] = true;
  PX_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopologicalOrder());
  for (NodeId id : order) {
    const Node& n = g.nodes[id];
    bool all = true;
    for (ValueId v : n.inputs) all = all && (v == kNoValue || known[v]);
    for (const auto& [k, a] : n.attrs) all = all && !a.g;  // subgraphs may read outer values
    if (!all) continue;
    for (ValueId v : n.outputs) {
      if (v != kNoValue) known[v] = true;
    }
  }
  return known;
}

}  // namespace

Status PrepackConstantWeights(Graph* g, PrepackStats* stats) {
  PX_RETURN_IF_ERROR(g->Link());
  const std::vector<bool> pinned = fusion::PinnedValues(*g);
  PX_ASSIGN_OR_RETURN(const std::vector<bool> constant, ConstantDerived(*g));
  for (auto& [w, tensor] : g->initializers) {
    if (pinned[w] || g->prepacked.count(w) || tensor.dtype() != DataType::kFloat32 ||
        tensor.rank() < 2 || tensor.rank() > 4 || tensor.raw() == nullptr) {  // each prepack fn checks its rank
      continue;
    }
    const std::vector<NodeId>& readers = g->values[w].consumers;
    if (readers.empty()) continue;
    bool ok = true;
    PrepackFn first_fn = nullptr;
    const KernelDef* first_def = nullptr;
    for (NodeId r : readers) {
      const Node& n = g->nodes[r];
      const KernelDef* def = FindKernel(n.op_type, n.domain, n.opset);
      int uses = 0;
      for (ValueId v : n.inputs) uses += v == w;
      const bool a_constant = n.inputs.empty() || n.inputs[0] == kNoValue || constant[n.inputs[0]];
      if (def == nullptr || def->prepack == nullptr || n.inputs.size() < 2 || n.inputs[1] != w || uses != 1 ||
          a_constant || (first_def && !SamePacking(g->nodes[readers[0]], *first_def, n, *def))) {
        ok = false;
        break;
      }
      if (!first_fn) {
        first_fn = def->prepack;
        first_def = def;
      }
    }
    if (!ok) continue;
    std::shared_ptr<void> packed = first_fn(g->nodes[readers[0]], tensor);
    if (!packed) continue;
    if (stats) {
      ++stats->weights;
      stats->original_bytes += tensor.nbytes();
    }
    g->prepacked[w] = std::move(packed);
    tensor = Tensor::Wrap(tensor.dtype(), tensor.shape(), nullptr);  // the original is released
  }
  return Status::Ok();
}

}  // namespace parallax
