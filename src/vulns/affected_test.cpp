#include "vulns/affected.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace muhafiz::vulns {
namespace {

namespace json = core::json;
using enum VersionScheme;

// A real CVE 5 record from tests/data/vuln/cve5/ (see tests/data/vuln/SOURCES.md).
json::value LoadRecord(std::string_view id) {
    const char* root = std::getenv("MUHAFIZ_SOURCE_DIR");
    const std::string path =
        std::string(root ? root : ".") + "/tests/data/vuln/cve5/" + std::string(id) + ".json";
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    auto v = core::ParseJson(text.str());
    EXPECT_TRUE(v) << path;
    return v ? *v : json::value();
}

// The affected[] entries of the CNA container, or of the ADP container with that short name.
std::vector<AffectedEntry> Affected(std::string_view id, std::string_view adp = {}) {
    const json::value record = LoadRecord(id);
    const json::object& containers = record.at("containers").as_object();
    const json::value* affected = nullptr;
    if (adp.empty()) {
        affected = &containers.at("cna").at("affected");
    } else {
        for (const auto& c : containers.at("adp").as_array())
            if (c.at("providerMetadata").at("shortName").as_string() == adp)
                affected = &c.at("affected");
    }
    EXPECT_NE(affected, nullptr);
    auto entries = ParseAffected(affected ? *affected : json::value(), "affected");
    EXPECT_TRUE(entries) << (entries ? "" : entries.error().message);
    return entries ? *entries : std::vector<AffectedEntry>();
}

void ExpectStatus(const AffectedEntry& entry, std::string_view version,
                  std::optional<VersionScheme> hint, VulnStatus expected,
                  std::string_view reason = {}) {
    const Decision d = Evaluate(entry, version, hint);
    EXPECT_EQ(VulnStatusName(d.status), VulnStatusName(expected)) << version << ": " << d.reason;
    EXPECT_NE(d.reason.find(reason), std::string::npos) << version << ": " << d.reason;
}

TEST(Affected, JenkinsUnaffectedSeriesWithDefaultAffected) {
    // CVE-2024-43044: maven ranges, only unaffected entries, defaultStatus affected, `2.452.*`.
    const auto entries = Affected("CVE-2024-43044");
    ASSERT_EQ(entries.size(), 1u);
    const AffectedEntry& jenkins = entries[0];
    ExpectStatus(jenkins, "2.452.3", std::nullopt, VulnStatus::kAffected,
                 "no versions[] item matches 2.452.3; defaultStatus affected");
    ExpectStatus(jenkins, "2.452.4", std::nullopt, VulnStatus::kUnaffected,
                 "versions[0]: 2.452.4 <= 2.452.4 <= 2.452.* (version, lessThan; maven), "
                 "status unaffected");
    ExpectStatus(jenkins, "2.452.10", std::nullopt, VulnStatus::kUnaffected, "versions[0]");
    ExpectStatus(jenkins, "2.460", std::nullopt, VulnStatus::kAffected, "defaultStatus");
    ExpectStatus(jenkins, "2.462.1", std::nullopt, VulnStatus::kUnaffected, "versions[1]");
    ExpectStatus(jenkins, "2.471", std::nullopt, VulnStatus::kUnaffected, "versions[2]");
    ExpectStatus(jenkins, "2.500", std::nullopt, VulnStatus::kUnaffected, "2.471 <= 2.500 < *");
}

TEST(Affected, Log4jChangesAreAppliedInOrder) {
    // CVE-2021-44228: one custom range from 2.0-beta9 with five `changes`; its upper bound
    // `log4j-core*` is not a version, so no ordering can place a version inside it.
    auto entries = Affected("CVE-2021-44228");
    ASSERT_EQ(entries.size(), 1u);
    ExpectStatus(entries[0], "2.14.1", kMaven, VulnStatus::kUnknown,
                 "versions[0]: cannot order 2.14.1 against lessThan 'log4j-core*' as maven");
    ExpectStatus(entries[0], "2.14.1", std::nullopt, VulnStatus::kUnknown,
                 "versionType 'custom' has no known ordering and no scheme hint was given");

    // The same range with a real upper bound: changes decide, the last applicable one wins.
    AffectedEntry log4j = entries[0];
    log4j.versions[0].less_than = "2.17.1";
    std::reverse(log4j.versions[0].changes.begin(), log4j.versions[0].changes.end());
    ExpectStatus(log4j, "2.0-beta9", kMaven, VulnStatus::kAffected,
                 "versions[0]: 2.0-beta9 <= 2.0-beta9 < 2.17.1 (version, lessThan; maven), "
                 "status affected");
    ExpectStatus(log4j, "2.3", kMaven, VulnStatus::kAffected);
    ExpectStatus(log4j, "2.3.1", kMaven, VulnStatus::kUnaffected, "changes[4] at 2.3.1 <= 2.3.1");
    ExpectStatus(log4j, "2.4", kMaven, VulnStatus::kAffected, "changes[3] at 2.4");
    ExpectStatus(log4j, "2.12.1", kMaven, VulnStatus::kAffected);
    ExpectStatus(log4j, "2.12.2", kMaven, VulnStatus::kUnaffected);
    ExpectStatus(log4j, "2.14.1", kMaven, VulnStatus::kAffected, "changes[1] at 2.13.0");
    ExpectStatus(log4j, "2.15.0", kMaven, VulnStatus::kUnaffected);
    ExpectStatus(log4j, "2.17.1", kMaven, VulnStatus::kUnknown, "no defaultStatus");
    ExpectStatus(log4j, "2.0-beta8", kMaven, VulnStatus::kUnknown, "no versions[] item matches");
}

TEST(Affected, PanOsCustomRangesNeedAScheme) {
    // CVE-2024-3400: single versions, then custom ranges up to hotfix versions.
    const auto cna = Affected("CVE-2024-3400");
    const AffectedEntry& panos = cna[0];
    ExpectStatus(panos, "9.1.0", std::nullopt, VulnStatus::kUnaffected, "versions[1]: 9.1.0 == 9.1.0");
    ExpectStatus(panos, "10.2.5", std::nullopt, VulnStatus::kUnknown,
                 "versions[4]: versionType 'custom' has no known ordering");
    ExpectStatus(panos, "10.2.5", kGeneric, VulnStatus::kAffected,
                 "versions[4]: 10.2.0 <= 10.2.5 < 10.2.9-h1 (version, lessThan; generic)");
    ExpectStatus(panos, "11.1.2-h1", kGeneric, VulnStatus::kAffected, "versions[6]");
    ExpectStatus(panos, "11.1.2-h3", kGeneric, VulnStatus::kUnaffected, "defaultStatus unaffected");
    // "All" is not a version: the product is neither matched nor silently cleared.
    ExpectStatus(cna[1], "10.2.5", kGeneric, VulnStatus::kUnknown, "cannot order 10.2.5 against");

    // The CISA-ADP copy writes "10.2.9-h1 " with a trailing space.
    const auto adp = Affected("CVE-2024-3400", "CISA-ADP");
    ASSERT_EQ(adp[0].versions[0].less_than, "10.2.9-h1");
    ExpectStatus(adp[0], "10.2.9", kGeneric, VulnStatus::kAffected);
    ExpectStatus(adp[0], "10.2.9-h1", kGeneric, VulnStatus::kUnknown, "defaultStatus unknown");
}

TEST(Affected, LinuxGitAndSemverEntries) {
    // CVE-2025-21631: git commit ranges cannot be ordered without the repository.
    const auto entries = Affected("CVE-2025-21631");
    ASSERT_EQ(entries.size(), 2u);
    ExpectStatus(entries[0], "6.12.5", kSemver, VulnStatus::kUnknown,
                 "versions[0]: versionType git orders commits and needs the repository");
    const AffectedEntry& linux = entries[1];
    ExpectStatus(linux, "6.12", kSemver, VulnStatus::kAffected, "versions[0]: 6.12 == 6.12");
    ExpectStatus(linux, "6.1.100", kSemver, VulnStatus::kUnaffected, "0 <= 6.1.100 < 6.12");
    ExpectStatus(linux, "6.12.5", kSemver, VulnStatus::kAffected, "defaultStatus affected");
    ExpectStatus(linux, "6.12.10", kSemver, VulnStatus::kUnaffected,
                 "6.12.10 <= 6.12.10 <= 6.12.* (version, lessThanOrEqual; semver)");
    ExpectStatus(linux, "6.14", kSemver, VulnStatus::kUnaffected, "versions[6]: 6.13 <= 6.14 <= *");
    // `original_commit_for_fix` is no ordering we know: without a hint that item is undecided.
    ExpectStatus(linux, "6.12.5", std::nullopt, VulnStatus::kUnknown, "versions[6]");
}

TEST(Affected, TextRangesFreeTextAndSingleVersions) {
    // CVE-2023-45803 (GitHub): ranges written as text, no versionType.
    const auto urllib3 = Affected("CVE-2023-45803");
    ExpectStatus(urllib3[0], "2.0.3", kPep440, VulnStatus::kAffected,
                 "versions[0]: 2.0.0 <= 2.0.3 < 2.0.7 (version; pep440), status affected");
    ExpectStatus(urllib3[0], "1.26.17", kPep440, VulnStatus::kAffected, "versions[1]");
    ExpectStatus(urllib3[0], "2.0.7", kPep440, VulnStatus::kUnknown, "no defaultStatus");

    // CVE-2024-29080 (HP): free text where a version should be.
    const auto hp = Affected("CVE-2024-29080");
    ExpectStatus(hp[0], "1.2", std::nullopt, VulnStatus::kUnknown,
                 "versions[0]: cannot order 1.2 against version 'See HP Security Bulletin");

    // CVE-2024-3094 (xz): single versions, and Red Hat entries with only defaultStatus.
    const auto xz = Affected("CVE-2024-3094");
    ExpectStatus(xz[0], "5.6.1", std::nullopt, VulnStatus::kAffected, "versions[1]: 5.6.1 == 5.6.1");
    ExpectStatus(xz[0], "5.4.6", std::nullopt, VulnStatus::kUnaffected, "defaultStatus unaffected");
    EXPECT_EQ(xz[5].cpes, std::vector<std::string>{"cpe:/o:redhat:enterprise_linux:9"});
    ExpectStatus(xz[5], "5.2.5-8.el9_0", kRpm, VulnStatus::kUnaffected, "defaultStatus unaffected");
}

TEST(Affected, FortinetCnaAndAdpRanges) {
    // CVE-2024-21762: semver lessThanOrEqual in the CNA entry, custom ranges from CISA-ADP.
    const auto cna = Affected("CVE-2024-21762");
    const AffectedEntry& fortios = cna[1];
    ExpectStatus(fortios, "7.2.6", std::nullopt, VulnStatus::kAffected,
                 "versions[1]: 7.2.0 <= 7.2.6 <= 7.2.6 (version, lessThanOrEqual; semver)");
    ExpectStatus(fortios, "7.2.7", std::nullopt, VulnStatus::kUnaffected, "defaultStatus");
    ExpectStatus(fortios, "7.2.6 build1575", std::nullopt, VulnStatus::kUnknown, "cannot order");
    const auto adp = Affected("CVE-2024-21762", "CISA-ADP");
    ExpectStatus(adp[7], "7.2.6", std::nullopt, VulnStatus::kUnknown, "custom");
    ExpectStatus(adp[7], "7.2.6", kSemver, VulnStatus::kAffected, "7.2.0 <= 7.2.6 < 7.2.7");
}

TEST(Affected, ParserReportsBadFields) {
    auto parse = [](std::string_view text) {
        return ParseAffected(*core::ParseJson(text), "affected");
    };
    auto bad_status =
        parse(R"([{"product":"x","versions":[{"version":"1","status":"vulnerable"}]}])");
    ASSERT_FALSE(bad_status);
    EXPECT_EQ(bad_status.error().field, "affected[0].versions[0].status");
    EXPECT_EQ(bad_status.error().code, core::ErrorCode::kInvalidArgument);

    auto no_version = parse(R"([{"versions":[{"status":"affected"}]}])");
    ASSERT_FALSE(no_version);
    EXPECT_EQ(no_version.error().field, "affected[0].versions[0].version");

    auto both = parse(
        R"([{"versions":[{"version":"1","status":"affected","lessThan":"2","lessThanOrEqual":"2"}]}])");
    ASSERT_FALSE(both);
    EXPECT_EQ(both.error().field, "affected[0].versions[0].lessThanOrEqual");

    auto change = parse(R"([{"versions":[{"version":"1","status":"affected","lessThan":"3",
                                         "changes":[{"at":2,"status":"unaffected"}]}]}])");
    ASSERT_FALSE(change);
    EXPECT_EQ(change.error().field, "affected[0].versions[0].changes[0].at");

    auto cpes = parse(R"([{"cpes":"cpe:2.3:a:x:y:*:*:*:*:*:*:*:*"}])");
    ASSERT_FALSE(cpes);
    EXPECT_EQ(cpes.error().field, "affected[0].cpes");

    EXPECT_FALSE(parse(R"({"vendor":"x"})"));
    EXPECT_FALSE(parse(R"([{"defaultStatus":"maybe"}])"));
}

TEST(Affected, UnparsableVersionsAreUnknownNeverUnaffected) {
    auto entries = ParseAffected(*core::ParseJson(R"([{"defaultStatus":"unaffected","versions":[
        {"version":"1.0.0","lessThan":"1.4.0","status":"affected","versionType":"semver"}]}])"));
    ASSERT_TRUE(entries);
    ExpectStatus((*entries)[0], "1.2.0", std::nullopt, VulnStatus::kAffected);
    ExpectStatus((*entries)[0], "1.5.0", std::nullopt, VulnStatus::kUnaffected);
    ExpectStatus((*entries)[0], "banana", std::nullopt, VulnStatus::kUnknown,
                 "versions[0]: cannot order banana against version '1.0.0' as semver");
    ExpectStatus((*entries)[0], "1.1.0g", std::nullopt, VulnStatus::kUnknown, "as semver");
    ExpectStatus((*entries)[0], "1.1.0g", kGeneric, VulnStatus::kUnknown, "as semver");
}

}  // namespace
}  // namespace muhafiz::vulns
