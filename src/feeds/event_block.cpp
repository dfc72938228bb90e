#include "feeds/event_block.hpp"
#include "feeds/event.hpp"

#include <lz4.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <limits>

namespace muhafiz::feeds {
namespace {

constexpr unsigned kNotify = 1, kCompact = 2, kHasRaw = 4, kHasAsn = 8, kObservation = 16, kTimeSource = 32,
                   kHeaderIp = 64, kHeaderAsn = 128, kTimeDelta = 256, kRawFromTemplate = 512, kTimeSeconds = 1024,
                   kSeenOnce = 2048, kHeaderAbuse = 4096;
constexpr std::int64_t kMicrosPerSecond = 1000000;

core::Error Bad() { return core::Error{core::ErrorCode::kInternal, "stored event block unreadable", ""}; }

template <typename T>
bool ReadNum(std::string_view& in, T& v, char end) {
    auto r = std::from_chars(in.data(), in.data() + in.size(), v);
    if (r.ec != std::errc() || r.ptr == in.data() + in.size() || *r.ptr != end) return false;
    in.remove_prefix(static_cast<std::size_t>(r.ptr - in.data()) + 1);
    return true;
}

bool ReadStr(std::string_view& in, std::string_view& s) {
    std::size_t n = 0;
    if (!ReadNum(in, n, ':') || n > in.size()) return false;
    s = in.substr(0, n);
    in.remove_prefix(n);
    return true;
}

// A value that repeats the previous event's is written '=' (AppendBlockEvent).
bool ReadRepeatable(std::string_view& in, std::string_view& s) {
    if (!in.empty() && in.front() == '=') {
        in.remove_prefix(1);  // s keeps the previous event's value
        return true;
    }
    return ReadStr(in, s);
}

}  // namespace

namespace {

// Room for `n` bytes after out's own (AppendBlockEventTo writes there, then End cuts `out` to what
// it wrote): a string is grown (by doubling) and zero-filled; a ByteBuffer is not.
char* RoomAtEnd(std::string& out, std::size_t n) {
    const std::size_t at = out.size();
    if (out.capacity() < at + n) out.reserve(std::max(at + n, out.capacity() * 2));
    out.resize(at + n);
    return out.data() + at;
}
char* RoomAtEnd(core::ByteBuffer& out, std::size_t n) { return out.Room(n); }
void End(std::string& out, const char* end) { out.resize(static_cast<std::size_t>(end - out.data())); }
void End(core::ByteBuffer& out, const char* end) { out.Grow(static_cast<std::size_t>(end - out.data()) - out.size()); }

template <typename Out>
unsigned AppendBlockEventTo(Out& out, const BlockEvent& e, const BlockEvent* previous, std::size_t* written_at,
                            bool raw_follows) {
    const unsigned flags = (e.notify ? kNotify : 0u) | (e.compact ? kCompact : 0u) | (e.has_raw ? kHasRaw : 0u) |
                           (e.asn ? kHasAsn : 0u) | (e.block_observation ? kObservation : 0u) |
                           (e.derived_time_source ? kTimeSource : 0u) | (e.header_ip ? kHeaderIp : 0u) |
                           (e.header_asn && e.asn ? kHeaderAsn : 0u) | (previous ? kTimeDelta : 0u) |
                           (e.raw_from_template && !e.has_raw ? kRawFromTemplate : 0u) |
                           (e.header_abuse ? kHeaderAbuse : 0u);
    // The time (or the difference to the previous event's) in seconds when it is whole ones; an
    // event seen once at its time (first_seen = last_seen = time_source, count 1) without those
    // three numbers.
    std::int64_t time = previous ? e.time_source - previous->time_source : e.time_source;
    const bool seconds = time % kMicrosPerSecond == 0;
    if (seconds) time /= kMicrosPerSecond;
    const bool once = e.first_seen == e.time_source && e.last_seen == e.time_source && e.count == 1;
    const unsigned all_flags = flags | (seconds ? kTimeSeconds : 0u) | (once ? kSeenOnce : 0u);
    std::int64_t numbers[8];
    std::size_t n_numbers = 0;
    numbers[n_numbers++] = e.line;
    numbers[n_numbers++] = time;
    if (!once) {
        numbers[n_numbers++] = e.first_seen - e.time_source;
        numbers[n_numbers++] = e.last_seen - e.time_source;
        numbers[n_numbers++] = e.count;
    }
    numbers[n_numbers++] = e.organisation_id;
    numbers[n_numbers++] = static_cast<std::int64_t>(all_flags);
    numbers[n_numbers++] = e.asn.value_or(0);
    // The strings in their order; a repeatable one equal to the previous event's is written '='.
    // (abuse only with its flag: else it is empty, and so for the next event's '='.)
    struct Part {
        std::string_view s;
        bool repeated;
        unsigned repeated_bit;  // kRepeated*; 0: not a repeatable value
        int written_at;         // its index in written_at; -1: not a repeatable value
    };
    const auto rep = [&](std::string_view s, std::string_view BlockEvent::*field, unsigned bit, int at) {
        return Part{s, previous && s.size() < kMaxRepeatedValue && SameBytes(previous->*field, s), bit, at};
    };
    Part parts[10] = {rep(e.scope_path, &BlockEvent::scope_path, kRepeatedScope, 0),
                      Part{e.ip, false, 0, -1},
                      rep(e.taxonomy, &BlockEvent::taxonomy, kRepeatedTaxonomy, 1),
                      rep(e.type, &BlockEvent::type, kRepeatedType, 2),
                      rep(e.identifier, &BlockEvent::identifier, kRepeatedIdentifier, 3),
                      rep(e.severity, &BlockEvent::severity, kRepeatedSeverity, 4),
                      rep(e.cc, &BlockEvent::cc, kRepeatedCc, 5)};
    std::size_t n_parts = 7;
    if (e.header_abuse) parts[n_parts++] = rep(e.abuse, &BlockEvent::abuse, kRepeatedAbuse, 6);
    parts[n_parts++] = Part{e.data, false, 0, -1};
    std::size_t raw_part = std::size(parts);  // the part whose bytes are not written (none)
    if (e.has_raw) {
        if (raw_follows) raw_part = n_parts;
        parts[n_parts++] = Part{e.raw, false, 0, -1};
    }
    // Written in place: the room for the numbers (at most 20 characters and the separator each)
    // and the strings, then cut to what was written.
    std::size_t room = 8 * 21;
    for (std::size_t i = 0; i < n_parts; ++i) room += parts[i].repeated ? 1 : 21 + (i == raw_part ? 0 : parts[i].s.size());
    const std::size_t at = out.size();
    char* o = RoomAtEnd(out, room);
    for (std::size_t i = 0; i < n_numbers; ++i) {
        o = WriteDecimal(o, numbers[i]);
        *o++ = i + 1 < n_numbers ? ',' : ';';
    }
    unsigned repeated = 0;
    if (written_at && !e.header_abuse) written_at[6] = at;  // (its abuse is empty: where does not matter)
    for (std::size_t i = 0; i < n_parts; ++i) {
        if (parts[i].repeated) {
            *o++ = '=';
            repeated |= parts[i].repeated_bit;
            continue;
        }
        const std::string_view s = parts[i].s;
        o = WriteDecimal(o, static_cast<std::int64_t>(s.size()));
        *o++ = ':';
        if (written_at && parts[i].written_at >= 0)
            written_at[parts[i].written_at] = static_cast<std::size_t>(o - out.data());
        if (i == raw_part) break;
        CopyBytes(o, s.data(), s.size());
        o += s.size();
    }
    End(out, o);
    return repeated;
}

}  // namespace

unsigned AppendBlockEvent(std::string& out, const BlockEvent& e, const BlockEvent* previous, std::size_t* written_at,
                          bool raw_follows) {
    return AppendBlockEventTo(out, e, previous, written_at, raw_follows);
}

unsigned AppendBlockEvent(core::ByteBuffer& out, const BlockEvent& e, const BlockEvent* previous,
                          std::size_t* written_at, bool raw_follows) {
    return AppendBlockEventTo(out, e, previous, written_at, raw_follows);
}

core::Result<bool> BlockReader::Next(BlockEvent& e) {
    if (rest_.empty()) return false;
    if (first_) {
        e = BlockEvent{};  // nothing to repeat yet
        first_ = false;
    }
    // Eight numbers (line, time, first_seen and last_seen as differences, count, organisation,
    // flags, asn), or five for an event seen once (flags kSeenOnce: no first_seen, last_seen and
    // count).
    std::int64_t numbers[8];
    std::size_t n = 0;
    for (bool more = true; more;) {
        if (n == 8) return tl::unexpected(Bad());
        auto r = std::from_chars(rest_.data(), rest_.data() + rest_.size(), numbers[n++]);
        if (r.ec != std::errc() || r.ptr == rest_.data() + rest_.size() || (*r.ptr != ',' && *r.ptr != ';'))
            return tl::unexpected(Bad());
        more = *r.ptr == ',';
        rest_.remove_prefix(static_cast<std::size_t>(r.ptr - rest_.data()) + 1);
    }
    if (n != 8 && n != 5) return tl::unexpected(Bad());
    const std::int64_t flag_number = numbers[n - 2];
    if (flag_number < 0 || flag_number > 0xffff) return tl::unexpected(Bad());
    const auto flags = static_cast<unsigned>(flag_number);
    if (((flags & kSeenOnce) != 0) != (n == 5)) return tl::unexpected(Bad());
    std::int64_t time = numbers[1], first = 0, last = 0;
    e.line = numbers[0];
    e.count = 1;
    if (n == 8) {
        first = numbers[2];
        last = numbers[3];
        e.count = numbers[4];
    }
    e.organisation_id = numbers[n - 3];
    const std::int64_t asn = numbers[n - 1];
    if (flags & kTimeSeconds) {
        constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / kMicrosPerSecond;
        if (time > kMaxSeconds || time < -kMaxSeconds) return tl::unexpected(Bad());
        time *= kMicrosPerSecond;
    }
    e.time_source = (flags & kTimeDelta) ? previous_time_ + time : time;
    previous_time_ = e.time_source;
    e.first_seen = e.time_source + first;
    e.last_seen = e.time_source + last;
    e.notify = flags & kNotify;
    e.compact = flags & kCompact;
    e.has_raw = flags & kHasRaw;
    e.asn = (flags & kHasAsn) ? std::optional<std::int64_t>(asn) : std::nullopt;
    e.block_observation = flags & kObservation;
    e.derived_time_source = flags & kTimeSource;
    e.header_ip = flags & kHeaderIp;
    e.header_asn = (flags & kHeaderAsn) && e.asn;
    e.raw_from_template = flags & kRawFromTemplate;
    e.header_abuse = flags & kHeaderAbuse;
    if (!e.header_abuse) e.abuse = {};
    if (!ReadRepeatable(rest_, e.scope_path) || !ReadStr(rest_, e.ip) || !ReadRepeatable(rest_, e.taxonomy) ||
        !ReadRepeatable(rest_, e.type) || !ReadRepeatable(rest_, e.identifier) ||
        !ReadRepeatable(rest_, e.severity) || !ReadRepeatable(rest_, e.cc) ||
        (e.header_abuse && !ReadRepeatable(rest_, e.abuse)) || !ReadStr(rest_, e.data))
        return tl::unexpected(Bad());
    e.raw = {};
    if (e.has_raw && !ReadStr(rest_, e.raw)) return tl::unexpected(Bad());
    return true;
}

void AppendDedupHash(std::string& out, std::uint64_t hash) {
    // Eight digits at a time: the nibbles of 32 bits spread into the bytes of a word (the most
    // significant in the highest byte), each turned into '0'-'9' or 'a'-'f', then stored most
    // significant first.
    const auto digits = [](std::uint32_t v) {
        std::uint64_t x = v;
        x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
        x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
        x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
        const std::uint64_t letters = ((x + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;  // nibbles >= 10
        x += 0x3030303030303030ULL + letters * ('a' - '0' - 10);
        return __builtin_bswap64(x);
    };
    char buf[16];
    if constexpr (std::endian::native != std::endian::little) {
        for (int i = 15; i >= 0; --i, hash >>= 4) buf[i] = "0123456789abcdef"[hash & 15];
        out.append(buf, 16);
        return;
    }
    const std::uint64_t hi = digits(static_cast<std::uint32_t>(hash >> 32)), lo = digits(static_cast<std::uint32_t>(hash));
    std::memcpy(buf, &hi, 8);
    std::memcpy(buf + 8, &lo, 8);
    out.append(buf, 16);
}

std::size_t DedupHashCount(std::string_view column) { return column.size() / 16; }

std::uint64_t DedupHashAt(std::string_view column, std::size_t i) {
    std::uint64_t v = 0;
    (void)std::from_chars(column.data() + i * 16, column.data() + i * 16 + 16, v, 16);
    return v;
}

namespace {
constexpr char kPacked = '\x01';
}  // namespace

bool IsPackedBlockText(std::string_view stored) { return !stored.empty() && stored.front() == kPacked; }

std::string PackBlockText(std::string_view text) {
    if (text.size() > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE)) return std::string(text);
    const int in = static_cast<int>(text.size());
    const int bound = LZ4_compressBound(in);
    char head[24];
    head[0] = kPacked;
    char* h = std::to_chars(head + 1, head + sizeof head - 1, text.size()).ptr;
    *h++ = ':';
    const auto head_size = static_cast<std::size_t>(h - head);
    // Packed into a buffer kept per thread (not zeroed again for every block), then copied out.
    thread_local std::string buffer;
    if (buffer.size() < head_size + static_cast<std::size_t>(bound)) buffer.resize(head_size + static_cast<std::size_t>(bound));
    std::memcpy(buffer.data(), head, head_size);
    const int n = LZ4_compress_default(text.data(), buffer.data() + head_size, in, bound);
    if (n <= 0) return std::string(text);  // (not with a buffer of the bound's size)
    return std::string(buffer.data(), head_size + static_cast<std::size_t>(n));
}

core::Result<std::string> UnpackBlockText(std::string stored) {
    if (!IsPackedBlockText(stored)) return stored;
    const auto damaged = [] { return core::Invalid("data", "a stored block of events is damaged (its packed text does not decode)"); };
    const auto colon = stored.find(':');
    std::size_t size = 0;
    if (colon == std::string::npos ||
        std::from_chars(stored.data() + 1, stored.data() + colon, size).ptr != stored.data() + colon ||
        size > static_cast<std::size_t>(LZ4_MAX_INPUT_SIZE))
        return damaged();
    std::string text(size, '\0');
    const int n = LZ4_decompress_safe(stored.data() + colon + 1, text.data(), static_cast<int>(stored.size() - colon - 1),
                                      static_cast<int>(size));
    if (n < 0 || static_cast<std::size_t>(n) != size) return damaged();
    return text;
}

namespace {
constexpr int kAddressProbes = 4;
// The bit of probe i of `hash` in a filter of `bits` bits (a power of two): double hashing, with
// an odd step so that the probes differ.
std::size_t AddressBit(std::uint64_t hash, int i, std::size_t bits) {
    const std::uint64_t step = (hash >> 32) | 1;
    return static_cast<std::size_t>(hash + static_cast<std::uint64_t>(i) * step) & (bits - 1);
}
}  // namespace

std::uint64_t AddressHash(std::string_view ip) {
    // Eight (or four) bytes at a time, the last load overlapping the one before, read as
    // little-endian numbers whatever the machine (stored filters are read the same everywhere),
    // then mixed.
    const char* p = ip.data();
    const std::size_t n = ip.size();
    const auto load = [p]<typename T>(std::size_t at, T) {
        T w;
        std::memcpy(&w, p + at, sizeof w);
        if constexpr (std::endian::native == std::endian::big) {
            if constexpr (sizeof w == 8) w = __builtin_bswap64(w);
            else w = __builtin_bswap32(w);
        }
        return static_cast<std::uint64_t>(w);
    };
    std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    const auto mix = [&h](std::uint64_t w) {
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    };
    if (n >= 8) {
        for (std::size_t i = 0; i + 8 <= n; i += 8) mix(load(i, std::uint64_t{}));
        if (n % 8) mix(load(n - 8, std::uint64_t{}));
    } else if (n >= 4) {
        mix(load(0, std::uint32_t{}) | (load(n - 4, std::uint32_t{}) << 32));
    } else {
        for (std::size_t i = 0; i < n; ++i) mix(static_cast<unsigned char>(p[i]));
    }
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

std::string MakeAddressFilter(const std::vector<std::uint64_t>& hashes) {
    const std::size_t bits = std::bit_ceil(std::max<std::size_t>(64, hashes.size() * 16));
    std::vector<std::uint8_t> nibbles(bits / 4, 0);
    for (const std::uint64_t h : hashes)
        for (int i = 0; i < kAddressProbes; ++i) {
            const std::size_t b = AddressBit(h, i, bits);
            nibbles[b >> 2] = static_cast<std::uint8_t>(nibbles[b >> 2] | (1u << (b & 3)));
        }
    std::string text(nibbles.size(), '0');
    for (std::size_t i = 0; i < nibbles.size(); ++i) text[i] = "0123456789abcdef"[nibbles[i]];
    return text;
}

bool MayHoldAddress(std::string_view filter, std::uint64_t hash) {
    const std::size_t bits = filter.size() * 4;
    if (bits < 64 || !std::has_single_bit(bits)) return true;  // none kept (or not one of ours)
    for (int i = 0; i < kAddressProbes; ++i) {
        const std::size_t b = AddressBit(hash, i, bits);
        const char c = filter[b >> 2];
        const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) return true;
        if (!((v >> (b & 3)) & 1)) return false;
    }
    return true;
}

void AddClass(std::string& set, std::string_view value) {
    if (HasClass(set, value)) return;
    if (set.empty()) set.push_back('|');
    set.append(value);
    set.push_back('|');
}

bool HasClass(std::string_view set, std::string_view value) {
    for (std::size_t p = set.find(value); p != std::string_view::npos; p = set.find(value, p + 1))
        if (p > 0 && set[p - 1] == '|' && p + value.size() < set.size() && set[p + value.size()] == '|') return true;
    return false;
}

}  // namespace muhafiz::feeds
