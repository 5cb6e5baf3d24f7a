// Where this process's cgroup v2 files are: the "0::/path" line of /proc/self/cgroup, under
// /sys/fs/cgroup. Read by the memory budget (memory.max, memory.current) and the usable-core
// count (cpu.max).
#pragma once

#include <fstream>
#include <string>

namespace parallax {

// root + "/sys/fs/cgroup" + the process's v2 path (the last "0::" line), or "" when there is
// none (cgroup v1 only, or no /proc). `root` replaces "/" for tests.
inline std::string CgroupV2Dir(const std::string& root) {
  std::ifstream cg(root + "/proc/self/cgroup");
  std::string line, path;
  while (std::getline(cg, line)) {
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  }
  if (path.empty()) return "";
  return root + "/sys/fs/cgroup" + (path == "/" ? "" : path);
}

}  // namespace parallax
