// The dynamic model of the zoo: YOLOv8n with post-processing in the graph (TopK, score filter,
// NonMaxSuppression, Gather). The number of detections depends on the image; both modes agree.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/npy.h"
#include "parallax/session.h"

namespace parallax {
namespace {

namespace fs = std::filesystem;

TEST(DynamicModel, DetectionCountFollowsTheImage) {
  const fs::path dir = fs::path(PARALLAX_SOURCE_DIR) / "tests/models/yolov8n_nms_tiny";
  auto images = ReadNpyFile((dir / "inputs/images.npy").string());
  ASSERT_TRUE(images.ok()) << images.status().message();
  Tensor darker = images->Clone().value();
  for (int64_t i = 0; i < darker.numel(); ++i) darker.data<float>()[i] *= 0.25f;
  std::vector<int64_t> counts;
  for (ExecutionMode mode : {ExecutionMode::kSequential, ExecutionMode::kParallel}) {
    SessionOptions o;
    o.threads = 2;
    o.mode = mode;
    o.all_branches_concurrent = true;
    auto s = Session::Load((dir / "model.onnx").string(), o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    for (const Tensor* img : {&*images, &darker}) {
      auto out = (*s)->Run({{"images", *img}});
      ASSERT_TRUE(out.ok()) << out.status().message();
      ASSERT_EQ(out->size(), 3u);
      const int64_t n = (*out)[0].second.shape()[0];
      EXPECT_EQ((*out)[0].second.shape(), (Shape{n, 4}));
      EXPECT_EQ((*out)[1].second.shape(), (Shape{n}));
      EXPECT_EQ((*out)[2].second.dtype(), DataType::kInt64);
      counts.push_back(n);
    }
  }
  ASSERT_EQ(counts.size(), 4u);
  EXPECT_EQ(counts[0], 35);  // ONNX Runtime's count on the committed input (outputs/*.npy)
  EXPECT_NE(counts[0], counts[1]) << "a different image should give a different number of boxes";
  EXPECT_EQ(counts[0], counts[2]);  // parallel mode agrees with sequential
  EXPECT_EQ(counts[1], counts[3]);
}

}  // namespace
}  // namespace parallax
