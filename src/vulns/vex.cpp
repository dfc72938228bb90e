#include "vulns/vex.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "vulns/cpe.hpp"
#include "vulns/purl.hpp"

namespace muhafiz::vulns {
namespace {

std::string Lower(std::string_view s) {
    std::string out(TrimVersion(s));
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

VersionScheme SchemeOf(const Asset& asset, const Purl* purl) {
    if (auto s = SchemeFromVersionType(asset.version_scheme)) return *s;
    if (purl)
        if (auto s = SchemeFromPurlType(purl->type)) return *s;
    return VersionScheme::kGeneric;
}

bool SameVersion(VersionScheme scheme, std::string_view a, std::string_view b) {
    a = TrimVersion(a);
    b = TrimVersion(b);
    if (a.empty() || b.empty()) return false;
    if (auto c = CompareVersions(scheme, a, b)) return *c == 0;
    return a == b;
}

// The version part of a statement against the asset's version.
bool VersionConcerns(std::string_view statement_version, std::string_view range,
                     std::string_view asset_version, VersionScheme scheme) {
    statement_version = TrimVersion(statement_version);
    range = TrimVersion(range);
    if (statement_version.empty() && range.empty()) return true;  // every version of the product
    if (!statement_version.empty() && SameVersion(scheme, statement_version, asset_version))
        return true;
    if (!range.empty() && !TrimVersion(asset_version).empty())
        return InVersionRange(range, asset_version, scheme).value_or(false);
    return false;
}

std::string CpeText(const Cpe& cpe, CpeAttribute a) {
    const CpeValue& v = cpe[a];
    return v.kind == CpeValue::Kind::kValue && v.head.empty() && v.tail.empty() ? v.text : "";
}

}  // namespace

std::optional<bool> InVersionRange(std::string_view range, std::string_view version,
                                   VersionScheme scheme) {
    std::string_view text = TrimVersion(range);
    if (text.size() > 5 && Lower(text.substr(0, 5)) == "vers:") {
        text = text.substr(5);
        const auto slash = text.find('/');
        if (slash == std::string_view::npos) return std::nullopt;
        const std::string name = Lower(text.substr(0, slash));
        if (auto s = SchemeFromVersionType(name)) scheme = *s;
        else if (auto p = SchemeFromPurlType(name)) scheme = *p;
        else if (name == "generic") scheme = VersionScheme::kGeneric;
        text = TrimVersion(text.substr(slash + 1));
    }
    if (text.empty()) return std::nullopt;
    if (text == "*") return true;
    enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
    struct Constraint {
        Op op;
        int cmp;  // version <=> value
    };
    std::vector<Constraint> constraints;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto bar = text.find('|', start);
        std::string_view part =
            TrimVersion(text.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
        start = bar == std::string_view::npos ? text.size() + 1 : bar + 1;
        static constexpr std::pair<std::string_view, Op> kOps[] = {
            {"<=", Op::kLe}, {">=", Op::kGe}, {"!=", Op::kNe}, {"<", Op::kLt}, {">", Op::kGt}, {"=", Op::kEq}};
        Op op = Op::kEq;
        for (const auto& [prefix, o] : kOps) {
            if (part.starts_with(prefix)) {
                op = o;
                part = TrimVersion(part.substr(prefix.size()));
                break;
            }
        }
        if (part.empty() || std::any_of(part.begin(), part.end(),
                                        [](unsigned char c) { return std::isspace(c) || c == '|'; }))
            return std::nullopt;
        const auto cmp = CompareVersions(scheme, version, part);
        if (!cmp) return std::nullopt;
        constraints.push_back({op, *cmp});
    }
    auto holds = [](const Constraint& c) {
        switch (c.op) {
            case Op::kEq: return c.cmp == 0;
            case Op::kNe: return c.cmp != 0;
            case Op::kLt: return c.cmp < 0;
            case Op::kLe: return c.cmp <= 0;
            case Op::kGt: return c.cmp > 0;
            case Op::kGe: return c.cmp >= 0;
        }
        return false;
    };
    for (const Constraint& c : constraints)
        if (c.op == Op::kNe && !holds(c)) return false;
    for (const Constraint& c : constraints)
        if (c.op == Op::kEq && holds(c)) return true;
    // Lower and upper bounds in order form intervals: ">=a|<b" is [a, b), a lone "<b" (-inf, b),
    // a lone ">=a" [a, inf).
    const Constraint* lower = nullptr;
    for (const Constraint& c : constraints) {
        if (c.op == Op::kGt || c.op == Op::kGe) {
            if (lower && holds(*lower)) return true;
            lower = &c;
        } else if (c.op == Op::kLt || c.op == Op::kLe) {
            if ((!lower || holds(*lower)) && holds(c)) return true;
            lower = nullptr;
        }
    }
    if (lower && holds(*lower)) return true;
    return false;
}

bool StatementConcerns(const CsafStatement& s, const Asset& asset) {
    // purl, when both carry one.
    if (!TrimVersion(s.purl).empty() && !asset.purl.empty()) {
        auto theirs = ParsePurl(TrimVersion(s.purl));
        auto ours = ParsePurl(asset.purl);
        if (!theirs || !ours) return false;
        if (theirs->type != ours->type || theirs->name_space != ours->name_space || theirs->name != ours->name)
            return false;
        const std::string version = theirs->version.empty() ? s.version : theirs->version;
        const std::string asset_version = ours->version.empty() ? asset.version : ours->version;
        return VersionConcerns(version, s.version_range, asset_version, SchemeOf(asset, &*ours));
    }
    std::optional<Purl> asset_purl;
    if (!asset.purl.empty())
        if (auto p = ParsePurl(asset.purl)) asset_purl = *p;
    const VersionScheme scheme = SchemeOf(asset, asset_purl ? &*asset_purl : nullptr);
    // CPE, when both carry one.
    if (!TrimVersion(s.cpe).empty() && !asset.cpe.empty()) {
        auto theirs = ParseCpe(TrimVersion(s.cpe));
        auto ours = ParseCpe(asset.cpe);
        if (!theirs || !ours) return false;
        const std::string vendor = CpeText(*theirs, CpeAttribute::kVendor);
        const std::string product = CpeText(*theirs, CpeAttribute::kProduct);
        if (vendor.empty() || product.empty() || vendor != CpeText(*ours, CpeAttribute::kVendor) ||
            product != CpeText(*ours, CpeAttribute::kProduct))
            return false;
        std::string version = CpeText(*theirs, CpeAttribute::kVersion);
        if (version.empty()) version = s.version;
        std::string asset_version = CpeText(*ours, CpeAttribute::kVersion);
        if (asset_version.empty()) asset_version = asset.version;
        return VersionConcerns(version, s.version_range, asset_version, scheme);
    }
    // Vendor and product names.
    std::string vendor = Lower(asset.vendor), product = Lower(asset.product);
    std::string asset_version = asset.version;
    if ((vendor.empty() || product.empty()) && !asset.cpe.empty()) {
        if (auto cpe = ParseCpe(asset.cpe)) {
            vendor = CpeText(*cpe, CpeAttribute::kVendor);
            product = CpeText(*cpe, CpeAttribute::kProduct);
            if (asset_version.empty()) asset_version = CpeText(*cpe, CpeAttribute::kVersion);
        }
    }
    if (vendor.empty() || product.empty() || Lower(s.vendor) != vendor || Lower(s.product) != product)
        return false;
    return VersionConcerns(s.version, s.version_range, asset_version, scheme);
}

VexVerdict JudgeVex(const std::vector<VexStatement>& statements, const Asset& asset) {
    VexVerdict confirmed;
    for (const VexStatement& v : statements) {
        const StatementStatus status = v.statement.status;
        if (status == StatementStatus::kUnderInvestigation) continue;
        if (status == StatementStatus::kKnownAffected && confirmed.kind != VexVerdict::Kind::kNone) continue;
        if (!StatementConcerns(v.statement, asset)) continue;
        if (status == StatementStatus::kKnownAffected) {
            confirmed = {VexVerdict::Kind::kConfirmed, "confirmed by VEX " + v.tracking_id};
            continue;
        }
        return {VexVerdict::Kind::kNotApplicable, "VEX " + v.tracking_id + ": " + std::string(StatementStatusName(status))};
    }
    return confirmed;
}

}  // namespace muhafiz::vulns
