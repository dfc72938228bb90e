// MailIntake: e-mail to incident reports and timeline entries.
#include "incidents/mail_intake.hpp"

#include <fstream>

#include "core/ids.hpp"
#include "core/time.hpp"

namespace muhafiz::incidents {

std::string ReferenceInSubject(std::string_view subject) {
    // "[INC-" 4 digits "-" 6 digits "]", case-insensitive.
    for (std::size_t i = 0; i + 17 <= subject.size(); ++i) {
        if (subject[i] != '[') continue;
        std::string cand(subject.substr(i + 1, 15));
        for (char& c : cand)
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        bool ok = cand.starts_with("INC-") && cand[8] == '-' && subject[i + 16] == ']';
        for (int k : {4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) ok = ok && cand[k] >= '0' && cand[k] <= '9';
        if (ok) return cand;
    }
    return {};
}

core::Result<MailIntakeResult> MailIntake::Take(const notify::MailMessage& m) {
    for (const auto& a : m.attachments)
        if (static_cast<std::int64_t>(a.data.size()) > store_.options().max_attachment_bytes)
            return core::Fail(core::ErrorCode::kPayloadTooLarge,
                              "attachment '" + a.filename + "' has " + std::to_string(a.data.size()) +
                                  " bytes, more than the limit of " + std::to_string(store_.options().max_attachment_bytes));
    core::Actor actor;
    actor.username = "mail:" + m.from_address;
    actor.address = "mail";
    MailIntakeResult result;
    std::string id;
    const std::string reference = ReferenceInSubject(m.subject);
    if (!reference.empty()) {
        auto inc = store_.Get(reference, nullptr);
        if (!inc) return core::NotFound("the subject names " + reference + ", which does not exist");
        std::string text = "From: " + (m.from_name.empty() ? m.from_address : m.from_name + " <" + m.from_address + ">") +
                           "\nSubject: " + m.subject + "\n\n" + (m.text.empty() ? "(no text)" : m.text);
        core::json::object data{{"from", m.from_address}, {"subject", m.subject}, {"message_id", m.message_id}};
        MUHAFIZ_TRY(store_.AddComment(inc->uuid, text, nullptr, actor, "email", data));
        id = inc->uuid;
        result.appended = true;
        result.reference = inc->reference;
    } else {
        IncidentInput in;
        std::string subject = m.subject;
        if (subject.empty()) subject = "(no subject) e-mail from " + m.from_address;
        if (subject.size() > 500) subject.resize(500);
        in.title = subject;
        in.description = m.text;
        in.reporter_email = m.from_address;
        in.reporter_name = m.from_name;
        in.tlp = "TLP:AMBER";
        if (m.date) in.detected_at = std::optional<Micros>{m.date};
        // The sender's organisation by its registered domains (the domain or a parent of it).
        in.organisation = MUHAFIZ_TRY(store_.OrganisationByDomain(m.from_address.substr(m.from_address.find('@') + 1)));
        result.reference.clear();
        auto created = store_.Create(in, nullptr, actor, "email");
        if (!created) return tl::unexpected(created.error());
        id = created->uuid;
        result.reference = created->reference;
    }
    for (const auto& a : m.attachments) {
        MUHAFIZ_TRY(store_.AddAttachment(id, a.filename, a.content_type, a.data, nullptr, actor));
        ++result.attachments;
    }
    return result;
}

core::Result<std::filesystem::path> DeadLetter(const std::filesystem::path& folder, std::string_view raw,
                                               const std::string& reason) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) return core::Fail(core::ErrorCode::kInternal, "cannot create " + folder.string() + ": " + ec.message());
    std::string stamp = core::FormatRfc3339(core::NowMicros());
    for (char& c : stamp)
        if (c == ':') c = '-';
    const std::string base = stamp + "-" + core::RandomToken(4);
    const auto eml = folder / (base + ".eml");
    {
        std::ofstream out(eml, std::ios::binary);
        out.write(raw.data(), static_cast<std::streamsize>(raw.size()));
        if (!out) return core::Fail(core::ErrorCode::kInternal, "cannot write " + eml.string());
    }
    std::ofstream out(folder / (base + ".reason"), std::ios::binary);
    out << reason << "\n";
    if (!out) return core::Fail(core::ErrorCode::kInternal, "cannot write the reason next to " + eml.string());
    return eml;
}

}  // namespace muhafiz::incidents
