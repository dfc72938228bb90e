#include "feeds/feed_config.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.hpp"
#include "core/net.hpp"

namespace muhafiz::feeds {
namespace {

namespace json = core::json;

std::string Resolve(const std::string& base, const std::string& path) {
    if (path.empty() || base.empty() || std::filesystem::path(path).is_absolute()) return path;
    return (std::filesystem::path(base) / path).string();
}

core::Result<std::vector<std::string>> Strings(const json::object& o, std::string_view key, const std::string& path) {
    std::vector<std::string> out;
    const auto* v = core::Find(o, key);
    if (!v || v->is_null()) return out;
    if (v->is_string()) {
        out.emplace_back(v->as_string());
        return out;
    }
    if (!v->is_array()) return core::Invalid(path + std::string(key), std::string(key) + " must be a list of strings");
    for (const auto& e : v->as_array()) {
        if (!e.is_string()) return core::Invalid(path + std::string(key), std::string(key) + " must be a list of strings");
        out.emplace_back(e.as_string());
    }
    return out;
}

core::Result<std::optional<core::Micros>> Duration(const json::object& o, std::string_view key, const std::string& path) {
    const auto* v = core::Find(o, key);
    if (!v || v->is_null()) return std::optional<core::Micros>();
    std::optional<core::Micros> d;
    if (v->is_int64()) d = v->as_int64() * 1000000;
    else if (v->is_string()) d = ParseDuration(v->as_string());
    if (!d || *d <= 0)
        return core::Invalid(path + std::string(key), std::string(key) + " must be a duration such as 30s, 15m, 1h or 7d");
    return d;
}

core::Result<std::vector<std::pair<std::string, std::string>>> Pairs(const json::value* v, const std::string& path) {
    std::vector<std::pair<std::string, std::string>> out;
    if (!v || v->is_null()) return out;
    if (!v->is_object()) return core::Invalid(path, path + " must be an object");
    for (const auto& [k, val] : v->as_object())
        out.emplace_back(std::string(k), val.is_string() ? std::string(val.as_string()) : core::ToJson(val));
    return out;
}

core::Result<FeedConfig> ParseFeed(const json::value& v, std::size_t i, const std::string& base) {
    const std::string path = "feeds[" + std::to_string(i) + "].";
    if (!v.is_object()) return core::Invalid(path, "each feed must be an object");
    const auto& o = v.as_object();
    MUHAFIZ_CHECK(core::RejectUnknownFields(
        o,
        {"name", "format", "provider", "tlp", "min_severity", "keep_raw", "accuracy", "do_not_notify", "overrides",
         "dedup_fields", "dedup_window", "aggregate", "aggregate_fields", "aggregate_window", "senders",
         "classification", "mapping", "fetch", "description"},
        path));
    FeedConfig f;
    auto name = MUHAFIZ_TRY(core::GetString(o, "name", path));
    if (!name || name->empty()) return core::Invalid(path + "name", "every feed needs a name");
    for (char c : *name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return core::Invalid(path + "name", "a feed name may hold letters, digits, '-', '_' and '.'");
    f.name = *name;
    if (auto x = MUHAFIZ_TRY(core::GetString(o, "format", path))) f.format = *x;
    if (auto x = MUHAFIZ_TRY(core::GetString(o, "provider", path))) f.provider = *x;
    if (auto x = MUHAFIZ_TRY(core::GetString(o, "tlp", path))) {
        Event probe;
        if (auto st = probe.Set("tlp", *x); !st) return core::Invalid(path + "tlp", st.error().message);
        f.tlp = *probe.Get("tlp");
    }
    if (auto x = MUHAFIZ_TRY(core::GetString(o, "min_severity", path))) {
        if (SeverityRank(*x) < 0)
            return core::Invalid(path + "min_severity", "min_severity must be info, low, medium, high or critical");
        f.min_severity = *x;
    }
    if (auto x = MUHAFIZ_TRY(core::GetBool(o, "keep_raw", path))) f.keep_raw = *x;
    if (auto x = MUHAFIZ_TRY(core::GetBool(o, "aggregate", path))) f.aggregate = *x;
    if (const auto* a = core::Find(o, "accuracy")) {
        if (!a->is_number() || a->to_number<double>() < 0 || a->to_number<double>() > 100)
            return core::Invalid(path + "accuracy", "accuracy must be a number 0..100");
        f.accuracy = a->to_number<double>();
    }
    f.do_not_notify = MUHAFIZ_TRY(Strings(o, "do_not_notify", path));
    f.dedup_fields = MUHAFIZ_TRY(Strings(o, "dedup_fields", path));
    f.aggregate_fields = MUHAFIZ_TRY(Strings(o, "aggregate_fields", path));
    for (auto& s : MUHAFIZ_TRY(Strings(o, "senders", path))) {
        for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        f.senders.push_back(s);
    }
    if (auto d = MUHAFIZ_TRY(Duration(o, "dedup_window", path))) f.dedup_window = *d;
    if (auto d = MUHAFIZ_TRY(Duration(o, "aggregate_window", path))) f.aggregate_window = *d;
    if (const auto* c = core::Find(o, "classification"); c && !c->is_null()) {
        if (!c->is_object()) return core::Invalid(path + "classification", "classification must be an object");
        MUHAFIZ_CHECK(core::RejectUnknownFields(c->as_object(), {"type", "identifier"}, path + "classification."));
        if (auto t = MUHAFIZ_TRY(core::GetString(c->as_object(), "type", path + "classification."))) {
            if (!TaxonomyOfType(CanonicalType(*t)))
                return core::Invalid(path + "classification.type", "unknown classification type '" + *t + "'");
            f.classification_type = CanonicalType(*t);
        }
        if (auto t = MUHAFIZ_TRY(core::GetString(c->as_object(), "identifier", path + "classification.")))
            f.classification_identifier = *t;
    }
    if (auto m = MUHAFIZ_TRY(core::GetString(o, "mapping", path))) {
        f.mapping_path = Resolve(base, *m);
        std::ifstream in(f.mapping_path);
        if (!in) return core::Invalid(path + "mapping", "cannot read the mapping file " + f.mapping_path);
        std::stringstream ss;
        ss << in.rdbuf();
        auto mapping = ParseCsvMapping(ss.str());
        if (!mapping) return core::Invalid(path + "mapping", f.mapping_path + ": " + mapping.error().message);
        f.mapping = std::move(*mapping);
    }
    if (const auto* ov = core::Find(o, "overrides"); ov && !ov->is_null()) {
        if (!ov->is_array()) return core::Invalid(path + "overrides", "overrides must be a list");
        std::size_t k = 0;
        for (const auto& e : ov->as_array()) {
            const std::string p = path + "overrides[" + std::to_string(k++) + "]";
            if (!e.is_object()) return core::Invalid(p, "an override must be an object");
            MUHAFIZ_CHECK(core::RejectUnknownFields(e.as_object(), {"match", "set", "route_to"}, p + "."));
            Override r;
            r.match = MUHAFIZ_TRY(Pairs(core::Find(e.as_object(), "match"), p + ".match"));
            r.set = MUHAFIZ_TRY(Pairs(core::Find(e.as_object(), "set"), p + ".set"));
            for (const auto& [key, val] : r.set) {
                Event probe;
                if (auto st = probe.Set(key, val); !st) return core::Invalid(p + ".set." + key, st.error().message);
            }
            if (auto rt = MUHAFIZ_TRY(core::GetString(e.as_object(), "route_to", p + "."))) r.route_to = *rt;
            f.overrides.push_back(std::move(r));
        }
    }
    if (const auto* fe = core::Find(o, "fetch"); fe && !fe->is_null()) {
        if (!fe->is_object()) return core::Invalid(path + "fetch", "fetch must be an object");
        const auto& fo = fe->as_object();
        MUHAFIZ_CHECK(core::RejectUnknownFields(fo, {"url", "interval", "headers", "file_name"}, path + "fetch."));
        FetchConfig fc;
        auto url = MUHAFIZ_TRY(core::GetString(fo, "url", path + "fetch."));
        if (!url || (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0))
            return core::Invalid(path + "fetch.url", "fetch.url must be an http(s) URL");
        fc.url = *url;
        if (auto d = MUHAFIZ_TRY(Duration(fo, "interval", path + "fetch."))) fc.interval = *d;
        fc.headers = MUHAFIZ_TRY(Pairs(core::Find(fo, "headers"), path + "fetch.headers"));
        if (auto fn = MUHAFIZ_TRY(core::GetString(fo, "file_name", path + "fetch."))) fc.file_name = *fn;
        f.fetch = std::move(fc);
    }
    // The format must be one we know (the mapping is checked above).
    ParseContext ctx;
    const CsvMapping* mapping = f.mapping ? &*f.mapping : nullptr;
    if (f.format.rfind("csv", 0) == 0 && !mapping && f.format == "csv")
        return core::Invalid(path + "mapping", "a csv feed needs a mapping file");
    if (f.format.rfind("csv:", 0) != 0) {
        auto p = MakeParser(f.format, ctx, "", mapping);
        if (!p) return core::Invalid(path + "format", p.error().message);
    }
    return f;
}

}  // namespace

std::optional<core::Micros> ParseDuration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::int64_t unit = 1;
    char last = text.back();
    if (last == 's') unit = 1;
    else if (last == 'm') unit = 60;
    else if (last == 'h') unit = 3600;
    else if (last == 'd') unit = 86400;
    if (!std::isdigit(static_cast<unsigned char>(last))) text.remove_suffix(1);
    std::int64_t n;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || p != text.data() + text.size() || n < 0) return std::nullopt;
    return n * unit * 1000000;
}

bool ValidInterval(std::string_view i) { return i == "immediate" || i == "hourly" || i == "daily" || i == "never"; }

const FeedConfig* FeedsConfig::Find(std::string_view name) const {
    for (const auto& f : feeds)
        if (f.name == name) return &f;
    return nullptr;
}

const FeedConfig* FeedsConfig::FindSender(std::string_view address) const {
    for (const auto& f : feeds)
        for (const auto& s : f.senders)
            if (s == address) return &f;
    return nullptr;
}

FeedConfig DefaultFeed(std::string name, std::string format) {
    FeedConfig f;
    f.name = std::move(name);
    if (!format.empty()) f.format = std::move(format);
    return f;
}

core::Result<FeedsConfig> ParseFeedsConfig(std::string_view text, const std::string& base) {
    auto o = core::ParseJsonObject(text);
    if (!o) return core::Invalid("feeds_config", "the feeds configuration is not valid JSON: " + o.error().message);
    MUHAFIZ_CHECK(core::RejectUnknownFields(
        *o, {"country", "spool_dir", "spool_interval", "network_data", "digest", "feeds"}));
    FeedsConfig c;
    if (auto x = MUHAFIZ_TRY(core::GetString(*o, "country"))) c.country = *x;
    if (auto x = MUHAFIZ_TRY(core::GetString(*o, "spool_dir"))) c.spool_dir = Resolve(base, *x);
    if (auto d = MUHAFIZ_TRY(Duration(*o, "spool_interval", ""))) c.spool_interval = *d;
    if (const auto* nd = core::Find(*o, "network_data"); nd && !nd->is_null()) {
        if (!nd->is_object()) return core::Invalid("network_data", "network_data must be an object");
        const auto& no = nd->as_object();
        MUHAFIZ_CHECK(core::RejectUnknownFields(no, {"pfx2as", "delegated", "mmdb", "as_names"}, "network_data."));
        for (auto& p : MUHAFIZ_TRY(Strings(no, "pfx2as", "network_data."))) c.pfx2as.push_back(Resolve(base, p));
        for (auto& p : MUHAFIZ_TRY(Strings(no, "delegated", "network_data."))) c.delegated.push_back(Resolve(base, p));
        for (auto& p : MUHAFIZ_TRY(Strings(no, "mmdb", "network_data."))) c.mmdb.push_back(Resolve(base, p));
        if (auto a = MUHAFIZ_TRY(core::GetString(no, "as_names", "network_data."))) c.as_names = Resolve(base, *a);
    }
    if (const auto* d = core::Find(*o, "digest"); d && !d->is_null()) {
        if (!d->is_object()) return core::Invalid("digest", "digest must be an object");
        MUHAFIZ_CHECK(core::RejectUnknownFields(d->as_object(), {"default_interval", "from"}, "digest."));
        if (auto x = MUHAFIZ_TRY(core::GetString(d->as_object(), "default_interval", "digest."))) {
            if (!ValidInterval(*x))
                return core::Invalid("digest.default_interval", "default_interval must be immediate, hourly, daily or never");
            c.default_interval = *x;
        }
        if (auto x = MUHAFIZ_TRY(core::GetString(d->as_object(), "from", "digest."))) c.digest_from = *x;
    }
    if (const auto* fs = core::Find(*o, "feeds"); fs && !fs->is_null()) {
        if (!fs->is_array()) return core::Invalid("feeds", "feeds must be a list");
        std::size_t i = 0;
        for (const auto& v : fs->as_array()) {
            auto f = MUHAFIZ_TRY(ParseFeed(v, i++, base));
            if (c.Find(f.name)) return core::Invalid("feeds", "the feed name '" + f.name + "' is used twice");
            c.feeds.push_back(std::move(f));
        }
    }
    return c;
}

core::Result<FeedsConfig> LoadFeedsConfig(const std::string& path) {
    std::ifstream in(path);
    if (!in) return core::Invalid("feeds_config", "cannot read the feeds configuration " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto c = ParseFeedsConfig(ss.str(), std::filesystem::path(path).parent_path().string());
    if (!c) {
        auto e = c.error();
        e.message = path + ": " + e.message;
        return tl::unexpected(e);
    }
    return c;
}

}  // namespace muhafiz::feeds
