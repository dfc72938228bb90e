#include "feeds/pipeline.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <span>
#include <thread>
#include <optional>
#include <unordered_set>
#include <utility>

#include <boost/unordered/unordered_flat_map.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/byte_buffer.hpp"
#include "core/ids.hpp"
#include "feeds/bounded_queue.hpp"
#include "feeds/event_block.hpp"
#include "feeds/open_table.hpp"

namespace muhafiz::feeds {
namespace {

constexpr std::int64_t kFullHashLimit = std::int64_t{64} << 20;
constexpr std::int64_t kSampleBytes = std::int64_t{4} << 20;

}  // namespace

std::string FingerprintData(std::string_view data) {
    core::Sha256 sha;
    if (static_cast<std::int64_t>(data.size()) <= kFullHashLimit) {
        sha.Update(data);
        return "sha256:" + sha.Hex();
    }
    sha.Update(std::to_string(data.size()));
    sha.Update(data.substr(0, kSampleBytes));
    sha.Update(data.substr(data.size() - kSampleBytes));
    return "sample-sha256:" + sha.Hex();
}

core::Result<std::string> FingerprintFile(const std::string& path, std::int64_t& size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return core::Invalid("file", "cannot open " + path + ": " + std::strerror(errno));
    struct stat sb {};
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        ::close(fd);
        return core::Invalid("file", path + " is not a regular file");
    }
    size = sb.st_size;
    core::Sha256 sha;
    std::string buf(1 << 20, '\0');
    auto feed = [&](std::int64_t from, std::int64_t len) -> bool {
        while (len > 0) {
            const auto n = ::pread(fd, buf.data(), static_cast<std::size_t>(std::min<std::int64_t>(len, 1 << 20)), from);
            if (n <= 0) return n == 0;
            sha.Update(std::string_view(buf.data(), static_cast<std::size_t>(n)));
            from += n;
            len -= n;
        }
        return true;
    };
    bool ok;
    std::string prefix;
    if (size <= kFullHashLimit) {
        ok = feed(0, size);
        prefix = "sha256:";
    } else {
        sha.Update(std::to_string(size));
        ok = feed(0, kSampleBytes) && feed(size - kSampleBytes, kSampleBytes);
        prefix = "sample-sha256:";
    }
    ::close(fd);
    if (!ok) return core::Invalid("file", "cannot read " + path);
    return prefix + sha.Hex();
}

namespace {

// How many bytes of [p, p + n) are `c`: sixteen (SSE2) or eight bytes at a time (the reader
// counts the quotes after a buffer's last line end, and a line's when it steps back over one).
std::size_t CountByte(const char* p, std::size_t n, char c) {
    const std::uint64_t pattern = 0x0101010101010101ULL * static_cast<unsigned char>(c);
    constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
    std::size_t count = 0, i = 0;
#if defined(__SSE2__)
    // Sixteen bytes at a time: per-byte counters (0..255) of the matches, summed every 255 rounds.
    const __m128i needle = _mm_set1_epi8(c);
    while (n - i >= 16) {
        const std::size_t end = i + std::min<std::size_t>((n - i) / 16, 255) * 16;
        __m128i acc = _mm_setzero_si128();
        for (; i < end; i += 16)
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), needle));
        const __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
        count += static_cast<std::size_t>(_mm_cvtsi128_si32(sums)) + static_cast<std::size_t>(_mm_extract_epi16(sums, 4));
    }
#endif
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        const std::uint64_t x = w ^ pattern;  // zero bytes where w has c
        // High bit of each byte set exactly where x's byte is zero.
        const std::uint64_t zero = ~(((x & kLow7) + kLow7) | x | kLow7);
        count += static_cast<std::size_t>(((zero >> 7) * 0x0101010101010101ULL) >> 56);  // sum of the 0/1 bytes
    }
    for (; i < n; ++i) count += p[i] == c;
    return count;
}

// How many '"' and how many '\n' [p, p + n) holds, in one pass (sixteen bytes at a time, as
// CountByte): the reader counts what it reads while it is in the CPU's cache.
struct ByteCounts {
    std::size_t quotes = 0, line_ends = 0;
};
ByteCounts CountQuotesAndLineEnds(const char* p, std::size_t n) {
    ByteCounts c;
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), line_end = _mm_set1_epi8('\n');
    const auto sum = [](__m128i acc) {
        const __m128i s = _mm_sad_epu8(acc, _mm_setzero_si128());
        return static_cast<std::size_t>(_mm_cvtsi128_si32(s)) + static_cast<std::size_t>(_mm_extract_epi16(s, 4));
    };
    while (n - i >= 16) {
        const std::size_t end = i + std::min<std::size_t>((n - i) / 16, 255) * 16;
        __m128i q = _mm_setzero_si128(), l = _mm_setzero_si128();
        for (; i < end; i += 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
            q = _mm_sub_epi8(q, _mm_cmpeq_epi8(v, quote));
            l = _mm_sub_epi8(l, _mm_cmpeq_epi8(v, line_end));
        }
        c.quotes += sum(q);
        c.line_ends += sum(l);
    }
#endif
    for (; i < n; ++i) {
        c.quotes += p[i] == '"';
        c.line_ends += p[i] == '\n';
    }
    return c;
}

}  // namespace

// ---- ChunkReader -----------------------------------------------------------------------------

core::Result<std::unique_ptr<ChunkReader>> ChunkReader::OpenFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return core::Invalid("file", "cannot open " + path + ": " + std::strerror(errno));
    struct stat sb {};
    fstat(fd, &sb);
    std::unique_ptr<ChunkReader> r(new ChunkReader());
    r->fd_ = fd;
    r->size_ = sb.st_size;
    return r;
}

std::unique_ptr<ChunkReader> ChunkReader::FromData(std::string_view data) {
    std::unique_ptr<ChunkReader> r(new ChunkReader());
    r->from_data_ = true;
    r->data_ = data;
    r->size_ = static_cast<std::int64_t>(data.size());
    return r;
}

ChunkReader::~ChunkReader() {
    if (fd_ >= 0) ::close(fd_);
}

void ChunkReader::Count(const char* p, std::size_t n, int sign) {
    const ByteCounts c = CountQuotesAndLineEnds(p, n);
    if (sign > 0) {
        quotes_ += c.quotes;
        line_ends_ += c.line_ends;
    } else {
        quotes_ -= c.quotes;
        line_ends_ -= c.line_ends;
    }
}

core::Result<std::size_t> ChunkReader::Fill(std::size_t want) {
    if (eof_) return std::size_t{0};
    const std::size_t old = used_;
    // Room for `want` more: only what the string lacks is added (and zero-filled by resize); the
    // rest of its size is read into as it is.
    if (buffer_.size() < old + want) buffer_.resize(old + want);
    if (from_data_) {
        const std::size_t left = data_.size() - static_cast<std::size_t>(read_pos_);
        const std::size_t n = std::min(want, left);
        std::memcpy(buffer_.data() + old, data_.data() + read_pos_, n);
        Count(buffer_.data() + old, n);
        used_ += n;
        read_pos_ += static_cast<std::int64_t>(n);
        if (read_pos_ >= static_cast<std::int64_t>(data_.size())) eof_ = true;
        return n;
    }
    std::size_t got = 0;
    // A piece at a time, each counted while it is in the CPU's cache.
    constexpr std::size_t kPiece = 256 << 10;
    while (got < want) {
        const auto n = ::pread(fd_, buffer_.data() + old + got, std::min(want - got, kPiece), read_pos_);
        if (n < 0) {
            if (errno == EINTR) continue;
            used_ = old + got;
            return core::Invalid("file", std::string("read error: ") + std::strerror(errno));
        }
        if (n == 0) {
            eof_ = true;
            break;
        }
        Count(buffer_.data() + old + got, static_cast<std::size_t>(n));
        got += static_cast<std::size_t>(n);
        read_pos_ += n;
    }
    used_ = old + got;
    return got;
}

core::Result<std::optional<std::string>> ChunkReader::ReadFirstLine() {
    for (;;) {
        const auto nl = held().find('\n');
        if (nl != std::string::npos) {
            std::string line(buffer_.data(), nl);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            Count(buffer_.data(), nl + 1, -1);
            used_ -= nl + 1;
            std::memmove(buffer_.data(), buffer_.data() + nl + 1, used_);
            offset_ += static_cast<std::int64_t>(nl + 1);
            return std::optional<std::string>(std::move(line));
        }
        if (eof_ || used_ > (16u << 20)) {
            if (used_ == 0) return std::optional<std::string>();
            std::string line(held());
            offset_ += static_cast<std::int64_t>(used_);
            used_ = 0;
            quotes_ = line_ends_ = 0;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            return std::optional<std::string>(std::move(line));
        }
        MUHAFIZ_CHECK(Fill(64 << 10));
    }
}

core::Status ChunkReader::Seek(std::int64_t offset) {
    if (offset < offset_ || offset > size_) return core::Invalid("offset", "cannot resume at offset " + std::to_string(offset));
    used_ = 0;
    quotes_ = line_ends_ = 0;
    offset_ = offset;
    read_pos_ = offset;
    eof_ = offset >= size_;
    return core::Ok();
}


core::Result<bool> ChunkReader::Next(std::string& chunk, std::size_t target, bool csv) {
    auto hand_out = [&](std::size_t n) {
        // What stays (after the cut: mostly a part of a line) counted; the chunk has the rest.
        const std::size_t rest_bytes = used_ - n;
        const ByteCounts rest = rest_bytes == 0 ? ByteCounts{} : CountQuotesAndLineEnds(buffer_.data() + n, rest_bytes);
        chunk_line_ends_ = line_ends_ - rest.line_ends;
        quotes_ = rest.quotes;
        line_ends_ = rest.line_ends;
        // The buffer becomes the chunk, cut to its n bytes; the string `chunk` brought becomes the
        // buffer, its bytes room to read into, and only the bytes after the cut (far fewer) are
        // copied to its front.
        chunk.swap(buffer_);
        if (buffer_.size() < rest_bytes) buffer_.resize(rest_bytes);
        std::memcpy(buffer_.data(), chunk.data() + n, rest_bytes);
        chunk.resize(n);
        used_ = rest_bytes;
        offset_ += static_cast<std::int64_t>(n);
        return true;
    };
    for (;;) {
        if (used_ < target && !eof_) {
            MUHAFIZ_CHECK(Fill(target - used_ + (64 << 10)));
            continue;
        }
        if (used_ == 0) {
            chunk.clear();
            return false;
        }
        if (eof_ && used_ <= target) return hand_out(used_);
        // The last line end that closes a record (outside quotes for CSV).
        std::size_t cut = std::string::npos;
        const std::string_view in = held();
        if (csv) {
            // The last line end with an even number of quotes before it: the quotes before the
            // buffer's last line end (those of the buffer, counted as it was read, less those
            // after it), then earlier line ends are tried while that one is inside quotes.
            const char* p = in.data();
            std::size_t nl = in.rfind('\n');
            if (nl != std::string::npos) {
                std::size_t quotes = quotes_ - CountByte(p + nl, in.size() - nl, '"');
                for (;;) {
                    if (quotes % 2 == 0) {
                        cut = nl;
                        break;
                    }
                    if (nl == 0) break;
                    const std::size_t prev = in.rfind('\n', nl - 1);
                    const std::size_t from = prev == std::string::npos ? 0 : prev;
                    quotes -= CountByte(p + from, nl - from, '"');
                    if (prev == std::string::npos) break;
                    nl = prev;
                }
            }
        } else {
            cut = in.rfind('\n');
        }
        if (cut != std::string::npos) return hand_out(cut + 1);
        if (eof_) return hand_out(used_);
        // Broken quoting: do not swallow the rest of the file; cut at a plain line end.
        if (used_ > target + (8u << 20)) {
            cut = in.rfind('\n');
            return hand_out(cut == std::string::npos ? used_ : cut + 1);
        }
        MUHAFIZ_CHECK(Fill(std::max<std::size_t>(target, 64 << 10)));
    }
}

// ---- Pipeline --------------------------------------------------------------------------------

Pipeline::Pipeline(FeedStore& store, FeedsConfig config, OwnerSource owners, NetworkSource network,
                   PipelineOptions options)
    : store_(store),
      config_(std::move(config)),
      owners_(std::move(owners)),
      network_(std::move(network)),
      options_(std::move(options)) {
    for (char& c : options_.home_country) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

FeedConfig Pipeline::FeedFor(const std::string& name, const std::string& format) const {
    FeedConfig f;
    if (const FeedConfig* c = config_.Find(name)) f = *c;
    else f = DefaultFeed(name, format);
    if (!format.empty()) f.format = format;
    return f;
}

namespace {

// UUIDv7s for the events of one batch without a getrandom() call per event: 48 bits of
// milliseconds, then 74 bits from a bijective mix of (per-batch random seed + counter), so the
// ids of one batch are distinct and those of different batches are as random as NewUuidV7's.
class UuidV7Source {
public:
    UuidV7Source() {
        randombytes_buf(seed_, sizeof seed_);
        ms_ = static_cast<std::uint64_t>(core::NowMicros() / 1000);
    }
    std::string Next() {
        const std::uint64_t a = Mix(seed_[0] + counter_);
        const std::uint64_t b = Mix(seed_[1] ^ (counter_ * 0x9e3779b97f4a7c15ULL));
        ++counter_;
        std::array<unsigned char, 16> u;
        for (int i = 0; i < 6; ++i) u[i] = static_cast<unsigned char>(ms_ >> (40 - 8 * i));
        for (int i = 0; i < 2; ++i) u[6 + i] = static_cast<unsigned char>(b >> (8 * i));
        for (int i = 0; i < 8; ++i) u[8 + i] = static_cast<unsigned char>(a >> (8 * i));
        u[6] = static_cast<unsigned char>((u[6] & 0x0F) | 0x70);
        u[8] = static_cast<unsigned char>((u[8] & 0x3F) | 0x80);
        return core::FormatUuid(u);
    }

private:
    static std::uint64_t Mix(std::uint64_t x) {
        x += 0x9e3779b97f4a7c15ULL;
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
    }
    std::uint64_t seed_[2];
    std::uint64_t ms_ = 0;
    std::uint64_t counter_ = 0;
};

// The event lists of processed batches (RoutedEvents), handed back to the thread that allocated
// their events (the parse thread; an aggregated feed's lists come back from the processing
// thread, a block-stored feed's never leave it), which builds the events of its next batches in them
// (RoutedEvent::Reset keeps an event's storage: no allocation per record) or frees them: glibc
// frees of another thread's memory contend on its arena and were a visible cost.
class Recycler {
public:
    // Lists kept for reuse at most (the batches in flight between the threads are a few).
    static constexpr std::size_t kKeepLists = 4;
    void Put(RoutedEvents&& events) {
        events.clear();
        std::lock_guard lock(mu_);
        lists_.push_back(std::move(events));
    }
    // (On the calling thread.) A list handed back, empty, with at most RoutedEvents::kKeep
    // elements kept; an empty list when none was. Lists beyond kKeepLists are freed.
    RoutedEvents Take() {
        RoutedEvents out;
        std::vector<RoutedEvents> extra;  // (freed here, outside the lock)
        {
            std::lock_guard lock(mu_);
            if (!lists_.empty()) {
                out = std::move(lists_.back());
                lists_.pop_back();
            }
            while (lists_.size() > kKeepLists) {
                extra.push_back(std::move(lists_.back()));
                lists_.pop_back();
            }
        }
        out.Trim();
        return out;
    }

private:
    std::mutex mu_;
    std::vector<RoutedEvents> lists_;
};

// Large strings reused instead of allocated again: block texts (feed_event_blocks.data) handed
// back once packed (SQLite, RunContext::pack_blocks) or by the store thread once written, for the
// processing thread; input chunks handed back once their unit is flushed, for the parse thread.
// Fewer allocations, page faults and cross-thread frees. Bounded by the capacity it holds
// (kPoolBytes) and by count (kPoolTexts).
class TextPool {
public:
    static constexpr std::size_t kPoolBytes = std::size_t{64} << 20, kPoolTexts = 32768;
    void Put(std::string&& text) {
        std::lock_guard lock(mu_);
        if (free_.size() >= kPoolTexts || bytes_ + text.capacity() > kPoolBytes) return;  // freed by the caller
        bytes_ += text.capacity();
        free_.push_back(std::move(text));
    }
    // A text put back, emptied (`as_is`: as it was put, its bytes room to write over).
    std::string Take(bool as_is = false) {
        std::lock_guard lock(mu_);
        if (free_.empty()) return {};
        std::string text = std::move(free_.back());
        free_.pop_back();
        bytes_ -= std::min(bytes_, text.capacity());
        if (!as_is) text.clear();
        return text;
    }

private:
    std::mutex mu_;
    std::vector<std::string> free_;
    std::size_t bytes_ = 0;
};
// The column of a block row holding its text (BlockBuilder).
constexpr std::size_t kBlockDataColumn = 17;

// How much a unit of the store holds for a non-aggregated feed (the events of many input chunks:
// the open blocks are handed to the store when either limit is reached, and at the end of the
// input). Larger units mean fewer, larger blocks (fewer rows, index and owner entries) and more
// memory held: the unit being filled, the one queued and the one being written, about three
// units of text. The 1M-row benchmark: units of 131,072 events / 64 MiB had half the owner
// entries of units of 65,536 / 32 MiB (~0.25 s less CPU storing them); units of 262,144 / 128 MiB
// halve them again (80,000): ~0.35 s less CPU in all (store 0.45 -> 0.31 s; alternated pairs run
// side by side, 6 of 8 better), peak RSS ~370 MiB instead of ~285. Larger ones (524,288 /
// 256 MiB) saved no more and held ~500 MiB.
constexpr std::int64_t kUnitEvents = 262144;
constexpr std::size_t kUnitBytes = std::size_t{128} << 20;

// Events a non-aggregated feed's stages take at a time: the parser hands them over as it goes
// (ParseOutput::ready) or ProcessBatch takes a batch's this many at a time.
constexpr std::size_t kSliceEvents = 64;

struct RunContext;

// The open blocks of a non-aggregated feed's run (migration 019, feeds/event_block.hpp): one per
// recipient, route and notify flag, kept open across batches so that a block holds the events of
// many input chunks. An event is encoded into its block's group when it is processed (the Event is
// then reused for the next one: only the encoding is held). A block holds at most kMaxBlockEvents
// events. Seal hands a unit's groups over, and Close turns each into a feed_event_blocks row: the
// ingest seals on the thread that runs the stages and closes on the next one (the ordering by
// owner and the packing of the text are a third of the work after parsing, and need nothing of
// the events). Add, the Prefetch* and Seal are for one thread; Close and GiveBack for any.
class BlockBuilder {
public:
    struct Group;
    using Groups = std::vector<Group>;
    // The open block an event goes to, when there is one (kNoGroup otherwise): found for a slice
    // of events at once, then given to the Prefetch* and to Add (one look-up per event).
    static constexpr std::uint32_t kNoGroup = std::numeric_limits<std::uint32_t>::max();
    [[nodiscard]] std::uint32_t Find(const RoutedEvent& e) const {
        const auto it = index_.find(GroupKey(e));
        return it == index_.end() ? kNoGroup : static_cast<std::uint32_t>(it->second);
    }
    // Adds `e` to its open block (`group`: Find(e), or kNoGroup when it was not open then).
    void Add(RoutedEvent& e, std::uint32_t group, const CompactBase& base);
    // Reads what Add will read of the runs of a slice of events (at most kSliceEvents; `group`:
    // Find of each): the slots of the run tables, then the runs, each step for all the events at
    // once. The runs are spread over large tables, mostly out of the cache, and reads made
    // together overlap; one event after another, each waited for its own (fetching them ahead
    // with prefetch instructions did not help). Without effect on what is stored.
    void ReadRuns(std::span<const RoutedEvent> events, const std::uint32_t* group) const;
    // Hands over the blocks of the unit: those that reached kMaxBlockEvents and the open ones
    // (appended to `out`, in that order), to be closed; the next event opens new ones.
    void Seal(Groups& out);
    // A sealed block as a row of `rows` (the row's id, its first event id, is set by the store,
    // which allocates the ids); counts its events in ctx.counting, and empties the group. Only
    // reads the rest of `ctx` (what is set before the first block is sealed).
    static void Close(RunContext& ctx, Group& g, std::vector<db::Params>& rows);
    // Closed groups, back for new blocks (their arenas, slots and tables keep their capacity).
    void GiveBack(Groups&& groups);
    // Seal, Close and GiveBack on the calling thread.
    void Flush(RunContext& ctx, std::vector<db::Params>& rows);
    // Events and bytes of text since the last Seal.
    [[nodiscard]] std::int64_t events() const { return events_; }
    [[nodiscard]] std::size_t bytes() const { return bytes_; }
    // Events added whose raw stays in the input chunk they borrow from until their block is
    // closed (the only view of a chunk an added event leaves behind): while it does not change,
    // the chunks of the events added meanwhile may be read into again.
    [[nodiscard]] std::uint64_t raws_in_chunks() const { return raws_in_chunks_; }

    // One owner's events in an open block (owner 0: none). Each is encoded against the owner's
    // previous event (its first on its own: nothing repeated from another owner's events), and
    // the block's text holds them one after another, so that a reader may start at an owner's
    // first event (migration 020: an owner's digest reads only its slice).
    struct alignas(64) Run {
        std::int64_t owner = 0, n = 0;
        core::Micros time = 0;  // the previous event's time_source
        // The previous event's repeatable values (AppendBlockEvent's order: scope, taxonomy, type,
        // identifier, severity, cc, abuse; a value written as '=' is the one of the event it repeats):
        // copies in the run itself when they fit their room (kInline), else where they are in the
        // group's arena. Reading them from the arena was a cache miss for most events (an owner's
        // previous event is far back in its block), which fetching ahead did not avoid. Where and
        // how long in one word (kSizeBits of size; a longer value, which AppendBlockEvent never
        // writes as '=', keeps a size no value it is compared with has): the run in four cache
        // lines, as many as ReadRuns fetches ahead.
        static constexpr std::uint8_t kInline[kRepeatableValues] = {32, 24, 32, 32, 8, 8, 40};
        static constexpr std::uint8_t kInlineAt[kRepeatableValues] = {0, 32, 56, 88, 120, 128, 136};
        static constexpr unsigned kSizeBits = 24;
        static constexpr std::uint64_t kMaxSize = (std::uint64_t{1} << kSizeBits) - 1;
        static_assert(kMaxSize == kMaxRepeatedValue);
        std::array<std::uint64_t, kRepeatableValues> where{};  // at << kSizeBits | min(size, kMaxSize)
        char copies[176];
        [[nodiscard]] std::size_t Size(std::size_t i) const { return where[i] & kMaxSize; }
        [[nodiscard]] bool Inline(std::size_t i) const { return Size(i) <= kInline[i]; }
        // `repeated`: the values AppendBlockEvent found equal to these (kRepeated* bits);
        // `written_at`: where it wrote the others.
        void Remember(const BlockEvent& b, unsigned repeated, const std::size_t* written_at) {
            time = b.time_source;
            const std::string_view values[kRepeatableValues] = {b.scope_path, b.taxonomy, b.type, b.identifier,
                                                                b.severity,   b.cc,       b.abuse};
            for (std::size_t i = 0; i < kRepeatableValues; ++i)
                if (!(repeated & (1u << i))) {
                    where[i] = static_cast<std::uint64_t>(written_at[i]) << kSizeBits |
                               std::min<std::uint64_t>(values[i].size(), kMaxSize);
                    if (Inline(i)) std::memcpy(copies + kInlineAt[i], values[i].data(), values[i].size());
                }
        }
        // Sets what AppendBlockEvent reads of the previous event (views of this run, or of `arena`).
        const BlockEvent& Previous(BlockEvent& p, const core::ByteBuffer& arena) const {
            const auto view = [&](std::size_t i) {
                const char* at = Inline(i) ? copies + kInlineAt[i] : arena.data() + (where[i] >> kSizeBits);
                return std::string_view(at, Size(i));
            };
            p.time_source = time;
            p.scope_path = view(0);
            p.taxonomy = view(1);
            p.type = view(2);
            p.identifier = view(3);
            p.severity = view(4);
            p.cc = view(5);
            p.abuse = view(6);
            return p;
        }
    };
    static_assert(sizeof(Run) == 256);
    static_assert(kRepeatedScope == 1 && kRepeatedTaxonomy == 2 && kRepeatedType == 4 && kRepeatedIdentifier == 8 &&
                  kRepeatedSeverity == 16 && kRepeatedCc == 32 && kRepeatedAbuse == 64);

public:
    struct Group {
        std::int64_t recipient = 0;
        Route route = Route::kUnrouted;
        bool notify = true;
        std::int64_t n = 0;
        core::Micros time_min = 0, time_max = 0;
        std::string scope_min, scope_max, classes, observation;
        std::vector<Run> runs;  // by owner, in the order first seen (sorted when closed)
        // owner -> runs (fetched ahead: Prefetch*)
        OpenTable<std::uint32_t, std::numeric_limits<std::uint32_t>::max()> run_index;
        // The events in the order they came: their encodings one after another in `arena`
        // (ordered by owner when the block is closed). An encoding leaves out its last part,
        // raw's bytes, when they are bytes of the input chunk the event borrows from (which the
        // ingest keeps until the blocks are flushed: Batch::texts): `raw` points to them, and
        // they are copied once, into the block's text, instead of twice.
        struct Slot {
            std::size_t offset = 0;
            std::uint32_t length = 0, run = 0;
            std::uint64_t dedup = 0;
            const char* raw = nullptr;
            std::size_t raw_size = 0;
        };
        core::ByteBuffer arena;  // (grown without copying: core/byte_buffer.hpp)
        std::size_t raw_bytes = 0;  // of raws left out of the arena
        std::vector<Slot> slots;
        std::vector<std::uint64_t> addresses;  // AddressHash of each event's ip (the block's address filter)
    };

private:
    // Empties a closed group for its next block, keeping the capacity of its arena, slots, runs
    // and run index (a block's worth: not allocated and grown again for every block).
    static void Reset(Group& g) {
        g.n = 0;
        g.time_min = g.time_max = 0;
        g.scope_min.clear();
        g.scope_max.clear();
        g.classes.clear();
        g.observation.clear();
        g.runs.clear();
        g.run_index.Clear();
        g.arena.clear();
        g.raw_bytes = 0;
        g.slots.clear();
        g.addresses.clear();
    }
    [[nodiscard]] static std::uint64_t GroupKey(const RoutedEvent& e) {
        return (static_cast<std::uint64_t>(e.recipient_id) << 8) | (static_cast<std::uint64_t>(e.route) << 1) |
               (e.notify ? 1u : 0u);
    }
    // A group for a new block of (recipient, route, notify): a spare one when there is one.
    Group NewGroup(const RoutedEvent& e);

    Groups groups_;
    boost::unordered_flat_map<std::uint64_t, std::size_t> index_;  // (recipient, route, notify) -> groups_
    Groups sealed_;  // blocks that reached kMaxBlockEvents
    // Closed groups (Reset), reused for new blocks: at most kSpareGroups, holding arenas of
    // kSpareBytes in all. (GiveBack may be called on another thread than Add.)
    static constexpr std::size_t kSpareGroups = 256, kSpareBytes = std::size_t{64} << 20;
    // Close copies the events in owner order: from anywhere in the arena and in the input chunks
    // (out of the cache by then), so each is fetched this many events ahead, every line of it.
    static constexpr std::size_t kCloseAhead = 4;
    static void Prefetch(const Group::Slot& slot, const core::ByteBuffer& arena) {
        const auto lines = [](const char* p, std::size_t n) {
            for (std::size_t i = 0; i < n; i += 64) __builtin_prefetch(p + i);
            if (n) __builtin_prefetch(p + n - 1);
        };
        lines(arena.data() + slot.offset, slot.length);
        if (slot.raw) lines(slot.raw, slot.raw_size);
    }
    struct Spares {
        std::mutex mu;
        Groups groups;
        std::size_t bytes = 0;
    };
    std::unique_ptr<Spares> spare_ = std::make_unique<Spares>();
    std::int64_t events_ = 0;
    std::size_t bytes_ = 0;
    std::uint64_t raws_in_chunks_ = 0;
    std::string data_;  // scratch
    std::optional<std::string_view> raw_;  // a view of the event being added
    BlockEvent previous_;                  // scratch (Run::Previous)
};

// Everything one run's stages share.
struct RunContext {
    Recycler* recycler = nullptr;  // null: event lists are freed where they are done with
    TextPool* texts = nullptr;     // null: block texts are allocated for each block
    // The texts of blocks packed as they are closed (FeedStore::PacksBlocks: PackBlockText), while
    // they are in the CPU's cache; the buffer goes straight back to `texts` for the next.
    bool pack_blocks = false;
    FeedConfig feed;
    RunRecord* run = nullptr;
    core::Micros now = 0;
    std::unique_ptr<Deduplicator> dedup;
    std::unique_ptr<Enricher> enricher;
    std::unique_ptr<Router> router;
    std::unique_ptr<Aggregator> aggregator;
    std::unordered_set<std::uint64_t> bases;  // feed_event_bases already handed to the store
    // Non-aggregated feeds: the open blocks, and the run's compact base (made from the first
    // events: one base for every block of the run, so a block may span batches).
    BlockBuilder blocks;
    std::optional<CompactBase> block_base;
    // Events per organisation of this run (recipient, and owner when another organisation),
    // counted as the events are built into rows or blocks (a flat hash map: one lookup per event
    // and organisation), given to FinishRun at the end.
    boost::unordered_flat_map<std::int64_t, std::int64_t> counting;
};

void BlockBuilder::Close(RunContext& ctx, Group& g, std::vector<db::Params>& rows) {
    if (g.n == 0) return;
    // The events ordered by owner (stable: in the order they came within an owner); the run's
    // counts: every event for its recipient, and for its owner when another one. slices:
    // "owner:first:at:n;" for each owner other than the recipient (feed_event_block_owners,
    // migration 020).
    std::vector<std::uint32_t> order(g.runs.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return g.runs[a].owner < g.runs[b].owner; });
    std::vector<std::size_t> next(g.runs.size());  // where each run's next event goes
    std::size_t pos = 0;
    for (const auto r : order) {
        next[r] = pos;
        pos += static_cast<std::size_t>(g.runs[r].n);
    }
    // (Copies, not pointers: read one after another below, where the slots in the order the
    // events came were a cache miss each.)
    std::vector<Group::Slot> sorted(g.slots.size());
    for (const auto& slot : g.slots) sorted[next[slot.run]++] = slot;
    ctx.counting[g.recipient] += g.n;
    std::string text = ctx.texts ? ctx.texts->Take() : std::string();
    text.reserve(g.arena.size() + g.raw_bytes);
    std::string dedup, owners, slices;
    dedup.reserve(g.slots.size() * 16);
    std::size_t at = 0;
    std::int64_t first = 0;
    for (std::size_t k = 0; k < kCloseAhead && k < sorted.size(); ++k) Prefetch(sorted[k], g.arena);
    for (const auto r : order) {
        const Run& run = g.runs[r];
        if (run.owner != 0) {
            if (!owners.empty()) owners.push_back(',');
            owners += std::to_string(run.owner);
            if (run.owner != g.recipient) {
                ctx.counting[run.owner] += run.n;
                slices += std::to_string(run.owner);
                slices.push_back(':');
                slices += std::to_string(first);
                slices.push_back(':');
                slices += std::to_string(text.size());
                slices.push_back(':');
                slices += std::to_string(run.n);
                slices.push_back(';');
            }
        }
        for (std::int64_t k = 0; k < run.n; ++k, ++at) {
            if (at + kCloseAhead < sorted.size()) Prefetch(sorted[at + kCloseAhead], g.arena);
            const Group::Slot* slot = &sorted[at];
            text.append(g.arena.data() + slot->offset, slot->length);
            if (slot->raw) text.append(slot->raw, slot->raw_size);
            AppendDedupHash(dedup, slot->dedup);
        }
        first += run.n;
    }
    if (ctx.pack_blocks) {
        std::string packed = PackBlockText(text);
        if (ctx.texts) ctx.texts->Put(std::move(text));
        text = std::move(packed);
    }
    db::Params& row = rows.emplace_back();
    row.reserve(20);
    row.emplace_back(std::int64_t{0});
    row.emplace_back(g.n);
    row.emplace_back(ctx.feed.name);
    row.emplace_back(ctx.run->id);
    row.emplace_back(ctx.now);
    row.emplace_back(g.recipient);
    row.emplace_back(std::string(RouteName(g.route)));
    row.push_back(db::Bool(g.notify));
    row.emplace_back(g.time_min);
    row.emplace_back(g.time_max);
    row.emplace_back(std::move(g.scope_min));
    row.emplace_back(std::move(g.scope_max));
    row.emplace_back(std::move(g.classes));
    row.emplace_back(ctx.block_base ? static_cast<std::int64_t>(ctx.block_base->id) : std::int64_t{0});
    row.emplace_back(std::move(owners));
    row.emplace_back(std::move(g.observation));
    row.emplace_back(std::move(dedup));
    row.emplace_back(std::move(text));
    row.emplace_back(MakeAddressFilter(g.addresses));
    row.emplace_back(std::move(slices));  // (not a column: the store writes the owners' entries from it)
    Reset(g);
}

void BlockBuilder::Seal(Groups& out) {
    for (auto& g : sealed_) out.push_back(std::move(g));
    sealed_.clear();
    for (auto& g : groups_)
        if (g.n > 0) out.push_back(std::move(g));
    groups_.clear();
    index_.clear();
    events_ = 0;
    bytes_ = 0;
}

void BlockBuilder::GiveBack(Groups&& groups) {
    std::lock_guard lock(spare_->mu);
    for (auto& g : groups) {
        if (spare_->groups.size() >= kSpareGroups || spare_->bytes + g.arena.capacity() > kSpareBytes) break;
        spare_->bytes += g.arena.capacity();
        spare_->groups.push_back(std::move(g));
    }
    groups.clear();
}

BlockBuilder::Group BlockBuilder::NewGroup(const RoutedEvent& e) {
    Group g;
    {
        std::lock_guard lock(spare_->mu);
        if (!spare_->groups.empty()) {
            g = std::move(spare_->groups.back());
            spare_->groups.pop_back();
            spare_->bytes -= g.arena.capacity();
        }
    }
    g.recipient = e.recipient_id;
    g.route = e.route;
    g.notify = e.notify;
    return g;
}

void BlockBuilder::Flush(RunContext& ctx, std::vector<db::Params>& rows) {
    Groups groups;
    Seal(groups);
    for (auto& g : groups) Close(ctx, g, rows);
    GiveBack(std::move(groups));
}

void BlockBuilder::ReadRuns(std::span<const RoutedEvent> events, const std::uint32_t* group) const {
    const Run* runs[kSliceEvents];
    const std::size_t n = std::min(events.size(), std::size(runs));
    for (std::size_t i = 0; i < n; ++i) {
        runs[i] = nullptr;
        if (group[i] == kNoGroup) continue;
        const Group& g = groups_[group[i]];
        if (const std::uint32_t* r = g.run_index.Find(static_cast<std::uint64_t>(events[i].organisation_id)))
            runs[i] = &g.runs[*r];
    }
    std::uint64_t read = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (runs[i]) {
            const char* run = reinterpret_cast<const char*>(runs[i]);
            for (std::size_t line = 0; line < sizeof(Run); line += 64) {
                std::uint64_t word;
                std::memcpy(&word, run + line, sizeof word);
                read += word;
            }
        }
    KeepReads(read);
}

void BlockBuilder::Add(RoutedEvent& e, std::uint32_t group, const CompactBase& base) {
    // The fields Add reads, found in one pass over the event's own fields (a table by dense key
    // index), then among its shared ones: not one search of the fields per key.
    enum Slot : std::uint8_t { kObs, kTs, kIp, kAsn, kNet, kTax, kType, kId, kSev, kCc, kAbuse, kSlots };
    static const Key keys[kSlots] = {"time.observation",
                                     "time.source",
                                     "source.ip",
                                     "source.asn",
                                     "source.network",
                                     "classification.taxonomy",
                                     "classification.type",
                                     "classification.identifier",
                                     "severity",
                                     "source.geolocation.cc",
                                     "source.abuse_contact"};
    static const std::array<std::uint8_t, kDenseKeys> slot_of = [] {
        std::array<std::uint8_t, kDenseKeys> t{};
        for (std::uint8_t s = 0; s < kSlots; ++s)
            if (keys[s].info().index != kOverflowKeyIndex) t[keys[s].info().index] = static_cast<std::uint8_t>(s + 1);
        return t;
    }();
    Event& ev = e.event;
    const Field* found[kSlots] = {};
    unsigned twice = 0;  // bit s: the event has more than one field of keys[s]
    for (const Field& f : ev.own_fields()) {
        // (A dense index is one key's; the overflow index has no slot.)
        if (const std::uint8_t s = slot_of[f.key.info().index]) {
            if (!found[s - 1]) found[s - 1] = &f;
            else twice |= 1u << (s - 1);
        }
    }
    for (std::uint8_t s = 0; s < kSlots; ++s)
        if (!found[s]) found[s] = ev.FindField(keys[s]);  // shared (or a key without a dense index)
    auto string_field = [&](Slot s) -> const Field* {
        return found[s] && found[s]->kind == JsonKind::kString ? found[s] : nullptr;
    };
    // A field the block event's head holds (left out of the data, which leaves out every field of
    // its key): the event's only one of its key.
    auto single = [&](Slot s) { return !(twice & (1u << s)); };
    auto value_or = [&](Slot s, std::string_view fallback = {}) { return found[s] ? found[s]->value : fallback; };
    if (group == kNoGroup) {
        auto [it, fresh] = index_.try_emplace(GroupKey(e), groups_.size());
        if (fresh) groups_.push_back(NewGroup(e));
        group = static_cast<std::uint32_t>(it->second);
    }
    Group* g = &groups_[group];
    bool new_run = false;
    const std::uint32_t run_at = *g->run_index.FindOrAdd(static_cast<std::uint64_t>(e.organisation_id),
                                                         static_cast<std::uint32_t>(g->runs.size()), new_run);
    if (new_run) g->runs.emplace_back().owner = e.organisation_id;
    Run* run = &g->runs[run_at];
    BlockEvent b;
    b.line = e.line;
    b.time_source = e.time_source;
    b.first_seen = e.first_seen;
    b.last_seen = e.last_seen;
    b.count = e.count;
    b.organisation_id = e.organisation_id;
    b.notify = e.notify;
    // time.observation (the same for most events of a report) and time.source (the text of
    // time_source) are not repeated in each event's data: put back when read. source.ip is the
    // block event's ip, source.asn its asn (a canonical integer): neither is repeated in the data
    // either, nor source.abuse_contact (the owner's, the same for the events of a run), which is
    // the block event's abuse. Flags say so; the encoding leaves those fields out (the event is not
    // changed).
    const Key* leave_out[5];
    std::size_t n_out = 0;
    const Field* observation = string_field(kObs);
    if (g->n == 0) g->observation.assign(observation ? observation->value : std::string_view());
    if (observation && single(kObs) && !g->observation.empty() && observation->value == g->observation) {
        leave_out[n_out++] = &keys[kObs];
        b.block_observation = true;
    }
    if (const Field* f = string_field(kTs); f && single(kTs) && IsEventTimeText(f->value, e.time_source)) {
        leave_out[n_out++] = &keys[kTs];
        b.derived_time_source = true;
    }
    if (const Field* f = string_field(kIp); f && single(kIp) && !f->value.empty()) {
        b.ip = f->value;
        leave_out[n_out++] = &keys[kIp];
        b.header_ip = true;
    } else {
        b.ip = value_or(kIp);
    }
    if (b.ip.empty()) b.ip = value_or(kNet);
    if (const Field* f = found[kAsn]) {
        std::int64_t v = 0;
        const std::string_view t = f->value;
        if (std::from_chars(t.data(), t.data() + t.size(), v).ec == std::errc()) {
            b.asn = v;
            // (Canonical digits: the text to_chars writes for v, put back when read.)
            if (f->kind == JsonKind::kInt && single(kAsn) && CanonicalDigits(t)) {
                leave_out[n_out++] = &keys[kAsn];
                b.header_asn = true;
            }
        }
    }
    b.taxonomy = value_or(kTax, "other");
    b.type = value_or(kType, "undetermined");
    b.identifier = value_or(kId);
    b.severity = value_or(kSev);
    b.cc = value_or(kCc);
    if (const Field* f = string_field(kAbuse); f && single(kAbuse) && !f->value.empty()) {
        b.abuse = f->value;
        leave_out[n_out++] = &keys[kAbuse];
        b.header_abuse = true;
    }
    b.scope_path = e.scope_path;
    b.compact = EncodeCompact(ev, base.id ? &base : nullptr, data_, raw_, std::span<const Key* const>(leave_out, n_out));
    if (!b.compact) {
        // ToJson of the whole event (nothing left out).
        b.block_observation = b.derived_time_source = b.header_ip = b.header_asn = b.header_abuse = false;
        b.abuse = {};
        data_ = ev.ToJson();
        raw_.reset();
    }
    b.data = data_;
    b.has_raw = raw_.has_value();
    if (raw_) b.raw = *raw_;
    // raw that the run's template rebuilds is not stored (nor copied when the block closes).
    if (b.has_raw && b.compact && base.raw_template && MatchesRawTemplate(*base.raw_template, ev, b.raw, e.time_source)) {
        b.has_raw = false;
        b.raw_from_template = true;
        b.raw = {};
    }
    const bool raw_follows = b.has_raw && ev.Borrows(b.raw);
    const std::size_t before = g->arena.size();
    std::size_t written_at[kRepeatableValues];
    const unsigned repeated = AppendBlockEvent(g->arena, b, run->n == 0 ? nullptr : &run->Previous(previous_, g->arena),
                                               written_at, raw_follows);
    g->slots.push_back({before, static_cast<std::uint32_t>(g->arena.size() - before), run_at, e.dedup_hash,
                        raw_follows ? b.raw.data() : nullptr, raw_follows ? b.raw.size() : 0});
    g->addresses.push_back(AddressHash(b.ip));
    if (raw_follows) {
        g->raw_bytes += b.raw.size();
        ++raws_in_chunks_;
    }
    // (A classification equal to the previous event's is in the set already.)
    if (!(repeated & kRepeatedTaxonomy)) AddClass(g->classes, b.taxonomy);
    if (!(repeated & kRepeatedType)) AddClass(g->classes, b.type);
    run->Remember(b, repeated, written_at);
    ++run->n;
    if (g->n == 0) {
        g->time_min = g->time_max = e.time_source;
        g->scope_min = g->scope_max = e.scope_path;
    } else {
        g->time_min = std::min(g->time_min, e.time_source);
        g->time_max = std::max(g->time_max, e.time_source);
        if (e.scope_path < g->scope_min) g->scope_min = e.scope_path;
        if (e.scope_path > g->scope_max) g->scope_max = e.scope_path;
    }
    ++events_;
    bytes_ += g->arena.size() - before + (raw_follows ? b.raw.size() : 0) + 16;
    if (++g->n >= kMaxBlockEvents) sealed_.push_back(std::exchange(*g, NewGroup(e)));
}

// The raw template that most of `events` fit: the first event's, merged with the templates of
// events that do not fit it (reports leave different cells empty); nullopt when none has raw as
// text or a template.
std::optional<RawTemplate> BestRawTemplate(std::span<const RoutedEvent> events) {
    const auto make = [&](const RoutedEvent& e) -> std::optional<RawTemplate> {
        const std::string_view* raw = e.event.raw_text();
        return raw ? MakeRawTemplate(e.event, *raw, e.time_source) : std::nullopt;
    };
    const auto fits = [&](const RawTemplate& t, const RoutedEvent& e) {
        const std::string_view* raw = e.event.raw_text();
        return raw && MatchesRawTemplate(t, e.event, *raw, e.time_source);
    };
    const auto count = [&](const RawTemplate& t) {
        return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [&](const RoutedEvent& e) { return fits(t, e); }));
    };
    std::optional<RawTemplate> best;
    std::size_t best_fits = 0;
    constexpr std::size_t kTries = 8;  // templates of events that did not fit, merged or alone
    std::size_t tries = 0;
    for (const RoutedEvent& e : events) {
        if (best_fits == events.size() || tries == kTries) break;
        if (best && fits(*best, e)) continue;
        auto t = make(e);
        if (!t) continue;
        ++tries;
        std::size_t n = count(*t);
        if (best)
            if (auto merged = MergeRawTemplates(*best, *t))
                if (const std::size_t m = count(*merged); m > n) {
                    t = std::move(merged);
                    n = m;
                }
        if (n > best_fits) {
            best = std::move(t);
            best_fits = n;
        }
    }
    return best;
}

// A non-aggregated feed's events (a slice, ProcessSlice) into the run's open blocks
// (BlockBuilder). The batch keeps no events: its counters, dead letters and resume point go with
// the unit the blocks are stored in.
void BuildBlocks(RunContext& ctx, std::span<RoutedEvent> events,
                 std::vector<std::pair<std::uint64_t, std::string>>& new_bases) {
    if (events.size() > kSliceEvents) {
        BuildBlocks(ctx, events.first(kSliceEvents), new_bases);
        BuildBlocks(ctx, events.subspan(kSliceEvents), new_bases);
        return;
    }
    if (!ctx.block_base && !events.empty()) {
        // The base: fields most of the run's first events share (feed, classification, report
        // constants).
        std::vector<const Event*> sample;
        for (std::size_t i = 0; i < events.size() && i < 32; ++i) sample.push_back(&events[i].event);
        ctx.block_base = MakeCompactBase(sample);
        // And the shape of their records (RawTemplate) that fits most of them.
        if (auto t = BestRawTemplate(events)) SetRawTemplate(*ctx.block_base, std::move(*t));
        if (ctx.block_base->id != 0 && ctx.bases.insert(ctx.block_base->id).second)
            new_bases.emplace_back(ctx.block_base->id, ctx.block_base->text);
    }
    const std::size_t n = events.size();
    std::uint32_t group[kSliceEvents];
    for (std::size_t i = 0; i < n; ++i) group[i] = ctx.blocks.Find(events[i]);
    ctx.blocks.ReadRuns(events, group);
    for (std::size_t i = 0; i < n; ++i) ctx.blocks.Add(events[i], group[i], *ctx.block_base);
}

// The events of an aggregated feed's batch as feed_events rows (compact form, data_format 1; JSON
// when an event cannot be written compactly): their stored events are updated in place. (Other
// feeds: BuildBlocks.) Runs on the processing thread, not on the store thread.
void BuildRows(RunContext& ctx, Batch& batch) {
    // The base: fields most of the first events share (feed, classification, report constants).
    std::vector<const Event*> sample;
    for (std::size_t i = 0; i < batch.events.size() && i < 32; ++i) sample.push_back(&batch.events[i].event);
    CompactBase base = MakeCompactBase(sample);
    if (base.id != 0 && ctx.bases.insert(base.id).second) batch.new_bases.emplace_back(base.id, base.text);
    batch.event_rows.reserve(batch.events.size());
    const std::string& feed = ctx.feed.name;
    const db::Value feed_value = feed;
    const db::Value run_value = ctx.run->id;
    const db::Value now_value = ctx.now;
    UuidV7Source uuids;
    std::string data;
    std::optional<std::string> raw;
    for (auto& e : batch.events) {
        const Event& ev = e.event;
        db::Value asn = nullptr;
        const std::string_view* a = ev.Get("source.asn");
        if (a) asn = static_cast<std::int64_t>(std::stoll(std::string(*a)));
        const std::string_view* ip = ev.Get("source.ip");
        if (!ip) ip = ev.Get("source.network");
        std::int64_t format = 1;
        if (!EncodeCompact(ev, base.id ? &base : nullptr, data, raw)) {
            data = ev.ToJson();
            raw.reset();
            format = 0;
        }
        // Built value by value (an initializer list would copy every string).
        db::Params& row = batch.event_rows.emplace_back();
        row.reserve(27);
        row.emplace_back(uuids.Next());
        row.push_back(feed_value);
        row.push_back(run_value);
        row.emplace_back(e.line);
        row.emplace_back(e.time_source);
        row.push_back(now_value);
        row.emplace_back(std::string(ev.GetOr("classification.taxonomy", "other")));
        row.emplace_back(std::string(ev.GetOr("classification.type", "undetermined")));
        row.emplace_back(std::string(ev.GetOr("classification.identifier")));
        row.emplace_back(std::string(ev.GetOr("severity")));
        row.emplace_back(ip ? std::string(*ip) : std::string());
        row.push_back(std::move(asn));
        row.emplace_back(std::string(ev.GetOr("source.geolocation.cc")));
        row.push_back(e.organisation_id ? db::Value(e.organisation_id) : db::Value(nullptr));
        row.emplace_back(e.recipient_id);
        row.emplace_back(std::string(RouteName(e.route)));
        row.emplace_back(std::move(e.scope_path));
        row.push_back(db::Bool(e.notify));
        row.emplace_back(static_cast<std::int64_t>(e.dedup_hash));
        row.push_back(e.aggregate_hash ? db::Value(static_cast<std::int64_t>(*e.aggregate_hash)) : db::Value(nullptr));
        row.emplace_back(e.first_seen);
        row.emplace_back(e.last_seen);
        row.emplace_back(e.count);
        row.emplace_back(std::move(data));
        row.emplace_back(format);
        row.emplace_back(format == 1 && base.id ? static_cast<std::int64_t>(base.id) : std::int64_t{0});
        row.push_back(raw ? db::Value(std::move(*raw)) : db::Value(nullptr));
        data = std::string();
        ++ctx.counting[e.recipient_id];
        if (e.organisation_id != 0 && e.organisation_id != e.recipient_id) ++ctx.counting[e.organisation_id];
    }
    // The rows are all the store needs: the events go back to the parse thread that allocated
    // them, not to the store thread.
    if (ctx.recycler) ctx.recycler->Put(std::move(batch.events));
    else batch.events.clear();
}

// A non-aggregated feed's events (of `batch`, parsed) through every stage and into the blocks, a
// slice at a time: a batch (an input chunk, thousands of events of ~2 KB) is larger than the
// CPU's caches, so stages that each went over the whole batch read every event from memory
// again; a slice stays in the cache from the hash to the encoding (1M-row benchmark: ~9 % less
// CPU), all the more when the parser has just built it (ParseOutput::ready). In place: the events
// stay where they are.
void ProcessSlice(RunContext& ctx, std::span<RoutedEvent> slice, Batch& batch) {
    slice = slice.first(ctx.dedup->Process(slice, ctx.now, batch.duplicates));
    ctx.enricher->Process(slice);
    ctx.router->Process(slice);
    BuildBlocks(ctx, slice, batch.new_bases);
}

void ProcessBatch(RunContext& ctx, Batch& batch) {
    if (!ctx.feed.aggregate) {
        const std::size_t n = batch.events.size();
        for (std::size_t at = 0; at < n; at += kSliceEvents)
            ProcessSlice(ctx, std::span<RoutedEvent>(batch.events.data() + at, std::min(kSliceEvents, n - at)), batch);
        // The event list goes back to the parser, which builds its next events in it.
        if (ctx.recycler) ctx.recycler->Put(std::move(batch.events));
        else batch.events.clear();
        return;
    }
    ctx.dedup->Process(batch, ctx.now);
    ctx.enricher->Process(batch);
    ctx.router->Process(batch);
    if (ctx.aggregator) ctx.aggregator->Process(batch);
    BuildRows(ctx, batch);
}

// Adds a processed batch of a non-aggregated feed (its events are in the open blocks) to the unit
// being filled: its dead letters, new bases, counters, resume point (the unit's is its last
// batch's) and input chunks (the open blocks may point into them until they are flushed).
void MergeInto(Batch& unit, Batch& b) {
    unit.seq = b.seq;
    for (auto& t : b.texts) unit.texts.push_back(std::move(t));
    if (unit.rejected.empty()) unit.rejected = std::move(b.rejected);
    else for (auto& r : b.rejected) unit.rejected.push_back(std::move(r));
    for (auto& u : b.updates) unit.updates.push_back(std::move(u));
    for (auto& r : b.event_rows) unit.event_rows.push_back(std::move(r));
    for (auto& nb : b.new_bases) unit.new_bases.push_back(std::move(nb));
    unit.records += b.records;
    unit.duplicates += b.duplicates;
    unit.aggregated += b.aggregated;
    unit.end_offset = b.end_offset;
    unit.end_line = b.end_line;
}

core::Result<RunContext> PrepareContext(FeedStore& store, db::Connection& conn, const FeedConfig& feed, RunRecord& run,
                                        const std::shared_ptr<const constituency::OwnerIndex>& owners,
                                        const std::shared_ptr<const NetworkData>& network,
                                        std::shared_ptr<const Directory> directory, const std::string& home) {
    RunContext ctx;
    ctx.feed = feed;
    ctx.run = &run;
    ctx.now = core::NowMicros();
    ctx.pack_blocks = FeedStore::PacksBlocks(conn);
    ctx.dedup = std::make_unique<Deduplicator>(feed.dedup_fields, feed.dedup_window);
    for (const auto& [h, t] : MUHAFIZ_TRY(store.LoadDedup(conn, feed.name, ctx.now - feed.dedup_window)))
        ctx.dedup->Remember(h, t);
    ctx.enricher = std::make_unique<Enricher>(network, owners);
    ctx.router = std::make_unique<Router>(ctx.feed, std::move(directory), home);
    if (feed.aggregate) {
        ctx.aggregator = std::make_unique<Aggregator>(feed.aggregate_fields, feed.aggregate_window);
        for (const auto& a : MUHAFIZ_TRY(store.LoadAggregates(conn, feed.name, ctx.now - feed.aggregate_window)))
            ctx.aggregator->Remember(a.hash, a.first_seen, a.last_seen);
    }
    return ctx;
}

ParseContext ContextFor(const FeedConfig& feed, core::Micros now) {
    ParseContext c;
    c.feed_code = feed.name;
    c.feed_name = feed.name;
    c.provider = feed.provider;
    c.tlp = feed.tlp;
    c.accuracy = feed.accuracy;
    c.observation = now;
    c.keep_raw = feed.keep_raw;
    if (!feed.classification_type.empty()) c.classification_type = feed.classification_type;
    c.classification_identifier = feed.classification_identifier;
    if (feed.fetch) c.feed_url = feed.fetch->url;
    return c;
}

// Reports being ingested in this process (feed + fingerprint), with their file and start.
class ActiveReport {
public:
    static core::Result<std::unique_ptr<ActiveReport>> Enter(const std::string& feed, const std::string& hash,
                                                             const std::string& file_name) {
        std::lock_guard lock(mu());
        const std::string key = feed + '\n' + hash;
        auto& m = map();
        if (auto it = m.find(key); it != m.end()) return tl::unexpected(Busy(file_name, it->second.first));
        m.emplace(key, std::make_pair(core::NowMicros(), file_name));
        return std::unique_ptr<ActiveReport>(new ActiveReport(key));
    }
    // The error Enter would give now (none: the report is not being ingested here).
    static core::Status Check(const std::string& feed, const std::string& hash, const std::string& file_name) {
        std::lock_guard lock(mu());
        if (auto it = map().find(feed + '\n' + hash); it != map().end())
            return tl::unexpected(Busy(file_name, it->second.first));
        return core::Ok();
    }
    ~ActiveReport() {
        std::lock_guard lock(mu());
        map().erase(key_);
    }

private:
    explicit ActiveReport(std::string key) : key_(std::move(key)) {}
    static core::Error Busy(const std::string& file_name, core::Micros since) {
        return core::Error{core::ErrorCode::kConflict,
                           "report " + file_name + " is being ingested by this process (pid " +
                               std::to_string(getpid()) + ") since " + core::FormatRfc3339(since),
                           "file"};
    }
    static std::mutex& mu() {
        static std::mutex m;
        return m;
    }
    static std::map<std::string, std::pair<core::Micros, std::string>>& map() {
        static std::map<std::string, std::pair<core::Micros, std::string>> m;
        return m;
    }
    std::string key_;
};

std::string HostName() {
    char host[256] = {0};
    if (gethostname(host, sizeof host - 1) != 0) return "localhost";
    return host;
}

// "host:pid" of this process.
std::string LeaseOwner() { return HostName() + ":" + std::to_string(static_cast<long long>(getpid())); }

// True when another live process holds the run's lease.
bool LeaseHeld(const RunRecord& run, const std::string& me) {
    if (run.lease_owner.empty() || run.lease_owner == me || run.lease_until <= core::NowMicros()) return false;
    // A process on this host that is gone (killed) holds nothing.
    const auto colon = run.lease_owner.rfind(':');
    if (colon != std::string::npos && run.lease_owner.substr(0, colon) == HostName()) {
        const long pid = std::strtol(run.lease_owner.c_str() + colon + 1, nullptr, 10);
        if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
    }
    return true;
}

core::Error BeingIngested(const std::string& file_name, const RunRecord& run) {
    return core::Error{core::ErrorCode::kConflict,
                       "report " + file_name + " is being ingested by " + run.lease_owner + " since " +
                           core::FormatRfc3339(run.started_at) + " (run " + run.uuid + ")",
                       "file"};
}

double ThreadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// MUHAFIZ_FEEDS_TIMING: the calling thread's system CPU and page faults so far.
void PrintThreadKernelTime(const char* thread) {
    rusage u{};
    getrusage(RUSAGE_THREAD, &u);
    std::fprintf(stderr, "feeds timing: %s thread: system CPU %.3f s, %ld minor page faults\n", thread,
                 static_cast<double>(u.ru_stime.tv_sec) + static_cast<double>(u.ru_stime.tv_usec) / 1e6, u.ru_minflt);
}

bool Blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

}  // namespace

core::Status Pipeline::RefuseIfBeingIngested(const std::string& feed, const std::string& hash,
                                             const std::string& file_name) {
    MUHAFIZ_CHECK(ActiveReport::Check(feed, hash, file_name));
    auto conn = MUHAFIZ_TRY(store_.database().Acquire());
    auto existing = MUHAFIZ_TRY(store_.FindRunByHash(*conn, feed, hash));
    if (existing && existing->status == "running" && LeaseHeld(*existing, LeaseOwner()))
        return tl::unexpected(BeingIngested(file_name, *existing));
    return core::Ok();
}

core::Result<std::shared_ptr<const Directory>> Pipeline::DirectoryFor(db::Connection& conn) {
    std::string fingerprint = MUHAFIZ_TRY(Directory::Fingerprint(conn));
    std::lock_guard lock(directory_mu_);
    if (!directory_ || fingerprint != directory_fingerprint_) {
        directory_ = MUHAFIZ_TRY(Directory::Load(conn));
        directory_fingerprint_ = std::move(fingerprint);
    }
    return directory_;
}

core::Result<IngestSummary> Pipeline::Ingest(const IngestRequest& req) {
    const auto started = std::chrono::steady_clock::now();
    const double started_cpu = ThreadCpuSeconds();
    if (req.feed.empty()) return core::Invalid("feed", "name the feed (--feed NAME)");
    const FeedConfig feed = FeedFor(req.feed, req.format);
    std::unique_ptr<ChunkReader> reader;
    std::string hash;
    std::int64_t size = 0;
    if (!req.path.empty()) {
        hash = MUHAFIZ_TRY(FingerprintFile(req.path, size));
        reader = MUHAFIZ_TRY(ChunkReader::OpenFile(req.path));
    } else {
        hash = FingerprintData(req.data);
        size = static_cast<std::int64_t>(req.data.size());
        reader = ChunkReader::FromData(req.data);
    }
    const std::string file_name = !req.file_name.empty() ? req.file_name : req.path;
    // One ingest of a report at a time: in this process (a registry), and across processes (the
    // run's lease, below).
    auto active = MUHAFIZ_TRY(ActiveReport::Enter(feed.name, hash, file_name));
    auto conn = MUHAFIZ_TRY(store_.database().Acquire());

    IngestSummary summary;
    RunRecord run;
    const std::string me = LeaseOwner();
    auto existing = MUHAFIZ_TRY(store_.FindRunByHash(*conn, feed.name, hash));
    if (existing && existing->status == "running" && LeaseHeld(*existing, me))
        return tl::unexpected(BeingIngested(file_name, *existing));
    if (existing && !req.force && existing->status == "done") {
        summary.run = *existing;
        summary.already_ingested = true;
        summary.per_recipient = MUHAFIZ_TRY(store_.RunCounts(*conn, existing->id));
        return summary;
    }
    if (existing && !req.force && existing->status == "running") {
        run = *existing;
        summary.resumed = true;
        if (!MUHAFIZ_TRY(store_.TakeLease(*conn, run, me, core::NowMicros() + kLeaseMicros))) {
            auto now_run = MUHAFIZ_TRY(store_.GetRun(*conn, run.id));
            return tl::unexpected(BeingIngested(file_name, now_run));
        }
    } else {
        run.feed = feed.name;
        run.source = req.source;
        run.file_name = file_name;
        run.file_hash = hash;
        run.file_size = size;
        run.format = feed.format;
        run.started_at = core::NowMicros();
        run.created_by = req.actor;
        run.lease_owner = me;
        run.lease_until = core::NowMicros() + kLeaseMicros;
        run = MUHAFIZ_TRY(store_.CreateRun(*conn, std::move(run)));
        // Another process may have created its run between our look-up and our insert: the
        // earlier run goes on, this one stops.
        auto others = MUHAFIZ_TRY((*conn).Query(
            std::string("SELECT id FROM feed_runs WHERE feed = ? AND file_hash = ? AND status = 'running' AND id < ? "
                        "AND lease_owner <> '' AND lease_until > ? ORDER BY id LIMIT 1"),
            {feed.name, hash, run.id, core::NowMicros()}));
        if (!others.empty()) {
            auto other = MUHAFIZ_TRY(store_.GetRun(*conn, others[0].Int(0)));
            if (LeaseHeld(other, me)) {
                MUHAFIZ_CHECK(store_.FinishRun(*conn, run, "failed", "another ingest of the same report was running",
                                               core::NowMicros()));
                return tl::unexpected(BeingIngested(file_name, other));
            }
        }
    }

    auto fail = [&](const core::Error& err, std::int64_t line, const std::string& text) -> core::Result<IngestSummary> {
        Batch b;
        b.end_offset = run.next_offset;
        b.end_line = run.next_line;
        if (line >= 0) b.rejected.push_back({line, err.message, text});
        MUHAFIZ_CHECK(store_.CommitBatch(*conn, run, b, core::NowMicros()));
        MUHAFIZ_CHECK(store_.FinishRun(*conn, run, "failed", err.message, core::NowMicros()));
        return tl::unexpected(core::Error{err.code, file_name + ": " + err.message, err.field});
    };

    const core::Micros now = core::NowMicros();
    ParseContext pctx = ContextFor(feed, now);
    const CsvMapping* mapping = feed.mapping ? &*feed.mapping : nullptr;
    auto parser_or = MakeParser(feed.format, pctx, file_name, mapping);
    if (!parser_or) return fail(parser_or.error(), -1, "");
    std::unique_ptr<Parser> parser = std::move(*parser_or);

    // Empty input: one dead letter for the file.
    if (size == 0 || (size < (1 << 16) && req.path.empty() && Blank(req.data))) {
        Batch b;
        b.end_offset = size;
        b.end_line = 1;
        b.rejected.push_back({0, "the report is empty", ""});
        MUHAFIZ_CHECK(store_.CommitBatch(*conn, run, b, now));
        MUHAFIZ_CHECK(store_.FinishRun(*conn, run, "done", "", core::NowMicros()));
        summary.run = run;
        return summary;
    }
    std::int64_t line = 1;
    if (parser->has_header()) {
        auto header = MUHAFIZ_TRY(reader->ReadFirstLine());
        if (!header || Blank(*header)) {
            core::Error e{core::ErrorCode::kInvalidArgument, "the report has no header line", "file"};
            return fail(e, 1, header.value_or(""));
        }
        if (auto st = parser->Begin(*header); !st) return fail(st.error(), 1, *header);
        run.header = *header;
        run.format = parser->format();
        line = 2;
    }
    if (summary.resumed && run.next_offset > reader->offset()) {
        MUHAFIZ_CHECK(reader->Seek(run.next_offset));
        line = run.next_line;
    } else if (!summary.resumed) {
        run.next_offset = reader->offset();
        run.next_line = line;
    } else {
        line = std::max(line, run.next_line);
    }

    auto owners = owners_ ? owners_() : constituency::OwnerIndex::Empty();
    auto network = network_ ? network_() : nullptr;
    auto directory = DirectoryFor(*conn);
    if (!directory) return fail(directory.error(), -1, "");
    auto ctx_or = PrepareContext(store_, *conn, feed, run, owners, network, std::move(*directory), options_.home_country);
    if (!ctx_or) return fail(ctx_or.error(), -1, "");
    RunContext ctx = std::move(*ctx_or);
    Recycler recycler;
    ctx.recycler = &recycler;
    TextPool texts;
    ctx.texts = &texts;
    // The input chunks of flushed units, read into again by the parse thread (not allocated,
    // faulted in and freed across the threads ~1 MiB at a time).
    TextPool chunk_pool;
    auto recycle_chunks = [&chunk_pool](Batch& unit) {
        for (auto& t : unit.texts) chunk_pool.Put(std::move(*t));
        unit.texts.clear();
    };

    // SQLite: checkpoint the WAL less often while a large report streams in (fewer fsyncs; with
    // 32 KiB pages the WAL may reach 2 GiB before one); the default comes back when the run ends.
    // An aggregated feed (rows in feed_events): a page cache that holds the indexes of
    // feed_events while the run lasts (~48 bytes per event over the three of them: the events
    // stored and those this report may add, at ~256 bytes a record) plus 32 MiB, from 64 to
    // 256 MiB. No larger: the table's own pages are written once and never read again, and every
    // page the cache grows by is a fresh allocation and page fault (measured: 1M rows into an
    // empty database cost the same or less CPU with 64 MiB than with 256 MiB, and 200 MiB less
    // peak memory). Other feeds write blocks (a few rows of megabytes, written once) and owner
    // entries: 16 MiB (measured on 1M events: the same CPU as ~80 MiB, 50-60 MiB less peak memory).
    const bool sqlite = (*conn).dialect() == db::Dialect::kSqlite;
    std::string old_cache;
    if (sqlite) {
        if (auto r = (*conn).Query("PRAGMA cache_size"); r && !r->empty()) old_cache = std::to_string((*r)[0].Int(0));
        std::int64_t stored = 0;
        if (auto r = (*conn).Query("SELECT COALESCE(MAX(id), 0) FROM feed_events"); r && !r->empty())
            stored = (*r)[0].Int(0);
        const std::int64_t cache_kib =
            feed.aggregate ? std::clamp<std::int64_t>((stored + size / 256) / 1024 * 48 + 32768, 65536, 262144) : 16384;
        (void)(*conn).ExecuteScript("PRAGMA wal_autocheckpoint=65536; PRAGMA cache_size=-" + std::to_string(cache_kib));
    }
    struct RestoreCheckpoint {
        db::Connection* c;
        std::string cache;
        ~RestoreCheckpoint() {
            if (!c) return;
            // The WAL the run wrote is copied back now (part of the run's cost, not the next
            // writer's), then the defaults return.
            (void)c->ExecuteScript("PRAGMA wal_checkpoint(PASSIVE)");
            (void)c->ExecuteScript("PRAGMA wal_autocheckpoint=1000");
            if (!cache.empty()) (void)c->ExecuteScript("PRAGMA cache_size=" + cache);
        }
    } restore{sqlite ? &*conn : nullptr, old_cache};
    // Events per unit of the store (non-aggregated feeds): kUnitEvents; one batch per unit when
    // throttled (the pause and the progress come after each committed batch), unless asked.
    const std::int64_t unit_events = req.unit_events > 0   ? static_cast<std::int64_t>(req.unit_events)
                                     : req.throttle_ms > 0 ? 1
                                                           : kUnitEvents;
    // The threads: the parse thread reads and parses the input, and for a feed that is not
    // aggregated runs the stages and builds the blocks too, while the events are in its CPU's
    // cache (handed to another thread, each event was read again from memory there: measured on
    // 1M rows, ~0.4 CPU s more in all, ~6 %); it hands over units (the batches of one unit with their
    // sealed blocks). The processing thread closes a unit's blocks (ordered by owner, packed), or
    // runs the stages of an aggregated feed's batches (one unit per batch), and the store writes.
    // (A unit holds many batches' events as text: one waits while another is written.)
    struct Unit {
        Batch batch;
        BlockBuilder::Groups blocks;  // sealed, to be closed (not an aggregated feed)
    };
    const std::size_t queue = feed.aggregate ? options_.queue_capacity : std::min<std::size_t>(options_.queue_capacity, 1);
    BoundedQueue<Unit> parsed(queue);
    BoundedQueue<Batch> processed(queue);
    std::mutex err_mu;
    std::optional<core::Error> error;
    auto set_error = [&](const core::Error& e) {
        std::lock_guard lock(err_mu);
        if (!error) error = e;
        parsed.Close();
        processed.Close();
    };
    const bool csv = parser->csv_records();
    const bool timing = std::getenv("MUHAFIZ_FEEDS_TIMING") != nullptr;
    std::thread parse_thread([&] {
        pthread_setname_np(pthread_self(), "feeds-parse");
        std::int64_t seq = 0;
        // Not an aggregated feed: the unit being filled (the batches whose events are in the open
        // blocks), handed over every unit_events events or kUnitBytes of text, and at the end.
        Unit unit;
        bool open = false;
        auto hand_over = [&] {
            ctx.blocks.Seal(unit.blocks);
            open = false;
            return parsed.Push(std::exchange(unit, Unit{}));
        };
        for (;;) {
            // Each chunk goes with its batch: the events' values are views of it (not for an
            // aggregated feed, whose aggregates outlive their batch).
            auto text = std::make_unique<std::string>(chunk_pool.Take(true));  // (ChunkReader::Next)
            std::string& chunk = *text;
            auto more = reader->Next(chunk, req.chunk_bytes, csv);
            if (!more) {
                set_error(more.error());
                break;
            }
            if (!*more) {
                if (open) (void)hand_over();
                break;
            }
            Batch b;
            ParseOutput out;
            const std::uint64_t raws_before = ctx.blocks.raws_in_chunks();
            out.events = recycler.Take();  // (the events of a batch processed already, to reuse)
            out.lend_text = !feed.aggregate;
            if (!feed.aggregate) {
                // The events through the stages as they are parsed, a slice at a time.
                out.ready = [&](RoutedEvents& events) {
                    ProcessSlice(ctx, events.span(), b);
                    events.clear();
                };
                out.ready_every = kSliceEvents;
            }
            const std::size_t chunk_lines = reader->chunk_line_ends();
            if (seq == 0 && !feed.aggregate && !chunk.empty()) {
                // The dedup table sized for the events the report's size and its first chunk's
                // lines promise, up to kReserveEvents (a table grown step by step moves every hash
                // again at each step: ~1M moves, each a cache miss, for 1M events).
                constexpr double kReserveEvents = 4 << 20;
                const auto chunk_at = reader->offset() - static_cast<std::int64_t>(chunk.size());
                const double rest = static_cast<double>(size - chunk_at);
                const double expected = static_cast<double>(chunk_lines) * rest / static_cast<double>(chunk.size());
                ctx.dedup->Reserve(static_cast<std::size_t>(std::min(expected, kReserveEvents)));
            }
            parser->Parse(chunk, line, out);
            line += static_cast<std::int64_t>(chunk_lines);
            if (!chunk.empty() && chunk.back() != '\n') ++line;
            b.seq = seq++;
            Adopt(out, b);
            b.end_offset = reader->offset();
            b.end_line = line;
            if (out.lend_text) b.texts.push_back(std::move(text));
            else chunk_pool.Put(std::move(*text));
            if (feed.aggregate) {
                if (!parsed.Push(Unit{std::move(b), {}})) break;
                continue;
            }
            ProcessBatch(ctx, b);  // (the events parsed since the last slice)
            // A chunk none of whose events left its raw in it is read into again now, not when
            // its unit's blocks are closed: the ingest then holds a few chunks instead of units of
            // them (1M-row benchmark: peak RSS ~305 instead of ~385 MiB, 20,000 fewer pages
            // faulted in).
            if (ctx.blocks.raws_in_chunks() == raws_before) recycle_chunks(b);
            MergeInto(unit.batch, b);
            open = true;
            if ((ctx.blocks.events() >= unit_events || ctx.blocks.bytes() >= kUnitBytes) && !hand_over()) break;
        }
        parsed.Close();
        summary.parse_cpu_seconds = ThreadCpuSeconds();
        if (timing) PrintThreadKernelTime("parse");
    });
    std::thread process_thread([&] {
        pthread_setname_np(pthread_self(), "feeds-process");
        while (auto u = parsed.Pop()) {
            Batch& b = u->batch;
            if (feed.aggregate) {
                ProcessBatch(ctx, b);
            } else {
                for (auto& g : u->blocks) BlockBuilder::Close(ctx, g, b.block_rows);
                ctx.blocks.GiveBack(std::move(u->blocks));
                recycle_chunks(b);  // (the blocks' texts hold what they needed of them)
            }
            if (!processed.Push(std::move(b))) break;
        }
        processed.Close();
        summary.process_cpu_seconds = ThreadCpuSeconds();
        if (timing) PrintThreadKernelTime("process");
    });
    IngestProgress progress;
    progress.bytes_total = size;
    const double store_cpu0 = ThreadCpuSeconds();
    double commit_s = 0, wait_s = 0;
    auto tw = std::chrono::steady_clock::now();
    // Group commit: units (batches of aggregated feeds; the blocks of several batches otherwise)
    // that arrive while a transaction is open (within a short wait) join it, up to kGroupEvents
    // events, so each index page is written to the WAL once per group rather than once per unit.
    // The resume point committed is that of the group's last batch.
    constexpr std::size_t kGroupEvents = 32768;
    while (auto b = processed.Pop()) {
        auto tc = std::chrono::steady_clock::now();
        wait_s += std::chrono::duration<double>(tc - tw).count();
        auto committed = [&]() -> core::Status {
            auto tx = db::Transaction::Begin(*conn);
            if (!tx) return tl::unexpected(tx.error());
            std::optional<Batch> cur = std::move(b);
            std::size_t events = 0;
            for (;;) {
                const std::int64_t events_before = run.events;
                MUHAFIZ_CHECK(store_.WriteBatch(*conn, run, *cur, now));
                for (auto& row : cur->block_rows)  // written: the texts go back to be filled again (not
                    // the packed ones: packing handed their buffers back already)
                    if (auto* text = std::get_if<std::string>(&row[kBlockDataColumn]); text && !IsPackedBlockText(*text))
                        texts.Put(std::move(*text));
                events += static_cast<std::size_t>(run.events - events_before);
                cur.reset();
                if (events >= kGroupEvents || req.throttle_ms > 0) break;
                cur = processed.PopFor(std::chrono::milliseconds(50));
                if (!cur) break;
            }
            return tx->Commit();
        }();
        tw = std::chrono::steady_clock::now();
        commit_s += std::chrono::duration<double>(tw - tc).count();
        if (auto st = std::move(committed); !st) {
            set_error(st.error());
            break;
        }
        if (req.progress) {
            progress.bytes_done = run.next_offset;
            progress.lines = run.lines_read;
            progress.events = run.events;
            progress.rejected = run.rejected;
            progress.duplicates = run.duplicates;
            req.progress(progress);
        }
        if (req.throttle_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(req.throttle_ms));
    }
    parse_thread.join();
    process_thread.join();
    summary.queue_high_water = std::max(parsed.high_water(), processed.high_water());
    if (error) {
        (void)store_.FinishRun(*conn, run, "failed", error->message, core::NowMicros());
        return tl::unexpected(*error);
    }
    auto tf = std::chrono::steady_clock::now();
    // Events per organisation, counted by the processing thread (done: joined above; a resumed
    // run counts from storage, which holds what its first attempt committed too).
    const std::map<std::int64_t, std::int64_t> counts(ctx.counting.begin(), ctx.counting.end());
    MUHAFIZ_CHECK(store_.FinishRun(*conn, run, "done", "", core::NowMicros(), summary.resumed ? nullptr : &counts));
    if (timing)
        std::fprintf(stderr,
                     "feeds timing: setup %.3f CPU s, commits %.2f s, waiting for batches %.2f s, finish %.2f s\n",
                     store_cpu0 - started_cpu, commit_s, wait_s,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - tf).count());
    summary.run = run;
    summary.per_recipient = MUHAFIZ_TRY(store_.RunCounts(*conn, run.id));
    summary.store_cpu_seconds = ThreadCpuSeconds() - store_cpu0;
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return summary;
}

core::Result<Pipeline::ReplayResult> Pipeline::Replay(const std::string& feed_name,
                                                      const std::vector<std::string>& uuids,
                                                      const std::string& actor) {
    auto letters = MUHAFIZ_TRY(store_.OpenDeadLetters(feed_name, uuids));
    ReplayResult result;
    if (letters.empty()) return result;
    auto conn = MUHAFIZ_TRY(store_.database().Acquire());
    // One replay run per feed.
    std::map<std::string, std::vector<DeadLetter>> by_feed;
    for (auto& d : letters) by_feed[d.feed].push_back(std::move(d));
    for (auto& [name, list] : by_feed) {
        const FeedConfig feed = FeedFor(name, "");
        RunRecord run;
        run.feed = name;
        run.source = "replay";
        run.file_name = "dead letters";
        run.file_hash = "replay:" + core::NewUuidV7();
        run.format = feed.format;
        run.started_at = core::NowMicros();
        run.created_by = actor;
        run = MUHAFIZ_TRY(store_.CreateRun(*conn, std::move(run)));
        result.run_uuid = run.uuid;
        auto owners = owners_ ? owners_() : constituency::OwnerIndex::Empty();
        auto network = network_ ? network_() : nullptr;
        RunContext ctx = MUHAFIZ_TRY(
            PrepareContext(store_, *conn, feed, run, owners, network, MUHAFIZ_TRY(DirectoryFor(*conn)), options_.home_country));
        Batch batch;
        std::vector<std::int64_t> ok_ids;
        std::map<std::int64_t, RunRecord> runs;
        const CsvMapping* mapping = feed.mapping ? &*feed.mapping : nullptr;
        for (const auto& d : list) {
            ++result.tried;
            auto it = runs.find(d.run_id);
            if (it == runs.end()) it = runs.emplace(d.run_id, MUHAFIZ_TRY(store_.GetRun(*conn, d.run_id))).first;
            const RunRecord& origin = it->second;
            auto parser = MakeParser(origin.format.empty() ? feed.format : origin.format,
                                     ContextFor(feed, ctx.now), origin.file_name, mapping);
            if (!parser) {
                ++result.still_failing;
                continue;
            }
            if ((*parser)->has_header() && !origin.header.empty() && !(*parser)->Begin(origin.header)) {
                ++result.still_failing;
                continue;
            }
            ParseOutput out;
            (*parser)->Parse(d.raw + "\n", d.line, out);
            if (out.events.empty() || !out.rejected.empty()) {
                ++result.still_failing;
                continue;
            }
            Adopt(out, batch);
            ok_ids.push_back(d.id);
        }
        ProcessBatch(ctx, batch);
        if (!feed.aggregate) ctx.blocks.Flush(ctx, batch.block_rows);
        batch.end_line = 1;
        MUHAFIZ_CHECK(store_.CommitBatch(*conn, run, batch, ctx.now));
        MUHAFIZ_CHECK(store_.MarkDeadLetters(*conn, ok_ids, "replayed", ctx.now));
        MUHAFIZ_CHECK(store_.FinishRun(*conn, run, "done", "", core::NowMicros()));
        result.replayed += static_cast<std::int64_t>(ok_ids.size());
    }
    return result;
}

}  // namespace muhafiz::feeds
