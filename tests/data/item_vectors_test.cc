// Dense item vectors: the "item_vectors" file reader's parsing and its errors (file:line:
// reason), skipping bad lines on request, a card that loads them, and the synthetic generator's.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/data/dataset.h>
#include <metarec/data/metadata_reader.h>
#include <metarec/data/synthetic.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace metarec {
namespace {

class ItemVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("metarec_item_vectors_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    for (const char* id : {"x", "y", "z"}) items_.intern(id);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  ItemMeta read(const std::string& text, bool skip = false) const {
    ItemMeta meta;
    read_item_vectors(nlohmann::json{{"path", write("v.txt", text)}}, "", items_, meta, skip);
    return meta;
  }
  std::string error_of(const std::string& text) const {
    try {
      read(text);
    } catch (const FormatError& e) {
      return e.what();
    }
    return "no error";
  }
  std::string path() const { return (dir_ / "v.txt").string(); }

  std::filesystem::path dir_;
  IdMap items_;
};

TEST_F(ItemVectors, ReadsOneRowPerItemWithZerosForItemsWithoutALine) {
  const ItemMeta m = read("# id then values\nz 0.5 -2\n\nx\t1 0\nw 7 7\n");
  EXPECT_EQ(m.vector_dim, 2);
  EXPECT_EQ(m.vectors, (std::vector<float>{1, 0, 0, 0, 0.5f, -2}));
  EXPECT_EQ(m.unmatched_rows, 1);  // "w" is not an item of the data
  EXPECT_TRUE(m.has_vectors());
}

TEST_F(ItemVectors, BadLinesAreReportedWithFileLineAndReason) {
  EXPECT_EQ(error_of("x 1 0\ny 1 abc\n"), path() + ":2: value 2 \"abc\" is not a finite number");
  EXPECT_EQ(error_of("# header\nx 1 0\n\ny 1 0 2\n"),
            path() + ":4: item y has 3 values, expected 2 (the first line's)");
  EXPECT_EQ(error_of("x 1 0\nx 1 1\n"), path() + ":2: item x repeated (first on line 1)");
  EXPECT_EQ(error_of("x 1 nan\n"), path() + ":1: value 2 \"nan\" is not a finite number");
  EXPECT_EQ(error_of("x\n"), path() + ":1: item x has no values");
  EXPECT_EQ(error_of("# only a comment\n"), path() + ": no item vectors in the file");
  EXPECT_THROW(read_item_vectors(nlohmann::json{{"path", (dir_ / "absent").string()}}, "", items_,
                                 *std::make_unique<ItemMeta>(), false),
               IoError);
}

TEST_F(ItemVectors, SkippingBadLinesCountsThem) {
  const ItemMeta m = read("x 1 0\ny 1 abc\nz 1 2 3\nx 5 5\nz 3 4\n", true);
  EXPECT_EQ(m.vectors, (std::vector<float>{1, 0, 0, 0, 3, 4}));
  EXPECT_EQ(m.unmatched_rows, 3);
}

TEST_F(ItemVectors, ACardLoadsThemBesideTheInteractions) {
  write("r.csv", "u1,x,5\nu1,y,3\nu2,z,4\n");
  write("vec.txt", "y 0 1 0\nx 1 0 0\n");
  const std::string card = write("c.json", R"({"name": "vectors_card",
    "interactions": {"path": "r.csv", "user": 0, "item": 1, "rating": 2},
    "item_vectors": {"path": "vec.txt"}})");
  LoadOptions o;
  o.data_root = dir_.string();
  const LoadedDataset d = load_dataset(card, o);
  const ItemMeta* m = d.data.item_meta();
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->vector_dim, 3);
  const int32_t y = d.data.item_ids().find("y").value();
  EXPECT_EQ(m->vectors[static_cast<size_t>(y) * 3 + 1], 1.0f);
  // A misspelt key is a card error, not a silently ignored section.
  const std::string bad = write("bad.json", R"({"name": "bad",
    "interactions": {"path": "r.csv", "user": 0, "item": 1, "rating": 2},
    "item_vectors": {"file": "vec.txt"}})");
  EXPECT_THROW(load_dataset(bad, o), FormatError);
}

TEST(SyntheticVectors, AreOptionalAndLeaveEverythingElseUnchanged) {
  const auto plain = generate_synthetic(parse_synthetic_spec("synthetic:users=50,items=40,seed=3"));
  const auto with =
      generate_synthetic(parse_synthetic_spec("synthetic:users=50,items=40,seed=3,vectors=6"));
  EXPECT_FALSE(plain.item_meta()->has_vectors());
  ASSERT_EQ(with.item_meta()->vector_dim, 6);
  EXPECT_EQ(with.item_meta()->vectors.size(), 40u * 6u);
  EXPECT_EQ(std::vector<int32_t>(plain.entry_items().begin(), plain.entry_items().end()),
            std::vector<int32_t>(with.entry_items().begin(), with.entry_items().end()));
  EXPECT_EQ(std::vector<float>(plain.entry_values().begin(), plain.entry_values().end()),
            std::vector<float>(with.entry_values().begin(), with.entry_values().end()));
}

}  // namespace
}  // namespace metarec
