// Products with a constant right-hand matrix (MatMul/Gemm weights), B packed once per node.
//
//   auto packed = PackedMatrix::Pack(K, N, w, /*b_is_kn=*/true);   // once: at load or first run
//   if (packed) PackedSgemm(pool, M, a, lda, *packed, c, ldc, epilogue);
//
// OpenBLAS packs B again on every call: at DistilBERT's shapes (M = 128, K×N = 768×3072) that
// repacking is a third of the product's time. PackedMatrix keeps B in column panels of NR floats
// ([panel][k][NR], zero-padded), laid out for the register-tiled micro-kernels of
// packed_gemm_avx512.cc (NR = 32) and packed_gemm_avx2.cc (NR = 16); A is read in place.
// Each element of C is summed in the same order whatever the thread count, so results do not
// depend on how the product is split. Pack() returns null where no micro-kernel runs (non-x86
// or a CPU without AVX2+FMA): the caller then uses Sgemm.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace parallax {

class ThreadPool;

// kAuto: the widest the CPU runs (PARALLAX_PACKED_GEMM=off disables packing, =avx2 caps it).
enum class GemmIsa { kAuto, kAvx512, kAvx2 };

class PackedMatrix;

// What the micro-kernel's driver does to each tile of C right after its last store, while the
// tile is in L1: C = act(C + bias[column]). Cheaper than a GemmEpilogue pass over the finished
// block (read back from L2); activations other than these go through a GemmEpilogue.
struct TileEpilogue {
  enum Act { kNone, kRelu, kSilu, kSigmoid, kGelu };
  const float* bias = nullptr;  // N floats (one per column of C), or null
  Act act = kNone;
  float beta = 1.0f;  // kSilu: x·sigmoid(beta·x)
  bool empty() const { return bias == nullptr && act == kNone; }
};

// Tiles of a convolution whose MR rows are consecutive output pixels of one image row with
// every window inside X: row r of tap t starts at corner + off[t] + r * pixel_stride, so the
// kernel reads A from one pointer per tap instead of MR (and nothing is built for them).
struct StridedTiles {
  const float* const* corner = nullptr;  // per tile of the block: its first row's window corner, or null
  const int64_t* off = nullptr;          // per tap of the block: its offset from the corner, in floats
  int64_t pixel_stride = 0;              // floats between the windows of consecutive rows
};
// The pixel strides (stride_w x C) the strided tiles are compiled for: a constant stride lets
// the broadcasts take immediate offsets from one register. The kernels instantiate one tile per
// entry (packed_gemm_kernel.h, TileStridedAny).
using StridedTileStrides = std::integer_sequence<int, 32, 64, 80, 128, 256>;
template <int... P>
constexpr bool StridedTilesRunAny(int64_t pixel_stride, std::integer_sequence<int, P...>) {
  return ((pixel_stride == P) || ...);
}
constexpr bool StridedTilesRun(int64_t pixel_stride) {
  return StridedTilesRunAny(pixel_stride, StridedTileStrides{});
}

namespace packed_gemm_detail {
// One ISA's micro-kernel driver: C rows [i0, i1) x panels [p0, p1), all of K; ep (null: none)
// is applied to each tile as its last block of K is stored.
using RangeFn = void (*)(int64_t i0, int64_t i1, int64_t p0, int64_t p1, const float* a,
                         int64_t lda, const PackedMatrix& b, float* c, int64_t ldc, const TileEpilogue* ep);
RangeFn Avx512Range();  // null when not compiled in
RangeFn Avx2Range();
// Rows [0, mc) of A (a points at their column k0) times rows [k0, k0 + kc) of panel p, stored
// into C or added to it (c points at the panel's first column: column p * nr of a C, or of a
// piece of one): the building block of drivers that make A on the fly (kernels/packed_conv.h).
// ep (null: none) goes with the last block of K.
using PanelFn = void (*)(int64_t mc, const float* a, int64_t lda, const PackedMatrix& b, int64_t p,
                         int64_t k0, int64_t kc, float* c, int64_t ldc, bool accumulate, const TileEpilogue* ep);
PanelFn Avx512Panel();
PanelFn Avx2Panel();
// Rows [0, mc) of A given by pointers ([tile of mr rows][tap][mr], C floats each) for taps
// [t0, t0 + taps), times panel p (c as for PanelFn); the rows of B are tap-major, channel-minor.
// Tiles with a non-null strided->corner (strided may be null) read A that way instead.
using IndirectPanelFn = void (*)(int64_t mc, const float* const* ind, int64_t t0, int64_t taps, int64_t C,
                                 const PackedMatrix& b, int64_t p, float* c, int64_t ldc, bool accumulate,
                                 const TileEpilogue* ep, const StridedTiles* strided);
struct IndirectKernel {
  IndirectPanelFn fn = nullptr;
  int mr = 0;
};
IndirectKernel Avx512Indirect();
IndirectKernel Avx2Indirect();
}  // namespace packed_gemm_detail

class PackedMatrix {
 public:
  // b: [K, N] row-major when b_is_kn (MatMul's B), else [N, K] (Gemm with transB = 1); ldb is
  // the distance between its rows (0: dense, N or K). Null when that ISA is not available
  // here (or packing is disabled).
  static std::shared_ptr<PackedMatrix> Pack(int64_t K, int64_t N, const float* b, bool b_is_kn,
                                            GemmIsa isa = GemmIsa::kAuto, int64_t ldb = 0);

  int64_t K() const { return k_; }
  int64_t N() const { return n_; }
  int nr() const { return nr_; }
  int64_t panels() const { return (n_ + nr_ - 1) / nr_; }
  const float* panel(int64_t p) const { return data_.get() + p * k_ * nr_; }
  GemmIsa isa() const { return isa_; }
  packed_gemm_detail::RangeFn range() const { return range_; }
  packed_gemm_detail::PanelFn panel_fn() const { return panel_fn_; }
  packed_gemm_detail::IndirectKernel indirect() const { return indirect_; }

 private:
  int64_t k_ = 0, n_ = 0;
  int nr_ = 0;
  GemmIsa isa_ = GemmIsa::kAuto;
  packed_gemm_detail::RangeFn range_ = nullptr;
  packed_gemm_detail::PanelFn panel_fn_ = nullptr;
  packed_gemm_detail::IndirectKernel indirect_;
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float[], Free> data_;
};

// True when Pack() with GemmIsa::kAuto gives matrices on this CPU and build (and
// PARALLAX_PACKED_GEMM does not turn packing off).
bool PackedGemmAvailable();
// Whether Pack() gives matrices for `isa` on this CPU and build (kAuto: the widest there is).
bool PackedGemmRuns(GemmIsa isa);
// The ISA that Pack() with GemmIsa::kAuto packs for here (kAuto: none).
GemmIsa PackedGemmIsa();

// Called on each finished block of C (rows [r0, r1), columns [c0, c1)) while it is still in
// cache: bias and activation epilogues. May run on any pool thread, on disjoint blocks.
using GemmEpilogue = std::function<void(int64_t r0, int64_t r1, int64_t c0, int64_t c1)>;

// How a product of M rows by `panels` column panels is split into tasks for a pool: blocks of
// rows x chunks of panels, about 4 tasks per thread (one for a small product). Blocks have
// packed_gemm_detail::kMc rows; with tile_rows > 0 they shrink (to multiples of tile_rows, at
// least 4 tiles) before panels are chunked, for drivers where each chunk re-makes its block of A.
struct GemmTasks {
  int64_t rows = 0, panels = 0, block_rows = 0, row_blocks = 0, chunks = 1, per_chunk = 0;
  int64_t count() const { return row_blocks * chunks; }
  // Task t covers rows [*i0, *i1) and panels [*p0, *p1); false when it has no panel.
  bool Get(int64_t t, int64_t* i0, int64_t* i1, int64_t* p0, int64_t* p1) const;
};
GemmTasks SplitGemm(const ThreadPool* pool, int64_t M, int64_t N, int64_t K, int64_t panels,
                    int64_t tile_rows = 0);
// Runs task(0 .. tasks-1) on the pool (inline when there is one task or no pool).
void RunGemmTasks(ThreadPool* pool, int64_t tasks, const std::function<void(int64_t)>& task);

// C[M, N] = A[M, K] * B (row-major A with leading dimension lda, C with ldc), the tile
// epilogue applied in registers, then the block epilogue.
void PackedSgemm(ThreadPool* pool, int64_t M, const float* a, int64_t lda, const PackedMatrix& b,
                 float* c, int64_t ldc, const GemmEpilogue& epilogue = nullptr, const TileEpilogue& tile = {});

}  // namespace parallax
