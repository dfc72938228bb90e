// ParseMailMessage: one RFC 5322 message parsed with GMime 3 (headers decoded per RFC 2047,
// bodies decoded from their transfer encoding and converted to UTF-8, attachments collected).
#include "notify/mail_message.hpp"

#include <gmime/gmime.h>

#include <cctype>
#include <mutex>

namespace muhafiz::notify {

namespace {

void InitGmime() {
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string TakeString(char* s) {
    if (!s) return {};
    std::string out(s);
    g_free(s);
    return out;
}

// Crude but safe text from HTML: tags dropped, common entities decoded, whitespace folded.
std::string HtmlToText(std::string_view html) {
    std::string out;
    bool in_tag = false;
    std::string tag;
    for (std::size_t i = 0; i < html.size(); ++i) {
        char c = html[i];
        if (in_tag) {
            if (c == '>') {
                in_tag = false;
                std::string t = Lower(tag);
                if (t.starts_with("br") || t.starts_with("/p") || t.starts_with("/div") || t.starts_with("/tr") ||
                    t.starts_with("/li") || t.starts_with("/h"))
                    out += '\n';
            } else {
                tag += c;
            }
            continue;
        }
        if (c == '<') {
            in_tag = true;
            tag.clear();
            continue;
        }
        if (c == '&') {
            static const std::pair<std::string_view, std::string_view> kEntities[] = {
                {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "}};
            bool done = false;
            for (auto [e, r] : kEntities)
                if (html.substr(i, e.size()) == e) {
                    out += r;
                    i += e.size() - 1;
                    done = true;
                    break;
                }
            if (done) continue;
        }
        out += c;
    }
    return out;
}

std::string PartBytes(GMimePart* part) {
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (!content) return {};
    GMimeStream* mem = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(content, mem);
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    std::string out(reinterpret_cast<const char*>(bytes->data), bytes->len);
    g_object_unref(mem);
    return out;
}

std::string ObjectBytes(GMimeObject* object) {
    GMimeStream* mem = g_mime_stream_mem_new();
    g_mime_object_write_to_stream(object, nullptr, mem);
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    std::string out(reinterpret_cast<const char*>(bytes->data), bytes->len);
    g_object_unref(mem);
    return out;
}

std::string SafeName(std::string name, std::size_t index) {
    if (auto slash = name.find_last_of("/\\"); slash != std::string::npos) name = name.substr(slash + 1);
    std::string out;
    for (char c : name)
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
    if (out.empty() || out == "." || out == "..") out = "attachment-" + std::to_string(index);
    return out;
}

struct Walk {
    MailMessage* message;
    std::string html;
};

void OnPart(GMimeObject* /*parent*/, GMimeObject* part, gpointer data) {
    auto* walk = static_cast<Walk*>(data);
    MailMessage& m = *walk->message;
    GMimeContentType* ct = g_mime_object_get_content_type(part);
    std::string mime = ct ? Lower(TakeString(g_mime_content_type_get_mime_type(ct))) : "text/plain";
    if (GMIME_IS_MESSAGE_PART(part)) {
        GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
        if (!inner) return;
        MailAttachment a;
        const char* subject = g_mime_message_get_subject(inner);
        a.filename = SafeName(subject ? std::string(subject) + ".eml" : "", m.attachments.size() + 1);
        a.content_type = "message/rfc822";
        a.data = ObjectBytes(GMIME_OBJECT(inner));
        m.attachments.push_back(std::move(a));
        return;
    }
    if (!GMIME_IS_PART(part)) return;  // multiparts: their children are visited too
    GMimePart* p = GMIME_PART(part);
    const char* filename = g_mime_part_get_filename(p);
    const bool attachment = g_mime_part_is_attachment(p) || (filename && *filename);
    if (!attachment && GMIME_IS_TEXT_PART(part) && (mime == "text/plain" || mime == "text/html")) {
        std::string text = TakeString(g_mime_text_part_get_text(GMIME_TEXT_PART(part)));
        if (mime == "text/plain") {
            if (m.text.empty()) m.text = std::move(text);
        } else if (walk->html.empty()) {
            walk->html = std::move(text);
        }
        return;
    }
    MailAttachment a;
    a.filename = SafeName(filename ? filename : "", m.attachments.size() + 1);
    a.content_type = mime;
    a.data = PartBytes(p);
    m.attachments.push_back(std::move(a));
}

void AddAddresses(InternetAddressList* list, std::vector<std::pair<std::string, std::string>>& out) {
    if (!list) return;
    const int n = internet_address_list_length(list);
    for (int i = 0; i < n; ++i) {
        InternetAddress* a = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
            const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
            const char* name = internet_address_get_name(a);
            if (addr && *addr) out.emplace_back(Lower(addr), name ? name : "");
        } else if (INTERNET_ADDRESS_IS_GROUP(a)) {
            AddAddresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), out);
        }
    }
}

}  // namespace

core::Result<MailMessage> ParseMailMessage(std::string_view raw) {
    InitGmime();
    if (raw.empty()) return core::Invalid("message", "the message is empty");
    // GMime reads from its own copy of the bytes.
    GMimeStream* stream = g_mime_stream_mem_new_with_buffer(raw.data(), raw.size());
    GMimeParser* parser = g_mime_parser_new_with_stream(stream);
    g_object_unref(stream);
    GMimeMessage* msg = g_mime_parser_construct_message(parser, nullptr);
    g_object_unref(parser);
    if (!msg) return core::Invalid("message", "not an RFC 5322 message: GMime could not parse it");

    MailMessage m;
    std::vector<std::pair<std::string, std::string>> from, to;
    AddAddresses(g_mime_message_get_from(msg), from);
    AddAddresses(g_mime_message_get_to(msg), to);
    AddAddresses(g_mime_message_get_cc(msg), to);
    if (from.empty()) {
        g_object_unref(msg);
        return core::Invalid("from", "the message has no readable From address");
    }
    const auto at = from.front().first.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == from.front().first.size()) {
        g_object_unref(msg);
        return core::Invalid("from", "the From address '" + from.front().first + "' is not an addr-spec");
    }
    m.from_address = from.front().first;
    m.from_name = from.front().second;
    for (auto& [addr, name] : to) m.to.push_back(addr);
    if (const char* id = g_mime_message_get_message_id(msg)) m.message_id = id;
    if (const char* subject = g_mime_message_get_subject(msg)) m.subject = subject;
    if (GDateTime* date = g_mime_message_get_date(msg)) m.date = g_date_time_to_unix(date) * 1000000;

    Walk walk{&m, {}};
    if (g_mime_message_get_mime_part(msg)) g_mime_message_foreach(msg, OnPart, &walk);
    if (m.text.empty() && !walk.html.empty()) m.text = HtmlToText(walk.html);
    g_object_unref(msg);
    return m;
}

}  // namespace muhafiz::notify
