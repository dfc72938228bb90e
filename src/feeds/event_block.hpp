// Event blocks (migration 019): many stored events in one feed_event_blocks row. The events of a
// unit of the store (many input chunks, pipeline.cpp) routed to the same recipient (with the same
// route and notify flag) are written as one row: the block's columns hold what they share (feed, run, observation time, recipient, route,
// notify, the compact base) and the ranges filters skip blocks by (time.source min/max, scope path
// min/max, the set of taxonomies and types); the text `data` holds each event's own values one
// after another. Event ids are the contiguous range id .. id + n - 1 (the block's id is its first
// event's id), so cursors, digest watermarks and feed_runs.first_event_id work on event ids as
// before. uuids are derived from the run's uuid and the event id (not stored).
//
// Encoding of one event (text only: valid UTF-8 without NUL when its parts are, so it fits a
// PostgreSQL TEXT column):
//   line ',' time_source ',' first_seen-time_source ',' last_seen-time_source ',' count ','
//   organisation_id ',' flags ',' asn ';'
//   (or, for an event seen once at its time, flag 2048: line ',' time_source ',' organisation_id
//   ',' flags ',' asn ';')
//   then length ':' bytes for scope_path, ip, taxonomy, type, identifier, severity, cc, (when
//   flags has 4096) abuse, data and (when flags has kHasRaw) raw; scope_path, taxonomy, type,
//   identifier, severity, cc and abuse are written as '=' when they equal the previous event's.
// flags: 1 notify, 2 data is compact (data_format 1; else IntelMQ JSON), 4 raw present, 8 asn,
// 16 time.observation is the block's (feed_event_blocks.observation; left out of data), 32
// time.source is FormatEventTime(time_source) (left out of data), 64 source.ip is the event's ip
// (a string; left out of data), 128 source.asn is the event's asn (an integer in canonical form;
// left out of data), 256 time_source is written as the difference to the previous event's (every
// event after a block's first), 512 raw is the block's base's raw template filled with the
// event's values (RawTemplate; raw is not written), 1024 time_source (or its difference) is
// written in seconds, 2048 seen once: first_seen = last_seen = time_source and count 1 (not
// written), 4096 source.abuse_contact is the event's abuse (a string, the same for most of an
// owner's events; left out of data). Blocks written before a flag existed do not set it and read
// as before.
// Thread-safety: plain functions and values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_buffer.hpp"
#include "core/result.hpp"

namespace muhafiz::feeds {

// At most this many events per block (readers look for blocks holding ids above a watermark
// among block ids above watermark - kMaxBlockEvents).
inline constexpr std::int64_t kMaxBlockEvents = 65536;

struct BlockEvent {
    std::int64_t line = 0, time_source = 0, first_seen = 0, last_seen = 0, count = 1;
    std::int64_t organisation_id = 0;  // owner, 0 = none
    bool notify = true, compact = true, has_raw = false;
    bool block_observation = false, derived_time_source = false;
    bool header_ip = false, header_asn = false;  // source.ip / source.asn are ip / asn (not in data)
    bool header_abuse = false;                   // source.abuse_contact is abuse (not in data)
    bool raw_from_template = false;              // raw is the base's raw template filled (not has_raw)
    std::optional<std::int64_t> asn;
    // (abuse: empty unless header_abuse.)
    std::string_view scope_path, ip, taxonomy, type, identifier, severity, cc, abuse, data, raw;
};

// Appends one event to a block's text; `previous`: the event appended before it (nullptr for the
// first; its time_source and repeatable values are what this event is written against; its values
// may be views of `out`, which are read before `out` grows). Returns which repeatable values were
// written as '=' (equal to the previous event's): kRepeated* bits. `written_at` (when given)
// receives, for each repeatable value written out (not as '='), where its bytes start in `out`:
// [0] scope_path, [1] taxonomy, [2] type, [3] identifier, [4] severity, [5] cc, [6] abuse (an
// event without header_abuse writes none: its abuse is empty).
// `raw_follows`: raw's size is written but not its bytes, which the caller appends right after
// (the encoding ends with them).
inline constexpr unsigned kRepeatedScope = 1, kRepeatedTaxonomy = 2, kRepeatedType = 4, kRepeatedIdentifier = 8,
                          kRepeatedSeverity = 16, kRepeatedCc = 32, kRepeatedAbuse = 64;
inline constexpr std::size_t kRepeatableValues = 7;
// A repeatable value of this many bytes or more is always written out (never '=').
inline constexpr std::size_t kMaxRepeatedValue = (std::size_t{1} << 24) - 1;
unsigned AppendBlockEvent(std::string& out, const BlockEvent& e, const BlockEvent* previous,
                          std::size_t* written_at = nullptr, bool raw_follows = false);
// The same into a buffer that grows without copying or zero-filling (the open blocks of an ingest).
unsigned AppendBlockEvent(core::ByteBuffer& out, const BlockEvent& e, const BlockEvent* previous,
                          std::size_t* written_at = nullptr, bool raw_follows = false);

// Appends a dedup hash to a block's dedup column (16 hexadecimal digits) / reads the i-th.
void AppendDedupHash(std::string& out, std::uint64_t hash);
[[nodiscard]] std::size_t DedupHashCount(std::string_view column);
[[nodiscard]] std::uint64_t DedupHashAt(std::string_view column, std::size_t i);

// Reads the events of a block's text one by one (views into the text).
class BlockReader {
public:
    explicit BlockReader(std::string_view text) : rest_(text) {}
    // The next event; false at the end. A malformed text ends with an error.
    [[nodiscard]] core::Result<bool> Next(BlockEvent& e);

private:
    std::string_view rest_;
    bool first_ = true;
    std::int64_t previous_time_ = 0;  // the previous event's time_source
};

// The text of a block's set of classifications: "|a|b|" (each taxonomy and type once).
// The stored form of a block's text (feed_event_blocks.data): as it is, or packed (LZ4): the
// byte 0x01, the text's size in decimal, ':', then the text as one LZ4 block. A text as it is
// starts with its first event's line number (a digit or '-'), so the two cannot be mistaken.
// SQLite stores blocks packed (the database ~4x smaller, less to write); PostgreSQL compresses
// large values itself and stores them as they are.
[[nodiscard]] std::string PackBlockText(std::string_view text);
// True for a packed text (PackBlockText's).
[[nodiscard]] bool IsPackedBlockText(std::string_view stored);
// The text of a stored block (packed or not); an error when a packed one does not decode.
[[nodiscard]] core::Result<std::string> UnpackBlockText(std::string stored);

// A block's address filter (migration 021, feed_event_blocks.ip_filter): a Bloom filter of its
// events' ip texts (BlockEvent::ip), so that a list filtered by address reads only the blocks
// that may hold it (fewer than 1 in 400 of the others passes). Its text: hexadecimal digits of 4
// bits each (bit i is bit i % 4 of digit i / 4), a power of two of at least 64 bits, 16 to 32
// bits per event, 4 probes. "" (blocks written before the filter was kept): may hold any address.
[[nodiscard]] std::uint64_t AddressHash(std::string_view ip);
// The filter of a block whose events' ips have these AddressHash values.
[[nodiscard]] std::string MakeAddressFilter(const std::vector<std::uint64_t>& hashes);
// False only when no event of the filter's block has the address of `hash` (AddressHash).
[[nodiscard]] bool MayHoldAddress(std::string_view filter, std::uint64_t hash);

void AddClass(std::string& set, std::string_view value);
[[nodiscard]] bool HasClass(std::string_view set, std::string_view value);

}  // namespace muhafiz::feeds
