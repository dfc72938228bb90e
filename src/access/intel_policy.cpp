#include "access/intel_policy.hpp"

#include <algorithm>
#include <array>

namespace muhafiz::access {
namespace {

constexpr std::array<std::string_view, 5> kTlpNames = {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER",
                                                        "TLP:AMBER+STRICT", "TLP:RED"};
constexpr std::array<std::string_view, 5> kAudienceNames = {"organisation", "cert", "sector", "national",
                                                             "partners"};

std::string Upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
    return prefix.size() >= 2 && text.starts_with(prefix);
}

}  // namespace

std::string_view TlpName(Tlp tlp) { return kTlpNames[static_cast<int>(tlp)]; }

core::Result<Tlp> ParseTlp(std::string_view text) {
    std::string u = Upper(text);
    if (u.starts_with("TLP:")) u.erase(0, 4);
    if (u == "WHITE") u = "CLEAR";
    for (std::size_t i = 0; i < kTlpNames.size(); ++i)
        if (kTlpNames[i].substr(4) == u) return static_cast<Tlp>(i);
    return core::Invalid("tlp", "tlp must be one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED");
}

std::string_view AudienceName(Audience a) { return kAudienceNames[static_cast<int>(a)]; }

core::Result<Audience> ParseAudience(std::string_view text) {
    for (std::size_t i = 0; i < kAudienceNames.size(); ++i)
        if (kAudienceNames[i] == text) return static_cast<Audience>(i);
    return core::Invalid("audience", "audience must be one of organisation, cert, sector, national, partners");
}

bool IntelPolicy::IsWidening(Tlp tlp_a, Audience audience_a, Tlp tlp_b, Audience audience_b) {
    return static_cast<int>(audience_b) > static_cast<int>(audience_a) ||
           static_cast<int>(tlp_b) < static_cast<int>(tlp_a);
}

db::Predicate IntelPolicy::EventScope(const IntelViewer& v, std::string_view alias) const {
    const std::string e(alias);
    if (v.council) return {"1=0", {}};
    if (v.anonymous) return {"(" + e + ".tlp = 'TLP:CLEAR')", {}};
    if (v.organisation_id <= 0 || v.path.size() < 2 || v.path.front() != '/' || v.path.back() != '/')
        return {"1=0", {}};

    db::Predicate out;
    out.sql = "(" + e + ".organisation_id = ? OR " + e + ".tlp = 'TLP:CLEAR'";
    out.params.emplace_back(v.organisation_id);

    const std::string named = "EXISTS (SELECT 1 FROM intel_event_recipients r WHERE r.event_id = " + e + ".id";
    const std::string none_named = "NOT " + named + ")";
    // Named recipients: RED and AMBER+STRICT the organisation itself, AMBER it and its children.
    out.sql += " OR (" + e + ".tlp IN ('TLP:RED', 'TLP:AMBER+STRICT') AND " + named + " AND r.organisation_id = ?))";
    out.params.emplace_back(v.organisation_id);
    // (Partner CERTs abroad hang under the root in the table but are not its children here.)
    if (v.in_tree) {
        out.sql += " OR (" + e + ".tlp = 'TLP:AMBER' AND " + named +
                   " AND r.path <> '' AND substr(?, 1, length(r.path)) = r.path))";
        out.params.emplace_back(v.path);
    } else {
        out.sql += " OR (" + e + ".tlp = 'TLP:AMBER' AND " + named + " AND r.organisation_id = ?))";
        out.params.emplace_back(v.organisation_id);
    }

    // The audience, for GREEN always and for AMBER without named recipients.
    std::vector<std::string> wide;
    db::Params wide_params;
    if (v.in_tree) {
        wide.push_back("(" + e + ".audience = 'cert' AND " + e + ".cert_path <> '' AND substr(?, 1, length(" + e +
                       ".cert_path)) = " + e + ".cert_path)");
        wide_params.emplace_back(v.path);
    } else {
        wide.push_back("(" + e + ".audience = 'cert' AND " + e + ".cert_id = ?)");
        wide_params.emplace_back(v.organisation_id);
    }
    std::vector<std::string> sectors;
    for (const auto& s : v.sectors)
        if (!s.empty() && std::find(sectors.begin(), sectors.end(), s) == sectors.end()) sectors.push_back(s);
    if (v.in_tree && !sectors.empty()) {
        std::string in = "(" + e + ".audience = 'sector' AND " + e + ".sector IN (";
        for (std::size_t i = 0; i < sectors.size(); ++i) {
            in += i ? ", ?" : "?";
            wide_params.emplace_back(sectors[i]);
        }
        wide.push_back(in + "))");
    }
    if (v.in_tree) wide.push_back("(" + e + ".audience = 'national')");
    if (v.in_tree || v.is_partner) wide.push_back("(" + e + ".audience = 'partners')");
    std::string wide_sql;
    for (const auto& w : wide) wide_sql += (wide_sql.empty() ? "" : " OR ") + w;
    out.sql += " OR ((" + e + ".tlp = 'TLP:GREEN' OR (" + e + ".tlp = 'TLP:AMBER' AND " + none_named + ")) AND (" +
               wide_sql + "))";
    for (auto& p : wide_params) out.params.push_back(std::move(p));

    // AMBER+STRICT without named recipients: the audience's root organisations only.
    std::vector<std::string> strict;
    db::Params strict_params;
    strict.push_back("(" + e + ".audience = 'cert' AND " + e + ".cert_id = ?)");
    strict_params.emplace_back(v.organisation_id);
    if (v.in_tree && !v.sector.empty()) {
        strict.push_back("(" + e + ".audience = 'sector' AND " + e + ".sector = ?)");
        strict_params.emplace_back(v.sector);
    }
    if (v.is_root) strict.push_back("(" + e + ".audience = 'national')");
    if (v.is_root || v.is_partner) strict.push_back("(" + e + ".audience = 'partners')");
    std::string strict_sql;
    for (const auto& s : strict) strict_sql += (strict_sql.empty() ? "" : " OR ") + s;
    out.sql += " OR (" + e + ".tlp = 'TLP:AMBER+STRICT' AND " + none_named + " AND (" + strict_sql + "))";
    for (auto& p : strict_params) out.params.push_back(std::move(p));
    out.sql += ")";
    return out;
}

bool IntelPolicy::Allows(const IntelMarking& m, const IntelViewer& v) const {
    if (v.council) return false;
    if (v.anonymous) return m.tlp == Tlp::kClear;
    if (v.organisation_id <= 0 || v.path.size() < 2 || v.path.front() != '/' || v.path.back() != '/') return false;
    if (m.organisation_id == v.organisation_id) return true;
    if (m.tlp == Tlp::kClear) return true;
    const bool named = !m.recipients.empty();
    auto named_self = [&] {
        return std::any_of(m.recipients.begin(), m.recipients.end(),
                           [&](const IntelRecipient& r) { return r.organisation_id == v.organisation_id; });
    };
    auto named_ancestor = [&] {
        return std::any_of(m.recipients.begin(), m.recipients.end(),
                           [&](const IntelRecipient& r) {
                               return r.organisation_id == v.organisation_id || (v.in_tree && StartsWith(v.path, r.path));
                           });
    };
    auto community = [&] {
        switch (m.audience) {
            case Audience::kOrganisation: return false;
            case Audience::kCert:
                return m.cert_id == v.organisation_id || (v.in_tree && StartsWith(v.path, m.cert_path));
            case Audience::kSector:
                return v.in_tree && !m.sector.empty() &&
                       std::find(v.sectors.begin(), v.sectors.end(), m.sector) != v.sectors.end();
            case Audience::kNational: return v.in_tree;
            case Audience::kPartners: return v.in_tree || v.is_partner;
        }
        return false;
    };
    switch (m.tlp) {
        case Tlp::kRed: return named_self();
        case Tlp::kGreen: return community();
        case Tlp::kAmber: return named ? named_ancestor() : community();
        case Tlp::kAmberStrict:
            if (named) return named_self();
            switch (m.audience) {
                case Audience::kOrganisation: return false;
                case Audience::kCert: return m.cert_id == v.organisation_id;
                case Audience::kSector: return v.in_tree && !m.sector.empty() && v.sector == m.sector;
                case Audience::kNational: return v.is_root;
                case Audience::kPartners: return v.is_root || v.is_partner;
            }
            return false;
        case Tlp::kClear: return true;
    }
    return false;
}

}  // namespace muhafiz::access
