// If and Loop: run the node's subgraphs through ctx.run_subgraph (the runtime's executor).
// The values a body reads from enclosing graphs arrive as trailing node inputs, listed in the
// "__implicit_inputs" attribute (ir/passes/implicit_inputs.cc), and are passed on as trailing
// body inputs in the same order.
#include <cstring>

#include "kernels/ops/ops.h"

namespace parallax::ops {
namespace {

size_t ImplicitCount(const Node& n) {
  const Attribute* a = n.attr("__implicit_inputs");
  return a ? a->strings.size() : 0;
}

// Output shapes depend on which branch runs or how many iterations: always a dynamic step.
Status InferDynamic(InferContext&) { return NeedsValue(); }

StatusOr<bool> ReadBool(const Tensor& t, const char* what) {
  if (t.numel() != 1) return InvalidArgument(std::string(what) + " must have one element, got shape " + ShapeToString(t.shape()));
  if (t.dtype() == DataType::kBool) return *t.data<bool>();
  return InvalidArgument(std::string(what) + " must be bool, got " + DataTypeName(t.dtype()));
}

Status IfCompute(KernelContext& ctx) {
  if (ctx.run_subgraph == nullptr) return Internal("If needs the runtime's subgraph runner");
  if (!ctx.has(0)) return InvalidArgument("If needs its cond input");
  PX_ASSIGN_OR_RETURN(bool cond, ReadBool(ctx.in(0), "cond"));
  const Attribute* branch = ctx.node.attr(cond ? "then_branch" : "else_branch");
  if (branch == nullptr || !branch->g) return InvalidArgument("If is missing its then_branch/else_branch graph");
  const size_t k = ImplicitCount(ctx.node);
  std::vector<Tensor> inputs;
  for (size_t i = ctx.num_inputs() - k; i < ctx.num_inputs(); ++i) inputs.push_back(ctx.in(i));
  std::vector<Tensor> outs;
  PX_RETURN_IF_ERROR(ctx.run_subgraph(*branch->g, inputs, ctx.pool, &outs));
  if (outs.size() != ctx.outputs.size()) {
    return InvalidArgument("branch has " + std::to_string(outs.size()) + " outputs, the node " +
                           std::to_string(ctx.outputs.size()));
  }
  for (size_t i = 0; i < outs.size(); ++i) *ctx.outputs[i] = std::move(outs[i]);
  return Status::Ok();
}

// Stacks per-iteration tensors of one shape along a new leading axis.
StatusOr<Tensor> Stack(const std::vector<Tensor>& parts) {
  if (parts.empty()) return Tensor::Allocate(DataType::kFloat32, {0});
  Shape shape = parts[0].shape();
  shape.insert(shape.begin(), static_cast<int64_t>(parts.size()));
  PX_ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(parts[0].dtype(), shape));
  auto* dst = static_cast<uint8_t*>(out.raw());
  for (const Tensor& p : parts) {
    if (p.shape() != parts[0].shape() || p.dtype() != parts[0].dtype()) {
      return InvalidArgument("scan output changes shape across iterations: " +
                             ShapeToString(parts[0].shape()) + " then " + ShapeToString(p.shape()));
    }
    if (p.nbytes()) std::memcpy(dst, p.raw(), p.nbytes());
    dst += p.nbytes();
  }
  return out;
}

Status LoopCompute(KernelContext& ctx) {
  if (ctx.run_subgraph == nullptr) return Internal("Loop needs the runtime's subgraph runner");
  const Attribute* body = ctx.node.attr("body");
  if (body == nullptr || !body->g) return InvalidArgument("Loop is missing its body graph");
  const size_t k = ImplicitCount(ctx.node);
  if (ctx.num_inputs() < 2 + k) return InvalidArgument("Loop expects inputs M and cond (may be empty)");
  const size_t n_carried = ctx.num_inputs() - 2 - k;
  const size_t n_scan = ctx.outputs.size() >= n_carried ? ctx.outputs.size() - n_carried : 0;
  if (ctx.outputs.size() < n_carried) return InvalidArgument("Loop has fewer outputs than loop-carried values");
  int64_t max_trips = INT64_MAX;
  if (ctx.has(0)) {
    if (ctx.in(0).numel() != 1 || ctx.in(0).dtype() != DataType::kInt64) return InvalidArgument("M must be an int64 scalar");
    max_trips = *ctx.in(0).data<int64_t>();
  }
  bool cond = true;
  if (ctx.has(1)) {
    PX_ASSIGN_OR_RETURN(cond, ReadBool(ctx.in(1), "cond"));
  }
  std::vector<Tensor> carried;
  for (size_t i = 0; i < n_carried; ++i) carried.push_back(ctx.in(2 + i));
  std::vector<std::vector<Tensor>> scans(n_scan);
  PX_ASSIGN_OR_RETURN(Tensor iter, Tensor::Allocate(DataType::kInt64, {}));
  PX_ASSIGN_OR_RETURN(Tensor cond_t, Tensor::Allocate(DataType::kBool, {}));
  for (int64_t i = 0; i < max_trips && cond; ++i) {
    std::vector<Tensor> inputs;
    PX_ASSIGN_OR_RETURN(iter, Tensor::Allocate(DataType::kInt64, {}));
    *iter.data<int64_t>() = i;
    PX_ASSIGN_OR_RETURN(cond_t, Tensor::Allocate(DataType::kBool, {}));
    *cond_t.data<bool>() = cond;
    inputs.push_back(iter);
    inputs.push_back(cond_t);
    for (Tensor& t : carried) inputs.push_back(t);
    for (size_t j = ctx.num_inputs() - k; j < ctx.num_inputs(); ++j) inputs.push_back(ctx.in(j));
    std::vector<Tensor> outs;
    PX_RETURN_IF_ERROR(ctx.run_subgraph(*body->g, inputs, ctx.pool, &outs).WithPrefix("iteration " + std::to_string(i) + ": "));
    if (outs.size() != 1 + n_carried + n_scan) {
      return InvalidArgument("body has " + std::to_string(outs.size()) + " outputs, expected " +
                             std::to_string(1 + n_carried + n_scan));
    }
    PX_ASSIGN_OR_RETURN(cond, ReadBool(outs[0], "body cond output"));
    for (size_t j = 0; j < n_carried; ++j) carried[j] = std::move(outs[1 + j]);
    for (size_t j = 0; j < n_scan; ++j) scans[j].push_back(std::move(outs[1 + n_carried + j]));
  }
  for (size_t j = 0; j < n_carried; ++j) *ctx.outputs[j] = carried[j];
  for (size_t j = 0; j < n_scan; ++j) {
    PX_ASSIGN_OR_RETURN(*ctx.outputs[n_carried + j], Stack(scans[j]));
  }
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> ControlFlowKernels() {
  KernelDef if_def{"If", "", 1, 0, InferDynamic, IfCompute};
  if_def.allocates_outputs = true;
  KernelDef loop_def{"Loop", "", 1, 0, InferDynamic, LoopCompute};
  loop_def.allocates_outputs = true;
  return {if_def, loop_def};
}

}  // namespace parallax::ops
