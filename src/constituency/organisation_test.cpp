#include "constituency/organisation.hpp"

#include <gtest/gtest.h>

namespace muhafiz::constituency {
namespace {

core::Result<OrganisationPatch> Parse(const std::string& text) {
    auto obj = core::ParseJsonObject(text);
    if (!obj) return tl::unexpected(obj.error());
    return PatchFromJson(*obj);
}

TEST(OrganisationJson, ParsesAndCanonicalises) {
    auto p = Parse(R"({"name":"  Habib Bank ","kind":"constituent","parent_id":null,"sector":"Banking",
        "country":"pk","cii":true,"contacts":{"abuse_email":"abuse@hbl.example"},
        "networks":{"prefixes":["203.0.113.0/24","2001:DB8:100::/48","203.0.113.0/24"],
                    "asns":[64500,"AS64501"],"domains":["HBL.Example."]}})");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(*p->name, "Habib Bank");
    EXPECT_EQ(*p->kind, Kind::kConstituent);
    EXPECT_EQ(*p->sector, "banking");
    EXPECT_EQ(*p->country, "PK");
    EXPECT_TRUE(*p->cii);
    EXPECT_EQ(p->networks->prefixes, (std::vector<std::string>{"203.0.113.0/24", "2001:db8:100::/48"}));
    EXPECT_EQ(p->networks->asns, (std::vector<std::int64_t>{64500, 64501}));
    EXPECT_EQ(p->networks->domains, (std::vector<std::string>{"hbl.example"}));
}

TEST(OrganisationJson, BadValuesNameTheField) {
    struct Case {
        const char* body;
        const char* field;
    } cases[] = {
        {R"({"networks":{"prefixes":["10.0.0.0/8","10.0.0.0/33"]}})", "networks.prefixes[1]"},
        {R"({"networks":{"prefixes":["192.0.2.1/24"]}})", "networks.prefixes[0]"},
        {R"({"networks":{"asns":["ASX"]}})", "networks.asns[0]"},
        {R"({"networks":{"asns":[0]}})", "networks.asns[0]"},
        {R"({"networks":{"domains":["bad_domain..pk"]}})", "networks.domains[0]"},
        {R"({"networks":{"nets":[]}})", "networks.nets"},
        {R"({"country":"XX"})", "country"},
        {R"({"kind":"galactic_cert"})", "kind"},
        {R"({"name":""})", "name"},
        {R"({"name":5})", "name"},
        {R"({"colour":"red"})", "colour"},
        {R"({"contacts":{"abuse_email":"nobody"}})", "contacts.abuse_email"},
        {R"({"contacts":{"pgp_key":"not a key"}})", "contacts.pgp_key"},
        {R"({"cii":"yes"})", "cii"},
        {R"({"sector":"Bank ing"})", "sector"},
    };
    for (const auto& c : cases) {
        auto p = Parse(c.body);
        ASSERT_FALSE(p) << c.body;
        EXPECT_EQ(p.error().code, core::ErrorCode::kInvalidArgument) << c.body;
        EXPECT_EQ(p.error().field, c.field) << c.body << ": " << p.error().message;
    }
}

TEST(OrganisationJson, KindsRoundTrip) {
    for (const char* k : {"national_cert", "government_cert", "cii_cert", "sectoral_cert", "federal_cert",
                          "provincial_cert", "organisational_cert", "constituent", "cert_council", "partner_cert"})
        EXPECT_EQ(KindName(*ParseKind(k)), k);
    EXPECT_FALSE(ParseKind("cert"));
}

}  // namespace
}  // namespace muhafiz::constituency
