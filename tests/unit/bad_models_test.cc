// The hostile-input corpus: every tests/bad_models/*.onnx (made by make_bad_models.py) must be
// refused with the error expected.txt names -- by Session::Load, or, for cases only detectable
// once shapes are known, by Run -- and never crash.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "parallax/session.h"

namespace parallax {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(PARALLAX_SOURCE_DIR) / "tests/bad_models";

struct BadModel {
  std::string file;
  std::string phase;  // "load" or "run"
  std::string expect;
};

// gtest prints parameters in test listings; the file name says it all.
void PrintTo(const BadModel& c, std::ostream* os) { *os << c.file; }

std::vector<BadModel> ReadExpected() {
  std::vector<BadModel> cases;
  std::ifstream f(kDir / "expected.txt");
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    BadModel c;
    std::getline(in, c.file, '\t');
    std::getline(in, c.phase, '\t');
    std::getline(in, c.expect);
    cases.push_back(c);
  }
  return cases;
}

// Zeros of each input's declared dtype and shape, symbolic dims = 1.
StatusOr<NamedTensors> ZeroInputs(const Session& s) {
  NamedTensors feeds;
  for (const IoInfo& io : s.inputs()) {
    Shape shape = io.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    PX_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(io.dtype == DataType::kUndefined ? DataType::kFloat32 : io.dtype, shape));
    feeds.emplace_back(io.name, std::move(t));
  }
  return feeds;
}

class BadModels : public ::testing::TestWithParam<BadModel> {};

TEST_P(BadModels, FailWithTheExpectedMessage) {
  const BadModel& c = GetParam();
  SessionOptions opts;
  opts.threads = 1;
  auto s = Session::Load((kDir / c.file).string(), opts);
  std::string message;
  if (c.phase == "load") {
    ASSERT_FALSE(s.ok()) << c.file << " loaded, expected: " << c.expect;
    message = s.status().message();
  } else {
    ASSERT_EQ(c.phase, "run");
    ASSERT_TRUE(s.ok()) << c.file << ": " << s.status().message();
    auto feeds = ZeroInputs(**s);
    ASSERT_TRUE(feeds.ok()) << feeds.status().message();
    auto r = (*s)->Run(*feeds);
    ASSERT_FALSE(r.ok()) << c.file << " ran, expected: " << c.expect;
    message = r.status().message();
  }
  EXPECT_NE(message.find(c.expect), std::string::npos)
      << c.file << ": got \"" << message << "\", expected it to contain \"" << c.expect << "\"";
}

std::string CaseName(const ::testing::TestParamInfo<BadModel>& info) {
  std::string name = fs::path(info.param.file).stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadModels, ::testing::ValuesIn(ReadExpected()), CaseName);

TEST(BadModelsCorpus, EveryFileHasAnExpectation) {
  std::set<std::string> listed, present;
  for (const BadModel& c : ReadExpected()) listed.insert(c.file);
  for (const auto& e : fs::directory_iterator(kDir)) {
    if (e.path().extension() == ".onnx") present.insert(e.path().filename().string());
  }
  EXPECT_EQ(listed, present);
  EXPECT_GE(listed.size(), 40u);
}

// The same bytes through LoadFromBytes (no model folder): external data is refused outright.
TEST(BadModelsCorpus, LoadFromBytesNeverCrashes) {
  for (const BadModel& c : ReadExpected()) {
    std::ifstream f(kDir / c.file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    SessionOptions opts;
    opts.threads = 1;
    auto s = Session::LoadFromBytes(bytes.data(), bytes.size(), opts);
    if (c.phase == "load") {
      EXPECT_FALSE(s.ok()) << c.file;
    }
  }
}

}  // namespace
}  // namespace parallax
