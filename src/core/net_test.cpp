#include "core/net.hpp"

#include <gtest/gtest.h>

#include <string>

namespace muhafiz::core {
namespace {

std::string RoundTrip(std::string_view text) {
    auto ip = ParseIp(text);
    if (!ip) return "ERROR: " + ip.error().message;
    return FormatIp(*ip);
}

std::string Norm(std::string_view text) {
    auto d = NormaliseDomain(text);
    if (!d) return "ERROR";
    return *d;
}

std::string Puny(std::u32string_view label) {
    auto p = PunycodeEncode(label);
    return p ? *p : "ERROR";
}

TEST(ParseIp, Ipv4Valid) {
    auto ip = ParseIp("192.0.2.1");
    ASSERT_TRUE(ip);
    EXPECT_FALSE(ip->v6);
    EXPECT_EQ(ip->V4(), 0xc0000201u);
    EXPECT_EQ(RoundTrip("0.0.0.0"), "0.0.0.0");
    EXPECT_EQ(RoundTrip("255.255.255.255"), "255.255.255.255");
    EXPECT_EQ(RoundTrip("10.0.0.10"), "10.0.0.10");
    EXPECT_EQ(IpAddress::FromV4(0x0a000001u), *ParseIp("10.0.0.1"));
}

TEST(ParseIp, Ipv4Invalid) {
    for (const char* bad : {"",           "1.2.3",     "1.2.3.4.5", "01.2.3.4",   "1.2.3.04",
                            "00.1.1.1",   "256.1.1.1", "1.2.3.4 ",  " 1.2.3.4",   "1..2.3",
                            "1.2.3.",     ".1.2.3",    "0x1.2.3.4", "1.2.3.-1",   "1234.1.1.1",
                            "1.2.3.4/24", "1,2,3,4",   "a.b.c.d",   "4294967295", "1.2.3.0400"}) {
        EXPECT_FALSE(ParseIp(bad)) << bad;
    }
    auto e = ParseIp("010.0.0.1");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(e.error().message.find("leading zero"), std::string::npos) << e.error().message;
}

TEST(ParseIp, Ipv6Forms) {
    auto ip = ParseIp("2001:db8::1");
    ASSERT_TRUE(ip);
    EXPECT_TRUE(ip->v6);
    EXPECT_EQ(ip->bytes[0], 0x20);
    EXPECT_EQ(ip->bytes[1], 0x01);
    EXPECT_EQ(ip->bytes[2], 0x0d);
    EXPECT_EQ(ip->bytes[3], 0xb8);
    EXPECT_EQ(ip->bytes[15], 0x01);
    EXPECT_EQ(RoundTrip("::"), "::");
    EXPECT_EQ(RoundTrip("::1"), "::1");
    EXPECT_EQ(RoundTrip("1::"), "1::");
    EXPECT_EQ(RoundTrip("0:0:0:0:0:0:0:0"), "::");
    EXPECT_EQ(RoundTrip("0:0:0:0:0:0:0:1"), "::1");
    EXPECT_EQ(RoundTrip("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
    EXPECT_EQ(RoundTrip("1:2:3:4:5:6:7::"), "1:2:3:4:5:6:7:0");
    EXPECT_EQ(RoundTrip("::2:3:4:5:6:7:8"), "0:2:3:4:5:6:7:8");
    EXPECT_EQ(RoundTrip("FE80::ABCD"), "fe80::abcd");
    EXPECT_EQ(RoundTrip("ff02::1:ff00:1"), "ff02::1:ff00:1");
}

TEST(ParseIp, Ipv6EmbeddedIpv4) {
    EXPECT_EQ(RoundTrip("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
    EXPECT_EQ(RoundTrip("::FFFF:c000:0201"), "::ffff:192.0.2.1");
    EXPECT_EQ(RoundTrip("0:0:0:0:0:ffff:192.0.2.1"), "::ffff:192.0.2.1");
    EXPECT_EQ(RoundTrip("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4:5:6:102:304");
    EXPECT_EQ(RoundTrip("64:ff9b::192.0.2.33"), "64:ff9b::c000:221");
    EXPECT_EQ(RoundTrip("::1.2.3.4"), "::102:304");  // deprecated IPv4-compatible form
    auto mapped = ParseIp("::ffff:10.1.2.3");
    ASSERT_TRUE(mapped);
    EXPECT_TRUE(mapped->v6);  // IPv4-mapped stays IPv6
    EXPECT_TRUE(mapped->IsV4Mapped());
    EXPECT_EQ(mapped->V4Mapped(), *ParseIp("10.1.2.3"));
    EXPECT_FALSE(ParseIp("::1")->IsV4Mapped());
    EXPECT_FALSE(ParseIp("10.1.2.3")->IsV4Mapped());
}

TEST(ParseIp, Ipv6Invalid) {
    for (const char* bad : {":",
                            ":::",
                            "1:::2",
                            "1::2::3",
                            ":1::",
                            "1::2:",
                            ":1:2:3:4:5:6:7:8",
                            "1:2:3:4:5:6:7:8:",
                            "1:2:3:4:5:6:7:8:9",
                            "1:2:3:4:5:6:7",
                            "1:2:3:4:5:6:7::8",
                            "::1:2:3:4:5:6:7:8",
                            "12345::",
                            "g::",
                            "::g",
                            "[::1]",
                            "1.2.3.4::",
                            "::1.2.3.4:5",
                            "::ffff:1.2.3",
                            "::ffff:01.2.3.4",
                            "::ffff:256.2.3.4",
                            "1:2:3:4:5:6:7:1.2.3.4",
                            "1::2 ",
                            " ::1",
                            "::-1",
                            "2001:db8::1/64",
                            "2001:db8:0:0:0:0:0:0:0"}) {
        EXPECT_FALSE(ParseIp(bad)) << bad;
    }
    auto zone = ParseIp("fe80::1%eth0");
    ASSERT_FALSE(zone);
    EXPECT_NE(zone.error().message.find("zone"), std::string::npos);
}

// RFC 5952 section 2 lists these as spellings of one address; section 4 gives the canonical one.
TEST(FormatIp, Rfc5952) {
    for (const char* form : {"2001:db8:0:0:1:0:0:1", "2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1",
                             "2001:db8::0:1:0:0:1", "2001:0db8::1:0:0:1", "2001:db8:0:0:1::1",
                             "2001:db8:0000:0:1::1", "2001:DB8:0:0:1::1"}) {
        EXPECT_EQ(RoundTrip(form), "2001:db8::1:0:0:1") << form;  // 4.2.3: first of equal runs
    }
    for (const char* form :
         {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:001",
          "2001:db8:aaaa:bbbb:cccc:dddd:eeee:01", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"}) {
        EXPECT_EQ(RoundTrip(form), "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1") << form;  // 4.1
    }
    EXPECT_EQ(RoundTrip("2001:db8::aaaa:0:0:1"), "2001:db8::aaaa:0:0:1");
    EXPECT_EQ(RoundTrip("2001:db8:0:0:aaaa::1"), "2001:db8::aaaa:0:0:1");
    EXPECT_EQ(RoundTrip("2001:db8:0:0:0::1"), "2001:db8::1");             // 4.2.1
    EXPECT_EQ(RoundTrip("2001:db8::1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");  // 4.2.2
    EXPECT_EQ(RoundTrip("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");          // 4.2.3
    EXPECT_EQ(RoundTrip("2001:db8:AAAA:bbbb:cccc:dddd:eeee:aaaa"),
              "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa");  // 4.3
    EXPECT_EQ(RoundTrip("0:0:1:0:0:0:0:0"), "0:0:1::");
    EXPECT_EQ(RoundTrip("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
}

TEST(ParsePrefix, Valid) {
    auto p = ParsePrefix("192.0.2.0/24");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->length, 24);
    EXPECT_EQ(FormatPrefix(*p), "192.0.2.0/24");
    EXPECT_EQ(FormatPrefix(*ParsePrefix("0.0.0.0/0")), "0.0.0.0/0");
    EXPECT_EQ(FormatPrefix(*ParsePrefix("192.0.2.1")), "192.0.2.1/32");
    EXPECT_EQ(FormatPrefix(*ParsePrefix("2001:DB8::/32")), "2001:db8::/32");
    EXPECT_EQ(FormatPrefix(*ParsePrefix("::/0")), "::/0");
    EXPECT_EQ(FormatPrefix(*ParsePrefix("2001:db8::1")), "2001:db8::1/128");
    EXPECT_EQ(FormatPrefix(*ParsePrefix("2001:db8:8000::/33")), "2001:db8:8000::/33");
    EXPECT_EQ(FormatPrefix(*ParsePrefix("10.128.0.0/9")), "10.128.0.0/9");
}

TEST(ParsePrefix, HostBitsNameTheMeantNetwork) {
    auto p = ParsePrefix("192.0.2.1/24");
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(p.error().message, "host bits set in 192.0.2.1/24; did you mean 192.0.2.0/24?");
    auto q = ParsePrefix("2001:db8::1/32");
    ASSERT_FALSE(q);
    EXPECT_EQ(q.error().message, "host bits set in 2001:db8::1/32; did you mean 2001:db8::/32?");
    auto r = ParsePrefix("10.129.0.0/9");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("10.128.0.0/9"), std::string::npos);
}

TEST(ParsePrefix, Invalid) {
    for (const char* bad : {"192.0.2.0/33", "192.0.2.0/", "192.0.2.0/024", "192.0.2.0/-1",
                            "192.0.2.0/2a", "192.0.2.0/24/8", "::/129", "::/1000", "/24", "",
                            "192.0.2/24", "192.0.2.0 /24", "192.0.2.0/ 24"}) {
        EXPECT_FALSE(ParsePrefix(bad)) << bad;
    }
}

TEST(PrefixContains, Basics) {
    auto p = *ParsePrefix("192.0.2.0/24");
    EXPECT_TRUE(PrefixContains(p, *ParseIp("192.0.2.0")));
    EXPECT_TRUE(PrefixContains(p, *ParseIp("192.0.2.255")));
    EXPECT_FALSE(PrefixContains(p, *ParseIp("192.0.3.0")));
    EXPECT_FALSE(PrefixContains(p, *ParseIp("::ffff:192.0.2.1")));  // families differ
    auto odd = *ParsePrefix("10.128.0.0/9");
    EXPECT_TRUE(PrefixContains(odd, *ParseIp("10.255.1.1")));
    EXPECT_FALSE(PrefixContains(odd, *ParseIp("10.127.1.1")));
    EXPECT_TRUE(PrefixContains(*ParsePrefix("0.0.0.0/0"), *ParseIp("203.0.113.9")));
    EXPECT_TRUE(PrefixContains(*ParsePrefix("::/0"), *ParseIp("2001:db8::9")));
    auto v6 = *ParsePrefix("2001:db8:8000::/33");
    EXPECT_TRUE(PrefixContains(v6, *ParseIp("2001:db8:ffff::1")));
    EXPECT_FALSE(PrefixContains(v6, *ParseIp("2001:db8:7fff::1")));
    auto host = *ParsePrefix("2001:db8::1/128");
    EXPECT_TRUE(PrefixContains(host, *ParseIp("2001:db8::1")));
    EXPECT_FALSE(PrefixContains(host, *ParseIp("2001:db8::2")));
}

TEST(MaskPrefix, ClearsHostBits) {
    EXPECT_EQ(FormatPrefix(MaskPrefix(*ParseIp("192.0.2.77"), 26)), "192.0.2.64/26");
    EXPECT_EQ(FormatPrefix(MaskPrefix(*ParseIp("2001:db8:abcd::1"), 36)), "2001:db8:a000::/36");
    EXPECT_EQ(FormatPrefix(MaskPrefix(*ParseIp("192.0.2.77"), 99)), "192.0.2.77/32");
}

TEST(ParseAsn, Forms) {
    EXPECT_EQ(*ParseAsn("64500"), 64500u);
    EXPECT_EQ(*ParseAsn("AS64500"), 64500u);
    EXPECT_EQ(*ParseAsn("as64500"), 64500u);
    EXPECT_EQ(*ParseAsn("As1"), 1u);
    EXPECT_EQ(*ParseAsn("4294967295"), 4294967295u);
    EXPECT_EQ(*ParseAsn("1.10"), 65546u);
    EXPECT_EQ(*ParseAsn("AS0.1"), 1u);
    for (const char* bad : {"",   "AS",   "0",     "AS0",    "4294967296", "99999999999", "-1",
                            "+1", "AS 1", "1 ",    "064500", "AS-1",       "1.65536",     "65536.1",
                            "1.", ".1",   "1.2.3", "ASN1",   "0x10",       "0.0"}) {
        EXPECT_FALSE(ParseAsn(bad)) << bad;
    }
}

TEST(NormaliseDomain, Ascii) {
    EXPECT_EQ(Norm("Example.COM"), "example.com");
    EXPECT_EQ(Norm("example.com."), "example.com");
    EXPECT_EQ(Norm("www.gov.pk"), "www.gov.pk");
    EXPECT_EQ(Norm("localhost"), "localhost");
    EXPECT_EQ(Norm("a-b.c--d.e"), "a-b.c--d.e");
    EXPECT_EQ(Norm("1.2.3.example"), "1.2.3.example");
    EXPECT_EQ(Norm("xn--bcher-kva.example"), "xn--bcher-kva.example");
    EXPECT_EQ(Norm("XN--BCHER-KVA.example"), "xn--bcher-kva.example");
    std::string label63(63, 'a');
    EXPECT_EQ(Norm(label63 + ".pk"), label63 + ".pk");
    // 253 characters: 4 labels of 61 + ".pk" style padding.
    std::string name = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                       std::string(63, 'c') + "." + std::string(61, 'd');
    ASSERT_EQ(name.size(), 253u);
    EXPECT_EQ(Norm(name), name);
    EXPECT_EQ(Norm(name + "."), name);
}

TEST(NormaliseDomain, Invalid) {
    std::string label64(64, 'a');
    std::string name254 = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                          std::string(63, 'c') + "." + std::string(62, 'd');
    ASSERT_EQ(name254.size(), 254u);
    for (const std::string& bad : {std::string(""),
                                   std::string("."),
                                   std::string(".."),
                                   std::string("example.com.."),
                                   std::string(".example.com"),
                                   std::string("a..b"),
                                   std::string("*.example.com"),
                                   std::string("-a.example"),
                                   std::string("a-.example"),
                                   std::string("a b.example"),
                                   std::string("a_b.example"),
                                   std::string("exa mple"),
                                   std::string("example.com/"),
                                   std::string("http://example.com"),
                                   std::string("user@example.com"),
                                   std::string("192.0.2.1"),
                                   std::string("example.123"),
                                   std::string("a\tb"),
                                   std::string("ex\0ample", 8),
                                   label64 + ".pk",
                                   name254,
                                   std::string("\xff.example"),              // not UTF-8
                                   std::string("b\xc3.example"),             // truncated sequence
                                   std::string("b\xc3\x28.example"),         // bad continuation
                                   std::string("\xc0\xae.example"),          // overlong '.'
                                   std::string("\xe0\x80\xaf.example"),      // overlong
                                   std::string("\xed\xa0\x80.example"),      // surrogate
                                   std::string("\xf4\x90\x80\x80.example"),  // above U+10FFFF
                                   std::string("a\xc2\xa0"
                                               "b.example"),  // no-break space
                                   std::string("a\xe2\x80\x8b"
                                               "b.example")}) {  // zero-width space
        EXPECT_FALSE(NormaliseDomain(bad)) << bad;
    }
}

TEST(NormaliseDomain, Idn) {
    EXPECT_EQ(Norm("bücher.example"), "xn--bcher-kva.example");
    EXPECT_EQ(Norm("BÜCHER.example"), "xn--bcher-kva.example");
    EXPECT_EQ(Norm("münchen.de"), "xn--mnchen-3ya.de");
    EXPECT_EQ(Norm("München.DE."), "xn--mnchen-3ya.de");
    EXPECT_EQ(Norm("例え.テスト"), "xn--r8jz45g.xn--zckzah");
    EXPECT_EQ(Norm("пример.рф"), "xn--e1afmkfd.xn--p1ai");
    EXPECT_EQ(Norm("ПРИМЕР.РФ"), "xn--e1afmkfd.xn--p1ai");
    EXPECT_EQ(Norm("پاکستان"), "xn--mgbai9azgqp6j");            // .pakistan IDN ccTLD
    EXPECT_EQ(Norm("例え。テスト"), "xn--r8jz45g.xn--zckzah");  // ideographic full stop
    EXPECT_EQ(Norm("straße.de"), "xn--strae-oqa.de");
    EXPECT_FALSE(NormaliseDomain("ü-.de"));  // U-label ends with '-'
    EXPECT_FALSE(NormaliseDomain("-ü.de"));  // no nameprep: ß stays ß (IDNA2008)
    // 60 'ü's do not fit one label once encoded.
    std::string long_label;
    for (int i = 0; i < 60; ++i) long_label += "ü";
    EXPECT_FALSE(NormaliseDomain(long_label + ".de"));
}

// RFC 3492 section 7.1 sample strings, as code points; results without the ACE prefix. The
// samples' upper-case ASCII letters are kept (punycode preserves the case of basic code points).
TEST(Punycode, Rfc3492Samples) {
    // (A) Arabic (Egyptian)
    EXPECT_EQ(Puny(U"\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648"
                   U"\u0634\u0639\u0631\u0628\u064A\u061F"),
              "egbpdaj6bu4bxfgehfvwxn");
    // (B) Chinese (simplified)
    EXPECT_EQ(Puny(U"\u4ED6\u4EEC\u4E3A\u4EC0\u4E48\u4E0D\u8BF4\u4E2D\u6587"),
              "ihqwcrb4cv8a8dqg056pqjye");
    // (C) Chinese (traditional)
    EXPECT_EQ(Puny(U"\u4ED6\u5011\u7232\u4EC0\u9EBD\u4E0D\u8AAA\u4E2D\u6587"),
              "ihqwctvzc91f659drss3x8bo0yb");
    // (D) Czech
    EXPECT_EQ(Puny(U"\u0050\u0072\u006F\u010D\u0070\u0072\u006F\u0073\u0074\u011B\u006E"
                   U"\u0065\u006D\u006C\u0075\u0076\u00ED\u010D\u0065\u0073\u006B\u0079"),
              "Proprostnemluvesky-uyb24dma41a");
    // (E) Hebrew
    EXPECT_EQ(Puny(U"\u05DC\u05DE\u05D4\u05D4\u05DD\u05E4\u05E9\u05D5\u05D8\u05DC\u05D0"
                   U"\u05DE\u05D3\u05D1\u05E8\u05D9\u05DD\u05E2\u05D1\u05E8\u05D9\u05EA"),
              "4dbcagdahymbxekheh6e0a7fei0b");
    // (F) Hindi (Devanagari)
    EXPECT_EQ(Puny(U"\u092F\u0939\u0932\u094B\u0917\u0939\u093F\u0928\u094D\u0926\u0940"
                   U"\u0915\u094D\u092F\u094B\u0902\u0928\u0939\u0940\u0902\u092C\u094B"
                   U"\u0932\u0938\u0915\u0924\u0947\u0939\u0948\u0902"),
              "i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd");
    // (G) Japanese (kanji and hiragana)
    EXPECT_EQ(Puny(U"\u306A\u305C\u307F\u3093\u306A\u65E5\u672C\u8A9E\u3092\u8A71\u3057"
                   U"\u3066\u304F\u308C\u306A\u3044\u306E\u304B"),
              "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa");
    // (I) Russian (Cyrillic)
    EXPECT_EQ(Puny(U"\u043F\u043E\u0447\u0435\u043C\u0443\u0436\u0435\u043E\u043D\u0438"
                   U"\u043D\u0435\u0433\u043E\u0432\u043E\u0440\u044F\u0442\u043F\u043E"
                   U"\u0440\u0443\u0441\u0441\u043A\u0438"),
              "b1abfaaepdrnnbgefbadotcwatmq2g4l");
    // (J) Spanish
    EXPECT_EQ(Puny(U"\u0050\u006F\u0072\u0071\u0075\u00E9\u006E\u006F\u0070\u0075\u0065"
                   U"\u0064\u0065\u006E\u0073\u0069\u006D\u0070\u006C\u0065\u006D\u0065"
                   U"\u006E\u0074\u0065\u0068\u0061\u0062\u006C\u0061\u0072\u0065\u006E"
                   U"\u0045\u0073\u0070\u0061\u00F1\u006F\u006C"),
              "PorqunopuedensimplementehablarenEspaol-fmd56a");
    // (K) Vietnamese
    EXPECT_EQ(Puny(U"\u0054\u1EA1\u0069\u0073\u0061\u006F\u0068\u1ECD\u006B\u0068\u00F4"
                   U"\u006E\u0067\u0074\u0068\u1EC3\u0063\u0068\u1EC9\u006E\u00F3\u0069"
                   U"\u0074\u0069\u1EBF\u006E\u0067\u0056\u0069\u1EC7\u0074"),
              "TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g");
    // (L) 3<nen>B<gumi><kinpachi><sensei>
    EXPECT_EQ(Puny(U"\u0033\u5E74\u0042\u7D44\u91D1\u516B\u5148\u751F"),
              "3B-ww4c5e180e575a65lsy2b");
    // (M) <amuro><namie>-with-SUPER-MONKEYS
    EXPECT_EQ(Puny(U"\u5B89\u5BA4\u5948\u7F8E\u6075\u002D\u0077\u0069\u0074\u0068\u002D"
                   U"\u0053\u0055\u0050\u0045\u0052\u002D\u004D\u004F\u004E\u004B\u0045"
                   U"\u0059\u0053"),
              "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n");
    // (N) Hello-Another-Way-<sorezore><no><basho>
    EXPECT_EQ(Puny(U"\u0048\u0065\u006C\u006C\u006F\u002D\u0041\u006E\u006F\u0074\u0068"
                   U"\u0065\u0072\u002D\u0057\u0061\u0079\u002D\u305D\u308C\u305E\u308C"
                   U"\u306E\u5834\u6240"),
              "Hello-Another-Way--fc4qua05auwb3674vfr0b");
    // (O) <hitotsu><yane><no><shita>2
    EXPECT_EQ(Puny(U"\u3072\u3068\u3064\u5C4B\u6839\u306E\u4E0B\u0032"), "2-u9tlzr9756bt3uc0v");
    // (P) Maji<de>Koi<suru>5<byou><mae>
    EXPECT_EQ(Puny(U"\u004D\u0061\u006A\u0069\u3067\u004B\u006F\u0069\u3059\u308B\u0035"
                   U"\u79D2\u524D"),
              "MajiKoi5-783gue6qz075azm5e");
    // (Q) <pafii>de<runba>
    EXPECT_EQ(Puny(U"\u30D1\u30D5\u30A3\u30FC\u0064\u0065\u30EB\u30F3\u30D0"), "de-jg4avhby1noc0d");
    // (R) <sono><supiido><de>
    EXPECT_EQ(Puny(U"\u305D\u306E\u30B9\u30D4\u30FC\u30C9\u3067"), "d9juau41awczczp");
    // (S) -> $1.00 <-  (only basic code points)
    EXPECT_EQ(Puny(U"\u002D\u003E\u0020\u0024\u0031\u002E\u0030\u0030\u0020\u003C\u002D"),
              "-> $1.00 <--");
    EXPECT_EQ(Puny(U"b\u00FCcher"), "bcher-kva");
    EXPECT_EQ(Puny(U""), "");
    EXPECT_EQ(Puny(std::u32string(1, static_cast<char32_t>(0x110000))), "ERROR");
}

// A name built from RFC 3492 sample (L) through NormaliseDomain: ASCII is lower-cased first.
TEST(NormaliseDomain, LowerCasesAsciiInsideIdnLabels) {
    EXPECT_EQ(Norm("3年B組金八先生.jp"), "xn--3b-ww4c5e180e575a65lsy2b.jp");
}

}  // namespace
}  // namespace muhafiz::core
