// The provider framework's own code: the one-node Run every provider gets.
#include "providers/provider.h"

namespace parallax {

Status ExecutionProvider::Run(const Node& node, const std::vector<const Tensor*>& inputs,
                              const std::vector<Tensor*>& outputs) {
  std::unique_ptr<ProviderPlanCache> cache = NewPlanCache();
  std::unique_ptr<ProviderRun> run = BeginRun(cache.get());
  ProviderStepIo io;
  io.inputs.resize(inputs.size());
  io.outputs.resize(outputs.size());  // every output to the host, nothing kept
  return Run(run.get(), node, inputs, outputs, io);
}

}  // namespace parallax
