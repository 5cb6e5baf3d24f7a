// The OpenCL execution provider: the op table of cl_ops.h on one ClRuntime. Supports() finds
// the op's row (the newest row whose since_version <= the node's opset) and asks it; Run()
// checks the same on the actual tensors, then runs the row under a lock.
#include <clblast_c.h>

#include <mutex>
#include <string>
#include <vector>

#include "providers/opencl/cl_ops.h"
#include "providers/provider.h"

namespace parallax {
namespace opencl {

bool IsOmitted(const std::vector<ValueInfo>& inputs, size_t i) {
  return i >= inputs.size() || inputs[i].dtype == DataType::kUndefined;
}

bool IsDenseFloat(const std::vector<ValueInfo>& inputs, size_t i) {
  if (IsOmitted(inputs, i) || inputs[i].dtype != DataType::kFloat32) return false;
  for (int64_t d : inputs[i].shape) {
    if (d <= 0) return false;  // symbolic (< 0) or empty: left to the CPU
  }
  const int64_t n = NumElements(inputs[i].shape);
  return n > 0 && n <= INT32_MAX;
}

Status CheckOutput(const Node& node, const std::vector<Tensor*>& outputs, size_t i,
                   const Shape& shape) {
  if (i >= outputs.size() || outputs[i] == nullptr) {
    return InvalidArgument(node.Describe() + "output " + std::to_string(i) + " is missing");
  }
  const Tensor& t = *outputs[i];
  if (t.dtype() != DataType::kFloat32 || t.shape() != shape) {
    return InvalidArgument(node.Describe() + "output " + std::to_string(i) + " is " +
                           DataTypeName(t.dtype()) + " " + ShapeToString(t.shape()) +
                           ", expected float32 " + ShapeToString(shape));
  }
  return Status::Ok();
}

namespace {

class OpenClProvider : public ExecutionProvider {
 public:
  OpenClProvider(std::unique_ptr<ClRuntime> rt, std::vector<ClOp> ops)
      : rt_(std::move(rt)), ops_(std::move(ops)) {}
  ~OpenClProvider() override {
    (void)rt_->Finish();
    // CLBlast caches its compiled programs per context; drop them (this clears its whole cache,
    // so another live provider recompiles on its next GEMM).
    CLBlastClearCache();
  }

  std::string name() const override { return "opencl:" + rt_->device_name(); }

  bool Supports(const Node& node, const std::vector<ValueInfo>& inputs) const override {
    const ClOp* op = Find(node);
    return op != nullptr && op->supports(node, inputs);
  }

  Status Run(const Node& node, const std::vector<const Tensor*>& inputs,
             const std::vector<Tensor*>& outputs) override {
    std::vector<ValueInfo> infos(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i] != nullptr) {
        infos[i] = ValueInfo{inputs[i]->dtype(), inputs[i]->shape(), inputs[i]};
      }
    }
    const ClOp* op = Find(node);
    if (op == nullptr || !op->supports(node, infos)) {
      return NotImplemented(node.Describe() +
                            "not supported by the OpenCL provider on these inputs");
    }
    std::lock_guard<std::mutex> lock(mu_);
    Status st = op->run(*rt_, node, inputs, outputs);
    if (!st.ok()) {
      (void)rt_->Finish();  // nothing enqueued may outlive the buffers of a failed run
      return st.WithPrefix(st.message().rfind(node.Describe(), 0) == 0 ? "" : node.Describe());
    }
    return st;
  }

 private:
  const ClOp* Find(const Node& node) const {
    const ClOp* best = nullptr;
    for (const ClOp& op : ops_) {
      if (node.op_type != op.op_type || node.domain != op.domain || node.opset < op.since_version) {
        continue;
      }
      if (best == nullptr || op.since_version > best->since_version) best = &op;
    }
    return best;
  }

  std::mutex mu_;
  std::unique_ptr<ClRuntime> rt_;
  std::vector<ClOp> ops_;
};

}  // namespace
}  // namespace opencl

StatusOr<std::unique_ptr<ExecutionProvider>> CreateOpenClProvider(int device_index) {
  const std::string source = std::string(opencl::kElementwiseClSource) + opencl::kMatMulClSource +
                             opencl::kNormalizationClSource + opencl::kDataMovementClSource;
  PX_ASSIGN_OR_RETURN(std::unique_ptr<opencl::ClRuntime> rt,
                      opencl::ClRuntime::Create(device_index, source));
  std::vector<opencl::ClOp> ops;
  for (auto list : {opencl::MatMulClOps, opencl::ElementwiseClOps, opencl::NormalizationClOps,
                    opencl::DataMovementClOps}) {
    for (const opencl::ClOp& op : list()) ops.push_back(op);
  }
  return std::unique_ptr<ExecutionProvider>(
      new opencl::OpenClProvider(std::move(rt), std::move(ops)));
}

}  // namespace parallax
