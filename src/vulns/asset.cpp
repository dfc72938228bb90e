#include "vulns/asset.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "core/csv.hpp"
#include "core/json.hpp"
#include "vulns/cpe.hpp"
#include "vulns/purl.hpp"

namespace muhafiz::vulns {
namespace {

using core::Invalid;
namespace json = core::json;

constexpr std::array<std::string_view, 4> kCriticalities = {"low", "medium", "high", "critical"};

std::string Trim(std::string_view s) { return std::string(TrimVersion(s)); }

}  // namespace

std::string NormaliseName(std::string_view s) {
    std::string out = Trim(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (c == ' ' || c == '\t') c = '_';
    }
    return out;
}

namespace {

// Validates one patch by applying it to a fresh asset.
core::Result<AssetPatch> Checked(AssetPatch patch) {
    Asset scratch;
    MUHAFIZ_CHECK(ApplyPatch(scratch, patch));
    return patch;
}

}  // namespace

std::string_view CriticalityName(Criticality c) { return kCriticalities[static_cast<std::size_t>(c)]; }

std::optional<Criticality> ParseCriticality(std::string_view text) {
    const std::string t = NormaliseName(text);
    for (std::size_t i = 0; i < kCriticalities.size(); ++i)
        if (t == kCriticalities[i]) return static_cast<Criticality>(i);
    return std::nullopt;
}

core::Status ApplyPatch(Asset& a, const AssetPatch& p) {
    auto set = [](std::string& field, const std::optional<std::string>& v) {
        if (v) field = Trim(*v);
    };
    set(a.name, p.name);
    set(a.cpe, p.cpe);
    set(a.purl, p.purl);
    set(a.vendor, p.vendor);
    set(a.product, p.product);
    set(a.version, p.version);
    set(a.version_scheme, p.version_scheme);
    set(a.location, p.location);
    if (p.criticality) a.criticality = *p.criticality;

    std::string derived_name;
    if (!a.cpe.empty()) {
        auto cpe = ParseCpe(a.cpe);
        if (!cpe) return Invalid("cpe", "'cpe' is not a CPE name: " + cpe.error().message);
        const CpeValue& product = (*cpe)[CpeAttribute::kProduct];
        if (product.kind != CpeValue::Kind::kValue || product.text.empty() || !product.head.empty() ||
            !product.tail.empty())
            return Invalid("cpe", "'cpe' must name a product (not * or -)");
        a.cpe = cpe->ToString();
        derived_name = product.text;
    }
    if (!a.purl.empty()) {
        auto purl = ParsePurl(a.purl);
        if (!purl) return Invalid("purl", "'purl' is not a package URL: " + purl.error().message);
        a.purl = purl->ToString();
        derived_name = purl->name;
    }
    if (a.vendor.empty() != a.product.empty())
        return a.vendor.empty() ? Invalid("vendor", "'vendor' is required with 'product'")
                                : Invalid("product", "'product' is required with 'vendor'");
    if (a.cpe.empty() && a.purl.empty()) {
        if (a.product.empty())
            return Invalid("product", "an asset needs a 'cpe', a 'purl', or 'vendor', 'product' and 'version'");
        if (a.version.empty()) return Invalid("version", "'version' is required with 'vendor' and 'product'");
    }
    if (!a.product.empty()) derived_name = a.product;
    if (!a.version_scheme.empty() && !SchemeFromVersionType(a.version_scheme))
        return Invalid("version_scheme",
                       "'version_scheme' must be one of semver, maven, python, rpm, deb, generic");
    if (a.name.empty()) a.name = derived_name;
    if (a.name.empty()) return Invalid("name", "'name' is required");
    return core::Ok();
}

json::object AssetToJson(const Asset& a) {
    return json::object{{"id", a.uuid},
                        {"organisation_id", a.organisation_uuid},
                        {"name", a.name},
                        {"cpe", a.cpe},
                        {"purl", a.purl},
                        {"vendor", a.vendor},
                        {"product", a.product},
                        {"version", a.version},
                        {"version_scheme", a.version_scheme},
                        {"location", a.location},
                        {"criticality", CriticalityName(a.criticality)},
                        {"created_at", core::FormatRfc3339(a.created_at)},
                        {"updated_at", core::FormatRfc3339(a.updated_at)},
                        {"row_version", a.version_row}};
}

std::string MatchVersion(const Asset& a) {
    if (!a.version.empty()) return a.version;
    if (!a.purl.empty())
        if (auto p = ParsePurl(a.purl); p && !p->version.empty()) return p->version;
    if (!a.cpe.empty())
        if (auto c = ParseCpe(a.cpe)) {
            const CpeValue& v = (*c)[CpeAttribute::kVersion];
            if (v.kind == CpeValue::Kind::kValue && v.head.empty() && v.tail.empty()) return v.text;
        }
    return {};
}

std::optional<VersionScheme> SchemeHint(const Asset& a) {
    if (!a.version_scheme.empty()) return SchemeFromVersionType(a.version_scheme);
    if (!a.purl.empty())
        if (auto p = ParsePurl(a.purl)) return SchemeFromPurlType(p->type);
    return std::nullopt;
}

std::string VendorProductKey(std::string_view vendor, std::string_view product) {
    return "v:" + NormaliseName(vendor) + ":" + NormaliseName(product);
}

std::string PackageKey(std::string_view type, std::string_view name_space, std::string_view name) {
    return "p:" + std::string(type) + "/" + std::string(name_space) + "/" + std::string(name);
}

std::vector<std::string> ProductKeys(const Asset& a) {
    std::vector<std::string> keys;
    if (!a.cpe.empty())
        if (auto c = ParseCpe(a.cpe))
            keys.push_back(VendorProductKey((*c)[CpeAttribute::kVendor].text, (*c)[CpeAttribute::kProduct].text));
    if (!a.purl.empty())
        if (auto p = ParsePurl(a.purl)) keys.push_back(PackageKey(p->type, p->name_space, p->name));
    if (!a.vendor.empty()) keys.push_back(VendorProductKey(a.vendor, a.product));
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

core::Result<std::vector<ImportedAsset>> ReadAssetsCsv(std::string_view text) {
    static constexpr std::array<std::string_view, 8> kColumns = {
        "name", "cpe", "purl", "vendor", "product", "version", "location", "criticality"};
    core::CsvReader reader(text);
    std::vector<std::string> header, row;
    auto first = reader.Next(header);
    if (!first) return tl::unexpected(first.error());
    if (!*first) return Invalid("file", "the CSV file is empty: it needs a header line");
    for (auto& h : header) {
        h = NormaliseName(h);
        if (std::find(kColumns.begin(), kColumns.end(), h) == kColumns.end())
            return Invalid("file", "unknown column '" + h +
                                       "'; the columns are name,cpe,purl,vendor,product,version,location,criticality");
    }
    std::vector<ImportedAsset> out;
    for (;;) {
        auto more = reader.Next(row);
        if (!more) {
            out.push_back({reader.line(), tl::unexpected(more.error())});
            continue;
        }
        if (!*more) break;
        if (row.size() == 1 && row[0].empty()) continue;  // blank line
        if (row.size() != header.size()) {
            out.push_back({reader.line(), Invalid("file", "expected " + std::to_string(header.size()) +
                                                             " fields, found " + std::to_string(row.size()))});
            continue;
        }
        AssetPatch p;
        std::optional<core::Error> error;
        for (std::size_t i = 0; i < header.size(); ++i) {
            const std::string& h = header[i];
            std::string v = row[i];
            if (h == "criticality") {
                if (TrimVersion(v).empty()) continue;
                p.criticality = ParseCriticality(v);
                if (!p.criticality)
                    error = core::Error{core::ErrorCode::kInvalidArgument,
                                        "'criticality' must be low, medium, high or critical", "criticality"};
                continue;
            }
            std::optional<std::string>* field = h == "name"       ? &p.name
                                                : h == "cpe"      ? &p.cpe
                                                : h == "purl"     ? &p.purl
                                                : h == "vendor"   ? &p.vendor
                                                : h == "product"  ? &p.product
                                                : h == "version"  ? &p.version
                                                                  : &p.location;
            *field = std::move(v);
        }
        out.push_back({reader.line(), error ? core::Result<AssetPatch>(tl::unexpected(*error)) : Checked(p)});
    }
    return out;
}

core::Result<std::vector<ImportedAsset>> ReadCycloneDx(std::string_view text) {
    auto doc = core::ParseJson(text);
    if (!doc) return tl::unexpected(doc.error());
    if (!doc->is_object()) return Invalid("file", "a CycloneDX SBOM is a JSON object");
    const json::object& bom = doc->as_object();
    const json::value* format = core::Find(bom, "bomFormat");
    if (!format || !format->is_string() || format->as_string() != "CycloneDX")
        return Invalid("bomFormat", "'bomFormat' must be \"CycloneDX\"");
    std::string application;
    if (const json::value* meta = core::Find(bom, "metadata"); meta && meta->is_object())
        if (const json::value* c = core::Find(meta->as_object(), "component"); c && c->is_object())
            if (auto n = core::GetString(c->as_object(), "name"); n && *n) application = **n;

    std::vector<ImportedAsset> out;
    // Depth-first over components[] and their nested components[].
    auto walk = [&](auto&& self, const json::object& parent, const std::string& path) -> void {
        const json::value* list = core::Find(parent, "components");
        if (!list || list->is_null()) return;
        if (!list->is_array()) {
            out.push_back({out.size() + 1, Invalid(path + "components", "'components' must be an array")});
            return;
        }
        for (std::size_t i = 0; i < list->as_array().size(); ++i) {
            const std::string where = path + "components[" + std::to_string(i) + "]";
            const json::value& v = list->as_array()[i];
            if (!v.is_object()) {
                out.push_back({out.size() + 1, Invalid(where, "'" + where + "' must be an object")});
                continue;
            }
            const json::object& c = v.as_object();
            auto read = [&]() -> core::Result<AssetPatch> {
                AssetPatch p;
                auto field = [&](std::string_view key) -> core::Result<std::optional<std::string>> {
                    auto s = core::GetString(c, key);
                    if (!s) return Invalid(where + "." + std::string(key), s.error().message);
                    return *s;
                };
                p.name = MUHAFIZ_TRY(field("name"));
                p.version = MUHAFIZ_TRY(field("version"));
                p.purl = MUHAFIZ_TRY(field("purl"));
                p.cpe = MUHAFIZ_TRY(field("cpe"));
                const auto group = MUHAFIZ_TRY(field("group"));
                if (!p.name || p.name->empty()) return Invalid(where + ".name", "'name' is required");
                if ((!p.purl || p.purl->empty()) && (!p.cpe || p.cpe->empty())) {
                    // Without an identifier the group (or publisher) is the vendor.
                    p.vendor = group && !group->empty() ? group : MUHAFIZ_TRY(field("publisher"));
                    if (!p.vendor || p.vendor->empty()) p.vendor = p.name;
                    p.product = p.name;
                }
                if (!application.empty()) p.location = application;
                Asset scratch;
                if (auto ok = ApplyPatch(scratch, p); !ok) {
                    core::Error e = ok.error();
                    e.field = where + "." + e.field;
                    return tl::unexpected(e);
                }
                return p;
            };
            out.push_back({out.size() + 1, read()});
            self(self, c, where + ".");
        }
    };
    walk(walk, bom, "");
    return out;
}

}  // namespace muhafiz::vulns
