// Accelerator placement (src/analysis/placement.h), device and capability profiles
// (profiles/), and the heterogeneous simulation (src/runtime/simulator.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "analysis/placement.h"
#include "parallax/device.h"
#include "runtime/simulator.h"

namespace parallax {
namespace {

namespace fs = std::filesystem;
const fs::path kProfiles = fs::path(PARALLAX_SOURCE_DIR) / "profiles";

TEST(DeviceProfile, ShippedProfilesLoad) {
  auto host = LoadDeviceProfile((kProfiles / "devices/host.json").string());
  ASSERT_TRUE(host.ok()) << host.status().message();
  EXPECT_EQ(host->cpu_cores, 2);
  EXPECT_EQ(host->accel_gflops, 0);
  auto phone = LoadDeviceProfile((kProfiles / "devices/snapdragon-8gen1.json").string());
  ASSERT_TRUE(phone.ok()) << phone.status().message();
  EXPECT_EQ(phone->cpu_cores, 4);
  EXPECT_GT(phone->accel_gflops, 0);
  EXPECT_DOUBLE_EQ(phone->beta, 1.5);
  auto gpu = LoadCapabilityProfile((kProfiles / "accelerators/mobile-gpu.txt").string());
  ASSERT_TRUE(gpu.ok()) << gpu.status().message();
  EXPECT_TRUE(gpu->ops.count("Conv"));
  EXPECT_FALSE(gpu->ops.count("NonMaxSuppression"));
  EXPECT_FALSE(gpu->ops.count("TopK"));
  EXPECT_TRUE(gpu->static_shapes_only);
}

TEST(DeviceProfile, BadFilesGiveClearErrors) {
  const fs::path dir = fs::temp_directory_path() / "parallax_profiles_test";
  fs::create_directories(dir);
  std::ofstream(dir / "typo.json") << R"({"cpu_cores": 4, "acel_gflops": 100})";
  std::ofstream(dir / "notjson.json") << "cpu_cores = 4";
  std::ofstream(dir / "noxfer.json") << R"({"accel_gflops": 100, "accel_gbytes_per_s": 10})";
  std::ofstream(dir / "empty.txt") << "# nothing\n";
  auto typo = LoadDeviceProfile((dir / "typo.json").string());
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("acel_gflops"), std::string::npos);
  EXPECT_FALSE(LoadDeviceProfile((dir / "notjson.json").string()).ok());
  EXPECT_FALSE(LoadDeviceProfile((dir / "noxfer.json").string()).ok());
  EXPECT_EQ(LoadDeviceProfile((dir / "missing.json").string()).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(LoadCapabilityProfile((dir / "empty.txt").string()).ok());
  fs::remove_all(dir);
}

DeviceProfile Phone() {
  DeviceProfile d;
  d.cpu_cores = 4;
  d.cpu_gemm_gflops = 25;
  d.accel_gflops = 500;
  d.accel_gbytes_per_s = 40;
  d.transfer_gbytes_per_s = 10;
  d.dispatch_ms = 0.3;
  return d;
}

CapabilityProfile ConvOnly() {
  CapabilityProfile c;
  c.ops = {"Conv"};
  return c;
}

// A step graph with a cost per step: "Conv" steps of `flops` each, others tiny.
PlacementInput Make(std::vector<std::vector<int32_t>> preds, std::vector<std::string> ops, double flops) {
  PlacementInput in;
  in.graph.preds = std::move(preds);
  in.op = std::move(ops);
  for (const std::string& op : in.op) {
    const bool conv = op == "Conv";
    in.cost.push_back(NodeCost{conv ? flops : 1e3, 4e5, conv, conv ? (1 << 20) : 100});
    in.dynamic.push_back(false);
    in.out_bytes.push_back(1 << 16);
  }
  return in;
}

TEST(Placement, RegionsStayAcyclic) {
  // 0 Conv -> 1 TopK -> 2 Conv; 0 -> 2 as well. Step 2 may not join step 0's region: it would
  // wait for the CPU step 1, which waits for that region.
  PlacementInput in = Make({{}, {0}, {0, 1}, {2}}, {"Conv", "TopK", "Conv", "Conv"}, 5e9);
  PlacementResult r = Place(in, ConvOnly(), Phone());
  ASSERT_EQ(r.regions.size(), 2u);
  EXPECT_EQ(r.regions[0].steps, (std::vector<int32_t>{0}));
  EXPECT_EQ(r.regions[1].steps, (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(r.on_accel, (std::vector<bool>{true, false, true, true}));
}

TEST(Placement, SmallOrSlowRegionsArePruned) {
  PlacementInput in = Make({{}, {0}, {1}}, {"Conv", "TopK", "Conv"}, 1e8);  // below 1 GFLOP
  PlacementResult r = Place(in, ConvOnly(), Phone());
  ASSERT_EQ(r.regions.size(), 2u);
  for (const Region& reg : r.regions) {
    EXPECT_FALSE(reg.offloaded);
    EXPECT_NE(reg.reason.find("too little work"), std::string::npos);
  }
  EXPECT_EQ(r.region_of, (std::vector<int32_t>{-1, -1, -1}));
  // Enough FLOPs but an accelerator barely faster than the CPU: not beta times faster.
  DeviceProfile slow = Phone();
  slow.accel_gflops = 30;
  PlacementResult s = Place(Make({{}}, {"Conv"}, 5e9), ConvOnly(), slow);
  ASSERT_EQ(s.regions.size(), 1u);
  EXPECT_FALSE(s.regions[0].offloaded);
  EXPECT_NE(s.regions[0].reason.find("beta"), std::string::npos);
  // No accelerator at all: nothing is placed.
  DeviceProfile none = Phone();
  none.accel_gflops = 0;
  EXPECT_TRUE(Place(Make({{}}, {"Conv"}, 5e9), ConvOnly(), none).regions.empty());
}

TEST(Placement, DynamicStepsFallBackUnlessTheProfileAllowsThem) {
  PlacementInput in = Make({{}}, {"Conv"}, 5e9);
  in.dynamic[0] = true;
  EXPECT_TRUE(Place(in, ConvOnly(), Phone()).regions.empty());
  CapabilityProfile dyn = ConvOnly();
  dyn.static_shapes_only = false;
  EXPECT_EQ(Place(in, dyn, Phone()).regions.size(), 1u);
}

TEST(HeterogeneousSimulation, ParallelFallbacksBeatSequentialFallbacks) {
  // 0 Conv -> {1 Conv -> 2 Conv (accelerator), 3..6 four independent CPU fallbacks} -> 7 join.
  PlacementInput in = Make({{}, {0}, {1}, {0}, {0}, {0}, {0}, {2, 3, 4, 5, 6}},
                           {"Conv", "Conv", "Conv", "TopK", "TopK", "TopK", "TopK", "Concat"}, 5e9);
  for (int s = 3; s <= 6; ++s) in.cost[s] = NodeCost{1e7, 1e6, false, 100};  // unsplittable CPU work
  PlacementResult r = Place(in, ConvOnly(), Phone());
  HeteroReport rep;
  SimulateHeterogeneous(in, r, Phone(), &rep);
  EXPECT_EQ(rep.fallback_steps, 5);  // four TopKs and the Concat
  EXPECT_LT(rep.accel_sequential_ms, rep.all_cpu_ms);
  EXPECT_LT(rep.accel_parallel_ms, rep.accel_sequential_ms);
  // Four unsplittable fallbacks on four cores cannot take less than one of them.
  double fallback_one_core = 0;
  for (int s = 3; s <= 6; ++s) fallback_one_core += CpuStepMs(in, s, 1, Phone());
  EXPECT_GE(rep.accel_parallel_ms + 1e-9, fallback_one_core / 4);
}

}  // namespace
}  // namespace parallax
