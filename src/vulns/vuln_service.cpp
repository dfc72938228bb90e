#include "vulns/vuln_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "core/csv.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/time.hpp"

namespace muhafiz::vulns {
namespace {

namespace json = core::json;
using core::Result;
using core::Status;

constexpr std::size_t kInChunk = 500;  // ids per `IN (...)` list
// More changed CVEs than this in one import: a fresh index and a full match is cheaper than
// one MatchRecord and one transaction per CVE.
constexpr std::size_t kFullRematchThreshold = 2000;
constexpr std::size_t kAssetBatch = 500;  // assets per ReplaceForAssets transaction

std::string Placeholders(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
    return s;
}

// Runs `head` + " IN (?, ...)" + `tail` over `ids` in chunks; `fn(row)` for every row.
template <typename T, typename F>
Status ForEachIn(db::Connection& conn, std::string_view head, const std::vector<T>& ids,
                 std::string_view tail, F&& fn, const db::Params& prefix = {}) {
    for (std::size_t i = 0; i < ids.size(); i += kInChunk) {
        const std::size_t n = std::min(kInChunk, ids.size() - i);
        db::Params params = prefix;
        for (std::size_t j = i; j < i + n; ++j) params.emplace_back(ids[j]);
        auto rows = MUHAFIZ_TRY(conn.Query(
            std::string(head) + " IN (" + Placeholders(n) + ")" + std::string(tail), params));
        for (const auto& r : rows) fn(r);
    }
    return core::Ok();
}

std::optional<double> OptDouble(const db::Row& r, std::size_t i) {
    if (r.IsNull(i)) return std::nullopt;
    return r.Double(i);
}

int YearOf(core::Micros t) {
    const std::time_t secs = static_cast<std::time_t>(t / 1'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return tm.tm_year + 1900;
}

std::string Format1(double d) {
    std::ostringstream o;
    o.setf(std::ios::fixed);
    o.precision(1);
    o << d;
    return o.str();
}

// ---- digests ------------------------------------------------------------------------------------

struct DigestLine {
    std::string cve_id, title, status, reason, asset_uuid, asset_name, asset_version, finding_uuid;
    double priority = 0;
    std::optional<double> cvss, epss;
    bool kev = false;
};

struct Recipient {
    std::string name;
    std::string address;  // empty: none
    std::string pgp_key;
};

Recipient RecipientOf(const std::string& name, const std::string& contacts_json) {
    Recipient r{name, {}, {}};
    auto parsed = core::ParseJsonObject(contacts_json);
    if (!parsed) return r;
    auto str = [&](std::string_view key) {
        const json::value* v = core::Find(*parsed, key);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    r.address = str("security_email");
    if (r.address.empty()) r.address = str("abuse_email");
    r.pgp_key = str("pgp_key");
    return r;
}

// The internal ids of a materialised path "/1/4/17/", root first.
std::vector<std::int64_t> PathIds(std::string_view path) {
    std::vector<std::int64_t> ids;
    std::size_t i = 0;
    while (i < path.size()) {
        const auto next = path.find('/', i + 1);
        if (next == std::string_view::npos) break;
        const std::string part(path.substr(i + 1, next - i - 1));
        if (!part.empty()) ids.push_back(std::stoll(part));
        i = next;
    }
    return ids;
}

bool IsDigestCert(std::string_view kind) {
    return kind.ends_with("_cert") && kind != "partner_cert";
}

constexpr std::string_view kSeverityOrder[] = {"critical", "high", "medium", "low", "none"};

std::string DigestText(const std::string& organisation, const std::string& reference,
                       const std::vector<DigestLine>& lines, bool for_cert) {
    std::ostringstream o;
    o << (for_cert ? "New vulnerability exposure of your constituent "
                   : "New vulnerability exposure of ")
      << organisation << "\nReference: " << reference << "\n\n"
      << lines.size() << (lines.size() == 1 ? " new finding" : " new findings")
      << " from matching the organisation's asset inventory against published vulnerability "
         "records. "
         "Each names the CVE, the asset, why it matched and its priority (0-200: KEV first, then "
         "CVSS "
         "weighted by EPSS).\n";
    for (std::string_view sev : kSeverityOrder) {
        std::vector<const DigestLine*> group;
        for (const auto& l : lines) {
            std::string_view s = SeverityOf(l.cvss);
            if ((s.empty() ? std::string_view("none") : s) == sev) group.push_back(&l);
        }
        if (group.empty()) continue;
        std::string title(sev);
        title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
        o << "\n" << title << " (" << group.size() << ")\n";
        for (const DigestLine* l : group) {
            o << "- " << l->cve_id << (l->kev ? " [KEV]" : "");
            if (!l->title.empty()) o << " " << l->title;
            o << "\n  asset: " << l->asset_name;
            if (!l->asset_version.empty()) o << " " << l->asset_version;
            o << "\n  status: " << l->status << "; priority " << Format1(l->priority);
            if (l->cvss) o << "; CVSS " << Format1(*l->cvss);
            o << "\n  reason: " << l->reason << "\n";
        }
    }
    o << "\nThe attached CSV lists the same findings. Mark a finding that does not apply (with the "
         "reason) in Muhafiz, so it is not reported again.\n";
    return o.str();
}

std::string DigestCsv(const std::string& organisation, const std::vector<DigestLine>& lines) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"organisation", "cve_id", "title", "severity", "cvss", "epss", "kev",
                    "priority", "status", "asset_id", "asset", "asset_version", "reason",
                    "finding_id"});
    for (const auto& l : lines) {
        const std::string_view sev = SeverityOf(l.cvss);
        rows.push_back({organisation, l.cve_id, l.title, std::string(sev.empty() ? "none" : sev),
                        l.cvss ? Format1(*l.cvss) : "", l.epss ? std::to_string(*l.epss) : "",
                        l.kev ? "true" : "false", Format1(l.priority), l.status, l.asset_uuid,
                        l.asset_name, l.asset_version, l.reason, l.finding_uuid});
    }
    std::string out;
    for (const auto& row : rows) core::AppendCsvRecord(out, row);
    return out;
}

}  // namespace

std::string_view SeverityOf(std::optional<double> cvss) {
    if (!cvss) return {};
    if (*cvss >= 9) return "critical";
    if (*cvss >= 7) return "high";
    if (*cvss >= 4) return "medium";
    if (*cvss > 0) return "low";
    return "none";
}

VulnService::VulnService(db::Database& db, VulnStore& vulns, AssetStore& assets,
                         FindingStore& findings, const notify::Notifier* notifier,
                         std::function<void()> wake)
    : db_(db),
      vulns_(vulns),
      assets_(assets),
      findings_(findings),
      notifier_(notifier),
      wake_(std::move(wake)),
      index_(std::make_unique<MatchIndex>()) {}

std::size_t VulnService::indexed_records() const {
    std::lock_guard lock(mu_);
    return index_->record_count();
}

std::size_t VulnService::indexed_assets() const {
    std::lock_guard lock(mu_);
    return index_->asset_count();
}

Status VulnService::Load() {
    std::vector<VulnRecord> records;
    MUHAFIZ_CHECK(vulns_.ForEach([&](const VulnRecord& r) -> Status {
        records.push_back(r);
        return core::Ok();
    }));
    auto index = std::make_unique<MatchIndex>(std::move(records));
    for (Asset& a : MUHAFIZ_TRY(assets_.All())) index->UpsertAsset(std::move(a));
    std::lock_guard lock(mu_);
    index_ = std::move(index);
    return core::Ok();
}

// ---- vulnerability data
// ---------------------------------------------------------------------------

Result<VulnService::NvdVersions> VulnService::NvdSnapshot() {
    NvdVersions out;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    for (const auto& r : MUHAFIZ_TRY(conn->Query("SELECT cve_id, last_modified FROM vuln_nvd")))
        out.emplace(r.Str(0), r.Int(1));
    return out;
}

Result<std::vector<std::string>> VulnService::ChangedCves(core::Micros since,
                                                          const NvdVersions* nvd_before) {
    std::set<std::string> ids;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    // CVE records inserted or replaced by the import.
    for (const auto& r :
         MUHAFIZ_TRY(conn->Query("SELECT cve_id FROM vulns WHERE imported_at >= ?", {since})))
        ids.insert(r.Str(0));
    // NVD enrichment that is new or newer.
    if (nvd_before) {
        for (const auto& r :
             MUHAFIZ_TRY(conn->Query("SELECT cve_id, last_modified FROM vuln_nvd"))) {
            auto it = nvd_before->find(r.Str(0));
            if (it == nvd_before->end() || it->second != r.Int(1)) ids.insert(r.Str(0));
        }
    }
    // Findings whose scores the store no longer has (KEV, EPSS, NVD metrics).
    for (const auto& r : MUHAFIZ_TRY(conn->Query(
             "SELECT DISTINCT f.cve_id FROM findings f JOIN vulns v ON v.cve_id = f.cve_id "
             "WHERE f.state <> 'resolved' AND (f.kev <> v.kev OR COALESCE(f.epss, -1) <> "
             "COALESCE(v.epss, -1) "
             "OR COALESCE(f.cvss, -1) <> COALESCE(v.cvss, -1))")))
        ids.insert(r.Str(0));
    return std::vector<std::string>(ids.begin(), ids.end());
}

Result<ImportOutcome> VulnService::IngestText(std::string content, IngestKind kind,
                                              const std::string& source) {
    RunGuard run(*this);
    const core::Micros since = core::NowMicros();
    const bool zip = content.starts_with("PK\x03\x04");
    std::optional<NvdVersions> nvd_before;
    if (kind == IngestKind::kNvd || (kind == IngestKind::kAuto && !zip &&
                                     content.find("\"vulnerabilities\"") != std::string::npos))
        nvd_before = MUHAFIZ_TRY(NvdSnapshot());
    Ingester ingester(vulns_);
    std::string dead_letter_source = source;
    if (zip) {
        // libzip reads bundles from a file; the dead letters name its entries "<file>!<entry>".
        namespace fs = std::filesystem;
        const fs::path path = fs::temp_directory_path() / ("muhafiz-" + core::NewUuidV7() + ".zip");
        {
            std::ofstream out(path, std::ios::binary);
            out.write(content.data(), static_cast<std::streamsize>(content.size()));
            if (!out)
                return core::Fail(core::ErrorCode::kUnavailable,
                                  "cannot write the upload to " + path.string());
        }
        content.clear();
        auto added = ingester.AddPath(path.string(), kind);
        std::error_code ec;
        fs::remove(path, ec);
        if (!added) return tl::unexpected(added.error());
        dead_letter_source = path.string();
    } else {
        MUHAFIZ_CHECK(ingester.AddContent(source, std::move(content), kind));
    }
    return FinishImport(ingester, dead_letter_source, since, nvd_before ? &*nvd_before : nullptr);
}

Result<ImportOutcome> VulnService::IngestPath(const std::string& path, IngestKind kind,
                                              IngestOptions options) {
    RunGuard run(*this);
    const core::Micros since = core::NowMicros();
    std::optional<NvdVersions> nvd_before;
    if (kind == IngestKind::kAuto || kind == IngestKind::kNvd)
        nvd_before = MUHAFIZ_TRY(NvdSnapshot());
    Ingester ingester(vulns_, std::move(options));
    MUHAFIZ_CHECK(ingester.AddPath(path, kind));
    return FinishImport(ingester, path, since, nvd_before ? &*nvd_before : nullptr);
}

Result<ImportOutcome> VulnService::FinishImport(Ingester& ingester, const std::string& source,
                                                core::Micros since, const NvdVersions* nvd_before) {
    ImportOutcome out;
    out.report = MUHAFIZ_TRY(ingester.Finish());
    if (out.report.rejected > 0) {
        // The dead letters of this import: newest first, written after `since`.
        std::string cursor;
        for (;;) {
            auto page = MUHAFIZ_TRY(vulns_.ListDeadLetters(500, cursor));
            bool older = false;
            for (const auto& d : page.items) {
                if (d.created_at < since) {
                    older = true;
                    break;
                }
                if (d.source.starts_with(source) &&
                    out.problems.size() < ImportOutcome::kMaxProblems) {
                    std::string record = d.item;
                    if (d.source.size() > source.size() && d.source[source.size()] == '!')
                        record = d.source.substr(source.size() + 1) +
                                 (record.empty() ? "" : ": " + record);
                    out.problems.push_back({record, d.reason});
                }
            }
            if (older || !page.next || out.problems.size() >= ImportOutcome::kMaxProblems) break;
            cursor = *page.next;
        }
    }
    if (out.report.inserted + out.report.updated == 0) return out;
    const auto changed = MUHAFIZ_TRY(ChangedCves(since, nvd_before));
    out.matched_cves = static_cast<std::int64_t>(changed.size());
    MatchRun run;
    if (changed.size() > kFullRematchThreshold) {
        // Re-index everything, then match every asset.
        std::vector<VulnRecord> records;
        MUHAFIZ_CHECK(vulns_.ForEach([&](const VulnRecord& r) -> Status {
            records.push_back(r);
            return core::Ok();
        }));
        auto index = std::make_unique<MatchIndex>(std::move(records));
        auto assets = MUHAFIZ_TRY(assets_.All());
        for (const Asset& a : assets) index->UpsertAsset(a);
        index_ = std::move(index);
        run = MUHAFIZ_TRY(MatchAssetsLocked(assets, since));
    } else {
        run = MUHAFIZ_TRY(MatchCvesLocked(changed, since));
    }
    out.new_findings = run.new_findings;
    return out;
}

Result<MatchRun> VulnService::RematchCves(const std::vector<std::string>& cve_ids) {
    RunGuard run(*this);
    return MatchCvesLocked(cve_ids, core::NowMicros());
}

Result<MatchRun> VulnService::SettleWithVex(const std::vector<std::string>& cve_ids) {
    std::vector<std::string> ids(cve_ids);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.empty()) return MatchRun{};
    RunGuard run(*this);
    return MatchCvesLocked(ids, core::NowMicros());
}

Status VulnService::ApplyVex(std::vector<Finding>& found) {
    std::vector<Finding*> all;
    for (Finding& f : found) all.push_back(&f);
    return ApplyVex(all);
}

Status VulnService::ApplyVex(std::vector<Finding*>& found) {
    if (found.empty()) return core::Ok();
    std::vector<std::string> cves;
    for (const Finding* f : found) cves.push_back(f->cve_id);
    std::sort(cves.begin(), cves.end());
    cves.erase(std::unique(cves.begin(), cves.end()), cves.end());
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::unordered_map<std::string, std::vector<VexStatement>> statements;
    MUHAFIZ_CHECK(ForEachIn(
        *conn,
        "SELECT s.cve, s.status, s.product_name, s.vendor, s.product, s.version, s.version_range, "
        "s.cpe, s.purl, i.tracking_id FROM csaf_statements s JOIN csaf_imports i ON i.id = "
        "s.import_id WHERE s.cve",
        cves, " ORDER BY i.id, s.product_id, s.status", [&](const db::Row& r) {
            VexStatement v;
            CsafStatement& s = v.statement;
            s.cve = r.Str(0);
            const std::string status = r.Str(1);
            s.status = status == "known_not_affected"    ? StatementStatus::kKnownNotAffected
                       : status == "fixed"               ? StatementStatus::kFixed
                       : status == "known_affected"      ? StatementStatus::kKnownAffected
                                                         : StatementStatus::kUnderInvestigation;
            s.product_name = r.Str(2);
            s.vendor = r.Str(3);
            s.product = r.Str(4);
            s.version = r.Str(5);
            s.version_range = r.Str(6);
            s.cpe = r.Str(7);
            s.purl = r.Str(8);
            v.tracking_id = r.Str(9);
            statements[s.cve].push_back(std::move(v));
        }));
    if (statements.empty()) return core::Ok();
    std::vector<std::int64_t> asset_ids;
    for (const Finding* f : found)
        if (statements.count(f->cve_id)) asset_ids.push_back(f->asset_id);
    std::sort(asset_ids.begin(), asset_ids.end());
    asset_ids.erase(std::unique(asset_ids.begin(), asset_ids.end()), asset_ids.end());
    std::unordered_map<std::int64_t, Asset> assets;
    MUHAFIZ_CHECK(ForEachIn(
        *conn, "SELECT id, cpe, purl, vendor, product, version, version_scheme FROM assets WHERE id",
        asset_ids, "", [&](const db::Row& r) {
            Asset a;
            a.id = r.Int(0);
            a.cpe = r.Str(1);
            a.purl = r.Str(2);
            a.vendor = r.Str(3);
            a.product = r.Str(4);
            a.version = r.Str(5);
            a.version_scheme = r.Str(6);
            assets.emplace(a.id, std::move(a));
        }));
    for (Finding* f : found) {
        f->vex_not_applicable.clear();
        auto st = statements.find(f->cve_id);
        auto as = assets.find(f->asset_id);
        if (st == statements.end() || as == assets.end()) continue;
        const VexVerdict verdict = JudgeVex(st->second, as->second);
        if (verdict.kind == VexVerdict::Kind::kNotApplicable)
            f->vex_not_applicable = verdict.reason;
        else if (verdict.kind == VexVerdict::Kind::kConfirmed)
            f->reason += (f->reason.empty() ? "" : "; ") + verdict.reason;
    }
    return core::Ok();
}

Result<MatchRun> VulnService::MatchCvesLocked(const std::vector<std::string>& cve_ids,
                                              core::Micros since) {
    MatchRun run;
    for (const std::string& id : cve_ids) {
        auto record = vulns_.Get(id);
        std::vector<Finding> found;
        if (!record) {
            if (record.error().code != core::ErrorCode::kNotFound)
                return tl::unexpected(record.error());
            index_->RemoveRecord(id);
        } else if (record->state != "PUBLISHED") {
            index_->RemoveRecord(id);
        } else {
            found = index_->MatchRecord(*record);
            index_->UpsertRecord(std::move(*record));
        }
        run.findings += static_cast<std::int64_t>(found.size());
        MUHAFIZ_CHECK(ApplyVex(found));
        MUHAFIZ_CHECK(findings_.ReplaceForCve(id, found));
        ++run.cves;
    }
    run.digests = MUHAFIZ_TRY(SendDigests(since, run.new_findings));
    return run;
}

Result<MatchRun> VulnService::RematchAll(unsigned threads) {
    std::vector<VulnRecord> records;
    MUHAFIZ_CHECK(vulns_.ForEach([&](const VulnRecord& r) -> Status {
        records.push_back(r);
        return core::Ok();
    }));
    auto index = std::make_unique<MatchIndex>(std::move(records));
    RunGuard guard(*this);
    const core::Micros since = core::NowMicros();
    auto assets = MUHAFIZ_TRY(assets_.All());
    for (const Asset& a : assets) index->UpsertAsset(a);
    index_ = std::move(index);
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    std::mutex sink_mu;
    std::unordered_map<std::int64_t, std::vector<Finding>> by_asset;
    index_->MatchAll(threads, [&](const Asset& a, const std::vector<Finding>& f) {
        std::lock_guard l(sink_mu);
        by_asset[a.id] = f;
    });
    MatchRun run;
    std::vector<AssetFindings> batch;
    auto flush = [&]() -> Status {
        if (batch.empty()) return core::Ok();
        std::vector<Finding*> all;
        for (AssetFindings& b : batch)
            for (Finding& f : b.findings) all.push_back(&f);
        MUHAFIZ_CHECK(ApplyVex(all));
        MUHAFIZ_CHECK(findings_.ReplaceForAssets(batch));
        batch.clear();
        return core::Ok();
    };
    for (const Asset& a : assets) {
        AssetFindings af{a.id, {}};
        if (auto it = by_asset.find(a.id); it != by_asset.end())
            af.findings = std::move(it->second);
        run.findings += static_cast<std::int64_t>(af.findings.size());
        batch.push_back(std::move(af));
        ++run.assets;
        if (batch.size() >= kAssetBatch) MUHAFIZ_CHECK(flush());
    }
    MUHAFIZ_CHECK(flush());
    run.digests = MUHAFIZ_TRY(SendDigests(since, run.new_findings));
    return run;
}

// ---- assets -------------------------------------------------------------------------------------

Status VulnService::RefreshScores(std::vector<Finding>& found) {
    if (found.empty()) return core::Ok();
    std::vector<std::string> ids;
    for (const Finding& f : found) ids.push_back(f.cve_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    struct Scores {
        std::optional<double> cvss, epss;
        bool kev = false;
    };
    std::unordered_map<std::string, Scores> scores;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(ForEachIn(*conn, "SELECT cve_id, cvss, epss, kev FROM vulns WHERE cve_id", ids,
                            "", [&](const db::Row& r) {
                                scores[r.Str(0)] = {OptDouble(r, 1), OptDouble(r, 2), r.Bool(3)};
                            }));
    for (Finding& f : found) {
        auto it = scores.find(f.cve_id);
        if (it == scores.end()) continue;
        f.cvss = it->second.cvss;
        f.epss = it->second.epss;
        f.kev = it->second.kev;
        f.priority = Priority(f.cvss, f.epss, f.kev);
    }
    return core::Ok();
}

Result<MatchRun> VulnService::MatchAssetsLocked(const std::vector<Asset>& assets,
                                                core::Micros since) {
    MatchRun run;
    std::vector<AssetFindings> batch;
    for (const Asset& a : assets) {
        AssetFindings af{a.id, index_->MatchAsset(a)};
        MUHAFIZ_CHECK(RefreshScores(af.findings));
        MUHAFIZ_CHECK(ApplyVex(af.findings));
        run.findings += static_cast<std::int64_t>(af.findings.size());
        batch.push_back(std::move(af));
        ++run.assets;
        if (batch.size() >= kAssetBatch) {
            MUHAFIZ_CHECK(findings_.ReplaceForAssets(batch));
            batch.clear();
        }
    }
    if (!batch.empty()) MUHAFIZ_CHECK(findings_.ReplaceForAssets(batch));
    run.digests = MUHAFIZ_TRY(SendDigests(since, run.new_findings));
    return run;
}

Result<MatchRun> VulnService::AssetChanged(const Asset& asset, bool deleted) {
    // Called from AssetStore's on_change inside one of our own runs: that run matches it.
    if (running_on_.load() == std::this_thread::get_id()) return MatchRun{};
    RunGuard run(*this);
    return AssetChangedLocked(asset, deleted);
}

Result<MatchRun> VulnService::AssetChangedLocked(const Asset& asset, bool deleted) {
    if (deleted) {
        index_->RemoveAsset(asset.id);  // its findings went with it (ON DELETE CASCADE)
        return MatchRun{};
    }
    index_->UpsertAsset(asset);
    return MatchAssetsLocked({asset}, core::NowMicros());
}

Result<Asset> VulnService::CreateAsset(const std::string& organisation, const AssetPatch& patch,
                                       const db::Predicate& scope, const core::Actor& actor) {
    RunGuard run(*this);
    auto asset = MUHAFIZ_TRY(assets_.Create(organisation, patch, scope, actor));
    MUHAFIZ_CHECK(AssetChangedLocked(asset, false));
    return asset;
}

Result<Asset> VulnService::UpdateAsset(const std::string& uuid, const AssetPatch& patch,
                                       std::optional<std::int64_t> expected_version,
                                       const db::Predicate& scope, const core::Actor& actor) {
    RunGuard run(*this);
    auto asset = MUHAFIZ_TRY(assets_.Update(uuid, patch, expected_version, scope, actor));
    MUHAFIZ_CHECK(AssetChangedLocked(asset, false));
    return asset;
}

Status VulnService::DeleteAsset(const std::string& uuid, const db::Predicate& scope,
                                const core::Actor& actor) {
    RunGuard run(*this);
    const Asset asset = MUHAFIZ_TRY(assets_.Get(uuid, scope));
    MUHAFIZ_CHECK(assets_.Delete(uuid, scope, actor));
    return AssetChangedLocked(asset, true).map([](const MatchRun&) {});
}

Result<ImportReport> VulnService::ImportAssets(const std::string& organisation,
                                               std::string_view text, AssetFormat format,
                                               bool skip_bad, const db::Predicate& scope,
                                               const core::Actor& actor) {
    RunGuard run(*this);
    const core::Micros since = core::NowMicros();
    auto report = MUHAFIZ_TRY(assets_.Import(organisation, text, format, skip_bad, scope, actor));
    if (!report.committed || report.created + report.updated == 0) return report;
    // The assets this import created or changed: those of the organisation written since.
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::set<std::int64_t> ids;
    for (const auto& r : MUHAFIZ_TRY(conn->Query(
             "SELECT a.id FROM assets a JOIN organisations o ON o.id = a.organisation_id "
             "WHERE o.uuid = ? AND a.updated_at >= ?",
             {organisation, since})))
        ids.insert(r.Int(0));
    if (ids.empty()) return report;
    std::vector<std::int64_t> id_list(ids.begin(), ids.end());
    std::set<std::string> keys;
    MUHAFIZ_CHECK(ForEachIn(*conn, "SELECT DISTINCT product_key FROM asset_keys WHERE asset_id",
                            id_list, "", [&](const db::Row& r) { keys.insert(r.Str(0)); }));
    std::vector<Asset> changed;
    for (Asset& a :
         MUHAFIZ_TRY(assets_.WithKeys(std::vector<std::string>(keys.begin(), keys.end()))))
        if (ids.count(a.id)) changed.push_back(std::move(a));
    for (const Asset& a : changed) index_->UpsertAsset(a);
    MUHAFIZ_CHECK(MatchAssetsLocked(changed, since));
    return report;
}

// ---- digests ------------------------------------------------------------------------------------

Result<std::int64_t> VulnService::SendDigests(core::Micros since, std::int64_t& new_findings) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT o.id, o.name, o.path, o.contacts, f.cve_id, COALESCE(v.title, ''), f.status, "
        "f.reason, f.priority, "
        "f.cvss, f.epss, f.kev, a.uuid, a.name, a.version, f.uuid FROM findings f "
        "JOIN assets a ON a.id = f.asset_id JOIN organisations o ON o.id = a.organisation_id "
        "LEFT JOIN vulns v ON v.cve_id = f.cve_id "
        "WHERE f.first_seen >= ? AND f.state = 'open' ORDER BY o.path, f.priority DESC, f.cve_id",
        {since}));
    new_findings = static_cast<std::int64_t>(rows.size());
    if (rows.empty() || !notifier_) return 0;

    struct Org {
        std::int64_t id = 0;
        std::string name, path, contacts;
        std::vector<DigestLine> lines;
    };
    std::vector<Org> orgs;
    for (const auto& r : rows) {
        if (orgs.empty() || orgs.back().id != r.Int(0))
            orgs.push_back({r.Int(0), r.Str(1), r.Str(2), r.Str(3), {}});
        DigestLine l;
        l.cve_id = r.Str(4);
        l.title = r.Str(5);
        l.status = r.Str(6);
        l.reason = r.Str(7);
        l.priority = r.Double(8);
        l.cvss = OptDouble(r, 9);
        l.epss = OptDouble(r, 10);
        l.kev = r.Bool(11);
        l.asset_uuid = r.Str(12);
        l.asset_name = r.Str(13);
        l.asset_version = r.Str(14);
        l.finding_uuid = r.Str(15);
        orgs.back().lines.push_back(std::move(l));
    }

    std::int64_t queued = 0;
    const int year = YearOf(core::NowMicros());
    const std::string like = std::string(kDigestPrefix) + "-" + std::to_string(year) + "-%";
    for (const Org& org : orgs) {
        // The nearest CERT above the organisation.
        std::optional<Recipient> cert;
        std::vector<std::int64_t> ancestors = PathIds(org.path);
        if (!ancestors.empty()) ancestors.pop_back();  // the organisation itself
        if (!ancestors.empty()) {
            std::map<std::int64_t, std::pair<std::string, Recipient>> by_id;
            MUHAFIZ_CHECK(
                ForEachIn(*conn, "SELECT id, kind, name, contacts FROM organisations WHERE id",
                          ancestors, "", [&](const db::Row& r) {
                              by_id[r.Int(0)] = {r.Str(1), RecipientOf(r.Str(2), r.Str(3))};
                          }));
            for (auto it = ancestors.rbegin(); it != ancestors.rend() && !cert; ++it)
                if (auto f = by_id.find(*it); f != by_id.end() && IsDigestCert(f->second.first))
                    cert = f->second.second;
        }
        const Recipient own = RecipientOf(org.name, org.contacts);
        if (own.address.empty() && (!cert || cert->address.empty())) {
            spdlog::warn(
                "vulnerability digest for {}: no security or abuse e-mail, nor one of its CERT",
                org.name);
            continue;
        }
        const std::string csv = DigestCsv(org.name, org.lines);
        auto sent = db::InTransaction(*conn, [&]() -> Result<std::int64_t> {
            auto count =
                MUHAFIZ_TRY(conn->Query("SELECT COUNT(DISTINCT object_id) FROM notifications WHERE "
                                        "object_type = ? AND object_id LIKE ?",
                                        {std::string(kDigestObjectType), like}));
            const std::string reference =
                core::ShortReference(kDigestPrefix, year, count[0].Int(0) + 1);
            std::int64_t n = 0;
            auto send = [&](const Recipient& to, bool for_cert) -> Status {
                if (to.address.empty()) return core::Ok();
                notify::EmailMessage m;
                m.to = {to.address};
                m.subject = "[" + reference + "] " + std::to_string(org.lines.size()) +
                            " new vulnerability finding" + (org.lines.size() == 1 ? "" : "s") +
                            " for " + org.name;
                m.text = DigestText(org.name, reference, org.lines, for_cert);
                m.attachments.push_back({reference + ".csv", "text/csv; charset=utf-8", csv});
                m.muhafiz_reference = reference;
                std::vector<std::string> keys;
                if (!to.pgp_key.empty()) keys.push_back(to.pgp_key);
                auto queued_one = notifier_->EnqueueEmail(
                    *conn, std::move(m), {std::string(kDigestObjectType), reference}, keys);
                if (!queued_one) {
                    // A bad address or key of one recipient must not hold back the other.
                    spdlog::warn("vulnerability digest {} to {}: {}", reference, to.address,
                                 queued_one.error().message);
                    return core::Ok();
                }
                ++n;
                return core::Ok();
            };
            MUHAFIZ_CHECK(send(own, false));
            if (cert) MUHAFIZ_CHECK(send(*cert, true));
            return n;
        });
        if (!sent) {
            spdlog::warn("vulnerability digest for {}: {}", org.name, sent.error().message);
            continue;
        }
        queued += *sent;
    }
    if (queued > 0 && wake_) wake_();
    return queued;
}

// ---- reads
// ----------------------------------------------------------------------------------------

Result<std::map<std::string, std::int64_t>> VulnService::ExposedOrganisations(
    const std::vector<std::string>& cve_ids, const db::Predicate& scope) {
    std::map<std::string, std::int64_t> out;
    if (cve_ids.empty()) return out;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(ForEachIn(
        *conn,
        "SELECT f.cve_id, COUNT(DISTINCT a.organisation_id) FROM findings f JOIN assets a ON a.id "
        "= f.asset_id "
        "JOIN organisations o ON o.id = a.organisation_id WHERE f.state = 'open' AND (" +
            scope.sql + ") AND f.cve_id",
        cve_ids, " GROUP BY f.cve_id", [&](const db::Row& r) { out[r.Str(0)] = r.Int(1); },
        scope.params));
    return out;
}

Result<std::map<std::int64_t, AssetDetails>> VulnService::DescribeAssets(
    const std::vector<std::int64_t>& asset_ids) {
    std::map<std::int64_t, AssetDetails> out;
    if (asset_ids.empty()) return out;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(ForEachIn(
        *conn,
        "SELECT a.id, o.name, (SELECT COUNT(*) FROM findings f WHERE f.asset_id = a.id AND "
        "f.state = 'open') FROM assets a JOIN organisations o ON o.id = a.organisation_id "
        "WHERE a.id",
        asset_ids, "", [&](const db::Row& r) {
            out[r.Int(0)] = {r.Str(1), r.Int(2)};
        }));
    return out;
}

Result<std::map<std::int64_t, FindingDetails>> VulnService::DescribeFindings(
    const std::vector<StoredFinding>& found) {
    std::map<std::int64_t, FindingDetails> out;
    if (found.empty()) return out;
    std::vector<std::int64_t> ids;
    for (const auto& f : found) ids.push_back(f.id);
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(ForEachIn(
        *conn,
        "SELECT f.id, COALESCE(v.title, ''), a.version, a.cpe, a.purl, o.name FROM findings f "
        "JOIN assets a ON a.id = f.asset_id JOIN organisations o ON o.id = a.organisation_id "
        "LEFT JOIN vulns v ON v.cve_id = f.cve_id WHERE f.id",
        ids, "", [&](const db::Row& r) {
            out[r.Int(0)] = {r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Str(5)};
        }));
    return out;
}

Result<std::vector<ExposureRow>> VulnService::Exposure(
    const std::optional<std::string>& organisation, const db::Predicate& scope) {
    auto summaries = MUHAFIZ_TRY(findings_.Summarise(organisation, scope));
    std::vector<ExposureRow> out;
    if (summaries.empty()) return out;
    std::vector<std::string> uuids;
    for (const auto& s : summaries) uuids.push_back(s.organisation_uuid);
    std::unordered_map<std::string, std::pair<std::string, std::string>> kinds;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(ForEachIn(*conn, "SELECT uuid, kind, sector FROM organisations WHERE uuid", uuids,
                            "", [&](const db::Row& r) {
                                kinds[r.Str(0)] = {r.Str(1), r.Str(2)};
                            }));
    for (auto& s : summaries) {
        const auto& ks = kinds[s.organisation_uuid];
        out.push_back({std::move(s), ks.first, ks.second});
    }
    return out;
}

Result<OrganisationRef> VulnService::FindOrganisation(const std::optional<std::string>& uuid,
                                                      const db::Predicate& scope) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Rows rows;
    if (!uuid) {
        rows = MUHAFIZ_TRY(
            conn->Query("SELECT o.uuid, o.name FROM organisations o WHERE o.parent_id IS NULL"));
    } else {
        db::Params params{*uuid};
        params.insert(params.end(), scope.params.begin(), scope.params.end());
        rows = MUHAFIZ_TRY(conn->Query(
            "SELECT o.uuid, o.name FROM organisations o WHERE o.uuid = ? AND (" + scope.sql + ")",
            params));
    }
    if (rows.empty())
        return core::Fail(core::ErrorCode::kNotFound, "no such organisation", "organisation_id");
    return OrganisationRef{rows[0].Str(0), rows[0].Str(1)};
}

}  // namespace muhafiz::vulns
