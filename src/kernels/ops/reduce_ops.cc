// Reduce* ops: ReduceSum (axes input from 13), ReduceMean, ReduceMax, ReduceMin, ReduceProd,
// ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare (axes input from 18).
//
// The input shape is collapsed (size-1 dims dropped, adjacent dims of the same kind merged)
// into alternating kept/reduced runs. Two loops cover every case:
//   inner dim reduced (e.g. ReduceMean over the last axis): each output is a contiguous row
//     reduction with several accumulators, parallel over outputs;
//   inner dim kept (e.g. reducing axis 0 of [R, K]): blocks of K outputs are accumulated
//     together across the reduced offsets, a vectorizable loop over k, parallel over blocks.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel_util.h"
#include "runtime/thread_pool.h"

namespace parallax::ops {
namespace {

enum class RedKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

template <typename T>
T Lowest() {
  if constexpr (std::is_floating_point_v<T>) return -std::numeric_limits<T>::infinity();
  else return std::numeric_limits<T>::lowest();
}
template <typename T>
T Highest() {
  if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::infinity();
  else return std::numeric_limits<T>::max();
}

template <typename T>
T AbsVal(T x) {
  if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return x;
  else return x < 0 ? static_cast<T>(-x) : x;
}

// Each op: A init(); A step(A, T x, T shift); A combine(A, A); T fin(A, int64_t n, T shift).
template <typename T> struct SumOp {
  using A = T;
  static A init() { return A(0); }
  static A step(A a, T x, T) { return a + x; }
  static A combine(A a, A b) { return a + b; }
  static T fin(A a, int64_t, T) { return a; }
};
template <typename T> struct MeanOp : SumOp<T> {
  static T fin(T a, int64_t n, T) {
    if (n == 0) {
      if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::quiet_NaN();
      else return T(0);
    }
    return static_cast<T>(static_cast<double>(a) / static_cast<double>(n));
  }
};
template <typename T> struct SumSquareOp : SumOp<T> {
  static T step(T a, T x, T) { return a + x * x; }
};
template <typename T> struct L1Op : SumOp<T> {
  static T step(T a, T x, T) { return a + AbsVal(x); }
};
template <typename T> struct L2Op : SumSquareOp<T> {
  static T fin(T a, int64_t, T) { return static_cast<T>(std::sqrt(static_cast<double>(a))); }
};
template <typename T> struct LogSumOp : SumOp<T> {
  static T fin(T a, int64_t, T) { return static_cast<T>(std::log(static_cast<double>(a))); }
};
template <typename T> struct ProdOp {
  using A = T;
  static A init() { return A(1); }
  static A step(A a, T x, T) { return a * x; }
  static A combine(A a, A b) { return a * b; }
  static T fin(A a, int64_t, T) { return a; }
};
template <typename T> struct MaxOp {
  using A = T;
  static A init() { return Lowest<T>(); }
  static A step(A a, T x, T) { return x > a ? x : a; }
  static A combine(A a, A b) { return b > a ? b : a; }
  static T fin(A a, int64_t, T) { return a; }
};
template <typename T> struct MinOp {
  using A = T;
  static A init() { return Highest<T>(); }
  static A step(A a, T x, T) { return x < a ? x : a; }
  static A combine(A a, A b) { return b < a ? b : a; }
  static T fin(A a, int64_t, T) { return a; }
};
// Sum of exp(x - shift) where shift is the max of the reduced set; fin = log(sum) + shift.
template <typename T> struct SumExpOp {
  using A = std::conditional_t<std::is_same_v<T, float>, float, double>;
  static A init() { return A(0); }
  static A Shift(T s) { return std::isfinite(static_cast<double>(s)) ? static_cast<A>(s) : A(0); }
  static A step(A a, T x, T s) { return a + std::exp(static_cast<A>(x) - Shift(s)); }
  static A combine(A a, A b) { return a + b; }
  static T fin(A a, int64_t, T s) { return static_cast<T>(std::log(a) + Shift(s)); }
};

// The collapsed geometry of one reduction.
struct RedPlan {
  bool inner_reduced = false;
  int64_t inner = 1;                // length of the innermost collapsed dim
  int64_t outputs = 1;              // number of output elements
  int64_t count = 1;                // number of elements reduced into each output
  std::vector<int64_t> bases;       // inner reduced: per output; inner kept: per block of `inner`
  std::vector<int64_t> roffs;       // reduced offsets (excluding the inner dim when it is reduced)
};

// Enumerates every offset sum over (dims, strides) in row-major order.
std::vector<int64_t> Offsets(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (n == 0) return out;
  std::vector<int64_t> idx(dims.size(), 0);
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = off;
    for (int64_t d = static_cast<int64_t>(dims.size()) - 1; d >= 0; --d) {
      off += strides[d];
      if (++idx[d] < dims[d]) break;
      off -= strides[d] * dims[d];
      idx[d] = 0;
    }
  }
  return out;
}

// Requires numel(shape) > 0.
RedPlan MakePlan(const Shape& shape, const std::vector<bool>& reduced) {
  std::vector<int64_t> dims, strides;
  std::vector<bool> kinds;
  std::vector<int64_t> st = Strides(shape);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (!dims.empty() && kinds.back() == reduced[i] && strides.back() == shape[i] * st[i]) {
      dims.back() *= shape[i];
      strides.back() = st[i];
    } else {
      dims.push_back(shape[i]);
      strides.push_back(st[i]);
      kinds.push_back(reduced[i]);
    }
  }
  RedPlan p;
  if (dims.empty()) {  // every dim is 1
    p.inner = 1;
    p.bases = {0};
    p.roffs = {0};
    return p;
  }
  p.inner_reduced = kinds.back();
  p.inner = dims.back();
  std::vector<int64_t> kd, ks, rd, rs;
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    if (kinds[i]) { rd.push_back(dims[i]); rs.push_back(strides[i]); }
    else { kd.push_back(dims[i]); ks.push_back(strides[i]); }
  }
  p.bases = Offsets(kd, ks);
  p.roffs = Offsets(rd, rs);
  p.outputs = static_cast<int64_t>(p.bases.size()) * (p.inner_reduced ? 1 : p.inner);
  p.count = static_cast<int64_t>(p.roffs.size()) * (p.inner_reduced ? p.inner : 1);
  return p;
}

template <typename Op, typename T>
typename Op::A ReduceRow(const T* x, int64_t n, T shift, typename Op::A acc) {
  using A = typename Op::A;
  constexpr int kLanes = 8;
  A a[kLanes];
  for (int l = 0; l < kLanes; ++l) a[l] = Op::init();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) a[l] = Op::step(a[l], x[i + l], shift);
  }
  for (; i < n; ++i) a[0] = Op::step(a[0], x[i], shift);
  for (int l = 0; l < kLanes; ++l) acc = Op::combine(acc, a[l]);
  return acc;
}

// out[o] = fin(reduce(x over the reduced set of o)); shift may be null (then 0).
template <typename Op, typename T>
void RunReduce(const T* x, T* out, const RedPlan& p, const T* shift, ThreadPool* pool) {
  using A = typename Op::A;
  const int64_t nr = static_cast<int64_t>(p.roffs.size());
  if (p.inner_reduced) {
    const int64_t work = std::max<int64_t>(1, p.count);
    const int64_t grain = std::max<int64_t>(1, 16384 / work);
    pool->ParallelFor(p.outputs, grain, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const T s = shift ? shift[o] : T(0);
        A acc = Op::init();
        const T* base = x + p.bases[o];
        for (int64_t r = 0; r < nr; ++r) acc = ReduceRow<Op>(base + p.roffs[r], p.inner, s, acc);
        out[o] = Op::fin(acc, p.count, s);
      }
    });
    return;
  }
  constexpr int64_t kChunk = 512;
  const int64_t K = p.inner;
  const int64_t chunks = (K + kChunk - 1) / kChunk;
  const int64_t tasks = static_cast<int64_t>(p.bases.size()) * chunks;
  const int64_t work = std::max<int64_t>(1, nr * std::min(K, kChunk));
  const int64_t grain = std::max<int64_t>(1, 16384 / work);
  pool->ParallelFor(tasks, grain, [&](int64_t b, int64_t e) {
    A acc[kChunk];
    for (int64_t t = b; t < e; ++t) {
      const int64_t blk = t / chunks, k0 = (t % chunks) * kChunk;
      const int64_t kn = std::min(kChunk, K - k0);
      const int64_t o0 = blk * K + k0;
      const T* s = shift ? shift + o0 : nullptr;
      for (int64_t k = 0; k < kn; ++k) acc[k] = Op::init();
      const T* base = x + p.bases[blk] + k0;
      for (int64_t r = 0; r < nr; ++r) {
        const T* row = base + p.roffs[r];
        if (s) {
          for (int64_t k = 0; k < kn; ++k) acc[k] = Op::step(acc[k], row[k], s[k]);
        } else {
          for (int64_t k = 0; k < kn; ++k) acc[k] = Op::step(acc[k], row[k], T(0));
        }
      }
      for (int64_t k = 0; k < kn; ++k) out[o0 + k] = Op::fin(acc[k], nr, s ? s[k] : T(0));
    }
  });
}

template <typename Op, typename T>
void FillEmpty(T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = Op::fin(Op::init(), 0, Lowest<T>());
}

template <typename T>
void ReduceTyped(RedKind kind, const Tensor& in, Tensor& out, const std::vector<bool>& reduced,
                 ThreadPool* pool) {
  const T* x = in.data<T>();
  T* y = out.data<T>();
  const int64_t n_out = out.numel();
  if (n_out == 0) return;
  if (in.numel() == 0) {  // reducing over an empty set: the identity of each op
    switch (kind) {
      case RedKind::kSum: FillEmpty<SumOp<T>>(y, n_out); break;
      case RedKind::kMean: FillEmpty<MeanOp<T>>(y, n_out); break;
      case RedKind::kMax: FillEmpty<MaxOp<T>>(y, n_out); break;
      case RedKind::kMin: FillEmpty<MinOp<T>>(y, n_out); break;
      case RedKind::kProd: FillEmpty<ProdOp<T>>(y, n_out); break;
      case RedKind::kL1: FillEmpty<L1Op<T>>(y, n_out); break;
      case RedKind::kL2: FillEmpty<L2Op<T>>(y, n_out); break;
      case RedKind::kLogSum: FillEmpty<LogSumOp<T>>(y, n_out); break;
      case RedKind::kLogSumExp:
        for (int64_t i = 0; i < n_out; ++i) y[i] = Lowest<T>();
        break;
      case RedKind::kSumSquare: FillEmpty<SumSquareOp<T>>(y, n_out); break;
    }
    return;
  }
  RedPlan p = MakePlan(in.shape(), reduced);
  switch (kind) {
    case RedKind::kSum: RunReduce<SumOp<T>, T>(x, y, p, nullptr, pool); break;
    case RedKind::kMean: RunReduce<MeanOp<T>, T>(x, y, p, nullptr, pool); break;
    case RedKind::kMax: RunReduce<MaxOp<T>, T>(x, y, p, nullptr, pool); break;
    case RedKind::kMin: RunReduce<MinOp<T>, T>(x, y, p, nullptr, pool); break;
    case RedKind::kProd: RunReduce<ProdOp<T>, T>(x, y, p, nullptr, pool); break;
    case RedKind::kL1: RunReduce<L1Op<T>, T>(x, y, p, nullptr, pool); break;
    case RedKind::kL2: RunReduce<L2Op<T>, T>(x, y, p, nullptr, pool); break;
    case RedKind::kLogSum: RunReduce<LogSumOp<T>, T>(x, y, p, nullptr, pool); break;
    case RedKind::kSumSquare: RunReduce<SumSquareOp<T>, T>(x, y, p, nullptr, pool); break;
    case RedKind::kLogSumExp: {
      std::vector<T> mx(static_cast<size_t>(n_out));
      RunReduce<MaxOp<T>, T>(x, mx.data(), p, nullptr, pool);
      RunReduce<SumExpOp<T>, T>(x, y, p, mx.data(), pool);
      break;
    }
  }
}

RedKind KindOf(const std::string& op) {
  if (op == "ReduceSum") return RedKind::kSum;
  if (op == "ReduceMean") return RedKind::kMean;
  if (op == "ReduceMax") return RedKind::kMax;
  if (op == "ReduceMin") return RedKind::kMin;
  if (op == "ReduceProd") return RedKind::kProd;
  if (op == "ReduceL1") return RedKind::kL1;
  if (op == "ReduceL2") return RedKind::kL2;
  if (op == "ReduceLogSum") return RedKind::kLogSum;
  if (op == "ReduceLogSumExp") return RedKind::kLogSumExp;
  return RedKind::kSumSquare;
}

bool AxesIsInput(const Node& n) {
  return n.op_type == "ReduceSum" ? n.opset >= 13 : n.opset >= 18;
}

// Resolves the reduced-axes flags (empty + noop => all false and *noop = true).
Status ResolveAxes(const Node& n, const ValueInfo* axes_in, const Tensor* axes_val,
                   int64_t rank, std::vector<bool>* reduced, bool* noop) {
  std::vector<int64_t> axes;
  if (AxesIsInput(n)) {
    if (axes_in != nullptr) {
      if (axes_val == nullptr) return NeedsValue();
      if (axes_val->rank() > 1) return InvalidArgument("input 'axes' must be 1-D");
      PX_ASSIGN_OR_RETURN(axes, ReadInts(*axes_val));
    }
  } else {
    axes = n.GetInts("axes");
  }
  reduced->assign(static_cast<size_t>(rank), false);
  *noop = false;
  if (axes.empty()) {
    if (AxesIsInput(n) && n.GetInt("noop_with_empty_axes", 0) != 0) {
      *noop = true;
      return Status::Ok();
    }
    reduced->assign(static_cast<size_t>(rank), true);
    return Status::Ok();
  }
  for (int64_t a : axes) {
    PX_ASSIGN_OR_RETURN(int64_t ax, NormalizeAxis(a, rank));
    if ((*reduced)[ax]) return InvalidArgument("axis " + std::to_string(a) + " is repeated in 'axes'");
    (*reduced)[ax] = true;
  }
  return Status::Ok();
}

Status ReduceInfer(InferContext& ctx) {
  const Node& n = ctx.node;
  if (!ctx.has(0)) return InvalidArgument("missing input 'data'");
  const DataType dt = ctx.in(0).dtype;
  const RedKind kind = KindOf(n.op_type);
  const bool minmax = kind == RedKind::kMax || kind == RedKind::kMin;
  if (dt == DataType::kBool ? !minmax : !(IsFloat(dt) || IsInteger(dt)) || dt == DataType::kFloat16) {
    return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported by " +
                          n.op_type);
  }
  if (kind == RedKind::kLogSumExp || kind == RedKind::kLogSum || kind == RedKind::kL2) {
    if (!IsFloat(dt) && dt != DataType::kInt32 && dt != DataType::kInt64 &&
        dt != DataType::kUInt32 && dt != DataType::kUInt64)
      return NotImplemented(std::string("dtype ") + DataTypeName(dt) + " is not supported");
  }
  const Shape& shape = ctx.in(0).shape;
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<bool> reduced;
  bool noop = false;
  PX_RETURN_IF_ERROR(ResolveAxes(n, ctx.has(1) ? ctx.inputs[1] : nullptr, ctx.Value(1), rank,
                                 &reduced, &noop));
  if (noop) {
    ctx.SetOutput(0, dt, shape);
    return Status::Ok();
  }
  const bool keepdims = n.GetInt("keepdims", 1) != 0;
  Shape out;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i]) out.push_back(shape[i]);
    else if (keepdims) out.push_back(1);
  }
  ctx.SetOutput(0, dt, out);
  return Status::Ok();
}

Status ReduceCompute(KernelContext& ctx) {
  const Node& n = ctx.node;
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  std::vector<bool> reduced;
  bool noop = false;
  ValueInfo axes_info;
  PX_RETURN_IF_ERROR(ResolveAxes(n, ctx.has(1) ? &axes_info : nullptr,
                                 ctx.has(1) ? &ctx.in(1) : nullptr, in.rank(), &reduced, &noop));
  if (noop) {
    if (out.raw() != in.raw() && in.nbytes() > 0) std::memcpy(out.raw(), in.raw(), in.nbytes());
    return Status::Ok();
  }
  const RedKind kind = KindOf(n.op_type);
  return DispatchNumeric(in.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      // Max/Min only (checked by infer): bool as uint8.
      Tensor in8 = Tensor::Wrap(DataType::kUInt8, in.shape(), const_cast<void*>(in.raw()));
      Tensor out8 = Tensor::Wrap(DataType::kUInt8, out.shape(), out.raw());
      if (in.numel() == 0) {  // max of nothing = false, min of nothing = true
        std::memset(out.raw(), kind == RedKind::kMin ? 1 : 0, out.nbytes());
      } else {
        ReduceTyped<uint8_t>(kind, in8, out8, reduced, ctx.pool);
      }
    } else {
      ReduceTyped<T>(kind, in, out, reduced, ctx.pool);
    }
  });
}

}  // namespace

std::vector<KernelDef> ReduceOpKernels() {
  std::vector<KernelDef> rows;
  const char* ops18[] = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                         "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
  rows.push_back({"ReduceSum", "", 1, 12, ReduceInfer, ReduceCompute});
  rows.push_back({"ReduceSum", "", 13, 0, ReduceInfer, ReduceCompute});
  for (const char* op : ops18) {
    rows.push_back({op, "", 1, 17, ReduceInfer, ReduceCompute});
    rows.push_back({op, "", 18, 0, ReduceInfer, ReduceCompute});
  }
  return rows;
}

}  // namespace parallax::ops
