// BuildPlan: shape inference with plan-time folding, then liveness and arena offsets.
#include <algorithm>
#include <numeric>

#include "kernels/registry.h"
#include "runtime/plan.h"
#include "runtime/thread_pool.h"

namespace parallax {
namespace {

bool IsNondeterministic(const std::string& op) {
  return op == "RandomNormal" || op == "RandomUniform" || op == "RandomNormalLike" ||
         op == "RandomUniformLike" || op == "Multinomial" || op == "Bernoulli";
}

class PlanBuilder {
 public:
  explicit PlanBuilder(const Graph& g) : g_(g), fold_pool_(1), plan_(new ExecutionPlan) {}

  StatusOr<std::unique_ptr<ExecutionPlan>> Build(const std::vector<ValueInfo>& inputs);

 private:
  Status PlanNode(NodeId id);
  Status Fold(const Node& node, const KernelDef& kernel);
  void PlanMemory();
  ValueId Root(ValueId v) const {
    while (plan_->slots[v].kind == ValueSlot::Kind::kAlias) v = plan_->slots[v].alias_of;
    return v;
  }

  const Graph& g_;
  ThreadPool fold_pool_;  // one thread: a folded value must not depend on the thread count
  std::unique_ptr<ExecutionPlan> plan_;
  std::vector<ValueInfo> info_;
};

StatusOr<std::unique_ptr<ExecutionPlan>> PlanBuilder::Build(const std::vector<ValueInfo>& inputs) {
  auto& slots = plan_->slots;
  slots.resize(g_.values.size());
  info_.resize(g_.values.size());
  for (const auto& [v, t] : g_.initializers) {
    slots[v].kind = ValueSlot::Kind::kConstant;
    slots[v].constant = &t;
    slots[v].dtype = t.dtype();
    slots[v].shape = t.shape();
    info_[v] = ValueInfo{t.dtype(), t.shape(), &t};
    plan_->stats.constant_bytes += t.nbytes();
  }
  for (size_t i = 0; i < g_.inputs.size(); ++i) {
    ValueId v = g_.inputs[i];
    slots[v].kind = ValueSlot::Kind::kInput;
    slots[v].dtype = inputs[i].dtype;
    slots[v].shape = inputs[i].shape;
    info_[v] = inputs[i];
    info_[v].value = nullptr;
  }
  PX_ASSIGN_OR_RETURN(std::vector<NodeId> order, g_.TopologicalOrder());
  std::vector<bool> live = g_.LiveNodes();  // dead nodes never run
  for (NodeId id : order) {
    if (live[id]) PX_RETURN_IF_ERROR(PlanNode(id));
  }
  for (ValueId v : g_.outputs) {
    if (slots[v].kind == ValueSlot::Kind::kUnused) {
      return InvalidArgument("graph output '" + g_.values[v].name + "' is never produced");
    }
  }
  for (auto& [v, t] : plan_->folded) plan_->stats.constant_bytes += t.nbytes();
  PlanMemory();
  return std::move(plan_);
}

Status PlanBuilder::Fold(const Node& node, const KernelDef& kernel) {
  std::vector<const Tensor*> ins;
  std::vector<Tensor> shape_only;  // Shape/Size read only the shape: no data needed
  shape_only.reserve(node.inputs.size());
  for (ValueId v : node.inputs) {
    if (v == kNoValue) {
      ins.push_back(nullptr);
    } else if (info_[v].value != nullptr) {
      ins.push_back(info_[v].value);
    } else {
      shape_only.push_back(Tensor::Wrap(info_[v].dtype, info_[v].shape, nullptr));
      ins.push_back(&shape_only.back());
    }
  }
  std::vector<Tensor> outs;
  PX_RETURN_IF_ERROR(RunNodeDynamic(node, kernel, ins, &fold_pool_, &outs));
  for (size_t i = 0; i < node.outputs.size() && i < outs.size(); ++i) {
    ValueId v = node.outputs[i];
    Tensor& t = plan_->folded[v];
    t = std::move(outs[i]);
    plan_->slots[v].kind = ValueSlot::Kind::kConstant;
    plan_->slots[v].constant = &t;
    plan_->slots[v].dtype = t.dtype();
    plan_->slots[v].shape = t.shape();
    info_[v] = ValueInfo{t.dtype(), t.shape(), &t};
  }
  ++plan_->stats.nodes_folded;
  return Status::Ok();
}

Status PlanBuilder::PlanNode(NodeId id) {
  const Node& node = g_.nodes[id];
  auto& slots = plan_->slots;
  const KernelDef* kernel = FindKernel(node.op_type, node.domain, node.opset);
  if (kernel == nullptr) {
    return NotImplemented(node.Describe() + "op '" + node.op_type + "' (domain '" + node.domain +
                          "', opset " + std::to_string(node.opset) + ") is not supported");
  }
  bool all_known = true, any_dynamic = false;
  for (ValueId v : node.inputs) {
    if (v == kNoValue) continue;
    if (slots[v].kind == ValueSlot::Kind::kUnused) {
      return Internal(node.Describe() + "input '" + g_.values[v].name + "' is not planned");
    }
    if (slots[v].kind == ValueSlot::Kind::kDynamic) any_dynamic = true;
    if (info_[v].value == nullptr) all_known = false;
  }
  const bool shape_only = (node.op_type == "Shape" || node.op_type == "Size") && node.domain.empty();
  // A prepacked weight's data is only readable through the step's state: never fold its reader.
  std::shared_ptr<void> packed;
  for (ValueId v : node.inputs) {
    auto it = v == kNoValue ? g_.prepacked.end() : g_.prepacked.find(v);
    if (it != g_.prepacked.end()) packed = it->second;
  }
  if (!packed && !any_dynamic && !IsNondeterministic(node.op_type) && (all_known || shape_only)) {
    Status st = Fold(node, *kernel);
    return st.WithPrefix(st.message().rfind(node.Describe(), 0) == 0 ? "" : node.Describe());
  }
  PlanStep step;
  step.node = id;
  step.kernel = kernel;
  if (packed) {
    step.prepacked = true;
    step.state->Seed(std::move(packed));
  }
  for (size_t i = 0; i < node.inputs.size() && i < 64; ++i) {
    ValueId v = node.inputs[i];
    if (v != kNoValue && slots[v].kind == ValueSlot::Kind::kConstant) step.constant_inputs |= uint64_t{1} << i;
  }
  if (!any_dynamic) {
    InferContext ctx{node, {}, {}};
    ctx.outputs.resize(node.outputs.size());
    for (ValueId v : node.inputs) ctx.inputs.push_back(v == kNoValue ? nullptr : &info_[v]);
    Status st = kernel->infer(ctx);
    if (st.code() == StatusCode::kNeedsValue) {
      any_dynamic = true;
    } else if (!st.ok()) {
      return st.WithPrefix(node.Describe());
    } else {
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        ValueId v = node.outputs[i];
        if (NumElements(ctx.outputs[i].shape) < 0 || DataTypeSize(ctx.outputs[i].dtype) == 0) {
          return Internal(node.Describe() + "shape inference gave an invalid output " +
                          ShapeToString(ctx.outputs[i].shape));
        }
        slots[v].kind = ValueSlot::Kind::kArena;
        slots[v].dtype = ctx.outputs[i].dtype;
        slots[v].shape = ctx.outputs[i].shape;
        info_[v] = ValueInfo{slots[v].dtype, slots[v].shape, nullptr};
      }
    }
  }
  if (any_dynamic) {
    step.dynamic = true;
    for (ValueId v : node.outputs) {
      slots[v].kind = ValueSlot::Kind::kDynamic;
      ++plan_->stats.dynamic_values;
    }
  }
  plan_->steps.push_back(step);
  return Status::Ok();
}

void PlanBuilder::PlanMemory() {
  auto& slots = plan_->slots;
  auto& steps = plan_->steps;
  const int32_t end = static_cast<int32_t>(steps.size());
  // Last step that reads each value (graph outputs live to the end).
  std::vector<int32_t> last_use(g_.values.size(), -1), producer_step(g_.values.size(), -1);
  for (int32_t s = 0; s < end; ++s) {
    const Node& n = g_.nodes[steps[s].node];
    for (ValueId v : n.inputs) {
      if (v != kNoValue) last_use[v] = s;
    }
    for (ValueId v : n.outputs) producer_step[v] = s;
  }
  for (ValueId v : g_.outputs) last_use[v] = end;
  std::vector<bool> is_output(g_.values.size(), false);
  for (ValueId v : g_.outputs) is_output[v] = true;

  // Buffers: one per arena root; aliases and in-place outputs join their input's buffer.
  std::vector<int32_t> buffer_of(g_.values.size(), -1);
  auto& buffers = plan_->buffers;
  std::vector<std::vector<ValueId>> members;
  for (int32_t s = 0; s < end; ++s) {
    PlanStep& step = steps[s];
    const Node& n = g_.nodes[step.node];
    for (ValueId v : n.inputs) {
      if (v != kNoValue && slots[v].kind == ValueSlot::Kind::kDynamic && last_use[v] == s &&
          !is_output[v]) {
        step.release.push_back(v);
      }
    }
    if (step.dynamic) continue;
    const KernelDef& k = *step.kernel;
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      ValueId out = n.outputs[i];
      int32_t join = -1;
      if (i == 0 && k.alias && !n.inputs.empty() && n.inputs[0] != kNoValue &&
          slots[n.inputs[0]].dtype == slots[out].dtype) {
        ValueId root = Root(n.inputs[0]);
        slots[out].kind = ValueSlot::Kind::kAlias;
        slots[out].alias_of = root;
        step.aliased = true;
        join = buffer_of[root];  // -1 when the root is an input or constant: nothing to extend
        if (join < 0) continue;
      } else if (i == 0 && k.inplace_input >= 0 &&
                 static_cast<size_t>(k.inplace_input) < n.inputs.size()) {
        ValueId in = n.inputs[k.inplace_input];
        int32_t b = in == kNoValue ? -1 : buffer_of[Root(in)];
        bool sole_reader = b >= 0 && buffers[b].last == s &&
                           slots[in].dtype == slots[out].dtype &&
                           NumElements(slots[in].shape) == NumElements(slots[out].shape) &&
                           slots[in].shape == slots[out].shape;
        for (ValueId m : b >= 0 ? members[b] : std::vector<ValueId>{}) {
          if (is_output[m]) sole_reader = false;
        }
        for (ValueId other : n.inputs) {  // another view of the same buffer would be clobbered
          if (other != kNoValue && other != in && b >= 0 && buffer_of[Root(other)] == b) {
            sole_reader = false;
          }
        }
        if (sole_reader) join = b;
      }
      if (join >= 0) {
        buffer_of[out] = join;
        members[join].push_back(out);
        buffers[join].last = std::max(buffers[join].last, std::max(last_use[out], s));
        continue;
      }
      buffer_of[out] = static_cast<int32_t>(buffers.size());
      size_t bytes = static_cast<size_t>(NumElements(slots[out].shape)) * DataTypeSize(slots[out].dtype);
      buffers.push_back(BufferUsage{bytes, s, std::max(last_use[out], s)});
      members.push_back({out});
    }
  }
  // Alias chains: a view's lifetime extends its root's buffer.
  for (ValueId v = 0; v < static_cast<ValueId>(slots.size()); ++v) {
    if (slots[v].kind != ValueSlot::Kind::kAlias) continue;
    int32_t b = buffer_of[slots[v].alias_of];
    if (b >= 0) buffers[b].last = std::max(buffers[b].last, last_use[v]);
  }
  plan_->memory = parallax::PlanMemory(buffers);
  for (ValueId v = 0; v < static_cast<ValueId>(slots.size()); ++v) {
    if (slots[v].kind == ValueSlot::Kind::kArena && buffer_of[v] >= 0) {
      slots[v].offset = plan_->memory.offsets[buffer_of[v]];
    }
  }
  plan_->buffer_values = std::move(members);
  plan_->arena_bytes = plan_->memory.arena_bytes;
  plan_->stats.arena_bytes = plan_->arena_bytes;
  plan_->stats.sequential_arena_bytes = plan_->arena_bytes;
  plan_->stats.nodes_executed = steps.size();
}

}  // namespace

StatusOr<std::unique_ptr<ExecutionPlan>> BuildPlan(const Graph& graph,
                                                   const std::vector<ValueInfo>& inputs,
                                                   const PlanOptions& options) {
  if (inputs.size() != graph.inputs.size()) {
    return InvalidArgument("expected " + std::to_string(graph.inputs.size()) + " inputs, got " +
                           std::to_string(inputs.size()));
  }
  PlanBuilder builder(graph);
  PX_ASSIGN_OR_RETURN(auto plan, builder.Build(inputs));
  if (options.parallel || options.provider != nullptr) BuildParallelPlan(graph, plan.get(), options);
  return plan;
}

}  // namespace parallax
