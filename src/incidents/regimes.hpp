// Reporting regimes and the deadline engine. Regimes are data (config/reporting-regimes.json, or
// the operator's copy named by the setting incidents_regimes_file): per regime the time to
// acknowledge per severity and the early-warning / notification / final-report periods; a
// sector → regime mapping; how long before a deadline reminders go out; task templates per
// RSIT classification ("class" or "class/type").
// Deadlines: `acknowledge` counts from when the report reached the CERT (reported_at); the others
// from aware_at. Durations: "45m", "4h", "2d", "1mo" (calendar months in UTC, day clamped to the
// month's end: 31 Jan + 1mo = 28/29 Feb).
// Thread-safety: immutable after loading.
// Errors: kInvalidArgument naming the place in the file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "incidents/incident.hpp"

namespace muhafiz::incidents {

struct Duration {
    core::Micros micros = 0;
    int months = 0;
    std::string text;  // as written
};
[[nodiscard]] core::Result<Duration> ParseDuration(std::string_view text, std::string_view field);
[[nodiscard]] core::Micros AddDuration(core::Micros t, const Duration& d);

enum class DeadlineKind { kAcknowledge, kEarlyWarning, kNotification, kFinalReport };
[[nodiscard]] std::string_view DeadlineKindName(DeadlineKind k);
[[nodiscard]] core::Result<DeadlineKind> ParseDeadlineKind(std::string_view text);

struct Regime {
    std::string key, name;
    std::map<Severity, Duration> acknowledge;
    std::optional<Duration> early_warning, notification, final_report;
};

struct Deadline {
    DeadlineKind kind = DeadlineKind::kAcknowledge;
    core::Micros due_at = 0;
};

class RegimeSet {
public:
    // Parses the file's JSON text.
    [[nodiscard]] static core::Result<RegimeSet> Parse(std::string_view json_text);
    // The built-in default (config/reporting-regimes.json as compiled in).
    [[nodiscard]] static const RegimeSet& Default();
    // Reads and parses a file; an empty path gives the default.
    [[nodiscard]] static core::Result<RegimeSet> Load(const std::string& path);

    // The regime of `sector` (the default regime for unmapped sectors).
    [[nodiscard]] const Regime& ForSector(std::string_view sector) const;
    [[nodiscard]] const Regime* Find(std::string_view key) const;
    [[nodiscard]] core::Micros reminder_before() const { return reminder_before_.micros; }
    // Task titles for these classifications, without duplicates, class templates before type ones.
    [[nodiscard]] std::vector<std::string> TaskTemplates(const std::vector<Classification>& cs) const;
    [[nodiscard]] core::json::object ToJson() const;

private:
    std::string default_key_;
    std::map<std::string, Regime, std::less<>> regimes_;
    std::map<std::string, std::string, std::less<>> sectors_;
    Duration reminder_before_{3600LL * 1000000, 0, "1h"};
    std::map<std::string, std::vector<std::string>, std::less<>> templates_;
};

// The due times of `regime` for an incident of `severity` reported at `reported_at`, whose
// constituent became aware at `aware_at`. Kinds the regime does not define are left out.
[[nodiscard]] std::vector<Deadline> ComputeDeadlines(const Regime& regime, Severity severity,
                                                     core::Micros reported_at, core::Micros aware_at);

}  // namespace muhafiz::incidents
