#include "vulns/cvss.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/csv.hpp"

namespace muhafiz::vulns {
namespace {

// Rows of tests/data/cvss/<name> without the header; the header is checked against `columns`.
std::vector<std::vector<std::string>> ReadGolden(const std::string& name,
                                                 const std::vector<std::string>& columns) {
    const char* root = std::getenv("MUHAFIZ_SOURCE_DIR");
    const std::string dir = std::string(root ? root : ".") + "/tests/data/cvss/";
    std::ifstream in(dir + name, std::ios::binary);
    EXPECT_TRUE(in) << "cannot open " << dir + name << " (is MUHAFIZ_SOURCE_DIR set?)";
    std::stringstream text;
    text << in.rdbuf();
    const std::string content = text.str();
    core::CsvReader reader(content);
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> fields;
    bool header = true;
    while (true) {
        auto more = reader.Next(fields);
        EXPECT_TRUE(more.has_value()) << name << ":" << reader.line();
        if (!more || !*more) break;
        if (header) {
            EXPECT_EQ(fields, columns) << name;
            header = false;
            continue;
        }
        EXPECT_EQ(fields.size(), columns.size()) << name << ":" << reader.line();
        rows.push_back(fields);
    }
    return rows;
}

std::string Opt(const std::optional<double>& v) { return v ? FormatCvssScore(*v) : ""; }

// ------------------------------------------------------------------------------------------------
// Golden files: every vector, every column.

TEST(CvssGolden, V31ScoreAndSeverity) {
    auto rows = ReadGolden("cvss31.csv", {"vector", "score", "severity"});
    ASSERT_EQ(rows.size(), 300u);
    int checked = 0;
    for (const auto& row : rows) {
        auto r = ScoreCvss(row[0]);
        ASSERT_TRUE(r) << row[0] << ": " << r.error().message;
        EXPECT_EQ(r->version, CvssVersion::k31);
        EXPECT_EQ(FormatCvssScore(r->score), row[1]) << row[0];
        EXPECT_EQ(r->severity, row[2]) << row[0];
        EXPECT_EQ(FormatCvssLine(*r), row[0] + "\t" + row[1] + "\t" + row[2]);
        ++checked;
    }
    EXPECT_EQ(checked, 300);
}

TEST(CvssGolden, V31Detail) {
    auto rows =
        ReadGolden("cvss31-detail.csv", {"vector", "base", "temporal", "environmental", "overall"});
    ASSERT_EQ(rows.size(), 300u);
    for (const auto& row : rows) {
        auto r = ScoreCvss(row[0]);
        ASSERT_TRUE(r) << row[0] << ": " << r.error().message;
        EXPECT_EQ(FormatCvssScore(r->base), row[1]) << row[0];
        EXPECT_EQ(Opt(r->temporal), row[2]) << row[0];
        EXPECT_EQ(Opt(r->environmental), row[3]) << row[0];
        EXPECT_EQ(FormatCvssScore(r->score), row[4]) << row[0];
        EXPECT_FALSE(r->cvss_b);
        EXPECT_TRUE(r->nomenclature.empty());
    }
}

TEST(CvssGolden, V40ScoreAndSeverity) {
    auto rows = ReadGolden("cvss40.csv", {"vector", "score", "severity"});
    ASSERT_EQ(rows.size(), 300u);
    for (const auto& row : rows) {
        auto r = ScoreCvss(row[0]);
        ASSERT_TRUE(r) << row[0] << ": " << r.error().message;
        EXPECT_EQ(r->version, CvssVersion::k40);
        EXPECT_EQ(FormatCvssScore(r->score), row[1]) << row[0];
        EXPECT_EQ(r->severity, row[2]) << row[0];
        EXPECT_EQ(FormatCvssLine(*r), row[0] + "\t" + row[1] + "\t" + row[2]);
    }
}

TEST(CvssGolden, V40Detail) {
    auto rows =
        ReadGolden("cvss40-detail.csv", {"vector", "cvss_b", "cvss_bt", "cvss_be", "cvss_bte"});
    ASSERT_EQ(rows.size(), 300u);
    for (const auto& row : rows) {
        auto r = ScoreCvss(row[0]);
        ASSERT_TRUE(r) << row[0] << ": " << r.error().message;
        EXPECT_EQ(Opt(r->cvss_b), row[1]) << row[0];
        EXPECT_EQ(Opt(r->cvss_bt), row[2]) << row[0];
        EXPECT_EQ(Opt(r->cvss_be), row[3]) << row[0];
        EXPECT_EQ(Opt(r->cvss_bte), row[4]) << row[0];
        EXPECT_EQ(FormatCvssScore(r->base), row[1]) << row[0];
        EXPECT_EQ(FormatCvssScore(r->score), row[4]) << row[0];
        EXPECT_FALSE(r->temporal);
        EXPECT_FALSE(r->environmental);
    }
}

// ------------------------------------------------------------------------------------------------
// Score semantics.

double Score(std::string_view vector) {
    auto r = ScoreCvss(vector);
    EXPECT_TRUE(r) << vector << ": " << (r ? "" : r.error().message);
    return r ? r->score : -1.0;
}

TEST(CvssV31, AllNotDefinedEnvironmentKeepsTheBaseScore) {
    // The raw Environmental formula gives 8.2 here; an all-X group is not "present".
    const std::string base = "CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H";
    EXPECT_EQ(FormatCvssScore(Score(base)), "8.1");
    auto r = ScoreCvss(base +
                       "/E:X/RL:X/RC:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MPR:X/MUI:X/MS:X/MC:X/MI:X/MA:X");
    ASSERT_TRUE(r);
    EXPECT_EQ(FormatCvssScore(r->score), "8.1");
    EXPECT_FALSE(r->temporal);
    EXPECT_FALSE(r->environmental);
    // One real Environmental metric switches to the Environmental score.
    auto env = ScoreCvss(base + "/CR:M");
    ASSERT_TRUE(env);
    EXPECT_EQ(FormatCvssScore(*env->environmental), "8.2");
    EXPECT_EQ(FormatCvssScore(env->score), "8.2");
}

TEST(CvssV31, TemporalOnlyAndRoundup) {
    auto r = ScoreCvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U");
    ASSERT_TRUE(r);
    EXPECT_EQ(FormatCvssScore(r->base), "9.8");
    EXPECT_EQ(FormatCvssScore(*r->temporal), "7.8");  // 9.8 * 0.91 * 0.95 * 0.92 = 7.79...
    EXPECT_FALSE(r->environmental);
    EXPECT_EQ(r->severity, "HIGH");
    // The classic reflected-XSS vector.
    EXPECT_EQ(FormatCvssScore(Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")), "6.1");
}

TEST(CvssV31, ZeroImpactIsZero) {
    auto r = ScoreCvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N/MC:N");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->score, 0.0);
    EXPECT_EQ(r->severity, "NONE");
}

TEST(CvssV30, AcceptedAndScoredWithTheV31Formulas) {
    auto v30 = ScoreCvss("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/CR:H");
    auto v31 = ScoreCvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/CR:H");
    ASSERT_TRUE(v30);
    ASSERT_TRUE(v31);
    EXPECT_EQ(v30->version, CvssVersion::k30);
    EXPECT_EQ(CvssVersionName(v30->version), "3.0");
    EXPECT_EQ(v30->base, v31->base);
    EXPECT_EQ(v30->temporal, v31->temporal);
    EXPECT_EQ(v30->environmental, v31->environmental);
    EXPECT_EQ(v30->score, v31->score);
    EXPECT_EQ(FormatCvssLine(*v30), "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/CR:H\t" +
                                        FormatCvssScore(v31->score) + "\t" + v31->severity);
}

TEST(CvssV40, NomenclatureAndGroups) {
    const std::string base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    auto b = ScoreCvss(base);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->nomenclature, "CVSS-B");
    EXPECT_EQ(FormatCvssScore(b->score), "9.3");
    EXPECT_EQ(b->severity, "CRITICAL");

    auto bt = ScoreCvss(base + "/E:U");
    ASSERT_TRUE(bt);
    EXPECT_EQ(bt->nomenclature, "CVSS-BT");
    EXPECT_EQ(*bt->cvss_b, 9.3);
    EXPECT_LT(bt->score, b->score);
    EXPECT_EQ(*bt->cvss_bt, bt->score);
    EXPECT_EQ(*bt->cvss_be, 9.3);

    auto all_x = ScoreCvss(base + "/E:X/CR:X/MAV:X");
    ASSERT_TRUE(all_x);
    EXPECT_EQ(all_x->nomenclature, "CVSS-B");
    EXPECT_EQ(all_x->score, b->score);

    auto bte = ScoreCvss(base + "/E:P/MAV:L");
    ASSERT_TRUE(bte);
    EXPECT_EQ(bte->nomenclature, "CVSS-BTE");
    EXPECT_EQ(*bte->cvss_bte, bte->score);
}

TEST(CvssV40, SupplementalMetricsNeverChangeTheScore) {
    const std::string base = "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:P/VC:L/VI:H/VA:N/SC:L/SI:N/SA:H";
    const double plain = Score(base);
    for (const char* supplemental :
         {"/S:P/AU:Y/R:I/V:C/RE:H/U:Red", "/S:N/AU:N/R:A/V:D/RE:L/U:Clear", "/U:Green", "/U:Amber",
          "/S:X/AU:X/R:X/V:X/RE:X/U:X"}) {
        EXPECT_EQ(Score(base + supplemental), plain) << supplemental;
    }
    auto r = ScoreCvss(base + "/U:Red");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->nomenclature, "CVSS-B");
}

TEST(CvssV40, SafetyRaisesTheScore) {
    const std::string base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N";
    EXPECT_EQ(Score(base), 0.0);
    EXPECT_GT(Score(base + "/MSI:S"), 0.0);
    EXPECT_GT(Score(base + "/MSA:S"), 0.0);
}

// ------------------------------------------------------------------------------------------------
// Parsing: order, round trip, errors with positions.

TEST(CvssParse, MetricsInAnyOrderScoreTheSame) {
    EXPECT_EQ(Score("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N/RC:R/CR:L"),
              Score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/RC:R/CR:L"));
    EXPECT_EQ(Score("CVSS:4.0/E:P/SA:N/SI:N/SC:N/VA:H/VI:H/VC:H/UI:N/PR:N/AT:N/AC:L/AV:N/CR:L"),
              Score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P/CR:L"));
}

TEST(CvssParse, RoundTripKeepsTheVectorAsGiven) {
    for (const char* v :
         {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
          "CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N/E:X",
          "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Amber"}) {
        auto r = ScoreCvss(v);
        ASSERT_TRUE(r) << v;
        EXPECT_EQ(r->vector, v);
        auto again = ScoreCvss(r->vector);
        ASSERT_TRUE(again);
        EXPECT_EQ(again->score, r->score);
        EXPECT_EQ(again->severity, r->severity);
        // The CLI line splits back into the same three fields.
        const std::string line = FormatCvssLine(*r);
        const auto tab1 = line.find('\t'), tab2 = line.rfind('\t');
        EXPECT_EQ(line.substr(0, tab1), v);
        EXPECT_EQ(line.substr(tab1 + 1, tab2 - tab1 - 1), FormatCvssScore(r->score));
        EXPECT_EQ(line.substr(tab2 + 1), r->severity);
    }
}

struct Malformed {
    const char* vector;
    std::size_t position;
    const char* what;  // a fragment the message must contain
};

TEST(CvssParse, RejectsMalformedVectorsWithThePosition) {
    const std::string v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";  // 44 characters
    ASSERT_EQ(v31.size(), 44u);
    const Malformed cases[] = {
        {"", 1, "empty CVSS vector"},
        {"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 1, "unknown prefix 'AV:N'"},
        {"CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", 1, "unknown prefix 'CVSS:2.0'"},
        {"cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 1, "unknown prefix"},
        {"CVSS:3.1", 9, "no metrics after the prefix"},
        {"CVSS:3.1/", 9, "trailing '/'"},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", 45, "trailing '/'"},
        {"CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 15, "empty component"},
        {"CVSS:3.1//AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 10, "empty component"},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/AH", 42, "is not METRIC:VALUE"},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/:H", 42, "empty metric name"},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y", 46, "unknown metric 'XX'"},
        {"CVSS:3.1/AV:N/AC:L/AT:N/PR:N/UI:N/S:U/C:H/I:H/A:H", 20,
         "unknown metric 'AT' for CVSS 3.1"},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L", 46, "duplicate metric 'AV'"},
        {"CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 13, "bad value 'Q' for metric AV"},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:A", 48, "bad value 'A' for metric E"},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MS:", 49, "missing value for metric MS"},
        {"CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 13, "bad value 'n'"},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", 41, "missing mandatory base metric A "},
        {"CVSS:3.1/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 40, "missing mandatory base metric AV"},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ", 44, "bad value 'H '"},
        {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", 59,
         "missing mandatory base metric SA"},
        {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSC:S", 69,
         "bad value 'S' for metric MSC"},
        {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:red", 67,
         "bad value 'red' for metric U"},
        {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:U", 67,
         "bad value 'U' for metric S (Safety"},  // S is Safety in 4.0, not Scope
        {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/RL:O", 65,
         "unknown metric 'RL' for CVSS 4.0"},
        {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/E:P", 69,
         "duplicate metric 'E'"},
    };
    for (const Malformed& c : cases) {
        auto r = ScoreCvss(c.vector);
        ASSERT_FALSE(r) << c.vector;
        EXPECT_EQ(r.error().code, core::ErrorCode::kInvalidArgument) << c.vector;
        EXPECT_EQ(r.error().field, "vector") << c.vector;
        EXPECT_NE(r.error().message.find(c.what), std::string::npos)
            << c.vector << " -> " << r.error().message;
        EXPECT_NE(r.error().message.find("at position " + std::to_string(c.position)),
                  std::string::npos)
            << c.vector << " -> " << r.error().message;
    }
}

TEST(CvssParse, LongTokensAreShortenedInMessages) {
    const std::string junk(500, 'Z');
    auto r = ScoreCvss("CVSS:3.1/" + junk + ":N");
    ASSERT_FALSE(r);
    EXPECT_LT(r.error().message.size(), 200u);
    EXPECT_NE(r.error().message.find("at position 10"), std::string::npos);
}

// Calls `check(vector, no_impact)` for every combination of the Base metrics `keys` with their
// `values` (one letter each); `impact_from` is the index of the first impact metric. Returns the
// number of vectors.
template <typename Check>
int ForEachBaseVector(const std::string& prefix, const std::vector<std::string>& keys,
                      const std::vector<std::string>& values, std::size_t impact_from,
                      Check check) {
    int count = 0;
    std::vector<std::size_t> pick(keys.size(), 0);
    while (true) {
        std::string v = prefix;
        bool no_impact = true;
        for (std::size_t k = 0; k < keys.size(); ++k) {
            const char value = values[k][pick[k]];
            v += '/';
            v += keys[k];
            v += ':';
            v += value;
            if (k >= impact_from && value != 'N') no_impact = false;
        }
        check(v, no_impact);
        ++count;
        std::size_t k = 0;
        while (k < keys.size() && ++pick[k] == values[k].size()) pick[k++] = 0;
        if (k == keys.size()) break;
    }
    return count;
}

// Every combination of Base metrics scores, within 0..10, and 0.0 exactly when nothing is hit.
TEST(CvssExhaustive, EveryV31BaseVector) {
    const int count = ForEachBaseVector("CVSS:3.1", {"AV", "AC", "PR", "UI", "S", "C", "I", "A"},
                                        {"NALP", "LH", "NLH", "NR", "UC", "HLN", "HLN", "HLN"}, 5,
                                        [](const std::string& v, bool no_impact) {
                                            auto r = ScoreCvss(v);
                                            ASSERT_TRUE(r) << v;
                                            ASSERT_GE(r->score, 0.0) << v;
                                            ASSERT_LE(r->score, 10.0) << v;
                                            ASSERT_EQ(r->score == 0.0, no_impact) << v;
                                        });
    EXPECT_EQ(count, 2592);
}

TEST(CvssExhaustive, EveryV40BaseVector) {
    const int count = ForEachBaseVector(
        "CVSS:4.0", {"AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"},
        {"NALP", "LH", "NP", "NLH", "NPA", "HLN", "HLN", "HLN", "HLN", "HLN", "HLN"}, 5,
        [](const std::string& v, bool no_impact) {
            auto r = ScoreCvss(v);
            ASSERT_TRUE(r) << v;
            ASSERT_GE(r->score, 0.0) << v;
            ASSERT_LE(r->score, 10.0) << v;
            ASSERT_EQ(r->score == 0.0, no_impact) << v;
            ASSERT_EQ(*r->cvss_b, r->score) << v;
        });
    EXPECT_EQ(count, 104976);
}

TEST(CvssSeverity, Bands) {
    EXPECT_EQ(CvssSeverity(0.0), "NONE");
    EXPECT_EQ(CvssSeverity(0.1), "LOW");
    EXPECT_EQ(CvssSeverity(3.9), "LOW");
    EXPECT_EQ(CvssSeverity(4.0), "MEDIUM");
    EXPECT_EQ(CvssSeverity(6.9), "MEDIUM");
    EXPECT_EQ(CvssSeverity(7.0), "HIGH");
    EXPECT_EQ(CvssSeverity(8.9), "HIGH");
    EXPECT_EQ(CvssSeverity(9.0), "CRITICAL");
    EXPECT_EQ(CvssSeverity(10.0), "CRITICAL");
    EXPECT_EQ(FormatCvssScore(10.0), "10.0");
    EXPECT_EQ(FormatCvssScore(0.0), "0.0");
}

}  // namespace
}  // namespace muhafiz::vulns
