#include "feeds/collectors.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace muhafiz::feeds {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxFetchBytes = std::size_t{512} << 20;

struct Sink {
    std::string* body;
    bool too_big = false;
};

std::size_t Write(char* p, std::size_t size, std::size_t n, void* user) {
    auto* s = static_cast<Sink*>(user);
    if (s->body->size() + size * n > kMaxFetchBytes) {
        s->too_big = true;
        return 0;
    }
    s->body->append(p, size * n);
    return size * n;
}

std::size_t Header(char* p, std::size_t size, std::size_t n, void* user) {
    auto* out = static_cast<FetchOutcome*>(user);
    std::string line(p, size * n);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
        if (name == "etag") out->etag = value;
        if (name == "last-modified") out->last_modified = value;
    }
    return size * n;
}

std::string FileNameOf(const FeedConfig& feed) {
    if (!feed.fetch->file_name.empty()) return feed.fetch->file_name;
    std::string u = feed.fetch->url;
    const auto q = u.find_first_of("?#");
    if (q != std::string::npos) u = u.substr(0, q);
    const auto slash = u.rfind('/');
    std::string name = slash == std::string::npos ? u : u.substr(slash + 1);
    return name.empty() ? feed.name + ".report" : name;
}

}  // namespace

core::Result<FetchOutcome> FetchUrl(const FetchConfig& fetch, const std::string& etag, const std::string& last_modified) {
    CURL* curl = curl_easy_init();
    if (!curl) return core::Fail(core::ErrorCode::kInternal, "libcurl could not start");
    FetchOutcome out;
    Sink sink{&out.body};
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : fetch.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
    if (!etag.empty()) headers = curl_slist_append(headers, ("If-None-Match: " + etag).c_str());
    if (!last_modified.empty()) headers = curl_slist_append(headers, ("If-Modified-Since: " + last_modified).c_str());
    curl_easy_setopt(curl, CURLOPT_URL, fetch.url.c_str());
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 20L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "muhafiz-feeds");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, Header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out);
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (sink.too_big) return core::Fail(core::ErrorCode::kPayloadTooLarge, fetch.url + ": the report is larger than 512 MiB");
    if (rc != CURLE_OK) return core::Fail(core::ErrorCode::kUnavailable, fetch.url + ": " + curl_easy_strerror(rc));
    out.status = static_cast<int>(status);
    if (status != 200 && status != 304)
        return core::Fail(core::ErrorCode::kUnavailable, fetch.url + ": HTTP " + std::to_string(status));
    return out;
}

core::Result<std::optional<IngestSummary>> FetchFeed(Pipeline& pipeline, const FeedConfig& feed) {
    if (!feed.fetch) return core::Invalid("feed", "the feed '" + feed.name + "' has no fetch URL");
    FeedStore& store = pipeline.store();
    auto state = MUHAFIZ_TRY(store.GetFetchState(feed.name));
    state.last_fetch_at = core::NowMicros();
    auto got = FetchUrl(*feed.fetch, state.etag, state.last_modified);
    if (!got) {
        state.last_error = got.error().message;
        state.last_status = 0;
        (void)store.SetFetchState(feed.name, state);
        return tl::unexpected(got.error());
    }
    state.last_status = got->status;
    state.last_error.clear();
    if (got->status == 304) {
        MUHAFIZ_CHECK(store.SetFetchState(feed.name, state));
        return std::optional<IngestSummary>();
    }
    IngestRequest req;
    req.feed = feed.name;
    req.data = std::move(got->body);
    req.file_name = FileNameOf(feed);
    req.source = "fetch";
    req.actor = "fetch";
    auto s = pipeline.Ingest(req);
    if (!s) {
        state.last_error = s.error().message;
        (void)store.SetFetchState(feed.name, state);
        return tl::unexpected(s.error());
    }
    state.etag = got->etag;
    state.last_modified = got->last_modified;
    MUHAFIZ_CHECK(store.SetFetchState(feed.name, state));
    return std::optional<IngestSummary>(std::move(*s));
}

core::Result<int> ScanSpool(Pipeline& pipeline, const std::string& spool_dir) {
    if (spool_dir.empty()) return 0;
    std::error_code ec;
    if (!fs::is_directory(spool_dir, ec)) return 0;
    int taken = 0;
    for (const auto& feed_dir : fs::directory_iterator(spool_dir, ec)) {
        if (!feed_dir.is_directory()) continue;
        const std::string feed = feed_dir.path().filename().string();
        if (feed.empty() || feed[0] == '.') continue;
        std::vector<fs::path> files;
        for (const auto& f : fs::directory_iterator(feed_dir.path(), ec))
            if (f.is_regular_file() && f.path().filename().string()[0] != '.') files.push_back(f.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            const fs::path processing = feed_dir.path() / ".processing";
            fs::create_directories(processing, ec);
            const fs::path work = processing / file.filename();
            fs::rename(file, work, ec);
            if (ec) continue;  // taken by another process
            IngestRequest req;
            req.feed = feed;
            req.path = work.string();
            req.file_name = file.filename().string();
            req.source = "spool";
            req.actor = "spool";
            auto s = pipeline.Ingest(req);
            const fs::path target_dir = feed_dir.path() / (s ? "done" : "failed");
            fs::create_directories(target_dir, ec);
            fs::rename(work, target_dir / file.filename(), ec);
            if (!s) {
                std::ofstream(target_dir / (file.filename().string() + ".error")) << s.error().message << "\n";
                spdlog::warn("feeds: spool file {} of feed {} failed: {}", file.filename().string(), feed,
                             s.error().message);
            } else {
                spdlog::info("feeds: spool file {} of feed {}: {} events, {} rejected, {} duplicates",
                             file.filename().string(), feed, s->run.events, s->run.rejected, s->run.duplicates);
            }
            ++taken;
        }
    }
    return taken;
}

void Collectors::Start() {
    std::lock_guard lock(mu_);
    if (worker_.joinable()) return;
    stop_ = false;
    worker_ = std::thread([this] { Loop(); });
}

void Collectors::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void Collectors::Loop() {
    const FeedsConfig& config = pipeline_.config();
    std::map<std::string, core::Micros> next_fetch;
    core::Micros next_spool = 0, next_digest = core::NowMicros() + digest_poll_.count() * 1000000;
    for (const auto& f : config.feeds)
        if (f.fetch) {
            auto st = pipeline_.store().GetFetchState(f.name);
            core::Micros last = st && st->last_fetch_at ? *st->last_fetch_at : 0;
            next_fetch[f.name] = last + f.fetch->interval;
        }
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; });
            if (stop_) return;
        }
        const core::Micros now = core::NowMicros();
        if (!config.spool_dir.empty() && now >= next_spool) {
            auto n = ScanSpool(pipeline_, config.spool_dir);
            if (!n) spdlog::warn("feeds: spool folder: {}", n.error().message);
            next_spool = core::NowMicros() + config.spool_interval;
        }
        for (const auto& f : config.feeds) {
            if (!f.fetch || now < next_fetch[f.name]) continue;
            auto r = FetchFeed(pipeline_, f);
            if (!r) spdlog::warn("feeds: fetch of {} failed: {}", f.name, r.error().message);
            else if (*r) spdlog::info("feeds: fetched {}: {} events", f.name, (*r)->run.events);
            next_fetch[f.name] = core::NowMicros() + f.fetch->interval;
            std::lock_guard lock(mu_);
            if (stop_) return;
        }
        if (digests_ && now >= next_digest) {
            auto r = digests_->RunDue(core::NowMicros());
            if (!r) spdlog::warn("feeds: digests: {}", r.error().message);
            else if (r->sent) spdlog::info("feeds: {} digests queued ({} events)", r->sent, r->events);
            next_digest = core::NowMicros() + digest_poll_.count() * 1000000;
        }
    }
}

}  // namespace muhafiz::feeds
