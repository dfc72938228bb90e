// The TAXII 2.1 server (../shared/reference/taxii-2.1.md): discovery at /taxii2/, one API root
// /taxii2/api/, collections mapped to audiences (plus "public": TLP:CLEAR for anyone, without
// authentication). Partner CERTs authenticate with API tokens: `Authorization: Bearer <token>`, or
// HTTP Basic with the token as the password (any user name). Authentication, the
// collection's can_write and the size limit are checked before a POST body is read. Every
// answer, errors included, is application/taxii+json;version=2.1.
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <cstdio>
#include <optional>
#include <set>
#include <sstream>

#include "core/ids.hpp"
#include "intel/api/intel_api.hpp"
#include "intel/stix.hpp"

namespace muhafiz::intel::api {
namespace json = core::json;
using access::Principal;
using core::ErrorCode;
using http::Request;
using http::Response;

namespace {

constexpr std::string_view kTaxii = "application/taxii+json;version=2.1";
constexpr std::string_view kStix = "application/stix+json;version=2.1";
constexpr std::string_view kRoot = "/taxii2/api/";

struct Collection {
    std::string_view id, alias, title, description;
    std::optional<Audience> audience;  // nullopt: public (TLP:CLEAR)
};

const std::array<Collection, 6> kCollections = {{
    {"5b8c1a2e-0c3d-4e5f-8a01-000000000001", "public", "Public (TLP:CLEAR)",
     "Everything marked TLP:CLEAR; readable without authentication.", std::nullopt},
    {"5b8c1a2e-0c3d-4e5f-8a01-000000000002", "partners", "Partners", "Events shared with the partner CERTs abroad.",
     Audience::kPartners},
    {"5b8c1a2e-0c3d-4e5f-8a01-000000000003", "national", "National", "Events shared with the whole constituency.",
     Audience::kNational},
    {"5b8c1a2e-0c3d-4e5f-8a01-000000000004", "sector", "Sector", "Events shared with your sector.", Audience::kSector},
    {"5b8c1a2e-0c3d-4e5f-8a01-000000000005", "cert", "CERT", "Events shared within a CERT and its constituents.",
     Audience::kCert},
    {"5b8c1a2e-0c3d-4e5f-8a01-000000000006", "organisation", "Organisation",
     "Events kept within their creating organisation.", Audience::kOrganisation},
}};

std::string TaxiiTime(core::Micros t) {
    std::string s = core::FormatRfc3339(t - t % 1000000);  // "...:SSZ" or with a fraction
    auto dot = s.find('.');
    if (dot != std::string::npos) s = s.substr(0, dot);
    if (!s.empty() && s.back() == 'Z') s.pop_back();
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(((t % 1000000) + 1000000) % 1000000));
    return s + frac;
}

Response Taxii(int status, const json::value& body) {
    Response r = Response::Json(status, body);
    r.content_type = std::string(kTaxii);
    return r;
}

Response TaxiiError(int status, std::string title, std::string description = {}) {
    json::object e{{"title", std::move(title)}, {"http_status", std::to_string(status)}};
    if (!description.empty()) e["description"] = std::move(description);
    Response r = Taxii(status, e);
    if (status == 401) r.Header("WWW-Authenticate", AuthChallenge("muhafiz-taxii"));
    return r;
}

Response FromError(const core::Error& e) {
    int status = http::HttpStatus(e.code);
    return TaxiiError(status, status == 404 ? "Not found" : e.message, status == 404 ? "" : e.message);
}

std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Accept must name a TAXII (or, for objects, STIX) 2.1 media type; bare types mean the latest.
bool AcceptOk(const Request& req, bool stix_too) {
    auto accept = req.Header("accept");
    if (!accept) return false;
    std::stringstream ss(*accept);
    std::string range;
    while (std::getline(ss, range, ',')) {
        std::string r = Lower(range);
        std::erase(r, ' ');
        std::string type = r.substr(0, r.find(';'));
        bool version_ok = r.find("version=") == std::string::npos || r.find("version=2.1") != std::string::npos;
        if (!version_ok) continue;
        if (type == "application/taxii+json") return true;
        if (stix_too && type == "application/stix+json") return true;
    }
    return false;
}

const Collection* FindCollection(const std::string& id) {
    for (const auto& c : kCollections)
        if (c.id == id || c.alias == id) return &c;
    return nullptr;
}

struct Caller {
    std::optional<Principal> principal;
    access::IntelViewer viewer;
};

bool CanRead(const Caller& c, const Collection& col) {
    if (!col.audience) return !c.viewer.council;
    if (!c.principal || c.viewer.council || c.viewer.anonymous) return false;
    if (c.viewer.is_partner) return *col.audience == Audience::kPartners;
    return true;
}

bool CanWrite(const Caller& c, const Collection& col) {
    if (!c.principal || !col.audience || c.viewer.council) return false;
    if (!access::MayWrite(*c.principal)) return false;
    if (c.principal->role == access::Role::kReporter || c.principal->role == access::Role::kCouncil) return false;
    if (c.viewer.is_partner) return *col.audience == Audience::kPartners;
    if (*col.audience == Audience::kSector && c.viewer.sectors.empty()) return false;
    return true;
}

json::object CollectionJson(const Collection& c, const Caller& caller) {
    return json::object{{"id", c.id},
                        {"title", c.title},
                        {"description", c.description},
                        {"alias", c.alias},
                        {"can_read", CanRead(caller, c)},
                        {"can_write", CanWrite(caller, c)},
                        {"media_types", json::array{kStix}}};
}

// Query parameters: each at most once (400 otherwise).
core::Result<std::map<std::string, std::string>> Params(const Request& req) {
    std::map<std::string, std::string> out;
    for (const auto& [k, v] : req.query) {
        if (out.count(k)) return core::Invalid(k, "the parameter '" + k + "' is repeated");
        out[k] = v;
    }
    return out;
}

std::vector<std::string> Split(const std::string& v) {
    std::vector<std::string> out;
    std::stringstream ss(v);
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty()) out.push_back(item);
    return out;
}

// match[version]: last, first, all (alone) or `modified` timestamps, none repeated; the message
// of a 400 otherwise.
std::optional<std::string> ParseVersionMatch(const std::string& v, std::string& mode,
                                             std::vector<core::Micros>& versions) {
    std::set<std::string> seen;
    mode.clear();
    for (const auto& x : Split(v)) {
        if (!seen.insert(x).second) return "a match[version] value repeats";
        if (x == "last" || x == "first" || x == "all") {
            mode += x + ",";
        } else if (auto t = core::ParseRfc3339(x)) {
            versions.push_back(*t);
        } else {
            return "match[version] must be last, first, all or a timestamp";
        }
    }
    if (mode.find("all") != std::string::npos && seen.size() > 1) return "match[version]=all must stand alone";
    if (mode.find("all") != std::string::npos) mode = "all";
    return std::nullopt;
}

}  // namespace

core::Status RegisterTaxiiRoutes(http::Router& router, const access::api::Guard& guard, IntelStore& store,
                                 TaxiiOptions options) {
    // The key that signs `next` cursors: the one kept in the database (survives restarts and is
    // shared by every server on the database), else a random one for this process.
    auto key = std::make_shared<std::array<unsigned char, crypto_auth_hmacsha256_KEYBYTES>>();
    if (options.cursor_key.size() >= key->size())
        std::copy_n(reinterpret_cast<const unsigned char*>(options.cursor_key.data()), key->size(), key->data());
    else
        randombytes_buf(key->data(), key->size());

    auto identify = [&guard, &store](const Request& req, bool required) -> core::Result<Caller> {
        Caller c;
        if (!req.Header("authorization") && !req.Cookie(access::api::kSessionCookie)) {
            if (required) return core::Fail(ErrorCode::kUnauthenticated, "authentication required");
            c.viewer.anonymous = true;
            return c;
        }
        auto p = AuthenticateFeedCaller(guard, req);
        if (!p) return tl::unexpected(p.error());
        c.principal = *p;
        c.viewer = MUHAFIZ_TRY(store.ViewerFor(*p));
        return c;
    };
    auto sign = [key](const std::string& payload) {
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), key->data());
        return core::Base64UrlEncode(payload) + "." +
               core::Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), sizeof mac));
    };
    auto verify = [key](const std::string& token) -> std::optional<std::string> {
        auto dot = token.find('.');
        if (dot == std::string::npos) return std::nullopt;
        std::string payload, mac;
        if (!core::Base64UrlDecode(token.substr(0, dot), payload) || !core::Base64UrlDecode(token.substr(dot + 1), mac) ||
            mac.size() != crypto_auth_hmacsha256_BYTES)
            return std::nullopt;
        if (crypto_auth_hmacsha256_verify(reinterpret_cast<const unsigned char*>(mac.data()),
                                          reinterpret_cast<const unsigned char*>(payload.data()), payload.size(),
                                          key->data()) != 0)
            return std::nullopt;
        return payload;
    };
    // Wraps a handler: Accept check, caller identification; errors become TAXII errors.
    using Handler = std::function<Response(Request&, const Caller&)>;
    auto Route = [&router, identify](std::string method, std::string pattern, bool auth_required, bool stix_accept,
                                   Handler h, http::RouteOptions ro = {}) {
        return router.Add(std::move(method), pattern,
                          [identify, auth_required, stix_accept, h = std::move(h)](Request& req) {
                              if (!AcceptOk(req, stix_accept))
                                  return TaxiiError(406, "Not acceptable",
                                                    "send Accept: application/taxii+json;version=2.1");
                              auto c = identify(req, auth_required);
                              if (!c) return FromError(c.error());
                              return h(req, *c);
                          },
                          std::move(ro));
    };

    MUHAFIZ_CHECK(Route("GET", "/taxii2/", false, false, [](Request&, const Caller&) {
        return Taxii(200, json::object{{"title", "Muhafiz TAXII 2.1"},
                                       {"description", "Threat intelligence of the national CERT and its constituency."},
                                       {"default", kRoot},
                                       {"api_roots", json::array{kRoot}}});
    }));
    MUHAFIZ_CHECK(Route("GET", "/taxii2/api/", false, false, [options](Request&, const Caller&) {
        return Taxii(200, json::object{{"title", "Muhafiz intel"},
                                       {"description", "Collections by audience; TLP 2.0 enforced per reader."},
                                       {"versions", json::array{kTaxii}},
                                       {"max_content_length", options.max_content_length}});
    }));
    MUHAFIZ_CHECK(Route("GET", "/taxii2/api/status/{sid}/", true, false, [&store](Request& req, const Caller& c) {
        auto body = store.TaxiiStatus(req.PathParam("sid"), c.viewer.organisation_id);
        if (!body) return TaxiiError(404, "Not found");
        auto v = core::ParseJson(*body);
        return Taxii(200, v ? *v : json::value(json::object{}));
    }));
    MUHAFIZ_CHECK(Route("GET", "/taxii2/api/collections/", false, false, [](Request&, const Caller& c) {
        json::array list;
        for (const auto& col : kCollections)
            if (CanRead(c, col) || CanWrite(c, col)) list.push_back(CollectionJson(col, c));
        if (list.empty()) return Taxii(200, json::object{});
        return Taxii(200, json::object{{"collections", std::move(list)}});
    }));
    MUHAFIZ_CHECK(Route("GET", "/taxii2/api/collections/{cid}/", false, false, [](Request& req, const Caller& c) {
        const Collection* col = FindCollection(req.PathParam("cid"));
        if (!col || !(CanRead(c, *col) || CanWrite(c, *col))) return TaxiiError(404, "Not found");
        return Taxii(200, CollectionJson(*col, c));
    }));

    // Objects, manifest, one object, versions: the shared query.
    enum class Kind { kObjects, kManifest, kObject, kVersions };
    auto query = [&store, options, sign, verify](Request& req, const Caller& c, Kind kind) -> Response {
        const Collection* col = FindCollection(req.PathParam("cid"));
        if (!col || !CanRead(c, *col)) return TaxiiError(404, "Not found");
        auto params = Params(req);
        if (!params) return TaxiiError(400, "Bad request", params.error().message);
        ObjectQuery q;
        q.audience = col->audience;
        q.limit = options.page_limit;
        std::string filter_key = std::string(col->id) + "|" + std::to_string(c.viewer.organisation_id);
        for (const auto& [k, v] : *params) {
            if (k == "added_after") {
                auto t = core::ParseRfc3339(v);
                if (!t) return TaxiiError(400, "Bad request", "added_after is not a timestamp");
                q.added_after = *t;
            } else if (k == "limit") {
                if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos || std::stoll(v) <= 0)
                    return TaxiiError(400, "Bad request", "limit must be a positive integer");
                q.limit = static_cast<int>(std::min<long long>(std::stoll(v), options.page_limit));
                continue;
            } else if (k == "next") {
                continue;
            } else if (k == "match[id]") {
                if (kind == Kind::kObject || kind == Kind::kVersions) continue;
                q.ids = Split(v);
                if (q.ids.size() > 100) return TaxiiError(400, "Bad request", "at most 100 ids in match[id]");
            } else if (k == "match[type]") {
                if (kind == Kind::kObject || kind == Kind::kVersions) continue;
                q.types = Split(v);
            } else if (k == "match[version]") {
                if (kind == Kind::kVersions) continue;
                if (auto bad = ParseVersionMatch(v, q.version_mode, q.versions))
                    return TaxiiError(400, "Bad request", *bad);
            } else if (k == "match[spec_version]") {
                auto sv = Split(v);
                if (std::find(sv.begin(), sv.end(), "2.1") == sv.end()) q.ids = {"-none-"};
            } else {
                continue;  // unknown parameters are ignored
            }
            filter_key += "|" + k + "=" + v;
        }
        if (kind == Kind::kObject || kind == Kind::kVersions) q.ids = {req.PathParam("oid")};
        if (kind == Kind::kVersions) q.version_mode = "all";
        if (auto n = params->find("next"); n != params->end()) {
            auto payload = verify(n->second);
            if (!payload) return TaxiiError(400, "Bad request", "the next token is not one of ours");
            auto bar = payload->rfind('#');
            if (bar == std::string::npos || payload->substr(0, bar) != filter_key)
                return TaxiiError(400, "Bad request", "next was issued for other filters");
            q.after_row = std::stoll(payload->substr(bar + 1));
        }
        bool more = false;
        auto rows = store.QueryObjects(q, c.viewer, &more);
        if (!rows) return FromError(rows.error());
        // The page's range, before the filter below (paging continues from it).
        const bool had_rows = !rows->empty();
        const core::Micros range_first = had_rows ? rows->front().date_added : 0;
        const core::Micros range_last = had_rows ? rows->back().date_added : 0;
        // The TLP marking-definitions are stored once for everyone; a collection lists only those
        // of the TLPs its objects carry for this caller (the public one: TLP:CLEAR alone), each
        // once, not every marking in every collection.
        std::map<Tlp, bool> tlp_used;
        auto used = [&](Tlp t) {
            auto [it, fresh] = tlp_used.try_emplace(t, false);
            if (fresh && (col->audience || t == Tlp::kClear)) {  // public: TLP:CLEAR events only
                EventFilter f;
                f.audience = col->audience;
                f.tlp = t;
                f.limit = 1;
                auto page = store.ListEvents(f, c.viewer);
                it->second = page && !page->items.empty();
            }
            return it->second;
        };
        std::erase_if(*rows, [&](const StoredObject& o) {
            if (o.type != "marking-definition") return false;
            auto t = TlpOfMarkingId(o.stix_id);
            return t && !used(*t);
        });
        if ((kind == Kind::kObject || kind == Kind::kVersions) && rows->empty() && q.after_row == 0)
            return TaxiiError(404, "Not found");
        std::optional<std::string> next;
        if (more && (kind == Kind::kObjects || kind == Kind::kObject))
            next = sign(filter_key + "#" + std::to_string(range_last));
        Response r;
        if (kind == Kind::kObjects || kind == Kind::kObject) {
            // The stored objects are JSON already: spliced into the envelope as they are, not
            // parsed and serialised again (most of the time of a 1,000-object page).
            std::size_t size = 64 + (next ? next->size() : 0);
            for (const auto& o : *rows) size += o.content.size() + 1;
            std::string body;
            body.reserve(size);
            body += '{';
            if (more) body += "\"more\":true";
            else if (!rows->empty()) body += "\"more\":false";
            if (next) body += ",\"next\":" + core::ToJson(json::value(*next));
            bool first = true;
            for (const auto& o : *rows) {
                std::string_view object = o.content;
                while (!object.empty() && std::isspace(static_cast<unsigned char>(object.front()))) object.remove_prefix(1);
                while (!object.empty() && std::isspace(static_cast<unsigned char>(object.back()))) object.remove_suffix(1);
                if (object.size() < 2 || object.front() != '{' || object.back() != '}') continue;  // never stored so
                body += first ? ",\"objects\":[" : ",";
                body += object;
                first = false;
            }
            if (!first) body += ']';
            body += '}';
            r = Response::Text(200, std::move(body), std::string(kTaxii));
        } else {
            json::object body;
            if (more) body["more"] = true;
            else if (!rows->empty()) body["more"] = false;
            json::array items;
            for (const auto& o : *rows) {
                if (kind == Kind::kManifest)
                    items.push_back(json::object{{"id", o.stix_id},
                                                 {"date_added", TaxiiTime(o.date_added)},
                                                 {"version", o.version},
                                                 {"media_type", kStix}});
                else
                    items.push_back(json::value(o.version));
            }
            if (!items.empty()) body[kind == Kind::kManifest ? "objects" : "versions"] = std::move(items);
            r = Taxii(200, body);
        }
        if (!rows->empty()) {
            r.Header("X-TAXII-Date-Added-First", TaxiiTime(rows->front().date_added));
            r.Header("X-TAXII-Date-Added-Last", TaxiiTime(rows->back().date_added));
        } else if (had_rows && more) {
            // Only hidden markings on this page: the range still lets added_after paging go on.
            r.Header("X-TAXII-Date-Added-First", TaxiiTime(range_first));
            r.Header("X-TAXII-Date-Added-Last", TaxiiTime(range_last));
        }
        return r;
    };

    MUHAFIZ_CHECK(Route("GET", "/taxii2/api/collections/{cid}/objects/", false, true,
                      [query](Request& req, const Caller& c) { return query(req, c, Kind::kObjects); }));
    MUHAFIZ_CHECK(Route("GET", "/taxii2/api/collections/{cid}/manifest/", false, true,
                      [query](Request& req, const Caller& c) { return query(req, c, Kind::kManifest); }));
    MUHAFIZ_CHECK(Route("GET", "/taxii2/api/collections/{cid}/objects/{oid}/", false, true,
                      [query](Request& req, const Caller& c) { return query(req, c, Kind::kObject); }));
    MUHAFIZ_CHECK(Route("GET", "/taxii2/api/collections/{cid}/objects/{oid}/versions/", false, true,
                      [query](Request& req, const Caller& c) { return query(req, c, Kind::kVersions); }));

    MUHAFIZ_CHECK(Route("DELETE", "/taxii2/api/collections/{cid}/objects/{oid}/", true, true,
                        [&store, options](Request& req, const Caller& c) {
        const Collection* col = FindCollection(req.PathParam("cid"));
        const bool r = col && CanRead(c, *col), w = col && CanWrite(c, *col);
        if (!r && !w) return TaxiiError(404, "Not found");
        if (!r || !w) return TaxiiError(403, "Forbidden", "you may not delete from this collection");
        if (!options.audit) return TaxiiError(500, "Internal error");
        // match[version] (default: every version) and match[spec_version] (we hold 2.1 only:
        // other versions match nothing, 404) choose the versions that go (§5.7).
        auto params = Params(req);
        if (!params) return TaxiiError(400, "Bad request", params.error().message);
        TaxiiVersionMatch match;
        if (auto v = params->find("match[version]"); v != params->end()) {
            if (auto bad = ParseVersionMatch(v->second, match.mode, match.versions))
                return TaxiiError(400, "Bad request", *bad);
        }
        if (auto sv = params->find("match[spec_version]"); sv != params->end()) {
            auto asked = Split(sv->second);
            if (std::find(asked.begin(), asked.end(), "2.1") == asked.end()) return TaxiiError(404, "Not found");
        }
        // Only objects of events of the caller's own organisation, in this collection; an
        // indicator also leaves the event in the REST API when no version of it remains
        // (DeleteTaxiiObject).
        auto n = DeleteTaxiiObject(store, *options.audit, req.PathParam("oid"), *col->audience, c.viewer,
                                   access::api::Guard::ActorOf(*c.principal, req), match);
        if (!n) return FromError(n.error());
        if (*n == 0) return TaxiiError(404, "Not found");
        Response resp = Taxii(200, json::object{});
        resp.body.clear();
        return resp;
    }));

    // POST: authentication, can_write and the size limit before the body is read.
    http::RouteOptions post_options;
    post_options.max_body_bytes = options.max_content_length;
    post_options.before_body_first = true;  // authenticate and authorise before judging the size
    post_options.too_large = [](std::size_t limit) {
        return TaxiiError(413, "Payload too large", "the body exceeds max_content_length (" + std::to_string(limit) + ")");
    };
    post_options.before_body = [identify, options](Request& req) -> std::optional<Response> {
        if (!AcceptOk(req, false)) return TaxiiError(406, "Not acceptable", "send Accept: application/taxii+json;version=2.1");
        auto c = identify(req, true);
        if (!c) return FromError(c.error());
        const Collection* col = FindCollection(req.PathParam("cid"));
        if (!col || !(CanRead(*c, *col) || CanWrite(*c, *col))) return TaxiiError(404, "Not found");
        if (!CanWrite(*c, *col)) return TaxiiError(403, "Forbidden", "this collection is read-only for you");
        if (auto len = req.Header("content-length")) {
            try {
                if (std::stoull(*len) > options.max_content_length)
                    return TaxiiError(413, "Payload too large",
                                      "the body exceeds max_content_length (" + std::to_string(options.max_content_length) + ")");
            } catch (...) {
                return TaxiiError(400, "Bad request", "malformed Content-Length");
            }
        }
        auto ct = Lower(req.Header("content-type").value_or(""));
        std::erase(ct, ' ');
        if (!ct.starts_with("application/taxii+json") ||
            (ct.find("version=") != std::string::npos && ct.find("version=2.1") == std::string::npos))
            return TaxiiError(415, "Unsupported media type", "send Content-Type: application/taxii+json;version=2.1");
        req.context = *c;
        return std::nullopt;
    };
    MUHAFIZ_CHECK(router.Add("POST", "/taxii2/api/collections/{cid}/objects/", [&store](Request& req) {
        const auto* c = std::any_cast<Caller>(&req.context);
        if (!c) return TaxiiError(500, "Internal error");
        const Collection* col = FindCollection(req.PathParam("cid"));
        auto env = core::ParseJsonObject(req.body);
        if (!env) return TaxiiError(422, "Unprocessable", "the body is not a JSON object: " + env.error().message);
        const json::value* objs = core::Find(*env, "objects");
        if (!objs || !objs->is_array()) return TaxiiError(422, "Unprocessable", "an envelope needs an 'objects' array");
        const core::Micros requested = core::NowMicros();
        auto event = store.PullEvent("taxii-post", std::string(col->alias), c->viewer.organisation_id, Tlp::kAmber,
                                     *col->audience);
        if (!event) return FromError(event.error());
        std::istringstream in(req.body);
        ImportOptions opts;
        opts.organisation_id = c->viewer.organisation_id;
        opts.event_uuid = *event;
        opts.audience = *col->audience;
        core::Actor actor = access::api::Guard::ActorOf(*c->principal, req);
        auto r = store.ImportStix(in, opts, actor);
        if (!r) return TaxiiError(422, "Unprocessable", r.error().message);
        json::object status{{"id", core::NewUuidV4()},
                            {"status", "complete"},
                            {"request_timestamp", TaxiiTime(requested)},
                            {"total_count", r->objects},
                            {"success_count", r->objects - r->failed},
                            {"failure_count", r->failed},
                            {"pending_count", 0}};
        json::array successes, failures;
        for (const auto& [id, version] : r->imported)
            successes.push_back(json::object{{"id", id}, {"version", version.empty() ? TaxiiTime(requested) : version}});
        for (const auto& p : r->problems)
            failures.push_back(json::object{{"id", p.object_id.empty() ? "object-" + std::to_string(p.index) : p.object_id},
                                            {"version", TaxiiTime(requested)},
                                            {"message", p.reason}});
        // Markings we re-issue count as successes too.
        if (!successes.empty()) status["successes"] = std::move(successes);
        if (!failures.empty()) status["failures"] = std::move(failures);
        const std::string id(status["id"].as_string());
        if (auto s = store.SaveTaxiiStatus(id, c->viewer.organisation_id, core::ToJson(status)); !s) return FromError(s.error());
        return Taxii(202, status);
    }, post_options));
    // Everything else under /taxii2/ answers in TAXII's media type too (§3: errors included): 405
    // with Allow for a known resource and another method, else 404. Registered per method through
    // a variable: a fallback, not an operation of the API.
    for (std::string method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
        MUHAFIZ_CHECK(router.Add(method, "/taxii2/{*rest}", [&router](Request& req) {
            std::string allow;
            for (const char* m : {"GET", "POST", "DELETE"}) {
                auto match = router.Match(m, req.path);
                if (match.route && match.route->pattern != "/taxii2/{*rest}") allow += (allow.empty() ? "" : ", ") + std::string(m);
            }
            if (allow.empty()) return TaxiiError(404, "Not found");
            if (allow.find("GET") != std::string::npos) allow += ", HEAD";
            Response r = TaxiiError(405, "Method not allowed", req.method + " is not allowed here; use " + allow);
            r.Header("Allow", allow);
            return r;
        }));
    }
    return core::Ok();
}

}  // namespace muhafiz::intel::api
