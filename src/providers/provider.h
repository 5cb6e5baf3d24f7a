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
// Run is synchronous for now: it copies the inputs to the device, runs the node, copies the
// outputs back and returns when they are in host memory. Next steps: keeping tensors on the
// device across a region of consecutive supported nodes (copies only at region borders), and
// an asynchronous queue so that the CPU runs other branches while the device works.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "kernels/kernel.h"
#include "parallax/status.h"
#include "parallax/tensor.h"

namespace parallax {

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

  // Computes `node`. `inputs` are host tensors (nullptr for an omitted optional input);
  // `outputs` are host tensors already allocated with the dtypes and shapes the CPU kernel's
  // infer gave (nullptr for an output nobody reads). Returns when the outputs are written.
  // NotImplemented when Supports() would be false; Internal on a device error. Safe to call
  // from several threads (calls are serialised).
  virtual Status Run(const Node& node, const std::vector<const Tensor*>& inputs,
                     const std::vector<Tensor*>& outputs) = 0;
};

// The OpenCL provider on device `device_index` of the devices of all OpenCL platforms, listed
// platform by platform. Compiles its kernels once, here. NotFound when there is no OpenCL
// platform or no such device (the message says how many there are); NotImplemented when
// Parallax was built without OpenCL (PARALLAX_OPENCL=OFF); Internal when the device fails to
// create a context or compile the kernels. Never crashes for a missing device.
StatusOr<std::unique_ptr<ExecutionProvider>> CreateOpenClProvider(int device_index);

}  // namespace parallax
