// STIX 2.1 for intel events: rendering our objects (report, indicator, identity, the TLP 2.0
// marking-definitions with their official ids), mapping foreign TLP markings (TLP 2.0, TLP 1.0,
// OpenCTI's AMBER+STRICT) to access::Tlp, and a streaming reader that hands out the objects of a
// bundle one at a time from a std::istream with bounded memory (it never holds the document).
//
// Thread-safety: pure functions; a StixObjectReader belongs to one thread.
// Errors: kInvalidArgument naming the object (index and id) and the reason.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/intel_policy.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "intel/indicator.hpp"

namespace muhafiz::intel {

inline constexpr std::string_view kTlp2ExtensionId = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

// The official TLP 2.0 marking-definition id of `tlp`.
[[nodiscard]] std::string_view TlpMarkingId(access::Tlp tlp);
// The TLP 2.0 marking-definition object of `tlp` (as published by OASIS).
[[nodiscard]] core::json::object TlpMarkingObject(access::Tlp tlp);
// A known TLP marking id (TLP 2.0, TLP 1.0, OpenCTI's AMBER+STRICT) to its TLP.
[[nodiscard]] std::optional<access::Tlp> TlpOfMarkingId(std::string_view id);
// A marking-definition object to its TLP: by known id, by x_opencti_definition (type TLP), by a
// TLP 1.0 `definition`, by `name`. nullopt: not a TLP marking (e.g. a statement).
[[nodiscard]] std::optional<access::Tlp> TlpOfMarking(const core::json::object& marking);

// A STIX id "type--uuid" with a v4-shaped uuid derived from `seed` (SHA-256), stable per seed.
[[nodiscard]] std::string DerivedStixId(std::string_view type, std::string_view seed);
// STIX timestamp with milliseconds: "2026-11-28T10:07:25.123Z".
[[nodiscard]] std::string StixTime(core::Micros t);

struct StixEventInfo {
    std::string stix_id;  // report--...
    std::string title, description;
    access::Tlp tlp = access::Tlp::kRed;
    int confidence = 50;
    std::vector<std::string> tags;
    std::string identity_id;  // identity--... of the creating organisation
    core::Micros created = 0, modified = 0;
};

struct StixIndicatorInfo {
    std::string stix_id;
    IndicatorType type;
    std::string value;
    std::string comment;
    core::Micros valid_from = 0;
    std::optional<core::Micros> valid_until;
    core::Micros created = 0, modified = 0;
    bool false_positive = false;
};

[[nodiscard]] core::json::object IdentityObject(std::string_view stix_id, std::string_view name,
                                                std::string_view identity_class, core::Micros created);
[[nodiscard]] core::json::object IndicatorObject(const StixIndicatorInfo& i, const StixEventInfo& e);
// object_refs must not be empty (the schema says so): pass at least the identity.
[[nodiscard]] core::json::object ReportObject(const StixEventInfo& e, const std::vector<std::string>& object_refs);

// Lean storage of STIX objects (intel_objects.content). A simple imported indicator (only the
// properties listed in LeanIndicator, plain strings, at most one marking) is stored as a short
// "~I" record of its variable strings instead of its JSON text, and a report of an event as "~R"
// + its JSON with the identity as the only object_refs entry: its real refs (every object of the
// event added before that report version) are streamed from intel_objects when it is served, so a
// report is never capped. RenderLeanIndicator/RenderLeanReport give back the JSON text (the same
// properties and values as the imported object; key order may differ).
// The lean record of indicator `o` (its "modified" becomes the row's version), or nullopt: store
// it verbatim.
[[nodiscard]] std::optional<std::string> LeanIndicator(const core::json::object& o);
// The top-level properties of an indicator object as text (views into the object's JSON text or
// DOM), for LeanIndicator without a DOM. `present`: one bit per property found (kIndicatorText*).
enum IndicatorTextBits : unsigned {
    kItType = 1u << 0, kItSpecVersion = 1u << 1, kItId = 1u << 2, kItCreated = 1u << 3, kItModified = 1u << 4,
    kItName = 1u << 5, kItDescription = 1u << 6, kItPattern = 1u << 7, kItPatternType = 1u << 8,
    kItValidFrom = 1u << 9, kItValidUntil = 1u << 10, kItMarking = 1u << 11,
};
struct IndicatorText {
    std::string_view type, spec_version, id, created, modified, name, description, pattern, pattern_type, valid_from,
        valid_until, marking;
    unsigned present = 0;
};
// Fills `out` from the JSON text of one object when it is a flat object whose properties are all
// among those of IndicatorText, each once, each a string without any escape or control character
// (valid UTF-8), object_marking_refs an array of exactly one such string, and nothing but white
// space around it; false otherwise (then parse it in full: nothing is lost). Any text accepted is
// valid JSON with exactly these values.
[[nodiscard]] bool ScanIndicatorText(std::string_view text, IndicatorText& out);
// LeanIndicator of an object scanned by ScanIndicatorText (the same record as LeanIndicator of
// its DOM), written into `out` (its capacity reused); false: store it verbatim.
[[nodiscard]] bool LeanIndicatorInto(const IndicatorText& t, std::string& out);
[[nodiscard]] inline bool IsLean(std::string_view content) { return content.size() > 1 && content[0] == '~'; }
[[nodiscard]] inline bool IsLeanReport(std::string_view content) { return content.starts_with("~R"); }
// The JSON text of a lean indicator record (stix_id and version from the object row).
[[nodiscard]] std::string RenderLeanIndicator(std::string_view stix_id, std::string_view version,
                                              std::string_view lean);
// A report stored lean: the JSON text of `report` with the "~R" mark.
[[nodiscard]] std::string LeanReport(const core::json::object& report);
// Writes the JSON text of a lean report with `refs` producing its object_refs (each call of
// `next` returns the next id, or false at the end; none: the stored identity stays).
void RenderLeanReport(std::string_view lean, const std::function<bool(std::string&)>& next, std::string& out);

// Reads `{"type":"bundle","id":...,"objects":[{...},{...}]}` incrementally. Next() yields the
// text of one object of the `objects` array at a time; the bundle's other keys are checked.
class StixObjectReader {
  public:
    explicit StixObjectReader(std::istream& in, std::size_t max_object_bytes = 64u << 20)
        : in_(in), max_object_(max_object_bytes) {}
    // true and the object's text; false at the end; an error when the document is not a bundle
    // or is cut short (what was read before stays valid).
    [[nodiscard]] core::Result<bool> Next(std::string& object_text);
    // After a Next that returned an object: its ScanIndicatorText fields (views into
    // `object_text`, valid while it is not changed) when the reader could scan it that way while
    // finding its end (then no second scan is needed); nullptr when not (scan it yourself).
    const IndicatorText* scanned() const { return scanned_ok_ ? &scanned_ : nullptr; }
    const std::string& bundle_id() const { return bundle_id_; }
    std::size_t bytes_read() const { return consumed_; }

  private:
    int Peek();
    int Get();
    core::Status SkipSpace();
    core::Result<std::string> ReadString();
    core::Status ReadValue(std::string* out);  // a whole JSON value (structure only)
    core::Status Start();

    std::istream& in_;
    std::size_t max_object_;
    std::string buf_;
    std::size_t pos_ = 0, consumed_ = 0;
    bool started_ = false, in_objects_ = false, done_ = false, first_in_array_ = true;
    std::string bundle_id_;
    IndicatorText scanned_;
    bool scanned_ok_ = false;
};

}  // namespace muhafiz::intel
