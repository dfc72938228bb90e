// The organisation: a node of the constituency tree (docs/architecture.md), its contacts and network
// resources, and their JSON form (the API shape of docs/openapi.yaml). Plain values;
// the parsing functions are pure and report the offending field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

namespace muhafiz::constituency {

enum class Kind {
    kNationalCert,
    kGovernmentCert,
    kCiiCert,
    kSectoralCert,
    kFederalCert,
    kProvincialCert,
    kOrganisationalCert,
    kConstituent,
    kCertCouncil,
    kPartnerCert,
};

[[nodiscard]] std::string_view KindName(Kind kind);
[[nodiscard]] std::optional<Kind> ParseKind(std::string_view name);
[[nodiscard]] bool IsCert(Kind kind);  // every *_cert kind

struct Contacts {
    std::string security_email;
    std::string abuse_email;
    std::string phone;
    std::string pgp_key;
};

struct Networks {
    std::vector<std::string> prefixes;  // canonical CIDR text
    std::vector<std::int64_t> asns;
    std::vector<std::string> domains;  // normalised
};

struct Organisation {
    std::int64_t id = 0;  // internal; never leaves the server
    std::string uuid;
    std::string name;
    Kind kind = Kind::kConstituent;
    std::int64_t parent_id = 0;  // 0 for the root
    std::string parent_uuid;
    std::string path;  // "/1/4/17/"
    int depth = 0;
    std::string sector;
    std::string country;
    bool cii = false;
    Contacts contacts;
    Networks networks;
    std::int64_t version = 1;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    std::int64_t children_count = 0;
    std::vector<std::string> path_names;  // root … self, filled by Get()
};

// A create or a partial update. `parent` is a public id (or, from CSV imports, a name).
struct OrganisationPatch {
    std::optional<std::string> uuid;  // imports may keep the id of an export
    std::optional<std::string> name;
    std::optional<Kind> kind;
    std::optional<std::string> parent;
    std::optional<std::string> sector;
    std::optional<std::string> country;
    std::optional<bool> cii;
    std::optional<Contacts> contacts;
    std::optional<Networks> networks;
};

// Parses the JSON body of POST/PATCH /organisations (and import entries): unknown fields,
// wrong types and invalid values are kInvalidArgument naming the field
// ("networks.prefixes[2]", "contacts.abuse_email", "country"). Read-only fields of the
// output shape (version, created_at, ...) are accepted and ignored when `allow_output_fields`.
[[nodiscard]] core::Result<OrganisationPatch> PatchFromJson(const core::json::object& body,
                                                            bool allow_output_fields = false);

// Validates and canonicalises values that came from elsewhere (CSV cells).
[[nodiscard]] core::Result<Networks> NormaliseNetworks(const std::vector<std::string>& prefixes,
                                                       const std::vector<std::string>& asns,
                                                       const std::vector<std::string>& domains);
[[nodiscard]] core::Status ValidateContacts(const Contacts& contacts);
[[nodiscard]] core::Result<std::string> NormaliseCountry(std::string_view country);
[[nodiscard]] core::Result<std::string> NormaliseSector(std::string_view sector);

[[nodiscard]] core::json::object ToJson(const Organisation& org);
// The short form used by the tree and owner look-ups.
[[nodiscard]] core::json::object ToSummaryJson(const Organisation& org);

}  // namespace muhafiz::constituency
