#include "vulns/cpe.hpp"

#include <algorithm>

namespace muhafiz::vulns {
namespace {

using core::Invalid;
using core::Result;
namespace json = core::json;

constexpr std::array<std::string_view, kCpeAttributes> kAttributeNames = {
    "part",     "vendor",     "product",   "version",   "update", "edition",
    "language", "sw_edition", "target_sw", "target_hw", "other"};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsWildcard(char c) { return c == '*' || c == '?'; }

// Builds a value from characters that are either quoted (literal) or not (possible wildcard).
class ValueBuilder {
  public:
    void Add(char c, bool quoted) { chars_.emplace_back(Lower(c), quoted); }

    Result<CpeValue> Build(std::string_view raw) const {
        CpeValue v;
        v.kind = CpeValue::Kind::kValue;
        std::size_t begin = 0, end = chars_.size();
        auto wild = [this](std::size_t i) {
            return !chars_[i].second && IsWildcard(chars_[i].first);
        };
        while (begin < end && wild(begin)) v.head += chars_[begin++].first;
        while (end > begin && wild(end - 1)) v.tail.insert(v.tail.begin(), chars_[--end].first);
        for (std::size_t i = begin; i < end; ++i) {
            if (wild(i))
                return Invalid("cpe", "embedded wildcard in CPE value '" + std::string(raw) + "'");
            v.text += chars_[i].first;
        }
        return v;
    }

  private:
    std::vector<std::pair<char, bool>> chars_;
};

// One attribute of the formatted-string binding.
Result<CpeValue> ParseFormattedValue(std::string_view raw) {
    if (raw == "*") return CpeValue{};
    if (raw == "-") return CpeValue{CpeValue::Kind::kNa, {}, {}, {}};
    if (raw.empty()) return Invalid("cpe", "empty CPE attribute");
    ValueBuilder b;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c <= ' ' || c > '~')
            return Invalid("cpe", "bad character in CPE value '" + std::string(raw) + "'");
        if (c != '\\') {
            b.Add(c, false);
        } else if (++i < raw.size()) {
            b.Add(raw[i], true);
        } else {
            return Invalid("cpe", "dangling escape in CPE value '" + std::string(raw) + "'");
        }
    }
    return b.Build(raw);
}

// One component of the URI binding (percent-encoded; empty = ANY, "-" = NA).
Result<CpeValue> ParseUriValue(std::string_view raw) {
    if (raw.empty()) return CpeValue{};
    if (raw == "-") return CpeValue{CpeValue::Kind::kNa, {}, {}, {}};
    ValueBuilder b;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%') {
            b.Add(raw[i], true);
            continue;
        }
        unsigned code = 0;
        const std::string hex(raw.substr(i + 1, 2));
        if (hex.size() != 2 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
            return Invalid("cpe",
                           "bad percent-encoding in CPE URI component '" + std::string(raw) + "'");
        code = static_cast<unsigned>(std::stoul(hex, nullptr, 16));
        i += 2;
        if (code == 1)
            b.Add('?', false);  // %01: single-character wildcard
        else if (code == 2)
            b.Add('*', false);  // %02: multi-character wildcard
        else
            b.Add(static_cast<char>(code), true);
    }
    return b.Build(raw);
}

std::vector<std::string_view> SplitUnescaped(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
        } else if (s[i] == sep) {
            out.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    out.push_back(s.substr(start));
    return out;
}

Result<Cpe> ParseUri(std::string_view rest) {
    const auto parts = SplitUnescaped(rest, ':');
    if (parts.size() > 7) return Invalid("cpe", "a CPE URI has at most 7 components");
    Cpe cpe;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i == 5 && !parts[i].empty() && parts[i][0] == '~') {  // packed edition
            const auto packed = SplitUnescaped(parts[i].substr(1), '~');
            if (packed.size() != 5) return Invalid("cpe", "a packed CPE edition has 5 fields");
            for (std::size_t k = 0; k < packed.size(); ++k) {
                static constexpr std::array<CpeAttribute, 5> kPacked = {
                    CpeAttribute::kEdition, CpeAttribute::kSwEdition, CpeAttribute::kTargetSw,
                    CpeAttribute::kTargetHw, CpeAttribute::kOther};
                cpe.attributes[static_cast<std::size_t>(kPacked[k])] =
                    MUHAFIZ_TRY(ParseUriValue(packed[k]));
            }
            continue;
        }
        static constexpr std::array<CpeAttribute, 7> kUri = {
            CpeAttribute::kPart,    CpeAttribute::kVendor, CpeAttribute::kProduct,
            CpeAttribute::kVersion, CpeAttribute::kUpdate, CpeAttribute::kEdition,
            CpeAttribute::kLanguage};
        cpe.attributes[static_cast<std::size_t>(kUri[i])] = MUHAFIZ_TRY(ParseUriValue(parts[i]));
    }
    return cpe;
}

std::string FormatValue(const CpeValue& v) {
    if (v.kind == CpeValue::Kind::kAny) return "*";
    if (v.kind == CpeValue::Kind::kNa) return "-";
    std::string out = v.head;
    for (char c : v.text) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                           c == '.' || (c == '-' && v.text.size() > 1);
        if (!plain) out += '\\';
        out += c;
    }
    return out + v.tail;
}

// Whether the wildcards `w` (`*` any run, `?` one character) accept a run of n characters.
bool WildcardsAccept(std::string_view w, std::size_t n) {
    const auto singles = static_cast<std::size_t>(std::count(w.begin(), w.end(), '?'));
    return w.find('*') != std::string_view::npos ? n >= singles : n == singles;
}

bool IsWildcardOnly(const CpeValue& v) {
    return v.kind == CpeValue::Kind::kAny || (v.kind == CpeValue::Kind::kValue && v.text.empty());
}

using Tri = std::optional<bool>;

// Kleene AND/OR over three-valued results.
Tri Combine(CpeOperator op, const std::vector<Tri>& values) {
    const bool decisive = op == CpeOperator::kOr;  // the value that settles the operator
    bool unknown = false;
    for (const Tri& v : values) {
        if (v == decisive) return decisive;
        unknown = unknown || !v;
    }
    if (unknown) return std::nullopt;
    return !decisive;
}

// The result of a node or configuration, with the evidence that a vulnerable entry matched.
struct Outcome {
    Tri value;
    std::string reason;
    bool vulnerable_hit = false;      // a vulnerable cpeMatch matched (not negated)
    bool vulnerable_unknown = false;  // a vulnerable cpeMatch could not be decided
};

// Combines child outcomes under op/negate; child reasons are prefixed with their labels.
Outcome CombineOutcomes(CpeOperator op, bool negate, const std::vector<Outcome>& children,
                        const std::vector<std::string>& labels) {
    Outcome out;
    std::vector<Tri> values;
    for (const auto& c : children) values.push_back(c.value);
    out.value = Combine(op, values);
    for (std::size_t i = 0; i < children.size(); ++i) {
        const Outcome& c = children[i];
        const bool relevant = c.value == out.value;
        if (relevant && (op == CpeOperator::kAnd ? true : out.reason.empty())) {
            if (!out.reason.empty()) out.reason += "; ";
            out.reason += labels[i].empty() ? c.reason : labels[i] + ": " + c.reason;
        }
        out.vulnerable_hit = out.vulnerable_hit || (c.vulnerable_hit && c.value == true);
        out.vulnerable_unknown = out.vulnerable_unknown || c.vulnerable_unknown;
    }
    if (out.reason.empty()) out.reason = out.value == false ? "nothing matches" : "undecided";
    if (negate) {
        if (out.value) out.value = !*out.value;
        out.reason = "negated (" + out.reason + ")";
        out.vulnerable_hit = out.vulnerable_unknown = false;
    }
    out.vulnerable_hit = out.vulnerable_hit && out.value == true;
    return out;
}

Result<CpeOperator> OperatorField(const json::object& o, std::string_view path) {
    auto op = MUHAFIZ_TRY(json_map::Trimmed(o, "operator", path));
    if (!op || *op == "OR") return CpeOperator::kOr;
    if (*op == "AND") return CpeOperator::kAnd;
    return json_map::Bad(json_map::FieldPath(path, "operator"), "must be AND or OR");
}

Result<CpeMatch> ParseCpeMatch(const json::value& v, std::string_view path) {
    const json::object& o = *MUHAFIZ_TRY(json_map::AsObject(v, path));
    CpeMatch m;
    auto vulnerable = MUHAFIZ_TRY(core::GetBool(o, "vulnerable", path));
    if (!vulnerable) return json_map::Bad(json_map::FieldPath(path, "vulnerable"), "is required");
    m.vulnerable = *vulnerable;
    auto criteria = ParseCpe(MUHAFIZ_TRY(json_map::Required(o, "criteria", path)));
    if (!criteria)
        return json_map::Bad(json_map::FieldPath(path, "criteria"), criteria.error().message);
    m.criteria = std::move(*criteria);
    m.version_start_including = MUHAFIZ_TRY(json_map::Trimmed(o, "versionStartIncluding", path));
    m.version_start_excluding = MUHAFIZ_TRY(json_map::Trimmed(o, "versionStartExcluding", path));
    m.version_end_including = MUHAFIZ_TRY(json_map::Trimmed(o, "versionEndIncluding", path));
    m.version_end_excluding = MUHAFIZ_TRY(json_map::Trimmed(o, "versionEndExcluding", path));
    return m;
}

Result<CpeNode> ParseNode(const json::value& v, std::string_view path) {
    const json::object& o = *MUHAFIZ_TRY(json_map::AsObject(v, path));
    CpeNode node;
    node.op = MUHAFIZ_TRY(OperatorField(o, path));
    node.negate = MUHAFIZ_TRY(core::GetBool(o, "negate", path)).value_or(false);
    MUHAFIZ_CHECK(json_map::ForEach(
        o, "cpeMatch", path, [&](const json::value& m, const std::string& at) -> core::Status {
            node.cpe_match.push_back(MUHAFIZ_TRY(ParseCpeMatch(m, at)));
            return core::Ok();
        }));
    return node;
}

}  // namespace

std::string Cpe::ToString() const {
    std::string out = "cpe:2.3";
    for (const auto& v : attributes) out += ":" + FormatValue(v);
    return out;
}

Result<Cpe> ParseCpe(std::string_view text) {
    text = TrimVersion(text);
    std::string prefix(text.substr(0, 8));
    for (char& c : prefix) c = Lower(c);
    if (prefix.starts_with("cpe:/")) return ParseUri(text.substr(5));
    if (prefix != "cpe:2.3:") return Invalid("cpe", "a CPE starts with cpe:2.3: or cpe:/");
    const auto parts = SplitUnescaped(text.substr(8), ':');
    if (parts.size() != kCpeAttributes)
        return Invalid("cpe", "a CPE 2.3 name has 11 attributes after cpe:2.3:, not " +
                                  std::to_string(parts.size()));
    Cpe cpe;
    for (std::size_t i = 0; i < parts.size(); ++i)
        cpe.attributes[i] = MUHAFIZ_TRY(ParseFormattedValue(parts[i]));
    const CpeValue& part = cpe[CpeAttribute::kPart];
    if (part.kind == CpeValue::Kind::kNa ||
        (part.kind == CpeValue::Kind::kValue && part.text != "a" && part.text != "o" &&
         part.text != "h"))
        return Invalid("cpe", "the CPE part must be a, o or h");
    return cpe;
}

CpeRelation CompareCpeValues(const CpeValue& source, const CpeValue& target) {
    using Kind = CpeValue::Kind;
    if (source.kind == Kind::kAny)
        return target.kind == Kind::kAny ? CpeRelation::kEqual : CpeRelation::kSuperset;
    if (target.kind == Kind::kAny) return CpeRelation::kSubset;
    if (source.kind == Kind::kNa || target.kind == Kind::kNa)
        return source.kind == target.kind ? CpeRelation::kEqual : CpeRelation::kDisjoint;
    if (!target.head.empty() || !target.tail.empty()) return CpeRelation::kUndefined;
    if (source.head.empty() && source.tail.empty())
        return source.text == target.text ? CpeRelation::kEqual : CpeRelation::kDisjoint;
    const std::string& t = target.text;
    for (std::size_t p = t.find(source.text); p != std::string::npos;
         p = t.find(source.text, p + 1))
        if (WildcardsAccept(source.head, p) &&
            WildcardsAccept(source.tail, t.size() - p - source.text.size()))
            return CpeRelation::kSuperset;
    return CpeRelation::kDisjoint;
}

CpeMatchResult MatchCpe(const CpeMatch& match, const Cpe& inventory,
                        std::optional<VersionScheme> hint) {
    const Cpe& c = match.criteria;
    const std::string names = c.ToString() + " against " + inventory.ToString();
    if (IsWildcardOnly(c[CpeAttribute::kVendor]) && IsWildcardOnly(c[CpeAttribute::kProduct]))
        return {false, "criteria " + c.ToString() + " rejected: wildcard vendor and product"};
    for (std::size_t i = 0; i < kCpeAttributes; ++i) {
        const auto attr = static_cast<CpeAttribute>(i);
        const std::string name(kAttributeNames[i]);
        switch (CompareCpeValues(c.attributes[i], inventory.attributes[i])) {
            case CpeRelation::kDisjoint:
                return {false, names + ": " + name + " differs"};
            case CpeRelation::kUndefined:
                return {std::nullopt, names + ": inventory " + name + " holds a wildcard"};
            case CpeRelation::kSubset:
                if (attr == CpeAttribute::kVendor || attr == CpeAttribute::kProduct ||
                    attr == CpeAttribute::kVersion)
                    return {std::nullopt, names + ": inventory leaves " + name + " open"};
                break;
            case CpeRelation::kEqual:
            case CpeRelation::kSuperset:
                break;
        }
    }
    const bool start = match.version_start_including || match.version_start_excluding;
    const bool end = match.version_end_including || match.version_end_excluding;
    if (!start && !end) return {true, names + ": matches"};
    const CpeValue& version = inventory[CpeAttribute::kVersion];
    if (version.kind != CpeValue::Kind::kValue)
        return {std::nullopt, names + ": version bounds need an inventory version"};
    std::optional<VersionBound> lower, upper;
    if (match.version_start_including)
        lower = VersionBound{"versionStartIncluding", *match.version_start_including, true};
    else if (match.version_start_excluding)
        lower = VersionBound{"versionStartExcluding", *match.version_start_excluding, false};
    if (match.version_end_including)
        upper = VersionBound{"versionEndIncluding", *match.version_end_including, true};
    else if (match.version_end_excluding)
        upper = VersionBound{"versionEndExcluding", *match.version_end_excluding, false};
    const RangeCheck range =
        CheckRange(hint.value_or(VersionScheme::kGeneric), version.text, lower, upper);
    return {range.inside, names + ": " + range.explanation};
}

Result<std::vector<CpeConfiguration>> ParseConfigurations(const json::value& v,
                                                          std::string_view path) {
    if (!v.is_array()) return json_map::Bad(std::string(path), "must be an array");
    std::vector<CpeConfiguration> out;
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
        const std::string at = std::string(path) + "[" + std::to_string(i) + "]";
        const json::object& o = *MUHAFIZ_TRY(json_map::AsObject(v.as_array()[i], at));
        CpeConfiguration config;
        config.op = MUHAFIZ_TRY(OperatorField(o, at));
        config.negate = MUHAFIZ_TRY(core::GetBool(o, "negate", at)).value_or(false);
        MUHAFIZ_CHECK(json_map::ForEach(
            o, "nodes", at, [&](const json::value& n, const std::string& node_at) -> core::Status {
                config.nodes.push_back(MUHAFIZ_TRY(ParseNode(n, node_at)));
                return core::Ok();
            }));
        out.push_back(std::move(config));
    }
    return out;
}

Decision EvaluateConfigurations(const std::vector<CpeConfiguration>& configurations,
                                const std::vector<Cpe>& inventory,
                                std::optional<VersionScheme> hint) {
    if (configurations.empty()) return {VulnStatus::kUnknown, "no configurations (not analysed)"};
    std::vector<const Cpe*> names;
    for (const Cpe& cpe : inventory)
        if (cpe[CpeAttribute::kProduct].kind == CpeValue::Kind::kValue &&
            !IsWildcardOnly(cpe[CpeAttribute::kProduct]))
            names.push_back(&cpe);
    if (names.empty()) return {VulnStatus::kUnknown, "no inventory CPE names a product"};

    std::optional<Decision> unknown;
    std::string first_miss;
    for (std::size_t ci = 0; ci < configurations.size(); ++ci) {
        const CpeConfiguration& config = configurations[ci];
        std::vector<Outcome> nodes;
        std::vector<std::string> node_labels;
        for (std::size_t ni = 0; ni < config.nodes.size(); ++ni) {
            const CpeNode& node = config.nodes[ni];
            std::vector<Outcome> matches;
            std::vector<std::string> labels;
            for (std::size_t mi = 0; mi < node.cpe_match.size(); ++mi) {
                const CpeMatch& m = node.cpe_match[mi];
                // One criterion against every inventory name: true if any name matches.
                std::vector<Outcome> per_name;
                for (const Cpe* name : names) {
                    const CpeMatchResult r = MatchCpe(m, *name, hint);
                    per_name.push_back({r.matches, r.reason, m.vulnerable && r.matches == true,
                                        m.vulnerable && !r.matches});
                }
                Outcome o = CombineOutcomes(CpeOperator::kOr, false, per_name,
                                            std::vector<std::string>(per_name.size()));
                o.reason = (m.vulnerable ? "vulnerable " : "platform ") + o.reason;
                matches.push_back(std::move(o));
                labels.push_back("cpeMatch[" + std::to_string(mi) + "]");
            }
            nodes.push_back(CombineOutcomes(node.op, node.negate, matches, labels));
            node_labels.push_back("nodes[" + std::to_string(ni) + "]");
        }
        const Outcome out = CombineOutcomes(config.op, config.negate, nodes, node_labels);
        const std::string where = "configurations[" + std::to_string(ci) + "]: ";
        if (out.value == true && out.vulnerable_hit) return {VulnStatus::kAffected, where + out.reason};
        if (!unknown && (!out.value || (out.value == true && out.vulnerable_unknown)))
            unknown = Decision{VulnStatus::kUnknown, where + out.reason};
        if (first_miss.empty() && out.value == true)
            first_miss = where + "only platform criteria match (" + out.reason + ")";
    }
    if (unknown) return *unknown;
    return {VulnStatus::kUnaffected,
            "no configuration applies" + (first_miss.empty() ? "" : "; " + first_miss)};
}

}  // namespace muhafiz::vulns
