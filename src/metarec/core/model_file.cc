// The model file format: safetensors layout with metarec's metadata, checksum and version.
#include "metarec/core/model_file.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "metarec/core/atomic_file.h"
#include "metarec/core/error.h"

namespace metarec {
namespace {

using detail::DType;

constexpr const char* kMetadataKey = "__metadata__";
constexpr size_t kLengthBytes = 8;

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::kF32, "F32", 4}, {DType::kF64, "F64", 8}, {DType::kI32, "I32", 4},
    {DType::kI64, "I64", 8}, {DType::kU8, "U8", 1},
};

const DTypeInfo& info(DType dtype) {
  for (const DTypeInfo& d : kDTypes) {
    if (d.dtype == dtype) return d;
  }
  throw std::logic_error("unknown DType");
}

const DTypeInfo* find_dtype(std::string_view name) {
  for (const DTypeInfo& d : kDTypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;

// FNV-1a 64 of `bytes`, continuing from `h` (so a checksum can run over several pieces).
uint64_t fnv1a64(std::string_view bytes, uint64_t h = kFnvOffset) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string hex16(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = kDigits[v & 0xf];
  return s;
}

// Appends `count` elements of `elem_size` bytes as little-endian.
void append_le(std::string& out, const void* data, size_t count, size_t elem_size) {
  const char* src = static_cast<const char*>(data);
  if constexpr (std::endian::native == std::endian::little) {
    out.append(src, count * elem_size);
  } else {
    for (size_t i = 0; i < count; ++i) {
      for (size_t b = elem_size; b-- > 0;) out.push_back(src[i * elem_size + b]);
    }
  }
}

// Copies `count` little-endian elements of `elem_size` bytes into native order.
void copy_le(void* dst, const char* src, size_t count, size_t elem_size) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(dst, src, count * elem_size);
  } else {
    char* d = static_cast<char*>(dst);
    for (size_t i = 0; i < count; ++i) {
      for (size_t b = 0; b < elem_size; ++b)
        d[i * elem_size + b] = src[i * elem_size + elem_size - 1 - b];
    }
  }
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += shape[i] < 0 ? "*" : std::to_string(shape[i]);
  }
  return s + "]";
}

// nlohmann::json refuses to serialize invalid UTF-8; finding out at set_meta()/add() time names
// the culprit instead of failing later in write().
void check_utf8(const std::string& s, const char* what) {
  try {
    (void)nlohmann::json(s).dump();
  } catch (const nlohmann::json::exception&) {
    METAREC_THROW(InvalidArgument, what, " is not valid UTF-8");
  }
}

bool is_reserved_meta(const std::string& key) {
  return key == "format" || key == "format_version" || key == "checksum";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ModelWriter

void ModelWriter::set_meta(const std::string& key, const std::string& value) {
  METAREC_CHECK(!is_reserved_meta(key), "model metadata key \"", key,
                "\" is set by ModelWriter::write and cannot be set by the caller");
  check_utf8(key, "model metadata key");
  check_utf8(value, "model metadata value");
  meta_[key] = value;
}

void ModelWriter::add(const std::string& name, std::span<const float> data,
                      std::vector<int64_t> shape) {
  add_raw(name, DType::kF32, data.data(), data.size(), std::move(shape), false);
}
void ModelWriter::add(const std::string& name, std::span<const double> data,
                      std::vector<int64_t> shape) {
  add_raw(name, DType::kF64, data.data(), data.size(), std::move(shape), false);
}
void ModelWriter::add(const std::string& name, std::span<const int32_t> data,
                      std::vector<int64_t> shape) {
  add_raw(name, DType::kI32, data.data(), data.size(), std::move(shape), false);
}
void ModelWriter::add(const std::string& name, std::span<const int64_t> data,
                      std::vector<int64_t> shape) {
  add_raw(name, DType::kI64, data.data(), data.size(), std::move(shape), false);
}

void ModelWriter::add_view(const std::string& name, std::span<const float> data,
                           std::vector<int64_t> shape) {
  add_raw(name, DType::kF32, data.data(), data.size(), std::move(shape), true);
}
void ModelWriter::add_view(const std::string& name, std::span<const int32_t> data,
                           std::vector<int64_t> shape) {
  add_raw(name, DType::kI32, data.data(), data.size(), std::move(shape), true);
}
void ModelWriter::add_view(const std::string& name, std::span<const int64_t> data,
                           std::vector<int64_t> shape) {
  add_raw(name, DType::kI64, data.data(), data.size(), std::move(shape), true);
}

void ModelWriter::add_strings(const std::string& name, const std::vector<std::string>& strings) {
  const std::string bytes_name = name + ".bytes";
  const std::string offsets_name = name + ".offsets";
  // Check both names before adding either, so a failure leaves the writer unchanged.
  for (const std::string& n : {bytes_name, offsets_name}) {
    for (const Tensor& t : tensors_) {
      METAREC_CHECK(t.name != n, "model tensor \"", n, "\" was already added");
    }
  }
  std::string bytes;
  std::vector<int64_t> offsets;
  offsets.reserve(strings.size() + 1);
  offsets.push_back(0);
  for (const std::string& s : strings) {
    bytes += s;
    offsets.push_back(static_cast<int64_t>(bytes.size()));
  }
  add_raw(bytes_name, DType::kU8, bytes.data(), bytes.size(), {static_cast<int64_t>(bytes.size())},
          false);
  add(offsets_name, std::span<const int64_t>(offsets), {static_cast<int64_t>(offsets.size())});
}

void ModelWriter::add_raw(const std::string& name, DType dtype, const void* data, size_t count,
                          std::vector<int64_t> shape, bool borrow) {
  METAREC_CHECK(!name.empty(), "model tensor name must not be empty");
  METAREC_CHECK(name != kMetadataKey, "model tensor name must not be \"", kMetadataKey, "\"");
  check_utf8(name, "model tensor name");
  for (const Tensor& t : tensors_) {
    METAREC_CHECK(t.name != name, "model tensor \"", name, "\" was already added");
  }
  uint64_t numel = 1;
  for (int64_t d : shape) {
    METAREC_CHECK(d >= 0, "model tensor \"", name, "\": shape ", shape_text(shape),
                  " has a negative dimension");
    // Saturate instead of overflowing; any saturated product is != count.
    const auto ud = static_cast<uint64_t>(d);
    numel = ud != 0 && numel > std::numeric_limits<uint64_t>::max() / ud
                ? std::numeric_limits<uint64_t>::max()
                : numel * ud;
  }
  METAREC_CHECK(numel == count, "model tensor \"", name, "\": shape ", shape_text(shape), " holds ",
                numel, " elements but ", count, " were given");
  const size_t elem_size = info(dtype).size;
  std::string_view bytes;
  if (borrow && (std::endian::native == std::endian::little || elem_size == 1)) {
    bytes = std::string_view(static_cast<const char*>(data), count * elem_size);
  } else {
    std::string& copy = owned_.emplace_back();
    copy.reserve(count * elem_size);
    append_le(copy, data, count, elem_size);
    bytes = copy;
  }
  const uint64_t begin = data_size_;
  data_size_ += bytes.size();
  tensors_.push_back(Tensor{name, dtype, std::move(shape), begin, data_size_, bytes});
}

std::string ModelWriter::header() const {
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  meta["format"] = kModelFormat;
  meta["format_version"] = std::to_string(kModelFormatVersion);
  uint64_t checksum = kFnvOffset;
  for (const Tensor& t : tensors_) checksum = fnv1a64(t.bytes, checksum);
  meta["checksum"] = hex16(checksum);
  for (const auto& [key, value] : meta_) meta[key] = value;

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  header[kMetadataKey] = std::move(meta);
  for (const Tensor& t : tensors_) {
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["dtype"] = info(t.dtype).name;
    entry["shape"] = t.shape;
    entry["data_offsets"] = nlohmann::ordered_json::array({t.begin, t.end});
    header[t.name] = std::move(entry);
  }
  std::string text = header.dump();
  // Pad with spaces (valid JSON whitespace) so the data section starts 8-byte aligned, letting
  // readers that map the file view the tensors in place.
  const size_t padded = (kLengthBytes + text.size() + 7) / 8 * 8 - kLengthBytes;
  text.append(padded - text.size(), ' ');
  return text;
}

void ModelWriter::write(const std::string& path) const {
  const std::string head = header();
  std::string length;
  const uint64_t n = head.size();
  append_le(length, &n, 1, sizeof(n));
  std::vector<std::string_view> pieces = {length, head};
  for (const Tensor& t : tensors_) pieces.push_back(t.bytes);
  write_file_atomic(path, pieces);
}

std::string ModelWriter::serialize() const {
  const std::string head = header();
  std::string out;
  out.reserve(kLengthBytes + head.size() + data_size_);
  const uint64_t n = head.size();
  append_le(out, &n, 1, sizeof(n));
  out += head;
  for (const Tensor& t : tensors_) out += t.bytes;
  return out;
}

// ---------------------------------------------------------------------------------------------
// ModelReader

void ModelReader::fail(const std::string& reason) const { throw FormatError(path_, 0, reason); }

ModelReader::ModelReader(const std::string& path) : ModelReader(path, read_file(path)) {}

ModelReader::ModelReader(std::string name, std::string bytes)
    : path_(std::move(name)), bytes_(std::move(bytes)) {
  parse();
}

ModelReader ModelReader::from_bytes(std::string bytes, const std::string& name) {
  return ModelReader(name, std::move(bytes));
}

void ModelReader::parse() {
  if (bytes_.size() < kLengthBytes) {
    fail("truncated: the file has " + std::to_string(bytes_.size()) +
         " bytes, fewer than the 8-byte header length");
  }
  uint64_t header_len = 0;
  copy_le(&header_len, bytes_.data(), 1, sizeof(header_len));
  if (header_len > bytes_.size() - kLengthBytes) {
    fail("header length " + std::to_string(header_len) + " exceeds the file size (" +
         std::to_string(bytes_.size()) + " bytes): the file is truncated or not a model file");
  }
  data_start_ = kLengthBytes + header_len;
  const uint64_t data_size = bytes_.size() - data_start_;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes_.begin() + kLengthBytes,
                                   bytes_.begin() + static_cast<std::ptrdiff_t>(data_start_));
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail("header is not a JSON object");

  // Metadata first: a newer format version should be reported as such, not as whatever
  // structural difference it introduced.
  const auto meta_it = header.find(kMetadataKey);
  if (meta_it == header.end() || !meta_it->is_object()) {
    fail("not a metarec model file: the header has no __metadata__ object");
  }
  for (const auto& [key, value] : meta_it->items()) {
    if (!value.is_string()) fail("__metadata__ entry \"" + key + "\" is not a string");
    meta_[key] = value.get<std::string>();
  }
  const auto format = meta_.find("format");
  if (format == meta_.end()) fail("not a metarec model file: __metadata__ has no \"format\"");
  if (format->second != kModelFormat) {
    fail("not a metarec model file: format is \"" + format->second + "\", expected \"" +
         kModelFormat + "\"");
  }
  const auto version_it = meta_.find("format_version");
  if (version_it == meta_.end()) fail("__metadata__ has no \"format_version\"");
  const std::string& version_text = version_it->second;
  long version = 0;
  const auto [end, ec] =
      std::from_chars(version_text.data(), version_text.data() + version_text.size(), version);
  if (ec != std::errc() || end != version_text.data() + version_text.size()) {
    fail("format_version \"" + version_text + "\" is not an integer");
  }
  if (version > kModelFormatVersion) {
    fail("format_version " + version_text + " is newer than this metarec reads (up to " +
         std::to_string(kModelFormatVersion) + "); upgrade metarec to read this model");
  }
  if (version < 1) fail("format_version " + version_text + " is not supported");

  // Tensors: each entry well-formed, sized by dtype and shape, and together tiling the data
  // section exactly as safetensors itself requires.
  std::vector<std::pair<const std::string*, const Tensor*>> by_offset;
  for (const auto& [name, entry] : header.items()) {
    if (name == kMetadataKey) continue;
    const std::string where = "tensor \"" + name + "\": ";
    if (!entry.is_object()) fail(where + "entry is not a JSON object");
    const auto dtype_it = entry.find("dtype");
    if (dtype_it == entry.end() || !dtype_it->is_string()) fail(where + "missing dtype");
    const DTypeInfo* dtype = find_dtype(dtype_it->get<std::string>());
    if (dtype == nullptr)
      fail(where + "unsupported dtype \"" + dtype_it->get<std::string>() + "\"");

    const auto shape_it = entry.find("shape");
    if (shape_it == entry.end() || !shape_it->is_array()) fail(where + "missing shape");
    Tensor t{dtype->dtype, {}, 0, 0};
    uint64_t bytes_needed = dtype->size;
    bool overflow = false;
    for (const auto& d : *shape_it) {
      if (!d.is_number_unsigned() ||
          d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail(where + "shape " + shape_it->dump() + " is not a list of non-negative integers");
      }
      const uint64_t ud = d.get<uint64_t>();
      t.shape.push_back(static_cast<int64_t>(ud));
      if (ud != 0 && bytes_needed > std::numeric_limits<uint64_t>::max() / ud) overflow = true;
      bytes_needed *= ud;
    }

    const auto offsets_it = entry.find("data_offsets");
    if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
        !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned()) {
      fail(where + "data_offsets is not a pair of non-negative integers");
    }
    t.begin = (*offsets_it)[0].get<uint64_t>();
    t.end = (*offsets_it)[1].get<uint64_t>();
    if (t.begin > t.end || t.end > data_size) {
      fail(where + "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
           "] lie outside the data section (" + std::to_string(data_size) +
           " bytes): the file is truncated or corrupted");
    }
    if (overflow || t.end - t.begin != bytes_needed) {
      fail(where + "data_offsets span " + std::to_string(t.end - t.begin) + " bytes but dtype " +
           dtype->name + " and shape " + shape_text(t.shape) + " need " +
           (overflow ? std::string("more than 2^64") : std::to_string(bytes_needed)));
    }
    const auto [it, inserted] = tensors_.emplace(name, std::move(t));
    by_offset.emplace_back(&it->first, &it->second);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](const auto& a, const auto& b) {
    return std::pair(a.second->begin, a.second->end) < std::pair(b.second->begin, b.second->end);
  });
  uint64_t covered = 0;
  const std::string* previous = nullptr;
  for (const auto& [name, t] : by_offset) {
    if (t->begin < covered) {
      fail("tensors \"" + *previous + "\" and \"" + *name + "\" overlap in the data section");
    }
    if (t->begin > covered) {
      fail("tensor \"" + *name + "\" starts at data offset " + std::to_string(t->begin) +
           " but the data before it ends at " + std::to_string(covered));
    }
    covered = t->end;
    previous = name;
  }
  if (covered != data_size) {
    fail(std::to_string(data_size - covered) + " unexpected bytes after the last tensor");
  }

  const auto checksum = meta_.find("checksum");
  if (checksum == meta_.end()) fail("__metadata__ has no \"checksum\"");
  std::string stored = checksum->second;
  std::transform(stored.begin(), stored.end(), stored.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string computed =
      hex16(fnv1a64(std::string_view(bytes_).substr(static_cast<size_t>(data_start_))));
  if (stored != computed) {
    fail("checksum mismatch: file is corrupted (stored " + checksum->second + ", computed " +
         computed + ")");
  }
}

const std::string& ModelReader::meta(const std::string& key) const {
  const auto it = meta_.find(key);
  if (it == meta_.end()) fail("__metadata__ has no \"" + key + "\"");
  return it->second;
}

bool ModelReader::has_meta(const std::string& key) const { return meta_.count(key) > 0; }

bool ModelReader::has(const std::string& tensor) const { return tensors_.count(tensor) > 0; }

std::vector<std::string> ModelReader::tensor_names() const {
  std::vector<std::pair<uint64_t, std::string>> order;
  for (const auto& [name, t] : tensors_) order.emplace_back(t.begin, name);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> names;
  for (auto& [offset, name] : order) names.push_back(std::move(name));
  return names;
}

const ModelReader::Tensor& ModelReader::tensor(const std::string& name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) fail("no tensor \"" + name + "\"");
  return it->second;
}

std::vector<int64_t> ModelReader::shape(const std::string& name) const {
  return tensor(name).shape;
}

std::string ModelReader::dtype(const std::string& name) const {
  return info(tensor(name).dtype).name;
}

const ModelReader::Tensor& ModelReader::checked(const std::string& name, DType dtype,
                                                const std::vector<int64_t>& expected_shape) const {
  const Tensor& t = tensor(name);
  if (t.dtype != dtype) {
    fail("tensor \"" + name + "\" has dtype " + info(t.dtype).name + ", expected " +
         info(dtype).name);
  }
  if (!expected_shape.empty()) {
    bool match = expected_shape.size() == t.shape.size();
    for (size_t i = 0; match && i < t.shape.size(); ++i) {
      match = expected_shape[i] < 0 || expected_shape[i] == t.shape[i];
    }
    if (!match) {
      fail("tensor \"" + name + "\" has shape " + shape_text(t.shape) + ", expected " +
           shape_text(expected_shape));
    }
  }
  return t;
}

template <typename T>
std::vector<T> ModelReader::read_as(const std::string& name, DType dtype,
                                    const std::vector<int64_t>& expected_shape) const {
  const Tensor& t = checked(name, dtype, expected_shape);
  std::vector<T> out((t.end - t.begin) / sizeof(T));
  copy_le(out.data(), bytes_.data() + data_start_ + t.begin, out.size(), sizeof(T));
  return out;
}

std::vector<float> ModelReader::f32(const std::string& name,
                                    std::vector<int64_t> expected_shape) const {
  return read_as<float>(name, DType::kF32, expected_shape);
}
std::vector<double> ModelReader::f64(const std::string& name,
                                     std::vector<int64_t> expected_shape) const {
  return read_as<double>(name, DType::kF64, expected_shape);
}
std::vector<int32_t> ModelReader::i32(const std::string& name,
                                      std::vector<int64_t> expected_shape) const {
  return read_as<int32_t>(name, DType::kI32, expected_shape);
}
std::vector<int64_t> ModelReader::i64(const std::string& name,
                                      std::vector<int64_t> expected_shape) const {
  return read_as<int64_t>(name, DType::kI64, expected_shape);
}

std::vector<std::string> ModelReader::strings(const std::string& name) const {
  const Tensor& bytes = checked(name + ".bytes", DType::kU8, {-1});
  const std::vector<int64_t> offsets = i64(name + ".offsets", {-1});
  const auto num_bytes = static_cast<int64_t>(bytes.end - bytes.begin);
  bool valid = !offsets.empty() && offsets.front() == 0 && offsets.back() == num_bytes;
  for (size_t i = 1; valid && i < offsets.size(); ++i) valid = offsets[i - 1] <= offsets[i];
  if (!valid) {
    fail("strings \"" + name + "\": offsets do not rise from 0 to the byte count (" +
         std::to_string(num_bytes) + ")");
  }
  const char* base = bytes_.data() + data_start_ + bytes.begin;
  std::vector<std::string> out;
  out.reserve(offsets.size() - 1);
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    out.emplace_back(base + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i]));
  }
  return out;
}

}  // namespace metarec
