// The OpenCL execution provider: the op table of cl_ops.h on one ClRuntime. Supports() finds
// the op's row (the newest row whose since_version <= the node's opset) and asks it; Run()
// checks the same on the actual tensors, then runs the row under a lock through a NodeIo, which
// places the operands as the plan's ProviderStepIo says (providers/provider.h).
#include <clblast_c.h>

#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <unordered_map>
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

// A plan's device copies of its constant inputs (tag -1, node null) and of buffers derived from
// them (keyed by the node too: a derivation may depend on the node's other inputs' shapes).
class ClPlanCache : public ProviderPlanCache {
 public:
  explicit ClPlanCache(std::shared_ptr<ClRuntime> rt) : rt_(std::move(rt)) {}

 private:
  std::shared_ptr<ClRuntime> rt_;  // declared first: the context outlives the buffers

 public:
  using Key = std::tuple<ValueId, int, const Node*>;
  std::map<Key, ClBuffer> buffers;
};

// One execution's values kept on the device, each with its remaining device readers.
class ClRun : public ProviderRun {
 private:
  std::shared_ptr<ClRuntime> rt_;  // declared first: the context outlives the buffers

 public:
  ClRun(std::shared_ptr<ClRuntime> rt, ClPlanCache* cache) : rt_(std::move(rt)), cache(cache) {}
  struct Kept {
    std::shared_ptr<ClBuffer> buffer;
    int32_t readers = 0;
  };
  ClPlanCache* cache;
  std::unordered_map<ValueId, Kept> kept;
  // Host values uploaded in this run, by root value: a graph input or CPU output read by
  // several offloaded steps is copied once (its host bytes do not change within a run).
  std::unordered_map<ValueId, std::unique_ptr<ClBuffer>> uploaded;
};

// ClIo for one node: finds or uploads its inputs, allocates its outputs, and afterwards
// (Finish) copies outputs to the host or keeps them on the device as the plan says.
class NodeIo : public ClIo {
 public:
  NodeIo(ClRuntime& rt, ClRun& run, const Node& node, const std::vector<const Tensor*>& ins,
         const std::vector<Tensor*>& outs, const ProviderStepIo& io, ProviderStats& stats)
      : rt_(rt), run_(run), node_(node), ins_(ins), outs_(outs), io_(io), stats_(stats),
        in_(ins.size(), nullptr), out_(outs.size()) {}

  StatusOr<const ClBuffer*> Input(size_t i) override {
    if (i >= ins_.size() || ins_[i] == nullptr) return Internal("input " + std::to_string(i) + " is omitted");
    if (in_[i] != nullptr) return in_[i];
    const ProviderOperand op = Operand(io_.inputs, i);
    if (op.on_device) {
      auto it = run_.kept.find(op.value);
      if (it == run_.kept.end()) {
        return Internal("input " + std::to_string(i) + " should be on the device and is not");
      }
      ++stats_.device_reads;
      return in_[i] = it->second.buffer.get();
    }
    if (op.constant && op.value != kNoValue) {
      const Tensor& t = *ins_[i];
      PX_ASSIGN_OR_RETURN(in_[i], PlanConstant(std::make_tuple(op.value, -1, static_cast<const Node*>(nullptr)),
                                               [&] { return Upload(t.data<float>(), t.nbytes()); }));
      return in_[i];
    }
    if (op.value != kNoValue) {
      auto it = run_.uploaded.find(op.value);
      if (it == run_.uploaded.end()) {
        PX_ASSIGN_OR_RETURN(ClBuffer b, Upload(ins_[i]->data<float>(), ins_[i]->nbytes()));
        it = run_.uploaded.emplace(op.value, std::make_unique<ClBuffer>(std::move(b))).first;
      }
      return in_[i] = it->second.get();
    }
    PX_ASSIGN_OR_RETURN(ClBuffer b, Upload(ins_[i]->data<float>(), ins_[i]->nbytes()));
    return in_[i] = Own(std::move(b));
  }

  StatusOr<const ClBuffer*> Derived(size_t i, int tag, DeriveFn make) override {
    if (i >= ins_.size() || ins_[i] == nullptr) return Internal("input " + std::to_string(i) + " is omitted");
    const ProviderOperand op = Operand(io_.inputs, i);
    if (op.constant && op.value != kNoValue) {
      return PlanConstant(std::make_tuple(op.value, tag, &node_), [&] {
        const std::vector<float> host = make(*ins_[i], node_, ins_);
        return Upload(host.data(), host.size() * sizeof(float));
      });
    }
    const Tensor* src = ins_[i];
    Tensor fetched;
    if (op.on_device) {  // the host copy is stale: fetch the device one first
      PX_ASSIGN_OR_RETURN(const ClBuffer* d, Input(i));
      PX_ASSIGN_OR_RETURN(fetched, Tensor::Allocate(DataType::kFloat32, ins_[i]->shape()));
      PX_RETURN_IF_ERROR(Download(*d, &fetched));
      src = &fetched;
    }
    const std::vector<float> host = make(*src, node_, ins_);
    PX_ASSIGN_OR_RETURN(ClBuffer b, Upload(host.data(), host.size() * sizeof(float)));
    return Own(std::move(b));
  }

  StatusOr<const ClBuffer*> NodeConstant(int tag, std::vector<uint8_t> (*make)(const Node&,
                                         const std::vector<const Tensor*>&)) override {
    return PlanConstant(std::make_tuple(kNoValue, tag, &node_), [&] {
      const std::vector<uint8_t> bytes = make(node_, ins_);
      return Upload(bytes.data(), bytes.size());
    });
  }

  StatusOr<const ClBuffer*> Output(size_t o, bool zero) override {
    if (o >= outs_.size() || outs_[o] == nullptr) return Internal("output " + std::to_string(o) + " is missing");
    if (out_[o]) return out_[o].get();
    StatusOr<ClBuffer> b = zero ? rt_.Zeros(outs_[o]->numel()) : rt_.Allocate(outs_[o]->numel());
    if (!b.ok()) return b.status();
    out_[o] = std::make_shared<ClBuffer>(std::move(b).value());
    return out_[o].get();
  }

  // After the node's work is enqueued: host copies, kept values, device readers counted down.
  Status Finish() {
    for (size_t o = 0; o < outs_.size(); ++o) {
      if (!out_[o]) continue;
      const ProviderOperand op = Operand(io_.outputs, o);
      if (op.to_host) PX_RETURN_IF_ERROR(Download(*out_[o], outs_[o]));
      if (op.device_readers > 0 && op.value != kNoValue) {
        run_.kept[op.value] = ClRun::Kept{out_[o], op.device_readers};
      }
    }
    for (size_t i = 0; i < ins_.size(); ++i) {
      const ProviderOperand op = Operand(io_.inputs, i);
      if (!op.on_device || ins_[i] == nullptr) continue;
      auto it = run_.kept.find(op.value);
      if (it != run_.kept.end() && --it->second.readers <= 0) run_.kept.erase(it);
    }
    return Status::Ok();
  }

 private:
  static ProviderOperand Operand(const std::vector<ProviderOperand>& ops, size_t i) {
    return i < ops.size() ? ops[i] : ProviderOperand{};
  }
  StatusOr<ClBuffer> Upload(const void* data, size_t bytes) {
    ++stats_.uploads;
    stats_.upload_bytes += static_cast<int64_t>(bytes);
    return rt_.UploadBytes(data, bytes);
  }
  // The plan cache's buffer under `key`, made by `upload` (a counted Upload) on the first call.
  template <typename UploadFn>
  StatusOr<const ClBuffer*> PlanConstant(const ClPlanCache::Key& key, UploadFn upload) {
    auto it = run_.cache->buffers.find(key);
    if (it == run_.cache->buffers.end()) {
      PX_ASSIGN_OR_RETURN(ClBuffer b, upload());
      ++stats_.constant_uploads;
      it = run_.cache->buffers.emplace(key, std::move(b)).first;
    }
    return &it->second;
  }
  Status Download(const ClBuffer& b, Tensor* t) {
    ++stats_.downloads;
    stats_.download_bytes += static_cast<int64_t>(t->nbytes());
    return rt_.Download(b, t);
  }
  const ClBuffer* Own(ClBuffer b) {
    owned_.push_back(std::make_unique<ClBuffer>(std::move(b)));
    return owned_.back().get();
  }

  ClRuntime& rt_;
  ClRun& run_;
  const Node& node_;
  const std::vector<const Tensor*>& ins_;
  const std::vector<Tensor*>& outs_;
  const ProviderStepIo& io_;
  ProviderStats& stats_;
  std::vector<const ClBuffer*> in_;
  std::vector<std::shared_ptr<ClBuffer>> out_;
  std::vector<std::unique_ptr<ClBuffer>> owned_;  // uploads of this node; freed after its work
};

class OpenClProvider : public ExecutionProvider {
 public:
  OpenClProvider(std::shared_ptr<ClRuntime> rt, std::vector<ClOp> ops)
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

  std::unique_ptr<ProviderPlanCache> NewPlanCache() override {
    return std::make_unique<ClPlanCache>(rt_);
  }

  std::unique_ptr<ProviderRun> BeginRun(ProviderPlanCache* cache) override {
    return std::make_unique<ClRun>(rt_, static_cast<ClPlanCache*>(cache));
  }

  Status Run(ProviderRun* run, const Node& node, const std::vector<const Tensor*>& inputs,
             const std::vector<Tensor*>& outputs, const ProviderStepIo& io) override {
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
    ++stats_.steps;
    NodeIo nio(*rt_, *static_cast<ClRun*>(run), node, inputs, outputs, io, stats_);
    Status st = op->run(*rt_, node, inputs, outputs, nio);
    if (st.ok()) st = nio.Finish();
    if (!st.ok()) {
      (void)rt_->Finish();
      return st.WithPrefix(st.message().rfind(node.Describe(), 0) == 0 ? "" : node.Describe());
    }
    return st;
  }

  ProviderStats stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
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

  mutable std::mutex mu_;
  std::shared_ptr<ClRuntime> rt_;
  std::vector<ClOp> ops_;
  ProviderStats stats_;
};

}  // namespace
}  // namespace opencl

StatusOr<std::unique_ptr<ExecutionProvider>> CreateOpenClProvider(int device_index) {
  const std::string source = std::string(opencl::kElementwiseClSource) + opencl::kMatMulClSource +
                             opencl::kNormalizationClSource + opencl::kDataMovementClSource +
                             opencl::kConvPoolClSource + opencl::kResizeClSource;
  PX_ASSIGN_OR_RETURN(std::unique_ptr<opencl::ClRuntime> rt,
                      opencl::ClRuntime::Create(device_index, source));
  std::vector<opencl::ClOp> ops;
  for (auto list : {opencl::MatMulClOps, opencl::ElementwiseClOps, opencl::NormalizationClOps,
                    opencl::DataMovementClOps, opencl::ConvPoolClOps, opencl::ResizeClOps}) {
    for (const opencl::ClOp& op : list()) ops.push_back(op);
  }
  return std::unique_ptr<ExecutionProvider>(
      new opencl::OpenClProvider(std::shared_ptr<opencl::ClRuntime>(std::move(rt)), std::move(ops)));
}

}  // namespace parallax
