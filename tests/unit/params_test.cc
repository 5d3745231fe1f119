// Parameter declarations: parsing, validation and the messages users see.
#include <gtest/gtest.h>
#include <metarec/core/error.h>
#include <metarec/core/params.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace metarec {
namespace {

ParamSchema schema() {
  return {ParamSpec::integer("factors", 64, 1, 1024, "latent dims").tune(8, 256, true),
          ParamSpec::real("lr", 0.01, 0, 1, "learning rate", true),
          ParamSpec::boolean("bias", true, "use biases"),
          ParamSpec::choice("sim", "cosine", {"cosine", "pearson"}, "similarity")};
}

TEST(Params, DefaultsAndOverrides) {
  Params p = Params::parse(schema(), {"factors=32", "lr=0.5", "bias=false", "sim=pearson"}, "algo");
  EXPECT_EQ(p.get_int("factors"), 32);
  EXPECT_DOUBLE_EQ(p.get_float("lr"), 0.5);
  EXPECT_FALSE(p.get_bool("bias"));
  EXPECT_EQ(p.get_string("sim"), "pearson");
  Params d(schema());
  EXPECT_EQ(d.get_int("factors"), 64);
  EXPECT_EQ(d.to_string(), "factors=64,lr=0.01,bias=true,sim=cosine");
}

TEST(Params, ErrorsListWhatIsValid) {
  try {
    Params::parse(schema(), {"factor=3"}, "mf");
    FAIL();
  } catch (const InvalidArgument& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("mf: unknown parameter \"factor\""), std::string::npos) << m;
    EXPECT_NE(m.find("factors [1, 1024]"), std::string::npos) << m;
    EXPECT_NE(m.find("sim {cosine, pearson}"), std::string::npos) << m;
  }
  EXPECT_THROW(Params::parse(schema(), {"factors=0"}, "mf"), InvalidArgument);
  EXPECT_THROW(Params::parse(schema(), {"factors=2.5"}, "mf"), InvalidArgument);
  EXPECT_THROW(Params::parse(schema(), {"lr=0"}, "mf"), InvalidArgument);  // exclusive lower bound
  EXPECT_THROW(Params::parse(schema(), {"lr=nan"}, "mf"), InvalidArgument);
  EXPECT_THROW(Params::parse(schema(), {"sim=jaccard"}, "mf"), InvalidArgument);
  EXPECT_THROW(Params::parse(schema(), {"bias=maybe"}, "mf"), InvalidArgument);
  EXPECT_THROW(Params::parse(schema(), {"factors"}, "mf"), InvalidArgument);
}

TEST(Params, JsonRoundTrip) {
  Params p = Params::parse(schema(), {"factors=16", "lr=1"}, "mf");
  Params q = Params::from_json(schema(), p.to_json(), "mf");
  EXPECT_EQ(p.to_string(), q.to_string());
  EXPECT_THROW(Params::from_json(schema(), nlohmann::json{{"nope", 1}}, "mf"), InvalidArgument);
  // An integer where a float is declared is accepted.
  EXPECT_DOUBLE_EQ(Params::from_json(schema(), nlohmann::json{{"lr", 1}}, "mf").get_float("lr"),
                   1.0);
}

TEST(Params, TextCheckFromAParser) {
  const auto check =
      check_by_parsing([](const std::string& v) { METAREC_CHECK(v == "ok", "not ok: ", v); });
  EXPECT_EQ(check("ok"), "");
  EXPECT_NE(check("bad").find("not ok: bad"), std::string::npos);
  const auto broken = check_by_parsing([](const std::string&) { throw std::runtime_error("x"); });
  EXPECT_THROW(broken("anything"), std::runtime_error);  // only InvalidArgument is a verdict
}

}  // namespace
}  // namespace metarec
