// How much memory this process may still use, read from the system before a run:
// MemAvailable (/proc/meminfo), the cgroup limit (v2 memory.max - memory.current, or v1
// limit_in_bytes - usage_in_bytes) and the address-space limit (RLIMIT_AS - VmSize).
//
//   SystemMemory m = ReadSystemMemory();
//   size_t budget = EffectiveBudget(user_budget, m, /*margin=*/0.10);
#pragma once

#include <cstddef>
#include <string>

namespace parallax {

struct SystemMemory {
  size_t available = SIZE_MAX;  // the smallest of the limits below that could be read
  std::string limited_by;       // "MemAvailable", "cgroup v2", "cgroup v1", "RLIMIT_AS" or ""
};

// `root` replaces "/" for tests (a fake /proc and /sys tree).
SystemMemory ReadSystemMemory(const std::string& root = "");

// min(user budget (0 = none), system available × (1 − margin)). The margin applies to what the
// system reports, not to a budget the user chose.
size_t EffectiveBudget(size_t user_budget, const SystemMemory& system, double margin);

}  // namespace parallax
