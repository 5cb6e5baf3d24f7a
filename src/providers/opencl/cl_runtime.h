// The OpenCL plumbing of the OpenCL provider: one device, its context, an in-order queue, the
// provider's program (compiled once) and device buffers.
//
//   PX_ASSIGN_OR_RETURN(auto rt, ClRuntime::Create(0, source));
//   PX_ASSIGN_OR_RETURN(ClBuffer x, rt->Upload(input));          // copied before it returns
//   PX_ASSIGN_OR_RETURN(ClBuffer y, rt->Allocate(input.numel()));
//   PX_RETURN_IF_ERROR(rt->Launch("activate", {n}, {}, x, y, ...));
//   PX_RETURN_IF_ERROR(rt->Download(y, &output));               // blocking: waits for all
//
// Kernel arguments are passed by value: ClBuffer, ClMemArg (a cl_mem that may be null) or
// nullptr for a NULL global pointer, int32_t, float, or a trivially copyable struct that matches
// the OpenCL C struct byte for byte. Not thread-safe; the provider serialises its calls.
// Releasing a ClBuffer whose commands are still queued is safe: OpenCL frees it after them.
#pragma once

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "parallax/status.h"
#include "parallax/tensor.h"

namespace parallax::opencl {

// "clBuildProgram failed: CL_BUILD_PROGRAM_FAILURE (-11)".
Status ClError(const std::string& what, cl_int err);

// An owned cl_mem (move-only); empty when default-constructed.
class ClBuffer {
 public:
  ClBuffer() = default;
  explicit ClBuffer(cl_mem mem) : mem_(mem) {}
  ClBuffer(ClBuffer&& o) noexcept : mem_(o.mem_) { o.mem_ = nullptr; }
  ClBuffer& operator=(ClBuffer&& o) noexcept;
  ClBuffer(const ClBuffer&) = delete;
  ClBuffer& operator=(const ClBuffer&) = delete;
  ~ClBuffer();

  cl_mem get() const { return mem_; }

 private:
  cl_mem mem_ = nullptr;
};

// A buffer argument that may be NULL (kernels test optional inputs against NULL).
struct ClMemArg {
  cl_mem mem = nullptr;
};

class ClRuntime {
 public:
  static constexpr size_t kDefaultGroup = 64;

  // Opens device `device_index` of all platforms' devices and builds `source` into one
  // program. Errors as CreateOpenClProvider (providers/provider.h) documents.
  static StatusOr<std::unique_ptr<ClRuntime>> Create(int device_index, const std::string& source);
  ~ClRuntime();

  const std::string& device_name() const { return device_name_; }
  cl_command_queue* queue() { return &queue_; }  // CLBlast takes a pointer to the queue

  // A device buffer of `floats` float32 elements (at least one, OpenCL refuses size 0).
  StatusOr<ClBuffer> Allocate(int64_t floats);
  // Allocate, then filled with zeros (enqueued). For SGEMM outputs: with beta = 0 a NaN left in
  // a fresh buffer could still leak through 0 * NaN.
  StatusOr<ClBuffer> Zeros(int64_t floats);
  // A device buffer with a copy of `n` floats at `data`, taken before it returns (the host
  // memory may change at once); it does not wait for the queue.
  StatusOr<ClBuffer> Upload(const float* data, int64_t n);
  StatusOr<ClBuffer> Upload(const Tensor& t) { return Upload(t.data<float>(), t.numel()); }
  // As Upload, for `bytes` bytes of any type (e.g. int32 index tables).
  StatusOr<ClBuffer> UploadBytes(const void* data, size_t bytes);
  // Copies the buffer's first t->numel() floats into t; waits for everything enqueued before.
  Status Download(const ClBuffer& b, Tensor* t);
  // Enqueues a copy of the first `floats` floats of `from` into `to`.
  Status Copy(const ClBuffer& from, const ClBuffer& to, int64_t floats);
  Status Finish();

  // The largest power of two <= `cap` that `kernel` accepts as its work-group size.
  size_t GroupSize(const std::string& kernel, size_t cap) const;

  // Sets the arguments and enqueues `kernel` over `global` work-items (1-3 dims), with work
  // groups of `local` (empty: kDefaultGroup for 1-D, else the implementation chooses). Global
  // sizes are rounded up to multiples of local ones; kernels check their bounds.
  template <typename... Args>
  Status Launch(const std::string& kernel, std::vector<size_t> global, std::vector<size_t> local,
                const Args&... args) {
    cl_kernel k = Kernel(kernel);
    if (k == nullptr) return Internal("OpenCL kernel '" + kernel + "' is not in the program");
    cl_uint index = 0;
    Status st;
    ((st.ok() ? (st = SetArg(k, index++, args)) : st), ...);
    PX_RETURN_IF_ERROR(st);
    return Enqueue(k, kernel, std::move(global), std::move(local));
  }

 private:
  ClRuntime() = default;
  cl_kernel Kernel(const std::string& name) const;
  Status Enqueue(cl_kernel k, const std::string& name, std::vector<size_t> global,
                 std::vector<size_t> local);

  static Status SetArg(cl_kernel k, cl_uint i, const ClBuffer& b) { return SetMem(k, i, b.get()); }
  static Status SetArg(cl_kernel k, cl_uint i, ClMemArg m) { return SetMem(k, i, m.mem); }
  static Status SetArg(cl_kernel k, cl_uint i, std::nullptr_t) { return SetMem(k, i, nullptr); }
  template <typename T>
  static Status SetArg(cl_kernel k, cl_uint i, const T& v) {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_pointer_v<T>,
                  "kernel arguments are ClBuffer, nullptr or plain values");
    return Check(clSetKernelArg(k, i, sizeof(T), &v), "clSetKernelArg", i);
  }
  static Status SetMem(cl_kernel k, cl_uint i, cl_mem m) {
    return Check(clSetKernelArg(k, i, sizeof(cl_mem), &m), "clSetKernelArg", i);
  }
  static Status Check(cl_int err, const char* what, cl_uint arg);

  cl_device_id device_ = nullptr;
  cl_context context_ = nullptr;
  cl_command_queue queue_ = nullptr;
  cl_program program_ = nullptr;
  std::map<std::string, cl_kernel> kernels_;
  std::string device_name_;
};

}  // namespace parallax::opencl
