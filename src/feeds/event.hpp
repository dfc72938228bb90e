// The harmonised security event (shared/reference/event-format.md, IntelMQ-compatible field
// names): a flat list of dotted keys with canonical text values, the sanitation rules per field
// type, the taxonomy table, the IntelMQ JSON form and the event hashes used by deduplication.
// Every stage of the feed pipeline reads and writes this one form, in memory and in storage.
// Keys are interned (Key): a process-wide table of the key texts, so a field's key is a pointer.
// Thread-safety: plain values and pure functions; the key table is safe to use from any thread.
// Errors: Set/FromJson return kInvalidArgument naming the field and saying what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace muhafiz::feeds {

// How a value is written in JSON: text, integer, floating point or boolean.
enum class JsonKind : std::uint8_t { kString, kInt, kFloat, kBool };

// Sanitation types of event-format.md §3.
enum class FieldType : std::uint8_t {
    kString,
    kLowercase,
    kUppercase,
    kInteger,
    kFloat,
    kBoolean,
    kDateTime,
    kIp,
    kNetwork,
    kAsn,
    kFqdn,
    kUrl,
    kRegistry,
    kTlp,
    kTaxonomy,
    kType,
    kAccuracy,
    kPort,
    kCountry,
    kJson,
};

// One of 64 bits per key (from its length and three of its bytes), for Event's key-presence mask.
[[nodiscard]] inline std::uint64_t KeyPresenceBit(std::string_view k) {
    const std::size_t n = k.size();
    if (n == 0) return 1;
    const auto c = [&](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(k[i])); };
    return std::uint64_t{1} << ((n * 11 + c(n - 1) * 7 + c(n / 2) * 3 + c(n * 3 / 4)) & 63);
}

// What is known of a key once: its text, its StableHash (for Event::Hash), its presence bit,
// the first 16 bytes as a big-endian number (for sorting) and its text as the compact stored
// form writes it ("9:source.ip").
struct KeyInfo {
    std::string name;
    std::uint64_t hash = 0;
    std::uint64_t bit = 0;
    unsigned __int128 prefix = 0;
    std::string compact;
};

// A field key, interned: the keys of events come from a small set (the harmonised keys and the
// extra.* keys of the feeds' columns), so each distinct key is stored once in a process-wide table
// (never freed) and a Key is a pointer to it: copying a key allocates nothing and two interned
// keys are equal exactly when their pointers are. The table holds at most 65536 keys; a key
// beyond that (hostile input with ever new extra.* names) is held by its Key alone, so memory
// stays bounded. Thread-safety: the table is safe to use from any thread (a shared lock, with a
// per-thread cache in front); a Key is a plain value.
class Key {
public:
    Key() noexcept;  // the empty key
    Key(std::string_view name);  // NOLINT(google-explicit-constructor): keys are written as text
    Key(const std::string& name) : Key(std::string_view(name)) {}  // NOLINT
    Key(const char* name) : Key(std::string_view(name)) {}         // NOLINT
    Key(const Key& o) : info_(o.owned_ ? Clone(o.info_) : o.info_), owned_(o.owned_) {}
    Key(Key&& o) noexcept : info_(o.info_), owned_(o.owned_) {
        if (owned_) {
            o.info_ = EmptyInfo();
            o.owned_ = false;
        }
    }
    Key& operator=(const Key& o) {
        if (this != &o) {
            Key t(o);
            Swap(t);
        }
        return *this;
    }
    Key& operator=(Key&& o) noexcept {
        Swap(o);
        return *this;
    }
    ~Key() {
        if (owned_) delete info_;
    }

    [[nodiscard]] const std::string& str() const noexcept { return info_->name; }
    [[nodiscard]] std::string_view view() const noexcept { return info_->name; }
    operator std::string_view() const noexcept { return info_->name; }  // NOLINT
    [[nodiscard]] std::size_t size() const noexcept { return info_->name.size(); }
    [[nodiscard]] bool empty() const noexcept { return info_->name.empty(); }
    [[nodiscard]] bool starts_with(std::string_view p) const noexcept { return view().starts_with(p); }
    [[nodiscard]] bool ends_with(std::string_view p) const noexcept { return view().ends_with(p); }
    [[nodiscard]] const KeyInfo& info() const noexcept { return *info_; }
    // False for a key that owns its text (the table was full) and for the empty key.
    [[nodiscard]] bool interned() const noexcept { return !owned_ && !info_->name.empty(); }

    // A text is either interned (all its keys share one KeyInfo) or, once the table is full,
    // never (all its keys own a copy): so two keys are equal when their pointers are, or both
    // own their text and the texts are.
    friend bool operator==(const Key& a, const Key& b) noexcept {
        return a.info_ == b.info_ || (a.owned_ && b.owned_ && a.info_->name == b.info_->name);
    }
    friend bool operator==(const Key& a, std::string_view b) noexcept { return a.view() == b; }
    friend bool operator==(const Key& a, const std::string& b) noexcept { return a.view() == b; }
    friend bool operator==(const Key& a, const char* b) noexcept { return a.view() == b; }

private:
    static const KeyInfo* EmptyInfo() noexcept;
    static const KeyInfo* Clone(const KeyInfo* info);  // out of line: a copy of an interned key stays small
    void Swap(Key& o) noexcept {
        std::swap(info_, o.info_);
        std::swap(owned_, o.owned_);
    }
    const KeyInfo* info_;
    bool owned_ = false;  // info_ is this key's own (the table was full)
};

struct Field {
    Key key;
    std::string value;
    JsonKind kind = JsonKind::kString;
};

// The type of a harmonised key; nullopt for keys outside the format (extra.* is kString unless
// the value is typed by the caller).
[[nodiscard]] std::optional<FieldType> TypeOf(std::string_view key);
// True for a key of the form of §2 (lower case, digits, '_', dots between levels).
[[nodiscard]] bool ValidKey(std::string_view key);

// The taxonomy a classification type belongs to; nullopt for unknown types.
[[nodiscard]] std::optional<std::string_view> TaxonomyOfType(std::string_view type);
// Maps legacy spellings (§6.3) and "blocklist" to the current value; returns the input otherwise.
[[nodiscard]] std::string CanonicalType(std::string_view type);
[[nodiscard]] std::string CanonicalTaxonomy(std::string_view taxonomy);
// Severity rank: info 0, low 1, medium 2, high 3, critical 4; -1 for anything else.
[[nodiscard]] int SeverityRank(std::string_view severity);

// Canonical DateTime text "YYYY-MM-DDThh:mm:ss[.ffffff]+00:00".
[[nodiscard]] std::string FormatEventTime(core::Micros t);
// Parses ISO 8601 with a zone, or without one (taken as UTC, as add_UTC_to_timestamp does).
[[nodiscard]] std::optional<core::Micros> ParseEventTime(std::string_view text);

class Event {
public:
    // Sanitises `value` for `key` and stores it (replacing an earlier value). An empty value is
    // not stored (and removes the key). Errors name the key.
    [[nodiscard]] core::Status Set(std::string_view key, std::string_view value);
    // Sanitises as `type` and appends without looking for an earlier value of `key` (parsers
    // that know their keys are unique). An empty value is skipped.
    [[nodiscard]] core::Status Add(const Key& key, std::string_view value, FieldType type);
    // Add for a value the caller has already found to be valid UTF-8 (parsers check a whole
    // record at once).
    [[nodiscard]] core::Status AddUtf8(const Key& key, std::string_view value, FieldType type);
    // Stores a value that is already canonical (no checks): parsers' fast path for constants.
    void SetRaw(Key key, std::string value, JsonKind kind = JsonKind::kString);
    // Appends a canonical value whose key the caller knows is not there yet (no search).
    void Append(Key key, std::string value, JsonKind kind = JsonKind::kString) {
        keys_ |= key.info().bit;
        fields_.push_back(Field{std::move(key), std::move(value), kind});
    }
    // An extra.* value with a JSON kind (numbers converted by the parser).
    void SetExtra(std::string_view name, std::string value, JsonKind kind = JsonKind::kString);
    void Remove(std::string_view key);
    // `raw` as the record's original bytes: kept as they are (no base64 while the event moves
    // through the stages and into storage); Get("raw"), ToJson and ToJsonObject show the base64
    // text of IntelMQ. Replaces an earlier raw value.
    void SetRawBytes(std::string bytes);
    // The original bytes of `raw` when it was set by SetRawBytes (else nullptr: then raw, if
    // any, is an ordinary base64 field).
    [[nodiscard]] const std::string* raw_bytes() const { return has_raw_bytes_ ? &raw_bytes_ : nullptr; }

    [[nodiscard]] const std::string* Get(std::string_view key) const;
    // Get and Has for a Key the caller holds (a static Key of a stage or parser): its text is
    // not looked up in the key table for every event.
    [[nodiscard]] const std::string* Find(const Key& key) const;
    [[nodiscard]] bool HasKey(const Key& key) const { return Find(key) != nullptr; }
    [[nodiscard]] std::string_view GetOr(std::string_view key, std::string_view fallback = {}) const {
        const std::string* v = Get(key);
        return v ? std::string_view(*v) : fallback;
    }
    [[nodiscard]] bool Has(std::string_view key) const { return Get(key) != nullptr; }
    // The fields, without raw when it is held as bytes (see raw_bytes()).
    [[nodiscard]] const std::vector<Field>& fields() const { return fields_; }
    [[nodiscard]] bool empty() const { return fields_.empty() && !has_raw_bytes_; }
    void Reserve(std::size_t n) { fields_.reserve(n); }

    // Fills classification.taxonomy from the type (or other/undetermined when neither is known).
    void CompleteClassification();

    // The flat IntelMQ JSON object, keys sorted. Numbers and booleans keep their JSON kind.
    [[nodiscard]] std::string ToJson() const;
    [[nodiscard]] core::json::object ToJsonObject() const;
    // Parses one IntelMQ event (flat dotted keys, or nested objects that are flattened; `extra`
    // may be a JSON object or its text). Unknown core keys are errors.
    [[nodiscard]] static core::Result<Event> FromJson(const core::json::object& object);
    [[nodiscard]] static core::Result<Event> FromJsonText(std::string_view text);

    // 64-bit hash over the sorted key/value pairs except time.observation and raw (and, when
    // `only` is not empty, over those keys only). `skip` names more keys to leave out.
    [[nodiscard]] std::uint64_t Hash(const std::vector<std::string>& only = {},
                                     const std::vector<std::string_view>& skip = {}) const;

private:
    [[nodiscard]] const Field* RawField() const;  // raw as a base64 field (computed once)
    // One of 64 bits per key (from its length and three of its bytes): keys_ has the bit of every
    // key ever stored (Remove leaves it), so a key whose bit is clear is not there and Get/Has/
    // Set skip the scan of fields_ (parsers ask for many keys an event does not have).
    [[nodiscard]] static std::uint64_t KeyBit(std::string_view k) { return KeyPresenceBit(k); }
    [[nodiscard]] bool MayHave(std::string_view k) const { return (keys_ & KeyBit(k)) != 0; }
    std::uint64_t keys_ = 0;
    std::vector<Field> fields_;
    std::string raw_bytes_;
    bool has_raw_bytes_ = false;
    mutable Field raw_base64_;  // raw as base64 for Get/ToJson (computed once, from raw_bytes_)
    mutable bool raw_base64_valid_ = false;
};

// ---- The compact stored form (feed_events.data_format = 1, migration 013) -------------------
// An event is stored as the fields that differ from a base (fields most events of a batch share:
// feed, classification, protocol, constants of the report) plus its own fields, each written as
//   kind ('s', 'i', 'f', 'b') key-length ':' key value-length ':' value
// and preceded by the hexadecimal mask of the base fields it has, then ';'. The base is stored
// once (feed_event_bases, keyed by a hash of its text). raw is kept apart as the original bytes.
// Decoding gives back exactly the fields (key, value, JSON kind) that were encoded, so ToJson()
// of a decoded event is byte-for-byte the JSON of the original.
struct CompactBase {
    std::vector<Field> fields;  // at most 64
    std::string text;           // the encoded fields
    std::uint64_t id = 0;       // a stable hash of text (0: no base)
};
// Fields present with the same value in at least half of `sample` (raw and time fields never).
[[nodiscard]] CompactBase MakeCompactBase(const std::vector<const Event*>& sample);
// Encodes `e` against `base` (may be null) into `data`. `raw` receives the original bytes of raw
// when they can be stored as text (valid UTF-8 without NUL; else raw stays a base64 field in
// data). Returns false when the event cannot be stored compactly (a NUL byte in a value): store
// ToJson() with data_format 0 instead.
[[nodiscard]] bool EncodeCompact(const Event& e, const CompactBase* base, std::string& data,
                                 std::optional<std::string>& raw);
// The base's fields from its text.
[[nodiscard]] core::Result<std::vector<Field>> DecodeCompactFields(std::string_view text);
// The event back from its compact form, its base's fields and its raw bytes (nullptr: none).
[[nodiscard]] core::Result<Event> DecodeCompact(std::string_view data, const std::vector<Field>& base,
                                                const std::string* raw);

// 64-bit FNV-1a, used for hashes that must not change between releases.
[[nodiscard]] std::uint64_t StableHash(std::string_view data, std::uint64_t seed = 1469598103934665603ULL);

// Base64 (RFC 4648, with padding) for `raw`.
[[nodiscard]] std::string Base64Encode(std::string_view bytes);
[[nodiscard]] bool Base64Decode(std::string_view text, std::string& out);

// True when `text` is valid UTF-8.
[[nodiscard]] bool IsUtf8(std::string_view text);

}  // namespace muhafiz::feeds
