// VulnService: keeps the findings of every organisation in step with the vulnerability records and
// the asset inventories, and tells organisations about new exposure.
//
// It owns the MatchIndex (every PUBLISHED record and every asset, built by Load() from
// VulnStore::ForEach and AssetStore::All) and runs the matching after each change:
//   * an import (IngestText, IngestPath): every CVE whose record was inserted or replaced, whose
//     NVD enrichment changed, or whose findings carry CVSS/EPSS/KEV values that the store no longer
//     has (a KEV or EPSS import) is re-read, re-indexed and matched with MatchRecord, and
//     FindingStore::ReplaceForCve writes its findings (a REJECTED record resolves them);
//   * an asset change (CreateAsset, UpdateAsset, DeleteAsset, ImportAssets, or AssetChanged for a
//     change made elsewhere): MatchAsset, then FindingStore::ReplaceForAssets. The scores of those
//     findings are taken from the store's columns, so an enrichment import that touched no finding
//     needs no index update;
//   * RematchAll: a fresh index and every asset matched again.
// The API changes assets through this service, so that an import of many assets is one matching
// run (and one digest per organisation). AssetStore's on_change may also be wired to
// AssetChanged for changes made elsewhere: calls from inside this service's own runs are
// recognised and ignored.
//
// VEX. Before findings are written, the statements of imported CSAF documents (advisories and
// VEX, AdvisoryStore::Import) about their CVEs are applied (vulns/vex.hpp): a statement that the
// finding's asset is known_not_affected or fixed makes it not_applicable with state_reason
// "VEX <tracking_id>: known_not_affected" (or ": fixed"); known_affected keeps it open and adds
// "confirmed by VEX <tracking_id>" to its reason. A state set by a person is never overridden
// (FindingStore). A VEX-settled finding is re-decided on every run, so it reopens when the
// statement is withdrawn. SettleWithVex re-decides the findings of CVEs after an import.
//
// Digests. After each run, the findings first seen in it (open, never seen before: a reopened
// finding does not count) are grouped by organisation, and for each organisation ONE e-mail is
// queued to its security contact (contacts.security_email, else abuse_email) and one to its
// nearest CERT ancestor (the closest organisation of a *_cert kind up its path), each encrypted
// to that recipient's contacts.pgp_key when set. The e-mail lists the findings grouped by CVSS
// severity (CVE, asset, reason, priority) with a CSV attachment of the same, and carries the
// reference "VULN-<year>-<NNNNNN>" (one per organisation and run; numbered by counting earlier
// digests of the year). An organisation without an address is skipped (the CERT still gets its
// copy). With a null notifier no e-mail is queued. The digests are queued in one transaction of
// their own right after the findings are written (FindingStore's transactions are its own), so a
// crash between the two loses that run's digest but never queues one for findings not written.
//
// Thread-safety: thread-safe. Matching runs (imports, asset changes, re-matching) are serialised
// by one mutex, which also guards the index pointer (RematchAll swaps in a fresh index) and makes
// "first seen in this run" exact within the process (another process writing findings of the same
// database at the same moment could see its findings in our digest as well). A long import holds
// the mutex, so asset changes wait for it. The read helpers for the API take no lock.
// Ownership: the stores, the database and the notifier are borrowed and must outlive the service.
// Errors: those of the stores (kInvalidArgument naming the field, kNotFound, kPreconditionFailed,
// kUnavailable/kInternal); an e-mail that cannot be queued (bad address or PGP key) is logged and
// does not fail the change that caused it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/actor.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "notify/notifier.hpp"
#include "vulns/asset_store.hpp"
#include "vulns/finding_store.hpp"
#include "vulns/ingest.hpp"
#include "vulns/matcher.hpp"
#include "vulns/vex.hpp"
#include "vulns/vuln_store.hpp"

namespace muhafiz::vulns {

inline constexpr std::string_view kDigestPrefix = "VULN";
// Related.object_type of the digest e-mails (object_id: the reference).
inline constexpr std::string_view kDigestObjectType = "vulnerability_digest";

// What an import did (IngestReport) and what it could not use, for the API.
struct ImportOutcome {
    IngestReport report;
    struct Problem {
        std::string record;  // CVE id, "line 17", "vulnerabilities[3]", or "" for the whole file
        std::string reason;
    };
    std::vector<Problem> problems;  // at most kMaxProblems
    std::int64_t matched_cves = 0;  // CVEs matched again after the import
    std::int64_t new_findings = 0;
    static constexpr std::size_t kMaxProblems = 200;
};

// What one matching run produced.
struct MatchRun {
    std::int64_t cves = 0;    // CVE records matched (record side)
    std::int64_t assets = 0;  // assets matched (asset side)
    std::int64_t findings = 0;
    std::int64_t new_findings = 0;
    std::int64_t digests = 0;  // e-mails queued
};

// For the API: the organisation and open-finding count of assets.
struct AssetDetails {
    std::string organisation_name;
    std::int64_t open_findings = 0;
};

// For the API: what a finding row lacks (the CVE title, the asset's identification, the
// organisation's name).
struct FindingDetails {
    std::string title;
    std::string asset_version, asset_cpe, asset_purl;
    std::string organisation_name;
};

struct OrganisationRef {
    std::string uuid;
    std::string name;
};

// One line of the exposure summary (ExposureSummary with the organisation's kind and sector).
struct ExposureRow {
    ExposureSummary summary;
    std::string kind;
    std::string sector;
};

class VulnService {
  public:
    // `notifier` may be null (no e-mail). `wake` (may be empty) is called after digests were
    // queued, e.g. to wake the notify::Dispatcher.
    VulnService(db::Database& db, VulnStore& vulns, AssetStore& assets, FindingStore& findings,
                const notify::Notifier* notifier, std::function<void()> wake = {});

    // Builds the index from the stores (call once before serving; again to reload).
    [[nodiscard]] core::Status Load();

    // ---- vulnerability data -------------------------------------------------------------------
    // Imports the content of one uploaded file (JSON: CVE 5, NVD 2.0, KEV; CSV: EPSS; gzip is
    // undone; a zip bundle is read like IngestPath reads one) named `source` in dead letters, then
    // matches what changed.
    [[nodiscard]] core::Result<ImportOutcome> IngestText(std::string content, IngestKind kind,
                                                         const std::string& source);
    // A file, folder or bundle on disk (the command line), then matches what changed.
    [[nodiscard]] core::Result<ImportOutcome> IngestPath(const std::string& path, IngestKind kind,
                                                         IngestOptions options = {});
    // Re-reads and re-matches these CVEs (e.g. after an import in another process).
    [[nodiscard]] core::Result<MatchRun> RematchCves(const std::vector<std::string>& cve_ids);
    // A fresh index, every asset matched against every record.
    [[nodiscard]] core::Result<MatchRun> RematchAll(unsigned threads = 0);
    // Re-decides the findings of these CVEs after a CSAF (VEX) import: they are matched again,
    // which applies the imported statements (see "VEX" above).
    [[nodiscard]] core::Result<MatchRun> SettleWithVex(const std::vector<std::string>& cve_ids);

    // ---- assets (AssetStore's operations followed by matching) ---------------------------------
    [[nodiscard]] core::Result<Asset> CreateAsset(const std::string& organisation,
                                                  const AssetPatch& patch,
                                                  const db::Predicate& scope,
                                                  const core::Actor& actor);
    [[nodiscard]] core::Result<Asset> UpdateAsset(const std::string& uuid, const AssetPatch& patch,
                                                  std::optional<std::int64_t> expected_version,
                                                  const db::Predicate& scope,
                                                  const core::Actor& actor);
    [[nodiscard]] core::Status DeleteAsset(const std::string& uuid, const db::Predicate& scope,
                                           const core::Actor& actor);
    [[nodiscard]] core::Result<ImportReport> ImportAssets(const std::string& organisation,
                                                          std::string_view text, AssetFormat format,
                                                          bool skip_bad, const db::Predicate& scope,
                                                          const core::Actor& actor);
    // An asset changed by someone else (matches it, or forgets it when deleted).
    [[nodiscard]] core::Result<MatchRun> AssetChanged(const Asset& asset, bool deleted);

    // ---- reads for the API ----------------------------------------------------------------------
    // Per CVE id: the number of distinct organisations inside `scope` with open findings.
    [[nodiscard]] core::Result<std::map<std::string, std::int64_t>> ExposedOrganisations(
        const std::vector<std::string>& cve_ids, const db::Predicate& scope);
    // Per asset internal id.
    [[nodiscard]] core::Result<std::map<std::int64_t, AssetDetails>> DescribeAssets(
        const std::vector<std::int64_t>& asset_ids);
    // Per finding internal id.
    [[nodiscard]] core::Result<std::map<std::int64_t, FindingDetails>> DescribeFindings(
        const std::vector<StoredFinding>& findings);
    // Open-finding counts of the organisations inside `scope` (and below `organisation` when
    // given), one row per organisation with findings, in path order.
    [[nodiscard]] core::Result<std::vector<ExposureRow>> Exposure(
        const std::optional<std::string>& organisation, const db::Predicate& scope);

    // The organisation with public id `uuid` when inside `scope` (else kNotFound, field
    // organisation_id); without `uuid`, the National CERT (the root).
    [[nodiscard]] core::Result<OrganisationRef> FindOrganisation(
        const std::optional<std::string>& uuid, const db::Predicate& scope);

    [[nodiscard]] std::size_t indexed_records() const;
    [[nodiscard]] std::size_t indexed_assets() const;

  private:
    using NvdVersions = std::map<std::string, std::int64_t>;  // vuln_nvd: cve_id → last_modified
    // Holds mu_ and records the thread, so that AssetStore's on_change (when wired to
    // AssetChanged) inside a run is recognised and not matched twice or dead-locked.
    class RunGuard {
      public:
        explicit RunGuard(VulnService& s) : s_(s), lock_(s.mu_) {
            s_.running_on_.store(std::this_thread::get_id());
        }
        ~RunGuard() { s_.running_on_.store(std::thread::id()); }
        RunGuard(const RunGuard&) = delete;
        RunGuard& operator=(const RunGuard&) = delete;

      private:
        VulnService& s_;
        std::lock_guard<std::mutex> lock_;
    };

    core::Result<MatchRun> AssetChangedLocked(const Asset& asset, bool deleted);
    // Matches the changed CVEs and sends the digests; `mu_` held.
    core::Result<MatchRun> MatchCvesLocked(const std::vector<std::string>& cve_ids,
                                           core::Micros since);
    // Matches these assets (already upserted into the index) and sends the digests; `mu_` held.
    core::Result<MatchRun> MatchAssetsLocked(const std::vector<Asset>& assets, core::Micros since);
    // CVSS/EPSS/KEV of the findings from the store's columns (the index may hold older values).
    core::Status RefreshScores(std::vector<Finding>& findings);
    // Applies the imported CSAF statements (vulns/vex.hpp) to findings about to be written.
    core::Status ApplyVex(std::vector<Finding*>& findings);
    core::Status ApplyVex(std::vector<Finding>& findings);
    // CVEs to match again after an import that started at `since`; `nvd_before` is the NVD
    // enrichment before it (null: the import held no NVD data).
    core::Result<std::vector<std::string>> ChangedCves(core::Micros since,
                                                       const NvdVersions* nvd_before);
    core::Result<NvdVersions> NvdSnapshot();
    core::Result<ImportOutcome> FinishImport(Ingester& ingester, const std::string& source,
                                             core::Micros since, const NvdVersions* nvd_before);
    // Queues the digests of the findings first seen at or after `since`; returns the e-mails
    // queued.
    core::Result<std::int64_t> SendDigests(core::Micros since, std::int64_t& new_findings);

    db::Database& db_;
    VulnStore& vulns_;
    AssetStore& assets_;
    FindingStore& findings_;
    const notify::Notifier* notifier_;
    std::function<void()> wake_;
    mutable std::mutex mu_;                      // one matching run at a time; guards index_
    std::atomic<std::thread::id> running_on_{};  // the thread inside a run, if any
    std::unique_ptr<MatchIndex> index_;
};

// The CVSS v3 qualitative rating of a score in lower case: critical >= 9, high >= 7,
// medium >= 4, low > 0, else none; empty when there is no score.
[[nodiscard]] std::string_view SeverityOf(std::optional<double> cvss);

}  // namespace muhafiz::vulns
