// A channel Split of an NhwcConv's output, read by nothing else, is not made: the convolution
// writes each piece of its channels into the Split's outputs (kernels/packed_conv.h,
// OutputPiece; the NhwcConv gets the Split's outputs and a "split" attribute).
//
//   NhwcConv ─ Y ─ Split(axis 3, [c, c])  →  NhwcConv{split = [c, c]} ─┬─ y0
//                  ├─ y0                                               └─ y1
//                  └─ y1
//
// YOLOv8n's C2f blocks start this way (cv1, then chunk(2, 1)): 10 Splits, 2% of its single-
// thread time, were copies. Only where the packed kernel runs the convolution with its
// epilogue on the tiles (group 1, constant weights, 16+ channels in and 32+ out, the
// activations TileEpilogue has; kernels/ops/conv_nhwc.cc), so that no path has to copy; the
// NhwcConv kernel still computes Y whole and splits it where it cannot write pieces.
// PARALLAX_FUSE_SPLIT=off (read when a model loads) keeps the Splits, for A/B runs.
#include <cstdlib>
#include <cstring>

#include "ir/passes/fusion_util.h"
#include "ir/passes/passes.h"
#include "kernels/ops/conv_activation.h"  // ParseActivation, AsTileEpilogue
#include "kernels/packed_conv.h"          // kPackedConvMinChannels, kPackedConvMinOutputs

namespace parallax {

using namespace fusion;

namespace {

// An NhwcConv the packed kernel runs with its epilogue on the tiles (kernels/ops/conv_nhwc.cc):
// the only path that writes pieces of Y.
bool WritesPieces(const Graph& g, const Node& n) {
  if (n.op_type != "NhwcConv" || n.domain != "parallax" || n.outputs.size() != 1 || n.GetInt("group", 1) != 1 ||
      n.GetString("input_layout", "NHWC") != "NHWC" || n.inputs.size() < 2) {
    return false;
  }
  StatusOr<ops::Activation> act = ops::ParseActivation(n);
  if (!act.ok() || !ops::AsTileEpilogue(*act, nullptr)) return false;
  auto w = g.initializers.find(n.inputs[1]);
  if (w == g.initializers.end()) return false;
  const Tensor& t = w->second;
  const bool bias_constant = n.inputs.size() < 3 || n.inputs[2] == kNoValue || g.initializers.count(n.inputs[2]) > 0;
  return (t.rank() == 4 || t.rank() == 3) && t.dtype() == DataType::kFloat32 && t.dim(0) >= kPackedConvMinOutputs &&
         t.dim(1) >= kPackedConvMinChannels && bias_constant;
}

// The channel counts of Split `s` over m channels (its input 1, its attribute, or equal
// parts); empty when they are not known here.
std::vector<int64_t> SplitSizes(const Graph& g, const Node& s, int64_t m) {
  const size_t n = s.outputs.size();
  std::vector<int64_t> sizes;
  if (s.opset < 13) {
    sizes = s.GetInts("split");
  } else if (s.inputs.size() > 1 && s.inputs[1] != kNoValue) {
    auto it = g.initializers.find(s.inputs[1]);
    if (it == g.initializers.end() || it->second.dtype() != DataType::kInt64) return {};
    const int64_t* v = it->second.data<int64_t>();
    sizes.assign(v, v + it->second.numel());
  }
  if (sizes.empty()) {
    if (s.attr("num_outputs") != nullptr || n == 0 || m % static_cast<int64_t>(n) != 0) return {};
    sizes.assign(n, m / static_cast<int64_t>(n));
  }
  int64_t sum = 0;
  for (int64_t c : sizes) {
    if (c <= 0) return {};
    sum += c;
  }
  return sizes.size() == n && sum == m ? sizes : std::vector<int64_t>{};
}

}  // namespace

Status FuseSplitIntoConv(Graph* g) {
  const char* env = std::getenv("PARALLAX_FUSE_SPLIT");
  if (env != nullptr && std::strcmp(env, "off") == 0) return Status::Ok();
  PX_RETURN_IF_ERROR(g->Link());
  std::vector<bool> removed(g->nodes.size(), false);
  const std::vector<bool> pinned = PinnedValues(*g);
  for (NodeId id = 0; id < static_cast<NodeId>(g->nodes.size()); ++id) {
    if (!WritesPieces(*g, g->nodes[id])) continue;
    const ValueId y = g->nodes[id].outputs[0];
    const NodeId sid = SoleConsumer(*g, pinned, y);
    if (sid < 0 || removed[sid]) continue;
    const Node& split = g->nodes[sid];
    const int64_t channel_axis = g->initializers.at(g->nodes[id].inputs[1]).rank() - 1;
    const int64_t axis = split.GetInt("axis", 0);
    if (split.op_type != "Split" || !(split.domain.empty() || split.domain == "ai.onnx") || split.inputs[0] != y ||
        (axis != channel_axis && axis != -1) || split.outputs.size() < 2) {
      continue;
    }
    bool outputs_ok = true;
    for (ValueId v : split.outputs) outputs_ok = outputs_ok && v != kNoValue;
    const std::vector<int64_t> sizes = SplitSizes(*g, split, g->initializers.at(g->nodes[id].inputs[1]).dim(0));
    if (!outputs_ok || sizes.empty()) continue;
    Node& conv = g->nodes[id];
    conv.outputs = split.outputs;
    Attribute a;
    a.kind = Attribute::Kind::kInts;
    a.ints = sizes;
    conv.attrs["split"] = a;
    removed[sid] = true;
  }
  return Compact(g, removed);
}

}  // namespace parallax
