// The incident model's rules: taxonomy, enumerations, transitions and value checks.
#include "incidents/incident.hpp"

#include <algorithm>
#include <cctype>

#include "core/net.hpp"
#include "core/time.hpp"
#include "incidents/embedded_data.hpp"

namespace muhafiz::incidents {
namespace json = core::json;

namespace {

std::string Upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}
std::string LowerAscii(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<RsitClass> LoadTaxonomy() {
    std::vector<RsitClass> out;
    auto parsed = core::ParseJsonObject(EmbeddedRsitTaxonomy());
    if (!parsed) return out;
    const auto& doc = *parsed;
    for (const auto& p : doc.at("predicates").as_array()) {
        const auto& o = p.as_object();
        RsitClass c;
        c.value = std::string(o.at("value").as_string());
        c.name = std::string(o.at("expanded").as_string());
        if (auto* d = o.if_contains("description")) c.description = std::string(d->as_string());
        out.push_back(std::move(c));
    }
    for (const auto& v : doc.at("values").as_array()) {
        const auto& o = v.as_object();
        std::string predicate(o.at("predicate").as_string());
        auto it = std::find_if(out.begin(), out.end(), [&](const RsitClass& c) { return c.value == predicate; });
        if (it == out.end()) continue;
        for (const auto& e : o.at("entry").as_array()) {
            const auto& eo = e.as_object();
            RsitType t;
            t.value = std::string(eo.at("value").as_string());
            t.name = std::string(eo.at("expanded").as_string());
            if (auto* d = eo.if_contains("description")) t.description = std::string(d->as_string());
            it->types.push_back(std::move(t));
        }
    }
    return out;
}

}  // namespace

const std::vector<RsitClass>& RsitTaxonomy() {
    static const std::vector<RsitClass> kTaxonomy = LoadTaxonomy();
    return kTaxonomy;
}

namespace {
int TaxonomyPosition(std::string_view cls) {
    const auto& all = RsitTaxonomy();
    for (std::size_t k = 0; k < all.size() && k < 40; ++k)
        if (all[k].value == cls) return static_cast<int>(k);
    return -1;
}
}  // namespace

std::int64_t ClassBit(std::string_view cls) {
    int pos = TaxonomyPosition(cls);
    if (pos < 0) {
        std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
        for (unsigned char c : cls) h = (h ^ c) * 1099511628211ULL;
        pos = 40 + static_cast<int>(h % 23);
    }
    return std::int64_t{1} << pos;
}

bool ClassBitIsExact(std::string_view cls) { return TaxonomyPosition(cls) >= 0; }

std::int64_t ClassMask(const std::vector<Classification>& classes) {
    std::int64_t mask = 0;
    for (const auto& c : classes) mask |= ClassBit(c.cls);
    return mask;
}

json::object RsitTaxonomyJson() {
    json::array classes;
    for (const auto& c : RsitTaxonomy()) {
        json::array types;
        for (const auto& t : c.types)
            types.push_back(json::object{{"value", t.value}, {"name", t.name}, {"description", t.description}});
        classes.push_back(json::object{{"value", c.value}, {"name", c.name}, {"description", c.description},
                                       {"types", std::move(types)}});
    }
    return json::object{{"namespace", "rsit"}, {"classes", std::move(classes)}};
}

core::Status ValidateClassification(const Classification& c) {
    for (const auto& cls : RsitTaxonomy()) {
        if (cls.value != c.cls) continue;
        if (c.type.empty()) return core::Ok();
        for (const auto& t : cls.types)
            if (t.value == c.type) return core::Ok();
        return core::Invalid("classification", "unknown RSIT type '" + c.type + "' of class '" + c.cls + "'");
    }
    return core::Invalid("classification", "unknown RSIT class '" + c.cls + "'");
}

std::string ClassificationName(const Classification& c) {
    for (const auto& cls : RsitTaxonomy()) {
        if (cls.value != c.cls) continue;
        if (c.type.empty()) return cls.name;
        for (const auto& t : cls.types)
            if (t.value == c.type) return cls.name + " / " + t.name;
        return cls.name;
    }
    return c.cls + (c.type.empty() ? "" : "/" + c.type);
}

std::string_view SeverityName(Severity s) {
    switch (s) {
        case Severity::kLow: return "low";
        case Severity::kMedium: return "medium";
        case Severity::kHigh: return "high";
        case Severity::kCritical: return "critical";
    }
    return "medium";
}

core::Result<Severity> ParseSeverity(std::string_view text) {
    if (text == "low") return Severity::kLow;
    if (text == "medium") return Severity::kMedium;
    if (text == "high") return Severity::kHigh;
    if (text == "critical") return Severity::kCritical;
    return core::Invalid("severity", "severity must be low, medium, high or critical");
}

std::string_view StatusName(Status s) {
    switch (s) {
        case Status::kNew: return "new";
        case Status::kTriaged: return "triaged";
        case Status::kInProgress: return "in_progress";
        case Status::kContained: return "contained";
        case Status::kResolved: return "resolved";
        case Status::kClosed: return "closed";
        case Status::kRejected: return "rejected";
        case Status::kMerged: return "merged";
    }
    return "new";
}

core::Result<Status> ParseStatus(std::string_view text) {
    for (Status s : {Status::kNew, Status::kTriaged, Status::kInProgress, Status::kContained, Status::kResolved,
                     Status::kClosed, Status::kRejected, Status::kMerged})
        if (StatusName(s) == text) return s;
    return core::Invalid("status",
                         "status must be new, triaged, in_progress, contained, resolved, closed, rejected or merged");
}

std::vector<Status> AllowedTransitions(Status from) {
    using S = Status;
    switch (from) {
        case S::kNew: return {S::kTriaged, S::kRejected};
        case S::kTriaged: return {S::kInProgress, S::kResolved, S::kRejected};
        case S::kInProgress: return {S::kContained, S::kResolved};
        case S::kContained: return {S::kInProgress, S::kResolved};
        case S::kResolved: return {S::kClosed, S::kInProgress};
        case S::kClosed: return {S::kInProgress};  // reopening
        case S::kRejected: return {S::kTriaged};     // a rejection can be revisited
        case S::kMerged: return {};
    }
    return {};
}

bool IsOpen(Status s) {
    return s == Status::kNew || s == Status::kTriaged || s == Status::kInProgress || s == Status::kContained;
}

core::Result<std::string> NormaliseTlp(std::string_view text, std::string_view field) {
    std::string t = Upper(text);
    if (t.starts_with("TLP:")) t = t.substr(4);
    if (t == "WHITE") t = "CLEAR";
    for (std::string_view ok : {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"})
        if (t == ok) return "TLP:" + t;
    return core::Invalid(std::string(field), "TLP must be TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED");
}

core::Result<std::string> NormalisePap(std::string_view text) {
    std::string t = Upper(text);
    if (t.starts_with("PAP:")) t = t.substr(4);
    if (t == "WHITE") t = "CLEAR";
    for (std::string_view ok : {"CLEAR", "GREEN", "AMBER", "RED"})
        if (t == ok) return "PAP:" + t;
    return core::Invalid("pap", "PAP must be PAP:CLEAR, PAP:GREEN, PAP:AMBER or PAP:RED");
}

core::Result<std::string> NormaliseObservable(std::string_view type, std::string_view value) {
    auto bad = [&](std::string why) { return core::Invalid("value", std::move(why)); };
    std::string v(value);
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(v.begin());
    if (v.empty()) return bad("value must not be empty");
    if (v.size() > 4096) return bad("value is longer than 4096 characters");
    if (type == "ip") {
        auto ip = core::ParseIp(v);
        if (!ip) return bad("not an IP address: " + v);
        return core::FormatIp(*ip);
    }
    if (type == "cidr") {
        auto p = core::ParsePrefix(v);
        if (!p) return bad("not a CIDR prefix: " + v);
        return core::FormatPrefix(*p);
    }
    if (type == "domain") {
        auto d = core::NormaliseDomain(v);
        if (!d) return bad("not a domain name: " + v);
        return *d;
    }
    if (type == "asn") {
        auto a = core::ParseAsn(v);
        if (!a) return bad("not an AS number: " + v);
        return std::to_string(*a);
    }
    if (type == "email") {
        auto at = v.find('@');
        if (at == std::string::npos || at == 0 || at + 1 >= v.size() || v.find_first_of(" <>") != std::string::npos)
            return bad("not an e-mail address: " + v);
        return LowerAscii(v);
    }
    if (type == "url") {
        auto scheme = v.find("://");
        if (scheme == std::string::npos || scheme == 0 || v.find_first_of(" \t\r\n") != std::string::npos)
            return bad("not a URL: " + v);
        return v;
    }
    if (type == "hash") {
        std::string h = LowerAscii(v);
        const bool hex = std::all_of(h.begin(), h.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
        if (!hex || (h.size() != 32 && h.size() != 40 && h.size() != 64 && h.size() != 128))
            return bad("a hash is the hex of an MD5, SHA-1, SHA-256 or SHA-512");
        return h;
    }
    if (type == "filename" || type == "text") return v;
    return core::Invalid("type", "observable type must be ip, cidr, domain, url, email, hash, asn, filename or text");
}

std::string_view FieldTypeName(FieldType t) {
    switch (t) {
        case FieldType::kString: return "string";
        case FieldType::kNumber: return "number";
        case FieldType::kBoolean: return "boolean";
        case FieldType::kDate: return "date";
        case FieldType::kUrl: return "url";
    }
    return "string";
}

core::Result<FieldType> ParseFieldType(std::string_view text) {
    for (FieldType t : {FieldType::kString, FieldType::kNumber, FieldType::kBoolean, FieldType::kDate, FieldType::kUrl})
        if (FieldTypeName(t) == text) return t;
    return core::Invalid("type", "field type must be string, number, boolean, date or url");
}

core::Status ValidateCustomFields(const json::object& values, const std::vector<FieldDefinition>& defs) {
    for (const auto& kv : values) {
        const std::string name(kv.key());
        const std::string field = "custom_fields." + name;
        auto it = std::find_if(defs.begin(), defs.end(), [&](const FieldDefinition& d) { return d.name == name; });
        if (it == defs.end()) return core::Invalid(field, "no custom field '" + name + "' is defined");
        const json::value& v = kv.value();
        if (v.is_null()) continue;
        switch (it->type) {
            case FieldType::kString:
                if (!v.is_string()) return core::Invalid(field, name + " must be a string");
                break;
            case FieldType::kNumber:
                if (!v.is_number()) return core::Invalid(field, name + " must be a number");
                break;
            case FieldType::kBoolean:
                if (!v.is_bool()) return core::Invalid(field, name + " must be true or false");
                break;
            case FieldType::kDate:
                if (!v.is_string() ||
                    (!core::ParseRfc3339(v.as_string()) && !core::ParseRfc3339(std::string(v.as_string()) + "T00:00:00Z")))
                    return core::Invalid(field, name + " must be a date (YYYY-MM-DD or RFC 3339)");
                break;
            case FieldType::kUrl: {
                if (!v.is_string()) return core::Invalid(field, name + " must be a URL");
                std::string_view s = v.as_string();
                if (!s.starts_with("http://") && !s.starts_with("https://"))
                    return core::Invalid(field, name + " must be an http(s) URL");
                break;
            }
        }
    }
    for (const auto& d : defs) {
        if (!d.required) continue;
        auto* v = values.if_contains(d.name);
        if (!v || v->is_null() || (v->is_string() && v->as_string().empty()))
            return core::Invalid("custom_fields." + d.name, d.name + " is mandatory");
    }
    return core::Ok();
}

}  // namespace muhafiz::incidents
