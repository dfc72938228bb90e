// Network identifiers: IP addresses, prefixes (CIDR), AS numbers and domain names, parsed,
// validated and put in canonical form.
//
// Thread-safety: pure functions, no state. Errors: kInvalidArgument with a message that says
// what is wrong with the text (and, for a prefix with host bits set, which network was meant).
// Parsers are strict on purpose: the same text always means the same thing, so an IPv4 octet
// with a leading zero ("010", octal to inet_aton) and short forms ("10.1") are rejected.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace muhafiz::core {

struct IpAddress {
    bool v6 = false;
    // Network byte order. IPv4 uses bytes[0..3]; the rest stay zero.
    std::array<std::uint8_t, 16> bytes{};

    std::uint32_t V4() const {  // host-order value of an IPv4 address
        return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
               (std::uint32_t{bytes[2]} << 8) | bytes[3];
    }
    static IpAddress FromV4(std::uint32_t host_order);
    // True for ::ffff:a.b.c.d; V4Mapped() then gives a.b.c.d as an IPv4 address.
    bool IsV4Mapped() const;
    IpAddress V4Mapped() const;
    auto operator<=>(const IpAddress&) const = default;
};

struct Prefix {
    IpAddress address;  // host bits are zero
    int length = 0;     // 0..32 or 0..128
    auto operator<=>(const Prefix&) const = default;
};

// "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1" (no zone ids, no brackets). IPv4: exactly four
// decimal octets 0..255 without leading zeros. IPv6: RFC 4291 section 2.2 text forms, hex in
// either case, an optional dotted-quad tail. IPv4-mapped IPv6 stays IPv6.
[[nodiscard]] Result<IpAddress> ParseIp(std::string_view text);
// "192.0.2.0/24", "2001:db8::/32"; a bare address is a /32 or /128. Host bits set is an error
// that names the network the user probably meant.
[[nodiscard]] Result<Prefix> ParsePrefix(std::string_view text);
// Canonical text: dotted quad; RFC 5952 for IPv6 (lower case, no leading zeros, the longest run
// of two or more zero groups as "::", the first one on a tie; IPv4-mapped as ::ffff:a.b.c.d).
[[nodiscard]] std::string FormatIp(const IpAddress& ip);
[[nodiscard]] std::string FormatPrefix(const Prefix& prefix);
// True when ip is inside prefix (same family; no IPv4-mapped equivalence).
[[nodiscard]] bool PrefixContains(const Prefix& prefix, const IpAddress& ip);
// The prefix of the given length that contains ip (host bits cleared); length is clamped to the
// family's range.
[[nodiscard]] Prefix MaskPrefix(const IpAddress& ip, int length);

// "64500", "AS64500", "as64500", and asdot "1.10" (= 65546); 1..4294967295. AS 0 is refused
// (RFC 7607: it never originates routes). No leading zeros, no signs, no spaces.
[[nodiscard]] Result<std::uint32_t> ParseAsn(std::string_view text);

// Lower-cases, strips one trailing dot, converts internationalised labels to punycode (IDNA
// A-labels) and checks label syntax and lengths:
// - input is UTF-8; invalid UTF-8 (overlong forms, surrogates, truncated sequences) is refused;
// - ASCII letters are lower-cased, as are Latin-1, Greek and Cyrillic capitals (no full
//   nameprep/UTS 46 mapping); U+3002, U+FF0E and U+FF61 act as dots, as in IDNA;
// - each label, after conversion, is 1..63 characters of [a-z0-9-], not starting or ending with
//   '-'; the name is at most 253 characters; a single label ("localhost") is allowed;
// - the last label must not be all digits, so an IPv4 address is not a domain;
// - "*.example.com", underscores, spaces and control characters are refused.
[[nodiscard]] Result<std::string> NormaliseDomain(std::string_view text);

// RFC 3492 punycode of one label given as code points ("bücher" -> "bcher-kva"), without the
// "xn--" prefix. Fails only on overflow (absurdly long input) or a code point above U+10FFFF.
[[nodiscard]] Result<std::string> PunycodeEncode(std::u32string_view label);

}  // namespace muhafiz::core
