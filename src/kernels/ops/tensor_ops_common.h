// Helpers shared by the shape-op and tensor-op families (data movement kernels):
// a general strided copy (used by Slice, Transpose, Expand, Tile, DepthToSpace...), parallel
// loops that tolerate a null pool, and small attribute/value readers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel.h"
#include "kernels/kernel_util.h"
#include "kernels/transpose_tile.h"
#include "runtime/thread_pool.h"

namespace parallax::ops::tensor_detail {

// Work per parallel chunk, in elements.
inline constexpr int64_t kGrainElems = 16384;

// Rows of work so that each chunk holds about kGrainElems elements.
inline int64_t RowGrain(int64_t row_len) {
  return std::max<int64_t>(1, kGrainElems / std::max<int64_t>(row_len, 1));
}

// Copies into `out` (contiguous, viewed with shape `shape`) the elements
// in[offset + sum_d idx_d * strides[d]]. Strides are in elements and may be 0 or negative.
template <typename U>
void StridedCopyT(const U* in, int64_t offset, U* out, const Shape& shape,
                  const std::vector<int64_t>& strides, ThreadPool* pool) {
  // Coalesce: drop size-1 dims, merge dims that are contiguous with each other.
  std::vector<int64_t> sz, st;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return;
    if (shape[d] == 1) continue;
    if (!sz.empty() && st.back() == strides[d] * shape[d]) {
      sz.back() *= shape[d];
      st.back() = strides[d];
    } else {
      sz.push_back(shape[d]);
      st.push_back(strides[d]);
    }
  }
  const int64_t n = static_cast<int64_t>(sz.size());
  if (n == 0) {
    out[0] = in[offset];
    return;
  }
  const int64_t L = sz[n - 1];
  const int64_t s = st[n - 1];
  std::vector<int64_t> ostr(n, 1);
  for (int64_t d = n - 2; d >= 0; --d) ostr[d] = ostr[d + 1] * sz[d + 1];

  // Interleave of a few planes (NCHW -> NHWC of an image, C <= 4): out[p * L + l] =
  // in[p + l * s], with L known at compile time so that the loop unrolls.
  if (n == 2 && st[0] == 1 && s != 0 && L >= 2 && L <= 4 && sz[0] >= 64) {
    const U* base = in + offset;
    auto interleave = [&](auto planes) {
      constexpr int64_t P = decltype(planes)::value;
      ParallelFor(pool, sz[0], kGrainElems, [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
          for (int64_t l = 0; l < P; ++l) out[p * P + l] = base[p + l * s];
        }
      });
    };
    if (L == 2) interleave(std::integral_constant<int64_t, 2>{});
    if (L == 3) interleave(std::integral_constant<int64_t, 3>{});
    if (L == 4) interleave(std::integral_constant<int64_t, 4>{});
    return;
  }

  // Tiled transpose: the innermost output dim is strided in the input while another dim is
  // contiguous in the input (2-D transposes and permutations that move the last dim).
  int64_t j = -1;
  if (s != 1 && s != 0 && L >= 4) {
    for (int64_t d = 0; d + 1 < n; ++d) {
      if (st[d] == 1 && sz[d] >= 4) j = d;
    }
  }
  if (j >= 0) {
    constexpr int64_t T = 32;
    std::vector<int64_t> odims;  // outer dims (not j, not last)
    for (int64_t d = 0; d + 1 < n; ++d)
      if (d != j) odims.push_back(d);
    int64_t outer = 1;
    for (int64_t d : odims) outer *= sz[d];
    const int64_t nj = sz[j], jt = (nj + T - 1) / T;
    const int64_t osj = ostr[j];
    ParallelFor(pool, outer * jt, RowGrain(T * L), [&](int64_t b, int64_t e) {
      for (int64_t w = b; w < e; ++w) {
        int64_t o = w / jt, tj = w % jt;
        int64_t ioff = offset, ooff = 0;
        for (int64_t k = static_cast<int64_t>(odims.size()) - 1; k >= 0; --k) {
          int64_t d = odims[k];
          int64_t idx = o % sz[d];
          o /= sz[d];
          ioff += idx * st[d];
          ooff += idx * ostr[d];
        }
        const int64_t j0 = tj * T, j1 = std::min(nj, j0 + T);
        for (int64_t l0 = 0; l0 < L; l0 += T) {
          const int64_t l1 = std::min(L, l0 + T);
          if constexpr (sizeof(U) == 4) {
            TransposeTile32(reinterpret_cast<const uint32_t*>(in + ioff + l0 * s + j0), s,
                            reinterpret_cast<uint32_t*>(out + ooff + j0 * osj + l0), osj, l1 - l0, j1 - j0);
            continue;
          }
          for (int64_t jj = j0; jj < j1; ++jj) {
            const U* src = in + ioff + jj;
            U* dst = out + ooff + jj * osj;
            for (int64_t l = l0; l < l1; ++l) dst[l] = src[l * s];
          }
        }
      }
    });
    return;
  }

  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < n; ++d) rows *= sz[d];
  ParallelFor(pool, rows, RowGrain(L), [&](int64_t b, int64_t e) {
    std::vector<int64_t> idx(n, 0);
    int64_t r = b, ioff = offset;
    for (int64_t d = n - 2; d >= 0; --d) {
      idx[d] = r % sz[d];
      r /= sz[d];
      ioff += idx[d] * st[d];
    }
    U* dst = out + b * L;
    for (int64_t row = b; row < e; ++row, dst += L) {
      const U* src = in + ioff;
      if (s == 1) {
        std::memcpy(dst, src, static_cast<size_t>(L) * sizeof(U));
      } else if (s == 0) {
        std::fill(dst, dst + L, src[0]);
      } else {
        for (int64_t l = 0; l < L; ++l) dst[l] = src[l * s];
      }
      for (int64_t d = n - 2; d >= 0; --d) {
        ioff += st[d];
        if (++idx[d] < sz[d]) break;
        ioff -= st[d] * sz[d];
        idx[d] = 0;
      }
    }
  });
}

// Type-erased StridedCopy: `out` must hold NumElements(shape) elements of in's dtype.
inline Status StridedCopy(const Tensor& in, int64_t offset, Tensor& out, const Shape& shape,
                          const std::vector<int64_t>& strides, ThreadPool* pool) {
  if (out.numel() == 0) return Status::Ok();
  return DispatchBySize(in.dtype(), [&](auto tag) {
    using U = decltype(tag);
    StridedCopyT<U>(in.data<U>(), offset, out.data<U>(), shape, strides, pool);
  });
}

// Copies in -> out when they are distinct buffers (alias ops run as copies).
inline Status CopyIfDistinct(const Tensor& in, Tensor& out) {
  if (out.nbytes() != in.nbytes()) return Internal("output size does not match input size");
  if (out.raw() != in.raw() && in.nbytes() > 0) std::memcpy(out.raw(), in.raw(), in.nbytes());
  return Status::Ok();
}

// Reads an integer input's contents (int32/int64), or NeedsValue when unknown.
inline Status ReadIntsInput(const InferContext& ctx, size_t i, const char* what,
                            std::vector<int64_t>* v) {
  const Tensor* t = ctx.Value(i);
  if (t == nullptr) return NeedsValue();
  StatusOr<std::vector<int64_t>> r = ReadInts(*t);
  if (!r.ok()) return InvalidArgument(std::string("input '") + what + "': " + r.status().message());
  *v = std::move(r).value();
  return Status::Ok();
}

inline std::string Str(int64_t v) { return std::to_string(v); }

inline bool HasDuplicates(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return std::adjacent_find(v.begin(), v.end()) != v.end();
}

// Normalizes every axis against rank and rejects duplicates.
inline Status NormalizeAxes(std::vector<int64_t>* axes, int64_t rank, const char* what) {
  for (int64_t& a : *axes) {
    StatusOr<int64_t> n = NormalizeAxis(a, rank);
    if (!n.ok()) return InvalidArgument(std::string(what) + ": " + n.status().message());
    a = n.value();
  }
  if (HasDuplicates(*axes)) return InvalidArgument(std::string(what) + " contain duplicates");
  return Status::Ok();
}

inline bool IsIntDtype(DataType t) { return t == DataType::kInt32 || t == DataType::kInt64; }

// Writes the scalar `v` converted to dtype into `dst` (one element).
inline Status StoreScalar(DataType dtype, double v, void* dst) {
  if (dtype == DataType::kFloat16) {
    uint16_t h = FloatToHalf(static_cast<float>(v));
    std::memcpy(dst, &h, 2);
    return Status::Ok();
  }
  return DispatchNumeric(dtype, [&](auto tag) {
    using T = decltype(tag);
    T x = static_cast<T>(v);
    std::memcpy(dst, &x, sizeof(T));
  });
}

// Fills `count` elements at `dst` with the element bytes at `value` (element size `esize`).
inline void FillBytes(void* dst, const void* value, int64_t count, size_t esize) {
  switch (esize) {
    case 1: { uint8_t x; std::memcpy(&x, value, 1); std::fill_n(static_cast<uint8_t*>(dst), count, x); break; }
    case 2: { uint16_t x; std::memcpy(&x, value, 2); std::fill_n(static_cast<uint16_t*>(dst), count, x); break; }
    case 4: { uint32_t x; std::memcpy(&x, value, 4); std::fill_n(static_cast<uint32_t*>(dst), count, x); break; }
    case 8: { uint64_t x; std::memcpy(&x, value, 8); std::fill_n(static_cast<uint64_t*>(dst), count, x); break; }
    default: {
      char* p = static_cast<char*>(dst);
      for (int64_t i = 0; i < count; ++i) std::memcpy(p + i * esize, value, esize);
    }
  }
}

}  // namespace parallax::ops::tensor_detail
