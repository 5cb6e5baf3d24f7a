// Shared pieces of the `parallax` subcommands: input preparation and the embedded model.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "parallax/session.h"

namespace parallax::cli {

// Bytes of the default model compiled into the binary (tests/models/yolov8n_tiny).
const std::string& EmbeddedModel();
const char* EmbeddedModelName();

// Loads MODEL, or the embedded default when `path` is empty.
StatusOr<std::unique_ptr<Session>> OpenSession(const std::string& path, const SessionOptions& o);

// Inputs from NAME=FILE.npy pairs; inputs not given are seeded random tensors of the declared
// dtype and shape (symbolic dims from `dims`, else 1).
StatusOr<NamedTensors> PrepareInputs(const Session& s, const std::vector<std::string>& files,
                                     const std::map<std::string, int64_t>& dims, uint32_t seed);

// A profile given by name ("snapdragon-8gen1") is found in the source tree's profiles/<sub>/;
// a path (with '/' or '.') is used as is.
std::string ResolveProfile(const std::string& arg, const char* sub, const char* ext);

// OpenSession, then PrepareInputs for it: what every subcommand that runs a model starts with.
struct LoadedModel {
  std::unique_ptr<Session> session;
  NamedTensors feeds;
};
StatusOr<LoadedModel> OpenWithInputs(const std::string& model, const std::vector<std::string>& inputs,
                                     const SessionOptions& o, uint32_t seed);

// Prints "error: MESSAGE" on stderr and returns 1, the CLI's exit code for a failed Status.
int PrintError(const Status& st);

// "NAME=VALUE" → {NAME, VALUE}; fails on a missing '='.
StatusOr<std::pair<std::string, std::string>> SplitAssignment(const std::string& s);

// "1234", "64K", "64M", "2G" (powers of 1024) → bytes.
StatusOr<size_t> ParseBytes(const std::string& s);

// `s` as the inside of a JSON string: quotes, backslashes and control characters escaped.
inline std::string JsonEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// --verbose: the plan's shape and what the scheduler did in one run, on stderr.
void PrintPlanAndRun(const PlanStats& plan, const RunStats& run);

int RunCommand(const std::string& model, const std::vector<std::string>& inputs,
               const std::string& output_dir, const SessionOptions& o, uint32_t seed, bool verbose);
int BenchCommand(const std::string& model, const std::vector<std::string>& inputs,
                 const SessionOptions& o, int runs, int warmup, bool json, bool verbose, bool lockstep = false);
int InfoCommand(const std::string& model);
// The parallel plan described (text, --json) and drawn (--dot FILE, graphviz).
int AnalyzeCommand(const std::string& model, const std::vector<std::string>& inputs,
                   const SessionOptions& o, uint32_t seed, bool json, const std::string& dot_path,
                   bool verbose);
// Profiled runs; the median run's steps written as a Chrome trace, time per op type printed.
int ProfileCommand(const std::string& model, const std::vector<std::string>& inputs,
                   const SessionOptions& o, uint32_t seed, const std::string& trace_path, int runs,
                   int warmup, bool verbose);

// Predicted latency and peak memory on each of `cores` (scheduler policy on a virtual clock, from
// a measured one-thread profile); --validate measures the P this machine has.
int SimulateCommand(const std::string& model, const std::vector<std::string>& inputs,
                    const SessionOptions& o, const std::vector<int>& cores, int runs, int warmup,
                    bool validate, bool json);
// The paper's comparison on a device profile: all-CPU, accelerator + sequential fallbacks,
// accelerator + Parallax fallbacks.
int DeviceSimulateCommand(const std::string& model, const std::vector<std::string>& inputs,
                          const SessionOptions& o, const std::string& device, const std::string& ops,
                          bool json);

}  // namespace parallax::cli
