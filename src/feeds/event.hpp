// The harmonised security event (shared/reference/event-format.md, IntelMQ-compatible field
// names): a flat list of dotted keys with canonical text values, the sanitation rules per field
// type, the taxonomy table, the IntelMQ JSON form and the event hashes used by deduplication.
// Every stage of the feed pipeline reads and writes this one form, in memory and in storage.
// Keys are interned (Key): a process-wide table of the key texts, so a field's key is a pointer.
// Thread-safety: plain values and pure functions; the key table is safe to use from any thread.
// Errors: Set/FromJson return kInvalidArgument naming the field and saying what is wrong.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
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

// Dense indexes of interned keys: the first kDenseKeys - 1 interned keys get their own index
// (the harmonised keys come first), every other key (later ones, keys owning their text, the
// empty key) shares kOverflowKeyIndex. Event keeps one presence bit per index.
inline constexpr std::uint32_t kDenseKeys = 512;
inline constexpr std::uint32_t kOverflowKeyIndex = kDenseKeys - 1;

// What is known of a key once: its text, its StableHash (for Event::Hash), its presence bit,
// its dense index, the first 16 bytes as a big-endian number (for sorting) and its text as the
// compact stored form writes it ("9:source.ip").
struct KeyInfo {
    std::string name;
    std::uint64_t hash = 0;
    std::uint64_t bit = 0;
    std::uint32_t index = kOverflowKeyIndex;
    bool owned = false;  // held by one Key alone (not interned): freed with it
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
    Key(const Key& o) : info_(o.info_->owned ? Clone(o.info_) : o.info_) {}
    Key(Key&& o) noexcept : info_(o.info_) {
        if (info_->owned) o.info_ = EmptyInfo();
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
        if (info_->owned) delete info_;
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
    [[nodiscard]] bool interned() const noexcept { return !info_->owned && !info_->name.empty(); }

    // A text is either interned (all its keys share one KeyInfo) or, once the table is full,
    // never (all its keys own a copy): so two keys are equal when their pointers are, or both
    // own their text and the texts are.
    friend bool operator==(const Key& a, const Key& b) noexcept {
        return a.info_ == b.info_ || (a.info_->owned && b.info_->owned && a.info_->name == b.info_->name);
    }
    friend bool operator==(const Key& a, std::string_view b) noexcept { return a.view() == b; }
    friend bool operator==(const Key& a, const std::string& b) noexcept { return a.view() == b; }
    friend bool operator==(const Key& a, const char* b) noexcept { return a.view() == b; }

private:
    static const KeyInfo* EmptyInfo() noexcept;
    static const KeyInfo* Clone(const KeyInfo* info);  // out of line: a copy of an interned key stays small
    void Swap(Key& o) noexcept { std::swap(info_, o.info_); }
    const KeyInfo* info_;  // info_->owned: this key's own (the table was full)
};

// A field: its key, a view of its value and the value's JSON kind. The value's bytes belong to
// whoever holds the field: an Event (its value storage), a FieldList (its storage) or, for a
// Field built by hand, the caller.
struct Field {
    Key key;
    std::string_view value;
    JsonKind kind = JsonKind::kString;
};

// Fields that own the bytes of their values (the fields of a compact base): the views point into
// `storage`, shared by copies of the list. Build it with Own() after filling the vector.
class FieldList : public std::vector<Field> {
public:
    using std::vector<Field>::vector;
    // Copies the bytes of every value into this list's own storage and points the views there.
    void Own();

private:
    std::shared_ptr<const std::string> storage_;
};

// Fields that many events share (constants of a feed, report or run: feed.*, tlp,
// time.observation, the report's classification, the values a report's columns repeat...): built
// once, immutable, held by the events through a shared pointer with a mask of the fields that
// apply to each (Event::ShareFields). At most 64 fields, each with an interned key that has a
// dense index (a harmonised key); a key may have several values in the list (a column's frequent
// values), of which at most one applies to an event.
// Thread-safety: immutable once made; safe to read from any thread.
class SharedFields {
public:
    // Throws std::invalid_argument for more than 64 fields or a key without a dense index.
    [[nodiscard]] static std::shared_ptr<const SharedFields> Make(std::vector<Field> fields);
    [[nodiscard]] const FieldList& fields() const noexcept { return fields_; }
    [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
    // The positions of the fields of this key (bit i: fields()[i]; 0: none).
    [[nodiscard]] std::uint64_t SlotsOf(const KeyInfo& k) const noexcept { return slots_[k.index]; }
    [[nodiscard]] std::uint64_t SlotsAt(std::uint32_t dense_index) const noexcept { return slots_[dense_index]; }
    // Event::Hash's term of field i (0 for time.observation, which the default hash leaves out).
    [[nodiscard]] std::uint64_t hash_term(std::size_t i) const noexcept { return hash_terms_[i]; }
    // Distinct for every list made in the process (for caches keyed by list).
    [[nodiscard]] std::uint64_t serial() const noexcept { return serial_; }
    // The presence bits of its keys (as Event keeps them).
    [[nodiscard]] const std::array<std::uint64_t, kDenseKeys / 64>& key_bits() const noexcept { return key_bits_; }

private:
    std::array<std::uint64_t, kDenseKeys / 64> key_bits_{};
    std::uint64_t serial_ = 0;
    FieldList fields_;
    std::array<std::uint64_t, kDenseKeys> slots_{};
    std::vector<std::uint64_t> hash_terms_;
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
// The same text in a small buffer of its own (no allocation): for comparing or storing a time
// right away, e.g. e.Append(key, FormatEventTimeText(t).view()).
struct EventTimeText {
    char data[48];
    std::size_t size = 0;
    [[nodiscard]] std::string_view view() const { return {data, size}; }
};
[[nodiscard]] EventTimeText FormatEventTimeText(core::Micros t);
// text == FormatEventTimeText(t).view(), without formatting the whole time for most texts.
[[nodiscard]] bool IsEventTimeText(std::string_view text, core::Micros t);
// Parses ISO 8601 with a zone, or without one (taken as UTC, as add_UTC_to_timestamp does).
[[nodiscard]] std::optional<core::Micros> ParseEventTime(std::string_view text);

// Thread-safety: an Event is a plain value (one thread at a time). Its values live in its own
// storage (chunks freed with the event): a copy copies the bytes and points its fields at them,
// a move keeps them where they are, so views of values stay valid while the event lives and is
// only moved (Set/Remove of a key invalidate pointers to Field entries, not the bytes).
// Fields common to many events (a report's constants) may be shared (ShareFields): an immutable
// SharedFields list held by a shared pointer plus a mask of the fields that apply; they read,
// hash, print and store exactly as the event's own fields would, and setting or removing one of
// their keys makes the change in this event alone.
class Event {
public:
    Event() = default;
    Event(const Event& o);
    Event(Event&& o) noexcept;
    Event& operator=(const Event& o);
    Event& operator=(Event&& o) noexcept;
    ~Event();

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
    // The bytes are copied (the value may be a view of this event's own values).
    void SetRaw(const Key& key, std::string_view value, JsonKind kind = JsonKind::kString);
    // Appends a canonical value whose key the caller knows is not there yet (no search).
    void Append(const Key& key, std::string_view value, JsonKind kind = JsonKind::kString) {
        if (shared_mask_) Unshare(key.info());
        Mark(key.info());
        const std::string_view v = Store(value);
        // Built in place, the value's pointer and size stored from registers (a Field or view
        // passed through the stack and copied as one 16-byte load stalled on store forwarding).
        Field& f = fields_.emplace_back(key);
        f.value = v;
        f.kind = kind;
    }
    // An extra.* value with a JSON kind (numbers converted by the parser).
    void SetExtra(std::string_view name, std::string_view value, JsonKind kind = JsonKind::kString);
    void Remove(std::string_view key);
    // `raw` as the record's original bytes: kept as they are (no base64 while the event moves
    // through the stages and into storage); Get("raw"), ToJson and ToJsonObject show the base64
    // text of IntelMQ. Replaces an earlier raw value.
    // `text`: the caller has found the bytes to be valid UTF-8 without NUL (stored as text
    // without another check).
    void SetRawBytes(std::string_view bytes, bool text = false);
    // Values (and raw) set from now on that are bytes of `text` are kept as views of it instead
    // of copies (a parser's cells, unchanged by sanitising): the caller keeps `text` unchanged
    // while the event's values are read. A copy of the event copies them; Clear forgets `text`.
    void Borrow(std::string_view text) noexcept { borrowed_ = text; }
    // The IPv4 address `text` is, when it is the dotted quad AddUtf8 last sanitised as an address
    // for this event (its text is kept with it): the enricher reads source.ip without parsing it
    // again. nullopt: not known (parse it).
    [[nodiscard]] std::optional<std::uint32_t> SanitisedV4(std::string_view text) const noexcept {
        if (text.size() != v4_.size || text.empty() || std::memcmp(text.data(), v4_.text, text.size()) != 0)
            return std::nullopt;
        return v4_.value;
    }
    // True when `v` (not empty) lies in the borrowed text.
    [[nodiscard]] bool Borrows(std::string_view v) const noexcept {
        return !v.empty() && v.size() <= borrowed_.size() &&
               reinterpret_cast<std::uintptr_t>(v.data()) - reinterpret_cast<std::uintptr_t>(borrowed_.data()) <=
                   borrowed_.size() - v.size();
    }
    // The original bytes of `raw` when it was set by SetRawBytes (else nullptr: then raw, if
    // any, is an ordinary base64 field).
    [[nodiscard]] const std::string_view* raw_bytes() const { return has_raw_bytes_ ? &raw_bytes_ : nullptr; }
    // True when SetRawBytes was told the bytes are valid UTF-8 without NUL.
    [[nodiscard]] bool raw_bytes_are_text() const { return has_raw_bytes_ && raw_text_; }
    // raw_bytes() when they are valid UTF-8 without NUL (stored as text; else nullptr).
    [[nodiscard]] const std::string_view* raw_text() const;

    // The value of `key` (a view of this event's storage, valid while the event lives and the
    // key is not set again or removed); nullptr when the event has no such field.
    [[nodiscard]] const std::string_view* Get(std::string_view key) const;
    // Get and Has for a Key the caller holds (a static Key of a stage or parser): its text is
    // not looked up in the key table for every event.
    [[nodiscard]] const std::string_view* Find(const Key& key) const;
    // The field of `key` (its own, or a shared one that applies); nullptr when the event has none
    // (raw held as bytes is not a field: see raw_bytes()).
    // (Inline: the stages ask for a few keys of every event, most of them shared ones.)
    [[nodiscard]] const Field* FindField(const Key& key) const {
        return Marked(key.info()) ? FindOwnField(key) : SharedField(key.info());
    }
    // O(1) for a key with a dense index (the presence bit is exact for those).
    [[nodiscard]] bool HasKey(const Key& key) const {
        const KeyInfo& i = key.info();
        if (i.index != kOverflowKeyIndex)
            return Marked(i) || SharedHas(i) || (has_raw_bytes_ && i.name.size() == 3 && std::string_view(i.name) == "raw");
        return Find(key) != nullptr;
    }
    [[nodiscard]] std::string_view GetOr(std::string_view key, std::string_view fallback = {}) const {
        const std::string_view* v = Get(key);
        return v ? *v : fallback;
    }
    [[nodiscard]] bool Has(std::string_view key) const { return Get(key) != nullptr; }
    // True when the event has a field of `key` of its own (not one of its shared fields).
    [[nodiscard]] bool HasOwnKey(const Key& key) const {
        const KeyInfo& i = key.info();
        if (i.index != kOverflowKeyIndex) return Marked(i);
        for (const auto& f : fields_)
            if (f.key == key) return true;
        return false;
    }
    // The fields (own ones, then shared ones that apply), without raw when it is held as bytes
    // (see raw_bytes()). Invalidated by any change of the event.
    class FieldRange {
    public:
        class iterator {
        public:
            using value_type = Field;
            using reference = const Field&;
            using pointer = const Field*;
            using difference_type = std::ptrdiff_t;
            using iterator_category = std::forward_iterator_tag;
            iterator() = default;
            iterator(const Event* e, std::size_t own, std::uint64_t mask) : e_(e), own_(own), mask_(mask) {}
            const Field& operator*() const {
                if (own_ < e_->fields_.size()) return e_->fields_[own_];
                return e_->shared_->fields()[static_cast<std::size_t>(__builtin_ctzll(mask_))];
            }
            const Field* operator->() const { return &**this; }
            iterator& operator++() {
                if (own_ < e_->fields_.size()) ++own_;
                else mask_ &= mask_ - 1;
                return *this;
            }
            iterator operator++(int) {
                iterator t = *this;
                ++*this;
                return t;
            }
            bool operator==(const iterator& o) const { return own_ == o.own_ && mask_ == o.mask_; }

        private:
            const Event* e_ = nullptr;
            std::size_t own_ = 0;
            std::uint64_t mask_ = 0;
        };
        explicit FieldRange(const Event* e) : e_(e) {}
        [[nodiscard]] iterator begin() const { return {e_, 0, e_->shared_mask_}; }
        [[nodiscard]] iterator end() const { return {e_, e_->fields_.size(), 0}; }
        [[nodiscard]] std::size_t size() const {
            return e_->fields_.size() + static_cast<std::size_t>(__builtin_popcountll(e_->shared_mask_));
        }

    private:
        const Event* e_;
    };
    [[nodiscard]] FieldRange fields() const { return FieldRange(this); }
    // The fields the event holds itself (without its shared ones).
    [[nodiscard]] const std::vector<Field>& own_fields() const { return fields_; }
    // The shared fields that apply to this event (bit i: shared->fields()[i]); null/0 for none.
    [[nodiscard]] const std::shared_ptr<const SharedFields>& shared() const { return shared_; }
    [[nodiscard]] std::uint64_t shared_mask() const { return shared_mask_; }
    // Gives the event the fields of `shared` selected by `mask` as if they were its own (later
    // Set/Remove/Append of one of their keys copies or masks it). A field of `mask` whose key
    // the event has already (its own) replaces its value, as SetRaw would. Shared fields of
    // another list that the event had become its own first. `mask` (with the fields the event
    // shares already) selects at most one field of each key.
    void ShareFields(const std::shared_ptr<const SharedFields>& shared, std::uint64_t mask);
    [[nodiscard]] bool empty() const { return fields_.empty() && !shared_mask_ && !has_raw_bytes_; }
    void Reserve(std::size_t n) { fields_.reserve(n); }
    // Asks the CPU to bring the event's fields and values into its cache (a stage calls it for
    // an event a little ahead of the one it works on: events arrive from another thread's core).
    void Prefetch() const noexcept;
    // Room for about `bytes` of values in the first chunk of the event's value storage (an event
    // just cleared, holding no values, gets a larger first chunk when its own is too small).
    void ReserveBytes(std::size_t bytes) {
        if (!chunks_) {
            if (bytes > first_chunk_)
                first_chunk_ = static_cast<std::uint32_t>(std::min<std::size_t>(bytes, std::size_t{1} << 20));
        } else if (bytes > left_ && fields_.empty() && !has_raw_bytes_) {
            RenewStorage(bytes);
        }
    }
    // Makes the event empty, exactly as a new Event() (fields, presence bits, shared fields, raw
    // bytes and their base64 text all gone), but keeps the first chunk of its value storage (up
    // to kKeptChunkBytes) and the capacity of its field list (up to kKeptFields): an event reused
    // for the next record allocates nothing. Views of its old values become invalid.
    static constexpr std::size_t kKeptChunkBytes = 8192, kKeptFields = 256;
    void Clear() noexcept;

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
    // Presence bits by dense key index (KeyInfo::index): exact for keys with their own index (set
    // when stored, cleared when removed), so HasKey/Find/Set skip the scan of fields_ for a key
    // the event does not have; the shared overflow bit means "some other key may be there".
    void Mark(const KeyInfo& k) noexcept { present_[k.index >> 6] |= std::uint64_t{1} << (k.index & 63); }
    void Unmark(const KeyInfo& k) noexcept {
        if (k.index != kOverflowKeyIndex) present_[k.index >> 6] &= ~(std::uint64_t{1} << (k.index & 63));
    }
    [[nodiscard]] const Field* FindOwnField(const Key& key) const;  // (FindField of a marked key)
    [[nodiscard]] bool Marked(const KeyInfo& k) const noexcept {
        return (present_[k.index >> 6] >> (k.index & 63)) & 1;
    }
    // The shared field of `k` when it applies to this event (else nullptr).
    [[nodiscard]] const Field* SharedField(const KeyInfo& k) const noexcept {
        if (!shared_mask_) return nullptr;
        const std::uint64_t m = shared_->SlotsOf(k) & shared_mask_;
        return m ? &shared_->fields()[static_cast<std::size_t>(__builtin_ctzll(m))] : nullptr;
    }
    [[nodiscard]] bool SharedHas(const KeyInfo& k) const noexcept { return SharedField(k) != nullptr; }
    // Masks the shared field of `k` (if it applies): the event no longer has it.
    void Unshare(const KeyInfo& k) noexcept { shared_mask_ &= ~shared_->SlotsOf(k); }
    // The bytes of `v` copied into the event's value storage (chunks that never move).
    std::string_view Store(std::string_view v) {
        if (v.empty()) return {};
        if (Borrows(v)) return v;  // bytes of the borrowed text stay where they are
        if (v.size() > left_) Grow(v.size());
        char* p = cur_;
        std::memcpy(p, v.data(), v.size());
        cur_ += v.size();
        left_ -= v.size();
        return {p, v.size()};
    }
    void Grow(std::size_t need);
    void FreeChunks() noexcept;
    void RenewStorage(std::size_t bytes) noexcept;  // no values held: a first chunk of about `bytes`
    std::array<std::uint64_t, kDenseKeys / 64> present_{};
    std::vector<Field> fields_;
    std::shared_ptr<const SharedFields> shared_;  // fields shared with other events
    std::uint64_t shared_mask_ = 0;  // which of shared_'s fields this event has (none of its own keys)
    void* chunks_ = nullptr;  // the newest chunk of value storage (each links to the one before)
    char* cur_ = nullptr;     // free bytes of the newest chunk
    std::size_t left_ = 0;
    std::uint32_t first_chunk_ = 512;
    std::string_view borrowed_;   // (Borrow)
    struct SanitisedAddress {     // (SanitisedV4)
        char text[15] = {};
        std::uint8_t size = 0;
        std::uint32_t value = 0;
    } v4_;
    std::string_view raw_bytes_;  // in the value storage (or the borrowed text)
    bool has_raw_bytes_ = false;
    bool raw_text_ = false;  // raw_bytes_ known to be UTF-8 without NUL
    mutable std::string raw_base64_text_;  // raw as base64 for Get/ToJson (computed once, from raw_bytes_)
    mutable Field raw_base64_;
    mutable bool raw_base64_valid_ = false;
};

// ---- Raw templates ------------------------------------------------------------------------
// The records of most reports are their cells, verbatim, between separators that do not change
// ("a","b",...): raw is then the values of some of the event's fields with constant text around
// them, and times (its time_source, or the time a field holds as FormatEventTime wrote it)
// written in one of a few formats. A raw template is that shape, made from one event of a run:
// literal text, then a value (a field's, or a time), and so on, then a last literal. An event
// whose raw is exactly its template filled with its own values is stored without its raw (event
// blocks: kRawFromTemplate), and its raw is rebuilt from the template and the decoded event when
// read. The value of a key is the event's first field of that key (as Event::FindField finds it),
// or empty when it has none.
struct RawTemplate {
    enum class Time : std::uint8_t {
        kNone,   // the value of `key`
        kSpace,  // a time as "YYYY-MM-DD hh:mm:ss"
        kZulu,   // "YYYY-MM-DDThh:mm:ssZ"
        kEvent,  // FormatEventTime ("YYYY-MM-DDThh:mm:ss[.ffffff]+00:00")
        kHttp,   // "Wed, 14 Jan 2026 00:00:00 GMT"
    };
    struct Part {
        Part(std::string literal_, Key key_, Time time_)
            : literal(std::move(literal_)), key(std::move(key_)), time(time_), index(key.info().index),
              time_source(key.empty()) {}
        std::string literal;  // before the value
        Key key;              // the field of the value (a time: empty for time_source)
        Time time = Time::kNone;
        // (Read for every event without reading the key's info.)
        std::uint32_t index;  // key.info().index
        bool time_source;     // key.empty(): a time part's time is time_source
    };
    std::vector<Part> parts;
    std::string tail;  // after the last value
    // Distinct for each template MakeRawTemplate and MergeRawTemplates make (0 for others):
    // MatchesRawTemplate keeps work per template and thread under it. (Not changed once made.)
    std::uint64_t serial = 0;
};

// ---- The compact stored form (feed_events.data_format = 1, migration 013) -------------------
// An event is stored as the fields that differ from a base (fields most events of a batch share:
// feed, classification, protocol, constants of the report; and the few values of a column such
// as a server, of which an event's first field of the key takes the equal one) plus its own
// fields, each written as
//   kind ('s', 'i', 'f', 'b') key-length ':' key value-length ':' value
// or, for a key of the base's key list, as
//   kind in capitals ('S', 'I', 'F', 'B') key-number ':' value-length ':' value
// and preceded by the hexadecimal mask of the base fields it has, then ';'. The base is stored
// once (feed_event_bases, keyed by a hash of its text). raw is kept apart as the original bytes.
// Decoding gives back exactly the fields (key, value, JSON kind) that were encoded, so ToJson()
// of a decoded event is byte-for-byte the JSON of the original.
// A base's text: its fields (in the form above), then its key list ('d' key-length ':' key for
// each; bases written before the list have none), then, for a base of blocks
// (feed_event_blocks), maybe a raw template (see RawTemplate): 'r' followed by its parts.
struct CompactBase {
    FieldList fields;           // at most 64
    // The keys of the fields the events write themselves (at most 255): an event's field of one
    // of these keys is written with the key's number instead of its text.
    std::vector<Key> keys;
    std::string text;           // the encoded fields (and key list and raw template)
    std::uint64_t id = 0;       // a stable hash of text (0: no base)
    std::optional<RawTemplate> raw_template;
};

// The template of `e` (raw: its raw bytes as text; time_source: its time), made from the values
// of its fields that lie in raw (views of the same bytes: the cells a parser kept as they are),
// and the times found in what is left (time_source, then the fields holding times, in the Time
// formats). nullopt when no field value lies in raw.
[[nodiscard]] std::optional<RawTemplate> MakeRawTemplate(const Event& e, std::string_view raw, core::Micros time_source);
// True when `raw` is exactly `t` filled with the values of `e` and `time_source` (checked without
// writing the text: a value that is a view of raw's bytes at its place is not read).
[[nodiscard]] bool MatchesRawTemplate(const RawTemplate& t, const Event& e, std::string_view raw,
                                      core::Micros time_source);
// One template that both `a` and `b` describe, when their parts can be put in one order (the
// parts they share in the same order; between two of those, the other parts of one side, then a
// separator, then those of the other) and the literals agree where one side has no part (as its
// value is empty there): the template of a record with all the cells of both. Made from the templates of two records of a report with
// empty cells in different columns. nullopt when they cannot be merged.
[[nodiscard]] std::optional<RawTemplate> MergeRawTemplates(const RawTemplate& a, const RawTemplate& b);
// `t` filled with the values of `e` and `time_source`.
[[nodiscard]] std::string FillRawTemplate(const RawTemplate& t, const Event& e, core::Micros time_source);
// Adds `t` to `base` (its text and id change; no base, id 0, gets none).
void SetRawTemplate(CompactBase& base, RawTemplate t);
// Fields present with the same value in more than half of `sample` (one per key; raw, time and
// per-event fields such as addresses never), then other values that at least 2 and 1 in 8 of
// the sample have (a key may have several), and the keys of the sample's fields (first met
// first).
[[nodiscard]] CompactBase MakeCompactBase(const std::vector<const Event*>& sample);
// Encodes `e` against `base` (may be null) into `data`. `raw` receives the original bytes of raw
// when they can be stored as text (valid UTF-8 without NUL; else raw stays a base64 field in
// data). Returns false when the event cannot be stored compactly (a NUL byte in a value): store
// ToJson() with data_format 0 instead.
[[nodiscard]] bool EncodeCompact(const Event& e, const CompactBase* base, std::string& data,
                                 std::optional<std::string>& raw);
// The same with `raw` as a view of the event's own bytes (valid while the event lives and its raw
// is not set again). The fields of the keys in `leave_out` are encoded as if the event did not
// have them (as if removed first).
[[nodiscard]] bool EncodeCompact(const Event& e, const CompactBase* base, std::string& data,
                                 std::optional<std::string_view>& raw, std::span<const Key* const> leave_out = {});
// The base from its text: fields, key list, text, id and raw template.
[[nodiscard]] core::Result<CompactBase> DecodeCompactBase(std::string_view text);
// The event back from its compact form, its base (nullptr: none) and its raw bytes (nullptr: none).
[[nodiscard]] core::Result<Event> DecodeCompact(std::string_view data, const CompactBase* base, const std::string* raw);

// 64-bit FNV-1a, used for hashes that must not change between releases.
[[nodiscard]] std::uint64_t StableHash(std::string_view data, std::uint64_t seed = 1469598103934665603ULL);

// Base64 (RFC 4648, with padding) for `raw`.
[[nodiscard]] std::string Base64Encode(std::string_view bytes);
[[nodiscard]] bool Base64Decode(std::string_view text, std::string& out);

// True when `text` is valid UTF-8.
[[nodiscard]] bool IsUtf8(std::string_view text);

// True when `s` is a non-negative decimal integer as to_chars writes it: digits only, no leading
// zero (unless it is "0"), at most 18 digits (so it fits an int64).
[[nodiscard]] bool CanonicalDigits(std::string_view s);

// a == b, for the short values of events compared once or more per event: up to 16 bytes in two
// overlapping loads each, without a library call.
[[nodiscard]] inline bool SameBytes(std::string_view a, std::string_view b) noexcept {
    const std::size_t n = a.size();
    if (n != b.size()) return false;
    const char* p = a.data();
    const char* q = b.data();
    if (n >= 8) {
        if (n > 16) return std::memcmp(p, q, n) == 0;
        std::uint64_t x, y, u, v;
        std::memcpy(&x, p, 8);
        std::memcpy(&y, q, 8);
        std::memcpy(&u, p + n - 8, 8);
        std::memcpy(&v, q + n - 8, 8);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    if (n >= 4) {
        std::uint32_t x, y, u, v;
        std::memcpy(&x, p, 4);
        std::memcpy(&y, q, 4);
        std::memcpy(&u, p + n - 4, 4);
        std::memcpy(&v, q + n - 4, 4);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    return n == 0 || (p[0] == q[0] && p[n / 2] == q[n / 2] && p[n - 1] == q[n - 1]);
}

// Decimal text of `v` at `o` (room for 20 characters); the end. Most numbers of a stored event
// (counts, flags, the sizes of its values) have one to three digits: written without a call.
inline char* WriteDecimal(char* o, std::int64_t v) noexcept {
    static constexpr char kPairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    if (v >= 0 && v < 1000) {
        if (v < 10) {
            *o = static_cast<char>('0' + v);
            return o + 1;
        }
        if (v < 100) {
            std::memcpy(o, kPairs + 2 * v, 2);
            return o + 2;
        }
        *o = static_cast<char>('0' + v / 100);
        std::memcpy(o + 1, kPairs + 2 * (v % 100), 2);
        return o + 3;
    }
    return std::to_chars(o, o + 20, v).ptr;
}

namespace detail {
// The n bytes of `s` to `o` (sizeof(W) <= n <= 2 * sizeof(W)): a word from each end.
template <typename W>
inline void CopyEnds(char* o, const char* s, std::size_t n) noexcept {
    W a, b;
    std::memcpy(&a, s, sizeof a);
    std::memcpy(&b, s + n - sizeof b, sizeof b);
    std::memcpy(o, &a, sizeof a);
    std::memcpy(o + n - sizeof b, &b, sizeof b);
}
struct Bytes16 {
    unsigned char b[16];
};
}  // namespace detail

// Copies the n bytes of `s` to `o` (not overlapping): the short values and keys written for
// every event (up to 32 bytes) in two overlapping loads and stores, without a library call.
inline void CopyBytes(char* o, const char* s, std::size_t n) noexcept {
    if (n > 32) {
        std::memcpy(o, s, n);
    } else if (n >= 16) {
        detail::CopyEnds<detail::Bytes16>(o, s, n);
    } else if (n >= 8) {
        detail::CopyEnds<std::uint64_t>(o, s, n);
    } else if (n >= 4) {
        detail::CopyEnds<std::uint32_t>(o, s, n);
    } else if (n > 0) {
        o[0] = s[0];
        o[n / 2] = s[n / 2];
        o[n - 1] = s[n - 1];
    }
}

}  // namespace muhafiz::feeds
