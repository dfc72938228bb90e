#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>

namespace muhafiz::core {
namespace {

TEST(Ids, UuidV7IsWellFormedAndTimeOrdered) {
    std::string prev;
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string id = NewUuidV7();
        ASSERT_TRUE(IsUuid(id)) << id;
        EXPECT_EQ(id[14], '7');
        EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
        EXPECT_GE(id.substr(0, 13), prev.substr(0, std::min<std::size_t>(13, prev.size())));
        prev = id;
        EXPECT_TRUE(seen.insert(id).second);
    }
}

TEST(Ids, UuidV4) {
    const std::string id = NewUuidV4();
    EXPECT_TRUE(IsUuid(id));
    EXPECT_EQ(id[14], '4');
    EXPECT_FALSE(IsUuid("not-a-uuid"));
    EXPECT_FALSE(IsUuid("0190f0a0-0000-7000-8000-00000000000g"));
}

TEST(Ids, ReferencesAndEncodings) {
    EXPECT_EQ(ShortReference("INC", 2026, 123), "INC-2026-000123");
    EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // Fed in pieces: the same digest (FIPS 180-2, the two-block message).
    const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    EXPECT_EQ(Sha256Hex(two_blocks), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{30}, two_blocks.size()}) {
        Sha256 sha;
        sha.Update(std::string_view(two_blocks).substr(0, cut));
        sha.Update(std::string_view(two_blocks).substr(cut));
        EXPECT_EQ(sha.Hex(), Sha256Hex(two_blocks)) << cut;
    }
    std::string back;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode("\x01\xff hello?"), back));
    EXPECT_EQ(back, "\x01\xff hello?");
    EXPECT_FALSE(Base64UrlDecode("!!!", back));
    EXPECT_EQ(RandomToken(32).size(), 43u);
}

}  // namespace
}  // namespace muhafiz::core
