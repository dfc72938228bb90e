// CSAF 2.0: renders an advisory as a `csaf_security_advisory` document and as a readable HTML
// page, and reads foreign CSAF documents (security advisories and VEX) into per-CVE product
// statements.
//
// Rendering (RenderCsaf) follows the OASIS schema and the mandatory tests 6.1.x:
//   - product_tree: vendor → product_name → product_version (single versions) or
//     product_version_range (ranges; simple ones written as vers: "<2.4.52" →
//     "vers:generic/<2.4.52", "2.4.0 - 2.4.51" → "vers:generic/>=2.4.0|<=2.4.51", "all" →
//     "vers:all/*"), product ids CSAFPID-0001...; CPE and purl in product_identification_helper;
//   - one vulnerability per CVE (one without a CVE when there is none) with a description note,
//     product_status known_affected/fixed, remediations (product_ids: the named products' affected
//     ids, else all), CVSS 3.x scores as cvss_v3 (base metrics only); CVSS 4.0 vectors, which CSAF
//     2.0 cannot carry, as notes;
//   - TLP: TLP:CLEAR → WHITE, TLP:AMBER+STRICT → AMBER (the original label in distribution.text).
// Serialisation (SerializeJson) is pretty-printed with shortest round-trip numbers (9.8, not
// 9.8E0), so documents, hashes and signatures are stable.
//
// Reading (ParseCsafDocument) is lenient about what it does not need and strict about what it
// does (document.category, publisher.namespace, tracking.id); product ids are resolved through
// product_tree branches, full_product_names and relationships.
//
// Errors: kInvalidArgument (field named) for documents that cannot be read.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "vulns/advisory.hpp"

namespace muhafiz::vulns {

inline constexpr std::string_view kCsafEngineName = "Muhafiz";

struct CsafSettings {
    std::string publisher_name = "National CERT";
    std::string publisher_namespace = "https://cert.example";  // a URL the publisher controls
    std::string publisher_category = "coordinator";
    std::string contact_details;          // optional, e.g. "cert@example.pk"
    std::string tracking_prefix = "CERT";  // tracking ids are PREFIX-YYYY-NNNN
    // Where /.well-known/csaf/ is served from, without a trailing slash ("https://cert.example.pk");
    // empty: documents carry no self reference.
    std::string base_url;
    std::string lang = "en";
    std::string engine_version = "0.1.0";
};

// What a publication adds to the content.
struct CsafTracking {
    std::string id;
    std::vector<Revision> revisions;  // 1..n, oldest first; the last one is the current release
};

// The CSAF document of `content`.
[[nodiscard]] core::json::object RenderCsaf(const AdvisoryContent& content, const CsafTracking& tracking,
                                            const CsafSettings& settings);
// A self-contained HTML page (inline CSS, every text escaped).
[[nodiscard]] std::string RenderHtml(const AdvisoryContent& content, const CsafTracking& tracking,
                                     const CsafSettings& settings);

// Pretty-printed JSON (2 spaces, keys in insertion order) ending in a newline.
[[nodiscard]] std::string SerializeJson(const core::json::value& value);
[[nodiscard]] std::string HtmlEscape(std::string_view text);

// The file name of a document: tracking id lower-cased, each run of characters outside
// [+-a-z0-9] replaced by '_', plus ".json" ("PKCERT-2026-0001" → "pkcert-2026-0001.json").
[[nodiscard]] std::string CsafFileName(std::string_view tracking_id);
// "white", "green", "amber", "red": the folder of a TLP under /.well-known/csaf/.
[[nodiscard]] std::string CsafTlpFolder(Tlp tlp);
// The path of a document under /.well-known/csaf/: "white/2026/pkcert-2026-0001.json".
[[nodiscard]] std::string CsafDocumentPath(Tlp tlp, core::Micros initial_release, std::string_view tracking_id);
// A product_version_range name for a version range text (see the file comment).
[[nodiscard]] std::string VersRange(std::string_view range);

// ---- Import ----

enum class StatementStatus { kKnownAffected, kKnownNotAffected, kFixed, kUnderInvestigation };
[[nodiscard]] std::string_view StatementStatusName(StatementStatus s);  // "known_affected", ...

struct CsafStatement {
    std::string cve;
    StatementStatus status = StatementStatus::kKnownAffected;
    std::string product_id;
    std::string product_name;
    std::string vendor;
    std::string product;        // the product_name branch
    std::string version;        // a product_version branch
    std::string version_range;  // a product_version_range branch
    std::string cpe;
    std::string purl;
};

struct CsafDocumentInfo {
    std::string category;  // csaf_security_advisory, csaf_vex, csaf_base, ...
    std::string title;
    std::string publisher_name;
    std::string publisher_namespace;
    std::string tracking_id;
    std::string tracking_version;
    std::string tlp;  // the CSAF label (WHITE, ...) or ""
    core::Micros current_release_date = 0;
    std::vector<CsafStatement> statements;
};

[[nodiscard]] core::Result<CsafDocumentInfo> ParseCsafDocument(std::string_view text);

}  // namespace muhafiz::vulns
