#include "vulns/api/advisories_api.hpp"

#include "core/ids.hpp"

namespace muhafiz::vulns::api {
namespace json = core::json;
using access::Principal;
using core::ErrorCode;
using http::Request;
using http::Response;

namespace {

// Admins and analysts of a CERT (not the Council, not a partner CERT) with the write scope.
bool CanWriteAdvisories(const Principal& p) {
    const bool cert = p.organisation_kind.ends_with("_cert") && p.organisation_kind != "partner_cert";
    return cert && (p.role == access::Role::kAdmin || p.role == access::Role::kAnalyst) && access::MayWrite(p);
}

Response WithETag(int status, const Advisory& a) {
    Response r = Response::Json(status, ToJson(a));
    r.Header("ETag", "\"" + std::to_string(a.version) + "\"");
    return r;
}

core::Result<AdvisoryListFilter> ParseFilter(const Request& req) {
    AdvisoryListFilter f;
    if (auto s = req.Query("status"); s && !s->empty()) {
        if (*s == "draft") f.status = AdvisoryStatus::kDraft;
        else if (*s == "published") f.status = AdvisoryStatus::kPublished;
        else return core::Invalid("status", "status must be 'draft' or 'published'");
    }
    if (auto q = req.Query("q"); q && !q->empty()) f.q = *q;
    f.limit = MUHAFIZ_TRY(access::api::LimitParam(req));
    f.cursor = req.Query("cursor").value_or("");
    return f;
}

}  // namespace

bool MayReadTlp(const Principal& p, std::string_view tlp) {
    if (tlp == "WHITE") return true;
    if (!access::MayRead(p) || !access::SeesRecords(p)) return false;
    if (tlp == "GREEN" || tlp == "AMBER") return true;
    return tlp == "RED" && p.is_national;
}

core::Status RegisterAdvisoryRoutes(http::Router& router, const access::api::Guard& guard, AdvisoryStore& store,
                                    CsafProvider& provider, VulnService* vulns) {
    const access::Policy& policy = guard.policy();
    auto read_scope = [&policy](const Principal& p) {
        return policy.RecordScope(p, "o.path", "advisory", "a.id", access::Access::kRead);
    };
    auto write_scope = [&policy](const Principal& p) {
        return policy.RecordScope(p, "o.path", "advisory", "a.id", access::Access::kWrite);
    };
    auto refuse = [](std::string_view what) {
        return Response::Error(ErrorCode::kPermissionDenied,
                               "only admins and analysts of a CERT may " + std::string(what));
    };

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/advisories", [&, read_scope](Request& req, const Principal& p) {
        auto f = ParseFilter(req);
        if (!f) return Response::Error(f.error());
        auto page = store.List(*f, read_scope(p));
        if (!page) return Response::Error(page.error());
        json::array items;
        for (const auto& a : page->items) items.push_back(ToJson(a));
        return Response::Json(200, access::api::ListEnvelope(std::move(items), page->total, page->next));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/advisories", [&, refuse](Request& req, const Principal& p) {
        if (!CanWriteAdvisories(p)) return refuse("write advisories");
        auto body = access::api::JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto content = ContentFromJson(*body);
        if (!content) return Response::Error(content.error());
        auto a = store.Create(*content, p.organisation_id, access::api::Guard::ActorOf(p, req));
        if (!a) return Response::Error(a.error());
        Response r = WithETag(201, *a);
        r.Header("Location", "/api/v1/advisories/" + a->uuid);
        return r;
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/advisories/{id}", [&, read_scope](Request& req, const Principal& p) {
        auto a = store.Get(req.PathParam("id"), read_scope(p));
        if (!a) return Response::Error(a.error());
        return WithETag(200, *a);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "PATCH", "/api/v1/advisories/{id}",
                              [&, write_scope, refuse](Request& req, const Principal& p) {
        if (!CanWriteAdvisories(p)) return refuse("change advisories");
        auto expected = http::IfMatchVersion(req);
        if (!expected) return Response::Error(expected.error());
        auto body = access::api::JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto current = store.Get(req.PathParam("id"), write_scope(p));
        if (!current) return Response::Error(current.error());
        AdvisoryContent content = current->content;
        if (auto s = ApplyContentJson(content, *body); !s) return Response::Error(s.error());
        // Without If-Match, the version just read guards against a concurrent change.
        auto a = store.Update(current->uuid, content, expected->value_or(current->version), write_scope(p),
                              access::api::Guard::ActorOf(p, req));
        if (!a) return Response::Error(a.error());
        return WithETag(200, *a);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "DELETE", "/api/v1/advisories/{id}",
                              [&, write_scope, refuse](Request& req, const Principal& p) {
        if (!CanWriteAdvisories(p)) return refuse("delete advisories");
        auto done = store.Delete(req.PathParam("id"), write_scope(p), access::api::Guard::ActorOf(p, req));
        if (!done) return Response::Error(done.error());
        return Response::NoContent();
    }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/advisories/{id}/publish",
                              [&, write_scope, refuse](Request& req, const Principal& p) {
        if (!CanWriteAdvisories(p)) return refuse("publish advisories");
        auto expected = http::IfMatchVersion(req);
        if (!expected) return Response::Error(expected.error());
        std::string summary;
        if (!req.body.empty()) {
            auto body = access::api::JsonBody(req);
            if (!body) return Response::Error(body.error());
            if (auto s = core::RejectUnknownFields(*body, {"summary"}); !s) return Response::Error(s.error());
            auto text = core::GetString(*body, "summary");
            if (!text) return Response::Error(text.error());
            summary = text->value_or("");
        }
        auto a = store.Publish(req.PathParam("id"), summary, *expected, write_scope(p),
                               access::api::Guard::ActorOf(p, req));
        if (!a) return Response::Error(a.error());
        // The publication is committed; should writing the files fail, the next start (Sync)
        // writes them. Tell the caller either way.
        if (auto s = provider.Publish(*a); !s)
            return Response::Error(s.error().code,
                                   a->tracking_id + " was published but its provider files could not be written: " +
                                       s.error().message);
        return WithETag(200, *a);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/advisories/{id}/csaf",
                              [&, read_scope](Request& req, const Principal& p) {
        auto a = store.Get(req.PathParam("id"), read_scope(p));
        if (!a) return Response::Error(a.error());
        if (a->csaf_json.empty()) return Response::Error(ErrorCode::kNotFound, "the advisory is not published yet");
        return Response::Text(200, a->csaf_json, "application/json");
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/advisories/{id}/html",
                              [&, read_scope](Request& req, const Principal& p) {
        auto a = store.Get(req.PathParam("id"), read_scope(p));
        if (!a) return Response::Error(a.error());
        if (!a->html.empty() && req.Query("preview").value_or("") != "1")
            return Response::Text(200, a->html, "text/html; charset=utf-8");
        // A preview of the current content (a draft, or changes not yet published).
        AdvisoryContent preview = a->content;
        preview.title = "[Preview] " + preview.title;
        return Response::Text(200, RenderHtml(preview, CsafTracking{a->tracking_id, a->revisions}, store.settings()),
                              "text/html; charset=utf-8");
    }));

    access::api::Guard::RouteFlags import_flags;
    import_flags.max_body_bytes = kMaxCsafImportBytes;
    MUHAFIZ_CHECK(guard.Route(
        router, "POST", "/api/v1/csaf/import",
        [&, refuse, vulns](Request& req, const Principal& p) {
            if (!CanWriteAdvisories(p)) return refuse("import CSAF documents");
            const auto type = req.Header("content-type").value_or("");
            if (type.find("json") == std::string::npos)
                return Response::Error(ErrorCode::kUnsupportedMedia, "send the CSAF document as application/json");
            auto r = store.Import(req.body, p.organisation_id, access::api::Guard::ActorOf(p, req));
            if (!r) return Response::Error(r.error());
            const auto& d = r->document;
            if (vulns) {
                // The import is kept when this fails; importing the same document again retries.
                std::vector<std::string> cves;
                for (const auto& s : d.statements) cves.push_back(s.cve);
                auto settled = vulns->SettleWithVex(cves);
                if (!settled) return Response::Error(settled.error());
            }
            return Response::Json(r->replaced ? 200 : 201,
                                  json::object{{"id", r->id},
                                               {"category", d.category},
                                               {"publisher", d.publisher_namespace},
                                               {"tracking_id", d.tracking_id},
                                               {"version", d.tracking_version},
                                               {"statements", d.statements.size()},
                                               {"replaced", r->replaced}});
        },
        import_flags));

    // The provider's files: public ones without authentication, the rest by TLP.
    MUHAFIZ_CHECK(router.Add("GET", "/.well-known/csaf/{*rest}", [&](Request& req) {
        auto file = provider.Fetch(req.PathParam("rest"));
        if (!file) return Response::Error(file.error());
        if (!file->is_public) {
            auto p = guard.Authenticate(req);
            if (!p) return Response::Error(p.error());
            if (!MayReadTlp(*p, file->tlp)) return Response::Error(ErrorCode::kNotFound, "no such CSAF provider file");
        }
        const std::string etag = "\"" + core::Sha256Hex(file->body).substr(0, 32) + "\"";
        if (req.Header("if-none-match").value_or("") == etag) {
            Response r;
            r.status = 304;
            r.content_type.clear();
            r.Header("ETag", etag);
            return r;
        }
        Response r = Response::Text(200, std::move(file->body), file->content_type);
        r.Header("ETag", etag);
        r.Header("Cache-Control", file->is_public ? "public, max-age=300" : "private, no-store");
        return r;
    }));
    return {};
}

}  // namespace muhafiz::vulns::api
