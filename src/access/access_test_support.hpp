// Test support for the access module: a fresh database per backend with a small constituency
// tree, a movable clock, and helpers for principals, users and TOTP codes. Tests only.
//
//   1  /1/        national_cert   National CERT
//   2  /1/2/      sectoral_cert   Banking CERT
//   4  /1/2/4/    constituent     Bank A
//   6  /1/2/4/6/  constituent     Bank A branch
//   3  /1/3/      sectoral_cert   Telecom CERT
//   20 /1/20/     sectoral_cert   Energy CERT (its path shares the digit "2" with Banking's)
//   5  /1/5/      cert_council    CERT Council
#pragma once

#include <gtest/gtest.h>
#include <liboath/oath.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "access/audit_log.hpp"
#include "access/clock.hpp"
#include "access/permissions.hpp"
#include "access/users.hpp"
#include "db/testing.hpp"

namespace muhafiz::access::testing {

struct TestOrg {
    std::int64_t id;
    std::int64_t parent_id;  // 0: none
    const char* path;
    const char* kind;
    const char* name;
};

inline constexpr TestOrg kOrgs[] = {
    {1, 0, "/1/", "national_cert", "National CERT"},
    {2, 1, "/1/2/", "sectoral_cert", "Banking CERT"},
    {3, 1, "/1/3/", "sectoral_cert", "Telecom CERT"},
    {4, 2, "/1/2/4/", "constituent", "Bank A"},
    {5, 1, "/1/5/", "cert_council", "CERT Council"},
    {6, 4, "/1/2/4/6/", "constituent", "Bank A branch"},
    {20, 1, "/1/20/", "sectoral_cert", "Energy CERT"},
};

inline const TestOrg& Org(std::int64_t id) {
    for (const auto& o : kOrgs)
        if (o.id == id) return o;
    std::abort();
}

inline std::string OrgUuid(std::int64_t id) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-7000-8000-%012lld", static_cast<long long>(id));
    return buf;
}

inline constexpr char kPassword[] = "correct horse battery";

// A principal as AuthService would build it for a session.
inline Principal MakePrincipal(std::int64_t org_id, Role role, std::int64_t user_id = 0) {
    const TestOrg& o = Org(org_id);
    Principal p;
    p.user_id = user_id;
    p.username = "tester";
    p.organisation_id = o.id;
    p.organisation_uuid = OrgUuid(o.id);
    p.organisation_path = o.path;
    p.organisation_kind = o.kind;
    p.role = role;
    p.is_national = std::string(o.kind) == "national_cert";
    p.scopes = {"read", "write", "admin"};
    p.via_session = true;
    return p;
}

// The TOTP code for a base32 secret at `at`, computed with liboath directly.
inline std::string TotpAt(const std::string& secret_b32, core::Micros at) {
    oath_init();
    char* raw = nullptr;
    std::size_t len = 0;
    EXPECT_EQ(oath_base32_decode(secret_b32.data(), secret_b32.size(), &raw, &len), OATH_OK);
    char otp[16] = {};
    EXPECT_EQ(oath_totp_generate(raw, len, static_cast<time_t>(at / kSecond), 30, 0, 6, otp),
              OATH_OK);
    std::free(raw);
    return otp;
}

class DbTest : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        auto conn = db_->Acquire();
        ASSERT_TRUE(conn);
        for (const auto& o : kOrgs) {
            const std::string path = o.path;
            auto r = (*conn)->Execute(
                "INSERT INTO organisations (id, uuid, name, kind, parent_id, path, depth, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)",
                {o.id, OrgUuid(o.id), std::string(o.name), std::string(o.kind),
                 o.parent_id ? db::Value(o.parent_id) : db::Null(), path,
                 std::int64_t(std::count(path.begin(), path.end(), '/') - 2)});
            ASSERT_TRUE(r) << r.error().message;
        }
    }

    db::Connection& Conn() {
        if (!conn_) conn_.emplace(std::move(*db_->Acquire()));
        return **conn_;
    }

    // Creates a user directly in the store.
    User AddUser(const std::string& name, std::int64_t org_id, Role role) {
        auto u = UserStore(clock_).Create(Conn(), NewUser{name, kPassword, OrgUuid(org_id), role});
        EXPECT_TRUE(u) << u.error().message;
        return u ? *u : User{};
    }

    core::Micros now_ = 1'800'000'000LL * kSecond;  // 2027-01-15, a multiple of 30 s
    Clock clock_ = [this] { return now_; };
    std::unique_ptr<db::Database> db_;
    std::optional<db::Database::Handle> conn_;
    AuditLog audit_{clock_};
};

}  // namespace muhafiz::access::testing
