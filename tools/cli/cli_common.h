// Shared pieces of the `parallax` subcommands: input preparation and the embedded model.
#pragma once

#include <cstdint>
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

// "NAME=VALUE" → {NAME, VALUE}; fails on a missing '='.
StatusOr<std::pair<std::string, std::string>> SplitAssignment(const std::string& s);

// "1234", "64K", "64M", "2G" (powers of 1024) → bytes.
StatusOr<size_t> ParseBytes(const std::string& s);

// --verbose: the plan's shape and what the scheduler did in one run, on stderr.
void PrintPlanAndRun(const PlanStats& plan, const RunStats& run);

int RunCommand(const std::string& model, const std::vector<std::string>& inputs,
               const std::string& output_dir, const SessionOptions& o, uint32_t seed, bool verbose);
int BenchCommand(const std::string& model, const std::vector<std::string>& inputs,
                 const SessionOptions& o, int runs, int warmup, bool json, bool verbose);
int InfoCommand(const std::string& model);

}  // namespace parallax::cli
