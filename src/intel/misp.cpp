#include "intel/misp.hpp"

#include <sodium.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <set>

#include "core/ids.hpp"

namespace muhafiz::intel {
namespace json = core::json;

namespace {

std::string Str(const json::object& o, std::string_view key) {
    auto v = o.if_contains(key);
    if (!v) return {};
    if (v->is_string()) return std::string(v->as_string());
    if (v->is_int64()) return std::to_string(v->as_int64());
    if (v->is_bool()) return v->as_bool() ? "1" : "0";
    return {};
}

bool Flag(const json::object& o, std::string_view key) {
    auto v = o.if_contains(key);
    if (!v) return false;
    if (v->is_bool()) return v->as_bool();
    if (v->is_int64()) return v->as_int64() != 0;
    if (v->is_string()) return v->as_string() == "1" || v->as_string() == "true";
    return false;
}

const json::array* Arr(const json::object& o, std::string_view key) {
    auto v = o.if_contains(key);
    return v && v->is_array() ? &v->as_array() : nullptr;
}

// MISP attribute type → (our type, the part of the value to use).
std::optional<IndicatorType> MapType(const std::string& misp, const std::string& value, std::string& part) {
    auto after_bar = [&] {
        auto b = value.find('|');
        return b == std::string::npos ? value : value.substr(b + 1);
    };
    auto before_bar = [&] { return value.substr(0, value.find('|')); };
    part = value;
    auto ip_type = [](const std::string& v) {
        return v.find('/') != std::string::npos ? IndicatorType::kCidr
                                                : (v.find(':') != std::string::npos ? IndicatorType::kIpv6 : IndicatorType::kIpv4);
    };
    if (misp == "ip-src" || misp == "ip-dst") return ip_type(value);
    if (misp == "ip-src|port" || misp == "ip-dst|port") {
        part = before_bar();
        return ip_type(part);
    }
    if (misp == "domain" || misp == "hostname") return IndicatorType::kDomain;
    if (misp == "domain|ip" || misp == "hostname|port") {
        part = before_bar();
        return IndicatorType::kDomain;
    }
    if (misp == "url" || misp == "uri") return misp == "url" ? std::optional(IndicatorType::kUrl) : std::nullopt;
    if (misp == "email" || misp == "email-src" || misp == "email-dst" || misp == "email-reply-to")
        return IndicatorType::kEmail;
    if (misp == "md5") return IndicatorType::kMd5;
    if (misp == "sha1") return IndicatorType::kSha1;
    if (misp == "sha256") return IndicatorType::kSha256;
    if (misp == "sha512") return IndicatorType::kSha512;
    if (misp == "filename|md5" || misp == "malware-sample") {
        part = after_bar();
        return IndicatorType::kMd5;
    }
    if (misp == "filename|sha1") {
        part = after_bar();
        return IndicatorType::kSha1;
    }
    if (misp == "filename|sha256") {
        part = after_bar();
        return IndicatorType::kSha256;
    }
    if (misp == "filename|sha512") {
        part = after_bar();
        return IndicatorType::kSha512;
    }
    if (misp == "AS") return IndicatorType::kAsn;
    if (misp == "x509-fingerprint-sha1" || misp == "x509-fingerprint-sha256") return IndicatorType::kX509;
    return std::nullopt;
}

std::pair<std::string, std::string> MispTypeOf(IndicatorType t, const std::string& value) {
    switch (t) {
        case IndicatorType::kIpv4:
        case IndicatorType::kIpv6:
        case IndicatorType::kCidr: return {"ip-dst", "Network activity"};
        case IndicatorType::kDomain: return {"domain", "Network activity"};
        case IndicatorType::kUrl: return {"url", "Network activity"};
        case IndicatorType::kEmail: return {"email-src", "Payload delivery"};
        case IndicatorType::kMd5: return {"md5", "Payload delivery"};
        case IndicatorType::kSha1: return {"sha1", "Payload delivery"};
        case IndicatorType::kSha256: return {"sha256", "Payload delivery"};
        case IndicatorType::kSha512: return {"sha512", "Payload delivery"};
        case IndicatorType::kAsn: return {"AS", "Network activity"};
        case IndicatorType::kX509:
            return {value.size() == 64 ? "x509-fingerprint-sha256" : "x509-fingerprint-sha1", "Network activity"};
    }
    return {"text", "Other"};
}

std::string DistributionOf(Audience a) {
    switch (a) {
        case Audience::kOrganisation: return "0";
        case Audience::kCert:
        case Audience::kSector: return "1";
        case Audience::kNational: return "2";
        case Audience::kPartners: return "3";
    }
    return "0";
}

std::string TlpTag(Tlp t) {
    switch (t) {
        case Tlp::kClear: return "tlp:clear";
        case Tlp::kGreen: return "tlp:green";
        case Tlp::kAmber: return "tlp:amber";
        case Tlp::kAmberStrict: return "tlp:amber+strict";
        case Tlp::kRed: return "tlp:red";
    }
    return "tlp:red";
}

std::string Md5Hex(const std::string& data) {
    // MISP's hashes.csv carries md5(value); libsodium has no MD5, so a small implementation.
    static const std::uint32_t k[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
        0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
        0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
        0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
        0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
        0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
        0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
    static const int r[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9,  14, 20, 5, 9,
                              14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                              4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    std::uint32_t h0 = 0x67452301, h1 = 0xefcdab89, h2 = 0x98badcfe, h3 = 0x10325476;
    std::string msg = data;
    std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
    msg += static_cast<char>(0x80);
    while (msg.size() % 64 != 56) msg += '\0';
    for (int i = 0; i < 8; ++i) msg += static_cast<char>((bits >> (8 * i)) & 0xff);
    for (std::size_t off = 0; off < msg.size(); off += 64) {
        std::uint32_t w[16];
        for (int i = 0; i < 16; ++i)
            w[i] = static_cast<std::uint8_t>(msg[off + i * 4]) | (static_cast<std::uint8_t>(msg[off + i * 4 + 1]) << 8) |
                   (static_cast<std::uint8_t>(msg[off + i * 4 + 2]) << 16) |
                   (static_cast<std::uint32_t>(static_cast<std::uint8_t>(msg[off + i * 4 + 3])) << 24);
        std::uint32_t a = h0, b = h1, c = h2, d = h3;
        for (int i = 0; i < 64; ++i) {
            std::uint32_t f;
            int g;
            if (i < 16) f = (b & c) | (~b & d), g = i;
            else if (i < 32) f = (d & b) | (~d & c), g = (5 * i + 1) % 16;
            else if (i < 48) f = b ^ c ^ d, g = (3 * i + 5) % 16;
            else f = c ^ (b | ~d), g = (7 * i) % 16;
            std::uint32_t tmp = d;
            d = c;
            c = b;
            std::uint32_t x = a + f + k[i] + w[g];
            b = b + ((x << r[i]) | (x >> (32 - r[i])));
            a = tmp;
        }
        h0 += a, h1 += b, h2 += c, h3 += d;
    }
    std::string out;
    for (std::uint32_t h : {h0, h1, h2, h3})
        for (int i = 0; i < 4; ++i) out += static_cast<char>((h >> (8 * i)) & 0xff);
    return core::HexEncode(out);
}

}  // namespace

json::object ToJson(const MispImportReport& r) {
    json::array problems;
    for (const auto& p : r.problems)
        problems.push_back(json::object{{"index", p.index}, {"object", p.object_id}, {"reason", p.reason}});
    return json::object{{"event_id", r.event_id},
                        {"tlp", access::TlpName(r.tlp)},
                        {"audience", access::AudienceName(r.audience)},
                        {"attributes", r.attributes},
                        {"indicators", r.indicators},
                        {"skipped", r.skipped},
                        {"sightings", r.sightings},
                        {"false_positives", r.false_positives},
                        {"reimport", r.reimport},
                        {"created", r.created},
                        {"updated", r.updated},
                        {"unchanged", r.unchanged},
                        {"removed", r.removed},
                        {"rejected", r.problems.size()},
                        {"failed", r.problems.size()},
                        {"problems", std::move(problems)}};
}

core::Result<MispImportReport> ImportMisp(IntelStore& store, std::string_view text, const MispImportOptions& options,
                                          const core::Actor& actor) {
    auto doc = core::ParseJsonObject(text);
    if (!doc) return core::Invalid("misp", "the MISP file is not JSON: " + doc.error().message);
    const json::object* ev = &*doc;
    if (auto e = doc->if_contains("Event"); e && e->is_object()) ev = &e->as_object();
    if (!ev->if_contains("info") && !ev->if_contains("Attribute") && !ev->if_contains("Object"))
        return core::Invalid("misp", "not a MISP event: no 'Event', 'info' or 'Attribute'");
    MispImportReport report;
    EventInput in;
    in.title = Str(*ev, "info");
    if (in.title.empty()) in.title = "MISP event " + Str(*ev, "uuid");
    in.source = "misp:" + Str(*ev, "uuid");
    std::optional<Tlp> tlp;
    auto take_tags = [&](const json::object& holder, bool event_level) {
        if (const auto* tags = Arr(holder, "Tag"))
            for (const auto& t : *tags) {
                if (!t.is_object()) continue;
                std::string name = Str(t.as_object(), "name");
                std::string lower = name;
                for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                if (lower.starts_with("tlp:")) {
                    if (auto parsed = access::ParseTlp(lower.substr(4)))
                        if (!tlp || static_cast<int>(*parsed) > static_cast<int>(*tlp)) tlp = *parsed;
                    continue;
                }
                if (!event_level || name.empty()) continue;
                // ATT&CK technique ids from galaxy tags ("... - T1566.001\"").
                if (auto p = name.rfind(" - T"); p != std::string::npos && name.find("attack-pattern") != std::string::npos) {
                    std::string id = name.substr(p + 3);
                    while (!id.empty() && (id.back() == '"' || id.back() == ' ')) id.pop_back();
                    if (std::find(in.tags.begin(), in.tags.end(), id) == in.tags.end()) in.tags.push_back(id);
                }
                if (in.tags.size() < 200 && std::find(in.tags.begin(), in.tags.end(), name) == in.tags.end())
                    in.tags.push_back(name);
            }
    };
    take_tags(*ev, true);
    // Distribution (never widened); a missing one (feed format) means the importer's choice.
    Audience audience = options.audience.value_or(Audience::kOrganisation);
    if (!options.audience) {
        const std::string d = Str(*ev, "distribution");
        if (d == "1") audience = Audience::kCert;
        else if (d == "2") audience = Audience::kNational;
        else if (d == "3") audience = Audience::kPartners;
        else audience = Audience::kOrganisation;  // 0, 4 (sharing group) and unknown: fail closed
    }
    struct Extra {
        std::int64_t sightings = 0;
        bool false_positive = false;
        std::optional<core::Micros> last;
    };
    std::map<std::pair<std::string, std::string>, Extra> extras;
    // MISP attribute uuids that appear more than once in the file: which attribute they name is
    // ambiguous, so every attribute carrying one is a problem (skipped).
    std::map<std::string, std::size_t> uuid_uses;
    {
        auto count = [&](const json::array* attrs) {
            if (attrs)
                for (const auto& a : *attrs)
                    if (a.is_object())
                        if (std::string u = Str(a.as_object(), "uuid"); !u.empty()) ++uuid_uses[u];
        };
        count(Arr(*ev, "Attribute"));
        if (const auto* objs = Arr(*ev, "Object"))
            for (const auto& o : *objs)
                if (o.is_object()) count(Arr(o.as_object(), "Attribute"));
    }
    std::map<std::string, core::Micros> attribute_stamps;  // attribute uuid → its timestamp
    std::map<std::string, std::size_t> attribute_index;   // attribute uuid → its position
    struct Removal {
        std::string uuid, type, value;  // type/value: normalised ('' when not an indicator form)
        std::size_t index = 0;
    };
    std::vector<Removal> removals;  // attributes marked deleted
    std::size_t index = 0;
    auto take_attribute = [&](const json::object& a) {
        const std::size_t at = index++;
        ++report.attributes;
        const std::string attribute_uuid = Str(a, "uuid");
        if (auto n = uuid_uses.find(attribute_uuid); n != uuid_uses.end() && n->second > 1) {
            report.problems.push_back(ImportProblem{at, attribute_uuid,
                                                    "attribute uuid " + attribute_uuid + " appears " +
                                                        std::to_string(n->second) +
                                                        " times in the event: ambiguous, not imported"});
            return;
        }
        const bool deleted = Flag(a, "deleted");
        if (!deleted) take_tags(a, false);
        const std::string type = Str(a, "type");
        const std::string value = Str(a, "value");
        std::string part;
        auto t = MapType(type, value, part);
        if (deleted) {
            // Removes the indicator it matches on a re-import; skipped otherwise.
            Removal r{attribute_uuid, "", "", at};
            if (t)
                if (auto normal = Normalise(*t, part)) {
                    r.type = std::string(TypeName(*t));
                    r.value = *normal;
                }
            removals.push_back(std::move(r));
            ++report.skipped;
            return;
        }
        if (!t) {
            ++report.skipped;  // types with no indicator form (text, attachment, comment...)
            return;
        }
        auto normal = Normalise(*t, part);
        if (!normal) {
            report.problems.push_back(ImportProblem{at, Str(a, "uuid"), type + " '" + value + "': " + normal.error().message});
            return;
        }
        // first_seen / last_seen (ISO 8601, MISP writes microseconds) → validity, as misp-stix.
        std::optional<core::Micros> first_seen, last_seen;
        for (auto [key, slot] : {std::pair{"first_seen", &first_seen}, std::pair{"last_seen", &last_seen}}) {
            const json::value* x = a.if_contains(key);
            if (!x || x->is_null() || (x->is_string() && x->as_string().empty())) continue;
            std::optional<core::Micros> when;
            if (x->is_string()) when = core::ParseRfc3339(std::string_view(x->as_string()));
            if (!when) {
                report.problems.push_back(ImportProblem{at, attribute_uuid.empty() ? std::to_string(at) : attribute_uuid,
                                                        type + " '" + value + "': " + key +
                                                            " is not an ISO 8601 date-time"});
                return;
            }
            *slot = when;
        }
        if (first_seen && last_seen && *last_seen <= *first_seen) {
            report.problems.push_back(ImportProblem{at, attribute_uuid.empty() ? std::to_string(at) : attribute_uuid,
                                                    type + " '" + value + "': last_seen must be later than first_seen"});
            return;
        }
        IndicatorInput ii;
        ii.type = std::string(TypeName(*t));
        ii.value = *normal;
        ii.comment = Str(a, "comment");
        ii.detection = Flag(a, "to_ids");
        ii.source_uuid = attribute_uuid;
        ii.valid_from = first_seen;
        ii.valid_until = last_seen;
        if (!attribute_uuid.empty()) attribute_index[attribute_uuid] = at;
        if (const std::string ts = Str(a, "timestamp");
            !attribute_uuid.empty() && !ts.empty() && ts.size() < 12 && ts.find_first_not_of("0123456789") == std::string::npos)
            attribute_stamps[attribute_uuid] = std::stoll(ts) * 1000000LL;
        in.indicators.push_back(ii);
        Extra& x = extras[{ii.type, *normal}];
        if (const auto* s = Arr(a, "Sighting"))
            for (const auto& sv : *s) {
                if (!sv.is_object()) continue;
                const std::string st = Str(sv.as_object(), "type");
                std::string ts = Str(sv.as_object(), "date_sighting");
                std::optional<core::Micros> when;
                if (!ts.empty()) when = std::stoll(ts) * 1000000LL;
                if (st == "1") {
                    x.false_positive = true;
                } else if (st == "0" || st.empty()) {
                    ++x.sightings;
                    if (when && (!x.last || *when > *x.last)) x.last = when;
                }
            }
    };
    if (const auto* attrs = Arr(*ev, "Attribute"))
        for (const auto& a : *attrs)
            if (a.is_object()) take_attribute(a.as_object());
    if (const auto* objs = Arr(*ev, "Object"))
        for (const auto& o : *objs)
            if (o.is_object())
                if (const auto* attrs = Arr(o.as_object(), "Attribute"))
                    for (const auto& a : *attrs)
                        if (a.is_object()) take_attribute(a.as_object());
    in.tlp = tlp.value_or(options.default_tlp);
    in.audience = audience;
    // Duplicate values inside the event collapse to one indicator (detection if any says so).
    std::map<std::pair<std::string, std::string>, std::size_t> seen;
    std::vector<IndicatorInput> unique;
    for (auto& ii : in.indicators) {
        auto key = std::make_pair(ii.type, ii.value);
        if (auto f = seen.find(key); f != seen.end()) {
            if (ii.detection.value_or(false)) unique[f->second].detection = true;
            continue;
        }
        seen[key] = unique.size();
        unique.push_back(std::move(ii));
    }
    in.indicators = std::move(unique);
    if (in.indicators.size() > 10000) in.indicators.resize(10000);
    // Re-import (by event uuid + timestamp; attributes by normalised value): see MispImportReport.
    const std::string source_ref = "misp:" + Str(*ev, "uuid");
    std::int64_t stamp = 0;
    if (const std::string ts = Str(*ev, "timestamp"); !ts.empty() && ts.size() < 19 &&
                                                      ts.find_first_not_of("0123456789") == std::string::npos)
        stamp = std::stoll(ts);
    std::optional<IntelStore::ImportedEvent> prior;
    if (source_ref.size() > 5) prior = MUHAFIZ_TRY(store.FindImported(options.organisation_id, source_ref));
    std::set<std::pair<std::string, std::string>> fresh;  // values new in this import
    Event e;
    if (prior) {
        report.reimport = true;
        auto owner = MUHAFIZ_TRY(store.ViewerForOrganisation(options.organisation_id));
        std::size_t refused = 0;
        if (stamp > prior->version) {
            // The event's indicators imported from a MISP attribute, by attribute uuid; the others
            // (imported before attribute uuids were kept, or added here) by value.
            std::map<std::string, Indicator> by_attribute;
            std::map<std::pair<std::string, std::string>, Indicator> without_uuid;
            {
                IndicatorFilter all;
                all.event = prior->event_uuid;
                all.limit = 5000;
                for (;;) {
                    auto page = MUHAFIZ_TRY(store.ListIndicators(all, owner));
                    for (auto& i : page.items)
                        if (!i.source_uuid.empty()) by_attribute.emplace(i.source_uuid, std::move(i));
                        else without_uuid.emplace(std::make_pair(std::string(TypeName(i.type)), i.value), std::move(i));
                    if (!page.next) break;
                    all.cursor = *page.next;
                }
            }
            // Attributes the source deleted: the indicator they match (by attribute uuid, else by
            // value) is removed like an analyst's removal (revoked STIX version, MISP deleted).
            for (const auto& r : removals) {
                std::string target;
                if (auto k = r.uuid.empty() ? by_attribute.end() : by_attribute.find(r.uuid); k != by_attribute.end()) {
                    target = k->second.uuid;
                    by_attribute.erase(k);
                } else if (!r.type.empty()) {
                    const auto key = std::make_pair(r.type, r.value);
                    if (auto w = without_uuid.find(key); w != without_uuid.end()) {
                        target = w->second.uuid;
                        without_uuid.erase(w);
                    } else if (r.uuid.empty()) {
                        for (auto b = by_attribute.begin(); b != by_attribute.end(); ++b)
                            if (TypeName(b->second.type) == r.type && b->second.value == r.value) {
                                target = b->second.uuid;
                                by_attribute.erase(b);
                                break;
                            }
                    }
                }
                if (target.empty()) continue;
                auto done = store.RemoveIndicator(target, std::nullopt, owner, actor);
                if (!done) {
                    if (done.error().code != core::ErrorCode::kNotFound &&
                        done.error().code != core::ErrorCode::kPermissionDenied)
                        return tl::unexpected(done.error());
                    report.problems.push_back(ImportProblem{r.index, r.uuid, "cannot remove the indicator of deleted "
                                                                            "attribute: " + done.error().message});
                    continue;
                }
                ++report.removed;
            }
            std::vector<IndicatorInput> to_add;
            for (const auto& ii : in.indicators) {
                auto known = ii.source_uuid.empty() ? by_attribute.end() : by_attribute.find(ii.source_uuid);
                bool adopt = false;  // an indicator of the same value without attribute uuid takes this one
                if (known == by_attribute.end()) {
                    auto same = ii.source_uuid.empty() ? without_uuid.end() : without_uuid.find({ii.type, ii.value});
                    if (same == without_uuid.end()) {
                        to_add.push_back(ii);
                        continue;
                    }
                    known = by_attribute.emplace(ii.source_uuid, same->second).first;
                    adopt = true;
                }
                const Indicator& old = known->second;
                const bool moved = TypeName(old.type) != ii.type || old.value != ii.value;
                const bool seen_changed = (ii.valid_from && *ii.valid_from != old.valid_from) ||
                                          (ii.valid_until && ii.valid_until != old.valid_until);
                if (!adopt && !moved && !seen_changed && old.comment == ii.comment &&
                    old.detection == ii.detection.value_or(true))
                    continue;
                IndicatorInput revised = ii;
                if (auto s = attribute_stamps.find(ii.source_uuid); moved && !ii.valid_from && s != attribute_stamps.end())
                    revised.valid_from = s->second;  // the corrected value holds from the attribute's change
                auto r = store.ReviseIndicator(old.uuid, revised, owner, actor);
                if (!r) {
                    if (r.error().code != core::ErrorCode::kConflict &&
                        r.error().code != core::ErrorCode::kInvalidArgument)
                        return tl::unexpected(r.error());
                    report.problems.push_back(ImportProblem{attribute_index[ii.source_uuid], ii.source_uuid,
                                                            ii.type + " '" + ii.value + "': " + r.error().message});
                    ++refused;
                    continue;
                }
                ++report.updated;
            }
            auto added = MUHAFIZ_TRY(store.AddIndicators(prior->event_uuid, to_add, owner, actor));
            for (const auto& i : added) fresh.emplace(std::string(TypeName(i.type)), i.value);
            report.created = added.size();
            MUHAFIZ_CHECK(store.MarkImported(prior->event_uuid, source_ref, stamp));
        }
        report.unchanged = in.indicators.size() - report.created - report.updated - refused;
        e = MUHAFIZ_TRY(store.Get(prior->event_uuid, owner));
    } else {
        e = MUHAFIZ_TRY(store.Create(in, options.organisation_id, actor));
        if (source_ref.size() > 5) MUHAFIZ_CHECK(store.MarkImported(e.uuid, source_ref, stamp));
        report.created = static_cast<std::size_t>(e.indicator_count);
    }
    report.event_id = e.uuid;
    report.tlp = e.tlp;
    report.audience = e.audience;
    report.indicators = static_cast<std::size_t>(e.indicator_count);
    auto viewer = MUHAFIZ_TRY(store.ViewerForOrganisation(options.organisation_id));
    IndicatorFilter f;
    f.event = e.uuid;
    f.limit = 500;
    for (;;) {
        auto page = MUHAFIZ_TRY(store.ListIndicators(f, viewer));
        for (const auto& i : page.items) {
            auto x = extras.find({std::string(TypeName(i.type)), i.value});
            if (x == extras.end()) continue;
            if (prior && !fresh.count(x->first)) continue;  // applied when that attribute came in
            if (x->second.sightings > 0) {
                SightingInput s;
                s.count = x->second.sightings;
                s.seen_at = x->second.last;
                s.source = "misp";
                MUHAFIZ_TRY(store.AddSighting(i.uuid, s, viewer, actor));
                report.sightings += static_cast<std::size_t>(x->second.sightings);
            }
            if (x->second.false_positive) {
                IndicatorPatch p;
                p.false_positive = true;
                MUHAFIZ_TRY(store.UpdateIndicator(i.uuid, p, viewer, actor));
                ++report.false_positives;
            }
        }
        if (!page.next) break;
        f.cursor = *page.next;
    }
    return report;
}

namespace {

std::string_view TlpColour(Tlp t) {
    switch (t) {
        case Tlp::kClear: return "#ffffff";
        case Tlp::kGreen: return "#33ff00";
        case Tlp::kAmber:
        case Tlp::kAmberStrict: return "#ffc000";
        case Tlp::kRed: return "#ff2b2b";
    }
    return "#ff2b2b";
}

json::array EventTags(const Event& e) {
    json::array tags{json::object{{"name", TlpTag(e.tlp)}, {"colour", TlpColour(e.tlp)}}};
    for (const auto& t : e.tags) tags.push_back(json::object{{"name", t}});
    return tags;
}

// MISP's first_seen/last_seen form: "2024-05-01T10:00:00.000000+00:00".
std::string MispTime(core::Micros t) {
    std::string s = core::FormatRfc3339(t - t % 1000000);  // "...:SSZ"
    s.pop_back();
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%06d+00:00", static_cast<int>(((t % 1000000) + 1000000) % 1000000));
    return s + frac;
}

// One indicator as a MISP attribute (the only attribute writer: event JSON and feed alike).
json::object AttributeJson(const Indicator& i) {
    auto [type, category] = MispTypeOf(i.type, i.value);
    // An attribute imported from MISP keeps its MISP uuid; ours otherwise.
    json::object a{{"uuid", i.source_uuid.empty() ? i.uuid : i.source_uuid},
                   {"type", type},
                   {"category", category},
                   {"value", i.value},
                   {"to_ids", i.detection && !i.false_positive && (i.warning.empty() || i.warning_override)},
                   {"comment", i.comment},
                   {"distribution", "5"},
                   {"deleted", false},
                   {"disable_correlation", false},
                   {"object_relation", nullptr},
                   {"timestamp", std::to_string(i.updated_at / 1000000)},
                   {"first_seen", MispTime(i.valid_from)}};
    if (i.valid_until && *i.valid_until > i.valid_from) a["last_seen"] = MispTime(*i.valid_until);
    if (i.sightings > 0)
        a["Sighting"] = json::array{json::object{{"type", "0"},
                                                 {"date_sighting", std::to_string(i.last_seen.value_or(i.updated_at) / 1000000)},
                                                 {"source", "muhafiz"}}};
    return a;
}

// An indicator removed from the event (IntelStore::RemoveIndicator) as a deleted MISP attribute,
// so that a MISP instance pulling us deletes it too.
json::object RemovedAttributeJson(const IntelStore::RemovedIndicator& r) {
    auto [type, category] = MispTypeOf(r.type, r.value);
    json::object a{{"uuid", r.attribute_uuid},
                   {"type", type},
                   {"category", category},
                   {"value", r.value},
                   {"to_ids", false},
                   {"comment", r.comment},
                   {"distribution", "5"},
                   {"deleted", true},
                   {"disable_correlation", false},
                   {"object_relation", nullptr},
                   {"timestamp", std::to_string(r.removed_at / 1000000)},
                   {"first_seen", MispTime(r.valid_from)}};
    if (r.valid_until) a["last_seen"] = MispTime(*r.valid_until);
    return a;
}

// The event without its attributes (the only event writer).
json::object EventHeader(const Event& e) {
    const std::string date = core::FormatRfc3339(e.created_at).substr(0, 10);
    return json::object{{"uuid", e.uuid},
                        {"info", e.title},
                        {"date", date},
                        {"threat_level_id", "4"},
                        {"analysis", "2"},
                        {"distribution", DistributionOf(e.audience)},
                        {"published", true},
                        {"timestamp", std::to_string(e.updated_at / 1000000)},
                        {"publish_timestamp", std::to_string(e.updated_at / 1000000)},
                        {"Orgc", json::object{{"name", e.organisation.name}, {"uuid", e.organisation.uuid}}},
                        {"Tag", EventTags(e)},
                        {"Object", json::array{}}};
}

// Calls f(indicator) for every indicator of the event the viewer may see, page by page.
template <class F>
core::Status ForEachIndicator(IntelStore& store, const std::string& event_uuid, const access::IntelViewer& viewer, F&& f) {
    IndicatorFilter filter;
    filter.event = event_uuid;
    filter.limit = 5000;  // each page also counts the event's indicators: few, large pages
    for (;;) {
        auto page = MUHAFIZ_TRY(store.ListIndicators(filter, viewer));
        for (const auto& i : page.items) MUHAFIZ_CHECK(f(i));
        if (!page.next) break;
        filter.cursor = *page.next;
    }
    return core::Ok();
}

}  // namespace

core::Result<json::object> ExportMisp(IntelStore& store, const std::string& uuid, const access::IntelViewer& viewer) {
    Event e = MUHAFIZ_TRY(store.Get(uuid, viewer));
    json::array attributes;
    MUHAFIZ_CHECK(ForEachIndicator(store, e.uuid, viewer, [&](const Indicator& i) -> core::Status {
        attributes.push_back(AttributeJson(i));
        return core::Ok();
    }));
    for (const auto& r : MUHAFIZ_TRY(store.RemovedIndicators(e))) attributes.push_back(RemovedAttributeJson(r));
    json::object event = EventHeader(e);
    event["Attribute"] = std::move(attributes);
    return json::object{{"Event", std::move(event)}};
}

bool InMispFeed(const Event& e, const MispFeedScope& scope) {
    if (static_cast<int>(e.tlp) > static_cast<int>(scope.max_tlp)) return false;
    return !scope.audience || e.audience == *scope.audience;
}

core::Result<std::vector<Event>> MispFeedEvents(IntelStore& store, const access::IntelViewer& viewer,
                                                const MispFeedScope& scope, std::size_t limit) {
    std::vector<Event> out;
    EventFilter f;
    f.limit = 200;
    f.audience = scope.audience;
    if (scope.max_tlp == Tlp::kClear) f.tlp = Tlp::kClear;
    for (;;) {
        auto page = MUHAFIZ_TRY(store.ListEvents(f, viewer));
        for (auto& e : page.items) {
            if (!InMispFeed(e, scope)) continue;
            if (out.size() >= limit) return out;
            out.push_back(std::move(e));
        }
        if (!page.next) break;
        f.cursor = *page.next;
    }
    return out;
}

std::string MispFeedManifest(const std::vector<Event>& events) {
    json::object manifest;
    for (const auto& e : events) {
        json::object h = EventHeader(e);
        manifest[e.uuid] = json::object{{"info", h.at("info")},
                                        {"date", h.at("date")},
                                        {"analysis", h.at("analysis")},
                                        {"threat_level_id", h.at("threat_level_id")},
                                        {"timestamp", h.at("timestamp")},
                                        {"Orgc", h.at("Orgc")},
                                        {"Tag", h.at("Tag")}};
    }
    return core::ToJson(manifest);
}

core::Result<core::Micros> WriteMispFeedEvent(IntelStore& store, const Event& e, const access::IntelViewer& viewer,
                                              std::ostream& out) {
    std::string header = core::ToJson(EventHeader(e));
    header.pop_back();  // the closing '}': the attributes follow
    out << "{\"Event\":" << header << ",\"Attribute\":[";
    core::Micros latest = e.updated_at;
    bool first = true;
    MUHAFIZ_CHECK(ForEachIndicator(store, e.uuid, viewer, [&](const Indicator& i) -> core::Status {
        out << (first ? "" : ",") << core::ToJson(AttributeJson(i));
        first = false;
        latest = std::max(latest, i.updated_at);
        return core::Ok();
    }));
    for (const auto& r : MUHAFIZ_TRY(store.RemovedIndicators(e))) {
        out << (first ? "" : ",") << core::ToJson(RemovedAttributeJson(r));
        first = false;
        latest = std::max(latest, r.removed_at);
    }
    out << "]}}";
    if (!out) return core::Fail(core::ErrorCode::kInternal, "cannot write the MISP event " + e.uuid);
    return latest;
}

core::Status WriteMispFeedHashes(IntelStore& store, const std::vector<Event>& events, const access::IntelViewer& viewer,
                                 std::ostream& out) {
    for (const auto& e : events)
        MUHAFIZ_CHECK(ForEachIndicator(store, e.uuid, viewer, [&](const Indicator& i) -> core::Status {
            out << Md5Hex(i.value) << ',' << e.uuid << '\n';
            return core::Ok();
        }));
    if (!out) return core::Fail(core::ErrorCode::kInternal, "cannot write hashes.csv");
    return core::Ok();
}

core::Result<std::size_t> WriteMispFeed(IntelStore& store, const std::string& folder, const access::IntelViewer& viewer,
                                        Tlp max_tlp, std::optional<Audience> audience) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) return core::Invalid("out", "cannot create " + folder + ": " + ec.message());
    MispFeedScope scope;
    scope.max_tlp = max_tlp;
    scope.audience = audience;
    auto events = MUHAFIZ_TRY(MispFeedEvents(store, viewer, scope));
    for (const auto& e : events) {
        const std::string file = folder + "/" + e.uuid + ".json";
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        if (!out) return core::Fail(core::ErrorCode::kInternal, "cannot write " + file);
        MUHAFIZ_TRY(WriteMispFeedEvent(store, e, viewer, out));
    }
    std::ofstream m(folder + "/manifest.json", std::ios::binary | std::ios::trunc);
    m << MispFeedManifest(events);
    std::ofstream h(folder + "/hashes.csv", std::ios::binary | std::ios::trunc);
    MUHAFIZ_CHECK(WriteMispFeedHashes(store, events, viewer, h));
    if (!m || !h) return core::Fail(core::ErrorCode::kInternal, "cannot write the feed's manifest or hashes");
    return events.size();
}

}  // namespace muhafiz::intel
