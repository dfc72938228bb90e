#include "access/totp.hpp"

#include <liboath/oath.h>

#include <cstdlib>
#include <memory>

#include "core/ids.hpp"

namespace muhafiz::access {
namespace {

void InitOath() {
    static const bool kReady = [] {
        if (oath_init() != OATH_OK) std::abort();
        return true;
    }();
    (void)kReady;
}

}  // namespace

std::string NewTotpSecret() {
    InitOath();
    std::string raw;
    if (!core::Base64UrlDecode(core::RandomToken(20), raw)) std::abort();  // cannot happen
    char* out = nullptr;
    std::size_t len = 0;
    if (oath_base32_encode(raw.data(), raw.size(), &out, &len) != OATH_OK) std::abort();
    std::unique_ptr<char, decltype(&std::free)> guard(out, &std::free);
    std::string secret(out, len);
    while (!secret.empty() && secret.back() == '=') secret.pop_back();
    return secret;
}

std::string TotpUri(std::string_view username, std::string_view secret_base32) {
    return "otpauth://totp/Muhafiz:" + std::string(username) +
           "?secret=" + std::string(secret_base32) + "&issuer=Muhafiz";
}

core::Result<std::int64_t> MatchTotp(std::string_view secret_base32, std::string_view code,
                                     core::Micros now) {
    InitOath();
    bool digits = code.size() == kTotpDigits;
    for (char c : code) digits = digits && c >= '0' && c <= '9';
    if (!digits)
        return core::Fail(core::ErrorCode::kUnauthenticated, "the one-time code must be 6 digits",
                          "totp");
    char* raw = nullptr;
    std::size_t raw_len = 0;
    if (oath_base32_decode(secret_base32.data(), secret_base32.size(), &raw, &raw_len) != OATH_OK)
        return core::Fail(core::ErrorCode::kInternal, "stored TOTP secret is not valid base32");
    std::unique_ptr<char, decltype(&std::free)> guard(raw, &std::free);
    const std::string otp(code);
    int position = 0;
    std::uint64_t step = 0;
    const int rc = oath_totp_validate3(raw, raw_len, static_cast<time_t>(now / 1'000'000),
                                       kTotpStepSeconds, 0, 1, &position, &step, otp.c_str());
    if (rc < 0)
        return core::Fail(core::ErrorCode::kUnauthenticated, "invalid one-time code", "totp");
    return static_cast<std::int64_t>(step);
}

}  // namespace muhafiz::access
