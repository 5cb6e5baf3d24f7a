// Status and StatusOr: the error type of every fallible Parallax call.
//
//   parallax::StatusOr<parallax::Session> s = parallax::Session::Load("model.onnx");
//   if (!s.ok()) std::cerr << s.status().message();
//
// Messages name the node, the op and what was expected, e.g.
//   "Conv node 'conv_12': input 'x' has rank 3, expected 4".
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace parallax {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // bad input from the caller or the model file
  kNotImplemented,    // an op, dtype or attribute the registry does not support
  kOutOfMemory,       // an allocation or a memory budget failed
  kNotFound,          // a file or a named input/output is missing
  kInternal,          // a broken invariant inside Parallax
  kNeedsValue,        // shape inference needs an input's contents (not an error to users)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Returns a copy with `prefix` prepended to the message (for adding context).
  Status WithPrefix(const std::string& prefix) const {
    return ok() ? *this : Status(code_, prefix + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotImplemented(std::string m) { return {StatusCode::kNotImplemented, std::move(m)}; }
inline Status OutOfMemory(std::string m) { return {StatusCode::kOutOfMemory, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design
  StatusOr(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace parallax

#define PX_CONCAT_INNER(a, b) a##b
#define PX_CONCAT(a, b) PX_CONCAT_INNER(a, b)

#define PX_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::parallax::Status _px_st = (expr);      \
    if (!_px_st.ok()) return _px_st;         \
  } while (0)

#define PX_ASSIGN_OR_RETURN_IMPL(var, lhs, expr) \
  auto var = (expr);                             \
  if (!var.ok()) return var.status();            \
  lhs = std::move(var).value()

#define PX_ASSIGN_OR_RETURN(lhs, expr) \
  PX_ASSIGN_OR_RETURN_IMPL(PX_CONCAT(_px_so_, __LINE__), lhs, expr)
