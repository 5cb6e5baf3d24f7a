// BuildParallelPlan: the analysis and memory stages applied to a built plan.
//
//   steps ──(data + write-after-read edges)──> StepGraph ──Partition──> branches, layers
//   cost model ──PlanLayers──> which layers run concurrently, on how many lanes
//   buffers ──PlanBranchMemory──> shared region + per-branch arenas
#include <algorithm>
#include <cstdlib>
#include <string>

#include "analysis/placement.h"
#include "providers/provider.h"
#include "runtime/plan.h"

namespace parallax {
namespace {

TensorInfo Describe(const ExecutionPlan& plan, ValueId v) {
  if (v == kNoValue) return {};
  const ValueSlot& s = plan.slots[v];
  if (s.kind == ValueSlot::Kind::kDynamic || s.kind == ValueSlot::Kind::kUnused) return {};
  return TensorInfo{s.shape, static_cast<size_t>(std::max<int64_t>(NumElements(s.shape), 0)) *
                                 DataTypeSize(s.dtype)};
}

// Marks the steps the accelerator runs (PlanStep::provider) and makes their cost what the CPU
// spends on them: the device time (from the device profile, or the CPU estimate without one),
// not sped up by CPU threads, so a lane that waits for the device is cheap to give it.
void PlaceOnAccelerator(const Graph& graph, ExecutionPlan* plan, const PlanOptions& options,
                        const StepGraph& dag, StepCosts* costs) {
  const int32_t n = static_cast<int32_t>(plan->steps.size());
  PlacementInput in = MakePlacementInput(graph, *plan, dag, *costs);
  for (int32_t s = 0; s < n; ++s) {
    const PlanStep& step = plan->steps[s];
    const Node& node = graph.nodes[step.node];
    bool ok = !step.dynamic && !step.aliased;
    if (ok) {
      std::vector<ValueInfo> infos;
      for (ValueId v : node.inputs) {
        if (v == kNoValue) {
          infos.push_back(ValueInfo{});
          continue;
        }
        const ValueSlot& slot = plan->slots[v];
        infos.push_back(ValueInfo{slot.dtype, slot.shape,
                                  slot.kind == ValueSlot::Kind::kConstant ? slot.constant : nullptr});
      }
      ok = options.provider->Supports(node, infos);
    }
    in.provider_ok.push_back(ok);
  }
  CapabilityProfile all;
  all.all_ops = true;
  DeviceProfile everything;  // no profile: offload every supported region
  everything.accel_gflops = everything.accel_gbytes_per_s = everything.transfer_gbytes_per_s = 1e9;
  everything.min_region_flops = 0;
  everything.beta = 0;
  const DeviceProfile& device = options.device ? *options.device : everything;
  PlacementResult placed = Place(in, options.accelerator_ops ? *options.accelerator_ops : all, device);
  for (int32_t s = 0; s < n; ++s) {
    if (!placed.on_accel[s]) continue;
    plan->steps[s].provider = options.provider;
    ++plan->stats.accelerator_steps;
    NodeCost& c = costs->cost[s];
    if (options.device) {
      costs->ms1[s] = 1e3 * std::max(c.flops / (device.accel_gflops * 1e9), c.bytes / (device.accel_gbytes_per_s * 1e9));
    }
    c.items = 0;  // CPU threads do not speed the device up
    c.compute_bound = false;
  }
}

// Where each operand of an accelerator step lives (PlanStep::provider_io). A view (an aliased
// Reshape and the like) shares its root's bytes, so operands are keyed by their root value:
// an accelerator output stays on the device when only accelerator steps read it or its views,
// and is copied to the host when a CPU step reads it or a view of it, or the caller does.
void AssignProviderOperands(const Graph& graph, ExecutionPlan* plan, const std::vector<int32_t>& producer) {
  const size_t nv = plan->slots.size();
  auto root_of = [&](ValueId v) {
    const ValueSlot& s = plan->slots[v];
    return s.kind == ValueSlot::Kind::kAlias && s.alias_of >= 0 ? static_cast<ValueId>(s.alias_of) : v;
  };
  std::vector<int32_t> device_readers(nv, 0);
  std::vector<bool> host_needed(nv, false);
  for (ValueId v : graph.outputs) host_needed[root_of(v)] = true;
  for (const PlanStep& step : plan->steps) {
    if (step.aliased) continue;  // a view: its own readers count for the root
    for (ValueId v : graph.nodes[step.node].inputs) {
      if (v == kNoValue) continue;
      if (step.provider != nullptr) {
        ++device_readers[root_of(v)];
      } else {
        host_needed[root_of(v)] = true;
      }
    }
  }
  auto bytes = [&](ValueId v) {
    const ValueSlot& s = plan->slots[v];
    return static_cast<size_t>(std::max<int64_t>(NumElements(s.shape), 0)) * DataTypeSize(s.dtype);
  };
  PlanStats& st = plan->stats;
  std::vector<bool> constant_counted(nv, false), uploaded(nv, false);
  // PARALLAX_DEVICE_RESIDENCY=off: the ablation baseline, every step copies its operands in and
  // out (constants too) as a per-node offload would.
  static const bool residency = [] {
    const char* v = std::getenv("PARALLAX_DEVICE_RESIDENCY");
    return v == nullptr || std::string(v) != "off";
  }();
  auto from_device = [&](ValueId root) {
    return residency && producer[root] >= 0 && plan->steps[producer[root]].provider != nullptr;
  };
  ExecutionProvider* provider = nullptr;
  for (PlanStep& step : plan->steps) {
    if (step.provider == nullptr) continue;
    provider = step.provider;
    const Node& node = graph.nodes[step.node];
    ProviderStepIo& io = step.provider_io;
    io.inputs.assign(node.inputs.size(), ProviderOperand{});
    io.outputs.assign(node.outputs.size(), ProviderOperand{});
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] == kNoValue) continue;
      const ValueId r = root_of(node.inputs[i]);
      io.inputs[i].value = residency ? r : kNoValue;  // off: no device copy is looked up or reused
      io.inputs[i].constant = residency && plan->slots[r].kind == ValueSlot::Kind::kConstant;
      io.inputs[i].on_device = from_device(r);
      st.accelerator_per_op_transfer_bytes += bytes(r);
      if (io.inputs[i].constant) {
        if (!constant_counted[r]) st.accelerator_constant_bytes += bytes(r);
        constant_counted[r] = true;
      } else if (!io.inputs[i].on_device && (!uploaded[r] || !residency)) {
        st.accelerator_upload_bytes += bytes(r);  // once per run (the provider reuses the copy)
        uploaded[r] = true;
      }
    }
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      const ValueId v = node.outputs[o];
      if (v == kNoValue) continue;
      io.outputs[o].value = v;
      io.outputs[o].to_host = host_needed[v] || !residency;
      io.outputs[o].device_readers = residency ? device_readers[v] : 0;
      st.accelerator_per_op_transfer_bytes += bytes(v);
      if (io.outputs[o].to_host) st.accelerator_download_bytes += bytes(v);
    }
  }
  if (provider != nullptr) plan->provider_cache = provider->NewPlanCache();
}

}  // namespace

PlacementInput MakePlacementInput(const Graph& graph, const ExecutionPlan& plan, const StepGraph& dag,
                                  const StepCosts& costs) {
  PlacementInput in;
  in.graph.preds = dag.preds;  // cost_ms left empty: the device profile's CPU model
  in.cost = costs.cost;
  for (const PlanStep& step : plan.steps) {
    const Node& node = graph.nodes[step.node];
    in.op.push_back(node.op_type);
    in.dynamic.push_back(step.dynamic);
    size_t bytes = 0;
    for (ValueId v : node.outputs) bytes += Describe(plan, v).bytes;
    in.out_bytes.push_back(bytes);
  }
  return in;
}

BranchMemoryPlan DecideLayers(const PartitionResult& partition, const StepCosts& costs,
                              const std::vector<BranchBuffer>& buffers, size_t sequential_arena,
                              int threads, BranchPolicy policy, const CostParams& params,
                              std::vector<LayerDecision>* layers) {
  *layers = PlanLayers(partition, costs, threads, policy, params);
  // Concurrency may cost at most kMaxMemoryOverhead more arena than the sequential plan (auto
  // policy): while it costs more, the concurrent layer with the smallest predicted gain runs
  // sequentially instead.
  std::vector<bool> concurrent(layers->size());
  for (;;) {
    int32_t weakest = -1;
    auto gain = [&](size_t l) { return (*layers)[l].sequential_ms - (*layers)[l].concurrent_ms; };
    for (size_t l = 0; l < layers->size(); ++l) {
      concurrent[l] = (*layers)[l].lanes > 1;
      if (concurrent[l] && (weakest < 0 || gain(l) < gain(weakest))) weakest = static_cast<int32_t>(l);
    }
    BranchMemoryPlan memory = PlanBranchMemory(partition, concurrent, buffers);
    const double limit = (1.0 + kMaxMemoryOverhead) * static_cast<double>(sequential_arena);
    const double bytes = static_cast<double>((memory.shared_bytes + 63) / 64 * 64 + memory.slab_bytes);
    if (weakest < 0 || policy == BranchPolicy::kAll || bytes <= limit) return memory;
    (*layers)[weakest].lanes = 1;
    (*layers)[weakest].concurrent_ms = (*layers)[weakest].sequential_ms;
  }
}

size_t ParallelArenaBytes(const ParallelPlan& p, size_t slab_capacity) {
  return (p.memory.shared_bytes + 63) / 64 * 64 + slab_capacity;
}

void BuildParallelPlan(const Graph& graph, ExecutionPlan* plan, const PlanOptions& options) {
  auto pp = std::make_unique<ParallelPlan>();
  pp->threads = std::max(1, options.threads);
  const auto& steps = plan->steps;
  const int32_t n = static_cast<int32_t>(steps.size());
  std::vector<int32_t> producer(plan->slots.size(), -1);
  std::vector<std::vector<int32_t>> readers(plan->slots.size());
  for (int32_t s = 0; s < n; ++s) {
    const Node& node = graph.nodes[steps[s].node];
    for (ValueId v : node.outputs) producer[v] = s;
    for (ValueId v : node.inputs) {
      if (v != kNoValue) readers[v].push_back(s);
    }
  }
  std::vector<int32_t> buffer_of(plan->slots.size(), -1);
  for (size_t b = 0; b < plan->buffer_values.size(); ++b) {
    for (ValueId v : plan->buffer_values[b]) buffer_of[v] = static_cast<int32_t>(b);
  }

  // The step DAG. Data edges, plus write-after-read edges: a step that writes its output into
  // an input's buffer (in place) must follow every other reader of that buffer.
  StepGraph g;
  g.preds.resize(n);
  g.cost_ms.resize(n);
  pp->costs.cost.resize(n);
  pp->costs.ms1.resize(n);
  for (int32_t s = 0; s < n; ++s) {
    const Node& node = graph.nodes[steps[s].node];
    for (ValueId v : node.inputs) {
      if (v != kNoValue && producer[v] >= 0) g.preds[s].push_back(producer[v]);
    }
    for (ValueId out : node.outputs) {
      const int32_t b = buffer_of[out];
      if (b < 0 || steps[s].aliased) continue;
      for (ValueId member : plan->buffer_values[b]) {
        if (member == out) continue;
        for (int32_t r : readers[member]) {
          if (r < s) g.preds[s].push_back(r);
        }
      }
    }
    std::vector<TensorInfo> ins, outs;
    for (ValueId v : node.inputs) ins.push_back(Describe(*plan, v));
    for (ValueId v : node.outputs) outs.push_back(Describe(*plan, v));
    pp->costs.cost[s] = EstimateNodeCost(node, ins, outs);
    pp->costs.ms1[s] = steps[s].aliased ? 0.0005 : EstimateMs(pp->costs.cost[s], options.cost);
    g.cost_ms[s] = pp->costs.ms1[s];
  }
  if (options.provider != nullptr) {
    PlaceOnAccelerator(graph, plan, options, g, &pp->costs);
    AssignProviderOperands(graph, plan, producer);
  }
  for (int32_t s = 0; s < n; ++s) g.cost_ms[s] = pp->costs.ms1[s];
  pp->partition = Partition(g);
  pp->dag = g;
  std::vector<bool> is_output(plan->slots.size(), false);
  for (ValueId v : graph.outputs) is_output[v] = true;
  pp->buffers.resize(plan->buffers.size());
  for (size_t b = 0; b < plan->buffers.size(); ++b) {
    BranchBuffer& bb = pp->buffers[b];
    bb.size = plan->buffers[b].size;
    for (ValueId v : plan->buffer_values[b]) {
      if (producer[v] >= 0) bb.steps.push_back(producer[v]);
      bb.steps.insert(bb.steps.end(), readers[v].begin(), readers[v].end());
      bb.graph_output = bb.graph_output || is_output[v];
    }
    std::sort(bb.steps.begin(), bb.steps.end());
    bb.steps.erase(std::unique(bb.steps.begin(), bb.steps.end()), bb.steps.end());
  }
  pp->memory = DecideLayers(pp->partition, pp->costs, pp->buffers, plan->arena_bytes, pp->threads,
                            options.policy, options.cost, &pp->layers);
  for (const LayerDecision& d : pp->layers) pp->concurrent_layers += d.lanes > 1 ? 1 : 0;

  // Dynamic values die after the tick of their last reader in the parallel order.
  int32_t ticks = 0;
  for (int32_t t : pp->memory.tick_of_step) ticks = std::max(ticks, t + 1);
  pp->release_after.assign(ticks, {});
  for (ValueId v = 0; v < static_cast<ValueId>(plan->slots.size()); ++v) {
    if (plan->slots[v].kind != ValueSlot::Kind::kDynamic || is_output[v] || readers[v].empty()) continue;
    int32_t last = 0;
    for (int32_t r : readers[v]) last = std::max(last, pp->memory.tick_of_step[r]);
    pp->release_after[last].push_back(v);
  }

  PlanStats& st = plan->stats;
  st.parallel_arena_bytes = ParallelArenaBytes(*pp, pp->memory.slab_bytes);
  size_t largest = 0;
  for (size_t b : pp->memory.branch_bytes) largest = std::max(largest, b);
  st.parallel_min_arena_bytes = ParallelArenaBytes(*pp, largest);
  st.branches = pp->partition.branches.size();
  st.layers = pp->partition.layers.size();
  st.concurrent_layers = static_cast<size_t>(pp->concurrent_layers);
  st.work_ms = pp->partition.work_ms;
  st.critical_path_ms = pp->partition.critical_path_ms;
  plan->parallel = std::move(pp);
}

}  // namespace parallax
