#include "vulns/matcher.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_set>

#include "vulns/cpe.hpp"
#include "vulns/purl.hpp"

namespace muhafiz::vulns {

namespace {

// A record's entry that may concern an asset: (record, source, entry index into cna_affected /
// adp_affected, or -1 for the NVD configurations).
using Candidate = std::tuple<const VulnRecord*, FindingSource, int>;
using Keyed = std::vector<std::pair<std::string, Candidate>>;

constexpr std::array<std::string_view, 3> kSourceNames = {"cna", "adp", "nvd"};

bool IsNa(std::string_view s) {
    s = TrimVersion(s);
    return s.empty() || NormaliseName(s) == "n/a";
}

bool Plain(const CpeValue& v) {
    return v.kind == CpeValue::Kind::kValue && !v.text.empty() && v.head.empty() && v.tail.empty();
}

std::optional<std::string> CpeKey(const Cpe& c) {
    if (!Plain(c[CpeAttribute::kVendor]) || !Plain(c[CpeAttribute::kProduct])) return std::nullopt;
    return VendorProductKey(c[CpeAttribute::kVendor].text, c[CpeAttribute::kProduct].text);
}

// CVE 5 collectionURL + packageName → purl (type, namespace, name), tolerant of how CNAs write
// the URL (with or without scheme, path or trailing slash).
std::optional<Purl> PackageOf(std::string_view collection_url, std::string_view package_name) {
    struct Registry {
        std::string_view host;
        std::string_view type;
        std::string_view name_space;
    };
    static constexpr Registry kRegistries[] = {
        {"pypi.org", "pypi", ""},          {"pypi.python.org", "pypi", ""},
        {"pythonhosted.org", "pypi", ""},  {"npmjs.com", "npm", ""},
        {"npmjs.org", "npm", ""},          {"maven.apache.org", "maven", ""},
        {"repo1.maven.org", "maven", ""},  {"search.maven.org", "maven", ""},
        {"central.sonatype", "maven", ""}, {"pkg.go.dev", "golang", ""},
        {"proxy.golang.org", "golang", ""}, {"go.dev", "golang", ""},
        {"crates.io", "cargo", ""},        {"rubygems.org", "gem", ""},
        {"nuget.org", "nuget", ""},        {"packagist.org", "composer", ""},
        {"hex.pm", "hex", ""},             {"debian.org", "deb", "debian"},
        {"ubuntu.com", "deb", "ubuntu"},   {"launchpad.net", "deb", "ubuntu"},
        {"redhat.com", "rpm", "redhat"},   {"fedoraproject.org", "rpm", "fedora"},
        {"alpinelinux.org", "apk", "alpine"}, {"github.com", "github", ""},
    };
    const std::string url = NormaliseName(collection_url);
    std::string name(TrimVersion(package_name));
    if (name.empty()) return std::nullopt;
    for (const Registry& r : kRegistries) {
        if (url.find(r.host) == std::string::npos) continue;
        Purl p;
        p.type = r.type;
        p.name_space = r.name_space;
        std::size_t split = std::string::npos;
        if (r.type == "maven") {
            split = name.find(':');
            if (split == std::string::npos) split = name.rfind('/');
        } else if (r.type == "golang") {
            split = name.rfind('/');
        } else if (r.type == "npm" || r.type == "github" || r.type == "composer") {
            split = name.find('/');
        }
        if (split != std::string::npos) {
            p.name_space = name.substr(0, split);
            name = name.substr(split + 1);
        }
        p.name = name;
        if (!NormalisePurl(p)) return std::nullopt;
        return p;
    }
    return std::nullopt;
}

std::vector<std::string> EntryKeys(const AffectedEntry& e) {
    std::vector<std::string> keys;
    if (!IsNa(e.vendor) && !IsNa(e.product)) keys.push_back(VendorProductKey(e.vendor, e.product));
    for (const std::string& text : e.cpes)
        if (auto c = ParseCpe(text))
            if (auto k = CpeKey(*c)) keys.push_back(*k);
    if (auto p = PackageOf(e.collection_url, e.package_name))
        keys.push_back(PackageKey(p->type, p->name_space, p->name));
    return keys;
}

// Every (key, candidate) of a record, without duplicates.
Keyed CandidatesOf(const VulnRecord& r) {
    Keyed out;
    for (std::size_t i = 0; i < r.cna_affected.size(); ++i)
        for (auto& k : EntryKeys(r.cna_affected[i]))
            out.emplace_back(std::move(k), Candidate{&r, FindingSource::kCna, static_cast<int>(i)});
    for (std::size_t i = 0; i < r.adp_affected.size(); ++i)
        for (auto& k : EntryKeys(r.adp_affected[i]))
            out.emplace_back(std::move(k), Candidate{&r, FindingSource::kAdp, static_cast<int>(i)});
    for (const CpeConfiguration& config : r.nvd_configurations)
        for (const CpeNode& node : config.nodes)
            for (const CpeMatch& m : node.cpe_match)
                if (m.vulnerable && !node.negate)
                    if (auto k = CpeKey(m.criteria))
                        out.emplace_back(std::move(*k), Candidate{&r, FindingSource::kNvd, -1});
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// What matching needs of an asset, computed once per distinct product/version.
struct Prepared {
    std::vector<std::string> keys;
    std::optional<Cpe> cpe;  // the asset's, or one made from vendor/product/version
    std::string version;
    std::optional<VersionScheme> hint;
};

Prepared Prepare(const Asset& a) {
    Prepared p;
    p.keys = ProductKeys(a);
    p.version = MatchVersion(a);
    p.hint = SchemeHint(a);
    if (!a.cpe.empty()) {
        if (auto c = ParseCpe(a.cpe)) p.cpe = std::move(*c);
    } else if (!a.vendor.empty() && !a.product.empty()) {
        Cpe c;  // every attribute ANY (part too: the criterion's part decides)
        c.attributes[static_cast<std::size_t>(CpeAttribute::kVendor)] = {CpeValue::Kind::kValue,
                                                                         NormaliseName(a.vendor), "", ""};
        c.attributes[static_cast<std::size_t>(CpeAttribute::kProduct)] = {CpeValue::Kind::kValue,
                                                                          NormaliseName(a.product), "", ""};
        if (!p.version.empty())
            c.attributes[static_cast<std::size_t>(CpeAttribute::kVersion)] = {CpeValue::Kind::kValue,
                                                                              NormaliseName(p.version), "", ""};
        p.cpe = std::move(c);
    }
    return p;
}

// Assets with equal signatures get equal findings.
std::string Signature(const Asset& a) {
    return a.cpe + '\n' + a.purl + '\n' + a.vendor + '\n' + a.product + '\n' + a.version + '\n' +
           a.version_scheme;
}

Decision JudgeEntry(const AffectedEntry& e, const Prepared& a) {
    if (e.versions.empty() && !e.cpes.empty() && a.cpe) {
        // A product stream named by CPEs (e.g. one RHEL release): its CPEs say whether it is the
        // asset's, its defaultStatus what holds for it.
        std::optional<std::string> undecided;
        for (std::size_t i = 0; i < e.cpes.size(); ++i) {
            auto criteria = ParseCpe(e.cpes[i]);
            if (!criteria) continue;
            const CpeMatchResult r = MatchCpe(CpeMatch{true, std::move(*criteria), {}, {}, {}, {}}, *a.cpe, a.hint);
            const std::string where = "cpes[" + std::to_string(i) + "]: " + r.reason;
            if (r.matches == true) {
                const VulnStatus s = e.default_status.value_or(VulnStatus::kUnknown);
                return {s, where + "; defaultStatus " + std::string(VulnStatusName(s))};
            }
            if (!r.matches && !undecided) undecided = where;
        }
        if (undecided) return {VulnStatus::kUnknown, *undecided};
        return {VulnStatus::kUnaffected, "no cpes[] entry names the asset's product stream"};
    }
    if (a.version.empty() && !e.versions.empty())
        return {VulnStatus::kUnknown, "the asset names no version to compare with versions[]"};
    return Evaluate(e, a.version, a.hint);
}

Decision JudgeNvd(const VulnRecord& r, const Prepared& a) {
    if (!a.cpe) return {VulnStatus::kUnknown, "the asset has no CPE name"};
    Decision d = EvaluateConfigurations(r.nvd_configurations, {*a.cpe}, a.hint);
    if (d.status != VulnStatus::kUnaffected) return d;
    // The vulnerable part matches but the platform it needs is not something one asset can show.
    for (std::size_t ci = 0; ci < r.nvd_configurations.size(); ++ci) {
        const CpeConfiguration& config = r.nvd_configurations[ci];
        if (config.op != CpeOperator::kAnd || config.negate || config.nodes.size() < 2) continue;
        for (const CpeNode& node : config.nodes) {
            if (node.negate) continue;
            for (const CpeMatch& m : node.cpe_match) {
                if (!m.vulnerable) continue;
                const CpeMatchResult hit = MatchCpe(m, *a.cpe, a.hint);
                if (hit.matches == true)
                    return {VulnStatus::kUnknown, "configurations[" + std::to_string(ci) + "]: " + hit.reason +
                                                      ", but its platform conditions are not in the inventory"};
            }
        }
    }
    return d;
}

int Rank(VulnStatus s) {
    return s == VulnStatus::kAffected ? 2 : s == VulnStatus::kUnaffected ? 1 : 0;
}

std::string Label(const VulnRecord& r, FindingSource source, int entry) {
    if (source == FindingSource::kNvd) return "nvd";
    const AffectedEntry& e = (source == FindingSource::kCna ? r.cna_affected : r.adp_affected)[entry];
    std::string what = !IsNa(e.product) ? e.vendor + " " + e.product
                       : !e.package_name.empty() ? e.package_name
                       : !e.cpes.empty() ? e.cpes.front() : std::string("?");
    return std::string(kSourceNames[static_cast<std::size_t>(source)]) + " affected[" + std::to_string(entry) +
           "] (" + what + ")";
}

// The finding of one record for one asset, from the record's candidates that met the asset.
std::optional<Finding> Judge(const VulnRecord& r, const Candidate* begin, const Candidate* end,
                             const Prepared& a) {
    std::array<std::optional<Decision>, 3> best;
    for (const Candidate* c = begin; c != end; ++c) {
        const auto [rec, source, entry] = *c;
        Decision d = source == FindingSource::kNvd
                         ? JudgeNvd(r, a)
                         : JudgeEntry((source == FindingSource::kCna ? r.cna_affected : r.adp_affected)[entry], a);
        auto& slot = best[static_cast<std::size_t>(source)];
        if (!slot || Rank(d.status) > Rank(slot->status)) {
            d.reason = Label(r, source, entry) + ": " + d.reason;
            slot = std::move(d);
        }
    }
    const Decision* chosen = nullptr;
    FindingSource from = FindingSource::kCna;
    for (VulnStatus want : {VulnStatus::kAffected, VulnStatus::kUnaffected, VulnStatus::kUnknown}) {
        for (std::size_t s = 0; s < best.size() && !chosen; ++s)
            if (best[s] && best[s]->status == want) {
                chosen = &*best[s];
                from = static_cast<FindingSource>(s);
            }
        if (chosen) break;
    }
    if (!chosen || chosen->status == VulnStatus::kUnaffected) return std::nullopt;
    Finding f;
    f.cve_id = r.cve_id;
    f.status = chosen->status;
    f.source = from;
    f.reason = chosen->reason;
    if (const CvssMetric* m = r.BestMetric()) f.cvss = m->score;
    f.epss = r.epss;
    f.kev = r.kev.has_value();
    f.priority = Priority(f.cvss, f.epss, f.kev);
    return f;
}

// Judges every record among `candidates`. Gathered from one key's list, each record's candidates
// are adjacent already; from several, they are sorted together first.
std::vector<Finding> JudgeAll(std::vector<Candidate>& candidates, const Prepared& a, std::int64_t asset_id,
                              bool adjacent) {
    if (!adjacent) {
        std::sort(candidates.begin(), candidates.end());
        candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    }
    std::vector<Finding> out;
    for (std::size_t i = 0; i < candidates.size();) {
        std::size_t j = i;
        while (j < candidates.size() && std::get<0>(candidates[j]) == std::get<0>(candidates[i])) ++j;
        if (auto f = Judge(*std::get<0>(candidates[i]), candidates.data() + i, candidates.data() + j, a)) {
            f->asset_id = asset_id;
            out.push_back(std::move(*f));
        }
        i = j;
    }
    std::sort(out.begin(), out.end(), [](const Finding& x, const Finding& y) { return x.cve_id < y.cve_id; });
    return out;
}

template <typename Map>
void EraseFromList(Map& map, const std::string& key, auto&& pred) {
    auto it = map.find(key);
    if (it == map.end()) return;
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(), pred), list.end());
    if (list.empty()) map.erase(it);
}

}  // namespace

struct MatchIndex::State {
    std::unordered_map<std::string, std::unique_ptr<const VulnRecord>> records;
    std::unordered_map<std::string, std::vector<Candidate>> by_key;
    std::unordered_map<std::int64_t, Asset> assets;
    std::unordered_map<std::string, std::vector<std::int64_t>> assets_by_key;

    std::vector<Candidate> Gather(const std::vector<std::string>& keys) const {
        std::vector<Candidate> out;
        for (const std::string& key : keys)
            if (auto it = by_key.find(key); it != by_key.end()) out.insert(out.end(), it->second.begin(), it->second.end());
        return out;
    }
};

std::string_view FindingSourceName(FindingSource s) { return kSourceNames[static_cast<std::size_t>(s)]; }

std::optional<FindingSource> ParseFindingSource(std::string_view text) {
    for (std::size_t i = 0; i < kSourceNames.size(); ++i)
        if (text == kSourceNames[i]) return static_cast<FindingSource>(i);
    return std::nullopt;
}

double Priority(std::optional<double> cvss, std::optional<double> epss, bool kev) {
    const double score = std::clamp(cvss.value_or(5.0), 0.0, 10.0);
    const double p = std::clamp(epss.value_or(0.0), 0.0, 1.0);
    return (kev ? 100.0 : 0.0) + score * (1.0 + 9.0 * p);
}

std::vector<std::string> RecordKeys(const VulnRecord& record) {
    std::vector<std::string> keys;
    for (auto& [key, candidate] : CandidatesOf(record)) keys.push_back(key);
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return keys;
}

MatchIndex::MatchIndex() : state_(std::make_unique<State>()) {}

MatchIndex::MatchIndex(std::vector<VulnRecord> records) : MatchIndex() {
    state_->records.reserve(records.size());
    for (VulnRecord& r : records) UpsertRecord(std::move(r));
}

MatchIndex::~MatchIndex() = default;

void MatchIndex::UpsertRecord(VulnRecord record) {
    auto owned = std::make_unique<const VulnRecord>(std::move(record));
    const Keyed keyed = CandidatesOf(*owned);
    std::unique_lock lock(mu_);
    auto& slot = state_->records[owned->cve_id];
    if (slot) {
        const VulnRecord* old = slot.get();
        for (const auto& [key, c] : CandidatesOf(*old))
            EraseFromList(state_->by_key, key, [old](const Candidate& x) { return std::get<0>(x) == old; });
    }
    for (const auto& [key, c] : keyed) state_->by_key[key].push_back(c);
    slot = std::move(owned);
}

bool MatchIndex::RemoveRecord(std::string_view cve_id) {
    std::unique_lock lock(mu_);
    auto it = state_->records.find(std::string(cve_id));
    if (it == state_->records.end()) return false;
    const VulnRecord* old = it->second.get();
    for (const auto& [key, c] : CandidatesOf(*old))
        EraseFromList(state_->by_key, key, [old](const Candidate& x) { return std::get<0>(x) == old; });
    state_->records.erase(it);
    return true;
}

std::size_t MatchIndex::record_count() const {
    std::shared_lock lock(mu_);
    return state_->records.size();
}

void MatchIndex::UpsertAsset(Asset asset) {
    const std::vector<std::string> keys = ProductKeys(asset);
    std::unique_lock lock(mu_);
    const std::int64_t id = asset.id;
    if (auto it = state_->assets.find(id); it != state_->assets.end())
        for (const std::string& key : ProductKeys(it->second))
            EraseFromList(state_->assets_by_key, key, [id](std::int64_t x) { return x == id; });
    for (const std::string& key : keys) state_->assets_by_key[key].push_back(id);
    state_->assets[id] = std::move(asset);
}

bool MatchIndex::RemoveAsset(std::int64_t asset_id) {
    std::unique_lock lock(mu_);
    auto it = state_->assets.find(asset_id);
    if (it == state_->assets.end()) return false;
    for (const std::string& key : ProductKeys(it->second))
        EraseFromList(state_->assets_by_key, key, [asset_id](std::int64_t x) { return x == asset_id; });
    state_->assets.erase(it);
    return true;
}

std::size_t MatchIndex::asset_count() const {
    std::shared_lock lock(mu_);
    return state_->assets.size();
}

std::vector<Finding> MatchIndex::MatchAsset(const Asset& asset) const {
    const Prepared a = Prepare(asset);
    std::shared_lock lock(mu_);
    std::vector<Candidate> candidates = state_->Gather(a.keys);
    return JudgeAll(candidates, a, asset.id, a.keys.size() <= 1);
}

std::vector<Finding> MatchIndex::MatchRecord(const VulnRecord& record) const {
    const Keyed keyed = CandidatesOf(record);
    std::shared_lock lock(mu_);
    std::vector<std::int64_t> ids;
    for (std::size_t i = 0; i < keyed.size(); ++i) {
        if (i > 0 && keyed[i].first == keyed[i - 1].first) continue;
        if (auto it = state_->assets_by_key.find(keyed[i].first); it != state_->assets_by_key.end())
            ids.insert(ids.end(), it->second.begin(), it->second.end());
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());

    std::unordered_map<std::string, std::optional<Finding>> by_signature;
    std::vector<Finding> out;
    for (std::int64_t id : ids) {
        const Asset& asset = state_->assets.at(id);
        auto [it, fresh] = by_signature.try_emplace(Signature(asset));
        if (fresh) {
            const Prepared a = Prepare(asset);
            std::vector<Candidate> candidates;
            for (const auto& [key, c] : keyed)
                if (std::binary_search(a.keys.begin(), a.keys.end(), key)) candidates.push_back(c);
            auto found = JudgeAll(candidates, a, 0, false);
            if (!found.empty()) it->second = std::move(found.front());
        }
        if (it->second) {
            out.push_back(*it->second);
            out.back().asset_id = id;
        }
    }
    return out;
}

std::size_t MatchIndex::MatchAll(unsigned threads, const Sink& sink) const {
    std::shared_lock lock(mu_);
    std::unordered_map<std::string, std::vector<const Asset*>> groups_by_signature;
    for (const auto& [id, asset] : state_->assets) groups_by_signature[Signature(asset)].push_back(&asset);
    std::vector<const std::vector<const Asset*>*> groups;
    groups.reserve(groups_by_signature.size());
    for (const auto& [sig, group] : groups_by_signature) groups.push_back(&group);

    std::atomic<std::size_t> next{0}, total{0};
    auto work = [&] {
        for (std::size_t g; (g = next.fetch_add(1)) < groups.size();) {
            const std::vector<const Asset*>& group = *groups[g];
            const Prepared a = Prepare(*group.front());
            std::vector<Candidate> candidates = state_->Gather(a.keys);
            std::vector<Finding> found = JudgeAll(candidates, a, 0, a.keys.size() <= 1);
            if (found.empty()) continue;
            total += found.size() * group.size();
            for (const Asset* asset : group) {
                for (Finding& f : found) f.asset_id = asset->id;
                sink(*asset, found);
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < std::max(1u, threads); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    return total;
}

}  // namespace muhafiz::vulns
