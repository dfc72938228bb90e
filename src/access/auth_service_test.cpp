// AuthService on SQLite and PostgreSQL: login, sessions, throttling, API tokens and MFA.
#include "access/auth_service.hpp"

#include <gtest/gtest.h>

#include "access/access_test_support.hpp"
#include "core/ids.hpp"

namespace muhafiz::access {
namespace {

using core::ErrorCode;
using testing::kPassword;

class AuthTest : public testing::DbTest {
  protected:
    void SetUp() override {
        testing::DbTest::SetUp();
        admin_ = AddUser("root.admin", 1, Role::kAdmin);
        analyst_ = AddUser("bank.analyst", 2, Role::kAnalyst);
        reporter_ = AddUser("bank.a.reporter", 4, Role::kReporter);
        auth_ = std::make_unique<AuthService>(*db_, audit_, options_, clock_);
    }
    void Restart(AuthOptions options) {
        options_ = options;
        auth_ = std::make_unique<AuthService>(*db_, audit_, options_, clock_);
    }
    core::Result<Session> Login(const std::string& user, const std::string& password,
                                std::optional<std::string> totp = std::nullopt,
                                const std::string& address = "192.0.2.1") {
        return auth_->Login(user, password,
                            totp ? std::optional<std::string_view>(*totp) : std::nullopt, address);
    }
    Principal SessionOf(const std::string& user) {
        auto s = Login(user, kPassword);
        EXPECT_TRUE(s) << s.error().message;
        return s ? s->principal : Principal{};
    }

    AuthOptions options_;
    User admin_, analyst_, reporter_;
    std::unique_ptr<AuthService> auth_;
};

TEST_P(AuthTest, LoginResolveLogout) {
    auto s = Login("Bank.Analyst", kPassword);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_GE(s->token.size(), 43u);
    EXPECT_EQ(s->expires_at, now_ + 12 * kHour);
    const Principal& p = s->principal;
    EXPECT_EQ(p.username, "bank.analyst");
    EXPECT_EQ(p.user_uuid, analyst_.uuid);
    EXPECT_EQ(p.organisation_path, "/1/2/");
    EXPECT_EQ(p.organisation_uuid, testing::OrgUuid(2));
    EXPECT_EQ(p.role, Role::kAnalyst);
    EXPECT_FALSE(p.is_national);
    EXPECT_TRUE(p.via_session);
    EXPECT_FALSE(p.csrf_token.empty());
    EXPECT_EQ(p.scopes.size(), 3u);
    EXPECT_FALSE(p.mfa_enrolment_required);
    EXPECT_EQ(UserStore().GetById(Conn(), analyst_.id)->last_login_at, now_);
    // Only the hash is stored.
    auto stored = Conn().Query("SELECT token_hash FROM sessions");
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ((*stored)[0].Str(0), core::Sha256Hex(s->token));

    auto resolved = auth_->ResolveSession(s->token);
    ASSERT_TRUE(resolved) << resolved.error().message;
    EXPECT_EQ(resolved->user_id, analyst_.id);
    EXPECT_EQ(resolved->csrf_token, p.csrf_token);
    EXPECT_TRUE(SessionOf("root.admin").is_national);

    ASSERT_TRUE(auth_->Logout(s->token));
    EXPECT_EQ(auth_->ResolveSession(s->token).error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(auth_->ResolveSession("").error().code, ErrorCode::kUnauthenticated);
}

TEST_P(AuthTest, BadCredentialsLookAlike) {
    auto wrong = Login("bank.analyst", "not the password");
    auto unknown = Login("nobody", kPassword);
    ASSERT_FALSE(wrong);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(unknown.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(wrong.error().message, unknown.error().message);
    EXPECT_EQ(wrong.error().field, unknown.error().field);
}

TEST_P(AuthTest, DisabledUsersCannotSignIn) {
    auto s = Login("bank.analyst", kPassword);
    ASSERT_TRUE(s);
    UserUpdate off;
    off.disabled = true;
    ASSERT_TRUE(UserStore(clock_).Update(Conn(), analyst_.id, off));
    EXPECT_EQ(auth_->ResolveSession(s->token).error().code, ErrorCode::kUnauthenticated);
    auto again = Login("bank.analyst", kPassword);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(again.error().message, Login("nobody", kPassword).error().message);
}

TEST_P(AuthTest, SessionsSlideAndExpire) {
    auto s = Login("bank.analyst", kPassword);
    ASSERT_TRUE(s);
    now_ += 11 * kHour;
    ASSERT_TRUE(auth_->ResolveSession(s->token));  // pushes expiry to now + 12 h
    now_ += 11 * kHour;
    ASSERT_TRUE(auth_->ResolveSession(s->token));
    now_ += 12 * kHour;
    auto expired = auth_->ResolveSession(s->token);
    ASSERT_FALSE(expired);
    EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);

    Restart(AuthOptions{.session_ttl = kHour});
    auto short_lived = Login("bank.analyst", kPassword);
    ASSERT_TRUE(short_lived);
    EXPECT_EQ(short_lived->expires_at, now_ + kHour);
}

TEST_P(AuthTest, Throttling) {
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(Login("bank.analyst", "wrong password").error().code,
                  ErrorCode::kUnauthenticated);
    auto locked = Login("bank.analyst", kPassword);
    ASSERT_FALSE(locked);
    EXPECT_EQ(locked.error().code, ErrorCode::kTooManyRequests);
    // The address is locked too, for other accounts.
    EXPECT_EQ(Login("root.admin", kPassword).error().code, ErrorCode::kTooManyRequests);
    EXPECT_TRUE(Login("root.admin", kPassword, std::nullopt, "198.51.100.1"));
    now_ += 31 * kSecond;
    EXPECT_TRUE(Login("bank.analyst", kPassword));
    // Success reset the count.
    for (int i = 0; i < 4; ++i) EXPECT_FALSE(Login("bank.analyst", "wrong password"));
    EXPECT_TRUE(Login("bank.analyst", kPassword));
}

TEST_P(AuthTest, ApiTokens) {
    const Principal analyst = SessionOf("bank.analyst");
    auto created = auth_->CreateToken(analyst, "ci", {}, std::nullopt);
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_TRUE(created->token.starts_with("mfz_"));
    EXPECT_EQ(created->info.scopes, (std::set<std::string, std::less<>>{"read"}));
    EXPECT_EQ(created->info.expires_at, now_ + 90 * kDay);
    auto stored = Conn().Query("SELECT token_hash FROM api_tokens");
    EXPECT_EQ((*stored)[0].Str(0), core::Sha256Hex(created->token));

    auto p = auth_->Authenticate(created->token);
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->user_id, analyst_.id);
    EXPECT_FALSE(p->via_session);
    EXPECT_TRUE(MayRead(*p));
    EXPECT_FALSE(MayWrite(*p));
    EXPECT_FALSE(auth_->Authenticate("mfz_unknown"));
    EXPECT_FALSE(auth_->Authenticate(created->token.substr(4)));

    auto tokens = auth_->ListTokens(analyst);
    ASSERT_TRUE(tokens);
    ASSERT_EQ(tokens->size(), 1u);
    EXPECT_EQ((*tokens)[0].name, "ci");
    EXPECT_EQ((*tokens)[0].last_used_at, now_);
    now_ += 30 * kSecond;
    ASSERT_TRUE(auth_->Authenticate(created->token));
    EXPECT_EQ((*auth_->ListTokens(analyst))[0].last_used_at, now_ - 30 * kSecond);  // < 1 min
    now_ += kMinute;
    ASSERT_TRUE(auth_->Authenticate(created->token));
    EXPECT_EQ((*auth_->ListTokens(analyst))[0].last_used_at, now_);

    // Scope rules.
    auto field = [&](const Principal& who, const std::set<std::string, std::less<>>& scopes,
                     std::optional<std::int64_t> expires_in = std::nullopt) {
        auto r = auth_->CreateToken(who, "t", scopes, expires_in);
        return r ? std::string("ok") : r.error().field;
    };
    EXPECT_EQ(field(analyst, {"read", "write"}), "ok");
    EXPECT_EQ(field(analyst, {"admin"}), "scopes");
    EXPECT_EQ(field(analyst, {"delete"}), "scopes");
    EXPECT_EQ(field(SessionOf("root.admin"), {"admin"}), "ok");
    EXPECT_EQ(field(*p, {"write"}), "scopes");  // a read token cannot mint a write token
    EXPECT_EQ(field(analyst, {"read"}, 0), "expires_in");
    EXPECT_EQ(field(analyst, {"read"}, 366LL * 86400), "expires_in");
    EXPECT_EQ(field(analyst, {"read"}, 365LL * 86400), "ok");

    // Expiry.
    auto brief = auth_->CreateToken(analyst, "brief", {"read"}, 60);
    ASSERT_TRUE(brief);
    EXPECT_TRUE(auth_->Authenticate(brief->token));
    now_ += 61 * kSecond;
    EXPECT_EQ(auth_->Authenticate(brief->token).error().code, ErrorCode::kUnauthenticated);
}

TEST_P(AuthTest, RevokingTokens) {
    const Principal analyst = SessionOf("bank.analyst");
    const Principal reporter = SessionOf("bank.a.reporter");
    auto a = auth_->CreateToken(analyst, "mine", {"read"}, std::nullopt);
    auto b = auth_->CreateToken(analyst, "second", {"read"}, std::nullopt);
    ASSERT_TRUE(a && b);
    // Someone else's token looks missing; the owner and a national admin may revoke.
    EXPECT_EQ(auth_->RevokeToken(reporter, a->info.id).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(auth_->RevokeToken(analyst, "no-such-token").error().code, ErrorCode::kNotFound);
    ASSERT_TRUE(auth_->RevokeToken(analyst, a->info.id));
    ASSERT_TRUE(auth_->RevokeToken(analyst, a->info.id));  // idempotent
    EXPECT_EQ(auth_->Authenticate(a->token).error().code, ErrorCode::kUnauthenticated);
    ASSERT_TRUE(auth_->RevokeToken(SessionOf("root.admin"), b->info.id));
    EXPECT_FALSE(auth_->Authenticate(b->token));
    auto listed = auth_->ListTokens(analyst);
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_TRUE((*listed)[0].revoked_at);

    // A disabled user's tokens stop working.
    auto c = auth_->CreateToken(reporter, "r", {"read"}, std::nullopt);
    ASSERT_TRUE(c);
    UserUpdate off;
    off.disabled = true;
    ASSERT_TRUE(UserStore(clock_).Update(Conn(), reporter_.id, off));
    EXPECT_EQ(auth_->Authenticate(c->token).error().code, ErrorCode::kUnauthenticated);
}

TEST_P(AuthTest, TotpEnrolmentLoginAndReplay) {
    const Principal analyst = SessionOf("bank.analyst");
    EXPECT_EQ(auth_->EnableMfa(analyst, "123456").error().code, ErrorCode::kConflict);  // no set-up
    auto setup = auth_->BeginMfaSetup(analyst);
    ASSERT_TRUE(setup) << setup.error().message;
    EXPECT_EQ(setup->otpauth_uri,
              "otpauth://totp/Muhafiz:bank.analyst?secret=" + setup->secret + "&issuer=Muhafiz");
    // Not active before it is confirmed.
    EXPECT_TRUE(Login("bank.analyst", kPassword));
    auto wrong = auth_->EnableMfa(analyst, testing::TotpAt(setup->secret, now_ - 150 * kSecond));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
    const std::string code = testing::TotpAt(setup->secret, now_);
    ASSERT_TRUE(auth_->EnableMfa(analyst, code));
    EXPECT_EQ(auth_->BeginMfaSetup(analyst).error().code, ErrorCode::kConflict);

    // The MFA-required marker.
    auto missing = Login("bank.analyst", kPassword);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(missing.error().field, "totp");
    EXPECT_EQ(missing.error().message, kMfaRequired);
    // A wrong password with no code is still just a wrong password.
    EXPECT_EQ(Login("bank.analyst", "wrong password").error().field, "");

    // The code used to enable cannot be used again, nor an older one.
    auto replay = Login("bank.analyst", kPassword, code);
    ASSERT_FALSE(replay);
    EXPECT_EQ(replay.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(replay.error().field, "totp");
    now_ += 30 * kSecond;
    EXPECT_FALSE(Login("bank.analyst", kPassword, code));  // previous step, but already used
    const std::string next = testing::TotpAt(setup->secret, now_);
    auto ok = Login("bank.analyst", kPassword, next);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_FALSE(Login("bank.analyst", kPassword, next));  // replay within its window
    auto bad =
        Login("bank.analyst", kPassword, std::string("000000") == next ? "111111" : "000000");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kUnauthenticated);

    // Turning it off needs a fresh code.
    now_ += 30 * kSecond;
    EXPECT_FALSE(auth_->DisableMfa(analyst, next));
    ASSERT_TRUE(auth_->DisableMfa(analyst, testing::TotpAt(setup->secret, now_)));
    EXPECT_TRUE(Login("bank.analyst", kPassword));
}

TEST_P(AuthTest, RequireAdminMfa) {
    Restart(AuthOptions{.require_admin_mfa = true});
    auto s = Login("root.admin", kPassword);
    ASSERT_TRUE(s) << s.error().message;
    const Principal& p = s->principal;
    EXPECT_TRUE(p.mfa_enrolment_required);
    EXPECT_TRUE(p.scopes.empty());
    EXPECT_FALSE(CanManageUsers(p));
    EXPECT_FALSE(MayRead(p));
    EXPECT_EQ(auth_->CreateToken(p, "t", {"read"}, std::nullopt).error().code,
              ErrorCode::kPermissionDenied);
    // Non-admins are not affected.
    EXPECT_FALSE(SessionOf("bank.analyst").mfa_enrolment_required);

    auto setup = auth_->BeginMfaSetup(p);
    ASSERT_TRUE(setup);
    ASSERT_TRUE(auth_->EnableMfa(p, testing::TotpAt(setup->secret, now_)));
    auto after = auth_->ResolveSession(s->token);
    ASSERT_TRUE(after);
    EXPECT_FALSE(after->mfa_enrolment_required);
    EXPECT_TRUE(CanManageUsers(*after));
}

TEST_P(AuthTest, LoginsAndTokensAreAudited) {
    const Principal analyst = SessionOf("bank.analyst");
    auto t = auth_->CreateToken(analyst, "ci", {"read"}, std::nullopt, "192.0.2.1");
    ASSERT_TRUE(t);
    ASSERT_TRUE(auth_->RevokeToken(analyst, t->info.id, "192.0.2.1"));
    auto page = audit_.List(Conn(), SessionOf("root.admin"), {});
    ASSERT_TRUE(page) << page.error().message;
    std::vector<std::string> actions;
    for (const auto& r : page->items) actions.push_back(r.entry.action);
    EXPECT_EQ(actions, (std::vector<std::string>{"auth.login", "token.revoke", "token.create",
                                                 "auth.login"}));
    EXPECT_EQ(page->items[1].entry.object_id, t->info.id);
    EXPECT_EQ(page->items[2].entry.after_json.find(t->token), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, AuthTest, ::testing::ValuesIn(db::testing::BackendNames()));

}  // namespace
}  // namespace muhafiz::access
