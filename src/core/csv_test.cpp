#include "core/csv.hpp"

#include <gtest/gtest.h>

namespace muhafiz::core {
namespace {

TEST(Csv, ReadsQuotedFieldsAndTracksLines) {
    CsvReader r("a,b,c\r\n\"x, y\",\"multi\nline\",\"q\"\"q\"\nlast,,\n");
    std::vector<std::string> f;
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(r.line(), 1u);
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"x, y", "multi\nline", "q\"q"}));
    EXPECT_EQ(r.line(), 2u);
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"last", "", ""}));
    EXPECT_EQ(r.line(), 4u);
    EXPECT_FALSE(*r.Next(f));
}

TEST(Csv, BrokenQuotingIsAnErrorAndReadingGoesOn) {
    CsvReader r("ok,1\n\"bad\"x,2\nfine,3\nun\"quoted,4\n\"never closes,5\n");
    std::vector<std::string> f;
    ASSERT_TRUE(*r.Next(f));
    auto bad = r.Next(f);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("line 2"), std::string::npos);
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f[0], "fine");
    EXPECT_FALSE(r.Next(f));
    EXPECT_FALSE(r.Next(f));
    EXPECT_FALSE(*r.Next(f));
}

TEST(Csv, WriterQuotesWhenNeeded) {
    std::string out;
    AppendCsvRecord(out, {"plain", "with,comma", "with \"quote\"", "two\nlines"});
    EXPECT_EQ(out, "plain,\"with,comma\",\"with \"\"quote\"\"\",\"two\nlines\"\n");
    CsvReader r(out);
    std::vector<std::string> f;
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f[3], "two\nlines");
}

}  // namespace
}  // namespace muhafiz::core
