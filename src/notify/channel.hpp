// The notification channel seam: one delivery attempt of one queued notification over one
// transport (SMTP, webhook, or a test double). The Dispatcher decides about retries from the
// outcome; a channel never retries by itself.
//
// Thread-safety: Send may be called from the dispatcher thread and from Flush callers at once;
// implementations must allow concurrent calls.
// Errors: a Result error is an unexpected failure of the channel itself and is retried like
// kRetry; expected transport outcomes are values of DeliveryResult.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace muhafiz::notify {

using core::Result;

enum class ChannelKind { kEmail, kWebhook };

[[nodiscard]] std::string_view ChannelName(ChannelKind kind);  // "email" / "webhook"

// What a channel needs to make one attempt (one row of the outbox).
struct Delivery {
    std::string uuid;  // the notification's public id
    ChannelKind channel = ChannelKind::kEmail;
    std::string envelope_from;            // e-mail: MAIL FROM (empty: the channel's own)
    std::vector<std::string> recipients;  // e-mail: RCPT TO addresses; webhook: the URL
    std::string event;                    // webhook: X-Muhafiz-Event
    std::string payload;                  // the rendered message, or the JSON body
    std::string secret;                   // webhook: the endpoint's HMAC key
    int attempt = 1;                      // 1 for the first attempt
};

enum class DeliveryOutcome {
    kDelivered,  // accepted by the server / 2xx
    kRetry,      // temporary: try again later
    kPermanent,  // will never succeed (SMTP 5xx, HTTP 4xx other than 408/429)
};

struct DeliveryResult {
    DeliveryOutcome outcome = DeliveryOutcome::kDelivered;
    std::string detail;  // the server's answer, for the delivery log
};

class Channel {
  public:
    virtual ~Channel() = default;
    [[nodiscard]] virtual Result<DeliveryResult> Send(const Delivery& delivery) = 0;
};

}  // namespace muhafiz::notify
