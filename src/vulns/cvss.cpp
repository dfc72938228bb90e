#include "vulns/cvss.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <utility>

namespace muhafiz::vulns {
namespace {

// ---------------------------------------------------------------------------------------------
// Metric tables and parsing
// ---------------------------------------------------------------------------------------------

// Temporal (v3.x) and Threat (v4.0) share kTemporal.
enum class Group { kBase, kTemporal, kEnvironmental, kSupplemental };

struct MetricDef {
    std::string_view key;
    std::string_view name;
    Group group;
    std::string_view values;  // allowed values, separated by single blanks
};

constexpr MetricDef kMetrics3[] = {
    {"AV", "Attack Vector", Group::kBase, "N A L P"},
    {"AC", "Attack Complexity", Group::kBase, "L H"},
    {"PR", "Privileges Required", Group::kBase, "N L H"},
    {"UI", "User Interaction", Group::kBase, "N R"},
    {"S", "Scope", Group::kBase, "U C"},
    {"C", "Confidentiality", Group::kBase, "H L N"},
    {"I", "Integrity", Group::kBase, "H L N"},
    {"A", "Availability", Group::kBase, "H L N"},
    {"E", "Exploit Code Maturity", Group::kTemporal, "X U P F H"},
    {"RL", "Remediation Level", Group::kTemporal, "X O T W U"},
    {"RC", "Report Confidence", Group::kTemporal, "X U R C"},
    {"CR", "Confidentiality Requirement", Group::kEnvironmental, "X L M H"},
    {"IR", "Integrity Requirement", Group::kEnvironmental, "X L M H"},
    {"AR", "Availability Requirement", Group::kEnvironmental, "X L M H"},
    {"MAV", "Modified Attack Vector", Group::kEnvironmental, "X N A L P"},
    {"MAC", "Modified Attack Complexity", Group::kEnvironmental, "X L H"},
    {"MPR", "Modified Privileges Required", Group::kEnvironmental, "X N L H"},
    {"MUI", "Modified User Interaction", Group::kEnvironmental, "X N R"},
    {"MS", "Modified Scope", Group::kEnvironmental, "X U C"},
    {"MC", "Modified Confidentiality", Group::kEnvironmental, "X N L H"},
    {"MI", "Modified Integrity", Group::kEnvironmental, "X N L H"},
    {"MA", "Modified Availability", Group::kEnvironmental, "X N L H"},
};

constexpr MetricDef kMetrics4[] = {
    {"AV", "Attack Vector", Group::kBase, "N A L P"},
    {"AC", "Attack Complexity", Group::kBase, "L H"},
    {"AT", "Attack Requirements", Group::kBase, "N P"},
    {"PR", "Privileges Required", Group::kBase, "N L H"},
    {"UI", "User Interaction", Group::kBase, "N P A"},
    {"VC", "Vulnerable System Confidentiality", Group::kBase, "H L N"},
    {"VI", "Vulnerable System Integrity", Group::kBase, "H L N"},
    {"VA", "Vulnerable System Availability", Group::kBase, "H L N"},
    {"SC", "Subsequent System Confidentiality", Group::kBase, "H L N"},
    {"SI", "Subsequent System Integrity", Group::kBase, "H L N"},
    {"SA", "Subsequent System Availability", Group::kBase, "H L N"},
    {"E", "Exploit Maturity", Group::kTemporal, "X A P U"},
    {"CR", "Confidentiality Requirement", Group::kEnvironmental, "X H M L"},
    {"IR", "Integrity Requirement", Group::kEnvironmental, "X H M L"},
    {"AR", "Availability Requirement", Group::kEnvironmental, "X H M L"},
    {"MAV", "Modified Attack Vector", Group::kEnvironmental, "X N A L P"},
    {"MAC", "Modified Attack Complexity", Group::kEnvironmental, "X L H"},
    {"MAT", "Modified Attack Requirements", Group::kEnvironmental, "X N P"},
    {"MPR", "Modified Privileges Required", Group::kEnvironmental, "X N L H"},
    {"MUI", "Modified User Interaction", Group::kEnvironmental, "X N P A"},
    {"MVC", "Modified Vulnerable System Confidentiality", Group::kEnvironmental, "X H L N"},
    {"MVI", "Modified Vulnerable System Integrity", Group::kEnvironmental, "X H L N"},
    {"MVA", "Modified Vulnerable System Availability", Group::kEnvironmental, "X H L N"},
    {"MSC", "Modified Subsequent System Confidentiality", Group::kEnvironmental, "X H L N"},
    {"MSI", "Modified Subsequent System Integrity", Group::kEnvironmental, "X S H L N"},
    {"MSA", "Modified Subsequent System Availability", Group::kEnvironmental, "X S H L N"},
    {"S", "Safety", Group::kSupplemental, "X N P"},
    {"AU", "Automatable", Group::kSupplemental, "X N Y"},
    {"R", "Recovery", Group::kSupplemental, "X A U I"},
    {"V", "Value Density", Group::kSupplemental, "X D C"},
    {"RE", "Vulnerability Response Effort", Group::kSupplemental, "X L M H"},
    {"U", "Provider Urgency", Group::kSupplemental, "X Clear Green Amber Red"},
};

constexpr std::size_t kMaxMetrics = std::max(std::size(kMetrics3), std::size(kMetrics4));

// Longest token quoted back in an error message.
constexpr std::size_t kMaxQuoted = 40;

// A parsed vector: the value of each metric of the version's table, in table order; an absent
// metric has an empty value. Views point into the caller's string.
class Metrics {
  public:
    Metrics(CvssVersion version, std::span<const MetricDef> defs)
        : version_(version), defs_(defs) {}

    CvssVersion Version() const { return version_; }
    std::span<const MetricDef> Defs() const { return defs_; }

    std::size_t IndexOf(std::string_view key) const {
        for (std::size_t i = 0; i < defs_.size(); ++i)
            if (defs_[i].key == key) return i;
        return defs_.size();
    }
    std::string_view At(std::size_t i) const { return values_[i]; }
    void Set(std::size_t i, std::string_view value) { values_[i] = value; }

    // The value of `key`; "X" when the metric is absent (or not in the table).
    std::string_view Get(std::string_view key) const {
        const std::size_t i = IndexOf(key);
        std::string_view v = i < defs_.size() ? values_[i] : std::string_view();
        return v.empty() ? std::string_view("X") : v;
    }
    // The value of base metric `key`, overridden by its modified metric "M<key>" unless that is X.
    std::string_view Modified(std::string_view key) const {
        std::string modified = "M" + std::string(key);
        std::string_view m = Get(modified);
        return m == "X" ? Get(key) : m;
    }
    // True when a metric of `group` has a value other than X.
    bool HasGroup(Group group) const {
        for (std::size_t i = 0; i < defs_.size(); ++i)
            if (defs_[i].group == group && !values_[i].empty() && values_[i] != "X") return true;
        return false;
    }
    // A copy without the metrics of `group` (they become Not Defined).
    Metrics Without(Group group) const {
        Metrics copy = *this;
        for (std::size_t i = 0; i < defs_.size(); ++i)
            if (defs_[i].group == group) copy.values_[i] = {};
        return copy;
    }

  private:
    CvssVersion version_;
    std::span<const MetricDef> defs_;
    std::array<std::string_view, kMaxMetrics> values_{};
};

std::string Quote(std::string_view token) {
    if (token.size() > kMaxQuoted) return "'" + std::string(token.substr(0, kMaxQuoted)) + "...'";
    return "'" + std::string(token) + "'";
}

// kInvalidArgument on field "vector": "<what> at position <position>[; <hint>]", 1-based.
tl::unexpected<core::Error> Fault(std::size_t position, const std::string& what,
                                  const std::string& hint = {}) {
    return core::Invalid("vector", what + " at position " + std::to_string(position) +
                                       (hint.empty() ? "" : "; " + hint));
}

bool AllowedValue(std::string_view values, std::string_view value) {
    while (!values.empty()) {
        std::size_t blank = values.find(' ');
        if (values.substr(0, blank) == value) return true;
        if (blank == std::string_view::npos) break;
        values.remove_prefix(blank + 1);
    }
    return false;
}

std::string ListValues(std::string_view values) {
    std::string out;
    for (char c : values) out += c == ' ' ? std::string(", ") : std::string(1, c);
    return out;
}

struct Prefix {
    std::string_view text;
    CvssVersion version;
    std::span<const MetricDef> defs;
};
constexpr Prefix kPrefixes[] = {
    {"CVSS:3.1", CvssVersion::k31, kMetrics3},
    {"CVSS:3.0", CvssVersion::k30, kMetrics3},
    {"CVSS:4.0", CvssVersion::k40, kMetrics4},
};

core::Result<Metrics> Parse(std::string_view vector) {
    if (vector.empty()) return Fault(1, "empty CVSS vector");

    std::size_t slash = vector.find('/');
    std::string_view head = vector.substr(0, slash);
    const Prefix* prefix = nullptr;
    for (const Prefix& p : kPrefixes)
        if (head == p.text) prefix = &p;
    if (!prefix)
        return Fault(1, "unknown prefix " + Quote(head),
                     "expected CVSS:3.1/, CVSS:3.0/ or CVSS:4.0/");
    if (slash == std::string_view::npos)
        return Fault(vector.size() + 1, "no metrics after the prefix " + Quote(head));

    Metrics metrics(prefix->version, prefix->defs);
    std::size_t start = slash + 1;  // 0-based start of the current component
    while (true) {
        std::size_t end = vector.find('/', start);
        if (end == std::string_view::npos) end = vector.size();
        std::string_view component = vector.substr(start, end - start);
        if (component.empty()) {
            if (end == vector.size()) return Fault(start, "trailing '/'");  // the slash itself
            return Fault(start + 1, "empty component");
        }
        std::size_t colon = component.find(':');
        if (colon == std::string_view::npos)
            return Fault(start + 1, "component " + Quote(component) + " is not METRIC:VALUE");
        std::string_view key = component.substr(0, colon);
        std::string_view value = component.substr(colon + 1);
        if (key.empty()) return Fault(start + 1, "empty metric name");
        std::size_t index = metrics.IndexOf(key);
        if (index == metrics.Defs().size())
            return Fault(start + 1, "unknown metric " + Quote(key) + " for CVSS " +
                                        std::string(CvssVersionName(prefix->version)));
        const MetricDef& def = metrics.Defs()[index];
        if (!metrics.At(index).empty()) return Fault(start + 1, "duplicate metric " + Quote(key));
        std::size_t value_position = start + colon + 2;
        if (value.empty())
            return Fault(value_position, "missing value for metric " + std::string(key) + " (" +
                                             std::string(def.name) + ")");
        if (!AllowedValue(def.values, value))
            return Fault(value_position,
                         "bad value " + Quote(value) + " for metric " + std::string(key) + " (" +
                             std::string(def.name) + ")",
                         "expected one of " + ListValues(def.values));
        metrics.Set(index, value);
        if (end == vector.size()) break;
        start = end + 1;
    }
    for (std::size_t i = 0; i < metrics.Defs().size(); ++i) {
        const MetricDef& def = metrics.Defs()[i];
        if (def.group == Group::kBase && metrics.At(i).empty())
            return Fault(vector.size() + 1,
                         "missing mandatory base metric " + std::string(def.key) + " (" +
                             std::string(def.name) + ")",
                         "the position is the end of the vector");
    }
    return metrics;
}

// ---------------------------------------------------------------------------------------------
// CVSS v3.1 (FIRST specification, section 7)
// ---------------------------------------------------------------------------------------------

// The specification's Roundup: the smallest number with one decimal that is >= input, computed
// on integers so that 4.000000000000001 stays 4.0.
double Roundup(double input) {
    const std::int64_t int_input = std::llround(input * 100000.0);
    if (int_input % 10000 == 0) return static_cast<double>(int_input) / 100000.0;
    return (std::floor(static_cast<double>(int_input) / 10000.0) + 1.0) / 10.0;
}

double AttackVector3(std::string_view v) {
    if (v == "N") return 0.85;
    if (v == "A") return 0.62;
    if (v == "L") return 0.55;
    return 0.2;  // P
}
double AttackComplexity3(std::string_view v) { return v == "L" ? 0.77 : 0.44; }
double PrivilegesRequired3(std::string_view v, bool scope_changed) {
    if (v == "N") return 0.85;
    if (v == "L") return scope_changed ? 0.68 : 0.62;
    return scope_changed ? 0.5 : 0.27;  // H
}
double UserInteraction3(std::string_view v) { return v == "N" ? 0.85 : 0.62; }
double Impact3(std::string_view v) {
    if (v == "H") return 0.56;
    if (v == "L") return 0.22;
    return 0.0;  // N
}
double ExploitMaturity3(std::string_view v) {
    if (v == "U") return 0.91;
    if (v == "P") return 0.94;
    if (v == "F") return 0.97;
    return 1.0;  // H, X
}
double RemediationLevel3(std::string_view v) {
    if (v == "O") return 0.95;
    if (v == "T") return 0.96;
    if (v == "W") return 0.97;
    return 1.0;  // U, X
}
double ReportConfidence3(std::string_view v) {
    if (v == "U") return 0.92;
    if (v == "R") return 0.96;
    return 1.0;  // C, X
}
double Requirement3(std::string_view v) {
    if (v == "H") return 1.5;
    if (v == "L") return 0.5;
    return 1.0;  // M, X
}

void Score3(const Metrics& m, CvssResult& out) {
    // Base.
    const bool changed = m.Get("S") == "C";
    const double iss = 1.0 - ((1.0 - Impact3(m.Get("C"))) * (1.0 - Impact3(m.Get("I"))) *
                              (1.0 - Impact3(m.Get("A"))));
    const double impact =
        changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15.0) : 6.42 * iss;
    const double exploitability =
        8.22 * AttackVector3(m.Get("AV")) * AttackComplexity3(m.Get("AC")) *
        PrivilegesRequired3(m.Get("PR"), changed) * UserInteraction3(m.Get("UI"));
    double base = 0.0;
    if (impact > 0.0) {
        base = changed ? Roundup(std::min(1.08 * (impact + exploitability), 10.0))
                       : Roundup(std::min(impact + exploitability, 10.0));
    }
    out.base = base;
    out.score = base;

    // Temporal.
    const double temporal_factor = ExploitMaturity3(m.Get("E")) * RemediationLevel3(m.Get("RL")) *
                                   ReportConfidence3(m.Get("RC"));
    if (m.HasGroup(Group::kTemporal)) {
        out.temporal = Roundup(base * temporal_factor);
        out.score = *out.temporal;
    }

    // Environmental.
    if (m.HasGroup(Group::kEnvironmental)) {
        const bool m_changed = m.Modified("S") == "C";
        const double miss =
            std::min(1.0 - ((1.0 - Requirement3(m.Get("CR")) * Impact3(m.Modified("C"))) *
                            (1.0 - Requirement3(m.Get("IR")) * Impact3(m.Modified("I"))) *
                            (1.0 - Requirement3(m.Get("AR")) * Impact3(m.Modified("A")))),
                     0.915);
        const double m_impact =
            m_changed ? 7.52 * (miss - 0.029) - 3.25 * std::pow(miss * 0.9731 - 0.02, 13.0)
                      : 6.42 * miss;
        const double m_exploitability =
            8.22 * AttackVector3(m.Modified("AV")) * AttackComplexity3(m.Modified("AC")) *
            PrivilegesRequired3(m.Modified("PR"), m_changed) * UserInteraction3(m.Modified("UI"));
        double environmental = 0.0;
        if (m_impact > 0.0) {
            const double capped =
                m_changed ? Roundup(std::min(1.08 * (m_impact + m_exploitability), 10.0))
                          : Roundup(std::min(m_impact + m_exploitability, 10.0));
            environmental = Roundup(capped * temporal_factor);
        }
        out.environmental = environmental;
        out.score = environmental;
    }
}

// ---------------------------------------------------------------------------------------------
// CVSS v4.0 (FIRST specification, section 8, and the FIRST reference calculator)
// ---------------------------------------------------------------------------------------------

// Score of each macro-vector "EQ1 EQ2 EQ3 EQ4 EQ5 EQ6", in tenths (FIRST v4.0 lookup table).
struct MacroScore {
    std::string_view macro;
    int tenths;
};
// clang-format off
constexpr MacroScore kMacroScores[] = {
    {"000000", 100}, {"000001", 99}, {"000010", 98}, {"000011", 95}, {"000020", 95}, {"000021", 92},
    {"000100", 100}, {"000101", 96}, {"000110", 93}, {"000111", 87}, {"000120", 91}, {"000121", 81},
    {"000200", 93}, {"000201", 90}, {"000210", 89}, {"000211", 80}, {"000220", 81}, {"000221", 68},
    {"001000", 98}, {"001001", 95}, {"001010", 95}, {"001011", 92}, {"001020", 90}, {"001021", 84},
    {"001100", 93}, {"001101", 92}, {"001110", 89}, {"001111", 81}, {"001120", 81}, {"001121", 65},
    {"001200", 88}, {"001201", 80}, {"001210", 78}, {"001211", 70}, {"001220", 69}, {"001221", 48},
    {"002001", 92}, {"002011", 82}, {"002021", 72}, {"002101", 79}, {"002111", 69}, {"002121", 50},
    {"002201", 69}, {"002211", 55}, {"002221", 27},
    {"010000", 99}, {"010001", 97}, {"010010", 95}, {"010011", 92}, {"010020", 92}, {"010021", 85},
    {"010100", 95}, {"010101", 91}, {"010110", 90}, {"010111", 83}, {"010120", 84}, {"010121", 71},
    {"010200", 92}, {"010201", 81}, {"010210", 82}, {"010211", 71}, {"010220", 72}, {"010221", 53},
    {"011000", 95}, {"011001", 93}, {"011010", 92}, {"011011", 85}, {"011020", 85}, {"011021", 73},
    {"011100", 92}, {"011101", 82}, {"011110", 80}, {"011111", 72}, {"011120", 70}, {"011121", 59},
    {"011200", 84}, {"011201", 70}, {"011210", 71}, {"011211", 52}, {"011220", 50}, {"011221", 30},
    {"012001", 86}, {"012011", 75}, {"012021", 52}, {"012101", 71}, {"012111", 52}, {"012121", 29},
    {"012201", 63}, {"012211", 29}, {"012221", 17},
    {"100000", 98}, {"100001", 95}, {"100010", 94}, {"100011", 87}, {"100020", 91}, {"100021", 81},
    {"100100", 94}, {"100101", 89}, {"100110", 86}, {"100111", 74}, {"100120", 77}, {"100121", 64},
    {"100200", 87}, {"100201", 75}, {"100210", 74}, {"100211", 63}, {"100220", 63}, {"100221", 49},
    {"101000", 94}, {"101001", 89}, {"101010", 88}, {"101011", 77}, {"101020", 76}, {"101021", 67},
    {"101100", 86}, {"101101", 76}, {"101110", 74}, {"101111", 58}, {"101120", 59}, {"101121", 50},
    {"101200", 72}, {"101201", 57}, {"101210", 57}, {"101211", 52}, {"101220", 52}, {"101221", 25},
    {"102001", 83}, {"102011", 70}, {"102021", 54}, {"102101", 65}, {"102111", 58}, {"102121", 26},
    {"102201", 53}, {"102211", 21}, {"102221", 13},
    {"110000", 95}, {"110001", 90}, {"110010", 88}, {"110011", 76}, {"110020", 76}, {"110021", 70},
    {"110100", 90}, {"110101", 77}, {"110110", 75}, {"110111", 62}, {"110120", 61}, {"110121", 53},
    {"110200", 77}, {"110201", 66}, {"110210", 68}, {"110211", 59}, {"110220", 52}, {"110221", 30},
    {"111000", 89}, {"111001", 78}, {"111010", 76}, {"111011", 67}, {"111020", 62}, {"111021", 58},
    {"111100", 74}, {"111101", 59}, {"111110", 57}, {"111111", 57}, {"111120", 47}, {"111121", 23},
    {"111200", 61}, {"111201", 52}, {"111210", 57}, {"111211", 29}, {"111220", 24}, {"111221", 16},
    {"112001", 71}, {"112011", 59}, {"112021", 30}, {"112101", 58}, {"112111", 26}, {"112121", 15},
    {"112201", 23}, {"112211", 13}, {"112221", 6},
    {"200000", 93}, {"200001", 87}, {"200010", 86}, {"200011", 72}, {"200020", 75}, {"200021", 58},
    {"200100", 86}, {"200101", 74}, {"200110", 74}, {"200111", 61}, {"200120", 56}, {"200121", 34},
    {"200200", 70}, {"200201", 54}, {"200210", 52}, {"200211", 40}, {"200220", 40}, {"200221", 22},
    {"201000", 85}, {"201001", 75}, {"201010", 74}, {"201011", 55}, {"201020", 62}, {"201021", 51},
    {"201100", 72}, {"201101", 57}, {"201110", 55}, {"201111", 41}, {"201120", 46}, {"201121", 19},
    {"201200", 53}, {"201201", 36}, {"201210", 34}, {"201211", 19}, {"201220", 19}, {"201221", 8},
    {"202001", 64}, {"202011", 51}, {"202021", 20}, {"202101", 47}, {"202111", 21}, {"202121", 11},
    {"202201", 24}, {"202211", 9}, {"202221", 4},
    {"210000", 88}, {"210001", 75}, {"210010", 73}, {"210011", 53}, {"210020", 60}, {"210021", 50},
    {"210100", 73}, {"210101", 55}, {"210110", 59}, {"210111", 40}, {"210120", 41}, {"210121", 20},
    {"210200", 54}, {"210201", 43}, {"210210", 45}, {"210211", 22}, {"210220", 20}, {"210221", 11},
    {"211000", 75}, {"211001", 55}, {"211010", 58}, {"211011", 45}, {"211020", 40}, {"211021", 21},
    {"211100", 61}, {"211101", 51}, {"211110", 48}, {"211111", 18}, {"211120", 20}, {"211121", 9},
    {"211200", 46}, {"211201", 18}, {"211210", 17}, {"211211", 7}, {"211220", 8}, {"211221", 2},
    {"212001", 53}, {"212011", 24}, {"212021", 14}, {"212101", 24}, {"212111", 12}, {"212121", 5},
    {"212201", 10}, {"212211", 3}, {"212221", 1},
};
// clang-format on
static_assert(std::size(kMacroScores) == 270, "the v4.0 lookup table has 270 macro-vectors");

// A macro-vector as six digits, EQ1..EQ6.
using Macro = std::array<int, 6>;

// The score of a macro-vector, or nullopt when it does not exist.
std::optional<double> MacroValue(const Macro& eq) {
    char key[6];
    for (std::size_t i = 0; i < 6; ++i) {
        if (eq[i] < 0 || eq[i] > 9) return std::nullopt;
        key[i] = static_cast<char>('0' + eq[i]);
    }
    const std::string_view wanted(key, 6);
    for (const MacroScore& m : kMacroScores)
        if (m.macro == wanted) return static_cast<double>(m.tenths) / 10.0;
    return std::nullopt;
}

// Metrics that take part in the severity distance, in a fixed order.
enum Dim { kAV, kPR, kUI, kAC, kAT, kVC, kVI, kVA, kSC, kSI, kSA, kCR, kIR, kAR, kE, kDims };
constexpr std::string_view kDimKeys[kDims] = {"AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA",
                                              "SC", "SI", "SA", "CR", "IR", "AR", "E"};

// The severity level of each value of a dimension (0 is the most severe), in steps of 0.1 as in
// the specification's severity distances.
double Level(Dim dim, char v) {
    switch (dim) {
        case kAV:
            return v == 'N' ? 0.0 : v == 'A' ? 0.1 : v == 'L' ? 0.2 : 0.3;
        case kPR:
            return v == 'N' ? 0.0 : v == 'L' ? 0.1 : 0.2;
        case kUI:
            return v == 'N' ? 0.0 : v == 'P' ? 0.1 : 0.2;
        case kAC:
            return v == 'L' ? 0.0 : 0.1;
        case kAT:
            return v == 'N' ? 0.0 : 0.1;
        case kVC:
        case kVI:
        case kVA:
            return v == 'H' ? 0.0 : v == 'L' ? 0.1 : 0.2;
        case kSC:
        case kSI:
        case kSA:
            return v == 'S' ? 0.0 : v == 'H' ? 0.1 : v == 'L' ? 0.2 : 0.3;
        case kCR:
        case kIR:
        case kAR:
            return v == 'H' ? 0.0 : v == 'M' ? 0.1 : 0.2;
        case kE:
            return v == 'A' ? 0.0 : v == 'P' ? 0.1 : 0.2;
        case kDims:
            break;
    }
    return 0.0;
}

// The effective single-letter values a v4.0 score depends on.
struct Effective4 {
    std::array<char, kDims> v{};
    char operator[](Dim d) const { return v[d]; }
};

Effective4 EffectiveValues(const Metrics& m) {
    Effective4 e;
    for (int d = 0; d < kDims; ++d) {
        const Dim dim = static_cast<Dim>(d);
        std::string_view value;
        if (dim == kE) {
            value = m.Get("E");
            if (value == "X") value = "A";  // unset threat assumes the worst: Attacked
        } else if (dim == kCR || dim == kIR || dim == kAR) {
            value = m.Get(kDimKeys[d]);
            if (value == "X") value = "H";  // unset requirements assume the worst: High
        } else {
            value = m.Modified(kDimKeys[d]);  // MSI/MSA may be S (Safety)
        }
        e.v[d] = value.front();
    }
    return e;
}

Macro MacroVectorOf(const Effective4& e) {
    Macro eq{};
    const bool av_n = e[kAV] == 'N', pr_n = e[kPR] == 'N', ui_n = e[kUI] == 'N';
    if (av_n && pr_n && ui_n) {
        eq[0] = 0;
    } else if ((av_n || pr_n || ui_n) && e[kAV] != 'P') {
        eq[0] = 1;
    } else {
        eq[0] = 2;
    }
    eq[1] = (e[kAC] == 'L' && e[kAT] == 'N') ? 0 : 1;
    if (e[kVC] == 'H' && e[kVI] == 'H') {
        eq[2] = 0;
    } else if (e[kVC] == 'H' || e[kVI] == 'H' || e[kVA] == 'H') {
        eq[2] = 1;
    } else {
        eq[2] = 2;
    }
    if (e[kSI] == 'S' || e[kSA] == 'S') {
        eq[3] = 0;
    } else if (e[kSC] == 'H' || e[kSI] == 'H' || e[kSA] == 'H') {
        eq[3] = 1;
    } else {
        eq[3] = 2;
    }
    eq[4] = e[kE] == 'A' ? 0 : e[kE] == 'P' ? 1 : 2;
    eq[5] = ((e[kCR] == 'H' && e[kVC] == 'H') || (e[kIR] == 'H' && e[kVI] == 'H') ||
             (e[kAR] == 'H' && e[kVA] == 'H'))
                ? 0
                : 1;
    return eq;
}

// The highest-severity vectors of each macro-vector part (FIRST reference calculator), as value
// letters for the dimensions of that part.
// EQ1: AV PR UI.
constexpr std::string_view kMaxEq1[3][3] = {{"NNN"}, {"ANN", "NLN", "NNP"}, {"PNN", "ALP"}};
// EQ2: AC AT.
constexpr std::string_view kMaxEq2[2][2] = {{"LN"}, {"HN", "LP"}};
// EQ3 and EQ6 together: VC VI VA CR IR AR, indexed [eq3][eq6].
constexpr std::string_view kMaxEq3Eq6[3][2][5] = {
    {{"HHHHHH"}, {"HHLMMH", "HHHMMM"}},
    {{"LHHHHH", "HLHHHH"}, {"LHLHMH", "LHHHMM", "HLHMHM", "HLLMHH", "LLHHHM"}},
    {{}, {"LLLHHH"}},
};
// EQ4: SC SI SA.
constexpr std::string_view kMaxEq4[3] = {"HSS", "HHH", "LLL"};
// EQ5: E.
constexpr std::string_view kMaxEq5[3] = {"A", "P", "U"};

// One step of severity distance.
constexpr double kStep = 0.1;

// The depth of each macro-vector part: its largest severity distance, plus one, in steps.
constexpr int kDepthEq1[3] = {1, 4, 5};
constexpr int kDepthEq2[2] = {1, 2};
constexpr int kDepthEq3Eq6[3][2] = {{7, 6}, {8, 8}, {0, 10}};
constexpr int kDepthEq4[3] = {6, 5, 4};

// Rounds to one decimal, half up, like the reference calculator, with its small epsilon: the
// interpolation lands on values such as 5.6499999999 that are meant to be 5.65.
constexpr double kRoundingEpsilon = 1e-6;
double RoundOneDecimal(double x) { return std::round((x + kRoundingEpsilon) * 10.0) / 10.0; }

double Score4(const Metrics& m) {
    const Effective4 e = EffectiveValues(m);
    if (e[kVC] == 'N' && e[kVI] == 'N' && e[kVA] == 'N' && e[kSC] == 'N' && e[kSI] == 'N' &&
        e[kSA] == 'N')
        return 0.0;

    const Macro eq = MacroVectorOf(e);
    const double value = *MacroValue(eq);  // every reachable macro-vector is in the table

    // The score of the next lower macro-vector along each part; nullopt when there is none.
    auto lower = [&eq](std::size_t part, int step_eq6 = 0) {
        Macro next = eq;
        next[part] += 1;
        next[5] += step_eq6;
        return MacroValue(next);
    };
    const std::optional<double> lower_eq1 = lower(0);
    const std::optional<double> lower_eq2 = lower(1);
    std::optional<double> lower_eq3eq6;
    if (eq[2] == 0 && eq[5] == 0) {
        // 00 goes down to 01 or to 10: take the higher.
        Macro left = eq, right = eq;
        left[5] += 1;
        right[2] += 1;
        const auto l = MacroValue(left), r = MacroValue(right);
        if (l && r) lower_eq3eq6 = std::max(*l, *r);
    } else if (eq[2] == 1 && eq[5] == 0) {
        Macro next = eq;  // 10 -> 11
        next[5] += 1;
        lower_eq3eq6 = MacroValue(next);
    } else if (eq[2] == 2 && eq[5] == 1) {
        lower_eq3eq6 = lower(2, 1);  // 21 -> 32 does not exist
    } else {
        lower_eq3eq6 = lower(2);  // 01 -> 11, 11 -> 21
    }
    const std::optional<double> lower_eq4 = lower(3);
    const std::optional<double> lower_eq5 = lower(4);

    // Severity distances from the first highest-severity vector of the macro-vector that is not
    // less severe than the vector in any dimension.
    std::array<double, kDims> distance{};
    auto try_max = [&](std::string_view eq1, std::string_view eq2, std::string_view eq3eq6,
                       std::string_view eq4, std::string_view eq5) {
        const char max[kDims] = {eq1[0],    eq1[1],    eq1[2],    eq2[0],    eq2[1],
                                 eq3eq6[0], eq3eq6[1], eq3eq6[2], eq4[0],    eq4[1],
                                 eq4[2],    eq3eq6[3], eq3eq6[4], eq3eq6[5], eq5[0]};
        // kDims order is AV PR UI AC AT VC VI VA SC SI SA CR IR AR E.
        bool ok = true;
        for (int d = 0; d < kDims; ++d) {
            const Dim dim = static_cast<Dim>(d);
            distance[d] = Level(dim, e[dim]) - Level(dim, max[d]);
            if (distance[d] < 0) ok = false;
        }
        return ok;
    };
    [&] {
        for (std::string_view m1 : kMaxEq1[eq[0]]) {
            if (m1.empty()) continue;
            for (std::string_view m2 : kMaxEq2[eq[1]]) {
                if (m2.empty()) continue;
                for (std::string_view m36 : kMaxEq3Eq6[eq[2]][eq[5]]) {
                    if (m36.empty()) continue;
                    if (try_max(m1, m2, m36, kMaxEq4[eq[3]], kMaxEq5[eq[4]])) return;
                }
            }
        }
    }();

    const double distance_eq1 = distance[kAV] + distance[kPR] + distance[kUI];
    const double distance_eq2 = distance[kAC] + distance[kAT];
    const double distance_eq3eq6 = distance[kVC] + distance[kVI] + distance[kVA] + distance[kCR] +
                                   distance[kIR] + distance[kAR];
    const double distance_eq4 = distance[kSC] + distance[kSI] + distance[kSA];

    int existing = 0;
    double normalized[5] = {0, 0, 0, 0, 0};
    auto part = [&](int i, const std::optional<double>& lower_value, double dist, int depth) {
        if (!lower_value) return;
        ++existing;
        const double available = value - *lower_value;  // the maximal scoring difference
        normalized[i] = available * (dist / (depth * kStep));
    };
    part(0, lower_eq1, distance_eq1, kDepthEq1[eq[0]]);
    part(1, lower_eq2, distance_eq2, kDepthEq2[eq[1]]);
    part(2, lower_eq3eq6, distance_eq3eq6, kDepthEq3Eq6[eq[2]][eq[5]]);
    part(3, lower_eq4, distance_eq4, kDepthEq4[eq[3]]);
    if (lower_eq5) ++existing;  // EQ5 has a single value per level: its proportion is always 0

    const double mean =
        existing == 0
            ? 0.0
            : (normalized[0] + normalized[1] + normalized[2] + normalized[3] + normalized[4]) /
                  existing;
    return RoundOneDecimal(std::clamp(value - mean, 0.0, 10.0));
}

void FillScore4(const Metrics& m, CvssResult& out) {
    const Metrics base_only = m.Without(Group::kTemporal).Without(Group::kEnvironmental);
    out.cvss_b = Score4(base_only);
    out.cvss_bt = Score4(m.Without(Group::kEnvironmental));
    out.cvss_be = Score4(m.Without(Group::kTemporal));
    out.cvss_bte = Score4(m);
    out.base = *out.cvss_b;
    out.score = *out.cvss_bte;
    out.nomenclature = "CVSS-B";
    if (m.HasGroup(Group::kTemporal)) out.nomenclature += "T";
    if (m.HasGroup(Group::kEnvironmental)) out.nomenclature += "E";
}

}  // namespace

std::string_view CvssVersionName(CvssVersion version) {
    switch (version) {
        case CvssVersion::k30:
            return "3.0";
        case CvssVersion::k31:
            return "3.1";
        case CvssVersion::k40:
            return "4.0";
    }
    return "?";
}

std::string_view CvssSeverity(double score) {
    // Scores carry one decimal; compare half-way between bands to be safe from representation.
    if (score < 0.05) return "NONE";
    if (score < 3.95) return "LOW";
    if (score < 6.95) return "MEDIUM";
    if (score < 8.95) return "HIGH";
    return "CRITICAL";
}

std::string FormatCvssScore(double score) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%.1f", score);
    return buffer;
}

std::string FormatCvssLine(const CvssResult& result) {
    return result.vector + "\t" + FormatCvssScore(result.score) + "\t" + result.severity;
}

core::Result<CvssResult> ScoreCvss(std::string_view vector) {
    const Metrics metrics = MUHAFIZ_TRY(Parse(vector));
    CvssResult out;
    out.version = metrics.Version();
    out.vector = std::string(vector);
    if (metrics.Version() == CvssVersion::k40) {
        FillScore4(metrics, out);
    } else {
        Score3(metrics, out);
    }
    out.severity = std::string(CvssSeverity(out.score));
    return out;
}

}  // namespace muhafiz::vulns
