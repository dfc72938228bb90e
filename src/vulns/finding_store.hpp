// FindingStore: the findings of matching (table `findings` of migration 004) — what each
// organisation is exposed to, for the exposure page and the API.
//
// Replace* write the result of a match for one scope of it (some assets, or one CVE): findings
// that match are inserted or refreshed (status, source, reason, scores, last_seen), keeping
// their uuid, first_seen and a state a person set (MarkNotApplicable, Reopen: column
// state_source 'manual', migration 007); otherwise the state follows the run: `not_applicable`
// with Finding::vex_not_applicable as state_reason when a VEX statement settles it (state_source
// 'vex'), else `open` (a `resolved` or formerly VEX-settled finding reopens); `open` findings in
// that scope that no longer match become `resolved`.
// Reads apply the visibility predicate of `access` over the organisation's `o.path`; a finding
// outside it answers kNotFound. MarkNotApplicable and Reopen are audited (db::AuditSink,
// finding.not_applicable / finding.reopen) in the same transaction.
// Thread-safety: thread-safe; each call takes its own connection from the pool.
// Errors: kInvalidArgument (naming the field), kNotFound, kConflict (state transition),
// kUnavailable/kInternal (database).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/actor.hpp"
#include "db/audit_sink.hpp"
#include "db/database.hpp"
#include "vulns/asset_store.hpp"
#include "vulns/matcher.hpp"

namespace muhafiz::vulns {

enum class FindingState { kOpen, kNotApplicable, kResolved };

[[nodiscard]] std::string_view FindingStateName(FindingState s);  // open, not_applicable, resolved
[[nodiscard]] std::optional<FindingState> ParseFindingState(std::string_view text);

struct StoredFinding {
    std::int64_t id = 0;
    std::string uuid;
    Finding finding;
    std::string asset_uuid;
    std::string asset_name;
    std::string organisation_uuid;
    FindingState state = FindingState::kOpen;
    std::string state_reason;
    std::string state_by;  // username
    core::Micros first_seen = 0;
    core::Micros last_seen = 0;
};

[[nodiscard]] core::json::object FindingToJson(const StoredFinding& f);

struct FindingFilter {
    std::optional<std::string> organisation;  // public id: that organisation and everything below
    std::optional<std::string> asset;         // public id
    std::optional<VulnStatus> status;
    std::optional<FindingState> state;
    std::optional<bool> kev;
    std::optional<double> min_priority;
    std::optional<std::string> cve;
    std::string sort = "-priority";  // -priority, priority, -first_seen, first_seen
    int limit = 50;                  // 1..500
    std::string cursor;
};

// Open findings of one organisation (and its subtree's, when summarising a subtree), by CVSS
// severity (critical >= 9, high >= 7, medium >= 4, low > 0, none: no score or 0).
struct ExposureSummary {
    std::string organisation_uuid;
    std::string organisation_name;
    std::int64_t open = 0;
    std::int64_t affected = 0;
    std::int64_t unknown = 0;
    std::int64_t kev = 0;
    std::int64_t critical = 0, high = 0, medium = 0, low = 0, none = 0;
    std::int64_t not_applicable = 0;
    std::int64_t resolved = 0;
};

// The findings of one asset from MatchIndex::MatchAsset/MatchAll.
struct AssetFindings {
    std::int64_t asset_id = 0;
    std::vector<Finding> findings;
};

class FindingStore {
public:
    FindingStore(db::Database& db, const db::AuditSink& audit) : db_(db), audit_(audit) {}

    // Replaces the findings of these assets (one transaction).
    [[nodiscard]] core::Status ReplaceForAssets(std::span<const AssetFindings> batch);
    // Replaces the findings of one CVE (MatchIndex::MatchRecord) across all assets.
    [[nodiscard]] core::Status ReplaceForCve(const std::string& cve_id, const std::vector<Finding>& findings);

    [[nodiscard]] core::Result<StoredFinding> Get(const std::string& uuid, const db::Predicate& scope);
    [[nodiscard]] core::Result<Page<StoredFinding>> List(const FindingFilter& filter, const db::Predicate& scope);
    // One row per visible organisation with findings (or only `organisation` and its subtree,
    // each organisation counted on its own), ordered by organisation path.
    [[nodiscard]] core::Result<std::vector<ExposureSummary>> Summarise(const std::optional<std::string>& organisation,
                                                                       const db::Predicate& scope);

    // A constituent's verdict: the finding does not apply (reason required). Survives re-matching.
    [[nodiscard]] core::Result<StoredFinding> MarkNotApplicable(const std::string& uuid, const std::string& reason,
                                                                const db::Predicate& scope,
                                                                const core::Actor& actor);
    // Back to open (from not_applicable or resolved).
    [[nodiscard]] core::Result<StoredFinding> Reopen(const std::string& uuid, const db::Predicate& scope,
                                                     const core::Actor& actor);

private:
    core::Status Upsert(db::Connection& conn, const Finding& f, core::Micros now);
    core::Result<StoredFinding> SetState(const std::string& uuid, FindingState state, const std::string& reason,
                                         const db::Predicate& scope, const core::Actor& actor);
    // Strictly increasing per store, so "not seen in this run" is last_seen < now.
    core::Micros Now();

    db::Database& db_;
    const db::AuditSink& audit_;
    std::mutex clock_mu_;
    core::Micros last_now_ = 0;
};

}  // namespace muhafiz::vulns
