// CVSS calculators: parses CVSS v3.1 (and v3.0) and v4.0 vector strings and computes their scores
// and qualitative severities, written from the FIRST specifications.
//
// * v3.1: Base, Temporal and Environmental scores with the specification's formulas and its
//   integer-based Roundup. The single `score` is the most specific group present: Environmental
//   when at least one Environmental metric is not `X`, else Temporal when at least one Temporal
//   metric is not `X`, else Base (tests/data/cvss/README.md).
// * v3.0: accepted, because NVD still carries `CVSS:3.0/` vectors, and scored with the v3.1
//   formulas (as NVD and most tools do). The v3.0 document rounds up naively and uses
//   `(MISS - 0.02)^15` in the Modified Impact of a changed scope, so in rare cases its own
//   calculator differs by 0.1 from what we report; the version stays "3.0" in the result.
// * v4.0: the macro-vector (EQ1..EQ6) lookup table and the severity-distance interpolation of the
//   FIRST reference calculator. `score` is CVSS-BTE over every metric present; Supplemental
//   metrics are validated but never change a score.
//
// Parsing is strict about spelling (case-sensitive prefix, metric names and values, no blanks,
// no empty components, no trailing '/') and lenient about order: metrics may come in any order
// (the v3.1 specification asks readers to accept that; the v4.0 reference calculator rejects it,
// but feeds and people do write them out of order). A metric may appear once. Every Base metric is
// mandatory; the others default to `X` (Not Defined).
//
// Errors: kInvalidArgument with field "vector" and a message naming the 1-based character position
// of the fault and what is wrong: empty vector, unknown prefix, empty component, trailing slash,
// component without ':', unknown metric, duplicate metric, bad or missing value, missing
// mandatory Base metric (reported at the position just past the end).
//
// Thread-safety: pure functions over immutable tables; safe to call concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace muhafiz::vulns {

enum class CvssVersion { k30, k31, k40 };

// "3.0", "3.1" or "4.0".
[[nodiscard]] std::string_view CvssVersionName(CvssVersion version);

struct CvssResult {
    CvssVersion version = CvssVersion::k31;
    std::string vector;  // exactly as given (already validated)

    // v3.x: the Base score. v4.0: CVSS-B (the vector reduced to its Base metrics).
    double base = 0.0;
    // v3.x only: present when at least one metric of the group is not `X`.
    std::optional<double> temporal;
    std::optional<double> environmental;

    // The single score of the vector (see the file comment) and its severity band, upper-case:
    // NONE, LOW, MEDIUM, HIGH or CRITICAL.
    double score = 0.0;
    std::string severity;

    // v4.0 only: the scores of the vector reduced to Base (B), Base+Threat (BT),
    // Base+Environmental (BE) and of the whole vector (BTE, equal to `score`).
    std::optional<double> cvss_b;
    std::optional<double> cvss_bt;
    std::optional<double> cvss_be;
    std::optional<double> cvss_bte;
    // v4.0 only: which groups the vector sets ("CVSS-B", "CVSS-BT", "CVSS-BE", "CVSS-BTE"); empty
    // for v3.x.
    std::string nomenclature;
};

// Parses and scores one vector ("CVSS:3.1/AV:N/..." or "CVSS:4.0/AV:N/..."). No trimming: the
// caller strips surrounding blanks.
[[nodiscard]] core::Result<CvssResult> ScoreCvss(std::string_view vector);

// The qualitative severity of a score: NONE (0.0), LOW (0.1-3.9), MEDIUM (4.0-6.9),
// HIGH (7.0-8.9), CRITICAL (9.0-10.0).
[[nodiscard]] std::string_view CvssSeverity(double score);

// A score with one decimal: "9.8", "10.0", "0.0".
[[nodiscard]] std::string FormatCvssScore(double score);

// One line for `muhafiz cvss`: vector, TAB, score with one decimal, TAB, severity (no newline).
[[nodiscard]] std::string FormatCvssLine(const CvssResult& result);

}  // namespace muhafiz::vulns
