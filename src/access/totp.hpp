// TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps) over liboath.
//
// Secrets are 20 random bytes kept as unpadded RFC 4648 base32 (what authenticator apps expect).
// MatchTotp accepts the current step and one step either side, and returns the step that matched;
// the caller stores the last accepted step per user and refuses steps not after it (replay).
// Thread-safety: pure functions (liboath is initialised once, thread-safely).
// Errors: kUnauthenticated naming field "totp" for a malformed or wrong code; kInternal for a
// secret that is not valid base32.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace muhafiz::access {

inline constexpr unsigned kTotpStepSeconds = 30;
inline constexpr unsigned kTotpDigits = 6;

[[nodiscard]] std::string NewTotpSecret();
// otpauth://totp/Muhafiz:<username>?secret=<secret>&issuer=Muhafiz (usernames need no escaping).
[[nodiscard]] std::string TotpUri(std::string_view username, std::string_view secret_base32);
// The time step (unix seconds / 30) of the code that matches at `now`, within ±1 step.
[[nodiscard]] core::Result<std::int64_t> MatchTotp(std::string_view secret_base32,
                                                   std::string_view code, core::Micros now);

}  // namespace muhafiz::access
