// The model file format: safetensors layout with metarec's metadata, checksum and version.
//
// Layout (readable by any safetensors or numpy reader):
//   u64 little-endian N | N bytes of JSON header, space-padded so the data starts 8-byte aligned |
//   raw little-endian tensor data, tensors contiguous in the order they were added.
// Header: {"__metadata__": {string: string}, "<tensor>": {"dtype": "F32"|"F64"|"I32"|"I64"|"U8",
//   "shape": [...], "data_offsets": [begin, end]}, ...}, offsets relative to the data section.
// metarec's metadata: "format": "metarec-model", "format_version": "1", "checksum": FNV-1a 64 of
// the whole data section as 16 lowercase hex digits, plus whatever the caller sets ("algorithm",
// "params" as a JSON string, "metarec_version", ...).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace metarec {

/// The value of "format" in every metarec model file's metadata.
inline constexpr const char* kModelFormat = "metarec-model";
/// The newest format_version this build writes and reads.
inline constexpr int kModelFormatVersion = 1;

namespace detail {
enum class DType : uint8_t { kF32, kF64, kI32, kI64, kU8 };
}  // namespace detail

/// Collects metadata and tensors, then writes them as one model file.
///
///   ModelWriter w;
///   w.set_meta("algorithm", "ials");
///   w.add("user_factors", std::span<const float>(u), {num_users, factors});
///   w.add_strings("item_ids", ids);
///   w.write("model.safetensors");
///
/// add() copies the data, so the caller's buffers may be freed afterwards; add_view() only records
/// where the data is (no copy: a model's large arrays go from its memory straight to the file), so
/// the buffer must stay alive and unchanged until the last write()/serialize(). Tensor names must
/// be non-empty, unique and not "__metadata__"; the keys "format", "format_version" and "checksum"
/// are set by write(). Violations throw InvalidArgument. Not thread-safe.
class ModelWriter {
 public:
  ModelWriter() = default;
  ModelWriter(ModelWriter&&) = default;
  ModelWriter& operator=(ModelWriter&&) = default;
  ModelWriter(const ModelWriter&) = delete;  // tensors point into owned_: no copies
  ModelWriter& operator=(const ModelWriter&) = delete;

  /// Sets (or replaces) a metadata entry. Values are strings, as safetensors requires.
  void set_meta(const std::string& key, const std::string& value);

  /// Adds a tensor of `shape` (row-major, every dimension >= 0, product == data.size()).
  void add(const std::string& name, std::span<const float> data, std::vector<int64_t> shape);
  void add(const std::string& name, std::span<const double> data, std::vector<int64_t> shape);
  void add(const std::string& name, std::span<const int32_t> data, std::vector<int64_t> shape);
  void add(const std::string& name, std::span<const int64_t> data, std::vector<int64_t> shape);

  /// As add(), without copying: `data` must outlive every later write() and serialize().
  void add_view(const std::string& name, std::span<const float> data, std::vector<int64_t> shape);
  void add_view(const std::string& name, std::span<const int32_t> data, std::vector<int64_t> shape);
  void add_view(const std::string& name, std::span<const int64_t> data, std::vector<int64_t> shape);

  /// Adds a list of strings as two tensors: "<name>.bytes" (U8, all strings concatenated) and
  /// "<name>.offsets" (I64, n + 1 entries; string i is bytes[offsets[i], offsets[i + 1])).
  void add_strings(const std::string& name, const std::vector<std::string>& strings);

  /// Writes the file with write_file_atomic. Throws IoError. May be called more than once.
  void write(const std::string& path) const;

  /// The complete file content that write() would store.
  std::string serialize() const;

 private:
  struct Tensor {
    std::string name;
    detail::DType dtype;
    std::vector<int64_t> shape;
    uint64_t begin;  // offsets into the data section
    uint64_t end;
    std::string_view bytes;  // little-endian: into owned_ or the caller's buffer (add_view)
  };
  void add_raw(const std::string& name, detail::DType dtype, const void* data, size_t count,
               std::vector<int64_t> shape, bool borrow);
  std::string header() const;

  std::map<std::string, std::string> meta_;
  std::vector<Tensor> tensors_;
  std::deque<std::string> owned_;  // copies made by add(); a deque keeps their addresses
  uint64_t data_size_ = 0;
};

/// Reads and fully validates a model file, then hands out copies of its tensors.
///
/// The constructor reads the whole file and checks the header length, the JSON header, the
/// "format" and "format_version" metadata, every tensor's dtype, shape and offsets (in range, not
/// overlapping, covering the data section without gaps, size == shape product * dtype size) and
/// the checksum; any problem throws FormatError(path, 0, reason). A file that cannot be opened
/// throws IoError. All const methods are safe to call concurrently.
class ModelReader {
 public:
  explicit ModelReader(const std::string& path);
  /// Reads a model file held in memory (e.g. made by ModelWriter::serialize() and stored inside
  /// another model file), with the same validation; `name` stands for the path in messages.
  static ModelReader from_bytes(std::string bytes, const std::string& name);

  /// The metadata value for `key`; FormatError if the file has no such entry.
  const std::string& meta(const std::string& key) const;
  bool has_meta(const std::string& key) const;
  const std::map<std::string, std::string>& all_meta() const { return meta_; }

  bool has(const std::string& tensor) const;
  /// Tensor names in file (data offset) order.
  std::vector<std::string> tensor_names() const;
  /// The tensor's shape; FormatError if there is no such tensor.
  std::vector<int64_t> shape(const std::string& tensor) const;
  /// The tensor's safetensors dtype name ("F32", ...); FormatError if there is no such tensor.
  std::string dtype(const std::string& tensor) const;

  /// A copy of the tensor's elements in row-major order. FormatError naming the tensor when it is
  /// missing, has another dtype, or its shape differs from `expected_shape`. An empty
  /// `expected_shape` accepts any shape; a -1 entry accepts any size in that dimension.
  std::vector<float> f32(const std::string& name, std::vector<int64_t> expected_shape = {}) const;
  std::vector<double> f64(const std::string& name, std::vector<int64_t> expected_shape = {}) const;
  std::vector<int32_t> i32(const std::string& name, std::vector<int64_t> expected_shape = {}) const;
  std::vector<int64_t> i64(const std::string& name, std::vector<int64_t> expected_shape = {}) const;

  /// The list stored by ModelWriter::add_strings(name, ...). FormatError if the two tensors are
  /// missing or inconsistent.
  std::vector<std::string> strings(const std::string& name) const;

  const std::string& path() const { return path_; }

 private:
  struct Tensor {
    detail::DType dtype;
    std::vector<int64_t> shape;
    uint64_t begin;  // offsets into the data section
    uint64_t end;
  };
  ModelReader(std::string name, std::string bytes);
  void parse();
  [[noreturn]] void fail(const std::string& reason) const;
  const Tensor& tensor(const std::string& name) const;
  const Tensor& checked(const std::string& name, detail::DType dtype,
                        const std::vector<int64_t>& expected_shape) const;
  template <typename T>
  std::vector<T> read_as(const std::string& name, detail::DType dtype,
                         const std::vector<int64_t>& expected_shape) const;

  std::string path_;
  std::string bytes_;      // the whole file
  size_t data_start_ = 0;  // offset of the data section in bytes_
  std::map<std::string, std::string> meta_;
  std::map<std::string, Tensor> tensors_;
};

}  // namespace metarec
