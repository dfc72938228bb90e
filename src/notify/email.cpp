#include "notify/email.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <mutex>

#include "core/ids.hpp"
#include "notify/pgp.hpp"

namespace muhafiz::notify {
namespace {

void InitGmime() {
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

struct Unref {
    void operator()(void* obj) const { g_object_unref(obj); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Unref>;

struct FormatDeleter {
    void operator()(GMimeFormatOptions* o) const { g_mime_format_options_free(o); }
};

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Parses exactly one mailbox; returns the list holding it.
Result<Ptr<InternetAddressList>> ParseMailbox(const std::string& text, const std::string& field) {
    InitGmime();
    if (text.empty()) return core::Invalid(field, "an e-mail address is required");
    if (HasLineBreak(text) ||
        !g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr))
        return core::Invalid(field, "not a valid e-mail address: " + text);
    Ptr<InternetAddressList> list(internet_address_list_parse(nullptr, text.c_str()));
    if (!list || internet_address_list_length(list.get()) != 1 ||
        !INTERNET_ADDRESS_IS_MAILBOX(internet_address_list_get_address(list.get(), 0)))
        return core::Invalid(field, "not a single e-mail address: " + text);
    InternetAddress* ia = internet_address_list_get_address(list.get(), 0);
    internet_address_set_charset(ia, "utf-8");  // encoded-words in UTF-8, not a "best" 8-bit set
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
    const std::string_view a = addr ? addr : "";
    const auto at = a.find('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == a.size() ||
        a.find_first_of(" \t<>,;\"") != std::string_view::npos)
        return core::Invalid(field, "not a valid e-mail address: " + text);
    return list;
}

std::string AddressOf(InternetAddressList* list) {
    return internet_address_mailbox_get_addr(
        INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(list, 0)));
}

Ptr<GMimeDataWrapper> Content(std::string_view bytes) {
    Ptr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
    return Ptr<GMimeDataWrapper>(
        g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
}

Result<Ptr<GMimeObject>> TextPart(const char* subtype, const std::string& text,
                                  const std::string& field) {
    if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr) ||
        text.find('\0') != std::string::npos)
        return core::Invalid(field, "the body must be UTF-8 text");
    GMimeTextPart* part = g_mime_text_part_new_with_subtype(subtype);
    Ptr<GMimeObject> obj(GMIME_OBJECT(part));
    g_mime_text_part_set_text(part, text.c_str());
    g_mime_text_part_set_charset(part, "utf-8");
    g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    return obj;
}

Result<Ptr<GMimeObject>> AttachmentPart(const Attachment& a, std::size_t index) {
    const std::string field = "attachments[" + std::to_string(index) + "]";
    if (a.filename.empty() || HasLineBreak(a.filename) ||
        !g_utf8_validate(a.filename.data(), static_cast<gssize>(a.filename.size()), nullptr))
        return core::Invalid(field + ".filename", "a UTF-8 file name is required");
    Ptr<GMimeContentType> type(g_mime_content_type_parse(nullptr, a.content_type.c_str()));
    const std::string_view head =
        std::string_view(a.content_type).substr(0, a.content_type.find(';'));
    if (!type || HasLineBreak(a.content_type) || head.find('/') == std::string_view::npos ||
        !g_mime_content_type_get_media_subtype(type.get()) ||
        head.find_first_of(" \t\"") != std::string_view::npos)
        return core::Invalid(field + ".content_type", "not a MIME type: " + a.content_type);
    GMimePart* part = g_mime_part_new();
    Ptr<GMimeObject> obj(GMIME_OBJECT(part));
    g_mime_object_set_content_type(obj.get(), type.get());
    g_mime_object_set_disposition(obj.get(), GMIME_DISPOSITION_ATTACHMENT);
    g_mime_part_set_filename(part, a.filename.c_str());
    g_mime_part_set_content(part, Content(a.bytes).get());
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
    return obj;
}

GMimeFormatOptions* CrlfFormat() {
    static GMimeFormatOptions* const options = [] {
        GMimeFormatOptions* o = g_mime_format_options_new();
        g_mime_format_options_set_newline_format(o, GMIME_NEWLINE_FORMAT_DOS);
        return o;
    }();
    return options;
}

std::string ToString(GMimeObject* obj) {
    char* text = g_mime_object_to_string(obj, CrlfFormat());
    std::string out(text ? text : "");
    g_free(text);
    return out;
}

// RFC 3156: multipart/encrypted holding the version part and the armoured ciphertext.
Ptr<GMimeObject> EncryptedPart(const std::string& armored) {
    GMimeMultipart* multi = g_mime_multipart_new_with_subtype("encrypted");
    Ptr<GMimeObject> obj(GMIME_OBJECT(multi));
    g_mime_object_set_content_type_parameter(obj.get(), "protocol", "application/pgp-encrypted");
    g_mime_multipart_set_prologue(multi, "This is an OpenPGP/MIME encrypted message (RFC 3156).");

    Ptr<GMimePart> version(g_mime_part_new_with_type("application", "pgp-encrypted"));
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(version.get()), "charset", "us-ascii");
    g_mime_part_set_content_description(version.get(), "PGP/MIME version identification");
    g_mime_part_set_content(version.get(), Content("Version: 1\n").get());
    g_mime_part_set_content_encoding(version.get(), GMIME_CONTENT_ENCODING_7BIT);
    g_mime_multipart_add(multi, GMIME_OBJECT(version.get()));

    Ptr<GMimePart> data(g_mime_part_new_with_type("application", "octet-stream"));
    g_mime_object_set_content_type_parameter(GMIME_OBJECT(data.get()), "name", "encrypted.asc");
    g_mime_part_set_content_description(data.get(), "OpenPGP encrypted message");
    g_mime_object_set_disposition(GMIME_OBJECT(data.get()), GMIME_DISPOSITION_INLINE);
    g_mime_object_set_content_disposition_parameter(GMIME_OBJECT(data.get()), "filename",
                                                    "encrypted.asc");
    g_mime_part_set_content(data.get(), Content(armored).get());
    g_mime_part_set_content_encoding(data.get(), GMIME_CONTENT_ENCODING_7BIT);
    g_mime_multipart_add(multi, GMIME_OBJECT(data.get()));
    return obj;
}

std::string DomainOf(const std::string& address) { return address.substr(address.find('@') + 1); }

// "<id>" → "id"; rejects anything that is not one bracketed id.
Result<std::string> MessageIdBody(const std::string& id, const std::string& field) {
    if (id.size() < 5 || id.front() != '<' || id.back() != '>' ||
        id.find_first_of(" \t\r\n<>", 1) != id.size() - 1 || id.find('@') == std::string::npos)
        return core::Invalid(field, "not a message id (\"<id@domain>\"): " + id);
    return id.substr(1, id.size() - 2);
}

}  // namespace

Result<std::string> BareAddress(const std::string& mailbox) {
    auto list = MUHAFIZ_TRY(ParseMailbox(mailbox, "address"));
    return AddressOf(list.get());
}

Result<RenderedEmail> RenderEmail(const EmailMessage& m, core::Micros date,
                                  const std::vector<std::string>& pgp_keys) {
    InitGmime();
    RenderedEmail out;
    Ptr<GMimeMessage> msg(g_mime_message_new(TRUE));
    GMimeObject* msg_obj = GMIME_OBJECT(msg.get());

    auto from = MUHAFIZ_TRY(ParseMailbox(m.from, "from"));
    out.envelope_from = AddressOf(from.get());
    internet_address_list_append(g_mime_message_get_from(msg.get()), from.get());
    if (m.to.empty() && m.cc.empty())
        return core::Invalid("to", "at least one recipient is required");
    const std::pair<const std::vector<std::string>*, GMimeAddressType> lists[] = {
        {&m.to, GMIME_ADDRESS_TYPE_TO}, {&m.cc, GMIME_ADDRESS_TYPE_CC}};
    for (const auto& [list, type] : lists) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            const std::string field = std::string(type == GMIME_ADDRESS_TYPE_TO ? "to" : "cc") +
                                      "[" + std::to_string(i) + "]";
            auto parsed = MUHAFIZ_TRY(ParseMailbox((*list)[i], field));
            std::string addr = AddressOf(parsed.get());
            if (std::find(out.recipients.begin(), out.recipients.end(), addr) ==
                out.recipients.end())
                out.recipients.push_back(std::move(addr));
            internet_address_list_append(g_mime_message_get_addresses(msg.get(), type),
                                         parsed.get());
        }
    }

    if (m.subject.empty() || HasLineBreak(m.subject) ||
        !g_utf8_validate(m.subject.data(), static_cast<gssize>(m.subject.size()), nullptr))
        return core::Invalid("subject", "a one-line UTF-8 subject is required");
    g_mime_message_set_subject(msg.get(), m.subject.c_str(), "utf-8");

    GDateTime* when = g_date_time_new_from_unix_utc(date / 1'000'000);
    g_mime_message_set_date(msg.get(), when);
    g_date_time_unref(when);

    out.message_id = m.message_id.empty()
                         ? "<" + core::NewUuidV7() + "@" + DomainOf(out.envelope_from) + ">"
                         : m.message_id;
    g_mime_message_set_message_id(msg.get(),
                                  MUHAFIZ_TRY(MessageIdBody(out.message_id, "message_id")).c_str());
    if (!m.in_reply_to.empty()) {
        MUHAFIZ_CHECK(MessageIdBody(m.in_reply_to, "in_reply_to"));
        g_mime_object_set_header(msg_obj, "In-Reply-To", m.in_reply_to.c_str(), nullptr);
    }
    if (!m.references.empty()) {
        std::string refs;
        for (std::size_t i = 0; i < m.references.size(); ++i) {
            MUHAFIZ_CHECK(MessageIdBody(m.references[i], "references[" + std::to_string(i) + "]"));
            refs += (i ? " " : "") + m.references[i];
        }
        g_mime_object_set_header(msg_obj, "References", refs.c_str(), nullptr);
    }
    auto headers = m.extra_headers;
    if (!m.muhafiz_reference.empty())
        headers.emplace_back("X-Muhafiz-Reference", m.muhafiz_reference);
    for (const auto& [name, value] : headers) {
        const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
            return c > 32 && c < 127 && c != ':';
        });
        if (!name_ok || HasLineBreak(value) ||
            !g_utf8_validate(value.data(), static_cast<gssize>(value.size()), nullptr))
            return core::Invalid("headers", "not a valid header: " + name);
        g_mime_object_set_header(msg_obj, name.c_str(), value.c_str(), "utf-8");
    }

    auto body = MUHAFIZ_TRY(TextPart("plain", m.text, "text"));
    if (!m.html.empty()) {
        Ptr<GMimeObject> alt(GMIME_OBJECT(g_mime_multipart_new_with_subtype("alternative")));
        g_mime_multipart_add(GMIME_MULTIPART(alt.get()), body.get());
        auto html = MUHAFIZ_TRY(TextPart("html", m.html, "html"));
        g_mime_multipart_add(GMIME_MULTIPART(alt.get()), html.get());
        body = std::move(alt);
    }
    if (!m.attachments.empty()) {
        Ptr<GMimeObject> mixed(GMIME_OBJECT(g_mime_multipart_new_with_subtype("mixed")));
        g_mime_multipart_add(GMIME_MULTIPART(mixed.get()), body.get());
        for (std::size_t i = 0; i < m.attachments.size(); ++i) {
            auto part = MUHAFIZ_TRY(AttachmentPart(m.attachments[i], i));
            g_mime_multipart_add(GMIME_MULTIPART(mixed.get()), part.get());
        }
        body = std::move(mixed);
    }
    if (!pgp_keys.empty()) {
        const std::string armored = MUHAFIZ_TRY(EncryptArmored(ToString(body.get()), pgp_keys));
        body = EncryptedPart(armored);
    }
    g_mime_message_set_mime_part(msg.get(), body.get());
    out.data = ToString(msg_obj);
    return out;
}

}  // namespace muhafiz::notify
