// Indicators of compromise: the types we know, normalisation of their values before storage (the
// correlation key), and their STIX 2.1 patterns in both directions.
//
// Types: ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, sha512, asn, x509 (a
// certificate fingerprint, SHA-1 or SHA-256). Normal forms: dotted-quad IPv4; RFC 5952 IPv6;
// canonical prefixes; lower-case domains with IDNA labels converted to punycode (libidn2,
// UTS 46 non-transitional) and no trailing dot; URLs with lower-case scheme and host (punycode),
// default ports removed, an empty path as "/", percent-escapes in upper case with unreserved
// characters decoded, and no fragment; e-mail addresses with the domain normalised; lower-case hex
// digests (x509 fingerprints without colons); ASNs as "AS64500".
//
// Thread-safety: pure functions. Errors: kInvalidArgument naming field `field` and the reason.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace muhafiz::intel {

enum class IndicatorType { kIpv4, kIpv6, kCidr, kDomain, kUrl, kEmail, kMd5, kSha1, kSha256, kSha512, kAsn, kX509 };

[[nodiscard]] std::string_view TypeName(IndicatorType type);
// The names above; also "x509-fingerprint"/"x509_fingerprint" for x509.
[[nodiscard]] core::Result<IndicatorType> ParseType(std::string_view text, std::string_view field = "type");
[[nodiscard]] const std::vector<IndicatorType>& AllTypes();

// The normal form of `value` as an indicator of `type`.
[[nodiscard]] core::Result<std::string> Normalise(IndicatorType type, std::string_view value,
                                                  std::string_view field = "value");
// A domain name to lower-case punycode (IDNA 2008 / UTS 46 through libidn2), validated.
[[nodiscard]] core::Result<std::string> NormaliseDomainIdna(std::string_view text, std::string_view field = "value");
// The host of a normalised URL ("" if none), for warning lists.
[[nodiscard]] std::string UrlHost(std::string_view normalised_url);

// The STIX 2.1 pattern of a normalised indicator: "[ipv4-addr:value = '203.0.113.9']".
[[nodiscard]] std::string StixPattern(IndicatorType type, std::string_view value);
// StixPattern into `out` (its capacity reused).
void StixPatternInto(IndicatorType type, std::string_view value, std::string& out);

struct PatternIndicator {
    IndicatorType type;
    std::string value;  // normalised
};
// A simple comparison pattern ("[domain-name:value = 'x']", one comparison, operator '=') to an
// indicator; std::nullopt for a valid pattern that is not that simple (kept verbatim instead);
// kInvalidArgument for malformed patterns or values.
[[nodiscard]] core::Result<std::optional<PatternIndicator>> ParseStixPattern(std::string_view pattern);

}  // namespace muhafiz::intel
