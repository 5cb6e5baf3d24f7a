#include "providers/opencl/cl_runtime.h"

#include <algorithm>
#include <utility>

namespace parallax::opencl {
namespace {

const char* ClErrorName(cl_int err) {
  switch (err) {
    case CL_DEVICE_NOT_FOUND:
      return "CL_DEVICE_NOT_FOUND";
    case CL_DEVICE_NOT_AVAILABLE:
      return "CL_DEVICE_NOT_AVAILABLE";
    case CL_COMPILER_NOT_AVAILABLE:
      return "CL_COMPILER_NOT_AVAILABLE";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
      return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    case CL_OUT_OF_RESOURCES:
      return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY:
      return "CL_OUT_OF_HOST_MEMORY";
    case CL_BUILD_PROGRAM_FAILURE:
      return "CL_BUILD_PROGRAM_FAILURE";
    case CL_INVALID_VALUE:
      return "CL_INVALID_VALUE";
    case CL_INVALID_DEVICE:
      return "CL_INVALID_DEVICE";
    case CL_INVALID_CONTEXT:
      return "CL_INVALID_CONTEXT";
    case CL_INVALID_COMMAND_QUEUE:
      return "CL_INVALID_COMMAND_QUEUE";
    case CL_INVALID_MEM_OBJECT:
      return "CL_INVALID_MEM_OBJECT";
    case CL_INVALID_PROGRAM_EXECUTABLE:
      return "CL_INVALID_PROGRAM_EXECUTABLE";
    case CL_INVALID_KERNEL_NAME:
      return "CL_INVALID_KERNEL_NAME";
    case CL_INVALID_ARG_INDEX:
      return "CL_INVALID_ARG_INDEX";
    case CL_INVALID_ARG_VALUE:
      return "CL_INVALID_ARG_VALUE";
    case CL_INVALID_ARG_SIZE:
      return "CL_INVALID_ARG_SIZE";
    case CL_INVALID_KERNEL_ARGS:
      return "CL_INVALID_KERNEL_ARGS";
    case CL_INVALID_WORK_DIMENSION:
      return "CL_INVALID_WORK_DIMENSION";
    case CL_INVALID_WORK_GROUP_SIZE:
      return "CL_INVALID_WORK_GROUP_SIZE";
    case CL_INVALID_WORK_ITEM_SIZE:
      return "CL_INVALID_WORK_ITEM_SIZE";
    case CL_INVALID_BUFFER_SIZE:
      return "CL_INVALID_BUFFER_SIZE";
    case CL_INVALID_GLOBAL_WORK_SIZE:
      return "CL_INVALID_GLOBAL_WORK_SIZE";
    case -1001:
      return "CL_PLATFORM_NOT_FOUND_KHR";
    default:
      return "OpenCL error";
  }
}

// Every device of every platform, in platform order.
StatusOr<std::vector<cl_device_id>> AllDevices() {
  cl_uint num_platforms = 0;
  cl_int err = clGetPlatformIDs(0, nullptr, &num_platforms);
  // The ICD loader answers CL_PLATFORM_NOT_FOUND_KHR when no driver is installed.
  if (err == -1001 || (err == CL_SUCCESS && num_platforms == 0)) {
    return NotFound("no OpenCL platform found (install an OpenCL driver, e.g. pocl-opencl-icd)");
  }
  if (err != CL_SUCCESS) return ClError("clGetPlatformIDs", err);
  std::vector<cl_platform_id> platforms(num_platforms);
  err = clGetPlatformIDs(num_platforms, platforms.data(), nullptr);
  if (err != CL_SUCCESS) return ClError("clGetPlatformIDs", err);
  std::vector<cl_device_id> devices;
  for (cl_platform_id p : platforms) {
    cl_uint n = 0;
    err = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &n);
    if (err == CL_DEVICE_NOT_FOUND || n == 0) continue;  // a platform without devices
    if (err != CL_SUCCESS) return ClError("clGetDeviceIDs", err);
    std::vector<cl_device_id> ids(n);
    err = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n, ids.data(), nullptr);
    if (err != CL_SUCCESS) return ClError("clGetDeviceIDs", err);
    devices.insert(devices.end(), ids.begin(), ids.end());
  }
  return devices;
}

std::string DeviceString(cl_device_id d, cl_device_info what) {
  size_t size = 0;
  if (clGetDeviceInfo(d, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return "";
  std::string s(size, '\0');
  if (clGetDeviceInfo(d, what, size, s.data(), nullptr) != CL_SUCCESS) return "";
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

std::string BuildLog(cl_program program, cl_device_id d) {
  size_t size = 0;
  if (clGetProgramBuildInfo(program, d, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size) != CL_SUCCESS) {
    return "";
  }
  std::string log(size, '\0');
  if (clGetProgramBuildInfo(program, d, CL_PROGRAM_BUILD_LOG, size, log.data(), nullptr) !=
      CL_SUCCESS) {
    return "";
  }
  return log.substr(0, 4000);
}

}  // namespace

Status ClError(const std::string& what, cl_int err) {
  return Internal(what + " failed: " + ClErrorName(err) + " (" + std::to_string(err) + ")");
}

ClBuffer& ClBuffer::operator=(ClBuffer&& o) noexcept {
  if (this != &o) {
    if (mem_ != nullptr) clReleaseMemObject(mem_);
    mem_ = o.mem_;
    o.mem_ = nullptr;
  }
  return *this;
}

ClBuffer::~ClBuffer() {
  if (mem_ != nullptr) clReleaseMemObject(mem_);
}

StatusOr<std::unique_ptr<ClRuntime>> ClRuntime::Create(int device_index,
                                                       const std::string& source) {
  PX_ASSIGN_OR_RETURN(std::vector<cl_device_id> devices, AllDevices());
  if (devices.empty()) return NotFound("no OpenCL device found (the OpenCL platforms list none)");
  if (device_index < 0 || device_index >= static_cast<int>(devices.size())) {
    return NotFound("OpenCL device " + std::to_string(device_index) + " does not exist (" +
                    std::to_string(devices.size()) + " device" + (devices.size() == 1 ? "" : "s") +
                    ", indices 0.." + std::to_string(devices.size() - 1) + ")");
  }
  std::unique_ptr<ClRuntime> rt(new ClRuntime());
  rt->device_ = devices[device_index];
  rt->device_name_ = DeviceString(rt->device_, CL_DEVICE_NAME);
  cl_bool available = CL_FALSE, compiler = CL_FALSE;
  clGetDeviceInfo(rt->device_, CL_DEVICE_AVAILABLE, sizeof(available), &available, nullptr);
  clGetDeviceInfo(rt->device_, CL_DEVICE_COMPILER_AVAILABLE, sizeof(compiler), &compiler, nullptr);
  if (!available || !compiler) {
    return NotFound("OpenCL device " + std::to_string(device_index) + " (" + rt->device_name_ +
                    ") is " + (available ? "without a compiler" : "not available"));
  }
  cl_int err = CL_SUCCESS;
  rt->context_ = clCreateContext(nullptr, 1, &rt->device_, nullptr, nullptr, &err);
  if (err != CL_SUCCESS) return ClError("clCreateContext", err);
  rt->queue_ = clCreateCommandQueue(rt->context_, rt->device_, 0, &err);  // in order
  if (err != CL_SUCCESS) return ClError("clCreateCommandQueue", err);
  const char* src = source.c_str();
  const size_t len = source.size();
  rt->program_ = clCreateProgramWithSource(rt->context_, 1, &src, &len, &err);
  if (err != CL_SUCCESS) return ClError("clCreateProgramWithSource", err);
  // No -cl-fast-relaxed-math: results must match the CPU kernels to ~1e-5.
  err = clBuildProgram(rt->program_, 1, &rt->device_, "", nullptr, nullptr);
  if (err != CL_SUCCESS) {
    return Internal("clBuildProgram failed (" + std::to_string(err) + ") on " + rt->device_name_ +
                    ":\n" + BuildLog(rt->program_, rt->device_));
  }
  cl_uint num_kernels = 0;
  err = clCreateKernelsInProgram(rt->program_, 0, nullptr, &num_kernels);
  if (err != CL_SUCCESS) return ClError("clCreateKernelsInProgram", err);
  std::vector<cl_kernel> kernels(num_kernels);
  err = clCreateKernelsInProgram(rt->program_, num_kernels, kernels.data(), nullptr);
  if (err != CL_SUCCESS) return ClError("clCreateKernelsInProgram", err);
  for (cl_kernel k : kernels) {
    char name[256] = {0};
    clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof(name) - 1, name, nullptr);
    rt->kernels_[name] = k;
  }
  return rt;
}

ClRuntime::~ClRuntime() {
  if (queue_ != nullptr) clFinish(queue_);
  for (auto& [name, k] : kernels_) clReleaseKernel(k);
  if (program_ != nullptr) clReleaseProgram(program_);
  if (queue_ != nullptr) clReleaseCommandQueue(queue_);
  if (context_ != nullptr) clReleaseContext(context_);
}

StatusOr<ClBuffer> ClRuntime::Allocate(int64_t floats) {
  cl_int err = CL_SUCCESS;
  const size_t bytes = sizeof(float) * static_cast<size_t>(std::max<int64_t>(1, floats));
  cl_mem m = clCreateBuffer(context_, CL_MEM_READ_WRITE, bytes, nullptr, &err);
  if (err != CL_SUCCESS) {
    return ClError("clCreateBuffer (" + std::to_string(bytes) + " bytes)", err);
  }
  return ClBuffer(m);
}

StatusOr<ClBuffer> ClRuntime::Zeros(int64_t floats) {
  PX_ASSIGN_OR_RETURN(ClBuffer b, Allocate(floats));
  const float zero = 0.0f;
  const size_t bytes = sizeof(float) * static_cast<size_t>(std::max<int64_t>(1, floats));
  const cl_int err =
      clEnqueueFillBuffer(queue_, b.get(), &zero, sizeof(zero), 0, bytes, 0, nullptr, nullptr);
  if (err != CL_SUCCESS) return ClError("clEnqueueFillBuffer", err);
  return b;
}

StatusOr<ClBuffer> ClRuntime::Upload(const float* data, int64_t n) {
  if (n <= 0) return Allocate(n);
  return UploadBytes(data, sizeof(float) * static_cast<size_t>(n));
}

StatusOr<ClBuffer> ClRuntime::UploadBytes(const void* data, size_t bytes) {
  if (bytes == 0) return Allocate(0);
  // Copied when the buffer is made, not through the queue: the host memory (an arena slot the
  // CPU may reuse at once) is free again when this returns, with no wait for earlier work.
  cl_int err = CL_SUCCESS;
  cl_mem m = clCreateBuffer(context_, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes, const_cast<void*>(data), &err);
  if (err != CL_SUCCESS) return ClError("clCreateBuffer (copy of " + std::to_string(bytes) + " bytes)", err);
  return ClBuffer(m);
}

Status ClRuntime::Copy(const ClBuffer& from, const ClBuffer& to, int64_t floats) {
  if (floats <= 0) return Status::Ok();
  const cl_int err = clEnqueueCopyBuffer(queue_, from.get(), to.get(), 0, 0, sizeof(float) * floats, 0,
                                         nullptr, nullptr);
  return err == CL_SUCCESS ? Status::Ok() : ClError("clEnqueueCopyBuffer", err);
}

Status ClRuntime::Download(const ClBuffer& b, Tensor* t) {
  if (t->numel() <= 0) return Finish();
  const cl_int err =
      clEnqueueReadBuffer(queue_, b.get(), CL_TRUE, 0, t->nbytes(), t->raw(), 0, nullptr, nullptr);
  if (err != CL_SUCCESS) return ClError("clEnqueueReadBuffer", err);
  return Status::Ok();
}

Status ClRuntime::Finish() {
  const cl_int err = clFinish(queue_);
  return err == CL_SUCCESS ? Status::Ok() : ClError("clFinish", err);
}

size_t ClRuntime::GroupSize(const std::string& kernel, size_t cap) const {
  size_t max = 1;
  if (cl_kernel k = Kernel(kernel)) {
    clGetKernelWorkGroupInfo(k, device_, CL_KERNEL_WORK_GROUP_SIZE, sizeof(max), &max, nullptr);
  }
  max = std::min(std::max<size_t>(max, 1), cap);
  size_t p = 1;
  while (p * 2 <= max) p *= 2;
  return p;
}

cl_kernel ClRuntime::Kernel(const std::string& name) const {
  auto it = kernels_.find(name);
  return it == kernels_.end() ? nullptr : it->second;
}

Status ClRuntime::Enqueue(cl_kernel k, const std::string& name, std::vector<size_t> global,
                          std::vector<size_t> local) {
  if (global.empty() || global.size() > 3 || (!local.empty() && local.size() != global.size())) {
    return Internal("OpenCL kernel '" + name + "': bad work size");
  }
  // A fixed group size: POCL compiles a kernel once per work-group size, and the size it would
  // pick itself depends on the global size.
  if (local.empty() && global.size() == 1) local = {GroupSize(name, kDefaultGroup)};
  for (size_t d = 0; d < local.size(); ++d) {
    global[d] = (global[d] + local[d] - 1) / local[d] * local[d];
  }
  const cl_int err =
      clEnqueueNDRangeKernel(queue_, k, static_cast<cl_uint>(global.size()), nullptr, global.data(),
                             local.empty() ? nullptr : local.data(), 0, nullptr, nullptr);
  return err == CL_SUCCESS ? Status::Ok() : ClError("clEnqueueNDRangeKernel '" + name + "'", err);
}

Status ClRuntime::Check(cl_int err, const char* what, cl_uint arg) {
  if (err == CL_SUCCESS) return Status::Ok();
  return ClError(std::string(what) + " (argument " + std::to_string(arg) + ")", err);
}

}  // namespace parallax::opencl
