// Conformance runner over the official ONNX backend node tests.
//
//   conformance --root ../shared/onnx-node-tests [--known-failures FILE] [--filter SUBSTR] [-v]
//
// Each test runs in a forked child (a crash or a 60 s hang is reported, not fatal). A test is
//   passed       outputs match (rtol 1e-3, atol 1e-7; integers and bools exactly)
//   unsupported  the model needs an op, dtype or value kind (sequence, optional, string) that
//                Parallax reports as NotImplemented — a clean refusal
//   failed       a wrong answer, any other error, a crash or a timeout.
// Exit status: 0 when every failure is listed in the known-failures file, 1 otherwise,
// 77 (skip) when the root folder is absent.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "kernels/kernel_util.h"
#include "onnx/loader.h"
#include "parallax/session.h"

namespace fs = std::filesystem;
using namespace parallax;

namespace {

enum Outcome { kPass = 0, kFail = 10, kUnsupported = 12 };

std::string Compare(const Tensor& got, const Tensor& want, size_t index) {
  const std::string what = "output " + std::to_string(index) + ": ";
  if (got.dtype() != want.dtype()) {
    return what + "dtype " + DataTypeName(got.dtype()) + ", expected " + DataTypeName(want.dtype());
  }
  if (got.shape() != want.shape()) {
    return what + "shape " + ShapeToString(got.shape()) + ", expected " + ShapeToString(want.shape());
  }
  if (IsFloat(got.dtype())) {
    auto a = ReadDoubles(got).value(), b = ReadDoubles(want).value();
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::isnan(a[i]) && std::isnan(b[i])) continue;
      if (std::isinf(b[i]) && a[i] == b[i]) continue;
      if (!(std::fabs(a[i] - b[i]) <= 1e-7 + 1e-3 * std::fabs(b[i]))) {
        return what + "element " + std::to_string(i) + " is " + std::to_string(a[i]) +
               ", expected " + std::to_string(b[i]);
      }
    }
    return "";
  }
  if (got.nbytes() != want.nbytes() || std::memcmp(got.raw(), want.raw(), got.nbytes()) != 0) {
    return what + "integer/bool values differ";
  }
  return "";
}

bool IsUnsupported(const Status& st) { return st.code() == StatusCode::kNotImplemented; }

// Runs one test folder; returns an Outcome and a message.
int RunOne(const fs::path& dir, std::string* msg) {
  auto model = LoadModelFile((dir / "model.onnx").string());
  if (!model.ok()) {
    *msg = model.status().message();
    return IsUnsupported(model.status()) ? kUnsupported : kFail;
  }
  const Graph& g = *model->graph;
  for (ValueId v : g.inputs) {
    if (g.values[v].dtype == DataType::kUndefined || g.values[v].dtype == DataType::kString) {
      *msg = "input '" + g.values[v].name + "' is not a numeric tensor";
      return kUnsupported;
    }
  }
  for (ValueId v : g.outputs) {
    if (g.values[v].dtype == DataType::kUndefined || g.values[v].dtype == DataType::kString) {
      *msg = "output '" + g.values[v].name + "' is not a numeric tensor";
      return kUnsupported;
    }
  }
  SessionOptions opts;
  opts.threads = 1;
  auto session = Session::Load((dir / "model.onnx").string(), opts);
  if (!session.ok()) {
    *msg = session.status().message();
    return IsUnsupported(session.status()) ? kUnsupported : kFail;
  }
  const fs::path data = dir / "test_data_set_0";
  NamedTensors feeds;
  for (size_t i = 0; i < (*session)->inputs().size(); ++i) {
    auto bytes = ReadFile((data / ("input_" + std::to_string(i) + ".pb")).string());
    if (!bytes.ok()) {
      *msg = bytes.status().message();
      return kFail;
    }
    auto t = LoadTensorProto(bytes->data(), bytes->size());
    if (!t.ok()) {
      *msg = "input " + std::to_string(i) + ": " + t.status().message();
      return IsUnsupported(t.status()) ? kUnsupported : kFail;
    }
    feeds.emplace_back((*session)->inputs()[i].name, std::move(t).value());
  }
  auto outs = (*session)->Run(feeds);
  if (!outs.ok()) {
    *msg = outs.status().message();
    return IsUnsupported(outs.status()) ? kUnsupported : kFail;
  }
  for (size_t i = 0; i < outs->size(); ++i) {
    auto bytes = ReadFile((data / ("output_" + std::to_string(i) + ".pb")).string());
    if (!bytes.ok()) continue;  // a test may omit an optional output
    auto want = LoadTensorProto(bytes->data(), bytes->size());
    if (!want.ok()) {
      *msg = "expected output " + std::to_string(i) + ": " + want.status().message();
      return IsUnsupported(want.status()) ? kUnsupported : kFail;
    }
    std::string diff = Compare((*outs)[i].second, *want, i);
    if (!diff.empty()) {
      *msg = diff;
      return kFail;
    }
  }
  return kPass;
}

// Forks so that a crash or hang in one test cannot take down the run.
int RunIsolated(const fs::path& dir, std::string* msg) {
  int fds[2];
  if (pipe(fds) != 0) return RunOne(dir, msg);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(60);
    std::string m;
    int code = RunOne(dir, &m);
    m = m.substr(0, 400);
    (void)!write(fds[1], m.data(), m.size());
    close(fds[1]);
    _exit(code);
  }
  close(fds[1]);
  char buf[512];
  ssize_t n;
  msg->clear();
  while ((n = read(fds[0], buf, sizeof buf)) > 0) msg->append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    *msg = std::string("crashed with signal ") + strsignal(WTERMSIG(status));
    return kFail;
  }
  return WEXITSTATUS(status);
}

}  // namespace

int main(int argc, char** argv) {
  std::string root, known_file, filter;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--root" && i + 1 < argc) root = argv[++i];
    else if (a == "--known-failures" && i + 1 < argc) known_file = argv[++i];
    else if (a == "--filter" && i + 1 < argc) filter = argv[++i];
    else if (a == "-v") verbose = true;
    else {
      std::cerr << "usage: conformance --root DIR [--known-failures FILE] [--filter S] [-v]\n";
      return 2;
    }
  }
  if (root.empty() || !fs::is_directory(root)) {
    std::cout << "SKIPPED: ONNX node tests not found at '" << root << "'\n";
    return 77;
  }
  std::set<std::string> known;
  if (!known_file.empty()) {
    std::ifstream f(known_file);
    std::string line;
    while (std::getline(f, line)) {
      line = line.substr(0, line.find('#'));
      line.erase(std::remove_if(line.begin(), line.end(), ::isspace), line.end());
      if (!line.empty()) known.insert(line);
    }
  }
  std::vector<fs::path> tests;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_", 0) == 0 &&
        e.path().filename().string().find(filter) != std::string::npos) {
      tests.push_back(e.path());
    }
  }
  std::sort(tests.begin(), tests.end());
  int passed = 0, failed = 0, unsupported = 0, known_failed = 0, fixed = 0;
  for (const fs::path& dir : tests) {
    const std::string name = dir.filename().string();
    std::string msg;
    int code = RunIsolated(dir, &msg);
    const bool is_known = known.count(name) > 0;
    if (code == kPass) {
      ++passed;
      if (is_known) {
        ++fixed;
        std::cout << "FIXED   " << name << " (remove it from the known failures)\n";
      }
    } else if (code == kUnsupported) {
      ++unsupported;
      if (verbose) std::cout << "UNSUPP  " << name << ": " << msg << "\n";
    } else if (is_known) {
      ++known_failed;
      if (verbose) std::cout << "KNOWN   " << name << ": " << msg << "\n";
    } else {
      ++failed;
      std::cout << "FAIL    " << name << ": " << msg << "\n";
    }
  }
  std::cout << "conformance: " << tests.size() << " tests, " << passed << " passed, "
            << failed + known_failed << " failed (" << known_failed << " known), " << unsupported
            << " unsupported\n";
  return failed == 0 ? 0 : 1;
}
