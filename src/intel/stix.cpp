#include "intel/stix.hpp"

#include <array>
#include <cctype>
#include <cstring>

#include "core/ids.hpp"

namespace muhafiz::intel {
namespace json = core::json;
using access::Tlp;

namespace {

struct KnownMarking {
    std::string_view id;
    Tlp tlp;
};
constexpr std::array<KnownMarking, 11> kKnown = {{
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", Tlp::kClear},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", Tlp::kGreen},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", Tlp::kAmber},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", Tlp::kAmberStrict},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", Tlp::kRed},
    // TLP 1.0 (STIX 2.1 predefined)
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp::kClear},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp::kGreen},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Tlp::kAmber},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp::kRed},
    // OpenCTI's AMBER+STRICT statement marking
    {"marking-definition--826578e1-40ad-459f-bc73-ede076f81f37", Tlp::kAmberStrict},
    {"", Tlp::kRed},
}};

constexpr std::array<std::string_view, 5> kTlp2Values = {"clear", "green", "amber", "amber+strict", "red"};

core::Error ObjectError(std::string message) {
    return core::Error{core::ErrorCode::kInvalidArgument, std::move(message), "bundle"};
}

}  // namespace

std::string_view TlpMarkingId(Tlp tlp) { return kKnown[static_cast<int>(tlp)].id; }

json::object TlpMarkingObject(Tlp tlp) {
    json::object ext{{"extension_type", "property-extension"}, {"tlp_2_0", kTlp2Values[static_cast<int>(tlp)]}};
    return json::object{{"type", "marking-definition"},
                        {"spec_version", "2.1"},
                        {"id", TlpMarkingId(tlp)},
                        {"created", "2022-10-01T00:00:00.000Z"},
                        {"name", access::TlpName(tlp)},
                        {"extensions", json::object{{kTlp2ExtensionId, std::move(ext)}}}};
}

std::optional<Tlp> TlpOfMarkingId(std::string_view id) {
    constexpr std::size_t kFirst = 20;  // the first character of the uuid: most differ there
    if (id.size() <= kFirst) return std::nullopt;
    for (const auto& k : kKnown)
        if (k.id.size() == id.size() && k.id[kFirst] == id[kFirst] && k.id == id) return k.tlp;
    return std::nullopt;
}

std::optional<Tlp> TlpOfMarking(const json::object& m) {
    if (auto id = m.if_contains("id"); id && id->is_string())
        if (auto t = TlpOfMarkingId(id->as_string())) return t;
    auto str = [&](std::string_view key) -> std::string {
        auto v = m.if_contains(key);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    std::string otype = str("x_opencti_definition_type");
    for (char& c : otype) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (otype == "TLP")
        if (auto t = access::ParseTlp(str("x_opencti_definition"))) return *t;
    if (auto ext = m.if_contains("extensions"); ext && ext->is_object())
        if (auto tlp2 = ext->as_object().if_contains(kTlp2ExtensionId); tlp2 && tlp2->is_object())
            if (auto v = tlp2->as_object().if_contains("tlp_2_0"); v && v->is_string())
                if (auto t = access::ParseTlp(v->as_string())) return *t;
    if (str("definition_type") == "tlp")
        if (auto d = m.if_contains("definition"); d && d->is_object())
            if (auto v = d->as_object().if_contains("tlp"); v && v->is_string())
                if (auto t = access::ParseTlp(v->as_string())) return *t;
    if (str("definition_type") == "statement") return std::nullopt;
    std::string name = str("name");
    if (name.size() > 4 && (name.starts_with("TLP:") || name.starts_with("tlp:")))
        if (auto t = access::ParseTlp(name)) return *t;
    return std::nullopt;
}

std::string DerivedStixId(std::string_view type, std::string_view seed) {
    std::string h = core::Sha256Hex(seed);
    h[12] = '4';
    static constexpr char kVariant[] = "89ab";
    h[16] = kVariant[std::stoi(std::string(1, h[16]), nullptr, 16) & 3];
    return std::string(type) + "--" + h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" +
           h.substr(16, 4) + "-" + h.substr(20, 12);
}

std::string StixTime(core::Micros t) { return core::FormatRfc3339(t - t % 1000, true); }

json::object IdentityObject(std::string_view stix_id, std::string_view name, std::string_view identity_class,
                            core::Micros created) {
    return json::object{{"type", "identity"},
                        {"spec_version", "2.1"},
                        {"id", stix_id},
                        {"created", StixTime(created)},
                        {"modified", StixTime(created)},
                        {"name", name},
                        {"identity_class", identity_class}};
}

json::object IndicatorObject(const StixIndicatorInfo& i, const StixEventInfo& e) {
    json::object o{{"type", "indicator"},
                   {"spec_version", "2.1"},
                   {"id", i.stix_id},
                   {"created", StixTime(i.created)},
                   {"modified", StixTime(i.modified)},
                   {"name", std::string(TypeName(i.type)) + ": " + i.value},
                   {"indicator_types", json::array{"malicious-activity"}},
                   {"pattern", StixPattern(i.type, i.value)},
                   {"pattern_type", "stix"},
                   {"pattern_version", "2.1"},
                   {"valid_from", StixTime(i.valid_from)}};
    if (i.valid_until && *i.valid_until > i.valid_from) o["valid_until"] = StixTime(*i.valid_until);
    if (!i.comment.empty()) o["description"] = i.comment;
    if (!e.identity_id.empty()) o["created_by_ref"] = e.identity_id;
    o["confidence"] = e.confidence;
    o["object_marking_refs"] = json::array{TlpMarkingId(e.tlp)};
    if (i.false_positive) o["x_muhafiz_false_positive"] = true;
    return o;
}

json::object ReportObject(const StixEventInfo& e, const std::vector<std::string>& refs) {
    json::array object_refs;
    for (const auto& r : refs) object_refs.push_back(json::value(r));
    json::object o{{"type", "report"},
                   {"spec_version", "2.1"},
                   {"id", e.stix_id},
                   {"created", StixTime(e.created)},
                   {"modified", StixTime(e.modified)},
                   {"name", e.title},
                   {"report_types", json::array{"threat-report"}},
                   {"published", StixTime(e.created)},
                   {"object_refs", std::move(object_refs)},
                   {"confidence", e.confidence},
                   {"object_marking_refs", json::array{TlpMarkingId(e.tlp)}}};
    if (!e.description.empty()) o["description"] = e.description;
    if (!e.identity_id.empty()) o["created_by_ref"] = e.identity_id;
    if (!e.tags.empty()) {
        json::array labels, refs_ext;
        for (const auto& t : e.tags) {
            labels.push_back(json::value(t));
            // MITRE ATT&CK technique ids (T1566, T1566.001) become external references.
            if (t.size() >= 5 && t[0] == 'T' && std::isdigit(static_cast<unsigned char>(t[1])))
                refs_ext.push_back(json::object{{"source_name", "mitre-attack"},
                                                {"external_id", t},
                                                {"url", "https://attack.mitre.org/techniques/" +
                                                            [&] {
                                                                std::string u = t;
                                                                for (char& c : u)
                                                                    if (c == '.') c = '/';
                                                                return u;
                                                            }() + "/"}});
        }
        o["labels"] = std::move(labels);
        if (!refs_ext.empty()) o["external_references"] = std::move(refs_ext);
    }
    return o;
}

// --- lean storage ------------------------------------------------------------------------

namespace {

constexpr char kSep = '\x1f';
enum LeanBits : unsigned {
    kSpecVersion = 1,
    kName = 2,
    kDescription = 4,
    kPatternType = 8,
    kValidUntil = 16,
    kMarking = 32,
};

// A string that can be written back without any JSON escape (and holds no separator).
bool Plain(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == '"' || c == '\\') return false;
    return true;
}

// The field of `t` (and its bit) that property `key` of an indicator goes to; false: none.
bool IndicatorField(IndicatorText& t, std::string_view key, std::string_view*& field, unsigned& bit) {
    switch (key.size()) {
        case 2:
            if (key == "id") return field = &t.id, bit = kItId, true;
            break;
        case 4:
            if (key == "type") return field = &t.type, bit = kItType, true;
            if (key == "name") return field = &t.name, bit = kItName, true;
            break;
        case 7:
            if (key == "created") return field = &t.created, bit = kItCreated, true;
            if (key == "pattern") return field = &t.pattern, bit = kItPattern, true;
            break;
        case 8:
            if (key == "modified") return field = &t.modified, bit = kItModified, true;
            break;
        case 10:
            if (key == "valid_from") return field = &t.valid_from, bit = kItValidFrom, true;
            break;
        case 11:
            if (key == "description") return field = &t.description, bit = kItDescription, true;
            if (key == "valid_until") return field = &t.valid_until, bit = kItValidUntil, true;
            break;
        case 12:
            if (key == "spec_version") return field = &t.spec_version, bit = kItSpecVersion, true;
            if (key == "pattern_type") return field = &t.pattern_type, bit = kItPatternType, true;
            break;
        default: break;
    }
    return false;
}

}  // namespace

std::optional<std::string> LeanIndicator(const json::object& o) {
    IndicatorText t;
    for (const auto& kv : o) {
        const std::string_view k = kv.key();
        const json::value& v = kv.value();
        if (k == "object_marking_refs") {
            if (!v.is_array() || v.as_array().size() != 1 || !v.as_array()[0].is_string()) return std::nullopt;
            t.marking = v.as_array()[0].as_string();
            if (!Plain(t.marking)) return std::nullopt;
            t.present |= kItMarking;
            continue;
        }
        if (!v.is_string()) return std::nullopt;
        const std::string_view s = v.as_string();
        if (!Plain(s)) return std::nullopt;
        std::string_view* field = nullptr;
        unsigned bit = 0;
        if (!IndicatorField(t, k, field, bit)) return std::nullopt;  // anything else: verbatim
        *field = s;
        t.present |= bit;
    }
    std::string out;
    if (!LeanIndicatorInto(t, out)) return std::nullopt;
    return out;
}

bool LeanIndicatorInto(const IndicatorText& t, std::string& out) {
    if (!(t.present & kItType) || t.type != "indicator") return false;
    if ((t.present & kItSpecVersion) && t.spec_version != "2.1") return false;
    if ((t.present & kItPatternType) && t.pattern_type != "stix") return false;
    if (!(t.present & kItId) || t.created.empty() || t.modified.empty() || t.pattern.empty() || t.valid_from.empty() ||
        ((t.present & kItMarking) && t.marking.size() < 2))
        return false;
    unsigned bits = 0;
    if (t.present & kItSpecVersion) bits |= kSpecVersion;
    if (t.present & kItName) bits |= kName;
    if (t.present & kItDescription) bits |= kDescription;
    if (t.present & kItPatternType) bits |= kPatternType;
    if (t.present & kItValidUntil) bits |= kValidUntil;
    if (t.present & kItMarking) bits |= kMarking;
    out.clear();
    out.reserve(24 + t.created.size() + t.name.size() + t.description.size() + t.pattern.size() +
                t.valid_from.size() + t.valid_until.size() + t.marking.size());
    static constexpr char kHex[] = "0123456789abcdef";
    out += "~I";
    out += kHex[bits >> 4];
    out += kHex[bits & 15];
    if (t.created != t.modified) out += t.created;
    for (std::string_view f : {t.name, t.description, t.pattern, t.valid_from, t.valid_until}) {
        out += kSep;
        out += f;
    }
    out += kSep;
    if (bits & kMarking) {
        const auto tlp = TlpOfMarkingId(t.marking);
        if (tlp && TlpMarkingId(*tlp) == t.marking) out += static_cast<char>('0' + static_cast<int>(*tlp));
        else out += t.marking;
    }
    return true;
}

namespace {

// The length of the valid UTF-8 sequence (RFC 3629: no overlong form, no surrogate, at most
// U+10FFFF) at the start of `p` (`n` bytes left, p[0] >= 0x80), or 0.
std::size_t Utf8Length(const unsigned char* p, std::size_t n) {
    const unsigned c = p[0];
    auto cont = [&](std::size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;  // overlong
        if (c == 0xED && p[1] > 0x9F) return 0;  // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0;  // overlong
        if (c == 0xF4 && p[1] > 0x8F) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

}  // namespace

namespace {

// ScanIndicatorText of the object that starts at `begin` (white space first allowed) and ends
// before `end` (more may follow): the position just after its closing brace, or nullptr.
const char* ScanIndicatorObject(const char* begin, const char* end_of_text, IndicatorText& out) {
    out = IndicatorText{};
    const auto* p = reinterpret_cast<const unsigned char*>(begin);
    const auto* const end = reinterpret_cast<const unsigned char*>(end_of_text);
    auto space = [&] {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
    };
    // A string without escapes or control characters, valid UTF-8: its content, or false.
    auto string = [&](std::string_view& s) {
        if (p == end || *p != '"') return false;
        const auto* const begin = ++p;
        for (;;) {
            // 8 bytes at a time while none is '"', '\\', a control character or non-ASCII.
            while (end - p >= 8) {
                std::uint64_t w;
                std::memcpy(&w, p, 8);
                constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
                auto zero = [&](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
                if ((zero(w ^ (kOnes * '"')) | zero(w ^ (kOnes * '\\')) | ((w - kOnes * 0x20) & ~w & kHigh) |
                     (w & kHigh)) != 0)
                    break;
                p += 8;
            }
            if (p == end) return false;
            const unsigned c = *p;
            if (c == '"') break;
            if (c < 0x20 || c == '\\') return false;
            if (c < 0x80) {
                ++p;
                continue;
            }
            const std::size_t n = Utf8Length(p, static_cast<std::size_t>(end - p));
            if (n == 0) return false;
            p += n;
        }
        s = std::string_view(reinterpret_cast<const char*>(begin), static_cast<std::size_t>(p - begin));
        ++p;
        return true;
    };
    space();
    if (p == end || *p != '{') return nullptr;
    ++p;
    space();
    if (p == end || *p == '}') return nullptr;  // empty: the full parse reports it
    for (;;) {
        std::string_view key;
        if (!string(key)) return nullptr;
        space();
        if (p == end || *p != ':') return nullptr;
        ++p;
        space();
        if (key == "object_marking_refs") {
            if (out.present & kItMarking) return nullptr;
            if (p == end || *p != '[') return nullptr;
            ++p;
            space();
            if (!string(out.marking)) return nullptr;
            space();
            if (p == end || *p != ']') return nullptr;
            ++p;
            out.present |= kItMarking;
        } else {
            std::string_view* field = nullptr;
            unsigned bit = 0;
            if (!IndicatorField(out, key, field, bit) || (out.present & bit)) return nullptr;
            if (!string(*field)) return nullptr;
            out.present |= bit;
        }
        space();
        if (p == end) return nullptr;
        if (*p == ',') {
            ++p;
            space();
            continue;
        }
        if (*p != '}') return nullptr;
        return reinterpret_cast<const char*>(p + 1);
    }
}

}  // namespace

bool ScanIndicatorText(std::string_view text, IndicatorText& out) {
    const char* const end = text.data() + text.size();
    const char* p = ScanIndicatorObject(text.data(), end, out);
    if (!p) return false;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
    return p == end;
}

std::string RenderLeanIndicator(std::string_view stix_id, std::string_view version, std::string_view lean) {
    if (!lean.starts_with("~I") || lean.size() < 4) return std::string(lean);
    auto hex = [](char c) { return static_cast<unsigned>(c >= 'a' ? c - 'a' + 10 : c - '0'); };
    const unsigned bits = hex(lean[2]) << 4 | hex(lean[3]);
    std::string_view f[7];
    std::string_view rest = lean.substr(4);
    for (int i = 0; i < 7; ++i) {
        const auto at = i < 6 ? rest.find(kSep) : std::string_view::npos;
        f[i] = rest.substr(0, at);
        rest = at == std::string_view::npos ? std::string_view() : rest.substr(at + 1);
    }
    const std::string_view created = f[0].empty() ? version : f[0];
    std::string out;
    out.reserve(lean.size() + stix_id.size() + version.size() + 220);
    auto add = [&](std::string_view key, std::string_view value) {
        out += ",\"";
        out += key;
        out += "\":\"";
        out += value;
        out += '"';
    };
    out += "{\"type\":\"indicator\"";
    if (bits & kSpecVersion) add("spec_version", "2.1");
    add("id", stix_id);
    add("created", created);
    add("modified", version);
    if (bits & kName) add("name", f[1]);
    if (bits & kDescription) add("description", f[2]);
    add("pattern", f[3]);
    if (bits & kPatternType) add("pattern_type", "stix");
    add("valid_from", f[4]);
    if (bits & kValidUntil) add("valid_until", f[5]);
    if (bits & kMarking) {
        out += ",\"object_marking_refs\":[\"";
        if (f[6].size() == 1 && f[6][0] >= '0' && f[6][0] <= '4') out += TlpMarkingId(static_cast<Tlp>(f[6][0] - '0'));
        else out += f[6];
        out += "\"]";
    }
    out += '}';
    return out;
}

std::string LeanReport(const json::object& report) { return "~R" + core::ToJson(report); }

void RenderLeanReport(std::string_view lean, const std::function<bool(std::string&)>& next, std::string& out) {
    std::string_view text = lean.substr(2);
    constexpr std::string_view kRefs = "\"object_refs\":[";
    const auto at = text.find(kRefs);
    const auto end = at == std::string_view::npos ? at : text.find(']', at);
    if (end == std::string_view::npos) {
        out += text;
        return;
    }
    out += text.substr(0, at + kRefs.size());
    std::string id;
    bool any = false;
    while (next(id)) {
        out += any ? ",\"" : "\"";
        out += id;
        out += '"';
        any = true;
    }
    if (!any) out += text.substr(at + kRefs.size(), end - at - kRefs.size());
    out += text.substr(end);
}

// --- StixObjectReader ---------------------------------------------------------------------

int StixObjectReader::Peek() {
    if (pos_ >= buf_.size()) {
        consumed_ += buf_.size();
        buf_.resize(1 << 20);
        in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
        buf_.resize(static_cast<std::size_t>(in_.gcount()));
        pos_ = 0;
        if (buf_.empty()) return -1;
    }
    return static_cast<unsigned char>(buf_[pos_]);
}

int StixObjectReader::Get() {
    int c = Peek();
    if (c >= 0) ++pos_;
    return c;
}

core::Status StixObjectReader::SkipSpace() {
    for (;;) {
        int c = Peek();
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            ++pos_;
            continue;
        }
        return core::Ok();
    }
}

core::Result<std::string> StixObjectReader::ReadString() {
    if (Get() != '"') return tl::unexpected(ObjectError("the bundle is malformed: a key was expected"));
    std::string out;
    for (;;) {
        int c = Get();
        if (c < 0) return tl::unexpected(ObjectError("the bundle is cut short inside a string"));
        if (c == '"') return out;
        if (c == '\\') {
            int d = Get();
            if (d < 0) return tl::unexpected(ObjectError("the bundle is cut short inside a string"));
            out += static_cast<char>(d);
            continue;
        }
        out += static_cast<char>(c);
    }
}

core::Status StixObjectReader::ReadValue(std::string* out) {
    MUHAFIZ_CHECK(SkipSpace());
    // Scans the buffer span by span (no per-character call): the bytes of the value are appended
    // to `out` in one piece per buffer refill.
    int depth = 0;
    bool in_string = false, escaped = false, scalar = false;
    std::size_t size = 0;
    for (;;) {
        if (Peek() < 0) {
            if (scalar) return core::Ok();
            return tl::unexpected(ObjectError("the bundle is cut short"));
        }
        const char* data = buf_.data();
        const std::size_t begin = pos_, n = buf_.size();
        std::size_t i = pos_;
        bool finished = false;
        if (size == 0 && i < n && data[i] != '"' && data[i] != '{' && data[i] != '[') scalar = true;
        if (scalar) {
            while (i < n) {
                const char d = data[i];
                if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\n' || d == '\r' || d == '\t') {
                    finished = true;
                    break;
                }
                ++i;
            }
        } else {
            // Inside a string, memchr jumps to its closing quote or next backslash (most of an
            // object's bytes are string bytes). `quote`: the first '"' at or after i in this span,
            // once searched (nullptr: none), so that strings with many escapes stay linear.
            const char* quote = nullptr;
            bool quote_searched = false;
            while (i < n && !finished) {
                if (in_string) {
                    if (escaped) {
                        escaped = false;
                        ++i;
                        continue;
                    }
                    if (!quote_searched || (quote && static_cast<std::size_t>(quote - data) < i)) {
                        quote = static_cast<const char*>(std::memchr(data + i, '"', n - i));
                        quote_searched = true;
                    }
                    const std::size_t end = quote ? static_cast<std::size_t>(quote - data) : n;
                    if (const void* bs = std::memchr(data + i, '\\', end - i)) {
                        i = static_cast<std::size_t>(static_cast<const char*>(bs) - data) + 1;
                        escaped = true;
                        continue;
                    }
                    i = end;
                    if (!quote) continue;  // the string goes on in the next buffer
                    ++i;
                    in_string = false;
                    if (depth == 0) finished = true;
                    continue;
                }
                const char c = data[i++];
                if (c == '"') {
                    in_string = true;
                } else if (c == '{' || c == '[') {
                    ++depth;
                } else if (c == '}' || c == ']') {
                    if (--depth < 0) return tl::unexpected(ObjectError("the bundle is malformed: unbalanced brackets"));
                    if (depth == 0) finished = true;
                }
            }
        }
        size += i - begin;
        if (size > max_object_)
            return tl::unexpected(ObjectError("an object of the bundle is larger than " +
                                              std::to_string(max_object_ >> 20) + " MiB"));
        if (out) out->append(data + begin, i - begin);
        pos_ = i;
        if (finished) return core::Ok();
    }
}

core::Status StixObjectReader::Start() {
    started_ = true;
    MUHAFIZ_CHECK(SkipSpace());
    if (Get() != '{') return tl::unexpected(ObjectError("a STIX bundle is a JSON object ({\"type\":\"bundle\",...})"));
    return core::Ok();
}

core::Result<bool> StixObjectReader::Next(std::string& object_text) {
    object_text.clear();
    scanned_ok_ = false;
    if (done_) return false;
    if (!started_) MUHAFIZ_CHECK(Start());
    for (;;) {
        MUHAFIZ_CHECK(SkipSpace());
        if (in_objects_) {
            int c = Peek();
            if (c == ']') {
                ++pos_;
                in_objects_ = false;
                continue;
            }
            if (!first_in_array_) {
                if (c != ',') return tl::unexpected(ObjectError("the objects array is malformed: ',' expected"));
                ++pos_;
                MUHAFIZ_CHECK(SkipSpace());
            }
            first_in_array_ = false;
            if (Peek() != '{') {
                MUHAFIZ_CHECK(ReadValue(nullptr));
                object_text = "";  // not an object: the caller reports it
                return true;
            }
            // A simple indicator wholly in the buffer: found and scanned in one pass (the bytes are
            // those ReadValue would give: the scanner accepts valid JSON only).
            const char* const at = buf_.data() + pos_;
            if (const char* after = ScanIndicatorObject(at, buf_.data() + buf_.size(), scanned_)) {
                object_text.assign(at, static_cast<std::size_t>(after - at));
                pos_ += static_cast<std::size_t>(after - at);
                const auto rebase = [&](std::string_view& v) {
                    if (!v.empty()) v = std::string_view(object_text.data() + (v.data() - at), v.size());
                };
                for (std::string_view* v : {&scanned_.type, &scanned_.spec_version, &scanned_.id, &scanned_.created,
                                            &scanned_.modified, &scanned_.name, &scanned_.description,
                                            &scanned_.pattern, &scanned_.pattern_type, &scanned_.valid_from,
                                            &scanned_.valid_until, &scanned_.marking})
                    rebase(*v);
                scanned_ok_ = true;
                return true;
            }
            MUHAFIZ_CHECK(ReadValue(&object_text));
            return true;
        }
        int c = Peek();
        if (c == '}') {
            ++pos_;
            done_ = true;
            return false;
        }
        if (c == ',') {
            ++pos_;
            continue;
        }
        if (c < 0) return tl::unexpected(ObjectError("the bundle is cut short"));
        auto key = MUHAFIZ_TRY(ReadString());
        MUHAFIZ_CHECK(SkipSpace());
        if (Get() != ':') return tl::unexpected(ObjectError("the bundle is malformed: ':' expected after \"" + key + "\""));
        MUHAFIZ_CHECK(SkipSpace());
        if (key == "objects") {
            if (Get() != '[') return tl::unexpected(ObjectError("the bundle's \"objects\" must be an array"));
            in_objects_ = true;
            first_in_array_ = true;
            continue;
        }
        std::string value;
        MUHAFIZ_CHECK(ReadValue(&value));
        if (key == "type" && value != "\"bundle\"")
            return tl::unexpected(ObjectError("the document's type is " + value + ", not \"bundle\""));
        if (key == "id" && value.size() > 2) bundle_id_ = value.substr(1, value.size() - 2);
    }
}

}  // namespace muhafiz::intel
