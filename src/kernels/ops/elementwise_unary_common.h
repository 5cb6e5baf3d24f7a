// Helpers shared by the elementwise unary and binary families: parallel loops that tolerate a
// null pool, float16-as-float32 execution of any kernel, and dtype predicates.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/kernel.h"
#include "kernels/kernel_util.h"
#include "runtime/thread_pool.h"

namespace parallax::ops::elementwise {

// Elements per parallel chunk for cheap ops (add, relu) and for transcendental ones (exp, erf).
inline constexpr int64_t kCheapGrain = 32768;
inline constexpr int64_t kCostlyGrain = 4096;

inline bool IsSignedInt(DataType t) {
  return t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 ||
         t == DataType::kInt64;
}
inline bool IsNumeric(DataType t) { return IsFloat(t) || IsInteger(t); }

inline std::string DtypeError(const char* what, DataType got) {
  return std::string(what) + ", got " + DataTypeName(got);
}

// Runs `fn` with every float16 input converted to float32 and every float16 output computed
// in a float32 temporary and rounded back. Kernels that only implement float32/float64 get
// float16 support for free; calls `fn` directly when nothing is float16.
inline Status WithHalfAsFloat(KernelContext& ctx, ComputeFn fn) {
  bool any = false;
  for (const Tensor* t : ctx.inputs) any |= t != nullptr && t->dtype() == DataType::kFloat16;
  for (const Tensor* t : ctx.outputs) any |= t != nullptr && t->dtype() == DataType::kFloat16;
  if (!any) return fn(ctx);
  std::vector<Tensor> ins(ctx.inputs.size()), outs(ctx.outputs.size());
  KernelContext c2{ctx.node, {}, {}, ctx.pool};
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const Tensor* t = ctx.inputs[i];
    if (t != nullptr && t->dtype() == DataType::kFloat16) {
      PX_ASSIGN_OR_RETURN(ins[i], Tensor::Allocate(DataType::kFloat32, t->shape()));
      const uint16_t* s = t->data<uint16_t>();
      float* d = ins[i].data<float>();
      for (int64_t j = 0; j < t->numel(); ++j) d[j] = HalfToFloat(s[j]);
      c2.inputs.push_back(&ins[i]);
    } else {
      c2.inputs.push_back(t);
    }
  }
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    Tensor* t = ctx.outputs[i];
    if (t != nullptr && t->dtype() == DataType::kFloat16) {
      PX_ASSIGN_OR_RETURN(outs[i], Tensor::Allocate(DataType::kFloat32, t->shape()));
      c2.outputs.push_back(&outs[i]);
    } else {
      c2.outputs.push_back(t);
    }
  }
  PX_RETURN_IF_ERROR(fn(c2));
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    if (!outs[i].defined()) continue;
    const float* s = outs[i].data<float>();
    uint16_t* d = ctx.outputs[i]->data<uint16_t>();
    for (int64_t j = 0; j < outs[i].numel(); ++j) d[j] = FloatToHalf(s[j]);
  }
  return Status::Ok();
}

// Checks that input `i` is present; `op` names the node's op in the message.
inline Status RequireInput(const InferContext& ctx, size_t i, const char* what) {
  if (!ctx.has(i)) {
    return InvalidArgument(std::string("missing required input ") + std::to_string(i) + " (" +
                           what + ")");
  }
  return Status::Ok();
}

}  // namespace parallax::ops::elementwise
