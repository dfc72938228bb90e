// Indicator normalisation, STIX patterns, warning lists, TLP markings and the streaming reader.
#include <gtest/gtest.h>

#include <sstream>

#include "intel/indicator.hpp"
#include "intel/stix.hpp"
#include "intel/warninglist.hpp"

namespace muhafiz::intel {
namespace {

std::string N(IndicatorType t, std::string_view v) {
    auto r = Normalise(t, v);
    return r ? *r : "ERR:" + r.error().message;
}

TEST(Normalise, Addresses) {
    EXPECT_EQ(N(IndicatorType::kIpv4, " 203.0.113.9 "), "203.0.113.9");
    EXPECT_EQ(N(IndicatorType::kIpv6, "2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
    EXPECT_EQ(N(IndicatorType::kCidr, "2001:db8:0::/32"), "2001:db8::/32");
    EXPECT_TRUE(N(IndicatorType::kIpv4, "2001:db8::1").starts_with("ERR"));
    EXPECT_TRUE(N(IndicatorType::kIpv4, "010.1.1.1").starts_with("ERR"));
    EXPECT_TRUE(N(IndicatorType::kCidr, "10.0.0.1/8").starts_with("ERR"));
    EXPECT_EQ(N(IndicatorType::kAsn, "as64500"), "AS64500");
}

TEST(Normalise, DomainsWithIdna) {
    EXPECT_EQ(N(IndicatorType::kDomain, "WWW.Example.COM."), "www.example.com");
    EXPECT_EQ(N(IndicatorType::kDomain, "bücher.example"), "xn--bcher-kva.example");
    EXPECT_EQ(N(IndicatorType::kDomain, "BÜCHER.example"), "xn--bcher-kva.example");
    EXPECT_EQ(N(IndicatorType::kDomain, "faß.de"), "xn--fa-hia.de");  // non-transitional (IDNA 2008)
    EXPECT_EQ(N(IndicatorType::kDomain, "пример.рф"), "xn--e1afmkfd.xn--p1ai");
    EXPECT_TRUE(N(IndicatorType::kDomain, "exa mple.com").starts_with("ERR"));
    EXPECT_TRUE(N(IndicatorType::kDomain, "-bad-.com").starts_with("ERR"));
}

TEST(Normalise, Urls) {
    EXPECT_EQ(N(IndicatorType::kUrl, "HTTP://Example.COM:80"), "http://example.com/");
    EXPECT_EQ(N(IndicatorType::kUrl, "https://bücher.example:443/a%2fb/%7euser?q=1#frag"),
              "https://xn--bcher-kva.example/a%2Fb/~user?q=1");
    EXPECT_EQ(N(IndicatorType::kUrl, "http://[2001:DB8::1]:8080/x"), "http://[2001:db8::1]:8080/x");
    EXPECT_EQ(N(IndicatorType::kUrl, "http://evil.example/a b"), "http://evil.example/a%20b");
    EXPECT_TRUE(N(IndicatorType::kUrl, "evil.example/path").starts_with("ERR"));
    EXPECT_TRUE(N(IndicatorType::kUrl, "http://x.example/%zz").starts_with("ERR"));
}

TEST(Normalise, EmailsAndDigests) {
    EXPECT_EQ(N(IndicatorType::kEmail, "Phish@Bücher.Example"), "phish@xn--bcher-kva.example");
    EXPECT_TRUE(N(IndicatorType::kEmail, "no-at-sign").starts_with("ERR"));
    EXPECT_EQ(N(IndicatorType::kMd5, "D41D8CD98F00B204E9800998ECF8427E"), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_TRUE(N(IndicatorType::kSha1, "abc").starts_with("ERR"));
    EXPECT_EQ(N(IndicatorType::kX509, "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01"),
              "abcdef0123456789abcdef0123456789abcdef01");
    EXPECT_FALSE(ParseType("ip"));
    EXPECT_EQ(*ParseType("x509-fingerprint"), IndicatorType::kX509);
}

TEST(Patterns, RoundTripEveryType) {
    const std::vector<std::pair<IndicatorType, std::string>> samples = {
        {IndicatorType::kIpv4, "198.51.100.7"}, {IndicatorType::kIpv6, "2001:db8::7"},
        {IndicatorType::kCidr, "198.51.100.0/24"}, {IndicatorType::kDomain, "evil.example"},
        {IndicatorType::kUrl, "http://evil.example/it's"}, {IndicatorType::kEmail, "a@evil.example"},
        {IndicatorType::kMd5, std::string(32, 'a')}, {IndicatorType::kSha1, std::string(40, 'b')},
        {IndicatorType::kSha256, std::string(64, 'c')}, {IndicatorType::kSha512, std::string(128, 'd')},
        {IndicatorType::kAsn, "AS64500"}, {IndicatorType::kX509, std::string(40, 'e')}};
    for (const auto& [t, v] : samples) {
        auto p = ParseStixPattern(StixPattern(t, v));
        ASSERT_TRUE(p) << StixPattern(t, v) << ": " << p.error().message;
        ASSERT_TRUE(*p) << StixPattern(t, v);
        EXPECT_EQ((*p)->type, t);
        EXPECT_EQ((*p)->value, v);
    }
}

TEST(Patterns, ComplexAndMalformed) {
    auto complex = ParseStixPattern("[ipv4-addr:value = '1.2.3.4'] OR [ipv4-addr:value = '5.6.7.8']");
    ASSERT_TRUE(complex);
    EXPECT_FALSE(*complex);
    auto like = ParseStixPattern("[domain-name:value LIKE '%.evil']");
    ASSERT_TRUE(like);
    EXPECT_FALSE(*like);
    EXPECT_FALSE(ParseStixPattern("ipv4-addr:value = '1.2.3.4'"));
    EXPECT_FALSE(ParseStixPattern("[ipv4-addr:value = '1.2.3.4"));
    auto bad_value = ParseStixPattern("[ipv4-addr:value = '999.1.1.1']");
    ASSERT_FALSE(bad_value);
    EXPECT_EQ(bad_value.error().field, "pattern");
    auto host = ParseStixPattern("[ipv4-addr:value = '198.51.100.1/32']");
    ASSERT_TRUE(host && *host);
    EXPECT_EQ((*host)->type, IndicatorType::kIpv4);
}

TEST(WarningLists, ShippedListsFlagBenignValues) {
    WarningLists lists;
    const char* src = std::getenv("MUHAFIZ_SOURCE_DIR");
    ASSERT_TRUE(lists.LoadFolder(std::string(src ? src : MUHAFIZ_SOURCE_DIR_DEFAULT) + "/data/warninglists"));
    EXPECT_GE(lists.Lists().size(), 4u);
    EXPECT_TRUE(lists.Check(IndicatorType::kIpv4, "8.8.8.8"));
    EXPECT_TRUE(lists.Check(IndicatorType::kIpv4, "10.1.2.3"));
    EXPECT_TRUE(lists.Check(IndicatorType::kCidr, "192.168.1.0/24"));
    EXPECT_FALSE(lists.Check(IndicatorType::kCidr, "192.0.0.0/8"));  // wider than the listed range
    EXPECT_TRUE(lists.Check(IndicatorType::kDomain, "cdn.cloudflare.com"));
    EXPECT_TRUE(lists.Check(IndicatorType::kUrl, "https://www.google.com/search"));
    EXPECT_TRUE(lists.Check(IndicatorType::kEmail, "x@microsoft.com"));
    EXPECT_FALSE(lists.Check(IndicatorType::kDomain, "google.com.evil.test.invalid-not"));
    EXPECT_FALSE(lists.Check(IndicatorType::kIpv4, "45.33.32.156"));
    EXPECT_FALSE(lists.Check(IndicatorType::kDomain, "notgoogle.com"));
    EXPECT_FALSE(lists.Add(R"({"name":"x","type":"cidr","list":["999.0.0.0/8"]})", "bad.json"));
}

TEST(Markings, KnownIdsAndVariants) {
    EXPECT_EQ(*TlpOfMarkingId("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"), access::Tlp::kClear);
    EXPECT_EQ(*TlpOfMarkingId("marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"), access::Tlp::kAmberStrict);
    EXPECT_EQ(*TlpOfMarkingId(TlpMarkingId(access::Tlp::kRed)), access::Tlp::kRed);
    auto opencti = core::ParseJsonObject(
        R"({"type":"marking-definition","id":"marking-definition--11111111-1111-4111-8111-111111111111",)"
        R"("x_opencti_definition_type":"TLP","x_opencti_definition":"TLP:AMBER+STRICT"})");
    EXPECT_EQ(*TlpOfMarking(*opencti), access::Tlp::kAmberStrict);
    auto statement = core::ParseJsonObject(
        R"({"type":"marking-definition","id":"marking-definition--22222222-2222-4222-8222-222222222222",)"
        R"("definition_type":"statement","definition":{"statement":"Copyright"}})");
    EXPECT_FALSE(TlpOfMarking(*statement));
    auto obj = TlpMarkingObject(access::Tlp::kAmberStrict);
    EXPECT_EQ(obj["name"].as_string(), "TLP:AMBER+STRICT");
    auto id = DerivedStixId("identity", "x");
    EXPECT_EQ(id, DerivedStixId("identity", "x"));
    EXPECT_EQ(id[24], '4');
}

TEST(Reader, StreamsObjectsAndReportsBrokenOnes) {
    std::istringstream in(R"({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
      "objects": [ {"type":"a","id":"x}\"y"} , 42, {"type":"b","nested":{"k":[1,{"z":"]"}]}} ], "extra": true})");
    StixObjectReader r(in);
    std::string text;
    ASSERT_TRUE(*r.Next(text));
    EXPECT_EQ(text, R"({"type":"a","id":"x}\"y"})");
    ASSERT_TRUE(*r.Next(text));
    EXPECT_EQ(text, "");  // not an object
    ASSERT_TRUE(*r.Next(text));
    EXPECT_EQ(text, R"({"type":"b","nested":{"k":[1,{"z":"]"}]}})");
    EXPECT_FALSE(*r.Next(text));
    EXPECT_EQ(r.bundle_id(), "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d");

    std::istringstream not_bundle(R"({"type":"report","objects":[]})");
    StixObjectReader r2(not_bundle);
    EXPECT_FALSE(r2.Next(text));
    std::istringstream cut(R"({"type":"bundle","objects":[{"type":"a"},{"type":)");
    StixObjectReader r3(cut);
    ASSERT_TRUE(*r3.Next(text));
    EXPECT_FALSE(r3.Next(text));
}

}  // namespace
}  // namespace muhafiz::intel
