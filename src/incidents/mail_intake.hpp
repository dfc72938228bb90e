// MailIntake: turns one parsed e-mail (notify::MailMessage) into an incident report, or — when the
// subject carries a reference such as "[INC-2026-000123]" — into a timeline entry of that incident
// with its attachments. Unusable messages are kept in a dead-letter folder with the reason
// (DeadLetter), so nothing delivered is lost.
// The reporting organisation of a new report is the one whose registered domain (table
// organisation_domains) is the sender's domain or a parent of it; otherwise the National CERT.
// Thread-safety: thread-safe over a thread-safe IncidentStore.
// Errors: kNotFound (unknown reference), kPayloadTooLarge (an attachment over the limit),
// kInvalidArgument, database errors (kUnavailable: retry later).
#pragma once

#include <filesystem>
#include <string>

#include "incidents/incident_store.hpp"
#include "notify/mail_message.hpp"

namespace muhafiz::incidents {

struct MailIntakeResult {
    bool appended = false;  // false: a new incident was created
    std::string reference;
    int attachments = 0;
};

// The reference in a subject ("Re: [INC-2026-000123] ..."), upper-cased; empty when none.
[[nodiscard]] std::string ReferenceInSubject(std::string_view subject);

class MailIntake {
public:
    explicit MailIntake(IncidentStore& store) : store_(store) {}
    [[nodiscard]] core::Result<MailIntakeResult> Take(const notify::MailMessage& message);

private:
    IncidentStore& store_;
};

// Writes `raw` and `reason` into `folder` (created when missing) as <time>-<random>.eml and
// .reason; returns the path of the .eml file.
[[nodiscard]] core::Result<std::filesystem::path> DeadLetter(const std::filesystem::path& folder, std::string_view raw,
                                                             const std::string& reason);

}  // namespace muhafiz::incidents
