#include "constituency/owner_updater.hpp"

namespace muhafiz::constituency {

OwnerIndexUpdater::OwnerIndexUpdater(Loader loader, Fingerprint fingerprint, std::chrono::milliseconds poll)
    : loader_(std::move(loader)),
      fingerprint_(std::move(fingerprint)),
      poll_(poll),
      holder_(OwnerIndex::Empty()),
      worker_([this] { Loop(); }) {}

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
    std::lock_guard lock(build_mu_);
    std::string fp;
    if (fingerprint_) {
        auto f = fingerprint_();
        if (!f) return tl::unexpected(f.error());
        fp = std::move(*f);
    }
    auto entries = loader_();
    if (!entries) return tl::unexpected(entries.error());
    holder_.Swap(OwnerIndex::Build(std::move(*entries)));
    built_fingerprint_ = std::move(fp);
    return {};
}

void OwnerIndexUpdater::Build() {
    std::lock_guard lock(build_mu_);
    // The fingerprint is taken before the load, so a change during the load triggers one more.
    std::string fp;
    if (fingerprint_) {
        auto f = fingerprint_();
        if (f) fp = std::move(*f);
    }
    auto entries = loader_();
    if (!entries) return;  // the old snapshot stays; the next request or poll tries again
    holder_.Swap(OwnerIndex::Build(std::move(*entries)));
    built_fingerprint_ = std::move(fp);
}

void OwnerIndexUpdater::Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
        const bool requested = cv_.wait_for(lock, poll_, [&] { return stop_ || built_ < wanted_; });
        if (stop_) return;
        const std::uint64_t target = wanted_;  // everything requested so far is covered by one build
        lock.unlock();
        bool rebuild = requested;
        if (!requested && fingerprint_) {
            auto f = fingerprint_();
            std::lock_guard build_lock(build_mu_);
            rebuild = f && *f != built_fingerprint_;
        }
        if (rebuild) Build();
        lock.lock();
        built_ = std::max(built_, target);
        cv_.notify_all();
    }
}

}  // namespace muhafiz::constituency
