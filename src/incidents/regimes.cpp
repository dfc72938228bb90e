// Reporting regimes: parsing the regimes file and computing due times.
#include "incidents/regimes.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include "incidents/embedded_data.hpp"

namespace muhafiz::incidents {
namespace json = core::json;

core::Result<Duration> ParseDuration(std::string_view text, std::string_view field) {
    auto bad = [&] {
        return core::Invalid(std::string(field), "'" + std::string(text) +
                                                     "' is not a duration (e.g. 45m, 4h, 2d, 1mo)");
    };
    std::size_t i = 0;
    std::int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        n = n * 10 + (text[i] - '0');
        if (n > 100000) return bad();
        ++i;
    }
    if (i == 0) return bad();
    std::string_view unit = text.substr(i);
    Duration d;
    d.text = std::string(text);
    constexpr std::int64_t kMin = 60LL * 1000000;
    if (unit == "m" || unit == "min") d.micros = n * kMin;
    else if (unit == "h") d.micros = n * 60 * kMin;
    else if (unit == "d") d.micros = n * 24 * 60 * kMin;
    else if (unit == "w") d.micros = n * 7 * 24 * 60 * kMin;
    else if (unit == "mo") d.months = static_cast<int>(n);
    else return bad();
    return d;
}

core::Micros AddDuration(core::Micros t, const Duration& d) {
    core::Micros out = t + d.micros;
    if (d.months == 0) return out;
    using namespace std::chrono;
    const sys_time<microseconds> tp{microseconds{out}};
    const auto day = floor<days>(tp);
    const auto time_of_day = tp - day;
    year_month_day ymd{day};
    year_month ym = year_month{ymd.year(), ymd.month()} + months{d.months};
    const auto last = year_month_day_last{ym.year(), month_day_last{ym.month()}}.day();
    const auto dd = ymd.day() > last ? last : ymd.day();
    const sys_days nd = year_month_day{ym.year(), ym.month(), dd};
    return duration_cast<microseconds>((nd + time_of_day).time_since_epoch()).count();
}

std::string_view DeadlineKindName(DeadlineKind k) {
    switch (k) {
        case DeadlineKind::kAcknowledge: return "acknowledge";
        case DeadlineKind::kEarlyWarning: return "early_warning";
        case DeadlineKind::kNotification: return "notification";
        case DeadlineKind::kFinalReport: return "final_report";
    }
    return "acknowledge";
}

core::Result<DeadlineKind> ParseDeadlineKind(std::string_view text) {
    for (DeadlineKind k : {DeadlineKind::kAcknowledge, DeadlineKind::kEarlyWarning, DeadlineKind::kNotification,
                           DeadlineKind::kFinalReport})
        if (DeadlineKindName(k) == text) return k;
    return core::Invalid("kind", "deadline kind must be acknowledge, early_warning, notification or final_report");
}

core::Result<RegimeSet> RegimeSet::Parse(std::string_view json_text) {
    auto parsed = core::ParseJsonObject(json_text);
    if (!parsed) return tl::unexpected(parsed.error());
    const json::object& doc = *parsed;
    MUHAFIZ_CHECK(core::RejectUnknownFields(doc, {"_comment", "default_regime", "reminder_before", "regimes", "sectors",
                                                  "task_templates"}));
    RegimeSet set;
    auto* regimes = doc.if_contains("regimes");
    if (!regimes || !regimes->is_object() || regimes->as_object().empty())
        return core::Invalid("regimes", "the file must define at least one regime under \"regimes\"");
    for (const auto& kv : regimes->as_object()) {
        const std::string key(kv.key());
        const std::string base = "regimes." + key;
        if (!kv.value().is_object()) return core::Invalid(base, "a regime is an object");
        const auto& o = kv.value().as_object();
        MUHAFIZ_CHECK(core::RejectUnknownFields(o, {"name", "acknowledge", "early_warning", "notification", "final_report"},
                                                base));
        Regime r;
        r.key = key;
        r.name = MUHAFIZ_TRY(core::GetString(o, "name", base)).value_or(key);
        if (auto* ack = o.if_contains("acknowledge")) {
            if (!ack->is_object()) return core::Invalid(base + ".acknowledge", "acknowledge maps severities to durations");
            for (const auto& a : ack->as_object()) {
                const std::string f = base + ".acknowledge." + std::string(a.key());
                auto sev = ParseSeverity(a.key());
                if (!sev) return core::Invalid(f, "unknown severity '" + std::string(a.key()) + "'");
                if (!a.value().is_string()) return core::Invalid(f, "a duration is a string such as \"4h\"");
                r.acknowledge[*sev] = MUHAFIZ_TRY(ParseDuration(a.value().as_string(), f));
            }
        }
        for (auto [name, slot] : {std::pair{"early_warning", &r.early_warning}, std::pair{"notification", &r.notification},
                                  std::pair{"final_report", &r.final_report}}) {
            const std::string f = base + "." + name;
            if (auto v = MUHAFIZ_TRY(core::GetString(o, name, base))) *slot = MUHAFIZ_TRY(ParseDuration(*v, f));
        }
        set.regimes_.emplace(key, std::move(r));
    }
    set.default_key_ = MUHAFIZ_TRY(core::GetString(doc, "default_regime")).value_or(set.regimes_.begin()->first);
    if (!set.regimes_.contains(set.default_key_))
        return core::Invalid("default_regime", "default_regime '" + set.default_key_ + "' is not defined under regimes");
    if (auto v = MUHAFIZ_TRY(core::GetString(doc, "reminder_before")))
        set.reminder_before_ = MUHAFIZ_TRY(ParseDuration(*v, "reminder_before"));
    if (auto* sectors = doc.if_contains("sectors")) {
        if (!sectors->is_object()) return core::Invalid("sectors", "sectors maps sector names to regime keys");
        for (const auto& kv : sectors->as_object()) {
            const std::string f = "sectors." + std::string(kv.key());
            if (!kv.value().is_string()) return core::Invalid(f, "a regime key is a string");
            std::string key(kv.value().as_string());
            if (!set.regimes_.contains(key)) return core::Invalid(f, "regime '" + key + "' is not defined");
            set.sectors_.emplace(std::string(kv.key()), key);
        }
    }
    if (auto* templates = doc.if_contains("task_templates")) {
        if (!templates->is_object()) return core::Invalid("task_templates", "task_templates maps classifications to task titles");
        for (const auto& kv : templates->as_object()) {
            const std::string f = "task_templates." + std::string(kv.key());
            std::string k(kv.key());
            auto slash = k.find('/');
            Classification c{k.substr(0, slash), slash == std::string::npos ? "" : k.substr(slash + 1)};
            if (!ValidateClassification(c)) return core::Invalid(f, "'" + k + "' is not an RSIT class or class/type");
            if (!kv.value().is_array()) return core::Invalid(f, "a template is a list of task titles");
            std::vector<std::string> titles;
            for (const auto& t : kv.value().as_array()) {
                if (!t.is_string() || t.as_string().empty()) return core::Invalid(f, "task titles are non-empty strings");
                titles.emplace_back(t.as_string());
            }
            set.templates_.emplace(k, std::move(titles));
        }
    }
    return set;
}

const RegimeSet& RegimeSet::Default() {
    static const RegimeSet kDefault = [] {
        auto r = Parse(EmbeddedDefaultRegimes());
        return r ? std::move(*r) : RegimeSet{};
    }();
    return kDefault;
}

core::Result<RegimeSet> RegimeSet::Load(const std::string& path) {
    if (path.empty()) return Default();
    std::ifstream in(path, std::ios::binary);
    if (!in) return core::Invalid("incidents_regimes_file", "cannot read the reporting-regimes file " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto r = Parse(ss.str());
    if (!r) {
        auto e = r.error();
        e.message = path + ": " + (e.field.empty() ? "" : e.field + ": ") + e.message;
        return tl::unexpected(e);
    }
    return r;
}

const Regime* RegimeSet::Find(std::string_view key) const {
    auto it = regimes_.find(key);
    return it == regimes_.end() ? nullptr : &it->second;
}

const Regime& RegimeSet::ForSector(std::string_view sector) const {
    static const Regime kEmpty{"none", "No regime", {}, {}, {}, {}};
    if (auto it = sectors_.find(sector); it != sectors_.end())
        if (auto* r = Find(it->second)) return *r;
    if (auto* r = Find(default_key_)) return *r;
    return kEmpty;
}

std::vector<std::string> RegimeSet::TaskTemplates(const std::vector<Classification>& cs) const {
    std::vector<std::string> out;
    auto add = [&](const std::string& key) {
        auto it = templates_.find(key);
        if (it == templates_.end()) return;
        for (const auto& t : it->second)
            if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    };
    for (const auto& c : cs) {
        add(c.cls);
        if (!c.type.empty()) add(c.cls + "/" + c.type);
    }
    return out;
}

json::object RegimeSet::ToJson() const {
    json::object regimes;
    for (const auto& [key, r] : regimes_) {
        json::object ack;
        for (const auto& [sev, d] : r.acknowledge) ack[SeverityName(sev)] = d.text;
        json::object o{{"name", r.name}, {"acknowledge", std::move(ack)}};
        if (r.early_warning) o["early_warning"] = r.early_warning->text;
        if (r.notification) o["notification"] = r.notification->text;
        if (r.final_report) o["final_report"] = r.final_report->text;
        regimes[key] = std::move(o);
    }
    json::object sectors;
    for (const auto& [s, k] : sectors_) sectors[s] = k;
    json::object templates;
    for (const auto& [k, ts] : templates_) {
        json::array a;
        for (const auto& t : ts) a.push_back(json::string(t));
        templates[k] = std::move(a);
    }
    return json::object{{"default_regime", default_key_}, {"reminder_before", reminder_before_.text},
                        {"regimes", std::move(regimes)}, {"sectors", std::move(sectors)},
                        {"task_templates", std::move(templates)}};
}

std::vector<Deadline> ComputeDeadlines(const Regime& regime, Severity severity, core::Micros reported_at,
                                       core::Micros aware_at) {
    std::vector<Deadline> out;
    if (auto it = regime.acknowledge.find(severity); it != regime.acknowledge.end())
        out.push_back({DeadlineKind::kAcknowledge, AddDuration(reported_at, it->second)});
    if (regime.early_warning) out.push_back({DeadlineKind::kEarlyWarning, AddDuration(aware_at, *regime.early_warning)});
    if (regime.notification) out.push_back({DeadlineKind::kNotification, AddDuration(aware_at, *regime.notification)});
    if (regime.final_report) out.push_back({DeadlineKind::kFinalReport, AddDuration(aware_at, *regime.final_report)});
    return out;
}

}  // namespace muhafiz::incidents
