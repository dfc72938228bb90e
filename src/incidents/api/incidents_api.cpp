// HTTP handlers of incidents: parse, authorise through the store's rules, call, render.
#include "incidents/api/incidents_api.hpp"

#include <algorithm>

#include "core/time.hpp"
#include "db/query.hpp"

namespace muhafiz::incidents::api {
namespace json = core::json;
using access::Principal;
using core::ErrorCode;
using http::Request;
using http::Response;

bool RateLimiter::Allow(const std::string& key, core::Micros now) {
    if (per_hour_ <= 0) return false;
    std::lock_guard lock(mu_);
    const core::Micros hour = 3600LL * 1000000;
    if (hits_.size() > 100000)  // forget idle addresses
        for (auto it = hits_.begin(); it != hits_.end();)
            it = (it->second.empty() || it->second.back() < now - hour) ? hits_.erase(it) : std::next(it);
    auto& q = hits_[key];
    while (!q.empty() && q.front() < now - hour) q.pop_front();
    if (static_cast<int>(q.size()) >= per_hour_) return false;
    q.push_back(now);
    return true;
}

namespace {

Response WithETag(int status, const Incident& i) {
    Response r = Response::Json(status, ToJson(i));
    r.Header("ETag", "\"" + std::to_string(i.version) + "\"");
    return r;
}

// A 409 for a refused transition also lists the allowed statuses.
Response ErrorFor(const core::Error& e, const Incident* current = nullptr) {
    Response r = Response::Error(e);
    if (e.code == ErrorCode::kConflict && e.field == "status" && current) {
        json::array allowed;
        for (Status s : AllowedTransitions(current->status)) allowed.push_back(json::string(StatusName(s)));
        json::object body{{"error", json::object{{"code", core::ErrorCodeName(e.code)},
                                                 {"message", e.message},
                                                 {"field", "status"},
                                                 {"allowed", std::move(allowed)}}}};
        r = Response::Json(409, body);
    }
    return r;
}

json::object TimelineJson(const TimelineEntry& e) {
    return json::object{{"id", e.id}, {"at", core::FormatRfc3339(e.at)}, {"kind", e.kind},
                        {"actor", e.actor}, {"text", e.text}, {"data", e.data}};
}

json::object TaskJson(const Task& t) {
    return json::object{
        {"id", t.uuid},
        {"title", t.title},
        {"status", t.status},
        {"assignee", t.assignee_uuid ? json::value(json::object{{"id", *t.assignee_uuid}, {"username", t.assignee_name.value_or("")}})
                                     : json::value(nullptr)},
        {"due_at", t.due_at ? json::value(json::string(core::FormatRfc3339(*t.due_at))) : json::value(nullptr)},
        {"log", t.log},
        {"version", t.version},
        {"created_at", core::FormatRfc3339(t.created_at)},
        {"updated_at", core::FormatRfc3339(t.updated_at)}};
}

json::object ObservableJson(const Observable& o) {
    json::array seen;
    for (const auto& s : o.seen_in) seen.push_back(json::string(s));
    return json::object{{"type", o.type},   {"value", o.value}, {"tlp", o.tlp}, {"description", o.description},
                        {"created_at", core::FormatRfc3339(o.created_at)}, {"seen_in", std::move(seen)}};
}

json::object AttachmentJson(const std::string& incident, const Attachment& a) {
    return json::object{{"id", a.uuid},
                        {"filename", a.filename},
                        {"content_type", a.content_type},
                        {"size", a.size},
                        {"sha256", a.sha256},
                        {"created_by", a.created_by},
                        {"created_at", core::FormatRfc3339(a.created_at)},
                        {"url", "/api/v1/incidents/" + incident + "/attachments/" + a.uuid}};
}

std::string ReasonOf(const json::object& body) {
    auto r = core::GetString(body, "reason");
    return r && *r ? **r : std::string();
}

}  // namespace

core::Status RegisterIncidentRoutes(http::Router& router, const access::api::Guard& guard, IncidentStore& store,
                                    RateLimiter& limiter, ApiOptions options) {
    using access::api::Guard;
    using access::api::JsonBody;

    // ---- intake ----
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents", [&store](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto in = InputFromJson(*body, false);
        if (!in) return Response::Error(in.error());
        auto i = store.Create(*in, &p, Guard::ActorOf(p, req), "api");
        if (!i) return Response::Error(i.error());
        Response r = WithETag(201, *i);
        r.Header("Location", "/api/v1/incidents/" + i->uuid);
        return r;
    }));

    MUHAFIZ_CHECK(guard.Route(
        router, "POST", "/api/v1/incidents/bulk",
        [&store](Request& req, const Principal& p) {
            auto body = JsonBody(req);
            if (!body) return Response::Error(body.error());
            if (auto s = core::RejectUnknownFields(*body, {"incidents"}); !s) return Response::Error(s.error());
            auto* list = body->if_contains("incidents");
            if (!list || !list->is_array())
                return Response::Error(core::Error{ErrorCode::kInvalidArgument, "incidents must be a list", "incidents"});
            std::vector<IncidentInput> inputs;
            inputs.reserve(list->as_array().size());
            for (std::size_t k = 0; k < list->as_array().size(); ++k) {
                const auto& e = list->as_array()[k];
                const std::string at = "incidents[" + std::to_string(k) + "]";
                if (!e.is_object())
                    return Response::Error(core::Error{ErrorCode::kInvalidArgument, at + " must be an object", at});
                auto in = InputFromJson(e.as_object(), false);
                if (!in) {
                    auto err = in.error();
                    err.message = at + ": " + err.message;
                    err.field = at + (err.field.empty() ? "" : "." + err.field);
                    return Response::Error(err);
                }
                inputs.push_back(std::move(*in));
            }
            auto created = store.CreateMany(inputs, &p, Guard::ActorOf(p, req));
            if (!created) return Response::Error(created.error());
            json::array items;
            for (const auto& i : *created) items.push_back(json::object{{"id", i.uuid}, {"reference", i.reference}});
            return Response::Json(201, json::object{{"count", created->size()}, {"created", std::move(items)}});
        },
        Guard::RouteFlags{options.max_bulk_body_bytes, false}));

    MUHAFIZ_CHECK(router.Add("POST", "/api/v1/report", [&store, &limiter](Request& req) {
        if (!limiter.Allow(req.remote_address, core::NowMicros()))
            return Response::Error(ErrorCode::kTooManyRequests,
                                   "too many reports from this address; try again in an hour or e-mail the CERT");
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = core::RejectUnknownFields(*body, {"title", "description", "classification", "reporter", "occurred_at",
                                                       "detected_at", "organisation_name", "observables"});
            !s)
            return Response::Error(s.error());
        json::object copy = *body;
        auto org_name = core::GetString(copy, "organisation_name");
        if (!org_name) return Response::Error(org_name.error());
        copy.erase("organisation_name");
        auto in = InputFromJson(copy, false);
        if (!in) return Response::Error(in.error());
        if (!in->reporter_email || in->reporter_email->empty())
            return Response::Error(core::Error{ErrorCode::kInvalidArgument,
                                               "an e-mail address is needed so that the CERT can reach you",
                                               "reporter.email"});
        if (*org_name && !(*org_name)->empty())
            in->description = "Reporting organisation (as given): " + **org_name + "\n\n" + in->description.value_or("");
        in->tlp = "TLP:AMBER";
        core::Actor actor;
        actor.username = "public:" + *in->reporter_email;
        actor.address = req.remote_address;
        auto i = store.Create(*in, nullptr, actor, "public");
        if (!i) return Response::Error(i.error());
        return Response::Json(201, json::object{{"reference", i->reference},
                                                {"message", "Thank you. Your report " + i->reference +
                                                                " reached the National CERT; keep the reference "
                                                                "in the subject when you write to us about it."}});
    }));

    MUHAFIZ_CHECK(router.Add("GET", "/api/v1/report/taxonomy", [](Request&) {
        return Response::Json(200, RsitTaxonomyJson());
    }));

    // ---- lists, export, statistics, reference data ----
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents", [&store](Request& req, const Principal& p) {
        auto f = FilterFromQuery(req.query);
        if (!f) return Response::Error(f.error());
        const std::string format = req.Query("format").value_or("");
        if (format == "csv") {
            auto csv = store.ExportCsv(*f, &p);
            if (!csv) return Response::Error(csv.error());
            Response r = Response::Text(200, std::move(*csv), "text/csv; charset=utf-8");
            r.Header("Content-Disposition", "attachment; filename=\"incidents.csv\"");
            return r;
        }
        if (format == "json") {
            f->limit = db::kMaxPageSize;
            json::array all;
            for (int guard_pages = 0; guard_pages < 20; ++guard_pages) {
                auto page = store.List(*f, &p);
                if (!page) return Response::Error(page.error());
                for (const auto& i : page->items) all.push_back(ToJson(i));
                if (!page->next) break;
                f->cursor = *page->next;
            }
            Response r = Response::Json(200, all);
            r.Header("Content-Disposition", "attachment; filename=\"incidents.json\"");
            return r;
        }
        if (!format.empty())
            return Response::Error(core::Error{ErrorCode::kInvalidArgument, "format is csv or json", "format"});
        auto page = store.List(*f, &p);
        if (!page) return Response::Error(page.error());
        json::array items;
        for (const auto& i : page->items) items.push_back(ToJson(i));
        auto envelope = access::api::ListEnvelope(std::move(items), page->total, page->next);
        if (page->total_capped) envelope["total_capped"] = true;  // a text search: total is "at least"
        return Response::Json(200, envelope);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/stats", [&store](Request& req, const Principal& p) {
        std::optional<core::Micros> from, to;
        for (auto [name, slot] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
            if (auto v = req.Query(name); v && !v->empty()) {
                auto t = core::ParseRfc3339(*v);
                if (!t) t = core::ParseRfc3339(*v + "T00:00:00Z");
                if (!t) return Response::Error(core::Error{ErrorCode::kInvalidArgument, std::string(name) + " must be a date", name});
                *slot = *t;
            }
        }
        auto s = store.Stats(p, from, to);
        if (!s) return Response::Error(s.error());
        return Response::Json(200, *s);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/taxonomy", [](Request&, const Principal&) {
        return Response::Json(200, RsitTaxonomyJson());
    }));
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/regimes", [&store](Request&, const Principal&) {
        return Response::Json(200, store.regimes().ToJson());
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/fields", [&store](Request&, const Principal& p) {
        auto defs = store.FieldDefinitions(p.organisation_id);
        if (!defs) return Response::Error(defs.error());
        json::array out;
        for (const auto& d : *defs)
            out.push_back(json::object{{"name", d.name}, {"type", FieldTypeName(d.type)}, {"required", d.required}, {"label", d.label}});
        return Response::Json(200, json::object{{"items", std::move(out)}});
    }));
    MUHAFIZ_CHECK(guard.Route(router, "PUT", "/api/v1/incidents/fields", [&store](Request& req, const Principal& p) {
        if (p.role != access::Role::kAdmin || !p.organisation_kind.ends_with("_cert") || !access::MayWrite(p))
            return Response::Error(ErrorCode::kPermissionDenied, "only admins of a CERT define custom fields");
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto* items = body->if_contains("items");
        if (!items || !items->is_array())
            return Response::Error(core::Error{ErrorCode::kInvalidArgument, "items must be a list of fields", "items"});
        auto defs = store.SetFieldDefinitions(p.organisation_id, items->as_array(), Guard::ActorOf(p, req));
        if (!defs) return Response::Error(defs.error());
        json::array out;
        for (const auto& d : *defs)
            out.push_back(json::object{{"name", d.name}, {"type", FieldTypeName(d.type)}, {"required", d.required}, {"label", d.label}});
        return Response::Json(200, json::object{{"items", std::move(out)}});
    }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents/bulk-update", [&store](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = core::RejectUnknownFields(*body, {"ids", "assignee", "status", "reason"}); !s) return Response::Error(s.error());
        std::vector<std::string> ids;
        if (auto* v = body->if_contains("ids"); v && v->is_array())
            for (const auto& e : v->as_array())
                if (e.is_string()) ids.emplace_back(e.as_string());
        json::object patch_body = *body;
        patch_body.erase("ids");
        auto patch = InputFromJson(patch_body, true);
        if (!patch) return Response::Error(patch.error());
        auto r = store.BulkUpdate(ids, *patch, &p, Guard::ActorOf(p, req));
        if (!r) return Response::Error(r.error());
        json::array updated, failed;
        for (const auto& u : r->updated) updated.push_back(json::string(u));
        for (const auto& [id, e] : r->failed)
            failed.push_back(json::object{{"id", id}, {"error", json::object{{"code", core::ErrorCodeName(e.code)}, {"message", e.message}}}});
        return Response::Json(200, json::object{{"updated", std::move(updated)}, {"failed", std::move(failed)}});
    }));

    // ---- one incident ----
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/{id}", [&store](Request& req, const Principal& p) {
        auto i = store.Get(req.PathParam("id"), &p);
        if (!i) return Response::Error(i.error());
        return WithETag(200, *i);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "PATCH", "/api/v1/incidents/{id}", [&store](Request& req, const Principal& p) {
        auto expected = http::IfMatchVersion(req);
        if (!expected) return Response::Error(expected.error());
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto patch = InputFromJson(*body, true);
        if (!patch) return Response::Error(patch.error());
        auto i = store.Update(req.PathParam("id"), *patch, *expected, &p, Guard::ActorOf(p, req));
        if (!i) {
            auto current = store.Get(req.PathParam("id"), &p);
            return ErrorFor(i.error(), current ? &*current : nullptr);
        }
        return WithETag(200, *i);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/{id}/timeline", [&store](Request& req, const Principal& p) {
        auto t = store.Timeline(req.PathParam("id"), &p);
        if (!t) return Response::Error(t.error());
        json::array items;
        for (const auto& e : *t) items.push_back(TimelineJson(e));
        return Response::Json(200, json::object{{"items", std::move(items)}});
    }));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents/{id}/timeline", [&store](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = core::RejectUnknownFields(*body, {"text"}); !s) return Response::Error(s.error());
        auto text = core::GetString(*body, "text");
        if (!text) return Response::Error(text.error());
        auto e = store.AddComment(req.PathParam("id"), text->value_or(""), &p, Guard::ActorOf(p, req));
        if (!e) return Response::Error(e.error());
        return Response::Json(201, TimelineJson(*e));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/{id}/tasks", [&store](Request& req, const Principal& p) {
        auto t = store.Tasks(req.PathParam("id"), &p);
        if (!t) return Response::Error(t.error());
        json::array items;
        for (const auto& e : *t) items.push_back(TaskJson(e));
        return Response::Json(200, json::object{{"items", std::move(items)}});
    }));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents/{id}/tasks", [&store](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto t = store.AddTask(req.PathParam("id"), *body, &p, Guard::ActorOf(p, req));
        if (!t) return Response::Error(t.error());
        return Response::Json(201, TaskJson(*t));
    }));
    MUHAFIZ_CHECK(guard.Route(router, "PATCH", "/api/v1/incidents/{id}/tasks/{task}", [&store](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto t = store.UpdateTask(req.PathParam("id"), req.PathParam("task"), *body, &p, Guard::ActorOf(p, req));
        if (!t) return Response::Error(t.error());
        return Response::Json(200, TaskJson(*t));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/{id}/observables", [&store](Request& req, const Principal& p) {
        auto o = store.Observables(req.PathParam("id"), &p);
        if (!o) return Response::Error(o.error());
        json::array items;
        for (const auto& e : *o) items.push_back(ObservableJson(e));
        return Response::Json(200, json::object{{"items", std::move(items)}});
    }));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents/{id}/observables", [&store](Request& req, const Principal& p) {
        auto body = JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = core::RejectUnknownFields(*body, {"type", "value", "tlp", "description"}); !s) return Response::Error(s.error());
        auto type = core::GetString(*body, "type");
        auto value = core::GetString(*body, "value");
        auto tlp = core::GetString(*body, "tlp");
        auto description = core::GetString(*body, "description");
        if (!type || !value || !tlp || !description)
            return Response::Error(!type ? type.error() : !value ? value.error() : !tlp ? tlp.error() : description.error());
        auto o = store.AddObservable(req.PathParam("id"), type->value_or(""), value->value_or(""), *tlp,
                                     description->value_or(""), &p, Guard::ActorOf(p, req));
        if (!o) return Response::Error(o.error());
        return Response::Json(201, ObservableJson(*o));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/{id}/attachments", [&store](Request& req, const Principal& p) {
        auto a = store.Attachments(req.PathParam("id"), &p);
        if (!a) return Response::Error(a.error());
        json::array items;
        for (const auto& e : *a) items.push_back(AttachmentJson(req.PathParam("id"), e));
        return Response::Json(200, json::object{{"items", std::move(items)}});
    }));
    MUHAFIZ_CHECK(guard.Route(
        router, "POST", "/api/v1/incidents/{id}/attachments",
        [&store](Request& req, const Principal& p) {
            const std::string filename = req.Query("filename").value_or("");
            if (filename.empty())
                return Response::Error(core::Error{ErrorCode::kInvalidArgument, "give the file name as ?filename=", "filename"});
            auto a = store.AddAttachment(req.PathParam("id"), filename,
                                         req.Header("content-type").value_or("application/octet-stream"), req.body, &p,
                                         Guard::ActorOf(p, req));
            if (!a) return Response::Error(a.error());
            return Response::Json(201, AttachmentJson(req.PathParam("id"), *a));
        },
        Guard::RouteFlags{static_cast<std::size_t>(store.options().max_attachment_bytes), false}));
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/{id}/attachments/{attachment}",
                              [&store](Request& req, const Principal& p) {
        auto a = store.ReadAttachment(req.PathParam("id"), req.PathParam("attachment"), &p);
        if (!a) return Response::Error(a.error());
        Response r = Response::Text(200, std::move(a->second), "application/octet-stream");
        std::string safe;
        for (char c : a->first.filename)
            if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) safe += c;
        r.Header("Content-Disposition", "attachment; filename=\"" + safe + "\"");
        r.Header("X-Content-Type-Options", "nosniff");
        r.Header("X-Sha256", a->first.sha256);
        return r;
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/{id}/links", [&store](Request& req, const Principal& p) {
        auto l = store.Links(req.PathParam("id"), &p);
        if (!l) return Response::Error(l.error());
        json::array items;
        for (const auto& e : *l) items.push_back(json::string(e));
        return Response::Json(200, json::object{{"items", std::move(items)}});
    }));

    // Actions with a JSON body: links, merges, escalation, delegation, sharing.
    auto action = [](std::initializer_list<std::string_view> fields,
                      std::function<core::Result<Incident>(const std::string&, const json::object&, const Principal&,
                                                           const core::Actor&)> run) {
        std::vector<std::string> allowed(fields.begin(), fields.end());  // the list itself dies here
        return access::api::GuardedHandler([allowed, run](Request& req, const Principal& p) {
            auto body = req.body.empty() ? core::Result<json::object>(json::object{}) : JsonBody(req);
            if (!body) return Response::Error(body.error());
            for (const auto& kv : *body)
                if (std::find(allowed.begin(), allowed.end(), std::string(kv.key())) == allowed.end())
                    return Response::Error(core::Error{ErrorCode::kInvalidArgument,
                                                       "unknown field '" + std::string(kv.key()) + "'", std::string(kv.key())});
            auto i = run(req.PathParam("id"), *body, p, Guard::ActorOf(p, req));
            if (!i) return Response::Error(i.error());
            return WithETag(200, *i);
        });
    };
    auto str = [](const json::object& b, const char* key) {
        auto v = core::GetString(b, key);
        return v && *v ? **v : std::string();
    };
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents/{id}/links", action({"incident"},
                         [&store, str](const std::string& id, const json::object& b, const Principal& p, const core::Actor& a) {
                             return store.Link(id, str(b, "incident"), &p, a);
                         })));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents/{id}/merge", action({"into", "reason"},
                         [&store, str](const std::string& id, const json::object& b, const Principal& p, const core::Actor& a) {
                             return store.Merge(id, str(b, "into"), ReasonOf(b), &p, a);
                         })));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents/{id}/escalate", action({"reason"},
                         [&store](const std::string& id, const json::object& b, const Principal& p, const core::Actor& a) {
                             return store.Escalate(id, ReasonOf(b), &p, a);
                         })));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents/{id}/delegate", action({"organisation_id", "reason"},
                         [&store, str](const std::string& id, const json::object& b, const Principal& p, const core::Actor& a) {
                             return store.Delegate(id, str(b, "organisation_id"), ReasonOf(b), &p, a);
                         })));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents/{id}/share", action({"organisation_id", "access", "reason"},
                         [&store, str](const std::string& id, const json::object& b, const Principal& p, const core::Actor& a) {
                             std::string access = str(b, "access");
                             return store.Share(id, str(b, "organisation_id"), access.empty() ? "read" : access,
                                                ReasonOf(b), &p, a);
                         })));
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/{id}/shares", [&store](Request& req, const Principal& p) {
        auto s = store.Shares(req.PathParam("id"), &p);
        if (!s) return Response::Error(s.error());
        json::array items;
        for (const auto& e : *s)
            items.push_back(json::object{{"organisation", json::object{{"id", e.organisation.uuid}, {"name", e.organisation.name}, {"kind", e.organisation.kind}}},
                                         {"access", e.access},
                                         {"created_at", core::FormatRfc3339(e.created_at)}});
        return Response::Json(200, json::object{{"items", std::move(items)}});
    }));
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/incidents/{id}/deadlines/{kind}", [&store](Request& req, const Principal& p) {
        auto kind = ParseDeadlineKind(req.PathParam("kind"));
        if (!kind) return Response::Error(kind.error());
        std::optional<core::Micros> met_at;
        if (!req.body.empty()) {
            auto body = JsonBody(req);
            if (!body) return Response::Error(body.error());
            if (auto s = core::RejectUnknownFields(*body, {"met_at"}); !s) return Response::Error(s.error());
            if (auto v = core::GetString(*body, "met_at"); v && *v) {
                met_at = core::ParseRfc3339(**v);
                if (!met_at) return Response::Error(core::Error{ErrorCode::kInvalidArgument, "met_at must be an RFC 3339 time", "met_at"});
            }
        }
        auto i = store.MeetDeadline(req.PathParam("id"), *kind, met_at, &p, Guard::ActorOf(p, req));
        if (!i) return Response::Error(i.error());
        return WithETag(200, *i);
    }));
    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/incidents/{id}/notifications", [&store](Request& req, const Principal& p) {
        auto n = store.Notifications(req.PathParam("id"), &p);
        if (!n) return Response::Error(n.error());
        json::array items;
        for (const auto& e : *n) items.push_back(notify::ToJson(e));
        return Response::Json(200, json::object{{"items", std::move(items)}});
    }));
    return core::Ok();
}

}  // namespace muhafiz::incidents::api
