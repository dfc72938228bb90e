#include "constituency/organisation.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "core/country.hpp"
#include "core/ids.hpp"
#include "core/net.hpp"
#include "core/time.hpp"

namespace muhafiz::constituency {
namespace json = core::json;
using core::Invalid;
using core::Result;

namespace {

constexpr std::array<std::pair<Kind, std::string_view>, 10> kKinds = {{
    {Kind::kNationalCert, "national_cert"},
    {Kind::kGovernmentCert, "government_cert"},
    {Kind::kCiiCert, "cii_cert"},
    {Kind::kSectoralCert, "sectoral_cert"},
    {Kind::kFederalCert, "federal_cert"},
    {Kind::kProvincialCert, "provincial_cert"},
    {Kind::kOrganisationalCert, "organisational_cert"},
    {Kind::kConstituent, "constituent"},
    {Kind::kCertCouncil, "cert_council"},
    {Kind::kPartnerCert, "partner_cert"},
}};

std::string Indexed(std::string_view field, std::size_t i) {
    return std::string(field) + "[" + std::to_string(i) + "]";
}

bool ValidEmail(std::string_view e) {
    const auto at = e.find('@');
    if (at == 0 || at == std::string_view::npos || e.find('@', at + 1) != std::string_view::npos) return false;
    if (e.size() > 254) return false;
    for (char c : e)
        if (c <= ' ' || c == ',' || c == ';' || c == '<' || c == '>') return false;
    const auto domain = e.substr(at + 1);
    return domain.find('.') != std::string_view::npos && domain.back() != '.' && domain.front() != '.';
}

// Reads an array of strings (or, for ASNs, numbers or strings) under `key`.
Result<std::vector<std::string>> StringList(const json::object& obj, std::string_view key,
                                            std::string_view field, bool numbers_ok) {
    std::vector<std::string> out;
    const json::value* v = core::Find(obj, key);
    if (!v || v->is_null()) return out;
    if (!v->is_array()) return Invalid(std::string(field), "'" + std::string(field) + "' must be an array");
    const auto& arr = v->as_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
        if (arr[i].is_string()) {
            out.emplace_back(arr[i].as_string());
        } else if (numbers_ok && arr[i].is_int64()) {
            out.push_back(std::to_string(arr[i].as_int64()));
        } else if (numbers_ok && arr[i].is_uint64()) {
            out.push_back(std::to_string(arr[i].as_uint64()));
        } else {
            return Invalid(Indexed(field, i), "'" + Indexed(field, i) + "' must be a " +
                                                  (numbers_ok ? "number or string" : "string"));
        }
    }
    return out;
}

}  // namespace

std::string_view KindName(Kind kind) {
    for (const auto& [k, n] : kKinds)
        if (k == kind) return n;
    return "constituent";
}

std::optional<Kind> ParseKind(std::string_view name) {
    for (const auto& [k, n] : kKinds)
        if (n == name) return k;
    return std::nullopt;
}

bool IsCert(Kind kind) { return kind != Kind::kConstituent; }

Result<std::string> NormaliseCountry(std::string_view country) {
    std::string c(country);
    std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return std::toupper(ch); });
    if (c.empty()) return c;
    if (!core::IsCountryCode(c))
        return Invalid("country", "'" + std::string(country) + "' is not an ISO 3166-1 alpha-2 country code");
    return c;
}

Result<std::string> NormaliseSector(std::string_view sector) {
    std::string s(sector);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (s.size() > 40) return Invalid("sector", "the sector is longer than 40 characters");
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return Invalid("sector", "the sector may hold only letters, digits, '_' and '-' (e.g. banking)");
    return s;
}

core::Status ValidateContacts(const Contacts& c) {
    if (!c.security_email.empty() && !ValidEmail(c.security_email))
        return Invalid("contacts.security_email", "'" + c.security_email + "' is not an e-mail address");
    if (!c.abuse_email.empty() && !ValidEmail(c.abuse_email))
        return Invalid("contacts.abuse_email", "'" + c.abuse_email + "' is not an e-mail address");
    if (c.phone.size() > 40 || c.phone.find_first_not_of("+0123456789 ()-./x") != std::string::npos)
        return Invalid("contacts.phone", "the phone number may hold digits, spaces and + ( ) - . / x only");
    if (c.pgp_key.size() > 64 * 1024) return Invalid("contacts.pgp_key", "the PGP key is larger than 64 KiB");
    if (!c.pgp_key.empty() && c.pgp_key.find("-----BEGIN PGP PUBLIC KEY BLOCK-----") == std::string::npos)
        return Invalid("contacts.pgp_key", "the PGP key must be an ASCII-armoured public key block");
    return {};
}

Result<Networks> NormaliseNetworks(const std::vector<std::string>& prefixes,
                                   const std::vector<std::string>& asns,
                                   const std::vector<std::string>& domains) {
    Networks out;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < prefixes.size(); ++i) {
        auto p = core::ParsePrefix(prefixes[i]);
        if (!p) return Invalid(Indexed("networks.prefixes", i), p.error().message);
        std::string text = core::FormatPrefix(*p);
        if (seen.insert(text).second) out.prefixes.push_back(std::move(text));
    }
    std::set<std::int64_t> seen_asn;
    for (std::size_t i = 0; i < asns.size(); ++i) {
        auto a = core::ParseAsn(asns[i]);
        if (!a) return Invalid(Indexed("networks.asns", i), a.error().message);
        if (seen_asn.insert(*a).second) out.asns.push_back(*a);
    }
    seen.clear();
    for (std::size_t i = 0; i < domains.size(); ++i) {
        auto d = core::NormaliseDomain(domains[i]);
        if (!d) return Invalid(Indexed("networks.domains", i), d.error().message);
        if (seen.insert(*d).second) out.domains.push_back(std::move(*d));
    }
    return out;
}

Result<OrganisationPatch> PatchFromJson(const json::object& body, bool allow_output_fields) {
    if (allow_output_fields) {
        MUHAFIZ_CHECK(core::RejectUnknownFields(
            body, {"id", "name", "kind", "parent_id", "sector", "country", "cii", "contacts", "networks",
                   "version", "created_at", "updated_at", "children_count", "path_names"}));
    } else {
        MUHAFIZ_CHECK(core::RejectUnknownFields(
            body, {"name", "kind", "parent_id", "sector", "country", "cii", "contacts", "networks"}));
    }
    OrganisationPatch p;
    if (allow_output_fields) {
        p.uuid = MUHAFIZ_TRY(core::GetString(body, "id"));
        if (p.uuid && !core::IsUuid(*p.uuid)) return Invalid("id", "'id' must be a UUID");
    }
    if (auto name = MUHAFIZ_TRY(core::GetString(body, "name"))) {
        std::string n = *name;
        n.erase(0, n.find_first_not_of(" \t"));
        n.erase(n.find_last_not_of(" \t") + 1);
        if (n.empty()) return Invalid("name", "the name must not be empty");
        if (n.size() > 200) return Invalid("name", "the name is longer than 200 characters");
        p.name = n;
    }
    if (auto kind = MUHAFIZ_TRY(core::GetString(body, "kind"))) {
        p.kind = ParseKind(*kind);
        if (!p.kind) return Invalid("kind", "unknown kind '" + *kind + "'");
    }
    if (const json::value* parent = core::Find(body, "parent_id")) {
        if (parent->is_null()) {
            p.parent = std::string();
        } else if (parent->is_string()) {
            p.parent = std::string(parent->as_string());
        } else {
            return Invalid("parent_id", "'parent_id' must be a string");
        }
    }
    if (auto sector = MUHAFIZ_TRY(core::GetString(body, "sector"))) p.sector = MUHAFIZ_TRY(NormaliseSector(*sector));
    if (auto country = MUHAFIZ_TRY(core::GetString(body, "country")))
        p.country = MUHAFIZ_TRY(NormaliseCountry(*country));
    p.cii = MUHAFIZ_TRY(core::GetBool(body, "cii"));
    if (const json::value* c = core::Find(body, "contacts"); c && !c->is_null()) {
        if (!c->is_object()) return Invalid("contacts", "'contacts' must be an object");
        const auto& co = c->as_object();
        MUHAFIZ_CHECK(core::RejectUnknownFields(co, {"security_email", "abuse_email", "phone", "pgp_key"}, "contacts"));
        Contacts contacts;
        contacts.security_email = MUHAFIZ_TRY(core::GetString(co, "security_email", "contacts")).value_or("");
        contacts.abuse_email = MUHAFIZ_TRY(core::GetString(co, "abuse_email", "contacts")).value_or("");
        contacts.phone = MUHAFIZ_TRY(core::GetString(co, "phone", "contacts")).value_or("");
        contacts.pgp_key = MUHAFIZ_TRY(core::GetString(co, "pgp_key", "contacts")).value_or("");
        MUHAFIZ_CHECK(ValidateContacts(contacts));
        p.contacts = std::move(contacts);
    }
    if (const json::value* n = core::Find(body, "networks"); n && !n->is_null()) {
        if (!n->is_object()) return Invalid("networks", "'networks' must be an object");
        const auto& no = n->as_object();
        MUHAFIZ_CHECK(core::RejectUnknownFields(no, {"prefixes", "asns", "domains"}, "networks"));
        auto prefixes = MUHAFIZ_TRY(StringList(no, "prefixes", "networks.prefixes", false));
        auto asns = MUHAFIZ_TRY(StringList(no, "asns", "networks.asns", true));
        auto domains = MUHAFIZ_TRY(StringList(no, "domains", "networks.domains", false));
        p.networks = MUHAFIZ_TRY(NormaliseNetworks(prefixes, asns, domains));
    }
    return p;
}

json::object ToSummaryJson(const Organisation& o) {
    json::object out;
    out["id"] = o.uuid;
    out["name"] = o.name;
    out["kind"] = KindName(o.kind);
    out["parent_id"] = o.parent_uuid.empty() ? json::value(nullptr) : json::value(o.parent_uuid);
    out["sector"] = o.sector;
    out["country"] = o.country;
    out["cii"] = o.cii;
    return out;
}

json::object ToJson(const Organisation& o) {
    json::object out = ToSummaryJson(o);
    out["contacts"] = json::object{{"security_email", o.contacts.security_email},
                                   {"abuse_email", o.contacts.abuse_email},
                                   {"phone", o.contacts.phone},
                                   {"pgp_key", o.contacts.pgp_key}};
    json::array prefixes(o.networks.prefixes.begin(), o.networks.prefixes.end());
    json::array asns(o.networks.asns.begin(), o.networks.asns.end());
    json::array domains(o.networks.domains.begin(), o.networks.domains.end());
    out["networks"] = json::object{{"prefixes", std::move(prefixes)}, {"asns", std::move(asns)},
                                   {"domains", std::move(domains)}};
    if (!o.path_names.empty()) out["path_names"] = json::array(o.path_names.begin(), o.path_names.end());
    out["children_count"] = o.children_count;
    out["version"] = o.version;
    out["created_at"] = core::FormatRfc3339(o.created_at);
    out["updated_at"] = core::FormatRfc3339(o.updated_at);
    return out;
}

}  // namespace muhafiz::constituency
