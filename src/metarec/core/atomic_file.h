// Whole-file reading, and writing that never leaves a half-written file behind.
#pragma once

#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

namespace metarec {

/// Replaces the file at `path` with `bytes` so that readers see either the old content or the new
/// content, never a mixture, even if the process or machine dies mid-way: the bytes go to a hidden
/// temporary file in the same directory, which is fsynced, renamed over `path`, and then the
/// directory is fsynced. An existing file's permission bits are kept; a new file gets 0666 minus
/// the umask. On failure the temporary file is removed and IoError("cannot write PATH: reason") is
/// thrown. Thread-safe for distinct paths; concurrent writers of one path leave one complete
/// version (the last to rename wins).
void write_file_atomic(const std::string& path, std::string_view bytes);

/// As above, writing the concatenation of `pieces` without first joining them in memory.
void write_file_atomic(const std::string& path, std::span<const std::string_view> pieces);

/// The whole content of the file at `path`. Throws IoError("cannot open PATH: reason") or
/// IoError("cannot read PATH: reason"). Thread-safe.
std::string read_file(const std::string& path);

/// A text sink that becomes the file at `path` only when commit() is called, so a report that
/// fails half-way leaves the previous file untouched. Content is buffered in memory.
///
///   AtomicFileWriter out("results.csv");
///   out.stream() << "user,item\n" << 1 << ',' << 2 << '\n';
///   out.commit();
///
/// Not thread-safe.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path) : path_(std::move(path)) {}

  /// The buffer to write into; valid for the lifetime of this object.
  std::ostream& stream() { return out_; }

  /// Writes everything streamed so far to the path with write_file_atomic. Throws IoError.
  void commit() const { write_file_atomic(path_, out_.view()); }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ostringstream out_;
};

}  // namespace metarec
