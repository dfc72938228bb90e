#include "vulns/version.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace muhafiz::vulns {
namespace {

using enum VersionScheme;

// Every pair of the list compares in list order, both ways round.
void ExpectAscending(VersionScheme scheme, const std::vector<std::string_view>& versions) {
    for (std::size_t i = 0; i < versions.size(); ++i) {
        for (std::size_t j = i + 1; j < versions.size(); ++j) {
            const auto ab = CompareVersions(scheme, versions[i], versions[j]);
            const auto ba = CompareVersions(scheme, versions[j], versions[i]);
            ASSERT_TRUE(ab && ba) << versions[i] << " vs " << versions[j];
            EXPECT_LT(*ab, 0) << versions[i] << " < " << versions[j] << " in "
                              << SchemeName(scheme);
            EXPECT_GT(*ba, 0) << versions[j] << " > " << versions[i] << " in "
                              << SchemeName(scheme);
        }
    }
}

void ExpectEqual(VersionScheme scheme, std::string_view a, std::string_view b) {
    EXPECT_EQ(CompareVersions(scheme, a, b), std::optional<int>(0))
        << a << " == " << b << " in " << SchemeName(scheme);
}

void ExpectUndecidable(VersionScheme scheme, std::string_view garbage) {
    EXPECT_EQ(CompareVersions(scheme, garbage, "1.0"), std::nullopt)
        << "'" << garbage << "' in " << SchemeName(scheme);
    EXPECT_EQ(CompareVersions(scheme, "1.0", garbage), std::nullopt);
}

TEST(Version, GenericOrdersRealVersionStrings) {
    ExpectAscending(kGeneric, {"1.1.0", "1.1.0g", "1.1.0h", "1.1.1", "1.1.1w", "3.0.0-alpha1",
                               "3.0.0-beta2", "3.0.0-rc1", "3.0.0"});
    ExpectAscending(kGeneric, {"2.9.9", "2.9.9p2", "2.9.10"});
    ExpectAscending(kGeneric, {"9.3", "9.3p1", "9.3p2", "9.4", "9.10p1"});  // OpenSSH
    ExpectAscending(kGeneric, {"1.0-rc1", "1.0", "1.0.1"});
    ExpectAscending(kGeneric, {"9.9", "10.0.19041.1", "10.0.22000.2777"});
    ExpectAscending(kGeneric, {"10.2.9", "10.2.9-h1", "10.2.9-h2", "10.2.10"});  // PAN-OS hotfixes
    ExpectAscending(kGeneric, {"1.0~rc1", "1.0"});
    ExpectAscending(kGeneric, {"1.0", "1.0+test", "1.0.0.1"});
    ExpectEqual(kGeneric, "1.0", "1.0.0");
    ExpectEqual(kGeneric, "1.0+test", "1.0.0+test");
    ExpectEqual(kGeneric, "v1.2", "1.2");
    ExpectEqual(kGeneric, " 10.2.9-h1 ", "10.2.9-h1");  // CISA-ADP trailing spaces
    ExpectUndecidable(kGeneric, "See HP Security Bulletin reference for affected versions.");
    ExpectUndecidable(kGeneric, "n/a");
    ExpectUndecidable(kGeneric, "All");
    ExpectUndecidable(kGeneric, "");
}

TEST(Version, Semver) {
    // The precedence example of semver 2.0 §11.
    ExpectAscending(
        kSemver, {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                  "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"});
    ExpectEqual(kSemver, "1.0.0+build.5", "1.0.0");
    ExpectEqual(kSemver, "v0.13.0", "0.13.0");
    ExpectEqual(kSemver, "18.0", "18.0.0");  // CVE records write short cores
    ExpectAscending(kSemver, {"7.2.6", "7.2.7", "7.4.0"});
    ExpectUndecidable(kSemver, "6.1.*");
    ExpectUndecidable(kSemver, "1.0.0-");
    ExpectUndecidable(kSemver, "1.1.0g");
    ExpectUndecidable(kSemver, "63a07379fdb6c72450cb05294461c6016b8b7726");
}

TEST(Version, DebianMatchesDpkg) {
    // Each pair checked with `dpkg --compare-versions` on Debian 12.
    ExpectAscending(kDebian, {"2.31-1", "1:2.30-1ubuntu1~18.04", "1:2.30-1ubuntu1"});
    ExpectAscending(kDebian, {"2.30-1ubuntu1~18.04", "2.30-1ubuntu1~18.04.1"});
    ExpectAscending(kDebian, {"1.0~~", "1.0~", "1.0~rc1", "1.0", "1.0-1", "1.0+dfsg-1", "1.0.1"});
    ExpectAscending(kDebian, {"1.0a", "1.0+"});
    ExpectEqual(kDebian, "1.0", "1.0-0");
    ExpectEqual(kDebian, "0:1.0", "1.0");
    ExpectUndecidable(kDebian, "abc");
    ExpectUndecidable(kDebian, "x:1.0");
    ExpectUndecidable(kDebian, "1.0 beta");
}

TEST(Version, RpmVercmp) {
    // From rpm's own rpmvercmp test suite.
    ExpectAscending(kRpm, {"2.0.1", "2.0.1a"});
    ExpectAscending(kRpm, {"5.5p1", "5.5p2", "5.5p10"});
    ExpectAscending(kRpm, {"10xyz", "10.1xyz"});
    ExpectAscending(kRpm, {"6.0", "6.0.rc1"});
    ExpectAscending(kRpm, {"1.0~rc1~git123", "1.0~rc1", "1.0~rc1^git1", "1.0~rc2", "1.0",
                           "1.0^git1~pre", "1.0^git1", "1.0^git2", "1.01"});
    ExpectAscending(kRpm, {"1.0^20160101", "1.0.1"});
    ExpectAscending(kRpm, {"1.0a", "1.0.1"});  // numeric segments are newer than alphabetic
    ExpectAscending(kRpm, {"1.2.3-4.el8", "1.2.3-5.el8", "1.2.3-10.el8", "1.2.4-1.el8"});
    ExpectAscending(kRpm, {"1:9.9", "2:1.0"});
    ExpectEqual(kRpm, "1.2.3", "1.2.3-4.el8");  // no release: every release of 1.2.3
    ExpectEqual(kRpm, "0:1.2.3-4.el8", "1.2.3-4.el8");
    ExpectUndecidable(kRpm, "a b");
    ExpectUndecidable(kRpm, "x:1.0");
}

TEST(Version, MavenComparableVersion) {
    ExpectAscending(kMaven, {"2.0-beta9", "2.0", "2.3.2", "2.17.0"});  // Log4j
    ExpectAscending(kMaven, {"1.0-alpha1", "1.0-beta1", "1.0-milestone1", "1.0-rc1", "1.0-SNAPSHOT",
                             "1.0", "1.0-sp1", "1.0-xyz", "1.0.1"});
    ExpectAscending(kMaven, {"2.452.3", "2.452.4", "2.452.10", "2.462.1", "2.471"});  // Jenkins
    ExpectEqual(kMaven, "1.0-rc1", "1.0-cr1");
    ExpectEqual(kMaven, "1.0a1", "1.0-alpha-1");
    for (auto same : {"1", "1.0", "1.0.0", "1.0-ga", "1.0-final", "1.0-release", "1-GA"})
        ExpectEqual(kMaven, same, "1");
    ExpectUndecidable(kMaven, "log4j-core");
    ExpectUndecidable(kMaven, "2.0 beta");
}

TEST(Version, Pep440) {
    ExpectAscending(kPep440, {"1.0.dev3", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0+local.1",
                              "1.0.post1.dev1", "1.0.post1", "1.1.dev0", "1.1"});
    ExpectAscending(kPep440, {"2.0.0rc1", "2.0.0", "2.0.1", "1!0.5"});
    ExpectAscending(kPep440, {"1.0+abc", "1.0+abc.5", "1.0+5"});  // numeric local parts sort last
    ExpectEqual(kPep440, "1.0.0", "1.0");
    ExpectEqual(kPep440, "1.0-a1", "1.0a1");
    ExpectEqual(kPep440, "1.0ALPHA1", "1.0a1");
    ExpectEqual(kPep440, "1.0-1", "1.0.post1");
    ExpectEqual(kPep440, "1.0c1", "1.0rc1");
    ExpectEqual(kPep440, "v1.0.dev", "1.0.dev0");
    ExpectUndecidable(kPep440, "1.0-foo");
    ExpectUndecidable(kPep440, "abc");
}

TEST(Version, SchemesFromVersionTypeAndPurl) {
    EXPECT_EQ(SchemeFromVersionType("semver"), kSemver);
    EXPECT_EQ(SchemeFromVersionType("maven"), kMaven);
    EXPECT_EQ(SchemeFromVersionType("python"), kPep440);
    EXPECT_EQ(SchemeFromVersionType("rpm"), kRpm);
    EXPECT_EQ(SchemeFromVersionType("deb"), kDebian);
    EXPECT_EQ(SchemeFromVersionType("custom"), std::nullopt);
    EXPECT_EQ(SchemeFromVersionType("git"), std::nullopt);
    EXPECT_EQ(SchemeFromVersionType("original_commit_for_fix"), std::nullopt);
    EXPECT_EQ(SchemeFromPurlType("npm"), kSemver);
    EXPECT_EQ(SchemeFromPurlType("deb"), kDebian);
    EXPECT_EQ(SchemeFromPurlType("rpm"), kRpm);
    EXPECT_EQ(SchemeFromPurlType("maven"), kMaven);
    EXPECT_EQ(SchemeFromPurlType("pypi"), kPep440);
    EXPECT_EQ(SchemeFromPurlType("generic"), kGeneric);
    EXPECT_EQ(SchemeFromPurlType("nuget"), std::nullopt);
}

TEST(Version, RangesExplainThemselves) {
    const VersionBound from{"version", "2.4.0", true};
    const VersionBound to{"lessThan", "2.4.52", false};
    RangeCheck in = CheckRange(kSemver, "2.4.49", from, to);
    EXPECT_EQ(in.inside, true);
    EXPECT_EQ(in.explanation, "2.4.0 <= 2.4.49 < 2.4.52 (version, lessThan; semver)");
    RangeCheck above = CheckRange(kSemver, "2.4.52", from, to);
    EXPECT_EQ(above.inside, false);
    EXPECT_EQ(above.explanation, "2.4.52 >= 2.4.52 (version, lessThan; semver)");
    EXPECT_EQ(CheckRange(kSemver, "2.3.9", from, to).inside, false);

    // Series bounds and the unbounded markers of CVE 5.
    const VersionBound series{"lessThanOrEqual", "6.1.*", true};
    EXPECT_EQ(CheckRange(kSemver, "6.1.130", VersionBound{"version", "6.1.125"}, series).inside,
              true);
    EXPECT_EQ(CheckRange(kSemver, "6.2", VersionBound{"version", "6.1.125"}, series).inside, false);
    EXPECT_EQ(CheckRange(kMaven, "9.0", VersionBound{"version", "2.471"},
                         VersionBound{"lessThan", "*", false})
                  .inside,
              true);
    EXPECT_EQ(CheckRange(kSemver, "0.0.1", VersionBound{"version", "0"}, std::nullopt).inside,
              true);

    // Undecidable: nullopt with the offending bound named.
    RangeCheck bad = CheckRange(kMaven, "2.14.1", VersionBound{"version", "2.0-beta9"},
                                VersionBound{"lessThan", "log4j-core*", false});
    EXPECT_EQ(bad.inside, std::nullopt);
    EXPECT_EQ(bad.explanation, "cannot order 2.14.1 against lessThan 'log4j-core*' as maven");
}

}  // namespace
}  // namespace muhafiz::vulns
