#include "core/country.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace muhafiz::core {
namespace {

TEST(Country, KnownCodes) {
    EXPECT_TRUE(IsCountryCode("PK"));
    EXPECT_EQ(CountryName("PK"), "Pakistan");
    EXPECT_EQ(CountryName("DE"), "Germany");
    EXPECT_EQ(CountryName("US"), "United States");
    EXPECT_EQ(CountryName("GB"), "United Kingdom");
    EXPECT_EQ(CountryName("AX"), "Åland Islands");
    EXPECT_EQ(CountryName("AD"), "Andorra");   // first
    EXPECT_EQ(CountryName("ZW"), "Zimbabwe");  // last
    EXPECT_TRUE(IsCountryCode("SS"));          // South Sudan (2011)
    EXPECT_TRUE(IsCountryCode("BQ"));
    EXPECT_TRUE(IsCountryCode("AQ"));
}

TEST(Country, UnknownCodes) {
    for (const char* bad : {"", "P", "PAK", "pk", "Pk", "XK", "EU", "UK", "ZZ", "AA", "QM", "SU",
                            "YU", "AN", "  ", "P\0"}) {
        EXPECT_FALSE(IsCountryCode(bad)) << bad;
        EXPECT_TRUE(CountryName(bad).empty()) << bad;
    }
}

TEST(Country, FullTableSortedAndUnique) {
    ASSERT_EQ(CountryCount(), 249u);
    std::set<std::string> seen;
    std::string previous;
    for (std::size_t i = 0; i < CountryCount(); ++i) {
        std::string code(CountryCodeAt(i));
        ASSERT_EQ(code.size(), 2u);
        EXPECT_TRUE(code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z');
        EXPECT_LT(previous, code);
        previous = code;
        EXPECT_TRUE(seen.insert(code).second);
        EXPECT_TRUE(IsCountryCode(code));
        EXPECT_FALSE(CountryName(code).empty()) << code;
    }
    EXPECT_TRUE(CountryCodeAt(249).empty());
}

}  // namespace
}  // namespace muhafiz::core
