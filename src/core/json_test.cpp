#include "core/json.hpp"

#include <gtest/gtest.h>

namespace muhafiz::core {
namespace {

TEST(Json, ParseErrorsAreInvalidArgument) {
    auto bad = ParseJsonObject("{\"a\": ");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(bad.error().message.find("malformed JSON"), std::string::npos);
    EXPECT_FALSE(ParseJsonObject("[1]"));
    EXPECT_TRUE(ParseJsonObject("{\"a\":1}"));
}

TEST(Json, TypedGettersNameTheField) {
    auto obj = *ParseJsonObject(R"({"s":"x","i":5,"b":true,"n":null,"wrong":1})");
    EXPECT_EQ(**GetString(obj, "s"), "x");
    EXPECT_EQ(**GetInt(obj, "i"), 5);
    EXPECT_TRUE(**GetBool(obj, "b"));
    EXPECT_FALSE(GetString(obj, "n")->has_value());
    EXPECT_FALSE(GetString(obj, "absent")->has_value());
    auto e = GetString(obj, "wrong", "contacts");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().field, "contacts.wrong");
}

TEST(Json, UnknownFieldsAreRejected) {
    auto obj = *ParseJsonObject(R"({"name":"x","nmae":"y"})");
    auto s = RejectUnknownFields(obj, {"name"});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().field, "nmae");
    EXPECT_TRUE(RejectUnknownFields(obj, {"name", "nmae"}));
}

}  // namespace
}  // namespace muhafiz::core
