// parallax — the command-line interface. Subcommands: run, bench, info.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli_common.h"

int main(int argc, char** argv) {
  using namespace parallax;
  CLI::App app{"parallax: a branch-parallel ONNX inference runtime"};
  app.require_subcommand(1);

  std::string model, output_dir = ".";
  std::vector<std::string> inputs, dims;
  int threads = 0, runs = 20, warmup = 3;
  uint32_t seed = 0;
  bool json = false, profile = false, verbose = false, all_branches = false;
  std::string mode = "parallel", budget;
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
  add_common(bench);

  CLI::App* info = app.add_subcommand("info", "describe a model: inputs, outputs, ops");
  info->add_option("model", model, "ONNX model file")->required();

  CLI11_PARSE(app, argc, argv);

  SessionOptions opts;
  opts.threads = threads;
  opts.profile = profile;
  opts.mode = mode == "sequential" ? ExecutionMode::kSequential : ExecutionMode::kParallel;
  opts.all_branches_concurrent = all_branches;
  opts.memory_margin = margin;
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
  if (*bench) return cli::BenchCommand(model, inputs, opts, runs, warmup, json, verbose);
  return cli::InfoCommand(model);
}
