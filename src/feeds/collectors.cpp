#include "feeds/collectors.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/ids.hpp"
#include "core/json.hpp"

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

// ---- UploadQueue -----------------------------------------------------------------------------

namespace {
namespace json = core::json;

// Writes `data` to `path` durably: a temporary file, fsync, rename, fsync of the folder.
core::Status WriteDurably(const std::string& path, std::string_view data) {
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return core::Fail(core::ErrorCode::kInternal, "cannot write " + tmp + ": " + std::strerror(errno));
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return core::Fail(core::ErrorCode::kUnavailable, "cannot write " + tmp + ": " + why);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return core::Fail(core::ErrorCode::kUnavailable, "cannot sync " + tmp + ": " + why);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return core::Fail(core::ErrorCode::kInternal, "cannot rename " + tmp + ": " + std::strerror(errno));
    const std::string folder = fs::path(path).parent_path().string();
    const int dfd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)::fsync(dfd);
        ::close(dfd);
    }
    return core::Ok();
}

json::value OptMicros(const std::optional<core::Micros>& t) { return t ? json::value(*t) : json::value(nullptr); }

std::optional<core::Micros> GetOptMicros(const json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_int64()) return std::nullopt;
    return v->as_int64();
}

std::string JobToJson(const UploadJob& j) {
    return core::ToJson(json::object{{"id", j.id},
                                     {"feed", j.feed},
                                     {"format", j.format},
                                     {"file_name", j.file_name},
                                     {"created_by", j.created_by},
                                     {"fingerprint", j.fingerprint},
                                     {"force", j.force},
                                     {"size", j.size},
                                     {"status", j.status},
                                     {"created_at", j.created_at},
                                     {"started_at", OptMicros(j.started_at)},
                                     {"finished_at", OptMicros(j.finished_at)},
                                     {"bytes_done", j.progress.bytes_done},
                                     {"bytes_total", j.progress.bytes_total},
                                     {"lines", j.progress.lines},
                                     {"events", j.progress.events},
                                     {"rejected", j.progress.rejected},
                                     {"duplicates", j.progress.duplicates},
                                     {"aggregated", j.aggregated},
                                     {"run_id", j.run_uuid},
                                     {"already_ingested", j.already_ingested},
                                     {"resumed", j.resumed},
                                     {"attempts", j.attempts},
                                     {"error", j.error}}) +
           "\n";
}

core::Result<UploadJob> JobFromJson(std::string_view text) {
    auto o = MUHAFIZ_TRY(core::ParseJsonObject(text));
    UploadJob j;
    auto str = [&](const char* k) {
        const auto* v = o.if_contains(k);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    auto num = [&](const char* k) -> std::int64_t {
        const auto* v = o.if_contains(k);
        return v && v->is_int64() ? v->as_int64() : 0;
    };
    auto flag = [&](const char* k) {
        const auto* v = o.if_contains(k);
        return v && v->is_bool() && v->as_bool();
    };
    j.id = str("id");
    j.feed = str("feed");
    j.format = str("format");
    j.file_name = str("file_name");
    j.created_by = str("created_by");
    j.fingerprint = str("fingerprint");  // (none in jobs spooled before it was kept)
    j.force = flag("force");
    j.size = num("size");
    j.status = str("status");
    j.created_at = num("created_at");
    j.started_at = GetOptMicros(o, "started_at");
    j.finished_at = GetOptMicros(o, "finished_at");
    j.progress.bytes_done = num("bytes_done");
    j.progress.bytes_total = num("bytes_total");
    j.progress.lines = num("lines");
    j.progress.events = num("events");
    j.progress.rejected = num("rejected");
    j.progress.duplicates = num("duplicates");
    j.aggregated = num("aggregated");
    j.run_uuid = str("run_id");
    j.already_ingested = flag("already_ingested");
    j.resumed = flag("resumed");
    j.attempts = static_cast<int>(num("attempts"));
    j.error = str("error");
    if (!core::IsUuid(j.id) || j.feed.empty()) return core::Invalid("upload", "not an upload job record");
    return j;
}

}  // namespace

UploadQueue::UploadQueue(Pipeline& pipeline, std::string dir, std::size_t capacity, bool worker)
    : pipeline_(pipeline), dir_(std::move(dir)), capacity_(capacity ? capacity : 1), worker_enabled_(worker) {}

UploadQueue::~UploadQueue() { Stop(); }

std::string UploadQueue::BodyPath(const std::string& id) const { return (fs::path(dir_) / (id + ".body")).string(); }

core::Status UploadQueue::Persist(const UploadJob& job) const {
    return WriteDurably((fs::path(dir_) / (job.id + ".json")).string(), JobToJson(job));
}

core::Status UploadQueue::Open(std::chrono::hours keep) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return core::Fail(core::ErrorCode::kInternal, "cannot create the upload spool " + dir_ + ": " + ec.message());
    keep_ = keep;
    const core::Micros cutoff = core::NowMicros() - static_cast<core::Micros>(keep.count()) * 3600 * 1000000;
    std::vector<std::string> requeue;
    std::set<std::string> records;
    std::lock_guard lock(mu_);
    for (const auto& f : fs::directory_iterator(dir_, ec)) {
        const std::string name = f.path().filename().string();
        if (name.ends_with(".tmp")) {  // a write that did not finish: never acknowledged
            fs::remove(f.path(), ec);
            continue;
        }
        if (!name.ends_with(".json")) continue;
        auto text = ReadMaybeGzip(f.path().string());
        auto job = text ? JobFromJson(*text) : core::Result<UploadJob>(tl::unexpected(text.error()));
        if (!job) {
            spdlog::warn("feeds: upload spool: {} is not a job record, skipped: {}", name, job.error().message);
            continue;
        }
        records.insert(job->id);
        const bool finished = job->status == "done" || job->status == "failed";
        if (finished && job->finished_at && *job->finished_at < cutoff) {
            fs::remove(f.path(), ec);
            fs::remove(BodyPath(job->id), ec);
            continue;
        }
        if (finished) fs::remove(BodyPath(job->id), ec);  // left by a crash after the record was written
        if (!finished) {
            if (!fs::exists(BodyPath(job->id), ec)) {
                job->status = "failed";
                job->error = "the spooled report is missing from " + dir_;
                job->finished_at = core::NowMicros();
                (void)Persist(*job);
            } else {
                if (job->status == "running") spdlog::info("feeds: upload {} was interrupted, it is taken up again", job->id);
                job->status = "queued";
                requeue.push_back(job->id);
            }
        }
        jobs_[job->id] = std::move(*job);
    }
    // Bodies without a record were never acknowledged (the record is written after the body).
    for (const auto& f : fs::directory_iterator(dir_, ec)) {
        const std::string name = f.path().filename().string();
        if (name.ends_with(".body") && !records.count(name.substr(0, name.size() - 5))) fs::remove(f.path(), ec);
    }
    std::sort(requeue.begin(), requeue.end());
    for (auto& id : requeue) queue_.push_back(std::move(id));
    if (!requeue.empty()) spdlog::info("feeds: {} upload(s) waiting in {}", requeue.size(), dir_);
    cv_.notify_all();
    return core::Ok();
}

std::size_t UploadQueue::pending() const {
    std::lock_guard lock(mu_);
    std::size_t n = reserved_;
    for (const auto& [id, j] : jobs_)
        if (j.status == "queued" || j.status == "running") ++n;
    return n;
}

core::Result<UploadJob> UploadQueue::Submit(UploadJob spec, const std::string& body) {
    UploadJob job = std::move(spec);
    job.fingerprint = FingerprintData(body);
    const std::string key = job.feed + '\n' + job.fingerprint;
    {
        std::lock_guard lock(mu_);
        std::size_t waiting = reserved_;
        for (const auto& [id, j] : jobs_) {
            if (j.status != "queued" && j.status != "running") continue;
            ++waiting;
            if (j.feed == job.feed && j.fingerprint == job.fingerprint)
                return core::Fail(core::ErrorCode::kConflict,
                                  "the same report (" + j.file_name + ") is " +
                                      (j.status == "queued" ? "queued already" : "being ingested") + " as upload " + id);
        }
        if (submitting_.contains(key))
            return core::Fail(core::ErrorCode::kConflict, "the same report is being uploaded at this moment");
        if (waiting >= capacity_)
            return core::Fail(core::ErrorCode::kTooManyRequests, "the upload queue is full (" + std::to_string(capacity_) +
                                                                     " reports waiting): try again later");
        ++reserved_;
        submitting_.insert(key);
    }
    struct Release {
        UploadQueue* q;
        const std::string& key;
        ~Release() {
            std::lock_guard lock(q->mu_);
            --q->reserved_;
            q->submitting_.erase(key);
        }
    } release{this, key};
    // Ingested now by another collector or process.
    MUHAFIZ_CHECK(pipeline_.RefuseIfBeingIngested(job.feed, job.fingerprint, job.file_name));
    job.id = core::NewUuidV7();
    job.status = "queued";
    job.size = static_cast<std::int64_t>(body.size());
    job.created_at = core::NowMicros();
    job.progress = {};
    job.progress.bytes_total = job.size;
    // The body first: a record always has its body.
    MUHAFIZ_CHECK(WriteDurably(BodyPath(job.id), body));
    if (auto st = Persist(job); !st) {
        std::error_code ec;
        fs::remove(BodyPath(job.id), ec);
        return tl::unexpected(st.error());
    }
    {
        std::lock_guard lock(mu_);
        jobs_[job.id] = job;
        queue_.push_back(job.id);
    }
    cv_.notify_all();
    return job;
}

std::optional<UploadJob> UploadQueue::Get(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) return std::nullopt;
    return it->second;
}

core::Result<UploadQueue::Page> UploadQueue::List(const std::string& status, int limit, const std::string& cursor) const {
    if (!status.empty() && status != "queued" && status != "running" && status != "done" && status != "failed")
        return core::Invalid("status", "status must be queued, running, done or failed");
    if (!cursor.empty() && !core::IsUuid(cursor)) return core::Invalid("cursor", "the cursor is not valid");
    std::lock_guard lock(mu_);
    Page page;
    for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) {
        if (!status.empty() && it->second.status != status) continue;
        ++page.total;
        if (!cursor.empty() && it->first >= cursor) continue;
        if (static_cast<int>(page.items.size()) < limit) page.items.push_back(it->second);
        else if (!page.next) page.next = page.items.back().id;
    }
    return page;
}

void UploadQueue::Start() {
    if (!worker_enabled_) return;
    std::lock_guard lock(mu_);
    if (worker_.joinable()) return;
    stop_ = false;
    worker_ = std::thread([this] { Loop(); });
}

void UploadQueue::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void UploadQueue::Loop() {
    for (;;) {
        std::string id;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            id = std::move(queue_.front());
            queue_.pop_front();
        }
        Run(id);
    }
}

void UploadQueue::Run(const std::string& id) {
    UploadJob job;
    {
        std::lock_guard lock(mu_);
        auto it = jobs_.find(id);
        if (it == jobs_.end() || it->second.status != "queued") return;
        it->second.status = "running";
        it->second.started_at = core::NowMicros();
        ++it->second.attempts;
        job = it->second;
    }
    if (auto st = Persist(job); !st) spdlog::warn("feeds: upload {}: {}", id, st.error().message);
    IngestRequest req;
    req.feed = job.feed;
    req.format = job.format;
    req.path = BodyPath(id);
    req.file_name = job.file_name;
    req.force = job.force;
    req.source = "upload";
    req.actor = job.created_by;
    req.progress = [this, &id](const IngestProgress& p) {
        std::lock_guard lock(mu_);
        auto it = jobs_.find(id);
        if (it != jobs_.end()) it->second.progress = p;
    };
    auto s = pipeline_.Ingest(req);
    {
        std::lock_guard lock(mu_);
        UploadJob& j = jobs_[id];
        j.finished_at = core::NowMicros();
        if (s) {
            j.status = "done";
            j.run_uuid = s->run.uuid;
            j.already_ingested = s->already_ingested;
            j.resumed = s->resumed;
            j.progress.bytes_done = j.progress.bytes_total = j.size;
            j.progress.lines = s->run.lines_read;
            j.progress.events = s->run.events;
            j.progress.rejected = s->run.rejected;
            j.progress.duplicates = s->run.duplicates;
            j.aggregated = s->run.aggregated;
            j.error.clear();
        } else {
            j.status = "failed";
            j.error = s.error().message;
        }
        job = j;
    }
    if (s)
        spdlog::info("feeds: upload {} ({} of feed {}): {} events, {} rejected, {} duplicates", id, job.file_name, job.feed,
                     job.progress.events, job.progress.rejected, job.progress.duplicates);
    else
        spdlog::warn("feeds: upload {} ({} of feed {}) failed: {}", id, job.file_name, job.feed, job.error);
    // The record first, then the body: a crash in between leaves a finished record and a body
    // that the next Open removes with the record's retention.
    if (auto st = Persist(job); !st) spdlog::warn("feeds: upload {}: {}", id, st.error().message);
    std::error_code ec;
    fs::remove(BodyPath(id), ec);
    Prune();
}

void UploadQueue::Prune() {
    const core::Micros cutoff = core::NowMicros() - static_cast<core::Micros>(keep_.count()) * 3600 * 1000000;
    std::vector<std::string> gone;
    {
        std::lock_guard lock(mu_);
        for (auto it = jobs_.begin(); it != jobs_.end();) {
            const UploadJob& j = it->second;
            if ((j.status == "done" || j.status == "failed") && j.finished_at && *j.finished_at < cutoff) {
                gone.push_back(j.id);
                it = jobs_.erase(it);
            } else {
                ++it;
            }
        }
    }
    std::error_code ec;
    for (const auto& id : gone) fs::remove(fs::path(dir_) / (id + ".json"), ec);
}

}  // namespace muhafiz::feeds
