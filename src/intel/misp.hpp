// MISP interchange: import of MISP event JSON (API or feed format: attributes, objects' attributes,
// tags, sightings and false-positive sightings; distribution levels map to audiences and never
// widen: 0 organisation, 1 cert, 2 national, 3 partners, 4 sharing group → organisation; `tlp:`
// tags to TLP, the strictest wins, none → the importer's default), export of an event as MISP
// event JSON, and the MISP feed (manifest.json, <uuid>.json, hashes.csv) that a MISP instance
// can pull, written to a folder or served over HTTP by the same writer.
// Thread-safety: stateless functions over a thread-safe IntelStore.
// Errors: kInvalidArgument naming the attribute (uuid or index) and the reason for the document;
// bad attributes are reported and skipped, the others imported.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "intel/intel_store.hpp"

namespace muhafiz::intel {

struct MispImportOptions {
    std::int64_t organisation_id = 0;
    Tlp default_tlp = Tlp::kAmber;
    std::optional<Audience> audience;  // overrides the distribution mapping when set
};

struct MispImportReport {
    std::string event_id;
    std::size_t attributes = 0, indicators = 0, skipped = 0, sightings = 0, false_positives = 0;
    std::vector<ImportProblem> problems;
    Tlp tlp = Tlp::kAmber;
    Audience audience = Audience::kOrganisation;
    // Re-import: the same event uuid imported before by this organisation updates
    // that event: a timestamp not newer changes nothing (all unchanged); a newer one matches each
    // attribute by its MISP attribute uuid first (stored on the indicator as source_uuid): a
    // different value, comment or to_ids updates that indicator (updated; a new value is valid
    // from the attribute's timestamp), then by normalised value (an indicator of that value
    // without attribute uuid, e.g. imported before migration 017, takes the attribute's uuid,
    // comment and to_ids: updated); attributes not there yet are added (created), the others
    // are unchanged. Every attribute whose uuid appears more than
    // once in the file is a problem (ambiguous: skipped, the stored indicator is left as it is).
    bool reimport = false;
    std::size_t created = 0, updated = 0, unchanged = 0;
    // Re-import: attributes marked "deleted": true whose uuid (without uuid: value)
    // matches an indicator of the event remove it (IntelStore::RemoveIndicator): removed.
    // first_seen/last_seen (ISO 8601) become valid_from/valid_until; a bad one is a problem
    // naming the attribute (not imported).
    std::size_t removed = 0;
};

[[nodiscard]] core::Result<MispImportReport> ImportMisp(IntelStore& store, std::string_view text,
                                                        const MispImportOptions& options, const core::Actor& actor);
[[nodiscard]] core::json::object ToJson(const MispImportReport& r);

// {"Event": {...}} of an event the viewer may see.
[[nodiscard]] core::Result<core::json::object> ExportMisp(IntelStore& store, const std::string& event_uuid,
                                                          const access::IntelViewer& viewer);

// --- The MISP feed (manifest.json, <uuid>.json, hashes.csv) --------------------------------
// One writer of the format, used by `muhafiz export misp-feed` (a folder) and by the HTTP feed
// (GET /api/v1/intel/misp-feed/{feed}/...): the same bytes either way.
//   manifest.json  {"<uuid>": {"info","date","analysis","threat_level_id","timestamp","Orgc","Tag"}}
//   <uuid>.json    {"Event": {...,"Attribute":[...]}} (MISP feed format, attributes streamed)
//   hashes.csv     "<md5 of the attribute value>,<event uuid>" per attribute, as PyMISP writes it

// Which events a feed holds: those the viewer may see (access::IntelPolicy), of one audience
// (nullopt: any), whose TLP is at most `max_tlp` (the public feed: TLP:CLEAR, anonymous viewer).
struct MispFeedScope {
    std::optional<Audience> audience;
    Tlp max_tlp = Tlp::kGreen;
};

// The events of the feed, newest first (at most `limit`).
[[nodiscard]] core::Result<std::vector<Event>> MispFeedEvents(IntelStore& store, const access::IntelViewer& viewer,
                                                              const MispFeedScope& scope, std::size_t limit = 100000);
// True when the event belongs to the feed (visibility is checked separately, by the store).
[[nodiscard]] bool InMispFeed(const Event& e, const MispFeedScope& scope);
// manifest.json of those events.
[[nodiscard]] std::string MispFeedManifest(const std::vector<Event>& events);
// Streams <uuid>.json of one visible event to `out`, indicators page by page (no document of the
// whole event is built). Returns the latest change of the event or its indicators (microseconds).
[[nodiscard]] core::Result<core::Micros> WriteMispFeedEvent(IntelStore& store, const Event& event,
                                                           const access::IntelViewer& viewer, std::ostream& out);
// Streams hashes.csv of the events to `out`.
[[nodiscard]] core::Status WriteMispFeedHashes(IntelStore& store, const std::vector<Event>& events,
                                               const access::IntelViewer& viewer, std::ostream& out);

// Writes manifest.json, <uuid>.json and hashes.csv for the events the viewer may see whose TLP
// is at most `max_tlp` (and of `audience` when given). Returns the number of events.
[[nodiscard]] core::Result<std::size_t> WriteMispFeed(IntelStore& store, const std::string& folder,
                                                      const access::IntelViewer& viewer, Tlp max_tlp,
                                                      std::optional<Audience> audience = std::nullopt);

}  // namespace muhafiz::intel
