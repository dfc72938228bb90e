#include "vulns/cve_parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/csv.hpp"
#include "vulns/cvss.hpp"

namespace muhafiz::vulns {
namespace {

namespace json = core::json;
using core::Result;
using core::Status;
using json_map::AsObject;
using json_map::Bad;
using json_map::FieldPath;
using json_map::ForEach;
using json_map::Trimmed;

void AddUnique(std::vector<std::string>& list, std::string value) {
    if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end())
        list.push_back(std::move(value));
}

Result<const json::object*> RequiredObject(const json::object& o, std::string_view key,
                                           std::string_view path) {
    const json::value* v = core::Find(o, key);
    if (!v || v->is_null()) return Bad(FieldPath(path, key), "is required");
    return AsObject(*v, FieldPath(path, key));
}

// A lenient time stamp (RFC 3339, or without zone meaning UTC); absent → nullopt.
Result<std::optional<core::Micros>> Time(const json::object& o, std::string_view key,
                                         std::string_view path) {
    auto s = MUHAFIZ_TRY(Trimmed(o, key, path));
    if (!s || s->empty()) return std::optional<core::Micros>();
    auto t = core::ParseRfc3339(*s);
    if (!t) return Bad(FieldPath(path, key), "is not a time stamp: " + *s);
    return t;
}

Result<std::optional<double>> Number(const json::object& o, std::string_view key,
                                     std::string_view path) {
    const json::value* v = core::Find(o, key);
    if (!v || v->is_null()) return std::optional<double>();
    if (!v->is_number()) return Bad(FieldPath(path, key), "must be a number");
    return std::optional<double>(v->to_number<double>());
}

// The value of the first English entry of `{lang, value}` items (else the first entry).
Result<std::string> FirstEnglish(const json::object& o, std::string_view key,
                                 std::string_view path) {
    std::string first, english;
    MUHAFIZ_CHECK(ForEach(o, key, path, [&](const json::value& d, const std::string& at) -> Status {
        const json::object& dobj = *MUHAFIZ_TRY(AsObject(d, at));
        const std::string value = MUHAFIZ_TRY(Trimmed(dobj, "value", at)).value_or("");
        const std::string lang = MUHAFIZ_TRY(Trimmed(dobj, "lang", at)).value_or("");
        if (first.empty()) first = value;
        if (english.empty() && (lang == "en" || lang.starts_with("en-") || lang.starts_with("en_")))
            english = value;
        return core::Ok();
    }));
    return english.empty() ? first : english;
}

std::string V2Severity(double score) {
    return score >= 7.0 ? "HIGH" : score >= 4.0 ? "MEDIUM" : "LOW";
}

// A metric from a vector and what the source says about it; a vector without a score is scored
// here, and dropped when it does not score (CVSS 2.0 has no calculator here).
std::optional<CvssMetric> MakeMetric(std::string source, std::string vector,
                                     std::optional<double> score, std::string severity) {
    if (vector.empty()) return std::nullopt;
    const bool v2 = !vector.starts_with("CVSS:");
    if (!score) {
        if (v2) return std::nullopt;
        auto scored = ScoreCvss(vector);
        if (!scored) return std::nullopt;
        score = scored->score;
        severity = scored->severity;
    }
    std::transform(severity.begin(), severity.end(), severity.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    if (severity.empty()) severity = v2 ? V2Severity(*score) : std::string(CvssSeverity(*score));
    return CvssMetric{std::move(source), std::move(vector), *score, std::move(severity)};
}

// SSVC `options`: [{"Exploitation": "active"}, {"Technical Impact": "total"}, ...] (CISA-ADP) or
// [{"exploitation": ...}, {"technicalImpact": ...}] (NVD).
Result<SsvcDecision> Ssvc(const json::object& content, std::string_view path) {
    SsvcDecision d;
    MUHAFIZ_CHECK(ForEach(
        content, "options", path, [&](const json::value& opt, const std::string& at) -> Status {
            for (const auto& kv : *MUHAFIZ_TRY(AsObject(opt, at))) {
                std::string key;
                for (char c : kv.key())
                    if (c != ' ' && c != '_')
                        key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                if (!kv.value().is_string()) continue;
                std::string value(kv.value().as_string());
                std::transform(value.begin(), value.end(), value.begin(),
                               [](unsigned char c) { return std::tolower(c); });
                if (key == "exploitation")
                    d.exploitation = value;
                else if (key == "automatable")
                    d.automatable = value;
                else if (key == "technicalimpact")
                    d.technical_impact = value;
            }
            return core::Ok();
        }));
    return d;
}

constexpr std::pair<std::string_view, bool> kCveMetricKeys[] = {
    {"cvssV4_0", false}, {"cvssV3_1", false}, {"cvssV3_0", false}, {"cvssV2_0", true}};

// metrics, problemTypes and references of a CNA or ADP container.
Status MapContainer(const json::object& c, const std::string& source, std::string_view path,
                    VulnRecord& r) {
    MUHAFIZ_CHECK(
        ForEach(c, "metrics", path, [&](const json::value& m, const std::string& at) -> Status {
            const json::object& mo = *MUHAFIZ_TRY(AsObject(m, at));
            for (const auto& [key, v2] : kCveMetricKeys) {
                const json::value* cv = core::Find(mo, key);
                if (!cv) continue;
                const std::string where = FieldPath(at, key);
                const json::object& co = *MUHAFIZ_TRY(AsObject(*cv, where));
                auto metric =
                    MakeMetric(source, MUHAFIZ_TRY(Trimmed(co, "vectorString", where)).value_or(""),
                               MUHAFIZ_TRY(Number(co, "baseScore", where)),
                               MUHAFIZ_TRY(Trimmed(co, "baseSeverity", where)).value_or(""));
                if (metric) r.metrics.push_back(std::move(*metric));
            }
            const json::value* other = core::Find(mo, "other");
            if (!other || !other->is_object()) return core::Ok();
            const std::string where = FieldPath(at, "other");
            const std::string type =
                MUHAFIZ_TRY(Trimmed(other->as_object(), "type", where)).value_or("");
            const json::value* content = core::Find(other->as_object(), "content");
            if (!content || !content->is_object()) return core::Ok();
            if (type == "kev" && !r.kev) {
                KevEntry kev;
                kev.date_added =
                    MUHAFIZ_TRY(Trimmed(content->as_object(), "dateAdded", where)).value_or("");
                r.kev = std::move(kev);
            } else if (type == "ssvc" && !r.ssvc) {
                r.ssvc = MUHAFIZ_TRY(Ssvc(content->as_object(), FieldPath(where, "content")));
            }
            return core::Ok();
        }));
    MUHAFIZ_CHECK(ForEach(
        c, "problemTypes", path, [&](const json::value& p, const std::string& at) -> Status {
            return ForEach(*MUHAFIZ_TRY(AsObject(p, at)), "descriptions", at,
                           [&](const json::value& d, const std::string& dat) -> Status {
                               const json::object& dobj = *MUHAFIZ_TRY(AsObject(d, dat));
                               auto id = MUHAFIZ_TRY(Trimmed(dobj, "cweId", dat));
                               if (!id) {
                                   // Some CNAs name the CWE only in the text: "CWE-79: Improper
                                   // ...".
                                   const std::string text =
                                       MUHAFIZ_TRY(Trimmed(dobj, "description", dat)).value_or("");
                                   if (auto pos = text.find("CWE-"); pos != std::string::npos) {
                                       std::size_t end = pos + 4;
                                       while (end < text.size() &&
                                              std::isdigit(static_cast<unsigned char>(text[end])))
                                           ++end;
                                       if (end > pos + 4) id = text.substr(pos, end - pos);
                                   }
                               }
                               if (id) AddUnique(r.cwes, std::move(*id));
                               return core::Ok();
                           });
        }));
    return ForEach(
        c, "references", path, [&](const json::value& ref, const std::string& at) -> Status {
            AddUnique(
                r.references,
                MUHAFIZ_TRY(Trimmed(*MUHAFIZ_TRY(AsObject(ref, at)), "url", at)).value_or(""));
            return core::Ok();
        });
}

Result<VulnRecord> ParseNvdCve(const json::object& item, const std::string& path) {
    const std::string at = FieldPath(path, "cve");
    const json::object& c = *MUHAFIZ_TRY(RequiredObject(item, "cve", path));
    VulnRecord r;
    r.cve_id = MUHAFIZ_TRY(json_map::Required(c, "id", at));
    if (!IsCveId(r.cve_id)) return Bad(FieldPath(at, "id"), "is not a CVE id");
    r.state = MUHAFIZ_TRY(Trimmed(c, "vulnStatus", at)).value_or("") == "Rejected" ? "REJECTED"
                                                                                   : "PUBLISHED";
    r.published = MUHAFIZ_TRY(Time(c, "published", at)).value_or(0);
    auto modified = MUHAFIZ_TRY(Time(c, "lastModified", at));
    if (!modified) return Bad(FieldPath(at, "lastModified"), "is required");
    r.updated = *modified;
    r.description = MUHAFIZ_TRY(FirstEnglish(c, "descriptions", at));
    if (const json::value* metrics = core::Find(c, "metrics"); metrics && !metrics->is_null()) {
        const std::string mat = FieldPath(at, "metrics");
        const json::object& mo = *MUHAFIZ_TRY(AsObject(*metrics, mat));
        for (std::string_view key :
             {"cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"}) {
            MUHAFIZ_CHECK(
                ForEach(mo, key, mat, [&](const json::value& m, const std::string& mi) -> Status {
                    const json::object& o = *MUHAFIZ_TRY(AsObject(m, mi));
                    const json::object& data = *MUHAFIZ_TRY(RequiredObject(o, "cvssData", mi));
                    const std::string dat = FieldPath(mi, "cvssData");
                    auto severity = MUHAFIZ_TRY(Trimmed(data, "baseSeverity", dat));
                    if (!severity) severity = MUHAFIZ_TRY(Trimmed(o, "baseSeverity", mi));  // v2
                    auto metric = MakeMetric(
                        "nvd:" + MUHAFIZ_TRY(Trimmed(o, "type", mi)).value_or("Primary"),
                        MUHAFIZ_TRY(Trimmed(data, "vectorString", dat)).value_or(""),
                        MUHAFIZ_TRY(Number(data, "baseScore", dat)), severity.value_or(""));
                    if (metric) r.metrics.push_back(std::move(*metric));
                    return core::Ok();
                }));
        }
        MUHAFIZ_CHECK(ForEach(
            mo, "ssvcV203", mat, [&](const json::value& m, const std::string& mi) -> Status {
                if (!r.ssvc)
                    r.ssvc = MUHAFIZ_TRY(Ssvc(
                        *MUHAFIZ_TRY(RequiredObject(*MUHAFIZ_TRY(AsObject(m, mi)), "ssvcData", mi)),
                        FieldPath(mi, "ssvcData")));
                return core::Ok();
            }));
    }
    MUHAFIZ_CHECK(
        ForEach(c, "weaknesses", at, [&](const json::value& w, const std::string& wat) -> Status {
            return ForEach(
                *MUHAFIZ_TRY(AsObject(w, wat)), "description", wat,
                [&](const json::value& d, const std::string& dat) -> Status {
                    auto value = MUHAFIZ_TRY(Trimmed(*MUHAFIZ_TRY(AsObject(d, dat)), "value", dat));
                    if (value && value->starts_with("CWE-")) AddUnique(r.cwes, std::move(*value));
                    return core::Ok();
                });
        }));
    if (const json::value* configs = core::Find(c, "configurations");
        configs && !configs->is_null())
        r.nvd_configurations =
            MUHAFIZ_TRY(ParseConfigurations(*configs, FieldPath(at, "configurations")));
    if (auto added = MUHAFIZ_TRY(Trimmed(c, "cisaExploitAdd", at))) {
        KevEntry kev;
        kev.date_added = std::move(*added);
        kev.due_date = MUHAFIZ_TRY(Trimmed(c, "cisaActionDue", at)).value_or("");
        kev.required_action = MUHAFIZ_TRY(Trimmed(c, "cisaRequiredAction", at)).value_or("");
        r.kev = std::move(kev);
    }
    return r;
}

Result<KevCatalogEntry> ParseKevEntry(const json::value& v, const std::string& at) {
    const json::object& o = *MUHAFIZ_TRY(AsObject(v, at));
    KevCatalogEntry e;
    e.cve_id = MUHAFIZ_TRY(json_map::Required(o, "cveID", at));
    if (!IsCveId(e.cve_id)) return Bad(FieldPath(at, "cveID"), "is not a CVE id");
    e.vendor_project = MUHAFIZ_TRY(Trimmed(o, "vendorProject", at)).value_or("");
    e.product = MUHAFIZ_TRY(Trimmed(o, "product", at)).value_or("");
    e.vulnerability_name = MUHAFIZ_TRY(Trimmed(o, "vulnerabilityName", at)).value_or("");
    e.entry.date_added = MUHAFIZ_TRY(json_map::Required(o, "dateAdded", at));
    if (!core::ParseRfc3339(e.entry.date_added))
        return Bad(FieldPath(at, "dateAdded"), "is not a date");
    e.entry.due_date = MUHAFIZ_TRY(Trimmed(o, "dueDate", at)).value_or("");
    e.entry.required_action = MUHAFIZ_TRY(Trimmed(o, "requiredAction", at)).value_or("");
    e.entry.known_ransomware =
        MUHAFIZ_TRY(Trimmed(o, "knownRansomwareCampaignUse", at)).value_or("") == "Known";
    return e;
}

// The id of an item for a problem report: its CVE id when it has a readable one.
std::string ItemName(const json::value& v, std::string_view id_key, const std::string& fallback) {
    const json::object* o = v.if_object();
    if (o && id_key == "cve") {
        const json::value* c = core::Find(*o, "cve");
        o = c ? c->if_object() : nullptr;
        id_key = "id";
    }
    const json::value* id = o ? core::Find(*o, id_key) : nullptr;
    return id && id->is_string() && IsCveId(id->as_string()) ? std::string(id->as_string())
                                                             : fallback;
}

std::optional<double> Probability(const std::string& text) {
    double d = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, d);
    if (ec != std::errc() || ptr != end || d < 0 || d > 1) return std::nullopt;
    return d;
}

}  // namespace

bool IsCveId(std::string_view s) {
    if (s.size() < 13 || s.size() > 28 || !s.starts_with("CVE-") || s[8] != '-') return false;
    for (std::size_t i = 4; i < s.size(); ++i)
        if (i != 8 && !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
}

Result<VulnRecord> ParseCveRecord(const json::value& v) {
    const json::object& root = *MUHAFIZ_TRY(AsObject(v, "record"));
    if (auto type = MUHAFIZ_TRY(Trimmed(root, "dataType", {})); type && *type != "CVE_RECORD")
        return Bad("dataType", "must be CVE_RECORD");
    const json::object& meta = *MUHAFIZ_TRY(RequiredObject(root, "cveMetadata", {}));
    VulnRecord r;
    r.cve_id = MUHAFIZ_TRY(json_map::Required(meta, "cveId", "cveMetadata"));
    if (!IsCveId(r.cve_id)) return Bad("cveMetadata.cveId", "is not a CVE id: " + r.cve_id);
    r.state = MUHAFIZ_TRY(json_map::Required(meta, "state", "cveMetadata"));
    if (r.state != "PUBLISHED" && r.state != "REJECTED")
        return Bad("cveMetadata.state", "must be PUBLISHED or REJECTED");
    r.assigner = MUHAFIZ_TRY(Trimmed(meta, "assignerShortName", "cveMetadata")).value_or("");
    const auto published = MUHAFIZ_TRY(Time(meta, "datePublished", "cveMetadata"));
    const auto updated = MUHAFIZ_TRY(Time(meta, "dateUpdated", "cveMetadata"));
    const auto rejected = MUHAFIZ_TRY(Time(meta, "dateRejected", "cveMetadata"));
    r.published = published.value_or(0);
    if (!updated && !published && !rejected) return Bad("cveMetadata.dateUpdated", "is required");
    r.updated = updated ? *updated : published ? *published : *rejected;

    const json::object& containers = *MUHAFIZ_TRY(RequiredObject(root, "containers", {}));
    const json::object& cna = *MUHAFIZ_TRY(RequiredObject(containers, "cna", "containers"));
    constexpr std::string_view kCna = "containers.cna";
    r.title = MUHAFIZ_TRY(Trimmed(cna, "title", kCna)).value_or("");
    const bool is_rejected = r.state == "REJECTED";
    r.description =
        MUHAFIZ_TRY(FirstEnglish(cna, is_rejected ? "rejectedReasons" : "descriptions", kCna));
    if (is_rejected) return r;
    if (const json::value* a = core::Find(cna, "affected"); a && !a->is_null())
        r.cna_affected = MUHAFIZ_TRY(ParseAffected(*a, "containers.cna.affected"));
    MUHAFIZ_CHECK(MapContainer(cna, "cna", kCna, r));
    MUHAFIZ_CHECK(ForEach(
        containers, "adp", "containers",
        [&](const json::value& adp, const std::string& at) -> Status {
            const json::object& o = *MUHAFIZ_TRY(AsObject(adp, at));
            std::string name = "ADP";
            if (const json::value* pm = core::Find(o, "providerMetadata"); pm && pm->is_object())
                name = MUHAFIZ_TRY(
                           Trimmed(pm->as_object(), "shortName", FieldPath(at, "providerMetadata")))
                           .value_or(name);
            if (const json::value* a = core::Find(o, "affected"); a && !a->is_null()) {
                auto entries = MUHAFIZ_TRY(ParseAffected(*a, FieldPath(at, "affected")));
                std::move(entries.begin(), entries.end(), std::back_inserter(r.adp_affected));
            }
            return MapContainer(o, "adp:" + name, at, r);
        }));
    return r;
}

Result<NvdResponse> ParseNvdResponse(const json::value& v) {
    const json::object& root = *MUHAFIZ_TRY(AsObject(v, "response"));
    const json::value* list = core::Find(root, "vulnerabilities");
    if (!list || !list->is_array()) return Bad("vulnerabilities", "must be an array");
    NvdResponse out;
    for (std::size_t i = 0; i < list->as_array().size(); ++i) {
        const json::value& item = list->as_array()[i];
        const std::string at = "vulnerabilities[" + std::to_string(i) + "]";
        auto parsed =
            item.is_object() ? ParseNvdCve(item.as_object(), at) : Bad(at, "must be an object");
        if (parsed)
            out.items.push_back(std::move(*parsed));
        else
            out.problems.push_back({ItemName(item, "cve", at), parsed.error().message});
    }
    return out;
}

Result<KevCatalog> ParseKevCatalog(const json::value& v) {
    const json::object& root = *MUHAFIZ_TRY(AsObject(v, "catalog"));
    const json::value* list = core::Find(root, "vulnerabilities");
    if (!list || !list->is_array()) return Bad("vulnerabilities", "must be an array");
    KevCatalog out;
    out.catalog_version = MUHAFIZ_TRY(Trimmed(root, "catalogVersion", {})).value_or("");
    for (std::size_t i = 0; i < list->as_array().size(); ++i) {
        const std::string at = "vulnerabilities[" + std::to_string(i) + "]";
        auto entry = ParseKevEntry(list->as_array()[i], at);
        if (entry)
            out.entries.push_back(std::move(*entry));
        else
            out.problems.push_back(
                {ItemName(list->as_array()[i], "cveID", at), entry.error().message});
    }
    return out;
}

Result<EpssFile> ParseEpssCsv(std::string_view text) {
    EpssFile out;
    core::CsvReader reader(text);
    std::vector<std::string> fields;
    std::optional<std::size_t> cve_col, epss_col, pct_col;
    while (true) {
        auto more = reader.Next(fields);
        const std::string item = "line " + std::to_string(reader.line());
        if (!more) {
            out.problems.push_back({item, more.error().message});
            continue;
        }
        if (!*more) break;
        if (fields.empty() || (fields.size() == 1 && fields[0].empty())) continue;
        if (fields[0].starts_with(
                "#")) {  // #model_version:v2026.06.15,score_date:2026-09-29T12:00:22Z
            for (std::string f : fields) {
                if (f.starts_with("#")) f.erase(0, 1);
                const auto colon = f.find(':');
                if (colon == std::string::npos) continue;
                const std::string key = f.substr(0, colon);
                if (key == "model_version") out.model_version = f.substr(colon + 1);
                if (key == "score_date") out.score_date = f.substr(colon + 1);
            }
            continue;
        }
        if (!cve_col) {
            for (std::size_t i = 0; i < fields.size(); ++i) {
                if (fields[i] == "cve") cve_col = i;
                if (fields[i] == "epss") epss_col = i;
                if (fields[i] == "percentile") pct_col = i;
            }
            if (!cve_col || !epss_col)
                return core::Invalid("epss",
                                     item + ": expected a header with the columns cve and epss");
            continue;
        }
        const std::size_t need = std::max({*cve_col, *epss_col, pct_col.value_or(0)}) + 1;
        if (fields.size() < need) {
            out.problems.push_back({item, "expected " + std::to_string(need) + " columns"});
            continue;
        }
        EpssScore score;
        score.cve_id = fields[*cve_col];
        const auto epss = Probability(fields[*epss_col]);
        if (!IsCveId(score.cve_id)) {
            out.problems.push_back({item, "'cve' is not a CVE id: " + score.cve_id});
            continue;
        }
        if (!epss) {
            out.problems.push_back({item, "'epss' must be a number between 0 and 1"});
            continue;
        }
        score.epss = *epss;
        if (pct_col) {
            score.percentile = Probability(fields[*pct_col]);
            if (!score.percentile) {
                out.problems.push_back({item, "'percentile' must be a number between 0 and 1"});
                continue;
            }
        }
        out.scores.push_back(std::move(score));
    }
    if (!cve_col) return core::Invalid("epss", "no header line with the columns cve and epss");
    return out;
}

}  // namespace muhafiz::vulns
