#include "cli_common.h"

#include <cstdio>
#include <random>

#include "kernels/kernel_util.h"
#include "core/npy.h"

namespace parallax::cli {

StatusOr<std::pair<std::string, std::string>> SplitAssignment(const std::string& s) {
  size_t eq = s.find('=');
  if (eq == std::string::npos || eq == 0) return InvalidArgument("'" + s + "' is not NAME=VALUE");
  return std::make_pair(s.substr(0, eq), s.substr(eq + 1));
}

StatusOr<std::unique_ptr<Session>> OpenSession(const std::string& path, const SessionOptions& o) {
  StatusOr<std::unique_ptr<Session>> s = NotFound("no model given and no embedded default model was built in");
  if (!path.empty()) {
    s = Session::Load(path, o);
  } else if (!EmbeddedModel().empty()) {
    s = Session::LoadFromBytes(EmbeddedModel().data(), EmbeddedModel().size(), o, "");
  }
  if (s.ok() && !(*s)->accelerator_note().empty()) {
    std::fprintf(stderr, "warning: %s\n", (*s)->accelerator_note().c_str());
  }
  if (s.ok() && !(*s)->threads_note().empty()) std::fprintf(stderr, "warning: %s\n", (*s)->threads_note().c_str());
  return s;
}

StatusOr<LoadedModel> OpenWithInputs(const std::string& model, const std::vector<std::string>& inputs,
                                     const SessionOptions& o, uint32_t seed) {
  PX_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, OpenSession(model, o));
  PX_ASSIGN_OR_RETURN(NamedTensors feeds, PrepareInputs(*session, inputs, o.dims, seed));
  return LoadedModel{std::move(session), std::move(feeds)};
}

int PrintError(const Status& st) {
  std::fprintf(stderr, "error: %s\n", st.message().c_str());
  return 1;
}

std::string ResolveProfile(const std::string& arg, const char* sub, const char* ext) {
  if (arg.empty() || arg.find('/') != std::string::npos || arg.find('.') != std::string::npos) return arg;
  return std::string(PARALLAX_PROFILE_DIR) + "/" + sub + "/" + arg + ext;
}

namespace {

Status FillRandom(Tensor* t, const std::string& name, std::mt19937* rng) {
  const bool is_mask = name.find("mask") != std::string::npos;
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::uniform_int_distribution<int64_t> ids(0, 99);
  const int64_t n = t->numel();
  if (t->dtype() == DataType::kFloat16) {
    for (int64_t i = 0; i < n; ++i) t->data<uint16_t>()[i] = FloatToHalf(static_cast<float>(uni(*rng)));
    return Status::Ok();
  }
  return DispatchNumeric(t->dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = t->data<T>();
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        p[i] = true;
      } else if constexpr (std::is_floating_point_v<T>) {
        p[i] = is_mask ? T(1) : static_cast<T>(uni(*rng));
      } else {
        p[i] = is_mask ? T(1) : static_cast<T>(ids(*rng));
      }
    }
  });
}

}  // namespace

StatusOr<NamedTensors> PrepareInputs(const Session& s, const std::vector<std::string>& files,
                                     const std::map<std::string, int64_t>& dims, uint32_t seed) {
  NamedTensors out;
  for (const std::string& f : files) {
    PX_ASSIGN_OR_RETURN(auto kv, SplitAssignment(f));
    PX_ASSIGN_OR_RETURN(Tensor t, ReadNpyFile(kv.second));
    out.emplace_back(kv.first, std::move(t));
  }
  std::mt19937 rng(seed);
  for (const IoInfo& io : s.inputs()) {
    bool given = false;
    for (const auto& [name, t] : out) given |= name == io.name;
    if (given) continue;
    Shape shape = io.shape;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] >= 0) continue;
      auto it = dims.find(io.dim_names[d]);
      if (it == dims.end()) it = dims.find(io.name + "." + std::to_string(d));
      shape[d] = it != dims.end() ? it->second : 1;
    }
    DataType dtype = io.dtype == DataType::kUndefined ? DataType::kFloat32 : io.dtype;
    auto t = Tensor::Allocate(dtype, shape);
    if (!t.ok()) return t.status().WithPrefix("input '" + io.name + "': ");
    PX_RETURN_IF_ERROR(FillRandom(&t.value(), io.name, &rng).WithPrefix("input '" + io.name + "': "));
    out.emplace_back(io.name, std::move(t).value());
  }
  return out;
}

StatusOr<size_t> ParseBytes(const std::string& s) {
  size_t pos = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(s, &pos);
  } catch (...) {
    return InvalidArgument("'" + s + "' is not a byte count (e.g. 1048576, 64M, 2G)");
  }
  const std::string unit = s.substr(pos);
  int shift = 0;
  if (unit == "K" || unit == "KiB" || unit == "k") shift = 10;
  else if (unit == "M" || unit == "MiB") shift = 20;
  else if (unit == "G" || unit == "GiB") shift = 30;
  else if (!unit.empty() && unit != "B") return InvalidArgument("'" + s + "': unknown unit '" + unit + "'");
  if (n > (SIZE_MAX >> shift)) return InvalidArgument("'" + s + "' is too large");
  if (n == 0) return InvalidArgument("the budget must be positive");
  return static_cast<size_t>(n) << shift;
}

void PrintPlanAndRun(const PlanStats& plan, const RunStats& run) {
  auto mib = [](size_t b) { return b / 1048576.0; };
  std::fprintf(stderr, "plan: %zu steps in %zu branches, %zu layers (%zu run branches concurrently)\n",
               plan.nodes_executed, plan.branches, plan.layers, plan.concurrent_layers);
  std::fprintf(stderr, "plan: arena %.2f MiB sequential, %.2f MiB parallel\n",
               mib(plan.sequential_arena_bytes), mib(plan.parallel_arena_bytes));
  if (plan.accelerator_steps > 0) {
    std::fprintf(stderr,
                 "plan: %zu steps on the accelerator; per run %.2f MiB to the device, %.2f MiB back "
                 "(%.2f MiB if every step copied its operands); %.2f MiB of constants uploaded once\n",
                 plan.accelerator_steps, mib(plan.accelerator_upload_bytes), mib(plan.accelerator_download_bytes),
                 mib(plan.accelerator_per_op_transfer_bytes), mib(plan.accelerator_constant_bytes));
  }
  std::fprintf(stderr, "run: %s executor, arena %.2f MiB, budget %s", run.mode == ExecutionMode::kParallel ? "parallel" : "sequential",
               mib(run.arena_bytes), run.budget_bytes == SIZE_MAX ? "unlimited" : "");
  if (run.budget_bytes != SIZE_MAX) std::fprintf(stderr, "%.2f MiB", mib(run.budget_bytes));
  std::fprintf(stderr, "\nrun: %d concurrent waves, %d branches held back for memory%s\n", run.concurrent_waves,
               run.branches_held_back,
               run.parallel_fell_back ? "; the parallel plan did not fit the budget: ran sequentially" : "");
}

}  // namespace parallax::cli
