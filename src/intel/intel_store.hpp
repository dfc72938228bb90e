// IntelStore: intel events and indicators — creation with normalisation and warning lists,
// sharing by TLP 2.0 and audience (visibility always through access::IntelPolicy), the recipients
// preview, indicator changes (false positive, detection, warning override, validity), sightings,
// correlation through the value index (intel_values), search over events and indicators, the
// STIX objects served over TAXII (intel_objects, with a strictly increasing date_added), and
// STIX bundle import streamed from a std::istream.
//
// Every change is written with its audit record in one transaction: intel.create, intel.update,
// intel.share (a change of TLP, audience or recipients, with before/after), intel.delete,
// intel.indicator.update, intel.indicator.delete (RemoveIndicator), intel.sighting, intel.import.
// Invisible events and indicators answer kNotFound like missing ones.
//
// Thread-safety: thread-safe; each call takes its own connection from the pool. The WarningLists
// are owned by the caller and must outlive the store.
// Errors: kInvalidArgument (field named), kNotFound, kPermissionDenied (changes by other
// organisations), kPreconditionFailed (If-Match), kUnavailable/kInternal (database).
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "access/intel_policy.hpp"
#include "access/permissions.hpp"
#include "core/actor.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "db/audit_sink.hpp"
#include "db/database.hpp"
#include "intel/indicator.hpp"
#include "intel/warninglist.hpp"

namespace muhafiz::intel {

using access::Audience;
using access::Tlp;

struct IntelSettings {
    std::int64_t correlation_limit = 1000;   // events per value before it over-correlates
    std::int64_t indicator_max_age_days = 0;  // 0: indicators without valid_until never expire
    std::string public_base_url;             // for TAXII discovery (optional)
};

struct IndicatorInput {
    std::string type, value, comment;
    std::optional<bool> detection;
    std::optional<core::Micros> valid_from, valid_until;
    std::string source_uuid;  // MISP attribute uuid of an imported attribute ('' → none)
};

struct OrgRef {
    std::int64_t id = 0;
    std::string uuid, name;
};

struct Event {
    std::int64_t id = 0;
    std::string uuid, stix_id;
    OrgRef organisation;
    std::int64_t cert_id = 0;
    std::string org_path, cert_path, sector;
    std::string title, description;
    Tlp tlp = Tlp::kAmber;
    Audience audience = Audience::kOrganisation;
    int confidence = 50;
    std::vector<std::string> tags, incidents;
    std::vector<OrgRef> recipients;
    std::vector<std::string> recipient_paths;
    std::string source;
    std::int64_t indicator_count = 0, version = 1;
    core::Micros created_at = 0, updated_at = 0;
};

struct EventInput {
    std::string title, description;
    Tlp tlp = Tlp::kAmber;
    Audience audience = Audience::kOrganisation;
    int confidence = 50;
    std::vector<std::string> tags, incidents, recipients;  // recipients: organisation uuids
    std::vector<IndicatorInput> indicators;
    std::string source = "manual";
};

struct EventPatch {
    std::optional<std::string> title, description;
    std::optional<Tlp> tlp;
    std::optional<Audience> audience;
    std::optional<int> confidence;
    std::optional<std::vector<std::string>> tags, incidents, recipients;
};

struct Indicator {
    std::int64_t id = 0;
    std::string uuid, stix_id, event_uuid, event_title;
    IndicatorType type = IndicatorType::kIpv4;
    std::string value, original, comment;
    bool detection = true, false_positive = false, warning_override = false;
    std::string warning;
    core::Micros valid_from = 0;
    std::optional<core::Micros> valid_until;
    std::int64_t sightings = 0;
    std::optional<core::Micros> last_seen;
    Tlp tlp = Tlp::kAmber;
    core::Micros created_at = 0, updated_at = 0;
    std::string source_uuid;  // MISP attribute uuid it was imported from ('' → created here)
    // Usable for detection now: flagged, not a false positive, not on a warning list (or
    // overridden), within validity.
    bool Active(core::Micros now) const;
};

struct IndicatorPatch {
    std::optional<bool> detection, false_positive, warning_override;
    std::optional<std::optional<core::Micros>> valid_until;
    std::optional<std::string> comment;
};

struct EventFilter {
    std::optional<std::string> q, tag, organisation, value, type;
    std::optional<Tlp> tlp;
    std::optional<Audience> audience;
    std::optional<core::Micros> since, until;
    int limit = 50;
    std::string cursor;
};

struct IndicatorFilter {
    std::optional<std::string> value, tag, organisation, event, type;
    std::optional<Tlp> tlp;
    std::optional<core::Micros> since, until;
    bool active_only = false;
    int limit = 50;
    std::string cursor;
};

template <typename T>
struct IntelPage {
    std::vector<T> items;
    std::int64_t total = 0;
    std::optional<std::string> next;
};

struct Correlation {
    Indicator indicator;
    std::int64_t event_count = 0;  // events holding the value (all, visible or not)
    bool over_correlating = false;
    std::vector<OrgRef> events;    // other events the viewer may see (uuid, title in name)
};

struct OverCorrelating {
    std::string type, value;
    std::int64_t events = 0;
};

struct Sighting {
    OrgRef organisation;
    std::int64_t count = 0;
    core::Micros first_seen = 0, last_seen = 0;
    std::string source;
};

struct SightingInput {
    std::int64_t count = 1;
    std::optional<core::Micros> seen_at;
    std::string source;
};

// TAXII: the objects of a collection (an audience, or "public": TLP:CLEAR only).
struct ObjectQuery {
    std::optional<Audience> audience;  // nullopt: the public collection
    std::optional<core::Micros> added_after;
    std::vector<std::string> ids, types;
    std::vector<core::Micros> versions;  // exact `modified` values
    std::string version_mode = "last";   // last, first, all (or exact values only)
    std::int64_t after_row = 0;          // from a `next` cursor: continue after this date_added
    int limit = 1000;
};

struct StoredObject {
    std::string stix_id, type, version;
    core::Micros version_us = 0, date_added = 0;
    std::string content;
};

// The query of a TAXII page's in-row stream (indicators holding their object in their row,
// migration 018) for a WHERE clause (`where` starts with " WHERE", joins e.id = i.event_id, the
// last parameter is the limit): the indicators drive the join in date_added order, whatever
// index the collection's event condition could use. Exposed for the query-plan test.
[[nodiscard]] std::string InRowPageSql(std::string_view where);

struct ImportOptions {
    std::int64_t organisation_id = 0;
    Tlp default_tlp = Tlp::kAmber;  // when the bundle carries no TLP marking
    Audience audience = Audience::kOrganisation;
    std::string title, source = "stix";
    std::string event_uuid;  // append to this event (TAXII pulls) instead of creating one
    bool count_values = true;
    // false: every object goes through the full JSON parse (tests compare it with the fast path
    // for simple indicators, which must store exactly the same).
    bool fast_path = true;
};

// Applies a TLP and an audience given as text (empty: keep the option's default) to the options
// of a STIX or MISP import; an unknown value is an invalid-argument error naming it.
template <class Options>
[[nodiscard]] core::Status ApplyImportMarkings(Options& options, std::string_view tlp, std::string_view audience) {
    if (!tlp.empty()) options.default_tlp = MUHAFIZ_TRY(access::ParseTlp(tlp));
    if (!audience.empty()) options.audience = MUHAFIZ_TRY(access::ParseAudience(audience));
    return {};
}

struct ImportProblem {
    std::size_t index = 0;  // position in the objects array (0-based)
    std::string object_id, reason;
};

struct ImportReport {
    std::string event_id;
    std::size_t objects = 0, indicators = 0, kept = 0, markings = 0, duplicates = 0, failed = 0;
    // Objects by STIX id + modified against the event's (a re-import or an append): new ids,
    // newer versions, the same version (or an older one, also counted in older_versions, stored
    // as an older version); failed objects are the rejected ones.
    std::size_t created = 0, updated = 0, unchanged = 0, older_versions = 0;
    bool reimport = false;  // the bundle was imported before: its event was updated
    std::vector<ImportProblem> problems;  // the first 1000
    Tlp tlp = Tlp::kAmber;
    std::vector<std::pair<std::string, std::string>> imported;  // (stix id, version) of stored objects
};

class IntelStore {
  public:
    IntelStore(db::Database& db, const db::AuditSink& audit, const WarningLists& lists, IntelSettings settings)
        : db_(db), audit_(audit), lists_(lists), settings_(std::move(settings)), checkpointer_(NewCheckpointer(db)) {}

    const IntelSettings& settings() const { return settings_; }
    const WarningLists& warning_lists() const { return lists_; }
    db::Database& database() { return db_; }

    // The intel viewer of an authenticated principal (its organisation, ancestors' sectors...).
    [[nodiscard]] core::Result<access::IntelViewer> ViewerFor(const access::Principal& p);
    [[nodiscard]] core::Result<access::IntelViewer> ViewerForOrganisation(std::int64_t organisation_id);

    [[nodiscard]] core::Result<Event> Create(const EventInput& input, std::int64_t organisation_id,
                                             const core::Actor& actor);
    [[nodiscard]] core::Result<Event> Get(const std::string& uuid, const access::IntelViewer& viewer);
    // Only the creating organisation may change an event (kPermissionDenied otherwise).
    [[nodiscard]] core::Result<Event> Update(const std::string& uuid, const EventPatch& patch,
                                             std::optional<std::int64_t> expected_version,
                                             const access::IntelViewer& viewer, const core::Actor& actor);
    [[nodiscard]] core::Status Delete(const std::string& uuid, const access::IntelViewer& viewer,
                                      const core::Actor& actor);
    [[nodiscard]] core::Result<IntelPage<Event>> ListEvents(const EventFilter& filter,
                                                            const access::IntelViewer& viewer);

    [[nodiscard]] core::Result<std::vector<Indicator>> AddIndicators(const std::string& event_uuid,
                                                                     const std::vector<IndicatorInput>& inputs,
                                                                     const access::IntelViewer& viewer,
                                                                     const core::Actor& actor);
    [[nodiscard]] core::Result<IntelPage<Indicator>> ListIndicators(const IndicatorFilter& filter,
                                                                    const access::IntelViewer& viewer);
    [[nodiscard]] core::Result<Indicator> GetIndicator(const std::string& uuid, const access::IntelViewer& viewer);
    [[nodiscard]] core::Result<Indicator> UpdateIndicator(const std::string& uuid, const IndicatorPatch& patch,
                                                          const access::IntelViewer& viewer,
                                                          const core::Actor& actor);
    // MISP re-import (additive): the indicator takes the input's type and value (normalised),
    // comment and detection; valid_from/valid_until replace the stored ones when set (a
    // valid_until not after valid_from is dropped). Writes a new STIX version, moves the
    // correlation index, bumps the event and audits intel.indicator.update. Only the creating
    // organisation (kPermissionDenied); a value another indicator of the event holds: kConflict.
    [[nodiscard]] core::Result<Indicator> ReviseIndicator(const std::string& uuid, const IndicatorInput& input,
                                                          const access::IntelViewer& viewer,
                                                          const core::Actor& actor);
    // Removes an indicator from its event (issue #4). Only the creating organisation
    // (kPermissionDenied; invisible: kNotFound); `expected_event_version` (If-Match) is compared
    // with the event's version (kPreconditionFailed). The row and its sightings go, so the
    // indicator leaves lists, search, CSV/detection exports, correlation (its value's count) and
    // the event's indicator count; its STIX object gets a new version with "revoked": true (and
    // external_references naming the indicator uuid and the MISP attribute uuid), served by TAXII
    // and the event's STIX export, from which MISP exports and feeds write the attribute with
    // "deleted": true (RemovedIndicators). Bumps the event, audits intel.indicator.delete.
    [[nodiscard]] core::Status RemoveIndicator(const std::string& uuid, std::optional<std::int64_t> expected_event_version,
                                               const access::IntelViewer& viewer, const core::Actor& actor);
    // The indicators removed from event `e` (already checked visible by the caller), rebuilt from
    // their latest, revoked STIX versions, oldest removal first. attribute_uuid: the MISP
    // attribute uuid it came from, or the indicator uuid.
    struct RemovedIndicator {
        std::string uuid, attribute_uuid, comment;
        IndicatorType type = IndicatorType::kIpv4;
        std::string value;
        core::Micros valid_from = 0, removed_at = 0;
        std::optional<core::Micros> valid_until;
    };
    [[nodiscard]] core::Result<std::vector<RemovedIndicator>> RemovedIndicators(const Event& e);
    // Any organisation that sees the indicator may report sightings.
    [[nodiscard]] core::Result<Indicator> AddSighting(const std::string& indicator_uuid, const SightingInput& s,
                                                      const access::IntelViewer& viewer, const core::Actor& actor);

    // Sightings of an indicator: all of them for the creating organisation, the viewer's own
    // organisation's for everyone else.
    [[nodiscard]] core::Result<std::vector<Sighting>> ListSightings(const std::string& indicator_uuid,
                                                                   const access::IntelViewer& viewer);

    // The organisations that would receive the event with the given TLP/audience/recipients
    // (defaults: the event's current ones). Only the creating organisation may ask.
    [[nodiscard]] core::Result<std::vector<OrgRef>> Recipients(const std::string& uuid, const EventPatch& what_if,
                                                              const access::IntelViewer& viewer);

    [[nodiscard]] core::Result<std::vector<Correlation>> Correlations(const std::string& event_uuid,
                                                                      const access::IntelViewer& viewer,
                                                                      int per_value_limit = 20);
    [[nodiscard]] core::Result<std::vector<Correlation>> CorrelateValue(const std::string& type,
                                                                        const std::string& value,
                                                                        const access::IntelViewer& viewer);
    // Over-correlating values held by at least one event the viewer may see.
    [[nodiscard]] core::Result<std::vector<OverCorrelating>> OverCorrelatingValues(int limit,
                                                                                   const access::IntelViewer& viewer);
    // Rebuilds intel_values from the indicators (linear: one grouped scan).
    [[nodiscard]] core::Result<std::int64_t> RebuildCorrelation();
    // Sets valid_until on indicators older than indicator_max_age_days that have none and no
    // recent sighting; returns how many expired.
    [[nodiscard]] core::Result<std::int64_t> ExpireStale(core::Micros now);

    // Detection-ready indicators visible to the viewer, as CSV (header + rows).
    [[nodiscard]] core::Result<std::string> ExportCsv(const IndicatorFilter& filter, const access::IntelViewer& viewer);
    // The event as a STIX 2.1 bundle (report, indicators, identity, TLP marking, kept objects).
    [[nodiscard]] core::Result<core::json::object> ExportStix(const std::string& uuid,
                                                              const access::IntelViewer& viewer);
    // The same streamed to `out` a page of objects at a time (bounded memory for big events; the
    // report's object_refs are complete).
    [[nodiscard]] core::Status ExportStixTo(const std::string& uuid, const access::IntelViewer& viewer,
                                            std::ostream& out);
    // The events visible to the viewer as one bundle (muhafiz export stix).
    [[nodiscard]] core::Status ExportStixAll(std::ostream& out, const access::IntelViewer& viewer,
                                             std::optional<core::Micros> since);

    [[nodiscard]] core::Result<ImportReport> ImportStix(std::istream& in, const ImportOptions& options,
                                                        const core::Actor& actor);

    // Re-imports of other formats (MISP): the event an organisation imported from `source_ref`
    // (e.g. "misp:<event uuid>") and the source version it was last imported at.
    struct ImportedEvent {
        std::string event_uuid;
        std::int64_t version = 0;
    };
    [[nodiscard]] core::Result<std::optional<ImportedEvent>> FindImported(std::int64_t organisation_id,
                                                                          const std::string& source_ref);
    [[nodiscard]] core::Status MarkImported(const std::string& event_uuid, const std::string& source_ref,
                                            std::int64_t version);

    // TAXII.
    [[nodiscard]] core::Result<std::vector<StoredObject>> QueryObjects(const ObjectQuery& q,
                                                                       const access::IntelViewer& viewer,
                                                                       bool* more);
    [[nodiscard]] core::Status SaveTaxiiStatus(const std::string& uuid, std::int64_t organisation_id,
                                               const std::string& body);
    [[nodiscard]] core::Result<std::string> TaxiiStatus(const std::string& uuid, std::int64_t organisation_id);
    [[nodiscard]] core::Result<std::string> TaxiiCursor(const std::string& url, const std::string& collection);
    [[nodiscard]] core::Status SaveTaxiiCursor(const std::string& url, const std::string& collection,
                                               const std::string& last_added, std::int64_t pulled);
    // The event a TAXII pull from (url, collection) appends to; created on first use.
    [[nodiscard]] core::Result<std::string> PullEvent(const std::string& url, const std::string& collection,
                                                      std::int64_t organisation_id, Tlp tlp, Audience audience);

    // Organisation helpers for callers (CLI, MISP).
    [[nodiscard]] core::Result<OrgRef> OrganisationByRef(const std::string& ref);
    [[nodiscard]] core::Result<std::int64_t> RootOrganisation();

  private:
    // SQLite: copies the WAL into the database file (PRAGMA wal_checkpoint(PASSIVE)) on its own
    // thread and pooled connection after a big import committed, so that the importing caller
    // does not wait for it; requests while one runs are merged. The thread starts on the first
    // request and is joined when the store is destroyed (the database outlives the store).
    class Checkpointer;
    static std::shared_ptr<Checkpointer> NewCheckpointer(db::Database& db);
    core::Result<ImportReport> ImportStixIn(db::Connection& conn, std::istream& in, const ImportOptions& options,
                                            const core::Actor& actor);

    struct Org {
        std::int64_t id = 0;
        std::string uuid, name, kind, path, sector;
        std::int64_t parent = 0;
    };
    core::Result<std::vector<Org>> AllOrganisations(db::Connection& conn);
    core::Result<Org> LoadOrg(db::Connection& conn, std::int64_t id);
    core::Result<Event> CreateIn(db::Connection& conn, const EventInput& input, std::int64_t organisation_id,
                                 bool write_objects);
    core::Result<Event> Load(db::Connection& conn, const std::string& where, const db::Params& params);
    core::Result<std::pair<Indicator, Event>> OwnIndicator(db::Connection& conn, const std::string& uuid,
                                                           const access::IntelViewer& viewer);
    // A new STIX version of an indicator from its row (`extra`: members set on top, e.g. revoked).
    core::Status AddIndicatorVersion(db::Connection& conn, const Event& e, const Indicator& i,
                                     const core::json::object& extra = {});
    core::Status LoadRecipients(db::Connection& conn, Event& e);
    core::Result<std::vector<Indicator>> InsertIndicators(db::Connection& conn, const Event& e,
                                                          const std::vector<IndicatorInput>& inputs);
    core::Status WriteEventObjects(db::Connection& conn, Event& e, bool indicators_too);
    core::Status EnsureSharedObjects(db::Connection& conn, const Event& e);
    // The objects of an event's bundle (marking and identity unless already in `shared`, the
    // objects, the report), comma-separated after `first`.
    core::Status WriteStixObjects(db::Connection& conn, const Event& e, std::ostream& out, bool& first,
                                  std::set<std::string>* shared);
    core::Status RecountValues(db::Connection& conn, std::int64_t event_id);
    core::Result<core::Micros> NextDates(db::Connection& conn, std::int64_t n);
    core::Status ResolveRecipients(db::Connection& conn, const std::vector<std::string>& refs,
                                   std::vector<std::pair<std::int64_t, std::string>>& out);
    access::IntelMarking MarkingOf(const Event& e) const;
    std::string IdentityIdOf(const std::string& org_uuid) const;

    db::Database& db_;
    const db::AuditSink& audit_;
    const WarningLists& lists_;
    IntelSettings settings_;
    access::IntelPolicy policy_;
    std::shared_ptr<Checkpointer> checkpointer_;
};

[[nodiscard]] core::json::object ToJson(const Event& e);
[[nodiscard]] core::json::object ToJson(const Indicator& i, core::Micros now);
[[nodiscard]] core::json::object ToJson(const ImportReport& r);
// Event input from the API body ({"title","description","tlp","audience","confidence","tags",
// "incidents","recipients","indicators":[{"type","value","comment","detection","valid_from",
// "valid_until"}]}); unknown keys are refused.
[[nodiscard]] core::Result<EventInput> EventInputFromJson(const core::json::object& body);
[[nodiscard]] core::Result<EventPatch> EventPatchFromJson(const core::json::object& body);
[[nodiscard]] core::Result<IndicatorInput> IndicatorInputFromJson(const core::json::object& body,
                                                                  std::string_view path);
[[nodiscard]] core::Result<IndicatorPatch> IndicatorPatchFromJson(const core::json::object& body);

}  // namespace muhafiz::intel

// ---- Added for TAXII DELETE (inteltaxii, issue #4 part 2): additive, outside the class. ------
namespace muhafiz::intel {

// TAXII DELETE of an object of a collection (§5.7): marks every version of `stix_id` in the
// events of the viewer's own organisation with `audience` deleted, and when it is an indicator,
// removes that indicator (and its sightings) from those events too, so the REST API agrees; the
// events' indicator counts, versions and the correlation index follow, and one
// "intel.indicator.delete" audit record is written per indicator. Returns how many object rows
// were marked (0: nothing of the caller's there → the caller answers 404).
// `match` (TAXII match[version]) limits it to the matched versions of each event ("last"/"first"
// among the versions not deleted yet, exact `modified` instants; "all", the default, every one);
// when versions of an indicator remain, the indicator follows the latest remaining one (value,
// validity, comment) instead of leaving the event.
struct TaxiiVersionMatch {
    std::string mode = "all";            // all, or last/first (comma-separated) with `versions`
    std::vector<core::Micros> versions;  // exact `modified` values
};
// Indicators that hold the STIX object of their only version in their own row (migration 018,
// simple indicators imported into a new event): moves that object to an intel_objects row (same
// date_added, version and content) for the indicators matching `where` (a condition on
// intel_indicators columns with `params`), before anything writes another version of them or
// changes their versions, so an indicator's versions are either in-row or intel_objects rows.
// Call inside the caller's transaction.
[[nodiscard]] core::Status MoveInRowObjects(db::Connection& conn, std::string_view where, const db::Params& params);

[[nodiscard]] core::Result<std::int64_t> DeleteTaxiiObject(IntelStore& store, const db::AuditSink& audit,
                                                           const std::string& stix_id, Audience audience,
                                                           const access::IntelViewer& viewer,
                                                           const core::Actor& actor,
                                                           const TaxiiVersionMatch& match = {});

}  // namespace muhafiz::intel
