#include "core/time.hpp"

#include <gtest/gtest.h>

namespace muhafiz::core {
namespace {

TEST(Time, FormatsAndParsesRoundTrip) {
    const Micros t = 1795859245123456;  // 2026-11-28T...
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(t)), t);
    EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(FormatRfc3339(1500000), "1970-01-01T00:00:01.500000Z");
    EXPECT_EQ(FormatRfc3339(1500000, true), "1970-01-01T00:00:01.500Z");
}

TEST(Time, ParsesOffsetsAndDates) {
    EXPECT_EQ(ParseRfc3339("2026-01-01"), ParseRfc3339("2026-01-01T00:00:00Z"));
    EXPECT_EQ(ParseRfc3339("2026-01-01T05:00:00+05:00"), ParseRfc3339("2026-01-01T00:00:00Z"));
    EXPECT_EQ(ParseRfc3339("2026-01-01 00:00:00"), ParseRfc3339("2026-01-01T00:00:00Z"));
    EXPECT_EQ(*ParseRfc3339("2000-02-29T00:00:00.1Z") % 1000000, 100000);
    EXPECT_EQ(*ParseRfc3339("1969-12-31T23:59:59Z"), -1000000);
}

TEST(Time, RejectsNonsense) {
    for (const char* bad : {"", "2026", "2026-13-01", "2026-02-30", "2025-02-29", "2026-01-01T25:00:00Z",
                            "2026-01-01T00:00:00Zjunk", "2026-01-01T00:00:00.Z", "yesterday", "2026-1-1"})
        EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
}

}  // namespace
}  // namespace muhafiz::core
