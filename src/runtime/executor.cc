// The executors: sequential (the plan's steps in order over one arena) and parallel (layer by
// layer, concurrent layers in memory-budgeted waves of branches on lanes).
#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "providers/provider.h"
#include "runtime/lanes.h"

#include "runtime/plan.h"
#include "runtime/thread_pool.h"

namespace parallax {

namespace {

Status RunGraph(const Graph& body, const std::vector<Tensor>& inputs, ThreadPool* pool,
                std::vector<Tensor>* outputs) {
  std::vector<ValueInfo> infos;
  for (const Tensor& t : inputs) infos.push_back(ValueInfo{t.dtype(), t.shape(), nullptr});
  PX_ASSIGN_OR_RETURN(auto plan, BuildPlan(body, infos));
  std::shared_ptr<void> arena(std::aligned_alloc(64, (plan->arena_bytes + 127) / 64 * 64),
                              [](void* p) { std::free(p); });
  if (!arena) return OutOfMemory("cannot allocate a subgraph arena");
  ExecContext ctx;
  ctx.pool = pool;
  ctx.arena = arena.get();
  return Execute(body, *plan, inputs, ctx, outputs);
}

}  // namespace

Status RunNodeDynamic(const Node& node, const KernelDef& kernel,
                      const std::vector<const Tensor*>& inputs, ThreadPool* pool,
                      std::vector<Tensor>* outputs, KernelState* state, uint64_t constant_inputs) {
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
  KernelContext kctx{node, inputs, {}, pool, state, constant_inputs, RunGraph};
  for (Tensor& t : *outputs) kctx.outputs.push_back(&t);
  return kernel.compute(kctx).WithPrefix(node.Describe());
}

namespace {

using Clock = std::chrono::steady_clock;
using Kind = ValueSlot::Kind;

// One run's values and the pieces every step needs.
struct RunState {
  const Graph& graph;
  const ExecutionPlan& plan;
  std::vector<Tensor> vals;
  std::vector<StepTrace>* timings;
  Clock::time_point t0;
  std::unique_ptr<ProviderRun> device;  // this run's values on the accelerator

  // Arena values at `base` (sequential offsets), views of inputs and constants.
  void Bind(const std::vector<Tensor>& inputs, uint8_t* base, bool parallel) {
    for (size_t s = 0; plan.provider_cache && s < plan.steps.size(); ++s) {  // CPU-only plans skip the scan
      if (plan.steps[s].provider != nullptr) {
        device = plan.steps[s].provider->BeginRun(plan.provider_cache.get());
        break;
      }
    }
    vals.assign(plan.slots.size(), Tensor());
    for (size_t i = 0; i < graph.inputs.size(); ++i) vals[graph.inputs[i]] = inputs[i];
    for (ValueId v = 0; v < static_cast<ValueId>(plan.slots.size()); ++v) {
      const ValueSlot& s = plan.slots[v];
      if (s.kind == Kind::kConstant) {
        vals[v] = *s.constant;
      } else if (s.kind == Kind::kArena && !parallel) {
        vals[v] = Tensor::Wrap(s.dtype, s.shape, base + s.offset);
      }
    }
    if (parallel) {  // shared-region buffers; branch-arena buffers are bound when a wave starts
      const ParallelPlan& pp = *plan.parallel;
      for (size_t b = 0; b < plan.buffer_values.size(); ++b) {
        if (pp.memory.arena_of[b] < 0) BindBuffer(b, base + pp.memory.offsets[b]);
      }
    }
    for (ValueId v = 0; v < static_cast<ValueId>(plan.slots.size()); ++v) {
      const ValueSlot& s = plan.slots[v];
      const Kind root = plan.slots[s.alias_of < 0 ? v : s.alias_of].kind;
      if (s.kind == Kind::kAlias && (!parallel || root == Kind::kInput || root == Kind::kConstant) &&
          root != Kind::kDynamic) {
        vals[v] = vals[s.alias_of].Reshaped(s.shape);
      }
    }
  }

  // Every value living in buffer b (root, views, in-place outputs) at `at`.
  void BindBuffer(size_t b, uint8_t* at) {
    for (ValueId v : plan.buffer_values[b]) {
      vals[v] = Tensor::Wrap(plan.slots[v].dtype, plan.slots[v].shape, at);
    }
  }

  Status RunStep(size_t s, ThreadPool* pool, int32_t lane) {
    const PlanStep& step = plan.steps[s];
    const Node& node = graph.nodes[step.node];
    const auto start = timings ? Clock::now() : Clock::time_point();
    std::vector<const Tensor*> ins;
    ins.reserve(node.inputs.size());
    for (ValueId v : node.inputs) ins.push_back(v == kNoValue ? nullptr : &vals[v]);
    if (step.dynamic) {
      std::vector<Tensor> outs;
      PX_RETURN_IF_ERROR(step.prepacked ? RunNodeDynamic(node, *step.kernel, ins, pool, &outs, step.state.get(),
                                                         step.constant_inputs)
                                        : RunNodeDynamic(node, *step.kernel, ins, pool, &outs));
      for (size_t i = 0; i < node.outputs.size() && i < outs.size(); ++i) {
        vals[node.outputs[i]] = std::move(outs[i]);
      }
    } else if (step.provider != nullptr) {
      std::vector<Tensor*> outs;
      for (ValueId v : node.outputs) outs.push_back(v == kNoValue ? nullptr : &vals[v]);
      if (!device) return Internal(node.Describe() + "an accelerator step in a plan without a provider cache");
      PX_RETURN_IF_ERROR(step.provider->Run(device.get(), node, ins, outs, step.provider_io).WithPrefix(node.Describe()));
    } else if (!step.aliased) {
      std::vector<Tensor*> outs;
      outs.reserve(node.outputs.size());
      for (ValueId v : node.outputs) outs.push_back(&vals[v]);
      KernelContext ctx{node, ins, outs, pool, step.state.get(), step.constant_inputs, RunGraph};
      Status st = step.kernel->compute(ctx);
      pool->Settle();
      PX_RETURN_IF_ERROR(st.WithPrefix(node.Describe()));
    }
    if (timings) {
      StepTrace& t = (*timings)[s];
      t.start_ms = std::chrono::duration<double, std::milli>(start - t0).count();
      t.end_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      t.lane = lane;
    }
    return Status::Ok();
  }

  Status Outputs(std::vector<Tensor>* outputs) {
    outputs->clear();
    for (ValueId v : graph.outputs) {
      auto t = vals[v].Clone();
      if (!t.ok()) return t.status();
      outputs->push_back(std::move(t).value());
    }
    return Status::Ok();
  }
};

}  // namespace

Status Execute(const Graph& graph, const ExecutionPlan& plan, const std::vector<Tensor>& inputs,
               const ExecContext& ctx, std::vector<Tensor>* outputs) {
  RunState rs{graph, plan, {}, ctx.timings, Clock::now(), nullptr};
  if (ctx.timings) ctx.timings->assign(plan.steps.size(), StepTrace());
  rs.Bind(inputs, static_cast<uint8_t*>(ctx.arena), /*parallel=*/false);
  if (ctx.stats) ctx.stats->peak_arena_bytes_used = plan.arena_bytes;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    PX_RETURN_IF_ERROR(rs.RunStep(s, ctx.pool, 0));
    for (ValueId v : plan.steps[s].release) rs.vals[v] = Tensor();
  }
  return rs.Outputs(outputs);
}

Status ExecuteParallel(const Graph& graph, const ExecutionPlan& plan,
                       const std::vector<Tensor>& inputs, const ExecContext& ctx,
                       std::vector<Tensor>* outputs) {
  if (!plan.parallel) return Internal("ExecuteParallel needs a plan built with PlanOptions::parallel");
  const ParallelPlan& pp = *plan.parallel;
  const PartitionResult& part = pp.partition;
  RunState rs{graph, plan, {}, ctx.timings, Clock::now(), nullptr};
  if (ctx.timings) ctx.timings->assign(plan.steps.size(), StepTrace());
  auto* base = static_cast<uint8_t*>(ctx.arena);
  uint8_t* slab = base + ParallelArenaBytes(pp, 0);
  rs.Bind(inputs, base, /*parallel=*/true);
  if (ctx.stats) ctx.stats->peak_arena_bytes_used = ParallelArenaBytes(pp, 0);
  auto release = [&](int32_t tick) {
    for (ValueId v : pp.release_after[tick]) rs.vals[v] = Tensor();
  };
  auto run_branch = [&](int32_t b, ThreadPool* pool, int32_t lane) -> Status {
    for (int32_t s : part.branches[b].steps) PX_RETURN_IF_ERROR(rs.RunStep(s, pool, lane));
    return Status::Ok();
  };

  for (size_t tick = 0; tick < pp.memory.tick_layer.size(); ++tick) {
    const int32_t l = pp.memory.tick_layer[tick];
    if (l < 0) {
      PX_RETURN_IF_ERROR(rs.RunStep(pp.memory.tick_step[tick], ctx.pool, 0));
      release(static_cast<int32_t>(tick));
      continue;
    }
    // A concurrent layer: waves of the largest set of branches whose arenas fit the slab.
    std::vector<int32_t> remaining = part.layers[l];
    bool first_wave = true;
    while (!remaining.empty()) {
      std::vector<int32_t> wave = PickBranches(remaining, pp.memory.branch_bytes, ctx.slab_capacity);
      if (wave.empty()) {
        return OutOfMemory("branch " + std::to_string(remaining[0]) + " needs " +
                           std::to_string(pp.memory.branch_bytes[remaining[0]]) +
                           " bytes of branch arena; only " + std::to_string(ctx.slab_capacity) +
                           " fit the memory budget");
      }
      if (first_wave && ctx.stats) ctx.stats->branches_held_back += static_cast<int>(remaining.size() - wave.size());
      first_wave = false;
      size_t bump = 0;
      for (int32_t b : wave) {  // bump-allocate the wave's arenas in the slab
        for (int32_t buf : pp.memory.branch_buffers[b]) rs.BindBuffer(buf, slab + bump + pp.memory.offsets[buf]);
        bump += pp.memory.branch_bytes[b];
      }
      if (ctx.stats) {
        ctx.stats->peak_slab_bytes = std::max(ctx.stats->peak_slab_bytes, bump);
        ctx.stats->peak_arena_bytes_used = ParallelArenaBytes(pp, ctx.stats->peak_slab_bytes);
      }
      const int lanes = std::min<int>(pp.layers[l].lanes, static_cast<int>(wave.size()));
      LaneSet* set = lanes > 1 && ctx.lanes ? ctx.lanes->Acquire(lanes) : nullptr;
      if (set != nullptr) ctx.pool->Rest();  // the lanes' threads take the cores
      if (set == nullptr) {  // one branch, or another run holds the lanes: one at a time
        for (int32_t b : wave) PX_RETURN_IF_ERROR(run_branch(b, ctx.pool, 0));
      } else {
        std::vector<int> threads(lanes);
        for (int i = 0; i < lanes; ++i) threads[i] = set->pool(i)->threads();
        auto assignment = AssignLanes(part, pp.costs, wave, threads, CostParams{});
        Status st = set->Run([&](int lane, ThreadPool* pool) -> Status {
          for (int32_t b : assignment[lane]) PX_RETURN_IF_ERROR(run_branch(b, pool, lane));
          return Status::Ok();
        });
        ctx.lanes->Release(set);
        PX_RETURN_IF_ERROR(st);
        if (ctx.stats) ++ctx.stats->concurrent_waves;
      }
      std::vector<int32_t> rest;
      for (int32_t b : remaining) {
        if (!std::binary_search(wave.begin(), wave.end(), b)) rest.push_back(b);
      }
      remaining = std::move(rest);
    }
    release(static_cast<int32_t>(tick));
  }
  return rs.Outputs(outputs);
}

}  // namespace parallax
