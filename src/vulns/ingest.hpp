// Ingest of vulnerability data into a VulnStore: CVE 5 record files, folders of them (searched
// recursively for *.json), CVE List release bundles (zip files with
// cves/YYYY/NNxxx/CVE-*.json entries, also when the records sit in a zip nested in the bundle as
// in the official releases), NVD API 2.0 response files, the CISA KEV catalog (JSON) and EPSS
// daily files (CSV, plain or gzip). `delta.json` and `deltaLog.json` are skipped.
//
// With IngestKind::kAuto each file's kind is recognised by its content. CVE records are written
// in batches (IngestOptions::batch_size per transaction) across files; the multi-item formats
// in batches of the same size. Whatever cannot be used goes to the store's dead letters with its
// source (file, or "bundle.zip!entry"), the record id or line, and the reason, and the rest is
// imported. Everything is idempotent: importing the same data again reports it as unchanged.
//
// Thread-safety: an Ingester is used by one thread; IngestPath is as thread-safe as the store.
// Errors: kNotFound for a missing path, kInvalidArgument for an unreadable zip, and the store's
// database errors (which abort the import; batches already committed stay).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "vulns/vuln_store.hpp"

struct zip_source;  // libzip

namespace muhafiz::vulns {

enum class IngestKind { kAuto, kCve5, kNvd, kKev, kEpss };

// "auto", "cve5", "nvd", "kev", "epss".
[[nodiscard]] std::string_view IngestKindName(IngestKind kind);
[[nodiscard]] std::optional<IngestKind> ParseIngestKind(std::string_view text);

struct IngestReport {
    std::int64_t files = 0;    // files and zip entries read
    std::int64_t records = 0;  // items read: CVE records, NVD items, KEV entries, EPSS rows
    std::int64_t inserted = 0;
    std::int64_t updated = 0;
    std::int64_t unchanged = 0;
    std::int64_t older = 0;     // CVE versions older than the stored one (kept in the history)
    std::int64_t rejected = 0;  // dead-lettered (items, or whole files that could not be read)
    std::int64_t skipped = 0;   // files that hold no data (delta.json, other zip entries)
    double seconds = 0;
};

struct IngestOptions {
    std::size_t batch_size = 1000;
    // Called after every committed batch (for progress on a terminal).
    std::function<void(const IngestReport&)> progress;
};

class Ingester {
  public:
    explicit Ingester(VulnStore& store, IngestOptions options = {});

    // A file, a folder or a zip bundle.
    [[nodiscard]] core::Status AddPath(const std::string& path,
                                       IngestKind kind = IngestKind::kAuto);
    // The content of one file (gzip is undone); `source` names it in dead letters.
    [[nodiscard]] core::Status AddContent(const std::string& source, std::string content,
                                          IngestKind kind = IngestKind::kAuto);
    // Writes what is pending and returns the totals.
    [[nodiscard]] core::Result<IngestReport> Finish();

  private:
    // Takes ownership of `src` (nullptr: the zip could not be opened).
    [[nodiscard]] core::Status AddZip(const std::string& source, zip_source* src);
    [[nodiscard]] core::Status FlushRecords();
    [[nodiscard]] core::Status FlushDeadLetters();
    [[nodiscard]] core::Status Count(core::Result<UpsertCounts> counts);
    void Reject(const std::string& source, std::string item, std::string reason);

    static constexpr std::size_t kJsonBuffer = 1 << 20;  // parse memory reused for every file

    VulnStore& store_;
    IngestOptions options_;
    std::unique_ptr<unsigned char[]> json_buffer_;
    IngestReport report_;
    std::vector<VulnRecord> records_;
    std::vector<DeadLetter> dead_letters_;
    std::int64_t started_ = 0;
};

// Imports a file, folder or bundle (see above) and returns the report.
[[nodiscard]] core::Result<IngestReport> IngestPath(VulnStore& store, const std::string& path,
                                                    IngestKind kind = IngestKind::kAuto,
                                                    IngestOptions options = {});

// "cve import: 3 files, 25 records: 20 inserted, 2 updated, 1 unchanged, 0 older,
// 2 rejected (dead letters), 1 skipped in 0.12 s"
[[nodiscard]] std::string FormatIngestReport(const IngestReport& report);

}  // namespace muhafiz::vulns
