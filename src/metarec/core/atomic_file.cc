// Whole-file reading, and writing that never leaves a half-written file behind.
#include "metarec/core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <random>
#include <system_error>

#include "metarec/core/error.h"

namespace metarec {
namespace {

std::string errno_text(int err) { return std::system_category().message(err); }

[[noreturn]] void throw_write_error(const std::string& path, int err) {
  METAREC_THROW(IoError, "cannot write ", path, ": ", errno_text(err));
}

// A name no other writer (thread or process) will pick: pid, a process-wide counter and a random
// number, so stale temporaries from a crashed run never collide either.
std::string unique_suffix() {
  static std::atomic<unsigned long> counter{0};
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++) + "." +
         std::to_string(gen() & 0xffffffu);
}

// Owns the temporary file until it has been renamed into place; removes it on every other exit.
class TempFile {
 public:
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd_ = -1;
  std::string path_;  // empty once renamed
};

void write_all(int fd, std::string_view bytes, const std::string& path) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_write_error(path, errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string_view pieces[] = {bytes};
  write_file_atomic(path, pieces);
}

void write_file_atomic(const std::string& path, std::span<const std::string_view> pieces) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") {
    METAREC_THROW(IoError, "cannot write ", path, ": not a file name");
  }
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";

  TempFile tmp;
  for (int attempt = 0; attempt < 100 && tmp.fd_ < 0; ++attempt) {
    std::string candidate = (dir / ("." + name + unique_suffix())).string();
    tmp.fd_ = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (tmp.fd_ >= 0) {
      tmp.path_ = std::move(candidate);
    } else if (errno != EEXIST) {
      throw_write_error(path, errno);
    }
  }
  if (tmp.fd_ < 0) throw_write_error(path, EEXIST);

  // Keep the permissions of the file being replaced, e.g. a model deliberately made private.
  struct stat old_stat;
  if (::stat(path.c_str(), &old_stat) == 0 && S_ISREG(old_stat.st_mode)) {
    if (::fchmod(tmp.fd_, old_stat.st_mode & 07777) != 0) throw_write_error(path, errno);
  }

  for (std::string_view piece : pieces) write_all(tmp.fd_, piece, path);
  if (::fsync(tmp.fd_) != 0) throw_write_error(path, errno);
  const int fd = tmp.fd_;
  tmp.fd_ = -1;
  if (::close(fd) != 0) throw_write_error(path, errno);
  if (::rename(tmp.path_.c_str(), path.c_str()) != 0) throw_write_error(path, errno);
  tmp.path_.clear();

  // Without this the rename itself may be lost on power failure.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) throw_write_error(path, errno);
  const int sync_result = ::fsync(dir_fd);
  const int sync_errno = errno;
  ::close(dir_fd);
  // Some file systems cannot sync directories at all; nothing more can be done there.
  if (sync_result != 0 && sync_errno != EINVAL && sync_errno != ENOTSUP) {
    throw_write_error(path, sync_errno);
  }
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) METAREC_THROW(IoError, "cannot open ", path, ": ", errno_text(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  // Sized one byte past the expected length so end-of-file is seen without growing the buffer;
  // the file may still be larger than fstat said (e.g. files under /proc), hence the doubling.
  struct stat st;
  const size_t expected =
      ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  std::string out(expected + 1 < 65536 ? 65536 : expected + 1, '\0');
  size_t used = 0;
  for (;;) {
    if (used == out.size()) out.resize(2 * out.size());
    ssize_t n = ::read(fd, out.data() + used, out.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      METAREC_THROW(IoError, "cannot read ", path, ": ", errno_text(errno));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  out.resize(used);
  return out;
}

}  // namespace metarec
