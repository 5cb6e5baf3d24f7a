// CreateOpenClProvider when Parallax is built without OpenCL (PARALLAX_OPENCL=OFF: the OpenCL
// headers and loader or CLBlast were not found). Replaced by providers/opencl/ otherwise.
#include "providers/provider.h"

namespace parallax {

StatusOr<std::unique_ptr<ExecutionProvider>> CreateOpenClProvider(int device_index) {
  return NotImplemented(
      "the OpenCL provider is not built (PARALLAX_OPENCL=OFF: install "
      "ocl-icd-opencl-dev opencl-headers libclblast-dev and reconfigure)");
}

}  // namespace parallax
