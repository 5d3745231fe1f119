// The adjacency-list reader (citeulike's users.dat): entity per line, counts checked, bad lines
// named by number or skipped and reported.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/data/delimited.h>
#include <metarec/data/interactions.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace metarec {
namespace {

std::string write(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("metarec_adjacency_" + std::to_string(::getpid()) + "_" + name))
                               .string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ReadAdjacency, LineKIsEntityKMinusOne) {
  // User 0 has items 5 and 7, user 1 none, user 2 item 5; no trailing newline.
  const std::string path = write("ok.dat", "2 5 7\n0\n1 5");
  InteractionsBuilder b;
  LoadReport rep;
  read_adjacency(path, 1.0f, b, rep, false);
  EXPECT_EQ(rep.lines, 3);
  EXPECT_EQ(rep.rows, 3);
  const Interactions d = b.build({});
  ASSERT_EQ(d.nnz(), 3);
  ASSERT_EQ(d.num_items(), 2);
  const auto u0 = d.user_ids().find("0"), u2 = d.user_ids().find("2");
  const auto i5 = d.item_ids().find("5"), i7 = d.item_ids().find("7");
  ASSERT_TRUE(u0 && u2 && i5 && i7);
  EXPECT_FALSE(d.user_ids().find("1").has_value());  // no items, so no interactions
  EXPECT_TRUE(d.contains(*u0, *i5));
  EXPECT_TRUE(d.contains(*u0, *i7));
  EXPECT_TRUE(d.contains(*u2, *i5));
  EXPECT_FALSE(d.contains(*u2, *i7));
  std::remove(path.c_str());
}

TEST(ReadAdjacency, CountMismatchNamesTheLine) {
  const std::string path = write("bad.dat", "1 4\n3 1 2\n1 x\n");
  InteractionsBuilder b;
  LoadReport rep;
  try {
    read_adjacency(path, 1.0f, b, rep, false);
    ADD_FAILURE() << "expected a FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2: declares 3 ids but lists 2"),
              std::string::npos)
        << e.what();
  }
  InteractionsBuilder b2;
  LoadReport rep2;
  read_adjacency(path, 1.0f, b2, rep2, true);
  EXPECT_EQ(rep2.skipped, 2);
  EXPECT_EQ(rep2.rows, 1);
  ASSERT_EQ(rep2.first_errors.size(), 2u);
  EXPECT_NE(rep2.first_errors[1].find(":3: \"x\" is not a non-negative integer id"),
            std::string::npos)
      << rep2.first_errors[1];
  std::remove(path.c_str());
}

}  // namespace
}  // namespace metarec
