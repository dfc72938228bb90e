// A hash table of 64-bit keys with open addressing (linear probing, at most half full) whose
// slot for a key can be read ahead of its use: the pipeline's large per-event tables (dedup
// hashes, an open block's owners) are far larger than the cache, and a loop over events reads
// the slots of many events together before it looks each up.
// `kFree` is a value no entry holds (it marks free slots).
// Thread-safety: a plain value (one thread at a time).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/huge_pages.hpp"

namespace muhafiz::feeds {

template <typename Value, Value kFree>
class OpenTable {
public:
    // Where the value of `key` is; added as `fresh` (`inserted`) when the key is not there.
    Value* FindOrAdd(std::uint64_t key, Value fresh, bool& inserted) {
        if ((used_ + 1) * 2 > slots_.size()) Grow();
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = Home(key);; i = (i + 1) & mask) {
            Entry& s = slots_[i];
            if (s.value == kFree) {
                s = Entry{key, fresh};
                ++used_;
                inserted = true;
                return &s.value;
            }
            if (s.key == key) {
                inserted = false;
                return &s.value;
            }
        }
    }
    // The value of `key` (nullptr: none).
    [[nodiscard]] const Value* Find(std::uint64_t key) const {
        if (slots_.empty()) return nullptr;
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = Home(key);; i = (i + 1) & mask) {
            const Entry& s = slots_[i];
            if (s.value == kFree) return nullptr;
            if (s.key == key) return &s.value;
        }
    }
    // Reads the slot `key` starts its search at, and returns a word of it (for the caller to
    // keep the read): a loop that reads the slots of many keys before it looks them up has
    // their cache misses overlap (prefetch instructions, one event at a time, did not help).
    [[nodiscard]] std::uint64_t Read(std::uint64_t key) const { return slots_.empty() ? 0 : slots_[Home(key)].key; }
    [[nodiscard]] std::size_t size() const { return used_; }
    // Room for `n` keys without growing (a table that grows a step at a time moves each key
    // again at every step, a cache miss each in a large one).
    void Reserve(std::size_t n) {
        if ((n + 1) * 2 > slots_.size()) Rehash(std::bit_ceil((n + 1) * 2));
    }
    // Empties the table, keeping its slots.
    void Clear() {
        if (used_ == 0) return;
        std::fill(slots_.begin(), slots_.end(), Entry{});
        used_ = 0;
    }

private:
    struct Entry {
        std::uint64_t key = 0;
        Value value = kFree;
    };
    [[nodiscard]] std::size_t Home(std::uint64_t key) const {
        return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
    }
    void Grow() { Rehash(slots_.empty() ? 64 : slots_.size() * 2); }
    void Rehash(std::size_t size) {
        core::HugeVector<Entry> old = std::move(slots_);
        slots_.assign(size, Entry{});
        shift_ = 64 - std::countr_zero(size);
        for (const Entry& e : old)
            if (e.value != kFree) {
                std::size_t i = Home(e.key);
                while (slots_[i].value != kFree) i = (i + 1) & (size - 1);
                slots_[i] = e;
            }
    }
    core::HugeVector<Entry> slots_;  // (a large table: in huge pages, read at random)
    std::size_t used_ = 0;
    int shift_ = 64;
};

// Keeps reads made only to bring memory into the cache (given the sum of what they read) from
// being left out by the compiler: loops that read what many events will need, before the events
// are handled one by one, have their cache misses overlap.
inline void KeepReads(std::uint64_t sum) { asm volatile("" : : "r"(sum)); }

}  // namespace muhafiz::feeds
