// WebhookChannel: POSTs a JSON body to an endpoint's URL over libcurl (http:// or https://, no
// redirects followed), signed so that the receiver can check it came from us:
//   X-Muhafiz-Signature: sha256=<lower-case hex HMAC-SHA256 of the exact body, keyed with the
//                        endpoint's secret>
//   X-Muhafiz-Event: <event name>        X-Muhafiz-Delivery: <notification uuid, stable across
//                                                              retries: receivers deduplicate>
//
// Thread-safety: Send may be called concurrently (each call has its own curl handle).
// Outcomes: 2xx → kDelivered; 4xx other than 408 and 429 → kPermanent; any other status, a
// connection failure or a timeout → kRetry. The detail holds the status and the start of the
// answer.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "notify/channel.hpp"

namespace muhafiz::notify {

struct WebhookConfig {
    bool verify_tls = true;
    std::string ca_file;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{30'000};
    std::string user_agent = "Muhafiz-Webhook/1";
};

// "sha256=<hex>" for `body` under `secret`.
[[nodiscard]] std::string WebhookSignature(std::string_view secret, std::string_view body);

class WebhookChannel final : public Channel {
  public:
    explicit WebhookChannel(WebhookConfig config = {}) : config_(std::move(config)) {}
    [[nodiscard]] Result<DeliveryResult> Send(const Delivery& delivery) override;

  private:
    WebhookConfig config_;
};

}  // namespace muhafiz::notify
