#include "vulns/feed_fetch.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <iterator>
#include <system_error>

#include "core/json.hpp"

namespace muhafiz::vulns {

namespace {

using core::ErrorCode;
using std::chrono::microseconds;
using std::chrono::seconds;

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto pos = s.find(sep);
        out.push_back(s.substr(0, pos));
        if (pos == std::string_view::npos) break;
        s.remove_prefix(pos + 1);
    }
    return out;
}

std::optional<std::int64_t> PositiveInt(std::string_view s) {
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
    return v;
}

IngestKind DefaultKind(std::string_view name, std::string_view url) {
    if (name == "kev") return IngestKind::kKev;
    if (name == "epss") return IngestKind::kEpss;
    if (name == "nvd" || IsNvdApiUrl(url)) return IngestKind::kNvd;
    if (name == "cve" || name == "cve5" || name == "cvelist") return IngestKind::kCve5;
    return IngestKind::kAuto;
}

// The last path segment of a URL (without query), made safe for a file name.
std::string UrlFileName(std::string_view url) {
    url = url.substr(0, url.find_first_of("?#"));
    const auto scheme = url.find("://");
    if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
    const auto slash = url.rfind('/');
    std::string_view last = slash == std::string_view::npos ? std::string_view() : url.substr(slash + 1);
    std::string out;
    for (char c : last)
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
    return out.empty() ? "download" : out;
}

std::size_t WriteToFile(char* data, std::size_t size, std::size_t n, void* user) {
    auto* out = static_cast<std::ofstream*>(user);
    out->write(data, static_cast<std::streamsize>(size * n));
    return *out ? size * n : 0;
}

struct Headers {
    std::string etag, last_modified, retry_after;
};

std::size_t KeepHeader(char* data, std::size_t size, std::size_t n, void* user) {
    auto* h = static_cast<Headers*>(user);
    const std::string_view line(data, size * n);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos) {
        std::string name(Trim(line.substr(0, colon)));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const std::string value(Trim(line.substr(colon + 1)));
        if (name == "etag") h->etag = value;
        else if (name == "last-modified") h->last_modified = value;
        else if (name == "retry-after") h->retry_after = value;
    } else if (line.starts_with("HTTP/")) {
        *h = Headers{};  // a new response (after a redirect)
    }
    return size * n;
}

struct CurlFree {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// Retry-After: delay-seconds or an HTTP date.
std::optional<seconds> ParseRetryAfter(const std::string& value, core::Micros now) {
    if (value.empty()) return std::nullopt;
    if (auto n = PositiveInt(value)) return seconds(*n);
    if (value == "0") return seconds(0);
    const time_t when = curl_getdate(value.c_str(), nullptr);
    if (when < 0) return std::nullopt;
    return seconds(std::max<std::int64_t>(0, static_cast<std::int64_t>(when) - now / 1000000));
}

// Aborts a transfer once the fetcher is cancelled.
int AbortWhenCancelled(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

void CurlGlobalInit() {
    static const bool done = [] {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        return true;
    }();
    (void)done;
}

}  // namespace

bool IsNvdApiUrl(std::string_view url) {
    url = url.substr(0, url.find_first_of("?#"));
    while (url.ends_with('/')) url.remove_suffix(1);
    return url.ends_with("/rest/json/cves/2.0");
}

core::Result<std::vector<VulnSource>> ParseVulnSources(std::string_view text) {
    std::vector<VulnSource> out;
    if (Trim(text).empty()) return out;
    const auto entries = Split(text, ',');
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::string prefix = "vuln_sources[" + std::to_string(i) + "]";
        const auto parts = Split(Trim(entries[i]), ';');
        const std::string_view head = Trim(parts[0]);
        const auto eq = head.find('=');
        if (head.empty() || eq == std::string_view::npos)
            return core::Invalid(prefix, "expected NAME=URL;key=value;... (got \"" + std::string(head) + "\")");
        VulnSource s;
        s.name = std::string(Trim(head.substr(0, eq)));
        s.url = std::string(Trim(head.substr(eq + 1)));
        if (s.name.empty() || !std::all_of(s.name.begin(), s.name.end(), [](unsigned char c) {
                return std::isalnum(c) || c == '_' || c == '-';
            }))
            return core::Invalid(prefix + ".name", "a source name is letters, digits, '_' and '-'");
        for (const auto& o : out)
            if (o.name == s.name) return core::Invalid(prefix + ".name", "duplicate source name " + s.name);
        if (!s.url.starts_with("https://") && !s.url.starts_with("http://"))
            return core::Invalid(prefix + ".url", "source " + s.name + ": the URL must start with https:// or http://");
        const bool nvd = IsNvdApiUrl(s.url);
        std::optional<IngestKind> kind;
        std::optional<std::int64_t> interval, requests, window;
        bool have_header = false;
        for (std::size_t k = 1; k < parts.size(); ++k) {
            const std::string_view kv = Trim(parts[k]);
            if (kv.empty()) continue;
            const auto e = kv.find('=');
            const std::string key(Trim(kv.substr(0, e)));
            const std::string field = prefix + "." + (key.empty() ? "option" : key);
            if (e == std::string_view::npos)
                return core::Invalid(field, "source " + s.name + ": expected key=value");
            const std::string_view value = Trim(kv.substr(e + 1));
            if (key == "interval" || key == "requests" || key == "window") {
                const auto n = PositiveInt(value);
                if (!n) return core::Invalid(field, "source " + s.name + ": " + key + " must be a positive integer");
                (key == "interval" ? interval : key == "requests" ? requests : window) = *n;
            } else if (key == "kind") {
                kind = ParseIngestKind(value);
                if (!kind) return core::Invalid(field, "source " + s.name + ": kind must be auto, cve5, nvd, kev or epss");
            } else if (key == "api_key") {
                if (value.empty()) return core::Invalid(field, "source " + s.name + ": api_key is empty");
                s.api_key = std::string(value);
            } else if (key == "api_key_header") {
                if (value.empty() || value.find_first_of(": \r\n") != std::string_view::npos)
                    return core::Invalid(field, "source " + s.name + ": not a header name");
                s.api_key_header = std::string(value);
                have_header = true;
            } else {
                return core::Invalid(field, "source " + s.name + ": unknown option " + key +
                                                " (interval, kind, api_key, api_key_header, requests, window)");
            }
        }
        if (have_header && s.api_key.empty())
            return core::Invalid(prefix + ".api_key", "source " + s.name + ": api_key_header without api_key");
        if (!s.api_key.empty() && s.api_key_header.empty()) s.api_key_header = "apiKey";
        s.kind = kind ? *kind : DefaultKind(s.name, s.url);
        s.interval = interval ? seconds(*interval) : nvd ? kDefaultNvdInterval : kDefaultInterval;
        if (nvd) {
            s.requests_per_window = static_cast<int>(
                requests.value_or(s.api_key.empty() ? kNvdRequestsWithoutKey : kNvdRequestsWithKey));
            s.window = window ? seconds(*window) : kNvdWindow;
        } else {
            s.requests_per_window = static_cast<int>(requests.value_or(1));
            s.window = window ? seconds(*window) : s.interval;
        }
        out.push_back(std::move(s));
    }
    return out;
}

// ---- SourceStateStore ----------------------------------------------------------------------

core::Result<SourceState> SourceStateStore::Get(const std::string& name) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT last_fetch_at, last_success_at, etag, last_modified, last_status, last_error "
        "FROM vuln_sources WHERE name = ?",
        {name}));
    SourceState s;
    s.name = name;
    if (rows.empty()) return s;
    const auto& r = rows[0];
    s.last_fetch_at = r.OptInt(0);
    s.last_success_at = r.OptInt(1);
    s.etag = r.Str(2);
    s.last_modified = r.Str(3);
    s.last_status = static_cast<int>(r.Int(4));
    s.last_error = r.Str(5);
    return s;
}

core::Status SourceStateStore::Put(const SourceState& s) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(conn->Execute(
        "INSERT INTO vuln_sources (name, last_fetch_at, last_success_at, etag, last_modified, "
        "last_status, last_error) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "last_fetch_at = excluded.last_fetch_at, last_success_at = excluded.last_success_at, "
        "etag = excluded.etag, last_modified = excluded.last_modified, "
        "last_status = excluded.last_status, last_error = excluded.last_error",
        {s.name, db::Opt(s.last_fetch_at), db::Opt(s.last_success_at), s.etag, s.last_modified,
         std::int64_t{s.last_status}, s.last_error}));
    return core::Ok();
}

// ---- Fetcher -------------------------------------------------------------------------------

struct Fetcher::Response {
    long status = 0;
    Headers headers;
    std::string path;  // the body (removed by the caller)
};

struct Fetcher::Limiter {
    std::deque<core::Micros> sent;  // request times within the window
};

Fetcher::Fetcher(db::Database& db, FetchCallback callback, FetchOptions options)
    : states_(db), callback_(std::move(callback)), options_(std::move(options)) {
    CurlGlobalInit();
}

Fetcher::~Fetcher() { Cancel(); }

void Fetcher::Cancel() {
    {
        std::lock_guard lock(wait_mu_);
        cancelled_ = true;
    }
    wait_cv_.notify_all();
}

core::Micros Fetcher::Now() const { return options_.now ? options_.now() : core::NowMicros(); }

core::Status Fetcher::Wait(microseconds d) {
    if (options_.sleep) {
        {
            std::lock_guard lock(wait_mu_);
            if (cancelled_) return core::Fail(ErrorCode::kUnavailable, "the fetcher was stopped");
        }
        if (d.count() > 0) options_.sleep(d);
        return core::Ok();
    }
    std::unique_lock lock(wait_mu_);
    if (wait_cv_.wait_for(lock, d, [this] { return cancelled_.load(); }))
        return core::Fail(ErrorCode::kUnavailable, "the fetcher was stopped");
    return core::Ok();
}

core::Status Fetcher::Throttle(const VulnSource& source) {
    auto& limiter = limiters_[source.name];
    if (!limiter) limiter = std::make_unique<Limiter>();
    if (source.requests_per_window <= 0 || source.window.count() <= 0) return core::Ok();
    const core::Micros window = std::chrono::duration_cast<microseconds>(source.window).count();
    for (;;) {
        const core::Micros now = Now();
        while (!limiter->sent.empty() && limiter->sent.front() <= now - window) limiter->sent.pop_front();
        if (static_cast<int>(limiter->sent.size()) < source.requests_per_window) {
            limiter->sent.push_back(now);
            return core::Ok();
        }
        MUHAFIZ_CHECK(Wait(microseconds(limiter->sent.front() + window - now)));
    }
}

core::Result<Fetcher::Response> Fetcher::Transfer(const VulnSource& source, const std::string& url,
                                                  const SourceState* validators) {
    std::error_code ec;
    const auto dir = options_.data_dir / "vuln-fetch";
    std::filesystem::create_directories(dir, ec);
    if (ec) return core::Fail(ErrorCode::kInternal, "cannot create " + dir.string() + ": " + ec.message());
    // mkstemps keeps the suffix (the URL's file name), so ".zip" and ".gz" stay recognisable.
    const std::string suffix = "-" + UrlFileName(url);
    std::string templ = (dir / (source.name + "-XXXXXX")).string() + suffix;
    const int fd = mkstemps(templ.data(), static_cast<int>(suffix.size()));
    if (fd < 0) return core::Fail(ErrorCode::kInternal, "cannot create a temporary file in " + dir.string());
    close(fd);
    Response r;
    r.path = templ;
    std::ofstream out(r.path, std::ios::binary | std::ios::trunc);

    std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
    if (!curl) return core::Fail(ErrorCode::kInternal, "curl_easy_init failed");
    CURL* c = curl.get();
    curl_slist* list = nullptr;
    std::string key_header;
    if (!source.api_key.empty()) {
        key_header = source.api_key_header + ": " + source.api_key;
        list = curl_slist_append(list, key_header.c_str());
    }
    std::string inm, ims;
    if (validators && !validators->etag.empty()) {
        inm = "If-None-Match: " + validators->etag;
        list = curl_slist_append(list, inm.c_str());
    }
    if (validators && !validators->last_modified.empty()) {
        ims = "If-Modified-Since: " + validators->last_modified;
        list = curl_slist_append(list, ims.c_str());
    }
    std::unique_ptr<curl_slist, CurlFree> headers(list);
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl can undo
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteToFile);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &KeepHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &AbortWhenCancelled);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &cancelled_);
    const CURLcode rc = curl_easy_perform(c);
    out.close();
    if (rc != CURLE_OK) {
        std::filesystem::remove(r.path, ec);
        return core::Fail(ErrorCode::kUnavailable,
                          "download of " + source.name + " failed: " + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    return r;
}

core::Result<Fetcher::Response> Fetcher::Request(const VulnSource& source, const std::string& url,
                                                 const SourceState* validators, FetchOutcome& outcome) {
    for (int attempt = 1;; ++attempt) {
        MUHAFIZ_CHECK(Throttle(source));
        ++outcome.requests;
        auto r = MUHAFIZ_TRY(Transfer(source, url, validators));
        if ((r.status != 429 && r.status != 503) || attempt >= options_.max_attempts) return r;
        std::error_code ec;
        std::filesystem::remove(r.path, ec);
        const seconds delay =
            std::min(ParseRetryAfter(r.headers.retry_after, Now()).value_or(options_.default_retry_after),
                     options_.max_retry_after);
        spdlog::info("vuln source {}: HTTP {}, retrying in {} s", source.name, r.status, delay.count());
        MUHAFIZ_CHECK(Wait(delay));
    }
}

namespace {

core::Status StatusError(const VulnSource& source, long status) {
    const std::string msg = "source " + source.name + ": HTTP " + std::to_string(status);
    if (status == 404) return core::Fail(ErrorCode::kNotFound, msg);
    if (status == 429) return core::Fail(ErrorCode::kTooManyRequests, msg);
    return core::Fail(ErrorCode::kUnavailable, msg);
}

}  // namespace

core::Result<FetchOutcome> Fetcher::FetchFile(const VulnSource& source, SourceState& state) {
    FetchOutcome outcome;
    auto r = MUHAFIZ_TRY(Request(source, source.url, &state, outcome));
    std::error_code ec;
    state.last_status = static_cast<int>(r.status);
    if (r.status == 304) {
        std::filesystem::remove(r.path, ec);
        outcome.not_modified = true;
        return outcome;
    }
    if (r.status != 200) {
        std::filesystem::remove(r.path, ec);
        MUHAFIZ_CHECK(StatusError(source, r.status));
    }
    auto handed = callback_(r.path, source.kind);
    std::filesystem::remove(r.path, ec);
    MUHAFIZ_CHECK(handed);
    ++outcome.files;
    state.etag = r.headers.etag;
    state.last_modified = r.headers.last_modified;
    return outcome;
}

core::Result<FetchOutcome> Fetcher::FetchNvd(const VulnSource& source, SourceState& state) {
    FetchOutcome outcome;
    const core::Micros end = Now();
    const core::Micros max_range = std::chrono::duration_cast<microseconds>(kNvdMaxRange).count();
    // The windows [from, to) of lastModStartDate/lastModEndDate; one unbounded "window" at first.
    std::vector<std::pair<core::Micros, core::Micros>> windows;
    if (state.last_success_at) {
        core::Micros from = *state.last_success_at;
        do {
            windows.emplace_back(from, std::max(from, std::min(end, from + max_range)));
            from += max_range;
        } while (from < end);
    } else {
        windows.emplace_back(0, 0);
    }
    const std::string base = source.url + (source.url.find('?') == std::string::npos ? "?" : "&");
    for (const auto& [from, to] : windows) {
        std::int64_t start = 0;
        for (;;) {
            std::string url = base + "startIndex=" + std::to_string(start) +
                              "&resultsPerPage=" + std::to_string(kNvdResultsPerPage);
            if (to != 0)
                url += "&lastModStartDate=" + core::FormatRfc3339(from, true) +
                       "&lastModEndDate=" + core::FormatRfc3339(to, true);
            auto r = MUHAFIZ_TRY(Request(source, url, nullptr, outcome));
            state.last_status = static_cast<int>(r.status);
            std::error_code ec;
            if (r.status != 200) {
                std::filesystem::remove(r.path, ec);
                MUHAFIZ_CHECK(StatusError(source, r.status));
            }
            // The paging numbers of this page, read before the importer sees it.
            std::int64_t total = 0, per_page = 0;
            {
                std::ifstream in(r.path, std::ios::binary);
                const std::string body((std::istreambuf_iterator<char>(in)), {});
                auto obj = core::ParseJsonObject(body);
                if (!obj) {
                    std::filesystem::remove(r.path, ec);
                    return core::Fail(ErrorCode::kUnavailable,
                                      "source " + source.name + ": the NVD answer is not JSON: " + obj.error().message);
                }
                auto t = core::GetInt(*obj, "totalResults");
                auto p = core::GetInt(*obj, "resultsPerPage");
                if (t && *t) total = **t;
                if (p && *p) per_page = **p;
            }
            auto handed = callback_(r.path, IngestKind::kNvd);
            std::filesystem::remove(r.path, ec);
            MUHAFIZ_CHECK(handed);
            ++outcome.files;
            start += per_page > 0 ? per_page : kNvdResultsPerPage;
            if (per_page <= 0 || start >= total) break;
        }
    }
    state.last_success_at = end;  // set by Fetch too; the next window starts here
    return outcome;
}

core::Result<FetchOutcome> Fetcher::Fetch(const VulnSource& source) {
    std::lock_guard lock(fetch_mu_);
    auto state = MUHAFIZ_TRY(states_.Get(source.name));
    const core::Micros started = Now();
    auto result = IsNvdApiUrl(source.url) ? FetchNvd(source, state) : FetchFile(source, state);
    state.last_fetch_at = started;
    if (result) {
        state.last_success_at = started;
        state.last_error.clear();
    } else {
        state.last_error = result.error().message;
        spdlog::warn("vuln source {}: {}", source.name, result.error().message);
    }
    if (auto put = states_.Put(state); !put) return tl::unexpected(put.error());
    return result;
}

// ---- Scheduler -----------------------------------------------------------------------------

Scheduler::Scheduler(Fetcher& fetcher, std::vector<VulnSource> sources)
    : fetcher_(fetcher), sources_(std::move(sources)) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
    std::lock_guard lock(mu_);
    if (!threads_.empty() || stopping_) return;
    for (const auto& s : sources_) threads_.emplace_back([this, &s] { Loop(s); });
}

void Scheduler::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    fetcher_.Cancel();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

core::Result<FetchOutcome> Scheduler::RunOnce(std::string_view name) {
    for (const auto& s : sources_)
        if (s.name == name) return fetcher_.Fetch(s);
    return core::NotFound("no vulnerability source named " + std::string(name));
}

void Scheduler::Loop(const VulnSource& source) {
    using Clock = std::chrono::system_clock;
    auto next = Clock::now();
    if (auto state = fetcher_.states().Get(source.name); state && state->last_fetch_at) {
        // After a restart: the last run + interval (a failed last run is retried at once).
        if (state->last_error.empty())
            next = Clock::time_point(microseconds(*state->last_fetch_at)) + source.interval;
    }
    int failures = 0;
    std::unique_lock lock(mu_);
    for (;;) {
        if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
        lock.unlock();
        const auto started = Clock::now();
        auto result = fetcher_.Fetch(source);
        lock.lock();
        if (stopping_) return;
        if (result) {
            failures = 0;
            next = started + source.interval;
        } else {
            const auto backoff =
                std::min<seconds>(source.interval, kFirstBackoff * (std::int64_t{1} << std::min(failures, 20)));
            ++failures;
            next = Clock::now() + backoff;
        }
    }
}

}  // namespace muhafiz::vulns
