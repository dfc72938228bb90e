#include "feeds/event.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/net.hpp"

namespace muhafiz::feeds {
namespace {

using FT = FieldType;

struct KeyType {
    std::string_view key;
    FieldType type;
};

// Fields of event-format.md §4 (S/D fields for both sides).
const std::unordered_map<std::string_view, FieldType>& Table() {
    static const auto* table = [] {
        auto* t = new std::unordered_map<std::string_view, FieldType>();
        static const KeyType kCommon[] = {
            {"classification.taxonomy", FT::kTaxonomy},
            {"classification.type", FT::kType},
            {"classification.identifier", FT::kString},
            {"source.geolocation.cymru_cc", FT::kCountry},
            {"source.geolocation.geoip_cc", FT::kCountry},
            {"time.source", FT::kDateTime},
            {"time.observation", FT::kDateTime},
            {"feed.name", FT::kString},
            {"feed.provider", FT::kString},
            {"feed.accuracy", FT::kAccuracy},
            {"feed.code", FT::kString},
            {"feed.documentation", FT::kString},
            {"feed.url", FT::kUrl},
            {"malware.name", FT::kLowercase},
            {"malware.version", FT::kString},
            {"malware.hash.md5", FT::kString},
            {"malware.hash.sha1", FT::kString},
            {"malware.hash.sha256", FT::kString},
            {"protocol.application", FT::kLowercase},
            {"protocol.transport", FT::kLowercase},
            {"event_description.text", FT::kString},
            {"event_description.target", FT::kString},
            {"event_description.url", FT::kUrl},
            {"tlp", FT::kTlp},
            {"status", FT::kString},
            {"comment", FT::kString},
            {"raw", FT::kString},
            {"extra", FT::kJson},
            {"event_hash", FT::kUppercase},
            {"screenshot_url", FT::kUrl},
            {"rtir_id", FT::kInteger},
            {"misp.event_uuid", FT::kLowercase},
            {"misp.attribute_uuid", FT::kLowercase},
            {"output", FT::kJson},
            {"severity", FT::kLowercase},
            {"product.vendor", FT::kString},
            {"product.name", FT::kString},
            {"product.version", FT::kString},
            {"product.vulnerabilities", FT::kLowercase},
        };
        for (const auto& k : kCommon) t->emplace(k.key, k.type);
        static const KeyType kSide[] = {
            {"ip", FT::kIp},
            {"port", FT::kPort},
            {"asn", FT::kAsn},
            {"as_name", FT::kString},
            {"network", FT::kNetwork},
            {"allocated", FT::kDateTime},
            {"registry", FT::kRegistry},
            {"fqdn", FT::kFqdn},
            {"domain_suffix", FT::kFqdn},
            {"reverse_dns", FT::kFqdn},
            {"url", FT::kUrl},
            {"urlpath", FT::kString},
            {"local_hostname", FT::kString},
            {"local_ip", FT::kIp},
            {"account", FT::kString},
            {"abuse_contact", FT::kLowercase},
            {"tor_node", FT::kBoolean},
            {"geolocation.cc", FT::kCountry},
            {"geolocation.country", FT::kString},
            {"geolocation.region", FT::kString},
            {"geolocation.state", FT::kString},
            {"geolocation.city", FT::kString},
            {"geolocation.latitude", FT::kFloat},
            {"geolocation.longitude", FT::kFloat},
        };
        static std::vector<std::string> names;  // owns the "source."/"destination." keys
        names.reserve(std::size(kSide) * 2);
        for (const char* side : {"source.", "destination."})
            for (const auto& k : kSide) names.push_back(std::string(side) + std::string(k.key));
        std::size_t i = 0;
        for (int s = 0; s < 2; ++s)
            for (const auto& k : kSide) t->emplace(names[i++], k.type);
        return t;
    }();
    return *table;
}

const std::unordered_map<std::string_view, std::string_view>& TypeTaxonomy() {
    static const auto* table = [] {
        auto* t = new std::unordered_map<std::string_view, std::string_view>();
        const std::pair<std::string_view, std::vector<std::string_view>> groups[] = {
            {"abusive-content", {"spam", "harmful-speech", "violence"}},
            {"availability", {"ddos", "dos", "outage", "sabotage", "misconfiguration"}},
            {"fraud", {"copyright", "masquerade", "phishing", "unauthorized-use-of-resources"}},
            {"information-content-security",
             {"unauthorised-information-access", "unauthorised-information-modification", "data-loss",
              "data-leak"}},
            {"information-gathering", {"scanner", "sniffing", "social-engineering"}},
            {"intrusion-attempts", {"brute-force", "exploit", "ids-alert"}},
            {"intrusions",
             {"application-compromise", "burglary", "privileged-account-compromise", "system-compromise",
              "unprivileged-account-compromise"}},
            {"malicious-code", {"c2-server", "infected-system", "malware-configuration", "malware-distribution"}},
            {"vulnerable",
             {"ddos-amplifier", "information-disclosure", "potentially-unwanted-accessible", "vulnerable-system",
              "weak-crypto"}},
            {"other", {"blacklist", "dga-domain", "malware", "other", "proxy", "tor", "undetermined"}},
            {"test", {"test"}},
        };
        for (const auto& [tax, types] : groups)
            for (auto ty : types) t->emplace(ty, tax);
        return t;
    }();
    return *table;
}

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Inlined: it runs two or three times for every value of every record.
[[gnu::always_inline]] inline std::string_view Trim(std::string_view s) {
    while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
    return s;
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string Upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

core::Status Bad(std::string_view key, std::string message) {
    return core::Invalid(std::string(key), std::string(key) + ": " + std::move(message));
}

bool ParseInt(std::string_view s, std::int64_t& out) {
    if (s.empty()) return false;
    if (s.front() == '+') s.remove_prefix(1);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size()) return true;
    // "12.0" is an integer written as a float.
    double d;
    auto [p2, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec2 != std::errc() || p2 != s.data() + s.size() || d != std::floor(d) || std::fabs(d) > 9e15) return false;
    out = static_cast<std::int64_t>(d);
    return true;
}

bool ParseFloat(std::string_view s, double& out) {
    if (s.empty()) return false;
    if (s.front() == '+') s.remove_prefix(1);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out);
}

std::string FormatFloat(double d) {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, p);
}

// URL: absolute with a host; hxxp(s) rewritten.
core::Result<std::string> SanitiseUrl(std::string_view key, std::string_view v) {
    std::string u(v);
    std::string lower = Lower(u.substr(0, std::min<std::size_t>(u.size(), 8)));
    if (lower.rfind("hxxp://", 0) == 0) u = "http://" + u.substr(7);
    else if (lower.rfind("hxxps://", 0) == 0) u = "https://" + u.substr(8);
    const auto colon = u.find("://");
    if (colon == std::string::npos || colon == 0) return tl::unexpected(Bad(key, "not an absolute URL").error());
    for (std::size_t i = 0; i < colon; ++i) {
        const char c = u[i];
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'))
            return tl::unexpected(Bad(key, "not an absolute URL").error());
        u[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::size_t host_start = colon + 3;
    std::size_t host_end = u.find_first_of("/?#", host_start);
    if (host_end == std::string::npos) host_end = u.size();
    if (host_end == host_start) return tl::unexpected(Bad(key, "the URL has no host").error());
    for (char c : u)
        if (static_cast<unsigned char>(c) <= 0x20) return tl::unexpected(Bad(key, "the URL contains spaces or control characters").error());
    return u;
}

}  // namespace

bool CanonicalDigits(std::string_view s) {
    if (s.empty() || s.size() > 18 || (s[0] == '0' && s.size() > 1)) return false;
    for (const char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::optional<FieldType> TypeOf(std::string_view key) {
    const auto& t = Table();
    auto it = t.find(key);
    if (it == t.end()) return std::nullopt;
    return it->second;
}

bool ValidKey(std::string_view key) {
    if (key.size() < 2) return false;
    bool start = true;
    std::size_t segment = 0;
    for (char c : key) {
        if (c == '.') {
            if (start || segment < 1) return false;
            start = true;
            segment = 0;
            continue;
        }
        const bool lower = c >= 'a' && c <= 'z';
        const bool digit = c >= '0' && c <= '9';
        if (start && !(lower || c == '_') && !digit) return false;
        if (!(lower || digit || c == '_')) return false;
        start = false;
        ++segment;
    }
    return !start;
}

std::optional<std::string_view> TaxonomyOfType(std::string_view type) {
    const auto& t = TypeTaxonomy();
    auto it = t.find(type);
    if (it == t.end()) return std::nullopt;
    return it->second;
}

std::string CanonicalType(std::string_view type) {
    std::string t = Lower(Trim(type));
    static const std::pair<std::string_view, std::string_view> kMap[] = {
        {"botnet drone", "infected-system"}, {"infected system", "infected-system"},
        {"ransomware", "infected-system"},   {"c&c", "c2-server"},
        {"c2server", "c2-server"},           {"ids alert", "ids-alert"},
        {"malware configuration", "malware-configuration"},
        {"leak", "data-leak"},               {"vulnerable client", "vulnerable-system"},
        {"vulnerable service", "vulnerable-system"},
        {"unknown", "undetermined"},         {"blocklist", "blacklist"},
    };
    for (const auto& [from, to] : kMap)
        if (t == from) return std::string(to);
    return t;
}

std::string CanonicalTaxonomy(std::string_view taxonomy) {
    std::string t = Lower(Trim(taxonomy));
    if (t == "abusive content" || t == "information gathering" || t == "intrusion attempts" || t == "malicious code")
        std::replace(t.begin(), t.end(), ' ', '-');
    return t;
}

int SeverityRank(std::string_view s) {
    if (s == "info") return 0;
    if (s == "low") return 1;
    if (s == "medium") return 2;
    if (s == "high") return 3;
    if (s == "critical") return 4;
    return -1;
}

namespace {

// Inlined: ParseEventTime reads six numbers of every timestamp with it.
[[gnu::always_inline]] inline bool Num(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

namespace {

// FormatEventTime written into `out` (at least 48 bytes); returns the length.
std::size_t FormatEventTimeTo(core::Micros t, char* out) {
    std::int64_t secs = t / 1000000;
    std::int64_t frac = t % 1000000;
    if (frac < 0) {
        frac += 1000000;
        --secs;
    }
    std::int64_t days = secs / 86400;
    std::int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    std::int64_t y;
    unsigned m, d;
    core::CivilFromDays(days, y, m, d);
    if (y >= 0 && y <= 9999) {
        // Digits written directly (this runs for every event; snprintf was a visible cost).
        char* b = out;
        std::memcpy(b, "0000-00-00T00:00:00.000000+00:00", 32);
        auto put = [&](int at, std::int64_t v, int width) {
            for (int i = width - 1; i >= 0; --i, v /= 10) b[at + i] = static_cast<char>('0' + v % 10);
        };
        put(0, y, 4);
        put(5, m, 2);
        put(8, d, 2);
        put(11, rem / 3600, 2);
        put(14, rem / 60 % 60, 2);
        put(17, rem % 60, 2);
        if (!frac) {
            std::memcpy(b + 19, "+00:00", 6);
            return 25;
        }
        put(20, frac, 6);
        return 32;
    }
    // Years outside 0..9999 (at most 20 digits): snprintf, into 48 bytes with room to spare.
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d", static_cast<long long>(y), m, d,
                          static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
    std::string text(buf, static_cast<std::size_t>(n));
    if (frac) {
        std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
        text += buf;
    }
    text += "+00:00";
    const std::size_t len = std::min<std::size_t>(text.size(), 47);
    std::memcpy(out, text.data(), len);
    return len;
}

}  // namespace

std::string FormatEventTime(core::Micros t) {
    char b[48];
    return std::string(b, FormatEventTimeTo(t, b));
}

EventTimeText FormatEventTimeText(core::Micros t) {
    EventTimeText text;
    text.size = FormatEventTimeTo(t, text.data);
    return text;
}

bool IsEventTimeText(std::string_view text, core::Micros t) {
    constexpr core::Micros kDay = core::Micros{86400} * 1000000;
    // Whole seconds from 1970 on: "YYYY-MM-DDThh:mm:ss+00:00", the date part formatted once per
    // day (per thread), the time of day compared digit by digit.
    if (t < 0 || t >= core::Micros{253402300800000000} || t % 1000000 != 0 || text.size() != 25)  // (years 1970-9999)
        return text == FormatEventTimeText(t).view();
    struct LastDay {
        core::Micros day = -1;
        char date[11] = {};
    };
    thread_local LastDay last;
    const core::Micros day = t / kDay;
    if (day != last.day) {
        std::memcpy(last.date, FormatEventTimeText(day * kDay).data, 11);  // "YYYY-MM-DDT"
        last.day = day;
    }
    const auto secs = static_cast<int>((t % kDay) / 1000000);
    const int hms[3] = {secs / 3600, secs / 60 % 60, secs % 60};
    const char* p = text.data();
    if (std::memcmp(p, last.date, 11) != 0 || std::memcmp(p + 19, "+00:00", 6) != 0 || p[13] != ':' || p[16] != ':')
        return false;
    for (int i = 0; i < 3; ++i)
        if (p[11 + 3 * i] != '0' + hms[i] / 10 || p[12 + 3 * i] != '0' + hms[i] % 10) return false;
    return true;
}

namespace {
// The canonical text ("YYYY-MM-DDThh:mm:ss+00:00") Sanitise wrote last on this thread, and its
// time: the pipeline reads the time of the event it just sanitised back from that text
// (TimeSource), which then is not parsed again.
struct SanitisedTime {
    char text[25] = {};
    core::Micros t = 0;
    bool valid = false;
};
thread_local SanitisedTime sanitised_time;
// The IPv4 address Sanitise took last on this thread (as it is: the canonical dotted quad), read
// by AddUtf8 right after (Event::SanitisedV4).
struct LastV4 {
    std::string_view text;
    std::uint32_t value = 0;
};
thread_local LastV4 sanitised_v4;
}  // namespace

std::optional<core::Micros> ParseEventTime(std::string_view s) {
    if (s.size() == 25 && sanitised_time.valid && std::memcmp(s.data(), sanitised_time.text, 25) == 0)
        return sanitised_time.t;
    s = Trim(s);
    int h = 0, mi = 0, se = 0;
    // The times of a feed are mostly of a few days: the last valid date's day number is kept
    // (per thread) and reused when the next text starts with the same ten bytes.
    struct LastDate {
        char text[10] = {};
        std::int64_t days = 0;
        bool valid = false;
    };
    thread_local LastDate last;
    std::int64_t days;
    if (last.valid && s.size() >= 10 && std::memcmp(s.data(), last.text, 10) == 0) {
        days = last.days;
    } else {
        int y, mo, d;
        if (!Num(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !Num(s, 5, 2, mo) || s[7] != '-' || !Num(s, 8, 2, d))
            return std::nullopt;
        if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
        static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap)) return std::nullopt;
        days = core::DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
        std::memcpy(last.text, s.data(), 10);
        last.days = days;
        last.valid = true;
    }
    std::size_t i = 10;
    std::int64_t micros = 0;
    if (s.size() == 10) return std::nullopt;  // a date without a time
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return std::nullopt;
    ++i;
    if (!Num(s, i, 2, h) || s.size() < i + 5 || s[i + 2] != ':' || !Num(s, i + 3, 2, mi)) return std::nullopt;
    i += 5;
    if (i < s.size() && s[i] == ':') {
        if (!Num(s, i + 1, 2, se)) return std::nullopt;
        i += 3;
    }
    if (h > 23 || mi > 59 || se > 60) return std::nullopt;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        std::int64_t scale = 100000;
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (scale) micros += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == start) return std::nullopt;
    }
    std::int64_t offset = 0;
    if (i < s.size()) {
        std::string_view z = Trim(s.substr(i));
        if (z == "Z" || z == "z" || z == "UTC" || z == "GMT") {
        } else if ((z[0] == '+' || z[0] == '-') && (z.size() == 6 || z.size() == 5 || z.size() == 3)) {
            int oh, om = 0;
            if (!Num(z, 1, 2, oh)) return std::nullopt;
            if (z.size() == 6) {
                if (z[3] != ':' || !Num(z, 4, 2, om)) return std::nullopt;
            } else if (z.size() == 5) {
                if (!Num(z, 3, 2, om)) return std::nullopt;
            }
            if (oh > 23 || om > 59) return std::nullopt;
            offset = (oh * 3600 + om * 60) * (z[0] == '-' ? -1 : 1);
        } else {
            return std::nullopt;
        }
    }
    const std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset;
    return secs * 1000000 + micros;
}

// ---- Key -----------------------------------------------------------------------------------

namespace {

unsigned __int128 PrefixOf(std::string_view key) {
    unsigned __int128 p = 0;
    const std::size_t n = std::min<std::size_t>(key.size(), 16);
    for (std::size_t i = 0; i < 16; ++i)
        p = (p << 8) | (i < n ? static_cast<unsigned char>(key[i]) : 0u);
    return p;
}

KeyInfo* NewKeyInfo(std::string_view name) {
    auto* k = new KeyInfo();
    k->name = std::string(name);
    k->hash = StableHash(name);
    k->bit = KeyPresenceBit(name);
    k->prefix = PrefixOf(name);
    char len[24];
    auto [end, ec] = std::to_chars(len, len + sizeof len, name.size());
    k->compact.assign(len, end);
    k->compact += ':';
    k->compact += name;
    return k;
}

constexpr std::size_t kMaxInternedKeys = 65536;

// a[0..n) == b[0..n) for keys (mostly 8..32 bytes): overlapping word loads instead of a call.
inline bool SameBytes(const char* a, const char* b, std::size_t n) {
    const auto load = [](const char* p) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        return w;
    };
    if (n >= 8 && n <= 16)
        return load(a) == load(b) && load(a + n - 8) == load(b + n - 8);
    if (n > 16 && n <= 32)
        return load(a) == load(b) && load(a + 8) == load(b + 8) && load(a + n - 16) == load(b + n - 16) &&
               load(a + n - 8) == load(b + n - 8);
    return std::memcmp(a, b, n) == 0;
}

// The process-wide table: KeyInfos are never freed (views into their names are the map's keys).
struct InternTable {
    std::shared_mutex mu;
    std::unordered_map<std::string_view, const KeyInfo*> map;
    std::uint32_t next_index = 0;  // the next dense index (under the unique lock)
    // Interns `info` (the lock held for writing): it gets the next dense index while there is one.
    void Add(KeyInfo* info) {
        if (next_index < kOverflowKeyIndex) info->index = next_index++;
        map.emplace(std::string_view(info->name), info);
    }
};
InternTable& Interned() {
    // The harmonised keys are interned from the start: looking one up (Get/Has) never misses.
    static auto* t = [] {
        auto* table = new InternTable();
        for (const auto& [name, type] : Table()) table->Add(NewKeyInfo(name));
        return table;
    }();
    return *t;
}

// The interned key of `name`; with insert false, nullptr when it is not interned (else nullptr
// only when the table is full).
const KeyInfo* FindKey(std::string_view name, bool insert) {
    // Per thread: a slot per text address (string literals and the parsers' tables come back at
    // the same address; the text is compared, so a reused address cannot give a wrong key), then
    // a map by text, then the shared table.
    struct Slot {
        const char* data = nullptr;
        std::size_t size = 0;
        const KeyInfo* info = nullptr;
    };
    thread_local std::array<Slot, 512> slots;
    thread_local std::unordered_map<std::string_view, const KeyInfo*> local;
    Slot& slot = slots[((reinterpret_cast<std::uintptr_t>(name.data()) >> 3) ^ name.size()) & 511];
    if (name.empty()) return nullptr;  // the empty key is not in the table (Key handles it)
    if (slot.data == name.data() && slot.size == name.size() && SameBytes(slot.info->name.data(), name.data(), name.size()))
        return slot.info;
    const KeyInfo* info = nullptr;
    if (auto it = local.find(name); it != local.end()) {
        info = it->second;
    } else {
        InternTable& t = Interned();
        {
            std::shared_lock lock(t.mu);
            if (auto g = t.map.find(name); g != t.map.end()) info = g->second;
        }
        if (!info) {
            if (!insert) return nullptr;
            std::unique_lock lock(t.mu);
            if (auto g = t.map.find(name); g != t.map.end()) info = g->second;
            else if (t.map.size() >= kMaxInternedKeys) return nullptr;
            else {
                KeyInfo* fresh = NewKeyInfo(name);
                t.Add(fresh);
                info = fresh;
            }
        }
        if (local.size() < 4096) local.emplace(std::string_view(info->name), info);
    }
    slot = Slot{name.data(), name.size(), info};
    return info;
}

}  // namespace

const KeyInfo* Key::EmptyInfo() noexcept {
    static const KeyInfo* empty = NewKeyInfo("");
    return empty;
}

Key::Key() noexcept : info_(EmptyInfo()) {}

const KeyInfo* Key::Clone(const KeyInfo* info) {
    auto* k = new KeyInfo(*info);
    k->index = kOverflowKeyIndex;  // an owned key has no dense index
    k->owned = true;
    return k;
}

Key::Key(std::string_view name) {
    if (name.empty()) {
        info_ = EmptyInfo();
        return;
    }
    info_ = FindKey(name, true);
    if (!info_) {
        KeyInfo* own = NewKeyInfo(name);
        own->owned = true;
        info_ = own;
    }
}

// ---- Event ---------------------------------------------------------------------------------

namespace {

const Key& RawKey() {
    static const Key k("raw");
    return k;
}
const Key& ObservationKey() {
    static const Key k("time.observation");
    return k;
}

// core::NormaliseDomain for the common case, a plain ASCII host name: true when `v` (without one
// trailing dot, which `v` loses) is labels of letters, digits and '-' (not first or last), at
// most 63 bytes each, the last not all digits, i.e. when NormaliseDomain would return `v`
// lower-cased. `upper`: whether it has upper-case letters (else `v` is its canonical form as it
// is). False leaves the case (and its error message) to NormaliseDomain.
bool AsciiHostName(std::string_view& v, bool& upper) {
    if (!v.empty() && v.back() == '.') v.remove_suffix(1);
    if (v.empty() || v.size() > 253) return false;
    std::size_t label = 0;  // length of the current label
    bool digits_only = true;  // the current label
    char prev = '.';
    upper = false;
    for (const char raw : v) {
        if (raw == '.') {
            if (label == 0 || prev == '-') return false;
            label = 0;
            digits_only = true;
            prev = raw;
            continue;
        }
        char c = raw;
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
            upper = true;
        }
        const bool digit = c >= '0' && c <= '9';
        if (!((c >= 'a' && c <= 'z') || digit || c == '-')) return false;
        if (c == '-' && label == 0) return false;
        if (++label > 63) return false;
        if (!digit) digits_only = false;
        prev = c;
    }
    if (prev == '-' || label == 0 || digits_only) return false;
    return true;
}

// Lower/upper case of `v` into `out`.
void LowerInto(std::string_view v, std::string& out) {
    out.resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char c = v[i];
        out[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
}
void UpperInto(std::string_view v, std::string& out) {
    out.resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char c = v[i];
        out[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
}

// The canonical value of `in` for `key` as `type`: `out` views either `in` (trimmed) or
// `scratch` (the caller's buffer, reused between values; valid until its next use) and `kind`
// is its JSON kind. Errors name the key.
core::Status Sanitise(const Key& key, std::string_view in, FieldType type, std::string& scratch, std::string_view& out,
                      JsonKind& kind) {
    std::string_view v = Trim(in);
    kind = JsonKind::kString;
    const auto text = [&](std::string_view t) {
        scratch.assign(t);
        out = scratch;
    };
    switch (type) {
        case FT::kString:
        case FT::kJson:
            out = v;
            break;
        case FT::kLowercase: {
            bool upper = false;
            for (char c : v) upper |= (c >= 'A' && c <= 'Z');
            if (!upper) {
                out = v;
                break;
            }
            LowerInto(v, scratch);
            out = scratch;
            break;
        }
        case FT::kUppercase:
            UpperInto(v, scratch);
            out = scratch;
            break;
        case FT::kCountry:
            // ASCII letters (std::isalpha of the "C" locale, without a call per byte).
            if (v.size() != 2 || static_cast<unsigned char>((v[0] | 0x20) - 'a') > 25 ||
                static_cast<unsigned char>((v[1] | 0x20) - 'a') > 25)
                return Bad(key, "not a two-letter country code: '" + std::string(v) + "'");
            if (v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z') {
                out = v;  // upper case already
                break;
            }
            UpperInto(v, scratch);
            out = scratch;
            break;
        case FT::kInteger:
        case FT::kPort: {
            std::int64_t n;
            if (!ParseInt(v, n)) return Bad(key, "not an integer: '" + std::string(v) + "'");
            if (type == FT::kPort && (n < 0 || n > 65535)) return Bad(key, "port out of range: " + std::string(v));
            kind = JsonKind::kInt;
            if (CanonicalDigits(v)) {
                out = v;  // as to_chars would write it
                break;
            }
            char buf[24];
            text(std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, n).ptr - buf)));
            kind = JsonKind::kInt;
            break;
        }
        case FT::kAsn: {
            std::string_view t = v;
            if (t.size() > 2 && (t[0] == 'A' || t[0] == 'a') && (t[1] == 'S' || t[1] == 's')) t.remove_prefix(2);
            std::int64_t n;
            if (!ParseInt(t, n) || n < 1 || n > 4294967294LL)
                return Bad(key, "not an AS number: '" + std::string(v) + "'");
            kind = JsonKind::kInt;
            if (t.size() == v.size() && CanonicalDigits(v)) {
                out = v;  // as to_chars would write it
                break;
            }
            char buf[24];
            text(std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, n).ptr - buf)));
            kind = JsonKind::kInt;
            break;
        }
        case FT::kFloat:
        case FT::kAccuracy: {
            double d;
            if (!ParseFloat(v, d)) return Bad(key, "not a number: '" + std::string(v) + "'");
            if (type == FT::kAccuracy && (d < 0 || d > 100)) return Bad(key, "accuracy must be 0..100");
            char buf[32];
            text(std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, d).ptr - buf)));
            kind = JsonKind::kFloat;
            break;
        }
        case FT::kBoolean: {
            const std::string l = Lower(v);
            if (l == "true" || l == "1") out = "true";
            else if (l == "false" || l == "0") out = "false";
            else return Bad(key, "not a boolean: '" + std::string(v) + "'");
            kind = JsonKind::kBool;
            break;
        }
        case FT::kDateTime: {
            auto t = ParseEventTime(v);
            if (!t) return Bad(key, "not a timestamp: '" + std::string(v) + "'");
            char buf[48];
            // A valid "YYYY-MM-DD hh:mm:ss" in UTC (seconds below 60) is its canonical text with 'T'
            // and "+00:00": written from its bytes without formatting the time again.
            if ((v.size() == 19 || (v.size() == 20 && v[19] == 'Z') || (v.size() == 25 && v.substr(19) == "+00:00")) &&
                v[4] == '-' && v[7] == '-' && v[13] == ':' && v[16] == ':' && v[17] >= '0' && v[17] <= '5') {
                std::memcpy(buf, v.data(), 19);
                buf[10] = 'T';
                std::memcpy(buf + 19, "+00:00", 6);
                text(std::string_view(buf, 25));
                std::memcpy(sanitised_time.text, buf, 25);
                sanitised_time.t = *t;
                sanitised_time.valid = true;
                break;
            }
            text(std::string_view(buf, FormatEventTimeTo(*t, buf)));
            break;
        }
        case FT::kIp: {
            auto ip = core::ParseIp(v);  // (takes no '/')
            if (!ip) {
                if (v.find('/') != std::string_view::npos)
                    return Bad(key, "an address, not a network, is expected: '" + std::string(v) + "'");
                return Bad(key, "not an IP address: '" + std::string(v) + "'");
            }
            if (!ip->v6 && ip->V4() == 0) return Bad(key, "0.0.0.0 is not an address");
            if (!ip->v6) {
                out = v;  // ParseIp takes only the canonical dotted quad (no leading zeros)
                sanitised_v4 = LastV4{v, ip->V4()};
                break;
            }
            scratch = core::FormatIp(*ip);
            out = scratch;
            break;
        }
        case FT::kNetwork: {
            auto ip = core::ParseIp(v.substr(0, v.find('/')));
            const auto slash = v.find('/');
            if (!ip || slash == std::string_view::npos)
                return Bad(key, "not a network (CIDR): '" + std::string(v) + "'");
            std::int64_t len;
            if (!ParseInt(v.substr(slash + 1), len) || len < 0 || len > (ip->v6 ? 128 : 32))
                return Bad(key, "bad prefix length in '" + std::string(v) + "'");
            scratch = core::FormatPrefix(core::MaskPrefix(*ip, static_cast<int>(len)));
            out = scratch;
            break;
        }
        case FT::kFqdn: {
            // The common case first: a plain ASCII host name (which has no ':' or '/', and whose
            // last label is not all digits, so it is not an address either).
            std::string_view host = v;
            if (bool upper = false; AsciiHostName(host, upper)) {
                if (upper) {
                    LowerInto(host, scratch);
                    out = scratch;
                } else {
                    out = host;  // as it is (a view of the input)
                }
                break;
            }
            if (v.find(':') != std::string_view::npos || v.find('/') != std::string_view::npos)
                return Bad(key, "not a host name: '" + std::string(v) + "'");
            // Without ':' only digits and dots can be an address (a host name is not tried as
            // one: a failed ParseIp builds an error message).
            if (std::all_of(v.begin(), v.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; }) &&
                core::ParseIp(v))
                return Bad(key, "an IP address is not a host name");
            auto d = core::NormaliseDomain(v);
            if (!d) return Bad(key, "not a host name: '" + std::string(v) + "'");
            scratch = std::move(*d);
            out = scratch;
            break;
        }
        case FT::kUrl: {
            auto u = SanitiseUrl(key, v);
            if (!u) return tl::unexpected(u.error());
            scratch = std::move(*u);
            out = scratch;
            break;
        }
        case FT::kRegistry: {
            std::string u = Upper(v);
            if (u == "RIPE-NCC" || u == "RIPENCC") u = "RIPE";
            if (u != "AFRINIC" && u != "APNIC" && u != "ARIN" && u != "LACNIC" && u != "RIPE")
                return Bad(key, "unknown registry '" + std::string(v) + "'");
            text(u);
            break;
        }
        case FT::kTlp: {
            std::string u = Upper(v);
            if (u.rfind("TLP:", 0) == 0) u = u.substr(4);
            if (u == "CLEAR") u = "WHITE";
            if (u == "AMBER+STRICT") u = "AMBER";
            if (u != "WHITE" && u != "GREEN" && u != "AMBER" && u != "RED")
                return Bad(key, "not a TLP level: '" + std::string(v) + "'");
            text(u);
            break;
        }
        case FT::kTaxonomy: {
            std::string t = CanonicalTaxonomy(v);
            static const std::string_view kTax[] = {"abusive-content", "availability", "fraud",
                                                    "information-content-security", "information-gathering",
                                                    "intrusion-attempts", "intrusions", "malicious-code", "other",
                                                    "test", "vulnerable"};
            if (std::find(std::begin(kTax), std::end(kTax), t) == std::end(kTax))
                return Bad(key, "unknown taxonomy '" + std::string(v) + "'");
            text(t);
            break;
        }
        case FT::kType: {
            std::string t = CanonicalType(v);
            if (!TaxonomyOfType(t)) return Bad(key, "unknown classification type '" + std::string(v) + "'");
            text(t);
            break;
        }
    }
    return core::Ok();
}

// The per-thread buffer Sanitise writes into (reused: no allocation per value).
std::string& SanitiseScratch() {
    thread_local std::string scratch;
    return scratch;
}

}  // namespace

static_assert(sizeof(Field) == 32, "a field is a key pointer, a view of its value and its kind");

// ---- Event: value storage --------------------------------------------------------------------

namespace {
// A chunk of an event's value storage: this header, then the bytes.
struct ChunkHeader {
    void* next;  // the chunk before (older), or null
    std::size_t size;  // bytes after the header
};
}  // namespace

void Event::Grow(std::size_t need) {
    // The first chunk as reserved (the parsers reserve about a record's bytes); later ones hold
    // what the stages add (enrichment: a few short values).
    std::size_t size = chunks_ ? 1024 : first_chunk_;
    if (size < need) size = need;
    auto* c = static_cast<ChunkHeader*>(std::malloc(sizeof(ChunkHeader) + size));
    if (!c) throw std::bad_alloc();
    c->next = chunks_;
    c->size = size;
    chunks_ = c;
    cur_ = reinterpret_cast<char*>(c + 1);
    left_ = size;
}

void Event::FreeChunks() noexcept {
    for (void* c = chunks_; c;) {
        void* next = static_cast<ChunkHeader*>(c)->next;
        std::free(c);
        c = next;
    }
    chunks_ = nullptr;
    cur_ = nullptr;
    left_ = 0;
}

void Event::Clear() noexcept {
    if (chunks_) {
        // The oldest chunk (the first, sized for a record) is kept, the later ones freed.
        void* c = chunks_;
        for (void* next; (next = static_cast<ChunkHeader*>(c)->next) != nullptr; c = next) std::free(c);
        auto* h = static_cast<ChunkHeader*>(c);
        if (h->size > kKeptChunkBytes) {
            std::free(c);
            chunks_ = nullptr;
            cur_ = nullptr;
            left_ = 0;
        } else {
            chunks_ = c;
            cur_ = reinterpret_cast<char*>(h + 1);
            left_ = h->size;
        }
    }
    first_chunk_ = 512;
    present_ = {};
    if (fields_.capacity() > kKeptFields) std::vector<Field>().swap(fields_);
    else fields_.clear();
    shared_.reset();
    shared_mask_ = 0;
    borrowed_ = {};
    v4_ = {};
    raw_bytes_ = {};
    has_raw_bytes_ = false;
    raw_text_ = false;
    if (raw_base64_text_.capacity() > kKeptChunkBytes) std::string().swap(raw_base64_text_);
    else raw_base64_text_.clear();
    raw_base64_ = Field{};
    raw_base64_valid_ = false;
}

void Event::RenewStorage(std::size_t bytes) noexcept {
    // Grown by half at least: an event reused for record after record settles on a size that
    // fits them.
    const std::size_t old = chunks_ ? static_cast<ChunkHeader*>(chunks_)->size : 0;
    FreeChunks();
    const std::size_t want = (std::max(bytes, old + old / 2) + 63) & ~std::size_t{63};
    first_chunk_ = static_cast<std::uint32_t>(std::min<std::size_t>(want, std::size_t{1} << 20));
}

Event::Event(const Event& o)
    : present_(o.present_),
      fields_(o.fields_),
      shared_(o.shared_),
      shared_mask_(o.shared_mask_),
      first_chunk_(o.first_chunk_),
      v4_(o.v4_),
      has_raw_bytes_(o.has_raw_bytes_),
      raw_text_(o.raw_text_) {
    std::size_t total = o.raw_bytes_.size();
    for (const Field& f : fields_) total += f.value.size();
    if (total) Grow(total);
    for (Field& f : fields_) f.value = Store(f.value);  // from o's storage into this one's
    raw_bytes_ = Store(o.raw_bytes_);
}

Event::Event(Event&& o) noexcept
    : present_(o.present_),
      fields_(std::move(o.fields_)),
      shared_(std::move(o.shared_)),
      shared_mask_(o.shared_mask_),
      chunks_(o.chunks_),
      cur_(o.cur_),
      left_(o.left_),
      first_chunk_(o.first_chunk_),
      borrowed_(o.borrowed_),
      v4_(o.v4_),
      raw_bytes_(o.raw_bytes_),
      has_raw_bytes_(o.has_raw_bytes_),
      raw_text_(o.raw_text_) {
    o.borrowed_ = {};
    o.raw_bytes_ = {};
    o.chunks_ = nullptr;
    o.cur_ = nullptr;
    o.left_ = 0;
    o.fields_.clear();
    o.shared_mask_ = 0;
    o.present_ = {};
    o.has_raw_bytes_ = false;
    o.raw_base64_valid_ = false;
}

Event& Event::operator=(const Event& o) {
    if (this != &o) {
        Event copy(o);
        *this = std::move(copy);
    }
    return *this;
}

Event& Event::operator=(Event&& o) noexcept {
    if (this == &o) return *this;
    FreeChunks();
    present_ = o.present_;
    fields_ = std::move(o.fields_);
    shared_ = std::move(o.shared_);
    shared_mask_ = o.shared_mask_;
    o.shared_mask_ = 0;
    chunks_ = o.chunks_;
    cur_ = o.cur_;
    left_ = o.left_;
    first_chunk_ = o.first_chunk_;
    borrowed_ = o.borrowed_;
    o.borrowed_ = {};
    v4_ = o.v4_;
    raw_bytes_ = o.raw_bytes_;
    o.raw_bytes_ = {};
    has_raw_bytes_ = o.has_raw_bytes_;
    raw_text_ = o.raw_text_;
    raw_base64_valid_ = false;
    raw_base64_ = Field{};
    raw_base64_text_.clear();
    o.chunks_ = nullptr;
    o.cur_ = nullptr;
    o.left_ = 0;
    o.fields_.clear();
    o.present_ = {};
    o.has_raw_bytes_ = false;
    o.raw_base64_valid_ = false;
    return *this;
}

Event::~Event() { FreeChunks(); }

void Event::Prefetch() const noexcept {
    const char* f = reinterpret_cast<const char*>(fields_.data());
    const std::size_t fb = fields_.size() * sizeof(Field);
    for (std::size_t i = 0; i < fb; i += 64) __builtin_prefetch(f + i);
    if (chunks_) {
        const char* b = static_cast<const char*>(chunks_);
        for (const char* p = b; p < cur_ && p < b + 4096; p += 64) __builtin_prefetch(p);
    }
}

void FieldList::Own() {
    std::size_t total = 0;
    for (const Field& f : *this) total += f.value.size();
    auto storage = std::make_shared<std::string>();
    storage->reserve(total);
    for (const Field& f : *this) storage->append(f.value);
    std::size_t at = 0;
    for (Field& f : *this) {
        const std::size_t n = f.value.size();
        f.value = std::string_view(storage->data() + at, n);
        at += n;
    }
    storage_ = std::move(storage);
}

// ---- Event: fields ---------------------------------------------------------------------------

core::Status Event::Set(std::string_view key, std::string_view value) {
    if (has_raw_bytes_ && key == "raw") Remove("raw");
    if (Trim(value).empty()) {
        Remove(key);
        return core::Ok();
    }
    if (!IsUtf8(value)) return Bad(key, "the value is not valid UTF-8");
    FieldType type = FT::kString;
    if (auto t = TypeOf(key)) {
        type = *t;
    } else if (key.rfind("extra.", 0) == 0) {
        if (!ValidKey(key)) return Bad(key, "not a valid key name");
    } else {
        return Bad(key, "not a field of the harmonised format (put feed-specific data under extra.)");
    }
    const Key k(key);
    std::string_view v;
    JsonKind kind;
    MUHAFIZ_CHECK(Sanitise(k, value, type, SanitiseScratch(), v, kind));
    if (v.empty()) {
        Remove(key);
        return core::Ok();
    }
    SetRaw(k, v, kind);
    return core::Ok();
}

core::Status Event::Add(const Key& key, std::string_view value, FieldType type) {
    if (Trim(value).empty()) {
        if (has_raw_bytes_ && key == RawKey()) Remove("raw");
        return core::Ok();
    }
    if (!IsUtf8(value)) {
        if (has_raw_bytes_ && key == RawKey()) Remove("raw");
        return Bad(key, "the value is not valid UTF-8");
    }
    return AddUtf8(key, value, type);
}

core::Status Event::AddUtf8(const Key& key, std::string_view value, FieldType type) {
    if (has_raw_bytes_ && key == RawKey()) Remove("raw");
    if (Trim(value).empty()) return core::Ok();
    std::string_view v;
    JsonKind kind;
    if (type == FieldType::kIp) sanitised_v4.text = {};
    MUHAFIZ_CHECK(Sanitise(key, value, type, SanitiseScratch(), v, kind));
    if (v.empty()) return core::Ok();
    Append(key, v, kind);
    if (type == FieldType::kIp && !sanitised_v4.text.empty() && sanitised_v4.text.size() <= sizeof v4_.text) {
        std::memcpy(v4_.text, sanitised_v4.text.data(), sanitised_v4.text.size());
        v4_.size = static_cast<std::uint8_t>(sanitised_v4.text.size());
        v4_.value = sanitised_v4.value;
    }
    return core::Ok();
}

namespace {
std::uint64_t SharedHashTerm(const Field& f);  // Event::Hash's term of one field
}  // namespace

void Event::SetRaw(const Key& key, std::string_view value, JsonKind kind) {
    if (has_raw_bytes_ && key == RawKey()) Remove("raw");
    const KeyInfo& info = key.info();
    if (Marked(info))
        for (auto& existing : fields_)
            if (existing.key == key) {
                existing.value = Store(value);
                existing.kind = kind;
                return;
            }
    // The same value as the shared field of the key: nothing changes.
    if (const Field* f = SharedField(info); f && f->kind == kind && f->value == value) return;
    Append(key, value, kind);
}

std::shared_ptr<const SharedFields> SharedFields::Make(std::vector<Field> fields) {
    if (fields.size() > 64) throw std::invalid_argument("at most 64 shared fields");
    static std::atomic<std::uint64_t> serials{0};
    auto s = std::make_shared<SharedFields>();
    s->serial_ = ++serials;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const KeyInfo& k = fields[i].key.info();
        if (!fields[i].key.interned() || k.index == kOverflowKeyIndex || fields[i].key == RawKey())
            throw std::invalid_argument("a shared field needs a harmonised key: " + k.name);
        s->slots_[k.index] |= std::uint64_t{1} << i;
        s->key_bits_[k.index >> 6] |= std::uint64_t{1} << (k.index & 63);
    }
    s->fields_.assign(fields.begin(), fields.end());
    s->fields_.Own();
    s->hash_terms_.reserve(s->fields_.size());
    for (const Field& f : s->fields_)
        s->hash_terms_.push_back(f.key == ObservationKey() ? 0 : SharedHashTerm(f));
    return s;
}

void Event::ShareFields(const std::shared_ptr<const SharedFields>& shared, std::uint64_t mask) {
    if (shared_ != shared) {
        // The fields of another list become the event's own.
        if (shared_mask_) {
            const std::shared_ptr<const SharedFields> old = std::move(shared_);
            const std::uint64_t m = shared_mask_;
            shared_mask_ = 0;
            for (std::uint64_t b = m; b; b &= b - 1) {
                const Field& f = old->fields()[static_cast<std::size_t>(__builtin_ctzll(b))];
                Append(f.key, f.value, f.kind);
            }
        }
        shared_ = shared;
    }
    if (!shared_) return;
    const auto& sf = shared_->fields();
    if (sf.size() < 64) mask &= (std::uint64_t{1} << sf.size()) - 1;
    // Only for the keys the event has itself (their presence bits; the list's keys all have a
    // dense index): replace its value by the shared one.
    for (std::size_t w = 0; w < present_.size(); ++w) {
        for (std::uint64_t o = present_[w] & shared_->key_bits()[w]; o; o &= o - 1) {
            const std::uint64_t slots = shared_->SlotsAt(static_cast<std::uint32_t>(w * 64 + __builtin_ctzll(o)));
            if (!(slots & mask)) continue;
            const Field& f = sf[static_cast<std::size_t>(__builtin_ctzll(slots & mask))];
            // Replaced as SetRaw would: the own value takes the shared one.
            for (auto& existing : fields_)
                if (existing.key == f.key) {
                    existing.value = Store(f.value);
                    existing.kind = f.kind;
                    break;
                }
            mask &= ~slots;
        }
    }
    shared_mask_ |= mask;
}

void Event::SetExtra(std::string_view name, std::string_view value, JsonKind kind) {
    char buf[128];
    if (name.size() + 6 <= sizeof buf) {
        std::memcpy(buf, "extra.", 6);
        std::memcpy(buf + 6, name.data(), name.size());
        Append(Key(std::string_view(buf, name.size() + 6)), value, kind);
        return;
    }
    std::string key;
    key.reserve(6 + name.size());
    key += "extra.";
    key += name;
    Append(Key(key), value, kind);
}

void Event::SetRawBytes(std::string_view bytes, bool text) {
    if (has_raw_bytes_ || (!fields_.empty() && HasOwnKey(RawKey()))) Remove("raw");
    raw_bytes_ = Store(bytes);
    raw_text_ = text;
    has_raw_bytes_ = true;
    raw_base64_valid_ = false;
}

const Field* Event::RawField() const {
    if (!has_raw_bytes_) return nullptr;
    if (!raw_base64_valid_) {
        raw_base64_text_ = Base64Encode(raw_bytes_);
        raw_base64_.key = RawKey();
        raw_base64_.value = raw_base64_text_;
        raw_base64_.kind = JsonKind::kString;
        raw_base64_valid_ = true;
    }
    return &raw_base64_;
}

void Event::Remove(std::string_view key) {
    if (key == "raw" && has_raw_bytes_) {
        has_raw_bytes_ = false;
        raw_base64_valid_ = false;
        raw_bytes_ = {};
        raw_base64_ = Field{};
        raw_base64_text_.clear();
    }
    if (key.empty()) return;
    if (const KeyInfo* info = FindKey(key, false)) {
        if (shared_mask_) Unshare(*info);
        if (!Marked(*info)) return;
        fields_.erase(std::remove_if(fields_.begin(), fields_.end(), [&](const Field& f) { return &f.key.info() == info; }),
                      fields_.end());
        Unmark(*info);
        return;
    }
    // Not interned: only keys that own their text (all with the overflow bit) can have it.
    if (!Marked(Key().info())) return;
    fields_.erase(std::remove_if(fields_.begin(), fields_.end(), [&](const Field& f) { return f.key == key; }),
                  fields_.end());
}

const Field* Event::FindOwnField(const Key& key) const {
    for (const auto& f : fields_)
        if (f.key == key) return &f;
    return SharedField(key.info());  // (none for a key without a dense index)
}

const std::string_view* Event::Find(const Key& key) const {
    if (const Field* f = FindField(key)) return &f->value;
    if (has_raw_bytes_ && key == RawKey()) return &RawField()->value;
    return nullptr;
}

const std::string_view* Event::Get(std::string_view key) const {
    // A text is either interned (every Key of it is the one pointer) or never (every Key of
    // it owns a copy): compare pointers when it is, texts otherwise.
    if (const KeyInfo* info = key.empty() ? nullptr : FindKey(key, false)) {
        if (Marked(*info)) {
            for (const auto& f : fields_)
                if (&f.key.info() == info) return &f.value;
        } else if (const Field* f = SharedField(*info)) {
            return &f->value;
        }
    } else if (Marked(Key().info())) {
        for (const auto& f : fields_)
            if (f.key == key) return &f.value;
    }
    if (has_raw_bytes_ && key == "raw") return &RawField()->value;
    return nullptr;
}

void Event::CompleteClassification() {
    const std::string_view* type = Get("classification.type");
    if (!type) {
        SetRaw("classification.type", "undetermined");
        if (!Has("classification.taxonomy")) SetRaw("classification.taxonomy", "other");
        return;
    }
    if (auto tax = TaxonomyOfType(*type)) SetRaw("classification.taxonomy", std::string(*tax));
}

namespace {

void AppendJsonValue(std::string& out, const Field& f) {
    switch (f.kind) {
        case JsonKind::kInt:
        case JsonKind::kFloat:
        case JsonKind::kBool:
            out += f.value;
            return;
        case JsonKind::kString:
            break;
    }
    out += '"';
    // Runs of characters that need no escape are appended at once (most values have none).
    const std::string_view v = f.value;
    std::size_t run = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(v[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(v, run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                }
        }
    }
    out.append(v, run, v.size() - run);
    out += '"';
}

// The first 16 bytes of a key as a big-endian number (zero-padded, computed once per key):
// comparing these orders keys as std::string does, except between keys sharing 16 bytes, which
// are compared in full.
unsigned __int128 KeyPrefix(const Key& key) { return key.info().prefix; }

std::vector<const Field*> Sorted(const Event::FieldRange& fields, const Field* extra = nullptr) {
    struct Item {
        unsigned __int128 prefix;
        const Field* field;
    };
    std::vector<Item> items;
    items.reserve(fields.size() + 1);
    for (const auto& f : fields) items.push_back({KeyPrefix(f.key), &f});
    if (extra) items.push_back({KeyPrefix(extra->key), extra});
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        if (a.prefix != b.prefix) return a.prefix < b.prefix;
        if (const int c = a.field->key.view().compare(b.field->key.view())) return c < 0;
        // A key twice (a report with two columns of one field): by value, so that the text does
        // not depend on the order the fields were set or stored in.
        return a.field->value < b.field->value;
    });
    std::vector<const Field*> v;
    v.reserve(fields.size());
    for (const auto& i : items) v.push_back(i.field);
    return v;
}

}  // namespace

std::string Event::ToJson() const {
    std::string out;
    std::size_t size = 2;
    for (const Field& f : fields()) size += f.key.size() + f.value.size() + 6;
    const Field* raw = RawField();
    if (raw) size += raw->value.size() + 9;
    out.reserve(size + 16);
    out += '{';
    bool first = true;
    for (const Field* f : Sorted(fields(), raw)) {
        if (!first) out += ',';
        first = false;
        out += '"';
        out += f->key.view();
        out += "\":";
        AppendJsonValue(out, *f);
    }
    out += '}';
    return out;
}

core::json::object Event::ToJsonObject() const {
    core::json::object o;
    for (const Field* f : Sorted(fields(), RawField())) {
        switch (f->kind) {
            case JsonKind::kInt: {
                std::int64_t n = 0;
                ParseInt(f->value, n);
                o[f->key.view()] = n;
                break;
            }
            case JsonKind::kFloat: {
                double d = 0;
                ParseFloat(f->value, d);
                o[f->key.view()] = d;
                break;
            }
            case JsonKind::kBool:
                o[f->key.view()] = f->value == "true";
                break;
            case JsonKind::kString:
                o[f->key.view()] = f->value;
                break;
        }
    }
    return o;
}

namespace {

core::Status Flatten(const core::json::object& obj, const std::string& prefix, Event& e) {
    for (const auto& [k, v] : obj) {
        std::string key = prefix.empty() ? std::string(k) : prefix + "." + std::string(k);
        if (v.is_null()) continue;
        if (v.is_object()) {
            MUHAFIZ_CHECK(Flatten(v.as_object(), key, e));
            continue;
        }
        if (key == "extra" && v.is_string()) {
            auto inner = core::ParseJsonObject(v.as_string());
            if (!inner) return Bad("extra", "extra must be a JSON object");
            MUHAFIZ_CHECK(Flatten(*inner, "extra", e));
            continue;
        }
        if (key.rfind("extra.", 0) == 0) {
            if (!ValidKey(key)) return Bad(key, "not a valid key name");
            if (v.is_int64() || v.is_uint64()) {
                e.SetExtra(key.substr(6), core::ToJson(v), JsonKind::kInt);
            } else if (v.is_double()) {
                e.SetExtra(key.substr(6), FormatFloat(v.as_double()), JsonKind::kFloat);
            } else if (v.is_bool()) {
                e.SetExtra(key.substr(6), v.as_bool() ? "true" : "false", JsonKind::kBool);
            } else if (v.is_string()) {
                if (!v.as_string().empty()) e.SetExtra(key.substr(6), std::string(v.as_string()));
            } else {
                e.SetExtra(key.substr(6), core::ToJson(v));
            }
            continue;
        }
        std::string text;
        if (v.is_string()) text = std::string(v.as_string());
        else if (v.is_bool()) text = v.as_bool() ? "true" : "false";
        else if (v.is_double()) text = FormatFloat(v.as_double());
        else if (v.is_array()) return Bad(key, "arrays are only allowed under extra");
        else text = core::ToJson(v);
        if (key == "raw") {
            e.SetRaw("raw", text);
            continue;
        }
        MUHAFIZ_CHECK(e.Set(key, text));
    }
    return core::Ok();
}

}  // namespace

core::Result<Event> Event::FromJson(const core::json::object& object) {
    Event e;
    MUHAFIZ_CHECK(Flatten(object, "", e));
    return e;
}

core::Result<Event> Event::FromJsonText(std::string_view text) {
    auto o = core::ParseJsonObject(text);
    if (!o) return tl::unexpected(o.error());
    return FromJson(*o);
}

std::uint64_t StableHash(std::string_view data, std::uint64_t h) {
    for (unsigned char c : data) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

namespace {
inline std::uint64_t Mix(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}
}  // namespace

namespace {

// StableHash(value, StableHash(key) ^ 0x1f) of a field: FNV-1a goes byte by byte (a dependent
// multiply per byte), and the long values of a feed's events are mostly the same few texts (the
// report's constants: feed.documentation, feed.name, classification, ...). So the hashes of values
// of 16 bytes and more are kept in a small per-thread table by key and value bytes (a hit
// compares the bytes, so it is exact); an entry that has been hit is replaced only after misses
// have worn its count down, so values that never repeat do not push out those that do.
std::uint64_t CachedValueHash(const Field& f) {
    const KeyInfo& k = f.key.info();
    const std::string_view v = f.value;
    struct Slot {
        const KeyInfo* key = nullptr;
        std::uint32_t hits = 0;
        std::uint64_t hash = 0;
        std::string value;
    };
    constexpr std::size_t kSlots = 256;
    thread_local std::array<Slot, kSlots> table;
    // Keys whose values rarely repeat (a host name, a time) are hashed without the table, whose
    // look-up and copy of each new value would be wasted: per key (dense index), the hits and
    // misses of its last 256 look-ups; with fewer than 1 hit in 16, 255 of the next 256 values
    // skip the table (the 256th looks again, so a key whose values start to repeat comes back).
    struct KeyUse {
        std::uint16_t hits = 0, lookups = 0, skipped = 0;
        bool skip = false;
    };
    thread_local std::array<KeyUse, kDenseKeys> use;
    KeyUse& u = use[k.index];
    if (u.skip && ++u.skipped != 256) return StableHash(v, k.hash ^ 0x1f);
    u.skipped = 0;
    if (++u.lookups == 256) {
        u.skip = u.hits < 16;
        u.hits = 0;
        u.lookups = 0;
    }
    std::uint64_t head, tail;
    std::memcpy(&head, v.data(), 8);
    std::memcpy(&tail, v.data() + v.size() - 8, 8);
    const std::uint64_t mix = (reinterpret_cast<std::uintptr_t>(&k) ^ (head * 0x9E3779B97F4A7C15ULL) ^
                               (tail * 0xC2B2AE3D27D4EB4FULL) ^ v.size()) *
                              0xff51afd7ed558ccdULL;
    Slot& slot = table[mix >> 56];
    if (slot.key == &k && slot.value.size() == v.size() && std::memcmp(slot.value.data(), v.data(), v.size()) == 0) {
        if (slot.hits < 64) ++slot.hits;
        ++u.hits;
        return slot.hash;
    }
    const std::uint64_t hash = StableHash(v, k.hash ^ 0x1f);
    if (slot.hits > 0) {
        --slot.hits;
    } else if (v.size() <= 512) {
        slot.key = &k;
        slot.value.assign(v);
        slot.hash = hash;
    }
    return hash;
}

inline std::uint64_t FieldValueHash(const Field& f) {
    if (f.value.size() < 16 || !f.key.interned()) return StableHash(f.value, f.key.info().hash ^ 0x1f);
    return CachedValueHash(f);
}

std::uint64_t SharedHashTerm(const Field& f) { return Mix(StableHash(f.value, f.key.info().hash ^ 0x1f)); }

}  // namespace

std::uint64_t Event::Hash(const std::vector<std::string>& only, const std::vector<std::string_view>& skip) const {
    // A sum of per-field hashes: independent of the order of the fields, so no sort is needed.
    // StableHash(key) is computed once per interned key (KeyInfo::hash), and the keys of `only`
    // and `skip` are interned once per call, so each field is tested by pointer comparisons.
    // The result is exactly that of the per-field formula (stored dedup hashes do not change).
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    thread_local std::vector<Key> only_keys, skip_keys;
    only_keys.clear();
    skip_keys.clear();
    for (const auto& k : only) only_keys.emplace_back(k);
    for (const auto& k : skip) skip_keys.emplace_back(k);
    const auto listed = [](const std::vector<Key>& keys, const Key& k) {
        for (const Key& x : keys)
            if (x == k) return true;
        return false;
    };
    const Key& obs = ObservationKey();
    const Key& raw = RawKey();
    auto field_hash = [&](const Field& f) {
        if (!only_keys.empty()) {
            if (!listed(only_keys, f.key)) return;
        } else {
            if (f.key == obs || f.key == raw) return;
        }
        if (!skip_keys.empty() && listed(skip_keys, f.key)) return;
        h += Mix(FieldValueHash(f));
    };
    if (has_raw_bytes_ && !only_keys.empty() && listed(only_keys, raw)) field_hash(*RawField());
    for (const Field& f : fields_) field_hash(f);
    if (shared_mask_) {
        if (only_keys.empty() && skip_keys.empty()) {
            // Each shared field's term computed once (time.observation's is 0), and their sum once
            // per list and mask (kept per thread: the events of a report have few masks).
            struct TermSum {
                std::uint64_t serial = 0, mask = 0, sum = 0;
            };
            thread_local std::array<TermSum, 64> sums;
            const std::uint64_t serial = shared_->serial();
            TermSum& c = sums[((shared_mask_ ^ serial) * 0x9E3779B97F4A7C15ULL) >> 58];
            if (c.serial != serial || c.mask != shared_mask_) {
                c = TermSum{serial, shared_mask_, 0};
                for (std::uint64_t b = shared_mask_; b; b &= b - 1)
                    c.sum += shared_->hash_term(static_cast<std::size_t>(__builtin_ctzll(b)));
            }
            h += c.sum;
        } else {
            for (std::uint64_t b = shared_mask_; b; b &= b - 1)
                field_hash(shared_->fields()[static_cast<std::size_t>(__builtin_ctzll(b))]);
        }
    }
    return Mix(h);
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string Base64Encode(std::string_view in) {
    std::string out((in.size() + 2) / 3 * 4, '=');
    char* o = out.data();
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const std::uint32_t n = (std::uint32_t(p[i]) << 16) | (std::uint32_t(p[i + 1]) << 8) | p[i + 2];
        *o++ = kB64[n >> 18];
        *o++ = kB64[(n >> 12) & 63];
        *o++ = kB64[(n >> 6) & 63];
        *o++ = kB64[n & 63];
    }
    if (i < in.size()) {
        std::uint32_t n = std::uint32_t(p[i]) << 16;
        if (i + 1 < in.size()) n |= std::uint32_t(p[i + 1]) << 8;
        *o++ = kB64[n >> 18];
        *o++ = kB64[(n >> 12) & 63];
        if (i + 1 < in.size()) *o++ = kB64[(n >> 6) & 63];
    }
    return out;
}

bool Base64Decode(std::string_view in, std::string& out) {
    out.clear();
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=' || c == '\n' || c == '\r') continue;
        const char* p = std::strchr(kB64, c);
        if (!p || c == 0) return false;
        acc = (acc << 6) | static_cast<std::uint32_t>(p - kB64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return true;
}

bool IsUtf8(std::string_view s) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        // Sixteen, then eight ASCII bytes at a time (almost all text of the feeds is ASCII).
        if (i + 16 <= n) {
            std::uint64_t a, b;
            std::memcpy(&a, s.data() + i, 8);
            std::memcpy(&b, s.data() + i + 8, 8);
            if (((a | b) & 0x8080808080808080ULL) == 0) {
                i += 16;
                continue;
            }
        }
        if (i + 8 <= n) {
            std::uint64_t w;
            std::memcpy(&w, s.data() + i, 8);
            if ((w & 0x8080808080808080ULL) == 0) {
                i += 8;
                continue;
            }
        }
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        int len;
        std::uint32_t cp;
        if ((c & 0xe0) == 0xc0) len = 2, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0) len = 3, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0) len = 4, cp = c & 0x07;
        else return false;
        if (i + static_cast<std::size_t>(len) > n) return false;
        for (int k = 1; k < len; ++k) {
            const unsigned char cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += static_cast<std::size_t>(len);
    }
    return true;
}


// ---- Compact stored form ----------------------------------------------------------------------

namespace {

char KindChar(JsonKind k) {
    switch (k) {
        case JsonKind::kInt: return 'i';
        case JsonKind::kFloat: return 'f';
        case JsonKind::kBool: return 'b';
        case JsonKind::kString: break;
    }
    return 's';
}

void AppendLen(std::string& out, std::size_t n) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, p);
    out += ':';
}

void AppendCompactField(std::string& out, const Field& f) {
    out += KindChar(f.kind);
    out += f.key.info().compact;  // key length ':' key, written once per key
    AppendLen(out, f.value.size());
    out += f.value;
}

std::size_t DecimalDigits(std::size_t n) {
    std::size_t d = 1;
    for (; n >= 10; n /= 10) ++d;
    return d;
}

// A number then ':' at `pos` of `s` (pos moves past them).
bool ReadNumber(std::string_view s, std::size_t& pos, std::size_t& n) {
    const char* b = s.data() + pos;
    auto [p, ec] = std::from_chars(b, s.data() + s.size(), n);
    if (ec != std::errc() || p == b || p >= s.data() + s.size() || *p != ':') return false;
    pos = static_cast<std::size_t>(p - s.data()) + 1;
    return true;
}

// A length then ':' (as ReadNumber), of at most the bytes left.
bool ReadLen(std::string_view s, std::size_t& pos, std::size_t& n) { return ReadNumber(s, pos, n) && n <= s.size() - pos; }

// The fields of `s` from `pos`: their values are views of `s`; `keys`: the base's key list, which
// fields in capitals refer to. With `end`, reading stops at a base's key list or raw template
// ('d' or 'r', CompactBase), whose position `end` receives (else the size of s).
core::Status ReadCompactFields(std::string_view s, std::size_t pos, std::vector<Field>& out,
                               std::size_t* end = nullptr, std::span<const Key> keys = {}) {
    if (end) *end = s.size();
    while (pos < s.size()) {
        Field f;
        if (end && (s[pos] == 'd' || s[pos] == 'r')) {
            *end = pos;
            break;
        }
        const char c = s[pos];
        switch (c | 0x20) {  // (lower case)
            case 's': f.kind = JsonKind::kString; break;
            case 'i': f.kind = JsonKind::kInt; break;
            case 'f': f.kind = JsonKind::kFloat; break;
            case 'b': f.kind = JsonKind::kBool; break;
            default: return core::Invalid("data", "the stored event is damaged (unknown field kind)");
        }
        ++pos;
        std::size_t n = 0;
        if (c >= 'a') {
            if (!ReadLen(s, pos, n)) return core::Invalid("data", "the stored event is damaged (key length)");
            f.key = Key(std::string_view(s.data() + pos, n));
            pos += n;
        } else {
            if (!ReadNumber(s, pos, n)) return core::Invalid("data", "the stored event is damaged (key number)");
            if (n >= keys.size()) return core::Invalid("data", "the stored event does not fit its base (key number)");
            f.key = keys[n];
        }
        if (!ReadLen(s, pos, n)) return core::Invalid("data", "the stored event is damaged (value length)");
        f.value = std::string_view(s.data() + pos, n);
        pos += n;
        out.push_back(std::move(f));
    }
    return core::Ok();
}

bool SameField(const Field& a, const Field& b) { return a.kind == b.kind && a.key == b.key && a.value == b.value; }

constexpr std::size_t kMaxBaseKeys = 255;  // (CompactBase::keys; numbered in a byte below)

// Keys whose values are (nearly) always particular to one event: never part of a base.
bool PerEventKey(std::string_view k) {
    return k == "raw" || k == "time.source" || k == "time.observation" || k.ends_with(".ip") ||
           k.ends_with(".reverse_dns") || k.ends_with(".url") || k.ends_with(".fqdn") || k.ends_with(".network");
}

}  // namespace

CompactBase MakeCompactBase(const std::vector<const Event*>& sample) {
    CompactBase base;
    if (sample.empty()) return base;
    struct Count {
        const Field* field;
        std::size_t n;
    };
    std::vector<Count> counts;
    for (const Event* e : sample) {
        for (const Field& f : e->fields()) {
            if (PerEventKey(f.key)) continue;
            bool found = false;
            for (auto& c : counts)
                if (SameField(*c.field, f)) {
                    ++c.n;
                    found = true;
                    break;
                }
            if (!found && counts.size() < 256) counts.push_back({&f, 1});
        }
    }
    for (const auto& c : counts) {
        if (c.n * 2 < sample.size() + 1 || base.fields.size() >= 64) continue;
        // (A sample's event with two values of a key counts both: one of them.)
        bool dup = false;
        for (const auto& b : base.fields)
            if (b.key == c.field->key) dup = true;
        if (dup) continue;
        base.fields.push_back(*c.field);
    }
    // Then the other values that come back in at least 1 of 8 events (a column with a few values:
    // the server, the port): a key may have several values in a base, of which an event's first
    // field of the key takes one.
    // (The counted fields are distinct, and those of the first pass are counted in more than half.)
    for (const auto& c : counts) {
        if (base.fields.size() >= 64) break;
        if (c.n * 2 >= sample.size() + 1 || c.n < 2 || c.n * 8 < sample.size()) continue;
        base.fields.push_back(*c.field);
    }
    // The key list: every interned key of the sample (a key the table could not hold is written
    // in full).
    std::array<std::uint64_t, kDenseKeys / 64> listed{};
    for (const Event* e : sample)
        for (const Field& f : e->fields()) {
            const std::uint32_t x = f.key.info().index;
            if (x == kOverflowKeyIndex || base.keys.size() == kMaxBaseKeys || ((listed[x >> 6] >> (x & 63)) & 1)) continue;
            listed[x >> 6] |= std::uint64_t{1} << (x & 63);
            base.keys.push_back(f.key);
        }
    if (base.fields.empty() && base.keys.empty()) return base;
    base.fields.Own();  // the sample's events may go before the base
    for (const auto& f : base.fields) AppendCompactField(base.text, f);
    for (const Key& k : base.keys) {
        base.text += 'd';
        base.text += k.info().compact;
    }
    // A base may not contain NUL (stored as text).
    if (base.text.find('\0') != std::string::npos) return CompactBase{};
    base.id = StableHash(base.text) & 0x7fffffffffffffffULL;
    if (base.id == 0) base.id = 1;
    return base;
}

bool EncodeCompact(const Event& e, const CompactBase* base, std::string& data, std::optional<std::string>& raw) {
    std::optional<std::string_view> view;
    const bool ok = EncodeCompact(e, base, data, view);
    if (!view) raw.reset();
    else if (raw) raw->assign(*view);
    else raw.emplace(*view);
    return ok;
}

bool EncodeCompact(const Event& e, const CompactBase* base, std::string& data, std::optional<std::string_view>& raw,
                   std::span<const Key* const> leave_out) {
    data.clear();
    // The keys left out, by dense index (a key without one is compared as a key).
    std::array<std::uint64_t, kDenseKeys / 64> out_bits{};
    bool out_overflow = false;
    for (const Key* k : leave_out) {
        const std::uint32_t x = k->info().index;
        if (x == kOverflowKeyIndex) out_overflow = true;
        else out_bits[x >> 6] |= std::uint64_t{1} << (x & 63);
    }
    const auto left_out = [&](const Field& f) {
        const std::uint32_t x = f.key.info().index;
        if (x != kOverflowKeyIndex) return ((out_bits[x >> 6] >> (x & 63)) & 1) != 0;
        if (out_overflow)
            for (const Key* k : leave_out)
                if (f.key == *k) return true;
        return false;
    };
    // `raw` is reset or assigned at the end (an engaged one keeps its buffer for the next event).
    // The event's own fields by position; its shared fields (none with a key of its own) after.
    const std::vector<Field>& fields = e.own_fields();
    const SharedFields* shared = e.shared().get();
    std::uint64_t shared_left = e.shared_mask();  // shared fields the base does not cover
    if (shared_left)
        for (const Key* k : leave_out)
            if (k->info().index != kOverflowKeyIndex) shared_left &= ~shared->SlotsOf(k->info());
    std::uint64_t mask = 0;
    // The base's key list by dense key index: the key's number + 1 (0: not listed, written in full).
    const std::uint8_t* numbers = nullptr;
    // Which of the event's fields are not written: the fields left out, and those the base covers
    // (the first field of each base key, when equal).
    std::uint64_t covered_lo = 0;  // bit i: fields[i] covered (for the first 64 fields)
    std::vector<bool> covered_hi;
    const auto cover = [&](std::size_t i) {
        if (i < 64) {
            covered_lo |= std::uint64_t{1} << i;
        } else {
            if (covered_hi.size() < fields.size()) covered_hi.resize(fields.size());
            covered_hi[i] = true;
        }
    };
    const auto covered = [&](std::size_t i) {
        return i < 64 ? ((covered_lo >> i) & 1) != 0 : (i < covered_hi.size() && covered_hi[i]);
    };
    if (!leave_out.empty())
        for (std::size_t i = 0; i < fields.size(); ++i)
            if (left_out(fields[i])) cover(i);
    if (base && base->id != 0) {
        // For each base field, the first field of the event with its key (base keys are
        // distinct): one pass over the event's fields, skipping those whose presence bit no base
        // key has, and comparing interned keys by pointer.
        // Base keys that are interned sit in a small open-addressed table by KeyInfo address
        // (an interned key equals only the key with the same address); a base with a key that is
        // not interned, or with more than 32 fields, is searched field by field.
        const std::size_t nb = std::min<std::size_t>(base->fields.size(), 64);
        struct Slot {
            const KeyInfo* key;
            std::size_t index;
        };
        constexpr std::size_t kSlots = 64;
        const auto slot_of = [](const KeyInfo* k) {
            return static_cast<std::size_t>((reinterpret_cast<std::uintptr_t>(k) * 0x9E3779B97F4A7C15ULL) >> 58);
        };
        // The table is built once per base (a batch's events share one) and kept for the next
        // call on this thread: it depends only on the base's keys, which its id (a hash of its
        // text) and its field vector identify.
        struct Table {
            const CompactBase* base = nullptr;
            std::uint64_t id = 0;
            const Field* fields = nullptr;
            std::size_t nb = 0;
            bool by_table = false;
            bool by_index = false;  // every base key has a dense index: by_index_of finds it
            std::uint64_t base_bits = 0;
            std::array<Slot, kSlots> slots{};
            std::array<std::uint8_t, kDenseKeys> by_index_of{};  // dense key index -> base field + 1
            std::array<std::uint8_t, kDenseKeys> number_of{};    // dense key index -> key number + 1
            // A key may have several base fields (values): the first is the one found, the
            // next of each in `next_of` (+ 1; 0: none), all of them in `key_fields`.
            std::array<std::uint8_t, 64> next_of{};
            std::array<std::uint64_t, 64> key_fields{};
        };
        thread_local Table table;
        if (table.base != base || table.id != base->id || table.fields != base->fields.data() || table.nb != nb) {
            table = Table{};
            table.base = base;
            table.id = base->id;
            table.fields = base->fields.data();
            table.nb = nb;
            table.by_table = nb <= 32;
            table.by_index = table.by_table;
            for (std::size_t b = 0; b < nb; ++b) {
                table.key_fields[b] |= std::uint64_t{1} << b;
                for (std::size_t c = b + 1; c < nb; ++c)
                    if (base->fields[c].key == base->fields[b].key) {
                        table.key_fields[b] |= std::uint64_t{1} << c;
                        table.key_fields[c] |= std::uint64_t{1} << b;
                        if (!table.next_of[b]) table.next_of[b] = static_cast<std::uint8_t>(c + 1);
                    }
            }
            for (std::size_t b = 0; b < nb && table.by_table; ++b) {
                const Field& bf = base->fields[b];
                if (!bf.key.interned()) {
                    table.by_table = false;
                    break;
                }
                if (table.key_fields[b] & ((std::uint64_t{1} << b) - 1)) continue;  // (its key's first is in)
                table.base_bits |= bf.key.info().bit;
                if (bf.key.info().index == kOverflowKeyIndex) table.by_index = false;
                else table.by_index_of[bf.key.info().index] = static_cast<std::uint8_t>(b + 1);
                std::size_t s = slot_of(&bf.key.info());
                while (table.slots[s].key) s = (s + 1) & (kSlots - 1);
                table.slots[s] = Slot{&bf.key.info(), b};
            }
            for (std::size_t k = 0; k < base->keys.size() && k < kMaxBaseKeys; ++k)
                if (const std::uint32_t x = base->keys[k].info().index; x != kOverflowKeyIndex)
                    table.number_of[x] = static_cast<std::uint8_t>(k + 1);
        }
        numbers = table.number_of.data();
        const bool by_table = table.by_table;
        const bool by_index = table.by_index;
        const std::uint64_t base_bits = table.base_bits;
        const std::array<Slot, kSlots>& slots = table.slots;
        const auto find_base = [&](const Field& f) -> std::size_t {
            if (by_index) {
                // A key with the overflow index is in no such base; an owned key has it too.
                const std::uint32_t i = f.key.info().index;
                if (i == kOverflowKeyIndex) return nb;
                const std::uint8_t b = table.by_index_of[i];
                return b ? b - 1 : nb;
            }
            if (by_table) {
                if ((f.key.info().bit & base_bits) == 0) return nb;
                for (std::size_t s = slot_of(&f.key.info()); slots[s].key; s = (s + 1) & (kSlots - 1))
                    if (slots[s].key == &f.key.info()) return slots[s].index;
                return nb;
            }
            for (std::size_t b = 0; b < nb; ++b)
                if (base->fields[b].key == f.key) return b;
            return nb;
        };
        // The base field of `f`'s key whose value (and kind) is f's, from the key's first (nb: none).
        const auto equal_of = [&](const Field& f, std::size_t b) {
            for (;;) {
                const Field& bf = base->fields[b];
                if (f.kind == bf.kind && SameBytes(f.value, bf.value)) return b;
                if (!table.next_of[b]) return nb;
                b = table.next_of[b] - 1u;
            }
        };
        std::uint64_t seen = 0;  // bit b: base field b's key met its first event field
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::size_t b = find_base(fields[i]);
            if (b == nb || (!leave_out.empty() && covered(i))) continue;  // (left out)
            if (seen & (std::uint64_t{1} << b)) continue;  // not the first field of this key
            seen |= table.key_fields[b];
            if (const std::size_t e = equal_of(fields[i], b); e != nb) {
                mask |= std::uint64_t{1} << e;
                cover(i);
            }
        }
        if (shared_left) {
            // Which shared field each base field covers, found once per shared list and base
            // (the events of a batch share both).
            struct SharedCover {
                std::uint64_t serial = 0;
                const CompactBase* base = nullptr;
                std::uint64_t id = 0;
                const Field* fields = nullptr;
                std::size_t nb = 0;
                std::array<std::uint8_t, 64> cover{};  // shared field -> base field + 1
            };
            thread_local SharedCover sc;
            if (sc.serial != shared->serial() || sc.base != base || sc.id != base->id ||
                sc.fields != base->fields.data() || sc.nb != nb) {
                sc = SharedCover{};
                sc.serial = shared->serial();
                sc.base = base;
                sc.id = base->id;
                sc.fields = base->fields.data();
                sc.nb = nb;
                for (std::size_t i = 0; i < shared->size(); ++i) {
                    const Field& f = shared->fields()[i];
                    std::size_t b = find_base(f);
                    if (b < nb) b = equal_of(f, b);
                    if (b < nb) sc.cover[i] = static_cast<std::uint8_t>(b + 1);
                }
            }
            // The base fields the shared ones cover and the shared ones left, for `seen` (the base
            // keys the event's own fields met: none of the shared keys, which the event has not of
            // its own, so the result is kept per list, base and shared_left, per thread).
            // (`met` and `keys`: the base fields of the keys met; a key's first field only.)
            const auto cover_shared = [&](std::uint64_t met, std::uint64_t left, std::uint64_t& bits,
                                          std::uint64_t& keys) {
                bits = keys = 0;
                for (std::uint64_t m = left; m; m &= m - 1) {
                    const unsigned i = static_cast<unsigned>(__builtin_ctzll(m));
                    const unsigned b = sc.cover[i];
                    if (!b) continue;
                    const std::uint64_t key = table.key_fields[b - 1];
                    if ((met | keys) & key) continue;
                    bits |= std::uint64_t{1} << (b - 1);
                    keys |= key;
                    left &= ~(std::uint64_t{1} << i);
                }
                return left;
            };
            struct Covered {
                std::uint64_t serial = 0, id = 0;
                const Field* fields = nullptr;
                std::uint64_t left = 0, bits = 0, keys = 0, rest = 0;
            };
            thread_local std::array<Covered, 64> memo;
            Covered& c = memo[((shared_left ^ sc.serial) * 0x9E3779B97F4A7C15ULL) >> 58];
            if (c.serial != sc.serial || c.id != sc.id || c.fields != sc.fields || c.left != shared_left) {
                c = Covered{sc.serial, sc.id, sc.fields, shared_left, 0, 0, 0};
                c.rest = cover_shared(0, shared_left, c.bits, c.keys);
            }
            std::uint64_t bits = c.bits, keys = c.keys;
            shared_left = (seen & c.keys) ? cover_shared(seen, shared_left, bits, keys) : c.rest;
            seen |= keys;
            mask |= bits;
        }
    }
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, mask, 16);
    data.append(buf, p);
    data += ';';
    // The fields not covered (nor left out), written straight into the buffer sized for them
    // (AppendCompactField's form: kind, key length ':' key, value length ':' value; or, for a key
    // of the base's list, the kind in capitals, the key's number ':', value length ':' value).
    std::size_t total = 0;
    const auto number_of = [numbers](const Field& f) -> unsigned { return numbers ? numbers[f.key.info().index] : 0; };
    const auto size_of = [&](const Field& f) {
        const unsigned k = number_of(f);
        return 1 + (k ? DecimalDigits(k - 1) + 1 : f.key.info().compact.size()) + DecimalDigits(f.value.size()) + 1 +
               f.value.size();
    };
    for (std::size_t i = 0; i < fields.size(); ++i)
        if (!covered(i)) total += size_of(fields[i]);
    for (std::uint64_t m = shared_left; m; m &= m - 1)
        total += size_of(shared->fields()[static_cast<std::size_t>(__builtin_ctzll(m))]);
    const std::size_t at = data.size();
    data.resize(at + total);
    char* o = data.data() + at;
    const auto write = [&](const Field& f) __attribute__((always_inline)) {
        if (const unsigned k = number_of(f)) {
            *o++ = static_cast<char>(KindChar(f.kind) - ('a' - 'A'));
            o = WriteDecimal(o, static_cast<std::int64_t>(k - 1));
            *o++ = ':';
        } else {
            *o++ = KindChar(f.kind);
            const std::string& text = f.key.info().compact;
            CopyBytes(o, text.data(), text.size());
            o += text.size();
        }
        o = WriteDecimal(o, static_cast<std::int64_t>(f.value.size()));
        *o++ = ':';
        CopyBytes(o, f.value.data(), f.value.size());
        o += f.value.size();
    };
    for (std::size_t i = 0; i < fields.size(); ++i)
        if (!covered(i)) write(fields[i]);
    for (std::uint64_t m = shared_left; m; m &= m - 1)
        write(shared->fields()[static_cast<std::size_t>(__builtin_ctzll(m))]);
    // A NUL in a key or a value (the rest of the form has none): not storable compactly.
    if (total && std::memchr(data.data() + at, '\0', total)) {
        raw.reset();
        return false;
    }
    if (const std::string_view* text = e.raw_text()) {
        raw = *text;
    } else {
        raw.reset();
        if (const std::string_view* bytes = e.raw_bytes())
            AppendCompactField(data, Field{"raw", Base64Encode(*bytes), JsonKind::kString});
    }
    return true;
}

const std::string_view* Event::raw_text() const {
    if (!has_raw_bytes_ || !(raw_text_ || (raw_bytes_.find('\0') == std::string_view::npos && IsUtf8(raw_bytes_))))
        return nullptr;
    return &raw_bytes_;
}

core::Result<Event> DecodeCompact(std::string_view data, const CompactBase* compact_base, const std::string* raw) {
    static const std::vector<Field> kNoFields;
    const std::vector<Field>& base = compact_base ? compact_base->fields : kNoFields;
    const auto semi = data.find(';');
    if (semi == std::string_view::npos) return core::Invalid("data", "the stored event is damaged (no mask)");
    std::uint64_t mask = 0;
    if (semi > 0) {
        auto [p, ec] = std::from_chars(data.data(), data.data() + semi, mask, 16);
        if (ec != std::errc() || p != data.data() + semi)
            return core::Invalid("data", "the stored event is damaged (mask)");
    }
    std::vector<Field> fields;
    fields.reserve(base.size() + 24);
    for (std::size_t b = 0; b < base.size() && b < 64; ++b)
        if ((mask >> b) & 1) fields.push_back(base[b]);
    if (base.size() < 64 && (mask >> base.size()) != 0)
        return core::Invalid("data", "the stored event does not fit its base");
    MUHAFIZ_CHECK(ReadCompactFields(data, semi + 1, fields, nullptr,
                                    compact_base ? std::span<const Key>(compact_base->keys) : std::span<const Key>()));
    Event e;
    std::size_t bytes = raw ? raw->size() : 0;
    for (const auto& f : fields) bytes += f.value.size();
    e.ReserveBytes(bytes);
    e.Reserve(fields.size() + 2);
    for (const auto& f : fields) e.Append(f.key, f.value, f.kind);
    if (raw) e.SetRawBytes(*raw);
    return e;
}

// ---- Raw templates ------------------------------------------------------------------------
// Encoded after a base's fields: 'r', then for each part 'l' length ':' literal and either 'k'
// length ':' key or 't', the Time digit and length ':' key (empty: time_source); then 'l'
// length ':' tail.

namespace {

// The text of `t` in format `f` at `out` (room for 48 bytes); its size. All but kEvent show whole
// seconds. (Only the years 1970-9999 have the layouts written here; FormatEventTime's text of
// another year is cut the same way when written and when checked.)
std::size_t FormatTemplateTime(core::Micros t, RawTemplate::Time f, char* out) {
    constexpr core::Micros kSecond = 1000000, kDay = core::Micros{86400} * kSecond;
    if (f != RawTemplate::Time::kEvent) t -= (t % kSecond + kSecond) % kSecond;
    if (t < 0 || t >= core::Micros{253402300800000000} || t % kSecond != 0) {
        const std::size_t n = FormatEventTimeTo(t, out);
        if (f == RawTemplate::Time::kSpace) {
            out[10] = ' ';
            return std::min<std::size_t>(n, 19);
        }
        if (f == RawTemplate::Time::kZulu) {
            out[19] = 'Z';
            return std::min<std::size_t>(n, 20);
        }
        return n;
    }
    // The text of the last minute written in each format (a report's rows mostly come in the
    // order of their times: the next row's time is mostly in the same minute), with only the
    // seconds written again.
    struct Minute {
        core::Micros minute = -1;
        std::size_t size = 0;
        char text[32];
    };
    thread_local std::array<Minute, 5> minutes;
    constexpr core::Micros kMinute = 60 * kSecond;
    Minute& m = minutes[static_cast<std::size_t>(f)];
    const core::Micros minute = t / kMinute;
    if (m.minute == minute) {
        const std::size_t seconds_at = f == RawTemplate::Time::kHttp ? 23 : 17;
        const auto second = static_cast<int>((t % kMinute) / kSecond);
        std::memcpy(out, m.text, m.size);
        out[seconds_at] = static_cast<char>('0' + second / 10);
        out[seconds_at + 1] = static_cast<char>('0' + second % 10);
        return m.size;
    }
    // The date part made once per day (a few days kept per thread: a record may hold times of
    // other days), the time of day written digit by digit.
    struct Day {
        core::Micros day = -1;
        char date[10];  // YYYY-MM-DD
        char http[16];  // "Www, DD Mon YYYY"
    };
    thread_local std::array<Day, 4> days;
    const core::Micros day = t / kDay;
    Day& d = days[static_cast<std::size_t>(day) & 3];
    if (d.day != day) {
        char text[48];
        FormatEventTimeTo(day * kDay, text);
        std::memcpy(d.date, text, 10);
        const auto weekday = static_cast<std::size_t>((day + 4) % 7);  // 1970-01-01: a Thursday
        const auto month = static_cast<std::size_t>((text[5] - '0') * 10 + (text[6] - '0') - 1);
        std::memcpy(d.http, &"SunMonTueWedThuFriSat"[3 * weekday], 3);
        std::memcpy(d.http + 3, ", ", 2);
        std::memcpy(d.http + 5, text + 8, 2);
        d.http[7] = ' ';
        std::memcpy(d.http + 8, &"JanFebMarAprMayJunJulAugSepOctNovDec"[3 * (month % 12)], 3);
        d.http[11] = ' ';
        std::memcpy(d.http + 12, text, 4);
        d.day = day;
    }
    const auto secs = static_cast<int>((t % kDay) / kSecond);
    const auto hms = [&](char* o) {
        const int v[3] = {secs / 3600, secs / 60 % 60, secs % 60};
        for (int i = 0; i < 3; ++i) {
            o[3 * i] = static_cast<char>('0' + v[i] / 10);
            o[3 * i + 1] = static_cast<char>('0' + v[i] % 10);
            if (i < 2) o[3 * i + 2] = ':';
        }
    };
    std::size_t size = 0;
    switch (f) {
        case RawTemplate::Time::kHttp:
            std::memcpy(out, d.http, 16);
            out[16] = ' ';
            hms(out + 17);
            std::memcpy(out + 25, " GMT", 4);
            size = 29;
            break;
        case RawTemplate::Time::kSpace:
        case RawTemplate::Time::kZulu:
        case RawTemplate::Time::kEvent:
            std::memcpy(out, d.date, 10);
            out[10] = f == RawTemplate::Time::kSpace ? ' ' : 'T';
            hms(out + 11);
            size = 19;
            if (f == RawTemplate::Time::kZulu) {
                out[19] = 'Z';
                size = 20;
            } else if (f == RawTemplate::Time::kEvent) {
                std::memcpy(out + 19, "+00:00", 6);
                size = 25;
            }
            break;
        case RawTemplate::Time::kNone: return 0;
    }
    m.minute = minute;
    m.size = size;
    std::memcpy(m.text, out, size);
    return size;
}

std::uint64_t NewTemplateSerial() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
}

// Where `v` starts in `raw` when all of it lies there (else npos).
std::size_t OffsetIn(std::string_view raw, std::string_view v) {
    const auto off = reinterpret_cast<std::uintptr_t>(v.data()) - reinterpret_cast<std::uintptr_t>(raw.data());
    if (v.empty() || off > raw.size() || v.size() > raw.size() - off) return std::string_view::npos;
    return static_cast<std::size_t>(off);
}

// Marks `k` seen (bit per dense index); true when it was seen before. A key without a dense index
// is "seen" when it is not the first field of its key in `e`.
bool SeenBefore(std::array<std::uint64_t, kDenseKeys / 64>& seen, const Event& e, const Field& f) {
    const std::uint32_t x = f.key.info().index;
    if (x == kOverflowKeyIndex) return e.FindField(f.key) != &f;
    const std::uint64_t bit = std::uint64_t{1} << (x & 63);
    const bool before = (seen[x >> 6] & bit) != 0;
    seen[x >> 6] |= bit;
    return before;
}

// The value a template part of a key takes from `e`: one of its shared fields (found here
// without a call, as most of them are: an event has no field of its own of a key it shares), or
// its first own field of the key, or none (empty).
std::string_view TemplateValue(const Event& e, const RawTemplate::Part& part) {
    const SharedFields* shared = e.shared().get();
    if (const std::uint64_t slots = shared ? shared->SlotsAt(part.index) & e.shared_mask() : 0)
        return shared->fields()[static_cast<std::size_t>(__builtin_ctzll(slots))].value;
    const Field* f = e.FindField(part.key);
    return f ? f->value : std::string_view();
}

// The text of a time part for `e` at `out` (room for 48 bytes); its size, or nullopt when the
// part's field holds no time written as FormatEventTime writes it.
std::optional<std::size_t> TemplateTime(const RawTemplate::Part& part, const Event& e, core::Micros time_source,
                                        char* out) {
    if (part.time_source) return FormatTemplateTime(time_source, part.time, out);
    // The time of the value (the last one kept per thread: a report's column often repeats it).
    struct Last {
        std::string text;
        std::optional<core::Micros> time;
    };
    thread_local Last last;
    const std::string_view v = TemplateValue(e, part);
    if (!feeds::SameBytes(v, last.text)) {
        const auto t = ParseEventTime(v);
        last.text.assign(v);
        last.time = t && IsEventTimeText(v, *t) ? t : std::nullopt;
    }
    if (!last.time) return std::nullopt;
    return FormatTemplateTime(*last.time, part.time, out);
}

}  // namespace

std::optional<RawTemplate> MakeRawTemplate(const Event& e, std::string_view raw, core::Micros time_source) {
    RawTemplate t;
    std::array<std::uint64_t, kDenseKeys / 64> seen{};
    std::size_t pos = 0;
    // The fields whose values lie in raw, in the event's order, each after the one before.
    for (const Field& f : e.own_fields()) {
        const std::size_t off = OffsetIn(raw, f.value);
        if (SeenBefore(seen, e, f) || off == std::string_view::npos || off < pos) continue;
        t.parts.push_back({std::string(raw.substr(pos, off - pos)), f.key, RawTemplate::Time::kNone});
        pos = off + f.value.size();
    }
    if (t.parts.empty()) return std::nullopt;
    t.tail.assign(raw.substr(pos));
    // The times, each in the first literal that holds it in one of the formats: time_source,
    // then the fields holding times (written as FormatEventTime writes them).
    static const Key kTimeSource("time.source");
    std::vector<RawTemplate::Part> times{{{}, Key(), RawTemplate::Time::kNone}};
    for (const Field& f : e.fields()) {
        if (f.key == kTimeSource || f.value.size() < 20) continue;
        if (const auto ft = ParseEventTime(f.value); ft && IsEventTimeText(f.value, *ft))
            times.push_back({{}, f.key, RawTemplate::Time::kNone});
    }
    for (RawTemplate::Part& time : times) {
        bool found = false;
        for (const auto format : {RawTemplate::Time::kEvent, RawTemplate::Time::kZulu, RawTemplate::Time::kSpace,
                                  RawTemplate::Time::kHttp}) {
            time.time = format;
            char text[48];
            const auto size = TemplateTime(time, e, time_source, text);
            if (!size) break;
            const std::string_view written(text, *size);
            for (std::size_t i = 0; i <= t.parts.size() && !found; ++i) {
                std::string& literal = i < t.parts.size() ? t.parts[i].literal : t.tail;
                const std::size_t at = literal.find(written);
                if (at == std::string::npos) continue;
                // literal = before, time, after: a part "before" + the time, then "after" + the value.
                RawTemplate::Part part{literal.substr(0, at), time.key, format};
                literal.erase(0, at + written.size());
                t.parts.insert(t.parts.begin() + static_cast<std::ptrdiff_t>(i), std::move(part));
                found = true;
            }
            if (found) break;
        }
    }
    t.serial = NewTemplateSerial();
    if (!MatchesRawTemplate(t, e, raw, time_source)) return std::nullopt;  // (made to match; never expected)
    return t;
}

namespace {

// `t` for the events with `e`'s shared fields (its list and mask): the values of the parts of
// the keys they share written into the literals, kept per thread for the last few hundred such
// (a report's events share one list for thousands of records, with a few hundred masks), so
// those values are compared with the literals; or `t` itself.
const RawTemplate& WithSharedValues(const RawTemplate& t, const Event& e) {
    const SharedFields* shared = e.shared().get();
    if (t.serial == 0 || !shared) return t;
    struct Entry {
        std::uint64_t serial = 0, list = 0, mask = 0;
        RawTemplate folded;
    };
    constexpr std::size_t kEntries = 512;
    thread_local std::vector<Entry> cache(kEntries);
    const std::uint64_t list = shared->serial(), mask = e.shared_mask();
    const std::uint64_t h = ((t.serial * 0x9E3779B97F4A7C15ULL) ^ (list * 0xC2B2AE3D27D4EB4FULL) ^ mask) * 0x9E3779B97F4A7C15ULL;
    Entry& c = cache[h >> 55];
    if (c.serial == t.serial && c.list == list && c.mask == mask) return c.folded;
    c.serial = t.serial;
    c.list = list;
    c.mask = mask;
    c.folded.parts.clear();
    std::string literal;
    for (const RawTemplate::Part& part : t.parts) {
        literal += part.literal;
        const std::uint64_t slots = part.time_source ? 0 : shared->SlotsAt(part.index) & mask;
        if (slots && part.time == RawTemplate::Time::kNone) {
            literal += shared->fields()[static_cast<std::size_t>(__builtin_ctzll(slots))].value;
            continue;
        }
        // A time of a shared field (a report's date column that does not change), written once.
        char text[48];
        if (const auto size = slots ? TemplateTime(part, e, 0, text) : std::nullopt) {
            literal.append(text, *size);
            continue;
        }
        c.folded.parts.emplace_back(std::move(literal), part.key, part.time);
        literal.clear();
    }
    c.folded.tail = std::move(literal) + t.tail;
    return c.folded;
}

}  // namespace

bool MatchesRawTemplate(const RawTemplate& whole, const Event& e, std::string_view raw, core::Micros time_source) {
    const RawTemplate& t = WithSharedValues(whole, e);
    const std::vector<Field>& fields = e.own_fields();
    std::array<std::uint64_t, kDenseKeys / 64> seen{};
    std::size_t pos = 0, next = 0;  // next: the first own field not yet walked past
    const auto literal_at = [&](std::string_view literal) {
        if (literal.size() > raw.size() - pos || !SameBytes(literal, raw.substr(pos, literal.size()))) return false;
        pos += literal.size();
        return true;
    };
    for (const RawTemplate::Part& part : t.parts) {
        if (!literal_at(part.literal)) return false;
        if (part.time != RawTemplate::Time::kNone) {
            char text[48];
            const auto size = TemplateTime(part, e, time_source, text);
            if (!size || !literal_at(std::string_view(text, *size))) return false;
            continue;
        }
        // The next field whose value lies in raw at or after pos (the fields walked past are seen).
        const Field* f = nullptr;
        for (; next < fields.size(); ++next) {
            const std::size_t off = OffsetIn(raw, fields[next].value);
            if (off != std::string_view::npos && off >= pos) {
                f = &fields[next];
                break;
            }
            (void)SeenBefore(seen, e, fields[next]);
        }
        if (f && f->value.data() == raw.data() + pos && f->key == part.key && !SeenBefore(seen, e, *f)) {
            pos += f->value.size();  // the value is these bytes of raw
            ++next;
            continue;
        }
        // Else its value is compared (shared, a copy, not the first field of the key, or none).
        if (!literal_at(TemplateValue(e, part))) return false;
    }
    return pos + t.tail.size() == raw.size() && literal_at(t.tail);
}

std::optional<RawTemplate> MergeRawTemplates(const RawTemplate& a, const RawTemplate& b) {
    const auto same = [](const RawTemplate::Part& x, const RawTemplate::Part& y) {
        return x.time == y.time && x.key == y.key;
    };
    // The literal before part k of t (the tail after the last).
    const auto lit = [](const RawTemplate& t, std::size_t k) -> const std::string& {
        return k < t.parts.size() ? t.parts[k].literal : t.tail;
    };
    // The parts both have (anchors), as positions in a and b, in the same order in both.
    std::vector<std::pair<std::size_t, std::size_t>> anchors;
    for (std::size_t i = 0; i < a.parts.size(); ++i)
        for (std::size_t j = 0; j < b.parts.size(); ++j)
            if (same(a.parts[i], b.parts[j])) {
                if (!anchors.empty() && j <= anchors.back().second) return std::nullopt;  // another order
                anchors.emplace_back(i, j);
                break;
            }
    anchors.emplace_back(a.parts.size(), b.parts.size());  // (the tail)
    RawTemplate merged;
    std::size_t from_a = 0, from_b = 0;  // the first part of each after the previous anchor
    for (const auto& [ia, ib] : anchors) {
        // Between the previous anchor and this one: the parts of one side (x), then those of the
        // other (y), each empty in the other side's record. So y's first literal is x's literals
        // there joined, then a literal between the two (`mid`: not empty, or the values would
        // run together); and x's literal before the anchor is mid, y's other literals there and
        // y's literal before the anchor joined.
        const auto try_order = [&](const RawTemplate& x, std::size_t x_from, std::size_t x_at, const RawTemplate& y,
                                   std::size_t y_from, std::size_t y_at) -> bool {
            std::string x_joined;
            for (std::size_t k = x_from; k < x_at; ++k) x_joined += lit(x, k);
            std::string mid;
            if (y_from < y_at) {
                if (!lit(y, y_from).starts_with(x_joined)) return false;
                mid = lit(y, y_from).substr(x_joined.size());
                if (x_from < x_at && mid.empty()) return false;
            }
            std::string y_joined = y_from < y_at ? mid : x_joined;
            for (std::size_t k = y_from + 1; k <= y_at; ++k) y_joined += lit(y, k);
            if (y_from == y_at) y_joined = x_joined + lit(x, x_at);  // (y has none: x's joined)
            if (y_joined != (y_from < y_at ? lit(x, x_at) : lit(y, y_at))) return false;
            for (std::size_t k = x_from; k < x_at; ++k) merged.parts.push_back(x.parts[k]);
            for (std::size_t k = y_from; k < y_at; ++k) {
                merged.parts.push_back(y.parts[k]);
                if (k == y_from) merged.parts.back().literal = mid;
            }
            const RawTemplate& last = y_from < y_at ? y : x;
            const std::size_t last_at = y_from < y_at ? y_at : x_at;
            if (last_at < last.parts.size()) merged.parts.push_back(last.parts[last_at]);
            else merged.tail = last.tail;
            return true;
        };
        const std::size_t size = merged.parts.size();
        if (!try_order(a, from_a, ia, b, from_b, ib)) {
            merged.parts.erase(merged.parts.begin() + static_cast<std::ptrdiff_t>(size), merged.parts.end());
            if (!try_order(b, from_b, ib, a, from_a, ia)) return std::nullopt;
        }
        from_a = ia + 1;
        from_b = ib + 1;
    }
    merged.serial = NewTemplateSerial();
    return merged;
}

std::string FillRawTemplate(const RawTemplate& t, const Event& e, core::Micros time_source) {
    std::string out;
    for (const RawTemplate::Part& part : t.parts) {
        out += part.literal;
        if (part.time != RawTemplate::Time::kNone) {
            char text[48];
            if (const auto size = TemplateTime(part, e, time_source, text)) out.append(text, *size);
        } else {
            out += TemplateValue(e, part);
        }
    }
    out += t.tail;
    return out;
}

void SetRawTemplate(CompactBase& base, RawTemplate t) {
    if (base.id == 0) return;
    std::string text = base.text;
    text += 'r';
    const auto literal = [&](std::string_view s) {
        text += 'l';
        AppendLen(text, s.size());
        text += s;
    };
    for (const auto& part : t.parts) {
        literal(part.literal);
        if (part.time != RawTemplate::Time::kNone) {
            text += 't';
            text += static_cast<char>('0' + static_cast<int>(part.time));
            AppendLen(text, part.key.size());  // (0: time_source)
            text += part.key.view();
        } else {
            text += 'k';
            AppendLen(text, part.key.size());
            text += part.key.view();
        }
    }
    literal(t.tail);
    if (text.find('\0') != std::string::npos) return;  // (a base is stored as text)
    base.text = std::move(text);
    base.id = StableHash(base.text) & 0x7fffffffffffffffULL;
    if (base.id == 0) base.id = 1;
    base.raw_template = std::move(t);
}

core::Result<CompactBase> DecodeCompactBase(std::string_view text) {
    const auto damaged = [] { return core::Invalid("data", "a stored base of events is damaged (its raw template)"); };
    CompactBase base;
    std::size_t pos = 0;
    MUHAFIZ_CHECK(ReadCompactFields(text, 0, base.fields, &pos));
    base.fields.Own();
    base.text.assign(text);
    base.id = text.empty() ? 0 : std::max<std::uint64_t>(StableHash(base.text) & 0x7fffffffffffffffULL, 1);
    while (pos < text.size() && text[pos] == 'd') {
        std::size_t n = 0;
        ++pos;
        if (!ReadLen(text, pos, n) || base.keys.size() == kMaxBaseKeys)
            return core::Invalid("data", "a stored base of events is damaged (its key list)");
        base.keys.emplace_back(text.substr(pos, n));
        pos += n;
    }
    if (pos == text.size()) return base;
    RawTemplate t;
    std::string literal;
    const auto read = [&](std::string_view& s) {
        std::size_t n = 0;
        if (!ReadLen(text, pos, n)) return false;
        s = text.substr(pos, n);
        pos += n;
        return true;
    };
    ++pos;  // 'r'
    bool have_literal = false;
    while (pos < text.size()) {
        const char c = text[pos++];
        std::string_view s;
        if (c == 'l' && !have_literal && read(s)) {
            literal.assign(s);
            have_literal = true;
        } else if (c == 'k' && have_literal && read(s) && !s.empty()) {
            t.parts.push_back({std::move(literal), Key(s), RawTemplate::Time::kNone});
            have_literal = false;
        } else if (c == 't' && have_literal && pos < text.size() && text[pos] >= '1' && text[pos] <= '4') {
            const auto format = static_cast<RawTemplate::Time>(text[pos++] - '0');
            if (!read(s)) return damaged();
            t.parts.push_back({std::move(literal), s.empty() ? Key() : Key(s), format});
            have_literal = false;
        } else {
            return damaged();
        }
    }
    if (!have_literal) return damaged();
    t.tail = std::move(literal);
    base.raw_template = std::move(t);
    return base;
}

}  // namespace muhafiz::feeds
