// IntelPolicy: who receives an intel event, by TLP 2.0 and audience over the constituency tree.
// This is the one place that decides intel visibility (issue #4); the REST API, the TAXII server,
// the exports and the recipients preview all go through it.
//
// Audiences (who an event is shared with):
//   organisation  the creating organisation only
//   cert          the creator's CERT (nearest CERT at or above the creator) and everything below it
//   sector        every organisation of the creator's sector, and their children
//   national      the whole constituency tree (not the partner CERTs abroad)
//   partners      the tree and the partner CERTs abroad
// TLP narrows the audience (the creating organisation always sees its own events):
//   TLP:CLEAR         anyone: every user (partners included) and the public TAXII collection
//   TLP:GREEN         the audience's community as above
//   TLP:AMBER         the recipients and their children: the named recipients when there are any,
//                     else the audience as above
//   TLP:AMBER+STRICT  the recipient organisations themselves only: the named recipients, else the
//                     audience's root organisations (the creator; the creator's CERT; each
//                     organisation of the sector; the national CERT; + the partner CERTs)
//   TLP:RED           the named recipients only (none named: the creator alone)
// Fail closed: the Council, a viewer without an organisation, an unknown TLP or audience, an event
// of an empty sector — none of these match anything.
//
// EventScope renders the rule as a SQL predicate over an event row (columns organisation_id,
// cert_id, cert_path, sector, tlp, audience, id) and the table intel_event_recipients
// (event_id, organisation_id, path); Allows evaluates the same rule in memory (the recipients
// preview, tests that check both agree).
// Thread-safety: stateless, pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "db/database.hpp"

namespace muhafiz::access {

// Ordered from least to most restrictive.
enum class Tlp { kClear = 0, kGreen = 1, kAmber = 2, kAmberStrict = 3, kRed = 4 };
// Ordered from narrowest to widest.
enum class Audience { kOrganisation = 0, kCert = 1, kSector = 2, kNational = 3, kPartners = 4 };

// "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED".
[[nodiscard]] std::string_view TlpName(Tlp tlp);
// Accepts the label with or without "TLP:", any case, and the TLP 1.0 "WHITE" (= CLEAR).
// kInvalidArgument (field "tlp") otherwise.
[[nodiscard]] core::Result<Tlp> ParseTlp(std::string_view text);
[[nodiscard]] std::string_view AudienceName(Audience audience);
[[nodiscard]] core::Result<Audience> ParseAudience(std::string_view text);

// Who is asking, as the intel rules see it.
struct IntelViewer {
    std::int64_t organisation_id = 0;
    std::string path;                  // "/1/4/17/"
    std::string sector;                // the organisation's own sector ("" when none)
    std::vector<std::string> sectors;  // sectors of the organisation and of its ancestors
    bool in_tree = false;              // under the National CERT (not a partner abroad)
    bool is_root = false;              // the National CERT itself
    bool is_partner = false;           // a partner CERT abroad
    bool council = false;              // the CERT Council: aggregates only, no records
    bool anonymous = false;            // an unauthenticated reader of the public collection
};

struct IntelRecipient {
    std::int64_t organisation_id = 0;
    std::string path;
};

// What the rules look at on an event.
struct IntelMarking {
    std::int64_t organisation_id = 0;  // the creator
    std::int64_t cert_id = 0;          // the creator's CERT
    std::string cert_path;
    std::string sector;                // the creator's sector
    Tlp tlp = Tlp::kRed;
    Audience audience = Audience::kOrganisation;
    std::vector<IntelRecipient> recipients;  // named recipients (may be empty)
};

class IntelPolicy {
  public:
    // The events `viewer` may see; `alias` names the event row.
    [[nodiscard]] db::Predicate EventScope(const IntelViewer& viewer, std::string_view alias = "e") const;
    // The same rule for one event in memory.
    [[nodiscard]] bool Allows(const IntelMarking& event, const IntelViewer& viewer) const;
    // True when going from (tlp_a, audience_a) to (tlp_b, audience_b) shares more widely: a wider
    // audience or a less restrictive TLP.
    [[nodiscard]] static bool IsWidening(Tlp tlp_a, Audience audience_a, Tlp tlp_b, Audience audience_b);
};

}  // namespace muhafiz::access
