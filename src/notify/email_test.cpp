// Rendering of e-mail (RFC 5322 / MIME, RFC 2047) and PGP/MIME encryption, checked by parsing
// the output back with GMime and decrypting it with a key made in the test.
#include "notify/email.hpp"

#include <gtest/gtest.h>

#include "notify/notify_test_support.hpp"

namespace muhafiz::notify {
namespace {

using test::Decoded;
using test::Header;
using test::Leaves;
using test::MimeType;

constexpr core::Micros kDate = 1'800'000'000LL * 1'000'000;  // 2027-01-15T08:00:00Z

std::string BinaryBytes() {
    std::string bytes;
    for (int i = 0; i < 1000; ++i) bytes += static_cast<char>((i * 7) & 0xff);
    return bytes;
}

EmailMessage Sample() {
    EmailMessage m;
    m.from = "Pakistan CERT — Operations <ops@cert.example.pk>";
    m.to = {"Ayşe Yılmaz <ayse@bank.example>", "soc@bank.example"};
    m.cc = {"cert@sector.example"};
    m.subject = "Olay bildirimi: şüpheli trafik — INC-2027-000042";
    m.text =
        "Merhaba,\n\nWe observed traffic from 192.0.2.10 — details attached.\nÇok teşekkürler.\n";
    m.html = "<p>We observed traffic from <b>192.0.2.10</b>.</p>";
    m.attachments = {{"events.csv", "text/csv; charset=utf-8", "ip,port\n192.0.2.10,445\n"},
                     {"dump-ş.bin", "application/octet-stream", BinaryBytes()}};
    m.in_reply_to = "<first@cert.example.pk>";
    m.references = {"<first@cert.example.pk>", "<second@cert.example.pk>"};
    m.muhafiz_reference = "INC-2027-000042";
    return m;
}

TEST(EmailTest, RendersAProperMimeMessage) {
    auto r = RenderEmail(Sample(), kDate);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->envelope_from, "ops@cert.example.pk");
    EXPECT_EQ(r->recipients, (std::vector<std::string>{"ayse@bank.example", "soc@bank.example",
                                                       "cert@sector.example"}));
    ASSERT_TRUE(r->message_id.starts_with("<") && r->message_id.ends_with("@cert.example.pk>"))
        << r->message_id;

    // Every line ends in CRLF; headers are 7-bit (RFC 2047 encoded-words for the non-ASCII ones).
    const std::string& raw = r->data;
    for (std::size_t i = raw.find('\n'); i != std::string::npos; i = raw.find('\n', i + 1))
        ASSERT_TRUE(i > 0 && raw[i - 1] == '\r') << "bare LF at " << i;
    const std::string head = raw.substr(0, raw.find("\r\n\r\n"));
    for (unsigned char c : head) ASSERT_LT(c, 128) << head;
    // Encoded-words, all in UTF-8 (not a "best" 8-bit charset).
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t words = 0;
    for (std::size_t i = lower.find("=?utf-8?"); i != std::string::npos;
         i = lower.find("=?utf-8?", i + 1))
        ++words;
    EXPECT_EQ(lower.find("windows-"), std::string::npos) << head;
    EXPECT_EQ(lower.find("iso-8859"), std::string::npos) << head;
    EXPECT_GE(words, 3u) << head;
    EXPECT_NE(head.find("MIME-Version: 1.0"), std::string::npos) << head;
    EXPECT_NE(head.find("Date: Fri, 15 Jan 2027 08:00:00 +0000"), std::string::npos) << head;

    auto msg = test::ParseMessage(raw);
    ASSERT_NE(msg, nullptr);
    GMimeObject* obj = GMIME_OBJECT(msg.get());
    EXPECT_STREQ(g_mime_message_get_subject(msg.get()), Sample().subject.c_str());
    EXPECT_EQ("<" + std::string(g_mime_message_get_message_id(msg.get())) + ">", r->message_id);
    EXPECT_EQ(Header(obj, "In-Reply-To"), "<first@cert.example.pk>");
    EXPECT_EQ(Header(obj, "References"), "<first@cert.example.pk> <second@cert.example.pk>");
    EXPECT_EQ(Header(obj, "X-Muhafiz-Reference"), "INC-2027-000042");
    InternetAddressList* to = g_mime_message_get_to(msg.get());
    ASSERT_EQ(internet_address_list_length(to), 2);
    EXPECT_STREQ(internet_address_get_name(internet_address_list_get_address(to, 0)),
                 "Ayşe Yılmaz");
    EXPECT_STREQ(internet_address_get_name(
                     internet_address_list_get_address(g_mime_message_get_from(msg.get()), 0)),
                 "Pakistan CERT — Operations");

    GMimeObject* body = g_mime_message_get_mime_part(msg.get());
    EXPECT_EQ(MimeType(body), "multipart/mixed");
    const auto leaves = Leaves(body);
    ASSERT_EQ(leaves.size(), 4u);
    EXPECT_EQ(MimeType(leaves[0]), "text/plain");
    EXPECT_STREQ(g_mime_object_get_content_type_parameter(leaves[0], "charset"), "utf-8");
    EXPECT_EQ(g_mime_part_get_content_encoding(GMIME_PART(leaves[0])),
              GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    std::string text = Decoded(leaves[0]);
    std::erase(text, '\r');
    EXPECT_EQ(text, Sample().text);
    EXPECT_EQ(MimeType(leaves[1]), "text/html");
    EXPECT_EQ(MimeType(leaves[2]), "text/csv");
    EXPECT_STREQ(g_mime_part_get_filename(GMIME_PART(leaves[2])), "events.csv");
    EXPECT_EQ(Decoded(leaves[2]), Sample().attachments[0].bytes);
    EXPECT_EQ(g_mime_part_get_content_encoding(GMIME_PART(leaves[3])),
              GMIME_CONTENT_ENCODING_BASE64);
    EXPECT_STREQ(g_mime_part_get_filename(GMIME_PART(leaves[3])), "dump-ş.bin");
    EXPECT_TRUE(g_mime_part_is_attachment(GMIME_PART(leaves[3])));
    EXPECT_EQ(Decoded(leaves[3]), BinaryBytes());
}

TEST(EmailTest, TextOnlyIsOnePart) {
    EmailMessage m;
    m.from = "cert@example.org";
    m.to = {"a@example.org"};
    m.subject = "Plain";
    m.text = "Hello";
    m.message_id = "<fixed@example.org>";
    auto r = RenderEmail(m, kDate);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->message_id, "<fixed@example.org>");
    auto msg = test::ParseMessage(r->data);
    EXPECT_EQ(MimeType(g_mime_message_get_mime_part(msg.get())), "text/plain");
    EXPECT_EQ(Decoded(g_mime_message_get_mime_part(msg.get())), "Hello\r\n");
}

TEST(EmailTest, RefusesBadInput) {
    const auto field_of = [](EmailMessage m) {
        auto r = RenderEmail(m, kDate);
        EXPECT_FALSE(r);
        if (r) return std::string("(accepted)");
        EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument);
        return r.error().field;
    };
    EmailMessage ok;
    ok.from = "cert@example.org";
    ok.to = {"a@example.org"};
    ok.subject = "S";
    ok.text = "T";
    ASSERT_TRUE(RenderEmail(ok, kDate));

    auto m = ok;
    m.from = "not an address";
    EXPECT_EQ(field_of(m), "from");
    m = ok;
    m.to = {"a@example.org, b@example.org"};
    EXPECT_EQ(field_of(m), "to[0]");
    m = ok;
    m.to.clear();
    EXPECT_EQ(field_of(m), "to");
    m = ok;
    m.subject = "Hi\r\nBcc: victim@example.org";
    EXPECT_EQ(field_of(m), "subject");
    m = ok;
    m.extra_headers = {{"X-Evil", "a\nb"}};
    EXPECT_EQ(field_of(m), "headers");
    m = ok;
    m.text = std::string("bad \xff utf-8");
    EXPECT_EQ(field_of(m), "text");
    m = ok;
    m.attachments = {{"a.bin", "nonsense", "x"}};
    EXPECT_EQ(field_of(m), "attachments[0].content_type");
    m = ok;
    m.message_id = "no-brackets@example.org";
    EXPECT_EQ(field_of(m), "message_id");
    EXPECT_EQ(
        RenderEmail(ok, kDate, {"-----BEGIN PGP PUBLIC KEY BLOCK-----\nnope\n"}).error().field,
        "pgp_key");
}

TEST(EmailTest, EncryptsAsPgpMime) {
    const auto key = test::KeyPair::Generate("Bank SOC <soc@bank.example>");
    ASSERT_NE(key.public_key.find("BEGIN PGP PUBLIC KEY BLOCK"), std::string::npos);
    auto r = RenderEmail(Sample(), kDate, {key.public_key});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->data.find("192.0.2.10"), std::string::npos) << "the body leaked in clear";

    auto msg = test::ParseMessage(r->data);
    EXPECT_STREQ(g_mime_message_get_subject(msg.get()), Sample().subject.c_str());
    auto inner = test::DecryptPgpMime(msg.get(), key);
    ASSERT_NE(inner, nullptr);
    EXPECT_EQ(MimeType(inner.get()), "multipart/mixed");
    const auto leaves = Leaves(inner.get());
    ASSERT_EQ(leaves.size(), 4u);
    std::string text = Decoded(leaves[0]);
    std::erase(text, '\r');
    EXPECT_EQ(text, Sample().text);
    EXPECT_EQ(Decoded(leaves[3]), BinaryBytes());
}

}  // namespace
}  // namespace muhafiz::notify
