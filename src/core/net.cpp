// Parsing and formatting of IP addresses, prefixes, AS numbers and domain names.
// See net.hpp for the accepted forms. Everything here is allocation-light and throws nothing.
#include "core/net.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <vector>

namespace muhafiz::core {
namespace {

constexpr std::size_t kMaxIpText = 45;         // "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
constexpr std::size_t kMaxDomainInput = 1024;  // bytes of UTF-8 accepted before conversion
constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxDomain = 253;

tl::unexpected<Error> Bad(std::string message) {
    return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

// Quotes user text for an error message, cut to a sane length.
std::string Quote(std::string_view text) {
    constexpr std::size_t kMax = 80;
    std::string out = "\"";
    for (char c : text.substr(0, kMax)) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    if (text.size() > kMax) out += "...";
    out += '"';
    return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Strict dotted quad. On failure returns a reason (without the address itself).
std::string_view ParseV4(std::string_view s, std::uint8_t* out) {
    int part = 0;
    std::size_t i = 0;
    while (true) {
        std::size_t start = i;
        unsigned value = 0;
        while (i < s.size() && IsDigit(s[i])) {
            if (i - start >= 3) return "an octet has more than three digits";
            value = value * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
        }
        if (i == start) return "expected a decimal octet";
        if (i - start > 1 && s[start] == '0') {
            return "an octet has a leading zero (ambiguous: octal to some parsers)";
        }
        if (value > 255) return "an octet is above 255";
        out[part++] = static_cast<std::uint8_t>(value);
        if (part == 4) break;
        if (i >= s.size()) return "expected four octets";
        if (s[i] != '.') return "unexpected character";
        ++i;
    }
    if (i != s.size()) return s[i] == '.' ? "more than four octets" : "unexpected character";
    return {};
}

// Parses a colon-separated run of IPv6 groups ("2001:db8:1", or "" for none). A dotted-quad
// tail is allowed as the last piece when allow_v4 is set; it adds two groups.
std::string_view ParseGroups(std::string_view part, bool allow_v4,
                             std::vector<std::uint16_t>& groups) {
    if (part.empty()) return {};
    std::size_t i = 0;
    while (true) {
        std::size_t end = part.find(':', i);
        std::string_view piece =
            part.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
        if (piece.empty()) return "empty group (a single ':' where '::' or a group is needed)";
        if (piece.find('.') != std::string_view::npos) {
            if (!allow_v4 || end != std::string_view::npos) {
                return "an embedded IPv4 address may only end the address";
            }
            std::uint8_t v4[4];
            std::string_view why = ParseV4(piece, v4);
            if (!why.empty()) return "invalid embedded IPv4 address";
            groups.push_back(static_cast<std::uint16_t>((v4[0] << 8) | v4[1]));
            groups.push_back(static_cast<std::uint16_t>((v4[2] << 8) | v4[3]));
        } else {
            if (piece.size() > 4) return "a group has more than four hex digits";
            unsigned value = 0;
            for (char c : piece) {
                int h = HexValue(c);
                if (h < 0) return "unexpected character";
                value = value * 16 + static_cast<unsigned>(h);
            }
            groups.push_back(static_cast<std::uint16_t>(value));
        }
        if (end == std::string_view::npos) break;
        i = end + 1;
    }
    return {};
}

Result<IpAddress> ParseV6(std::string_view s) {
    if (s.find('%') != std::string_view::npos) {
        return Bad("invalid IP address " + Quote(s) + ": zone ids (%...) are not accepted");
    }
    if (s.size() > kMaxIpText) return Bad("invalid IP address " + Quote(s) + ": too long");
    std::vector<std::uint16_t> head;
    std::vector<std::uint16_t> tail;
    head.reserve(8);
    tail.reserve(8);
    std::size_t dc = s.find("::");
    std::string_view why;
    if (dc == std::string_view::npos) {
        why = ParseGroups(s, true, head);
        if (why.empty() && head.size() != 8) why = "expected eight groups or '::'";
    } else {
        if (s.find("::", dc + 1) != std::string_view::npos) {
            why = "more than one '::'";
        } else {
            std::string_view after = s.substr(dc + 2);
            why = ParseGroups(s.substr(0, dc), false, head);
            if (why.empty()) why = ParseGroups(after, true, tail);
            // "::" stands for at least one zero group (RFC 4291 2.2).
            if (why.empty() && head.size() + tail.size() > 7) why = "too many groups for '::'";
        }
    }
    if (!why.empty()) return Bad("invalid IPv6 address " + Quote(s) + ": " + std::string(why));
    IpAddress ip;
    ip.v6 = true;
    std::size_t g = 0;
    for (std::uint16_t v : head) {
        ip.bytes[2 * g] = static_cast<std::uint8_t>(v >> 8);
        ip.bytes[2 * g + 1] = static_cast<std::uint8_t>(v);
        ++g;
    }
    g = 8 - tail.size();
    for (std::uint16_t v : tail) {
        ip.bytes[2 * g] = static_cast<std::uint8_t>(v >> 8);
        ip.bytes[2 * g + 1] = static_cast<std::uint8_t>(v);
        ++g;
    }
    return ip;
}

void ClearHostBits(IpAddress& ip, int length) {
    int bits = ip.v6 ? 128 : 32;
    for (int i = 0; i < bits / 8; ++i) {
        int keep = std::clamp(length - i * 8, 0, 8);
        ip.bytes[i] &= static_cast<std::uint8_t>(0xff00u >> keep);
    }
}

// ---- domain names ----

// Strict UTF-8 decoding (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool DecodeUtf8(std::string_view s, std::u32string& out) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto b0 = static_cast<unsigned char>(s[i]);
        if (b0 < 0x80) {
            out.push_back(b0);
            ++i;
            continue;
        }
        int n;
        char32_t cp;
        unsigned char lo = 0x80, hi = 0xbf;
        if (b0 >= 0xc2 && b0 <= 0xdf) {
            n = 1;
            cp = b0 & 0x1f;
        } else if (b0 >= 0xe0 && b0 <= 0xef) {
            n = 2;
            cp = b0 & 0x0f;
            if (b0 == 0xe0) lo = 0xa0;
            if (b0 == 0xed) hi = 0x9f;
        } else if (b0 >= 0xf0 && b0 <= 0xf4) {
            n = 3;
            cp = b0 & 0x07;
            if (b0 == 0xf0) lo = 0x90;
            if (b0 == 0xf4) hi = 0x8f;
        } else {
            return false;
        }
        if (i + static_cast<std::size_t>(n) >= s.size()) return false;  // truncated
        for (int k = 1; k <= n; ++k) {
            auto b = static_cast<unsigned char>(s[i + k]);
            if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return false;
            cp = (cp << 6) | (b & 0x3f);
        }
        out.push_back(cp);
        i += static_cast<std::size_t>(n) + 1;
    }
    return true;
}

// Simple lower-casing: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals.
char32_t Lower(char32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c >= 0xc0 && c <= 0xde && c != 0xd7) return c + 0x20;
    if (c >= 0x100 && c <= 0x17f) {
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17f) return c;
        if (c == 0x178) return 0xff;
        bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e);
        if (odd_upper) return (c % 2 == 1) ? c + 1 : c;
        return (c % 2 == 0) ? c + 1 : c;
    }
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) return c + 0x20;
    if (c == 0x386) return 0x3ac;
    if (c >= 0x388 && c <= 0x38a) return c + 0x25;
    if (c == 0x38c) return 0x3cc;
    if (c == 0x38e || c == 0x38f) return c + 0x3f;
    if (c >= 0x410 && c <= 0x42f) return c + 0x20;
    if (c >= 0x400 && c <= 0x40f) return c + 0x50;
    return c;
}

bool IsIdeographicDot(char32_t c) { return c == 0x3002 || c == 0xff0e || c == 0xff61; }

// Non-ASCII code points that can never be part of a host name: controls, spaces, invisible
// format characters, private use, specials and non-characters.
bool IsForbiddenNonAscii(char32_t c) {
    return c < 0xa1 || c == 0xad || c == 0x1680 || (c >= 0x2000 && c <= 0x200f) ||
           (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x206f) || c == 0x3000 ||
           (c >= 0xe000 && c <= 0xf8ff) || (c >= 0xfdd0 && c <= 0xfdef) || c == 0xfeff ||
           (c >= 0xfff0 && c <= 0xffff) || (c & 0xfffe) == 0xfffe || c >= 0xf0000;
}

char PunyDigit(std::uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); }

std::uint32_t PunyAdapt(std::uint32_t delta, std::uint32_t num_points, bool first) {
    constexpr std::uint32_t kBase = 36, kTmin = 1, kTmax = 26, kSkew = 38, kDamp = 700;
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / num_points;
    std::uint32_t k = 0;
    while (delta > ((kBase - kTmin) * kTmax) / 2) {
        delta /= kBase - kTmin;
        k += kBase;
    }
    return k + (kBase - kTmin + 1) * delta / (delta + kSkew);
}

}  // namespace

IpAddress IpAddress::FromV4(std::uint32_t host_order) {
    IpAddress ip;
    ip.bytes[0] = static_cast<std::uint8_t>(host_order >> 24);
    ip.bytes[1] = static_cast<std::uint8_t>(host_order >> 16);
    ip.bytes[2] = static_cast<std::uint8_t>(host_order >> 8);
    ip.bytes[3] = static_cast<std::uint8_t>(host_order);
    return ip;
}

bool IpAddress::IsV4Mapped() const {
    if (!v6) return false;
    for (int i = 0; i < 10; ++i) {
        if (bytes[i] != 0) return false;
    }
    return bytes[10] == 0xff && bytes[11] == 0xff;
}

IpAddress IpAddress::V4Mapped() const {
    IpAddress ip;
    for (int i = 0; i < 4; ++i) ip.bytes[i] = bytes[12 + i];
    return ip;
}

Result<IpAddress> ParseIp(std::string_view text) {
    if (text.empty()) return Bad("empty IP address");
    if (text.find(':') != std::string_view::npos) return ParseV6(text);
    if (text.size() > 15) return Bad("invalid IPv4 address " + Quote(text) + ": too long");
    IpAddress ip;
    std::string_view why = ParseV4(text, ip.bytes.data());
    if (!why.empty()) {
        return Bad("invalid IPv4 address " + Quote(text) + ": " + std::string(why));
    }
    return ip;
}

Result<Prefix> ParsePrefix(std::string_view text) {
    std::size_t slash = text.find('/');
    Prefix p;
    p.address = MUHAFIZ_TRY(ParseIp(text.substr(0, slash)));
    int max = p.address.v6 ? 128 : 32;
    if (slash == std::string_view::npos) {
        p.length = max;
        return p;
    }
    std::string_view len = text.substr(slash + 1);
    bool ok = !len.empty() && len.size() <= 3 && (len.size() == 1 || len[0] != '0') &&
              std::all_of(len.begin(), len.end(), IsDigit);
    int value = 0;
    if (ok) {
        for (char c : len) value = value * 10 + (c - '0');
        ok = value <= max;
    }
    if (!ok) {
        return Bad("invalid prefix " + Quote(text) + ": the length must be 0.." +
                   std::to_string(max));
    }
    p.length = value;
    IpAddress masked = p.address;
    ClearHostBits(masked, value);
    if (masked != p.address) {
        Prefix meant{masked, value};
        return Bad("host bits set in " + FormatPrefix(p) + "; did you mean " + FormatPrefix(meant) +
                   "?");
    }
    return p;
}

std::string FormatIp(const IpAddress& ip) {
    char buf[64];
    if (!ip.v6) {
        // Written directly: this runs for every address of every feed event.
        char* p = buf;
        for (int i = 0; i < 4; ++i) {
            if (i) *p++ = '.';
            const unsigned b = ip.bytes[i];
            if (b >= 100) *p++ = static_cast<char>('0' + b / 100);
            if (b >= 10) *p++ = static_cast<char>('0' + b / 10 % 10);
            *p++ = static_cast<char>('0' + b % 10);
        }
        return std::string(buf, p);
    }
    if (ip.IsV4Mapped()) {
        std::snprintf(buf, sizeof buf, "::ffff:%u.%u.%u.%u", ip.bytes[12], ip.bytes[13],
                      ip.bytes[14], ip.bytes[15]);
        return buf;
    }
    unsigned groups[8];
    for (int i = 0; i < 8; ++i) groups[i] = (unsigned{ip.bytes[2 * i]} << 8) | ip.bytes[2 * i + 1];
    // Longest run of zero groups, at least two long; the first one wins a tie (RFC 5952 4.2).
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        if (groups[i] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < 8 && groups[j] == 0) ++j;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    std::string out;
    out.reserve(40);
    for (int i = 0; i < 8; ++i) {
        if (i == best) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') out += ':';
        std::snprintf(buf, sizeof buf, "%x", groups[i]);
        out += buf;
    }
    return out;
}

std::string FormatPrefix(const Prefix& prefix) {
    return FormatIp(prefix.address) + "/" + std::to_string(prefix.length);
}

Prefix MaskPrefix(const IpAddress& ip, int length) {
    Prefix p{ip, std::clamp(length, 0, ip.v6 ? 128 : 32)};
    ClearHostBits(p.address, p.length);
    return p;
}

bool PrefixContains(const Prefix& prefix, const IpAddress& ip) {
    if (prefix.address.v6 != ip.v6) return false;
    int bits = ip.v6 ? 128 : 32;
    if (prefix.length < 0 || prefix.length > bits) return false;
    int full = prefix.length / 8;
    for (int i = 0; i < full; ++i) {
        if (prefix.address.bytes[i] != ip.bytes[i]) return false;
    }
    int rest = prefix.length % 8;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
    return (prefix.address.bytes[full] & mask) == (ip.bytes[full] & mask);
}

Result<std::uint32_t> ParseAsn(std::string_view text) {
    std::string_view s = text;
    if (s.size() >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) {
        s.remove_prefix(2);
    }
    auto number = [](std::string_view d, std::uint64_t max, std::uint64_t& out) {
        if (d.empty() || d.size() > 10 || (d.size() > 1 && d[0] == '0')) return false;
        std::uint64_t v = 0;
        for (char c : d) {
            if (!IsDigit(c)) return false;
            v = v * 10 + static_cast<std::uint64_t>(c - '0');
        }
        out = v;
        return v <= max;
    };
    std::uint64_t value = 0;
    std::size_t dot = s.find('.');
    bool ok;
    if (dot == std::string_view::npos) {
        ok = number(s, 0xffffffffu, value);
    } else {
        std::uint64_t high = 0, low = 0;
        ok = number(s.substr(0, dot), 0xffff, high) && number(s.substr(dot + 1), 0xffff, low);
        value = (high << 16) | low;
    }
    if (!ok) {
        return Bad("invalid AS number " + Quote(text) +
                   ": expected 1..4294967295, optionally after \"AS\", or asdot X.Y");
    }
    if (value == 0) return Bad("invalid AS number " + Quote(text) + ": AS 0 is reserved");
    return static_cast<std::uint32_t>(value);
}

Result<std::string> PunycodeEncode(std::u32string_view label) {
    constexpr std::uint32_t kBase = 36, kTmin = 1, kTmax = 26;
    constexpr std::uint32_t kMaxInt = std::numeric_limits<std::uint32_t>::max();
    std::string out;
    for (char32_t c : label) {
        if (c > 0x10ffff) return Bad("code point above U+10FFFF");
        if (c < 0x80) out += static_cast<char>(c);
    }
    const auto b = static_cast<std::uint32_t>(out.size());
    std::uint32_t h = b;
    if (b > 0) out += '-';
    std::uint32_t n = 0x80, delta = 0, bias = 72;
    const auto total = static_cast<std::uint32_t>(label.size());
    if (label.size() > kMaxInt / 2) return Bad("label too long for punycode");
    while (h < total) {
        std::uint32_t m = kMaxInt;
        for (char32_t c : label) {
            if (c >= n && c < m) m = c;
        }
        if (m - n > (kMaxInt - delta) / (h + 1)) return Bad("punycode overflow");
        delta += (m - n) * (h + 1);
        n = m;
        for (char32_t c : label) {
            if (c < n) {
                if (++delta == 0) return Bad("punycode overflow");
            }
            if (c == n) {
                std::uint32_t q = delta;
                for (std::uint32_t k = kBase;; k += kBase) {
                    std::uint32_t t = k <= bias ? kTmin : (k >= bias + kTmax ? kTmax : k - bias);
                    if (q < t) break;
                    out += PunyDigit(t + (q - t) % (kBase - t));
                    q = (q - t) / (kBase - t);
                }
                out += PunyDigit(q);
                bias = PunyAdapt(delta, h + 1, h == b);
                delta = 0;
                ++h;
            }
        }
        ++delta;
        ++n;
    }
    return out;
}

Result<std::string> NormaliseDomain(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return Bad("invalid domain name " + Quote(text) + ": " + std::string(why));
    };
    if (text.empty()) return Bad("empty domain name");
    if (text.size() > kMaxDomainInput) return bad("too long");
    std::u32string cps;
    cps.reserve(text.size());
    if (!DecodeUtf8(text, cps)) return bad("not valid UTF-8");
    for (char32_t& c : cps) c = IsIdeographicDot(c) ? U'.' : Lower(c);
    if (!cps.empty() && cps.back() == U'.') cps.pop_back();
    if (cps.empty()) return bad("no labels");

    std::string out;
    out.reserve(text.size() + 8);
    std::size_t start = 0;
    std::size_t last_start = 0;
    while (start <= cps.size()) {
        std::size_t end = cps.find(U'.', start);
        if (end == std::u32string::npos) end = cps.size();
        std::u32string_view label(cps.data() + start, end - start);
        if (label.empty()) return bad("empty label");
        if (label.front() == U'-' || label.back() == U'-') {
            return bad("a label starts or ends with '-'");
        }
        bool ascii = true;
        for (char32_t c : label) {
            if (c == U'*') return bad("wildcards are not domain names");
            if (c == U'_') return bad("'_' is not allowed in host names");
            if (c < 0x80) {
                bool ok = (c >= U'a' && c <= U'z') || (c >= U'0' && c <= U'9') || c == U'-';
                if (!ok) return bad("labels may contain only letters, digits and '-'");
            } else {
                if (IsForbiddenNonAscii(c)) return bad("contains a control or space character");
                ascii = false;
            }
        }
        if (!out.empty()) out += '.';
        last_start = out.size();
        if (ascii) {
            for (char32_t c : label) out += static_cast<char>(c);
        } else {
            auto encoded = PunycodeEncode(label);
            if (!encoded) return bad(encoded.error().message);
            out += "xn--";
            out += *encoded;
        }
        std::string_view produced = std::string_view(out).substr(last_start);
        if (produced.size() > kMaxLabel) return bad("a label is longer than 63 characters");
        if (produced.front() == '-' || produced.back() == '-') {
            return bad("a label starts or ends with '-'");
        }
        start = end + 1;
    }
    std::string_view last_label = std::string_view(out).substr(last_start);
    if (out.size() > kMaxDomain) return bad("longer than 253 characters");
    if (std::all_of(last_label.begin(), last_label.end(), IsDigit)) {
        return bad("the last label is numeric (an IP address is not a domain name)");
    }
    return out;
}

}  // namespace muhafiz::core
