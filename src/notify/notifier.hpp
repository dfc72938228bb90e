// The outbox: other modules enqueue e-mail and webhook notifications inside their own
// transaction (a change and its notifications commit together, or neither does), and the
// Dispatcher delivers them later from the database, so queued work survives restarts.
//
//   Notifier   renders and stores notifications (table `notifications`), registers webhook
//              endpoints (table `webhook_endpoints`), reads the delivery log.
//   Dispatcher a worker thread that sends due notifications through the channels, with
//              exponential back-off, and gives up after a number of attempts (status `failed`).
//
// Life of a row: queued → sending → delivered | queued (retry later) | failed. A `sending` row
// whose lease (DispatcherOptions::sending_timeout) ran out belongs to a process that died
// mid-attempt and is taken again, so a message may in rare cases arrive twice; e-mails keep their
// Message-ID and webhooks their X-Muhafiz-Delivery id across attempts for deduplication.
// Several dispatchers (threads or processes on one PostgreSQL) may run: a row is claimed with a
// guarded UPDATE, so one attempt is made by one of them.
//
// Thread-safety: Notifier is stateless apart from its configuration and may be shared; the
// connection passed in belongs to the caller's thread. Dispatcher is thread-safe.
// Errors: kInvalidArgument (naming the field) for bad messages, keys, URLs and events; database
// errors as in db/database.hpp. Delivery failures are not errors: they are recorded on the row.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "db/database.hpp"
#include "notify/channel.hpp"
#include "notify/email.hpp"

namespace muhafiz::notify {

using core::Micros;

// Current time in microseconds; tests inject their own.
using Clock = std::function<Micros()>;
inline Clock SystemClock() {
    return [] { return core::NowMicros(); };
}
inline constexpr Micros kSecond = 1'000'000;
inline constexpr Micros kMinute = 60 * kSecond;
inline constexpr Micros kHour = 60 * kMinute;

enum class NotificationStatus { kQueued, kSending, kDelivered, kFailed };
[[nodiscard]] std::string_view StatusName(NotificationStatus status);

// The record a notification is about, e.g. {"incident", "<its public id>"}.
struct Related {
    std::string object_type;
    std::string object_id;
};

// One entry of the delivery log.
struct Notification {
    std::string uuid;
    ChannelKind channel = ChannelKind::kEmail;
    std::string recipient;  // "a@x, b@y" or the webhook URL
    std::string subject;    // e-mail only
    std::string event;      // webhook only
    Related related;
    NotificationStatus status = NotificationStatus::kQueued;
    int attempts = 0;
    Micros next_attempt_at = 0;
    std::string last_error;  // the last failed attempt's reason
    Micros created_at = 0;
    std::optional<Micros> delivered_at;
};

[[nodiscard]] core::json::object ToJson(const Notification& n);

struct WebhookEndpoint {
    std::int64_t id = 0;
    std::string uuid;
    std::int64_t organisation_id = 0;
    std::string url;
    std::string secret;
    std::vector<std::string> events;  // {"*"}: every event
    bool active = true;
};

class Notifier {
  public:
    // `default_from` is the From of e-mails that name none ("CERT <cert@example.org>").
    explicit Notifier(std::string default_from, Clock clock = SystemClock())
        : default_from_(std::move(default_from)), clock_(std::move(clock)) {}

    // Renders `message` (encrypting it to `pgp_keys` when any, see email.hpp) and queues it.
    [[nodiscard]] Result<Notification> EnqueueEmail(
        db::Connection& conn, EmailMessage message, const Related& related = {},
        const std::vector<std::string>& pgp_keys = {}) const;

    // Queues `event` for every active endpoint of `organisation_id` subscribed to it. Each
    // endpoint receives {"id": <notification uuid>, "event", "created_at", "data": data}.
    [[nodiscard]] Result<std::vector<Notification>> EnqueueWebhooks(
        db::Connection& conn, std::int64_t organisation_id, std::string_view event,
        const core::json::value& data, const Related& related = {}) const;

    // Registers an http(s) endpoint; an empty secret gets a random one (returned once, here).
    [[nodiscard]] Result<WebhookEndpoint> AddWebhookEndpoint(
        db::Connection& conn, std::int64_t organisation_id, std::string url,
        std::vector<std::string> events = {"*"}, std::string secret = {}) const;

    // The delivery log of one record, oldest first.
    [[nodiscard]] Result<std::vector<Notification>> List(db::Connection& conn,
                                                         std::string_view object_type,
                                                         std::string_view object_id) const;
    // One notification by its public id; kNotFound when there is none.
    [[nodiscard]] Result<Notification> Get(db::Connection& conn, std::string_view uuid) const;

  private:
    std::string default_from_;
    Clock clock_;
};

struct DispatcherOptions {
    int max_attempts = 6;  // the first attempt and five retries
    // The wait after the n-th failed attempt (the last entry repeats).
    std::vector<Micros> backoff = {30 * kSecond, 2 * kMinute, 10 * kMinute, kHour, 6 * kHour};
    Micros sending_timeout = 15 * kMinute;  // lease of one attempt; then it is retried
    std::chrono::milliseconds poll_interval{2000};
    int batch = 32;  // rows claimed per pass
};

class Dispatcher {
  public:
    // A null channel leaves that channel's notifications queued (e.g. no SMTP relay configured).
    Dispatcher(db::Database& db, std::unique_ptr<Channel> email, std::unique_ptr<Channel> webhook,
               Clock clock = SystemClock(), DispatcherOptions options = {});
    ~Dispatcher();  // Stop()
    Dispatcher(const Dispatcher&) = delete;
    Dispatcher& operator=(const Dispatcher&) = delete;

    // Starts the worker thread: a pass every poll_interval, or sooner after Wake().
    void Start();
    // Stops the worker after its current attempt; rows keep their state in the database.
    void Stop();
    // Asks for a pass now (call after committing a transaction that enqueued something).
    void Wake();

    // One pass in the calling thread: attempts every notification due now (up to `batch`);
    // returns how many attempts were made.
    [[nodiscard]] Result<int> RunOnce();
    // Passes until nothing is due and no attempt of this dispatcher is in flight;
    // kUnavailable when `timeout` runs out first.
    [[nodiscard]] core::Status Flush(std::chrono::milliseconds timeout);

  private:
    [[nodiscard]] Result<bool> Attempt(db::Connection& conn, std::int64_t id, Micros now);
    [[nodiscard]] Micros Backoff(int attempts) const;
    void Loop();

    db::Database& db_;
    std::unique_ptr<Channel> email_;
    std::unique_ptr<Channel> webhook_;
    Clock clock_;
    DispatcherOptions options_;
    std::string channel_filter_;  // SQL list of the channels present
    std::atomic<int> in_flight_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool woken_ = false;
    std::thread worker_;
};

}  // namespace muhafiz::notify
