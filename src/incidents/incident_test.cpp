// Pure rules of incidents: the RSIT taxonomy, lifecycle transitions, value checks, custom fields,
// the reporting-regimes file and the deadline engine against hand-computed due times.
#include <gtest/gtest.h>

#include "core/time.hpp"
#include "incidents/incident.hpp"
#include "incidents/incident_store.hpp"
#include "incidents/mail_intake.hpp"
#include "incidents/regimes.hpp"

namespace muhafiz::incidents {
namespace {

core::Micros T(const char* rfc3339) { return *core::ParseRfc3339(rfc3339); }

TEST(Taxonomy, LoadsTheMachineValuesOfRsit) {
    const auto& t = RsitTaxonomy();
    ASSERT_EQ(t.size(), 11u);
    EXPECT_TRUE(ValidateClassification({"fraud", "phishing"}));
    EXPECT_TRUE(ValidateClassification({"malicious-code", "c2-server"}));
    EXPECT_TRUE(ValidateClassification({"intrusions", ""}));
    auto bad_class = ValidateClassification({"phishing", ""});
    ASSERT_FALSE(bad_class);
    EXPECT_EQ(bad_class.error().field, "classification");
    EXPECT_FALSE(ValidateClassification({"fraud", "ddos"}));  // a type of another class
    EXPECT_EQ(ClassificationName({"fraud", "phishing"}), "Fraud / Phishing");
}

TEST(Lifecycle, OnlyTheAllowedTransitions) {
    using S = Status;
    auto allowed = [](S from, S to) {
        auto a = AllowedTransitions(from);
        return std::find(a.begin(), a.end(), to) != a.end();
    };
    EXPECT_TRUE(allowed(S::kNew, S::kTriaged));
    EXPECT_TRUE(allowed(S::kNew, S::kRejected));
    EXPECT_FALSE(allowed(S::kNew, S::kClosed));
    EXPECT_FALSE(allowed(S::kNew, S::kResolved));
    EXPECT_TRUE(allowed(S::kTriaged, S::kInProgress));
    EXPECT_TRUE(allowed(S::kInProgress, S::kContained));
    EXPECT_TRUE(allowed(S::kContained, S::kResolved));
    EXPECT_TRUE(allowed(S::kResolved, S::kClosed));
    EXPECT_TRUE(allowed(S::kClosed, S::kInProgress));  // reopening
    EXPECT_FALSE(allowed(S::kClosed, S::kNew));
    EXPECT_TRUE(AllowedTransitions(S::kMerged).empty());
    for (S s : {S::kNew, S::kTriaged, S::kInProgress, S::kContained, S::kResolved, S::kClosed, S::kRejected})
        EXPECT_FALSE(allowed(s, S::kMerged)) << StatusName(s);
    EXPECT_EQ(*ParseStatus("in_progress"), S::kInProgress);
    EXPECT_FALSE(ParseStatus("open"));
}

TEST(Values, TlpPapAndObservables) {
    EXPECT_EQ(*NormaliseTlp("amber"), "TLP:AMBER");
    EXPECT_EQ(*NormaliseTlp("TLP:WHITE"), "TLP:CLEAR");
    EXPECT_EQ(*NormaliseTlp("tlp:amber+strict"), "TLP:AMBER+STRICT");
    EXPECT_FALSE(NormaliseTlp("TLP:BLUE"));
    EXPECT_EQ(*NormalisePap("pap:red"), "PAP:RED");
    EXPECT_EQ(*NormaliseObservable("ip", " 203.0.113.7 "), "203.0.113.7");
    EXPECT_EQ(*NormaliseObservable("cidr", "198.51.100.0/24"), "198.51.100.0/24");
    EXPECT_EQ(*NormaliseObservable("domain", "Evil.Example.NET"), "evil.example.net");
    EXPECT_EQ(*NormaliseObservable("asn", "AS64500"), "64500");
    EXPECT_EQ(*NormaliseObservable("email", "Bad@Example.com"), "bad@example.com");
    EXPECT_EQ(*NormaliseObservable("hash", "D41D8CD98F00B204E9800998ECF8427E"), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_FALSE(NormaliseObservable("hash", "xyz"));
    EXPECT_FALSE(NormaliseObservable("ip", "999.1.1.1"));
    EXPECT_FALSE(NormaliseObservable("url", "not a url"));
    EXPECT_FALSE(NormaliseObservable("colour", "red"));
}

TEST(CustomFields, TypesAndMandatoryFields) {
    std::vector<FieldDefinition> defs = {{"ticket", FieldType::kString, true, "Ticket"},
                                         {"loss", FieldType::kNumber, false, "Loss"},
                                         {"reported_to_police", FieldType::kBoolean, false, ""},
                                         {"police_date", FieldType::kDate, false, ""},
                                         {"evidence", FieldType::kUrl, false, ""}};
    core::json::object ok{{"ticket", "T-1"}, {"loss", 1200.5}, {"reported_to_police", true},
                          {"police_date", "2026-03-01"}, {"evidence", "https://files.example/1"}};
    EXPECT_TRUE(ValidateCustomFields(ok, defs));
    auto missing = ValidateCustomFields(core::json::object{{"loss", 1}}, defs);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().field, "custom_fields.ticket");
    auto wrong = ValidateCustomFields(core::json::object{{"ticket", "x"}, {"loss", "a lot"}}, defs);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().field, "custom_fields.loss");
    EXPECT_FALSE(ValidateCustomFields(core::json::object{{"ticket", "x"}, {"colour", "red"}}, defs));
    EXPECT_FALSE(ValidateCustomFields(core::json::object{{"ticket", "x"}, {"police_date", "yesterday"}}, defs));
    EXPECT_FALSE(ValidateCustomFields(core::json::object{{"ticket", "x"}, {"evidence", "ftp://x"}}, defs));
}

TEST(Durations, ParseAndCalendarMonths) {
    EXPECT_EQ(ParseDuration("45m", "x")->micros, 45LL * 60 * 1000000);
    EXPECT_EQ(ParseDuration("4h", "x")->micros, 4LL * 3600 * 1000000);
    EXPECT_EQ(ParseDuration("30d", "x")->micros, 30LL * 86400 * 1000000);
    EXPECT_EQ(ParseDuration("1mo", "x")->months, 1);
    EXPECT_FALSE(ParseDuration("4 hours", "x"));
    EXPECT_FALSE(ParseDuration("h", "x"));
    // 31 January + 1 month is the last day of February, same time of day.
    EXPECT_EQ(AddDuration(T("2026-01-31T10:00:00Z"), *ParseDuration("1mo", "x")), T("2026-02-28T10:00:00Z"));
    EXPECT_EQ(AddDuration(T("2028-01-31T10:00:00Z"), *ParseDuration("1mo", "x")), T("2028-02-29T10:00:00Z"));
    EXPECT_EQ(AddDuration(T("2026-12-15T23:59:00Z"), *ParseDuration("1mo", "x")), T("2027-01-15T23:59:00Z"));
}

TEST(Deadlines, NationalDefaultAgainstHandComputedTimes) {
    const RegimeSet& set = RegimeSet::Default();
    const Regime& national = set.ForSector("");  // unmapped sectors get the default
    EXPECT_EQ(national.key, "national");
    const auto reported = T("2026-03-10T09:20:00Z");
    const auto aware = T("2026-03-10T08:00:00Z");
    auto d = ComputeDeadlines(national, Severity::kCritical, reported, aware);
    ASSERT_EQ(d.size(), 4u);
    EXPECT_EQ(d[0].kind, DeadlineKind::kAcknowledge);
    EXPECT_EQ(d[0].due_at, T("2026-03-10T10:20:00Z"));  // 1 h after the report
    EXPECT_EQ(d[1].kind, DeadlineKind::kEarlyWarning);
    EXPECT_EQ(d[1].due_at, T("2026-03-11T08:00:00Z"));  // 24 h after aware_at
    EXPECT_EQ(d[2].kind, DeadlineKind::kNotification);
    EXPECT_EQ(d[2].due_at, T("2026-03-13T08:00:00Z"));  // 72 h
    EXPECT_EQ(d[3].kind, DeadlineKind::kFinalReport);
    EXPECT_EQ(d[3].due_at, T("2026-04-09T08:00:00Z"));  // 30 days
    auto high = ComputeDeadlines(national, Severity::kHigh, reported, aware);
    EXPECT_EQ(high[0].due_at, T("2026-03-10T13:20:00Z"));  // 4 h
}

TEST(Deadlines, Nis2AndCertInBySector) {
    const RegimeSet& set = RegimeSet::Default();
    const Regime& nis2 = set.ForSector("banking");
    EXPECT_EQ(nis2.key, "nis2");
    auto d = ComputeDeadlines(nis2, Severity::kLow, T("2026-01-31T12:00:00Z"), T("2026-01-31T06:00:00Z"));
    ASSERT_EQ(d.size(), 3u);  // no acknowledge time for low severity under NIS2
    EXPECT_EQ(d[0].kind, DeadlineKind::kEarlyWarning);
    EXPECT_EQ(d[0].due_at, T("2026-02-01T06:00:00Z"));
    EXPECT_EQ(d[1].due_at, T("2026-02-03T06:00:00Z"));
    EXPECT_EQ(d[2].due_at, T("2026-02-28T06:00:00Z"));  // one calendar month, clamped
    const Regime& certin = set.ForSector("telecom");
    EXPECT_EQ(certin.key, "cert-in");
    auto c = ComputeDeadlines(certin, Severity::kMedium, T("2026-05-01T00:00:00Z"), T("2026-04-30T22:30:00Z"));
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].kind, DeadlineKind::kNotification);
    EXPECT_EQ(c[0].due_at, T("2026-05-01T04:30:00Z"));  // 6 h
}

TEST(Regimes, OperatorFileIsCheckedWithClearErrors) {
    auto ok = RegimeSet::Parse(R"({"default_regime":"a","regimes":{"a":{"notification":"2h"}},
                                   "sectors":{"water":"a"},"task_templates":{"fraud/phishing":["Take down"]}})");
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->ForSector("water").key, "a");
    EXPECT_EQ(ok->TaskTemplates({{"fraud", "phishing"}}), std::vector<std::string>{"Take down"});
    auto unknown_regime = RegimeSet::Parse(R"({"regimes":{"a":{}},"sectors":{"water":"b"}})");
    ASSERT_FALSE(unknown_regime);
    EXPECT_EQ(unknown_regime.error().field, "sectors.water");
    auto bad_duration = RegimeSet::Parse(R"({"regimes":{"a":{"acknowledge":{"critical":"soon"}}}})");
    ASSERT_FALSE(bad_duration);
    EXPECT_EQ(bad_duration.error().field, "regimes.a.acknowledge.critical");
    EXPECT_FALSE(RegimeSet::Parse(R"({"regimes":{"a":{"deadline":"1h"}}})"));
    EXPECT_FALSE(RegimeSet::Parse(R"({"regimes":{}})"));
    EXPECT_FALSE(RegimeSet::Parse(R"({"regimes":{"a":{}},"task_templates":{"nonsense":["x"]}})"));
    EXPECT_FALSE(RegimeSet::Load("/nonexistent/regimes.json"));
}

TEST(MailIntake, ReferenceInSubject) {
    EXPECT_EQ(ReferenceInSubject("Re: [INC-2026-000123] Phishing"), "INC-2026-000123");
    EXPECT_EQ(ReferenceInSubject("[inc-2026-000001]"), "INC-2026-000001");
    EXPECT_EQ(ReferenceInSubject("INC-2026-000123 without brackets"), "");
    EXPECT_EQ(ReferenceInSubject("[INC-2026-12345]"), "");
    EXPECT_EQ(ReferenceInSubject(""), "");
}

TEST(Json, InputRejectsUnknownClassificationAndFields) {
    auto ok = InputFromJson(*core::ParseJsonObject(
                                R"({"title":"x","classification":[{"class":"fraud","type":"phishing"}],"tlp":"amber"})"),
                            false);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(*ok->tlp, "TLP:AMBER");
    auto bad = InputFromJson(*core::ParseJsonObject(R"({"title":"x","classification":[{"class":"fraud","type":"spam"}]})"), false);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().field, "classification");
    EXPECT_FALSE(InputFromJson(*core::ParseJsonObject(R"({"title":"x","colour":"red"})"), false));
    EXPECT_FALSE(InputFromJson(*core::ParseJsonObject(R"({"description":"no title"})"), false));
    EXPECT_FALSE(InputFromJson(*core::ParseJsonObject(R"({"status":"closed"})"), false));  // create has no status
    EXPECT_TRUE(InputFromJson(*core::ParseJsonObject(R"({"status":"closed","reason":"done"})"), true));
}

}  // namespace
}  // namespace muhafiz::incidents
