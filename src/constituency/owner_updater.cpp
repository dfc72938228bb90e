#include "constituency/owner_updater.hpp"

namespace muhafiz::constituency {

OwnerIndexUpdater::OwnerIndexUpdater(Loader loader)
    : loader_(std::move(loader)), holder_(OwnerIndex::Empty()), worker_([this] { Loop(); }) {}

OwnerIndexUpdater::~OwnerIndexUpdater() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
}

void OwnerIndexUpdater::RequestRebuild() {
    {
        std::lock_guard lock(mu_);
        ++wanted_;
    }
    cv_.notify_all();
}

void OwnerIndexUpdater::WaitFresh(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    const std::uint64_t target = wanted_;
    cv_.wait_for(lock, timeout, [&] { return built_ >= target || stop_; });
}

core::Status OwnerIndexUpdater::RebuildNow() {
    auto entries = loader_();
    if (!entries) return tl::unexpected(entries.error());
    holder_.Swap(OwnerIndex::Build(std::move(*entries)));
    return {};
}

void OwnerIndexUpdater::Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stop_ || built_ < wanted_; });
        if (stop_) return;
        const std::uint64_t target = wanted_;  // everything requested so far is covered by one build
        lock.unlock();
        auto entries = loader_();
        if (entries) holder_.Swap(OwnerIndex::Build(std::move(*entries)));
        lock.lock();
        // On a failed load the old snapshot stays; the next request tries again.
        built_ = target;
        cv_.notify_all();
    }
}

}  // namespace muhafiz::constituency
