// Unit tests without a database: passwords, roles and capabilities, the policy's predicates,
// throttling and TOTP.
#include <gtest/gtest.h>

#include "access/access_test_support.hpp"
#include "access/password.hpp"
#include "access/policy.hpp"
#include "access/throttle.hpp"
#include "access/totp.hpp"

namespace muhafiz::access {
namespace {

using testing::MakePrincipal;

TEST(Password, HashAndVerify) {
    auto hash = HashPassword("correct horse battery");
    ASSERT_TRUE(hash);
    EXPECT_TRUE(hash->starts_with("$argon2id$"));
    EXPECT_TRUE(VerifyPassword(*hash, "correct horse battery"));
    EXPECT_FALSE(VerifyPassword(*hash, "correct horse batterY"));
    EXPECT_FALSE(VerifyPassword("", "correct horse battery"));
    EXPECT_FALSE(VerifyPassword("not a hash", "correct horse battery"));
    EXPECT_NE(*HashPassword("correct horse battery"), *hash);  // salted
}

TEST(Password, Policy) {
    EXPECT_TRUE(CheckPasswordPolicy("0123456789", "alice"));
    auto short_one = CheckPasswordPolicy("012345678", "alice");
    ASSERT_FALSE(short_one);
    EXPECT_EQ(short_one.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(short_one.error().field, "password");
    // Characters, not bytes: ten two-byte letters pass, nine do not.
    EXPECT_TRUE(CheckPasswordPolicy("ąąąąąąąąąą", "alice"));
    EXPECT_FALSE(CheckPasswordPolicy("ąąąąąąąąą", "alice"));
    auto same = CheckPasswordPolicy("Analyst.One", "analyst.one");
    ASSERT_FALSE(same);
    EXPECT_EQ(same.error().field, "password");
    EXPECT_FALSE(CheckPasswordPolicy(std::string(kMaxPasswordLength + 1, 'x'), "alice"));
}

TEST(Roles, ParseAndFormat) {
    for (Role r : {Role::kAdmin, Role::kAnalyst, Role::kReporter, Role::kCouncil, Role::kPartner}) {
        auto parsed = ParseRole(RoleName(r));
        ASSERT_TRUE(parsed);
        EXPECT_EQ(*parsed, r);
    }
    auto bad = ParseRole("root");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().field, "role");
}

TEST(Roles, Capabilities) {
    Principal admin = MakePrincipal(2, Role::kAdmin);
    Principal analyst = MakePrincipal(2, Role::kAnalyst);
    EXPECT_TRUE(CanManageUsers(admin));
    EXPECT_FALSE(CanManageUsers(analyst));
    EXPECT_TRUE(CanEditOrganisations(admin));
    EXPECT_TRUE(CanEditOrganisations(analyst));
    EXPECT_FALSE(CanEditOrganisations(MakePrincipal(4, Role::kReporter)));
    EXPECT_FALSE(SeesRecords(MakePrincipal(5, Role::kCouncil)));
    EXPECT_TRUE(SeesRecords(MakePrincipal(4, Role::kPartner)));
    // A read-only token.
    admin.scopes = {"read"};
    EXPECT_TRUE(MayRead(admin));
    EXPECT_FALSE(MayWrite(admin));
    EXPECT_FALSE(CanManageUsers(admin));
    EXPECT_FALSE(CanReadAudit(admin));
    analyst.scopes = {"read"};
    EXPECT_FALSE(CanEditOrganisations(analyst));
}

TEST(Policy, Predicates) {
    Policy policy;
    EXPECT_EQ(policy.OrganisationScope(MakePrincipal(1, Role::kAnalyst), "o.path").sql, "1=1");
    EXPECT_EQ(policy.OrganisationScope(MakePrincipal(5, Role::kCouncil), "o.path").sql, "1=0");
    EXPECT_EQ(policy.OrganisationScope(MakePrincipal(1, Role::kCouncil), "o.path").sql, "1=0");
    auto sectoral = policy.OrganisationScope(MakePrincipal(2, Role::kAnalyst), "o.path");
    EXPECT_EQ(sectoral.sql, "(o.path >= ? AND o.path < ?)");
    ASSERT_EQ(sectoral.params.size(), 2u);
    EXPECT_EQ(std::get<std::string>(sectoral.params[0]), "/1/2/");
    EXPECT_EQ(std::get<std::string>(sectoral.params[1]), "/1/20");
    auto record = policy.RecordScope(MakePrincipal(2, Role::kAnalyst), "i.org_path", "incident",
                                     "i.id", Access::kWrite);
    EXPECT_NE(record.sql.find("EXISTS (SELECT 1 FROM shares"), std::string::npos);
    EXPECT_NE(record.sql.find("sh.access = 'write'"), std::string::npos);
    EXPECT_EQ(record.params.size(), 4u);
    EXPECT_EQ(policy.RecordScope(MakePrincipal(1, Role::kAdmin), "p", "incident", "i.id").sql,
              "1=1");
    EXPECT_EQ(policy.RecordScope(MakePrincipal(5, Role::kCouncil), "p", "incident", "i.id").sql,
              "1=0");
}

TEST(Policy, PathScopeAgreesWithThePredicate) {
    Policy policy;
    // The same decision outside SQL: a subtree range, everything, or nothing.
    const PathScope sectoral = policy.OrganisationPaths(MakePrincipal(2, Role::kAnalyst));
    EXPECT_EQ(sectoral.kind, PathScope::Kind::kRange);
    EXPECT_TRUE(sectoral.Contains("/1/2/"));
    EXPECT_TRUE(sectoral.Contains("/1/2/4/"));
    EXPECT_FALSE(sectoral.Contains("/1/"));
    EXPECT_FALSE(sectoral.Contains("/1/20/"));
    EXPECT_FALSE(sectoral.Contains("/1/3/"));
    EXPECT_TRUE(policy.OrganisationPaths(MakePrincipal(1, Role::kAnalyst)).Contains("/1/9/"));
    EXPECT_FALSE(policy.OrganisationPaths(MakePrincipal(5, Role::kCouncil)).Contains("/1/"));
    Principal malformed = MakePrincipal(2, Role::kAnalyst);
    malformed.organisation_path = "1/2";
    EXPECT_EQ(policy.OrganisationPaths(malformed).kind, PathScope::Kind::kNone);
    EXPECT_EQ(policy.OrganisationScope(malformed, "o.path").sql, "1=0");
}

TEST(Policy, PathChecks) {
    EXPECT_TRUE(IsAncestorOrSelf("/1/", "/1/2/4/"));
    EXPECT_TRUE(IsAncestorOrSelf("/1/2/", "/1/2/"));
    EXPECT_TRUE(IsAncestorOrSelf("/1/2/", "/1/2/4/6/"));
    EXPECT_FALSE(IsAncestorOrSelf("/1/2/", "/1/20/"));
    EXPECT_FALSE(IsAncestorOrSelf("/1/2/4/", "/1/2/"));
    EXPECT_FALSE(IsAncestorOrSelf("", "/1/"));
    Policy policy;
    EXPECT_TRUE(policy.CanSeeOrganisationPath(MakePrincipal(1, Role::kReporter), "/1/3/"));
    EXPECT_TRUE(policy.CanSeeOrganisationPath(MakePrincipal(2, Role::kReporter), "/1/2/4/"));
    EXPECT_FALSE(policy.CanSeeOrganisationPath(MakePrincipal(2, Role::kReporter), "/1/20/"));
    EXPECT_FALSE(policy.CanSeeOrganisationPath(MakePrincipal(4, Role::kReporter), "/1/2/"));
    EXPECT_FALSE(policy.CanSeeOrganisationPath(MakePrincipal(5, Role::kCouncil), "/1/5/"));
}

class ThrottleTest : public ::testing::Test {
  protected:
    core::Micros now_ = 1000 * kSecond;
    LoginThrottle throttle_{ThrottleOptions{}, [this] { return now_; }};
};

TEST_F(ThrottleTest, LocksAfterFiveFailuresAndGrows) {
    for (int i = 0; i < 4; ++i) throttle_.RecordFailure("alice", "192.0.2.1");
    EXPECT_TRUE(throttle_.Check("alice", "192.0.2.1"));
    throttle_.RecordFailure("alice", "192.0.2.1");
    auto locked = throttle_.Check("alice", "192.0.2.9");  // by username
    ASSERT_FALSE(locked);
    EXPECT_EQ(locked.error().code, core::ErrorCode::kTooManyRequests);
    EXPECT_NE(locked.error().message.find("30 s"), std::string::npos);
    EXPECT_FALSE(throttle_.Check("bob", "192.0.2.1"));  // by address
    EXPECT_TRUE(throttle_.Check("bob", "198.51.100.7"));

    now_ += 30 * kSecond;
    EXPECT_TRUE(throttle_.Check("alice", "192.0.2.1"));
    throttle_.RecordFailure("alice", "192.0.2.1");  // one more failure: 60 s
    now_ += 59 * kSecond;
    EXPECT_FALSE(throttle_.Check("alice", ""));
    now_ += 1 * kSecond;
    EXPECT_TRUE(throttle_.Check("alice", ""));
    // Doubling is capped at 15 minutes.
    for (int i = 0; i < 10; ++i) {
        throttle_.RecordFailure("alice", "");
        auto s = throttle_.Check("alice", "");
        ASSERT_FALSE(s);
        now_ += 15 * kMinute;
        EXPECT_TRUE(throttle_.Check("alice", "")) << "lock-out " << i << " exceeded 15 minutes";
    }
}

TEST_F(ThrottleTest, SuccessAndQuietTimeReset) {
    for (int i = 0; i < 4; ++i) throttle_.RecordFailure("alice", "192.0.2.1");
    throttle_.RecordSuccess("alice", "192.0.2.1");
    for (int i = 0; i < 4; ++i) throttle_.RecordFailure("alice", "192.0.2.1");
    EXPECT_TRUE(throttle_.Check("alice", "192.0.2.1"));
    // Failures older than the window are forgotten.
    now_ += 16 * kMinute;
    throttle_.RecordFailure("alice", "192.0.2.1");
    EXPECT_TRUE(throttle_.Check("alice", "192.0.2.1"));
}

TEST(Totp, MatchesWithinOneStepAndReportsTheStep) {
    const std::string secret = NewTotpSecret();
    EXPECT_EQ(secret.size(), 32u);
    const core::Micros t = 1'800'000'000LL * kSecond;
    const std::int64_t step = 1'800'000'000LL / 30;
    auto now = MatchTotp(secret, testing::TotpAt(secret, t), t);
    ASSERT_TRUE(now) << now.error().message;
    EXPECT_EQ(*now, step);
    auto previous = MatchTotp(secret, testing::TotpAt(secret, t - 30 * kSecond), t);
    ASSERT_TRUE(previous);
    EXPECT_EQ(*previous, step - 1);
    auto next = MatchTotp(secret, testing::TotpAt(secret, t + 30 * kSecond), t);
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, step + 1);
    auto stale = MatchTotp(secret, testing::TotpAt(secret, t - 90 * kSecond), t);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, core::ErrorCode::kUnauthenticated);
    EXPECT_EQ(stale.error().field, "totp");
    EXPECT_FALSE(MatchTotp(secret, "12345", t));
    EXPECT_FALSE(MatchTotp(secret, "12345a", t));
    EXPECT_FALSE(MatchTotp(secret, testing::TotpAt(secret, t) + "0", t));
}

TEST(Totp, Uri) {
    EXPECT_EQ(TotpUri("analyst.one", "ABCDEFGH"),
              "otpauth://totp/Muhafiz:analyst.one?secret=ABCDEFGH&issuer=Muhafiz");
}

}  // namespace
}  // namespace muhafiz::access
