#include "vulns/cpe.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace muhafiz::vulns {
namespace {

namespace json = core::json;
using enum VersionScheme;

Cpe Name(std::string_view text) {
    auto cpe = ParseCpe(text);
    EXPECT_TRUE(cpe) << text << ": " << (cpe ? "" : cpe.error().message);
    return cpe ? *cpe : Cpe{};
}

// The configurations of a real NVD API 2.0 response in tests/data/vuln/nvd2/.
std::vector<CpeConfiguration> NvdConfigurations(std::string_view id) {
    const char* root = std::getenv("MUHAFIZ_SOURCE_DIR");
    std::ifstream in(std::string(root ? root : ".") + "/tests/data/vuln/nvd2/" + std::string(id) +
                     ".json");
    std::stringstream text;
    text << in.rdbuf();
    auto response = core::ParseJson(text.str());
    EXPECT_TRUE(response) << id;
    if (!response) return {};
    auto configs =
        ParseConfigurations(response->at("vulnerabilities").at(0).at("cve").at("configurations"));
    EXPECT_TRUE(configs) << (configs ? "" : configs.error().message);
    return configs ? *configs : std::vector<CpeConfiguration>();
}

std::vector<CpeConfiguration> Configurations(std::string_view text) {
    auto configs = ParseConfigurations(*core::ParseJson(text));
    EXPECT_TRUE(configs) << (configs ? "" : configs.error().message);
    return configs ? *configs : std::vector<CpeConfiguration>();
}

CpeMatch Criterion(std::string_view criteria, std::optional<std::string> start_including,
                   std::optional<std::string> end_excluding) {
    CpeMatch m;
    m.vulnerable = true;
    m.criteria = Name(criteria);
    m.version_start_including = std::move(start_including);
    m.version_end_excluding = std::move(end_excluding);
    return m;
}

TEST(Cpe, ParsesFormattedStringsWithEscapes) {
    const Cpe ie = Name("cpe:2.3:a:Microsoft:Internet_Explorer:8.0.6001:beta:*:*:*:*:*:*");
    EXPECT_EQ(ie[CpeAttribute::kVendor].text, "microsoft");
    EXPECT_EQ(ie[CpeAttribute::kUpdate].text, "beta");
    EXPECT_EQ(ie[CpeAttribute::kEdition].kind, CpeValue::Kind::kAny);
    EXPECT_EQ(ie.ToString(), "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*");

    const Cpe escaped = Name(R"(cpe:2.3:a:foo\:bar:big\$money_2010:1.0:-:*:*:*:*:*:*)");
    EXPECT_EQ(escaped[CpeAttribute::kVendor].text, "foo:bar");
    EXPECT_EQ(escaped[CpeAttribute::kProduct].text, "big$money_2010");
    EXPECT_EQ(escaped[CpeAttribute::kUpdate].kind, CpeValue::Kind::kNa);
    EXPECT_EQ(escaped.ToString(), R"(cpe:2.3:a:foo\:bar:big\$money_2010:1.0:-:*:*:*:*:*:*)");

    const Cpe wild = Name(R"(cpe:2.3:a:micro*:?ffice:*:*:*:*:*:*:*:*)");
    EXPECT_EQ(wild[CpeAttribute::kVendor].text, "micro");
    EXPECT_EQ(wild[CpeAttribute::kVendor].tail, "*");
    EXPECT_EQ(wild[CpeAttribute::kProduct].head, "?");
    EXPECT_EQ(Name(R"(cpe:2.3:a:a\*b:x:*:*:*:*:*:*:*:*)")[CpeAttribute::kVendor].text, "a*b");

    for (auto bad : {"cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*",  // 10 attributes
                     "cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*:*", "cpe:2.2:a:x:y",
                     "cpe:2.3:x:vendor:product:*:*:*:*:*:*:*:*", "cpe:2.3:a:fo*o:x:*:*:*:*:*:*:*:*",
                     "cpe:2.3:a::x:*:*:*:*:*:*:*:*", "cpe:2.3:a:x\\", "pkg:npm/foo@1.0"}) {
        auto cpe = ParseCpe(bad);
        EXPECT_FALSE(cpe) << bad;
        if (!cpe) {
            EXPECT_EQ(cpe.error().code, core::ErrorCode::kInvalidArgument);
        }
    }
}

TEST(Cpe, ConvertsUriBinding) {
    // Red Hat's CPE 2.2 URIs in CVE-2024-3094.
    EXPECT_EQ(Name("cpe:/o:redhat:enterprise_linux:9").ToString(),
              "cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*");
    EXPECT_EQ(Name("cpe:/a:redhat:jboss_enterprise_application_platform:8").ToString(),
              "cpe:2.3:a:redhat:jboss_enterprise_application_platform:8:*:*:*:*:*:*:*");
    const Cpe packed = Name("cpe:/a:hp:insight_diagnostics:7.4.0.1570::~~online~win2003~x64~");
    EXPECT_EQ(packed.ToString(),
              "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:*:*:*:online:win2003:x64:*");
    EXPECT_EQ(Name("cpe:/a:foo%7ebar:big%24money:-").ToString(),
              R"(cpe:2.3:a:foo\~bar:big\$money:-:*:*:*:*:*:*:*)");
    EXPECT_FALSE(ParseCpe("cpe:/a:x:y:1:2:3:4:5"));
}

TEST(Cpe, AttributeRelationsFollowNistir7696) {
    auto rel = [](std::string_view source, std::string_view target) {
        return CompareCpeValues(
            Name("cpe:2.3:a:" + std::string(source) + ":p:*:*:*:*:*:*:*:*")[CpeAttribute::kVendor],
            Name("cpe:2.3:a:" + std::string(target) + ":p:*:*:*:*:*:*:*:*")[CpeAttribute::kVendor]);
    };
    EXPECT_EQ(rel("*", "*"), CpeRelation::kEqual);
    EXPECT_EQ(rel("*", "-"), CpeRelation::kSuperset);
    EXPECT_EQ(rel("*", "apache"), CpeRelation::kSuperset);
    EXPECT_EQ(rel("-", "*"), CpeRelation::kSubset);
    EXPECT_EQ(rel("-", "-"), CpeRelation::kEqual);
    EXPECT_EQ(rel("-", "apache"), CpeRelation::kDisjoint);
    EXPECT_EQ(rel("apache", "*"), CpeRelation::kSubset);
    EXPECT_EQ(rel("apache", "-"), CpeRelation::kDisjoint);
    EXPECT_EQ(rel("apache", "Apache"), CpeRelation::kEqual);
    EXPECT_EQ(rel("apache", "nginx"), CpeRelation::kDisjoint);
    EXPECT_EQ(rel("micro*", "microsoft"), CpeRelation::kSuperset);
    EXPECT_EQ(rel("*soft", "microsoft"), CpeRelation::kSuperset);
    EXPECT_EQ(rel("?pache", "apache"), CpeRelation::kSuperset);
    EXPECT_EQ(rel("?pache", "xapache"), CpeRelation::kDisjoint);
    EXPECT_EQ(rel("micro*", "macrosoft"), CpeRelation::kDisjoint);
    EXPECT_EQ(rel("apache", "apa*"), CpeRelation::kUndefined);
}

TEST(Cpe, CriteriaWithVersionBounds) {
    const CpeMatch openssl =
        Criterion("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", "1.1.0", "1.1.0h");
    auto g =
        MatchCpe(openssl, Name("cpe:2.3:a:openssl:openssl:1.1.0g:*:*:*:*:*:*:*"), std::nullopt);
    EXPECT_EQ(g.matches, true);
    EXPECT_EQ(g.reason,
              "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:* against "
              "cpe:2.3:a:openssl:openssl:1.1.0g:*:*:*:*:*:*:*: 1.1.0 <= 1.1.0g < 1.1.0h "
              "(versionStartIncluding, versionEndExcluding; generic)");
    EXPECT_EQ(MatchCpe(openssl, Name("cpe:2.3:a:openssl:openssl:1.1.0h:*:*:*:*:*:*:*"), {}).matches,
              false);
    EXPECT_EQ(MatchCpe(openssl, Name("cpe:2.3:a:openssl:openssl:1.1.1w:*:*:*:*:*:*:*"), {}).matches,
              false);
    EXPECT_EQ(MatchCpe(openssl, Name("cpe:2.3:a:openssl:openssl:1.0.2u:*:*:*:*:*:*:*"), {}).matches,
              false);

    const CpeMatch openssh =
        Criterion("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", std::nullopt, "9.3p2");
    EXPECT_EQ(MatchCpe(openssh, Name("cpe:2.3:a:openbsd:openssh:9.3p1:*:*:*:*:*:*:*"), {}).matches,
              true);
    EXPECT_EQ(MatchCpe(openssh, Name("cpe:2.3:a:openbsd:openssh:9.3p2:*:*:*:*:*:*:*"), {}).matches,
              false);

    // An inventory that leaves the version open cannot be placed in a range.
    auto open = MatchCpe(openssl, Name("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"), {});
    EXPECT_EQ(open.matches, std::nullopt);
    EXPECT_NE(open.reason.find("version bounds need an inventory version"), std::string::npos);
    // Nor can a version the hinted scheme cannot read.
    auto garbage =
        MatchCpe(openssl, Name("cpe:2.3:a:openssl:openssl:1.1.0g:*:*:*:*:*:*:*"), kSemver);
    EXPECT_EQ(garbage.matches, std::nullopt);
    EXPECT_NE(garbage.reason.find("cannot order 1.1.0g"), std::string::npos);
}

TEST(Cpe, GuardsAgainstWildcardFalsePositives) {
    const CpeMatch any_any = Criterion("cpe:2.3:a:*:*:*:*:*:*:*:*:*:*", std::nullopt, std::nullopt);
    auto r = MatchCpe(any_any, Name("cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"), {});
    EXPECT_EQ(r.matches, false);
    EXPECT_NE(r.reason.find("rejected: wildcard vendor and product"), std::string::npos);
    const CpeMatch globs = Criterion("cpe:2.3:a:*:*:1.0:*:*:*:*:*:*:*", std::nullopt, std::nullopt);
    EXPECT_EQ(MatchCpe(globs, Name("cpe:2.3:a:x:y:1.0:*:*:*:*:*:*:*"), {}).matches, false);

    // Vendor named by the criterion but left open by the inventory: unknown, not a match.
    const CpeMatch log4j = Criterion("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", "2.0", "2.15.0");
    auto open_vendor = MatchCpe(log4j, Name("cpe:2.3:a:*:log4j:2.14.1:*:*:*:*:*:*:*"), {});
    EXPECT_EQ(open_vendor.matches, std::nullopt);
    EXPECT_NE(open_vendor.reason.find("inventory leaves vendor open"), std::string::npos);
    EXPECT_EQ(MatchCpe(log4j, Name("cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"), kMaven).matches,
              true);

    // Inventory names without a product are not used at all.
    const auto configs = Configurations(R"([{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[
        {"vulnerable":true,"criteria":"cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*"}]}]}])");
    const Decision d =
        EvaluateConfigurations(configs, {Name("cpe:2.3:a:apache:*:*:*:*:*:*:*:*:*")}, {});
    EXPECT_EQ(d.status, VulnStatus::kUnknown);
    EXPECT_EQ(d.reason, "no inventory CPE names a product");
}

TEST(Cpe, NvdAndConfigurationNeedsThePlatform) {
    // CVE-2020-13595: esp-idf 4.0.0..4.2 (vulnerable) AND running on esp32 (platform).
    const auto configs = NvdConfigurations("CVE-2020-13595");
    ASSERT_EQ(configs.size(), 1u);
    EXPECT_EQ(configs[0].op, CpeOperator::kAnd);
    const Cpe idf41 = Name("cpe:2.3:a:espressif:esp-idf:4.1:*:*:*:*:*:*:*");
    const Cpe esp32 = Name("cpe:2.3:h:espressif:esp32:-:*:*:*:*:*:*:*");

    const Decision both = EvaluateConfigurations(configs, {idf41, esp32}, std::nullopt);
    EXPECT_EQ(both.status, VulnStatus::kAffected) << both.reason;
    EXPECT_EQ(both.reason,
              "configurations[0]: nodes[0]: cpeMatch[0]: vulnerable "
              "cpe:2.3:a:espressif:esp-idf:*:*:*:*:*:*:*:* against "
              "cpe:2.3:a:espressif:esp-idf:4.1:*:*:*:*:*:*:*: 4.0.0 <= 4.1 <= 4.2 "
              "(versionStartIncluding, versionEndIncluding; generic); nodes[1]: cpeMatch[0]: "
              "platform cpe:2.3:h:espressif:esp32:-:*:*:*:*:*:*:* against "
              "cpe:2.3:h:espressif:esp32:-:*:*:*:*:*:*:*: matches");
    EXPECT_EQ(EvaluateConfigurations(configs, {idf41}, {}).status, VulnStatus::kUnaffected);
    const Decision platform_only = EvaluateConfigurations(configs, {esp32}, {});
    EXPECT_EQ(platform_only.status, VulnStatus::kUnaffected) << platform_only.reason;
    const Cpe idf43 = Name("cpe:2.3:a:espressif:esp-idf:4.3:*:*:*:*:*:*:*");
    EXPECT_EQ(EvaluateConfigurations(configs, {idf43, esp32}, {}).status, VulnStatus::kUnaffected);
    const Cpe idf_any = Name("cpe:2.3:a:espressif:esp-idf:*:*:*:*:*:*:*:*");
    EXPECT_EQ(EvaluateConfigurations(configs, {idf_any, esp32}, {}).status, VulnStatus::kUnknown);
}

TEST(Cpe, NvdAlternativeConfigurations) {
    // CVE-2023-4863 (libwebp): six OR configurations over browsers, distributions and libwebp.
    const auto configs = NvdConfigurations("CVE-2023-4863");
    ASSERT_EQ(configs.size(), 6u);
    auto status = [&](std::string_view cpe) {
        return EvaluateConfigurations(configs, {Name(cpe)}, std::nullopt);
    };
    const Decision chrome = status("cpe:2.3:a:google:chrome:116.0.5845.180:*:*:*:*:*:*:*");
    EXPECT_EQ(chrome.status, VulnStatus::kAffected);
    EXPECT_NE(chrome.reason.find("configurations[0]: nodes[0]: cpeMatch[0]: vulnerable"),
              std::string::npos);
    EXPECT_EQ(status("cpe:2.3:a:google:chrome:116.0.5845.187:*:*:*:*:*:*:*").status,
              VulnStatus::kUnaffected);
    EXPECT_EQ(status("cpe:2.3:o:debian:debian_linux:12.0:*:*:*:*:*:*:*").status, VulnStatus::kAffected);
    EXPECT_EQ(status("cpe:2.3:o:debian:debian_linux:13.0:*:*:*:*:*:*:*").status,
              VulnStatus::kUnaffected);
    const Decision esr = status("cpe:2.3:a:mozilla:firefox_esr:115.2.0:*:*:*:*:*:*:*");
    EXPECT_EQ(esr.status, VulnStatus::kAffected);
    EXPECT_NE(esr.reason.find("cpeMatch[2]"), std::string::npos) << esr.reason;
    EXPECT_EQ(status("cpe:2.3:a:mozilla:firefox_esr:115.2.1:*:*:*:*:*:*:*").status,
              VulnStatus::kUnaffected);
    EXPECT_EQ(status("cpe:2.3:a:webmproject:libwebp:1.3.1:*:*:*:*:*:*:*").status,
              VulnStatus::kAffected);
    EXPECT_EQ(status("cpe:2.3:a:webmproject:libwebp:1.3.2:*:*:*:*:*:*:*").status,
              VulnStatus::kUnaffected);
    EXPECT_EQ(status("cpe:2.3:a:webmproject:libwebp:*:*:*:*:*:*:*:*").status, VulnStatus::kUnknown);
    EXPECT_EQ(EvaluateConfigurations({}, {Name("cpe:2.3:a:x:y:1:*:*:*:*:*:*:*")}, {}).status,
              VulnStatus::kUnknown);
}

TEST(Cpe, NegatedNodesAndPlatformOnlyMatches) {
    // Vulnerable on every build of the product except the fixed one (negated node).
    const auto configs = Configurations(R"([{"operator":"AND","nodes":[
        {"operator":"OR","negate":false,"cpeMatch":[
            {"vulnerable":true,"criteria":"cpe:2.3:o:paloaltonetworks:pan-os:*:*:*:*:*:*:*:*",
             "versionStartIncluding":"10.2.0","versionEndExcluding":"10.3"}]},
        {"operator":"OR","negate":true,"cpeMatch":[
            {"vulnerable":false,"criteria":"cpe:2.3:o:paloaltonetworks:pan-os:10.2.9-h1:*:*:*:*:*:*:*"}]}]}])");
    const Decision hotfixed = EvaluateConfigurations(
        configs, {Name("cpe:2.3:o:paloaltonetworks:pan-os:10.2.9-h1:*:*:*:*:*:*:*")}, {});
    EXPECT_EQ(hotfixed.status, VulnStatus::kUnaffected) << hotfixed.reason;
    const Decision older = EvaluateConfigurations(
        configs, {Name("cpe:2.3:o:paloaltonetworks:pan-os:10.2.5:*:*:*:*:*:*:*")}, {});
    EXPECT_EQ(older.status, VulnStatus::kAffected) << older.reason;
    EXPECT_NE(older.reason.find("nodes[1]: negated ("), std::string::npos) << older.reason;

    // A configuration that holds only through a `vulnerable: false` entry affects nothing.
    const auto platform = Configurations(R"([{"nodes":[{"operator":"OR","cpeMatch":[
        {"vulnerable":false,"criteria":"cpe:2.3:h:espressif:esp32:-:*:*:*:*:*:*:*"}]}]}])");
    const Decision d =
        EvaluateConfigurations(platform, {Name("cpe:2.3:h:espressif:esp32:-:*:*:*:*:*:*:*")}, {});
    EXPECT_EQ(d.status, VulnStatus::kUnaffected);
    EXPECT_NE(d.reason.find("only platform criteria match"), std::string::npos) << d.reason;
}

TEST(Cpe, ConfigurationParserReportsBadFields) {
    auto parse = [](std::string_view text) { return ParseConfigurations(*core::ParseJson(text)); };
    auto bad_cpe = parse(R"([{"nodes":[{"operator":"OR","cpeMatch":[
        {"vulnerable":true,"criteria":"cpe:2.3:a:x"}]}]}])");
    ASSERT_FALSE(bad_cpe);
    EXPECT_EQ(bad_cpe.error().field, "configurations[0].nodes[0].cpeMatch[0].criteria");
    auto bad_op = parse(R"([{"nodes":[{"operator":"XOR","cpeMatch":[]}]}])");
    ASSERT_FALSE(bad_op);
    EXPECT_EQ(bad_op.error().field, "configurations[0].nodes[0].operator");
    auto no_flag =
        parse(R"([{"nodes":[{"cpeMatch":[{"criteria":"cpe:2.3:a:x:y:*:*:*:*:*:*:*:*"}]}]}])");
    ASSERT_FALSE(no_flag);
    EXPECT_EQ(no_flag.error().field, "configurations[0].nodes[0].cpeMatch[0].vulnerable");
    auto bad_negate = parse(R"([{"negate":"yes","nodes":[]}])");
    ASSERT_FALSE(bad_negate);
    EXPECT_EQ(bad_negate.error().field, "configurations[0].negate");
    EXPECT_FALSE(parse(R"({"nodes":[]})"));
}

}  // namespace
}  // namespace muhafiz::vulns
