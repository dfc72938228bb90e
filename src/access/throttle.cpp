#include "access/throttle.hpp"

#include <algorithm>
#include <vector>

namespace muhafiz::access {
namespace {

constexpr std::size_t kSweepAbove = 10000;

std::vector<std::string> Keys(std::string_view username, std::string_view address) {
    std::vector<std::string> keys;
    if (!username.empty()) keys.push_back("u:" + std::string(username));
    if (!address.empty()) keys.push_back("a:" + std::string(address));
    return keys;
}

}  // namespace

LoginThrottle::LoginThrottle(ThrottleOptions options, Clock clock)
    : options_(options), clock_(std::move(clock)) {}

core::Status LoginThrottle::Check(std::string_view username, std::string_view address) {
    const core::Micros now = clock_();
    core::Micros wait = 0;
    std::lock_guard lock(mu_);
    for (const auto& key : Keys(username, address))
        if (auto it = entries_.find(key); it != entries_.end())
            wait = std::max(wait, it->second.locked_until - now);
    if (wait <= 0) return core::Ok();
    const core::Micros seconds = (wait + kSecond - 1) / kSecond;
    return core::Fail(
        core::ErrorCode::kTooManyRequests,
        "too many failed sign-in attempts; try again in " + std::to_string(seconds) + " s");
}

void LoginThrottle::RecordFailure(std::string_view username, std::string_view address) {
    const core::Micros now = clock_();
    std::lock_guard lock(mu_);
    if (entries_.size() > kSweepAbove) Sweep(now);
    for (const auto& key : Keys(username, address)) Fail(key, now);
}

void LoginThrottle::RecordSuccess(std::string_view username, std::string_view address) {
    std::lock_guard lock(mu_);
    for (const auto& key : Keys(username, address)) entries_.erase(key);
}

void LoginThrottle::Fail(const std::string& key, core::Micros now) {
    Entry& e = entries_[key];
    if (e.last_failure != 0 && now - e.last_failure > options_.window) e = Entry{};
    e.last_failure = now;
    // Before the first lock-out it takes max_failures; after one, every failure locks again.
    if (++e.failures < (e.lockouts == 0 ? options_.max_failures : 1)) return;
    core::Micros lockout = options_.first_lockout;
    for (int i = 0; i < e.lockouts && lockout < options_.max_lockout; ++i) lockout *= 2;
    e.locked_until = now + std::min(lockout, options_.max_lockout);
    ++e.lockouts;
    e.failures = 0;
}

void LoginThrottle::Sweep(core::Micros now) {
    std::erase_if(entries_, [&](const auto& kv) {
        return now - kv.second.last_failure > options_.window && now >= kv.second.locked_until;
    });
}

}  // namespace muhafiz::access
