#include "core/ids.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <cstdio>

#include "core/time.hpp"

namespace muhafiz::core {
namespace {

struct SodiumInit {
    SodiumInit() {
        if (sodium_init() < 0) std::abort();
    }
};

void Random(void* buf, std::size_t n) {
    static SodiumInit init;  // function-local: initialised once, thread-safe
    randombytes_buf(buf, n);
}

}  // namespace

std::string FormatUuid(const std::array<unsigned char, 16>& b) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(36, '-');  // filled in place: feeds derive a uuid per stored event
    std::size_t o = 0;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) ++o;
        out[o++] = kHex[b[i] >> 4];
        out[o++] = kHex[b[i] & 15];
    }
    return out;
}

std::string NewUuidV7() {
    std::array<unsigned char, 16> b{};
    Random(b.data(), b.size());
    const std::uint64_t ms = static_cast<std::uint64_t>(NowMicros() / 1000);
    for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x70);
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
    return FormatUuid(b);
}

std::string NewUuidV4() {
    std::array<unsigned char, 16> b{};
    Random(b.data(), b.size());
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
    return FormatUuid(b);
}

bool IsUuid(std::string_view t) {
    if (t.size() != 36) return false;
    for (std::size_t i = 0; i < 36; ++i) {
        const char c = t[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

std::string RandomToken(std::size_t bytes) {
    std::string raw(bytes, '\0');
    Random(raw.data(), raw.size());
    return Base64UrlEncode(raw);
}

std::string ShortReference(std::string_view prefix, int year, std::int64_t number) {
    char buf[64];
    const int n = std::snprintf(buf, sizeof buf, "%.*s-%04d-%06lld", static_cast<int>(prefix.size()),
                                prefix.data(), year, static_cast<long long>(number));
    return std::string(buf, static_cast<std::size_t>(n));
}

std::string HexEncode(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    return out;
}

std::string Sha256Hex(std::string_view data) {
    Sha256 sha;
    sha.Update(data);
    return sha.Hex();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) std::abort();  // (out of memory)
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::Update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }

std::string Sha256::Hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx_, digest, &n);
    return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), n));
}

std::string Base64UrlEncode(std::string_view bytes) {
    std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                    '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(out.size() - 1);  // drop the terminating NUL
    return out;
}

bool Base64UrlDecode(std::string_view text, std::string& out) {
    out.assign(text.size(), '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                          text.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return false;
    out.resize(len);
    return true;
}

}  // namespace muhafiz::core
