#include "vulns/affected.hpp"

namespace muhafiz::vulns {
namespace {

using core::Result;
using json_map::AsObject;
using json_map::Bad;
using json_map::ForEach;
using json_map::Required;
using json_map::Trimmed;
namespace json = core::json;

Result<std::optional<VulnStatus>> VulnStatusField(const json::object& o, std::string_view key,
                                          std::string_view path) {
    auto s = MUHAFIZ_TRY(Trimmed(o, key, path));
    if (!s) return std::optional<VulnStatus>();
    auto status = ParseVulnStatus(*s);
    if (!status)
        return Bad(json_map::FieldPath(path, key), "must be affected, unaffected or unknown");
    return status;
}

Result<VulnStatus> RequiredVulnStatus(const json::object& o, std::string_view key, std::string_view path) {
    auto s = MUHAFIZ_TRY(VulnStatusField(o, key, path));
    if (!s) return Bad(json_map::FieldPath(path, key), "is required");
    return *s;
}

Result<AffectedVersion> ParseVersion(const json::value& v, std::string_view path) {
    const json::object& o = *MUHAFIZ_TRY(AsObject(v, path));
    AffectedVersion out;
    out.version = MUHAFIZ_TRY(Required(o, "version", path));
    out.status = MUHAFIZ_TRY(RequiredVulnStatus(o, "status", path));
    out.less_than = MUHAFIZ_TRY(Trimmed(o, "lessThan", path));
    out.less_than_or_equal = MUHAFIZ_TRY(Trimmed(o, "lessThanOrEqual", path));
    out.version_type = MUHAFIZ_TRY(Trimmed(o, "versionType", path));
    if (out.less_than && out.less_than_or_equal)
        return Bad(json_map::FieldPath(path, "lessThanOrEqual"), "conflicts with lessThan");
    MUHAFIZ_CHECK(ForEach(o, "changes", path,
                          [&](const json::value& c, const std::string& at) -> core::Status {
                              const json::object& co = *MUHAFIZ_TRY(AsObject(c, at));
                              VersionChange change;
                              change.at = MUHAFIZ_TRY(Required(co, "at", at));
                              change.status = MUHAFIZ_TRY(RequiredVulnStatus(co, "status", at));
                              out.changes.push_back(std::move(change));
                              return core::Ok();
                          }));
    return out;
}

// A range written as text by some CNAs: ">= 2.0.0, < 2.0.7", "< 1.26.18", "= 1.2".
struct TextRange {
    std::optional<VersionBound> lower, upper;
};

std::optional<TextRange> ParseTextRange(std::string_view text) {
    if (text.empty() || (text[0] != '<' && text[0] != '>' && text[0] != '=')) return std::nullopt;
    TextRange range;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        std::string_view part = TrimVersion(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        const std::size_t op_len = part.find_first_not_of("<>=");
        if (op_len == 0 || op_len == std::string_view::npos) return std::nullopt;
        const std::string_view op = part.substr(0, op_len);
        const VersionBound bound{"version", TrimVersion(part.substr(op_len)),
                                 op.find('=') != std::string_view::npos};
        const bool lower = op[0] == '>' || op[0] == '=', upper = op[0] == '<' || op[0] == '=';
        if (op.size() > 2 || (lower && range.lower) || (upper && range.upper)) return std::nullopt;
        if (lower) range.lower = bound;
        if (upper) range.upper = bound;
    }
    return range;
}

// The ordering of one item, or why there is none.
std::optional<VersionScheme> SchemeOf(const AffectedVersion& item,
                                      std::optional<VersionScheme> hint, std::string& why_not) {
    if (!item.version_type) return hint.value_or(VersionScheme::kGeneric);
    if (auto s = SchemeFromVersionType(*item.version_type)) return s;
    if (*item.version_type == "git") {
        why_not = "versionType git orders commits and needs the repository";
        return std::nullopt;
    }
    if (!hint)
        why_not = "versionType '" + *item.version_type +
                  "' has no known ordering and no scheme hint was given";
    return hint;
}

// Applies `changes` (sorted by `at`, every change with at <= version) to a matching range.
Decision ApplyChanges(const AffectedVersion& item, VersionScheme scheme, std::string_view version,
                      std::string reason) {
    const VersionChange* last = nullptr;
    std::size_t last_index = 0;
    for (std::size_t k = 0; k < item.changes.size(); ++k) {
        const VersionChange& change = item.changes[k];
        const auto applies = CompareVersions(scheme, change.at, version);
        std::optional<int> later = 0;
        if (applies && *applies <= 0 && last) later = CompareVersions(scheme, change.at, last->at);
        if (!applies || !later)
            return {VulnStatus::kUnknown, reason + ", but cannot order changes[" + std::to_string(k) +
                                          "] at '" + change.at + "' as " +
                                          std::string(SchemeName(scheme))};
        if (*applies <= 0 && (!last || *later >= 0)) {
            last = &change;
            last_index = k;
        }
    }
    VulnStatus status = item.status;
    if (last) {
        status = last->status;
        reason += ", changes[" + std::to_string(last_index) + "] at " + last->at +
                  " <= " + std::string(version);
    }
    return {status, reason + ", status " + std::string(VulnStatusName(status))};
}

}  // namespace

namespace json_map {

std::string FieldPath(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

core::Result<const json::object*> AsObject(const json::value& v, std::string_view path) {
    if (!v.is_object()) return Bad(std::string(path), "must be an object");
    return &v.as_object();
}

core::Result<std::optional<std::string>> Trimmed(const json::object& o, std::string_view key,
                                                 std::string_view path) {
    auto s = MUHAFIZ_TRY(core::GetString(o, key, path));
    if (s) *s = std::string(TrimVersion(*s));
    return s;
}

core::Result<std::string> Required(const json::object& o, std::string_view key,
                                   std::string_view path) {
    auto s = MUHAFIZ_TRY(Trimmed(o, key, path));
    const std::string name = FieldPath(path, key);
    if (!s) return Bad(name, "is required");
    return std::move(*s);
}

}  // namespace json_map

std::string_view VulnStatusName(VulnStatus status) {
    switch (status) {
        case VulnStatus::kAffected:
            return "affected";
        case VulnStatus::kUnaffected:
            return "unaffected";
        case VulnStatus::kUnknown:
            return "unknown";
    }
    return "unknown";
}

std::optional<VulnStatus> ParseVulnStatus(std::string_view text) {
    for (VulnStatus s : {VulnStatus::kAffected, VulnStatus::kUnaffected, VulnStatus::kUnknown})
        if (VulnStatusName(s) == text) return s;
    return std::nullopt;
}

Result<AffectedEntry> ParseAffectedEntry(const json::value& v, std::string_view path) {
    const json::object& o = *MUHAFIZ_TRY(AsObject(v, path));
    AffectedEntry e;
    e.vendor = MUHAFIZ_TRY(Trimmed(o, "vendor", path)).value_or("");
    e.product = MUHAFIZ_TRY(Trimmed(o, "product", path)).value_or("");
    e.package_name = MUHAFIZ_TRY(Trimmed(o, "packageName", path)).value_or("");
    e.collection_url = MUHAFIZ_TRY(Trimmed(o, "collectionURL", path)).value_or("");
    e.default_status = MUHAFIZ_TRY(VulnStatusField(o, "defaultStatus", path));
    MUHAFIZ_CHECK(
        ForEach(o, "cpes", path, [&](const json::value& c, const std::string& at) -> core::Status {
            if (!c.is_string()) return Bad(at, "must be a string");
            e.cpes.emplace_back(TrimVersion(c.as_string()));
            return core::Ok();
        }));
    MUHAFIZ_CHECK(ForEach(o, "versions", path,
                          [&](const json::value& item, const std::string& at) -> core::Status {
                              e.versions.push_back(MUHAFIZ_TRY(ParseVersion(item, at)));
                              return core::Ok();
                          }));
    return e;
}

Result<std::vector<AffectedEntry>> ParseAffected(const json::value& v, std::string_view path) {
    if (!v.is_array()) return Bad(std::string(path), "must be an array");
    std::vector<AffectedEntry> out;
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
        const std::string at = std::string(path) + "[" + std::to_string(i) + "]";
        out.push_back(MUHAFIZ_TRY(ParseAffectedEntry(v.as_array()[i], at)));
    }
    return out;
}

Decision Evaluate(const AffectedEntry& entry, std::string_view version,
                  std::optional<VersionScheme> hint) {
    version = TrimVersion(version);
    const std::string v(version);
    for (std::size_t i = 0; i < entry.versions.size(); ++i) {
        const AffectedVersion& item = entry.versions[i];
        const std::string where = "versions[" + std::to_string(i) + "]: ";
        std::string why_not;
        const auto scheme = SchemeOf(item, hint, why_not);
        if (!scheme) return {VulnStatus::kUnknown, where + why_not + "; cannot place " + v};

        std::optional<VersionBound> lower, upper;
        if (item.less_than || item.less_than_or_equal) {
            lower = VersionBound{"version", item.version, true};
            upper = item.less_than
                        ? VersionBound{"lessThan", *item.less_than, false}
                        : VersionBound{"lessThanOrEqual", *item.less_than_or_equal, true};
        } else if (auto text = ParseTextRange(item.version)) {
            lower = text->lower;
            upper = text->upper;
        } else if (item.version == version) {
            return {item.status, where + v + " == " + item.version + " (version), status " +
                                     std::string(VulnStatusName(item.status))};
        } else {
            const auto c = CompareVersions(*scheme, version, item.version);
            if (!c)
                return {VulnStatus::kUnknown, where + "cannot order " + v + " against version '" +
                                              item.version + "' as " +
                                              std::string(SchemeName(*scheme))};
            if (*c != 0) continue;
            return {item.status, where + v + " == " + item.version + " (version; " +
                                     std::string(SchemeName(*scheme)) + "), status " +
                                     std::string(VulnStatusName(item.status))};
        }
        const RangeCheck range = CheckRange(*scheme, version, lower, upper);
        if (!range.inside) return {VulnStatus::kUnknown, where + range.explanation};
        if (*range.inside) return ApplyChanges(item, *scheme, version, where + range.explanation);
    }
    const std::string none = "no versions[] item matches " + v;
    if (!entry.default_status) return {VulnStatus::kUnknown, none + "; no defaultStatus"};
    return {*entry.default_status,
            none + "; defaultStatus " + std::string(VulnStatusName(*entry.default_status))};
}

}  // namespace muhafiz::vulns
