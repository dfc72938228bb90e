// CVE 5 `affected[]` entries and the version-status algorithm: whether one product version is
// affected, unaffected or unknown according to one entry, with the reason (which `versions[]`
// item, which bound, which scheme).
//
// Semantics (CVE JSON 5 "version status"): walk `versions[]` in order, the first item that
// matches decides; a matching range with `changes[]` starts from its `status` and takes the
// status of every change with `at <= V` (sorted by `at`); if nothing matches, `defaultStatus`
// applies, and an absent `defaultStatus` means unknown. An upper bound `*` is unbounded,
// `P.*` is the P series, `version: "0"` has no lower bound. Ranges written as text by some CNAs
// (`"version": ">= 2.0.0, < 2.0.7"`) are read as bounds too.
//
// The ordering comes from the item's `versionType` when it names one we implement; otherwise
// from the caller's hint (e.g. the asset's purl type); items without `versionType` fall back to
// the generic comparator. `git` ranges, `custom` ranges without a hint and comparisons that
// cannot be decided make the result kUnknown with the reason, never kUnaffected: an item that
// cannot be decided might have been the first match.
//
// Which product an entry describes (vendor/product, collectionURL/packageName, cpes) is the
// caller's concern; Evaluate only judges the version. Thread-safety: plain values and pure
// functions. Parsing errors are kInvalidArgument naming the JSON path of the bad field.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "vulns/version.hpp"

namespace muhafiz::vulns {

enum class VulnStatus { kAffected, kUnaffected, kUnknown };

// "affected", "unaffected", "unknown".
[[nodiscard]] std::string_view VulnStatusName(VulnStatus status);
[[nodiscard]] std::optional<VulnStatus> ParseVulnStatus(std::string_view text);

// A verdict with its explanation, e.g.
// "versions[1]: 2.4.0 <= 2.4.49 < 2.4.52 (version, lessThan; semver), status affected".
struct Decision {
    VulnStatus status = VulnStatus::kUnknown;
    std::string reason;
};

struct VersionChange {
    std::string at;
    VulnStatus status = VulnStatus::kUnknown;
};

// One `versions[]` item: a single version, or a range when less_than/less_than_or_equal is set.
struct AffectedVersion {
    std::string version;
    std::optional<std::string> less_than;
    std::optional<std::string> less_than_or_equal;
    VulnStatus status = VulnStatus::kUnknown;
    std::optional<std::string> version_type;
    std::vector<VersionChange> changes;
};

struct AffectedEntry {
    std::string vendor;
    std::string product;
    std::string package_name;
    std::string collection_url;
    std::vector<std::string> cpes;  // as written: CPE 2.3 formatted strings or 2.2 URIs
    std::optional<VulnStatus> default_status;
    std::vector<AffectedVersion> versions;
};

// Maps one `affected[]` element; `path` prefixes field names in errors (e.g.
// "containers.cna.affected[0]"). Unknown keys (platforms, modules, x_...) are ignored; strings
// are trimmed.
[[nodiscard]] core::Result<AffectedEntry> ParseAffectedEntry(const core::json::value& v,
                                                             std::string_view path = {});
// Maps a whole `affected` array.
[[nodiscard]] core::Result<std::vector<AffectedEntry>> ParseAffected(const core::json::value& v,
                                                                     std::string_view path = {});

// The status of `version` of the entry's product.
[[nodiscard]] Decision Evaluate(const AffectedEntry& entry, std::string_view version,
                                std::optional<VersionScheme> hint);

// JSON mapping helpers shared by the parsers of this folder (candidates for core/json.hpp).
// Errors are kInvalidArgument naming the field by its path ("a.b[2].c").
namespace json_map {

[[nodiscard]] std::string FieldPath(std::string_view path, std::string_view key);
// kInvalidArgument for the field `name`: "'<name>' <problem>".
[[nodiscard]] inline tl::unexpected<core::Error> Bad(const std::string& name,
                                                     std::string_view problem) {
    return core::Invalid(name, "'" + name + "' " + std::string(problem));
}
[[nodiscard]] core::Result<const core::json::object*> AsObject(const core::json::value& v,
                                                               std::string_view path);
// An optional string, trimmed.
[[nodiscard]] core::Result<std::optional<std::string>> Trimmed(const core::json::object& o,
                                                               std::string_view key,
                                                               std::string_view path);
// A required string, trimmed.
[[nodiscard]] core::Result<std::string> Required(const core::json::object& o, std::string_view key,
                                                 std::string_view path);

// Calls f(element, "path.key[i]") -> core::Status for every element of the optional array `key`;
// stops at the first error.
template <typename F>
[[nodiscard]] core::Status ForEach(const core::json::object& o, std::string_view key,
                                   std::string_view path, F&& f) {
    const core::json::value* v = core::Find(o, key);
    if (!v || v->is_null()) return core::Ok();
    const std::string name = FieldPath(path, key);
    if (!v->is_array()) return Bad(name, "must be an array");
    for (std::size_t i = 0; i < v->as_array().size(); ++i)
        MUHAFIZ_CHECK(f(v->as_array()[i], name + "[" + std::to_string(i) + "]"));
    return core::Ok();
}

}  // namespace json_map
}  // namespace muhafiz::vulns
