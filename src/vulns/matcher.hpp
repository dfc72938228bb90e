// Matching assets against CVE records: MatchIndex holds the records (and the assets) keyed by
// normalised product keys (vulns/asset.hpp), and answers "which CVEs concern this asset" and
// "which assets does this record concern", for one asset, one record, or everything.
//
// Candidates. A record is indexed under
//   * each CVE 5 `affected[]` entry (CNA and ADP kept apart): "v:vendor:product"; the vendor and
//     product of each of its `cpes[]`; and "p:type/namespace/name" when `collectionURL` +
//     `packageName` map onto a purl type (pypi.org → pypi, npmjs → npm, Maven Central → maven,
//     pkg.go.dev/proxy.golang.org → golang, crates.io → cargo, rubygems → gem, nuget → nuget,
//     packagist → composer, packages.debian.org → deb/debian, ...);
//   * each `vulnerable: true` cpeMatch criterion of its NVD configurations: "v:vendor:product".
// An asset meets the candidates under each of its keys.
//
// Verdicts. A CVE 5 entry is judged with vulns::Evaluate on the asset's version (hint: the
// asset's version_scheme, else its purl type); an entry with `cpes[]` but no `versions[]` (a
// product stream, as Red Hat writes them) is judged by whether one of its CPEs matches the
// asset's CPE. NVD configurations are judged with EvaluateConfigurations on the asset's CPE (made
// from vendor/product/version when the asset has none); a configuration whose vulnerable
// criterion matches but whose platform conditions the single asset cannot show is unknown, not
// unaffected. Per source (cna, adp, nvd) the strongest entry verdict counts: affected, then
// unaffected, then unknown (an entry that can place the version beats one that cannot, e.g.
// git commit ranges beside semver ranges). Across sources: affected by any source gives an
// affected finding from the first of cna, adp, nvd that says so; else a source that decides
// unaffected gives no finding; else unknown from any source gives an `unknown` finding. So an
// undecidable comparison is never a silent "not affected".
//
// Priority (0..200, higher first): 100 if the CVE is in KEV, plus CVSS × (1 + 9 × EPSS), where
// CVSS is the base score of VulnRecord::BestMetric (5.0 when the record has none) and EPSS the
// probability (0 when unknown). So every KEV finding ranks above every other, and among the rest
// a likely-exploited CVE outranks an equally severe unlikely one up to tenfold.
//
// Thread-safety: thread-safe. Matching takes a shared lock; Upsert/Remove take it exclusively.
// MatchAll's sink is called concurrently from its worker threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vulns/affected.hpp"
#include "vulns/asset.hpp"
#include "vulns/vuln_record.hpp"

namespace muhafiz::vulns {

enum class FindingSource { kCna, kAdp, kNvd };

[[nodiscard]] std::string_view FindingSourceName(FindingSource s);  // "cna", "adp", "nvd"
[[nodiscard]] std::optional<FindingSource> ParseFindingSource(std::string_view text);

// Why one asset is (or may be) exposed to one CVE.
struct Finding {
    std::int64_t asset_id = 0;
    std::string cve_id;
    VulnStatus status = VulnStatus::kUnknown;  // kAffected or kUnknown
    FindingSource source = FindingSource::kCna;
    // Which entry, field and range decided, e.g. "cna affected[0] (v:openssl:openssl):
    // versions[0]: 1.1.0 <= 1.1.0g < 1.1.0h (version, lessThan; generic), status affected".
    std::string reason;
    std::optional<double> cvss;
    std::optional<double> epss;
    bool kev = false;
    double priority = 0;
    // Not from matching: set by VulnService when an imported CSAF VEX statement settles the
    // finding (known_not_affected, fixed); FindingStore then stores it not_applicable with this
    // state_reason, unless a person decided its state.
    std::string vex_not_applicable;
};

// The documented priority formula (see above).
[[nodiscard]] double Priority(std::optional<double> cvss, std::optional<double> epss, bool kev);

// The product keys a record is indexed under (sorted, without duplicates).
[[nodiscard]] std::vector<std::string> RecordKeys(const VulnRecord& record);

class MatchIndex {
public:
    MatchIndex();
    explicit MatchIndex(std::vector<VulnRecord> records);
    ~MatchIndex();
    MatchIndex(const MatchIndex&) = delete;
    MatchIndex& operator=(const MatchIndex&) = delete;

    // Adds a record, or replaces the one with the same cve_id.
    void UpsertRecord(VulnRecord record);
    bool RemoveRecord(std::string_view cve_id);
    [[nodiscard]] std::size_t record_count() const;

    // The assets MatchRecord and MatchAll consider (keyed by Asset::id).
    void UpsertAsset(Asset asset);
    bool RemoveAsset(std::int64_t asset_id);
    [[nodiscard]] std::size_t asset_count() const;

    // Findings for one asset across all indexed records, by CVE id.
    [[nodiscard]] std::vector<Finding> MatchAsset(const Asset& asset) const;
    // Findings of one record (need not be indexed) for every held asset that shares a key.
    [[nodiscard]] std::vector<Finding> MatchRecord(const VulnRecord& record) const;

    // Every held asset against every record on `threads` threads. Assets that name the same
    // product, version and scheme are matched once. `sink(asset, findings)` is called once per
    // asset with findings, concurrently; the vector is reused after it returns (copy what you
    // keep). Returns the number of findings.
    using Sink = std::function<void(const Asset&, const std::vector<Finding>&)>;
    std::size_t MatchAll(unsigned threads, const Sink& sink) const;

private:
    struct State;
    mutable std::shared_mutex mu_;
    std::unique_ptr<State> state_;
};

}  // namespace muhafiz::vulns
