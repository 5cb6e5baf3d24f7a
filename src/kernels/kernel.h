// The kernel interface: every op is a KernelDef row in the registry table (registry.cc).
//
// A kernel is two plain functions:
//   infer(InferContext&)    — output dtypes and shapes from input dtypes/shapes. Inputs whose
//                             *contents* decide the shape (Reshape's shape, Slice's starts...)
//                             are read with ctx.Value(i); when the contents are not known yet
//                             (plan time, non-constant input) Value returns nullptr and the
//                             kernel returns NeedsValue(): the executor then infers this node at
//                             run time, when every value is known.
//   compute(KernelContext&) — fills the outputs, which the executor has already allocated with
//                             the inferred shapes (in the planned arena or on the heap).
// Errors are returned without the node prefix; the executor adds "Op node 'name': ".
//
// Traits the memory planner uses (declared here, never special-cased in the planner):
//   inplace_input = k  — output 0 may be written over input k when that input dies here
//                        (same dtype and element count); compute must tolerate out == in.
//   alias = true       — output 0 is input 0's buffer with a new shape (Reshape, Squeeze...);
//                        compute is not called when the executor aliases.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "ir/graph.h"
#include "parallax/status.h"
#include "parallax/tensor.h"

namespace parallax {

class ThreadPool;
class Tensor;

// Runs a subgraph (If/Loop bodies) with the given graph inputs; provided by the runtime.
using RunSubgraphFn = Status (*)(const Graph& body, const std::vector<Tensor>& inputs,
                                 ThreadPool* pool, std::vector<Tensor>* outputs);

// What shape inference knows about one value.
struct ValueInfo {
  DataType dtype = DataType::kUndefined;
  Shape shape;
  const Tensor* value = nullptr;  // contents, when known
};

inline Status NeedsValue() { return Status(StatusCode::kNeedsValue, "needs input contents"); }

struct InferContext {
  const Node& node;
  std::vector<const ValueInfo*> inputs;  // nullptr for an omitted optional input
  std::vector<ValueInfo> outputs;        // sized to node.outputs; kernels set dtype and shape

  size_t num_inputs() const { return inputs.size(); }
  bool has(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  const ValueInfo& in(size_t i) const { return *inputs[i]; }
  const Tensor* Value(size_t i) const { return has(i) ? inputs[i]->value : nullptr; }
  void SetOutput(size_t i, DataType dtype, Shape shape) {
    outputs[i].dtype = dtype;
    outputs[i].shape = std::move(shape);
  }
};

// State one node keeps across the runs of one plan — packed weights, a prepared XNNPACK
// operator. Created once, under a lock; what it holds must be safe for concurrent runs (or
// carry its own lock). Only ever built from inputs that are constants of the plan.
class KernelState {
 public:
  // Returns the state, calling make() (-> std::shared_ptr<T>, null on failure) the first time.
  template <typename T, typename Make>
  T* GetOrCreate(Make make) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!state_) state_ = make();
    return static_cast<T*>(state_.get());
  }
  // Puts a state made elsewhere (a prepacked weight, KernelDef::prepack) before the first run.
  void Seed(std::shared_ptr<void> state) {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = std::move(state);
  }

 private:
  std::mutex mu_;
  std::shared_ptr<void> state_;
};

struct KernelContext {
  const Node& node;
  std::vector<const Tensor*> inputs;  // nullptr for an omitted optional input
  std::vector<Tensor*> outputs;       // allocated with the inferred dtype and shape
  ThreadPool* pool = nullptr;         // never null at run time; may have 1 thread
  KernelState* state = nullptr;       // null when folding or running a dynamic step
                                      // (unless the step has a prepacked weight)
  uint64_t constant_inputs = 0;       // bit i: input i is a constant of the plan
  RunSubgraphFn run_subgraph = nullptr;  // for control flow; null outside the runtime

  size_t num_inputs() const { return inputs.size(); }
  bool has(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  const Tensor& in(size_t i) const { return *inputs[i]; }
  Tensor& out(size_t i) { return *outputs[i]; }
  bool is_constant(size_t i) const { return i < 64 && ((constant_inputs >> i) & 1); }
};

using InferFn = Status (*)(InferContext&);
using ComputeFn = Status (*)(KernelContext&);
// The kernel's packed form of a constant input 1 (MatMul/Gemm weights), built once at load;
// null when this node cannot use one. The plan puts it in the step's KernelState, where the
// kernel's GetOrCreate finds it, and the graph keeps only the packed copy (runtime/prepack.h).
using PrepackFn = std::shared_ptr<void> (*)(const Node& node, const Tensor& weight);

struct KernelDef {
  const char* op_type;
  const char* domain;     // "" = ai.onnx
  int since_version;      // first opset this row implements
  int until_version;      // last opset (inclusive); 0 = up to the newest
  InferFn infer;
  ComputeFn compute;
  int inplace_input = -1;
  bool alias = false;
  // Control flow: outputs are only known by running a subgraph, so infer is skipped at run
  // time and compute assigns *ctx.outputs[i] itself.
  bool allocates_outputs = false;
  PrepackFn prepack = nullptr;
  // The attributes `prepack` reads (null-terminated; null = none): readers of one weight share
  // its packed copy only when these agree (runtime/prepack.cc).
  const char* const* prepack_attrs = nullptr;
};

}  // namespace parallax
