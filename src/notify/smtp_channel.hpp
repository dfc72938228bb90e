// SmtpChannel: delivers rendered e-mail to one SMTP relay over libcurl (smtp:// with optional or
// required STARTTLS, or smtps://), with optional authentication and timeouts. One connection per
// attempt.
//
// Thread-safety: Send may be called concurrently (each call has its own curl handle).
// Outcomes: the relay accepted the message → kDelivered; a 5xx reply (a refused sender or
// recipient, a refused message) → kPermanent, except a refused log-in, which is a configuration
// problem and retried; connection failures, timeouts and 4xx replies → kRetry. A refused
// recipient fails the whole message (no partial delivery).
#pragma once

#include <chrono>
#include <string>

#include "notify/channel.hpp"

namespace muhafiz::notify {

enum class StartTls { kNever, kIfOffered, kRequired };

struct SmtpConfig {
    std::string url;       // "smtp://relay:25", "smtp://relay:587", "smtps://relay:465"
    std::string from;      // MAIL FROM when a delivery has no envelope sender
    std::string username;  // empty: no authentication
    std::string password;
    StartTls starttls = StartTls::kIfOffered;  // smtp:// only; smtps:// is always TLS
    bool verify_tls = true;
    std::string ca_file;  // empty: the system's trust store
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{60'000};  // the whole transaction
};

class SmtpChannel final : public Channel {
  public:
    explicit SmtpChannel(SmtpConfig config) : config_(std::move(config)) {}
    [[nodiscard]] Result<DeliveryResult> Send(const Delivery& delivery) override;

  private:
    SmtpConfig config_;
};

}  // namespace muhafiz::notify
