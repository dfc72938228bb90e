// The outbox end to end, on SQLite and PostgreSQL: enqueue inside a transaction, deliver to a
// real SMTP server (tests/support/smtp_sink.py) and a real HTTP receiver
// (tests/support/webhook_sink.py), retries with back-off under a test clock, permanent failures,
// giving up, and restart safety.
#include "notify/notifier.hpp"

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "db/testing.hpp"
#include "notify/notify_test_support.hpp"
#include "notify/smtp_channel.hpp"
#include "notify/webhook_channel.hpp"

namespace muhafiz::notify {
namespace {

using test::Decoded;
using test::Leaves;
namespace fs = std::filesystem;

constexpr char kSecret[] = "whsec-test-secret";

class NotifierTest : public ::testing::TestWithParam<std::string> {
  protected:
    static void SetUpTestSuite() {
        maildir_ = fs::temp_directory_path() / ("muhafiz-maildir-" + core::RandomToken(6));
        hook_log_ =
            fs::temp_directory_path() / ("muhafiz-hooks-" + core::RandomToken(6) + ".jsonl");
        smtp_port_ = test::FreePort();
        smtp_ = new test::Sink("smtp_sink.py", {std::to_string(smtp_port_), maildir_.string()});
        http_port_ = test::FreePort();
        http_ = new test::Sink("webhook_sink.py",
                               {std::to_string(http_port_), hook_log_.string(), kSecret});
    }
    static void TearDownTestSuite() {
        delete smtp_;
        delete http_;
        fs::remove_all(maildir_);
        fs::remove(hook_log_);
    }

    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        conn_.emplace(std::move(*db_->Acquire()));
        auto r = Conn().Execute(
            "INSERT INTO organisations (id, uuid, name, kind, path, depth, created_at, updated_at) "
            "VALUES (1, ?, 'National CERT', 'national_cert', '/1/', 0, 0, 0)",
            {core::NewUuidV7()});
        ASSERT_TRUE(r) << r.error().message;
    }

    db::Connection& Conn() { return **conn_; }

    std::unique_ptr<Dispatcher> NewDispatcher(DispatcherOptions options = {}) {
        SmtpConfig smtp;
        smtp.url = "smtp://127.0.0.1:" + std::to_string(smtp_port_);
        smtp.from = "bounces@cert.example.pk";
        smtp.timeout = std::chrono::seconds(10);
        WebhookConfig hook;
        hook.timeout = std::chrono::seconds(10);
        return std::make_unique<Dispatcher>(*db_, std::make_unique<SmtpChannel>(smtp),
                                            std::make_unique<WebhookChannel>(hook), clock_,
                                            std::move(options));
    }

    std::string HookUrl(const std::string& path) {
        return "http://127.0.0.1:" + std::to_string(http_port_) + path;
    }

    // The requests the webhook sink received on `path`.
    std::vector<core::json::object> HookRequests(const std::string& path) {
        std::vector<core::json::object> out;
        std::ifstream in(hook_log_);
        for (std::string line; std::getline(in, line);) {
            auto o = core::ParseJsonObject(line);
            if (o && o->at("path").as_string() == path) out.push_back(*o);
        }
        return out;
    }

    EmailMessage Mail(const std::string& to, const std::string& tag) {
        EmailMessage m;
        m.to = {to};
        m.cc = {"Partner CERT <partner@cert.example.org>"};
        m.subject = "Notification " + tag;
        m.text = "Suspicious traffic from 198.51.100.7, ref " + tag + ".\n";
        m.attachments = {
            {"evidence.bin", "application/octet-stream", std::string("\0\1\2\3\xff", 5)}};
        m.muhafiz_reference = tag;
        return m;
    }

    Notification Reload(const Notification& n) {
        auto r = notifier_.Get(Conn(), n.uuid);
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : Notification{};
    }

    static inline fs::path maildir_;
    static inline fs::path hook_log_;
    static inline int smtp_port_ = 0;
    static inline int http_port_ = 0;
    static inline test::Sink* smtp_ = nullptr;
    static inline test::Sink* http_ = nullptr;

    core::Micros now_ = 1'800'000'000LL * kSecond;
    Clock clock_ = [this] { return now_; };
    std::unique_ptr<db::Database> db_;
    std::optional<db::Database::Handle> conn_;
    Notifier notifier_{"Muhafiz CERT <cert@cert.example.pk>", clock_};
};

TEST_P(NotifierTest, EmailIsEnqueuedInTheCallersTransactionAndDelivered) {
    const std::string tag = "MAIL-" + core::RandomToken(6);
    auto queued = db::InTransaction(Conn(), [&] {
        return notifier_.EnqueueEmail(Conn(), Mail("Ayşe <soc@bank.example>", tag),
                                      {"incident", "inc-1"});
    });
    ASSERT_TRUE(queued) << queued.error().message;
    EXPECT_EQ(queued->status, NotificationStatus::kQueued);
    EXPECT_EQ(queued->recipient, "soc@bank.example, partner@cert.example.org");

    // A rolled-back change leaves no notification behind.
    {
        auto tx = db::Transaction::Begin(Conn());
        ASSERT_TRUE(tx);
        ASSERT_TRUE(notifier_.EnqueueEmail(Conn(), Mail("x@bank.example", tag + "-rb"),
                                           {"incident", "inc-rolled-back"}));
    }
    EXPECT_TRUE(notifier_.List(Conn(), "incident", "inc-rolled-back")->empty());

    auto dispatcher = NewDispatcher();
    ASSERT_TRUE(dispatcher->Flush(std::chrono::seconds(20)));
    auto log = notifier_.List(Conn(), "incident", "inc-1");
    ASSERT_TRUE(log) << log.error().message;
    ASSERT_EQ(log->size(), 1u);
    EXPECT_EQ((*log)[0].status, NotificationStatus::kDelivered) << (*log)[0].last_error;
    EXPECT_EQ((*log)[0].attempts, 1);
    EXPECT_EQ((*log)[0].delivered_at, now_);
    EXPECT_EQ(ToJson((*log)[0]).at("status").as_string(), "delivered");

    const auto got = test::MaildirMessages(maildir_, "X-Muhafiz-Reference: " + tag);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_NE(got[0].find("X-MailFrom: cert@cert.example.pk"), std::string::npos);
    EXPECT_NE(got[0].find("X-RcptTo: soc@bank.example, partner@cert.example.org"),
              std::string::npos);
    auto msg = test::ParseMessage(got[0]);
    EXPECT_EQ(std::string(g_mime_message_get_subject(msg.get())), "Notification " + tag);
    const auto leaves = Leaves(g_mime_message_get_mime_part(msg.get()));
    ASSERT_EQ(leaves.size(), 2u);
    std::string text = Decoded(leaves[0]);
    std::erase(text, '\r');
    EXPECT_EQ(text, "Suspicious traffic from 198.51.100.7, ref " + tag + ".\n");
    EXPECT_EQ(Decoded(leaves[1]), std::string("\0\1\2\3\xff", 5));
}

TEST_P(NotifierTest, EncryptedEmailArrivesAndDecrypts) {
    const auto key = test::KeyPair::Generate("SOC <soc@bank.example>");
    const std::string tag = "PGP-" + core::RandomToken(6);
    auto queued = notifier_.EnqueueEmail(Conn(), Mail("soc@bank.example", tag),
                                         {"incident", "inc-2"}, {key.public_key});
    ASSERT_TRUE(queued) << queued.error().message;
    ASSERT_TRUE(NewDispatcher()->Flush(std::chrono::seconds(20)));
    EXPECT_EQ(Reload(*queued).status, NotificationStatus::kDelivered);

    const auto got = test::MaildirMessages(maildir_, "X-Muhafiz-Reference: " + tag);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].find("198.51.100.7"), std::string::npos);
    auto msg = test::ParseMessage(got[0]);
    auto inner = test::DecryptPgpMime(msg.get(), key);
    ASSERT_NE(inner, nullptr);
    const auto leaves = Leaves(inner.get());
    ASSERT_EQ(leaves.size(), 2u);
    EXPECT_NE(Decoded(leaves[0]).find("198.51.100.7, ref " + tag), std::string::npos);
    EXPECT_EQ(Decoded(leaves[1]), std::string("\0\1\2\3\xff", 5));
}

TEST_P(NotifierTest, SmtpRefusalIsPermanentAndATemporaryOneIsRetried) {
    auto refused =
        notifier_.EnqueueEmail(Conn(), Mail("reject-me@bank.example", "R"), {"t", "smtp"});
    auto later = notifier_.EnqueueEmail(Conn(), Mail("tempfail@bank.example", "T"), {"t", "smtp"});
    ASSERT_TRUE(refused && later);
    ASSERT_TRUE(NewDispatcher()->Flush(std::chrono::seconds(20)));
    const auto r = Reload(*refused);
    EXPECT_EQ(r.status, NotificationStatus::kFailed);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_NE(r.last_error.find("550"), std::string::npos) << r.last_error;
    const auto l = Reload(*later);
    EXPECT_EQ(l.status, NotificationStatus::kQueued);
    EXPECT_EQ(l.next_attempt_at, now_ + 30 * kSecond);
    EXPECT_NE(l.last_error.find("451"), std::string::npos) << l.last_error;
}

TEST_P(NotifierTest, WebhookIsSignedAndFansOutBySubscription) {
    const std::string path = "/hook/" + core::RandomToken(6);
    auto ep = notifier_.AddWebhookEndpoint(Conn(), 1, HookUrl(path), {"incident.created"}, kSecret);
    ASSERT_TRUE(ep) << ep.error().message;
    ASSERT_TRUE(
        notifier_.AddWebhookEndpoint(Conn(), 1, HookUrl(path + "-other"), {"advisory.published"}));
    EXPECT_EQ(notifier_.AddWebhookEndpoint(Conn(), 1, "file:///etc/passwd").error().field, "url");

    core::json::object data;
    data["reference"] = "INC-2027-000001";
    data["title"] = "Şüpheli trafik";
    auto queued =
        notifier_.EnqueueWebhooks(Conn(), 1, "incident.created", data, {"incident", "inc-3"});
    ASSERT_TRUE(queued) << queued.error().message;
    ASSERT_EQ(queued->size(), 1u);  // the other endpoint did not subscribe to this event
    ASSERT_TRUE(notifier_.EnqueueWebhooks(Conn(), 1, "no.subscriber", data)->empty());
    EXPECT_FALSE(notifier_.EnqueueWebhooks(Conn(), 1, "bad event", data));

    ASSERT_TRUE(NewDispatcher()->Flush(std::chrono::seconds(20)));
    EXPECT_EQ(Reload((*queued)[0]).status, NotificationStatus::kDelivered);
    const auto requests = HookRequests(path);
    ASSERT_EQ(requests.size(), 1u);
    const auto& req = requests[0];
    EXPECT_TRUE(req.at("signature_ok").as_bool());
    EXPECT_EQ(req.at("event").as_string(), "incident.created");
    EXPECT_EQ(req.at("delivery").as_string(), (*queued)[0].uuid);
    EXPECT_EQ(req.at("content_type").as_string(), "application/json");
    auto body = core::ParseJsonObject(req.at("body").as_string());
    ASSERT_TRUE(body);
    EXPECT_EQ(body->at("id").as_string(), (*queued)[0].uuid);
    EXPECT_EQ(body->at("event").as_string(), "incident.created");
    EXPECT_EQ(body->at("data").as_object(), data);
}

TEST_P(NotifierTest, WebhookRetriesWithBackoffUntilItSucceeds) {
    const std::string path = "/flaky/2/" + core::RandomToken(6);
    ASSERT_TRUE(notifier_.AddWebhookEndpoint(Conn(), 1, HookUrl(path), {"*"}, kSecret));
    auto queued = notifier_.EnqueueWebhooks(Conn(), 1, "incident.updated", core::json::object{});
    ASSERT_TRUE(queued && queued->size() == 1);
    const Notification n = (*queued)[0];
    auto dispatcher = NewDispatcher();

    ASSERT_TRUE(dispatcher->Flush(std::chrono::seconds(20)));
    auto r = Reload(n);
    EXPECT_EQ(r.status, NotificationStatus::kQueued);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.next_attempt_at, now_ + 30 * kSecond);
    EXPECT_NE(r.last_error.find("HTTP 500"), std::string::npos) << r.last_error;

    now_ += 29 * kSecond;  // not yet due
    ASSERT_TRUE(dispatcher->Flush(std::chrono::seconds(20)));
    EXPECT_EQ(Reload(n).attempts, 1);

    now_ += 1 * kSecond;
    ASSERT_TRUE(dispatcher->Flush(std::chrono::seconds(20)));
    r = Reload(n);
    EXPECT_EQ(r.attempts, 2);
    EXPECT_EQ(r.next_attempt_at, now_ + 2 * kMinute);

    now_ += 2 * kMinute;
    ASSERT_TRUE(dispatcher->Flush(std::chrono::seconds(20)));
    r = Reload(n);
    EXPECT_EQ(r.status, NotificationStatus::kDelivered);
    EXPECT_EQ(r.attempts, 3);
    EXPECT_EQ(r.last_error, "");
    const auto requests = HookRequests(path);
    ASSERT_EQ(requests.size(), 3u);
    for (const auto& req : requests) EXPECT_EQ(req.at("delivery").as_string(), n.uuid);
}

TEST_P(NotifierTest, ClientErrorsArePermanentExceptTimeoutAndThrottling) {
    const std::string base = "/status/";
    const std::string tag = core::RandomToken(6);
    for (const char* code : {"400", "429", "408", "503"})
        ASSERT_TRUE(notifier_.AddWebhookEndpoint(Conn(), 1, HookUrl(base + code + "?" + tag), {"*"},
                                                 kSecret));
    auto queued = notifier_.EnqueueWebhooks(Conn(), 1, "incident.updated", core::json::object{});
    ASSERT_TRUE(queued && queued->size() == 4);
    ASSERT_TRUE(NewDispatcher()->Flush(std::chrono::seconds(20)));
    const NotificationStatus want[] = {NotificationStatus::kFailed, NotificationStatus::kQueued,
                                       NotificationStatus::kQueued, NotificationStatus::kQueued};
    for (std::size_t i = 0; i < 4; ++i) {
        const auto r = Reload((*queued)[i]);
        EXPECT_EQ(r.status, want[i]) << r.recipient << ": " << r.last_error;
        EXPECT_EQ(r.attempts, 1);
    }
}

TEST_P(NotifierTest, GivesUpAfterMaxAttempts) {
    ASSERT_TRUE(notifier_.AddWebhookEndpoint(
        Conn(), 1, HookUrl("/status/503?" + core::RandomToken(6)), {"*"}, kSecret));
    auto queued = notifier_.EnqueueWebhooks(Conn(), 1, "incident.updated", core::json::object{});
    ASSERT_TRUE(queued && queued->size() == 1);
    DispatcherOptions options;
    options.max_attempts = 3;
    auto dispatcher = NewDispatcher(options);
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(dispatcher->Flush(std::chrono::seconds(20)));
        now_ += 6 * kHour;
    }
    const auto r = Reload((*queued)[0]);
    EXPECT_EQ(r.status, NotificationStatus::kFailed);
    EXPECT_EQ(r.attempts, 3);
    EXPECT_NE(r.last_error.find("HTTP 503"), std::string::npos) << r.last_error;
}

TEST_P(NotifierTest, SurvivesRestarts) {
    const std::string path = "/hook/" + core::RandomToken(6);
    ASSERT_TRUE(notifier_.AddWebhookEndpoint(Conn(), 1, HookUrl(path), {"*"}, kSecret));
    auto queued = notifier_.EnqueueWebhooks(Conn(), 1, "incident.updated", core::json::object{});
    auto stale = notifier_.EnqueueWebhooks(Conn(), 1, "incident.closed", core::json::object{});
    ASSERT_TRUE(queued && stale);
    // A dispatcher without channels leaves everything queued, then goes away.
    {
        Dispatcher idle(*db_, nullptr, nullptr, clock_);
        ASSERT_TRUE(idle.Flush(std::chrono::seconds(5)));
    }
    EXPECT_EQ(Reload((*queued)[0]).status, NotificationStatus::kQueued);
    // A process died in the middle of an attempt: the row stays "sending" until its lease ends.
    ASSERT_TRUE(
        Conn().Execute("UPDATE notifications SET status = 'sending', attempts = 1, "
                       "next_attempt_at = ? WHERE uuid = ?",
                       {now_ + 15 * kMinute, (*stale)[0].uuid}));

    auto dispatcher = NewDispatcher();  // "after the restart"
    ASSERT_TRUE(dispatcher->Flush(std::chrono::seconds(20)));
    EXPECT_EQ(Reload((*queued)[0]).status, NotificationStatus::kDelivered);
    EXPECT_EQ(Reload((*stale)[0]).status, NotificationStatus::kSending);

    now_ += 15 * kMinute;
    ASSERT_TRUE(dispatcher->Flush(std::chrono::seconds(20)));
    const auto r = Reload((*stale)[0]);
    EXPECT_EQ(r.status, NotificationStatus::kDelivered);
    EXPECT_EQ(r.attempts, 2);
    EXPECT_EQ(HookRequests(path).size(), 2u);
}

TEST_P(NotifierTest, WorkerThreadDeliversAfterWake) {
    const std::string path = "/hook/" + core::RandomToken(6);
    ASSERT_TRUE(notifier_.AddWebhookEndpoint(Conn(), 1, HookUrl(path), {"*"}, kSecret));
    DispatcherOptions options;
    options.poll_interval = std::chrono::seconds(60);  // only Wake() can make it run in time
    auto dispatcher = NewDispatcher(options);
    dispatcher->Start();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the first pass finish
    auto queued = notifier_.EnqueueWebhooks(Conn(), 1, "incident.created", core::json::object{});
    ASSERT_TRUE(queued && queued->size() == 1);
    dispatcher->Wake();
    NotificationStatus status = NotificationStatus::kQueued;
    for (int i = 0; i < 200 && status != NotificationStatus::kDelivered; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        status = Reload((*queued)[0]).status;
    }
    EXPECT_EQ(status, NotificationStatus::kDelivered);
    dispatcher->Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, NotifierTest, ::testing::ValuesIn(db::testing::BackendNames()));

}  // namespace
}  // namespace muhafiz::notify
