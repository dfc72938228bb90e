// OwnerIndex construction and lookups. See owner_index.hpp for the structures and the rules.
#include "constituency/owner_index.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <tuple>

namespace muhafiz::constituency {
namespace {

using U128 = unsigned __int128;

constexpr U128 kU128Max = ~U128{0};
constexpr std::size_t kChunk = 256;
constexpr std::size_t kMaxLabels = 128;  // a 253-character name has at most 127 labels

U128 ToU128(const core::IpAddress& ip) {
    std::uint64_t hi, lo;
    std::memcpy(&hi, ip.bytes.data(), 8);
    std::memcpy(&lo, ip.bytes.data() + 8, 8);
    return (U128{__builtin_bswap64(hi)} << 64) | __builtin_bswap64(lo);
}

core::IpAddress FromU128(U128 v) {
    core::IpAddress ip;
    ip.v6 = true;
    for (int i = 15; i >= 0; --i) {
        ip.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
        v >>= 8;
    }
    return ip;
}

U128 HostMask6(int length) { return length >= 128 ? U128{0} : (kU128Max >> length); }

// Domain hashing: FNV-1a over the bytes of a name from its last byte to its first, so that the
// hashes of all suffixes come out of one right-to-left pass; then a 64-bit finaliser.
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

inline std::uint64_t HashStep(std::uint64_t h, char c) {
    return (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
}

inline std::uint64_t Finalise(std::uint64_t h) {  // murmur3 fmix64
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

std::uint64_t HashName(std::string_view name) {
    std::uint64_t h = kFnvOffset;
    for (std::size_t i = name.size(); i > 0; --i) h = HashStep(h, name[i - 1]);
    return Finalise(h);
}

std::string AsnText(std::uint32_t asn) { return "AS" + std::to_string(asn); }

// Collapses runs of equal keys in a vector sorted by (key, input sequence): the last entry of a
// run wins; each earlier entry with another organisation becomes a conflict issue.
template <typename Item, typename SameKey, typename Text>
std::vector<Item> ResolveDuplicates(std::vector<Item>& items, SameKey same_key, Text text,
                                    std::vector<OwnerIndexIssue>& issues) {
    std::vector<Item> out;
    out.reserve(items.size());
    for (std::size_t i = 0; i < items.size();) {
        std::size_t j = i + 1;
        while (j < items.size() && same_key(items[i], items[j])) ++j;
        const Item& winner = items[j - 1];
        for (std::size_t k = i; k + 1 < j; ++k) {
            if (items[k].org != winner.org) {
                issues.push_back({OwnerIndexIssue::Kind::kConflict, text(winner), winner.org,
                                  items[k].org,
                                  "listed for two organisations; the later entry wins"});
            }
        }
        out.push_back(winner);
        i = j;
    }
    return out;
}

}  // namespace

struct OwnerIndex::Builder {
    struct V4Item {
        std::uint32_t addr;
        std::uint32_t seq;
        std::int64_t org;
        std::uint8_t len;
    };
    struct V6Item {
        U128 addr;
        std::uint32_t seq;
        std::int64_t org;
        std::uint8_t len;
    };
    struct AsnItem {
        std::uint32_t asn;
        std::uint32_t seq;
        std::int64_t org;
    };

    static void Prefixes(OwnerIndex& index,
                         std::vector<std::pair<core::Prefix, std::int64_t>>& prefixes) {
        std::vector<V4Item> v4;
        std::vector<V6Item> v6;
        std::uint32_t seq = 0;
        for (auto& [prefix, org] : prefixes) {
            ++seq;
            const bool is6 = prefix.address.v6;
            const int max = is6 ? 128 : 32;
            if (prefix.length < 0 || prefix.length > max || org == 0) {
                index.issues_.push_back(
                    {OwnerIndexIssue::Kind::kInvalid,
                     core::FormatIp(prefix.address) + "/" + std::to_string(prefix.length), 0, org,
                     org == 0 ? "organisation id 0" : "prefix length out of range"});
                continue;
            }
            core::Prefix masked = core::MaskPrefix(prefix.address, prefix.length);
            if (masked.address != prefix.address) {
                index.issues_.push_back({OwnerIndexIssue::Kind::kHostBitsMasked,
                                         core::FormatPrefix(masked), org, 0,
                                         "host bits set in " + core::FormatPrefix(prefix)});
            }
            const auto len = static_cast<std::uint8_t>(prefix.length);
            if (is6) {
                v6.push_back({ToU128(masked.address), seq, org, len});
            } else {
                v4.push_back({masked.address.V4(), seq, org, len});
            }
        }
        prefixes.clear();
        prefixes.shrink_to_fit();
        V4(index, v4);
        V6(index, v6);
    }

    static void V4(OwnerIndex& index, std::vector<V4Item>& items) {
        // Increasing length, so that longer prefixes paint over shorter ones.
        std::sort(items.begin(), items.end(), [](const V4Item& a, const V4Item& b) {
            return std::tie(a.len, a.addr, a.seq) < std::tie(b.len, b.addr, b.seq);
        });
        std::vector<V4Item> leaves = ResolveDuplicates(
            items,
            [](const V4Item& a, const V4Item& b) { return a.len == b.len && a.addr == b.addr; },
            [](const V4Item& a) {
                return core::FormatPrefix({core::IpAddress::FromV4(a.addr), a.len});
            },
            index.issues_);
        items.clear();
        items.shrink_to_fit();

        index.v4_leaves_.assign(leaves.size() + 1, V4LeafData{});
        index.v4_top_.assign(65536, 0);
        auto& chunks = index.v4_chunks_;
        auto ensure_chunk = [&chunks](std::uint32_t entry, auto&& store) -> std::size_t {
            if (entry & kChunkFlag) return entry & ~kChunkFlag;
            std::size_t id = chunks.size() / kChunk;
            chunks.resize(chunks.size() + kChunk, entry);  // inherit the covering leaf
            store(static_cast<std::uint32_t>(id) | kChunkFlag);
            return id;
        };
        for (std::size_t i = 0; i < leaves.size(); ++i) {
            const V4Item& p = leaves[i];
            const auto leaf = static_cast<std::uint32_t>(i + 1);
            index.v4_leaves_[leaf] = {p.org, core::Prefix{core::IpAddress::FromV4(p.addr), p.len}};
            const std::size_t top = p.addr >> 16;
            if (p.len <= 16) {
                std::fill_n(index.v4_top_.begin() + static_cast<std::ptrdiff_t>(top),
                            std::size_t{1} << (16 - p.len), leaf);
                continue;
            }
            std::size_t c1 =
                ensure_chunk(index.v4_top_[top], [&](std::uint32_t v) { index.v4_top_[top] = v; });
            const std::size_t mid = c1 * kChunk + ((p.addr >> 8) & 0xffu);
            if (p.len <= 24) {
                std::fill_n(chunks.begin() + static_cast<std::ptrdiff_t>(mid),
                            std::size_t{1} << (24 - p.len), leaf);
                continue;
            }
            std::size_t c2 = ensure_chunk(chunks[mid], [&](std::uint32_t v) { chunks[mid] = v; });
            std::fill_n(
                chunks.begin() + static_cast<std::ptrdiff_t>(c2 * kChunk + (p.addr & 0xffu)),
                std::size_t{1} << (32 - p.len), leaf);
        }
        chunks.shrink_to_fit();
    }

    static void V6(OwnerIndex& index, std::vector<V6Item>& items) {
        // Start address, then shorter first: a covering prefix comes before what it covers.
        std::sort(items.begin(), items.end(), [](const V6Item& a, const V6Item& b) {
            return std::tie(a.addr, a.len, a.seq) < std::tie(b.addr, b.len, b.seq);
        });
        std::vector<V6Item> leaves = ResolveDuplicates(
            items,
            [](const V6Item& a, const V6Item& b) { return a.len == b.len && a.addr == b.addr; },
            [](const V6Item& a) {
                return core::FormatPrefix({FromU128(a.addr), a.len});
            },
            index.issues_);
        items.clear();
        items.shrink_to_fit();

        index.v6_leaves_.assign(leaves.size() + 1, V6LeafData{});
        auto& keys = index.v6_keys_;
        auto& range_leaf = index.v6_range_leaf_;
        keys.reserve(2 * leaves.size() + 1);
        range_leaf.reserve(2 * leaves.size() + 1);
        // Boundaries in increasing address order; a boundary at an address already emitted
        // replaces that one's leaf (a nested prefix starting where its parent starts).
        auto emit = [&](U128 at, std::uint32_t leaf) {
            if (!keys.empty() && keys.back() == at) {
                range_leaf.back() = leaf;
            } else {
                keys.push_back(at);
                range_leaf.push_back(leaf);
            }
        };
        struct Open {
            U128 end;
            std::uint32_t leaf;
        };
        std::vector<Open> stack;
        auto close_until = [&](U128 start, bool all) {
            while (!stack.empty() && (all || stack.back().end < start)) {
                U128 end = stack.back().end;
                stack.pop_back();
                if (end != kU128Max) emit(end + 1, stack.empty() ? 0 : stack.back().leaf);
            }
        };
        emit(0, 0);
        for (std::size_t i = 0; i < leaves.size(); ++i) {
            const V6Item& p = leaves[i];
            const auto leaf = static_cast<std::uint32_t>(i + 1);
            index.v6_leaves_[leaf] = {p.org, core::Prefix{FromU128(p.addr), p.len}};
            close_until(p.addr, false);
            emit(p.addr, leaf);
            stack.push_back({p.addr | HostMask6(p.len), leaf});
        }
        close_until(0, true);
        // Merge neighbouring ranges with the same leaf.
        std::size_t w = 0;
        for (std::size_t r = 0; r < keys.size(); ++r) {
            if (w > 0 && range_leaf[w - 1] == range_leaf[r]) continue;
            keys[w] = keys[r];
            range_leaf[w] = range_leaf[r];
            ++w;
        }
        keys.resize(w);
        range_leaf.resize(w);
        keys.shrink_to_fit();
        range_leaf.shrink_to_fit();
        index.v6_slots_.assign(65537, V6Slot{});
        V6Node(index, 0, 0, 112, 65536, true);
        index.v6_slots_.shrink_to_fit();
    }

    // Fills the node at `offset` (slots + 1 sentinel) covering `slots` blocks of 2^shift
    // addresses from `start`, and gives a child node to every block holding too many ranges.
    static void V6Node(OwnerIndex& index, std::size_t offset, U128 start, int shift,
                       std::size_t slots, bool is_root) {
        const auto& keys = index.v6_keys_;
        const auto last = static_cast<std::uint32_t>(keys.size() - 1);
        auto range_of = [&keys](U128 at) {
            auto it = std::upper_bound(keys.begin(), keys.end(), at);
            return static_cast<std::uint32_t>((it - keys.begin()) - 1);
        };
        for (std::size_t j = 0; j < slots; ++j) {
            index.v6_slots_[offset + j].lo = range_of(start + (U128{j} << shift));
        }
        // The sentinel: the range holding the first address after this node's block.
        const U128 next = is_root ? 0 : start + (U128{slots} << shift);
        index.v6_slots_[offset + slots].lo = next == 0 ? last : range_of(next);
        if (shift < 8) return;
        for (std::size_t j = 0; j < slots; ++j) {
            const std::uint32_t count =
                index.v6_slots_[offset + j + 1].lo - index.v6_slots_[offset + j].lo + 1;
            if (count <= kV6BucketRanges) continue;
            const std::size_t child = index.v6_slots_.size();
            index.v6_slots_.resize(child + 257);
            index.v6_slots_[offset + j].child = static_cast<std::uint32_t>(child);
            V6Node(index, child, start + (U128{j} << shift), shift - 8, 256, false);
        }
    }

    static void Asns(OwnerIndex& index, std::vector<std::pair<std::uint32_t, std::int64_t>>& asns) {
        std::vector<AsnItem> items;
        items.reserve(asns.size());
        std::uint32_t seq = 0;
        for (auto& [asn, org] : asns) {
            ++seq;
            if (asn == 0 || org == 0) {
                index.issues_.push_back({OwnerIndexIssue::Kind::kInvalid, AsnText(asn), 0, org,
                                         asn == 0 ? "AS 0 is reserved" : "organisation id 0"});
                continue;
            }
            items.push_back({asn, seq, org});
        }
        std::sort(items.begin(), items.end(), [](const AsnItem& a, const AsnItem& b) {
            return std::tie(a.asn, a.seq) < std::tie(b.asn, b.seq);
        });
        auto resolved = ResolveDuplicates(
            items, [](const AsnItem& a, const AsnItem& b) { return a.asn == b.asn; },
            [](const AsnItem& a) { return AsnText(a.asn); }, index.issues_);
        index.asns_.reserve(resolved.size());
        for (const AsnItem& a : resolved) index.asns_.emplace_back(a.asn, a.org);
    }

    static void Domains(OwnerIndex& index,
                        std::vector<std::pair<std::string, std::int64_t>>& domains) {
        std::size_t capacity = 16;
        while (capacity < domains.size() * 2) capacity *= 2;
        index.domain_slots_.assign(capacity, DomainSlot{});
        auto& records = index.domain_records_;
        const std::size_t mask = capacity - 1;
        for (auto& [raw, org] : domains) {
            auto name = core::NormaliseDomain(raw);
            if (!name || org == 0) {
                index.issues_.push_back({OwnerIndexIssue::Kind::kInvalid, raw, 0, org,
                                         name ? "organisation id 0" : name.error().message});
                continue;
            }
            const std::uint64_t h = HashName(*name);
            for (std::size_t i = h & mask;; i = (i + 1) & mask) {
                DomainSlot& slot = index.domain_slots_[i];
                if (slot.record == 0) {
                    const std::size_t at = records.size();
                    records.resize(at + 1 + (name->size() + 7) / 8, 0);
                    records[at] = static_cast<std::uint64_t>(org);
                    std::memcpy(&records[at + 1], name->data(), name->size());
                    slot = {h, static_cast<std::uint32_t>(at + 1),
                            static_cast<std::uint32_t>(name->size())};
                    ++index.domain_count_;
                    break;
                }
                if (slot.hash == h && slot.length == name->size() &&
                    std::memcmp(&records[slot.record], name->data(), name->size()) == 0) {
                    auto& owner = records[slot.record - 1];
                    const auto previous = static_cast<std::int64_t>(owner);
                    if (previous != org) {
                        index.issues_.push_back(
                            {OwnerIndexIssue::Kind::kConflict, *name, org, previous,
                             "listed for two organisations; the later entry wins"});
                        owner = static_cast<std::uint64_t>(org);
                    }
                    break;
                }
            }
        }
        domains.clear();
        domains.shrink_to_fit();
        records.shrink_to_fit();
    }
};

std::shared_ptr<const OwnerIndex> OwnerIndex::Build(OwnerEntries entries) {
    std::shared_ptr<OwnerIndex> index(new OwnerIndex());
    Builder::Prefixes(*index, entries.prefixes);
    Builder::Asns(*index, entries.asns);
    Builder::Domains(*index, entries.domains);
    return index;
}

std::shared_ptr<const OwnerIndex> OwnerIndex::Empty() { return Build(OwnerEntries{}); }

std::uint32_t OwnerIndex::V6Leaf(U128 ip) const {
    const V6Slot* node = v6_slots_.data();
    std::size_t i = static_cast<std::size_t>(ip >> 112);
    int shift = 112;
    while (node[i].child != 0) {
        node = v6_slots_.data() + node[i].child;
        shift -= 8;
        i = static_cast<std::size_t>(ip >> shift) & 0xffu;
    }
    std::size_t base = node[i].lo;
    std::size_t n = node[i + 1].lo - base + 1;
    const U128* keys = v6_keys_.data();
    while (n > 1) {  // the last key <= ip in [base, base + n); keys[base] <= ip holds
        const std::size_t half = n / 2;
        base = keys[base + half] <= ip ? base + half : base;
        n -= half;
    }
    return v6_range_leaf_[base];
}

std::optional<OwnerMatch> OwnerIndex::LookupV6OrMapped(const core::IpAddress& ip) const {
    if (!ip.v6 || ip.IsV4Mapped()) return MatchV4(ip.v6 ? ip.V4Mapped().V4() : ip.V4());
    const V6LeafData& leaf = v6_leaves_[V6Leaf(ToU128(ip))];
    if (leaf.organisation_id == 0) return std::nullopt;
    return OwnerMatch{leaf.organisation_id, leaf.prefix};
}

void OwnerIndex::LookupMany(std::span<const std::optional<core::IpAddress>> ips,
                            std::span<std::int64_t> organisation_ids) const {
    constexpr std::size_t kStep = 64;
    for (std::size_t from = 0; from < ips.size(); from += kStep) {
        const std::size_t to = std::min(ips.size(), from + kStep);
        // The IPv4 addresses of this step (IPv4-mapped ones too) and their entries, level by level.
        std::uint32_t v4[kStep], entry[kStep];
        std::uint8_t at[kStep];
        std::size_t n = 0;
        for (std::size_t i = from; i < to; ++i) {
            if (!ips[i]) continue;
            const core::IpAddress& ip = *ips[i];
            if (ip.v6 && !ip.IsV4Mapped()) {
                const auto m = LookupV6OrMapped(ip);
                organisation_ids[i] = m ? m->organisation_id : 0;
                continue;
            }
            v4[n] = ip.v6 ? ip.V4Mapped().V4() : ip.V4();
            at[n++] = static_cast<std::uint8_t>(i - from);
        }
        for (std::size_t k = 0; k < n; ++k) entry[k] = v4_top_[v4[k] >> 16];
        for (std::size_t k = 0; k < n; ++k)
            if (entry[k] & kChunkFlag)
                entry[k] = v4_chunks_[(std::size_t{entry[k] & ~kChunkFlag} << 8) | ((v4[k] >> 8) & 0xffu)];
        for (std::size_t k = 0; k < n; ++k)
            if (entry[k] & kChunkFlag) entry[k] = v4_chunks_[(std::size_t{entry[k] & ~kChunkFlag} << 8) | (v4[k] & 0xffu)];
        for (std::size_t k = 0; k < n; ++k) organisation_ids[from + at[k]] = v4_leaves_[entry[k]].organisation_id;
    }
}

std::int64_t OwnerIndex::LookupAsn(std::uint32_t asn) const {
    auto it = std::lower_bound(asns_.begin(), asns_.end(), asn,
                               [](const auto& e, std::uint32_t a) { return e.first < a; });
    return it != asns_.end() && it->first == asn ? it->second : 0;
}

std::optional<DomainMatch> OwnerIndex::LookupDomain(std::string_view name) const {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    if (name.empty() || name.size() > 253 || domain_count_ == 0) return std::nullopt;
    // Hash every suffix that starts on a label boundary, in one right-to-left pass.
    std::uint64_t hashes[kMaxLabels];
    std::uint32_t starts[kMaxLabels];
    std::size_t count = 0;
    std::uint64_t h = kFnvOffset;
    for (std::size_t i = name.size(); i > 0; --i) {
        h = HashStep(h, name[i - 1]);
        if (i == 1 || name[i - 2] == '.') {
            if (count == kMaxLabels) return std::nullopt;
            hashes[count] = h;
            starts[count] = static_cast<std::uint32_t>(i - 1);
            ++count;
        }
    }
    const std::size_t mask = domain_slots_.size() - 1;
    const DomainSlot* slots = domain_slots_.data();
    const std::uint64_t* records = domain_records_.data();
    for (std::size_t k = count; k > 0; --k) {  // longest suffix first
        const std::uint64_t fh = Finalise(hashes[k - 1]);
        const std::string_view suffix = name.substr(starts[k - 1]);
        for (std::size_t i = fh & mask;; i = (i + 1) & mask) {
            const DomainSlot& slot = slots[i];
            if (slot.record == 0) break;
            if (slot.hash == fh && slot.length == suffix.size()) {
                const auto* text = reinterpret_cast<const char*>(records + slot.record);
                if (std::memcmp(text, suffix.data(), suffix.size()) == 0) {
                    return DomainMatch{static_cast<std::int64_t>(records[slot.record - 1]),
                                       std::string_view(text, suffix.size())};
                }
            }
        }
    }
    return std::nullopt;
}

std::size_t OwnerIndex::memory_bytes() const {
    auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
    std::size_t total = bytes(v4_top_) + bytes(v4_chunks_) + bytes(v4_leaves_) + bytes(v6_keys_) +
                        bytes(v6_range_leaf_) + bytes(v6_slots_) + bytes(v6_leaves_) +
                        bytes(asns_) + bytes(domain_slots_) + bytes(domain_records_);
    for (const auto& issue : issues_) {
        total += sizeof(issue) + issue.text.capacity() + issue.message.capacity();
    }
    return total;
}

OwnerIndexHolder::OwnerIndexHolder() : current_(OwnerIndex::Empty()) {}

OwnerIndexHolder::OwnerIndexHolder(std::shared_ptr<const OwnerIndex> initial)
    : current_(initial ? std::move(initial) : OwnerIndex::Empty()) {}

std::shared_ptr<const OwnerIndex> OwnerIndexHolder::Get() const {
    std::lock_guard lock(mutex_);
    return current_;
}

std::shared_ptr<const OwnerIndex> OwnerIndexHolder::Swap(std::shared_ptr<const OwnerIndex> next) {
    std::lock_guard lock(mutex_);
    if (!next) return current_;
    current_.swap(next);
    return next;  // now the previous snapshot
}

}  // namespace muhafiz::constituency
