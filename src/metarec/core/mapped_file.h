// Read-only memory mapping of a whole file, for the loaders' fast paths.
#pragma once

#include <string>
#include <string_view>

namespace metarec {

/// Maps `path` read-only. Throws IoError naming the path when it cannot be opened or mapped.
/// An empty file maps to an empty view. Movable, not copyable.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view view() const { return {data_, size_}; }
  /// Tells the kernel the bytes in [begin, end) will not be read again, so their pages leave
  /// this process's resident set (they stay in the page cache). Whole pages only.
  void release(size_t begin, size_t end) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

/// Converts ISO-8859-1 text to UTF-8.
std::string latin1_to_utf8(std::string_view s);
/// True when `s` is valid UTF-8.
bool is_valid_utf8(std::string_view s);

}  // namespace metarec
