// Incoming e-mail: one RFC 5322 message (as a mail server's pipe delivers it) parsed with GMime
// into what the intake paths need. `muhafiz mail-ingest` hands it to the feeds (when the sender is
// a configured feed) or to incident intake.
// Thread-safety: ParseMailMessage is safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace muhafiz::notify {

struct MailAttachment {
    std::string filename;      // as sent (sanitised: no folders), or "attachment-N" when absent
    std::string content_type;  // e.g. "text/csv"
    std::string data;          // decoded bytes
};

struct MailMessage {
    std::string message_id;    // without angle brackets
    std::string from_address;  // lower-case addr-spec of From
    std::string from_name;
    std::vector<std::string> to;
    std::string subject;       // decoded (RFC 2047) to UTF-8
    std::int64_t date = 0;     // microseconds since the epoch (0 when absent or unreadable)
    std::string text;          // the text/plain body (or text/html converted to text), UTF-8
    std::vector<MailAttachment> attachments;
};

// Parses one message. A message without a From address or that GMime cannot parse is an error
// whose message says why (mail-ingest keeps it in its dead-letter folder with that reason).
[[nodiscard]] core::Result<MailMessage> ParseMailMessage(std::string_view raw);

}  // namespace muhafiz::notify
