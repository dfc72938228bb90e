// JSON forms of incidents: request bodies to IncidentInput, Incident to JSON, query to filter.
#include <algorithm>

#include "core/time.hpp"
#include "incidents/incident_store.hpp"

namespace muhafiz::incidents {
namespace json = core::json;

namespace {

core::Result<std::optional<Micros>> TimeField(const json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::optional<Micros>{};
    if (!v->is_string()) return core::Invalid(std::string(key), std::string(key) + " must be an RFC 3339 time");
    auto t = core::ParseRfc3339(v->as_string());
    if (!t) return core::Invalid(std::string(key), std::string(key) + " must be an RFC 3339 time");
    return std::optional<Micros>{*t};
}

core::Result<std::vector<std::string>> StringList(const json::object& o, std::string_view key) {
    std::vector<std::string> out;
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) return out;
    if (!v->is_array()) return core::Invalid(std::string(key), std::string(key) + " must be a list of strings");
    for (const auto& e : v->as_array()) {
        if (!e.is_string()) return core::Invalid(std::string(key), std::string(key) + " must be a list of strings");
        out.emplace_back(e.as_string());
    }
    return out;
}

std::vector<std::string> SplitComma(std::string_view s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto end = s.find(',', start);
        if (end == std::string_view::npos) end = s.size();
        auto part = s.substr(start, end - start);
        if (!part.empty()) out.emplace_back(part);
        start = end + 1;
    }
    return out;
}

core::Result<Micros> QueryTime(const std::string& key, const std::string& v) {
    if (auto t = core::ParseRfc3339(v)) return *t;
    if (auto t = core::ParseRfc3339(v + "T00:00:00Z")) return *t;
    return core::Invalid(key, key + " must be an RFC 3339 time or a date");
}

json::value OptTime(const std::optional<Micros>& t) {
    if (!t) return nullptr;
    return json::string(core::FormatRfc3339(*t));
}

}  // namespace

core::Result<IncidentInput> InputFromJson(const json::object& body, bool patch) {
    if (patch) {
        MUHAFIZ_CHECK(core::RejectUnknownFields(
            body, {"title", "description", "classification", "severity", "impact", "tlp", "pap", "tags", "custom_fields",
                   "organisation_id", "reporter", "affected", "assignee", "confidential", "members", "occurred_at",
                   "detected_at", "aware_at", "status", "reason"}));
    } else {
        MUHAFIZ_CHECK(core::RejectUnknownFields(
            body, {"title", "description", "classification", "severity", "impact", "tlp", "pap", "tags", "custom_fields",
                   "organisation_id", "reporter", "affected", "assignee", "confidential", "members", "occurred_at",
                   "detected_at", "aware_at", "observables"}));
    }
    IncidentInput in;
    in.title = MUHAFIZ_TRY(core::GetString(body, "title"));
    in.description = MUHAFIZ_TRY(core::GetString(body, "description"));
    in.impact = MUHAFIZ_TRY(core::GetString(body, "impact"));
    if (auto t = MUHAFIZ_TRY(core::GetString(body, "tlp"))) in.tlp = MUHAFIZ_TRY(NormaliseTlp(*t));
    if (auto t = MUHAFIZ_TRY(core::GetString(body, "pap"))) in.pap = MUHAFIZ_TRY(NormalisePap(*t));
    if (auto s = MUHAFIZ_TRY(core::GetString(body, "severity"))) in.severity = MUHAFIZ_TRY(ParseSeverity(*s));
    if (auto* c = body.if_contains("classification"); c && !c->is_null()) {
        if (!c->is_array()) return core::Invalid("classification", "classification must be a list of {\"class\",\"type\"}");
        std::vector<Classification> cs;
        for (const auto& e : c->as_array()) {
            Classification cl;
            if (e.is_string()) {  // "fraud/phishing" shorthand
                std::string s(e.as_string());
                auto slash = s.find('/');
                cl.cls = s.substr(0, slash);
                if (slash != std::string::npos) cl.type = s.substr(slash + 1);
            } else if (e.is_object()) {
                const auto& o = e.as_object();
                MUHAFIZ_CHECK(core::RejectUnknownFields(o, {"class", "type", "name"}, "classification"));
                cl.cls = MUHAFIZ_TRY(core::GetString(o, "class", "classification")).value_or("");
                cl.type = MUHAFIZ_TRY(core::GetString(o, "type", "classification")).value_or("");
            } else {
                return core::Invalid("classification", "classification must be a list of {\"class\",\"type\"}");
            }
            MUHAFIZ_CHECK(ValidateClassification(cl));
            if (std::find(cs.begin(), cs.end(), cl) == cs.end()) cs.push_back(cl);
        }
        in.classification = std::move(cs);
    }
    if (body.contains("tags")) {
        auto tags = MUHAFIZ_TRY(StringList(body, "tags"));
        std::vector<std::string> clean;
        for (auto& t : tags) {
            if (t.empty() || t.size() > 100) return core::Invalid("tags", "a tag has 1 to 100 characters");
            if (std::find(clean.begin(), clean.end(), t) == clean.end()) clean.push_back(t);
        }
        in.tags = std::move(clean);
    }
    if (auto* cf = body.if_contains("custom_fields"); cf && !cf->is_null()) {
        if (!cf->is_object()) return core::Invalid("custom_fields", "custom_fields must be an object");
        in.custom_fields = cf->as_object();
    }
    in.organisation = MUHAFIZ_TRY(core::GetString(body, "organisation_id"));
    if (auto* r = body.if_contains("reporter"); r && !r->is_null()) {
        if (!r->is_object()) return core::Invalid("reporter", "reporter must be {\"name\",\"email\",\"phone\"}");
        const auto& o = r->as_object();
        MUHAFIZ_CHECK(core::RejectUnknownFields(o, {"name", "email", "phone"}, "reporter"));
        in.reporter_name = MUHAFIZ_TRY(core::GetString(o, "name", "reporter"));
        in.reporter_email = MUHAFIZ_TRY(core::GetString(o, "email", "reporter"));
        in.reporter_phone = MUHAFIZ_TRY(core::GetString(o, "phone", "reporter"));
        if (in.reporter_email && !in.reporter_email->empty()) {
            auto e = NormaliseObservable("email", *in.reporter_email);
            if (!e) return core::Invalid("reporter.email", "reporter.email is not an e-mail address");
            in.reporter_email = *e;
        }
    }
    if (body.contains("affected")) in.affected = MUHAFIZ_TRY(StringList(body, "affected"));
    if (auto* a = body.if_contains("assignee")) {
        if (a->is_null()) in.assignee = std::optional<std::string>{};
        else if (a->is_string()) in.assignee = std::optional<std::string>{std::string(a->as_string())};
        else return core::Invalid("assignee", "assignee is a user id or username, or null");
    }
    in.confidential = MUHAFIZ_TRY(core::GetBool(body, "confidential"));
    if (body.contains("members")) in.members = MUHAFIZ_TRY(StringList(body, "members"));
    if (body.contains("occurred_at")) in.occurred_at = MUHAFIZ_TRY(TimeField(body, "occurred_at"));
    if (body.contains("detected_at")) in.detected_at = MUHAFIZ_TRY(TimeField(body, "detected_at"));
    if (auto t = MUHAFIZ_TRY(TimeField(body, "aware_at"))) in.aware_at = *t;
    if (patch) {
        if (auto s = MUHAFIZ_TRY(core::GetString(body, "status"))) in.status = MUHAFIZ_TRY(ParseStatus(*s));
        in.reason = MUHAFIZ_TRY(core::GetString(body, "reason")).value_or("");
    } else if (auto* obs = body.if_contains("observables"); obs && !obs->is_null()) {
        if (!obs->is_array()) return core::Invalid("observables", "observables must be a list of {\"type\",\"value\"}");
        for (const auto& e : obs->as_array()) {
            if (!e.is_object()) return core::Invalid("observables", "observables must be a list of {\"type\",\"value\"}");
            const auto& o = e.as_object();
            MUHAFIZ_CHECK(core::RejectUnknownFields(o, {"type", "value"}, "observables"));
            auto type = MUHAFIZ_TRY(core::GetString(o, "type", "observables")).value_or("");
            auto value = MUHAFIZ_TRY(core::GetString(o, "value", "observables")).value_or("");
            auto norm = NormaliseObservable(type, value);
            if (!norm) return core::Invalid("observables." + norm.error().field, norm.error().message);
            in.observables.emplace_back(type, *norm);
        }
    }
    if (!patch && (!in.title || in.title->empty())) return core::Invalid("title", "title is required");
    if (in.title && (in.title->empty() || in.title->size() > 500))
        return core::Invalid("title", "title has 1 to 500 characters");
    if (in.description && in.description->size() > 100000)
        return core::Invalid("description", "description is longer than 100,000 characters");
    return in;
}

json::object ToJson(const Incident& i) {
    json::array cls;
    for (const auto& c : i.classification)
        cls.push_back(json::object{{"class", c.cls}, {"type", c.type}, {"name", ClassificationName(c)}});
    json::array tags;
    for (const auto& t : i.tags) tags.push_back(json::string(t));
    json::array affected;
    for (const auto& a : i.affected) affected.push_back(json::string(a));
    json::array members;
    for (const auto& m : i.members) members.push_back(json::string(m));
    json::array deadlines;
    for (const auto& d : i.deadlines)
        deadlines.push_back(json::object{{"kind", DeadlineKindName(d.kind)},
                                         {"due_at", core::FormatRfc3339(d.due_at)},
                                         {"met_at", OptTime(d.met_at)}});
    auto org = [](const OrgRef& o) {
        return json::object{{"id", o.uuid}, {"name", o.name}, {"kind", o.kind}};
    };
    json::object out{
        {"id", i.uuid},
        {"reference", i.reference},
        {"title", i.title},
        {"description", i.description},
        {"classification", std::move(cls)},
        {"severity", SeverityName(i.severity)},
        {"impact", i.impact},
        {"tlp", i.tlp},
        {"pap", i.pap},
        {"tags", std::move(tags)},
        {"custom_fields", i.custom_fields},
        {"status", StatusName(i.status)},
        {"organisation_id", i.organisation.uuid},
        {"organisation", org(i.organisation)},
        {"handling_organisation_id", i.handling.uuid},
        {"handling_organisation", org(i.handling)},
        {"sector", i.sector},
        {"regime", i.regime},
        {"reporter", json::object{{"name", i.reporter_name}, {"email", i.reporter_email}, {"phone", i.reporter_phone}}},
        {"affected", std::move(affected)},
        {"assignee", i.assignee_uuid ? json::value(json::object{{"id", *i.assignee_uuid},
                                                                {"username", i.assignee_name.value_or("")}})
                                     : json::value(nullptr)},
        {"confidential", i.confidential},
        {"members", std::move(members)},
        {"source", i.source},
        {"occurred_at", OptTime(i.occurred_at)},
        {"detected_at", OptTime(i.detected_at)},
        {"aware_at", core::FormatRfc3339(i.aware_at)},
        {"acknowledged_at", OptTime(i.acknowledged_at)},
        {"resolved_at", OptTime(i.resolved_at)},
        {"closed_at", OptTime(i.closed_at)},
        {"next_due_at", OptTime(i.next_due_at)},
        {"merged_into", i.merged_into ? json::value(json::string(*i.merged_into)) : json::value(nullptr)},
        {"deadlines", std::move(deadlines)},
        {"version", i.version},
        {"created_at", core::FormatRfc3339(i.created_at)},
        {"updated_at", core::FormatRfc3339(i.updated_at)},
    };
    json::array allowed;
    for (Status s : AllowedTransitions(i.status)) allowed.push_back(json::string(StatusName(s)));
    out["allowed_transitions"] = std::move(allowed);
    return out;
}

core::Result<IncidentFilter> FilterFromQuery(const std::vector<std::pair<std::string, std::string>>& query) {
    IncidentFilter f;
    for (const auto& [key, value] : query) {
        if (value.empty()) continue;
        if (key == "status") {
            for (const auto& s : SplitComma(value)) f.statuses.push_back(MUHAFIZ_TRY(ParseStatus(s)));
        } else if (key == "severity") {
            for (const auto& s : SplitComma(value)) f.severities.push_back(MUHAFIZ_TRY(ParseSeverity(s)));
        } else if (key == "classification") {
            for (const auto& s : SplitComma(value)) {
                auto slash = s.find('/');
                Classification c{s.substr(0, slash), slash == std::string::npos ? "" : s.substr(slash + 1)};
                MUHAFIZ_CHECK(ValidateClassification(c));
                f.classes.push_back(c);
            }
        } else if (key == "organisation_id") {
            f.organisation = value;
        } else if (key == "assignee") {
            f.assignee = value;
        } else if (key == "tag" || key == "tags") {
            for (const auto& s : SplitComma(value)) f.tags.push_back(s);
        } else if (key == "created_from" || key == "from") {
            f.created_from = MUHAFIZ_TRY(QueryTime(key, value));
        } else if (key == "created_to" || key == "to") {
            f.created_to = MUHAFIZ_TRY(QueryTime(key, value));
        } else if (key == "updated_since") {
            f.updated_since = MUHAFIZ_TRY(QueryTime(key, value));
        } else if (key == "overdue") {
            if (value != "true" && value != "false") return core::Invalid("overdue", "overdue is true or false");
            f.overdue = value == "true";
        } else if (key == "due_within") {
            auto d = MUHAFIZ_TRY(ParseDuration(value, "due_within"));
            f.due_before = AddDuration(core::NowMicros(), d);
        } else if (key == "queue") {
            if (value != "triage" && value != "mine" && value != "cert" && value != "due_soon" && value != "overdue" &&
                value != "all")
                return core::Invalid("queue", "queue is triage, mine, cert, due_soon, overdue or all");
            f.queue = value;
        } else if (key == "confidential") {
            if (value != "true" && value != "false") return core::Invalid("confidential", "confidential is true or false");
            f.confidential = value == "true";
        } else if (key == "q") {
            if (value.size() > 500) return core::Invalid("q", "q is longer than 500 characters");
            f.q = value;
        } else if (key == "sort") {
            std::string_view s = value;
            std::string_view k = s.starts_with('-') ? s.substr(1) : s;
            if (k != "created" && k != "updated" && k != "severity" && k != "due")
                return core::Invalid("sort", "sort is created, updated, severity or due, '-' first for descending");
            f.sort = value;
        } else if (key == "limit") {
            int n = 0;
            for (char c : value) {
                if (c < '0' || c > '9' || n > 100000) return core::Invalid("limit", "limit must be between 1 and 500");
                n = n * 10 + (c - '0');
            }
            f.limit = n;
        } else if (key == "cursor") {
            f.cursor = value;
        } else if (key == "format") {
            // export format, read by the handler
        } else {
            return core::Invalid(key, "unknown filter '" + key + "'");
        }
    }
    return f;
}

}  // namespace muhafiz::incidents
