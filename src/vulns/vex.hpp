// VEX: what imported CSAF statements (AdvisoryStore::Import, table csaf_statements) say about a
// finding's asset, so that matching can settle findings the vendor declared not affected or fixed.
//
// A statement concerns an asset when it names the same product and version, judged by the first
// identification both carry:
//   * purl: same type, namespace and name; the version (the statement purl's, else its product
//     version branch) equal to the asset's, or inside the statement's version_range;
//   * CPE: same vendor and product; the version likewise;
//   * else vendor and product names (case-insensitive) and the version likewise.
// A statement without version, version range or versioned identifier speaks for every version of
// the product. Versions compare in the asset's scheme (version_scheme, else its purl type, else
// generic). version_range is a vers (`vers:semver/>=1.2.0|<1.4.2`, comparators <, <=, >, >=, =,
// != joined by `|`, `*` for all) or plain comparators (`<1.4.2`); anything that cannot be parsed
// or compared concerns no asset.
// Verdicts: known_not_affected or fixed settles the finding ("VEX <tracking_id>:
// known_not_affected" / "VEX <tracking_id>: fixed"); otherwise known_affected confirms it
// ("confirmed by VEX <tracking_id>"); under_investigation says nothing.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vulns/asset.hpp"
#include "vulns/csaf.hpp"
#include "vulns/version.hpp"

namespace muhafiz::vulns {

// One imported statement with the tracking id of its document.
struct VexStatement {
    CsafStatement statement;
    std::string tracking_id;
};

struct VexVerdict {
    enum class Kind { kNone, kNotApplicable, kConfirmed } kind = Kind::kNone;
    std::string reason;  // state_reason (kNotApplicable) or the note for the finding's reason
};

// Whether `version` lies inside `range` (see above); nullopt when the range cannot be parsed or
// a comparison cannot be decided.
[[nodiscard]] std::optional<bool> InVersionRange(std::string_view range, std::string_view version,
                                                 VersionScheme scheme);

// Whether `statement` names the asset's product and version.
[[nodiscard]] bool StatementConcerns(const CsafStatement& statement, const Asset& asset);

// The verdict of the statements of one CVE about one asset.
[[nodiscard]] VexVerdict JudgeVex(const std::vector<VexStatement>& statements, const Asset& asset);

}  // namespace muhafiz::vulns
