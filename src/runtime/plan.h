// ExecutionPlan: everything the executor needs for one input-shape signature, decided before
// the first run — which nodes run in which order, every value's dtype and shape, which values
// were folded to constants at plan time, and where each intermediate lives in the arena.
//
//   auto plan = BuildPlan(graph, input_infos, &pool);     // StatusOr<unique_ptr<ExecutionPlan>>
//   plan->arena_bytes                                      // planned peak, before any run
//   Execute(graph, *plan, inputs, &pool, arena, &outputs);
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "kernels/kernel.h"
#include "memory/planner.h"
#include "parallax/session.h"

namespace parallax {

class ThreadPool;

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
  std::vector<ValueId> release;  // dynamic values whose last reader is this step
  uint64_t constant_inputs = 0;  // bit i: input i is a plan constant (KernelContext)
  std::shared_ptr<KernelState> state = std::make_shared<KernelState>();
};

struct ExecutionPlan {
  std::vector<PlanStep> steps;
  std::vector<ValueSlot> slots;                    // indexed by ValueId
  std::unordered_map<ValueId, Tensor> folded;      // plan-time constants
  std::vector<BufferUsage> buffers;                // for CheckMemoryPlan in tests
  MemoryPlan memory;
  size_t arena_bytes = 0;
  PlanStats stats;
};

// Builds the plan for `graph` with the given graph-input infos (parallel to graph.inputs).
// Folds every node whose inputs are all known, infers every static shape, and plans memory.
// Fails with a node-naming Status on bad shapes or unsupported ops.
StatusOr<std::unique_ptr<ExecutionPlan>> BuildPlan(const Graph& graph,
                                                   const std::vector<ValueInfo>& inputs,
                                                   ThreadPool* pool);

// Runs the plan. `inputs` parallel to graph.inputs; `arena` holds plan.arena_bytes.
// Outputs (parallel to graph.outputs) are owned copies.
// When `step_ms` is non-null it receives each step's wall time in milliseconds (resized to
// plan.steps.size(), values added to what is there).
Status Execute(const Graph& graph, const ExecutionPlan& plan, const std::vector<Tensor>& inputs,
               ThreadPool* pool, void* arena, std::vector<Tensor>* outputs,
               std::vector<double>* step_ms = nullptr);

// Runs one node: infers (if asked) and computes, allocating outputs on the heap. Shared by
// plan-time folding and dynamic steps.
Status RunNodeDynamic(const Node& node, const KernelDef& kernel,
                      const std::vector<const Tensor*>& inputs, ThreadPool* pool,
                      std::vector<Tensor>* outputs);

}  // namespace parallax
