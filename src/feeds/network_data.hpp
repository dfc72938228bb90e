// Offline network data for enrichment (shared/reference/network-data.md): CAIDA prefix-to-AS
// files (plain or gzip), RIR delegated(-extended) statistics, MaxMind DB files read with
// libmaxminddb, and an AS-name list. All of them are loaded into one immutable NetworkData
// snapshot; the longest-prefix matches reuse constituency::OwnerIndex (the "owner" of a prefix is
// the index of its record here).
// Thread-safety: a loaded NetworkData is immutable and may be queried by any number of threads
// (libmaxminddb lookups on an opened database are read-only).
// Errors: Load* return kInvalidArgument naming the file and line for unreadable data, and
// Delegated files whose record count disagrees with their header (a truncated download).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "constituency/owner_index.hpp"
#include "core/net.hpp"
#include "core/result.hpp"

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

private:
    MmdbFile() = default;
    void* mmdb_ = nullptr;  // MMDB_s
    std::string type_;
    std::uint64_t epoch_ = 0;
};

// Splits an IPv4 range of `count` addresses from `start` into CIDR blocks (greedy, largest
// aligned block first).
[[nodiscard]] std::vector<core::Prefix> RangeToCidrs(std::uint32_t start, std::uint64_t count);

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

private:
    constituency::OwnerEntries pfx_entries_, deleg_entries_;
    std::vector<std::string> pfx_origins_;
    std::vector<Delegation> delegations_;
    std::shared_ptr<const constituency::OwnerIndex> pfx_index_, deleg_index_;
    std::vector<std::unique_ptr<MmdbFile>> mmdbs_;
    std::unordered_map<std::uint32_t, std::string> as_names_;
};

// Reads a file, decompressing gzip when the name ends in ".gz".
[[nodiscard]] core::Result<std::string> ReadMaybeGzip(const std::string& path);

}  // namespace muhafiz::feeds
