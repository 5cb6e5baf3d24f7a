// Device and accelerator-capability profiles: what the partitioner and the simulator know about
// a target device (profiles/devices/*.json, profiles/accelerators/*.txt).
//
//   auto dev = LoadDeviceProfile("profiles/devices/snapdragon-8gen1.json");   // StatusOr
//   auto ops = LoadCapabilityProfile("profiles/accelerators/mobile-gpu.txt");
#pragma once

#include <set>
#include <string>

#include "parallax/status.h"

namespace parallax {

struct DeviceProfile {
  std::string name = "host";
  // CPU, per core.
  int cpu_cores = 2;
  double cpu_gemm_gflops = 90;      // GEMM/convolution
  double cpu_simple_gflops = 6;     // elementwise arithmetic
  double cpu_gbytes_per_s = 12;     // memory bandwidth one core reaches
  double cpu_parallel_efficiency = 0.85;
  double cpu_watts_per_core = 0;    // for energy estimates (0 = unknown)
  // Accelerator (accel_gflops 0 = none).
  double accel_gflops = 0;
  double accel_gbytes_per_s = 0;    // its memory bandwidth
  double transfer_gbytes_per_s = 0; // host <-> accelerator
  double dispatch_ms = 0;           // per region launch
  double accel_watts = 0;
  // Partitioning thresholds: offload a region only if its work is at least min_region_flops and
  // its CPU time is at least beta times its accelerator time (transfers and dispatch included).
  double min_region_flops = 1e9;
  double beta = 1.5;
};

// Reads a JSON object with the fields above (all optional; unknown keys are an error).
StatusOr<DeviceProfile> LoadDeviceProfile(const std::string& path);

struct CapabilityProfile {
  std::string name;
  std::set<std::string> ops;       // op types the accelerator runs (float32)
  bool all_ops = false;            // no list: whatever the provider supports
  bool static_shapes_only = true;  // dynamic steps always fall back
};

// A text file: one op type per line; '#' starts a comment; "dynamic-shapes" on its own line
// allows dynamic steps.
StatusOr<CapabilityProfile> LoadCapabilityProfile(const std::string& path);

}  // namespace parallax
