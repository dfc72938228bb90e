// Offline network data for enrichment (shared/reference/network-data.md): CAIDA prefix-to-AS
// files (plain or gzip), RIR delegated(-extended) statistics, MaxMind DB files read with
// libmaxminddb, and an AS-name list. All of them are loaded into one immutable NetworkData
// snapshot; the longest-prefix matches reuse constituency::OwnerIndex (the "owner" of a prefix is
// the index of its record here).
// Thread-safety: a loaded NetworkData is immutable and may be queried by any number of threads
// (libmaxminddb lookups on an opened database are read-only).
// NetworkDataSet (below) owns the configured files and the snapshot in use: it rebuilds a new
// NetworkData when a file changes (mtime/size, checked by its own thread) or on request, and swaps
// it in atomically; a file that fails to load keeps the previous snapshot and records the error.
// Errors: Load* return kInvalidArgument naming the file and line for unreadable data, and
// Delegated files whose record count disagrees with their header (a truncated download).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "constituency/owner_index.hpp"
#include "core/net.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace muhafiz::feeds {

struct AsMatch {
    core::Prefix prefix;
    std::uint32_t asn = 0;       // the first origin
    std::string origin;          // the origin field as in the file ("64497_64500")
    std::vector<std::uint32_t> all_asns;
};

struct Delegation {
    std::string registry;  // as in event-format: "RIPE", "APNIC", ...
    std::string cc;        // "" for undelegated space
    std::string date;      // "YYYY-MM-DD" or ""
    std::string status;
    std::string opaque_id;
};

struct GeoMatch {
    std::string cc, country, city, region;
    std::optional<double> latitude, longitude;
    std::uint32_t asn = 0;
    std::string as_name;
    int prefix_len = 0;  // relative to the address family
};

// One MaxMind DB file, opened with MMDB_MODE_MMAP.
class MmdbFile {
public:
    [[nodiscard]] static core::Result<std::unique_ptr<MmdbFile>> Open(const std::string& path);
    ~MmdbFile();
    MmdbFile(const MmdbFile&) = delete;
    MmdbFile& operator=(const MmdbFile&) = delete;
    // nullopt when the address has no record.
    [[nodiscard]] std::optional<GeoMatch> Lookup(const core::IpAddress& ip) const;
    [[nodiscard]] const std::string& database_type() const { return type_; }
    [[nodiscard]] std::uint64_t build_epoch() const { return epoch_; }
    [[nodiscard]] std::uint64_t node_count() const { return nodes_; }

private:
    MmdbFile() = default;
    void* mmdb_ = nullptr;  // MMDB_s
    std::string type_;
    std::uint64_t epoch_ = 0;
    std::uint64_t nodes_ = 0;
};

// Splits an IPv4 range of `count` addresses from `start` into CIDR blocks (greedy, largest
// aligned block first).
[[nodiscard]] std::vector<core::Prefix> RangeToCidrs(std::uint32_t start, std::uint64_t count);

// What one loaded file contributed to a NetworkData.
struct NetworkFile {
    std::string path;
    std::string kind;  // pfx2as, delegated, mmdb, as_names
    std::int64_t entries = 0;  // prefixes, delegation records, MMDB search-tree nodes, AS names
    std::string detail;  // MMDB: database type and build time
};

class NetworkData {
public:
    NetworkData();
    ~NetworkData();
    // Adds a pfx2as file (".gz" is decompressed).
    [[nodiscard]] core::Status LoadPfx2As(const std::string& path);
    [[nodiscard]] core::Status LoadPfx2AsText(std::string_view text, std::string_view name);
    // Adds a delegated or delegated-extended file.
    [[nodiscard]] core::Status LoadDelegated(const std::string& path);
    [[nodiscard]] core::Status LoadDelegatedText(std::string_view text, std::string_view name);
    // Adds a MaxMind DB (country/city or ASN layout; both are read from every file).
    [[nodiscard]] core::Status LoadMmdb(const std::string& path);
    // AS names, one "ASN NAME" per line (tab or space; '#' comments).
    [[nodiscard]] core::Status LoadAsNames(const std::string& path);
    // Builds the indexes; call once after the Load* calls and before lookups.
    void Finish();

    [[nodiscard]] std::optional<AsMatch> LookupAs(const core::IpAddress& ip) const;
    [[nodiscard]] std::optional<Delegation> LookupDelegation(const core::IpAddress& ip) const;
    [[nodiscard]] std::optional<GeoMatch> LookupGeo(const core::IpAddress& ip) const;
    [[nodiscard]] std::string AsName(std::uint32_t asn) const;
    [[nodiscard]] bool empty() const { return pfx_origins_.empty() && delegations_.empty() && mmdbs_.empty() && as_names_.empty(); }
    [[nodiscard]] std::size_t prefix_count() const { return pfx_origins_.size(); }
    // The files loaded into this snapshot, in load order.
    [[nodiscard]] const std::vector<NetworkFile>& files() const { return files_; }

private:
    std::vector<NetworkFile> files_;
    constituency::OwnerEntries pfx_entries_, deleg_entries_;
    std::vector<std::string> pfx_origins_;
    std::vector<Delegation> delegations_;
    std::shared_ptr<const constituency::OwnerIndex> pfx_index_, deleg_index_;
    std::vector<std::unique_ptr<MmdbFile>> mmdbs_;
    std::unordered_map<std::uint32_t, std::string> as_names_;
};

// Reads a file, decompressing gzip when the name ends in ".gz".
[[nodiscard]] core::Result<std::string> ReadMaybeGzip(const std::string& path);

// The network-data files of the configuration.
struct NetworkFiles {
    std::vector<std::string> pfx2as, delegated, mmdb;
    std::string as_names;
    [[nodiscard]] bool empty() const { return pfx2as.empty() && delegated.empty() && mmdb.empty() && as_names.empty(); }
};

struct NetworkFileStatus {
    std::string path, kind;
    std::int64_t size = -1;   // of the version in use (-1: never loaded)
    core::Micros mtime = 0;   // of the version in use
    std::int64_t entries = 0;
    std::string detail;
    std::optional<core::Micros> loaded_at;
    std::string error;  // of the last attempt to load a changed version ("" when it loaded)
    std::optional<core::Micros> error_at;
};

struct NetworkDataStatus {
    std::vector<NetworkFileStatus> files;
    std::optional<core::Micros> loaded_at;   // when the snapshot in use was built
    std::optional<core::Micros> checked_at;  // the last check of the files
    std::int64_t generation = 0;             // 1 for the snapshot built at start, +1 per swap
    std::int64_t failures = 0;               // reload attempts that kept the previous snapshot
    std::int64_t interval_seconds = 0;       // of the background check (0: off)
    bool reloading = false;
};

// The configured network-data files and the snapshot built from them.
// Thread-safety: all members are thread-safe. Current() takes a mutex only to copy the pointer
// (once per pipeline run); lookups happen on the immutable snapshot without any lock. Reloads are
// serialised; building a new snapshot never blocks Current().
class NetworkDataSet {
public:
    explicit NetworkDataSet(NetworkFiles files);
    ~NetworkDataSet();
    NetworkDataSet(const NetworkDataSet&) = delete;
    NetworkDataSet& operator=(const NetworkDataSet&) = delete;

    // Loads every file; the first broken one is an error (nothing usable yet).
    [[nodiscard]] core::Status LoadInitial();
    // The snapshot in use (never null after LoadInitial; an empty NetworkData before).
    [[nodiscard]] std::shared_ptr<const NetworkData> Current() const;
    // Checks the files' size and mtime and rebuilds the snapshot when one changed since the last
    // attempt (always when `force`). Returns whether a new snapshot was swapped in; an error names
    // the file that failed (the previous snapshot stays in use).
    [[nodiscard]] core::Result<bool> Reload(bool force);
    [[nodiscard]] NetworkDataStatus Status() const;
    [[nodiscard]] const NetworkFiles& configured() const { return files_; }

    // The background thread: checks every `interval` (0: only on request) and serves requests.
    void Start(std::chrono::seconds interval);
    void Stop();
    // Asks for a forced reload off the caller's thread (on the caller's thread when the
    // background thread is not running); returns a ticket for WaitFor.
    std::uint64_t RequestReload();
    // Waits until the reload of `ticket` finished; false on timeout.
    bool WaitFor(std::uint64_t ticket, std::chrono::milliseconds timeout);

private:
    // What tells a file changed: size, modification time and inode (a file replaced by rename,
    // as operators and fetch scripts do, is seen even within one tick of the file-system clock).
    struct Stamp {
        std::int64_t size = -1;
        core::Micros mtime = 0;
        std::uint64_t inode = 0;
        bool operator==(const Stamp&) const = default;
    };
    struct Entry {
        std::string path, kind;
        Stamp in_use, attempted;
        NetworkFile loaded;
        std::optional<core::Micros> loaded_at;
        std::string error;
        std::optional<core::Micros> error_at;
    };
    static Stamp StampOf(const std::string& path);
    void Loop();

    NetworkFiles files_;
    mutable std::mutex mu_;  // snapshot pointer, entries_, figures
    std::shared_ptr<const NetworkData> current_;
    std::vector<Entry> entries_;
    std::optional<core::Micros> loaded_at_, checked_at_;
    std::int64_t generation_ = 0, failures_ = 0;
    bool reloading_ = false;
    std::mutex reload_mu_;  // one rebuild at a time

    std::mutex thread_mu_;
    std::condition_variable cv_;
    std::thread worker_;
    bool stop_ = false, running_ = false;
    std::chrono::seconds interval_{0};
    std::uint64_t requested_ = 0, done_ = 0;
};

}  // namespace muhafiz::feeds
