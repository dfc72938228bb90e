// Asset: one product an organisation runs — named by a CPE 2.3 name, a purl, or vendor + product
// + version (any combination; each given identification is used for matching) — with where it
// runs and how critical it is. Also: validation with field-named errors, the normalised product
// keys that matching and the store index assets by, and the readers of the two import formats
// (CSV and CycloneDX JSON SBOMs) into AssetPatch values.
//
// Product keys: "v:<vendor>:<product>" (lower case, blanks as '_', as in CPE names) and
// "p:<purl type>/<namespace>/<name>" (after purl normalisation). A CVE record is a candidate for
// an asset when they share a key (see vulns/matcher.hpp).
// Thread-safety: plain values and pure functions. Errors: kInvalidArgument naming the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "vulns/version.hpp"

namespace muhafiz::vulns {

enum class Criticality { kLow, kMedium, kHigh, kCritical };

[[nodiscard]] std::string_view CriticalityName(Criticality c);  // "low", ..., "critical"
[[nodiscard]] std::optional<Criticality> ParseCriticality(std::string_view text);

struct Asset {
    std::int64_t id = 0;  // internal
    std::string uuid;
    std::int64_t organisation_id = 0;
    std::string organisation_uuid;
    std::string name;
    std::string cpe;   // canonical CPE 2.3 formatted string, or empty
    std::string purl;  // canonical purl, or empty
    std::string vendor;
    std::string product;
    std::string version;
    std::string version_scheme;  // a CVE 5 versionType we implement ("semver", "deb", ...) or empty
    std::string location;        // where it runs
    Criticality criticality = Criticality::kMedium;
    core::Micros created_at = 0;
    core::Micros updated_at = 0;
    std::int64_t version_row = 1;  // row version for ETag / If-Match
};

// The fields a client sets; absent fields are left alone on update.
struct AssetPatch {
    std::optional<std::string> name, cpe, purl, vendor, product, version, version_scheme, location;
    std::optional<Criticality> criticality;
};

// Applies `patch` to `asset`, canonicalises the CPE and purl and validates the result: a CPE
// must parse and name a product, a purl must parse, vendor and product go together, and an asset
// without CPE or purl needs vendor, product and version. An empty name is filled from the
// product. Errors name the field ("cpe", "purl", "vendor", "product", "version",
// "version_scheme", "name").
[[nodiscard]] core::Status ApplyPatch(Asset& asset, const AssetPatch& patch);

// The JSON form (API and audit log): public ids, RFC 3339 times, `version_row` as "row_version".
[[nodiscard]] core::json::object AssetToJson(const Asset& asset);

// The version matching uses: `version`, else the purl's, else the CPE's (when a plain value);
// empty when the asset names none.
[[nodiscard]] std::string MatchVersion(const Asset& asset);
// The ordering hinted by the asset: its version_scheme, else its purl type's scheme.
[[nodiscard]] std::optional<VersionScheme> SchemeHint(const Asset& asset);

// Lower case with blanks as '_' (the CPE convention): how vendor and product names compare.
[[nodiscard]] std::string NormaliseName(std::string_view name);
[[nodiscard]] std::string VendorProductKey(std::string_view vendor, std::string_view product);
[[nodiscard]] std::string PackageKey(std::string_view type, std::string_view name_space,
                                     std::string_view name);
// Every product key of a valid asset (sorted, without duplicates).
[[nodiscard]] std::vector<std::string> ProductKeys(const Asset& asset);

// One entry read from an import file: its line (CSV) or 1-based position (CycloneDX), and the
// patch or what is wrong with it (the error's field names the column or JSON path).
struct ImportedAsset {
    std::size_t line = 0;
    core::Result<AssetPatch> patch;
};

// CSV with the header line name,cpe,purl,vendor,product,version,location,criticality (any order,
// any subset; an unknown column is an error for the whole file). Fails only when the file
// cannot be read at all.
[[nodiscard]] core::Result<std::vector<ImportedAsset>> ReadAssetsCsv(std::string_view text);
// A CycloneDX JSON SBOM (1.2–1.6): every entry of components[] and their nested components[];
// location defaults to the name of metadata.component (the application the SBOM describes).
[[nodiscard]] core::Result<std::vector<ImportedAsset>> ReadCycloneDx(std::string_view text);

}  // namespace muhafiz::vulns
