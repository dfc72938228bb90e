#include "access/password.hpp"

#include <sodium.h>

#include <cstdlib>

namespace muhafiz::access {
namespace {

void InitSodium() {
    static const bool kReady = [] {
        if (sodium_init() < 0) std::abort();  // no usable randomness: nothing is safe
        return true;
    }();
    (void)kReady;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

core::Status CheckPasswordPolicy(std::string_view password, std::string_view username) {
    std::size_t chars = 0;
    for (char c : password)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
    if (chars < kMinPasswordLength)
        return core::Invalid(
            "password",
            "password must be at least " + std::to_string(kMinPasswordLength) + " characters long");
    if (password.size() > kMaxPasswordLength)
        return core::Invalid("password", "password must be at most " +
                                             std::to_string(kMaxPasswordLength) + " bytes long");
    bool same = password.size() == username.size();
    for (std::size_t i = 0; same && i < password.size(); ++i)
        same = Lower(password[i]) == Lower(username[i]);
    if (same) return core::Invalid("password", "password must not be the username");
    return core::Ok();
}

core::Result<std::string> HashPassword(std::string_view password) {
    InitSodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return core::Fail(core::ErrorCode::kInternal, "password hashing ran out of memory");
    return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
    InitSodium();
    if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
    const std::string h(hash);  // NUL-terminated
    return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

}  // namespace muhafiz::access
