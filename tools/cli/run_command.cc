#include <filesystem>
#include <iostream>

#include "cli_common.h"
#include "core/npy.h"

namespace parallax::cli {

int RunCommand(const std::string& model, const std::vector<std::string>& inputs,
               const std::string& output_dir, const SessionOptions& o, uint32_t seed, bool verbose) {
  auto loaded = OpenWithInputs(model, inputs, o, seed);
  if (!loaded.ok()) return PrintError(loaded.status());
  std::unique_ptr<Session> session = std::move(loaded->session);
  const NamedTensors feeds = std::move(loaded->feeds);
  RunStats rs;
  auto outs = session->Run(feeds, &rs);
  if (!outs.ok()) {
    std::cerr << "error: " << outs.status().message() << "\n";
    return 1;
  }
  if (verbose) PrintPlanAndRun(*session->Plan(feeds), rs);
  std::error_code ec;
  std::filesystem::create_directories(output_dir, ec);
  for (const auto& [name, t] : *outs) {
    std::string safe = name;
    for (char& c : safe) {
      if (c == '/' || c == '\\') c = '_';
    }
    std::string path = (std::filesystem::path(output_dir) / (safe + ".npy")).string();
    Status st = WriteNpyFile(path, t);
    if (!st.ok()) {
      std::cerr << "error: " << st.message() << "\n";
      return 1;
    }
    std::cout << name << " " << DataTypeName(t.dtype()) << ShapeToString(t.shape()) << " -> " << path << "\n";
  }
  return 0;
}

}  // namespace parallax::cli
