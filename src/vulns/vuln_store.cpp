#include "vulns/vuln_store.hpp"

#include <algorithm>
#include <set>
#include <tuple>
#include <unordered_map>

#include "db/query.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "vulns/paging.hpp"

namespace muhafiz::vulns {
namespace {

namespace json = core::json;
using db::ContainsPattern;
using db::Lower;
using core::Result;
using core::Status;

constexpr std::size_t kInChunk = 500;  // ids per `IN (...)` list

// The merged record: v.id, the CVE record, then the enrichment columns.
constexpr std::string_view kSelect =
    "SELECT v.id, v.record, n.data, k.date_added, k.due_date, k.required_action, "
    "k.known_ransomware, e.epss, e.percentile FROM vulns v "
    "LEFT JOIN vuln_nvd n ON n.cve_id = v.cve_id LEFT JOIN vuln_kev k ON k.cve_id = v.cve_id "
    "LEFT JOIN vuln_epss e ON e.cve_id = v.cve_id";

std::string Placeholders(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
    return s;
}

// Runs `sql` + " IN (?, ...)" + `tail` over `ids` in chunks and returns all rows.
Result<std::vector<db::Row>> SelectIn(db::Connection& conn, std::string_view sql,
                                      const std::vector<std::string>& ids,
                                      std::string_view tail = {}) {
    std::vector<db::Row> out;
    for (std::size_t i = 0; i < ids.size(); i += kInChunk) {
        const std::size_t n = std::min(kInChunk, ids.size() - i);
        db::Params params(ids.begin() + static_cast<std::ptrdiff_t>(i),
                          ids.begin() + static_cast<std::ptrdiff_t>(i + n));
        auto rows = MUHAFIZ_TRY(conn.Query(
            std::string(sql) + " IN (" + Placeholders(n) + ")" + std::string(tail), params));
        std::move(rows.rows.begin(), rows.rows.end(), std::back_inserter(out));
    }
    return out;
}

Status DeleteProducts(db::Connection& conn, const std::vector<std::string>& ids) {
    for (std::size_t i = 0; i < ids.size(); i += kInChunk) {
        const std::size_t n = std::min(kInChunk, ids.size() - i);
        db::Params params(ids.begin() + static_cast<std::ptrdiff_t>(i),
                          ids.begin() + static_cast<std::ptrdiff_t>(i + n));
        MUHAFIZ_CHECK(conn.Execute(
            "DELETE FROM vuln_products WHERE cve_id IN (" + Placeholders(n) + ")", params));
    }
    return core::Ok();
}

Result<VulnRecord> RecordFromText(const std::string& text) {
    return VulnRecordFromJson(MUHAFIZ_TRY(core::ParseJson(text)));
}

std::string RecordText(const VulnRecord& r) { return core::ToJson(VulnRecordToJson(r)); }

void AddUnique(std::vector<std::string>& list, const std::string& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

struct Enrichment {
    std::optional<VulnRecord> nvd;
    std::optional<KevEntry> kev;  // the catalog's entry
    std::optional<double> epss;
    std::optional<double> percentile;
};

// Enrichment from the columns of kSelect starting at n.data (index 2).
Result<Enrichment> EnrichmentFromRow(const db::Row& row) {
    Enrichment e;
    if (!row.IsNull(2)) e.nvd = MUHAFIZ_TRY(RecordFromText(row.Str(2)));
    if (!row.IsNull(3)) e.kev = KevEntry{row.Str(3), row.Str(4), row.Str(5), row.Bool(6)};
    if (!row.IsNull(7)) e.epss = row.Double(7);
    if (!row.IsNull(8)) e.percentile = row.Double(8);
    return e;
}

// NVD adds configurations, metrics, CWEs (and KEV/SSVC when the record has none); the KEV
// catalog's entry wins over the ADP and NVD marks.
void Merge(VulnRecord& r, const Enrichment& e) {
    if (e.nvd) {
        r.nvd_configurations = e.nvd->nvd_configurations;
        r.metrics.insert(r.metrics.end(), e.nvd->metrics.begin(), e.nvd->metrics.end());
        for (const auto& cwe : e.nvd->cwes) AddUnique(r.cwes, cwe);
        if (!r.kev) r.kev = e.nvd->kev;
        if (!r.ssvc) r.ssvc = e.nvd->ssvc;
    }
    if (e.kev) r.kev = e.kev;
    if (e.epss) r.epss = e.epss;
    if (e.percentile) r.epss_percentile = e.percentile;
}

Result<VulnRecord> MergedFromRow(const db::Row& row) {
    VulnRecord r = MUHAFIZ_TRY(RecordFromText(row.Str(1)));
    Merge(r, MUHAFIZ_TRY(EnrichmentFromRow(row)));
    return r;
}

// The enrichment of the given ids (absent ids have none).
Result<std::unordered_map<std::string, Enrichment>> LoadEnrichment(
    db::Connection& conn, const std::vector<std::string>& ids) {
    std::unordered_map<std::string, Enrichment> out;
    for (const auto& row :
         MUHAFIZ_TRY(SelectIn(conn, "SELECT cve_id, data FROM vuln_nvd WHERE cve_id", ids)))
        out[row.Str(0)].nvd = MUHAFIZ_TRY(RecordFromText(row.Str(1)));
    for (const auto& row : MUHAFIZ_TRY(SelectIn(
             conn,
             "SELECT cve_id, date_added, due_date, required_action, known_ransomware FROM vuln_kev "
             "WHERE cve_id",
             ids)))
        out[row.Str(0)].kev = KevEntry{row.Str(1), row.Str(2), row.Str(3), row.Bool(4)};
    for (const auto& row : MUHAFIZ_TRY(
             SelectIn(conn, "SELECT cve_id, epss, percentile FROM vuln_epss WHERE cve_id", ids))) {
        auto& e = out[row.Str(0)];
        e.epss = row.Double(1);
        if (!row.IsNull(2)) e.percentile = row.Double(2);
    }
    return out;
}

// The filter columns of a merged record: cvss, severity, epss, kev.
db::Params FilterColumns(const VulnRecord& merged) {
    const CvssMetric* best = merged.BestMetric();
    return {best ? db::Value(best->score) : db::Null(), best ? best->severity : std::string(),
            db::Opt(merged.epss), db::Bool(merged.kev.has_value())};
}

// vuln_products rows of a merged record, lower case, without duplicates or "n/a".
void AppendProducts(const VulnRecord& merged, std::vector<db::Params>& rows) {
    std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;
    auto add = [&](std::string_view vendor, std::string_view product, std::string_view package,
                   const char* source) {
        auto clean = [](std::string_view s) {
            std::string l = Lower(s);
            return l == "n/a" || l == "*" || l == "-" ? std::string() : l;
        };
        auto key = std::tuple(clean(vendor), clean(product), clean(package), std::string(source));
        if (std::get<0>(key).empty() && std::get<1>(key).empty() && std::get<2>(key).empty())
            return;
        if (!seen.insert(key).second) return;
        rows.push_back({merged.cve_id, std::get<0>(key), std::get<1>(key), std::get<2>(key),
                        std::get<3>(key)});
    };
    auto add_cpe = [&](const Cpe& cpe, const char* source) {
        const auto& vendor = cpe[CpeAttribute::kVendor];
        const auto& product = cpe[CpeAttribute::kProduct];
        if (product.kind == CpeValue::Kind::kValue && product.head.empty() && product.tail.empty())
            add(vendor.kind == CpeValue::Kind::kValue ? vendor.text : "", product.text, "", source);
    };
    for (const auto& [entries, source] :
         {std::pair(&merged.cna_affected, "cna"), std::pair(&merged.adp_affected, "adp")}) {
        for (const AffectedEntry& e : *entries) {
            add(e.vendor, e.product, e.package_name, source);
            for (const auto& text : e.cpes)
                if (auto cpe = ParseCpe(text)) add_cpe(*cpe, source);
        }
    }
    for (const auto& config : merged.nvd_configurations)
        for (const auto& node : config.nodes)
            for (const auto& m : node.cpe_match)
                if (m.vulnerable) add_cpe(m.criteria, "nvd");
}

const std::vector<std::string> kProductColumns = {"cve_id", "vendor", "product", "package_name",
                                                  "source"};

// Recomputes the filter columns (and the products) of stored records from their merged form.
Status Refresh(db::Connection& conn, const std::vector<std::string>& ids) {
    std::vector<db::Params> products;
    std::vector<std::string> present;
    for (const auto& row :
         MUHAFIZ_TRY(SelectIn(conn, std::string(kSelect) + " WHERE v.cve_id", ids))) {
        const VulnRecord merged = MUHAFIZ_TRY(MergedFromRow(row));
        db::Params params = FilterColumns(merged);
        params.emplace_back(merged.cve_id);
        MUHAFIZ_CHECK(conn.Execute(
            "UPDATE vulns SET cvss = ?, severity = ?, epss = ?, kev = ? WHERE cve_id = ?", params));
        AppendProducts(merged, products);
        present.push_back(merged.cve_id);
    }
    MUHAFIZ_CHECK(DeleteProducts(conn, present));
    if (!products.empty())
        MUHAFIZ_CHECK(conn.BulkInsert("vuln_products", kProductColumns, products));
    return core::Ok();
}

std::vector<std::string> UniqueIds(auto begin, auto end, auto id_of) {
    std::vector<std::string> ids;
    std::set<std::string> seen;
    for (auto it = begin; it != end; ++it)
        if (seen.insert(id_of(*it)).second) ids.push_back(id_of(*it));
    return ids;
}

// Sorts of Search; the cursor carries the key of the last row (paging.hpp).
const SortOrder kSorts[] = {
    {"-published", "v.published", true, SortOrder::Kind::kInt},
    {"published", "v.published", false, SortOrder::Kind::kInt},
    {"-updated", "v.updated", true, SortOrder::Kind::kInt},
    {"-cvss", "COALESCE(v.cvss, -1)", true, SortOrder::Kind::kDouble},
    {"-epss", "COALESCE(v.epss, -1)", true, SortOrder::Kind::kDouble},
    {"cve_id", "v.cve_id", false, SortOrder::Kind::kText},
};

db::Value SortKey(const SortOrder& sort, const VulnRecord& r) {
    if (sort.column == "v.published") return r.published;
    if (sort.column == "v.updated") return r.updated;
    if (sort.name == "-cvss") {
        const CvssMetric* best = r.BestMetric();
        return best ? best->score : -1.0;
    }
    if (sort.name == "-epss") return r.epss.value_or(-1.0);
    return r.cve_id;
}

}  // namespace

UpsertCounts& UpsertCounts::operator+=(const UpsertCounts& o) {
    inserted += o.inserted;
    updated += o.updated;
    unchanged += o.unchanged;
    older += o.older;
    return *this;
}

Result<UpsertCounts> VulnStore::Upsert(const std::vector<VulnRecord>& records) {
    UpsertCounts counts;
    if (records.empty()) return counts;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<UpsertCounts> {
        const auto ids =
            UniqueIds(records.begin(), records.end(), [](const VulnRecord& r) { return r.cve_id; });
        std::unordered_map<std::string, core::Micros> stored;
        for (const auto& row :
             MUHAFIZ_TRY(SelectIn(*conn, "SELECT cve_id, updated FROM vulns WHERE cve_id", ids)))
            stored[row.Str(0)] = row.Int(1);

        struct Pending {
            const VulnRecord* record;
            bool is_new;
        };
        std::unordered_map<std::string, Pending> pending;
        std::vector<const VulnRecord*> archive;  // versions that go straight to the history
        for (const VulnRecord& r : records) {
            auto p = pending.find(r.cve_id);
            auto s = stored.find(r.cve_id);
            const core::Micros current = p != pending.end()  ? p->second.record->updated
                                         : s != stored.end() ? s->second
                                                             : -1;
            if (current < 0) {
                pending[r.cve_id] = {&r, true};
                ++counts.inserted;
            } else if (r.updated > current) {
                if (p != pending.end()) {
                    archive.push_back(p->second.record);
                    p->second.record = &r;
                } else {
                    pending[r.cve_id] = {&r, false};
                }
                ++counts.updated;
            } else if (r.updated == current) {
                ++counts.unchanged;
            } else {
                archive.push_back(&r);
                ++counts.older;
            }
        }

        std::vector<std::string> changed;
        for (const auto& id : ids)
            if (pending.count(id)) changed.push_back(id);
        auto enrichment = MUHAFIZ_TRY(LoadEnrichment(*conn, changed));
        const core::Micros now = core::NowMicros();
        std::vector<db::Params> inserts, products;
        std::vector<std::string> replaced;
        for (const auto& id : changed) {
            const Pending& p = pending[id];
            const VulnRecord& r = *p.record;
            std::optional<VulnRecord> merged;  // copied only when there is enrichment
            if (auto e = enrichment.find(id); e != enrichment.end())
                Merge(merged.emplace(r), e->second);
            AppendProducts(merged ? *merged : r, products);
            db::Params params = {r.state, r.title, r.description, r.published, r.updated};
            for (auto& v : FilterColumns(merged ? *merged : r)) params.push_back(std::move(v));
            params.emplace_back(RecordText(r));
            params.emplace_back(now);
            if (p.is_new) {
                params.insert(params.begin(), db::Value(id));
                inserts.push_back(std::move(params));
                continue;
            }
            MUHAFIZ_CHECK(
                conn->Execute("INSERT INTO vuln_history (cve_id, updated, record, archived_at) "
                              "SELECT cve_id, updated, record, ? FROM vulns WHERE cve_id = ? "
                              "ON CONFLICT (cve_id, updated) DO NOTHING",
                              {now, id}));
            params.emplace_back(id);
            MUHAFIZ_CHECK(
                conn->Execute("UPDATE vulns SET state = ?, title = ?, description = ?, published = "
                              "?, updated = ?, "
                              "cvss = ?, severity = ?, epss = ?, kev = ?, record = ?, imported_at "
                              "= ? WHERE cve_id = ?",
                              params));
            replaced.push_back(id);
        }
        for (const VulnRecord* r : archive)
            MUHAFIZ_CHECK(
                conn->Execute("INSERT INTO vuln_history (cve_id, updated, record, archived_at) "
                              "VALUES (?, ?, ?, ?) "
                              "ON CONFLICT (cve_id, updated) DO NOTHING",
                              {r->cve_id, r->updated, RecordText(*r), now}));
        MUHAFIZ_CHECK(DeleteProducts(*conn, replaced));
        if (!inserts.empty())
            MUHAFIZ_CHECK(
                conn->BulkInsert("vulns",
                                 {"cve_id", "state", "title", "description", "published", "updated",
                                  "cvss", "severity", "epss", "kev", "record", "imported_at"},
                                 inserts));
        if (!products.empty())
            MUHAFIZ_CHECK(conn->BulkInsert("vuln_products", kProductColumns, products));
        return counts;
    });
}

Result<UpsertCounts> VulnStore::UpsertNvd(const std::vector<VulnRecord>& enrichment) {
    UpsertCounts counts;
    if (enrichment.empty()) return counts;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<UpsertCounts> {
        const auto ids = UniqueIds(enrichment.begin(), enrichment.end(),
                                   [](const VulnRecord& r) { return r.cve_id; });
        std::unordered_map<std::string, core::Micros> stored;
        for (const auto& row : MUHAFIZ_TRY(
                 SelectIn(*conn, "SELECT cve_id, last_modified FROM vuln_nvd WHERE cve_id", ids)))
            stored[row.Str(0)] = row.Int(1);
        std::vector<std::string> changed;
        for (const VulnRecord& r : enrichment) {
            auto s = stored.find(r.cve_id);
            if (s != stored.end() && r.updated <= s->second) {
                ++(r.updated == s->second ? counts.unchanged : counts.older);
                continue;
            }
            ++(s == stored.end() ? counts.inserted : counts.updated);
            stored[r.cve_id] = r.updated;
            MUHAFIZ_CHECK(conn->Execute(
                "INSERT INTO vuln_nvd (cve_id, last_modified, data) VALUES (?, ?, ?) ON CONFLICT "
                "(cve_id) "
                "DO UPDATE SET last_modified = excluded.last_modified, data = excluded.data",
                {r.cve_id, r.updated, RecordText(r)}));
            AddUnique(changed, r.cve_id);
        }
        MUHAFIZ_CHECK(Refresh(*conn, changed));
        return counts;
    });
}

Result<UpsertCounts> VulnStore::UpsertKev(const std::vector<KevCatalogEntry>& entries) {
    UpsertCounts counts;
    if (entries.empty()) return counts;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<UpsertCounts> {
        const auto ids = UniqueIds(entries.begin(), entries.end(),
                                   [](const KevCatalogEntry& e) { return e.cve_id; });
        auto row_of = [](const KevCatalogEntry& e) -> db::Params {
            return {e.cve_id,
                    e.vendor_project,
                    e.product,
                    e.vulnerability_name,
                    e.entry.date_added,
                    e.entry.due_date,
                    e.entry.required_action,
                    db::Bool(e.entry.known_ransomware)};
        };
        std::unordered_map<std::string, db::Params> stored;
        for (auto& row :
             MUHAFIZ_TRY(SelectIn(*conn,
                                  "SELECT cve_id, vendor_project, product, vulnerability_name, "
                                  "date_added, due_date, "
                                  "required_action, known_ransomware FROM vuln_kev WHERE cve_id",
                                  ids)))
            stored[row.Str(0)] = {row.Str(0), row.Str(1), row.Str(2), row.Str(3),
                                  row.Str(4), row.Str(5), row.Str(6), db::Bool(row.Bool(7))};
        std::vector<db::Params> inserts;
        std::vector<std::string> changed;
        for (const KevCatalogEntry& e : entries) {
            db::Params row = row_of(e);
            auto s = stored.find(e.cve_id);
            if (s != stored.end() && s->second == row) {
                ++counts.unchanged;
                continue;
            }
            if (s == stored.end()) {
                ++counts.inserted;
                inserts.push_back(row);
            } else {
                ++counts.updated;
                std::rotate(row.begin(), row.begin() + 1, row.end());  // cve_id last
                MUHAFIZ_CHECK(conn->Execute(
                    "UPDATE vuln_kev SET vendor_project = ?, product = ?, vulnerability_name = ?, "
                    "date_added = ?, due_date = ?, required_action = ?, known_ransomware = ? WHERE "
                    "cve_id = ?",
                    row));
            }
            stored[e.cve_id] = row_of(e);
            AddUnique(changed, e.cve_id);
        }
        if (!inserts.empty())
            MUHAFIZ_CHECK(
                conn->BulkInsert("vuln_kev",
                                 {"cve_id", "vendor_project", "product", "vulnerability_name",
                                  "date_added", "due_date", "required_action", "known_ransomware"},
                                 inserts));
        for (const auto& id : changed)
            MUHAFIZ_CHECK(conn->Execute("UPDATE vulns SET kev = 1 WHERE cve_id = ?", {id}));
        return counts;
    });
}

Result<UpsertCounts> VulnStore::UpsertEpss(const EpssFile& file) {
    UpsertCounts counts;
    if (file.scores.empty()) return counts;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<UpsertCounts> {
        const auto ids = UniqueIds(file.scores.begin(), file.scores.end(),
                                   [](const EpssScore& s) { return s.cve_id; });
        std::unordered_map<std::string, db::Params> stored;
        for (auto& row : MUHAFIZ_TRY(SelectIn(*conn,
                                              "SELECT cve_id, epss, percentile, model_version, "
                                              "score_date FROM vuln_epss WHERE cve_id",
                                              ids)))
            stored[row.Str(0)] = {row.Double(1),
                                  row.IsNull(2) ? db::Null() : db::Value(row.Double(2)), row.Str(3),
                                  row.Str(4)};
        std::vector<db::Params> inserts;
        for (const EpssScore& s : file.scores) {
            db::Params row = {s.epss, db::Opt(s.percentile), file.model_version, file.score_date};
            auto it = stored.find(s.cve_id);
            if (it != stored.end() && it->second == row) {
                ++counts.unchanged;
                continue;
            }
            if (it == stored.end()) {
                ++counts.inserted;
                db::Params insert = row;
                insert.insert(insert.begin(), db::Value(s.cve_id));
                inserts.push_back(std::move(insert));
            } else {
                ++counts.updated;
                db::Params update = row;
                update.emplace_back(s.cve_id);
                MUHAFIZ_CHECK(
                    conn->Execute("UPDATE vuln_epss SET epss = ?, percentile = ?, model_version = "
                                  "?, score_date = ? "
                                  "WHERE cve_id = ?",
                                  update));
            }
            stored[s.cve_id] = row;
            MUHAFIZ_CHECK(
                conn->Execute("UPDATE vulns SET epss = ? WHERE cve_id = ?", {s.epss, s.cve_id}));
        }
        if (!inserts.empty())
            MUHAFIZ_CHECK(conn->BulkInsert(
                "vuln_epss", {"cve_id", "epss", "percentile", "model_version", "score_date"},
                inserts));
        return counts;
    });
}

Status VulnStore::AddDeadLetters(const std::vector<DeadLetter>& letters) {
    if (letters.empty()) return core::Ok();
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Status {
        const core::Micros now = core::NowMicros();
        for (const DeadLetter& d : letters)
            MUHAFIZ_CHECK(
                conn->Execute("INSERT INTO vuln_dead_letters (source, item, reason, created_at) "
                              "VALUES (?, ?, ?, ?) "
                              "ON CONFLICT (source, item) DO UPDATE SET reason = excluded.reason, "
                              "created_at = excluded.created_at",
                              {d.source, d.item, d.reason, d.created_at ? d.created_at : now}));
        return core::Ok();
    });
}

Result<VulnRecord> VulnStore::Get(const std::string& cve_id) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kSelect) + " WHERE v.cve_id = ?", {cve_id}));
    if (rows.empty()) return core::NotFound("no vulnerability " + cve_id);
    return MergedFromRow(rows[0]);
}

Result<std::vector<VulnRecord>> VulnStore::History(const std::string& cve_id) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::vector<VulnRecord> out;
    for (const auto& row : MUHAFIZ_TRY(conn->Query(
             "SELECT record FROM vuln_history WHERE cve_id = ? ORDER BY updated", {cve_id})))
        out.push_back(MUHAFIZ_TRY(RecordFromText(row.Str(0))));
    return out;
}

Result<VulnPage> VulnStore::Search(const VulnFilter& f) {
    MUHAFIZ_CHECK(db::CheckLimit(f.limit));
    const auto sort = std::find_if(std::begin(kSorts), std::end(kSorts),
                                   [&](const SortOrder& s) { return s.name == f.sort; });
    if (sort == std::end(kSorts))
        return core::Invalid(
            "sort", "sort must be one of -published, published, -updated, -cvss, -epss, cve_id");
    std::string where = " WHERE 1=1";
    db::Params params;
    auto add = [&](std::string_view condition, db::Params condition_params = {}) {
        where += " AND ";
        where += condition;
        for (auto& p : condition_params) params.push_back(std::move(p));
    };
    if (!f.include_rejected) add("v.state = 'PUBLISHED'");
    if (f.q && !f.q->empty()) {
        const std::string like = ContainsPattern(Lower(*f.q));
        add("(lower(v.cve_id) LIKE ? ESCAPE '\\' OR lower(v.title) LIKE ? ESCAPE '\\' OR "
            "lower(v.description) LIKE ? ESCAPE '\\')",
            {like, like, like});
    }
    if (f.kev_only) add("v.kev = 1");
    if (f.min_cvss) add("v.cvss >= ?", {*f.min_cvss});
    if (f.min_epss) add("v.epss >= ?", {*f.min_epss});
    if (f.published_since) add("v.published >= ?", {*f.published_since});
    if ((f.vendor && !f.vendor->empty()) || (f.product && !f.product->empty())) {
        const std::string vendor = ContainsPattern(Lower(f.vendor.value_or("")));
        const std::string product = ContainsPattern(Lower(f.product.value_or("")));
        add("EXISTS (SELECT 1 FROM vuln_products p WHERE p.cve_id = v.cve_id AND p.vendor LIKE ? "
            "ESCAPE '\\' AND (p.product LIKE ? ESCAPE '\\' OR p.package_name LIKE ? ESCAPE '\\'))",
            {vendor, product, product});
    }
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    VulnPage page;
    page.total = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM vulns v" + where, params))[0].Int(0);
    MUHAFIZ_CHECK(ApplyCursor(*sort, f.cursor, "v.id", where, params));
    auto rows = MUHAFIZ_TRY(
        conn->Query(std::string(kSelect) + where + PageClause(*sort, "v.id", f.limit), params));
    for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(f.limit); ++i)
        page.items.push_back(MUHAFIZ_TRY(MergedFromRow(rows[i])));
    if (rows.size() > static_cast<std::size_t>(f.limit))
        page.next = EncodeCursor(*sort, SortKey(*sort, page.items.back()),
                                 rows[static_cast<std::size_t>(f.limit) - 1].Int(0));
    return page;
}

Result<std::vector<std::string>> VulnStore::CandidateIds(const std::string& vendor,
                                                         const std::string& product,
                                                         const std::string& package_name) {
    if (vendor.empty() && product.empty() && package_name.empty())
        return core::Invalid("product", "give a vendor, a product or a package name");
    std::string sql = "SELECT DISTINCT cve_id FROM vuln_products WHERE 1=1";
    db::Params params;
    for (const auto& [column, value] :
         {std::pair("vendor", &vendor), std::pair("product", &product),
          std::pair("package_name", &package_name)}) {
        if (value->empty()) continue;
        sql += std::string(" AND ") + column + " = ?";
        params.emplace_back(Lower(*value));
    }
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::vector<std::string> out;
    for (const auto& row : MUHAFIZ_TRY(conn->Query(sql + " ORDER BY cve_id", params)))
        out.push_back(row.Str(0));
    return out;
}

Status VulnStore::ForEach(const std::function<Status(const VulnRecord&)>& fn,
                          std::size_t batch_size) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::int64_t after = 0;
    while (true) {
        auto rows = MUHAFIZ_TRY(
            conn->Query(std::string(kSelect) +
                            " WHERE v.id > ? AND v.state = 'PUBLISHED' ORDER BY v.id LIMIT " +
                            std::to_string(std::max<std::size_t>(batch_size, 1)),
                        {after}));
        if (rows.empty()) return core::Ok();
        for (const auto& row : rows) MUHAFIZ_CHECK(fn(MUHAFIZ_TRY(MergedFromRow(row))));
        after = rows.rows.back().Int(0);
    }
}

Result<std::vector<VulnRecord>> VulnStore::All() {
    std::vector<VulnRecord> out;
    MUHAFIZ_CHECK(ForEach([&](const VulnRecord& r) -> Status {
        out.push_back(r);
        return core::Ok();
    }));
    return out;
}

Result<DeadLetterPage> VulnStore::ListDeadLetters(int limit, const std::string& cursor) {
    MUHAFIZ_CHECK(db::CheckLimit(limit));
    static const SortOrder kNewest{"-id", "id", true, SortOrder::Kind::kInt};
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    DeadLetterPage page;
    page.total = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM vuln_dead_letters"))[0].Int(0);
    std::string where = " WHERE 1=1";
    db::Params params;
    MUHAFIZ_CHECK(ApplyCursor(kNewest, cursor, "id", where, params));
    auto rows = MUHAFIZ_TRY(
        conn->Query("SELECT id, source, item, reason, created_at FROM vuln_dead_letters" + where +
                        PageClause(kNewest, "id", limit),
                    params));
    for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
        page.items.push_back({rows[i].Str(1), rows[i].Str(2), rows[i].Str(3), rows[i].Int(4)});
    if (rows.size() > static_cast<std::size_t>(limit)) {
        const std::int64_t id = rows[static_cast<std::size_t>(limit) - 1].Int(0);
        page.next = EncodeCursor(kNewest, id, id);
    }
    return page;
}

}  // namespace muhafiz::vulns
