// parallax — the command-line interface. Subcommands: run, bench, info, analyze, profile, simulate.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <new>

#include "cli_common.h"

namespace {

int Main(int argc, char** argv) {
  using namespace parallax;
  CLI::App app{"parallax: a branch-parallel ONNX inference runtime"};
  app.require_subcommand(1);

  std::string model, output_dir = ".";
  std::vector<std::string> inputs, dims;
  int threads = 0, runs = 20, warmup = 3;
  uint32_t seed = 0;
  bool json = false, profile = false, verbose = false, all_branches = false;
  std::string mode = "parallel", budget, accelerator, device_path, ops_path;
  double margin = 0.10;

  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("--input", inputs, "NAME=FILE.npy (repeatable)");
    cmd->add_option("--threads", threads, "worker threads (default: number of cores)");
    cmd->add_option("--dim", dims, "NAME=VALUE for a symbolic input dim (repeatable)");
    cmd->add_option("--seed", seed, "seed for random inputs");
    cmd->add_option("--mode", mode, "parallel (default) or sequential (topological order, one arena)")
        ->check(CLI::IsMember({"parallel", "sequential"}));
    cmd->add_option("--memory-budget", budget, "activation bytes a run may use (e.g. 64M, 1G)");
    cmd->add_option("--memory-margin", margin, "share of the system's available memory kept free")
        ->check(CLI::Range(0.0, 0.99));
    cmd->add_flag("--all-branches", all_branches,
                  "run every multi-branch layer concurrently, even where the cost model predicts a loss");
    cmd->add_flag("--verbose,-v", verbose, "print the plan and what the scheduler did");
    cmd->add_option("--accelerator", accelerator, "opencl or opencl:N (device N of all OpenCL platforms), or cpu (the CPU kernels behind the provider interface)");
    cmd->add_option("--accelerator-ops", ops_path,
                    "accelerator op profile: a path, or a name in profiles/accelerators (mobile-gpu)");
    cmd->add_option("--device", device_path,
                    "device profile: a path, or a name in profiles/devices (host, snapdragon-8gen1); "
                    "prunes accelerator regions by its cost model, and selects simulate's device mode");
  };
  CLI::App* run = app.add_subcommand("run", "run a model once and write its outputs as .npy");
  run->add_option("model", model, "ONNX model file")->required();
  run->add_option("--output-dir", output_dir, "folder for NAME.npy outputs");
  add_common(run);

  CLI::App* bench = app.add_subcommand("bench", "measure latency and memory");
  bench->add_option("model", model, "ONNX model file (default: the embedded model)");
  bench->add_option("--runs", runs, "timed runs")->check(CLI::PositiveNumber);
  bench->add_option("--warmup", warmup, "untimed runs first")->check(CLI::NonNegativeNumber);
  bench->add_flag("--json", json, "print one JSON object");
  bench->add_flag("--profile", profile, "also print time per op type (timed runs only)");
  bool lockstep = false;
  bench->add_flag("--lockstep", lockstep,
                  "after the warmup print 'ready', then time one run per stdin line and print its ms (for a "
                  "driver that alternates engines run by run); EOF or 'quit' ends the timed runs");
  add_common(bench);

  CLI::App* info = app.add_subcommand("info", "describe a model: inputs, outputs, ops");
  info->add_option("model", model, "ONNX model file")->required();

  std::string dot_path, trace_path;
  int profile_runs = 5, profile_warmup = 1;
  CLI::App* analyze = app.add_subcommand("analyze", "describe the parallel plan: branches, layers, W, C, arenas");
  analyze->add_option("model", model, "ONNX model file (default: the embedded model)");
  analyze->add_flag("--json", json, "print one JSON object");
  analyze->add_option("--dot", dot_path, "also write the plan as graphviz DOT to this file");
  add_common(analyze);

  CLI::App* prof = app.add_subcommand("profile", "time every step; write the median run as a Chrome trace");
  prof->add_option("model", model, "ONNX model file (default: the embedded model)");
  prof->add_option("-o,--output", trace_path, "trace file (chrome://tracing, Perfetto)")->required();
  prof->add_option("--runs", profile_runs, "timed runs")->check(CLI::PositiveNumber);
  prof->add_option("--warmup", profile_warmup, "untimed runs first")->check(CLI::NonNegativeNumber);
  add_common(prof);

  std::string cores_list = "1,2,4,8";
  bool validate = false;
  CLI::App* sim = app.add_subcommand(
      "simulate", "predict latency and peak memory on P cores, or on a device with an accelerator");
  sim->add_option("model", model, "ONNX model file (default: the embedded model)");
  sim->add_option("--cores", cores_list, "comma-separated core counts (default 1,2,4,8)");
  sim->add_option("--runs", runs, "profiled runs (and measured runs with --validate)")->check(CLI::PositiveNumber);
  sim->add_option("--warmup", warmup, "untimed runs first")->check(CLI::NonNegativeNumber);
  sim->add_flag("--validate", validate, "also measure latency for every P this machine has");
  sim->add_flag("--json", json, "print one JSON object");
  add_common(sim);

  CLI11_PARSE(app, argc, argv);

  SessionOptions opts;
  opts.threads = threads;
  opts.profile = profile;
  opts.mode = mode == "sequential" ? ExecutionMode::kSequential : ExecutionMode::kParallel;
  opts.all_branches_concurrent = all_branches;
  opts.memory_margin = margin;
  opts.accelerator = accelerator;
  if (!*sim) {  // simulate --device models a device instead of using one
    opts.accelerator_ops = cli::ResolveProfile(ops_path, "accelerators", ".txt");
    opts.device_profile = cli::ResolveProfile(device_path, "devices", ".json");
  }
  if (!budget.empty()) {
    auto bytes = cli::ParseBytes(budget);
    if (!bytes.ok()) {
      std::cerr << "error: --memory-budget " << bytes.status().message() << "\n";
      return 2;
    }
    opts.memory_budget = *bytes;
  }
  for (const std::string& d : dims) {
    auto kv = cli::SplitAssignment(d);
    if (!kv.ok()) {
      std::cerr << "error: --dim " << kv.status().message() << "\n";
      return 2;
    }
    try {
      opts.dims[kv->first] = std::stoll(kv->second);
    } catch (...) {
      std::cerr << "error: --dim " << d << ": value is not an integer\n";
      return 2;
    }
  }
  if (*run) return cli::RunCommand(model, inputs, output_dir, opts, seed, verbose);
  if (*bench) return cli::BenchCommand(model, inputs, opts, runs, warmup, json, verbose, lockstep);
  if (*analyze) return cli::AnalyzeCommand(model, inputs, opts, seed, json, dot_path, verbose);
  if (*sim) {
    if (!device_path.empty()) {
      return cli::DeviceSimulateCommand(model, inputs, opts, device_path, ops_path.empty() ? "mobile-gpu" : ops_path, json);
    }
    std::vector<int> cores;
    for (size_t pos = 0; pos <= cores_list.size();) {
      size_t comma = cores_list.find(',', pos);
      if (comma == std::string::npos) comma = cores_list.size();
      try {
        cores.push_back(std::stoi(cores_list.substr(pos, comma - pos)));
      } catch (...) {
        std::cerr << "error: --cores " << cores_list << ": expected numbers like 1,2,4,8\n";
        return 2;
      }
      if (cores.back() < 1 || cores.back() > 1024) {
        std::cerr << "error: --cores: each count must be 1..1024\n";
        return 2;
      }
      pos = comma + 1;
    }
    return cli::SimulateCommand(model, inputs, opts, cores, runs, warmup, validate, json);
  }
  if (*prof) {
    return cli::ProfileCommand(model, inputs, opts, seed, trace_path, profile_runs, profile_warmup, verbose);
  }
  return cli::InfoCommand(model);
}

}  // namespace

// The library reports errors as Status values; what can still throw is the C++ runtime itself
// (std::bad_alloc under a tight address-space limit while parsing arguments or loading).
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fputs("error: out of memory\n", stderr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
  }
  return 1;
}
