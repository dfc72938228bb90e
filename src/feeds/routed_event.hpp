// An event on its way through the feed pipeline (parsers.hpp fills them, stages.hpp routes them,
// pipeline.cpp stores them), and the reusable list a batch keeps them in.
// Thread-safety: plain values; a RoutedEvents is used by one thread at a time (an aggregated
// feed's batch is handed from the parse thread to the processing thread, and its list back again).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "feeds/event.hpp"

namespace muhafiz::feeds {

enum class Route { kOwner, kPartner, kUnrouted };
[[nodiscard]] std::string_view RouteName(Route r);

// An event with the columns storage needs.
struct RoutedEvent {
    Event event;
    std::int64_t line = 0;
    std::int64_t time_source = 0;
    std::uint64_t dedup_hash = 0;
    std::optional<std::uint64_t> aggregate_hash;
    std::int64_t organisation_id = 0;  // owner, 0 = none
    std::int64_t recipient_id = 0;
    Route route = Route::kUnrouted;
    std::string scope_path;
    bool notify = true;
    std::int64_t first_seen = 0, last_seen = 0, count = 1;

    // As new, keeping the storage of the event (Event::Clear) and of scope_path.
    void Reset() noexcept {
        event.Clear();
        line = time_source = 0;
        dedup_hash = 0;
        aggregate_hash.reset();
        organisation_id = recipient_id = 0;
        route = Route::kUnrouted;
        scope_path.clear();
        notify = true;
        first_seen = last_seen = 0;
        count = 1;
    }
};

// The events of a batch, in a list that keeps its elements when they are removed: those past
// size() stay constructed, with the storage of their events, and Add reuses them. The parser
// fills it in place: an event is built where the stages read it and is never moved (moving, then
// destroying, every event on its way was a visible part of the threads). For a feed stored in
// blocks the stages take the events as they are parsed (ParseOutput::ready) and the list is
// emptied for the next ones; an aggregated feed's batch list goes back to the parse thread once
// the batch is processed.
class RoutedEvents {
public:
    // Elements kept beyond size() at most (Trim): a list goes back and forth between the threads
    // with the storage of ~ a batch's events (each holds at most Event::kKeptChunkBytes of values
    // and Event::kKeptFields fields).
    static constexpr std::size_t kKeep = 8192;

    RoutedEvents() = default;
    RoutedEvents(RoutedEvents&& o) noexcept : items_(std::move(o.items_)), size_(std::exchange(o.size_, 0)) {
        o.items_.clear();
    }
    RoutedEvents& operator=(RoutedEvents&& o) noexcept {
        items_ = std::move(o.items_);
        size_ = std::exchange(o.size_, 0);
        o.items_.clear();
        return *this;
    }
    friend void swap(RoutedEvents& a, RoutedEvents& b) noexcept {
        a.items_.swap(b.items_);
        std::swap(a.size_, b.size_);
    }

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    // Elements constructed: size() and those kept for reuse.
    [[nodiscard]] std::size_t kept() const noexcept { return items_.size(); }
    [[nodiscard]] RoutedEvent* data() noexcept { return items_.data(); }
    [[nodiscard]] RoutedEvent* begin() noexcept { return items_.data(); }
    [[nodiscard]] RoutedEvent* end() noexcept { return items_.data() + size_; }
    [[nodiscard]] const RoutedEvent* begin() const noexcept { return items_.data(); }
    [[nodiscard]] const RoutedEvent* end() const noexcept { return items_.data() + size_; }
    [[nodiscard]] RoutedEvent& operator[](std::size_t i) noexcept { return items_[i]; }
    [[nodiscard]] const RoutedEvent& operator[](std::size_t i) const noexcept { return items_[i]; }
    [[nodiscard]] RoutedEvent& back() noexcept { return items_[size_ - 1]; }
    [[nodiscard]] std::span<RoutedEvent> span() noexcept { return {items_.data(), size_}; }

    // A new last element, as new: a kept one reset (RoutedEvent::Reset), or a new one. The kept
    // ones may have been last written long ago or on another thread's core: the one after next is
    // fetched ahead.
    RoutedEvent& Add() {
        if (size_ < items_.size()) {
            if (size_ + 2 < items_.size()) {
                const char* next = reinterpret_cast<const char*>(&items_[size_ + 2]);
                for (std::size_t b = 0; b < sizeof(RoutedEvent); b += 64) __builtin_prefetch(next + b);
                items_[size_ + 1].event.Prefetch();
            }
            RoutedEvent& r = items_[size_++];
            r.Reset();
            return r;
        }
        ++size_;
        return items_.emplace_back();
    }
    // The event moved into a new last element.
    RoutedEvent& Add(Event&& e) {
        RoutedEvent& r = Add();
        r.event = std::move(e);
        return r;
    }
    // Removes the last element (kept for reuse).
    void pop_back() noexcept { --size_; }
    // The first n elements stay (n <= size(); the others are kept for reuse).
    void Truncate(std::size_t n) noexcept {
        if (n < size_) size_ = n;
    }
    void clear() noexcept { size_ = 0; }
    void reserve(std::size_t n) { items_.reserve(n); }
    // Frees the kept elements beyond `keep` (past size()).
    void Trim(std::size_t keep = kKeep) {
        if (items_.size() > size_ + keep) items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(size_ + keep), items_.end());
    }

private:
    std::vector<RoutedEvent> items_;  // [0, size_) the events; the rest kept for reuse
    std::size_t size_ = 0;
};

}  // namespace muhafiz::feeds
