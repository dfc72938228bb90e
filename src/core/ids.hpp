// Identifiers: UUIDv7 public ids (time-ordered), UUIDv4 (STIX ids), random tokens, and
// people-facing short references. Thread-safe: randomness comes from libsodium.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX (core::Sha256)

namespace muhafiz::core {

[[nodiscard]] std::string NewUuidV7();
[[nodiscard]] std::string NewUuidV4();
// The canonical 8-4-4-4-12 lower-case text of 16 bytes (version and variant bits as given).
[[nodiscard]] std::string FormatUuid(const std::array<unsigned char, 16>& bytes);
// True for a canonical lower- or upper-case 8-4-4-4-12 hex UUID.
[[nodiscard]] bool IsUuid(std::string_view text);
// `bytes` random bytes as URL-safe base64 without padding.
[[nodiscard]] std::string RandomToken(std::size_t bytes);
// "INC-2026-000123"
[[nodiscard]] std::string ShortReference(std::string_view prefix, int year, std::int64_t number);

// Lower-case hex of bytes.
[[nodiscard]] std::string HexEncode(std::string_view bytes);
// SHA-256 of data as lower-case hex.
[[nodiscard]] std::string Sha256Hex(std::string_view data);
// SHA-256 fed in pieces (a file read in chunks). Computed by OpenSSL, which uses the CPU's SHA
// instructions where it has them (~1.5 GB/s here; several times libsodium's portable code).
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void Update(std::string_view data);
    // Lower-case hex of the digest of everything fed; call once (it finishes the hash).
    [[nodiscard]] std::string Hex();

private:
    ::evp_md_ctx_st* ctx_;  // OpenSSL's EVP_MD_CTX
};
// URL-safe base64 without padding, and its inverse (empty optional result = error flag false).
[[nodiscard]] std::string Base64UrlEncode(std::string_view bytes);
[[nodiscard]] bool Base64UrlDecode(std::string_view text, std::string& out);

}  // namespace muhafiz::core
