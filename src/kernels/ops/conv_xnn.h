// XNNPACK NHWC convolution behind an NCHW interface (conv_xnn.cc).
//
// Stateless: XnnConv2D creates the operator (packing the weights), runs it and deletes it.
// With plan state (KernelContext::state, constant W and B): an XnnConv2DOp is created once per
// node and reused by every run of the plan; it carries its own lock because an XNNPACK operator
// holds the input/output pointers between setup and run.
#pragma once

#include <xnnpack.h>

#include <cstdint>
#include <memory>
#include <mutex>

#include "kernels/ops/conv_activation.h"

namespace parallax {
class ThreadPool;
}

namespace parallax::ops {

// xnn_initialize, once per process (shared by every XNNPACK kernel). False when XNNPACK cannot
// run on this CPU; callers then use their own paths.
bool XnnReady();

struct XnnConvArgs {
  int64_t N, C, H, W, M, OH, OW, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, G;
};

// Whether XNNPACK is initialised and the arguments fit its 32-bit parameters.
bool XnnConv2DSupported(const XnnConvArgs& a);
// y (N, M, OH, OW) = act(conv(x, w) + bias); bias may be null. Returns false (y untouched or
// partially written) when XNNPACK refuses; the caller then uses its own path.
bool XnnConv2D(const XnnConvArgs& a, const float* x, const float* w, const float* bias, float* y,
               const Activation& act, ThreadPool* pool);

// As XnnConv2D on NHWC data: x (N, H, W, C), y (N, OH, OW, M); w stays OIHW.
bool XnnConv2DNhwc(const XnnConvArgs& a, const float* x, const float* w, const float* bias, float* y,
                   const Activation& act, ThreadPool* pool);

// A prepared convolution (weights packed once). Create never returns null: a failed creation
// gives an operator whose TryRun always returns false, so the caller does not retry per run.
class XnnConv2DOp {
 public:
  static std::shared_ptr<XnnConv2DOp> Create(const XnnConvArgs& a, const float* w, const float* bias,
                                             const Activation& act);
  ~XnnConv2DOp();
  XnnConv2DOp(const XnnConv2DOp&) = delete;
  XnnConv2DOp& operator=(const XnnConv2DOp&) = delete;

  bool ok() const { return op_ != nullptr; }
  // Same as XnnConv2D. Returns false without touching y when the operator was created for other
  // parameters, failed to create, or is in use by a concurrent run (the caller falls back).
  bool TryRun(const XnnConvArgs& a, const float* x, float* y, ThreadPool* pool);
  // The same on NHWC data: x (N, H, W, C) and y (N, OH, OW, M), no transposes.
  bool TryRunNhwc(const XnnConvArgs& a, const float* x, float* y, ThreadPool* pool);

 private:
  friend bool XnnConv2D(const XnnConvArgs&, const float*, const float*, const float*, float*,
                        const Activation&, ThreadPool*);
  friend bool XnnConv2DNhwc(const XnnConvArgs&, const float*, const float*, const float*, float*,
                            const Activation&, ThreadPool*);
  XnnConv2DOp() = default;
  bool Matches(const XnnConvArgs& a) const;
  bool Run(const XnnConvArgs& a, const float* x, float* y, ThreadPool* pool);  // lock held
  bool RunNhwc(const XnnConvArgs& a, const float* x, float* y, ThreadPool* pool);  // lock held

  std::mutex mu_;
  xnn_operator_t op_ = nullptr;
  XnnConvArgs args_{};
  Activation act_;
  bool fused_ = false;  // act_ is applied by XNNPACK's output clamp
};

}  // namespace parallax::ops
