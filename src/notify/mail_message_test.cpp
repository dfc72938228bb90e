// ParseMailMessage on real messages of tests/data/mail/: plain, multipart with attachments,
// RFC 2047 encoded headers, a reference in the subject, and a broken one.
#include "notify/mail_message.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support_process.hpp"

namespace muhafiz::notify {
namespace {

std::string ReadMail(const std::string& name) {
    std::ifstream in(muhafiz::testing::SourceDir() + "/tests/data/mail/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_FALSE(ss.str().empty()) << name;
    return ss.str();
}

TEST(MailMessage, Plain) {
    auto m = ParseMailMessage(ReadMail("plain.eml"));
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->from_address, "ayesha.khan@bank-a.example.pk");
    EXPECT_EQ(m->from_name, "Ayesha Khan");
    EXPECT_EQ(m->message_id, "plain-1@bank-a.example.pk");
    EXPECT_EQ(m->subject, "Phishing site imitating our online banking");
    ASSERT_EQ(m->to.size(), 1u);
    EXPECT_EQ(m->to[0], "incidents@cert.example.pk");
    // Tue, 10 Mar 2026 09:15:00 +0500 = 04:15:00 UTC.
    EXPECT_EQ(m->date, 1773116100LL * 1000000);
    EXPECT_NE(m->text.find("https://bank-a-login.example.net/"), std::string::npos);
    EXPECT_TRUE(m->attachments.empty());
}

TEST(MailMessage, MultipartWithAttachments) {
    auto m = ParseMailMessage(ReadMail("multipart.eml"));
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->from_address, "soc@telecom.example.pk");
    EXPECT_EQ(m->to.size(), 2u);
    // The text/plain alternative, decoded from quoted-printable ISO-8859-1 to UTF-8.
    EXPECT_NE(m->text.find("SSH brute force"), std::string::npos);
    EXPECT_NE(m->text.find("Caf\xc3\xa9"), std::string::npos);
    EXPECT_EQ(m->text.find("<p>"), std::string::npos);
    ASSERT_EQ(m->attachments.size(), 2u);
    EXPECT_EQ(m->attachments[0].filename, "auth-log.csv");
    EXPECT_EQ(m->attachments[0].content_type, "text/csv");
    EXPECT_EQ(m->attachments[0].data,
              "time,src,user\n2026-03-11T13:00:01Z,203.0.113.7,root\n2026-03-11T13:00:02Z,203.0.113.7,admin\n");
    // Folders are stripped from the sent name; binary content is kept byte for byte.
    EXPECT_EQ(m->attachments[1].filename, "pcap-sample.bin");
    EXPECT_EQ(m->attachments[1].data, std::string("\x00\x01\x02\x03" "binary\xff", 11));
}

TEST(MailMessage, Rfc2047Headers) {
    auto m = ParseMailMessage(ReadMail("rfc2047.eml"));
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->subject, "Ransomware \xc3\xbc" "ber SCADA \xe2\x80\x94 urgent");
    EXPECT_EQ(m->from_name, "\xd8\xb9\xd9\x84\xdb\x8c \xd8\xb1\xd8\xb6\xd8\xa7");
    EXPECT_EQ(m->text, "Files on the historian server are encrypted; ransom note found.\n");
}

TEST(MailMessage, ReferenceInSubjectAndImage) {
    auto m = ParseMailMessage(ReadMail("reference.eml"));
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->subject, "Re: [INC-2026-000001] Phishing site imitating our online banking");
    ASSERT_EQ(m->attachments.size(), 1u);
    EXPECT_EQ(m->attachments[0].filename, "screenshot.png");
    EXPECT_EQ(m->attachments[0].content_type, "image/png");
    EXPECT_EQ(m->attachments[0].data.substr(1, 3), "PNG");
}

TEST(MailMessage, BrokenMessagesAreErrorsWithAReason) {
    auto m = ParseMailMessage(ReadMail("broken.eml"));
    ASSERT_FALSE(m);
    EXPECT_FALSE(m.error().message.empty());
    auto empty = ParseMailMessage("");
    ASSERT_FALSE(empty);
    auto bad_from = ParseMailMessage("From: not-an-address\r\nSubject: x\r\n\r\nbody\r\n");
    ASSERT_FALSE(bad_from);
}

}  // namespace
}  // namespace muhafiz::notify
