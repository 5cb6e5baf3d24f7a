// The sequential executor: walks the plan's steps in order over one arena.
#include <chrono>
#include <cstdlib>

#include "runtime/plan.h"
#include "runtime/thread_pool.h"

namespace parallax {

namespace {

Status RunGraph(const Graph& body, const std::vector<Tensor>& inputs, ThreadPool* pool,
                std::vector<Tensor>* outputs) {
  std::vector<ValueInfo> infos;
  for (const Tensor& t : inputs) infos.push_back(ValueInfo{t.dtype(), t.shape(), nullptr});
  PX_ASSIGN_OR_RETURN(auto plan, BuildPlan(body, infos, pool));
  std::shared_ptr<void> arena(std::aligned_alloc(64, (plan->arena_bytes + 127) / 64 * 64),
                              [](void* p) { std::free(p); });
  if (!arena) return OutOfMemory("cannot allocate a subgraph arena");
  return Execute(body, *plan, inputs, pool, arena.get(), outputs);
}

}  // namespace

Status RunNodeDynamic(const Node& node, const KernelDef& kernel,
                      const std::vector<const Tensor*>& inputs, ThreadPool* pool,
                      std::vector<Tensor>* outputs) {
  if (kernel.allocates_outputs) {
    outputs->assign(node.outputs.size(), Tensor());
    KernelContext kctx{node, inputs, {}, pool, nullptr, 0, RunGraph};
    for (Tensor& t : *outputs) kctx.outputs.push_back(&t);
    return kernel.compute(kctx).WithPrefix(node.Describe());
  }
  std::vector<ValueInfo> infos(inputs.size());
  InferContext ictx{node, {}, {}};
  ictx.outputs.resize(node.outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] == nullptr) {
      ictx.inputs.push_back(nullptr);
      continue;
    }
    infos[i] = ValueInfo{inputs[i]->dtype(), inputs[i]->shape(),
                         inputs[i]->raw() != nullptr || inputs[i]->numel() == 0 ? inputs[i] : nullptr};
    ictx.inputs.push_back(&infos[i]);
  }
  PX_RETURN_IF_ERROR(kernel.infer(ictx).WithPrefix(node.Describe()));
  outputs->clear();
  for (const ValueInfo& vi : ictx.outputs) {
    auto t = Tensor::Allocate(vi.dtype, vi.shape);
    if (!t.ok()) return t.status().WithPrefix(node.Describe());
    outputs->push_back(std::move(t).value());
  }
  KernelContext kctx{node, inputs, {}, pool, nullptr, 0, RunGraph};
  for (Tensor& t : *outputs) kctx.outputs.push_back(&t);
  return kernel.compute(kctx).WithPrefix(node.Describe());
}

Status Execute(const Graph& graph, const ExecutionPlan& plan, const std::vector<Tensor>& inputs,
               ThreadPool* pool, void* arena, std::vector<Tensor>* outputs,
               std::vector<double>* step_ms) {
  if (step_ms) step_ms->resize(plan.steps.size(), 0.0);
  using Kind = ValueSlot::Kind;
  std::vector<Tensor> vals(plan.slots.size());
  auto* base = static_cast<uint8_t*>(arena);
  for (size_t i = 0; i < graph.inputs.size(); ++i) vals[graph.inputs[i]] = inputs[i];
  for (ValueId v = 0; v < static_cast<ValueId>(plan.slots.size()); ++v) {
    const ValueSlot& s = plan.slots[v];
    if (s.kind == Kind::kConstant) {
      vals[v] = *s.constant;
    } else if (s.kind == Kind::kArena) {
      vals[v] = Tensor::Wrap(s.dtype, s.shape, base + s.offset);
    }
  }
  for (ValueId v = 0; v < static_cast<ValueId>(plan.slots.size()); ++v) {
    const ValueSlot& s = plan.slots[v];
    if (s.kind == Kind::kAlias && plan.slots[s.alias_of].kind != Kind::kDynamic) {
      vals[v] = vals[s.alias_of].Reshaped(s.shape);
    }
  }

  std::vector<const Tensor*> ins;
  std::vector<Tensor*> outs;
  std::vector<Tensor> dyn_outs;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const PlanStep& step = plan.steps[s];
    const Node& node = graph.nodes[step.node];
    const auto t0 = step_ms ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    ins.clear();
    for (ValueId v : node.inputs) ins.push_back(v == kNoValue ? nullptr : &vals[v]);
    if (step.dynamic) {
      PX_RETURN_IF_ERROR(RunNodeDynamic(node, *step.kernel, ins, pool, &dyn_outs));
      for (size_t i = 0; i < node.outputs.size() && i < dyn_outs.size(); ++i) {
        vals[node.outputs[i]] = std::move(dyn_outs[i]);
      }
    } else if (!step.aliased) {
      outs.clear();
      for (ValueId v : node.outputs) outs.push_back(&vals[v]);
      KernelContext ctx{node, ins, outs, pool, step.state.get(), step.constant_inputs, RunGraph};
      Status st = step.kernel->compute(ctx);
      pool->Settle();
      PX_RETURN_IF_ERROR(st.WithPrefix(node.Describe()));
    }
    for (ValueId v : step.release) vals[v] = Tensor();
    if (step_ms) {
      (*step_ms)[s] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  outputs->clear();
  for (ValueId v : graph.outputs) {
    auto t = vals[v].Clone();
    if (!t.ok()) return t.status();
    outputs->push_back(std::move(t).value());
  }
  return Status::Ok();
}

}  // namespace parallax
