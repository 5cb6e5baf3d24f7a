#include "parallax/session.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "ir/passes/passes.h"
#include "kernels/gemm.h"
#include "kernels/registry.h"
#include "onnx/loader.h"
#include "providers/provider.h"
#include "runtime/lanes.h"
#include "runtime/memory_budget.h"
#include "runtime/plan.h"
#include "runtime/prepack.h"
#include "runtime/simulator.h"
#include "runtime/thread_pool.h"

namespace parallax {

struct Session::Impl {
  std::shared_ptr<Graph> graph;
  std::vector<IoInfo> inputs, outputs;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<LanePool> lanes;
  SessionOptions options;
  std::unique_ptr<ExecutionProvider> provider;  // null: CPU only
  std::string accelerator, accelerator_note, threads_note;
  std::optional<CapabilityProfile> accelerator_ops;
  std::optional<DeviceProfile> device;

  struct CachedPlan {
    std::unique_ptr<ExecutionPlan> plan;
    std::mutex arenas_mu;
    // Reused across runs, one per concurrent Run: {bytes, memory}.
    std::vector<std::pair<size_t, std::shared_ptr<void>>> free_arenas;
    std::mutex profile_mu;
    std::vector<double> step_ms;  // summed over profiled runs
    int64_t profiled_runs = 0;
  };
  std::mutex plans_mu;
  std::map<std::vector<int64_t>, std::shared_ptr<CachedPlan>> plans;

  Status Validate(const NamedTensors& given, std::vector<Tensor>* ordered) const;
  StatusOr<std::shared_ptr<CachedPlan>> GetPlan(const std::vector<Tensor>& ordered);
};

namespace {

// "parallax::FusedMatMul+Gelu": the op as reports and profiles name it (domain, fused activation).
std::string StepOpName(const Node& n) {
  std::string op = n.domain.empty() ? n.op_type : n.domain + "::" + n.op_type;
  if (const Attribute* act = n.attr("activation"); act && !act->s.empty()) op += "+" + act->s;
  return op;
}

IoInfo MakeIo(const Graph& g, ValueId v) {
  IoInfo io;
  const Value& val = g.values[v];
  io.name = val.name;
  io.dtype = val.dtype;
  if (val.shape) io.shape = *val.shape;
  io.dim_names = val.dim_names;
  io.dim_names.resize(io.shape.size());
  return io;
}

Status CheckOps(const Graph& g) {
  for (const Node& n : g.nodes) {
    if (FindKernel(n.op_type, n.domain, n.opset) == nullptr) {
      return NotImplemented(n.Describe() + "op '" + n.op_type + "' (domain '" + n.domain +
                            "', opset " + std::to_string(n.opset) + ") is not supported");
    }
    for (const auto& [key, attr] : n.attrs) {
      if (attr.g) PX_RETURN_IF_ERROR(CheckOps(*attr.g).WithPrefix(n.Describe() + "in '" + key + "': "));
    }
  }
  return Status::Ok();
}

// --accelerator opencl[:N]: a device that cannot be opened is not an error (the session runs on
// the CPU and says why); bad profile files are.
Status OpenAccelerator(const SessionOptions& o, Session::Impl* impl) {
  if (!o.accelerator_ops.empty()) {
    PX_ASSIGN_OR_RETURN(CapabilityProfile caps, LoadCapabilityProfile(o.accelerator_ops));
    impl->accelerator_ops = std::move(caps);
  }
  if (!o.device_profile.empty()) {
    PX_ASSIGN_OR_RETURN(DeviceProfile dev, LoadDeviceProfile(o.device_profile));
    impl->device = std::move(dev);
  }
  if (o.accelerator.empty()) return Status::Ok();
  if (o.accelerator == "cpu") {  // the CPU kernels behind the provider interface
    impl->provider = CreateCpuProvider();
    impl->accelerator = impl->provider->name();
    return Status::Ok();
  }
  int index = 0;
  if (o.accelerator.rfind("opencl", 0) != 0 ||
      (o.accelerator.size() > 6 && (o.accelerator[6] != ':' || o.accelerator.size() == 7))) {
    return InvalidArgument("unknown accelerator '" + o.accelerator + "' (expected opencl, opencl:N or cpu)");
  }
  if (o.accelerator.size() > 7) {
    const std::string num = o.accelerator.substr(7);
    if (num.find_first_not_of("0123456789") != std::string::npos || num.size() > 6) {
      return InvalidArgument("accelerator '" + o.accelerator + "': N must be a device number");
    }
    index = std::stoi(num);
  }
  auto provider = CreateOpenClProvider(index);
  if (!provider.ok()) {
    impl->accelerator_note = "no accelerator: " + provider.status().message() + "; running on the CPU only";
    return Status::Ok();
  }
  impl->provider = std::move(provider).value();
  impl->accelerator = impl->provider->name();
  return Status::Ok();
}

StatusOr<std::unique_ptr<Session>> Finish(Model model, const SessionOptions& options) {
  PX_RETURN_IF_ERROR(LoadBlas());
  PX_RETURN_IF_ERROR(CheckOps(*model.graph));
  PX_RETURN_IF_ERROR(MakeImplicitInputsExplicit(model.graph.get()));
  if (options.optimize) {
    PassOptions passes;
    passes.fuse_attention = options.accelerator.empty();
    PX_RETURN_IF_ERROR(OptimizeGraph(model.graph.get(), passes));
  }
  // Accelerator providers upload the weights as the model has them: keep them then.
  if (options.prepack_weights && options.accelerator.empty()) {
    PX_RETURN_IF_ERROR(PrepackConstantWeights(model.graph.get()));
  }
  auto impl = std::make_unique<Session::Impl>();
  impl->graph = model.graph;
  impl->options = options;
  const int usable = ThreadPool::UsableCores();
  int threads = options.threads > 0 ? options.threads : usable;
  if (threads > usable) {
    impl->threads_note = std::to_string(threads) + " threads asked, " + std::to_string(usable) +
                         " usable cores: running " + std::to_string(usable) + " (a pool larger than its cores waits for the scheduler at every parallel loop)";
    threads = usable;
  }
  impl->pool = std::make_unique<ThreadPool>(threads);
  impl->lanes = std::make_unique<LanePool>(impl->pool->threads());
  PX_RETURN_IF_ERROR(OpenAccelerator(options, impl.get()));
  for (ValueId v : model.graph->inputs) impl->inputs.push_back(MakeIo(*model.graph, v));
  for (ValueId v : model.graph->outputs) impl->outputs.push_back(MakeIo(*model.graph, v));
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

StatusOr<std::unique_ptr<Session>> Session::Load(const std::string& path,
                                                 const SessionOptions& options) {
  PX_ASSIGN_OR_RETURN(Model m, LoadModelFile(path));
  return Finish(std::move(m), options);
}

StatusOr<std::unique_ptr<Session>> Session::LoadFromBytes(const void* data, size_t size,
                                                          const SessionOptions& options,
                                                          const std::string& base_dir) {
  PX_ASSIGN_OR_RETURN(Model m, LoadModel(data, size, base_dir));
  return Finish(std::move(m), options);
}

const std::vector<IoInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<IoInfo>& Session::outputs() const { return impl_->outputs; }
int Session::threads() const { return impl_->pool->threads(); }
const std::string& Session::accelerator() const { return impl_->accelerator; }
const std::string& Session::accelerator_note() const { return impl_->accelerator_note; }
const std::string& Session::threads_note() const { return impl_->threads_note; }
AcceleratorStats Session::accelerator_stats() const {
  return impl_->provider ? impl_->provider->stats() : AcceleratorStats{};
}

Status Session::Impl::Validate(const NamedTensors& given, std::vector<Tensor>* ordered) const {
  ordered->assign(inputs.size(), Tensor());
  for (const auto& [name, t] : given) {
    size_t i = 0;
    while (i < inputs.size() && inputs[i].name != name) ++i;
    if (i == inputs.size()) {
      std::string names;
      for (const auto& io : inputs) names += (names.empty() ? "'" : ", '") + io.name + "'";
      return InvalidArgument("unknown input '" + name + "'; the model's inputs are " + names);
    }
    if (ordered->at(i).defined()) return InvalidArgument("input '" + name + "' is given twice");
    const IoInfo& io = inputs[i];
    if (io.dtype != DataType::kUndefined && t.dtype() != io.dtype) {
      return InvalidArgument("input '" + name + "': expected dtype " + DataTypeName(io.dtype) +
                             ", got " + DataTypeName(t.dtype()));
    }
    if (!io.shape.empty() || graph->values[graph->inputs[i]].shape.has_value()) {
      bool match = io.shape.size() == t.shape().size();
      for (size_t d = 0; match && d < io.shape.size(); ++d) {
        if (io.shape[d] >= 0 && io.shape[d] != t.shape()[d]) match = false;
      }
      if (!match) {
        return InvalidArgument("input '" + name + "': expected shape " + ShapeToString(io.shape) +
                               " (-1 = any), got " + ShapeToString(t.shape()));
      }
    }
    if (t.numel() > 0 && t.raw() == nullptr) return InvalidArgument("input '" + name + "' has no data");
    (*ordered)[i] = t;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!ordered->at(i).defined()) return InvalidArgument("missing input '" + inputs[i].name + "'");
  }
  return Status::Ok();
}

StatusOr<std::shared_ptr<Session::Impl::CachedPlan>> Session::Impl::GetPlan(
    const std::vector<Tensor>& ordered) {
  std::vector<int64_t> key;
  for (const Tensor& t : ordered) {
    key.push_back(static_cast<int64_t>(t.dtype()) * 1000 + t.rank());
    key.insert(key.end(), t.shape().begin(), t.shape().end());
  }
  std::lock_guard<std::mutex> lock(plans_mu);
  auto it = plans.find(key);
  if (it != plans.end()) return it->second;
  std::vector<ValueInfo> infos;
  for (const Tensor& t : ordered) infos.push_back(ValueInfo{t.dtype(), t.shape(), nullptr});
  PlanOptions po;
  po.parallel = options.mode == ExecutionMode::kParallel;
  po.threads = pool->threads();
  po.policy = options.all_branches_concurrent ? BranchPolicy::kAll : BranchPolicy::kAuto;
  po.provider = provider.get();
  po.accelerator_ops = accelerator_ops ? &*accelerator_ops : nullptr;
  po.device = device ? &*device : nullptr;
  PX_ASSIGN_OR_RETURN(auto plan, BuildPlan(*graph, infos, po));
  auto cached = std::make_shared<CachedPlan>();
  cached->plan = std::move(plan);
  plans[key] = cached;
  return cached;
}

StatusOr<PlanStats> Session::Plan(const NamedTensors& inputs) {
  std::vector<Tensor> ordered;
  PX_RETURN_IF_ERROR(impl_->Validate(inputs, &ordered));
  PX_ASSIGN_OR_RETURN(auto cached, impl_->GetPlan(ordered));
  return cached->plan->stats;
}

namespace {

// Names the branch (and its first and last node) that needs the most memory, for budget errors.
std::string DescribeBranch(const Graph& g, const ExecutionPlan& plan, int32_t b) {
  const auto& steps = plan.parallel->partition.branches[b].steps;
  std::string s = "branch " + std::to_string(b) + " (nodes '" + g.nodes[plan.steps[steps.front()].node].name + "'";
  if (steps.size() > 1) s += " .. '" + g.nodes[plan.steps[steps.back()].node].name + "'";
  return s + ")";
}

}  // namespace

// How a run will execute under the budget: the parallel plan with as much of the branch slab as
// fits, else the sequential plan, else an error naming what does not fit.
struct RunChoice {
  bool parallel = false;
  size_t arena_bytes = 0;
  size_t slab_capacity = 0;
};

static StatusOr<RunChoice> ChooseRun(const Graph& g, const ExecutionPlan& plan,
                                     const SessionOptions& o, size_t budget, RunStats* stats) {
  RunChoice c;
  const size_t seq = plan.arena_bytes;
  if (o.mode == ExecutionMode::kParallel && plan.parallel && plan.parallel->concurrent_layers > 0) {
    const ParallelPlan& pp = *plan.parallel;
    const size_t shared = ParallelArenaBytes(pp, 0);
    if (plan.stats.parallel_min_arena_bytes <= budget) {
      c.parallel = true;
      c.slab_capacity = std::min(pp.memory.slab_bytes, budget - shared);
      c.arena_bytes = shared + c.slab_capacity;
      return c;
    }
    if (stats) stats->parallel_fell_back = true;
  }
  if (seq <= budget) {
    c.arena_bytes = seq;
    return c;
  }
  std::string who = "the plan";
  if (plan.parallel) {  // the branch live at the sequential plan's peak
    int32_t best = 0;
    for (size_t b = 0; b < plan.parallel->memory.branch_peak.size(); ++b) {
      if (plan.parallel->memory.branch_peak[b] > plan.parallel->memory.branch_peak[best]) best = b;
    }
    if (!plan.parallel->memory.branch_peak.empty()) who = DescribeBranch(g, plan, best);
  }
  return OutOfMemory("memory budget of " + std::to_string(budget) + " bytes is too small: " + who +
                     " needs " + std::to_string(seq) + " bytes of activations (the sequential plan's peak)");
}

StatusOr<NamedTensors> Session::Run(const NamedTensors& inputs, RunStats* stats) {
  std::vector<Tensor> ordered;
  PX_RETURN_IF_ERROR(impl_->Validate(inputs, &ordered));
  PX_ASSIGN_OR_RETURN(auto cached, impl_->GetPlan(ordered));
  const ExecutionPlan& plan = *cached->plan;
  RunStats local_stats;
  RunStats* rstats = stats ? stats : &local_stats;
  *rstats = RunStats();
  // The budget: ours, and what the system has left (plus the arena we are about to reuse).
  std::pair<size_t, std::shared_ptr<void>> arena;
  {
    std::lock_guard<std::mutex> lock(cached->arenas_mu);
    if (!cached->free_arenas.empty()) {
      arena = std::move(cached->free_arenas.back());
      cached->free_arenas.pop_back();
    }
  }
  SystemMemory sys = ReadSystemMemory();
  if (sys.available != SIZE_MAX) sys.available += arena.first;
  const size_t budget = EffectiveBudget(impl_->options.memory_budget, sys, impl_->options.memory_margin);
  rstats->budget_bytes = budget;
  auto choice = ChooseRun(*impl_->graph, plan, impl_->options, budget, rstats);
  if (!choice.ok()) return choice.status();
  if (arena.second && arena.first != choice->arena_bytes) arena = {};
  if (!arena.second) {
    size_t bytes = ((choice->arena_bytes + 63) / 64) * 64 + 64;
    void* p = std::aligned_alloc(64, bytes);
    if (p == nullptr) return OutOfMemory("cannot allocate the " + std::to_string(bytes) + "-byte arena");
    arena = {choice->arena_bytes, std::shared_ptr<void>(p, [](void* q) { std::free(q); })};
  }
  rstats->arena_bytes = choice->arena_bytes;
  rstats->mode = choice->parallel ? ExecutionMode::kParallel : ExecutionMode::kSequential;
  std::vector<Tensor> outs;
  std::vector<StepTrace> timings;
  ExecContext ctx;
  ctx.pool = impl_->pool.get();
  ctx.arena = arena.second.get();
  ctx.lanes = impl_->lanes.get();
  ctx.slab_capacity = choice->slab_capacity;
  ctx.timings = impl_->options.profile ? &timings : nullptr;
  ctx.stats = rstats;
  const ThreadPool::RunMark mark = ThreadPool::MarkRun();
  Status st = choice->parallel ? ExecuteParallel(*impl_->graph, plan, ordered, ctx, &outs)
                               : Execute(*impl_->graph, plan, ordered, ctx, &outs);
  impl_->pool->Rest();  // no spinning between runs
  impl_->pool->NoteRun(mark);
  if (st.ok() && impl_->options.profile) {
    rstats->trace = timings;
    std::lock_guard<std::mutex> lock(cached->profile_mu);
    cached->step_ms.resize(timings.size(), 0.0);
    for (size_t i = 0; i < timings.size(); ++i) cached->step_ms[i] += timings[i].end_ms - timings[i].start_ms;
    ++cached->profiled_runs;
  }
  {
    std::lock_guard<std::mutex> lock(cached->arenas_mu);
    cached->free_arenas.push_back(std::move(arena));
  }
  PX_RETURN_IF_ERROR(st);
  NamedTensors result;
  for (size_t i = 0; i < outs.size(); ++i) result.emplace_back(impl_->outputs[i].name, std::move(outs[i]));
  return result;
}

StatusOr<PlanReport> Session::Report(const NamedTensors& inputs) {
  std::vector<Tensor> ordered;
  PX_RETURN_IF_ERROR(impl_->Validate(inputs, &ordered));
  PX_ASSIGN_OR_RETURN(auto cached, impl_->GetPlan(ordered));
  const ExecutionPlan& plan = *cached->plan;
  const Graph& g = *impl_->graph;
  PlanReport r;
  r.threads = impl_->pool->threads();
  r.sequential_arena_bytes = plan.stats.sequential_arena_bytes;
  r.parallel_arena_bytes = plan.stats.parallel_arena_bytes;
  r.parallel_min_arena_bytes = plan.stats.parallel_min_arena_bytes;
  const ParallelPlan* pp = plan.parallel.get();
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    const Node& n = g.nodes[plan.steps[s].node];
    StepReport sr;
    sr.node = n.name;
    sr.op = StepOpName(n);
    sr.dynamic = plan.steps[s].dynamic;
    sr.on_accelerator = plan.steps[s].provider != nullptr;
    if (pp) {
      sr.branch = pp->partition.branch_of[s];
      sr.layer = pp->partition.branches[sr.branch].layer;
      sr.est_ms = pp->costs.ms1[s];
      sr.flops = pp->costs.cost[s].flops;
      sr.bytes = static_cast<size_t>(pp->costs.cost[s].bytes);
    }
    r.steps.push_back(std::move(sr));
  }
  if (!pp) return r;
  r.work_ms = pp->partition.work_ms;
  r.critical_path_ms = pp->partition.critical_path_ms;
  r.shared_bytes = pp->memory.shared_bytes;
  for (size_t b = 0; b < pp->partition.branches.size(); ++b) {
    const Branch& br = pp->partition.branches[b];
    r.branches.push_back(BranchReport{br.steps, br.preds, br.layer, br.cost_ms, pp->memory.branch_bytes[b],
                                      pp->memory.branch_peak[b]});
  }
  for (size_t l = 0; l < pp->partition.layers.size(); ++l) {
    const LayerDecision& d = pp->layers[l];
    r.layers.push_back(LayerReport{pp->partition.layers[l], d.lanes, d.sequential_ms, d.concurrent_ms});
  }
  return r;
}

StatusOr<SimulationReport> Session::Simulate(const NamedTensors& inputs, int cores,
                                             const std::vector<double>& step_ms1) {
  std::vector<Tensor> ordered;
  PX_RETURN_IF_ERROR(impl_->Validate(inputs, &ordered));
  PX_ASSIGN_OR_RETURN(auto cached, impl_->GetPlan(ordered));
  const ExecutionPlan& plan = *cached->plan;
  if (!plan.parallel) return InvalidArgument("Simulate needs a session in parallel mode");
  if (cores < 1) return InvalidArgument("Simulate needs at least one core");
  StepCosts costs = plan.parallel->costs;
  if (!step_ms1.empty()) {
    if (step_ms1.size() != costs.ms1.size()) {
      return InvalidArgument("expected " + std::to_string(costs.ms1.size()) + " step times, got " +
                             std::to_string(step_ms1.size()));
    }
    costs.ms1 = step_ms1;
  }
  const BranchPolicy policy = impl_->options.all_branches_concurrent ? BranchPolicy::kAll : BranchPolicy::kAuto;
  const size_t budget = impl_->options.memory_budget == 0 ? SIZE_MAX : impl_->options.memory_budget;
  return parallax::Simulate(plan, costs, cores, policy, budget);
}

StatusOr<HeteroReport> Session::PredictHeterogeneous(const NamedTensors& inputs,
                                                    const DeviceProfile& device,
                                                    const CapabilityProfile& ops) {
  std::vector<Tensor> ordered;
  PX_RETURN_IF_ERROR(impl_->Validate(inputs, &ordered));
  PX_ASSIGN_OR_RETURN(auto cached, impl_->GetPlan(ordered));
  const ExecutionPlan& plan = *cached->plan;
  if (!plan.parallel) return InvalidArgument("PredictHeterogeneous needs a session in parallel mode");
  const Graph& g = *impl_->graph;
  const PlacementInput in = MakePlacementInput(g, plan, plan.parallel->dag, plan.parallel->costs);
  PlacementResult placement = Place(in, ops, device);
  HeteroReport rep;
  rep.device = device.name;
  rep.accelerator_ops = ops.name;
  rep.on_accel = placement.on_accel;
  for (const Region& r : placement.regions) {
    HeteroReport::RegionInfo info;
    info.steps = static_cast<int32_t>(r.steps.size());
    info.first_node = g.nodes[plan.steps[r.steps.front()].node].name;
    info.last_node = g.nodes[plan.steps[r.steps.back()].node].name;
    info.gflops = r.flops / 1e9;
    info.cpu_ms = r.cpu_ms;
    info.accel_ms = r.accel_ms;
    info.offloaded = r.offloaded;
    info.reason = r.reason;
    rep.regions.push_back(std::move(info));
  }
  SimulateHeterogeneous(in, placement, device, &rep);
  return rep;
}

std::vector<OpProfile> Session::Profile(int64_t* runs) const {
  std::map<std::string, OpProfile> by_op;
  int64_t total_runs = 0;
  std::lock_guard<std::mutex> plans_lock(impl_->plans_mu);
  for (const auto& [key, cached] : impl_->plans) {
    std::lock_guard<std::mutex> lock(cached->profile_mu);
    total_runs += cached->profiled_runs;
    for (size_t i = 0; i < cached->step_ms.size(); ++i) {
      const Node& n = impl_->graph->nodes[cached->plan->steps[i].node];
      const std::string op = StepOpName(n);
      OpProfile& p = by_op[op];
      p.op_type = op;
      ++p.nodes;
      p.total_ms += cached->step_ms[i];
    }
  }
  std::vector<OpProfile> out;
  for (auto& [op, p] : by_op) out.push_back(p);
  std::sort(out.begin(), out.end(), [](const OpProfile& a, const OpProfile& b) { return a.total_ms > b.total_ms; });
  if (runs) *runs = total_runs;
  return out;
}

}  // namespace parallax
