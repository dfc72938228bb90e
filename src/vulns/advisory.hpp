// Advisory: a vulnerability advisory written by a CERT (title, summary, affected products and
// versions, CVEs, CVSS scores, remediation, references, TLP, revision history), its JSON form for
// the API, and its validation.
//
// The editable part is AdvisoryContent; Advisory adds what the store keeps (owner, status,
// tracking id, revisions, versions). Drafts may be incomplete; ValidateForPublication adds what a
// valid CSAF 2.0 csaf_security_advisory needs (a summary, at least one product with affected
// versions, a CVE or an external reference).
//
// JSON form of the content (unknown fields are refused):
//   {title, summary, tlp "TLP:CLEAR|TLP:GREEN|TLP:AMBER|TLP:AMBER+STRICT|TLP:RED",
//    severity? "low|medium|high|critical", cves[],
//    products[{vendor, product, versions_affected[] (or one string), versions_fixed[], cpe?, purl?}],
//    scores[{cve, vector}], remediation[{category, details, url?, products?[]}],
//    references[{url, summary, category "self|external"}], notes}
// Versions are single versions ("2.4.49") or text ranges ("<2.4.52", "2.4.0 - 2.4.51", "all").
//
// Errors: kInvalidArgument naming the field ("products[1].vendor", "scores[0].vector", ...).
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace muhafiz::vulns {

// TLP 2.0 labels as people use them. CSAF 2.0 only knows TLP v1: CsafTlpLabel maps CLEAR to WHITE
// and AMBER+STRICT to AMBER (the stricter original label is kept in the document's distribution
// text, and access to an AMBER document is at least as narrow as AMBER+STRICT asks).
enum class Tlp { kClear, kGreen, kAmber, kAmberStrict, kRed };

[[nodiscard]] std::string_view TlpName(Tlp tlp);       // "TLP:CLEAR", ...
[[nodiscard]] std::string_view CsafTlpLabel(Tlp tlp);  // "WHITE", "GREEN", "AMBER", "RED"
// Accepts "TLP:CLEAR" etc., case-insensitive, with or without "TLP:"; "WHITE" is read as CLEAR.
[[nodiscard]] core::Result<Tlp> ParseTlp(std::string_view text, std::string_view field = "tlp");

enum class RemediationCategory { kVendorFix, kWorkaround, kMitigation, kNoneAvailable, kNoFixPlanned };
[[nodiscard]] std::string_view RemediationCategoryName(RemediationCategory c);  // "vendor_fix", ...

struct AffectedProduct {
    std::string vendor;
    std::string product;
    std::vector<std::string> versions_affected;
    std::vector<std::string> versions_fixed;
    std::string cpe;   // optional
    std::string purl;  // optional
};

struct AdvisoryScore {
    std::string cve;
    std::string vector;  // CVSS 3.0/3.1/4.0 vector
};

struct Remediation {
    RemediationCategory category = RemediationCategory::kVendorFix;
    std::string details;
    std::string url;                    // optional
    std::vector<std::string> products;  // product names ("product" or "vendor product"); empty: all
};

struct AdvisoryReference {
    std::string url;
    std::string summary;
    std::string category = "external";  // "external" or "self"
};

struct AdvisoryContent {
    std::string title;
    std::string summary;
    Tlp tlp = Tlp::kAmber;
    std::string severity;  // "", "low", "medium", "high", "critical"
    std::vector<std::string> cves;
    std::vector<AffectedProduct> products;
    std::vector<AdvisoryScore> scores;
    std::vector<Remediation> remediation;
    std::vector<AdvisoryReference> references;
    std::string notes;
};

struct Revision {
    int number = 0;
    core::Micros date = 0;
    std::string summary;
};

enum class AdvisoryStatus { kDraft, kPublished };
[[nodiscard]] std::string_view AdvisoryStatusName(AdvisoryStatus s);  // "draft", "published"

struct Advisory {
    std::int64_t id = 0;
    std::string uuid;
    std::int64_t organisation_id = 0;
    std::string organisation_uuid;
    std::string organisation_path;
    AdvisoryContent content;
    AdvisoryStatus status = AdvisoryStatus::kDraft;
    std::string tracking_id;          // empty until first published
    std::vector<Revision> revisions;  // oldest first
    std::int64_t version = 1;         // every change (the ETag)
    std::int64_t published_version = 0;
    core::Micros created_at = 0;
    core::Micros updated_at = 0;
    std::string csaf_json;  // the last publication (filled by AdvisoryStore::Get only)
    std::string html;

    bool pending_changes() const { return version != published_version; }
};

// Applies the fields present in `obj` to `content` (absent fields stay; null clears optional
// ones). Unknown fields are refused. Checks each given field's form.
[[nodiscard]] core::Status ApplyContentJson(AdvisoryContent& content, const core::json::object& obj);
// A new advisory from a POST body: title and tlp are required.
[[nodiscard]] core::Result<AdvisoryContent> ContentFromJson(const core::json::object& obj);
// The consistency rules every saved advisory meets (scores name listed CVEs, no duplicates, ...).
[[nodiscard]] core::Status ValidateContent(const AdvisoryContent& content);
// ValidateContent plus what publication needs.
[[nodiscard]] core::Status ValidateForPublication(const AdvisoryContent& content);

[[nodiscard]] core::json::object ContentToJson(const AdvisoryContent& content);
// The API form: the content plus id, organisation_id, status, tracking_id, revisions, version,
// pending_changes, created_at, updated_at.
[[nodiscard]] core::json::object ToJson(const Advisory& advisory);

// "low" ... "critical" from the highest CVSS score of the content, or "" without scores.
[[nodiscard]] std::string SeverityFromScores(const AdvisoryContent& content);

// A version text is a range (not a single version) when it holds an operator, blank, wildcard
// or a word such as "all", "before", "prior" (the words CSAF mandatory test 6.1.31 looks for).
[[nodiscard]] bool IsVersionRange(std::string_view version);

}  // namespace muhafiz::vulns
