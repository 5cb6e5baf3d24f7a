// The CPU provider: the CPU kernel registry behind the provider interface. `--accelerator cpu`
// runs the heterogeneous path (placement, per-step operand placement, provider calls) with
// the CPU kernels as the "device": a reference that needs no OpenCL, for tests and for seeing
// what a placement does. Its device memory is the host's, so every value it keeps "on the
// device" is in the host tensor already and nothing is copied. It runs each node on the
// calling lane's thread (a one-thread pool, which runs work inline and so is safe to share
// between lanes), without plan state.
#include <mutex>

#include "kernels/registry.h"
#include "providers/provider.h"
#include "runtime/thread_pool.h"

namespace parallax {
namespace {

class CpuPlanCache : public ProviderPlanCache {};
class CpuRun : public ProviderRun {};

class CpuProvider : public ExecutionProvider {
 public:
  std::string name() const override { return "cpu"; }

  bool Supports(const Node& node, const std::vector<ValueInfo>& inputs) const override {
    if (FindKernel(node.op_type, node.domain, node.opset) == nullptr) return false;
    for (const auto& [key, attr] : node.attrs) {
      if (attr.g) return false;  // control flow runs its bodies through the executor
    }
    for (const ValueInfo& in : inputs) {
      if (in.dtype == DataType::kUndefined) continue;  // omitted
      for (int64_t d : in.shape) {
        if (d < 0) return false;  // static shapes only, as a device would
      }
    }
    return true;
  }

  std::unique_ptr<ProviderPlanCache> NewPlanCache() override { return std::make_unique<CpuPlanCache>(); }
  std::unique_ptr<ProviderRun> BeginRun(ProviderPlanCache*) override { return std::make_unique<CpuRun>(); }

  Status Run(ProviderRun*, const Node& node, const std::vector<const Tensor*>& inputs,
             const std::vector<Tensor*>& outputs, const ProviderStepIo& io) override {
    const KernelDef* def = FindKernel(node.op_type, node.domain, node.opset);
    if (def == nullptr) return NotImplemented(node.Describe() + "no CPU kernel");
    std::vector<Tensor*> outs = outputs;
    std::vector<Tensor> scratch(outputs.size());
    for (size_t i = 0; i < outs.size(); ++i) {
      if (outs[i] == nullptr) outs[i] = &scratch[i];  // an unread output: kernels write every output
    }
    uint64_t constants = 0;
    for (size_t i = 0; i < io.inputs.size() && i < 64; ++i) {
      if (io.inputs[i].constant) constants |= uint64_t{1} << i;
    }
    KernelContext ctx{node, inputs, outs, &pool_, nullptr, constants, nullptr};
    PX_RETURN_IF_ERROR(def->compute(ctx).WithPrefix(node.Describe()));
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.steps;
    for (const ProviderOperand& in : io.inputs) stats_.device_reads += in.on_device ? 1 : 0;
    return Status::Ok();
  }

  ProviderStats stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  ThreadPool pool_{1};  // no worker threads: made once, not per node
  mutable std::mutex mu_;
  ProviderStats stats_;
};

}  // namespace

std::unique_ptr<ExecutionProvider> CreateCpuProvider() { return std::make_unique<CpuProvider>(); }

}  // namespace parallax
