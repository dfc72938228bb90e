// The MISP feed over HTTP (GET /api/v1/intel/misp-feed/{feed}/manifest.json, hashes.csv,
// {uuid}.json), and the caller identification shared with the TAXII server (Bearer, HTTP Basic
// with an API token as the password, or the session cookie).
// Feeds: "public" (anonymous; TLP:CLEAR only, the same events as the TAXII public collection),
// "all" (every event the caller may see) and one per audience (organisation, cert, sector,
// national, partners), the authenticated ones capped at MispFeedOptions::max_tlp. The bytes come
// from intel/misp.hpp's feed writer, the one `muhafiz export misp-feed` uses.
// Thread-safety: the handlers are thread-safe; the store must outlive them.
#include <sodium.h>

#include <ctime>
#include <sstream>

#include "core/ids.hpp"
#include "intel/api/intel_api.hpp"
#include "intel/misp.hpp"

namespace muhafiz::intel::api {
using access::Principal;
using core::ErrorCode;
using http::Request;
using http::Response;

namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), s.begin(),
                      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); });
}

bool Safe(const std::string& method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string HttpDate(core::Micros t) {
    std::time_t s = static_cast<std::time_t>(t / 1000000);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

std::optional<std::int64_t> ParseHttpDate(const std::string& text) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end != '\0') return std::nullopt;
    return static_cast<std::int64_t>(timegm(&tm));
}

// 200 with ETag/Last-Modified, or 304 when the client's copy is current (If-None-Match wins
// over If-Modified-Since, RFC 9110 §13.2.2).
Response Conditional(const Request& req, std::string body, std::string content_type, core::Micros last_modified,
                     bool is_public) {
    const std::string etag = "\"" + core::Sha256Hex(body).substr(0, 32) + "\"";
    const std::string modified = HttpDate(last_modified);
    bool not_modified = false;
    if (auto inm = req.Header("if-none-match")) {
        std::stringstream ss(*inm);
        std::string tag;
        while (std::getline(ss, tag, ',')) {
            tag.erase(0, tag.find_first_not_of(" \t"));
            tag.erase(tag.find_last_not_of(" \t") + 1);
            if (tag.starts_with("W/")) tag = tag.substr(2);
            if (tag == etag || tag == "*") not_modified = true;
        }
    } else if (auto ims = req.Header("if-modified-since")) {
        if (auto since = ParseHttpDate(*ims)) not_modified = last_modified / 1000000 <= *since;
    }
    Response r;
    if (not_modified) {
        r.status = 304;
        r.content_type.clear();
    } else {
        r = Response::Text(200, std::move(body), std::move(content_type));
    }
    r.Header("ETag", etag);
    r.Header("Last-Modified", modified);
    r.Header("Cache-Control", is_public ? "public, no-cache" : "private, no-cache");
    if (!is_public) r.Header("Vary", "Authorization, Cookie");
    return r;
}

}  // namespace

std::string AuthChallenge(std::string_view realm) {
    return "Basic realm=\"" + std::string(realm) + "\", charset=\"UTF-8\", Bearer realm=\"" + std::string(realm) + "\"";
}

core::Result<Principal> AuthenticateFeedCaller(const access::api::Guard& guard, const Request& req) {
    auto h = req.Header("authorization");
    if (!h || !StartsWithNoCase(*h, "Basic ")) return guard.Authenticate(req);
    std::string b64 = h->substr(6);
    b64.erase(0, b64.find_first_not_of(' '));
    while (!b64.empty() && b64.back() == ' ') b64.pop_back();
    std::string decoded(b64.size(), '\0');
    std::size_t len = 0;
    if (b64.empty() || sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), b64.data(),
                                         b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
        return core::Fail(ErrorCode::kUnauthenticated, "the Basic credentials are not base64");
    decoded.resize(len);
    auto colon = decoded.find(':');
    if (colon == std::string::npos)
        return core::Fail(ErrorCode::kUnauthenticated, "the Basic credentials must be 'user:password'");
    const std::string token = decoded.substr(colon + 1);
    if (token.empty()) return core::Fail(ErrorCode::kUnauthenticated, "the Basic password must be an API token");
    auto p = guard.auth().Authenticate(token);
    if (!p) return core::Fail(ErrorCode::kUnauthenticated, "wrong credentials: the Basic password must be a valid API token");
    if (p->mfa_enrolment_required)
        return core::Fail(ErrorCode::kPermissionDenied,
                          "your account must enrol in two-factor authentication first (Account → MFA)");
    if (Safe(req.method) ? !access::MayRead(*p) : !access::MayWrite(*p))
        return core::Fail(ErrorCode::kPermissionDenied,
                          std::string("this token lacks the '") + (Safe(req.method) ? "read" : "write") + "' scope");
    return p;
}

core::Status RegisterMispFeedRoutes(http::Router& router, const access::api::Guard& guard, IntelStore& store,
                                    MispFeedOptions options) {
    return router.Add("GET", "/api/v1/intel/misp-feed/{feed}/{file}", [&guard, &store, options](Request& req) {
        const std::string& feed = req.PathParam("feed");
        const std::string& file = req.PathParam("file");
        MispFeedScope scope;
        access::IntelViewer viewer;
        const bool is_public = feed == "public";
        if (is_public) {
            viewer.anonymous = true;
            scope.max_tlp = Tlp::kClear;
        } else {
            if (feed != "all") {
                auto a = access::ParseAudience(feed);
                if (!a) return Response::Error(ErrorCode::kNotFound, "no such feed: public, all, organisation, cert, sector, national or partners");
                scope.audience = *a;
            }
            scope.max_tlp = options.max_tlp;
            auto p = AuthenticateFeedCaller(guard, req);
            if (!p) {
                Response r = Response::Error(p.error());
                if (p.error().code == ErrorCode::kUnauthenticated) r.Header("WWW-Authenticate", AuthChallenge("muhafiz"));
                return r;
            }
            auto v = store.ViewerFor(*p);
            if (!v) return Response::Error(v.error());
            viewer = std::move(*v);
        }
        if (file == "manifest.json" || file == "hashes.csv") {
            auto events = MispFeedEvents(store, viewer, scope);
            if (!events) return Response::Error(events.error());
            core::Micros latest = 0;
            for (const auto& e : *events) latest = std::max(latest, e.updated_at);
            if (file == "manifest.json")
                return Conditional(req, MispFeedManifest(*events), "application/json", latest, is_public);
            std::ostringstream out;
            if (auto s = WriteMispFeedHashes(store, *events, viewer, out); !s) return Response::Error(s.error());
            return Conditional(req, std::move(out).str(), "text/csv; charset=utf-8", latest, is_public);
        }
        if (file.size() != 41 || !file.ends_with(".json") || !core::IsUuid(file.substr(0, 36)))
            return Response::Error(ErrorCode::kNotFound, "no such file in the feed: manifest.json, hashes.csv or <uuid>.json");
        auto e = store.Get(file.substr(0, 36), viewer);
        if (!e || !InMispFeed(*e, scope)) {
            if (!e && e.error().code != ErrorCode::kNotFound) return Response::Error(e.error());
            return Response::Error(ErrorCode::kNotFound, "no such event in this feed");
        }
        std::ostringstream out;
        auto latest = WriteMispFeedEvent(store, *e, viewer, out);
        if (!latest) return Response::Error(latest.error());
        return Conditional(req, std::move(out).str(), "application/json", *latest, is_public);
    });
}

}  // namespace muhafiz::intel::api
