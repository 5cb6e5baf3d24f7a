// Loading ONNX protobuf files into the Graph IR.
//
//   auto graph = LoadModelFile("yolov8n.onnx");   // StatusOr<Model>
//
// Everything read from the file is validated before use: tensor sizes against the bytes
// present, dims non-negative, external data inside the model's folder, subgraph depth.
#pragma once

#include <memory>
#include <string>

#include "ir/graph.h"
#include "parallax/status.h"
#include "parallax/tensor.h"

namespace parallax {

struct Model {
  std::shared_ptr<Graph> graph;
  int64_t ir_version = 0;
  std::string producer;
};

// Parses a model from bytes. `base_dir` resolves external data; "" forbids external data.
StatusOr<Model> LoadModel(const void* data, size_t size, const std::string& base_dir);
// Reads and parses a model file; external data resolves relative to its folder.
StatusOr<Model> LoadModelFile(const std::string& path);
// Parses one serialized onnx.TensorProto (the .pb files of the ONNX node tests).
StatusOr<Tensor> LoadTensorProto(const void* data, size_t size);
// Reads a whole file (with a size cap) or fails with NotFound.
StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace parallax
