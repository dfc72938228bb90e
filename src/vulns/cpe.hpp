// CPE 2.3 names and NVD 2.0 applicability statements (`configurations[].nodes[].cpeMatch[]`).
//
// Cpe is a parsed name: the formatted-string binding (`cpe:2.3:a:vendor:product:...`, with `\`
// escapes, `*` = ANY, `-` = NA, unquoted `*`/`?` at the start or end of a value as wildcards)
// or the old URI binding (`cpe:/o:redhat:enterprise_linux:9`, converted on parsing). Values
// are kept unescaped and lower case.
//
// Matching follows NISTIR 7696, simplified: attribute by attribute a criterion (source) and an
// inventory name (target) are EQUAL, SUPERSET, SUBSET or DISJOINT; wildcards count only in the
// criterion. A criterion matches when no attribute is DISJOINT, except that an inventory name
// leaving vendor, product or version open (SUBSET there) gives "unknown", not a match. When a
// criterion's version is ANY, the inventory version is checked against the cpeMatch bounds
// with the hinted scheme (generic when none). Criteria whose vendor and product are both
// wildcards are rejected (they would match every asset); inventory names without a product are
// ignored.
//
// A configuration evaluates its nodes with three-valued logic (AND/OR, `negate`); a CVE
// applies when any configuration is true and a `vulnerable: true` cpeMatch in a non-negated
// node matched the inventory — `vulnerable: false` entries are platform conditions only.
// Thread-safety: plain values and pure functions. Parse errors are kInvalidArgument naming the
// field (the JSON path for configurations).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "vulns/affected.hpp"
#include "vulns/version.hpp"

namespace muhafiz::vulns {

enum class CpeAttribute {
    kPart,
    kVendor,
    kProduct,
    kVersion,
    kUpdate,
    kEdition,
    kLanguage,
    kSwEdition,
    kTargetSw,
    kTargetHw,
    kOther,
};
inline constexpr std::size_t kCpeAttributes = 11;

struct CpeValue {
    enum class Kind { kAny, kNa, kValue } kind = Kind::kAny;
    std::string text;  // kValue: unescaped, lower case, without the wildcards below
    std::string head;  // unquoted wildcards (`*`, `?`) before text
    std::string tail;  // unquoted wildcards after text
};

struct Cpe {
    std::array<CpeValue, kCpeAttributes> attributes;

    [[nodiscard]] const CpeValue& operator[](CpeAttribute a) const {
        return attributes[static_cast<std::size_t>(a)];
    }
    // The formatted-string binding (`cpe:2.3:...`).
    [[nodiscard]] std::string ToString() const;
};

// Parses a CPE 2.3 formatted string or a CPE 2.2 URI.
[[nodiscard]] core::Result<Cpe> ParseCpe(std::string_view text);

enum class CpeRelation { kEqual, kSuperset, kSubset, kDisjoint, kUndefined };

// Relation of a criterion value (source) to an inventory value (target); kUndefined when the
// target holds wildcards.
[[nodiscard]] CpeRelation CompareCpeValues(const CpeValue& source, const CpeValue& target);

struct CpeMatch {
    bool vulnerable = false;
    Cpe criteria;
    std::optional<std::string> version_start_including;
    std::optional<std::string> version_start_excluding;
    std::optional<std::string> version_end_including;
    std::optional<std::string> version_end_excluding;
};

enum class CpeOperator { kOr, kAnd };

struct CpeNode {
    CpeOperator op = CpeOperator::kOr;
    bool negate = false;
    std::vector<CpeMatch> cpe_match;
};

struct CpeConfiguration {
    CpeOperator op = CpeOperator::kOr;
    bool negate = false;
    std::vector<CpeNode> nodes;
};

// Maps the NVD `configurations` array; `path` prefixes field names in errors. Unknown keys
// (matchCriteriaId, ...) are ignored.
[[nodiscard]] core::Result<std::vector<CpeConfiguration>> ParseConfigurations(
    const core::json::value& v, std::string_view path = "configurations");

struct CpeMatchResult {
    std::optional<bool> matches;  // nullopt: cannot be decided
    std::string reason;
};

// Whether one inventory name satisfies one cpeMatch (criterion and version bounds).
[[nodiscard]] CpeMatchResult MatchCpe(const CpeMatch& match, const Cpe& inventory,
                                      std::optional<VersionScheme> hint);

// Whether the CVE applies to a system made of the inventory names (application, OS, hardware).
// kAffected with the matching path, kUnaffected when no configuration holds, kUnknown when a
// decisive comparison cannot be made or there are no configurations at all.
[[nodiscard]] Decision EvaluateConfigurations(const std::vector<CpeConfiguration>& configurations,
                                              const std::vector<Cpe>& inventory,
                                              std::optional<VersionScheme> hint);

}  // namespace muhafiz::vulns
