#include "runtime/memory_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "runtime/cgroup.h"

namespace parallax {
namespace {

bool ReadNumber(const std::string& path, size_t* out) {
  std::ifstream f(path);
  std::string s;
  if (!(f >> s) || s == "max") return false;
  try {
    *out = std::stoull(s);
  } catch (...) {
    return false;
  }
  return true;
}

// "Key:   1234 kB" from a /proc file, in bytes.
bool ReadKb(const std::string& path, const std::string& key, size_t* out) {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) != 0) continue;
    std::istringstream is(line.substr(key.size()));
    size_t kb = 0;
    if (!(is >> kb)) return false;
    *out = kb * 1024;
    return true;
  }
  return false;
}

void Consider(SystemMemory* m, size_t bytes, const char* what) {
  if (bytes < m->available) {
    m->available = bytes;
    m->limited_by = what;
  }
}

}  // namespace

SystemMemory ReadSystemMemory(const std::string& root) {
  SystemMemory m;
  size_t v = 0, used = 0;
  if (ReadKb(root + "/proc/meminfo", "MemAvailable:", &v)) Consider(&m, v, "MemAvailable");
  if (const std::string dir = CgroupV2Dir(root); !dir.empty()) {
    if (ReadNumber(dir + "/memory.max", &v) && ReadNumber(dir + "/memory.current", &used)) {
      Consider(&m, v > used ? v - used : 0, "cgroup v2");
    }
  }
  const std::string v1 = root + "/sys/fs/cgroup/memory/";
  if (ReadNumber(v1 + "memory.limit_in_bytes", &v) && ReadNumber(v1 + "memory.usage_in_bytes", &used) &&
      v < (size_t{1} << 60)) {
    Consider(&m, v > used ? v - used : 0, "cgroup v1");
  }
  if (root.empty()) {
    rlimit rl{};
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        ReadKb("/proc/self/status", "VmSize:", &used)) {
      Consider(&m, rl.rlim_cur > used ? rl.rlim_cur - used : 0, "RLIMIT_AS");
    }
  }
  return m;
}

size_t EffectiveBudget(size_t user_budget, const SystemMemory& system, double margin) {
  size_t budget = user_budget == 0 ? SIZE_MAX : user_budget;
  if (system.available != SIZE_MAX) {
    const double keep = std::clamp(1.0 - margin, 0.0, 1.0);
    budget = std::min(budget, static_cast<size_t>(static_cast<double>(system.available) * keep));
  }
  return budget;
}

}  // namespace parallax
