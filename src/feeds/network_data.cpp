#include "feeds/network_data.hpp"

#include <maxminddb.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <zlib.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace muhafiz::feeds {
namespace {

std::vector<std::string_view> SplitView(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const auto p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
        if (p == std::string_view::npos) break;
        start = p + 1;
    }
    return out;
}

bool ToU64(std::string_view s, std::uint64_t& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

core::Status BadLine(std::string_view name, std::size_t line, const std::string& why) {
    return core::Invalid("network_data", std::string(name) + ":" + std::to_string(line) + ": " + why);
}

template <typename F>
void Lines(std::string_view text, F&& f) {
    std::size_t pos = 0, n = 0;
    while (pos < text.size()) {
        auto eol = text.find('\n', pos);
        std::string_view l = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        ++n;
        if (!f(l, n)) return;
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
    }
}

std::string MmdbString(MMDB_entry_s* entry, const char* const* path) {
    MMDB_entry_data_s data;
    if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS || !data.has_data) return {};
    if (data.type != MMDB_DATA_TYPE_UTF8_STRING) return {};
    return std::string(data.utf8_string, data.data_size);
}

}  // namespace

core::Result<std::string> ReadMaybeGzip(const std::string& path) {
    if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
        gzFile f = gzopen(path.c_str(), "rb");
        if (!f) return core::Invalid("network_data", "cannot open " + path);
        std::string out;
        char buf[1 << 16];
        int n;
        while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
        const bool bad = n < 0;
        gzclose(f);
        if (bad) return core::Invalid("network_data", path + ": broken gzip data");
        return out;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return core::Invalid("network_data", "cannot open " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<core::Prefix> RangeToCidrs(std::uint32_t start, std::uint64_t count) {
    std::vector<core::Prefix> out;
    std::uint64_t cur = start;
    const std::uint64_t end = std::uint64_t{start} + count;
    while (cur < end && cur <= 0xffffffffULL) {
        int len = 32;
        // the largest aligned block starting at cur that fits
        while (len > 0) {
            const std::uint64_t size = std::uint64_t{1} << (32 - (len - 1));
            if (cur % size != 0 || cur + size > end) break;
            --len;
        }
        out.push_back(core::Prefix{core::IpAddress::FromV4(static_cast<std::uint32_t>(cur)), len});
        cur += std::uint64_t{1} << (32 - len);
    }
    return out;
}

// ---- MMDB ------------------------------------------------------------------------------------

core::Result<std::unique_ptr<MmdbFile>> MmdbFile::Open(const std::string& path) {
    auto* db = new MMDB_s;
    const int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, db);
    if (rc != MMDB_SUCCESS) {
        delete db;
        return core::Invalid("network_data", path + ": " + MMDB_strerror(rc));
    }
    std::unique_ptr<MmdbFile> f(new MmdbFile());
    f->mmdb_ = db;
    f->type_ = db->metadata.database_type ? db->metadata.database_type : "";
    f->epoch_ = db->metadata.build_epoch;
    f->nodes_ = db->metadata.node_count;
    return f;
}

MmdbFile::~MmdbFile() {
    if (mmdb_) {
        MMDB_close(static_cast<MMDB_s*>(mmdb_));
        delete static_cast<MMDB_s*>(mmdb_);
    }
}

std::optional<GeoMatch> MmdbFile::Lookup(const core::IpAddress& ip) const {
    auto* db = static_cast<MMDB_s*>(mmdb_);
    sockaddr_storage ss{};
    if (ip.v6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        std::memcpy(&s6->sin6_addr, ip.bytes.data(), 16);
    } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        std::memcpy(&s4->sin_addr, ip.bytes.data(), 4);
    }
    int err = 0;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(db, reinterpret_cast<sockaddr*>(&ss), &err);
    if (err != MMDB_SUCCESS || !r.found_entry) return std::nullopt;
    GeoMatch g;
    g.prefix_len = r.netmask;
    if (!ip.v6 && db->metadata.ip_version == 6) g.prefix_len -= 96;
    static const char* const kCc[] = {"country", "iso_code", nullptr};
    static const char* const kRegCc[] = {"registered_country", "iso_code", nullptr};
    static const char* const kCountry[] = {"country", "names", "en", nullptr};
    static const char* const kCity[] = {"city", "names", "en", nullptr};
    static const char* const kRegion[] = {"subdivisions", "0", "names", "en", nullptr};
    static const char* const kOrg[] = {"autonomous_system_organization", nullptr};
    g.cc = MmdbString(&r.entry, kCc);
    if (g.cc.empty()) g.cc = MmdbString(&r.entry, kRegCc);
    g.country = MmdbString(&r.entry, kCountry);
    g.city = MmdbString(&r.entry, kCity);
    g.region = MmdbString(&r.entry, kRegion);
    g.as_name = MmdbString(&r.entry, kOrg);
    MMDB_entry_data_s data;
    static const char* const kAsn[] = {"autonomous_system_number", nullptr};
    if (MMDB_aget_value(&r.entry, &data, kAsn) == MMDB_SUCCESS && data.has_data) {
        if (data.type == MMDB_DATA_TYPE_UINT32) g.asn = data.uint32;
        else if (data.type == MMDB_DATA_TYPE_UINT16) g.asn = data.uint16;
    }
    static const char* const kLat[] = {"location", "latitude", nullptr};
    static const char* const kLon[] = {"location", "longitude", nullptr};
    if (MMDB_aget_value(&r.entry, &data, kLat) == MMDB_SUCCESS && data.has_data && data.type == MMDB_DATA_TYPE_DOUBLE)
        g.latitude = data.double_value;
    if (MMDB_aget_value(&r.entry, &data, kLon) == MMDB_SUCCESS && data.has_data && data.type == MMDB_DATA_TYPE_DOUBLE)
        g.longitude = data.double_value;
    return g;
}

// ---- NetworkData ---------------------------------------------------------------------------

NetworkData::NetworkData() = default;
NetworkData::~NetworkData() = default;

core::Status NetworkData::LoadPfx2As(const std::string& path) {
    auto text = ReadMaybeGzip(path);
    if (!text) return tl::unexpected(text.error());
    return LoadPfx2AsText(*text, path);
}

core::Status NetworkData::LoadPfx2AsText(std::string_view text, std::string_view name) {
    const std::size_t before = pfx_origins_.size();
    core::Status status;
    Lines(text, [&](std::string_view l, std::size_t n) {
        if (l.empty() || l[0] == '#') return true;
        const auto parts = SplitView(l, '\t');
        if (parts.size() != 3) {
            status = BadLine(name, n, "expected address<TAB>length<TAB>origin");
            return false;
        }
        auto ip = core::ParseIp(parts[0]);
        std::uint64_t len;
        if (!ip || !ToU64(parts[1], len) || len > (ip->v6 ? 128u : 32u)) {
            status = BadLine(name, n, "bad prefix '" + std::string(parts[0]) + "/" + std::string(parts[1]) + "'");
            return false;
        }
        std::uint64_t first;
        std::string_view head = parts[2].substr(0, parts[2].find_first_of("_,"));
        if (!ToU64(head, first) || first == 0 || first > 0xffffffffULL) {
            status = BadLine(name, n, "bad origin '" + std::string(parts[2]) + "'");
            return false;
        }
        pfx_origins_.emplace_back(parts[2]);
        pfx_entries_.prefixes.emplace_back(core::MaskPrefix(*ip, static_cast<int>(len)),
                                           static_cast<std::int64_t>(pfx_origins_.size()));
        return true;
    });
    if (status) files_.push_back({std::string(name), "pfx2as", static_cast<std::int64_t>(pfx_origins_.size() - before), ""});
    return status;
}

core::Status NetworkData::LoadDelegated(const std::string& path) {
    auto text = ReadMaybeGzip(path);
    if (!text) return tl::unexpected(text.error());
    return LoadDelegatedText(*text, path);
}

core::Status NetworkData::LoadDelegatedText(std::string_view text, std::string_view name) {
    core::Status status;
    bool header = false;
    std::uint64_t expected = 0, records = 0;
    Lines(text, [&](std::string_view l, std::size_t n) {
        if (l.empty() || l[0] == '#') return true;
        const auto f = SplitView(l, '|');
        if (!header) {
            if (f.size() < 7) {
                status = BadLine(name, n, "the version line is missing");
                return false;
            }
            header = true;
            if (!ToU64(f[3], expected)) expected = 0;
            return true;
        }
        if (f.size() >= 6 && f[1] == "*" && f[5] == "summary") return true;
        if (f.size() < 7) {
            status = BadLine(name, n, "a record needs at least 7 fields");
            return false;
        }
        ++records;
        if (f[2] == "asn") return true;
        Delegation d;
        std::string reg(f[0]);
        for (char& c : reg) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (reg == "RIPENCC") reg = "RIPE";
        d.registry = reg;
        d.cc = (f[1] == "ZZ") ? "" : std::string(f[1]);
        if (f[5].size() == 8 && f[5] != "00000000")
            d.date = std::string(f[5].substr(0, 4)) + "-" + std::string(f[5].substr(4, 2)) + "-" +
                     std::string(f[5].substr(6, 2));
        d.status = std::string(f[6]);
        if (f.size() > 7) d.opaque_id = std::string(f[7]);
        auto ip = core::ParseIp(f[3]);
        std::uint64_t value;
        if (!ip || !ToU64(f[4], value)) {
            status = BadLine(name, n, "bad start or value");
            return false;
        }
        delegations_.push_back(std::move(d));
        const auto id = static_cast<std::int64_t>(delegations_.size());
        if (f[2] == "ipv4") {
            for (const auto& p : RangeToCidrs(ip->V4(), value)) deleg_entries_.prefixes.emplace_back(p, id);
        } else if (f[2] == "ipv6") {
            if (value > 128) {
                status = BadLine(name, n, "bad IPv6 prefix length");
                return false;
            }
            deleg_entries_.prefixes.emplace_back(core::MaskPrefix(*ip, static_cast<int>(value)), id);
        }
        return true;
    });
    if (!status) return status;
    if (!header) return core::Invalid("network_data", std::string(name) + ": not a delegated file (no version line)");
    if (expected && records != expected)
        return core::Invalid("network_data", std::string(name) + ": the header announces " + std::to_string(expected) +
                                                 " records but " + std::to_string(records) +
                                                 " were read (truncated download?)");
    files_.push_back({std::string(name), "delegated", static_cast<std::int64_t>(records), ""});
    return core::Ok();
}

core::Status NetworkData::LoadMmdb(const std::string& path) {
    auto f = MmdbFile::Open(path);
    if (!f) return tl::unexpected(f.error());
    std::string detail = (*f)->database_type();
    if ((*f)->build_epoch())
        detail += (detail.empty() ? "" : ", ") + std::string("built ") +
                  core::FormatRfc3339(static_cast<core::Micros>((*f)->build_epoch()) * 1000000);
    files_.push_back({path, "mmdb", static_cast<std::int64_t>((*f)->node_count()), std::move(detail)});
    mmdbs_.push_back(std::move(*f));
    return core::Ok();
}

core::Status NetworkData::LoadAsNames(const std::string& path) {
    auto text = ReadMaybeGzip(path);
    if (!text) return tl::unexpected(text.error());
    core::Status status;
    std::int64_t names = 0;
    Lines(*text, [&](std::string_view l, std::size_t n) {
        if (l.empty() || l[0] == '#') return true;
        const auto sp = l.find_first_of(" \t|,");
        std::string_view a = l.substr(0, sp);
        if (a.size() > 2 && (a[0] == 'A' || a[0] == 'a')) a.remove_prefix(2);
        std::uint64_t asn;
        if (sp == std::string_view::npos || !ToU64(a, asn)) {
            status = BadLine(path, n, "expected 'ASN NAME'");
            return false;
        }
        std::string_view rest = l.substr(sp + 1);
        while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t' || rest[0] == '|' || rest[0] == ',')) rest.remove_prefix(1);
        as_names_[static_cast<std::uint32_t>(asn)] = std::string(rest);
        ++names;
        return true;
    });
    if (status) files_.push_back({path, "as_names", names, ""});
    return status;
}

void NetworkData::Finish() {
    if (!pfx_entries_.prefixes.empty()) pfx_index_ = constituency::OwnerIndex::Build(std::move(pfx_entries_));
    if (!deleg_entries_.prefixes.empty()) deleg_index_ = constituency::OwnerIndex::Build(std::move(deleg_entries_));
    pfx_entries_ = {};
    deleg_entries_ = {};
}

std::optional<AsMatch> NetworkData::LookupAs(const core::IpAddress& ip) const {
    if (!pfx_index_) return std::nullopt;
    auto m = pfx_index_->Lookup(ip);
    if (!m) return std::nullopt;
    AsMatch a;
    a.prefix = m->prefix;
    a.origin = pfx_origins_[static_cast<std::size_t>(m->organisation_id - 1)];
    for (auto moas : SplitView(a.origin, '_'))
        for (auto part : SplitView(moas, ',')) {
            std::uint64_t x;
            if (ToU64(part, x)) a.all_asns.push_back(static_cast<std::uint32_t>(x));
        }
    if (!a.all_asns.empty()) a.asn = a.all_asns.front();
    return a;
}

std::optional<Delegation> NetworkData::LookupDelegation(const core::IpAddress& ip) const {
    if (!deleg_index_) return std::nullopt;
    auto m = deleg_index_->Lookup(ip);
    if (!m) return std::nullopt;
    return delegations_[static_cast<std::size_t>(m->organisation_id - 1)];
}

std::optional<GeoMatch> NetworkData::LookupGeo(const core::IpAddress& ip) const {
    std::optional<GeoMatch> out;
    for (const auto& db : mmdbs_) {
        auto g = db->Lookup(ip);
        if (!g) continue;
        if (!out) {
            out = std::move(g);
            continue;
        }
        if (out->cc.empty()) out->cc = g->cc, out->country = g->country;
        if (out->city.empty()) out->city = g->city;
        if (out->region.empty()) out->region = g->region;
        if (!out->latitude) out->latitude = g->latitude, out->longitude = g->longitude;
        if (!out->asn) out->asn = g->asn;
        if (out->as_name.empty()) out->as_name = g->as_name;
    }
    return out;
}

std::string NetworkData::AsName(std::uint32_t asn) const {
    auto it = as_names_.find(asn);
    return it == as_names_.end() ? std::string() : it->second;
}

// ---- NetworkDataSet ------------------------------------------------------------------------

NetworkDataSet::NetworkDataSet(NetworkFiles files) : files_(std::move(files)), current_(std::make_shared<NetworkData>()) {
    auto add = [&](const std::string& path, const char* kind) {
        Entry e;
        e.path = path;
        e.kind = kind;
        entries_.push_back(std::move(e));
    };
    for (const auto& p : files_.pfx2as) add(p, "pfx2as");
    for (const auto& p : files_.delegated) add(p, "delegated");
    for (const auto& p : files_.mmdb) add(p, "mmdb");
    if (!files_.as_names.empty()) add(files_.as_names, "as_names");
}

NetworkDataSet::~NetworkDataSet() { Stop(); }

NetworkDataSet::Stamp NetworkDataSet::StampOf(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    return Stamp{static_cast<std::int64_t>(st.st_size),
                 static_cast<core::Micros>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000,
                 static_cast<std::uint64_t>(st.st_ino)};
}

std::shared_ptr<const NetworkData> NetworkDataSet::Current() const {
    std::lock_guard lock(mu_);
    return current_;
}

core::Status NetworkDataSet::LoadInitial() {
    auto r = Reload(true);
    if (!r) return tl::unexpected(r.error());
    return core::Ok();
}

core::Result<bool> NetworkDataSet::Reload(bool force) {
    std::lock_guard serial(reload_mu_);
    const core::Micros now = core::NowMicros();
    // Which files changed since the last attempt?
    std::vector<Stamp> stamps;
    bool changed = force;
    {
        std::lock_guard lock(mu_);
        checked_at_ = now;
        for (const auto& e : entries_) {
            stamps.push_back(StampOf(e.path));
            if (!(stamps.back() == e.attempted)) changed = true;
        }
        if (!changed) return false;
        reloading_ = true;
    }
    auto next = std::make_shared<NetworkData>();
    std::optional<std::size_t> failed;
    core::Error error;
    for (std::size_t i = 0; i < entries_.size() && !failed; ++i) {
        const Entry& e = entries_[i];  // path and kind never change
        core::Status st;
        if (stamps[i].size < 0) st = core::Invalid("network_data", "cannot open " + e.path);
        else if (e.kind == "pfx2as") st = next->LoadPfx2As(e.path);
        else if (e.kind == "delegated") st = next->LoadDelegated(e.path);
        else if (e.kind == "mmdb") st = next->LoadMmdb(e.path);
        else st = next->LoadAsNames(e.path);
        if (!st) {
            failed = i;
            error = st.error();
        }
    }
    if (!failed) next->Finish();
    const core::Micros done = core::NowMicros();
    std::lock_guard lock(mu_);
    reloading_ = false;
    for (std::size_t i = 0; i < entries_.size(); ++i) entries_[i].attempted = stamps[i];
    if (failed) {
        ++failures_;
        Entry& e = entries_[*failed];
        e.error = error.message;
        e.error_at = done;
        if (generation_ > 0)
            spdlog::warn("feeds: network data not reloaded, the previous data stays in use: {}", error.message);
        return tl::unexpected(error);
    }
    std::size_t k = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        Entry& e = entries_[i];
        e.in_use = stamps[i];
        e.loaded_at = done;
        e.error.clear();
        e.error_at.reset();
        if (k < next->files().size()) e.loaded = next->files()[k++];
    }
    current_ = std::move(next);
    loaded_at_ = done;
    ++generation_;
    if (generation_ > 1)
        spdlog::info("feeds: network data reloaded ({} file(s), {} prefixes, {} ms)", entries_.size(),
                     current_->prefix_count(), (done - now) / 1000);
    return true;
}

NetworkDataStatus NetworkDataSet::Status() const {
    std::lock_guard lock(mu_);
    NetworkDataStatus s;
    s.loaded_at = loaded_at_;
    s.checked_at = checked_at_;
    s.generation = generation_;
    s.failures = failures_;
    s.reloading = reloading_;
    s.interval_seconds = interval_.count();
    for (const auto& e : entries_) {
        NetworkFileStatus f;
        f.path = e.path;
        f.kind = e.kind;
        f.size = e.in_use.size;
        f.mtime = e.in_use.mtime;
        f.entries = e.loaded.entries;
        f.detail = e.loaded.detail;
        f.loaded_at = e.loaded_at;
        f.error = e.error;
        f.error_at = e.error_at;
        s.files.push_back(std::move(f));
    }
    return s;
}

void NetworkDataSet::Start(std::chrono::seconds interval) {
    std::lock_guard lock(thread_mu_);
    if (worker_.joinable()) return;
    {
        std::lock_guard l(mu_);
        interval_ = interval;
    }
    stop_ = false;
    running_ = true;
    worker_ = std::thread([this] { Loop(); });
}

void NetworkDataSet::Stop() {
    {
        std::lock_guard lock(thread_mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    std::lock_guard lock(thread_mu_);
    running_ = false;
}

std::uint64_t NetworkDataSet::RequestReload() {
    std::uint64_t ticket;
    {
        std::lock_guard lock(thread_mu_);
        ticket = ++requested_;
        if (running_) {
            cv_.notify_all();
            return ticket;
        }
    }
    (void)Reload(true);  // the error is in the status
    std::lock_guard lock(thread_mu_);
    done_ = std::max(done_, ticket);
    cv_.notify_all();
    return ticket;
}

bool NetworkDataSet::WaitFor(std::uint64_t ticket, std::chrono::milliseconds timeout) {
    std::unique_lock lock(thread_mu_);
    return cv_.wait_for(lock, timeout, [&] { return done_ >= ticket; });
}

void NetworkDataSet::Loop() {
    std::unique_lock lock(thread_mu_);
    auto next_check = std::chrono::steady_clock::now() + interval_;
    for (;;) {
        const bool periodic = interval_.count() > 0;
        auto pending = [&] { return stop_ || requested_ > done_; };
        if (periodic) cv_.wait_until(lock, next_check, pending);
        else cv_.wait(lock, pending);
        if (stop_) return;
        const std::uint64_t ticket = requested_;
        const bool forced = ticket > done_;
        if (!forced && std::chrono::steady_clock::now() < next_check) continue;
        lock.unlock();
        (void)Reload(forced);  // errors are logged and kept in the status
        lock.lock();
        if (forced) done_ = std::max(done_, ticket);
        next_check = std::chrono::steady_clock::now() + interval_;
        cv_.notify_all();
    }
}

}  // namespace muhafiz::feeds
