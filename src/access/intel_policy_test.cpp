// IntelPolicy: every audience x TLP (with and without named recipients) against viewers at every
// tier of the tree; the SQL predicate must select exactly what the in-memory rule allows, on
// SQLite and PostgreSQL, and a few cases are spelled out.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "access/intel_policy.hpp"
#include "db/testing.hpp"

namespace muhafiz::access {
namespace {

struct OrgRow {
    std::int64_t id;
    std::string kind, path, sector;
    std::int64_t parent;
};

// 1 National CERT; 2 banking CERT, 3 a bank, 4 the bank's own CERT; 5 energy CERT, 6 a plant;
// 7 Government CERT, 8 a ministry; 9 the Council; 10 a partner CERT abroad.
const std::vector<OrgRow> kOrgs = {
    {1, "national_cert", "/1/", "", 0},          {2, "sectoral_cert", "/1/2/", "banking", 1},
    {3, "constituent", "/1/2/3/", "banking", 2}, {4, "organisational_cert", "/1/2/3/4/", "", 3},
    {5, "sectoral_cert", "/1/5/", "energy", 1},  {6, "constituent", "/1/5/6/", "energy", 5},
    {7, "government_cert", "/1/7/", "", 1},      {8, "constituent", "/1/7/8/", "", 7},
    {9, "cert_council", "/1/9/", "", 1},         {10, "partner_cert", "/1/10/", "", 1},
};

IntelViewer ViewerOf(const OrgRow& o) {
    IntelViewer v;
    v.organisation_id = o.id;
    v.path = o.path;
    v.sector = o.sector;
    std::map<std::int64_t, const OrgRow*> by;
    for (const auto& x : kOrgs) by[x.id] = &x;
    for (const OrgRow* a = &o; a; a = a->parent ? by[a->parent] : nullptr)
        if (!a->sector.empty()) v.sectors.push_back(a->sector);
    v.in_tree = o.path.starts_with("/1/") && o.kind != "partner_cert";  // partners hang under the root
    v.is_root = o.id == 1;
    v.is_partner = o.kind == "partner_cert";
    v.council = o.kind == "cert_council";
    return v;
}

class IntelPolicyDb : public ::testing::TestWithParam<std::string> {};

TEST(IntelPolicy, ParsesLabels) {
    EXPECT_EQ(*ParseTlp("TLP:AMBER+STRICT"), Tlp::kAmberStrict);
    EXPECT_EQ(*ParseTlp("white"), Tlp::kClear);
    EXPECT_EQ(*ParseTlp("tlp:green"), Tlp::kGreen);
    EXPECT_FALSE(ParseTlp("TLP:PURPLE"));
    EXPECT_FALSE(ParseAudience("world"));
    EXPECT_TRUE(IntelPolicy::IsWidening(Tlp::kAmber, Audience::kSector, Tlp::kGreen, Audience::kSector));
    EXPECT_TRUE(IntelPolicy::IsWidening(Tlp::kAmber, Audience::kSector, Tlp::kAmber, Audience::kNational));
    EXPECT_FALSE(IntelPolicy::IsWidening(Tlp::kGreen, Audience::kNational, Tlp::kRed, Audience::kCert));
}

TEST(IntelPolicy, FailsClosed) {
    IntelPolicy p;
    IntelViewer nobody;
    EXPECT_EQ(p.EventScope(nobody).sql, "1=0");
    IntelViewer council = ViewerOf(kOrgs[8]);
    EXPECT_EQ(p.EventScope(council).sql, "1=0");
    IntelMarking clear;
    clear.organisation_id = 3;
    clear.tlp = Tlp::kClear;
    EXPECT_FALSE(p.Allows(clear, council));
    IntelViewer anon;
    anon.anonymous = true;
    EXPECT_TRUE(p.Allows(clear, anon));
    clear.tlp = Tlp::kGreen;
    clear.audience = Audience::kPartners;
    EXPECT_FALSE(p.Allows(clear, anon));
}

TEST_P(IntelPolicyDb, PredicateMatchesRuleForEveryCombination) {
    auto db = db::testing::OpenFresh(GetParam());
    auto conn = db->Acquire();
    ASSERT_TRUE(conn);
    for (const auto& o : kOrgs)
        ASSERT_TRUE((*conn)->Execute(
            "INSERT INTO organisations (id, uuid, name, kind, parent_id, path, depth, sector, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, ?, 0, 0)",
            {o.id, "00000000-0000-4000-8000-0000000000" + std::to_string(10 + o.id), "org" + std::to_string(o.id),
             o.kind, o.parent ? db::Value(o.parent) : db::Null(), o.path, o.sector}));
    // Creators: the bank (3, cert 2) and the plant (6, cert 5) and the National CERT (1).
    struct Creator {
        std::int64_t id, cert;
        std::string cert_path, sector;
    };
    const std::vector<Creator> creators = {{3, 2, "/1/2/", "banking"}, {6, 5, "/1/5/", "energy"}, {1, 1, "/1/", ""}};
    std::map<std::int64_t, IntelMarking> events;
    std::int64_t id = 0;
    for (const auto& c : creators)
        for (int a = 0; a < 5; ++a)
            for (int t = 0; t < 5; ++t)
                for (int named = 0; named < 3; ++named) {
                    IntelMarking m;
                    m.organisation_id = c.id;
                    m.cert_id = c.cert;
                    m.cert_path = c.cert_path;
                    m.sector = c.sector;
                    m.tlp = static_cast<Tlp>(t);
                    m.audience = static_cast<Audience>(a);
                    if (named == 1) m.recipients = {{6, "/1/5/6/"}};
                    if (named == 2) m.recipients = {{2, "/1/2/"}, {10, "/1/10/"}, {1, "/1/"}};
                    ++id;
                    ASSERT_TRUE((*conn)->Execute(
                        "INSERT INTO intel_events (id, uuid, stix_id, organisation_id, org_path, cert_id, cert_path, "
                        "sector, title, tlp, audience, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?, ?, 't', ?, "
                        "?, 0, 0)",
                        {id, "e" + std::to_string(id), "s" + std::to_string(id), c.id, c.cert, c.cert_path, c.sector,
                         std::string(TlpName(m.tlp)), std::string(AudienceName(m.audience))}));
                    for (const auto& r : m.recipients)
                        ASSERT_TRUE((*conn)->Execute(
                            "INSERT INTO intel_event_recipients (event_id, organisation_id, path) VALUES (?, ?, ?)",
                            {id, r.organisation_id, r.path}));
                    events[id] = m;
                }
    IntelPolicy policy;
    std::vector<IntelViewer> viewers;
    for (const auto& o : kOrgs) viewers.push_back(ViewerOf(o));
    IntelViewer anon;
    anon.anonymous = true;
    viewers.push_back(anon);
    for (const auto& v : viewers) {
        auto scope = policy.EventScope(v, "e");
        auto rows = (*conn)->Query("SELECT e.id FROM intel_events e WHERE " + scope.sql, scope.params);
        ASSERT_TRUE(rows) << rows.error().message;
        std::set<std::int64_t> got;
        for (const auto& r : *rows) got.insert(r.Int(0));
        for (const auto& [eid, m] : events)
            EXPECT_EQ(got.count(eid) == 1, policy.Allows(m, v))
                << "viewer " << v.organisation_id << " event " << eid << " " << TlpName(m.tlp) << " "
                << AudienceName(m.audience) << " named " << m.recipients.size();
    }

    // Spelled out, for the bank's events (creator 3, CERT 2, sector banking).
    auto sees = [&](std::int64_t viewer, Tlp t, Audience a, std::vector<IntelRecipient> named = {}) {
        IntelMarking m;
        m.organisation_id = 3;
        m.cert_id = 2;
        m.cert_path = "/1/2/";
        m.sector = "banking";
        m.tlp = t;
        m.audience = a;
        m.recipients = std::move(named);
        return policy.Allows(m, ViewerOf(kOrgs[viewer - 1]));
    };
    // AMBER to the sector: the banking CERT, the bank and its CERT; not energy, not the root.
    EXPECT_TRUE(sees(2, Tlp::kAmber, Audience::kSector));
    EXPECT_TRUE(sees(4, Tlp::kAmber, Audience::kSector));
    EXPECT_FALSE(sees(5, Tlp::kAmber, Audience::kSector));
    EXPECT_FALSE(sees(6, Tlp::kAmber, Audience::kSector));
    EXPECT_FALSE(sees(10, Tlp::kAmber, Audience::kSector));
    // GREEN national: the whole tree, not the partner abroad, not the Council.
    EXPECT_TRUE(sees(6, Tlp::kGreen, Audience::kNational));
    EXPECT_TRUE(sees(1, Tlp::kGreen, Audience::kNational));
    EXPECT_FALSE(sees(10, Tlp::kGreen, Audience::kNational));
    EXPECT_FALSE(sees(9, Tlp::kGreen, Audience::kNational));
    EXPECT_TRUE(sees(10, Tlp::kGreen, Audience::kPartners));
    // AMBER+STRICT to the CERT: the CERT itself only (and the creator).
    EXPECT_TRUE(sees(2, Tlp::kAmberStrict, Audience::kCert));
    EXPECT_FALSE(sees(4, Tlp::kAmberStrict, Audience::kCert));
    EXPECT_FALSE(sees(1, Tlp::kAmberStrict, Audience::kNational) == false);
    EXPECT_FALSE(sees(2, Tlp::kAmberStrict, Audience::kNational));
    // RED: named recipients only, whatever the audience.
    EXPECT_FALSE(sees(2, Tlp::kRed, Audience::kPartners));
    EXPECT_TRUE(sees(6, Tlp::kRed, Audience::kOrganisation, {{6, "/1/5/6/"}}));
    EXPECT_FALSE(sees(5, Tlp::kRed, Audience::kNational, {{6, "/1/5/6/"}}));
    // AMBER to a named CERT reaches its children; AMBER+STRICT does not.
    EXPECT_TRUE(sees(6, Tlp::kAmber, Audience::kOrganisation, {{5, "/1/5/"}}));
    EXPECT_FALSE(sees(6, Tlp::kAmberStrict, Audience::kOrganisation, {{5, "/1/5/"}}));
    // A partner under the root is not reached by the root's CERT audience nor by AMBER to the root.
    {
        IntelMarking m;
        m.organisation_id = 1;
        m.cert_id = 1;
        m.cert_path = "/1/";
        m.tlp = Tlp::kGreen;
        m.audience = Audience::kCert;
        EXPECT_FALSE(policy.Allows(m, ViewerOf(kOrgs[9])));
        EXPECT_TRUE(policy.Allows(m, ViewerOf(kOrgs[5])));
        m.tlp = Tlp::kAmber;
        m.audience = Audience::kOrganisation;
        m.recipients = {{1, "/1/"}};
        EXPECT_FALSE(policy.Allows(m, ViewerOf(kOrgs[9])));
        EXPECT_TRUE(policy.Allows(m, ViewerOf(kOrgs[7])));
    }
    // CLEAR: anyone but the Council.
    EXPECT_TRUE(sees(10, Tlp::kClear, Audience::kOrganisation));
    EXPECT_FALSE(sees(9, Tlp::kClear, Audience::kOrganisation));
}

INSTANTIATE_TEST_SUITE_P(Backends, IntelPolicyDb, ::testing::ValuesIn(db::testing::BackendNames()));

}  // namespace
}  // namespace muhafiz::access
