#include "vulns/purl.hpp"

#include <algorithm>
#include <vector>

namespace muhafiz::vulns {
namespace {

using core::Invalid;

std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
    if (IsDigit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

core::Result<std::string> Decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        const int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
        const int lo = hi >= 0 ? HexValue(s[i + 2]) : -1;
        if (lo < 0) return Invalid("purl", "bad percent-escape in '" + std::string(s) + "'");
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

// Percent-encodes all but the unreserved characters and ':' (never encoded in canonical form).
std::string Encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (IsAlpha(static_cast<char>(c)) || IsDigit(static_cast<char>(c)) || c == '.' || c == '-' ||
            c == '_' || c == '~' || c == ':') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const std::size_t end = s.find(sep, start);
        parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

// Decodes '/'-separated segments, dropping empty ones (and `.`/`..` for subpaths).
core::Result<std::string> DecodePath(std::string_view s, bool subpath) {
    std::string out;
    for (std::string_view seg : Split(s, '/')) {
        if (seg.empty() || (subpath && (seg == "." || seg == ".."))) continue;
        const std::string d = MUHAFIZ_TRY(Decode(seg));
        if (!out.empty()) out += '/';
        out += d;
    }
    return out;
}

bool ValidType(std::string_view t) {
    if (t.empty() || IsDigit(t[0])) return false;
    return std::all_of(t.begin(), t.end(), [](char c) {
        return IsAlpha(c) || IsDigit(c) || c == '.' || c == '+' || c == '-';
    });
}

bool ValidQualifierKey(std::string_view k) {
    if (k.empty() || IsDigit(k[0])) return false;
    return std::all_of(k.begin(), k.end(), [](char c) {
        return IsAlpha(c) || IsDigit(c) || c == '.' || c == '-' || c == '_';
    });
}

}  // namespace

core::Status NormalisePurl(Purl& p) {
    p.type = Lower(p.type);
    if (!ValidType(p.type)) return Invalid("purl", "'" + p.type + "' is not a valid purl type");
    if (p.name.empty()) return Invalid("purl", "a purl needs a name");
    const std::string& t = p.type;
    if (t == "pypi") {
        p.name = Lower(p.name);
        std::replace(p.name.begin(), p.name.end(), '_', '-');
    } else if (t == "npm" || t == "deb" || t == "apk" || t == "alpm" || t == "github" ||
               t == "bitbucket" || t == "composer" || t == "hex" || t == "golang") {
        if (t != "golang") p.name = Lower(p.name);
        p.name_space = Lower(p.name_space);
    } else if (t == "rpm") {
        p.name_space = Lower(p.name_space);
    }
    return core::Ok();
}

core::Result<Purl> ParsePurl(std::string_view text) {
    std::string_view s = text;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    if (s.size() < 4 || Lower(std::string(s.substr(0, 4))) != "pkg:")
        return Invalid("purl", "a purl starts with 'pkg:'");
    s.remove_prefix(4);
    Purl p;
    if (const auto hash = s.find('#'); hash != std::string_view::npos) {
        p.subpath = MUHAFIZ_TRY(DecodePath(s.substr(hash + 1), true));
        s = s.substr(0, hash);
    }
    if (const auto q = s.find('?'); q != std::string_view::npos) {
        for (std::string_view pair : Split(s.substr(q + 1), '&')) {
            if (pair.empty()) continue;
            const auto eq = pair.find('=');
            if (eq == std::string_view::npos)
                return Invalid("purl", "qualifier '" + std::string(pair) + "' has no '='");
            const std::string key = Lower(std::string(pair.substr(0, eq)));
            if (!ValidQualifierKey(key))
                return Invalid("purl", "'" + key + "' is not a valid qualifier key");
            std::string value = MUHAFIZ_TRY(Decode(pair.substr(eq + 1)));
            if (value.empty()) continue;
            if (!p.qualifiers.emplace(key, std::move(value)).second)
                return Invalid("purl", "qualifier '" + key + "' appears twice");
        }
        s = s.substr(0, q);
    }
    while (!s.empty() && s.front() == '/') s.remove_prefix(1);
    while (!s.empty() && s.back() == '/') s.remove_suffix(1);
    const auto slash = s.find('/');
    if (slash == std::string_view::npos) return Invalid("purl", "a purl needs a type and a name");
    p.type = std::string(s.substr(0, slash));
    s = s.substr(slash + 1);
    // The version follows the last '@' of the last segment (an npm scope may hold an '@').
    const auto last_slash = s.rfind('/');
    const auto at = s.rfind('@');
    if (at != std::string_view::npos && (last_slash == std::string_view::npos || at > last_slash)) {
        p.version = MUHAFIZ_TRY(Decode(s.substr(at + 1)));
        s = s.substr(0, at);
    }
    const auto name_start = s.rfind('/');
    p.name = MUHAFIZ_TRY(Decode(name_start == std::string_view::npos ? s : s.substr(name_start + 1)));
    if (name_start != std::string_view::npos)
        p.name_space = MUHAFIZ_TRY(DecodePath(s.substr(0, name_start), false));
    MUHAFIZ_CHECK(NormalisePurl(p));
    return p;
}

std::string Purl::ToString() const {
    std::string out = "pkg:" + type + "/";
    if (!name_space.empty()) {
        for (std::string_view seg : Split(name_space, '/')) out += Encode(seg) + "/";
    }
    out += Encode(name);
    if (!version.empty()) out += "@" + Encode(version);
    if (!qualifiers.empty()) {
        char sep = '?';
        for (const auto& [k, v] : qualifiers) {
            out += sep + k + "=" + Encode(v);
            sep = '&';
        }
    }
    if (!subpath.empty()) {
        out += '#';
        bool first = true;
        for (std::string_view seg : Split(subpath, '/')) {
            if (!first) out += '/';
            out += Encode(seg);
            first = false;
        }
    }
    return out;
}

}  // namespace muhafiz::vulns
