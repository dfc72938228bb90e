#include "vulns/advisory.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "vulns/cvss.hpp"

namespace muhafiz::vulns {
namespace json = core::json;
using core::Invalid;
using core::Result;
using core::Status;

namespace {

constexpr std::size_t kMaxItems = 500;
constexpr std::size_t kMaxTitle = 500;
constexpr std::size_t kMaxText = 65536;

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string Trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

std::string Index(std::string_view field, std::size_t i) { return std::string(field) + "[" + std::to_string(i) + "]"; }

Result<std::string> Text(const json::object& obj, std::string_view key, std::string_view path, std::size_t max) {
    auto v = MUHAFIZ_TRY(core::GetString(obj, key, path));
    std::string s = Trim(v.value_or(""));
    const std::string name = path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
    if (s.size() > max) return Invalid(name, "'" + name + "' is longer than " + std::to_string(max) + " bytes");
    return s;
}

// An array of objects (or absent/null: empty).
Result<const json::array*> Array(const json::object& obj, std::string_view key, std::string_view path = {}) {
    const json::value* v = core::Find(obj, key);
    const std::string name = path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
    if (!v || v->is_null()) return static_cast<const json::array*>(nullptr);
    if (!v->is_array()) return Invalid(name, "'" + name + "' must be an array");
    if (v->as_array().size() > kMaxItems)
        return Invalid(name, "'" + name + "' has more than " + std::to_string(kMaxItems) + " items");
    return &v->as_array();
}

// An array of strings; a single string is accepted as a one-item list when `allow_single`.
Result<std::vector<std::string>> Strings(const json::object& obj, std::string_view key, std::string_view path,
                                         bool allow_single = false) {
    const std::string name = path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
    const json::value* v = core::Find(obj, key);
    std::vector<std::string> out;
    if (!v || v->is_null()) return out;
    if (allow_single && v->is_string()) {
        if (std::string s = Trim(v->as_string()); !s.empty()) out.push_back(std::move(s));
        return out;
    }
    const json::array* a = MUHAFIZ_TRY(Array(obj, key, path));
    for (std::size_t i = 0; i < a->size(); ++i) {
        if (!(*a)[i].is_string()) return Invalid(Index(name, i), "'" + Index(name, i) + "' must be a string");
        std::string s = Trim((*a)[i].as_string());
        if (s.empty()) return Invalid(Index(name, i), "'" + Index(name, i) + "' must not be empty");
        if (s.size() > 1000) return Invalid(Index(name, i), "'" + Index(name, i) + "' is too long");
        out.push_back(std::move(s));
    }
    return out;
}

Result<const json::object*> Object(const json::value& v, const std::string& name) {
    if (!v.is_object()) return Invalid(name, "'" + name + "' must be an object");
    return &v.as_object();
}

bool IsCve(std::string_view s) {
    if (s.size() < 13 || s.substr(0, 4) != "CVE-" || s[8] != '-') return false;
    for (std::size_t i = 4; i < 8; ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    for (std::size_t i = 9; i < s.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
}

bool IsUrl(std::string_view s) {
    if (!(s.starts_with("https://") || s.starts_with("http://"))) return false;
    const std::size_t host = s.find("://") + 3;
    if (host >= s.size() || s[host] == '/') return false;
    return std::none_of(s.begin(), s.end(), [](unsigned char c) { return c <= ' ' || c == '"' || c == '<' || c == '>'; });
}

Result<RemediationCategory> ParseRemediationCategory(std::string_view s, const std::string& field) {
    for (auto c : {RemediationCategory::kVendorFix, RemediationCategory::kWorkaround, RemediationCategory::kMitigation,
                   RemediationCategory::kNoneAvailable, RemediationCategory::kNoFixPlanned})
        if (s == RemediationCategoryName(c)) return c;
    return Invalid(field, "'" + field +
                              "' must be one of vendor_fix, workaround, mitigation, none_available, no_fix_planned");
}

Result<AffectedProduct> ParseProduct(const json::value& v, const std::string& path) {
    const json::object& o = *MUHAFIZ_TRY(Object(v, path));
    MUHAFIZ_CHECK(core::RejectUnknownFields(
        o, {"vendor", "product", "versions_affected", "versions_fixed", "cpe", "purl"}, path));
    AffectedProduct p;
    p.vendor = MUHAFIZ_TRY(Text(o, "vendor", path, 200));
    p.product = MUHAFIZ_TRY(Text(o, "product", path, 200));
    if (p.vendor.empty()) return Invalid(path + ".vendor", "'" + path + ".vendor' is required");
    if (p.product.empty()) return Invalid(path + ".product", "'" + path + ".product' is required");
    p.versions_affected = MUHAFIZ_TRY(Strings(o, "versions_affected", path, true));
    p.versions_fixed = MUHAFIZ_TRY(Strings(o, "versions_fixed", path, true));
    p.cpe = MUHAFIZ_TRY(Text(o, "cpe", path, 500));
    p.purl = MUHAFIZ_TRY(Text(o, "purl", path, 500));
    if (!p.cpe.empty() && !(p.cpe.starts_with("cpe:2.3:") || p.cpe.starts_with("cpe:/")))
        return Invalid(path + ".cpe", "'" + path + ".cpe' must be a CPE 2.3 name (cpe:2.3:...) or a CPE URI (cpe:/...)");
    if (!p.purl.empty() && (!p.purl.starts_with("pkg:") || p.purl.find('/') == std::string::npos ||
                            p.purl.find(' ') != std::string::npos))
        return Invalid(path + ".purl", "'" + path + ".purl' must be a package URL (pkg:type/name@version)");
    return p;
}

}  // namespace

std::string_view TlpName(Tlp tlp) {
    switch (tlp) {
        case Tlp::kClear: return "TLP:CLEAR";
        case Tlp::kGreen: return "TLP:GREEN";
        case Tlp::kAmber: return "TLP:AMBER";
        case Tlp::kAmberStrict: return "TLP:AMBER+STRICT";
        case Tlp::kRed: return "TLP:RED";
    }
    return "TLP:RED";
}

std::string_view CsafTlpLabel(Tlp tlp) {
    switch (tlp) {
        case Tlp::kClear: return "WHITE";
        case Tlp::kGreen: return "GREEN";
        case Tlp::kAmber:
        case Tlp::kAmberStrict: return "AMBER";
        case Tlp::kRed: return "RED";
    }
    return "RED";
}

Result<Tlp> ParseTlp(std::string_view text, std::string_view field) {
    std::string s = Lower(Trim(text));
    if (s.starts_with("tlp:")) s = s.substr(4);
    if (s == "clear" || s == "white") return Tlp::kClear;
    if (s == "green") return Tlp::kGreen;
    if (s == "amber") return Tlp::kAmber;
    if (s == "amber+strict") return Tlp::kAmberStrict;
    if (s == "red") return Tlp::kRed;
    return Invalid(std::string(field),
                   "'" + std::string(field) + "' must be one of TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED");
}

std::string_view RemediationCategoryName(RemediationCategory c) {
    switch (c) {
        case RemediationCategory::kVendorFix: return "vendor_fix";
        case RemediationCategory::kWorkaround: return "workaround";
        case RemediationCategory::kMitigation: return "mitigation";
        case RemediationCategory::kNoneAvailable: return "none_available";
        case RemediationCategory::kNoFixPlanned: return "no_fix_planned";
    }
    return "vendor_fix";
}

std::string_view AdvisoryStatusName(AdvisoryStatus s) {
    return s == AdvisoryStatus::kPublished ? "published" : "draft";
}

bool IsVersionRange(std::string_view version) {
    for (char c : version)
        if (c == '<' || c == '>' || c == '=' || c == '*' || c == '|' || c == ',' ||
            std::isspace(static_cast<unsigned char>(c)))
            return true;
    const std::string lower = Lower(version);
    for (std::string_view word : {"all", "after", "before", "earlier", "later", "prior", "versions", "through"})
        if (lower.find(word) != std::string::npos) return true;
    return version.starts_with("vers:");
}

Status ApplyContentJson(AdvisoryContent& c, const json::object& obj) {
    MUHAFIZ_CHECK(core::RejectUnknownFields(obj, {"title", "summary", "tlp", "severity", "cves", "products", "scores",
                                                  "remediation", "references", "notes"}));
    if (core::Find(obj, "title")) c.title = MUHAFIZ_TRY(Text(obj, "title", "", kMaxTitle));
    if (core::Find(obj, "summary")) c.summary = MUHAFIZ_TRY(Text(obj, "summary", "", kMaxText));
    if (core::Find(obj, "notes")) c.notes = MUHAFIZ_TRY(Text(obj, "notes", "", kMaxText));
    if (core::Find(obj, "tlp")) {
        auto t = MUHAFIZ_TRY(core::GetString(obj, "tlp"));
        if (!t) return Invalid("tlp", "'tlp' is required");
        c.tlp = MUHAFIZ_TRY(ParseTlp(*t));
    }
    if (core::Find(obj, "severity")) {
        c.severity = Lower(MUHAFIZ_TRY(Text(obj, "severity", "", 20)));
        if (!c.severity.empty() && c.severity != "low" && c.severity != "medium" && c.severity != "high" &&
            c.severity != "critical")
            return Invalid("severity", "'severity' must be one of low, medium, high, critical");
    }
    if (core::Find(obj, "cves")) {
        c.cves = MUHAFIZ_TRY(Strings(obj, "cves", ""));
        for (std::size_t i = 0; i < c.cves.size(); ++i) {
            for (auto& ch : c.cves[i]) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            if (!IsCve(c.cves[i])) return Invalid(Index("cves", i), "'" + c.cves[i] + "' is not a CVE id (CVE-YYYY-NNNN)");
        }
    }
    if (core::Find(obj, "products")) {
        c.products.clear();
        if (const json::array* a = MUHAFIZ_TRY(Array(obj, "products")))
            for (std::size_t i = 0; i < a->size(); ++i)
                c.products.push_back(MUHAFIZ_TRY(ParseProduct((*a)[i], Index("products", i))));
    }
    if (core::Find(obj, "scores")) {
        c.scores.clear();
        if (const json::array* a = MUHAFIZ_TRY(Array(obj, "scores")))
            for (std::size_t i = 0; i < a->size(); ++i) {
                const std::string path = Index("scores", i);
                const json::object& o = *MUHAFIZ_TRY(Object((*a)[i], path));
                MUHAFIZ_CHECK(core::RejectUnknownFields(o, {"cve", "vector"}, path));
                AdvisoryScore s{MUHAFIZ_TRY(Text(o, "cve", path, 40)), MUHAFIZ_TRY(Text(o, "vector", path, 300))};
                for (auto& ch : s.cve) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                if (auto r = ScoreCvss(s.vector); !r)
                    return Invalid(path + ".vector", r.error().message);
                c.scores.push_back(std::move(s));
            }
    }
    if (core::Find(obj, "remediation")) {
        c.remediation.clear();
        if (const json::array* a = MUHAFIZ_TRY(Array(obj, "remediation")))
            for (std::size_t i = 0; i < a->size(); ++i) {
                const std::string path = Index("remediation", i);
                const json::object& o = *MUHAFIZ_TRY(Object((*a)[i], path));
                MUHAFIZ_CHECK(core::RejectUnknownFields(o, {"category", "details", "url", "products"}, path));
                Remediation r;
                r.category = MUHAFIZ_TRY(ParseRemediationCategory(MUHAFIZ_TRY(Text(o, "category", path, 40)),
                                                                  path + ".category"));
                r.details = MUHAFIZ_TRY(Text(o, "details", path, kMaxText));
                if (r.details.empty()) return Invalid(path + ".details", "'" + path + ".details' is required");
                r.url = MUHAFIZ_TRY(Text(o, "url", path, 2000));
                if (!r.url.empty() && !IsUrl(r.url)) return Invalid(path + ".url", "'" + path + ".url' must be an http(s) URL");
                r.products = MUHAFIZ_TRY(Strings(o, "products", path));
                c.remediation.push_back(std::move(r));
            }
    }
    if (core::Find(obj, "references")) {
        c.references.clear();
        if (const json::array* a = MUHAFIZ_TRY(Array(obj, "references")))
            for (std::size_t i = 0; i < a->size(); ++i) {
                const std::string path = Index("references", i);
                const json::object& o = *MUHAFIZ_TRY(Object((*a)[i], path));
                MUHAFIZ_CHECK(core::RejectUnknownFields(o, {"url", "summary", "category"}, path));
                AdvisoryReference r;
                r.url = MUHAFIZ_TRY(Text(o, "url", path, 2000));
                r.summary = MUHAFIZ_TRY(Text(o, "summary", path, 1000));
                r.category = MUHAFIZ_TRY(Text(o, "category", path, 20));
                if (r.category.empty()) r.category = "external";
                if (!IsUrl(r.url)) return Invalid(path + ".url", "'" + path + ".url' must be an http(s) URL");
                if (r.summary.empty()) r.summary = r.url;
                if (r.category != "external" && r.category != "self")
                    return Invalid(path + ".category", "'" + path + ".category' must be 'external' or 'self'");
                c.references.push_back(std::move(r));
            }
    }
    return {};
}

Result<AdvisoryContent> ContentFromJson(const json::object& obj) {
    if (!core::Find(obj, "tlp")) return Invalid("tlp", "'tlp' is required");
    AdvisoryContent c;
    MUHAFIZ_CHECK(ApplyContentJson(c, obj));
    MUHAFIZ_CHECK(ValidateContent(c));
    return c;
}

Status ValidateContent(const AdvisoryContent& c) {
    if (c.title.empty()) return Invalid("title", "'title' is required");
    std::set<std::string> cves;
    for (std::size_t i = 0; i < c.cves.size(); ++i)
        if (!cves.insert(c.cves[i]).second) return Invalid(Index("cves", i), c.cves[i] + " is listed twice");
    std::set<std::string> v3_scored;
    for (std::size_t i = 0; i < c.scores.size(); ++i) {
        const auto& s = c.scores[i];
        if (!cves.count(s.cve))
            return Invalid(Index("scores", i) + ".cve", "'" + s.cve + "' is not one of the advisory's cves");
        auto r = ScoreCvss(s.vector);
        if (!r) return Invalid(Index("scores", i) + ".vector", r.error().message);
        const std::string key = s.cve + (r->version == CvssVersion::k40 ? "/4" : "/3");
        if (!v3_scored.insert(key).second)
            return Invalid(Index("scores", i) + ".vector",
                           s.cve + " already has a CVSS " + (r->version == CvssVersion::k40 ? "4.0" : "3.x") + " vector");
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < c.products.size(); ++i) {
        const auto& p = c.products[i];
        if (!names.insert(Lower(p.vendor) + "\n" + Lower(p.product)).second)
            return Invalid(Index("products", i) + ".product", p.vendor + " " + p.product + " is listed twice");
        std::set<std::string> seen;
        for (std::size_t j = 0; j < p.versions_affected.size(); ++j)
            if (!seen.insert(p.versions_affected[j]).second)
                return Invalid(Index("products", i) + ".versions_affected[" + std::to_string(j) + "]",
                               "'" + p.versions_affected[j] + "' is listed twice");
        for (std::size_t j = 0; j < p.versions_fixed.size(); ++j)
            if (!seen.insert(p.versions_fixed[j]).second)
                return Invalid(Index("products", i) + ".versions_fixed[" + std::to_string(j) + "]",
                               "'" + p.versions_fixed[j] + "' is listed twice or also as affected");
    }
    for (std::size_t i = 0; i < c.remediation.size(); ++i)
        for (std::size_t j = 0; j < c.remediation[i].products.size(); ++j) {
            const std::string want = Lower(c.remediation[i].products[j]);
            const bool known = std::any_of(c.products.begin(), c.products.end(), [&](const AffectedProduct& p) {
                return Lower(p.product) == want || Lower(p.vendor + " " + p.product) == want;
            });
            if (!known)
                return Invalid(Index("remediation", i) + ".products[" + std::to_string(j) + "]",
                               "'" + c.remediation[i].products[j] + "' is not one of the advisory's products");
        }
    return {};
}

Status ValidateForPublication(const AdvisoryContent& c) {
    MUHAFIZ_CHECK(ValidateContent(c));
    if (c.summary.empty()) return Invalid("summary", "a published advisory needs a 'summary'");
    if (c.products.empty()) return Invalid("products", "a published advisory names at least one affected product");
    for (std::size_t i = 0; i < c.products.size(); ++i)
        if (c.products[i].versions_affected.empty())
            return Invalid(Index("products", i) + ".versions_affected",
                           "say which versions are affected (a version, a range such as '<2.4.52', or 'all')");
    const bool external = std::any_of(c.references.begin(), c.references.end(),
                                      [](const AdvisoryReference& r) { return r.category == "external"; });
    if (c.cves.empty() && !external)
        return Invalid("references", "a published advisory needs a CVE or at least one external reference");
    return {};
}

json::object ContentToJson(const AdvisoryContent& c) {
    auto strings = [](const std::vector<std::string>& v) {
        json::array a;
        for (const auto& s : v) a.emplace_back(s);
        return a;
    };
    json::array products, scores, remediation, references;
    for (const auto& p : c.products) {
        json::object o{{"vendor", p.vendor},
                       {"product", p.product},
                       {"versions_affected", strings(p.versions_affected)},
                       {"versions_fixed", strings(p.versions_fixed)}};
        o["cpe"] = p.cpe.empty() ? json::value(nullptr) : json::value(p.cpe);
        o["purl"] = p.purl.empty() ? json::value(nullptr) : json::value(p.purl);
        products.push_back(std::move(o));
    }
    for (const auto& s : c.scores) scores.push_back(json::object{{"cve", s.cve}, {"vector", s.vector}});
    for (const auto& r : c.remediation) {
        json::object o{{"category", RemediationCategoryName(r.category)}, {"details", r.details}};
        o["url"] = r.url.empty() ? json::value(nullptr) : json::value(r.url);
        o["products"] = strings(r.products);
        remediation.push_back(std::move(o));
    }
    for (const auto& r : c.references)
        references.push_back(json::object{{"url", r.url}, {"summary", r.summary}, {"category", r.category}});
    json::object out{{"title", c.title}, {"summary", c.summary}, {"tlp", TlpName(c.tlp)}};
    out["severity"] = c.severity.empty() ? json::value(nullptr) : json::value(c.severity);
    out["cves"] = strings(c.cves);
    out["products"] = std::move(products);
    out["scores"] = std::move(scores);
    out["remediation"] = std::move(remediation);
    out["references"] = std::move(references);
    out["notes"] = c.notes;
    return out;
}

json::object ToJson(const Advisory& a) {
    json::object out = ContentToJson(a.content);
    out["id"] = a.uuid;
    out["organisation_id"] = a.organisation_uuid;
    out["status"] = AdvisoryStatusName(a.status);
    out["tracking_id"] = a.tracking_id.empty() ? json::value(nullptr) : json::value(a.tracking_id);
    json::array revisions;
    for (const auto& r : a.revisions)
        revisions.push_back(json::object{
            {"number", r.number}, {"date", core::FormatRfc3339(r.date)}, {"summary", r.summary}});
    out["revisions"] = std::move(revisions);
    out["version"] = a.version;
    out["pending_changes"] = a.pending_changes();
    out["created_at"] = core::FormatRfc3339(a.created_at);
    out["updated_at"] = core::FormatRfc3339(a.updated_at);
    return out;
}

std::string SeverityFromScores(const AdvisoryContent& c) {
    double best = -1;
    for (const auto& s : c.scores)
        if (auto r = ScoreCvss(s.vector)) best = std::max(best, r->score);
    if (best < 0) return {};
    return Lower(CvssSeverity(best));
}

}  // namespace muhafiz::vulns
