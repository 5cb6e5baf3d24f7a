// ExecutionPlan: everything the executor needs for one input-shape signature, decided before
// the first run — which nodes run in which order, every value's dtype and shape, which values
// were folded to constants at plan time, and where each intermediate lives in the arena.
//
//   auto plan = BuildPlan(graph, input_infos);     // StatusOr<unique_ptr<ExecutionPlan>>
//   plan->arena_bytes                                      // planned peak, before any run
//   Execute(graph, *plan, inputs, &pool, arena, &outputs);
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "analysis/partition.h"
#include "analysis/placement.h"
#include "ir/graph.h"
#include "kernels/kernel.h"
#include "memory/branch_planner.h"
#include "memory/planner.h"
#include "parallax/device.h"
#include "parallax/session.h"
#include "providers/provider.h"
#include "runtime/scheduler.h"

namespace parallax {

class ThreadPool;
class LanePool;

struct ValueSlot {
  enum class Kind {
    kUnused,    // not needed by any step or output
    kInput,     // a graph input, supplied by the caller
    kConstant,  // an initializer or a plan-time folded value
    kArena,     // static shape, lives at `offset` in the arena
    kAlias,     // a view of another value's buffer (`alias_of`), with its own shape
    kDynamic,   // shape known only at run time; heap-allocated when produced
  };
  Kind kind = Kind::kUnused;
  DataType dtype = DataType::kUndefined;
  Shape shape;
  size_t offset = 0;
  ValueId alias_of = kNoValue;
  const Tensor* constant = nullptr;
};

struct PlanStep {
  NodeId node = -1;
  const KernelDef* kernel = nullptr;
  bool dynamic = false;  // infer shapes at run time
  bool aliased = false;  // output 0 is a view of input 0; compute is skipped
  bool prepacked = false;  // reads a prepacked weight: `state` holds it, also for dynamic runs
  std::vector<ValueId> release;  // dynamic values whose last reader is this step
  uint64_t constant_inputs = 0;  // bit i: input i is a plan constant (KernelContext)
  std::shared_ptr<KernelState> state = std::make_shared<KernelState>();
  ExecutionProvider* provider = nullptr;  // runs the step instead of the CPU kernel
  ProviderStepIo provider_io;             // with a provider: where its operands live
};

// The parallel schedule of a plan: branches, layers, per-layer concurrency, and the
// branch-aware memory plan (runtime/parallel_plan.cc builds it).
struct ParallelPlan {
  int threads = 1;
  StepGraph dag;                                 // per step: data and write-after-read preds
  PartitionResult partition;                     // over plan steps
  StepCosts costs;                               // per step (cost model estimates)
  std::vector<LayerDecision> layers;             // per layer: lanes > 1 = concurrent
  std::vector<BranchBuffer> buffers;             // parallel to ExecutionPlan::buffers
  BranchMemoryPlan memory;
  std::vector<std::vector<ValueId>> release_after;  // per tick: dynamic values now dead
  int concurrent_layers = 0;
};

struct ExecutionPlan {
  std::vector<PlanStep> steps;
  std::vector<ValueSlot> slots;                    // indexed by ValueId
  std::unordered_map<ValueId, Tensor> folded;      // plan-time constants
  std::vector<BufferUsage> buffers;                // for CheckMemoryPlan in tests
  std::vector<std::vector<ValueId>> buffer_values; // per buffer: the values that live in it
  MemoryPlan memory;
  size_t arena_bytes = 0;                          // the sequential arena
  std::unique_ptr<ParallelPlan> parallel;          // null unless PlanOptions::parallel
  std::unique_ptr<ProviderPlanCache> provider_cache;  // with accelerator steps: device constants
  PlanStats stats;
};

struct PlanOptions {
  bool parallel = false;  // also build the ParallelPlan (always built with a provider)
  int threads = 1;        // the thread budget the parallel plan divides
  BranchPolicy policy = BranchPolicy::kAuto;
  CostParams cost;
  // Accelerator placement (analysis/placement.h): steps go to `provider` when it supports them
  // and they fall in an offloaded region. Without a device profile, every region is offloaded.
  ExecutionProvider* provider = nullptr;
  const CapabilityProfile* accelerator_ops = nullptr;  // null = all ops
  const DeviceProfile* device = nullptr;
};

// What Execute needs besides the plan and the inputs.
struct ExecContext {
  ThreadPool* pool = nullptr;       // all threads, for one branch at a time
  void* arena = nullptr;            // sequential: arena_bytes; parallel: ParallelArenaBytes()
  LanePool* lanes = nullptr;        // parallel runs: lane sets for concurrent waves
  size_t slab_capacity = 0;         // parallel runs: bytes of branch arenas that may be live
  std::vector<StepTrace>* timings = nullptr;  // resized to the steps when given
  RunStats* stats = nullptr;        // parallel runs: waves and held-back branches
};

// Builds the plan for `graph` with the given graph-input infos (parallel to graph.inputs).
// Folds every node whose inputs are all known, infers every static shape, and plans memory.
// Folding runs each kernel on one thread, so a folded value is the same whatever the thread
// count (OpenBLAS's result for a block depends on the block's size: SwinV2's position-bias MLP,
// folded on 2 threads, differed from 1 thread's by 1e-6 and so did the model's logits).
// Fails with a node-naming Status on bad shapes or unsupported ops.
StatusOr<std::unique_ptr<ExecutionPlan>> BuildPlan(const Graph& graph,
                                                   const std::vector<ValueInfo>& inputs,
                                                   const PlanOptions& options = {});

// Adds plan->parallel: the step DAG (data and write-after-read edges), its branches and layers,
// per-layer concurrency decisions and the branch-aware memory plan.
void BuildParallelPlan(const Graph& graph, ExecutionPlan* plan, const PlanOptions& options);

// The per-layer decisions (PlanLayers) under the memory cap (kMaxMemoryOverhead over
// `sequential_arena`, auto policy only) and the branch memory plan they give. Shared by
// BuildParallelPlan and the simulator.
BranchMemoryPlan DecideLayers(const PartitionResult& partition, const StepCosts& costs,
                              const std::vector<BranchBuffer>& buffers, size_t sequential_arena,
                              int threads, BranchPolicy policy, const CostParams& params,
                              std::vector<LayerDecision>* layers);

// The partitioner's view of a plan (analysis/placement.h): the step DAG, costs, op types,
// dynamic flags and output bytes; no provider check. Shared by accelerator placement and
// Session::PredictHeterogeneous.
PlacementInput MakePlacementInput(const Graph& graph, const ExecutionPlan& plan, const StepGraph& dag,
                                  const StepCosts& costs);

// Bytes a parallel run's arena needs: the shared region, then `slab_capacity` of branch arenas.
size_t ParallelArenaBytes(const ParallelPlan& p, size_t slab_capacity);

// Runs the plan in step order over one arena of plan.arena_bytes (the sequential mode).
// `inputs` parallel to graph.inputs. Outputs (parallel to graph.outputs) are owned copies.
Status Execute(const Graph& graph, const ExecutionPlan& plan, const std::vector<Tensor>& inputs,
               const ExecContext& ctx, std::vector<Tensor>* outputs);

// Runs plan.parallel layer by layer: a concurrent layer's branches run in waves that fit
// ctx.slab_capacity (PickBranches), each wave on lanes; other layers one step at a time with
// all threads. Outputs are bitwise equal to Execute's.
Status ExecuteParallel(const Graph& graph, const ExecutionPlan& plan,
                       const std::vector<Tensor>& inputs, const ExecContext& ctx,
                       std::vector<Tensor>* outputs);

// Runs one node: infers (if asked) and computes, allocating outputs on the heap. Shared by
// plan-time folding and dynamic steps.
// `state` and `constant_inputs`: the step's, when its KernelState holds a prepacked weight
// (PlanStep::prepacked); null and 0 otherwise.
Status RunNodeDynamic(const Node& node, const KernelDef& kernel,
                      const std::vector<const Tensor*>& inputs, ThreadPool* pool,
                      std::vector<Tensor>* outputs, KernelState* state = nullptr,
                      uint64_t constant_inputs = 0);

}  // namespace parallax
