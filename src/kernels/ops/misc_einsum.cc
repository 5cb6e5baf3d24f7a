// Einsum (opset 12+): a general but simple implementation. The equation is parsed into labels
// (letters; "..." becomes broadcast labels), and the result is computed by looping over every
// combination of output labels and, inside, every combination of contracted labels — fine for
// the small tensors Einsum usually sees. Explicit ("ij,jk->ik") and implicit ("ij,jk") forms.
// float32 / float64 / int32 / int64; at most 26 distinct labels.
#include <algorithm>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel_util.h"

namespace parallax::ops {
namespace {

struct EinsumPlan {
  int num_labels = 0;
  std::vector<int64_t> label_dim;               // size of each label
  std::vector<std::vector<int>> in_labels;      // per input: label of each dim
  std::vector<int> out_labels;
  std::vector<std::vector<int64_t>> in_strides; // per input: stride of each label (summed)
  Shape out_shape;
};

std::string Trim(const std::string& s) {
  std::string r;
  for (char c : s) if (c != ' ') r.push_back(c);
  return r;
}

// Splits a term into letters and an ellipsis marker ('.') position.
Status ParseTerm(const std::string& t, std::vector<char>* out) {
  out->clear();
  bool ell = false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '.') {
      if (ell || t.compare(i, 3, "...") != 0) return InvalidArgument("malformed ellipsis in '" + t + "'");
      ell = true;
      out->push_back('.');
      i += 2;
    } else if ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z')) {
      out->push_back(t[i]);
    } else {
      return InvalidArgument(std::string("invalid character '") + t[i] + "' in equation");
    }
  }
  return Status::Ok();
}

StatusOr<EinsumPlan> MakeEinsumPlan(const std::string& equation, const std::vector<Shape>& shapes) {
  const std::string eq = Trim(equation);
  const size_t arrow = eq.find("->");
  const std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
  std::vector<std::string> terms;
  size_t start = 0;
  while (true) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != shapes.size()) {
    return InvalidArgument("equation '" + equation + "' has " + std::to_string(terms.size()) +
                           " input terms but the node has " + std::to_string(shapes.size()) + " inputs");
  }
  EinsumPlan p;
  std::map<char, int> ids;
  std::map<char, int> counts;
  // Ellipsis rank: the largest number of dims covered by "..." in any input.
  int64_t ell_rank = 0;
  std::vector<std::vector<char>> parsed(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) {
    PX_RETURN_IF_ERROR(ParseTerm(terms[i], &parsed[i]));
    const bool has_ell = std::count(parsed[i].begin(), parsed[i].end(), '.') > 0;
    const int64_t letters = static_cast<int64_t>(parsed[i].size()) - (has_ell ? 1 : 0);
    const int64_t rank = static_cast<int64_t>(shapes[i].size());
    if (has_ell ? letters > rank : letters != rank) {
      return InvalidArgument("term '" + terms[i] + "' does not match input " + std::to_string(i) +
                             " of shape " + ShapeToString(shapes[i]));
    }
    if (has_ell) ell_rank = std::max(ell_rank, rank - letters);
  }
  // Labels 0..ell_rank-1 are the broadcast dims of "...".
  p.num_labels = static_cast<int>(ell_rank);
  p.label_dim.assign(ell_rank, 1);
  auto label_of = [&](char c) {
    auto it = ids.find(c);
    if (it != ids.end()) return it->second;
    ids[c] = p.num_labels++;
    p.label_dim.push_back(-1);
    return ids[c];
  };
  p.in_labels.resize(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) {
    const int64_t rank = static_cast<int64_t>(shapes[i].size());
    const int64_t letters = static_cast<int64_t>(parsed[i].size()) -
                            (std::count(parsed[i].begin(), parsed[i].end(), '.') ? 1 : 0);
    int64_t d = 0;
    for (char c : parsed[i]) {
      if (c == '.') {
        const int64_t e = rank - letters;
        for (int64_t k = 0; k < e; ++k, ++d) {
          const int lab = static_cast<int>(ell_rank - e + k);
          const int64_t dim = shapes[i][d];
          if (p.label_dim[lab] != 1 && dim != 1 && dim != p.label_dim[lab]) {
            return InvalidArgument("ellipsis dims of the inputs cannot be broadcast");
          }
          if (dim != 1) p.label_dim[lab] = dim;
          p.in_labels[i].push_back(lab);
        }
        continue;
      }
      const int lab = label_of(c);
      counts[c]++;
      const int64_t dim = shapes[i][d++];
      if (p.label_dim[lab] >= 0 && p.label_dim[lab] != dim) {
        return InvalidArgument(std::string("label '") + c + "' has inconsistent sizes " +
                               std::to_string(p.label_dim[lab]) + " and " + std::to_string(dim));
      }
      p.label_dim[lab] = dim;
      p.in_labels[i].push_back(lab);
    }
  }
  if (ids.size() > 26) return NotImplemented("Einsum with more than 26 labels is not supported");
  if (arrow != std::string::npos) {
    std::vector<char> rhs;
    PX_RETURN_IF_ERROR(ParseTerm(eq.substr(arrow + 2), &rhs));
    for (char c : rhs) {
      if (c == '.') {
        for (int k = 0; k < ell_rank; ++k) p.out_labels.push_back(k);
        continue;
      }
      auto it = ids.find(c);
      if (it == ids.end()) return InvalidArgument(std::string("output label '") + c + "' is not in any input");
      if (std::count(p.out_labels.begin(), p.out_labels.end(), it->second)) {
        return InvalidArgument(std::string("output label '") + c + "' is repeated");
      }
      p.out_labels.push_back(it->second);
    }
  } else {
    for (int k = 0; k < ell_rank; ++k) p.out_labels.push_back(k);
    for (const auto& [c, n] : counts) {  // std::map: alphabetical (upper case first)
      if (n == 1) p.out_labels.push_back(ids[c]);
    }
  }
  for (int lab : p.out_labels) p.out_shape.push_back(p.label_dim[lab]);
  p.in_strides.resize(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) {
    p.in_strides[i].assign(p.num_labels, 0);
    std::vector<int64_t> st = Strides(shapes[i]);
    for (size_t d = 0; d < shapes[i].size(); ++d) {
      if (shapes[i][d] != 1) p.in_strides[i][p.in_labels[i][d]] += st[d];
    }
  }
  return p;
}

Status EinsumInfer(InferContext& ctx) {
  if (ctx.num_inputs() == 0) return InvalidArgument("Einsum needs at least one input");
  const DataType dt = ctx.in(0).dtype;
  if (dt != DataType::kFloat32 && dt != DataType::kFloat64 && dt != DataType::kInt32 &&
      dt != DataType::kInt64) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by Einsum");
  }
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has(i) || ctx.in(i).dtype != dt) return InvalidArgument("all inputs must have the same dtype");
    shapes.push_back(ctx.in(i).shape);
  }
  const Attribute* eq = ctx.node.attr("equation");
  if (eq == nullptr) return InvalidArgument("attribute 'equation' is required");
  PX_ASSIGN_OR_RETURN(EinsumPlan p, MakeEinsumPlan(eq->s, shapes));
  ctx.SetOutput(0, dt, p.out_shape);
  return Status::Ok();
}

template <typename T>
void EinsumTyped(KernelContext& ctx, const EinsumPlan& p) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  const size_t ni = ctx.num_inputs();
  std::vector<int> sum_labels;
  for (int l = 0; l < p.num_labels; ++l) {
    if (!std::count(p.out_labels.begin(), p.out_labels.end(), l)) sum_labels.push_back(l);
  }
  std::vector<const T*> in(ni);
  for (size_t i = 0; i < ni; ++i) in[i] = ctx.in(i).data<T>();
  T* y = ctx.out(0).data<T>();
  const int64_t n_out = ctx.out(0).numel();
  int64_t n_sum = 1;
  for (int l : sum_labels) n_sum *= p.label_dim[l];
  std::vector<int64_t> oidx(p.out_labels.size(), 0), sidx(sum_labels.size(), 0);
  std::vector<int64_t> base(ni), off(ni);
  for (int64_t o = 0; o < n_out; ++o) {
    for (size_t i = 0; i < ni; ++i) {
      base[i] = 0;
      for (size_t k = 0; k < p.out_labels.size(); ++k) base[i] += oidx[k] * p.in_strides[i][p.out_labels[k]];
    }
    Acc acc = 0;
    std::fill(sidx.begin(), sidx.end(), 0);
    off = base;
    for (int64_t s = 0; s < n_sum; ++s) {
      Acc prod = 1;
      for (size_t i = 0; i < ni; ++i) prod *= static_cast<Acc>(in[i][off[i]]);
      acc += prod;
      for (int64_t k = static_cast<int64_t>(sum_labels.size()) - 1; k >= 0; --k) {
        const int l = sum_labels[k];
        for (size_t i = 0; i < ni; ++i) off[i] += p.in_strides[i][l];
        if (++sidx[k] < p.label_dim[l]) break;
        for (size_t i = 0; i < ni; ++i) off[i] -= p.in_strides[i][l] * p.label_dim[l];
        sidx[k] = 0;
      }
    }
    y[o] = static_cast<T>(acc);
    for (int64_t k = static_cast<int64_t>(oidx.size()) - 1; k >= 0; --k) {
      if (++oidx[k] < p.out_shape[k]) break;
      oidx[k] = 0;
    }
  }
}

Status EinsumCompute(KernelContext& ctx) {
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) shapes.push_back(ctx.in(i).shape());
  PX_ASSIGN_OR_RETURN(EinsumPlan p, MakeEinsumPlan(ctx.node.GetString("equation", ""), shapes));
  switch (ctx.out(0).dtype()) {
    case DataType::kFloat32: EinsumTyped<float>(ctx, p); break;
    case DataType::kFloat64: EinsumTyped<double>(ctx, p); break;
    case DataType::kInt32: EinsumTyped<int32_t>(ctx, p); break;
    case DataType::kInt64: EinsumTyped<int64_t>(ctx, p); break;
    default: return NotImplemented("Einsum dtype");
  }
  return Status::Ok();
}

}  // namespace

std::vector<KernelDef> MiscEinsumKernels() {
  return {{"Einsum", "", 12, 0, EinsumInfer, EinsumCompute}};
}

}  // namespace parallax::ops
