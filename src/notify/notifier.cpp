#include "notify/notifier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "core/ids.hpp"

namespace muhafiz::notify {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::string_view kColumns =
    "uuid, channel, recipient, subject, event, object_type, object_id, status, attempts, "
    "next_attempt_at, last_error, created_at, delivered_at";

constexpr std::string_view kStatusNames[] = {"queued", "sending", "delivered", "failed"};

NotificationStatus ParseStatus(const std::string& s) {
    for (std::size_t i = 0; i < std::size(kStatusNames); ++i)
        if (kStatusNames[i] == s) return static_cast<NotificationStatus>(i);
    return NotificationStatus::kFailed;
}

ChannelKind ParseChannel(const std::string& s) {
    return s == "webhook" ? ChannelKind::kWebhook : ChannelKind::kEmail;
}

Notification FromRow(const db::Row& r) {
    Notification n;
    n.uuid = r.Str(0);
    n.channel = ParseChannel(r.Str(1));
    n.recipient = r.Str(2);
    n.subject = r.Str(3);
    n.event = r.Str(4);
    n.related = {r.Str(5), r.Str(6)};
    n.status = ParseStatus(r.Str(7));
    n.attempts = static_cast<int>(r.Int(8));
    n.next_attempt_at = r.Int(9);
    n.last_error = r.Str(10);
    n.created_at = r.Int(11);
    n.delivered_at = r.OptInt(12);
    return n;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : std::string(sep)) + p;
    return out;
}

std::vector<std::string> Split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, sep);) {
        item.erase(0, item.find_first_not_of(' '));
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

bool ValidEvent(std::string_view e) {
    return !e.empty() && e.size() <= 100 && std::all_of(e.begin(), e.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

// Trims a delivery detail to what the log keeps.
std::string Clip(std::string s) {
    if (s.size() > 500) s.resize(500);
    return s;
}

}  // namespace

std::string_view ChannelName(ChannelKind kind) {
    return kind == ChannelKind::kWebhook ? "webhook" : "email";
}

std::string_view StatusName(NotificationStatus status) {
    return kStatusNames[static_cast<std::size_t>(status)];
}

core::json::object ToJson(const Notification& n) {
    core::json::object o;
    o["id"] = n.uuid;
    o["channel"] = ChannelName(n.channel);
    o["recipient"] = n.recipient;
    if (n.channel == ChannelKind::kEmail) o["subject"] = n.subject;
    if (n.channel == ChannelKind::kWebhook) o["event"] = n.event;
    o["object_type"] = n.related.object_type;
    o["object_id"] = n.related.object_id;
    o["status"] = StatusName(n.status);
    o["attempts"] = n.attempts;
    o["next_attempt_at"] = core::FormatRfc3339(n.next_attempt_at);
    o["last_error"] = n.last_error;
    o["created_at"] = core::FormatRfc3339(n.created_at);
    if (n.delivered_at)
        o["delivered_at"] = core::FormatRfc3339(*n.delivered_at);
    else
        o["delivered_at"] = nullptr;
    return o;
}

// ---- Notifier --------------------------------------------------------------------------------

Result<Notification> Notifier::EnqueueEmail(db::Connection& conn, EmailMessage message,
                                            const Related& related,
                                            const std::vector<std::string>& pgp_keys) const {
    if (message.from.empty()) message.from = default_from_;
    const Micros now = clock_();
    const auto rendered = MUHAFIZ_TRY(RenderEmail(message, now, pgp_keys));
    const std::string uuid = core::NewUuidV7();
    MUHAFIZ_CHECK(conn.Execute(
        "INSERT INTO notifications (uuid, channel, recipient, envelope_from, subject, payload, "
        "object_type, object_id, status, attempts, next_attempt_at, created_at, updated_at) "
        "VALUES (?, 'email', ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)",
        {uuid, Join(rendered.recipients, ", "), rendered.envelope_from, message.subject,
         rendered.data, related.object_type, related.object_id, now, now, now}));
    return Get(conn, uuid);
}

Result<std::vector<Notification>> Notifier::EnqueueWebhooks(db::Connection& conn,
                                                            std::int64_t organisation_id,
                                                            std::string_view event,
                                                            const core::json::value& data,
                                                            const Related& related) const {
    if (!ValidEvent(event))
        return core::Invalid("event", "not an event name: " + std::string(event));
    const Micros now = clock_();
    auto endpoints = MUHAFIZ_TRY(conn.Query(
        "SELECT id, url, events FROM webhook_endpoints WHERE organisation_id = ? AND active = 1 "
        "ORDER BY id",
        {organisation_id}));
    std::vector<Notification> out;
    for (const auto& e : endpoints) {
        const auto events = Split(e.Str(2), ' ');
        if (std::find(events.begin(), events.end(), "*") == events.end() &&
            std::find(events.begin(), events.end(), event) == events.end())
            continue;
        const std::string uuid = core::NewUuidV7();
        core::json::object body;
        body["id"] = uuid;
        body["event"] = event;
        body["created_at"] = core::FormatRfc3339(now);
        body["data"] = data;
        MUHAFIZ_CHECK(conn.Execute(
            "INSERT INTO notifications (uuid, channel, recipient, event, payload, endpoint_id, "
            "object_type, object_id, status, attempts, next_attempt_at, created_at, updated_at) "
            "VALUES (?, 'webhook', ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)",
            {uuid, e.Str(1), std::string(event), core::ToJson(body), e.Int(0), related.object_type,
             related.object_id, now, now, now}));
        out.push_back(MUHAFIZ_TRY(Get(conn, uuid)));
    }
    return out;
}

Result<WebhookEndpoint> Notifier::AddWebhookEndpoint(db::Connection& conn,
                                                     std::int64_t organisation_id, std::string url,
                                                     std::vector<std::string> events,
                                                     std::string secret) const {
    const bool http = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
    if (!http || url.size() > 2000 || url.find_first_of(" \t\r\n") != std::string::npos)
        return core::Invalid("url", "an http:// or https:// URL is required");
    if (events.empty()) return core::Invalid("events", "at least one event (or \"*\") is required");
    for (const auto& e : events)
        if (e != "*" && !ValidEvent(e)) return core::Invalid("events", "not an event name: " + e);
    if (secret.empty()) secret = core::RandomToken(32);
    WebhookEndpoint ep{0,
                       core::NewUuidV7(),
                       organisation_id,
                       std::move(url),
                       std::move(secret),
                       std::move(events),
                       true};
    auto rows = MUHAFIZ_TRY(conn.Query(
        "INSERT INTO webhook_endpoints (uuid, organisation_id, url, secret, events, active, "
        "created_at) VALUES (?, ?, ?, ?, ?, 1, ?) RETURNING id",
        {ep.uuid, organisation_id, ep.url, ep.secret, Join(ep.events, " "), clock_()}));
    ep.id = rows[0].Int(0);
    return ep;
}

Result<std::vector<Notification>> Notifier::List(db::Connection& conn, std::string_view object_type,
                                                 std::string_view object_id) const {
    auto rows = MUHAFIZ_TRY(
        conn.Query("SELECT " + std::string(kColumns) +
                       " FROM notifications WHERE object_type = ? AND object_id = ? ORDER BY id",
                   {std::string(object_type), std::string(object_id)}));
    std::vector<Notification> out;
    for (const auto& r : rows) out.push_back(FromRow(r));
    return out;
}

Result<Notification> Notifier::Get(db::Connection& conn, std::string_view uuid) const {
    auto rows = MUHAFIZ_TRY(
        conn.Query("SELECT " + std::string(kColumns) + " FROM notifications WHERE uuid = ?",
                   {std::string(uuid)}));
    if (rows.empty()) return core::NotFound("no such notification");
    return FromRow(rows[0]);
}

// ---- Dispatcher ------------------------------------------------------------------------------

Dispatcher::Dispatcher(db::Database& db, std::unique_ptr<Channel> email,
                       std::unique_ptr<Channel> webhook, Clock clock, DispatcherOptions options)
    : db_(db),
      email_(std::move(email)),
      webhook_(std::move(webhook)),
      clock_(std::move(clock)),
      options_(std::move(options)) {
    if (options_.backoff.empty()) options_.backoff = {kMinute};
    options_.max_attempts = std::max(options_.max_attempts, 1);
    options_.batch = std::max(options_.batch, 1);
    channel_filter_ =
        std::string("('") + (email_ ? "email" : "") + "', '" + (webhook_ ? "webhook" : "") + "')";
}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
    std::lock_guard lock(mu_);
    if (worker_.joinable()) return;
    stop_ = false;
    worker_ = std::thread([this] { Loop(); });
}

void Dispatcher::Stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void Dispatcher::Wake() {
    {
        std::lock_guard lock(mu_);
        woken_ = true;
    }
    cv_.notify_all();
}

void Dispatcher::Loop() {
    for (;;) {
        auto done = RunOnce();
        if (!done) spdlog::warn("notify: dispatch pass failed: {}", done.error().message);
        std::unique_lock lock(mu_);
        if (stop_) return;
        if (done && *done >= options_.batch) continue;  // more may be due
        cv_.wait_for(lock, options_.poll_interval, [this] { return stop_ || woken_; });
        woken_ = false;
        if (stop_) return;
    }
}

Micros Dispatcher::Backoff(int attempts) const {
    const auto i = std::min<std::size_t>(static_cast<std::size_t>(std::max(attempts, 1)) - 1,
                                         options_.backoff.size() - 1);
    return options_.backoff[i];
}

Result<int> Dispatcher::RunOnce() {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    const Micros now = clock_();
    auto due = MUHAFIZ_TRY(
        conn->Query("SELECT id FROM notifications WHERE status IN ('queued', 'sending') AND "
                    "next_attempt_at <= ? AND channel IN " +
                        channel_filter_ + " ORDER BY next_attempt_at, id LIMIT ?",
                    {now, std::int64_t{options_.batch}}));
    int attempts = 0;
    for (const auto& row : due) {
        if (MUHAFIZ_TRY(Attempt(*conn, row.Int(0), now))) ++attempts;
    }
    return attempts;
}

// Claims row `id` (if nobody else did), makes one attempt and records its outcome.
// Returns false when the row was not ours to send.
Result<bool> Dispatcher::Attempt(db::Connection& conn, std::int64_t id, Micros now) {
    in_flight_.fetch_add(1);  // before the claim, so that Flush never misses this attempt
    struct Done {
        std::atomic<int>& n;
        ~Done() { n.fetch_sub(1); }
    } done{in_flight_};
    const auto claimed = MUHAFIZ_TRY(conn.Execute(
        "UPDATE notifications SET status = 'sending', attempts = attempts + 1, "
        "next_attempt_at = ?, updated_at = ? WHERE id = ? AND status IN ('queued', 'sending') "
        "AND next_attempt_at <= ?",
        {now + options_.sending_timeout, now, id, now}));
    if (claimed != 1) return false;

    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT n.uuid, n.channel, n.recipient, n.envelope_from, n.event, n.payload, n.attempts, "
        "n.endpoint_id, e.secret, e.active FROM notifications n "
        "LEFT JOIN webhook_endpoints e ON e.id = n.endpoint_id WHERE n.id = ?",
        {id}));
    if (rows.empty()) return false;
    const db::Row& r = rows[0];
    Delivery d;
    d.uuid = r.Str(0);
    d.channel = ParseChannel(r.Str(1));
    d.recipients = d.channel == ChannelKind::kEmail ? Split(r.Str(2), ',')
                                                    : std::vector<std::string>{r.Str(2)};
    d.envelope_from = r.Str(3);
    d.event = r.Str(4);
    d.payload = r.Str(5);
    d.attempt = static_cast<int>(r.Int(6));
    d.secret = r.Str(8);

    DeliveryResult result;
    if (d.attempt > options_.max_attempts) {
        result = {DeliveryOutcome::kPermanent, "gave up: an attempt was interrupted"};
    } else if (d.channel == ChannelKind::kWebhook && (r.IsNull(7) || !r.Bool(9))) {
        result = {DeliveryOutcome::kPermanent, "the webhook endpoint was removed or disabled"};
    } else {
        Channel& channel = d.channel == ChannelKind::kEmail ? *email_ : *webhook_;
        auto sent = channel.Send(d);
        result =
            sent ? std::move(*sent) : DeliveryResult{DeliveryOutcome::kRetry, sent.error().message};
    }

    const Micros at = clock_();
    const std::string detail = Clip(result.detail);
    if (result.outcome == DeliveryOutcome::kDelivered) {
        MUHAFIZ_CHECK(conn.Execute(
            "UPDATE notifications SET status = 'delivered', delivered_at = ?, updated_at = ?, "
            "last_error = '' WHERE id = ? AND status = 'sending' AND attempts = ?",
            {at, at, id, std::int64_t{d.attempt}}));
    } else if (result.outcome == DeliveryOutcome::kRetry && d.attempt < options_.max_attempts) {
        MUHAFIZ_CHECK(conn.Execute(
            "UPDATE notifications SET status = 'queued', next_attempt_at = ?, updated_at = ?, "
            "last_error = ? WHERE id = ? AND status = 'sending' AND attempts = ?",
            {at + Backoff(d.attempt), at, detail, id, std::int64_t{d.attempt}}));
    } else {
        MUHAFIZ_CHECK(conn.Execute(
            "UPDATE notifications SET status = 'failed', updated_at = ?, last_error = ? "
            "WHERE id = ? AND status = 'sending' AND attempts = ?",
            {at, detail, id, std::int64_t{d.attempt}}));
        spdlog::warn("notify: {} {} to {} failed: {}", ChannelName(d.channel), d.uuid, r.Str(2),
                     detail);
    }
    return true;
}

core::Status Dispatcher::Flush(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const int n = MUHAFIZ_TRY(RunOnce());
        if (n == 0 && in_flight_.load() == 0) return core::Ok();
        if (std::chrono::steady_clock::now() >= deadline)
            return Fail(ErrorCode::kUnavailable, "notifications are still being delivered");
        if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace muhafiz::notify
