#include "constituency/transfer.hpp"

#include <map>
#include <sstream>

#include "core/csv.hpp"
#include "core/ids.hpp"

namespace muhafiz::constituency {
namespace json = core::json;
using core::Invalid;
using core::Result;

namespace {

const std::vector<std::string> kCsvColumns = {"id",       "name",        "kind",        "parent",  "sector",
                                              "country",  "cii",         "security_email", "abuse_email",
                                              "phone",    "pgp_key",     "prefixes",    "asns",    "domains"};

std::string Join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
    return out;
}

std::vector<std::string> SplitList(const std::string& cell) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : cell) {
        if (c == ' ' || c == ';' || c == ',' || c == '\t' || c == '\n' || c == '\r') {
            if (!cur.empty()) out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

struct Entry {
    std::size_t line;
    Result<OrganisationPatch> patch;
};

Result<std::vector<Entry>> ParseJsonEntries(std::string_view text) {
    auto doc = core::ParseJson(text);
    if (!doc) return tl::unexpected(doc.error());
    const json::array* arr = nullptr;
    if (doc->is_array()) {
        arr = &doc->as_array();
    } else if (doc->is_object() && core::Find(doc->as_object(), "organisations") &&
               core::Find(doc->as_object(), "organisations")->is_array()) {
        arr = &doc->as_object().at("organisations").as_array();
    } else {
        return Invalid("file", "expected {\"organisations\": [...]} or an array of organisations");
    }
    std::vector<Entry> out;
    for (std::size_t i = 0; i < arr->size(); ++i) {
        if (!(*arr)[i].is_object()) {
            out.push_back({i + 1, Invalid("", "an entry must be an object")});
            continue;
        }
        out.push_back({i + 1, PatchFromJson((*arr)[i].as_object(), true)});
    }
    return out;
}

Result<OrganisationPatch> PatchFromCsv(const std::vector<std::string>& header, const std::vector<std::string>& row) {
    if (row.size() != header.size())
        return Invalid("", "expected " + std::to_string(header.size()) + " columns, found " + std::to_string(row.size()));
    std::map<std::string, std::string> cell;
    for (std::size_t i = 0; i < header.size(); ++i) cell[header[i]] = row[i];
    OrganisationPatch p;
    if (!cell["id"].empty()) {
        if (!core::IsUuid(cell["id"])) return Invalid("id", "'id' must be a UUID or empty");
        p.uuid = cell["id"];
    }
    if (cell["name"].empty()) return Invalid("name", "'name' is required");
    p.name = cell["name"];
    if (!cell["kind"].empty()) {
        p.kind = ParseKind(cell["kind"]);
        if (!p.kind) return Invalid("kind", "unknown kind '" + cell["kind"] + "'");
    }
    if (!cell["parent"].empty()) p.parent = cell["parent"];
    auto has = [&](const char* column) { return std::find(header.begin(), header.end(), column) != header.end(); };
    if (has("sector")) p.sector = MUHAFIZ_TRY(NormaliseSector(cell["sector"]));
    if (has("country")) p.country = MUHAFIZ_TRY(NormaliseCountry(cell["country"]));
    if (has("cii")) {
        const std::string& cii = cell["cii"];
        if (cii == "true" || cii == "1" || cii == "yes") p.cii = true;
        else if (cii == "false" || cii == "0" || cii == "no" || cii.empty()) p.cii = false;
        else return Invalid("cii", "'cii' must be true or false");
    }
    // A column that is absent leaves that part of an existing organisation as it is.
    if (has("security_email") || has("abuse_email") || has("phone") || has("pgp_key")) {
        Contacts c{cell["security_email"], cell["abuse_email"], cell["phone"], cell["pgp_key"]};
        MUHAFIZ_CHECK(ValidateContacts(c));
        p.contacts = c;
    }
    if (has("prefixes") || has("asns") || has("domains"))
        p.networks = MUHAFIZ_TRY(NormaliseNetworks(SplitList(cell["prefixes"]), SplitList(cell["asns"]),
                                                   SplitList(cell["domains"])));
    return p;
}

Result<std::vector<Entry>> ParseCsvEntries(std::string_view text) {
    core::CsvReader reader(text);
    std::vector<std::string> header, row;
    auto first = reader.Next(header);
    if (!first) return tl::unexpected(first.error());
    if (!*first) return Invalid("file", "the CSV file is empty: it needs a header line");
    for (auto& h : header) {
        if (std::find(kCsvColumns.begin(), kCsvColumns.end(), h) == kCsvColumns.end())
            return Invalid("header", "unknown column '" + h + "' in the header");
    }
    if (std::find(header.begin(), header.end(), "name") == header.end())
        return Invalid("header", "the header must have a 'name' column");
    std::vector<Entry> out;
    for (;;) {
        auto more = reader.Next(row);
        if (!more) {
            out.push_back({reader.line(), tl::unexpected(more.error())});
            continue;
        }
        if (!*more) break;
        if (row.size() == 1 && row[0].empty()) continue;  // blank line
        out.push_back({reader.line(), PatchFromCsv(header, row)});
    }
    return out;
}

}  // namespace

Result<std::string> ExportConstituency(OrganisationService& service, TransferFormat format) {
    const db::Predicate all;
    auto tree = MUHAFIZ_TRY(service.Tree(all));
    // Tree() gives summaries; take the full records a page at a time in path order.
    std::vector<Organisation> orgs;
    orgs.reserve(tree.size());
    for (const auto& t : tree) orgs.push_back(MUHAFIZ_TRY(service.Get(t.uuid, all)));
    if (format == TransferFormat::kJson) {
        json::array arr;
        for (const auto& o : orgs) {
            json::object j = ToJson(o);
            j.erase("path_names");
            j.erase("children_count");
            arr.push_back(std::move(j));
        }
        return json::serialize(json::object{{"organisations", std::move(arr)}}) + "\n";
    }
    std::string out;
    core::AppendCsvRecord(out, kCsvColumns);
    for (const auto& o : orgs) {
        std::vector<std::string> asns;
        for (auto a : o.networks.asns) asns.push_back(std::to_string(a));
        core::AppendCsvRecord(out, {o.uuid, o.name, std::string(KindName(o.kind)), o.parent_uuid, o.sector, o.country,
                                    o.cii ? "true" : "false", o.contacts.security_email, o.contacts.abuse_email,
                                    o.contacts.phone, o.contacts.pgp_key, Join(o.networks.prefixes), Join(asns),
                                    Join(o.networks.domains)});
    }
    return out;
}

Result<ImportReport> ImportConstituency(OrganisationService& service, std::string_view text, TransferFormat format,
                                        bool skip_bad, const core::Actor& actor) {
    auto entries = MUHAFIZ_TRY(format == TransferFormat::kJson ? ParseJsonEntries(text) : ParseCsvEntries(text));
    ImportReport report;
    report.entries = entries.size();
    auto conn = MUHAFIZ_TRY(service.Connect());
    auto tx = MUHAFIZ_TRY(db::Transaction::Begin(*conn));
    std::map<std::string, std::string> id_map;  // id in the file → id here (the root differs)
    for (auto& e : entries) {
        if (!e.patch) {
            report.problems.push_back({e.line, e.patch.error().field, e.patch.error().message});
            continue;
        }
        OrganisationPatch& p = *e.patch;
        if (p.parent) {
            auto mapped = id_map.find(*p.parent);
            if (mapped != id_map.end()) p.parent = mapped->second;
        }
        MUHAFIZ_CHECK(conn->ExecuteScript("SAVEPOINT import_entry"));
        OrganisationService::Outcome outcome{};
        auto done = service.Upsert(*conn, p, actor, &outcome);
        if (!done) {
            MUHAFIZ_CHECK(conn->ExecuteScript("ROLLBACK TO SAVEPOINT import_entry"));
            report.problems.push_back({e.line, done.error().field, done.error().message});
            continue;
        }
        MUHAFIZ_CHECK(conn->ExecuteScript("RELEASE SAVEPOINT import_entry"));
        if (p.uuid) id_map[*p.uuid] = done->uuid;
        switch (outcome) {
            case OrganisationService::Outcome::kCreated: ++report.created; break;
            case OrganisationService::Outcome::kUpdated: ++report.updated; break;
            case OrganisationService::Outcome::kUnchanged: ++report.unchanged; break;
        }
    }
    report.skipped = report.problems.size();
    if (!report.problems.empty() && !skip_bad) {
        report.created = report.updated = report.unchanged = 0;
        return report;  // the transaction rolls back: nothing of a bad file is imported
    }
    MUHAFIZ_CHECK(tx.Commit());
    report.committed = true;
    service.NotifyChanged();
    return report;
}

}  // namespace muhafiz::constituency
