#include "constituency/organisation_service.hpp"

#include <gtest/gtest.h>

#include <mutex>

#include "constituency/owner_updater.hpp"
#include "constituency/transfer.hpp"

#include <atomic>
#include <thread>
#include "db/testing.hpp"

namespace muhafiz::constituency {
namespace {

// Records what the service hands to the audit log.
class RecordingSink : public db::AuditSink {
public:
    core::Status Append(db::Connection&, const db::AuditRecord& r) const override {
        std::lock_guard lock(mu_);
        actions.push_back(r.action);
        return {};
    }
    mutable std::mutex mu_;
    mutable std::vector<std::string> actions;
};

OrganisationPatch Make(std::string name, Kind kind, std::string parent) {
    OrganisationPatch p;
    p.name = std::move(name);
    p.kind = kind;
    p.parent = std::move(parent);
    return p;
}

db::Predicate Under(const Organisation& o) {
    std::string upper = o.path;
    upper.back() = '0';
    return {"o.path >= ? AND o.path < ?", {o.path, upper}};
}

class OrganisationServiceTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db_ = db::testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        service_ = std::make_unique<OrganisationService>(*db_, sink_, [this] { ++changes_; });
        auto root = service_->EnsureRoot("National CERT", "PK");
        ASSERT_TRUE(root) << root.error().message;
        root_ = *root;
    }
    Organisation MustCreate(OrganisationPatch p) {
        auto o = service_->Create(p, all_, actor_);
        EXPECT_TRUE(o) << o.error().message;
        return o ? *o : Organisation{};
    }

    std::unique_ptr<db::Database> db_;
    RecordingSink sink_;
    std::unique_ptr<OrganisationService> service_;
    Organisation root_;
    db::Predicate all_;
    core::Actor actor_;
    int changes_ = 0;
};

TEST_P(OrganisationServiceTest, RootIsCreatedOnce) {
    auto again = service_->EnsureRoot("Other", "PK");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->uuid, root_.uuid);
    EXPECT_EQ(root_.path, "/" + std::to_string(root_.id) + "/");
    auto second = service_->Create(Make("Another national", Kind::kNationalCert, root_.uuid), all_, actor_);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, core::ErrorCode::kConflict);
}

TEST_P(OrganisationServiceTest, CreateGetListWithNetworks) {
    auto bank = MustCreate(Make("Banking CERT", Kind::kSectoralCert, root_.uuid));
    OrganisationPatch hbl = Make("Habib Test Bank", Kind::kConstituent, bank.uuid);
    hbl.networks = Networks{{"203.0.113.0/24", "2001:db8:100::/48"}, {64500}, {"hbl.example"}};
    auto h = MustCreate(hbl);
    EXPECT_EQ(h.path, bank.path + std::to_string(h.id) + "/");
    EXPECT_EQ(h.country, "PK");  // inherited from the parent
    auto got = service_->Get(h.uuid, all_);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->networks.prefixes.size(), 2u);
    EXPECT_EQ(got->path_names, (std::vector<std::string>{"National CERT", "Banking CERT", "Habib Test Bank"}));
    EXPECT_EQ(got->parent_uuid, bank.uuid);

    ListFilter f;
    f.kind = Kind::kConstituent;
    auto page = service_->List(f, all_);
    ASSERT_TRUE(page);
    ASSERT_EQ(page->total, 1);
    EXPECT_EQ(page->items[0].networks.domains[0], "hbl.example");
    EXPECT_GE(sink_.actions.size(), 3u);

    // The same prefix cannot belong to two organisations.
    OrganisationPatch clash = Make("Clash", Kind::kConstituent, bank.uuid);
    clash.networks = Networks{{"203.0.113.0/24"}, {}, {}};
    auto c = service_->Create(clash, all_, actor_);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, core::ErrorCode::kConflict);
    EXPECT_EQ(c.error().field, "networks.prefixes[0]");
    // ... and the failed create left nothing behind.
    f.kind.reset();
    f.q = "clash";
    EXPECT_EQ(service_->List(f, all_)->total, 0);
}

TEST_P(OrganisationServiceTest, ScopeHidesSiblingsAsNotFound) {
    auto bank = MustCreate(Make("Banking CERT", Kind::kSectoralCert, root_.uuid));
    auto telco = MustCreate(Make("Telecom CERT", Kind::kSectoralCert, root_.uuid));
    auto b1 = MustCreate(Make("Bank One", Kind::kConstituent, bank.uuid));
    auto t1 = MustCreate(Make("Telco One", Kind::kConstituent, telco.uuid));
    const db::Predicate bank_scope = Under(bank);
    EXPECT_TRUE(service_->Get(b1.uuid, bank_scope));
    auto hidden = service_->Get(t1.uuid, bank_scope);
    ASSERT_FALSE(hidden);
    EXPECT_EQ(hidden.error().code, core::ErrorCode::kNotFound);
    ListFilter f;
    auto page = service_->List(f, bank_scope);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->total, 2);  // itself and its child
    // It cannot create under, update or delete what it cannot see.
    EXPECT_FALSE(service_->Create(Make("Sneaky", Kind::kConstituent, telco.uuid), bank_scope, actor_));
    OrganisationPatch rename;
    rename.name = "Renamed";
    EXPECT_EQ(service_->Update(t1.uuid, rename, std::nullopt, bank_scope, actor_).error().code,
              core::ErrorCode::kNotFound);
    EXPECT_EQ(service_->Delete(t1.uuid, bank_scope, actor_).error().code, core::ErrorCode::kNotFound);
    auto tree = service_->Tree(bank_scope);
    ASSERT_TRUE(tree);
    EXPECT_EQ(tree->size(), 2u);
}

TEST_P(OrganisationServiceTest, MovingReScopesTheSubtree) {
    auto bank = MustCreate(Make("Banking CERT", Kind::kSectoralCert, root_.uuid));
    auto fin = MustCreate(Make("Finance CERT", Kind::kSectoralCert, root_.uuid));
    auto b1 = MustCreate(Make("Bank One", Kind::kConstituent, bank.uuid));
    auto unit = MustCreate(Make("Bank One Unit", Kind::kConstituent, b1.uuid));
    OrganisationPatch move;
    move.parent = fin.uuid;
    auto moved = service_->Update(b1.uuid, move, b1.version, all_, actor_);
    ASSERT_TRUE(moved) << moved.error().message;
    EXPECT_EQ(moved->parent_uuid, fin.uuid);
    auto u = service_->Get(unit.uuid, Under(fin));
    ASSERT_TRUE(u) << "the grandchild follows its parent";
    EXPECT_EQ(u->depth, 3);
    EXPECT_FALSE(service_->Get(unit.uuid, Under(bank)));
    // Cycles are refused; a stale version is refused.
    OrganisationPatch cycle;
    cycle.parent = unit.uuid;
    EXPECT_EQ(service_->Update(b1.uuid, cycle, std::nullopt, all_, actor_).error().code, core::ErrorCode::kConflict);
    OrganisationPatch rename;
    rename.name = "X";
    EXPECT_EQ(service_->Update(b1.uuid, rename, b1.version, all_, actor_).error().code,
              core::ErrorCode::kPreconditionFailed);
}

TEST_P(OrganisationServiceTest, DeleteRules) {
    auto bank = MustCreate(Make("Banking CERT", Kind::kSectoralCert, root_.uuid));
    auto b1 = MustCreate(Make("Bank One", Kind::kConstituent, bank.uuid));
    EXPECT_EQ(service_->Delete(bank.uuid, all_, actor_).error().code, core::ErrorCode::kConflict);
    EXPECT_EQ(service_->Delete(root_.uuid, all_, actor_).error().code, core::ErrorCode::kConflict);
    EXPECT_TRUE(service_->Delete(b1.uuid, all_, actor_));
    EXPECT_TRUE(service_->Delete(bank.uuid, all_, actor_));
    EXPECT_EQ(service_->Get(bank.uuid, all_).error().code, core::ErrorCode::kNotFound);
}

TEST_P(OrganisationServiceTest, PaginationWithCursor) {
    auto bank = MustCreate(Make("Banking CERT", Kind::kSectoralCert, root_.uuid));
    for (int i = 0; i < 23; ++i) MustCreate(Make("Bank " + std::to_string(100 + i), Kind::kConstituent, bank.uuid));
    for (std::string sort : {"name", "-name", "created_at", "-created_at", "kind"}) {
        ListFilter f;
        f.sort = sort;
        f.limit = 5;
        std::set<std::string> seen;
        std::string prev;
        for (;;) {
            auto page = service_->List(f, all_);
            ASSERT_TRUE(page) << page.error().message;
            EXPECT_EQ(page->total, 25);
            for (auto& o : page->items) EXPECT_TRUE(seen.insert(o.uuid).second) << sort;
            if (sort == "name" && !page->items.empty()) {
                EXPECT_LT(prev, page->items.front().name);
                prev = page->items.back().name;
            }
            if (!page->next) break;
            f.cursor = *page->next;
        }
        EXPECT_EQ(seen.size(), 25u) << sort;
    }
    ListFilter bad;
    bad.cursor = "garbage";
    EXPECT_EQ(service_->List(bad, all_).error().field, "cursor");
}

TEST_P(OrganisationServiceTest, ImportExportRoundTripIsIdempotent) {
    const std::string csv =
        "name,kind,parent,sector,country,prefixes,asns,domains,abuse_email\n"
        "Banking CERT,sectoral_cert,National CERT,banking,PK,,,,\n"
        "Bank One,constituent,Banking CERT,banking,PK,198.51.100.0/24 2001:db8:1::/48,64510,bankone.example,"
        "abuse@bankone.example\n";
    auto r1 = ImportConstituency(*service_, csv, TransferFormat::kCsv, false, actor_);
    ASSERT_TRUE(r1) << r1.error().message;
    ASSERT_TRUE(r1->problems.empty()) << r1->problems[0].message;
    EXPECT_EQ(r1->created, 2u);
    auto r2 = ImportConstituency(*service_, csv, TransferFormat::kCsv, false, actor_);
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->created, 0u);
    EXPECT_EQ(r2->unchanged, 2u);

    auto json = ExportConstituency(*service_, TransferFormat::kJson);
    ASSERT_TRUE(json);
    auto r3 = ImportConstituency(*service_, *json, TransferFormat::kJson, false, actor_);
    ASSERT_TRUE(r3) << r3.error().message;
    EXPECT_TRUE(r3->problems.empty());
    EXPECT_EQ(r3->created, 0u);
    EXPECT_EQ(r3->unchanged, 3u);
    auto exported_csv = ExportConstituency(*service_, TransferFormat::kCsv);
    ASSERT_TRUE(exported_csv);
    EXPECT_NE(exported_csv->find("198.51.100.0/24 2001:db8:1::/48"), std::string::npos);

    // Into a fresh database: the export recreates the same tree.
    auto db2 = db::testing::OpenFresh(GetParam());
    OrganisationService other(*db2, sink_);
    ASSERT_TRUE(other.EnsureRoot("National CERT", "PK"));
    auto r4 = ImportConstituency(other, *json, TransferFormat::kJson, false, actor_);
    ASSERT_TRUE(r4);
    EXPECT_TRUE(r4->problems.empty()) << r4->problems[0].message;
    EXPECT_EQ(r4->created, 2u);
    ListFilter f;
    EXPECT_EQ(other.List(f, all_)->total, 3);
}

TEST_P(OrganisationServiceTest, CsvWithoutNetworkColumnsKeepsNetworks) {
    auto bank = MustCreate(Make("Banking CERT", Kind::kSectoralCert, root_.uuid));
    OrganisationPatch p = Make("Bank One", Kind::kConstituent, bank.uuid);
    p.networks = Networks{{"198.51.100.0/24"}, {64510}, {"bankone.example"}};
    p.contacts = Contacts{"sec@bankone.example", "", "", ""};
    MustCreate(p);
    auto r = ImportConstituency(*service_, "name,kind,parent,sector\nBank One,constituent,Banking CERT,finance\n",
                                TransferFormat::kCsv, false, actor_);
    ASSERT_TRUE(r);
    ASSERT_TRUE(r->problems.empty()) << r->problems[0].message;
    EXPECT_EQ(r->updated, 1u);
    ListFilter f;
    f.q = "bank one";
    auto page = service_->List(f, all_);
    ASSERT_EQ(page->items.size(), 1u);
    EXPECT_EQ(page->items[0].sector, "finance");
    EXPECT_EQ(page->items[0].networks.prefixes, std::vector<std::string>{"198.51.100.0/24"});
    EXPECT_EQ(page->items[0].contacts.security_email, "sec@bankone.example");
}

TEST_P(OrganisationServiceTest, BadRowsAreReportedAndNothingIsImported) {
    const std::string csv =
        "name,kind,parent,country,prefixes\n"
        "Good CERT,sectoral_cert,National CERT,PK,\n"
        "Bad Prefix,constituent,Good CERT,PK,10.0.0.0/33\n"
        "Bad Country,constituent,Good CERT,ZZ,\n"
        "\"Broken,constituent\n";
    auto r = ImportConstituency(*service_, csv, TransferFormat::kCsv, false, actor_);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->problems.size(), 3u);
    EXPECT_EQ(r->problems[0].line, 3u);
    EXPECT_EQ(r->problems[0].field, "networks.prefixes[0]");
    EXPECT_EQ(r->problems[1].line, 4u);
    EXPECT_EQ(r->problems[1].field, "country");
    EXPECT_EQ(r->problems[2].line, 5u);
    EXPECT_FALSE(r->committed);
    ListFilter f;
    EXPECT_EQ(service_->List(f, all_)->total, 1) << "nothing of a bad file is imported";

    auto skip = ImportConstituency(*service_, csv, TransferFormat::kCsv, true, actor_);
    ASSERT_TRUE(skip);
    EXPECT_TRUE(skip->committed);
    EXPECT_EQ(skip->created, 1u);
    EXPECT_EQ(service_->List(f, all_)->total, 2);

    auto not_csv = ImportConstituency(*service_, "", TransferFormat::kCsv, false, actor_);
    EXPECT_FALSE(not_csv);
    auto not_json = ImportConstituency(*service_, "{", TransferFormat::kJson, false, actor_);
    EXPECT_FALSE(not_json);
}

TEST_P(OrganisationServiceTest, OwnerEntriesFeedTheIndex) {
    auto bank = MustCreate(Make("Banking CERT", Kind::kSectoralCert, root_.uuid));
    OrganisationPatch p = Make("Bank One", Kind::kConstituent, bank.uuid);
    p.networks = Networks{{"198.51.100.0/24", "2001:db8:1::/48"}, {64510}, {"bankone.example"}};
    auto b1 = MustCreate(p);
    auto entries = service_->LoadOwnerEntries();
    ASSERT_TRUE(entries);
    auto index = OwnerIndex::Build(*entries);
    EXPECT_EQ(index->LookupV4((198u << 24) | (51u << 16) | (100u << 8) | 7), b1.id);
    EXPECT_EQ(index->LookupAsn(64510), b1.id);
    EXPECT_EQ(index->LookupDomainOrganisation("www.bankone.example"), b1.id);
    EXPECT_GT(changes_, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, OrganisationServiceTest, ::testing::ValuesIn(db::testing::BackendNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace muhafiz::constituency

namespace muhafiz::constituency {
namespace {

TEST(OwnerIndexUpdater, NoticesChangesMadeElsewhereByPolling) {
    std::atomic<int> version{1};
    std::atomic<int> loads{0};
    OwnerIndexUpdater updater(
        [&]() -> core::Result<OwnerEntries> {
            ++loads;
            OwnerEntries e;
            e.asns.emplace_back(64500, version.load());
            return e;
        },
        [&]() -> core::Result<std::string> { return std::to_string(version.load()); },
        std::chrono::milliseconds(20));
    ASSERT_TRUE(updater.RebuildNow());
    EXPECT_EQ(updater.Get()->LookupAsn(64500), 1);
    version = 2;  // as if another process changed the constituency
    for (int i = 0; i < 200 && updater.Get()->LookupAsn(64500) != 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(updater.Get()->LookupAsn(64500), 2);
    const int after = loads.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(loads.load(), after) << "an unchanged fingerprint does not rebuild";
    updater.RequestRebuild();
    updater.WaitFresh();
    EXPECT_EQ(loads.load(), after + 1);
}

}  // namespace
}  // namespace muhafiz::constituency
