// Version ordering for vulnerability matching: one comparator per versioning scheme (semver,
// Debian, RPM, Maven, PEP 440 and a generic tokenizer), scheme inference from CVE 5
// `versionType` and purl types, and range checks that explain themselves.
//
// A comparison that cannot be decided (a string the scheme cannot parse, garbage, free text)
// yields nullopt, never an arbitrary order: callers turn that into "unknown", not "unaffected".
// Inputs are trimmed before use. Thread-safety: pure functions, no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace muhafiz::vulns {

enum class VersionScheme {
    kSemver,   // semver 2.0, lenient: any number of numeric core parts, optional leading `v`
    kDebian,   // dpkg --compare-versions: [epoch:]upstream[-revision], `~` before everything
    kRpm,      // rpmvercmp: [epoch:]version[-release], `~` pre-release, `^` post-release;
               // a version without release equals every release of it (as rpm/yum match)
    kMaven,    // Maven ComparableVersion, quirks included; must start with a digit
    kPep440,   // PEP 440: [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
    kGeneric,  // fallback tokenizer: numbers numerically, known pre-release words below release
};

// Stable lower-case name ("semver", "debian", "rpm", "maven", "pep440", "generic").
[[nodiscard]] std::string_view SchemeName(VersionScheme scheme);

// Scheme for a CVE 5 `versionType` ("semver", "maven", "python", "rpm", "deb", ...), matched
// case-insensitively. nullopt for orderings that cannot be evaluated here (`git` needs the
// repository, `custom` is vendor-defined) and for unknown strings.
[[nodiscard]] std::optional<VersionScheme> SchemeFromVersionType(std::string_view version_type);

// Scheme for a purl type: npm/cargo/golang → semver, deb → Debian, rpm → RPM, maven → Maven,
// pypi → PEP 440, generic → generic; nullopt otherwise.
[[nodiscard]] std::optional<VersionScheme> SchemeFromPurlType(std::string_view purl_type);

// <0, 0 or >0 as a sorts before, equal to or after b; nullopt when either cannot be parsed
// in `scheme`.
[[nodiscard]] std::optional<int> CompareVersions(VersionScheme scheme, std::string_view a,
                                                 std::string_view b);

// One end of a version range, named after the record field it came from.
// Conventions (CVE 5, also accepted for NVD bounds): an upper bound `*` is unbounded; an upper
// bound `P.*` stands for the whole P series (every version equal to P or starting with P
// followed by a separator lies below it, inclusive or not); a lower bound `0` or `*` is unbounded.
struct VersionBound {
    std::string_view field;  // e.g. "version", "lessThan", "versionEndExcluding"
    std::string_view value;
    bool inclusive = true;
};

struct RangeCheck {
    std::optional<bool> inside;  // nullopt: undecidable
    std::string explanation;     // e.g. "2.4.0 <= 2.4.49 < 2.4.52 (version, lessThan; semver)"
};

// Whether `version` lies within [lower, upper] (either end optional, inclusiveness per bound).
[[nodiscard]] RangeCheck CheckRange(VersionScheme scheme, std::string_view version,
                                    const std::optional<VersionBound>& lower,
                                    const std::optional<VersionBound>& upper);

// Removes leading and trailing ASCII white space.
[[nodiscard]] std::string_view TrimVersion(std::string_view s);

}  // namespace muhafiz::vulns
