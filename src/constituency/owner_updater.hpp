// OwnerIndexUpdater: keeps the published owner index in step with the constituency. Changes
// call RequestRebuild(); a background thread coalesces requests, rebuilds from the database and
// swaps the new snapshot in. Readers that must see their own change wait with WaitFresh().
// Thread-safety: thread-safe. Owns its worker thread; the destructor stops it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "constituency/owner_index.hpp"
#include "core/result.hpp"

namespace muhafiz::constituency {

class OwnerIndexUpdater {
public:
    using Loader = std::function<core::Result<OwnerEntries>()>;
    explicit OwnerIndexUpdater(Loader loader);
    ~OwnerIndexUpdater();
    OwnerIndexUpdater(const OwnerIndexUpdater&) = delete;
    OwnerIndexUpdater& operator=(const OwnerIndexUpdater&) = delete;

    void RequestRebuild();
    // Waits until every rebuild requested before this call has been published (or `timeout`).
    void WaitFresh(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    [[nodiscard]] std::shared_ptr<const OwnerIndex> Get() const { return holder_.Get(); }
    // Builds and publishes synchronously (start-up).
    [[nodiscard]] core::Status RebuildNow();

private:
    void Loop();

    Loader loader_;
    OwnerIndexHolder holder_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::uint64_t wanted_ = 0;
    std::uint64_t built_ = 0;
    bool stop_ = false;
    std::thread worker_;
};

}  // namespace muhafiz::constituency
