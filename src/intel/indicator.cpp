#include "intel/indicator.hpp"

#include <idn2.h>

#include <array>
#include <cctype>
#include <cstdlib>

#include "core/net.hpp"

namespace muhafiz::intel {
namespace {

constexpr std::array<std::string_view, 12> kNames = {"ipv4", "ipv6", "cidr", "domain", "url", "email",
                                                     "md5", "sha1", "sha256", "sha512", "asn", "x509"};

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

core::Result<std::string> Hex(std::string_view v, std::size_t len, std::string_view what, std::string_view field) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == ':') continue;
        // ASCII only (what isxdigit/tolower do in the "C" locale), without a call per digit.
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return core::Invalid(std::string(field), std::string(what) + " must be hexadecimal");
        out += c;
    }
    if (out.size() != len)
        return core::Invalid(std::string(field),
                             std::string(what) + " must have " + std::to_string(len) + " hex digits, not " +
                                 std::to_string(out.size()));
    return out;
}

bool Unreserved(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Percent-escapes to upper case, unreserved characters decoded, raw spaces and controls escaped.
core::Result<std::string> NormaliseEscapes(std::string_view s, std::string_view field) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '%') {
            if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
                !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
                return core::Invalid(std::string(field), "the URL has a malformed '%' escape");
            int v = std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16);
            if (Unreserved(static_cast<unsigned char>(v))) {
                out += static_cast<char>(v);
            } else {
                out += '%';
                out += kHex[v >> 4];
                out += kHex[v & 15];
            }
            i += 2;
        } else if (c <= 0x20 || c >= 0x7f) {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

core::Result<std::string> NormaliseUrl(std::string_view text, std::string_view field) {
    auto colon = text.find("://");
    if (colon == std::string_view::npos || colon == 0)
        return core::Invalid(std::string(field), "a URL needs a scheme, as in http://example.com/");
    std::string scheme = Lower(text.substr(0, colon));
    for (char c : scheme)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
            return core::Invalid(std::string(field), "the URL scheme '" + scheme + "' is malformed");
    std::string_view rest = text.substr(colon + 3);
    if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
    std::size_t end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, end);
    std::string_view tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    std::string userinfo;
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        userinfo = std::string(authority.substr(0, at + 1));
        authority = authority.substr(at + 1);
    }
    std::string_view host = authority, port;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return core::Invalid(std::string(field), "the URL's IPv6 host lacks ']'");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return core::Invalid(std::string(field), "junk after the URL's IPv6 host");
            port = after.substr(1);
        }
    } else if (auto c = authority.rfind(':'); c != std::string_view::npos) {
        host = authority.substr(0, c);
        port = authority.substr(c + 1);
    }
    if (host.empty()) return core::Invalid(std::string(field), "the URL has no host");
    std::string out_host;
    if (auto ip = core::ParseIp(host)) {
        out_host = ip->v6 ? "[" + core::FormatIp(*ip) + "]" : core::FormatIp(*ip);
    } else {
        auto d = NormaliseDomainIdna(host, field);
        if (!d) return tl::unexpected(d.error());
        out_host = *d;
    }
    for (char c : port)
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return core::Invalid(std::string(field), "the URL's port must be a number");
    if (port.size() > 5) return core::Invalid(std::string(field), "the URL's port is out of range");
    std::string p(port);
    while (p.size() > 1 && p.front() == '0') p.erase(0, 1);
    if ((scheme == "http" && p == "80") || (scheme == "https" && p == "443") || (scheme == "ftp" && p == "21"))
        p.clear();
    auto escaped = NormaliseEscapes(tail, field);
    if (!escaped) return tl::unexpected(escaped.error());
    std::string path = "/";
    if (!escaped->empty()) path = escaped->front() == '?' ? "/" + *escaped : *escaped;
    return scheme + "://" + userinfo + out_host + (p.empty() ? "" : ":" + p) + path;
}

}  // namespace

std::string_view TypeName(IndicatorType t) { return kNames[static_cast<int>(t)]; }

const std::vector<IndicatorType>& AllTypes() {
    static const std::vector<IndicatorType> kAll = [] {
        std::vector<IndicatorType> v;
        for (std::size_t i = 0; i < kNames.size(); ++i) v.push_back(static_cast<IndicatorType>(i));
        return v;
    }();
    return kAll;
}

core::Result<IndicatorType> ParseType(std::string_view text, std::string_view field) {
    std::string t = Lower(text);
    if (t == "x509-fingerprint" || t == "x509_fingerprint") t = "x509";
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == t) return static_cast<IndicatorType>(i);
    return core::Invalid(std::string(field), "unknown indicator type '" + std::string(text) +
                                                 "' (ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, "
                                                 "sha512, asn, x509)");
}

core::Result<std::string> NormaliseDomainIdna(std::string_view text, std::string_view field) {
    std::string in(Trim(text));
    if (in.empty()) return core::Invalid(std::string(field), "the domain is empty");
    if (in.back() == '.') in.pop_back();
    bool ascii = true;
    for (unsigned char c : in) ascii = ascii && c < 0x80;
    std::string converted;
    if (ascii) {
        converted = Lower(in);
    } else {
        char* out = nullptr;
        int rc = idn2_to_ascii_8z(in.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        if (rc != IDN2_OK) {
            // Some names valid under IDNA 2003 only (symbols): try the transitional mapping.
            rc = idn2_to_ascii_8z(in.c_str(), &out, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
        }
        if (rc != IDN2_OK)
            return core::Invalid(std::string(field),
                                 "'" + in + "' is not a valid internationalised domain name (" +
                                     idn2_strerror(rc) + ")");
        converted = Lower(out);
        idn2_free(out);
    }
    auto checked = core::NormaliseDomain(converted);
    if (!checked) return core::Invalid(std::string(field), checked.error().message);
    return *checked;
}

std::string UrlHost(std::string_view url) {
    auto colon = url.find("://");
    if (colon == std::string_view::npos) return {};
    std::string_view rest = url.substr(colon + 3);
    rest = rest.substr(0, rest.find_first_of("/?"));
    if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
    if (!rest.empty() && rest.front() == '[') return std::string(rest.substr(1, rest.find(']') - 1));
    return std::string(rest.substr(0, rest.rfind(':')));
}

core::Result<std::string> Normalise(IndicatorType type, std::string_view raw, std::string_view field) {
    std::string_view v = Trim(raw);
    if (v.empty()) return core::Invalid(std::string(field), "the value is empty");
    if (v.size() > 8192) return core::Invalid(std::string(field), "the value is longer than 8192 bytes");
    auto invalid = [&](const core::Error& e) { return core::Invalid(std::string(field), e.message); };
    switch (type) {
        case IndicatorType::kIpv4:
        case IndicatorType::kIpv6: {
            auto ip = core::ParseIp(v);
            if (!ip) return invalid(ip.error());
            if (ip->v6 != (type == IndicatorType::kIpv6))
                return core::Invalid(std::string(field), std::string("'") + std::string(v) + "' is not an " +
                                                             (ip->v6 ? "IPv4" : "IPv6") + " address");
            return core::FormatIp(*ip);
        }
        case IndicatorType::kCidr: {
            auto p = core::ParsePrefix(v);
            if (!p) return invalid(p.error());
            return core::FormatPrefix(*p);
        }
        case IndicatorType::kDomain: return NormaliseDomainIdna(v, field);
        case IndicatorType::kUrl: return NormaliseUrl(v, field);
        case IndicatorType::kEmail: {
            auto at = v.rfind('@');
            if (at == std::string_view::npos || at == 0 || at + 1 == v.size())
                return core::Invalid(std::string(field), "an e-mail address needs local@domain");
            std::string_view local = v.substr(0, at);
            for (unsigned char c : local)
                if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '@')
                    return core::Invalid(std::string(field), "the e-mail address's local part has a forbidden character");
            auto d = NormaliseDomainIdna(v.substr(at + 1), field);
            if (!d) return tl::unexpected(d.error());
            return Lower(local) + "@" + *d;
        }
        case IndicatorType::kMd5: return Hex(v, 32, "an MD5 digest", field);
        case IndicatorType::kSha1: return Hex(v, 40, "a SHA-1 digest", field);
        case IndicatorType::kSha256: return Hex(v, 64, "a SHA-256 digest", field);
        case IndicatorType::kSha512: return Hex(v, 128, "a SHA-512 digest", field);
        case IndicatorType::kAsn: {
            auto a = core::ParseAsn(v);
            if (!a) return invalid(a.error());
            return "AS" + std::to_string(*a);
        }
        case IndicatorType::kX509: {
            std::size_t digits = 0;
            for (char c : v) digits += c != ':';
            return Hex(v, digits == 64 ? 64 : 40, "an X.509 fingerprint (SHA-1 or SHA-256)", field);
        }
    }
    return core::Invalid(std::string(field), "unknown type");
}

void StixPatternInto(IndicatorType type, std::string_view value, std::string& out) {
    out.clear();
    auto quoted = [&](std::string_view head) {
        out.reserve(head.size() + value.size() + 4);
        out += head;
        out += '\'';
        for (char c : value) {
            if (c == '\'' || c == '\\') out += '\\';
            out += c;
        }
        out += "']";
    };
    switch (type) {
        case IndicatorType::kIpv4: return quoted("[ipv4-addr:value = ");
        case IndicatorType::kIpv6: return quoted("[ipv6-addr:value = ");
        case IndicatorType::kCidr:
            return quoted(value.find(':') != std::string_view::npos ? "[ipv6-addr:value = " : "[ipv4-addr:value = ");
        case IndicatorType::kDomain: return quoted("[domain-name:value = ");
        case IndicatorType::kUrl: return quoted("[url:value = ");
        case IndicatorType::kEmail: return quoted("[email-addr:value = ");
        case IndicatorType::kMd5: return quoted("[file:hashes.MD5 = ");
        case IndicatorType::kSha1: return quoted("[file:hashes.'SHA-1' = ");
        case IndicatorType::kSha256: return quoted("[file:hashes.'SHA-256' = ");
        case IndicatorType::kSha512: return quoted("[file:hashes.'SHA-512' = ");
        case IndicatorType::kAsn:
            out += "[autonomous-system:number = ";
            out += value.substr(2);
            out += ']';
            return;
        case IndicatorType::kX509:
            return quoted(value.size() == 64 ? "[x509-certificate:hashes.'SHA-256' = "
                                             : "[x509-certificate:hashes.'SHA-1' = ");
    }
}

std::string StixPattern(IndicatorType type, std::string_view value) {
    std::string out;
    StixPatternInto(type, value, out);
    return out;
}

core::Result<std::optional<PatternIndicator>> ParseStixPattern(std::string_view pattern) {
    auto bad = [](std::string why) { return core::Invalid("pattern", std::move(why)); };
    std::string_view p = Trim(pattern);
    if (p.size() < 2 || p.front() != '[') return bad("a STIX pattern starts with '['");
    // Find the matching ']' outside quotes; anything after it (OR, AND, FOLLOWEDBY, WITHIN...) is
    // a valid but not simple pattern.
    std::size_t i = 1;
    bool in_quote = false;
    int depth = 1;
    for (; i < p.size() && depth > 0; ++i) {
        char c = p[i];
        if (in_quote) {
            if (c == '\\') ++i;
            else if (c == '\'') in_quote = false;
        } else if (c == '\'') {
            in_quote = true;
        } else if (c == '[') {
            ++depth;
        } else if (c == ']') {
            --depth;
        }
    }
    if (in_quote) return bad("a quoted string in the pattern is not closed");
    if (depth != 0) return bad("the pattern's '[' is not closed");
    std::string_view after = Trim(p.substr(i));
    std::string_view inner = Trim(p.substr(1, i - 2));
    if (!after.empty()) return std::optional<PatternIndicator>{};
    // object-type:path op value
    auto colon = inner.find(':');
    if (colon == std::string_view::npos) return bad("the comparison needs object-type:property");
    const std::string_view object = Trim(inner.substr(0, colon));
    std::string_view rest = inner.substr(colon + 1);
    std::size_t op_at = rest.find_first_of(" =!<>");
    if (op_at == std::string_view::npos) return bad("the comparison has no operator");
    const std::string_view path = rest.substr(0, op_at);
    rest = Trim(rest.substr(op_at));
    if (rest.starts_with("!=") || rest.starts_with("<") || rest.starts_with(">") || rest.starts_with("NOT") ||
        rest.starts_with("LIKE") || rest.starts_with("MATCHES") || rest.starts_with("IN") ||
        rest.starts_with("ISSUBSET") || rest.starts_with("ISSUPERSET"))
        return std::optional<PatternIndicator>{};
    if (!rest.starts_with("=")) return bad("unknown comparison operator in the pattern");
    rest = Trim(rest.substr(1));
    std::string value;
    value.reserve(rest.size());
    bool number = false;
    if (!rest.empty() && rest.front() == '\'') {
        std::size_t k = 1;
        bool closed = false;
        // Most values have no escape: up to the closing quote in one piece.
        if (const auto q = rest.find_first_of("'\\", 1); q != std::string_view::npos && rest[q] == '\'') {
            value.assign(rest.substr(1, q - 1));
            k = q + 1;
            closed = true;
        }
        for (; !closed && k < rest.size(); ++k) {
            if (rest[k] == '\\' && k + 1 < rest.size()) {
                value += rest[++k];
            } else if (rest[k] == '\'') {
                closed = true;
                ++k;
                break;
            } else {
                value += rest[k];
            }
        }
        if (!closed) return bad("a quoted string in the pattern is not closed");
        if (!Trim(rest.substr(k)).empty()) return std::optional<PatternIndicator>{};  // AND/OR inside
    } else {
        std::size_t k = 0;
        while (k < rest.size() && std::isdigit(static_cast<unsigned char>(rest[k]))) ++k;
        if (k == 0) return bad("the comparison's value must be a quoted string or a number");
        value = std::string(rest.substr(0, k));
        number = true;
        if (!Trim(rest.substr(k)).empty()) return std::optional<PatternIndicator>{};
    }
    std::optional<IndicatorType> type;
    if (object == "ipv4-addr" && path == "value")
        type = value.find('/') != std::string::npos && !value.ends_with("/32") ? IndicatorType::kCidr : IndicatorType::kIpv4;
    else if (object == "ipv6-addr" && path == "value")
        type = value.find('/') != std::string::npos && !value.ends_with("/128") ? IndicatorType::kCidr : IndicatorType::kIpv6;
    else if (object == "domain-name" && path == "value") type = IndicatorType::kDomain;
    else if (object == "url" && path == "value") type = IndicatorType::kUrl;
    else if (object == "email-addr" && path == "value") type = IndicatorType::kEmail;
    else if (object == "autonomous-system" && path == "number" && number) type = IndicatorType::kAsn;
    else if (object == "file" || object == "artifact" || object == "x509-certificate") {
        const bool x509 = object == "x509-certificate";
        std::string hash_path(path);
        for (char& c : hash_path) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        std::erase(hash_path, '\'');
        if (hash_path == "HASHES.MD5") type = IndicatorType::kMd5;
        else if (hash_path == "HASHES.SHA-1" || hash_path == "HASHES.SHA1") type = x509 ? IndicatorType::kX509 : IndicatorType::kSha1;
        else if (hash_path == "HASHES.SHA-256" || hash_path == "HASHES.SHA256") type = x509 ? IndicatorType::kX509 : IndicatorType::kSha256;
        else if (hash_path == "HASHES.SHA-512" || hash_path == "HASHES.SHA512") type = IndicatorType::kSha512;
    }
    if (!type) return std::optional<PatternIndicator>{};
    if (*type == IndicatorType::kIpv4 && value.ends_with("/32")) value.resize(value.size() - 3);
    if (*type == IndicatorType::kIpv6 && value.ends_with("/128")) value.resize(value.size() - 4);
    auto normal = Normalise(*type, value, "pattern");
    if (!normal) return tl::unexpected(normal.error());
    return std::optional<PatternIndicator>(PatternIndicator{*type, std::move(*normal)});
}

}  // namespace muhafiz::intel
