#include "vulns/vuln_record.hpp"

#include <utility>

namespace muhafiz::vulns {
namespace {

namespace json = core::json;
using core::Result;
using json_map::Bad;

// Lower is better: 4.0, 3.1, 3.0, then anything else (2.0 vectors carry no prefix).
int VersionRank(const std::string& vector) {
    if (vector.starts_with("CVSS:4.0/")) return 0;
    if (vector.starts_with("CVSS:3.1/")) return 1;
    if (vector.starts_with("CVSS:3.0/")) return 2;
    return 3;
}

int SourceRank(const std::string& source) {
    if (source == "cna") return 0;
    if (source.starts_with("adp")) return 1;
    if (source == "nvd:Primary") return 2;
    if (source.starts_with("nvd")) return 3;
    return 4;
}

const char* StatusName(VulnStatus s) { return VulnStatusName(s).data(); }

void PutIf(json::object& o, std::string_view key, const std::string& value) {
    if (!value.empty()) o[key] = value;
}
void PutIf(json::object& o, std::string_view key, const std::optional<std::string>& value) {
    if (value) o[key] = *value;
}

json::array Strings(const std::vector<std::string>& values) {
    json::array a;
    for (const auto& v : values) a.emplace_back(v);
    return a;
}

// CVE 5 `affected[]` element: the inverse of ParseAffectedEntry.
json::object AffectedToJson(const AffectedEntry& e) {
    json::object o;
    PutIf(o, "vendor", e.vendor);
    PutIf(o, "product", e.product);
    PutIf(o, "packageName", e.package_name);
    PutIf(o, "collectionURL", e.collection_url);
    if (!e.cpes.empty()) o["cpes"] = Strings(e.cpes);
    if (e.default_status) o["defaultStatus"] = StatusName(*e.default_status);
    if (!e.versions.empty()) {
        json::array versions;
        for (const AffectedVersion& v : e.versions) {
            json::object item;
            item["version"] = v.version;
            item["status"] = StatusName(v.status);
            PutIf(item, "lessThan", v.less_than);
            PutIf(item, "lessThanOrEqual", v.less_than_or_equal);
            PutIf(item, "versionType", v.version_type);
            if (!v.changes.empty()) {
                json::array changes;
                for (const VersionChange& c : v.changes)
                    changes.push_back(json::object{{"at", c.at}, {"status", StatusName(c.status)}});
                item["changes"] = std::move(changes);
            }
            versions.push_back(std::move(item));
        }
        o["versions"] = std::move(versions);
    }
    return o;
}

const char* OperatorName(CpeOperator op) { return op == CpeOperator::kAnd ? "AND" : "OR"; }

// NVD 2.0 `configurations[]` element: the inverse of ParseConfigurations.
json::object ConfigurationToJson(const CpeConfiguration& c) {
    json::object o{{"operator", OperatorName(c.op)}, {"negate", c.negate}};
    json::array nodes;
    for (const CpeNode& n : c.nodes) {
        json::array matches;
        for (const CpeMatch& m : n.cpe_match) {
            json::object mo{{"vulnerable", m.vulnerable}, {"criteria", m.criteria.ToString()}};
            PutIf(mo, "versionStartIncluding", m.version_start_including);
            PutIf(mo, "versionStartExcluding", m.version_start_excluding);
            PutIf(mo, "versionEndIncluding", m.version_end_including);
            PutIf(mo, "versionEndExcluding", m.version_end_excluding);
            matches.push_back(std::move(mo));
        }
        nodes.push_back(json::object{{"operator", OperatorName(n.op)},
                                     {"negate", n.negate},
                                     {"cpeMatch", std::move(matches)}});
    }
    o["nodes"] = std::move(nodes);
    return o;
}

Result<std::string> Str(const json::object& o, std::string_view key) {
    return MUHAFIZ_TRY(core::GetString(o, key)).value_or("");
}

Result<std::optional<double>> Number(const json::object& o, std::string_view key,
                                     std::string_view path = {}) {
    const json::value* v = core::Find(o, key);
    if (!v || v->is_null()) return std::optional<double>();
    if (!v->is_number()) return Bad(json_map::FieldPath(path, key), "must be a number");
    return std::optional<double>(v->to_number<double>());
}

Result<std::vector<std::string>> StringList(const json::object& o, std::string_view key) {
    std::vector<std::string> out;
    MUHAFIZ_CHECK(json_map::ForEach(
        o, key, {}, [&](const json::value& v, const std::string& at) -> core::Status {
            if (!v.is_string()) return Bad(at, "must be a string");
            out.emplace_back(v.as_string());
            return core::Ok();
        }));
    return out;
}

}  // namespace

const CvssMetric* VulnRecord::BestMetric() const {
    const CvssMetric* best = nullptr;
    for (const CvssMetric& m : metrics) {
        if (!best) {
            best = &m;
            continue;
        }
        const auto key = std::pair(VersionRank(m.vector), SourceRank(m.source));
        if (key < std::pair(VersionRank(best->vector), SourceRank(best->source))) best = &m;
    }
    return best;
}

json::object VulnRecordToJson(const VulnRecord& r) {
    json::object o;
    o["cve_id"] = r.cve_id;
    o["state"] = r.state;
    PutIf(o, "assigner", r.assigner);
    PutIf(o, "title", r.title);
    PutIf(o, "description", r.description);
    o["published"] = r.published;
    o["updated"] = r.updated;
    auto affected = [](const std::vector<AffectedEntry>& entries) {
        json::array a;
        for (const auto& e : entries) a.push_back(AffectedToJson(e));
        return a;
    };
    if (!r.cna_affected.empty()) o["cna_affected"] = affected(r.cna_affected);
    if (!r.adp_affected.empty()) o["adp_affected"] = affected(r.adp_affected);
    if (!r.nvd_configurations.empty()) {
        json::array a;
        for (const auto& c : r.nvd_configurations) a.push_back(ConfigurationToJson(c));
        o["nvd_configurations"] = std::move(a);
    }
    if (!r.metrics.empty()) {
        json::array a;
        for (const CvssMetric& m : r.metrics)
            a.push_back(json::object{{"source", m.source},
                                     {"vector", m.vector},
                                     {"score", m.score},
                                     {"severity", m.severity}});
        o["metrics"] = std::move(a);
    }
    if (!r.cwes.empty()) o["cwes"] = Strings(r.cwes);
    if (!r.references.empty()) o["references"] = Strings(r.references);
    if (r.kev)
        o["kev"] = json::object{{"date_added", r.kev->date_added},
                                {"due_date", r.kev->due_date},
                                {"required_action", r.kev->required_action},
                                {"known_ransomware", r.kev->known_ransomware}};
    if (r.epss) o["epss"] = *r.epss;
    if (r.epss_percentile) o["epss_percentile"] = *r.epss_percentile;
    if (r.ssvc)
        o["ssvc"] = json::object{{"exploitation", r.ssvc->exploitation},
                                 {"automatable", r.ssvc->automatable},
                                 {"technical_impact", r.ssvc->technical_impact}};
    return o;
}

Result<VulnRecord> VulnRecordFromJson(const json::value& v) {
    const json::object& o = *MUHAFIZ_TRY(json_map::AsObject(v, "record"));
    VulnRecord r;
    r.cve_id = MUHAFIZ_TRY(json_map::Required(o, "cve_id", {}));
    r.state = MUHAFIZ_TRY(Str(o, "state"));
    r.assigner = MUHAFIZ_TRY(Str(o, "assigner"));
    r.title = MUHAFIZ_TRY(Str(o, "title"));
    r.description = MUHAFIZ_TRY(Str(o, "description"));
    r.published = MUHAFIZ_TRY(core::GetInt(o, "published")).value_or(0);
    r.updated = MUHAFIZ_TRY(core::GetInt(o, "updated")).value_or(0);
    if (const auto* a = core::Find(o, "cna_affected"))
        r.cna_affected = MUHAFIZ_TRY(ParseAffected(*a, "cna_affected"));
    if (const auto* a = core::Find(o, "adp_affected"))
        r.adp_affected = MUHAFIZ_TRY(ParseAffected(*a, "adp_affected"));
    if (const auto* c = core::Find(o, "nvd_configurations"))
        r.nvd_configurations = MUHAFIZ_TRY(ParseConfigurations(*c, "nvd_configurations"));
    MUHAFIZ_CHECK(json_map::ForEach(
        o, "metrics", {}, [&](const json::value& m, const std::string& at) -> core::Status {
            const json::object& mo = *MUHAFIZ_TRY(json_map::AsObject(m, at));
            r.metrics.push_back({MUHAFIZ_TRY(Str(mo, "source")), MUHAFIZ_TRY(Str(mo, "vector")),
                                 MUHAFIZ_TRY(Number(mo, "score", at)).value_or(0),
                                 MUHAFIZ_TRY(Str(mo, "severity"))});
            return core::Ok();
        }));
    r.cwes = MUHAFIZ_TRY(StringList(o, "cwes"));
    r.references = MUHAFIZ_TRY(StringList(o, "references"));
    if (const auto* k = core::Find(o, "kev"); k && !k->is_null()) {
        const json::object& ko = *MUHAFIZ_TRY(json_map::AsObject(*k, "kev"));
        r.kev = KevEntry{MUHAFIZ_TRY(Str(ko, "date_added")), MUHAFIZ_TRY(Str(ko, "due_date")),
                         MUHAFIZ_TRY(Str(ko, "required_action")),
                         MUHAFIZ_TRY(core::GetBool(ko, "known_ransomware", "kev")).value_or(false)};
    }
    r.epss = MUHAFIZ_TRY(Number(o, "epss"));
    r.epss_percentile = MUHAFIZ_TRY(Number(o, "epss_percentile"));
    if (const auto* s = core::Find(o, "ssvc"); s && !s->is_null()) {
        const json::object& so = *MUHAFIZ_TRY(json_map::AsObject(*s, "ssvc"));
        r.ssvc =
            SsvcDecision{MUHAFIZ_TRY(Str(so, "exploitation")), MUHAFIZ_TRY(Str(so, "automatable")),
                         MUHAFIZ_TRY(Str(so, "technical_impact"))};
    }
    return r;
}

}  // namespace muhafiz::vulns
