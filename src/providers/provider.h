// Execution providers: devices other than the CPU kernels that can run some nodes.
//
//   auto p = parallax::CreateOpenClProvider(0);           // device 0 of all OpenCL platforms
//   if (!p.ok()) { /* no device: keep everything on the CPU */ }
//   if ((*p)->Supports(node, input_infos)) {
//     // outputs: host tensors allocated with the shapes the CPU kernel's infer gave
//     PX_RETURN_IF_ERROR((*p)->Run(node, inputs, outputs));
//   }
//
// The framework asks Supports() per node and keeps every node a provider refuses on the CPU
// (like ONNX Runtime's GetCapability, but per node: grouping nodes into regions is the
// partitioner's job, src/analysis/placement.h). A provider never infers shapes itself: the
// CPU kernel's `infer` (src/kernels/kernel.h) is the one shape authority.
//
// Device residency and asynchrony. A plan tells the provider, per step, where each operand
// lives (ProviderStepIo, filled by runtime/parallel_plan.cc): an output that only accelerator
// steps read stays on the device and is never copied to the host; an input produced that way
// is read from the device; a constant input is uploaded once per plan and kept
// (ProviderPlanCache). A step whose outputs all stay on the device returns as soon as its
// work is enqueued, so the CPU goes on with other branches while the device computes; only a
// copy to the host waits. One ProviderRun holds one execution's device values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kernels/kernel.h"
#include "parallax/session.h"
#include "parallax/status.h"
#include "parallax/tensor.h"

namespace parallax {

// Where one operand of a provider step lives; runtime/parallel_plan.cc decides.
struct ProviderOperand {
  ValueId value = kNoValue;     // the key of the operand's device copy
  bool constant = false;        // input: same bytes on every run of the plan (cached on the device)
  bool on_device = false;       // input: an earlier provider step left it on the device
  bool to_host = true;          // output: a CPU step, a view or the caller reads the host copy
  int32_t device_readers = 0;   // output: provider steps that read it from the device
};

struct ProviderStepIo {
  std::vector<ProviderOperand> inputs, outputs;  // parallel to the node's inputs and outputs
};

// Device copies a plan keeps across runs (its constant inputs). Owned by the plan; may outlive
// the provider object (it keeps what it needs of the device alive).
class ProviderPlanCache {
 public:
  virtual ~ProviderPlanCache() = default;
};

// One execution's device values. Destroying it frees them (OpenCL releases a buffer after the
// commands queued on it).
class ProviderRun {
 public:
  virtual ~ProviderRun() = default;
};

// Transfers and launches since the provider was made (parallax/session.h).
using ProviderStats = AcceleratorStats;

class ExecutionProvider {
 public:
  virtual ~ExecutionProvider() = default;

  // "opencl:<device name>" and the like; for logs and reports.
  virtual std::string name() const = 0;

  // True when Run can compute `node` on these inputs (dtypes and static shapes, as shape
  // inference knows them; an omitted optional input has dtype kUndefined). False for any op,
  // dtype, attribute or shape the provider does not handle, and for inputs that are invalid
  // for the op: those stay on the CPU, whose kernel reports the error. Cheap; never fails.
  virtual bool Supports(const Node& node, const std::vector<ValueInfo>& inputs) const = 0;

  virtual std::unique_ptr<ProviderPlanCache> NewPlanCache() = 0;
  // A fresh execution using `cache` (which must outlive it).
  virtual std::unique_ptr<ProviderRun> BeginRun(ProviderPlanCache* cache) = 0;

  // Computes `node` within `run`. `inputs` are host tensors (nullptr for an omitted optional
  // input); their data is only read where `io` says the input is not on the device. `outputs`
  // are host tensors already allocated with the dtypes and shapes the CPU kernel's infer gave
  // (nullptr for an output nobody reads); those `io` marks to_host are written before Run
  // returns, the others may still be in flight. NotImplemented when Supports() would be false;
  // Internal on a device error. Safe to call from several threads (calls are serialised).
  virtual Status Run(ProviderRun* run, const Node& node, const std::vector<const Tensor*>& inputs,
                     const std::vector<Tensor*>& outputs, const ProviderStepIo& io) = 0;

  // One node on its own: host inputs in, host outputs written when it returns.
  Status Run(const Node& node, const std::vector<const Tensor*>& inputs,
             const std::vector<Tensor*>& outputs);

  virtual ProviderStats stats() const = 0;
};

// The OpenCL provider on device `device_index` of the devices of all OpenCL platforms, listed
// platform by platform. Compiles its kernels once, here. NotFound when there is no OpenCL
// platform or no such device (the message says how many there are); NotImplemented when
// Parallax was built without OpenCL (PARALLAX_OPENCL=OFF); Internal when the device fails to
// create a context or compile the kernels. Never crashes for a missing device.
StatusOr<std::unique_ptr<ExecutionProvider>> CreateOpenClProvider(int device_index);

// The CPU provider (cpu_provider.cc): the CPU kernels behind this interface, for
// `--accelerator cpu` (the heterogeneous path without a device; host memory is its memory).
std::unique_ptr<ExecutionProvider> CreateCpuProvider();

}  // namespace parallax
