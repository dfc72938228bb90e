// VulnStore: the storage of vulnerability records (tables of migration 003_vulns.sql).
//
// * CVE records are upserted by `cveMetadata.dateUpdated`: a record replaces the stored one only
//   when it is newer, and the replaced version moves to `vuln_history`; an older version met
//   later is kept in the history too and changes nothing; the same version is "unchanged". So
//   importing the same data twice changes nothing.
// * NVD enrichment (newer lastModified wins), KEV catalog entries and EPSS scores live in their
//   own tables, keyed by CVE id, and may arrive before or after the CVE record. They are merged
//   into the record on every read, so they survive re-imports of the CVE record. The filter
//   columns of `vulns` (cvss, severity, epss, kev) and the `vuln_products` rows are kept in step
//   with the merged record.
// * Dead letters: what an import could not use (source, item, reason); one row per source and
//   item, the latest reason wins.
//
// Thread-safety: thread-safe; each call takes its own connection from the pool. The batch
// writers run each call in one transaction. Errors: kInvalidArgument (filters, cursor, limit),
// kNotFound (Get), kUnavailable/kInternal from the database.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "db/database.hpp"
#include "vulns/cve_parser.hpp"
#include "vulns/vuln_record.hpp"

namespace muhafiz::vulns {

// What a batch did: per item, one of inserted (new), updated (replaced an older version or
// changed enrichment), unchanged (same version or values), older (an outdated CVE version,
// archived into the history).
struct UpsertCounts {
    std::int64_t inserted = 0;
    std::int64_t updated = 0;
    std::int64_t unchanged = 0;
    std::int64_t older = 0;

    UpsertCounts& operator+=(const UpsertCounts& o);
};

struct VulnFilter {
    std::optional<std::string> q;  // case-insensitive substring of id, title or description
    bool kev_only = false;
    std::optional<double> min_cvss;  // best metric's score
    std::optional<double> min_epss;
    std::optional<core::Micros> published_since;
    std::optional<std::string> vendor;   // case-insensitive substrings of a product's names;
    std::optional<std::string> product;  // product also matches the package name
    bool include_rejected = false;
    std::string sort = "-published";  // -published, published, -updated, -cvss, -epss, cve_id
    int limit = 50;                   // 1..500
    std::string cursor;               // from the previous page's `next`
};

struct VulnPage {
    std::vector<VulnRecord> items;
    std::int64_t total = 0;
    std::optional<std::string> next;
};

struct DeadLetter {
    std::string source;  // file, or "bundle.zip!cves/2024/3xxx/CVE-2024-3400.json"
    std::string item;    // CVE id, "line 17", "vulnerabilities[3]", or "" for the whole file
    std::string reason;
    core::Micros created_at = 0;
};

struct DeadLetterPage {
    std::vector<DeadLetter> items;
    std::int64_t total = 0;
    std::optional<std::string> next;
};

class VulnStore {
  public:
    explicit VulnStore(db::Database& db) : db_(db) {}

    // CVE 5 records (in order: within a call a later, newer version replaces an earlier one).
    [[nodiscard]] core::Result<UpsertCounts> Upsert(const std::vector<VulnRecord>& records);
    // NVD enrichment as parsed by ParseNvdResponse.
    [[nodiscard]] core::Result<UpsertCounts> UpsertNvd(const std::vector<VulnRecord>& enrichment);
    [[nodiscard]] core::Result<UpsertCounts> UpsertKev(const std::vector<KevCatalogEntry>& entries);
    // `file.scores` with the file's model version and score date.
    [[nodiscard]] core::Result<UpsertCounts> UpsertEpss(const EpssFile& file);
    [[nodiscard]] core::Status AddDeadLetters(const std::vector<DeadLetter>& letters);

    // The merged record; kNotFound when unknown.
    [[nodiscard]] core::Result<VulnRecord> Get(const std::string& cve_id);
    // Earlier versions of the CVE record (as stored, without enrichment), oldest first.
    [[nodiscard]] core::Result<std::vector<VulnRecord>> History(const std::string& cve_id);
    [[nodiscard]] core::Result<VulnPage> Search(const VulnFilter& filter);
    // CVE ids whose products match exactly (lower case; empty arguments match anything, but not
    // all three empty): the matcher's candidate lookup.
    [[nodiscard]] core::Result<std::vector<std::string>> CandidateIds(
        const std::string& vendor, const std::string& product, const std::string& package_name);

    // Streams the merged PUBLISHED records in id order, `batch_size` at a time from the
    // database (memory stays bounded); stops at the first error of `fn`.
    [[nodiscard]] core::Status ForEach(const std::function<core::Status(const VulnRecord&)>& fn,
                                       std::size_t batch_size = 1000);
    [[nodiscard]] core::Result<std::vector<VulnRecord>> All();

    // Newest first; `limit` 1..500, cursor from the previous page.
    [[nodiscard]] core::Result<DeadLetterPage> ListDeadLetters(int limit = 50,
                                                               const std::string& cursor = {});

  private:
    db::Database& db_;
};

}  // namespace muhafiz::vulns
