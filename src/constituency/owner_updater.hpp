// OwnerIndexUpdater: keeps the published owner index in step with the constituency. Changes
// made in this process call RequestRebuild(); changes made elsewhere (an import on the command
// line, another server on the same PostgreSQL) are noticed by polling a cheap fingerprint of the
// constituency every `poll` interval. A background thread coalesces requests, rebuilds from the
// database and swaps the new snapshot in. Readers that must see their own change wait with
// WaitFresh().
// Thread-safety: thread-safe. Owns its worker thread; the destructor stops it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "constituency/owner_index.hpp"
#include "core/result.hpp"

namespace muhafiz::constituency {

class OwnerIndexUpdater {
public:
    using Loader = std::function<core::Result<OwnerEntries>()>;
    using Fingerprint = std::function<core::Result<std::string>()>;
    explicit OwnerIndexUpdater(Loader loader, Fingerprint fingerprint = {},
                               std::chrono::milliseconds poll = std::chrono::seconds(10));
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

    void Build();

    Loader loader_;
    Fingerprint fingerprint_;
    std::chrono::milliseconds poll_;
    std::mutex build_mu_;            // one build at a time; guards built_fingerprint_
    std::string built_fingerprint_;
    OwnerIndexHolder holder_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::uint64_t wanted_ = 0;
    std::uint64_t built_ = 0;
    bool stop_ = false;
    std::thread worker_;
};

}  // namespace muhafiz::constituency
