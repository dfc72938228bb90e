// BoundedQueue: a blocking multi-producer/multi-consumer queue of at most `capacity` items, used
// between the stages of the feed pipeline so a fast stage waits for a slow one (back-pressure)
// instead of growing memory. Items are whole batches of events.
// Thread-safety: thread-safe. Close() wakes every waiter: Push then fails, Pop drains what is
// left and then returns nullopt.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace muhafiz::feeds {

template <typename T>
class BoundedQueue {
public:
    explicit BoundedQueue(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

    // Waits while full; false when the queue was closed.
    bool Push(T item) {
        std::unique_lock lock(mu_);
        not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
        if (closed_) return false;
        items_.push_back(std::move(item));
        ++pushed_;
        if (items_.size() > high_water_) high_water_ = items_.size();
        not_empty_.notify_one();
        return true;
    }

    // Waits while empty; nullopt once closed and drained.
    std::optional<T> Pop() {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        not_full_.notify_one();
        return item;
    }

    // Like Pop, but waits at most `timeout`; nullopt when nothing came (or closed and drained).
    template <typename Rep, typename Period>
    std::optional<T> PopFor(std::chrono::duration<Rep, Period> timeout) {
        std::unique_lock lock(mu_);
        if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); })) return std::nullopt;
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        not_full_.notify_one();
        return item;
    }

    void Close() {
        std::lock_guard lock(mu_);
        closed_ = true;
        not_full_.notify_all();
        not_empty_.notify_all();
    }

    std::size_t high_water() const {
        std::lock_guard lock(mu_);
        return high_water_;
    }

private:
    const std::size_t capacity_;
    mutable std::mutex mu_;
    std::condition_variable not_full_, not_empty_;
    std::deque<T> items_;
    bool closed_ = false;
    std::size_t pushed_ = 0;
    std::size_t high_water_ = 0;
};

}  // namespace muhafiz::feeds
