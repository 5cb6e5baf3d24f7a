// Small helpers shared by the extra_*.cc kernels (Attention, losses, RMSNormalization...).
//
//   RunHalfAsFloat(ctx, FloatCompute): runs a float32 compute function on a float16 node by
//   converting every float16 input to float32, running, and converting the float16 outputs
//   back. Used where float16 support is wanted but not worth a native path.
#pragma once

#include <string>
#include <vector>

#include "kernels/kernel_util.h"

namespace parallax::ops::extra {

inline DataType HalfAsFloat(DataType t) { return t == DataType::kFloat16 ? DataType::kFloat32 : t; }

inline Status RunHalfAsFloat(KernelContext& ctx, ComputeFn fn) {
  std::vector<Tensor> tmp_in(ctx.inputs.size()), tmp_out(ctx.outputs.size());
  KernelContext c2 = ctx;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const Tensor* t = ctx.inputs[i];
    if (t == nullptr || t->dtype() != DataType::kFloat16) continue;
    PX_ASSIGN_OR_RETURN(tmp_in[i], Tensor::Allocate(DataType::kFloat32, t->shape()));
    const uint16_t* s = t->data<uint16_t>();
    float* d = tmp_in[i].data<float>();
    for (int64_t k = 0; k < t->numel(); ++k) d[k] = HalfToFloat(s[k]);
    c2.inputs[i] = &tmp_in[i];
  }
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    Tensor* t = ctx.outputs[i];
    if (t == nullptr || t->dtype() != DataType::kFloat16) continue;
    PX_ASSIGN_OR_RETURN(tmp_out[i], Tensor::Allocate(DataType::kFloat32, t->shape()));
    c2.outputs[i] = &tmp_out[i];
  }
  PX_RETURN_IF_ERROR(fn(c2));
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    if (!tmp_out[i].defined()) continue;
    const float* s = tmp_out[i].data<float>();
    uint16_t* d = ctx.outputs[i]->data<uint16_t>();
    for (int64_t k = 0; k < tmp_out[i].numel(); ++k) d[k] = FloatToHalf(s[k]);
  }
  return Status::Ok();
}

inline std::string DtypeError(const char* op, const char* input, DataType got, const char* want) {
  return std::string(op) + ": input '" + input + "' has dtype " + DataTypeName(got) + ", expected " +
         want;
}

}  // namespace parallax::ops::extra
