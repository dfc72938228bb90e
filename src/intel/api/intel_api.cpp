#include "intel/api/intel_api.hpp"

#include <sstream>

#include "intel/misp.hpp"

namespace muhafiz::intel::api {
namespace json = core::json;
using access::Principal;
using core::ErrorCode;
using http::Request;
using http::Response;

bool CanWriteIntel(const Principal& p) {
    return access::MayWrite(p) && p.role != access::Role::kCouncil && p.role != access::Role::kReporter &&
           p.organisation_kind != "cert_council";
}

namespace {

constexpr std::size_t kMaxImportBytes = 512u << 20;

core::Result<std::optional<core::Micros>> TimeParam(const Request& req, const char* name) {
    auto v = req.Query(name);
    if (!v || v->empty()) return std::optional<core::Micros>{};
    auto t = core::ParseRfc3339(*v);
    if (!t) return core::Invalid(name, std::string(name) + " must be an RFC 3339 date or time");
    return std::optional<core::Micros>(*t);
}

std::optional<std::string> NonEmpty(const Request& req, const char* name) {
    auto v = req.Query(name);
    if (!v || v->empty()) return std::nullopt;
    return v;
}

Response WithETag(int status, const Event& e) {
    Response r = Response::Json(status, ToJson(e));
    r.Header("ETag", "\"" + std::to_string(e.version) + "\"");
    return r;
}

core::Result<IndicatorFilter> IndicatorFilterOf(const Request& req) {
    IndicatorFilter f;
    f.value = NonEmpty(req, "value");
    f.type = NonEmpty(req, "type");
    if (f.type) MUHAFIZ_TRY(ParseType(*f.type));
    f.tag = NonEmpty(req, "tag");
    f.organisation = NonEmpty(req, "organisation");
    f.event = NonEmpty(req, "event");
    if (auto t = NonEmpty(req, "tlp")) f.tlp = MUHAFIZ_TRY(access::ParseTlp(*t));
    f.since = MUHAFIZ_TRY(TimeParam(req, "since"));
    f.until = MUHAFIZ_TRY(TimeParam(req, "until"));
    if (auto a = NonEmpty(req, "active")) f.active_only = *a == "1" || *a == "true";
    f.limit = MUHAFIZ_TRY(access::api::LimitParam(req));
    f.cursor = req.Query("cursor").value_or("");
    return f;
}

json::object CorrelationJson(const Correlation& c, core::Micros now) {
    json::array events;
    for (const auto& e : c.events) events.push_back(json::object{{"id", e.uuid}, {"title", e.name}});
    json::object o{{"type", TypeName(c.indicator.type)},
                   {"value", c.indicator.value},
                   {"event_count", c.event_count},
                   {"over_correlating", c.over_correlating},
                   {"events", std::move(events)}};
    if (!c.indicator.uuid.empty()) o["indicator"] = ToJson(c.indicator, now);
    return o;
}

}  // namespace

core::Status RegisterIntelRoutes(http::Router& router, const access::api::Guard& guard, IntelStore& store) {
    auto viewer = [&store](const Principal& p) { return store.ViewerFor(p); };
    auto refuse = [](std::string_view what) {
        return Response::Error(ErrorCode::kPermissionDenied,
                               "only admins and analysts (or partner CERT users) may " + std::string(what));
    };

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/events", [&, viewer](Request& req, const Principal& p) {
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        EventFilter f;
        f.q = NonEmpty(req, "q");
        f.tag = NonEmpty(req, "tag");
        f.organisation = NonEmpty(req, "organisation");
        f.value = NonEmpty(req, "value");
        f.type = NonEmpty(req, "type");
        if (auto t = NonEmpty(req, "tlp")) {
            auto tlp = access::ParseTlp(*t);
            if (!tlp) return Response::Error(tlp.error());
            f.tlp = *tlp;
        }
        if (auto a = NonEmpty(req, "audience")) {
            auto aud = access::ParseAudience(*a);
            if (!aud) return Response::Error(aud.error());
            f.audience = *aud;
        }
        auto since = TimeParam(req, "since");
        auto until = TimeParam(req, "until");
        auto limit = access::api::LimitParam(req);
        if (!since) return Response::Error(since.error());
        if (!until) return Response::Error(until.error());
        if (!limit) return Response::Error(limit.error());
        f.since = *since;
        f.until = *until;
        f.limit = *limit;
        f.cursor = req.Query("cursor").value_or("");
        auto page = store.ListEvents(f, *v);
        if (!page) return Response::Error(page.error());
        json::array items;
        for (const auto& e : page->items) items.push_back(ToJson(e));
        return Response::Json(200, access::api::ListEnvelope(std::move(items), page->total, page->next));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/intel/events", [&, refuse](Request& req, const Principal& p) {
        if (!CanWriteIntel(p)) return refuse("publish intel events");
        auto body = access::api::JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto in = EventInputFromJson(*body);
        if (!in) return Response::Error(in.error());
        auto e = store.Create(*in, p.organisation_id, access::api::Guard::ActorOf(p, req));
        if (!e) return Response::Error(e.error());
        Response r = WithETag(201, *e);
        r.Header("Location", "/api/v1/intel/events/" + e->uuid);
        return r;
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/events/{id}", [&, viewer](Request& req, const Principal& p) {
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto e = store.Get(req.PathParam("id"), *v);
        if (!e) return Response::Error(e.error());
        Response r = WithETag(200, *e);
        return r;
    }));

    MUHAFIZ_CHECK(guard.Route(router, "PATCH", "/api/v1/intel/events/{id}", [&, viewer, refuse](Request& req, const Principal& p) {
        if (!CanWriteIntel(p)) return refuse("change intel events");
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto expected = http::IfMatchVersion(req);
        if (!expected) return Response::Error(expected.error());
        auto body = access::api::JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto patch = EventPatchFromJson(*body);
        if (!patch) return Response::Error(patch.error());
        auto e = store.Update(req.PathParam("id"), *patch, *expected, *v, access::api::Guard::ActorOf(p, req));
        if (!e) return Response::Error(e.error());
        return WithETag(200, *e);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "DELETE", "/api/v1/intel/events/{id}", [&, viewer, refuse](Request& req, const Principal& p) {
        if (!CanWriteIntel(p)) return refuse("delete intel events");
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto done = store.Delete(req.PathParam("id"), *v, access::api::Guard::ActorOf(p, req));
        if (!done) return Response::Error(done.error());
        return Response::NoContent();
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/events/{id}/recipients", [&, viewer](Request& req, const Principal& p) {
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        EventPatch what_if;
        if (auto t = NonEmpty(req, "tlp")) {
            auto tlp = access::ParseTlp(*t);
            if (!tlp) return Response::Error(tlp.error());
            what_if.tlp = *tlp;
        }
        if (auto a = NonEmpty(req, "audience")) {
            auto aud = access::ParseAudience(*a);
            if (!aud) return Response::Error(aud.error());
            what_if.audience = *aud;
        }
        if (auto r = req.Query("recipients")) {
            std::vector<std::string> ids;
            std::stringstream ss(*r);
            std::string id;
            while (std::getline(ss, id, ','))
                if (!id.empty()) ids.push_back(id);
            what_if.recipients = ids;
        }
        auto orgs = store.Recipients(req.PathParam("id"), what_if, *v);
        if (!orgs) return Response::Error(orgs.error());
        json::array items;
        for (const auto& o : *orgs) items.push_back(json::object{{"id", o.uuid}, {"name", o.name}});
        const std::int64_t n = static_cast<std::int64_t>(items.size());
        return Response::Json(200, json::object{{"items", std::move(items)}, {"total", n}});
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/events/{id}/indicators", [&, viewer](Request& req, const Principal& p) {
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto e = store.Get(req.PathParam("id"), *v);
        if (!e) return Response::Error(e.error());
        auto f = IndicatorFilterOf(req);
        if (!f) return Response::Error(f.error());
        f->event = e->uuid;
        auto page = store.ListIndicators(*f, *v);
        if (!page) return Response::Error(page.error());
        json::array items;
        const core::Micros now = core::NowMicros();
        for (const auto& i : page->items) items.push_back(ToJson(i, now));
        return Response::Json(200, access::api::ListEnvelope(std::move(items), page->total, page->next));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/intel/events/{id}/indicators",
                              [&, viewer, refuse](Request& req, const Principal& p) {
        if (!CanWriteIntel(p)) return refuse("add indicators");
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto body = access::api::JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto s = core::RejectUnknownFields(*body, {"indicators"}); !s) return Response::Error(s.error());
        const json::value* list = core::Find(*body, "indicators");
        if (!list || !list->is_array() || list->as_array().empty())
            return Response::Error(core::Error{ErrorCode::kInvalidArgument, "indicators must be a non-empty array", "indicators"});
        if (list->as_array().size() > 10000)
            return Response::Error(core::Error{ErrorCode::kInvalidArgument, "at most 10000 indicators per request", "indicators"});
        std::vector<IndicatorInput> inputs;
        std::size_t n = 0;
        for (const auto& item : list->as_array()) {
            const std::string path = "indicators[" + std::to_string(n++) + "].";
            if (!item.is_object())
                return Response::Error(core::Error{ErrorCode::kInvalidArgument, "each indicator must be an object", path});
            auto in = IndicatorInputFromJson(item.as_object(), path);
            if (!in) return Response::Error(in.error());
            inputs.push_back(std::move(*in));
        }
        auto added = store.AddIndicators(req.PathParam("id"), inputs, *v, access::api::Guard::ActorOf(p, req));
        if (!added) return Response::Error(added.error());
        json::array items;
        const core::Micros now = core::NowMicros();
        for (const auto& i : *added) items.push_back(ToJson(i, now));
        const std::int64_t total = static_cast<std::int64_t>(items.size());
        return Response::Json(201, json::object{{"items", std::move(items)}, {"total", total}});
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/events/{id}/stix", [&, viewer](Request& req, const Principal& p) {
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        // Rendered as text (no document tree: big events stay small in memory).
        std::ostringstream bundle;
        if (auto s = store.ExportStixTo(req.PathParam("id"), *v, bundle); !s) return Response::Error(s.error());
        return Response::Text(200, std::move(bundle).str(), "application/stix+json;version=2.1");
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/events/{id}/misp", [&, viewer](Request& req, const Principal& p) {
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto doc = ExportMisp(store, req.PathParam("id"), *v);
        if (!doc) return Response::Error(doc.error());
        return Response::Json(200, *doc);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/indicators", [&, viewer](Request& req, const Principal& p) {
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto f = IndicatorFilterOf(req);
        if (!f) return Response::Error(f.error());
        if (req.Query("format").value_or("") == "csv") {
            auto csv = store.ExportCsv(*f, *v);
            if (!csv) return Response::Error(csv.error());
            Response r = Response::Text(200, std::move(*csv), "text/csv; charset=utf-8");
            r.Header("Content-Disposition", "attachment; filename=\"indicators.csv\"");
            return r;
        }
        auto page = store.ListIndicators(*f, *v);
        if (!page) return Response::Error(page.error());
        json::array items;
        const core::Micros now = core::NowMicros();
        for (const auto& i : page->items) items.push_back(ToJson(i, now));
        return Response::Json(200, access::api::ListEnvelope(std::move(items), page->total, page->next));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/indicators/{id}", [&, viewer](Request& req, const Principal& p) {
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto i = store.GetIndicator(req.PathParam("id"), *v);
        if (!i) return Response::Error(i.error());
        return Response::Json(200, ToJson(*i, core::NowMicros()));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "PATCH", "/api/v1/intel/indicators/{id}", [&, viewer, refuse](Request& req, const Principal& p) {
        if (!CanWriteIntel(p)) return refuse("change indicators");
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto body = access::api::JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto patch = IndicatorPatchFromJson(*body);
        if (!patch) return Response::Error(patch.error());
        auto i = store.UpdateIndicator(req.PathParam("id"), *patch, *v, access::api::Guard::ActorOf(p, req));
        if (!i) return Response::Error(i.error());
        return Response::Json(200, ToJson(*i, core::NowMicros()));
    }));

    // Removal: If-Match, when sent, is the event's version (ETag of the event).
    MUHAFIZ_CHECK(guard.Route(router, "DELETE", "/api/v1/intel/indicators/{id}", [&, viewer, refuse](Request& req, const Principal& p) {
        if (!CanWriteIntel(p)) return refuse("remove indicators");
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto expected = http::IfMatchVersion(req);
        if (!expected) return Response::Error(expected.error());
        auto done = store.RemoveIndicator(req.PathParam("id"), *expected, *v, access::api::Guard::ActorOf(p, req));
        if (!done) return Response::Error(done.error());
        return Response::NoContent();
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/indicators/{id}/sightings", [&, viewer](Request& req, const Principal& p) {
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        auto list = store.ListSightings(req.PathParam("id"), *v);
        if (!list) return Response::Error(list.error());
        json::array items;
        for (const auto& s : *list)
            items.push_back(json::object{{"organisation", json::object{{"id", s.organisation.uuid}, {"name", s.organisation.name}}},
                                         {"count", s.count},
                                         {"first_seen", core::FormatRfc3339(s.first_seen)},
                                         {"last_seen", core::FormatRfc3339(s.last_seen)},
                                         {"source", s.source}});
        const std::int64_t n = static_cast<std::int64_t>(items.size());
        return Response::Json(200, json::object{{"items", std::move(items)}, {"total", n}});
    }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/intel/indicators/{id}/sightings",
                              [&, viewer](Request& req, const Principal& p) {
        if (!access::SeesRecords(p)) return Response::Error(ErrorCode::kPermissionDenied, "the Council reports no sightings");
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        SightingInput s;
        if (!req.body.empty()) {
            auto body = access::api::JsonBody(req);
            if (!body) return Response::Error(body.error());
            if (auto c = core::RejectUnknownFields(*body, {"count", "seen_at", "source"}); !c) return Response::Error(c.error());
            auto count = core::GetInt(*body, "count");
            auto seen = core::GetString(*body, "seen_at");
            auto source = core::GetString(*body, "source");
            if (!count) return Response::Error(count.error());
            if (!seen) return Response::Error(seen.error());
            if (!source) return Response::Error(source.error());
            s.count = count->value_or(1);
            if (*seen) {
                auto t = core::ParseRfc3339(**seen);
                if (!t) return Response::Error(core::Error{ErrorCode::kInvalidArgument, "seen_at must be an RFC 3339 time", "seen_at"});
                s.seen_at = *t;
            }
            s.source = source->value_or("");
        }
        auto i = store.AddSighting(req.PathParam("id"), s, *v, access::api::Guard::ActorOf(p, req));
        if (!i) return Response::Error(i.error());
        return Response::Json(201, ToJson(*i, core::NowMicros()));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/correlations", [&, viewer](Request& req, const Principal& p) {
        auto v = viewer(p);
        if (!v) return Response::Error(v.error());
        const core::Micros now = core::NowMicros();
        json::array items;
        if (auto ev = NonEmpty(req, "event")) {
            auto c = store.Correlations(*ev, *v);
            if (!c) return Response::Error(c.error());
            for (const auto& x : *c) items.push_back(CorrelationJson(x, now));
        } else if (auto value = NonEmpty(req, "value")) {
            auto type = NonEmpty(req, "type");
            if (!type) return Response::Error(core::Error{ErrorCode::kInvalidArgument, "give the type of the value", "type"});
            auto c = store.CorrelateValue(*type, *value, *v);
            if (!c) return Response::Error(c.error());
            for (const auto& x : *c) items.push_back(CorrelationJson(x, now));
        }
        json::array over;
        if (access::SeesRecords(p)) {
            auto o = store.OverCorrelatingValues(100, *v);
            if (!o) return Response::Error(o.error());
            for (const auto& x : *o)
                over.push_back(json::object{{"type", x.type}, {"value", x.value}, {"event_count", x.events}});
        }
        const std::int64_t total = static_cast<std::int64_t>(items.size());
        return Response::Json(200, json::object{{"items", std::move(items)},
                                                {"total", total},
                                                {"limit", store.settings().correlation_limit},
                                                {"over_correlating", std::move(over)}});
    }));

    access::api::Guard::RouteFlags import_flags;
    import_flags.max_body_bytes = kMaxImportBytes;
    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/intel/import/stix", [&, refuse](Request& req, const Principal& p) {
        if (!CanWriteIntel(p)) return refuse("import intel");
        if (auto ct = req.Header("content-type"); ct && ct->find("json") == std::string::npos)
            return Response::Error(ErrorCode::kUnsupportedMedia, "send the bundle as application/json or application/stix+json");
        ImportOptions opts;
        opts.organisation_id = p.organisation_id;
        if (auto s = ApplyImportMarkings(opts, req.Query("tlp").value_or(""), req.Query("audience").value_or("")); !s)
            return Response::Error(s.error());
        opts.title = req.Query("title").value_or("");
        std::istringstream in(req.body);
        auto r = store.ImportStix(in, opts, access::api::Guard::ActorOf(p, req));
        if (!r) return Response::Error(r.error());
        return Response::Json(201, ToJson(*r));
    }, import_flags));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/intel/import/misp", [&, refuse](Request& req, const Principal& p) {
        if (!CanWriteIntel(p)) return refuse("import intel");
        MispImportOptions opts;
        opts.organisation_id = p.organisation_id;
        if (auto s = ApplyImportMarkings(opts, req.Query("tlp").value_or(""), req.Query("audience").value_or("")); !s)
            return Response::Error(s.error());
        auto r = ImportMisp(store, req.body, opts, access::api::Guard::ActorOf(p, req));
        if (!r) return Response::Error(r.error());
        return Response::Json(201, ToJson(*r));
    }, import_flags));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/intel/warninglists", [&](Request&, const Principal&) {
        json::array items;
        for (const auto& l : store.warning_lists().Lists())
            items.push_back(json::object{{"name", l.name}, {"type", l.type}, {"entries", l.entries}});
        const std::int64_t n = static_cast<std::int64_t>(items.size());
        return Response::Json(200, json::object{{"items", std::move(items)}, {"total", n}});
    }));
    return core::Ok();
}

}  // namespace muhafiz::intel::api
