// Digests: for every recipient organisation (an owner, its CERT, a partner CERT abroad, the
// National CERT for unrouted events) and interval (immediate, hourly, daily; chosen per
// organisation and taxonomy, `*` for the rest), one e-mail with a text summary grouped by
// classification and a CSV attachment of the events, under a reference number (FD-YYYY-NNNNNN).
// The message is queued in the notify outbox (the Dispatcher sends it over SMTP), encrypted to
// the organisation's PGP key when one is registered. Every message, and every digest that could
// not be sent for lack of an address, is recorded in feed_digests (the delivery log).
// Per recipient and interval a watermark (the last event id covered) makes each event appear in
// one digest of each interval at most, also across restarts.
// Thread-safety: RunDue may be called from several threads; it takes its own connection and
// commits each digest in its own transaction.
#pragma once

#include <functional>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"
#include "feeds/feed_store.hpp"
#include "notify/notifier.hpp"

namespace muhafiz::feeds {

struct DigestOptions {
    std::string from;                     // empty: the Notifier's default
    std::string default_interval = "daily";
    std::string subject_prefix = "[CERT]";
    std::int64_t max_events = 100000;     // per digest; the rest goes into the next one
};

struct DigestRunResult {
    int sent = 0;      // digests queued
    int skipped = 0;   // recipients without an address
    std::int64_t events = 0;
};

class DigestService {
public:
    DigestService(FeedStore& store, const notify::Notifier& notifier, DigestOptions options,
                  std::function<void()> wake = {})
        : store_(store), notifier_(notifier), options_(std::move(options)), wake_(std::move(wake)) {}

    // Sends what is due at `now`; `force` sends hourly and daily digests now as well.
    [[nodiscard]] core::Result<DigestRunResult> RunDue(core::Micros now, bool force = false);

    // The CSV attachment of a list of events (also the API's CSV export).
    [[nodiscard]] static std::string EventsCsv(const std::vector<StoredEvent>& events);

private:
    FeedStore& store_;
    const notify::Notifier& notifier_;
    DigestOptions options_;
    std::function<void()> wake_;
};

}  // namespace muhafiz::feeds
