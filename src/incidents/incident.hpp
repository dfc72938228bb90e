// The incident model: RSIT classifications, severities, TLP 2.0 / PAP, the lifecycle and its
// allowed transitions, custom fields and observables, with their validation and JSON forms.
// The RSIT taxonomy is the machine values of rsit_taxonomy.json (embedded at build time).
// Thread-safety: plain values and pure functions; the taxonomy is an immutable static.
// Errors: kInvalidArgument naming the field at fault.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

namespace muhafiz::incidents {

// ---- RSIT taxonomy -------------------------------------------------------------------------
struct RsitType {
    std::string value, name, description;
};
struct RsitClass {
    std::string value, name, description;
    std::vector<RsitType> types;
};
// The classes of the embedded taxonomy, in file order.
[[nodiscard]] const std::vector<RsitClass>& RsitTaxonomy();
[[nodiscard]] core::json::object RsitTaxonomyJson();

struct Classification {
    std::string cls;   // RSIT class machine value, e.g. "fraud"
    std::string type;  // RSIT type machine value, e.g. "phishing"
    bool operator==(const Classification&) const = default;
};
// A bit per class (its position in the taxonomy; an unknown class a hashed bit from 40 up) of
// incidents.class_mask, the index-resident pre-filter of a classification filter. Exact for a
// taxonomy class; for an unknown class only a necessary condition.
[[nodiscard]] std::int64_t ClassBit(std::string_view cls);
[[nodiscard]] bool ClassBitIsExact(std::string_view cls);
[[nodiscard]] std::int64_t ClassMask(const std::vector<Classification>& classes);
// kInvalidArgument (field "classification") for an unknown class or a type not of that class.
[[nodiscard]] core::Status ValidateClassification(const Classification& c);
[[nodiscard]] std::string ClassificationName(const Classification& c);  // "Fraud / Phishing"

// ---- enumerations --------------------------------------------------------------------------
enum class Severity { kLow, kMedium, kHigh, kCritical };
[[nodiscard]] std::string_view SeverityName(Severity s);
[[nodiscard]] core::Result<Severity> ParseSeverity(std::string_view text);

enum class Status { kNew, kTriaged, kInProgress, kContained, kResolved, kClosed, kRejected, kMerged };
[[nodiscard]] std::string_view StatusName(Status s);
[[nodiscard]] core::Result<Status> ParseStatus(std::string_view text);
// Statuses reachable from `from` by a transition (merged is reached only through a merge).
[[nodiscard]] std::vector<Status> AllowedTransitions(Status from);
[[nodiscard]] bool IsOpen(Status s);  // not resolved, closed, rejected or merged

// TLP 2.0 labels as written: "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED".
// Accepts them case-insensitively (and "WHITE" for CLEAR); returns the canonical spelling.
[[nodiscard]] core::Result<std::string> NormaliseTlp(std::string_view text, std::string_view field = "tlp");
// PAP:CLEAR/GREEN/AMBER/RED.
[[nodiscard]] core::Result<std::string> NormalisePap(std::string_view text);

// ---- observables ---------------------------------------------------------------------------
inline constexpr std::string_view kObservableTypes[] = {"ip", "cidr", "domain", "url", "email",
                                                         "hash", "asn", "filename", "text"};
// Validates and canonicalises a value of `type` (lower-case domains and e-mails, addresses and
// prefixes in canonical text, "AS64500" → "64500", hashes lower-case hex of md5/sha1/sha256/sha512).
[[nodiscard]] core::Result<std::string> NormaliseObservable(std::string_view type, std::string_view value);

// ---- custom fields -------------------------------------------------------------------------
enum class FieldType { kString, kNumber, kBoolean, kDate, kUrl };
[[nodiscard]] std::string_view FieldTypeName(FieldType t);
[[nodiscard]] core::Result<FieldType> ParseFieldType(std::string_view text);
struct FieldDefinition {
    std::string name;
    FieldType type = FieldType::kString;
    bool required = false;
    std::string label;
};
// Checks `values` (an object) against the definitions of the handling CERT: unknown names, wrong
// types and missing mandatory fields are kInvalidArgument ("custom_fields.<name>").
[[nodiscard]] core::Status ValidateCustomFields(const core::json::object& values,
                                                const std::vector<FieldDefinition>& defs);

}  // namespace muhafiz::incidents
