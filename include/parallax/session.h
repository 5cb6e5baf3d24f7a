// Session: load an ONNX model once, run it many times.
//
//   parallax::SessionOptions opts;
//   opts.threads = 2;
//   auto session = parallax::Session::Load("model.onnx", opts);
//   if (!session.ok()) { std::cerr << session.status().message() << "\n"; return 1; }
//   auto outputs = (*session)->Run({{"input", input_tensor}});
//
// Run() is safe to call from several threads at once on one session: plans are built once
// per input-shape signature and cached; each call gets its own arena.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "parallax/device.h"
#include "parallax/report.h"
#include "parallax/status.h"
#include "parallax/tensor.h"

namespace parallax {

enum class ExecutionMode {
  kSequential,  // every step in topological order over one arena (the ablation baseline)
  kParallel,    // branches of a layer run concurrently where the cost model predicts a gain
};

struct SessionOptions {
  // Total worker threads; 0 = the usable cores (online, within the affinity mask and any
  // cgroup CPU quota). More than the usable cores are capped to them (threads_note() says so):
  // a pool larger than its cores waits for the OS scheduler at every parallel loop (the tiny
  // YOLOv8n took 180 ms instead of 0.8 at 3 threads on 2 cores).
  int threads = 0;
  bool optimize = true;        // graph passes (dead-node removal, fusions)
  // Pack MatMul/Gemm weights once at load and keep only the packed copy (CPU-only sessions).
  bool prepack_weights = true;
  std::map<std::string, int64_t> dims;  // values for symbolic input dims, used by defaults
  bool profile = false;        // time every step; read with Session::Profile()
  ExecutionMode mode = ExecutionMode::kParallel;
  // Run every layer with several branches concurrently, even where the cost model predicts a
  // loss (tests and ablations).
  bool all_branches_concurrent = false;
  // Activation bytes a run may use (0 = no limit of our own). The effective budget is the
  // smallest of this and what the system reports available (MemAvailable, the cgroup limit,
  // RLIMIT_AS) less `memory_margin` of it.
  size_t memory_budget = 0;
  double memory_margin = 0.10;
  // Accelerator: "" (CPU only), "opencl" or "opencl:N" (device N of all OpenCL platforms), or
  // "cpu" (the CPU kernels behind the provider interface: the heterogeneous path, no device).
  // When the device cannot be opened the session runs on the CPU and accelerator_note() says
  // why. Nodes go to the accelerator when the provider supports them, the op is in
  // `accelerator_ops` (a capability profile file; "" = everything the provider runs), and —
  // with a `device_profile` file — the region passes its cost model (analysis/placement.h);
  // without one every supported region is offloaded.
  std::string accelerator;
  std::string accelerator_ops;
  std::string device_profile;
};

// What one Run did (Session::Run's optional out-parameter).
struct RunStats {
  ExecutionMode mode = ExecutionMode::kSequential;  // the executor actually used
  size_t arena_bytes = 0;          // activation arena of this run
  size_t budget_bytes = 0;         // effective budget (SIZE_MAX = unlimited)
  int concurrent_waves = 0;        // waves that ran several branches at once
  int branches_held_back = 0;      // branches that waited for memory instead of running at once
  size_t peak_slab_bytes = 0;      // the most branch-arena bytes in use at once (measured)
  size_t peak_arena_bytes_used = 0;  // shared region + peak_slab_bytes (parallel) or the arena
  std::vector<StepTrace> trace;    // per plan step, when the session profiles (SessionOptions::profile)
  bool parallel_fell_back = false; // parallel plan did not fit the budget: ran sequentially
};

// Time spent in one op type, summed over the profiled runs (SessionOptions::profile).
struct OpProfile {
  std::string op_type;
  int64_t nodes = 0;      // steps of this op type in the plan
  double total_ms = 0;    // over all profiled runs
};

// One model input or output as declared in the file. Dims < 0 are symbolic or unknown;
// dim_names[i] carries the symbol ("batch") where the file gives one.
struct IoInfo {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;
  std::vector<std::string> dim_names;
};

// Facts about the plan built for one input-shape signature.
struct PlanStats {
  size_t arena_bytes = 0;      // planned peak of intermediate activations
  size_t constant_bytes = 0;   // initializers plus plan-time folded constants
  size_t nodes_executed = 0;   // nodes left after folding
  size_t nodes_folded = 0;     // nodes evaluated at plan time
  size_t dynamic_values = 0;   // values whose size is only known at run time
  size_t accelerator_steps = 0;  // steps the accelerator runs
  // Planned host<->device traffic of one run with an accelerator, from operand sizes:
  // activations copied to the device and back (values that only accelerator steps read stay
  // there), and constants, which are uploaded once per plan. The "per op" figure is what
  // copying every accelerator step's operands both ways would move. Estimates: a provider may
  // upload a derived form instead (Gemm's C broadcast to [M, N], LayerNorm's scale row), read
  // small parameter inputs on the host (Slice's starts, Resize's scales) and add tables of its
  // own; AcceleratorStats counts what it actually moved.
  size_t accelerator_upload_bytes = 0, accelerator_download_bytes = 0;
  size_t accelerator_constant_bytes = 0;
  size_t accelerator_per_op_transfer_bytes = 0;
  // The parallel schedule (zero in sequential mode).
  size_t sequential_arena_bytes = 0;  // one arena, topological order
  size_t parallel_arena_bytes = 0;    // shared region + the largest layer's branch arenas
  size_t parallel_min_arena_bytes = 0;  // shared region + the largest single branch arena
  size_t branches = 0, layers = 0, concurrent_layers = 0;
  double work_ms = 0, critical_path_ms = 0;  // cost-model estimates (W and C)
};

// What the accelerator did since the session was made: host<->device copies, inputs read from
// device-resident values, nodes run.
struct AcceleratorStats {
  int64_t uploads = 0, upload_bytes = 0;      // host -> device copies (constants included)
  int64_t constant_uploads = 0;               // of which constants, kept for later runs
  int64_t downloads = 0, download_bytes = 0;  // device -> host copies
  int64_t device_reads = 0;                   // inputs read from a device-resident value
  int64_t steps = 0;                          // nodes run on the accelerator
};

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Session {
 public:
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Loads and validates a model. External data files are resolved relative to the model's
  // folder and may not escape it. Fails with a Status naming the node for unknown ops.
  static StatusOr<std::unique_ptr<Session>> Load(const std::string& path,
                                                 const SessionOptions& options = {});
  // As Load, from bytes in memory; `base_dir` resolves external data ("" = none allowed).
  static StatusOr<std::unique_ptr<Session>> LoadFromBytes(const void* data, size_t size,
                                                          const SessionOptions& options = {},
                                                          const std::string& base_dir = "");

  const std::vector<IoInfo>& inputs() const;
  const std::vector<IoInfo>& outputs() const;
  int threads() const;
  // When `threads` asked for more than the usable cores: what was asked and what is used.
  const std::string& threads_note() const;
  // The accelerator in use ("" = CPU only) and, when one was asked for but is not used, why.
  const std::string& accelerator() const;
  const std::string& accelerator_note() const;
  AcceleratorStats accelerator_stats() const;  // zeros without an accelerator

  // Runs the model. Every graph input must be given once, with the declared dtype and a shape
  // compatible with the declared one. Returns all graph outputs in declaration order.
  StatusOr<NamedTensors> Run(const NamedTensors& inputs, RunStats* stats = nullptr);

  // Builds (or fetches the cached) plan for these input shapes and reports its statistics.
  StatusOr<PlanStats> Plan(const NamedTensors& inputs);

  // The plan for these input shapes, described: steps, branches, layers, predictions, arenas.
  // The session must be in parallel mode (the default) for branch and layer detail.
  StatusOr<PlanReport> Report(const NamedTensors& inputs);

  // Predicts latency and peak memory on `cores` cores by replaying the scheduler's policy on a
  // virtual clock (runtime/simulator.h). `step_ms1`: measured one-thread time per plan step
  // (index-parallel to Report().steps); empty = the cost model's estimates. Parallel mode only.
  StatusOr<SimulationReport> Simulate(const NamedTensors& inputs, int cores,
                                      const std::vector<double>& step_ms1 = {});

  // Places the plan's steps on `device`'s accelerator under `ops` (analysis/placement.h) and
  // predicts all-CPU, accelerator + sequential fallbacks, and accelerator + Parallax latencies.
  // CPU step times come from the device profile's cost model. Parallel mode only.
  StatusOr<HeteroReport> PredictHeterogeneous(const NamedTensors& inputs, const DeviceProfile& device,
                                              const CapabilityProfile& ops);

  // Per-op-type times of the runs so far, slowest first, and how many runs they cover.
  // Empty unless the session was created with SessionOptions::profile.
  std::vector<OpProfile> Profile(int64_t* runs = nullptr) const;

  struct Impl;
  // Internal: sessions are made by Load / LoadFromBytes.
  explicit Session(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace parallax
