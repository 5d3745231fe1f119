// Typed exceptions and the check macro every module uses to report bad input.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace metarec {

/// Base of every exception the library throws. The library never prints or exits; programs
/// translate these once at their boundary.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A caller passed a value outside what the function accepts (bad parameter, k <= 0, ...).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// A file's content is malformed. what() reads "path:line: reason".
class FormatError : public Error {
 public:
  FormatError(std::string path, long line, const std::string& reason)
      : Error(line > 0 ? path + ":" + std::to_string(line) + ": " + reason : path + ": " + reason),
        path_(std::move(path)),
        line_(line) {}
  const std::string& path() const { return path_; }
  long line() const { return line_; }

 private:
  std::string path_;
  long line_;
};

/// A file could not be opened, read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

/// A model was used before fit() or load().
class NotFitted : public Error {
 public:
  using Error::Error;
};

/// The user asked to stop (FitContext::cancel).
class Cancelled : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
}  // namespace detail

}  // namespace metarec

/// Throws metarec::InvalidArgument("message") when `cond` is false. The message is the
/// concatenation of the remaining arguments, streamed: METAREC_CHECK(k > 0, "k must be > 0, got ",
/// k).
#define METAREC_CHECK(cond, ...)                                                           \
  do {                                                                                     \
    if (!(cond)) throw ::metarec::InvalidArgument(::metarec::detail::concat(__VA_ARGS__)); \
  } while (0)

/// Throws `Type` with the streamed message.
#define METAREC_THROW(Type, ...) throw Type(::metarec::detail::concat(__VA_ARGS__))
