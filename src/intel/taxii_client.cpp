#include "intel/taxii_client.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <sstream>

namespace muhafiz::intel {
namespace json = core::json;
using core::ErrorCode;

namespace {

constexpr const char* kMedia = "application/taxii+json;version=2.1";

struct Http {
    long status = 0;
    std::string body;
    std::string date_added_last;
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
    auto* out = static_cast<std::string*>(user);
    if (out->size() + size * n > (256u << 20)) return 0;  // refuse answers over 256 MiB
    out->append(data, size * n);
    return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
    auto* h = static_cast<Http*>(user);
    std::string line(data, size * n);
    constexpr std::string_view kName = "x-taxii-date-added-last:";
    if (line.size() > kName.size()) {
        std::string lower = line.substr(0, kName.size());
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == kName) {
            std::string v = line.substr(kName.size());
            while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
            while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.pop_back();
            h->date_added_last = v;
        }
    }
    return size * n;
}

std::string Escape(const std::string& s) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    char* e = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
    std::string out = e ? e : s;
    curl_free(e);
    return out;
}

core::Result<Http> Call(const TaxiiEndpoint& ep, const std::string& method, const std::string& url,
                        const std::string& body) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) return core::Fail(ErrorCode::kInternal, "cannot initialise libcurl");
    CURL* c = curl.get();
    char err[CURL_ERROR_SIZE] = {0};
    Http h;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 300000L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, ep.verify_tls ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, ep.verify_tls ? 2L : 0L);
    if (!ep.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ep.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "muhafiz-taxii/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &h.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, (std::string("Accept: ") + kMedia).c_str());
    if (!ep.token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + ep.token).c_str());
    if (method == "POST") {
        headers = curl_slist_append(headers, (std::string("Content-Type: ") + kMedia).c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    if (!ep.user.empty()) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, ep.user.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, ep.password.c_str());
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK)
        return core::Fail(ErrorCode::kUnavailable, url + ": " + (err[0] ? std::string(err) : curl_easy_strerror(rc)));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h.status);
    if (h.status >= 200 && h.status < 300) return h;
    std::string detail;
    if (auto v = core::ParseJsonObject(h.body))
        if (auto t = v->if_contains("title"); t && t->is_string()) detail = ": " + std::string(t->as_string());
    const std::string msg = url + " answered " + std::to_string(h.status) + detail;
    if (h.status == 401) return core::Fail(ErrorCode::kUnauthenticated, msg);
    if (h.status == 403) return core::Fail(ErrorCode::kPermissionDenied, msg);
    if (h.status == 404) return core::Fail(ErrorCode::kNotFound, msg);
    if (h.status >= 500) return core::Fail(ErrorCode::kUnavailable, msg);
    return core::Fail(ErrorCode::kInvalidArgument, msg);
}

std::string Root(std::string r) {
    if (r.empty() || r.back() != '/') r += '/';
    return r;
}

}  // namespace

core::Result<PullResult> TaxiiPull(IntelStore& store, const TaxiiEndpoint& ep, std::int64_t organisation_id, Tlp tlp,
                                   Audience audience, const core::Actor& actor) {
    if (ep.api_root.rfind("http://", 0) != 0 && ep.api_root.rfind("https://", 0) != 0)
        return core::Invalid("url", "the TAXII API root must be an http:// or https:// URL");
    if (ep.collection.empty()) return core::Invalid("collection", "name the collection (id or alias)");
    const std::string root = Root(ep.api_root);
    const std::string base = root + "collections/" + Escape(ep.collection) + "/objects/";
    PullResult result;
    result.event_id = MUHAFIZ_TRY(store.PullEvent(root, ep.collection, organisation_id, tlp, audience));
    std::string added_after = MUHAFIZ_TRY(store.TaxiiCursor(root, ep.collection));
    std::string next;
    for (int page = 0; page < ep.max_pages; ++page) {
        std::string url = base + "?limit=" + std::to_string(ep.page_size);
        if (!added_after.empty()) url += "&added_after=" + Escape(added_after);
        if (!next.empty()) url += "&next=" + Escape(next);
        auto h = MUHAFIZ_TRY(Call(ep, "GET", url, ""));
        auto env = core::ParseJsonObject(h.body.empty() ? "{}" : h.body);
        if (!env) return core::Invalid("taxii", url + " did not answer a TAXII envelope: " + env.error().message);
        ++result.pages;
        json::array objects;
        if (auto o = env->if_contains("objects"); o && o->is_array()) objects = o->as_array();
        if (!objects.empty()) {
            json::object bundle{{"type", "bundle"}, {"id", "bundle--00000000-0000-4000-8000-000000000000"},
                                {"objects", std::move(objects)}};
            std::istringstream in(core::ToJson(bundle));
            ImportOptions opts;
            opts.organisation_id = organisation_id;
            opts.event_uuid = result.event_id;
            opts.default_tlp = tlp;
            opts.audience = audience;
            opts.source = "taxii";
            auto r = MUHAFIZ_TRY(store.ImportStix(in, opts, actor));
            result.objects += r.objects;
            result.indicators += r.indicators;
            result.duplicates += r.duplicates;
            result.failed += r.failed;
        }
        const bool more = env->if_contains("more") && env->at("more").is_bool() && env->at("more").as_bool();
        if (!h.date_added_last.empty()) {
            result.last_added = h.date_added_last;
            MUHAFIZ_CHECK(store.SaveTaxiiCursor(root, ep.collection, h.date_added_last,
                                                static_cast<std::int64_t>(result.objects)));
        }
        if (!more) break;
        if (auto n = env->if_contains("next"); n && n->is_string() && !n->as_string().empty()) {
            next = std::string(n->as_string());
        } else {
            next.clear();
            if (h.date_added_last.empty() || h.date_added_last == added_after) break;  // no way forward
            added_after = h.date_added_last;
        }
    }
    return result;
}

core::Result<PushResult> TaxiiPush(const TaxiiEndpoint& ep, const json::object& bundle) {
    if (ep.api_root.rfind("http://", 0) != 0 && ep.api_root.rfind("https://", 0) != 0)
        return core::Invalid("url", "the TAXII API root must be an http:// or https:// URL");
    json::object envelope;
    if (auto o = bundle.if_contains("objects"); o && o->is_array()) envelope["objects"] = o->as_array();
    const std::string url = Root(ep.api_root) + "collections/" + Escape(ep.collection) + "/objects/";
    auto h = MUHAFIZ_TRY(Call(ep, "POST", url, core::ToJson(envelope)));
    auto status = core::ParseJsonObject(h.body);
    if (!status) return core::Invalid("taxii", url + " did not answer a TAXII status: " + status.error().message);
    PushResult r;
    auto num = [&](std::string_view k) -> std::size_t {
        auto v = status->if_contains(k);
        return v && v->is_int64() ? static_cast<std::size_t>(v->as_int64()) : 0;
    };
    r.total = num("total_count");
    r.success = num("success_count");
    r.failure = num("failure_count");
    r.pending = num("pending_count");
    if (auto v = status->if_contains("id"); v && v->is_string()) r.status_id = std::string(v->as_string());
    if (auto v = status->if_contains("status"); v && v->is_string()) r.status = std::string(v->as_string());
    return r;
}

}  // namespace muhafiz::intel
