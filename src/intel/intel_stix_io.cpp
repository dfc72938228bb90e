// IntelStore: STIX bundle import (streamed), STIX and CSV export, and the TAXII object queries.
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>

#include <sys/random.h>

#include <algorithm>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/csv.hpp"
#include "core/ids.hpp"
#include "db/query.hpp"
#include "intel/intel_store.hpp"
#include "intel/stix.hpp"

namespace muhafiz::intel {
namespace json = core::json;
using core::ErrorCode;
using core::Result;
using core::Status;

namespace {

constexpr std::size_t kBatch = 5000;
constexpr std::size_t kMaxProblems = 1000;
constexpr std::int64_t kImportCacheKib = 256 * 1024;

// Rows being filled for one BulkInsert. The rows and their strings are reused from batch to
// batch (assigning into a string keeps its capacity), so a steady import allocates nothing per
// row and no memory crosses threads.
struct RowBuffer {
    std::vector<db::Params> rows;
    std::size_t used = 0;

    db::Params& Next(std::size_t width) {
        if (used == rows.size()) rows.emplace_back(width);
        return rows[used++];
    }
    void Trim() { rows.resize(used); }
};

// Random UUIDs without a system call each: a per-thread buffer refilled from the kernel's
// CSPRNG (getrandom) 4 KiB at a time, 10 random bytes per id. Same quality as core::NewUuidV7.
class UuidSource {
  public:
    // A UUIDv7 (time-ordered) into `out` (36 characters).
    void V7(char out[36]) {
        unsigned char b[16];
        Take(b + 6, 10);
        const std::uint64_t ms = static_cast<std::uint64_t>(core::NowMicros() / 1000);
        for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
        b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x70);
        b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
        static constexpr char kHex[] = "0123456789abcdef";
        int k = 0;
        for (int i = 0; i < 16; ++i) {
            if (i == 4 || i == 6 || i == 8 || i == 10) out[k++] = '-';
            out[k++] = kHex[b[i] >> 4];
            out[k++] = kHex[b[i] & 15];
        }
    }

  private:
    void Take(unsigned char* p, std::size_t n) {
        if (used_ + n > sizeof pool_) {
            std::size_t got = 0;
            while (got < sizeof pool_) {
                const ssize_t r = getrandom(pool_ + got, sizeof pool_ - got, 0);
                if (r > 0) got += static_cast<std::size_t>(r);
            }
            used_ = 0;
        }
        std::memcpy(p, pool_ + used_, n);
        std::memset(pool_ + used_, 0, n);  // handed-out bytes are not kept
        used_ += n;
    }
    unsigned char pool_[4096];
    std::size_t used_ = sizeof pool_;
};

void Set(db::Value& v, std::string_view s) {
    if (auto p = std::get_if<std::string>(&v)) p->assign(s.data(), s.size());
    else v = std::string(s);
}

// Hands batches of rows from the parsing thread to a writer thread (at most two batches in
// flight: bounded memory) and gives the written ones back for refilling. With threaded = false
// it writes inline. The writer owns the connection between the first Push and Finish; the first
// error stops it and is returned by the next Push or by Finish. One producer thread.
class BatchWriter {
  public:
    struct Batch {
        RowBuffer indicators, objects;
    };
    using Write = std::function<core::Status(std::vector<db::Params>&, std::vector<db::Params>&)>;
    BatchWriter(Write write, bool threaded) : write_(std::move(write)), threaded_(threaded) {}
    BatchWriter(const BatchWriter&) = delete;
    BatchWriter& operator=(const BatchWriter&) = delete;
    ~BatchWriter() { (void)Finish(); }

    // Writes `b` (in the background when threaded) and returns a batch to fill next.
    core::Result<Batch> Push(Batch b) {
        b.indicators.Trim();
        b.objects.Trim();
        if (!threaded_) {
            if (!b.indicators.rows.empty() || !b.objects.rows.empty())
                MUHAFIZ_CHECK(write_(b.indicators.rows, b.objects.rows));
            b.indicators.used = b.objects.used = 0;
            return b;
        }
        std::unique_lock lock(mu_);
        if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
        cv_.wait(lock, [&] { return queue_.size() < 2 || !status_; });
        if (!status_) return tl::unexpected(status_.error());
        queue_.push_back(std::move(b));
        cv_.notify_all();
        Batch next;
        if (!free_.empty()) {
            next = std::move(free_.back());
            free_.pop_back();
        }
        return next;
    }

    // Waits until everything pushed is written (or failed) and stops the thread.
    core::Status Finish() {
        if (thread_.joinable()) {
            {
                std::lock_guard lock(mu_);
                stop_ = true;
                cv_.notify_all();
            }
            thread_.join();
        }
        std::lock_guard lock(mu_);
        free_.clear();
        return status_;
    }

  private:
    void Run() {
        std::unique_lock lock(mu_);
        for (;;) {
            cv_.wait(lock, [&] { return !queue_.empty() || stop_; });
            if (queue_.empty()) return;
            Batch b = std::move(queue_.front());
            queue_.pop_front();
            const bool ok = static_cast<bool>(status_);
            lock.unlock();
            core::Status s = ok ? write_(b.indicators.rows, b.objects.rows) : core::Ok();
            b.indicators.used = b.objects.used = 0;
            lock.lock();
            if (!s && status_) status_ = s;
            if (free_.size() < 2) free_.push_back(std::move(b));
            cv_.notify_all();
        }
    }

    Write write_;
    const bool threaded_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Batch> queue_;
    std::vector<Batch> free_;
    core::Status status_ = core::Ok();
    bool stop_ = false;
    std::thread thread_;
};

const std::set<std::string, std::less<>> kScoTypes = {"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr",
                                                       "autonomous-system", "file", "x509-certificate", "artifact",
                                                       "mac-addr", "network-traffic", "process", "software",
                                                       "user-account", "windows-registry-key", "directory",
                                                       "mutex", "email-message"};

std::string Str(const json::object& o, std::string_view key) {
    auto v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The same without a copy: valid while `o` lives.
std::string_view View(const json::object& o, std::string_view key) {
    auto v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

// The (type, value) pairs already in the event, for de-duplication during an import: a flat
// open-addressing set of 128-bit hashes (two independent 64-bit hashes; a false match among a
// billion values has a probability below 1e-20), so a million values cost 32 MiB and no
// allocation per value.
class ValueSet {
  public:
    // true when (type, value) was not in the set yet.
    // The two hashes of (type, value).
    struct Key {
        std::uint64_t a, b;
    };
    static Key KeyOf(std::string_view type, std::string_view value) {
        Key k{Hash(value, Hash(type, 0x9E3779B97F4A7C15ull)), Hash(value, Hash(type, 0xC2B2AE3D27D4EB4Full) ^ 0x1f)};
        if (k.a == 0 && k.b == 0) k.b = 1;  // (0, 0) marks an empty slot
        return k;
    }
    bool Insert(std::string_view type, std::string_view value) { return Insert(KeyOf(type, value)); }
    bool Insert(Key k) {
        if ((size_ + 1) * 2 > slots_.size()) Grow();
        return Put(k.a, k.b);
    }
    // Starts loading the slot Insert(k) looks at first (a cache and TLB miss in a big set), so
    // that the work done until then hides it.
    void Prefetch(Key k) const {
        if (!slots_.empty()) __builtin_prefetch(&slots_[(k.a ^ (k.b >> 7)) & (slots_.size() - 1)], 1);
    }

  private:
    // A 64-bit hash of `s` from `seed`, 8 bytes a step (two seeds: two independent hashes).
    static std::uint64_t Mix(std::uint64_t h) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ull;
        return h ^ (h >> 33);
    }
    static std::uint64_t Hash(std::string_view s, std::uint64_t seed) {
        std::uint64_t h = seed ^ (s.size() * 0x9E3779B97F4A7C15ull);
        const char* p = s.data();
        std::size_t n = s.size();
        for (; n >= 8; p += 8, n -= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            h = (h ^ Mix(w + seed)) * 0x9E3779B97F4A7C15ull;
        }
        std::uint64_t w = 0;
        std::memcpy(&w, p, n);
        return Mix(h ^ Mix(w + seed + n));
    }
    bool Put(std::uint64_t a, std::uint64_t b) {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = (a ^ (b >> 7)) & mask;; i = (i + 1) & mask) {
            auto& s = slots_[i];
            if (s.first == 0 && s.second == 0) {
                s = {a, b};
                ++size_;
                return true;
            }
            if (s.first == a && s.second == b) return false;
        }
    }
    void Grow() {
        std::vector<std::pair<std::uint64_t, std::uint64_t>> old(std::max<std::size_t>(1024, slots_.size() * 2));
        old.swap(slots_);
        size_ = 0;
        for (const auto& s : old)
            if (s.first != 0 || s.second != 0) Put(s.first, s.second);
    }
    std::vector<std::pair<std::uint64_t, std::uint64_t>> slots_;
    std::size_t size_ = 0;
};

// An SCO to an indicator value, when it has one we know.
std::optional<std::pair<IndicatorType, std::string>> ScoValue(std::string_view type, const json::object& o) {
    std::optional<IndicatorType> t;
    std::string v = Str(o, "value");
    if (type == "ipv4-addr") t = v.find('/') != std::string::npos ? IndicatorType::kCidr : IndicatorType::kIpv4;
    else if (type == "ipv6-addr") t = v.find('/') != std::string::npos ? IndicatorType::kCidr : IndicatorType::kIpv6;
    else if (type == "domain-name") t = IndicatorType::kDomain;
    else if (type == "url") t = IndicatorType::kUrl;
    else if (type == "email-addr") t = IndicatorType::kEmail;
    else if (type == "autonomous-system") {
        if (auto n = o.if_contains("number"); n && n->is_int64()) {
            t = IndicatorType::kAsn;
            v = std::to_string(n->as_int64());
        }
    } else if (type == "file" || type == "artifact" || type == "x509-certificate") {
        if (auto h = o.if_contains("hashes"); h && h->is_object()) {
            const auto& hashes = h->as_object();
            const bool x509 = type == "x509-certificate";
            for (auto [key, kt] : {std::pair<std::string_view, IndicatorType>{"SHA-256", IndicatorType::kSha256},
                                   {"SHA-1", IndicatorType::kSha1}, {"MD5", IndicatorType::kMd5},
                                   {"SHA-512", IndicatorType::kSha512}}) {
                if (auto hv = hashes.if_contains(key); hv && hv->is_string()) {
                    t = x509 && (kt == IndicatorType::kSha1 || kt == IndicatorType::kSha256) ? IndicatorType::kX509 : kt;
                    if (x509 && kt != IndicatorType::kSha1 && kt != IndicatorType::kSha256) continue;
                    v = std::string(hv->as_string());
                    break;
                }
            }
        }
    }
    if (!t || v.empty()) return std::nullopt;
    auto n = Normalise(*t, v);
    if (!n) return std::nullopt;
    return std::make_pair(*t, *n);
}

// A 64-bit hash of a STIX id (FNV-1a, then mixed).
std::uint64_t IdHash(std::string_view id) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (char c : id) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

// The lean record of an indicator that holds its object in its own row (migration 018): the
// "~I" record (intel/stix.hpp) with the pattern left empty when it is StixPattern(type, value) and
// the name (or description) field "\x1e" when it is the indicator's comment, and valid_from
// left empty when it is StixTime(valid_from) of the row ("\x1e": the same without milliseconds);
// ExpandInRow gives the "~I" record back from the row's type, value, comment and valid_from
// (which the indicator keeps while the object is in-row: anything that changes them moves the
// object to intel_objects first).
constexpr char kLeanSep = '\x1f';
constexpr std::string_view kSameAsComment = "\x1e";

bool SplitLean(std::string_view lean, std::string_view (&f)[7]) {
    if (!lean.starts_with("~I") || lean.size() < 4) return false;
    std::string_view rest = lean.substr(4);
    for (int i = 0; i < 7; ++i) {
        const auto at = i < 6 ? rest.find(kLeanSep) : std::string_view::npos;
        if (i < 6 && at == std::string_view::npos) return false;
        f[i] = rest.substr(0, at);
        rest = at == std::string_view::npos ? std::string_view() : rest.substr(at + 1);
    }
    return true;
}

void JoinLeanInto(std::string_view head, const std::string_view (&f)[7], std::string& out) {
    std::size_t n = head.size() + 6;
    for (auto x : f) n += x.size();
    out.clear();
    out.reserve(n);
    out += head;
    for (int i = 0; i < 7; ++i) {
        if (i) out += kLeanSep;
        out += f[i];
    }
}

std::string JoinLean(std::string_view head, const std::string_view (&f)[7]) {
    std::string out;
    JoinLeanInto(head, f, out);
    return out;
}

// StixTime(t) ("2026-11-28T10:07:25.123Z"), or with `seconds` the same without the milliseconds,
// into `buf` without printf (once per indicator imported or served); its length, 0 when `t` is
// outside 1970-9999 (the caller then uses StixTime).
std::size_t FormatStixTime(core::Micros t, bool seconds, char (&buf)[24]) {
    if (t < 0) return 0;
    const std::int64_t secs = t / 1000000, rem = secs % 86400, z = secs / 86400 + 719468;
    const std::int64_t era = z / 146097;  // z >= 0 from 1970 on
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y > 9999) return 0;
    auto put = [&](int at, std::int64_t v, int width) {
        for (int i = width - 1; i >= 0; --i, v /= 10) buf[at + i] = static_cast<char>('0' + v % 10);
    };
    put(0, y, 4);
    buf[4] = '-';
    put(5, m, 2);
    buf[7] = '-';
    put(8, d, 2);
    buf[10] = 'T';
    put(11, rem / 3600, 2);
    buf[13] = ':';
    put(14, rem / 60 % 60, 2);
    buf[16] = ':';
    put(17, rem % 60, 2);
    if (seconds) {
        buf[19] = 'Z';
        return 20;
    }
    buf[19] = '.';
    put(20, t % 1000000 / 1000, 3);
    buf[23] = 'Z';
    return 24;
}

// Whether `text` is StixTime(t), or with `seconds` the same without the milliseconds (and `t`
// has none).
bool IsStixTime(std::string_view text, core::Micros t, bool seconds) {
    if (text.size() != (seconds ? 20u : 24u) || (seconds && t % 1000000 != 0)) return false;
    char buf[24];
    const std::size_t n = FormatStixTime(t, seconds, buf);
    return n == text.size() && text == std::string_view(buf, n);
}

std::string FastStixTime(core::Micros t) {
    char buf[24];
    const std::size_t n = FormatStixTime(t - t % 1000, false, buf);
    return n ? std::string(buf, n) : StixTime(t);
}

// StixTime(t) without the milliseconds: "2026-11-28T10:07:25Z".
std::string StixSeconds(core::Micros t) {
    char buf[24];
    if (t % 1000000 == 0)
        if (const std::size_t n = FormatStixTime(t, true, buf)) return std::string(buf, n);
    std::string s = StixTime(t);
    if (s.size() == 24 && s[19] == '.') s.replace(19, 4, "");
    return s;
}

// InRowRecord into `out` (its capacity reused; `out` is not `lean`).
void InRowRecordInto(std::string_view lean, IndicatorType type, std::string_view value, std::string_view comment,
                     core::Micros valid_from, std::string& out) {
    std::string_view f[7];
    if (!SplitLean(lean, f)) {
        out.assign(lean.data(), lean.size());
        return;
    }
    thread_local std::string pattern;
    StixPatternInto(type, value, pattern);
    if (f[3] == pattern) f[3] = {};
    if (IsStixTime(f[4], valid_from, false)) f[4] = {};
    else if (IsStixTime(f[4], valid_from, true)) f[4] = kSameAsComment;
    if (!comment.empty()) {
        if (f[1] == comment) f[1] = kSameAsComment;
        else if (f[2] == comment) f[2] = kSameAsComment;
    }
    JoinLeanInto(lean.substr(0, 4), f, out);
}

std::string InRowRecord(const std::string& lean, IndicatorType type, std::string_view value, std::string_view comment,
                        core::Micros valid_from) {
    std::string out;
    InRowRecordInto(lean, type, value, comment, valid_from, out);
    return out;
}

std::string ExpandInRow(std::string_view record, std::string_view type, std::string_view value,
                        std::string_view comment, core::Micros valid_from) {
    std::string_view f[7];
    if (!SplitLean(record, f)) return std::string(record);
    std::string from;
    if (f[4].empty() || f[4] == kSameAsComment) {
        from = f[4].empty() ? FastStixTime(valid_from) : StixSeconds(valid_from);
        f[4] = from;
    }
    std::string pattern;
    if (f[3].empty()) {
        auto t = ParseType(type);
        if (t) pattern = StixPattern(*t, value);
        f[3] = pattern;
    }
    if (f[1] == kSameAsComment) f[1] = comment;
    if (f[2] == kSameAsComment) f[2] = comment;
    return JoinLean(record.substr(0, 4), f);
}

// The `modified` text of an object held in an indicator row: object_version, or when NULL the
// canonical text of object_version_us (columns `text` and `us` of `r`).
std::string InRowVersion(const db::Row& r, std::size_t text, std::size_t us) {
    return r.IsNull(text) ? FastStixTime(r.Int(us)) : r.Str(text);
}

StixEventInfo EventInfo(const Event& e, const std::string& identity) {
    StixEventInfo s;
    s.stix_id = e.stix_id;
    s.title = e.title;
    s.description = e.description;
    s.tlp = e.tlp;
    s.confidence = e.confidence;
    s.tags = e.tags;
    s.identity_id = identity;
    s.created = e.created_at;
    s.modified = e.updated_at;
    return s;
}

}  // namespace

class IntelStore::Checkpointer {
  public:
    explicit Checkpointer(db::Database& db) : db_(db) {}
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;
    ~Checkpointer() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
            cv_.notify_all();
        }
        if (thread_.joinable()) thread_.join();
    }

    void Request() {
        if (db_.dialect() != db::Dialect::kSqlite) return;
        std::lock_guard lock(mu_);
        pending_ = true;
        if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
        cv_.notify_all();
    }

  private:
    void Run() {
        std::unique_lock lock(mu_);
        for (;;) {
            cv_.wait(lock, [&] { return pending_ || stop_; });
            if (stop_) return;
            pending_ = false;
            lock.unlock();
            // PASSIVE: never waits for readers or writers; what it cannot copy now is copied by
            // the next checkpoint. A failure only leaves the WAL longer for a while.
            if (auto conn = db_.Acquire()) (void)(*conn)->Query("PRAGMA wal_checkpoint(PASSIVE)");
            lock.lock();
        }
    }

    db::Database& db_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool pending_ = false, stop_ = false;
    std::thread thread_;
};

std::shared_ptr<IntelStore::Checkpointer> IntelStore::NewCheckpointer(db::Database& db) {
    return std::make_shared<Checkpointer>(db);
}

Result<ImportReport> IntelStore::ImportStix(std::istream& in, const ImportOptions& options, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    // SQLite, for this connection while it imports (restored after):
    // * a bigger page cache, so that the random inserts into the value and STIX id indexes are
    //   not spilled to the WAL again and again;
    // * no automatic checkpoint at the commit: copying the WAL of a big import into the database
    //   file (seconds for a million indicators) runs on the store's background checkpointer,
    //   on another connection, once the import has committed;
    // * no per-row foreign-key lookups: every row written references the event this transaction
    //   created or loaded (BEGIN IMMEDIATE: nobody else writes meanwhile), and nothing here relies
    //   on ON DELETE CASCADE. SQLite only accepts the change outside a transaction, hence here.
    struct SqlitePragma {
        db::Connection& c;
        std::string name;
        std::optional<std::int64_t> before;
        SqlitePragma(db::Connection& conn, std::string n, std::int64_t value) : c(conn), name(std::move(n)) {
            if (c.dialect() != db::Dialect::kSqlite) return;
            auto rows = c.Query("PRAGMA " + name);
            if (!rows || rows->empty()) return;
            before = (*rows)[0].Int(0);
            if (!c.ExecuteScript("PRAGMA " + name + "=" + std::to_string(value))) before.reset();
        }
        ~SqlitePragma() {
            if (before) (void)c.ExecuteScript("PRAGMA " + name + "=" + std::to_string(*before));
        }
    };
    bool checkpoint = false;
    auto result = [&] {
        SqlitePragma cache(*conn, "cache_size", -kImportCacheKib), autocheckpoint(*conn, "wal_autocheckpoint", 0),
            foreign_keys(*conn, "foreign_keys", 0);
        checkpoint = autocheckpoint.before.has_value();
        return ImportStixIn(*conn, in, options, actor);
    }();
    // PostgreSQL: a big import changes the size of the intel tables by orders of magnitude; until
    // autovacuum analyses them (a minute or more later) the planner keeps the sizes from before
    // and pages TAXII objects by sorting the whole table (1.5 s a page instead of 5 ms). Analyse
    // them now (sampled: a fraction of a second whatever the size).
    if (result && conn->dialect() == db::Dialect::kPostgres && result->indicators + result->kept > 20000)
        (void)conn->ExecuteScript(
            "ANALYZE intel_objects; ANALYZE intel_indicators; ANALYZE intel_values; ANALYZE intel_events");
    // The checkpoint once this connection is back in the pool (the checkpointer then usually takes
    // this one rather than opening another).
    { auto release = std::move(conn); }
    if (result && checkpoint) checkpointer_->Request();
    return result;
}

Result<ImportReport> IntelStore::ImportStixIn(db::Connection& connection, std::istream& in, const ImportOptions& options,
                                              const core::Actor& actor) {
    db::Connection* conn = &connection;
    return db::InTransaction(*conn, [&]() -> Result<ImportReport> {
        ImportReport report;
        StixObjectReader reader(in);
        std::string text;
        // Read the first object before creating anything: a document that is not a bundle fails
        // whole.
        auto first = reader.Next(text);
        if (!first) return tl::unexpected(first.error());

        // Re-import: read ahead to the first object that names its source (not a marking,
        // identity or observable, which other bundles share); when this organisation imported it
        // before, the bundle updates that event (objects by STIX id + modified) instead of
        // creating a second one.
        std::deque<std::string> pending;
        std::optional<core::Error> read_error;
        bool ended = !*first;
        std::string reimport_event;
        if (options.event_uuid.empty() && !ended) {
            std::string t = std::move(text);
            for (;;) {
                pending.push_back(std::move(t));
                if (auto v = core::ParseJson(pending.back()); v && v->is_object()) {
                    const auto& o = v->as_object();
                    const std::string_view type = View(o, "type"), id = View(o, "id");
                    if (!id.empty() && type != "marking-definition" && type != "identity" && type != "bundle" &&
                        !kScoTypes.count(type)) {
                        auto rows = MUHAFIZ_TRY(conn->Query(
                            type == "report"
                                ? "SELECT e.uuid FROM intel_events e WHERE e.organisation_id = ? AND e.source_ref = ? "
                                  "ORDER BY e.id LIMIT 1"
                                : "SELECT e.uuid FROM intel_objects o JOIN intel_events e ON e.id = o.event_id WHERE "
                                  "e.organisation_id = ? AND o.stix_id = ? ORDER BY o.date_added LIMIT 1",
                            {options.organisation_id, std::string(id)}));
                        if (!rows.empty()) reimport_event = rows[0].Str(0);
                        if (type == "indicator") {
                            // Also an indicator holding its object in-row (migration 018): the
                            // event that has the id first.
                            auto in_row = MUHAFIZ_TRY(conn->Query(
                                "SELECT e.uuid, i.object_added FROM intel_indicators i JOIN intel_events e ON e.id = "
                                "i.event_id WHERE e.organisation_id = ? AND i.stix_id = ? AND i.object_added IS NOT "
                                "NULL ORDER BY i.object_added LIMIT 1",
                                {options.organisation_id, std::string(id)}));
                            if (!in_row.empty() && !rows.empty()) {
                                auto first_obj = MUHAFIZ_TRY(conn->Query(
                                    "SELECT MIN(o.date_added) FROM intel_objects o JOIN intel_events e ON e.id = "
                                    "o.event_id WHERE e.organisation_id = ? AND o.stix_id = ?",
                                    {options.organisation_id, std::string(id)}));
                                if (in_row[0].Int(1) < first_obj[0].Int(0)) reimport_event = in_row[0].Str(0);
                            } else if (!in_row.empty()) {
                                reimport_event = in_row[0].Str(0);
                            }
                        }
                        break;
                    }
                }
                if (pending.size() >= 256) break;
                auto n = reader.Next(t);
                if (!n) {
                    read_error = n.error();
                    break;
                }
                if (!*n) {
                    ended = true;
                    break;
                }
            }
        }
        const IndicatorText* scanned = nullptr;  // of `text`, by the reader (nullptr: not)
        auto next_object = [&](std::string& t) -> Result<bool> {
            scanned = nullptr;
            if (!pending.empty()) {
                t = std::move(pending.front());
                pending.pop_front();
                return true;
            }
            if (read_error) {
                core::Error err = *read_error;
                read_error.reset();
                ended = true;
                return tl::unexpected(err);
            }
            if (ended) return false;
            auto n = reader.Next(t);
            if (n && *n && &t == &text) scanned = reader.scanned();
            return n;
        };
        if (!pending.empty()) {
            auto n = next_object(text);
            first = n;
        }

        Event e;
        const bool reimport = !reimport_event.empty();
        if (!options.event_uuid.empty() || reimport) {
            e = MUHAFIZ_TRY(Load(*conn, "e.uuid = ?", {reimport ? reimport_event : options.event_uuid}));
        } else {
            EventInput ei;
            ei.title = options.title.empty() ? "Imported STIX bundle" : options.title;
            ei.tlp = options.default_tlp;
            ei.audience = options.audience;
            ei.source = options.source;
            e = MUHAFIZ_TRY(CreateIn(*conn, ei, options.organisation_id, false));
        }
        const bool appending = !options.event_uuid.empty() || reimport;
        report.reimport = reimport;
        report.event_id = e.uuid;

        ValueSet existing;  // (type, value) already in the event
        if (appending) {
            auto rows = MUHAFIZ_TRY(conn->Query("SELECT type, value FROM intel_indicators WHERE event_id = ?", {e.id}));
            for (const auto& r : rows) existing.Insert(r.Str(0), r.Str(1));
        }
        BatchWriter::Batch batch;
        RowBuffer* indicators = &batch.indicators;
        RowBuffer* objects = &batch.objects;
        std::set<std::string, std::less<>> referenced_markings;
        std::unordered_map<std::string, std::optional<access::Tlp>> defined_markings;
        struct StixSighting {
            std::string of;
            std::int64_t count;
            core::Micros first, last;
        };
        std::vector<StixSighting> sightings;  // applied once the indicators are written
        bool report_seen = false;
        std::string report_ref, report_title, report_description;
        std::vector<std::string> report_labels;
        const core::Micros now = core::NowMicros();

        // Writes one batch; runs on the writer thread (BatchWriter) while this one parses on.
        // The objects of a batch (intel_objects rows and indicators holding their object in-row)
        // hold their position in the batch as date_added; it becomes base + position here, so
        // both keep the order they had in the bundle.
        auto write = [&](std::vector<db::Params>& rows, std::vector<db::Params>& stix_rows) -> Status {
            std::int64_t dated = static_cast<std::int64_t>(stix_rows.size());
            for (const auto& r : rows)
                if (!std::holds_alternative<std::nullptr_t>(r[15])) ++dated;
            const core::Micros base = dated > 0 ? MUHAFIZ_TRY(NextDates(*conn, dated)) : 0;
            if (!rows.empty()) {
                for (auto& r : rows)
                    if (auto p = std::get_if<std::int64_t>(&r[15])) *p += base;
                MUHAFIZ_TRY(conn->BulkInsert("intel_indicators",
                                             {"uuid", "stix_id", "event_id", "type", "value", "original", "comment",
                                              "detection", "valid_from", "valid_until", "false_positive", "warning",
                                              "warning_override", "created_at", "updated_at", "object_added",
                                              "object_version_us", "object_version", "object_content"},
                                             rows));
            }
            if (!stix_rows.empty()) {
                for (auto& o : stix_rows) o[6] = base + std::get<std::int64_t>(o[6]);
                MUHAFIZ_TRY(conn->BulkInsert("intel_objects",
                                             {"event_id", "owner_org_id", "stix_id", "type", "version", "version_us",
                                              "date_added", "content", "deleted"},
                                             stix_rows));
            }
            return core::Ok();
        };
        // Large imports into a new event write on a second thread while this one parses; an
        // append (TAXII pulls) queries the connection while parsing, so it writes inline.
        BatchWriter writer(write, /*threaded=*/!appending);
        std::int64_t position = 0;  // of the next object in the batch (its date_added when written)
        auto flush = [&]() -> Status {
            batch = MUHAFIZ_TRY(writer.Push(std::move(batch)));
            position = 0;
            return core::Ok();
        };
        // A new event (not appending): a simple indicator holds its object in its own row
        // (migration 018). A 64-bit hash of the STIX id of every indicator object written: when
        // one comes twice (a second version in the same bundle, or a verbatim one besides a
        // simple one; or only a hash collision), the in-row objects of the ids the event holds
        // more than once move to intel_objects at the end, so an indicator's versions are never
        // in both tables. (A sorted list at the end: no random access per indicator.)
        std::vector<std::uint64_t> indicator_ids;
        auto problem = [&](std::size_t index, std::string id, std::string reason) {
            ++report.failed;
            if (report.problems.size() < kMaxProblems)
                report.problems.push_back(ImportProblem{index, std::move(id), std::move(reason)});
        };

        UuidSource uuids;
        // A new indicator row for object `id` unless (t, value) is in the event already (false).
        auto add_indicator_row = [&](IndicatorType t, const std::string& value, bool detection, core::Micros from,
                                     std::optional<core::Micros> until, std::string_view comment,
                                     std::string_view id, const ValueSet::Key* key = nullptr) {
            if (!existing.Insert(key ? *key : ValueSet::KeyOf(TypeName(t), value))) return false;
            db::Params& r = indicators->Next(19);
            char uuid[36];
            uuids.V7(uuid);
            Set(r[0], std::string_view(uuid, sizeof uuid));
            Set(r[1], id);
            r[2] = e.id;
            Set(r[3], TypeName(t));
            Set(r[4], value);
            Set(r[5], std::string_view());  // original: the same as value
            Set(r[6], comment);
            r[7] = db::Bool(detection);
            r[8] = from;
            r[9] = db::Opt(until);
            r[10] = std::int64_t{0};
            auto warning = lists_.Check(t, value);
            Set(r[11], warning ? std::string_view(*warning) : std::string_view());
            r[12] = std::int64_t{0};
            r[13] = now;
            r[14] = now;
            r[15] = r[16] = r[17] = r[18] = nullptr;  // no in-row object (yet)
            ++report.indicators;
            return true;
        };
        // The fast path of a new event: a simple indicator (ScanIndicatorText, LeanIndicatorInto,
        // a valid simple pattern, valid timestamps) is imported from its text as the full parse
        // below would import it (same rows, same report); anything else, and any object the full
        // parse would report as a problem, goes the full way (false, nothing done).
        IndicatorText fields;
        std::string lean_text, in_row;
        auto fast_indicator = [&]() -> bool {
            if (appending || !options.fast_path) return false;
            if (scanned) fields = *scanned;  // scanned by the reader on the way
            else if (!ScanIndicatorText(text, fields)) return false;
            const IndicatorText& f = fields;
            if (f.type != "indicator" || f.modified.empty() || f.pattern.empty()) return false;
            const std::string_view id = f.id, version = f.modified;
            if (id.size() < 11 + 2 || !id.starts_with("indicator--") || !core::IsUuid(id.substr(11))) return false;
            const auto version_us = core::ParseRfc3339(version);
            if (!version_us) return false;
            if (!f.spec_version.empty() && f.spec_version != "2.1" && f.spec_version != "2.0") return false;
            if (!f.pattern_type.empty() && f.pattern_type != "stix") return false;
            const auto from = core::ParseRfc3339(f.valid_from);
            if (!from) return false;
            std::optional<core::Micros> until;
            if (!f.valid_until.empty()) until = core::ParseRfc3339(f.valid_until);
            auto parsed = ParseStixPattern(f.pattern);
            if (!parsed || !*parsed) return false;
            const auto key = ValueSet::KeyOf(TypeName((*parsed)->type), (*parsed)->value);
            existing.Prefetch(key);
            if (!LeanIndicatorInto(f, lean_text)) return false;
            // From here on as the full path does for a new simple indicator.
            if ((f.present & kItMarking) && !referenced_markings.contains(f.marking))
                referenced_markings.emplace(f.marking);
            const std::string_view comment = !f.name.empty() ? f.name : f.description;
            const PatternIndicator& pi = **parsed;
            if (!add_indicator_row(pi.type, pi.value, true, *from, until && *until > *from ? until : std::nullopt,
                                   comment, id, &key)) {
                ++report.duplicates;
                return true;
            }
            indicator_ids.push_back(IdHash(id));
            db::Params& r = indicators->rows[indicators->used - 1];
            r[15] = position++;
            r[16] = *version_us;
            if (!IsStixTime(version, *version_us, false)) Set(r[17], version);
            InRowRecordInto(lean_text, pi.type, pi.value, comment, *from, in_row);
            Set(r[18], in_row);
            ++report.created;
            return true;
        };
        alignas(16) static thread_local unsigned char scratch[64 * 1024];
        json::parser parser;
        std::size_t index = 0;
        bool more = *first;
        while (more) {
            const std::size_t at = index++;
            ++report.objects;
            if (text.empty()) {
                problem(at, "", "the entry is not a JSON object");
            } else if (fast_indicator()) {
                // a simple indicator, imported from its text without a DOM
            } else {
                json::monotonic_resource mr(scratch, sizeof scratch);
                boost::system::error_code ec;
                // On `mr` as the parsed value is: the move below then keeps the tree where it is
                // (a value on another storage would deep-copy it onto the heap).
                json::value v(json::storage_ptr{&mr});
                parser.reset(&mr);  // one parser for the whole import: no per-object set-up
                parser.write(text, ec);
                if (!ec) v = parser.release();
                else parser.reset();  // drop the partial value while `mr` still lives
                if (ec || !v.is_object()) {
                    problem(at, "", "malformed JSON: " + (ec ? ec.message() : std::string("not an object")));
                } else {
                    const json::object& o = v.as_object();
                    const std::string_view type = View(o, "type");
                    const std::string id(View(o, "id"));
                    std::string_view version = View(o, "modified");
                    if (version.empty()) version = View(o, "created");
                    auto version_us = version.empty() ? std::optional<core::Micros>(now) : core::ParseRfc3339(version);
                    if (type.empty()) {
                        problem(at, id, "the object has no 'type'");
                    } else if (id.size() < type.size() + 2 || !id.starts_with(type) ||
                               id.compare(type.size(), 2, "--") != 0 ||
                               !core::IsUuid(std::string_view(id).substr(type.size() + 2))) {
                        problem(at, id, "the object's 'id' must be '" + std::string(type) + "--<uuid>'");
                    } else if (!version_us) {
                        problem(at, id, "'modified'/'created' is not a STIX timestamp");
                    } else if (auto sv = View(o, "spec_version"); !sv.empty() && sv != "2.1" && sv != "2.0") {
                        problem(at, id, "spec_version '" + std::string(sv) + "' is not supported");
                    } else {
                        if (auto refs = o.if_contains("object_marking_refs"); refs && refs->is_array())
                            for (const auto& r : refs->as_array())
                                if (r.is_string() && !referenced_markings.contains(std::string_view(r.as_string())))
                                    referenced_markings.emplace(r.as_string());
                        // The object against the versions already in the event (appending only):
                        // the same version is unchanged, a newer one updates, an older one is kept
                        // as an older version (as TAXII does).
                        enum class State { kNew, kSame, kNewer, kOlder } state = State::kNew;
                        if (appending) {
                            auto d = MUHAFIZ_TRY(conn->Query(
                                "SELECT COUNT(*), MAX(version_us), SUM(CASE WHEN version_us = ? THEN 1 ELSE 0 END) FROM "
                                "intel_objects WHERE stix_id = ? AND +event_id = ? AND deleted = 0",
                                {*version_us, id, e.id}));
                            std::int64_t count = d.empty() ? 0 : d[0].Int(0);
                            core::Micros latest = count > 0 ? d[0].Int(1) : 0;
                            bool same = count > 0 && d[0].Int(2) > 0;
                            bool in_row = false;
                            if (count == 0 && type == "indicator") {
                                // Its only version may be in its indicator row (migration 018).
                                auto r = MUHAFIZ_TRY(conn->Query(
                                    "SELECT object_version_us FROM intel_indicators WHERE stix_id = ? AND event_id = ? "
                                    "AND object_added IS NOT NULL",
                                    {id, e.id}));
                                for (const auto& x : r) {
                                    in_row = true;
                                    latest = count++ ? std::max(latest, x.Int(0)) : x.Int(0);
                                    same = same || x.Int(0) == *version_us;
                                }
                            }
                            if (count > 0)
                                state = same                  ? State::kSame
                                        : latest < *version_us ? State::kNewer
                                                               : State::kOlder;
                            // A second version: the in-row one moves to intel_objects first.
                            if (in_row && state != State::kSame)
                                MUHAFIZ_CHECK(MoveInRowObjects(*conn, "event_id = ? AND stix_id = ?", {e.id, id}));
                        }
                        const bool duplicate = state == State::kSame;
                        auto keep = [&](std::int64_t event_id, std::string_view content) {
                            db::Params& r = objects->Next(9);
                            r[0] = event_id;
                            r[1] = nullptr;
                            Set(r[2], id);
                            Set(r[3], type);
                            if (version.empty()) r[4] = StixTime(now);
                            else Set(r[4], version);
                            r[5] = *version_us;
                            r[6] = position++;  // date_added: base + position when written
                            Set(r[7], content);
                            r[8] = std::int64_t{0};
                            if (!appending && type == "indicator") indicator_ids.push_back(IdHash(id));
                            if (state == State::kNew) ++report.created;
                            else if (state == State::kNewer) ++report.updated;
                            else ++report.unchanged, ++report.older_versions;
                            if (appending) report.imported.emplace_back(id, std::string(version));  // for TAXII status
                        };
                        auto add_indicator = [&](IndicatorType t, const std::string& value, bool detection,
                                                 core::Micros from, std::optional<core::Micros> until,
                                                 std::string_view comment) {
                            return add_indicator_row(t, value, detection, from, until, comment, id);
                        };
                        if (duplicate) {
                            ++report.duplicates;
                            ++report.unchanged;
                            report.imported.emplace_back(id, std::string(version));
                        } else if (state == State::kOlder) {
                            keep(e.id, text);  // an older version: stored, the current one stays
                        } else if (state == State::kNewer && type == "indicator") {
                            // A newer version of an indicator of the event: a new object version and
                            // the indicator row follows it (value, validity, comment).
                            auto from = core::ParseRfc3339(View(o, "valid_from"));
                            std::optional<core::Micros> until;
                            if (auto u = View(o, "valid_until"); !u.empty()) until = core::ParseRfc3339(u);
                            auto parsed = ParseStixPattern(View(o, "pattern"));
                            if (!from) {
                                problem(at, id, "the indicator's 'valid_from' is missing or not a timestamp");
                            } else if (!parsed) {
                                problem(at, id, "pattern: " + parsed.error().message);
                            } else {
                                if (*parsed) {
                                    std::string_view comment = View(o, "name");
                                    if (comment.empty()) comment = View(o, "description");
                                    (void)existing.Insert(TypeName((*parsed)->type), (*parsed)->value);
                                    MUHAFIZ_TRY(conn->Execute(
                                        "UPDATE intel_indicators SET type = ?, value = ?, original = '', comment = ?, "
                                        "valid_from = ?, valid_until = ?, updated_at = ? WHERE event_id = ? AND stix_id = ?",
                                        {std::string(TypeName((*parsed)->type)), (*parsed)->value, std::string(comment),
                                         *from, db::Opt(until && *until > *from ? until : std::nullopt), now, e.id, id}));
                                }
                                auto lean = LeanIndicator(o);
                                keep(e.id, lean ? std::string_view(*lean) : std::string_view(text));
                            }
                        } else if (state == State::kNewer) {
                            ++report.kept;
                            keep(e.id, text);
                        } else if (type == "marking-definition") {
                            auto tlp = TlpOfMarking(o);
                            defined_markings[id] = tlp;
                            if (tlp) ++report.markings;  // ours are re-issued with the TLP 2.0 ids
                            else {
                                ++report.kept;
                                keep(e.id, text);
                            }
                        } else if (type == "indicator") {
                            const std::string_view pattern = View(o, "pattern");
                            const std::string_view ptype = View(o, "pattern_type");
                            auto from = core::ParseRfc3339(View(o, "valid_from"));
                            std::optional<core::Micros> until;
                            if (auto u = View(o, "valid_until"); !u.empty()) until = core::ParseRfc3339(u);
                            if (pattern.empty()) {
                                problem(at, id, "the indicator has no 'pattern'");
                            } else if (!from) {
                                problem(at, id, "the indicator's 'valid_from' is missing or not a timestamp");
                            } else if (!ptype.empty() && ptype != "stix") {
                                ++report.kept;  // snort, yara, sigma...: kept verbatim
                                keep(e.id, text);
                            } else {
                                auto parsed = ParseStixPattern(pattern);
                                if (!parsed) {
                                    problem(at, id, "pattern: " + parsed.error().message);
                                } else if (!*parsed) {
                                    ++report.kept;  // a valid pattern that is not one comparison
                                    keep(e.id, text);
                                } else {
                                    std::string_view comment = View(o, "name");
                                    if (comment.empty()) comment = View(o, "description");
                                    if (add_indicator((*parsed)->type, (*parsed)->value, true, *from,
                                                      until && *until > *from ? until : std::nullopt, comment)) {
                                        // A simple indicator is stored lean (rendered when served),
                                        // in a new event in its own indicator row.
                                        auto lean = LeanIndicator(o);
                                        const bool is_lean = lean && version == View(o, "modified");
                                        if (is_lean && !appending) {
                                            indicator_ids.push_back(IdHash(id));
                                            db::Params& r = indicators->rows[indicators->used - 1];
                                            r[15] = position++;
                                            r[16] = *version_us;
                                            // The text only when StixTime(version_us) would not give it back.
                                            if (!IsStixTime(version, *version_us, false)) Set(r[17], version);
                                            Set(r[18], InRowRecord(*lean, (*parsed)->type, (*parsed)->value, comment, *from));
                                            ++report.created;
                                        } else {
                                            keep(e.id, is_lean ? std::string_view(*lean) : std::string_view(text));
                                        }
                                    }
                                    else
                                        ++report.duplicates;
                                }
                            }
                        } else if (type == "report" && !report_seen && reimport) {
                            report_seen = true;  // the report the event was made of: the event itself
                            ++report.unchanged;
                        } else if (type == "report" && !report_seen && !appending) {
                            report_seen = true;
                            report_ref = id;
                            report_title = Str(o, "name");
                            report_description = Str(o, "description");
                            if (auto l = o.if_contains("labels"); l && l->is_array())
                                for (const auto& x : l->as_array())
                                    if (x.is_string()) report_labels.emplace_back(x.as_string());
                        } else if (type == "sighting") {
                            // Kept verbatim; a sighting of an indicator also counts on it.
                            const std::string of = Str(o, "sighting_of_ref");
                            std::int64_t count = 1;
                            if (auto c = o.if_contains("count"); c && c->is_int64()) count = std::max<std::int64_t>(1, c->as_int64());
                            auto first_seen = core::ParseRfc3339(Str(o, "first_seen"));
                            auto last_seen = core::ParseRfc3339(Str(o, "last_seen"));
                            if (of.starts_with("indicator--") && sightings.size() < 100000)
                                sightings.push_back({of, count, first_seen.value_or(*version_us),
                                                     last_seen.value_or(first_seen.value_or(*version_us))});
                            ++report.kept;
                            keep(e.id, text);
                        } else if (type == "bundle") {
                            problem(at, id, "a bundle inside a bundle is not allowed");
                        } else {
                            // SCOs also become (non-detection) indicators; everything is kept verbatim.
                            if (kScoTypes.count(type))
                                if (auto sv = ScoValue(type, o)) (void)add_indicator(sv->first, sv->second, false, now, std::nullopt, "");
                            ++report.kept;
                            keep(e.id, text);
                        }
                    }
                }
            }
            if (indicators->used >= kBatch || objects->used >= kBatch) MUHAFIZ_CHECK(flush());
            auto next = next_object(text);
            if (!next) {
                // The structure broke: keep what was read in full, name where it stopped.
                problem(index, "", next.error().message);
                break;
            }
            more = *next;
        }
        MUHAFIZ_CHECK(flush());
        MUHAFIZ_CHECK(writer.Finish());  // the connection is ours again from here
        std::sort(indicator_ids.begin(), indicator_ids.end());
        if (std::adjacent_find(indicator_ids.begin(), indicator_ids.end()) != indicator_ids.end()) {
            auto twice = MUHAFIZ_TRY(conn->Query(
                "SELECT stix_id FROM intel_indicators WHERE event_id = ? AND object_added IS NOT NULL GROUP BY stix_id "
                "HAVING COUNT(*) > 1 UNION SELECT DISTINCT o.stix_id FROM intel_objects o WHERE o.event_id = ? AND "
                "o.type = 'indicator' AND EXISTS (SELECT 1 FROM intel_indicators i WHERE i.stix_id = o.stix_id AND "
                "i.event_id = o.event_id AND i.object_added IS NOT NULL)",
                {e.id, e.id}));
            for (const auto& r : twice)
                MUHAFIZ_CHECK(MoveInRowObjects(*conn, "event_id = ? AND stix_id = ?", {e.id, r.Str(0)}));
        }
        std::vector<std::uint64_t>().swap(indicator_ids);
        for (const auto& sg : sightings)
            MUHAFIZ_TRY(conn->Execute(
                "INSERT INTO intel_sightings (uuid, indicator_id, organisation_id, count, first_seen, last_seen, source, "
                "created_at) SELECT ?, i.id, ?, ?, ?, ?, 'stix', ? FROM intel_indicators i WHERE i.event_id = ? AND "
                "i.stix_id = ?",
                {core::NewUuidV7(), e.organisation.id, sg.count, sg.first, sg.last, now, e.id, sg.of}));

        // The event's TLP: the strictest marking referenced; unknown markings fail closed (RED).
        std::optional<access::Tlp> strictest;
        for (const auto& ref : referenced_markings) {
            std::optional<access::Tlp> t = TlpOfMarkingId(ref);
            if (!t) {
                auto d = defined_markings.find(ref);
                if (d != defined_markings.end()) {
                    if (!d->second) continue;  // a statement or other non-TLP marking
                    t = d->second;
                } else {
                    t = access::Tlp::kRed;
                }
            }
            if (!strictest || static_cast<int>(*t) > static_cast<int>(*strictest)) strictest = t;
        }
        access::Tlp tlp = appending ? e.tlp : strictest.value_or(options.default_tlp);
        if (appending && strictest && static_cast<int>(*strictest) > static_cast<int>(tlp)) tlp = *strictest;
        if (strictest && !appending && static_cast<int>(options.default_tlp) > static_cast<int>(tlp))
            tlp = options.default_tlp;  // never looser than what the importer asked for
        const access::Tlp report_tlp_before = e.tlp;
        e.tlp = tlp;
        report.tlp = tlp;
        if (report_seen && options.title.empty()) {
            if (!report_title.empty()) e.title = report_title;
            if (!report_description.empty()) e.description = report_description;
            for (const auto& l : report_labels)
                if (std::find(e.tags.begin(), e.tags.end(), l) == e.tags.end()) e.tags.push_back(l);
        }
        // Nothing new for an event appended to (a re-import of the same bundle, a pull with no new
        // object): the event and its report stay as they are.
        const bool changed = !appending || report.created > 0 || report.updated > 0 || tlp != report_tlp_before;
        if (!changed) {
            MUHAFIZ_CHECK(audit_.Append(*conn, db::AuditRecord{actor, "intel.import", "intel_event", e.uuid, "",
                                                               core::ToJson(ToJson(report))}));
            return report;
        }
        e.indicator_count += static_cast<std::int64_t>(report.indicators);
        e.updated_at = std::max(core::NowMicros(), e.updated_at + 1000);
        e.version += appending ? 1 : 0;
        json::array tags;
        for (const auto& t : e.tags) tags.push_back(json::value(t));
        MUHAFIZ_TRY(conn->Execute(
            "UPDATE intel_events SET title = ?, description = ?, tlp = ?, tags = ?, indicator_count = ?, version = ?, "
            "updated_at = ? WHERE id = ?",
            {e.title, e.description, std::string(access::TlpName(e.tlp)), core::ToJson(tags), e.indicator_count,
             e.version, e.updated_at, e.id}));
        if (!appending && !report_ref.empty())
            MUHAFIZ_TRY(conn->Execute("UPDATE intel_events SET source_ref = ? WHERE id = ?", {report_ref, e.id}));
        for (const auto& t : e.tags)
            MUHAFIZ_TRY(conn->Execute("INSERT INTO intel_event_tags (event_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                      {e.id, t}));
        if (options.count_values) {
            if (report.indicators > 20000) {
                MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_values"));
                MUHAFIZ_TRY(conn->Execute(
                    "INSERT INTO intel_values (type, value, events) SELECT type, value, COUNT(DISTINCT event_id) FROM "
                    "intel_indicators GROUP BY type, value"));
            } else if (report.indicators > 0 || report.updated > 0) {
                MUHAFIZ_CHECK(RecountValues(*conn, e.id));
            }
        }
        MUHAFIZ_CHECK(WriteEventObjects(*conn, e, false));
        MUHAFIZ_CHECK(audit_.Append(*conn, db::AuditRecord{actor, "intel.import", "intel_event", e.uuid, "",
                                                           core::ToJson(ToJson(report))}));
        return report;
    });
}

Status MoveInRowObjects(db::Connection& conn, std::string_view where, const db::Params& params) {
    const std::string cond = "object_added IS NOT NULL AND (" + std::string(where) + ")";
    for (std::int64_t after = 0;;) {
        db::Params page = params;
        page.emplace_back(after);
        auto rows = MUHAFIZ_TRY(conn.Query(
            "SELECT id, event_id, stix_id, object_version, object_version_us, object_added, object_content, type, value, "
            "comment, valid_from FROM intel_indicators WHERE " + cond + " AND id > ? ORDER BY id LIMIT 2000",
            page));
        if (rows.empty()) return core::Ok();
        std::vector<db::Params> batch;
        batch.reserve(rows.size());
        for (const auto& r : rows)
            batch.push_back({r.Int(1), nullptr, r.Str(2), std::string("indicator"), InRowVersion(r, 3, 4), r.Int(4),
                             r.Int(5), ExpandInRow(r.Str(6), r.Str(7), r.Str(8), r.Str(9), r.Int(10)), std::int64_t{0}});
        MUHAFIZ_TRY(conn.BulkInsert("intel_objects",
                                    {"event_id", "owner_org_id", "stix_id", "type", "version", "version_us",
                                     "date_added", "content", "deleted"},
                                    batch));
        db::Params p = params;
        p.emplace_back(rows.rows.front().Int(0));
        p.emplace_back(rows.rows.back().Int(0));
        MUHAFIZ_TRY(conn.Execute(
            "UPDATE intel_indicators SET object_added = NULL, object_version_us = NULL, object_version = NULL, "
            "object_content = NULL WHERE " + cond + " AND id >= ? AND id <= ?",
            p));
        if (rows.size() < 2000) return core::Ok();
        after = rows.rows.back().Int(0);
    }
}

Result<std::optional<IntelStore::ImportedEvent>> IntelStore::FindImported(std::int64_t organisation_id,
                                                                          const std::string& source_ref) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT uuid, source_version FROM intel_events WHERE organisation_id = ? AND source_ref = ? ORDER BY id LIMIT 1",
        {organisation_id, source_ref}));
    if (rows.empty()) return std::optional<ImportedEvent>();
    return std::optional<ImportedEvent>(ImportedEvent{rows[0].Str(0), rows[0].Int(1)});
}

Status IntelStore::MarkImported(const std::string& event_uuid, const std::string& source_ref, std::int64_t version) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_TRY(conn->Execute("UPDATE intel_events SET source_ref = ?, source_version = ? WHERE uuid = ?",
                              {source_ref, version, event_uuid}));
    return core::Ok();
}

namespace {

// The ids of the objects of an event added before `before` (a report version's date_added), each
// once, in the order they were first added: the object_refs of a lean report.
Result<std::vector<std::string>> EventRefs(db::Connection& conn, std::int64_t event_id, core::Micros before) {
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT stix_id, date_added FROM intel_objects WHERE event_id = ? AND type <> 'report' AND deleted = 0 AND "
        "date_added < ? ORDER BY date_added",
        {event_id, before}));
    // The indicators holding their object in-row (migration 018), in id order (= date_added order:
    // both are handed out in insertion order), merged with the rows above by date_added.
    auto in_row = MUHAFIZ_TRY(conn.Query(
        "SELECT stix_id, object_added FROM intel_indicators WHERE event_id = ? AND object_added IS NOT NULL AND "
        "object_added < ? ORDER BY id",
        {event_id, before}));
    std::vector<std::string> out;
    out.reserve(rows.size() + in_row.size());
    std::unordered_set<std::string_view> seen;
    seen.reserve(rows.size() + in_row.size());
    auto add = [&](const db::Row& r) {
        const auto* id = std::get_if<std::string>(&r.cells[0]);
        if (id && seen.insert(*id).second) out.push_back(*id);
    };
    std::size_t a = 0, b = 0;
    while (a < rows.size() || b < in_row.size()) {
        if (b == in_row.size() || (a < rows.size() && rows[a].Int(1) < in_row[b].Int(1))) add(rows[a++]);
        else add(in_row[b++]);
    }
    return out;
}

// The JSON text of a stored object as served: lean records rendered (a lean report with the
// refs of its event as of its date_added), verbatim content as is.
Status RenderStored(db::Connection& conn, std::int64_t event_id, core::Micros date_added, const std::string& stix_id,
                    const std::string& version, std::string& content) {
    if (!IsLean(content)) return core::Ok();
    if (IsLeanReport(content)) {
        auto refs = MUHAFIZ_TRY(EventRefs(conn, event_id, date_added));
        std::size_t k = 0;
        std::string out;
        RenderLeanReport(content, [&](std::string& id) {
            if (k == refs.size()) return false;
            id = std::move(refs[k++]);
            return true;
        }, out);
        content = std::move(out);
    } else {
        content = RenderLeanIndicator(stix_id, version, content);
    }
    return core::Ok();
}

}  // namespace

Status IntelStore::WriteStixObjects(db::Connection& conn, const Event& e, std::ostream& out, bool& first,
                                    std::set<std::string>* shared) {
    auto emit = [&](std::string_view text) {
        out << (first ? "" : ",") << text << "\n";
        first = false;
    };
    const std::string marking(TlpMarkingId(e.tlp));
    const std::string identity = IdentityIdOf(e.organisation.uuid);
    if (!shared || shared->insert(marking).second) emit(core::ToJson(TlpMarkingObject(e.tlp)));
    if (!shared || shared->insert(identity).second)
        emit(core::ToJson(IdentityObject(identity, e.organisation.name, "organization", e.created_at)));
    // The latest version of every object of the event, a page at a time (bounded memory); the
    // report last, with every exported object in its object_refs.
    std::vector<std::string> refs;
    core::Micros after = -1;
    std::string content;
    for (;;) {
        auto rows = MUHAFIZ_TRY(conn.Query(
            "SELECT o.stix_id, o.version, o.date_added, o.content FROM intel_objects o WHERE o.event_id = ? AND "
            "o.deleted = 0 AND o.type <> 'report' AND o.date_added > ? AND NOT EXISTS (SELECT 1 FROM intel_objects x "
            "WHERE x.stix_id = o.stix_id AND +x.event_id = o.event_id AND x.deleted = 0 AND (x.version_us > o.version_us "
            "OR (x.version_us = o.version_us AND x.date_added > o.date_added))) ORDER BY o.date_added "
            "LIMIT 2000",
            {e.id, after}));
        for (auto& r : rows.rows) {
            std::string id = r.Str(0);
            content = r.Str(3);
            if (IsLeanReport(content)) continue;
            MUHAFIZ_CHECK(RenderStored(conn, e.id, r.Int(2), id, r.Str(1), content));
            emit(content);
            refs.push_back(std::move(id));
        }
        if (rows.size() < 2000) break;
        after = rows.rows.back().Int(2);
    }
    // Indicators holding their only version in-row (migration 018).
    for (std::int64_t after_id = 0;;) {
        auto rows = MUHAFIZ_TRY(conn.Query(
            "SELECT id, stix_id, object_version, object_version_us, object_content, type, value, comment, valid_from FROM "
            "intel_indicators WHERE "
            "event_id = ? AND object_added IS NOT NULL AND id > ? ORDER BY id LIMIT 2000",
            {e.id, after_id}));
        for (auto& r : rows.rows) {
            std::string id = r.Str(1);
            emit(RenderLeanIndicator(id, InRowVersion(r, 2, 3), ExpandInRow(r.Str(4), r.Str(5), r.Str(6), r.Str(7), r.Int(8))));
            refs.push_back(std::move(id));
        }
        if (rows.size() < 2000) break;
        after_id = rows.rows.back().Int(0);
    }
    if (refs.empty()) refs.push_back(identity);
    std::string report;
    std::size_t k = 0;
    RenderLeanReport(LeanReport(ReportObject(EventInfo(e, identity), {identity})), [&](std::string& id) {
        if (k == refs.size()) return false;
        id = std::move(refs[k++]);
        return true;
    }, report);
    emit(report);
    return core::Ok();
}

Status IntelStore::ExportStixTo(const std::string& uuid, const access::IntelViewer& viewer, std::ostream& out) {
    Event e = MUHAFIZ_TRY(Get(uuid, viewer));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    out << "{\"type\":\"bundle\",\"id\":\"bundle--" << core::NewUuidV4() << "\",\"objects\":[";
    bool first = true;
    MUHAFIZ_CHECK(WriteStixObjects(*conn, e, out, first, nullptr));
    out << "]}\n";
    return core::Ok();
}

Result<json::object> IntelStore::ExportStix(const std::string& uuid, const access::IntelViewer& viewer) {
    std::ostringstream out;
    MUHAFIZ_CHECK(ExportStixTo(uuid, viewer, out));
    auto v = MUHAFIZ_TRY(core::ParseJson(out.str()));
    if (!v.is_object()) return core::Fail(ErrorCode::kInternal, "the exported bundle is not an object");
    return std::move(v.as_object());
}

Status IntelStore::ExportStixAll(std::ostream& out, const access::IntelViewer& viewer, std::optional<core::Micros> since) {
    out << "{\"type\":\"bundle\",\"id\":\"bundle--" << core::NewUuidV4() << "\",\"objects\":[";
    bool first = true;
    std::set<std::string> shared;
    EventFilter f;
    f.limit = 200;
    f.since = since;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    for (;;) {
        auto page = MUHAFIZ_TRY(ListEvents(f, viewer));
        for (const auto& e : page.items) MUHAFIZ_CHECK(WriteStixObjects(*conn, e, out, first, &shared));
        if (!page.next) break;
        f.cursor = *page.next;
    }
    out << "]}\n";
    return core::Ok();
}

Result<std::string> IntelStore::ExportCsv(const IndicatorFilter& filter, const access::IntelViewer& viewer) {
    std::string out;
    core::AppendCsvRecord(out, {"event_id", "event_title", "tlp", "type", "value", "comment", "detection", "active",
                                "false_positive", "warning_list", "valid_from", "valid_until", "sightings", "created_at"});
    IndicatorFilter f = filter;
    f.limit = 500;
    const core::Micros now = core::NowMicros();
    std::size_t rows = 0;
    for (;;) {
        auto page = MUHAFIZ_TRY(ListIndicators(f, viewer));
        for (const auto& i : page.items) {
            core::AppendCsvRecord(out, {i.event_uuid, i.event_title, std::string(access::TlpName(i.tlp)),
                                        std::string(TypeName(i.type)), i.value, i.comment, i.detection ? "1" : "0",
                                        i.Active(now) ? "1" : "0", i.false_positive ? "1" : "0", i.warning,
                                        core::FormatRfc3339(i.valid_from),
                                        i.valid_until ? core::FormatRfc3339(*i.valid_until) : "",
                                        std::to_string(i.sightings), core::FormatRfc3339(i.created_at)});
            if (++rows >= 1000000) return out;
        }
        if (!page.next) break;
        f.cursor = *page.next;
    }
    return out;
}

std::string InRowPageSql(std::string_view where) {
    return "SELECT i.stix_id, i.object_version, i.object_version_us, i.object_added, i.object_content, i.event_id, "
           "i.type, i.value, i.comment, i.valid_from FROM intel_indicators i CROSS JOIN intel_events e" +
           std::string(where) + " ORDER BY i.object_added LIMIT ?";
}

Result<std::vector<StoredObject>> IntelStore::QueryObjects(const ObjectQuery& q, const access::IntelViewer& viewer,
                                                           bool* more) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto scope = policy_.EventScope(viewer, "e");
    auto scope2 = policy_.EventScope(viewer, "e2");
    std::string coll, coll2;
    db::Params coll_params;
    if (q.audience) {
        coll = "e.audience = ?";
        coll2 = "e2.audience = ?";
        coll_params.emplace_back(std::string(access::AudienceName(*q.audience)));
    } else {
        coll = "e.tlp = 'TLP:CLEAR'";
        coll2 = "e2.tlp = 'TLP:CLEAR'";
    }
    db::Where w;
    w.And("o.deleted = 0");
    db::Params vis = scope.params;
    vis.insert(vis.end(), coll_params.begin(), coll_params.end());
    vis.insert(vis.end(), scope2.params.begin(), scope2.params.end());
    vis.insert(vis.end(), coll_params.begin(), coll_params.end());
    w.And("((o.event_id IS NOT NULL AND " + scope.sql + " AND " + coll +
              ") OR (o.event_id IS NULL AND o.owner_org_id IS NULL) OR (o.event_id IS NULL AND o.owner_org_id IS NOT "
              "NULL AND EXISTS (SELECT 1 FROM intel_events e2 WHERE e2.organisation_id = o.owner_org_id AND " +
              scope2.sql + " AND " + coll2 + ")))",
          vis);
    if (q.added_after) w.And("o.date_added > ?", {*q.added_after});
    if (q.after_row) w.And("o.date_added > ?", {q.after_row});
    auto in_list = [&](const std::string& col, const std::vector<std::string>& values) {
        std::string sql = col + " IN (";
        db::Params p;
        for (std::size_t k = 0; k < values.size(); ++k) {
            sql += k ? ",?" : "?";
            p.emplace_back(values[k]);
        }
        w.And(sql + ")", p);
    };
    if (!q.ids.empty()) in_list("o.stix_id", q.ids);
    if (!q.types.empty()) in_list("o.type", q.types);
    // Versions: last (default), first, all, or exact `modified` instants; first/last/exact are ORed.
    if (q.version_mode != "all") {
        std::vector<std::string> parts;
        db::Params p;
        const std::string same = "x.stix_id = o.stix_id AND COALESCE(x.event_id, 0) = COALESCE(o.event_id, 0) AND x.deleted = 0";
        if (q.version_mode.find("last") != std::string::npos)
            parts.push_back("o.version_us = (SELECT MAX(x.version_us) FROM intel_objects x WHERE " + same + ")");
        if (q.version_mode.find("first") != std::string::npos)
            parts.push_back("o.version_us = (SELECT MIN(x.version_us) FROM intel_objects x WHERE " + same + ")");
        for (auto v : q.versions) {
            parts.push_back("o.version_us = ?");
            p.emplace_back(v);
        }
        if (parts.empty()) parts.push_back("1=0");
        std::string sql;
        for (const auto& s : parts) sql += (sql.empty() ? "" : " OR ") + s;
        w.And("(" + sql + ")", p);
    }
    // The indicators holding their only version in-row (migration 018): the same visibility and
    // collection, the same filters; "first" and "last" are that version.
    // The indicators drive the join in date_added order (CROSS JOIN fixes SQLite's join order):
    // a collection's events found first by their audience index would mean sorting all their
    // indicators for every page (a 100k-indicator partners page took 24 ms of CPU instead of 2),
    // as the LEFT JOIN of the intel_objects stream already rules out.
    db::Where wi;
    bool in_row = q.types.empty() || std::find(q.types.begin(), q.types.end(), "indicator") != q.types.end();
    wi.And("e.id = i.event_id AND i.object_added IS NOT NULL");
    {
        db::Params p = scope.params;
        p.insert(p.end(), coll_params.begin(), coll_params.end());
        wi.And(scope.sql + " AND " + coll, p);
    }
    if (q.added_after) wi.And("i.object_added > ?", {*q.added_after});
    if (q.after_row) wi.And("i.object_added > ?", {q.after_row});
    if (!q.ids.empty()) {
        std::string sql = "i.stix_id IN (";
        db::Params p;
        for (std::size_t k = 0; k < q.ids.size(); ++k) {
            sql += k ? ",?" : "?";
            p.emplace_back(q.ids[k]);
        }
        wi.And(sql + ")", p);
    }
    if (q.version_mode != "all" && q.version_mode.find("last") == std::string::npos &&
        q.version_mode.find("first") == std::string::npos) {
        if (q.versions.empty()) in_row = false;
        std::string sql = "i.object_version_us IN (";
        db::Params p;
        for (std::size_t k = 0; k < q.versions.size(); ++k) {
            sql += k ? ",?" : "?";
            p.emplace_back(q.versions[k]);
        }
        if (!q.versions.empty()) wi.And(sql + ")", p);
    }
    // Two streams in date_added order, each read by its own date_added index up to the limit, and
    // merged here (a UNION ALL is planned as a sort of everything by PostgreSQL).
    db::Params params = w.params;
    params.emplace_back(std::int64_t{q.limit + 1});
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT o.stix_id, o.type, o.version, o.version_us, o.date_added, o.content, o.event_id FROM intel_objects o "
        "LEFT JOIN intel_events e ON e.id = o.event_id" + w.sql + " ORDER BY o.date_added LIMIT ?",
        params));
    db::Rows in_rows;
    if (in_row) {
        db::Params p = wi.params;
        p.emplace_back(std::int64_t{q.limit + 1});
        in_rows = MUHAFIZ_TRY(conn->Query(InRowPageSql(wi.sql), p));
    }
    std::vector<StoredObject> out;
    *more = false;
    for (std::size_t a = 0, b = 0; a < rows.size() || b < in_rows.size();) {
        if (static_cast<int>(out.size()) == q.limit) {
            *more = true;
            break;
        }
        if (b == in_rows.size() || (a < rows.size() && rows[a].Int(4) < in_rows[b].Int(3))) {
            const auto& r = rows[a++];
            out.push_back(StoredObject{r.Str(0), r.Str(1), r.Str(2), r.Int(3), r.Int(4), r.Str(5)});
            MUHAFIZ_CHECK(RenderStored(*conn, r.Int(6), r.Int(4), out.back().stix_id, out.back().version, out.back().content));
        } else {
            const auto& r = in_rows[b++];
            StoredObject o{r.Str(0), "indicator", InRowVersion(r, 1, 2), r.Int(2), r.Int(3), {}};
            o.content = RenderLeanIndicator(o.stix_id, o.version, ExpandInRow(r.Str(4), r.Str(6), r.Str(7), r.Str(8), r.Int(9)));
            out.push_back(std::move(o));
        }
    }
    return out;
}

}  // namespace muhafiz::intel
