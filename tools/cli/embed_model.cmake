# Turns a binary file into a C++ source defining parallax::cli::EmbeddedModel().
# Usage: cmake -DINPUT=model.onnx -DOUTPUT=embedded_model.cc -DNAME=yolov8n_tiny -P embed_model.cmake
if(EXISTS "${INPUT}")
  file(READ "${INPUT}" HEX HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" ESCAPED "${HEX}")
  string(LENGTH "${HEX}" HEXLEN)
  math(EXPR LEN "${HEXLEN} / 2")
else()
  set(ESCAPED "")
  set(LEN 0)
endif()
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${NAME} by tools/cli/embed_model.cmake; do not edit.
#include <string>
namespace parallax::cli {
static const char kData[] = \"${ESCAPED}\";
const std::string& EmbeddedModel() {
  static const std::string bytes(kData, ${LEN});
  return bytes;
}
const char* EmbeddedModelName() { return \"${NAME} (embedded)\"; }
}  // namespace parallax::cli
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
