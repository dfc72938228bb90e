// The audit log on SQLite and PostgreSQL: the hash chain, append-only triggers, tampering
// detection and the admin listing.
#include "access/audit_log.hpp"

#include <gtest/gtest.h>

#include "access/access_test_support.hpp"

namespace muhafiz::access {
namespace {

using testing::MakePrincipal;

class AuditTest : public testing::DbTest {
  protected:
    void Add(std::int64_t org, const std::string& action, const std::string& actor = "alice") {
        AuditEntry e;
        e.actor_id = 7;
        e.actor = actor;
        e.organisation_id = org;
        e.address = "192.0.2.1";
        e.action = action;
        e.object_type = "organisation";
        e.object_id = testing::OrgUuid(org);
        e.before_json = R"({"name":"old|name"})";
        e.after_json = R"({"name":"new"})";
        now_ += kSecond;
        auto id = audit_.AppendInTransaction(Conn(), e);
        ASSERT_TRUE(id) << id.error().message;
    }
    void DisableTriggers() {
        const bool pg = db_->dialect() == db::Dialect::kPostgres;
        ASSERT_TRUE(Conn().ExecuteScript(pg ? "ALTER TABLE audit_log DISABLE TRIGGER USER"
                                            : "DROP TRIGGER audit_log_no_update; "
                                              "DROP TRIGGER audit_log_no_delete"));
    }
};

TEST_P(AuditTest, ChainVerifies) {
    auto empty = audit_.Verify(Conn());
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->ok);
    EXPECT_EQ(empty->entries, 0);
    Add(2, "organisation.update");
    Add(4, "organisation.update");
    Add(3, "organisation.delete");
    auto report = audit_.Verify(Conn());
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->ok) << report->reason;
    EXPECT_EQ(report->entries, 3);
    EXPECT_EQ(report->first_bad_id, 0);
    // Entries chain: each prev_hash is the previous hash.
    auto rows = Conn().Query("SELECT id, prev_hash, hash FROM audit_log ORDER BY id");
    ASSERT_EQ(rows->size(), 3u);
    EXPECT_EQ((*rows)[0].Int(0), 1);
    EXPECT_EQ((*rows)[0].Str(1), std::string(64, '0'));
    EXPECT_EQ((*rows)[1].Str(1), (*rows)[0].Str(2));
    EXPECT_EQ((*rows)[2].Str(1), (*rows)[1].Str(2));
}

TEST_P(AuditTest, AppendOnly) {
    Add(2, "organisation.update");
    auto update = Conn().Execute("UPDATE audit_log SET actor = 'mallory'");
    ASSERT_FALSE(update);
    EXPECT_NE(update.error().message.find("append-only"), std::string::npos)
        << update.error().message;
    EXPECT_FALSE(Conn().Execute("DELETE FROM audit_log"));
    if (db_->dialect() == db::Dialect::kPostgres) {
        EXPECT_FALSE(Conn().Execute("TRUNCATE audit_log"));
    }
    EXPECT_TRUE(audit_.Verify(Conn())->ok);
}

TEST_P(AuditTest, TamperingIsFound) {
    Add(2, "organisation.update");
    Add(4, "organisation.update");
    Add(3, "organisation.delete");
    DisableTriggers();
    ASSERT_TRUE(Conn().Execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2"));
    auto report = audit_.Verify(Conn());
    ASSERT_TRUE(report);
    EXPECT_FALSE(report->ok);
    EXPECT_EQ(report->first_bad_id, 2);
    EXPECT_NE(report->reason.find("hash"), std::string::npos);
    EXPECT_EQ(report->entries, 1);
}

TEST_P(AuditTest, RemovedEntriesAreFound) {
    for (int i = 0; i < 4; ++i) Add(2, "organisation.update");
    DisableTriggers();
    ASSERT_TRUE(Conn().Execute("DELETE FROM audit_log WHERE id = 2"));
    auto middle = audit_.Verify(Conn());
    ASSERT_TRUE(middle);
    EXPECT_FALSE(middle->ok);
    EXPECT_EQ(middle->first_bad_id, 3);
    ASSERT_TRUE(Conn().Execute("DELETE FROM audit_log WHERE id >= 2"));
    auto tail = audit_.Verify(Conn());
    ASSERT_TRUE(tail);
    EXPECT_FALSE(tail->ok);
    EXPECT_EQ(tail->first_bad_id, 2);
    EXPECT_NE(tail->reason.find("audit_head"), std::string::npos);
}

TEST_P(AuditTest, RollsBackWithTheCallersTransaction) {
    Add(2, "organisation.update");
    {
        auto tx = db::Transaction::Begin(Conn());
        ASSERT_TRUE(tx);
        ASSERT_TRUE(audit_.Append(Conn(), AuditEntry{.actor = "bob", .action = "x"}));
    }  // rolled back
    Add(2, "organisation.update");
    auto report = audit_.Verify(Conn());
    EXPECT_TRUE(report->ok) << report->reason;
    EXPECT_EQ(report->entries, 2);
}

TEST_P(AuditTest, ListForAdmins) {
    Add(1, "organisation.update", "root");
    Add(2, "organisation.update", "alice");
    Add(4, "organisation.delete", "alice");
    Add(20, "organisation.update", "bob");
    AuditEntry system;
    system.actor = "system";
    system.action = "system.start";
    ASSERT_TRUE(audit_.AppendInTransaction(Conn(), system));

    auto ids = [&](const Principal& p, const AuditFilter& f = {}) {
        std::vector<std::int64_t> out;
        auto page = audit_.List(Conn(), p, f);
        EXPECT_TRUE(page) << page.error().message;
        if (page)
            for (const auto& r : page->items) out.push_back(r.id);
        return out;
    };
    const Principal national = MakePrincipal(1, Role::kAdmin);
    const Principal banking = MakePrincipal(2, Role::kAdmin);
    EXPECT_EQ(ids(national), (std::vector<std::int64_t>{5, 4, 3, 2, 1}));
    EXPECT_EQ(ids(banking), (std::vector<std::int64_t>{3, 2}));  // not Energy, not the root
    EXPECT_EQ(audit_.List(Conn(), MakePrincipal(2, Role::kAnalyst), {}).error().code,
              core::ErrorCode::kPermissionDenied);

    AuditFilter f;
    f.actor = "alice";
    EXPECT_EQ(ids(national, f), (std::vector<std::int64_t>{3, 2}));
    f = {};
    f.action = "organisation.delete";
    EXPECT_EQ(ids(national, f), (std::vector<std::int64_t>{3}));
    f = {};
    f.object_type = "organisation";
    f.object_id = testing::OrgUuid(20);
    EXPECT_EQ(ids(national, f), (std::vector<std::int64_t>{4}));
    f = {};
    const core::Micros first = 1'800'000'000LL * kSecond;
    f.since = first + 2 * kSecond;
    f.until = first + 4 * kSecond;
    EXPECT_EQ(ids(national, f), (std::vector<std::int64_t>{3, 2}));

    f = {};
    f.limit = 2;
    auto page = audit_.List(Conn(), national, f);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->total, 5);
    ASSERT_TRUE(page->next);
    f.cursor = *page->next;
    EXPECT_EQ(ids(national, f), (std::vector<std::int64_t>{3, 2}));
    auto record = audit_.List(Conn(), national, {})->items.back();
    EXPECT_EQ(record.entry.before_json, R"({"name":"old|name"})");
    EXPECT_EQ(record.entry.address, "192.0.2.1");
    EXPECT_EQ(record.at, first + kSecond);
    EXPECT_EQ(record.hash.size(), 64u);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditTest, ::testing::ValuesIn(db::testing::BackendNames()));

}  // namespace
}  // namespace muhafiz::access
