#include "analysis/placement.h"

#include <algorithm>
#include <set>

namespace parallax {

double CpuStepMs(const PlacementInput& in, int32_t step, int threads, const DeviceProfile& d) {
  CostParams p;
  p.gemm_gflops = d.cpu_gemm_gflops;
  p.simple_gflops = d.cpu_simple_gflops;
  p.gbytes_per_s = d.cpu_gbytes_per_s;
  p.parallel_efficiency = d.cpu_parallel_efficiency;
  const double ms = in.graph.cost_ms.empty() ? EstimateMs(in.cost[step], p) : in.graph.cost_ms[step];
  const double fixed = std::min(ms, p.step_overhead_ms);
  return fixed + (ms - fixed) / IntraOpSpeedup(in.cost[step], threads, p);
}

PlacementResult Place(const PlacementInput& in, const CapabilityProfile& caps, const DeviceProfile& d) {
  const size_t n = in.op.size();
  PlacementResult r;
  r.on_accel.assign(n, false);
  r.region_of.assign(n, -1);
  if (d.accel_gflops <= 0) return r;
  // deps[s]: the regions step s depends on (transitively), to keep the region graph acyclic.
  std::vector<std::set<int32_t>> deps(n);
  for (size_t s = 0; s < n; ++s) {
    for (int32_t p : in.graph.preds[s]) {
      deps[s].insert(deps[p].begin(), deps[p].end());
      if (r.region_of[p] >= 0) deps[s].insert(r.region_of[p]);
    }
    const bool supported = (caps.all_ops || caps.ops.count(in.op[s]) > 0) &&
                           !(caps.static_shapes_only && in.dynamic[s]) &&
                           (in.provider_ok.empty() || in.provider_ok[s]);
    if (!supported) continue;
    int32_t join = -1;
    for (int32_t p : in.graph.preds[s]) {
      const int32_t cand = r.region_of[p];
      if (cand < 0 || join >= 0) continue;
      bool ok = true;
      for (int32_t q : in.graph.preds[s]) {
        if (r.region_of[q] != cand && deps[q].count(cand)) ok = false;
      }
      if (ok) join = cand;
    }
    if (join < 0) {
      join = static_cast<int32_t>(r.regions.size());
      r.regions.emplace_back();
    }
    r.region_of[s] = join;
    r.regions[join].steps.push_back(static_cast<int32_t>(s));
  }
  // Transfers: bytes produced outside a region and read inside it, and the other way round.
  std::vector<std::set<int32_t>> readers_outside(n);
  for (size_t s = 0; s < n; ++s) {
    for (int32_t p : in.graph.preds[s]) {
      if (r.region_of[p] >= 0 && r.region_of[p] != r.region_of[s]) readers_outside[p].insert(static_cast<int32_t>(s));
    }
  }
  for (size_t k = 0; k < r.regions.size(); ++k) {
    Region& reg = r.regions[k];
    std::set<int32_t> inputs;
    for (int32_t s : reg.steps) {
      reg.flops += in.cost[s].flops;
      reg.cpu_ms += CpuStepMs(in, s, d.cpu_cores, d);
      for (int32_t p : in.graph.preds[s]) {
        if (r.region_of[p] != static_cast<int32_t>(k)) inputs.insert(p);
      }
      if (!readers_outside[s].empty()) reg.out_bytes += in.out_bytes[s];
    }
    for (int32_t p : inputs) reg.in_bytes += in.out_bytes[p];
    double compute_ms = 0;
    for (int32_t s : reg.steps) {
      compute_ms += 1e3 * std::max(in.cost[s].flops / (d.accel_gflops * 1e9), in.cost[s].bytes / (d.accel_gbytes_per_s * 1e9));
    }
    reg.accel_ms = compute_ms + d.dispatch_ms +
                   1e3 * static_cast<double>(reg.in_bytes + reg.out_bytes) / (d.transfer_gbytes_per_s * 1e9);
    if (reg.flops < d.min_region_flops) {
      reg.reason = "too little work (" + std::to_string(static_cast<int64_t>(reg.flops)) + " FLOPs)";
    } else if (reg.cpu_ms < d.beta * reg.accel_ms) {
      reg.reason = "not beta times faster than the CPU";
    } else {
      reg.offloaded = true;
      reg.reason = "offloaded";
    }
    for (int32_t s : reg.steps) {
      r.on_accel[s] = reg.offloaded;
      if (!reg.offloaded) r.region_of[s] = -1;
    }
  }
  return r;
}

}  // namespace parallax
