// Tests of the model file format (safetensors layout, validation of corrupted files) and of
// atomic file writing.
#include "metarec/core/model_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "metarec/core/atomic_file.h"
#include "metarec/core/error.h"

namespace metarec {
namespace {

namespace fs = std::filesystem;

template <typename T>
bool bit_equal(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

uint64_t read_u64_le(const std::string& bytes) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  return v;
}

std::string u64_le(uint64_t v) {
  std::string s(8, '\0');
  for (size_t i = 0; i < 8; ++i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

// FNV-1a 64 as 16 hex digits, written independently of the implementation.
std::string fnv1a_hex(const std::string& bytes) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  char out[17];
  std::snprintf(out, sizeof(out), "%016llx", static_cast<unsigned long long>(h));
  return out;
}

// Expects `fn` to throw FormatError whose message contains `fragment`.
template <typename Fn>
void expect_format_error(Fn fn, const std::string& fragment) {
  try {
    fn();
    ADD_FAILURE() << "expected FormatError containing \"" << fragment << "\"";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << fragment;
  }
}

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("metarec_model_file_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A model with one tensor of every dtype, strings and metadata.
  ModelWriter sample() const {
    ModelWriter w;
    w.set_meta("algorithm", "ials");
    w.set_meta("params", R"({"factors":2,"reg":0.01})");
    w.add("factors", std::span<const float>(floats_), {3, 2});
    w.add("bias", std::span<const double>(doubles_), {5});
    w.add("counts", std::span<const int32_t>(ints_), {2, 2});
    w.add("ids", std::span<const int64_t>(longs_), {3});
    w.add_strings("item_ids", strings_);
    return w;
  }

  // Writes a file with a hand-made header; the checksum is irrelevant to structural checks,
  // which run first.
  std::string raw_file(const nlohmann::json& header, const std::string& data,
                       const std::string& name = "raw.safetensors") const {
    const std::string text = header.dump();
    const std::string p = path(name);
    write_file_atomic(p, u64_le(text.size()) + text + data);
    return p;
  }

  fs::path dir_;
  const std::vector<float> floats_ = {1.5f,
                                      -0.0f,
                                      std::numeric_limits<float>::infinity(),
                                      std::numeric_limits<float>::denorm_min(),
                                      std::numeric_limits<float>::max(),
                                      std::nanf("0x12345")};
  const std::vector<double> doubles_ = {0.1, -1e300, std::numeric_limits<double>::lowest(),
                                        std::numeric_limits<double>::denorm_min(), std::nan("7")};
  const std::vector<int32_t> ints_ = {std::numeric_limits<int32_t>::min(), -1, 0,
                                      std::numeric_limits<int32_t>::max()};
  const std::vector<int64_t> longs_ = {std::numeric_limits<int64_t>::min(), 42,
                                       std::numeric_limits<int64_t>::max()};
  const std::vector<std::string> strings_ = {"item 1", "", std::string("nul\0byte", 8),
                                             "\xc3\xa9t\xc3\xa9", std::string(1000, 'x')};
};

TEST_F(ModelFileTest, RoundTripsEveryDtypeBitExact) {
  sample().write(path("m.safetensors"));
  ModelReader r(path("m.safetensors"));
  EXPECT_TRUE(bit_equal(r.f32("factors", {3, 2}), floats_));
  EXPECT_TRUE(bit_equal(r.f64("bias", {5}), doubles_));
  EXPECT_TRUE(bit_equal(r.i32("counts", {2, 2}), ints_));
  EXPECT_TRUE(bit_equal(r.i64("ids"), longs_));
  EXPECT_EQ(r.strings("item_ids"), strings_);
  EXPECT_EQ(r.shape("factors"), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(r.dtype("bias"), "F64");
  EXPECT_TRUE(r.has("counts"));
  EXPECT_FALSE(r.has("nope"));
  EXPECT_EQ(r.tensor_names(), (std::vector<std::string>{"factors", "bias", "counts", "ids",
                                                        "item_ids.bytes", "item_ids.offsets"}));
}

// add_view writes the caller's buffer without copying it: the same bytes (and checksum) as add,
// read at write time, so a view of a buffer changed after add_view writes the new values.
TEST_F(ModelFileTest, ViewsWriteTheSameBytesAsCopiesWithoutCopying) {
  ModelWriter w;
  w.set_meta("algorithm", "ials");
  w.set_meta("params", R"({"factors":2,"reg":0.01})");
  w.add_view("factors", std::span<const float>(floats_), {3, 2});
  w.add("bias", std::span<const double>(doubles_), {5});
  w.add_view("counts", std::span<const int32_t>(ints_), {2, 2});
  w.add_view("ids", std::span<const int64_t>(longs_), {3});
  w.add_strings("item_ids", strings_);
  EXPECT_EQ(w.serialize(), sample().serialize());

  std::vector<float> live = {1, 2, 3};
  ModelWriter v;
  v.add_view("x", std::span<const float>(live), {3});
  live[1] = 7;
  v.write(path("view.safetensors"));
  EXPECT_EQ(ModelReader(path("view.safetensors")).f32("x"), (std::vector<float>{1, 7, 3}));
  EXPECT_THROW(v.add_view("y", std::span<const float>(live), {2}), InvalidArgument);
}

TEST_F(ModelFileTest, RoundTripsEmptyScalarAndZeroSizedTensors) {
  ModelWriter w;
  const std::vector<float> none;
  const std::vector<double> one = {3.25};
  w.add("empty", std::span<const float>(none), {0, 4});
  w.add("scalar", std::span<const double>(one), {});
  w.add_strings("no_strings", {});
  w.write(path("m.safetensors"));
  ModelReader r(path("m.safetensors"));
  EXPECT_TRUE(r.f32("empty", {0, 4}).empty());
  EXPECT_EQ(r.shape("scalar"), std::vector<int64_t>{});
  EXPECT_EQ(r.f64("scalar"), one);
  EXPECT_TRUE(r.strings("no_strings").empty());
}

TEST_F(ModelFileTest, RoundTripsMetadata) {
  sample().write(path("m.safetensors"));
  ModelReader r(path("m.safetensors"));
  EXPECT_EQ(r.meta("algorithm"), "ials");
  EXPECT_EQ(nlohmann::json::parse(r.meta("params"))["factors"], 2);
  EXPECT_EQ(r.meta("format"), "metarec-model");
  EXPECT_EQ(r.meta("format_version"), "1");
  EXPECT_EQ(r.meta("checksum").size(), 16u);
  EXPECT_TRUE(r.has_meta("params"));
  EXPECT_FALSE(r.has_meta("missing"));
  expect_format_error([&] { (void)r.meta("missing"); }, "missing");
}

TEST_F(ModelFileTest, IsPlainSafetensors) {
  sample().write(path("m.safetensors"));
  const std::string bytes = read_file(path("m.safetensors"));
  ASSERT_GE(bytes.size(), 8u);
  const uint64_t n = read_u64_le(bytes);
  ASSERT_LE(8 + n, bytes.size());
  EXPECT_EQ((8 + n) % 8, 0u) << "data section must start 8-byte aligned";
  EXPECT_EQ(bytes[8], '{');
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  const uint64_t data_size = bytes.size() - 8 - n;

  ASSERT_TRUE(header.contains("__metadata__"));
  for (const auto& [key, value] : header["__metadata__"].items()) {
    EXPECT_TRUE(value.is_string()) << key;
  }

  // Tensors tile the data section contiguously in insertion order.
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"factors", "F32"}, {"bias", "F64"},          {"counts", "I32"},
      {"ids", "I64"},     {"item_ids.bytes", "U8"}, {"item_ids.offsets", "I64"}};
  const std::map<std::string, uint64_t> dtype_size = {
      {"F32", 4}, {"F64", 8}, {"I32", 4}, {"I64", 8}, {"U8", 1}};
  uint64_t offset = 0;
  for (const auto& [name, dtype] : expected) {
    ASSERT_TRUE(header.contains(name)) << name;
    const auto& t = header[name];
    EXPECT_EQ(t["dtype"], dtype) << name;
    uint64_t numel = 1;
    for (const auto& d : t["shape"]) numel *= d.get<uint64_t>();
    EXPECT_EQ(t["data_offsets"][0].get<uint64_t>(), offset) << name;
    offset += numel * dtype_size.at(dtype);
    EXPECT_EQ(t["data_offsets"][1].get<uint64_t>(), offset) << name;
  }
  EXPECT_EQ(offset, data_size);
  EXPECT_EQ(header.size(), expected.size() + 1);

  // The raw data are the little-endian values.
  const auto& f = header["factors"];
  std::vector<float> raw(floats_.size());
  std::memcpy(raw.data(), bytes.data() + 8 + n + f["data_offsets"][0].get<uint64_t>(),
              raw.size() * sizeof(float));
  EXPECT_TRUE(bit_equal(raw, floats_));
  EXPECT_EQ(header["factors"]["shape"], nlohmann::json::array({3, 2}));
}

TEST_F(ModelFileTest, RejectsTruncatedFiles) {
  const std::string good = sample().serialize();
  const uint64_t n = read_u64_le(good);
  const std::vector<std::pair<size_t, std::string>> cuts = {
      {0, "truncated"},
      {3, "truncated"},
      {7, "truncated"},
      {8, "exceeds the file size"},
      {8 + n / 2, "exceeds the file size"},
      {8 + n - 1, "exceeds the file size"},
      {8 + n, "outside the data section"},
      {8 + n + 5, "outside the data section"},
      {good.size() - 1, "outside the data section"}};
  for (const auto& [size, fragment] : cuts) {
    SCOPED_TRACE("cut at " + std::to_string(size) + " of " + std::to_string(good.size()));
    write_file_atomic(path("cut.safetensors"), std::string_view(good).substr(0, size));
    expect_format_error([&] { ModelReader r(path("cut.safetensors")); }, fragment);
  }
}

TEST_F(ModelFileTest, FlippedDataByteFailsChecksum) {
  std::string bytes = sample().serialize();
  const uint64_t n = read_u64_le(bytes);
  for (size_t pos : {static_cast<size_t>(8 + n), bytes.size() / 2 + n / 2, bytes.size() - 1}) {
    std::string corrupted = bytes;
    corrupted[pos] = static_cast<char>(corrupted[pos] ^ 0x10);
    write_file_atomic(path("flipped.safetensors"), corrupted);
    expect_format_error([&] { ModelReader r(path("flipped.safetensors")); },
                        "checksum mismatch: file is corrupted");
  }
}

// A model file held in memory (a hybrid's member) gets the same checks, named as the caller says.
TEST_F(ModelFileTest, ReadsFromBytesWithTheSameValidation) {
  const std::string bytes = sample().serialize();
  const ModelReader r = ModelReader::from_bytes(bytes, "outer.model (member.0)");
  EXPECT_EQ(r.path(), "outer.model (member.0)");
  sample().write(path("m.safetensors"));
  EXPECT_EQ(r.tensor_names(), ModelReader(path("m.safetensors")).tensor_names());
  EXPECT_EQ(r.all_meta(), ModelReader(path("m.safetensors")).all_meta());
  std::string corrupted = bytes;
  corrupted.back() = static_cast<char>(corrupted.back() ^ 0x10);
  try {
    ModelReader::from_bytes(corrupted, "outer.model (member.0)");
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("outer.model (member.0)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("checksum mismatch"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ModelReader::from_bytes(bytes.substr(0, 5), "cut"), FormatError);
}

TEST_F(ModelFileTest, RejectsBadJsonHeader) {
  std::string bytes = sample().serialize();
  bytes[8] = '[';  // "[\"__metadata__\": ..." is not JSON
  write_file_atomic(path("bad.safetensors"), bytes);
  expect_format_error([&] { ModelReader r(path("bad.safetensors")); }, "not valid JSON");

  const std::string p = raw_file(nlohmann::json::array({1, 2}), "");
  expect_format_error([&] { ModelReader r(p); }, "not a JSON object");
}

TEST_F(ModelFileTest, RejectsHeaderLengthLargerThanFile) {
  std::string bytes = sample().serialize();
  bytes.replace(0, 8, u64_le(bytes.size()));
  write_file_atomic(path("long.safetensors"), bytes);
  expect_format_error([&] { ModelReader r(path("long.safetensors")); }, "header length");

  bytes.replace(0, 8, u64_le(std::numeric_limits<uint64_t>::max()));
  write_file_atomic(path("long.safetensors"), bytes);
  expect_format_error([&] { ModelReader r(path("long.safetensors")); }, "header length");
}

TEST_F(ModelFileTest, RejectsNewerFormatVersion) {
  std::string bytes = sample().serialize();
  const std::string from = R"("format_version":"1")";
  const size_t at = bytes.find(from);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, from.size(), R"("format_version":"2")");
  write_file_atomic(path("v2.safetensors"), bytes);
  try {
    ModelReader r(path("v2.safetensors"));
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("format_version 2"), std::string::npos) << what;
    EXPECT_NE(what.find("up to 1"), std::string::npos) << what;
    EXPECT_EQ(e.path(), path("v2.safetensors"));
    EXPECT_EQ(e.line(), 0);
  }
}

TEST_F(ModelFileTest, RejectsFilesThatAreNotMetarecModels) {
  std::string bytes = sample().serialize();
  const size_t at = bytes.find("metarec-model");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 13, "another-model");
  write_file_atomic(path("other.safetensors"), bytes);
  expect_format_error([&] { ModelReader r(path("other.safetensors")); }, "not a metarec model");

  // A plain safetensors file without metarec metadata.
  const std::string p = raw_file(
      {{"x", {{"dtype", "U8"}, {"shape", {1}}, {"data_offsets", {0, 1}}}}}, std::string(1, 'a'));
  expect_format_error([&] { ModelReader r(p); }, "no __metadata__");
}

TEST_F(ModelFileTest, RejectsBadTensorEntries) {
  const nlohmann::json meta = {
      {"format", "metarec-model"}, {"format_version", "1"}, {"checksum", "0000000000000000"}};
  const std::string data(16, '\0');
  auto header_with = [&](nlohmann::json tensors) {
    tensors["__metadata__"] = meta;
    return tensors;
  };
  struct Case {
    nlohmann::json tensors;
    std::string fragment;
  };
  const std::vector<Case> cases = {
      {{{"a", {{"dtype", "F32"}, {"shape", {4}}, {"data_offsets", {0, 16}}}},
        {"b", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {8, 16}}}}},
       "overlap"},
      {{{"a", {{"dtype", "F32"}, {"shape", {5}}, {"data_offsets", {0, 20}}}}},
       "outside the data section"},
      {{{"a", {{"dtype", "F32"}, {"shape", {3}}, {"data_offsets", {0, 16}}}}}, "need 12"},
      {{{"a", {{"dtype", "F64"}, {"shape", {2}}, {"data_offsets", {8, 24}}}}},
       "outside the data section"},
      {{{"a", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {8, 16}}}}},
       "starts at data offset 8"},
      {{{"a", {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}}}},
       "after the last tensor"},
      {{{"a", {{"dtype", "BF16"}, {"shape", {8}}, {"data_offsets", {0, 16}}}}},
       "unsupported dtype \"BF16\""},
      {{{"a", {{"dtype", "F32"}, {"shape", {-4}}, {"data_offsets", {0, 16}}}}}, "non-negative"},
      {{{"a", {{"dtype", "F32"}, {"shape", {4}}, {"data_offsets", {16, 0}}}}},
       "outside the data section"},
      {{{"a", {{"dtype", "F32"}, {"shape", {4}}}}}, "data_offsets"},
      {{{"a",
         {{"dtype", "U8"},
          {"shape", {std::numeric_limits<int64_t>::max(), 4}},
          {"data_offsets", {0, 16}}}}},
       "more than 2^64"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + ": " + cases[i].tensors.dump());
    const std::string p = raw_file(header_with(cases[i].tensors), data);
    expect_format_error([&] { ModelReader r(p); }, cases[i].fragment);
  }
}

TEST_F(ModelFileTest, RejectsWrongDtypeShapeOrName) {
  sample().write(path("m.safetensors"));
  ModelReader r(path("m.safetensors"));
  expect_format_error([&] { (void)r.f64("factors"); }, "tensor \"factors\" has dtype F32");
  expect_format_error([&] { (void)r.i32("ids"); }, "tensor \"ids\" has dtype I64");
  expect_format_error(
      [&] {
        (void)r.f32("factors", {2, 3});
      },
      "tensor \"factors\" has shape [3, 2], expected [2, 3]");
  expect_format_error([&] { (void)r.f32("factors", {6}); }, "tensor \"factors\" has shape");
  expect_format_error([&] { (void)r.f32("missing"); }, "no tensor \"missing\"");
  expect_format_error([&] { (void)r.strings("factors"); }, "no tensor \"factors.bytes\"");
  EXPECT_EQ(r.f32("factors", {-1, 2}).size(), 6u);
}

TEST_F(ModelFileTest, RejectsInconsistentStrings) {
  // Hand-made, with a valid checksum, since ModelWriter cannot produce these.
  std::string data;
  nlohmann::json header = nlohmann::json::object();
  const auto add = [&](const std::string& name, const char* dtype, const std::string& bytes,
                       int64_t n) {
    header[name] = {{"dtype", dtype},
                    {"shape", {n}},
                    {"data_offsets", {data.size(), data.size() + bytes.size()}}};
    data += bytes;
  };
  const auto i64s = [](std::initializer_list<int64_t> values) {
    std::string out;
    for (int64_t v : values) out += u64_le(static_cast<uint64_t>(v));
    return out;
  };
  add("s.bytes", "U8", "abc", 3);
  add("s.offsets", "I64", i64s({0, 1, 3}), 3);
  add("t.bytes", "U8", "ab", 2);
  add("t.offsets", "I64", i64s({0, 5}), 2);  // past the end of t.bytes
  add("u.bytes", "U8", "ab", 2);
  add("u.offsets", "I64", i64s({0, 2, 1, 2}), 4);  // decreasing
  add("w.bytes", "U8", "ab", 2);
  add("w.offsets", "I32", std::string("\0\0\0\0\2\0\0\0", 8), 2);
  header["__metadata__"] = {
      {"format", "metarec-model"}, {"format_version", "1"}, {"checksum", fnv1a_hex(data)}};
  const std::string p = raw_file(header, data);

  ModelReader r(p);
  EXPECT_EQ(r.strings("s"), (std::vector<std::string>{"a", "bc"}));
  expect_format_error([&] { (void)r.strings("t"); }, "strings \"t\": offsets do not rise");
  expect_format_error([&] { (void)r.strings("u"); }, "strings \"u\": offsets do not rise");
  expect_format_error([&] { (void)r.strings("w"); }, "tensor \"w.offsets\" has dtype I32");
}

TEST_F(ModelFileTest, WriterRejectsBadInput) {
  ModelWriter w;
  const std::vector<float> v = {1, 2, 3, 4};
  const std::span<const float> s(v);
  w.add("a", s, {2, 2});
  EXPECT_THROW(w.add("a", s, {4}), InvalidArgument);
  EXPECT_THROW(w.add("__metadata__", s, {4}), InvalidArgument);
  EXPECT_THROW(w.add("", s, {4}), InvalidArgument);
  EXPECT_THROW(w.add("b", s, {3}), InvalidArgument);
  EXPECT_THROW(w.add("b", s, {-2, -2}), InvalidArgument);
  EXPECT_THROW(w.add("b", s, {std::numeric_limits<int64_t>::max(), 4}), InvalidArgument);
  EXPECT_THROW(w.add("bad\xff", s, {4}), InvalidArgument);
  EXPECT_THROW(w.set_meta("format_version", "2"), InvalidArgument);
  EXPECT_THROW(w.set_meta("checksum", "0"), InvalidArgument);
  EXPECT_THROW(w.set_meta("k", "bad\xff"), InvalidArgument);
  w.add_strings("ids", {"x"});
  EXPECT_THROW(w.add_strings("ids", {"y"}), InvalidArgument);
  // The failed calls left the writer usable and unchanged.
  w.write(path("m.safetensors"));
  ModelReader r(path("m.safetensors"));
  EXPECT_EQ(r.tensor_names(), (std::vector<std::string>{"a", "ids.bytes", "ids.offsets"}));
}

TEST_F(ModelFileTest, AtomicWriteReplacesWhollyAndLeavesNoTempFiles) {
  const std::string p = path("m.safetensors");
  write_file_atomic(p, std::string(100000, 'z'));
  sample().write(p);
  EXPECT_EQ(read_file(p), sample().serialize());
  write_file_atomic(p, "short");
  EXPECT_EQ(read_file(p), "short");

  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(dir_)) entries.push_back(e.path().filename());
  EXPECT_EQ(entries, std::vector<std::string>{"m.safetensors"});
}

TEST_F(ModelFileTest, AtomicWriteKeepsPermissionsOfReplacedFile) {
  const std::string p = path("private.txt");
  write_file_atomic(p, "one");
  ASSERT_EQ(::chmod(p.c_str(), 0600), 0);
  write_file_atomic(p, "two");
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read_file(p), "two");
}

TEST_F(ModelFileTest, WritingIntoMissingDirectoryThrowsIoError) {
  const std::string p = path("no/such/dir/m.safetensors");
  try {
    sample().write(p);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(ModelFileTest, ReadingMissingFileThrowsIoError) {
  try {
    ModelReader r(path("absent.safetensors"));
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open " + path("absent.safetensors")),
              std::string::npos)
        << e.what();
  }
}

TEST_F(ModelFileTest, AtomicFileWriterWritesOnlyOnCommit) {
  const std::string p = path("report.csv");
  {
    AtomicFileWriter out(p);
    out.stream() << "a,b\n" << 1 << ',' << 2 << '\n';
  }
  EXPECT_FALSE(fs::exists(p));
  AtomicFileWriter out(p);
  out.stream() << "a,b\n" << 1 << ',' << 2 << '\n';
  out.commit();
  EXPECT_EQ(read_file(p), "a,b\n1,2\n");
}

}  // namespace
}  // namespace metarec
