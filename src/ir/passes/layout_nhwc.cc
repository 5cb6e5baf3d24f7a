// The layout pass: convolution regions run in NHWC, with transposes only at region borders.
//
// XNNPACK convolves NHWC data. Without this pass every Conv transposes its input NCHW→NHWC and
// its output back (conv_xnn.cc). Here, 2-D and 1-D Convs with constant weights become
// parallax::NhwcConv (1-D: NCW → NWC), and the ops between them that do not care about the layout, or whose
// layout dependence is one attribute, join the region:
//   elementwise ops whose other inputs are NHWC too or one-element constants (broadcasting
//   between two rank-4 tensors permuted alike is still correct); Concat / Split on the channel
//   axis (axis 1 → 3); MaxPool → parallax::NhwcMaxPool; Resize with constant scales or sizes
//   (permuted).
// A value leaving the region for any other consumer (or the graph outputs) gets one Transpose
// back to NCHW under its original name; a region input gets one Transpose to NHWC, except an
// image that a Conv reads with few channels (input_layout NCHW: kernels/image_conv.h). A region of
// a single 1x1 Conv is left alone: the NCHW kernel runs it as one GEMM without transposes.
// A model's own Transpose of a region output to channels-last (Whisper's encoder turns its
// convolution output [1, 384, 1500] into [1, 1500, 384]) reads the NHWC value instead: both
// transposes go. The ops that take an axis (Concat, Split, MaxPool, Resize) join 2-D regions only.
#include <map>
#include <set>

#include "ir/passes/fusion_util.h"
#include "ir/passes/passes.h"
#include "kernels/image_conv.h"  // ImageConvTakes

namespace parallax {
namespace {

bool DefaultDomain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

bool IsElementwise(const Node& n) {
  static const std::set<std::string> kDefault = {"Add",  "Sub",       "Mul",         "Div",  "Relu",
                                                 "Sigmoid", "Tanh",   "Clip",        "LeakyRelu",
                                                 "HardSigmoid", "HardSwish", "Neg", "Abs", "Exp",
                                                 "Sqrt", "Erf",       "Identity"};
  if (DefaultDomain(n)) return kDefault.count(n.op_type) > 0;
  return n.domain == "parallax" && (n.op_type == "Silu" || n.op_type == "Gelu");
}

const Tensor* Constant(const Graph& g, ValueId v) {
  auto it = g.initializers.find(v);
  return it == g.initializers.end() ? nullptr : &it->second;
}

bool IsChannelAxis(const Node& n, int64_t def) {
  const int64_t axis = n.GetInt("axis", def);
  return axis == 1 || axis == -3;
}

class LayoutPass {
 public:
  explicit LayoutPass(Graph* g) : g_(*g) {}
  Status Run();

 private:
  // The rank of n's channels-last output (3 or 4) when n can join a region, else 0.
  int Convertible(const Node& n) const;
  ValueId EntryTranspose(ValueId v, int rank);
  void AddTranspose(ValueId from, ValueId to, std::vector<int64_t> perm, const std::string& name);
  bool IsToChannelsLast(NodeId t, int rank) const;

  Graph& g_;
  std::vector<int> nhwc_;        // per value: rank (3 or 4) when produced channels-last by a converted node, else 0
  std::vector<bool> converted_;  // per node
  std::vector<int> node_rank_;   // per converted node: the rank of its channels-last output
  std::map<ValueId, ValueId> nhwc_id_, entry_;
};

int LayoutPass::Convertible(const Node& n) const {
  auto rank = [&](ValueId v) { return v == kNoValue ? 0 : nhwc_[v]; };
  auto in_nhwc = [&](ValueId v) { return rank(v) == 4; };  // for the ops that take an axis
  if (DefaultDomain(n) && n.op_type == "Conv") {
    if (n.inputs.size() < 2 || n.outputs.size() != 1 || n.inputs[0] == kNoValue) return 0;
    const Tensor* w = Constant(g_, n.inputs[1]);
    const bool bias_ok = n.inputs.size() < 3 || n.inputs[2] == kNoValue || Constant(g_, n.inputs[2]) != nullptr;
    if (w == nullptr || (w->rank() != 4 && w->rank() != 3) || w->dtype() != DataType::kFloat32 || !bias_ok) return 0;
    const int r = static_cast<int>(w->rank());
    return rank(n.inputs[0]) == 0 || rank(n.inputs[0]) == r ? r : 0;
  }
  if (IsElementwise(n)) {
    int r = 0;
    for (ValueId v : n.inputs) {
      if (v == kNoValue) continue;
      if (rank(v) != 0) {
        if (r != 0 && rank(v) != r) return 0;
        r = rank(v);
        continue;
      }
      const Tensor* c = Constant(g_, v);
      if (c == nullptr || c->numel() != 1) return 0;
    }
    return r;
  }
  if (!DefaultDomain(n) || n.inputs.empty() || !in_nhwc(n.inputs[0])) return 0;
  if (n.op_type == "Concat") {
    for (ValueId v : n.inputs) {
      if (!in_nhwc(v)) return 0;
    }
    return IsChannelAxis(n, 0) ? 4 : 0;
  }
  if (n.op_type == "Split") {
    return IsChannelAxis(n, 0) && (n.inputs.size() < 2 || n.inputs[1] == kNoValue || Constant(g_, n.inputs[1])) ? 4 : 0;
  }
  if (n.op_type == "MaxPool") {
    return n.outputs.size() == 1 && n.GetInts("kernel_shape").size() == 2 && n.GetInt("storage_order", 0) == 0 ? 4 : 0;
  }
  if (n.op_type == "Resize") {
    // roi must be absent or empty; scales (input 2) or sizes (input 3) constant with 4 entries.
    if (n.inputs.size() > 1 && n.inputs[1] != kNoValue) {
      const Tensor* roi = Constant(g_, n.inputs[1]);
      if (roi == nullptr || roi->numel() != 0) return 0;
    }
    for (size_t i = 2; i < n.inputs.size(); ++i) {
      if (n.inputs[i] == kNoValue) continue;
      const Tensor* c = Constant(g_, n.inputs[i]);
      if (c == nullptr || (c->numel() != 0 && c->numel() != 4)) return 0;
    }
    return n.inputs.size() >= 3 && n.GetInts("axes").empty() ? 4 : 0;
  }
  return 0;
}

// A 2-D Conv of group 1 with few input channels (an image) and a small window: as NhwcConv it
// reads an NCHW input in place (input_layout NCHW: kernels/image_conv.h) instead of after an
// entry transpose.
bool ReadsImage(const Graph& g, const Node& n) {
  if (!DefaultDomain(n) || n.op_type != "Conv") return false;
  const Tensor* w = Constant(g, n.inputs[1]);
  return w != nullptr && w->rank() == 4 && ImageConvTakes(n.GetInt("group", 1), w->dim(1), w->dim(2), w->dim(3));
}

// Channels-first → channels-last permutations, and back.
std::vector<int64_t> ToChannelsLast(int rank) { return rank == 3 ? std::vector<int64_t>{0, 2, 1} : std::vector<int64_t>{0, 2, 3, 1}; }
std::vector<int64_t> ToChannelsFirst(int rank) { return rank == 3 ? std::vector<int64_t>{0, 2, 1} : std::vector<int64_t>{0, 3, 1, 2}; }

bool LayoutPass::IsToChannelsLast(NodeId t, int rank) const {
  const Node& n = g_.nodes[t];
  return DefaultDomain(n) && n.op_type == "Transpose" && n.inputs.size() == 1 && n.outputs.size() == 1 &&
         n.GetInts("perm") == ToChannelsLast(rank);
}

void LayoutPass::AddTranspose(ValueId from, ValueId to, std::vector<int64_t> perm, const std::string& name) {
  NodeId t = g_.AddNode("Transpose", name, {from}, {to});
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(perm);
  g_.nodes[t].attrs["perm"] = a;
  auto it = g_.opsets.find("");
  g_.nodes[t].opset = it == g_.opsets.end() ? 17 : it->second;
}

ValueId LayoutPass::EntryTranspose(ValueId v, int rank) {
  auto it = entry_.find(v);
  if (it != entry_.end()) return it->second;
  const ValueId t = g_.AddValue(g_.values[v].name + "/nhwc");
  AddTranspose(v, t, ToChannelsLast(rank), "layout/" + g_.values[v].name + "/to_nhwc");
  entry_[v] = t;
  return t;
}

Status LayoutPass::Run() {
  PX_RETURN_IF_ERROR(g_.Link());
  PX_ASSIGN_OR_RETURN(std::vector<NodeId> order, g_.TopologicalOrder());
  nhwc_.assign(g_.values.size(), 0);
  converted_.assign(g_.nodes.size(), false);
  node_rank_.assign(g_.nodes.size(), 0);
  for (NodeId id : order) {
    const Node& n = g_.nodes[id];
    const int rank = Convertible(n);
    if (rank == 0) continue;
    converted_[id] = true;
    node_rank_[id] = rank;
    for (ValueId o : n.outputs) {
      if (o != kNoValue) nhwc_[o] = rank;
    }
  }
  // A lone 1x1 Conv: the NCHW GEMM needs no transposes.
  for (NodeId id : order) {
    const Node& n = g_.nodes[id];
    if (!converted_[id] || !DefaultDomain(n) || n.op_type != "Conv" || !fusion::PointwiseConvWeight(g_, n) || nhwc_[n.inputs[0]]) continue;
    bool feeds_region = false;
    for (NodeId c : g_.values[n.outputs[0]].consumers) feeds_region = feeds_region || converted_[c];
    if (!feeds_region) {
      converted_[id] = false;
      nhwc_[n.outputs[0]] = 0;
    }
  }
  std::vector<bool> is_output(g_.values.size(), false);
  for (ValueId v : g_.outputs) is_output[v] = true;
  const std::vector<bool> pinned = fusion::PinnedValues(g_);
  std::vector<NodeId> bypassed;  // the model's own transposes to channels-last of region outputs
  // New NHWC values for every converted output; exit transposes where NCHW readers remain.
  const size_t original_nodes = g_.nodes.size();
  for (size_t id = 0; id < original_nodes; ++id) {
    if (!converted_[id]) continue;
    for (size_t i = 0; i < g_.nodes[id].outputs.size(); ++i) {
      const ValueId o = g_.nodes[id].outputs[i];
      if (o == kNoValue) continue;
      const int rank = nhwc_[o];
      const ValueId o2 = g_.AddValue(g_.values[o].name + "/nhwc");
      nhwc_id_[o] = o2;
      g_.nodes[id].outputs[i] = o2;
      bool nchw_reader = is_output[o];
      for (NodeId c : g_.values[o].consumers) {
        if (converted_[c]) continue;
        if (IsToChannelsLast(c, rank) && !pinned[g_.nodes[c].outputs[0]]) {
          bypassed.push_back(c);
        } else {
          nchw_reader = true;
        }
      }
      if (nchw_reader) AddTranspose(o2, o, ToChannelsFirst(rank), "layout/" + g_.values[o].name + "/to_nchw");
    }
  }
  for (size_t id = 0; id < original_nodes; ++id) {
    if (!converted_[id]) continue;
    Node& n = g_.nodes[id];
    const size_t data_inputs = n.op_type == "Conv" || n.op_type == "Split" || n.op_type == "MaxPool" ||
                                       n.op_type == "Resize"
                                   ? 1
                                   : n.inputs.size();
    for (size_t i = 0; i < data_inputs && i < n.inputs.size(); ++i) {
      const ValueId v = n.inputs[i];
      if (v == kNoValue) continue;
      if (nhwc_[v]) {
        g_.nodes[id].inputs[i] = nhwc_id_.at(v);
      } else if (ReadsImage(g_, g_.nodes[id])) {  // the image kernel reads it in place
        Attribute a;
        a.kind = Attribute::Kind::kString;
        a.s = "NCHW";
        g_.nodes[id].attrs["input_layout"] = a;
      } else if (Constant(g_, v) == nullptr || Constant(g_, v)->numel() != 1) {
        const ValueId t = EntryTranspose(v, node_rank_[id]);  // may grow g_.nodes: index again below
        g_.nodes[id].inputs[i] = t;
      }
    }
    Node& m = g_.nodes[id];
    if (m.op_type == "Conv") {
      m.op_type = "NhwcConv";
      m.domain = "parallax";
      m.opset = 1;
    } else if (m.op_type == "MaxPool") {
      m.op_type = "NhwcMaxPool";
      m.domain = "parallax";
      m.opset = 1;
    } else if (m.op_type == "Concat" || m.op_type == "Split") {
      Attribute a;
      a.kind = Attribute::Kind::kInt;
      a.i = 3;
      m.attrs["axis"] = a;
    } else if (m.op_type == "Resize") {
      for (size_t i = 2; i < m.inputs.size(); ++i) {
        const Tensor* c = m.inputs[i] == kNoValue ? nullptr : Constant(g_, m.inputs[i]);
        if (c == nullptr || c->numel() != 4) continue;
        PX_ASSIGN_OR_RETURN(Tensor p, Tensor::Allocate(c->dtype(), c->shape()));
        const size_t es = DataTypeSize(c->dtype());
        const uint8_t* src = static_cast<const uint8_t*>(c->raw());
        uint8_t* dst = static_cast<uint8_t*>(p.raw());
        const int from[4] = {0, 2, 3, 1};  // NHWC entry k takes NCHW entry from[k]
        for (int k = 0; k < 4; ++k) std::copy(src + from[k] * es, src + (from[k] + 1) * es, dst + k * es);
        const ValueId pv = g_.AddValue(g_.values[m.inputs[i]].name + "/nhwc");
        g_.initializers[pv] = std::move(p);
        g_.nodes[id].inputs[i] = pv;
      }
    }
  }
  // The bypassed transposes' readers take the NHWC value; the transposes go.
  std::vector<bool> removed(g_.nodes.size(), false);
  for (NodeId t : bypassed) {
    const ValueId from = nhwc_id_.at(g_.nodes[t].inputs[0]), to = g_.nodes[t].outputs[0];
    for (Node& n : g_.nodes) {
      for (ValueId& v : n.inputs) {
        if (v == to) v = from;
      }
    }
    removed[t] = true;
  }
  return fusion::Compact(&g_, removed);
}

}  // namespace

Status ConvertConvRegionsToNhwc(Graph* graph) { return LayoutPass(graph).Run(); }

}  // namespace parallax
