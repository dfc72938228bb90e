// Visibility predicates run against real SQL, the user store and the users service, and the
// bootstrap admin; on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <set>

#include "access/access_test_support.hpp"
#include "access/auth_service.hpp"
#include "access/bootstrap.hpp"
#include "access/password.hpp"
#include "access/policy.hpp"
#include "core/ids.hpp"

namespace muhafiz::access {
namespace {

using testing::MakePrincipal;
using testing::OrgUuid;

class VisibilityTest : public testing::DbTest {
  protected:
    std::set<std::int64_t> Visible(const db::Predicate& pred) {
        auto rows = Conn().Query("SELECT o.id FROM organisations o WHERE " + pred.sql, pred.params);
        EXPECT_TRUE(rows) << rows.error().message;
        std::set<std::int64_t> ids;
        if (rows)
            for (const auto& row : *rows) ids.insert(row.Int(0));
        return ids;
    }
    std::set<std::int64_t> Orgs(std::int64_t org, Role role) {
        return Visible(Policy().OrganisationScope(MakePrincipal(org, role), "o.path"));
    }
};

TEST_P(VisibilityTest, OrganisationScopeSelectsTheSubtree) {
    EXPECT_EQ(Orgs(1, Role::kAnalyst), (std::set<std::int64_t>{1, 2, 3, 4, 5, 6, 20}));
    EXPECT_EQ(Orgs(2, Role::kAnalyst), (std::set<std::int64_t>{2, 4, 6}));  // not Energy /1/20/
    EXPECT_EQ(Orgs(20, Role::kAnalyst), (std::set<std::int64_t>{20}));
    EXPECT_EQ(Orgs(4, Role::kReporter), (std::set<std::int64_t>{4, 6}));
    EXPECT_EQ(Orgs(6, Role::kReporter), (std::set<std::int64_t>{6}));
    EXPECT_EQ(Orgs(5, Role::kCouncil), (std::set<std::int64_t>{}));
}

TEST_P(VisibilityTest, RecordScopeAddsExplicitShares) {
    // Organisations stand in for records here: Telecom's row is shared with Banking for reading,
    // Energy's for writing.
    ASSERT_TRUE(Conn().Execute(
        "INSERT INTO shares (object_type, object_id, organisation_id, access, created_at) "
        "VALUES ('organisation', 3, 2, 'read', 0), ('organisation', 20, 2, 'write', 0)"));
    const Principal banking = MakePrincipal(2, Role::kAnalyst);
    Policy policy;
    EXPECT_EQ(Visible(policy.RecordScope(banking, "o.path", "organisation", "o.id")),
              (std::set<std::int64_t>{2, 3, 4, 6, 20}));
    EXPECT_EQ(
        Visible(policy.RecordScope(banking, "o.path", "organisation", "o.id", Access::kWrite)),
        (std::set<std::int64_t>{2, 4, 6, 20}));
    EXPECT_EQ(Visible(policy.RecordScope(banking, "o.path", "incident", "o.id")),
              (std::set<std::int64_t>{2, 4, 6}));
    // A share with Banking is not a share with the organisations below it.
    EXPECT_EQ(Visible(policy.RecordScope(MakePrincipal(4, Role::kReporter), "o.path",
                                         "organisation", "o.id")),
              (std::set<std::int64_t>{4, 6}));
    EXPECT_EQ(Visible(policy.RecordScope(MakePrincipal(5, Role::kCouncil), "o.path", "organisation",
                                         "o.id")),
              (std::set<std::int64_t>{}));
}

INSTANTIATE_TEST_SUITE_P(Backends, VisibilityTest,
                         ::testing::ValuesIn(db::testing::BackendNames()));

class UserStoreTest : public testing::DbTest {};

TEST_P(UserStoreTest, CreateAndGet) {
    UserStore store(clock_);
    auto u = store.Create(Conn(),
                          NewUser{"Analyst.One", testing::kPassword, OrgUuid(2), Role::kAnalyst});
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->username, "analyst.one");
    EXPECT_TRUE(core::IsUuid(u->uuid));
    EXPECT_EQ(u->uuid[14], '7');  // UUIDv7
    EXPECT_EQ(u->organisation_uuid, OrgUuid(2));
    EXPECT_EQ(u->organisation_path, "/1/2/");
    EXPECT_EQ(u->organisation_kind, "sectoral_cert");
    EXPECT_EQ(u->role, Role::kAnalyst);
    EXPECT_EQ(u->created_at, now_);
    EXPECT_FALSE(u->last_login_at);
    EXPECT_TRUE(VerifyPassword(u->password_hash, testing::kPassword));

    auto by_name = store.GetByUsername(Conn(), "ANALYST.one");
    ASSERT_TRUE(by_name);
    EXPECT_EQ(by_name->id, u->id);
    auto by_uuid = store.GetByUuid(Conn(), u->uuid);
    ASSERT_TRUE(by_uuid);
    EXPECT_EQ(by_uuid->username, "analyst.one");
    EXPECT_EQ(store.GetByUuid(Conn(), "nope").error().code, core::ErrorCode::kNotFound);

    now_ += kSecond;
    ASSERT_TRUE(store.RecordLogin(Conn(), u->id));
    EXPECT_EQ(store.GetById(Conn(), u->id)->last_login_at, now_);
}

TEST_P(UserStoreTest, Validation) {
    UserStore store(clock_);
    auto field = [&](const NewUser& in) {
        auto r = store.Create(Conn(), in);
        return r ? std::string("ok") : r.error().field;
    };
    EXPECT_EQ(field({"a", testing::kPassword, OrgUuid(2), Role::kAnalyst}), "username");
    EXPECT_EQ(field({"has space", testing::kPassword, OrgUuid(2), Role::kAnalyst}), "username");
    EXPECT_EQ(field({std::string(65, 'x'), testing::kPassword, OrgUuid(2), Role::kAnalyst}),
              "username");
    EXPECT_EQ(field({"bob", "short", OrgUuid(2), Role::kAnalyst}), "password");
    EXPECT_EQ(field({"bobbybobby", "BobbyBobby", OrgUuid(2), Role::kAnalyst}), "password");
    EXPECT_EQ(field({"bob", testing::kPassword, OrgUuid(99), Role::kAnalyst}), "organisation_id");
    EXPECT_EQ(field({"bob", testing::kPassword, OrgUuid(2), Role::kAnalyst}), "ok");
    auto dup = store.Create(Conn(), NewUser{"BOB", testing::kPassword, OrgUuid(3), Role::kAnalyst});
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, core::ErrorCode::kConflict);
    EXPECT_EQ(dup.error().field, "username");
}

INSTANTIATE_TEST_SUITE_P(Backends, UserStoreTest, ::testing::ValuesIn(db::testing::BackendNames()));

class UserServiceTest : public testing::DbTest {
  protected:
    void SetUp() override {
        testing::DbTest::SetUp();
        national_admin_ = AddUser("root.admin", 1, Role::kAdmin);
        banking_admin_ = AddUser("bank.admin", 2, Role::kAdmin);
        AddUser("bank.analyst", 2, Role::kAnalyst);
        AddUser("bank.a.reporter", 4, Role::kReporter);
        AddUser("telecom.analyst", 3, Role::kAnalyst);
        AddUser("energy.analyst", 20, Role::kAnalyst);
        service_ = std::make_unique<UserService>(*db_, audit_, clock_);
    }
    Principal As(const User& u) {
        Principal p = MakePrincipal(u.organisation_id, u.role, u.id);
        p.username = u.username;
        p.user_uuid = u.uuid;
        return p;
    }
    std::vector<std::string> Names(const Principal& p, const UserFilter& filter = {}) {
        auto page = service_->List(p, filter);
        EXPECT_TRUE(page) << page.error().message;
        std::vector<std::string> names;
        if (page)
            for (const auto& u : page->items) names.push_back(u.username);
        return names;
    }
    User Find(const std::string& name) { return *UserStore().GetByUsername(Conn(), name); }

    User national_admin_, banking_admin_;
    std::unique_ptr<UserService> service_;
};

TEST_P(UserServiceTest, ListFollowsTheTreeAndFilters) {
    EXPECT_EQ(Names(As(national_admin_)),
              (std::vector<std::string>{"bank.a.reporter", "bank.admin", "bank.analyst",
                                        "energy.analyst", "root.admin", "telecom.analyst"}));
    EXPECT_EQ(Names(As(banking_admin_)),
              (std::vector<std::string>{"bank.a.reporter", "bank.admin", "bank.analyst"}));
    UserFilter by_role;
    by_role.role = Role::kAnalyst;
    EXPECT_EQ(Names(As(banking_admin_), by_role), (std::vector<std::string>{"bank.analyst"}));
    UserFilter by_org;
    by_org.organisation_uuid = OrgUuid(4);
    EXPECT_EQ(Names(As(national_admin_), by_org), (std::vector<std::string>{"bank.a.reporter"}));
    UserFilter by_q;
    by_q.q = "ANALYST";
    EXPECT_EQ(Names(As(national_admin_), by_q),
              (std::vector<std::string>{"bank.analyst", "energy.analyst", "telecom.analyst"}));
    by_q.q = "_";  // a LIKE wildcard, matched literally
    EXPECT_TRUE(Names(As(national_admin_), by_q).empty());

    UserFilter paged;
    paged.limit = 4;
    auto first = service_->List(As(national_admin_), paged);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->total, 6);
    ASSERT_EQ(first->items.size(), 4u);
    ASSERT_TRUE(first->next);
    paged.cursor = *first->next;
    auto second = service_->List(As(national_admin_), paged);
    ASSERT_TRUE(second);
    ASSERT_EQ(second->items.size(), 2u);
    EXPECT_EQ(second->items[0].username, "root.admin");
    EXPECT_FALSE(second->next);
    paged.limit = 0;
    EXPECT_EQ(service_->List(As(national_admin_), paged).error().field, "limit");
    paged.limit = 10;
    paged.cursor = "!!";
    EXPECT_EQ(service_->List(As(national_admin_), paged).error().field, "cursor");
}

TEST_P(UserServiceTest, OnlyAdminsAndOnlyWithinTheirSubtree) {
    const Principal analyst = As(Find("bank.analyst"));
    EXPECT_EQ(service_->List(analyst, {}).error().code, core::ErrorCode::kPermissionDenied);
    const User telecom = Find("telecom.analyst");
    // Invisible users look missing.
    auto hidden = service_->Get(As(banking_admin_), telecom.uuid);
    ASSERT_FALSE(hidden);
    EXPECT_EQ(hidden.error().code, core::ErrorCode::kNotFound);
    EXPECT_EQ(service_->Delete(As(banking_admin_), telecom.uuid).error().code,
              core::ErrorCode::kNotFound);
    EXPECT_TRUE(service_->Get(As(national_admin_), telecom.uuid));
    // Nor can a sectoral admin create users outside its subtree, or move them there.
    auto outside = service_->Create(
        As(banking_admin_), NewUser{"new.user", testing::kPassword, OrgUuid(3), Role::kReporter});
    ASSERT_FALSE(outside);
    EXPECT_EQ(outside.error().field, "organisation_id");
    const User reporter = Find("bank.a.reporter");
    UserUpdate move;
    move.organisation_uuid = OrgUuid(20);
    EXPECT_EQ(service_->Update(As(banking_admin_), reporter.uuid, move).error().field,
              "organisation_id");
    auto inside = service_->Create(
        As(banking_admin_), NewUser{"new.user", testing::kPassword, OrgUuid(6), Role::kReporter});
    ASSERT_TRUE(inside) << inside.error().message;
    EXPECT_EQ(inside->organisation_path, "/1/2/4/6/");
}

TEST_P(UserServiceTest, UpdateDeleteAndAudit) {
    const Principal admin = As(national_admin_);
    const User analyst = Find("bank.analyst");
    UserUpdate up;
    up.role = Role::kReporter;
    up.organisation_uuid = OrgUuid(4);
    up.if_version = analyst.version;
    now_ += kMinute;
    auto changed = service_->Update(admin, analyst.uuid, up, "192.0.2.1");
    ASSERT_TRUE(changed) << changed.error().message;
    EXPECT_EQ(changed->role, Role::kReporter);
    EXPECT_EQ(changed->organisation_uuid, OrgUuid(4));
    EXPECT_EQ(changed->version, analyst.version + 1);
    EXPECT_EQ(changed->updated_at, now_);
    // If-Match with the old version.
    EXPECT_EQ(service_->Update(admin, analyst.uuid, up).error().code,
              core::ErrorCode::kPreconditionFailed);

    UserUpdate pw;
    pw.password = "short";
    EXPECT_EQ(service_->Update(admin, analyst.uuid, pw).error().field, "password");
    pw.password = "a much better passphrase";
    ASSERT_TRUE(service_->Update(admin, analyst.uuid, pw));
    EXPECT_TRUE(VerifyPassword(Find("bank.analyst").password_hash, "a much better passphrase"));

    UserUpdate self;
    self.disabled = true;
    EXPECT_EQ(service_->Update(admin, national_admin_.uuid, self).error().code,
              core::ErrorCode::kConflict);
    EXPECT_EQ(service_->Delete(admin, national_admin_.uuid).error().code,
              core::ErrorCode::kConflict);
    ASSERT_TRUE(service_->Update(admin, analyst.uuid, self));
    EXPECT_TRUE(Find("bank.analyst").disabled);

    ASSERT_TRUE(service_->Delete(admin, analyst.uuid, "192.0.2.1"));
    EXPECT_EQ(service_->Get(admin, analyst.uuid).error().code, core::ErrorCode::kNotFound);

    AuditFilter filter;
    filter.object_id = analyst.uuid;
    auto entries = audit_.List(Conn(), admin, filter);
    ASSERT_TRUE(entries) << entries.error().message;
    ASSERT_EQ(entries->items.size(), 4u);  // update, password, disable, delete; newest first
    EXPECT_EQ(entries->items[0].entry.action, "user.delete");
    EXPECT_EQ(entries->items[0].entry.actor, "root.admin");
    EXPECT_EQ(entries->items[0].entry.address, "192.0.2.1");
    EXPECT_NE(entries->items[3].entry.before_json.find("\"role\":\"analyst\""), std::string::npos);
    EXPECT_NE(entries->items[3].entry.after_json.find("\"role\":\"reporter\""), std::string::npos);
    EXPECT_EQ(entries->items[3].entry.after_json.find("argon2"), std::string::npos);
    EXPECT_TRUE(audit_.Verify(Conn())->ok);
}

INSTANTIATE_TEST_SUITE_P(Backends, UserServiceTest,
                         ::testing::ValuesIn(db::testing::BackendNames()));

class BootstrapTest : public testing::DbTest {};

TEST_P(BootstrapTest, CreatesTheFirstAdminOnce) {
    auto first = EnsureAdmin(Conn(), 1, "", audit_);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_TRUE(first->created);
    EXPECT_TRUE(first->generated);
    EXPECT_GE(first->password.size(), 20u);
    auto again = EnsureAdmin(Conn(), 1, "another password", audit_);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->created);

    AuthService auth(*db_, audit_, {}, clock_);
    auto session = auth.Login("admin", first->password, std::nullopt, "");
    ASSERT_TRUE(session) << session.error().message;
    EXPECT_EQ(session->principal.role, Role::kAdmin);
    EXPECT_TRUE(session->principal.is_national);
}

TEST_P(BootstrapTest, GivenPasswordMustPassThePolicy) {
    auto weak = EnsureAdmin(Conn(), 1, "admin", audit_);
    ASSERT_FALSE(weak);
    EXPECT_EQ(weak.error().field, "password");
    EXPECT_EQ(EnsureAdmin(Conn(), 99, testing::kPassword, audit_).error().code,
              core::ErrorCode::kNotFound);
    auto ok = EnsureAdmin(Conn(), 1, testing::kPassword, audit_);
    ASSERT_TRUE(ok);
    EXPECT_TRUE(ok->created);
    EXPECT_FALSE(ok->generated);
    EXPECT_EQ(ok->password, testing::kPassword);
}

INSTANTIATE_TEST_SUITE_P(Backends, BootstrapTest, ::testing::ValuesIn(db::testing::BackendNames()));

}  // namespace
}  // namespace muhafiz::access
