#include "vulns/csaf.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "vulns/cvss.hpp"

namespace muhafiz::vulns {
namespace json = core::json;
using core::Invalid;
using core::Result;

namespace {

constexpr std::string_view kTlpUrl = "https://www.first.org/tlp/";

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string Trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

std::string Date(core::Micros t) { return core::FormatRfc3339(t, true); }

std::string Capitalised(std::string s) {
    if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
}

void WriteJson(std::string& out, const json::value& v, int indent) {
    auto pad = [&](int n) { out.append(static_cast<std::size_t>(n) * 2, ' '); };
    switch (v.kind()) {
        case json::kind::object: {
            const auto& o = v.as_object();
            if (o.empty()) { out += "{}"; return; }
            out += "{\n";
            bool first = true;
            for (const auto& kv : o) {
                if (!first) out += ",\n";
                first = false;
                pad(indent + 1);
                out += json::serialize(json::string(kv.key()));
                out += ": ";
                WriteJson(out, kv.value(), indent + 1);
            }
            out += '\n';
            pad(indent);
            out += '}';
            return;
        }
        case json::kind::array: {
            const auto& a = v.as_array();
            if (a.empty()) { out += "[]"; return; }
            out += "[\n";
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (i) out += ",\n";
                pad(indent + 1);
                WriteJson(out, a[i], indent + 1);
            }
            out += '\n';
            pad(indent);
            out += ']';
            return;
        }
        case json::kind::double_: {
            char buf[64];
            auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
            out.append(buf, r.ptr);
            return;
        }
        default:
            out += json::serialize(v);
    }
}

// The product tree as built for an advisory: per product, the ids of its affected and fixed leaves.
struct BuiltTree {
    json::object tree;
    std::vector<std::vector<std::string>> affected;  // by product index
    std::vector<std::vector<std::string>> fixed;
    std::vector<std::string> all_affected;
    std::vector<std::string> all_fixed;
};

BuiltTree BuildProductTree(const AdvisoryContent& c) {
    BuiltTree out;
    out.affected.resize(c.products.size());
    out.fixed.resize(c.products.size());
    int next_id = 1;
    auto new_id = [&] {
        char buf[32];
        std::snprintf(buf, sizeof buf, "CSAFPID-%04d", next_id++);
        return std::string(buf);
    };
    std::vector<std::string> vendor_order;
    std::map<std::string, json::array> vendors;  // vendor name → product_name branches
    for (std::size_t i = 0; i < c.products.size(); ++i) {
        const auto& p = c.products[i];
        json::array leaves;
        auto add = [&](const std::string& version, bool fixed) {
            const bool range = IsVersionRange(version);
            const std::string id = new_id();
            json::object product{{"name", p.vendor + " " + p.product + " " + version}, {"product_id", id}};
            json::object helper;
            if (!p.cpe.empty()) helper["cpe"] = p.cpe;
            if (!p.purl.empty()) helper["purl"] = p.purl;
            if (!helper.empty()) product["product_identification_helper"] = std::move(helper);
            leaves.push_back(json::object{{"category", range ? "product_version_range" : "product_version"},
                                          {"name", range ? VersRange(version) : version},
                                          {"product", std::move(product)}});
            (fixed ? out.fixed[i] : out.affected[i]).push_back(id);
            (fixed ? out.all_fixed : out.all_affected).push_back(id);
        };
        for (const auto& v : p.versions_affected) add(v, false);
        for (const auto& v : p.versions_fixed) add(v, true);
        if (!vendors.count(p.vendor)) vendor_order.push_back(p.vendor);
        vendors[p.vendor].push_back(
            json::object{{"branches", std::move(leaves)}, {"category", "product_name"}, {"name", p.product}});
    }
    json::array branches;
    for (const auto& v : vendor_order)
        branches.push_back(json::object{{"branches", std::move(vendors[v])}, {"category", "vendor"}, {"name", v}});
    out.tree["branches"] = std::move(branches);
    return out;
}

json::array Ids(const std::vector<std::string>& ids) {
    json::array a;
    for (const auto& id : ids) a.emplace_back(id);
    return a;
}

std::string SelfUrl(const CsafSettings& s, Tlp tlp, const CsafTracking& t) {
    if (s.base_url.empty() || t.revisions.empty()) return {};
    return s.base_url + "/.well-known/csaf/" + CsafDocumentPath(tlp, t.revisions.front().date, t.id);
}

}  // namespace

std::string SerializeJson(const json::value& value) {
    std::string out;
    WriteJson(out, value, 0);
    out += '\n';
    return out;
}

std::string HtmlEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string CsafFileName(std::string_view tracking_id) {
    std::string out;
    bool in_run = false;
    for (char ch : tracking_id) {
        const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-') {
            out += c;
            in_run = false;
        } else if (!in_run) {
            out += '_';
            in_run = true;
        }
    }
    return out + ".json";
}

std::string CsafTlpFolder(Tlp tlp) { return Lower(CsafTlpLabel(tlp)); }

std::string CsafDocumentPath(Tlp tlp, core::Micros initial_release, std::string_view tracking_id) {
    return CsafTlpFolder(tlp) + "/" + core::FormatRfc3339(initial_release).substr(0, 4) + "/" +
           CsafFileName(tracking_id);
}

std::string VersRange(std::string_view range) {
    const std::string r = Trim(range);
    const std::string lower = Lower(r);
    if (lower == "all" || lower == "*" || lower == "all versions") return "vers:all/*";
    if (r.starts_with("vers:")) return r;
    auto plain = [](std::string_view v) {
        return !v.empty() && std::all_of(v.begin(), v.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '+' || c == '~';
        });
    };
    for (std::string_view op : {"<=", ">=", "<", ">"})
        if (r.starts_with(op)) {
            const std::string v = Trim(r.substr(op.size()));
            if (plain(v)) return "vers:generic/" + std::string(op) + v;
            return r;
        }
    if (const auto dash = r.find(" - "); dash != std::string::npos) {
        const std::string a = Trim(r.substr(0, dash)), b = Trim(r.substr(dash + 3));
        if (plain(a) && plain(b)) return "vers:generic/>=" + a + "|<=" + b;
    }
    return r;
}

json::object RenderCsaf(const AdvisoryContent& c, const CsafTracking& t, const CsafSettings& s) {
    BuiltTree built = BuildProductTree(c);

    // document
    json::object publisher{{"category", s.publisher_category}, {"name", s.publisher_name},
                           {"namespace", s.publisher_namespace}};
    if (!s.contact_details.empty()) publisher["contact_details"] = s.contact_details;
    json::object distribution{{"tlp", json::object{{"label", CsafTlpLabel(c.tlp)}, {"url", kTlpUrl}}}};
    if (c.tlp == Tlp::kClear || c.tlp == Tlp::kAmberStrict)
        distribution["text"] = std::string("Labelled ") + std::string(TlpName(c.tlp)) +
                               " (TLP 2.0); CSAF 2.0 carries TLP 1.0, hence " + std::string(CsafTlpLabel(c.tlp)) + ".";
    json::array notes{json::object{{"category", "summary"}, {"text", c.summary}, {"title", "Summary"}}};
    if (!c.notes.empty()) notes.push_back(json::object{{"category", "general"}, {"text", c.notes}, {"title", "Notes"}});
    json::array references;
    if (const std::string self = SelfUrl(s, c.tlp, t); !self.empty())
        references.push_back(json::object{{"category", "self"}, {"summary", "This advisory (CSAF)"}, {"url", self}});
    for (const auto& r : c.references)
        references.push_back(json::object{{"category", r.category}, {"summary", r.summary}, {"url", r.url}});
    for (const auto& cve : c.cves)
        references.push_back(json::object{{"category", "external"},
                                          {"summary", cve + " (CVE record)"},
                                          {"url", "https://www.cve.org/CVERecord?id=" + cve}});
    json::array history;
    for (const auto& r : t.revisions)
        history.push_back(
            json::object{{"date", Date(r.date)}, {"number", std::to_string(r.number)}, {"summary", r.summary}});
    const core::Micros initial = t.revisions.empty() ? 0 : t.revisions.front().date;
    const core::Micros current = t.revisions.empty() ? 0 : t.revisions.back().date;
    json::object tracking{
        {"current_release_date", Date(current)},
        {"generator", json::object{{"date", Date(current)},
                                   {"engine", json::object{{"name", kCsafEngineName}, {"version", s.engine_version}}}}},
        {"id", t.id},
        {"initial_release_date", Date(initial)},
        {"revision_history", std::move(history)},
        {"status", "final"},
        {"version", std::to_string(t.revisions.empty() ? 1 : t.revisions.back().number)}};
    json::object document;
    const std::string severity = c.severity.empty() ? SeverityFromScores(c) : c.severity;
    if (!severity.empty()) document["aggregate_severity"] = json::object{{"text", Capitalised(severity)}};
    document["category"] = "csaf_security_advisory";
    document["csaf_version"] = "2.0";
    document["distribution"] = std::move(distribution);
    document["lang"] = s.lang;
    document["notes"] = std::move(notes);
    document["publisher"] = std::move(publisher);
    document["references"] = std::move(references);
    document["title"] = c.title;
    document["tracking"] = std::move(tracking);

    // vulnerabilities
    json::array remediations;
    for (const auto& r : c.remediation) {
        std::vector<std::string> ids;
        if (r.products.empty()) {
            ids = built.all_affected;
        } else {
            for (std::size_t i = 0; i < c.products.size(); ++i) {
                const auto& p = c.products[i];
                const bool named = std::any_of(r.products.begin(), r.products.end(), [&](const std::string& n) {
                    return Lower(n) == Lower(p.product) || Lower(n) == Lower(p.vendor + " " + p.product);
                });
                if (named) ids.insert(ids.end(), built.affected[i].begin(), built.affected[i].end());
            }
        }
        if (ids.empty()) ids = built.all_affected.empty() ? built.all_fixed : built.all_affected;
        json::object o{{"category", RemediationCategoryName(r.category)}, {"details", r.details}, {"product_ids", Ids(ids)}};
        if (!r.url.empty()) o["url"] = r.url;
        remediations.push_back(std::move(o));
    }
    json::object status;
    if (!built.all_affected.empty()) status["known_affected"] = Ids(built.all_affected);
    if (!built.all_fixed.empty()) status["fixed"] = Ids(built.all_fixed);

    json::array vulnerabilities;
    auto vulnerability = [&](const std::string& cve) {
        json::object v;
        if (!cve.empty()) v["cve"] = cve;
        json::array vnotes{json::object{{"category", "description"}, {"text", c.summary}, {"title", "Description"}}};
        json::array scores;
        for (const auto& sc : c.scores) {
            if (sc.cve != cve) continue;
            auto r = ScoreCvss(sc.vector);
            if (!r) continue;
            const double base = std::round(r->base * 10) / 10;
            if (r->version == CvssVersion::k40) {
                vnotes.push_back(json::object{{"category", "other"},
                                              {"text", sc.vector + " (" + r->nomenclature + " " +
                                                           FormatCvssScore(r->score) + ", " + r->severity + ")"},
                                              {"title", "CVSS v4.0"}});
                continue;
            }
            scores.push_back(json::object{
                {"cvss_v3", json::object{{"baseScore", base},
                                         {"baseSeverity", std::string(CvssSeverity(base))},
                                         {"vectorString", sc.vector},
                                         {"version", std::string(CvssVersionName(r->version))}}},
                {"products", Ids(built.all_affected.empty() ? built.all_fixed : built.all_affected)}});
        }
        v["notes"] = std::move(vnotes);
        if (!status.empty()) v["product_status"] = status;
        if (!remediations.empty()) v["remediations"] = remediations;
        if (!scores.empty()) v["scores"] = std::move(scores);
        if (cve.empty()) v["title"] = c.title;
        vulnerabilities.push_back(std::move(v));
    };
    if (c.cves.empty()) vulnerability("");
    for (const auto& cve : c.cves) vulnerability(cve);

    json::object out;
    out["document"] = std::move(document);
    out["product_tree"] = std::move(built.tree);
    out["vulnerabilities"] = std::move(vulnerabilities);
    return out;
}

std::string RenderHtml(const AdvisoryContent& c, const CsafTracking& t, const CsafSettings& s) {
    const auto e = [](std::string_view x) { return HtmlEscape(x); };
    auto link = [&](const std::string& url, const std::string& text) {
        return "<a href=\"" + e(url) + "\" rel=\"noopener noreferrer\">" + e(text) + "</a>";
    };
    auto paragraphs = [&](const std::string& text) {
        std::string out = "<p>";
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\n' && i + 1 < text.size() && text[i + 1] == '\n') {
                out += "</p><p>";
                while (i + 1 < text.size() && text[i + 1] == '\n') ++i;
            } else if (text[i] == '\n') {
                out += "<br>";
            } else {
                out += e(std::string_view(&text[i], 1));
            }
        }
        return out + "</p>";
    };
    std::string tlp_class = Lower(CsafTlpLabel(c.tlp));
    const std::string severity = c.severity.empty() ? SeverityFromScores(c) : c.severity;
    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"" + e(s.lang) + "\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         e(t.id.empty() ? c.title : t.id + ": " + c.title) + "</title>\n";
    h += "<style>\n"
         "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:60rem;margin:2rem auto;"
         "padding:0 1rem;color:#1b1f24;line-height:1.5}\n"
         "h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;"
         "padding-bottom:.2rem;margin-top:2rem}\n"
         "table{border-collapse:collapse;width:100%}th,td{text-align:left;border:1px solid #d0d7de;padding:.35rem .5rem;"
         "vertical-align:top}th{background:#f6f8fa}\n"
         ".meta{color:#57606a}.tlp{display:inline-block;padding:.1rem .5rem;border-radius:.25rem;font-weight:700;"
         "background:#000;font-family:monospace}\n"
         ".tlp.white{color:#fff}.tlp.green{color:#33ff00}.tlp.amber{color:#ffc000}.tlp.red{color:#ff2b2b}\n"
         ".sev{font-weight:700;text-transform:capitalize}code{font-size:.9em;word-break:break-all}\n"
         "@media print{.tlp{border:1px solid #000}}\n"
         "</style>\n</head>\n<body>\n";
    h += "<p><span class=\"tlp " + tlp_class + "\">" + e(TlpName(c.tlp)) + "</span></p>\n";
    h += "<p class=\"meta\">" + e(s.publisher_name) + (t.id.empty() ? "" : " &middot; " + e(t.id));
    if (!t.revisions.empty())
        h += " &middot; version " + std::to_string(t.revisions.back().number) + " of " +
             e(core::FormatRfc3339(t.revisions.back().date).substr(0, 10));
    h += "</p>\n<h1>" + e(c.title) + "</h1>\n";
    if (!severity.empty()) h += "<p>Severity: <span class=\"sev\">" + e(severity) + "</span></p>\n";
    h += "<h2>Summary</h2>\n" + paragraphs(c.summary) + "\n";
    if (!c.cves.empty()) {
        h += "<h2>Vulnerabilities</h2>\n<table>\n<tr><th>CVE</th><th>CVSS</th></tr>\n";
        for (const auto& cve : c.cves) {
            std::string scores;
            for (const auto& sc : c.scores)
                if (sc.cve == cve)
                    if (auto r = ScoreCvss(sc.vector))
                        scores += "<div>" + e(FormatCvssScore(r->score)) + " " + e(r->severity) + " <code>" +
                                  e(sc.vector) + "</code></div>";
            h += "<tr><td>" + link("https://www.cve.org/CVERecord?id=" + cve, cve) + "</td><td>" + scores +
                 "</td></tr>\n";
        }
        h += "</table>\n";
    }
    if (!c.products.empty()) {
        h += "<h2>Affected products</h2>\n<table>\n<tr><th>Vendor</th><th>Product</th><th>Affected</th>"
             "<th>Fixed</th></tr>\n";
        auto list = [&](const std::vector<std::string>& v) {
            std::string out;
            for (const auto& x : v) out += "<div>" + e(x) + "</div>";
            return out;
        };
        for (const auto& p : c.products) {
            std::string ids;
            if (!p.cpe.empty()) ids += "<div><code>" + e(p.cpe) + "</code></div>";
            if (!p.purl.empty()) ids += "<div><code>" + e(p.purl) + "</code></div>";
            h += "<tr><td>" + e(p.vendor) + "</td><td>" + e(p.product) + ids + "</td><td>" +
                 list(p.versions_affected) + "</td><td>" + list(p.versions_fixed) + "</td></tr>\n";
        }
        h += "</table>\n";
    }
    if (!c.remediation.empty()) {
        h += "<h2>Remediation</h2>\n";
        for (const auto& r : c.remediation) {
            std::string category(RemediationCategoryName(r.category));
            std::replace(category.begin(), category.end(), '_', ' ');
            h += "<h3>" + e(Capitalised(category)) + (r.products.empty() ? "" : ": ");
            for (std::size_t i = 0; i < r.products.size(); ++i) h += (i ? ", " : "") + e(r.products[i]);
            h += "</h3>\n" + paragraphs(r.details) + "\n";
            if (!r.url.empty()) h += "<p>" + link(r.url, r.url) + "</p>\n";
        }
    }
    if (!c.notes.empty()) h += "<h2>Notes</h2>\n" + paragraphs(c.notes) + "\n";
    if (!c.references.empty()) {
        h += "<h2>References</h2>\n<ul>\n";
        for (const auto& r : c.references) h += "<li>" + link(r.url, r.summary) + "</li>\n";
        h += "</ul>\n";
    }
    if (!t.revisions.empty()) {
        h += "<h2>Revision history</h2>\n<table>\n<tr><th>Version</th><th>Date</th><th>Summary</th></tr>\n";
        for (const auto& r : t.revisions)
            h += "<tr><td>" + std::to_string(r.number) + "</td><td>" + e(Date(r.date)) + "</td><td>" + e(r.summary) +
                 "</td></tr>\n";
        h += "</table>\n";
    }
    if (const std::string self = SelfUrl(s, c.tlp, t); !self.empty())
        h += "<p class=\"meta\">Machine-readable: " + link(self, "CSAF 2.0 document") + "</p>\n";
    h += "</body>\n</html>\n";
    return h;
}

// ---- Import ----

std::string_view StatementStatusName(StatementStatus s) {
    switch (s) {
        case StatementStatus::kKnownAffected: return "known_affected";
        case StatementStatus::kKnownNotAffected: return "known_not_affected";
        case StatementStatus::kFixed: return "fixed";
        case StatementStatus::kUnderInvestigation: return "under_investigation";
    }
    return "known_affected";
}

namespace {

struct ProductInfo {
    std::string name, vendor, product, version, range, cpe, purl;
};

std::string Str(const json::object& o, std::string_view key) {
    const json::value* v = core::Find(o, key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

const json::object* Obj(const json::object& o, std::string_view key) {
    const json::value* v = core::Find(o, key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

const json::array* Arr(const json::object& o, std::string_view key) {
    const json::value* v = core::Find(o, key);
    return v && v->is_array() ? &v->as_array() : nullptr;
}

void ReadHelper(const json::object& product, ProductInfo& info) {
    if (const json::object* h = Obj(product, "product_identification_helper")) {
        info.cpe = Str(*h, "cpe");
        info.purl = Str(*h, "purl");
    }
}

void WalkBranches(const json::array& branches, ProductInfo context, std::map<std::string, ProductInfo>& out,
                  int depth) {
    if (depth > 30) return;
    for (const auto& b : branches) {
        if (!b.is_object()) continue;
        const auto& o = b.as_object();
        ProductInfo info = context;
        const std::string category = Str(o, "category"), name = Str(o, "name");
        if (category == "vendor") info.vendor = name;
        else if (category == "product_name") info.product = name;
        else if (category == "product_version") info.version = name;
        else if (category == "product_version_range") info.range = name;
        else if (category == "product_family" && info.product.empty()) info.product = name;
        if (const json::object* p = Obj(o, "product")) {
            ProductInfo leaf = info;
            leaf.name = Str(*p, "name");
            ReadHelper(*p, leaf);
            if (const std::string id = Str(*p, "product_id"); !id.empty()) out[id] = leaf;
        }
        if (const json::array* sub = Arr(o, "branches")) WalkBranches(*sub, info, out, depth + 1);
    }
}

}  // namespace

Result<CsafDocumentInfo> ParseCsafDocument(std::string_view text) {
    const json::value root = MUHAFIZ_TRY(core::ParseJson(text));
    if (!root.is_object()) return Invalid("body", "a CSAF document is a JSON object");
    const json::object* document = Obj(root.as_object(), "document");
    if (!document) return Invalid("document", "'document' is missing: this is not a CSAF document");
    CsafDocumentInfo info;
    info.category = Str(*document, "category");
    if (info.category.empty()) return Invalid("document.category", "'document.category' is missing");
    if (Str(*document, "csaf_version") != "2.0")
        return Invalid("document.csaf_version", "only CSAF 2.0 documents are understood");
    info.title = Str(*document, "title");
    const json::object* publisher = Obj(*document, "publisher");
    if (publisher) {
        info.publisher_name = Str(*publisher, "name");
        info.publisher_namespace = Str(*publisher, "namespace");
    }
    if (info.publisher_namespace.empty())
        return Invalid("document.publisher.namespace", "'document.publisher.namespace' is missing");
    const json::object* tracking = Obj(*document, "tracking");
    if (tracking) {
        info.tracking_id = Str(*tracking, "id");
        info.tracking_version = Str(*tracking, "version");
        info.current_release_date = core::ParseRfc3339(Str(*tracking, "current_release_date")).value_or(0);
    }
    if (info.tracking_id.empty()) return Invalid("document.tracking.id", "'document.tracking.id' is missing");
    if (const json::object* d = Obj(*document, "distribution"))
        if (const json::object* tlp = Obj(*d, "tlp")) info.tlp = Str(*tlp, "label");

    std::map<std::string, ProductInfo> products;
    if (const json::object* tree = Obj(root.as_object(), "product_tree")) {
        if (const json::array* b = Arr(*tree, "branches")) WalkBranches(*b, {}, products, 0);
        if (const json::array* names = Arr(*tree, "full_product_names"))
            for (const auto& n : *names)
                if (n.is_object()) {
                    ProductInfo p;
                    p.name = Str(n.as_object(), "name");
                    ReadHelper(n.as_object(), p);
                    if (const std::string id = Str(n.as_object(), "product_id"); !id.empty()) products[id] = p;
                }
        if (const json::array* rels = Arr(*tree, "relationships"))
            for (const auto& r : *rels) {
                if (!r.is_object()) continue;
                const json::object* full = Obj(r.as_object(), "full_product_name");
                if (!full) continue;
                // The component's vendor/product/version describe what is installed.
                ProductInfo p;
                if (auto it = products.find(Str(r.as_object(), "product_reference")); it != products.end()) p = it->second;
                p.name = Str(*full, "name");
                ProductInfo own;
                ReadHelper(*full, own);
                if (!own.cpe.empty()) p.cpe = own.cpe;
                if (!own.purl.empty()) p.purl = own.purl;
                if (const std::string id = Str(*full, "product_id"); !id.empty()) products[id] = p;
            }
    }

    static const std::pair<std::string_view, StatementStatus> kStatuses[] = {
        {"known_affected", StatementStatus::kKnownAffected},   {"first_affected", StatementStatus::kKnownAffected},
        {"last_affected", StatementStatus::kKnownAffected},    {"known_not_affected", StatementStatus::kKnownNotAffected},
        {"fixed", StatementStatus::kFixed},                    {"first_fixed", StatementStatus::kFixed},
        {"under_investigation", StatementStatus::kUnderInvestigation}};
    if (const json::array* vulns = Arr(root.as_object(), "vulnerabilities"))
        for (const auto& v : *vulns) {
            if (!v.is_object()) continue;
            const auto& vo = v.as_object();
            std::string cve = Str(vo, "cve");
            if (cve.empty())
                if (const json::array* ids = Arr(vo, "ids"); ids && !ids->empty() && (*ids)[0].is_object())
                    cve = Str((*ids)[0].as_object(), "text");
            const json::object* ps = Obj(vo, "product_status");
            if (cve.empty() || !ps) continue;
            std::set<std::pair<StatementStatus, std::string>> seen;
            for (const auto& [key, status] : kStatuses) {
                const json::array* ids = Arr(*ps, key);
                if (!ids) continue;
                for (const auto& id : *ids) {
                    if (!id.is_string() || !seen.emplace(status, std::string(id.as_string())).second) continue;
                    CsafStatement st;
                    st.cve = cve;
                    st.status = status;
                    st.product_id = std::string(id.as_string());
                    if (auto it = products.find(st.product_id); it != products.end()) {
                        const ProductInfo& p = it->second;
                        st.product_name = p.name;
                        st.vendor = p.vendor;
                        st.product = p.product;
                        st.version = p.version;
                        st.version_range = p.range;
                        st.cpe = p.cpe;
                        st.purl = p.purl;
                    }
                    if (st.product_name.empty()) st.product_name = st.product_id;
                    info.statements.push_back(std::move(st));
                }
            }
        }
    return info;
}

}  // namespace muhafiz::vulns
