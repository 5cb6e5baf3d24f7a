#include "onnx/loader.h"

#include <google/protobuf/io/coded_stream.h>
#include <fcntl.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <unistd.h>
#include <onnx/onnx-ml.pb.h>

#include <charconv>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>

namespace parallax {
namespace {

constexpr int kMaxSubgraphDepth = 16;
constexpr int kMaxRank = 16;
// Same cap as Tensor::Allocate: no tensor in a model file may claim more bytes than this.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 40;
constexpr int64_t kMaxOpsetVersion = 1000;

std::string DataTypeDescription(int32_t t) {
  const std::string& name = onnx::TensorProto_DataType_IsValid(t)
                                ? onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(t))
                                : std::string();
  return std::to_string(t) + (name.empty() ? "" : " (" + name + ")");
}

// Parses `msg` from `in`. Out-of-memory while parsing (a length field promising gigabytes)
// is reported as a Status, not an exception.
Status ParseFrom(google::protobuf::MessageLite* msg, google::protobuf::io::CodedInputStream* in) {
  in->SetTotalBytesLimit(INT_MAX);
  in->SetRecursionLimit(200);
  try {
    if (!msg->ParseFromCodedStream(in) || !in->ConsumedEntireMessage()) {
      return InvalidArgument(
          "not a valid ONNX protobuf (truncated or corrupt, or nested more than 200 messages deep)");
    }
  } catch (const std::bad_alloc&) {
    return OutOfMemory("out of memory while parsing the model protobuf");
  }
  return Status::Ok();
}

Status ParseBounded(google::protobuf::MessageLite* msg, const void* data, size_t size) {
  if (size > static_cast<size_t>(INT_MAX)) {
    return InvalidArgument("model is larger than 2 GiB; use external data");
  }
  google::protobuf::io::ArrayInputStream raw(data, static_cast<int>(size));
  google::protobuf::io::CodedInputStream in(&raw);
  return ParseFrom(msg, &in);
}

// Parses a non-negative decimal integer (external data offset/length); false on junk.
bool ParseSize(const std::string& s, int64_t* out) {
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && p == end && *out >= 0;
}

class Loader {
 public:
  explicit Loader(std::string base_dir) : base_dir_(std::move(base_dir)) {}

  Status ConvertTensor(onnx::TensorProto& tp, Tensor* out);
  Status ConvertGraph(onnx::GraphProto& gp, const std::map<std::string, int>& opsets,
                      int depth, Graph* g);

 private:
  Status ConvertAttribute(onnx::AttributeProto& ap, const std::map<std::string, int>& opsets,
                          int depth, Attribute* a);
  Status ReadExternal(const onnx::TensorProto& tp, size_t bytes, void* dst);
  Status FoldConstantNode(onnx::NodeProto& np, const std::map<std::string, int>& opsets,
                          int depth, Graph* g);
  std::string base_dir_;
};

template <typename Src, typename Dst>
void CopyConverted(const Src& src, Dst* dst) {
  for (int i = 0; i < src.size(); ++i) dst[i] = static_cast<Dst>(src.Get(i));
}

Status Loader::ReadExternal(const onnx::TensorProto& tp, size_t bytes, void* dst) {
  std::string location;
  int64_t offset = 0, length = -1;
  bool bad_number = false;
  for (const auto& kv : tp.external_data()) {
    if (kv.key() == "location") location = kv.value();
    if (kv.key() == "offset") bad_number |= !ParseSize(kv.value(), &offset);
    if (kv.key() == "length") bad_number |= !ParseSize(kv.value(), &length);
  }
  const std::string what = "tensor '" + tp.name() + "': external data '" + location + "'";
  if (bad_number) return InvalidArgument(what + " has an offset or length that is not a non-negative integer");
  if (base_dir_.empty()) return InvalidArgument(what + " cannot be resolved without a model folder");
  namespace fs = std::filesystem;
  if (location.empty() || fs::path(location).is_absolute()) {
    return InvalidArgument(what + " must be a relative path");
  }
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::path(base_dir_), ec);
  fs::path full = fs::weakly_canonical(base / location, ec);
  auto rel = full.lexically_relative(base);
  if (ec || rel.empty() || *rel.begin() == "..") {
    return InvalidArgument(what + " points outside the model's folder");
  }
  if (length >= 0 && static_cast<size_t>(length) != bytes) {
    return InvalidArgument(what + " has offset/length inconsistent with its shape (" +
                           std::to_string(bytes) + " bytes expected)");
  }
  if (!fs::exists(full, ec)) return NotFound(what + ": file not found");
  if (!fs::is_regular_file(full, ec)) return InvalidArgument(what + " is not a regular file");
  std::ifstream f(full, std::ios::binary);
  if (!f) return NotFound(what + ": file not found");
  f.seekg(0, std::ios::end);
  auto file_size = static_cast<int64_t>(f.tellg());
  // bytes <= kMaxTensorBytes (checked by the caller), so the subtraction cannot overflow.
  if (file_size < 0 || offset > file_size - static_cast<int64_t>(bytes)) {
    return InvalidArgument(what + " is shorter than the " + std::to_string(bytes) +
                           " bytes the tensor needs");
  }
  f.seekg(offset);
  f.read(static_cast<char*>(dst), static_cast<std::streamsize>(bytes));
  if (!f) return InvalidArgument(what + ": read failed");
  return Status::Ok();
}

Status Loader::ConvertTensor(onnx::TensorProto& tp, Tensor* out) {
  const std::string what = "tensor '" + tp.name() + "'";
  if (tp.dims_size() > kMaxRank) return InvalidArgument(what + " has rank above " + std::to_string(kMaxRank));
  Shape shape;
  for (int64_t d : tp.dims()) {
    if (d < 0) return InvalidArgument(what + " has a negative dim " + std::to_string(d));
    shape.push_back(d);
  }
  const auto dtype = static_cast<DataType>(tp.data_type());
  const size_t esize = DataTypeSize(dtype);
  if (esize == 0) {
    return NotImplemented(what + " has unsupported data type " + DataTypeDescription(tp.data_type()));
  }
  const int64_t n = NumElements(shape);
  if (n < 0 || n > kMaxTensorBytes / static_cast<int64_t>(esize)) {
    return InvalidArgument(what + " of shape " + ShapeToString(shape) + " is too large");
  }
  if (tp.has_segment()) return NotImplemented(what + " is segmented; segments are not supported");
  const size_t bytes = static_cast<size_t>(n) * esize;
  // Before allocating, make sure the file actually holds that many bytes.
  const bool external = tp.data_location() == onnx::TensorProto::EXTERNAL;
  size_t present = 0;
  if (external) {
    present = bytes;  // checked against the file by ReadExternal
  } else if (tp.has_raw_data()) {
    present = tp.raw_data().size();
  } else {
    switch (dtype) {
      case DataType::kFloat32: present = tp.float_data_size() * esize; break;
      case DataType::kFloat64: present = tp.double_data_size() * esize; break;
      case DataType::kInt64: present = tp.int64_data_size() * esize; break;
      case DataType::kUInt32: case DataType::kUInt64: present = tp.uint64_data_size() * esize; break;
      default: present = tp.int32_data_size() * esize; break;
    }
  }
  if (present != bytes) {
    return InvalidArgument(what + " of shape " + ShapeToString(shape) + " needs " +
                           std::to_string(bytes) + " bytes of data, the file holds " +
                           std::to_string(present));
  }
  if (!external && tp.has_raw_data() && n > 0) {
    // Take the parsed bytes over instead of copying them: peak memory stays ~1x the weights.
    auto owner = std::make_shared<std::string>(std::move(*tp.mutable_raw_data()));
    *out = Tensor::Adopt(dtype, shape, owner, owner->data());
    return Status::Ok();
  }
  PX_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(dtype, shape));
  if (n == 0) {
    *out = std::move(t);
    return Status::Ok();
  }
  if (external) {
    PX_RETURN_IF_ERROR(ReadExternal(tp, bytes, t.raw()));
  } else if (tp.has_raw_data()) {
    std::memcpy(t.raw(), tp.raw_data().data(), bytes);  // ONNX raw data is little-endian
  } else {
    switch (dtype) {
      case DataType::kFloat32: CopyConverted(tp.float_data(), t.data<float>()); break;
      case DataType::kFloat64: CopyConverted(tp.double_data(), t.data<double>()); break;
      case DataType::kInt64: CopyConverted(tp.int64_data(), t.data<int64_t>()); break;
      case DataType::kUInt64: CopyConverted(tp.uint64_data(), t.data<uint64_t>()); break;
      case DataType::kUInt32: CopyConverted(tp.uint64_data(), t.data<uint32_t>()); break;
      case DataType::kInt32: CopyConverted(tp.int32_data(), t.data<int32_t>()); break;
      case DataType::kInt16: CopyConverted(tp.int32_data(), t.data<int16_t>()); break;
      case DataType::kInt8: CopyConverted(tp.int32_data(), t.data<int8_t>()); break;
      case DataType::kUInt16: case DataType::kFloat16:
        CopyConverted(tp.int32_data(), t.data<uint16_t>()); break;
      case DataType::kUInt8: case DataType::kBool: CopyConverted(tp.int32_data(), t.data<uint8_t>()); break;
      default: return NotImplemented(what + " has unsupported data type");
    }
  }
  *out = std::move(t);
  return Status::Ok();
}

// Standard attributes whose type is the same in every ai.onnx op that has them. A file giving
// another type (Conv kernel_shape as a string) is refused at load with a clear message, instead
// of the kernel silently reading a default. INT is accepted for INTS and FLOAT, as the
// Node::GetInts / GetFloat accessors do.
using AttrKind = Attribute::Kind;
struct StandardAttr {
  const char* name;
  AttrKind kind;
};
constexpr StandardAttr kStandardAttrs[] = {
    {"kernel_shape", AttrKind::kInts}, {"strides", AttrKind::kInts}, {"pads", AttrKind::kInts},
    {"dilations", AttrKind::kInts}, {"perm", AttrKind::kInts}, {"axes", AttrKind::kInts},
    {"output_padding", AttrKind::kInts}, {"output_shape", AttrKind::kInts},
    {"axis", AttrKind::kInt}, {"group", AttrKind::kInt}, {"keepdims", AttrKind::kInt},
    {"transA", AttrKind::kInt}, {"transB", AttrKind::kInt}, {"to", AttrKind::kInt},
    {"ceil_mode", AttrKind::kInt}, {"count_include_pad", AttrKind::kInt},
    {"allowzero", AttrKind::kInt}, {"batch_dims", AttrKind::kInt}, {"largest", AttrKind::kInt},
    {"sorted", AttrKind::kInt}, {"select_last_index", AttrKind::kInt},
    {"noop_with_empty_axes", AttrKind::kInt}, {"exclusive", AttrKind::kInt},
    {"reverse", AttrKind::kInt}, {"center_point_box", AttrKind::kInt},
    {"stash_type", AttrKind::kInt},
    {"alpha", AttrKind::kFloat}, {"beta", AttrKind::kFloat}, {"epsilon", AttrKind::kFloat},
    {"momentum", AttrKind::kFloat}, {"gamma", AttrKind::kFloat}, {"lambd", AttrKind::kFloat},
    {"auto_pad", AttrKind::kString}, {"mode", AttrKind::kString},
    {"coordinate_transformation_mode", AttrKind::kString}, {"nearest_mode", AttrKind::kString},
    {"equation", AttrKind::kString}, {"approximate", AttrKind::kString},
    {"reduction", AttrKind::kString},
};

const char* AttrKindName(AttrKind k) {
  switch (k) {
    case AttrKind::kFloat: return "a float";
    case AttrKind::kInt: return "an int";
    case AttrKind::kString: return "a string";
    case AttrKind::kTensor: return "a tensor";
    case AttrKind::kGraph: return "a graph";
    case AttrKind::kFloats: return "floats";
    case AttrKind::kInts: return "ints";
    case AttrKind::kStrings: return "strings";
  }
  return "?";
}

Status CheckStandardAttribute(const std::string& name, const Attribute& a) {
  for (const StandardAttr& s : kStandardAttrs) {
    if (name != s.name) continue;
    bool ok = a.kind == s.kind ||
              (a.kind == AttrKind::kInt && (s.kind == AttrKind::kInts || s.kind == AttrKind::kFloat));
    if (!ok) {
      return InvalidArgument("attribute '" + name + "' must be " + AttrKindName(s.kind) + ", got " +
                             AttrKindName(a.kind));
    }
  }
  return Status::Ok();
}

Status Loader::ConvertAttribute(onnx::AttributeProto& ap,
                                const std::map<std::string, int>& opsets, int depth, Attribute* a) {
  using K = Attribute::Kind;
  switch (ap.type()) {
    case onnx::AttributeProto::FLOAT: a->kind = K::kFloat; a->f = ap.f(); break;
    case onnx::AttributeProto::INT: a->kind = K::kInt; a->i = ap.i(); break;
    case onnx::AttributeProto::STRING: a->kind = K::kString; a->s = ap.s(); break;
    case onnx::AttributeProto::FLOATS:
      a->kind = K::kFloats;
      a->floats.assign(ap.floats().begin(), ap.floats().end());
      break;
    case onnx::AttributeProto::INTS:
      a->kind = K::kInts;
      a->ints.assign(ap.ints().begin(), ap.ints().end());
      break;
    case onnx::AttributeProto::STRINGS:
      a->kind = K::kStrings;
      a->strings.assign(ap.strings().begin(), ap.strings().end());
      break;
    case onnx::AttributeProto::TENSOR:
      a->kind = K::kTensor;
      PX_RETURN_IF_ERROR(ConvertTensor(*ap.mutable_t(), &a->t));
      break;
    case onnx::AttributeProto::GRAPH:
      a->kind = K::kGraph;
      a->g = std::make_shared<Graph>();
      PX_RETURN_IF_ERROR(ConvertGraph(*ap.mutable_g(), opsets, depth + 1, a->g.get()));
      break;
    default:
      return NotImplemented("attribute '" + ap.name() + "' has unsupported type " +
                            std::to_string(ap.type()));
  }
  return Status::Ok();
}

Status Loader::FoldConstantNode(onnx::NodeProto& np, const std::map<std::string, int>& opsets,
                                int depth, Graph* g) {
  const std::string desc = "Constant node '" + np.name() + "': ";
  if (np.output_size() != 1 || np.attribute_size() != 1) {
    return InvalidArgument(desc + "expected one output and one value attribute");
  }
  onnx::AttributeProto& ap = *np.mutable_attribute(0);
  Tensor t;
  const std::string& key = ap.name();
  if (key == "value") {
    if (ap.type() != onnx::AttributeProto::TENSOR) return InvalidArgument(desc + "'value' must be a tensor");
    PX_RETURN_IF_ERROR(ConvertTensor(*ap.mutable_t(), &t).WithPrefix(desc));
  } else if (key == "value_float" || key == "value_int") {
    bool is_float = key == "value_float";
    PX_ASSIGN_OR_RETURN(t, Tensor::Allocate(is_float ? DataType::kFloat32 : DataType::kInt64, {}));
    if (is_float) *t.data<float>() = ap.f(); else *t.data<int64_t>() = ap.i();
  } else if (key == "value_floats" || key == "value_ints") {
    bool is_float = key == "value_floats";
    int64_t n = is_float ? ap.floats_size() : ap.ints_size();
    PX_ASSIGN_OR_RETURN(t, Tensor::Allocate(is_float ? DataType::kFloat32 : DataType::kInt64, {n}));
    for (int64_t i = 0; i < n; ++i) {
      if (is_float) t.data<float>()[i] = ap.floats(i); else t.data<int64_t>()[i] = ap.ints(i);
    }
  } else {
    return NotImplemented(desc + "attribute '" + key + "' is not supported");
  }
  ValueId v = g->AddValue(np.output(0));
  if (g->initializers.count(v)) return InvalidArgument(desc + "output '" + np.output(0) + "' is defined twice");
  if (std::find(g->inputs.begin(), g->inputs.end(), v) != g->inputs.end()) {
    return InvalidArgument(desc + "output '" + np.output(0) + "' is also a graph input");
  }
  g->initializers[v] = std::move(t);
  return Status::Ok();
}

// Copies the declared dtype and shape of `vi` into `v`. Graph inputs (`is_input`) must have a
// dtype Parallax supports, since callers have to pass tensors of it.
Status SetValueType(const onnx::ValueInfoProto& vi, bool is_input, Value* v) {
  if (!vi.type().has_tensor_type()) return Status::Ok();
  const auto& tt = vi.type().tensor_type();
  v->dtype = static_cast<DataType>(tt.elem_type());
  if (is_input && tt.elem_type() != 0 && DataTypeSize(v->dtype) == 0) {
    return NotImplemented("graph input '" + vi.name() + "' has unsupported data type " +
                          DataTypeDescription(tt.elem_type()));
  }
  if (!tt.has_shape()) return Status::Ok();
  if (tt.shape().dim_size() > kMaxRank) {
    return InvalidArgument("value '" + vi.name() + "' is declared with rank " +
                           std::to_string(tt.shape().dim_size()) + ", above " + std::to_string(kMaxRank));
  }
  Shape s;
  std::vector<std::string> names;
  for (const auto& d : tt.shape().dim()) {
    s.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
    names.push_back(d.has_dim_param() ? d.dim_param() : "");
  }
  v->shape = s;
  v->dim_names = names;
  return Status::Ok();
}

Status Loader::ConvertGraph(onnx::GraphProto& gp, const std::map<std::string, int>& opsets,
                            int depth, Graph* g) {
  if (depth > kMaxSubgraphDepth) {
    return InvalidArgument("subgraphs are nested deeper than " + std::to_string(kMaxSubgraphDepth));
  }
  g->name = gp.name();
  g->opsets = opsets;
  for (auto& tp : *gp.mutable_initializer()) {
    if (tp.name().empty()) return InvalidArgument("an initializer has no name");
    ValueId v = g->AddValue(tp.name());
    if (g->initializers.count(v)) return InvalidArgument("initializer '" + tp.name() + "' is defined twice");
    PX_RETURN_IF_ERROR(ConvertTensor(tp, &g->initializers[v]));
    g->values[v].dtype = g->initializers[v].dtype();
    g->values[v].shape = g->initializers[v].shape();
  }
  for (const auto& vi : gp.input()) {
    if (vi.name().empty()) return InvalidArgument("a graph input has no name");
    ValueId v = g->AddValue(vi.name());
    if (g->initializers.count(v)) continue;  // an initializer with a default; treat as constant
    if (std::find(g->inputs.begin(), g->inputs.end(), v) != g->inputs.end()) {
      return InvalidArgument("graph input '" + vi.name() + "' is declared twice");
    }
    PX_RETURN_IF_ERROR(SetValueType(vi, /*is_input=*/true, &g->values[v]));
    g->inputs.push_back(v);
  }
  for (const auto& vi : gp.value_info()) {
    PX_RETURN_IF_ERROR(SetValueType(vi, false, &g->values[g->AddValue(vi.name())]));
  }
  auto is_input = [g](ValueId v) { return std::find(g->inputs.begin(), g->inputs.end(), v) != g->inputs.end(); };
  int unnamed = 0;
  for (auto& np : *gp.mutable_node()) {
    if (np.op_type() == "Constant" && (np.domain().empty() || np.domain() == "ai.onnx")) {
      PX_RETURN_IF_ERROR(FoldConstantNode(np, opsets, depth, g));
      continue;
    }
    std::vector<ValueId> ins, outs;
    std::string node_name = np.name().empty() ? np.op_type() + "_" + std::to_string(unnamed++) : np.name();
    for (const auto& name : np.input()) ins.push_back(name.empty() ? kNoValue : g->AddValue(name));
    // An omitted optional output still gets an (anonymous) value, so kernels can write it.
    for (const auto& name : np.output()) {
      outs.push_back(g->AddValue(name));
      if (!name.empty() && is_input(outs.back())) {
        return InvalidArgument(np.op_type() + " node '" + node_name + "': output '" + name +
                               "' is also a graph input");
      }
    }
    NodeId id = g->AddNode(np.op_type(), node_name, std::move(ins), std::move(outs));
    Node& n = g->nodes[id];
    n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
    auto it = opsets.find(n.domain);
    if (it == opsets.end()) {
      return InvalidArgument(n.Describe() + "domain '" + n.domain + "' is not imported by the model");
    }
    n.opset = it->second;
    for (auto& ap : *np.mutable_attribute()) {
      Attribute a;
      PX_RETURN_IF_ERROR(ConvertAttribute(ap, opsets, depth, &a).WithPrefix(g->nodes[id].Describe()));
      Node& node = g->nodes[id];  // ConvertAttribute may not touch g->nodes, but be safe
      if (node.domain.empty()) PX_RETURN_IF_ERROR(CheckStandardAttribute(ap.name(), a).WithPrefix(node.Describe()));
      if (!node.attrs.emplace(ap.name(), std::move(a)).second) {
        return InvalidArgument(node.Describe() + "attribute '" + ap.name() + "' is given twice");
      }
    }
  }
  for (const auto& vi : gp.output()) {
    ValueId v = g->AddValue(vi.name());
    PX_RETURN_IF_ERROR(SetValueType(vi, false, &g->values[v]));
    g->outputs.push_back(v);
  }
  PX_RETURN_IF_ERROR(g->Link());
  PX_RETURN_IF_ERROR(g->TopologicalOrder().status());
  // Names neither produced, initialized nor input come from an enclosing graph (subgraphs)
  // or are dangling (top level: an error).
  for (ValueId v = 0; v < static_cast<ValueId>(g->values.size()); ++v) {
    const Value& val = g->values[v];
    bool defined = val.producer >= 0 || g->initializers.count(v) ||
                   std::find(g->inputs.begin(), g->inputs.end(), v) != g->inputs.end();
    bool used = !val.consumers.empty() ||
                std::find(g->outputs.begin(), g->outputs.end(), v) != g->outputs.end();
    if (defined || !used) continue;
    if (depth == 0) {
      std::string who = val.consumers.empty() ? "a graph output"
                                              : g->nodes[val.consumers[0]].Describe() + "input";
      return InvalidArgument(who + " '" + val.name + "' is not produced by any node, input or initializer");
    }
    g->outer_refs[val.name] = v;
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Model> FromProto(onnx::ModelProto& mp, const std::string& base_dir);

StatusOr<Model> LoadModel(const void* data, size_t size, const std::string& base_dir) {
  onnx::ModelProto mp;
  PX_RETURN_IF_ERROR(ParseBounded(&mp, data, size));
  return FromProto(mp, base_dir);
}

StatusOr<Model> FromProto(onnx::ModelProto& mp, const std::string& base_dir) {
  if (!mp.has_graph()) return InvalidArgument("not an ONNX model: no graph");
  std::map<std::string, int> opsets;
  for (const auto& os : mp.opset_import()) {
    std::string dom = os.domain() == "ai.onnx" ? "" : os.domain();
    if (os.version() < 1 || os.version() > kMaxOpsetVersion) {
      return InvalidArgument("opset import of domain '" + dom + "' has version " +
                             std::to_string(os.version()) + ", expected 1.." +
                             std::to_string(kMaxOpsetVersion));
    }
    opsets[dom] = static_cast<int>(os.version());
  }
  if (opsets.empty()) opsets[""] = 1;  // IR v2 models carry no opset import
  opsets.emplace("parallax", 1);       // our fused ops
  Model m;
  m.ir_version = mp.ir_version();
  m.producer = mp.producer_name();
  m.graph = std::make_shared<Graph>();
  Loader loader(base_dir);
  PX_RETURN_IF_ERROR(loader.ConvertGraph(*mp.mutable_graph(), opsets, 0, m.graph.get()));
  return m;
}

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFound("cannot open '" + path + "'");
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return bytes;
}

StatusOr<Model> LoadModelFile(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  // Parse straight from the file: no second copy of the weights in memory.
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return NotFound("cannot open '" + path + "'");
  auto m = [&]() -> StatusOr<Model> {
    google::protobuf::io::FileInputStream raw(fd);
    google::protobuf::io::CodedInputStream in(&raw);
    onnx::ModelProto mp;
    PX_RETURN_IF_ERROR(ParseFrom(&mp, &in));
    return FromProto(mp, dir);
  }();
  close(fd);
  if (!m.ok()) return m.status().WithPrefix("'" + path + "': ");
  return m;
}

StatusOr<Tensor> LoadTensorProto(const void* data, size_t size) {
  onnx::TensorProto tp;
  PX_RETURN_IF_ERROR(ParseBounded(&tp, data, size));
  Loader loader("");
  Tensor t;
  PX_RETURN_IF_ERROR(loader.ConvertTensor(tp, &t));
  return t;
}

}  // namespace parallax
