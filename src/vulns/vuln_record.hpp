// VulnRecord: what Muhafiz knows about one CVE, merged from its sources — the CVE 5 record
// (CNA and ADP containers kept apart), NVD 2.0 enrichment (configurations, metrics), the CISA
// KEV catalog and EPSS. It is the unit the vulnerability store keeps and the matcher reads.
// Plain value; thread-safety: none needed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "vulns/affected.hpp"
#include "vulns/cpe.hpp"

namespace muhafiz::vulns {

struct CvssMetric {
    std::string source;  // "cna", "adp:CISA-ADP", "nvd:Primary", ...
    std::string vector;  // "CVSS:3.1/..."
    double score = 0;
    std::string severity;  // NONE..CRITICAL
};

struct KevEntry {
    std::string date_added;  // YYYY-MM-DD
    std::string due_date;
    std::string required_action;
    bool known_ransomware = false;
};

// CISA's SSVC decision points (CISA-ADP container or NVD `ssvcV203`), values lower case as
// published: exploitation none|poc|active, automatable yes|no, technical impact partial|total.
struct SsvcDecision {
    std::string exploitation;
    std::string automatable;
    std::string technical_impact;
};

struct VulnRecord {
    std::string cve_id;  // "CVE-2024-3400"
    std::string state;   // PUBLISHED / REJECTED
    std::string title;
    std::string description;  // first English description
    core::Micros published = 0;
    core::Micros updated = 0;  // cveMetadata.dateUpdated: newer replaces older
    std::vector<AffectedEntry> cna_affected;
    std::vector<AffectedEntry> adp_affected;  // kept apart: a finding says which one matched
    std::vector<CpeConfiguration> nvd_configurations;
    std::vector<CvssMetric> metrics;
    std::vector<std::string> cwes;
    std::vector<std::string> references;
    std::optional<KevEntry> kev;
    std::optional<double> epss;  // probability 0..1
    std::optional<double> epss_percentile;
    std::string assigner;  // cveMetadata.assignerShortName
    std::optional<SsvcDecision> ssvc;

    // The metric used for prioritising: CVSS 4.0 over 3.1 over 3.0, CNA over ADP over NVD.
    // Ties of version go by source; CVSS 2.0 comes last. nullptr when there is no metric.
    [[nodiscard]] const CvssMetric* BestMetric() const;
};

// The JSON form of a record (the vulnerability store's `record` column, the API later):
// snake_case keys for our fields, times as integer microseconds; `cna_affected`/`adp_affected`
// in the CVE 5 `affected[]` shape and `nvd_configurations` in the NVD 2.0 shape, so that they
// are read back by ParseAffected and ParseConfigurations. Absent or empty fields are omitted.
[[nodiscard]] core::json::object VulnRecordToJson(const VulnRecord& record);
// kInvalidArgument naming the field when the JSON is not such a record.
[[nodiscard]] core::Result<VulnRecord> VulnRecordFromJson(const core::json::value& v);

}  // namespace muhafiz::vulns
