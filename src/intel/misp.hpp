// MISP interchange: import of MISP event JSON (API or feed format: attributes, objects' attributes,
// tags, sightings and false-positive sightings; distribution levels map to audiences and never
// widen: 0 organisation, 1 cert, 2 national, 3 partners, 4 sharing group → organisation; `tlp:`
// tags to TLP, the strictest wins, none → the importer's default), export of an event as MISP
// event JSON, and a MISP feed folder (manifest.json, <uuid>.json, hashes.csv) that a MISP
// instance can pull.
// Thread-safety: stateless functions over a thread-safe IntelStore.
// Errors: kInvalidArgument naming the attribute (uuid or index) and the reason for the document;
// bad attributes are reported and skipped, the others imported.
#pragma once

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
};

[[nodiscard]] core::Result<MispImportReport> ImportMisp(IntelStore& store, std::string_view text,
                                                        const MispImportOptions& options, const core::Actor& actor);
[[nodiscard]] core::json::object ToJson(const MispImportReport& r);

// {"Event": {...}} of an event the viewer may see.
[[nodiscard]] core::Result<core::json::object> ExportMisp(IntelStore& store, const std::string& event_uuid,
                                                          const access::IntelViewer& viewer);

// Writes manifest.json, <uuid>.json and hashes.csv for the events the viewer may see whose TLP
// is at most `max_tlp`. Returns the number of events.
[[nodiscard]] core::Result<std::size_t> WriteMispFeed(IntelStore& store, const std::string& folder,
                                                      const access::IntelViewer& viewer, Tlp max_tlp);

}  // namespace muhafiz::intel
