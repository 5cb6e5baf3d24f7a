#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "parallax/device.h"

namespace parallax {

StatusOr<DeviceProfile> LoadDeviceProfile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return NotFound("cannot open device profile '" + path + "'");
  nlohmann::json j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("device profile '" + path + "' is not a JSON object");
  }
  DeviceProfile d;
  std::map<std::string, double*> numbers = {
      {"cpu_gemm_gflops", &d.cpu_gemm_gflops},     {"cpu_simple_gflops", &d.cpu_simple_gflops},
      {"cpu_gbytes_per_s", &d.cpu_gbytes_per_s},   {"cpu_parallel_efficiency", &d.cpu_parallel_efficiency},
      {"cpu_watts_per_core", &d.cpu_watts_per_core}, {"accel_gflops", &d.accel_gflops},
      {"accel_gbytes_per_s", &d.accel_gbytes_per_s}, {"transfer_gbytes_per_s", &d.transfer_gbytes_per_s},
      {"dispatch_ms", &d.dispatch_ms},             {"accel_watts", &d.accel_watts},
      {"min_region_flops", &d.min_region_flops},   {"beta", &d.beta}};
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (key == "name" && it->is_string()) {
      d.name = it->get<std::string>();
    } else if (key == "cpu_cores" && it->is_number_integer() && it->get<int64_t>() >= 1 &&
               it->get<int64_t>() <= 1024) {
      d.cpu_cores = static_cast<int>(it->get<int64_t>());
    } else if (key == "comment") {
      continue;
    } else if (numbers.count(key) && it->is_number() && it->get<double>() >= 0) {
      *numbers[key] = it->get<double>();
    } else {
      return InvalidArgument("device profile '" + path + "': bad or unknown field '" + key + "'");
    }
  }
  if (d.cpu_gemm_gflops <= 0 || d.cpu_simple_gflops <= 0 || d.cpu_gbytes_per_s <= 0) {
    return InvalidArgument("device profile '" + path + "': CPU throughputs must be positive");
  }
  if (d.accel_gflops > 0 && (d.transfer_gbytes_per_s <= 0 || d.accel_gbytes_per_s <= 0)) {
    return InvalidArgument("device profile '" + path +
                           "': an accelerator needs accel_gbytes_per_s and transfer_gbytes_per_s");
  }
  return d;
}

StatusOr<CapabilityProfile> LoadCapabilityProfile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return NotFound("cannot open accelerator op profile '" + path + "'");
  CapabilityProfile p;
  p.name = path.substr(path.find_last_of('/') + 1);
  if (auto dot = p.name.rfind('.'); dot != std::string::npos) p.name.resize(dot);
  std::string line;
  while (std::getline(f, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream is(line);
    std::string word;
    if (!(is >> word)) continue;
    if (word == "dynamic-shapes") {
      p.static_shapes_only = false;
    } else {
      p.ops.insert(word);
    }
  }
  if (p.ops.empty()) return InvalidArgument("accelerator op profile '" + path + "' lists no ops");
  return p;
}

}  // namespace parallax
