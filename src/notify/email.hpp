// E-mail messages: the model other modules fill in, and its rendering as an RFC 5322 / MIME
// message (built with GMime 3), optionally encrypted to the recipients' OpenPGP keys as
// PGP/MIME (RFC 3156, see pgp.hpp).
//
// Structure: text/plain (UTF-8, quoted-printable), or multipart/alternative when there is an HTML
// body, wrapped in multipart/mixed with one base64 part per attachment when there are any.
// Non-ASCII subjects and display names become RFC 2047 encoded-words, non-ASCII file names
// RFC 2231 parameters. Lines end in CRLF, ready for SMTP.
// Thread-safety: pure functions; GMime is initialised once per process on first use.
// Errors: kInvalidArgument (naming the field) for a missing or unparsable address, an empty
// subject or a bad attachment content type; OpenPGP errors as in pgp.hpp.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace muhafiz::notify {

using core::Result;
using core::Status;

struct Attachment {
    std::string filename;
    std::string content_type = "application/octet-stream";  // "type/subtype", parameters allowed
    std::string bytes;
};

struct EmailMessage {
    std::string from;             // "Name <addr>" or "addr"; empty: the Notifier's default
    std::vector<std::string> to;  // each "Name <addr>" or "addr"; at least one of to/cc
    std::vector<std::string> cc;
    std::string subject;
    std::string text;  // the text/plain body (UTF-8)
    std::string html;  // optional text/html alternative
    std::vector<Attachment> attachments;
    std::string message_id;               // "<id@domain>"; empty: generated from a UUIDv7
    std::string in_reply_to;              // "<id@domain>" for replies in a thread
    std::vector<std::string> references;  // message ids, oldest first
    std::string muhafiz_reference;        // X-Muhafiz-Reference, e.g. "INC-2026-000123"
    std::vector<std::pair<std::string, std::string>> extra_headers;
};

struct RenderedEmail {
    std::string data;                     // the whole message, CRLF line ends
    std::string message_id;               // with angle brackets
    std::string envelope_from;            // the bare From address
    std::vector<std::string> recipients;  // bare addresses of to and cc, for RCPT TO
};

// Renders `message` dated `date`. With `pgp_keys` (ASCII-armoured public keys, one per
// recipient, as stored in contacts.pgp_key), the body and attachments are encrypted to all of
// them as multipart/encrypted; the envelope headers (From, To, Cc, Subject, Date, ids) stay
// readable.
[[nodiscard]] Result<RenderedEmail> RenderEmail(const EmailMessage& message, core::Micros date,
                                                const std::vector<std::string>& pgp_keys = {});

// The bare address of "Name <addr>" or "addr"; kInvalidArgument when it is not one mailbox.
[[nodiscard]] Result<std::string> BareAddress(const std::string& mailbox);

}  // namespace muhafiz::notify
