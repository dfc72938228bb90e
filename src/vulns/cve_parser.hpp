// Parsers of the vulnerability sources, mapped by hand from Boost.JSON (external formats; see
// shared/reference/vuln-formats.md):
//
// * CVE JSON 5.x record → VulnRecord: PUBLISHED and REJECTED records (the description of a
//   rejected one is its first rejectedReason); CNA and ADP `affected[]` kept apart; metrics of
//   every CVSS version from CNA ("cna") and ADP ("adp:<shortName>"), scored with ScoreCvss when
//   the record gives a vector without a score (a vector that does not score is dropped); CWE
//   ids (also from problem-type texts without `cweId`); reference URLs; CISA-ADP KEV and SSVC.
//   Time stamps are read leniently (no zone = UTC); `dateUpdated` falls back to
//   `datePublished`.
// * NVD CVE API 2.0 response → one partial VulnRecord per `vulnerabilities[].cve`, holding
//   only what NVD adds: `updated` = lastModified, configurations, metrics ("nvd:Primary",
//   "nvd:Secondary"), CWEs, KEV (cisaExploitAdd...), SSVC.
// * CISA KEV catalog JSON → catalog entries.
// * EPSS daily CSV (already decompressed) → scores with the model version and score date of
//   the `#model_version:...,score_date:...` line when there is one; the header is found, not
//   assumed.
//
// A record-level fault fails the CVE 5 parse with kInvalidArgument naming the JSON path. For the
// multi-item formats a bad item becomes a ParseProblem (item id or line, reason) and the rest is
// kept; only an unusable document fails as a whole. Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "vulns/vuln_record.hpp"

namespace muhafiz::vulns {

// ^CVE-[0-9]{4}-[0-9]{4,19}$
[[nodiscard]] bool IsCveId(std::string_view text);

// Something in a multi-item document that could not be used: the item ("CVE-2024-1234",
// "vulnerabilities[3]", "line 17") and why.
struct ParseProblem {
    std::string item;
    std::string reason;
};

[[nodiscard]] core::Result<VulnRecord> ParseCveRecord(const core::json::value& v);

struct NvdResponse {
    std::vector<VulnRecord> items;
    std::vector<ParseProblem> problems;
};
[[nodiscard]] core::Result<NvdResponse> ParseNvdResponse(const core::json::value& v);

struct KevCatalogEntry {
    std::string cve_id;
    std::string vendor_project;
    std::string product;
    std::string vulnerability_name;
    KevEntry entry;
};
struct KevCatalog {
    std::string catalog_version;
    std::vector<KevCatalogEntry> entries;
    std::vector<ParseProblem> problems;
};
[[nodiscard]] core::Result<KevCatalog> ParseKevCatalog(const core::json::value& v);

struct EpssScore {
    std::string cve_id;
    double epss = 0;
    std::optional<double> percentile;
};
struct EpssFile {
    std::string model_version;  // empty for files without the comment line
    std::string score_date;
    std::vector<EpssScore> scores;
    std::vector<ParseProblem> problems;
};
[[nodiscard]] core::Result<EpssFile> ParseEpssCsv(std::string_view text);

}  // namespace muhafiz::vulns
