#include "constituency/api/organisations_api.hpp"

#include "core/net.hpp"

namespace muhafiz::constituency::api {
namespace json = core::json;
using access::Principal;
using core::ErrorCode;
using http::Request;
using http::Response;

namespace {

std::string ETag(const Organisation& o) { return "\"" + std::to_string(o.version) + "\""; }

Response WithETag(int status, const Organisation& o) {
    Response r = Response::Json(status, ToJson(o));
    r.Header("ETag", ETag(o));
    return r;
}

core::Result<ListFilter> ParseFilter(const Request& req) {
    ListFilter f;
    if (auto k = req.Query("kind"); k && !k->empty()) {
        f.kind = ParseKind(*k);
        if (!f.kind) return core::Invalid("kind", "unknown kind '" + *k + "'");
    }
    if (auto s = req.Query("sector"); s && !s->empty()) f.sector = MUHAFIZ_TRY(NormaliseSector(*s));
    if (auto c = req.Query("country"); c && !c->empty()) f.country = MUHAFIZ_TRY(NormaliseCountry(*c));
    if (auto p = req.Query("parent_id"); p && !p->empty()) f.parent = *p;
    if (auto s = req.Query("subtree_of"); s && !s->empty()) f.subtree_of = *s;
    if (auto q = req.Query("q"); q && !q->empty()) f.q = *q;
    if (auto s = req.Query("sort"); s && !s->empty()) f.sort = *s;
    f.limit = MUHAFIZ_TRY(access::api::LimitParam(req));
    f.cursor = req.Query("cursor").value_or("");
    return f;
}

// A user may not re-parent, re-kind or delete the organisation their own visibility hangs on.
bool TouchesOwnRoot(const Principal& p, const Organisation& target) {
    return !p.is_national && target.uuid == p.organisation_uuid;
}

}  // namespace

core::Status RegisterRoutes(http::Router& router, const access::api::Guard& guard, OrganisationService& service,
                            OwnerIndexUpdater& owners) {
    const access::Policy& policy = guard.policy();
    auto scope = [&policy](const Principal& p) { return policy.OrganisationScope(p, "o.path"); };

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/organisations", [&, scope](Request& req, const Principal& p) {
        auto f = ParseFilter(req);
        if (!f) return Response::Error(f.error());
        auto page = service.List(*f, scope(p));
        if (!page) return Response::Error(page.error());
        json::array items;
        for (const auto& o : page->items) items.push_back(ToJson(o));
        return Response::Json(200, access::api::ListEnvelope(std::move(items), page->total, page->next));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/organisations/tree", [&, scope](Request&, const Principal& p) {
        auto tree = service.Tree(scope(p));
        if (!tree) return Response::Error(tree.error());
        json::array items;
        for (const auto& o : *tree) {
            json::object j = ToSummaryJson(o);
            j["children_count"] = o.children_count;
            items.push_back(std::move(j));
        }
        return Response::Json(200, json::object{{"items", std::move(items)}, {"total", tree->size()}});
    }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/organisations", [&, scope](Request& req, const Principal& p) {
        if (!access::CanEditOrganisations(p))
            return Response::Error(ErrorCode::kPermissionDenied, "your role may not create organisations");
        auto body = access::api::JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto patch = PatchFromJson(*body);
        if (!patch) return Response::Error(patch.error());
        auto org = service.Create(*patch, scope(p), access::api::Guard::ActorOf(p, req));
        if (!org) return Response::Error(org.error());
        Response r = WithETag(201, *org);
        r.Header("Location", "/api/v1/organisations/" + org->uuid);
        return r;
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/organisations/{id}", [&, scope](Request& req, const Principal& p) {
        auto org = service.Get(req.PathParam("id"), scope(p));
        if (!org) return Response::Error(org.error());
        return WithETag(200, *org);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "PATCH", "/api/v1/organisations/{id}", [&, scope](Request& req,
                                                                                      const Principal& p) {
        if (!access::CanEditOrganisations(p))
            return Response::Error(ErrorCode::kPermissionDenied, "your role may not change organisations");
        auto expected = http::IfMatchVersion(req);
        if (!expected) return Response::Error(expected.error());
        auto body = access::api::JsonBody(req);
        if (!body) return Response::Error(body.error());
        auto patch = PatchFromJson(*body);
        if (!patch) return Response::Error(patch.error());
        if ((patch->parent || patch->kind) && !p.is_national) {
            auto target = service.Get(req.PathParam("id"), scope(p));
            if (!target) return Response::Error(target.error());
            if (TouchesOwnRoot(p, *target) &&
                ((patch->parent && *patch->parent != target->parent_uuid) ||
                 (patch->kind && *patch->kind != target->kind)))
                return Response::Error(ErrorCode::kPermissionDenied,
                                       "you cannot move or re-classify your own organisation; ask its parent CERT");
        }
        auto org = service.Update(req.PathParam("id"), *patch, *expected, scope(p), access::api::Guard::ActorOf(p, req));
        if (!org) return Response::Error(org.error());
        return WithETag(200, *org);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "DELETE", "/api/v1/organisations/{id}", [&, scope](Request& req,
                                                                                       const Principal& p) {
        if (!access::CanEditOrganisations(p))
            return Response::Error(ErrorCode::kPermissionDenied, "your role may not delete organisations");
        if (!p.is_national && req.PathParam("id") == p.organisation_uuid)
            return Response::Error(ErrorCode::kPermissionDenied, "you cannot delete your own organisation");
        auto done = service.Delete(req.PathParam("id"), scope(p), access::api::Guard::ActorOf(p, req));
        if (!done) return Response::Error(done.error());
        return Response::NoContent();
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/owner", [&](Request& req, const Principal& p) {
        owners.WaitFresh(std::chrono::seconds(5));
        auto index = owners.Get();
        json::object out;
        std::int64_t org_id = 0;
        std::string matched;
        if (auto ip = req.Query("ip")) {
            auto addr = core::ParseIp(*ip);
            if (!addr) return Response::Error(core::Error{ErrorCode::kInvalidArgument, addr.error().message, "ip"});
            out["query"] = core::FormatIp(*addr);
            if (auto m = index->Lookup(*addr)) {
                org_id = m->organisation_id;
                matched = core::FormatPrefix(m->prefix);
            }
        } else if (auto asn = req.Query("asn")) {
            auto a = core::ParseAsn(*asn);
            if (!a) return Response::Error(core::Error{ErrorCode::kInvalidArgument, a.error().message, "asn"});
            out["query"] = "AS" + std::to_string(*a);
            org_id = index->LookupAsn(*a);
            if (org_id) matched = "AS" + std::to_string(*a);
        } else if (auto domain = req.Query("domain")) {
            auto d = core::NormaliseDomain(*domain);
            if (!d) return Response::Error(core::Error{ErrorCode::kInvalidArgument, d.error().message, "domain"});
            out["query"] = *d;
            if (auto m = index->LookupDomain(*d)) {
                org_id = m->organisation_id;
                matched = std::string(m->domain);
            }
        } else {
            return Response::Error(core::Error{ErrorCode::kInvalidArgument, "give one of ip=, asn= or domain=", "ip"});
        }
        out["organisation"] = nullptr;
        out["matched"] = nullptr;
        if (org_id) {
            // Ownership outside the caller's view stays hidden, exactly like no owner at all.
            auto org = service.GetById(org_id);
            if (org && guard.policy().CanSeeOrganisationPath(p, org->path)) {
                out["organisation"] = ToSummaryJson(*org);
                out["matched"] = matched;
            }
        }
        return Response::Json(200, out);
    }));
    return {};
}

}  // namespace muhafiz::constituency::api
