// OwnerIndex: an immutable snapshot that answers "which organisation owns this?" for an IP
// address (longest-prefix match over IPv4 and IPv6 prefixes), an AS number, and a domain name
// (the longest registered suffix on a label boundary: an entry "example.pk" owns
// "example.pk" and "a.b.example.pk", never "notexample.pk").
//
// Built once from the organisations' network resources (OwnerIndex::Build), then only read.
// Thread-safety: a built index is immutable, so any number of threads may query it at once.
// OwnerIndexHolder publishes the current snapshot: readers Get() a shared_ptr and keep using it
// while a writer Swap()s in a newly built one; the old snapshot dies with its last reader.
// Ownership: lookups that return a std::string_view (DomainMatch::domain) point into the index;
// they stay valid as long as the caller holds the shared_ptr.
//
// Structures (chosen by measurement; see owner_index_bench.cpp):
// - IPv4: a DIR-16-8-8 multibit table of uint32 entries (leaf index or chunk pointer), painted
//   in increasing prefix length; a lookup is one to three dependent loads.
// - IPv6: the prefixes flattened into sorted disjoint ranges (start address -> leaf), found by
//   an adaptive radix index (16 bits at the root, then 8-bit nodes only where a block holds
//   more than kV6BucketRanges ranges) and a short binary search inside the final bucket.
// - ASNs: a sorted array, binary search.
// - Domains: an open-addressing hash table of registered names (64-bit hash, name and owner in
//   one record); a lookup hashes all suffixes of the name in one right-to-left pass and probes
//   from the longest to the shortest.
//
// Conflicts: Build never fails. The same prefix, ASN or domain listed for two different
// organisations is resolved deterministically -- the LATER entry in OwnerEntries wins -- and
// every such case is reported in issues(), as are entries that were repaired or dropped
// (prefix with host bits set: masked; prefix length out of range, invalid domain, AS 0 or
// organisation id 0: dropped). Exact duplicates for the same organisation are merged silently.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/huge_pages.hpp"
#include "core/net.hpp"

namespace muhafiz::constituency {

// What to index. Organisation ids are internal ids; 0 means "none" and is not a valid owner.
struct OwnerEntries {
    std::vector<std::pair<core::Prefix, std::int64_t>> prefixes;
    std::vector<std::pair<std::uint32_t, std::int64_t>> asns;
    // Domains are normalised by Build (core::NormaliseDomain), so "Example.PK." is fine.
    std::vector<std::pair<std::string, std::int64_t>> domains;
};

// An IP lookup result: the owner and the prefix that matched (the longest one).
struct OwnerMatch {
    std::int64_t organisation_id = 0;
    core::Prefix prefix;
};

// A domain lookup result: the owner and the registered name that matched (a suffix of the
// query on a label boundary, or the query itself). `domain` points into the index.
struct DomainMatch {
    std::int64_t organisation_id = 0;
    std::string_view domain;
};

// Something Build resolved or dropped; `text` is the entry as text ("192.0.2.0/24", "AS64500",
// "example.pk"), `kept`/`dropped` the organisation ids involved.
struct OwnerIndexIssue {
    enum class Kind {
        kConflict,        // same key for two organisations: `kept` (the later) wins
        kHostBitsMasked,  // prefix had host bits set; indexed as the masked network `text`
        kInvalid,         // entry dropped; `message` says why
    };
    Kind kind = Kind::kConflict;
    std::string text;
    std::int64_t kept = 0;
    std::int64_t dropped = 0;
    std::string message;
};

class OwnerIndex {
  public:
    // Builds a snapshot. Never fails; see the header comment for how conflicts are resolved.
    [[nodiscard]] static std::shared_ptr<const OwnerIndex> Build(OwnerEntries entries);
    // An index with nothing in it (every lookup misses).
    [[nodiscard]] static std::shared_ptr<const OwnerIndex> Empty();

    // Longest-prefix match of an IPv4 address (host byte order): organisation id, or 0.
    [[nodiscard]] std::int64_t LookupV4(std::uint32_t ip) const {
        return v4_leaves_[V4Leaf(ip)].organisation_id;
    }
    // Longest-prefix match of any address, with the prefix that matched. An IPv4-mapped IPv6
    // address (::ffff:a.b.c.d) is looked up as the IPv4 address a.b.c.d.
    [[nodiscard]] std::optional<OwnerMatch> Lookup(const core::IpAddress& ip) const {
        if (!ip.v6) return MatchV4(ip.V4());
        return LookupV6OrMapped(ip);
    }
    // The organisation ids of many addresses at once (Lookup(*ips[i])'s, 0 when it misses; left
    // as they are for addresses not given). The IPv4 lookups go a level of the tables at a time
    // over all the addresses: their reads, mostly from memory for a large index, are made
    // together instead of one after another.
    void LookupMany(std::span<const std::optional<core::IpAddress>> ips, std::span<std::int64_t> organisation_ids) const;
    // Organisation id of an AS number, or 0.
    [[nodiscard]] std::int64_t LookupAsn(std::uint32_t asn) const;
    // Longest registered suffix of a normalised name (lower case, A-labels, as produced by
    // core::NormaliseDomain; one trailing dot is tolerated). Names that are not normalised
    // simply miss.
    [[nodiscard]] std::optional<DomainMatch> LookupDomain(std::string_view normalised) const;
    [[nodiscard]] std::int64_t LookupDomainOrganisation(std::string_view normalised) const {
        auto m = LookupDomain(normalised);
        return m ? m->organisation_id : 0;
    }

    // Distinct entries indexed (after merging duplicates and dropping invalid ones).
    [[nodiscard]] std::size_t prefix_count() const { return v4_count() + v6_count(); }
    [[nodiscard]] std::size_t v4_count() const { return v4_leaves_.size() - 1; }
    [[nodiscard]] std::size_t v6_count() const { return v6_leaves_.size() - 1; }
    [[nodiscard]] std::size_t asn_count() const { return asns_.size(); }
    [[nodiscard]] std::size_t domain_count() const { return domain_count_; }
    // What Build resolved or dropped: prefixes first, then ASNs, then domains.
    [[nodiscard]] const std::vector<OwnerIndexIssue>& issues() const { return issues_; }
    // Approximate heap bytes held by the index.
    [[nodiscard]] std::size_t memory_bytes() const;

    OwnerIndex(const OwnerIndex&) = delete;
    OwnerIndex& operator=(const OwnerIndex&) = delete;

  private:
    OwnerIndex() = default;
    struct Builder;

    static constexpr std::uint32_t kChunkFlag = 0x80000000u;
    // A bucket with more ranges than this gets a child node (measured: 4..8 are fastest; 8
    // keeps the node count at most ranges / 8 per level).
    static constexpr std::uint32_t kV6BucketRanges = 8;

    std::uint32_t V4Leaf(std::uint32_t ip) const {
        std::uint32_t e = v4_top_[ip >> 16];
        if (e & kChunkFlag) {
            e = v4_chunks_[(std::size_t{e & ~kChunkFlag} << 8) | ((ip >> 8) & 0xffu)];
            if (e & kChunkFlag) e = v4_chunks_[(std::size_t{e & ~kChunkFlag} << 8) | (ip & 0xffu)];
        }
        return e;
    }
    std::uint32_t V6Leaf(unsigned __int128 ip) const;
    std::optional<OwnerMatch> LookupV6OrMapped(const core::IpAddress& ip) const;
    std::optional<OwnerMatch> MatchV4(std::uint32_t ip) const {
        const V4LeafData& leaf = v4_leaves_[V4Leaf(ip)];
        if (leaf.organisation_id == 0) return std::nullopt;
        return OwnerMatch{leaf.organisation_id, leaf.prefix};
    }

    // IPv4: leaf 0 is "no match". v4_top_ has 65536 entries; chunks are 256 entries each.
    struct V4LeafData {  // 32 bytes: one cache line holds all a lookup reads
        std::int64_t organisation_id = 0;
        core::Prefix prefix;
    };
    core::HugeVector<std::uint32_t> v4_top_;
    core::HugeVector<std::uint32_t> v4_chunks_;
    core::HugeVector<V4LeafData> v4_leaves_;  // [0] is the empty leaf

    // IPv6: ranges [v6_keys_[i], v6_keys_[i+1]) map to leaf v6_range_leaf_[i]; v6_keys_[0] is 0.
    // Radix index: v6_slots_[0..65536] is the root (slot b covers addresses with top 16 bits b,
    // slot 65536 is a sentinel); a child node is 257 slots at offset `child`. A slot's `lo` is
    // the range holding the first address of its block; a slot without child is searched in
    // ranges [lo, next slot's lo].
    struct V6Slot {
        std::uint32_t lo = 0;
        std::uint32_t child = 0;  // offset of a child node in v6_slots_, 0 = none
    };
    struct V6LeafData {
        std::int64_t organisation_id = 0;
        core::Prefix prefix;
    };
    core::HugeVector<unsigned __int128> v6_keys_;
    core::HugeVector<std::uint32_t> v6_range_leaf_;
    core::HugeVector<V6Slot> v6_slots_;
    core::HugeVector<V6LeafData> v6_leaves_;  // [0] is the empty leaf

    core::HugeVector<std::pair<std::uint32_t, std::int64_t>> asns_;  // sorted by ASN

    // Domain records live in domain_records_: an 8-byte organisation id, then the name, padded
    // to 8 bytes. A slot points at its record (offset / 8 + 1; 0 = empty slot).
    struct DomainSlot {
        std::uint64_t hash = 0;
        std::uint32_t record = 0;
        std::uint32_t length = 0;
    };
    core::HugeVector<DomainSlot> domain_slots_;  // power-of-two size, at most half full
    core::HugeVector<std::uint64_t> domain_records_;
    std::size_t domain_count_ = 0;

    std::vector<OwnerIndexIssue> issues_;
};

// Publishes the current OwnerIndex to concurrent readers. Thread-safe: Get() and Swap() may be
// called from any threads at once. Get() never returns null (an empty index until the first
// Swap). Swap(nullptr) is ignored. Get() copies a shared_ptr under a mutex held for a few
// nanoseconds (no allocation, no lookup inside it): take one snapshot per batch of events, not
// one per lookup. (std::atomic<std::shared_ptr> was tried; libstdc++ 12's lock bit is invisible
// to ThreadSanitizer, which then reports races.)
class OwnerIndexHolder {
  public:
    OwnerIndexHolder();
    explicit OwnerIndexHolder(std::shared_ptr<const OwnerIndex> initial);

    [[nodiscard]] std::shared_ptr<const OwnerIndex> Get() const;
    // Installs `next` and returns the snapshot it replaced. The replaced snapshot is destroyed
    // by whoever drops the last reference, outside the lock.
    std::shared_ptr<const OwnerIndex> Swap(std::shared_ptr<const OwnerIndex> next);

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const OwnerIndex> current_;  // guarded by mutex_
};

}  // namespace muhafiz::constituency
