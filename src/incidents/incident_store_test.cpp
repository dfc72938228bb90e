// IncidentStore on SQLite and PostgreSQL: intake and references, full-text search and filters,
// the lifecycle through the store, access (a sibling sector never sees another's incident; a
// confidential incident is hidden from the rest of its own CERT), escalation / delegation /
// sharing, attachments, merges and observables, deadline reminders, e-mail intake of the real
// messages of tests/data/mail/, and notifications received by a real SMTP server.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "access/access_test_support.hpp"
#include "core/ids.hpp"
#include "incidents/incident_store.hpp"
#include "incidents/mail_intake.hpp"
#include "notify/smtp_channel.hpp"
#include "support_process.hpp"

namespace muhafiz::incidents {
namespace {

namespace fs = std::filesystem;
using access::Principal;
using access::Role;
using access::testing::MakePrincipal;
using access::testing::OrgUuid;

std::string ReadMail(const std::string& name) {
    std::ifstream in(muhafiz::testing::SourceDir() + "/tests/data/mail/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

IncidentInput Input(const std::string& title, std::int64_t org, Classification c = {"fraud", "phishing"}) {
    IncidentInput in;
    in.title = title;
    in.description = "Customers received e-mails linking to a fake login page of " + title;
    in.classification = std::vector<Classification>{c};
    in.severity = Severity::kHigh;
    in.organisation = OrgUuid(org);
    return in;
}

class IncidentStoreTest : public access::testing::DbTest {
protected:
    void SetUp() override {
        DbTest::SetUp();
        auto r = Conn().Execute("UPDATE organisations SET sector = 'banking', contacts = ? WHERE id = 2",
                                {std::string(R"({"security_email":"soc@banking-cert.example.pk"})")});
        ASSERT_TRUE(r) << r.error().message;
        r = Conn().Execute("UPDATE organisations SET sector = 'telecom', contacts = ? WHERE id = 3",
                           {std::string(R"({"security_email":"soc@telecom-cert.example.pk"})")});
        ASSERT_TRUE(r);
        national_ = AddUser("nat-analyst", 1, Role::kAnalyst).id;
        banking_ = AddUser("bank-analyst", 2, Role::kAnalyst).id;
        banking2_ = AddUser("bank-analyst2", 2, Role::kAnalyst).id;
        telecom_ = AddUser("tel-analyst", 3, Role::kAnalyst).id;
        energy_ = AddUser("energy-analyst", 20, Role::kAnalyst).id;
        reporter_ = AddUser("bank-a-reporter", 4, Role::kReporter).id;
        council_ = AddUser("council-member", 5, Role::kCouncil).id;
        dir_ = fs::temp_directory_path() / ("incidents-test-" + core::RandomToken(6));
        StoreOptions options;
        options.attachments_dir = dir_ / "attachments";
        options.max_attachment_bytes = 1024;
        store_ = std::make_unique<IncidentStore>(*db_, audit_, policy_, &notifier_, RegimeSet::Default(), options);
    }
    void TearDown() override {
        store_.reset();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    Principal P(std::int64_t org, Role role, std::int64_t user) {
        Principal p = MakePrincipal(org, role, user);
        auto rows = Conn().Query("SELECT username FROM users WHERE id = ?", {user});
        if (rows && !rows->empty()) p.username = (*rows)[0].Str(0);
        return p;
    }
    core::Actor A(const Principal& p) { return core::Actor{p.user_id, p.username, p.organisation_id, "test"}; }
    int Notifications(const std::string& uuid) {
        auto rows = Conn().Query("SELECT COUNT(*) FROM notifications WHERE object_type = 'incident' AND object_id = ?",
                                 {uuid});
        return rows ? static_cast<int>((*rows)[0].Int(0)) : -1;
    }

    std::int64_t national_ = 0, banking_ = 0, banking2_ = 0, telecom_ = 0, energy_ = 0, reporter_ = 0, council_ = 0;
    access::Policy policy_;
    notify::Notifier notifier_{"CERT <cert@cert.example.pk>"};
    fs::path dir_;
    std::unique_ptr<IncidentStore> store_;
};

TEST_P(IncidentStoreTest, IntakeReferencesSearchAndFilters) {
    const Principal rep = P(4, Role::kReporter, reporter_);
    auto a = store_->Create(Input("Bank A online banking", 4), &rep, A(rep), "api");
    ASSERT_TRUE(a) << a.error().message;
    const std::string year = core::FormatRfc3339(core::NowMicros()).substr(0, 4);
    EXPECT_EQ(a->reference, "INC-" + year + "-000001");
    EXPECT_EQ(a->status, Status::kNew);
    EXPECT_EQ(a->handling.name, "Banking CERT");  // the nearest CERT above the constituent
    EXPECT_EQ(a->sector, "banking");
    EXPECT_EQ(a->regime, "nis2");
    EXPECT_EQ(a->deadlines.size(), 4u);  // acknowledge (high), early warning, notification, final
    ASSERT_TRUE(a->next_due_at);
    EXPECT_EQ(a->tlp, "TLP:AMBER");
    const Principal nat = P(1, Role::kAnalyst, national_);
    auto b = store_->Create(Input("Telecom DDoS", 1, {"availability", "ddos"}), &nat, A(nat), "api");
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->reference, "INC-" + year + "-000002");
    // Task templates of the classification were added.
    auto tasks = store_->Tasks(b->uuid, &nat);
    ASSERT_TRUE(tasks);
    EXPECT_EQ(tasks->size(), 2u);

    IncidentFilter f;
    f.q = "online banking";
    auto page = store_->List(f, &nat);
    ASSERT_TRUE(page) << page.error().message;
    ASSERT_EQ(page->total, 1);
    EXPECT_EQ(page->items[0].reference, a->reference);
    f.q = "fake login";  // the description
    EXPECT_EQ(store_->List(f, &nat)->total, 2);
    f.q = a->reference;
    EXPECT_EQ(store_->List(f, &nat)->total, 1);
    f.q = "ransomware";
    EXPECT_EQ(store_->List(f, &nat)->total, 0);
    IncidentFilter c;
    c.classes = {{"availability", ""}};
    EXPECT_EQ(store_->List(c, &nat)->total, 1);
    // The class bits of the filter index: a type, an unknown class, several classes, and the
    // bits follow a change of classification.
    c.classes = {{"availability", "ddos"}};
    EXPECT_EQ(store_->List(c, &nat)->total, 1);
    c.classes = {{"availability", "outage"}};
    EXPECT_EQ(store_->List(c, &nat)->total, 0);
    c.classes = {{"no-such-class", ""}};
    EXPECT_EQ(store_->List(c, &nat)->total, 0);
    c.classes = {{"availability", ""}, {"fraud", ""}};
    EXPECT_EQ(store_->List(c, &nat)->total, 2);
    {
        IncidentInput reclass;
        reclass.classification = std::vector<Classification>{{"fraud", "phishing"}};
        auto u = store_->Update(b->uuid, reclass, std::nullopt, &nat, A(nat));
        ASSERT_TRUE(u) << u.error().message;
        c.classes = {{"availability", ""}};
        EXPECT_EQ(store_->List(c, &nat)->total, 0);
        c.classes = {{"fraud", ""}};
        EXPECT_EQ(store_->List(c, &nat)->total, 2);
        reclass.classification = std::vector<Classification>{{"availability", "ddos"}};
        ASSERT_TRUE(store_->Update(b->uuid, reclass, std::nullopt, &nat, A(nat)));
        c.classes = {{"availability", ""}};
        EXPECT_EQ(store_->List(c, &nat)->total, 1);
    }
    IncidentFilter s;
    s.statuses = {Status::kNew};
    s.limit = 1;
    auto p1 = store_->List(s, &nat);
    ASSERT_TRUE(p1);
    EXPECT_EQ(p1->total, 2);
    ASSERT_TRUE(p1->next);
    s.cursor = *p1->next;
    auto p2 = store_->List(s, &nat);
    ASSERT_EQ(p2->items.size(), 1u);
    EXPECT_NE(p2->items[0].reference, p1->items[0].reference);
    EXPECT_FALSE(p2->next);
    IncidentFilter q;
    q.queue = "triage";
    EXPECT_EQ(store_->List(q, &nat)->total, 2);
    IncidentFilter o;
    o.organisation = OrgUuid(2);  // the banking subtree
    EXPECT_EQ(store_->List(o, &nat)->total, 1);
    auto csv = store_->ExportCsv(IncidentFilter{}, &nat);
    ASSERT_TRUE(csv);
    EXPECT_NE(csv->find(a->reference), std::string::npos);
    EXPECT_EQ(std::count(csv->begin(), csv->end(), '\n'), 3);
    // An unknown organisation in the input is a 400, not a lost report.
    auto bad = Input("x", 4);
    bad.organisation = "00000000-0000-7000-8000-999999999999";
    EXPECT_EQ(store_->Create(bad, &nat, A(nat), "api").error().code, core::ErrorCode::kInvalidArgument);
}

TEST_P(IncidentStoreTest, SiblingSectorsAndTheCouncilSeeNothing) {
    const Principal rep = P(4, Role::kReporter, reporter_);
    auto a = store_->Create(Input("Bank A incident", 4), &rep, A(rep), "api");
    ASSERT_TRUE(a);
    const Principal bank = P(2, Role::kAnalyst, banking_), tel = P(3, Role::kAnalyst, telecom_),
                    energy = P(20, Role::kAnalyst, energy_), council = P(5, Role::kCouncil, council_);
    EXPECT_TRUE(store_->Get(a->uuid, &bank));
    EXPECT_TRUE(store_->Get(a->reference, &rep));
    EXPECT_EQ(store_->Get(a->uuid, &tel).error().code, core::ErrorCode::kNotFound);
    EXPECT_EQ(store_->Get(a->uuid, &energy).error().code, core::ErrorCode::kNotFound);  // "/1/20/" vs "/1/2/"
    EXPECT_EQ(store_->Get(a->uuid, &council).error().code, core::ErrorCode::kNotFound);
    EXPECT_EQ(store_->List(IncidentFilter{}, &tel)->total, 0);
    EXPECT_EQ(store_->List(IncidentFilter{}, &council)->total, 0);
    EXPECT_EQ(store_->Timeline(a->uuid, &tel).error().code, core::ErrorCode::kNotFound);
    // The Council sees aggregates of everything.
    auto stats = store_->Stats(council, std::nullopt, std::nullopt);
    ASSERT_TRUE(stats) << stats.error().message;
    EXPECT_EQ(stats->at("total").as_int64(), 1);
    EXPECT_EQ(core::ToJson(stats->at("by_sector")), R"([{"key":"banking","count":1}])");
    // A reporter may comment but not triage.
    IncidentInput triage;
    triage.status = Status::kTriaged;
    EXPECT_EQ(store_->Update(a->uuid, triage, std::nullopt, &rep, A(rep)).error().code,
              core::ErrorCode::kPermissionDenied);
    EXPECT_TRUE(store_->AddComment(a->uuid, "More details: the site moved.", &rep, A(rep)));
}

TEST_P(IncidentStoreTest, ConfidentialIncidentsOnlyForTheirMembers) {
    const Principal bank = P(2, Role::kAnalyst, banking_), bank2 = P(2, Role::kAnalyst, banking2_),
                    nat = P(1, Role::kAnalyst, national_);
    auto in = Input("Insider at Bank A", 4, {"intrusions", "privileged-account-compromise"});
    in.confidential = true;
    auto c = store_->Create(in, &bank, A(bank), "api");
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_TRUE(store_->Get(c->uuid, &bank));
    EXPECT_EQ(store_->Get(c->uuid, &bank2).error().code, core::ErrorCode::kNotFound);  // same CERT
    EXPECT_EQ(store_->Get(c->uuid, &nat).error().code, core::ErrorCode::kNotFound);
    EXPECT_EQ(store_->List(IncidentFilter{}, &bank2)->total, 0);
    IncidentInput members;
    members.members = std::vector<std::string>{"bank-analyst2"};
    auto u = store_->Update(c->uuid, members, std::nullopt, &bank, A(bank));
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_TRUE(store_->Get(c->uuid, &bank2));
    EXPECT_TRUE(store_->Get(c->uuid, &bank));  // the editor keeps access
}

TEST_P(IncidentStoreTest, LifecycleTransitionsWithWhoAndWhy) {
    const Principal bank = P(2, Role::kAnalyst, banking_);
    auto a = store_->Create(Input("Lifecycle", 4), &bank, A(bank), "api");
    ASSERT_TRUE(a);
    IncidentInput close;
    close.status = Status::kClosed;
    auto bad = store_->Update(a->uuid, close, std::nullopt, &bank, A(bank));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, core::ErrorCode::kConflict);
    EXPECT_NE(bad.error().message.find("allowed: triaged, rejected"), std::string::npos) << bad.error().message;
    EXPECT_EQ(store_->Get(a->uuid, &bank)->version, 1);  // nothing changed
    IncidentInput stale;
    stale.title = "New title";
    EXPECT_EQ(store_->Update(a->uuid, stale, 7, &bank, A(bank)).error().code, core::ErrorCode::kPreconditionFailed);
    for (Status s : {Status::kTriaged, Status::kInProgress, Status::kContained, Status::kResolved, Status::kClosed}) {
        IncidentInput step;
        step.status = s;
        step.reason = "step";
        auto r = store_->Update(a->uuid, step, std::nullopt, &bank, A(bank));
        ASSERT_TRUE(r) << StatusName(s) << ": " << r.error().message;
        EXPECT_EQ(r->status, s);
    }
    auto closed = store_->Get(a->uuid, &bank);
    ASSERT_TRUE(closed->acknowledged_at && closed->resolved_at && closed->closed_at);
    for (const auto& d : closed->deadlines) {
        if (d.kind == DeadlineKind::kAcknowledge) {
            EXPECT_TRUE(d.met_at);
        }
    }
    EXPECT_FALSE(closed->next_due_at);  // closed incidents leave the due queues
    IncidentInput reopen;
    reopen.status = Status::kInProgress;
    EXPECT_EQ(store_->Update(a->uuid, reopen, std::nullopt, &bank, A(bank)).error().field, "reason");
    reopen.reason = "the phishing site is back";
    auto r = store_->Update(a->uuid, reopen, std::nullopt, &bank, A(bank));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, Status::kInProgress);
    EXPECT_FALSE(r->closed_at);
    auto timeline = store_->Timeline(a->uuid, &bank);
    ASSERT_TRUE(timeline);
    int status_entries = 0;
    for (const auto& e : *timeline)
        if (e.kind == "status") {
            ++status_entries;
            EXPECT_EQ(e.actor, "bank-analyst");
        }
    EXPECT_EQ(status_entries, 6);
    auto audit = Conn().Query("SELECT COUNT(*) FROM audit_log WHERE object_id = ? AND action = 'incident.transition'", {a->uuid});
    EXPECT_EQ((*audit)[0].Int(0), 6);
}

TEST_P(IncidentStoreTest, EscalationDelegationAndSharing) {
    const Principal rep = P(4, Role::kReporter, reporter_), bank = P(2, Role::kAnalyst, banking_),
                    nat = P(1, Role::kAnalyst, national_), tel = P(3, Role::kAnalyst, telecom_),
                    energy = P(20, Role::kAnalyst, energy_);
    ASSERT_TRUE(Conn().Execute("UPDATE organisations SET contacts = ? WHERE id IN (1, 20)",
                               {std::string(R"({"security_email":"soc@cert.example.pk"})")}));
    auto a = store_->Create(Input("Cross-sector", 4), &rep, A(rep), "api");
    ASSERT_TRUE(a);
    EXPECT_EQ(Notifications(a->uuid), 1);  // the Banking CERT was told
    auto up = store_->Escalate(a->uuid, "affects several sectors", &bank, A(bank));
    ASSERT_TRUE(up) << up.error().message;
    EXPECT_EQ(up->handling.name, "National CERT");
    EXPECT_EQ(store_->Escalate(up->uuid, "", &nat, A(nat)).error().code, core::ErrorCode::kConflict);
    // Delegation goes down to a CERT only.
    EXPECT_EQ(store_->Delegate(a->uuid, OrgUuid(4), "", &nat, A(nat)).error().code, core::ErrorCode::kInvalidArgument);
    auto down = store_->Delegate(a->uuid, OrgUuid(3), "telecom angle", &nat, A(nat));
    ASSERT_TRUE(down) << down.error().message;
    EXPECT_EQ(down->handling.name, "Telecom CERT");
    EXPECT_TRUE(store_->Get(a->uuid, &tel));      // the handling CERT sees it now
    EXPECT_TRUE(store_->Get(a->uuid, &bank));     // and the constituent's CERT still does
    EXPECT_FALSE(store_->Get(a->uuid, &energy));
    auto shared = store_->Share(a->uuid, OrgUuid(20), "read", "for awareness", &tel, A(tel));
    ASSERT_TRUE(shared) << shared.error().message;
    EXPECT_TRUE(store_->Get(a->uuid, &energy));
    IncidentInput change;
    change.title = "Energy edit";
    EXPECT_EQ(store_->Update(a->uuid, change, std::nullopt, &energy, A(energy)).error().code,
              core::ErrorCode::kPermissionDenied);
    EXPECT_EQ(Notifications(a->uuid), 4);  // created, escalated, delegated, shared
    auto timeline = store_->Timeline(a->uuid, &nat);
    std::vector<std::string> kinds;
    for (const auto& e : *timeline) kinds.push_back(e.kind);
    EXPECT_EQ(kinds, (std::vector<std::string>{"created", "escalation", "delegation", "share"}));
    for (const char* action : {"incident.escalate", "incident.delegate", "incident.share"}) {
        auto audit = Conn().Query("SELECT COUNT(*) FROM audit_log WHERE object_id = ? AND action = ?",
                                  {a->uuid, std::string(action)});
        EXPECT_EQ((*audit)[0].Int(0), 1) << action;
    }
}

TEST_P(IncidentStoreTest, AttachmentsObservablesLinksAndMerges) {
    const Principal bank = P(2, Role::kAnalyst, banking_);
    auto a = store_->Create(Input("First", 4), &bank, A(bank), "api");
    auto b = store_->Create(Input("Second", 4), &bank, A(bank), "api");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(store_->AddAttachment(a->uuid, "big.bin", "", std::string(2000, 'x'), &bank, A(bank)).error().code,
              core::ErrorCode::kPayloadTooLarge);
    auto att = store_->AddAttachment(a->uuid, "../evil/notes.txt", "text/plain", "hello", &bank, A(bank));
    ASSERT_TRUE(att) << att.error().message;
    EXPECT_EQ(att->filename, "notes.txt");
    EXPECT_EQ(att->sha256, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    auto read = store_->ReadAttachment(a->uuid, att->uuid, &bank);
    ASSERT_TRUE(read);
    EXPECT_EQ(read->second, "hello");
    ASSERT_TRUE(store_->AddObservable(a->uuid, "ip", "203.0.113.7", std::nullopt, "", &bank, A(bank)));
    EXPECT_EQ(store_->AddObservable(a->uuid, "ip", "203.0.113.7", std::nullopt, "", &bank, A(bank)).error().code,
              core::ErrorCode::kConflict);
    EXPECT_EQ(store_->AddObservable(a->uuid, "ip", "nope", std::nullopt, "", &bank, A(bank)).error().code,
              core::ErrorCode::kInvalidArgument);
    auto seen = store_->AddObservable(b->uuid, "ip", "203.0.113.7", "TLP:RED", "", &bank, A(bank));
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->tlp, "TLP:RED");
    EXPECT_EQ(seen->seen_in, std::vector<std::string>{a->reference});
    ASSERT_TRUE(store_->Link(a->uuid, b->reference, &bank, A(bank)));
    EXPECT_EQ(*store_->Links(b->uuid, &bank), std::vector<std::string>{a->reference});
    auto merged = store_->Merge(a->uuid, b->uuid, "duplicate", &bank, A(bank));
    ASSERT_TRUE(merged) << merged.error().message;
    EXPECT_EQ(merged->status, Status::kMerged);
    EXPECT_EQ(merged->merged_into, b->reference);
    EXPECT_EQ(store_->Attachments(b->uuid, &bank)->size(), 1u);
    IncidentInput change;
    change.title = "x";
    EXPECT_EQ(store_->Update(a->uuid, change, std::nullopt, &bank, A(bank)).error().code, core::ErrorCode::kConflict);
}

TEST_P(IncidentStoreTest, BulkCreateAndBulkClose) {
    const Principal bank = P(2, Role::kAnalyst, banking_);
    std::vector<IncidentInput> inputs;
    for (int i = 0; i < 20; ++i) inputs.push_back(Input("Bulk " + std::to_string(i), 4));
    auto bad = inputs;
    bad[7].classification = std::vector<Classification>{{"nonsense", ""}};
    bad[7].organisation = "00000000-0000-7000-8000-999999999999";
    auto refused = store_->CreateMany(bad, &bank, A(bank));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().field, "incidents[7].organisation_id");
    EXPECT_EQ(store_->List(IncidentFilter{}, &bank)->total, 0);  // all or nothing
    auto created = store_->CreateMany(inputs, &bank, A(bank));
    ASSERT_TRUE(created) << created.error().message;
    ASSERT_EQ(created->size(), 20u);
    EXPECT_EQ(store_->List(IncidentFilter{}, &bank)->total, 20);
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) ids.push_back((*created)[i].uuid);
    IncidentInput assign;
    assign.assignee = std::optional<std::string>{"bank-analyst2"};
    auto r = store_->BulkUpdate(ids, assign, &bank, A(bank));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->updated.size(), 5u);
    IncidentInput close;
    close.status = Status::kClosed;
    auto c = store_->BulkUpdate(ids, close, &bank, A(bank));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->failed.size(), 5u);  // new incidents cannot be closed
    EXPECT_EQ(c->failed[0].second.code, core::ErrorCode::kConflict);
    IncidentFilter mine;
    mine.assignee = "bank-analyst2";
    EXPECT_EQ(store_->List(mine, &bank)->total, 5);
}

TEST_P(IncidentStoreTest, DeadlineRemindersAndCompliance) {
    const Principal bank = P(2, Role::kAnalyst, banking_);
    auto in = Input("Deadlines", 4);
    in.severity = Severity::kCritical;
    auto a = store_->Create(in, &bank, A(bank), "api");
    ASSERT_TRUE(a);
    const Micros now = core::NowMicros();
    // 30 minutes before the 1 h acknowledge deadline: a reminder; nothing else is near.
    auto first = store_->ProcessDeadlines(a->created_at + 30 * notify::kMinute);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(*first, 1);
    EXPECT_EQ(*store_->ProcessDeadlines(a->created_at + 31 * notify::kMinute), 0);  // once
    // Far later: every deadline is overdue, each reported once.
    EXPECT_EQ(*store_->ProcessDeadlines(now + 400LL * 86400 * 1000000), 4);
    IncidentFilter overdue;
    overdue.overdue = true;
    EXPECT_EQ(store_->List(overdue, &bank)->total, 0);  // not yet, at the real now
    auto met = store_->MeetDeadline(a->uuid, DeadlineKind::kEarlyWarning, std::nullopt, &bank, A(bank));
    ASSERT_TRUE(met) << met.error().message;
    EXPECT_EQ(store_->MeetDeadline(a->uuid, DeadlineKind::kEarlyWarning, std::nullopt, &bank, A(bank)).error().code,
              core::ErrorCode::kConflict);
    auto stats = store_->Stats(bank, std::nullopt, std::nullopt);
    ASSERT_TRUE(stats);
    EXPECT_NE(core::ToJson(stats->at("deadline_compliance")).find(R"("kind":"early_warning","met_on_time":1)"),
              std::string::npos)
        << core::ToJson(*stats);
}

TEST_P(IncidentStoreTest, MailIntakeOnRealMessages) {
    auto add = Conn().Execute("INSERT INTO organisation_domains (organisation_id, domain) VALUES (4, 'bank-a.example.pk')");
    ASSERT_TRUE(add) << add.error().message;
    MailIntake intake(*store_);
    auto plain = notify::ParseMailMessage(ReadMail("plain.eml"));
    ASSERT_TRUE(plain);
    auto created = intake.Take(*plain);
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_FALSE(created->appended);
    auto inc = store_->Get(created->reference, nullptr);
    ASSERT_TRUE(inc);
    EXPECT_EQ(inc->title, "Phishing site imitating our online banking");
    EXPECT_EQ(inc->organisation.name, "Bank A");  // by the sender's registered domain
    EXPECT_EQ(inc->handling.name, "Banking CERT");
    EXPECT_EQ(inc->reporter_email, "ayesha.khan@bank-a.example.pk");
    EXPECT_EQ(inc->source, "email");
    // The reply names the reference: it lands on the timeline with its attachment.
    std::string reply = ReadMail("reference.eml");
    reply.replace(reply.find("INC-2026-000001"), 15, created->reference);
    auto parsed = notify::ParseMailMessage(reply);
    ASSERT_TRUE(parsed);
    auto appended = intake.Take(*parsed);
    ASSERT_TRUE(appended) << appended.error().message;
    EXPECT_TRUE(appended->appended);
    EXPECT_EQ(appended->attachments, 1);
    auto timeline = store_->Timeline(inc->uuid, nullptr);
    EXPECT_EQ(timeline->back().kind, "attachment");
    EXPECT_EQ((*timeline)[timeline->size() - 2].kind, "email");
    EXPECT_NE((*timeline)[timeline->size() - 2].text.find("still up"), std::string::npos);
    // Multipart with two attachments from an unknown domain: the National CERT's queue.
    auto multi = intake.Take(*notify::ParseMailMessage(ReadMail("multipart.eml")));
    ASSERT_TRUE(multi);
    EXPECT_EQ(multi->attachments, 2);
    EXPECT_EQ(store_->Get(multi->reference, nullptr)->handling.name, "National CERT");
    // An unknown reference is an error (kept in the dead-letter folder by mail-ingest).
    std::string unknown = ReadMail("reference.eml");
    auto missing = intake.Take(*notify::ParseMailMessage(unknown.replace(unknown.find("INC-2026-000001"), 15, "INC-1999-000042")));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
    auto dead = DeadLetter(dir_ / "dead", ReadMail("broken.eml"), "not a message");
    ASSERT_TRUE(dead);
    EXPECT_TRUE(fs::exists(*dead));
}

TEST_P(IncidentStoreTest, NotificationsReachARealSmtpServer) {
    const int port = muhafiz::testing::FreeLoopbackPort();
    const fs::path maildir = dir_ / "maildir";
    fs::create_directories(dir_);
    muhafiz::testing::SupportScript sink("smtp_sink.py", {std::to_string(port), maildir.string()});
    const Principal rep = P(4, Role::kReporter, reporter_), bank = P(2, Role::kAnalyst, banking_);
    auto a = store_->Create(Input("Mail me", 4), &rep, A(rep), "api");
    ASSERT_TRUE(a);
    ASSERT_TRUE(store_->Delegate(a->uuid, OrgUuid(2), "", &bank, A(bank)).error().code == core::ErrorCode::kInvalidArgument);
    ASSERT_TRUE(store_->AddComment(a->uuid, "Customers report a second domain.", &rep, A(rep)));
    notify::SmtpConfig smtp;
    smtp.url = "smtp://127.0.0.1:" + std::to_string(port);
    smtp.from = "cert@cert.example.pk";
    smtp.timeout = std::chrono::seconds(10);
    notify::Dispatcher dispatcher(*db_, std::make_unique<notify::SmtpChannel>(smtp), nullptr);
    ASSERT_TRUE(dispatcher.Flush(std::chrono::seconds(20)));
    std::vector<std::string> got;
    for (int i = 0; i < 100 && got.size() < 2; ++i) {
        got.clear();
        if (fs::exists(maildir / "new"))
            for (const auto& f : fs::directory_iterator(maildir / "new")) {
                std::ifstream in(f.path(), std::ios::binary);
                got.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            }
        if (got.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(got.size(), 2u);
    for (const auto& m : got) {
        EXPECT_NE(m.find("X-RcptTo: soc@banking-cert.example.pk"), std::string::npos) << m;
        EXPECT_NE(m.find("[" + a->reference + "]"), std::string::npos);
    }
    auto log = store_->Notifications(a->uuid, &bank);
    ASSERT_TRUE(log);
    ASSERT_EQ(log->size(), 2u);
    EXPECT_EQ((*log)[0].status, notify::NotificationStatus::kDelivered);
}

INSTANTIATE_TEST_SUITE_P(Backends, IncidentStoreTest, ::testing::ValuesIn(db::testing::BackendNames()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace muhafiz::incidents
