// JSON forms of intel events, indicators and import reports, and their input parsing.
#include <cctype>

#include "intel/intel_store.hpp"

namespace muhafiz::intel {
namespace json = core::json;

namespace {

json::array Strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.push_back(json::value(s));
    return a;
}

json::value Time(std::optional<core::Micros> t) {
    return t ? json::value(core::FormatRfc3339(*t)) : json::value(nullptr);
}

core::Result<std::optional<std::vector<std::string>>> StringList(const json::object& body, std::string_view key,
                                                                 std::size_t max_items = 200) {
    const json::value* v = core::Find(body, key);
    if (!v || v->is_null()) return std::optional<std::vector<std::string>>{};
    if (!v->is_array()) return core::Invalid(std::string(key), std::string(key) + " must be an array of strings");
    std::vector<std::string> out;
    for (const auto& e : v->as_array()) {
        if (!e.is_string() || e.as_string().empty())
            return core::Invalid(std::string(key), std::string(key) + " must be an array of non-empty strings");
        std::string s(e.as_string());
        if (s.size() > 200) return core::Invalid(std::string(key), "an entry of " + std::string(key) + " is too long");
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    if (out.size() > max_items)
        return core::Invalid(std::string(key), std::string(key) + " has more than " + std::to_string(max_items) + " entries");
    return std::optional<std::vector<std::string>>(std::move(out));
}

core::Result<std::optional<core::Micros>> TimeField(const json::object& body, std::string_view key,
                                                    std::string_view path) {
    auto s = MUHAFIZ_TRY(core::GetString(body, key, path));
    if (!s) return std::optional<core::Micros>{};
    auto t = core::ParseRfc3339(*s);
    if (!t) return core::Invalid(std::string(path) + std::string(key), std::string(key) + " must be an RFC 3339 time");
    return std::optional<core::Micros>(*t);
}

core::Result<int> Confidence(const json::object& body) {
    auto c = MUHAFIZ_TRY(core::GetInt(body, "confidence"));
    if (!c) return -1;
    if (*c < 0 || *c > 100) return core::Invalid("confidence", "confidence must be between 0 and 100");
    return static_cast<int>(*c);
}

}  // namespace

bool Indicator::Active(core::Micros now) const {
    return detection && !false_positive && (warning.empty() || warning_override) && valid_from <= now &&
           (!valid_until || *valid_until > now);
}

json::object ToJson(const Event& e) {
    json::array recipients;
    for (const auto& r : e.recipients) recipients.push_back(json::object{{"id", r.uuid}, {"name", r.name}});
    return json::object{{"id", e.uuid},
                        {"stix_id", e.stix_id},
                        {"title", e.title},
                        {"description", e.description},
                        {"tlp", access::TlpName(e.tlp)},
                        {"audience", access::AudienceName(e.audience)},
                        {"confidence", e.confidence},
                        {"tags", Strings(e.tags)},
                        {"incidents", Strings(e.incidents)},
                        {"recipients", std::move(recipients)},
                        {"organisation", json::object{{"id", e.organisation.uuid}, {"name", e.organisation.name}}},
                        {"sector", e.sector},
                        {"source", e.source},
                        {"indicator_count", e.indicator_count},
                        {"version", e.version},
                        {"created_at", core::FormatRfc3339(e.created_at)},
                        {"updated_at", core::FormatRfc3339(e.updated_at)}};
}

json::object ToJson(const Indicator& i, core::Micros now) {
    return json::object{{"id", i.uuid},
                        {"stix_id", i.stix_id},
                        {"event", json::object{{"id", i.event_uuid}, {"title", i.event_title}}},
                        {"type", TypeName(i.type)},
                        {"value", i.value},
                        {"original", i.original},
                        {"comment", i.comment},
                        {"tlp", access::TlpName(i.tlp)},
                        {"detection", i.detection},
                        {"active", i.Active(now)},
                        {"false_positive", i.false_positive},
                        {"warning_list", i.warning.empty() ? json::value(nullptr) : json::value(i.warning)},
                        {"warning_override", i.warning_override},
                        {"valid_from", core::FormatRfc3339(i.valid_from)},
                        {"valid_until", Time(i.valid_until)},
                        {"expired", i.valid_until && *i.valid_until <= now},
                        {"sightings", json::object{{"count", i.sightings}, {"last_seen", Time(i.last_seen)}}},
                        {"created_at", core::FormatRfc3339(i.created_at)}};
}

json::object ToJson(const ImportReport& r) {
    json::array problems;
    for (const auto& p : r.problems)
        problems.push_back(json::object{{"index", p.index}, {"object", p.object_id}, {"reason", p.reason}});
    return json::object{{"event_id", r.event_id},
                        {"tlp", access::TlpName(r.tlp)},
                        {"objects", r.objects},
                        {"indicators", r.indicators},
                        {"kept", r.kept},
                        {"markings", r.markings},
                        {"duplicates", r.duplicates},
                        {"failed", r.failed},
                        {"created", r.created},
                        {"updated", r.updated},
                        {"unchanged", r.unchanged},
                        {"older_versions", r.older_versions},
                        {"rejected", r.failed},
                        {"reimport", r.reimport},
                        {"problems", std::move(problems)}};
}

core::Result<IndicatorInput> IndicatorInputFromJson(const json::object& body, std::string_view path) {
    MUHAFIZ_CHECK(core::RejectUnknownFields(body, {"type", "value", "comment", "detection", "valid_from", "valid_until"},
                                            path));
    IndicatorInput in;
    auto type = MUHAFIZ_TRY(core::GetString(body, "type", path));
    auto value = MUHAFIZ_TRY(core::GetString(body, "value", path));
    if (!type) return core::Invalid(std::string(path) + "type", "type is required");
    if (!value) return core::Invalid(std::string(path) + "value", "value is required");
    in.type = *type;
    in.value = *value;
    in.comment = MUHAFIZ_TRY(core::GetString(body, "comment", path)).value_or("");
    in.detection = MUHAFIZ_TRY(core::GetBool(body, "detection", path));
    in.valid_from = MUHAFIZ_TRY(TimeField(body, "valid_from", path));
    in.valid_until = MUHAFIZ_TRY(TimeField(body, "valid_until", path));
    return in;
}

core::Result<EventInput> EventInputFromJson(const json::object& body) {
    MUHAFIZ_CHECK(core::RejectUnknownFields(body, {"title", "description", "tlp", "audience", "confidence", "tags",
                                                   "incidents", "recipients", "indicators"}));
    EventInput in;
    auto title = MUHAFIZ_TRY(core::GetString(body, "title"));
    if (!title || title->empty()) return core::Invalid("title", "title is required");
    if (title->size() > 500) return core::Invalid("title", "title is longer than 500 characters");
    in.title = *title;
    in.description = MUHAFIZ_TRY(core::GetString(body, "description")).value_or("");
    auto tlp = MUHAFIZ_TRY(core::GetString(body, "tlp"));
    if (!tlp) return core::Invalid("tlp", "tlp is required (TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED)");
    in.tlp = MUHAFIZ_TRY(access::ParseTlp(*tlp));
    auto audience = MUHAFIZ_TRY(core::GetString(body, "audience"));
    in.audience = audience ? MUHAFIZ_TRY(access::ParseAudience(*audience)) : Audience::kOrganisation;
    int c = MUHAFIZ_TRY(Confidence(body));
    if (c >= 0) in.confidence = c;
    in.tags = MUHAFIZ_TRY(StringList(body, "tags")).value_or(std::vector<std::string>{});
    in.incidents = MUHAFIZ_TRY(StringList(body, "incidents")).value_or(std::vector<std::string>{});
    in.recipients = MUHAFIZ_TRY(StringList(body, "recipients")).value_or(std::vector<std::string>{});
    if (const json::value* ind = core::Find(body, "indicators"); ind && !ind->is_null()) {
        if (!ind->is_array()) return core::Invalid("indicators", "indicators must be an array");
        if (ind->as_array().size() > 10000)
            return core::Invalid("indicators", "at most 10000 indicators per request (import larger sets as STIX)");
        std::size_t n = 0;
        for (const auto& v : ind->as_array()) {
            const std::string path = "indicators[" + std::to_string(n++) + "].";
            if (!v.is_object()) return core::Invalid(path, "each indicator must be an object");
            in.indicators.push_back(MUHAFIZ_TRY(IndicatorInputFromJson(v.as_object(), path)));
        }
    }
    return in;
}

core::Result<EventPatch> EventPatchFromJson(const json::object& body) {
    MUHAFIZ_CHECK(core::RejectUnknownFields(body, {"title", "description", "tlp", "audience", "confidence", "tags",
                                                   "incidents", "recipients"}));
    EventPatch p;
    p.title = MUHAFIZ_TRY(core::GetString(body, "title"));
    if (p.title && p.title->empty()) return core::Invalid("title", "title must not be empty");
    p.description = MUHAFIZ_TRY(core::GetString(body, "description"));
    if (auto t = MUHAFIZ_TRY(core::GetString(body, "tlp"))) p.tlp = MUHAFIZ_TRY(access::ParseTlp(*t));
    if (auto a = MUHAFIZ_TRY(core::GetString(body, "audience"))) p.audience = MUHAFIZ_TRY(access::ParseAudience(*a));
    int c = MUHAFIZ_TRY(Confidence(body));
    if (c >= 0) p.confidence = c;
    p.tags = MUHAFIZ_TRY(StringList(body, "tags"));
    p.incidents = MUHAFIZ_TRY(StringList(body, "incidents"));
    p.recipients = MUHAFIZ_TRY(StringList(body, "recipients"));
    return p;
}

core::Result<IndicatorPatch> IndicatorPatchFromJson(const json::object& body) {
    MUHAFIZ_CHECK(core::RejectUnknownFields(body, {"detection", "false_positive", "warning_override", "valid_until", "comment"}));
    IndicatorPatch p;
    p.detection = MUHAFIZ_TRY(core::GetBool(body, "detection"));
    p.false_positive = MUHAFIZ_TRY(core::GetBool(body, "false_positive"));
    p.warning_override = MUHAFIZ_TRY(core::GetBool(body, "warning_override"));
    p.comment = MUHAFIZ_TRY(core::GetString(body, "comment"));
    if (const json::value* v = core::Find(body, "valid_until")) {
        if (v->is_null()) p.valid_until = std::optional<core::Micros>{};
        else p.valid_until = MUHAFIZ_TRY(TimeField(body, "valid_until", ""));
    }
    return p;
}

}  // namespace muhafiz::intel
