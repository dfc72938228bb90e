// Passwords: argon2id hashing (libsodium crypto_pwhash_str, interactive limits: 2 passes, 64 MiB)
// and the minimum password policy.
//
// Thread-safety: pure functions (libsodium is initialised once, thread-safely). Each hash or
// verification takes tens of milliseconds and 64 MiB of memory on purpose.
// Errors: the policy answers kInvalidArgument naming field "password"; hashing fails with
// kInternal only when memory runs out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace muhafiz::access {

inline constexpr std::size_t kMinPasswordLength = 10;    // characters (UTF-8 code points)
inline constexpr std::size_t kMaxPasswordLength = 1024;  // bytes, against hashing abuse

// At least kMinPasswordLength characters, at most kMaxPasswordLength bytes, and not the username
// (compared ignoring ASCII case).
[[nodiscard]] core::Status CheckPasswordPolicy(std::string_view password,
                                               std::string_view username);
// An argon2id string ("$argon2id$v=19$m=65536,t=2,p=1$...") with a random salt.
[[nodiscard]] core::Result<std::string> HashPassword(std::string_view password);
// True when `password` matches `hash`; false for a wrong password or a malformed hash.
[[nodiscard]] bool VerifyPassword(std::string_view hash, std::string_view password);

}  // namespace muhafiz::access
