// IncidentStore: the rules and SQL of incidents (one copy for SQLite and PostgreSQL; the
// full-text condition is the one dialect hook).
#include "incidents/incident_store.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/csv.hpp"
#include "core/ids.hpp"
#include "db/query.hpp"

namespace muhafiz::incidents {
namespace json = core::json;
using access::Principal;
using core::ErrorCode;

namespace {

constexpr const char* kSelect =
    "SELECT i.id, i.uuid, i.reference, i.title, i.description, i.classification, i.severity, i.impact, i.tlp, "
    "i.pap, i.tags, i.custom_fields, i.status, "
    "o.id, o.uuid, o.name, o.kind, o.path, o.sector, h.id, h.uuid, h.name, h.kind, h.path, h.sector, "
    "i.sector, i.regime, i.reporter_name, i.reporter_email, i.reporter_phone, i.affected, u.uuid, u.username, "
    "i.confidential, i.source, i.occurred_at, i.detected_at, i.aware_at, i.acknowledged_at, i.resolved_at, "
    "i.closed_at, i.next_due_at, mi.reference, i.version, i.created_at, i.updated_at, i.assignee_id, i.merged_into "
    "FROM incidents i JOIN organisations o ON o.id = i.organisation_id "
    "JOIN organisations h ON h.id = i.handling_org_id "
    "LEFT JOIN users u ON u.id = i.assignee_id LEFT JOIN incidents mi ON mi.id = i.merged_into";

int SeverityRank(Severity s) { return static_cast<int>(s); }

// The columns a new incident is written with (InsertOne), in the order of its values.
constexpr const char* kIncidentColumns =
    "uuid, reference, title, description, classification, severity, severity_rank, impact, tlp, pap, tags, "
    "custom_fields, status, organisation_id, org_path, handling_org_id, handling_path, sector, regime, reporter_name, "
    "reporter_email, reporter_phone, affected, assignee_id, confidential, source, occurred_at, detected_at, aware_at, "
    "next_due_at, created_by, version, created_at, updated_at, class_mask";

std::vector<std::string> SplitColumns(std::string_view text) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : text) {
        if (c == ',') {
            out.push_back(cur);
            cur.clear();
        } else if (c != ' ') {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

std::string ClassesJson(const std::vector<Classification>& cs) {
    json::array a;
    for (const auto& c : cs) a.push_back(json::object{{"class", c.cls}, {"type", c.type}});
    return core::ToJson(a);
}

std::string StringsJson(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.push_back(json::string(s));
    return core::ToJson(a);
}

std::vector<std::string> ParseStrings(const std::string& text) {
    std::vector<std::string> out;
    auto v = core::ParseJson(text);
    if (!v || !v->is_array()) return out;
    for (const auto& e : v->as_array())
        if (e.is_string()) out.emplace_back(e.as_string());
    return out;
}

Incident FromRow(const db::Row& r) {
    Incident i;
    i.id = r.Int(0);
    i.uuid = r.Str(1);
    i.reference = r.Str(2);
    i.title = r.Str(3);
    i.description = r.Str(4);
    if (auto v = core::ParseJson(r.Str(5)); v && v->is_array())
        for (const auto& e : v->as_array()) {
            const auto& o = e.as_object();
            i.classification.push_back({std::string(o.at("class").as_string()), std::string(o.at("type").as_string())});
        }
    i.severity = ParseSeverity(r.Str(6)).value_or(Severity::kMedium);
    i.impact = r.Str(7);
    i.tlp = r.Str(8);
    i.pap = r.Str(9);
    i.tags = ParseStrings(r.Str(10));
    if (auto v = core::ParseJsonObject(r.Str(11))) i.custom_fields = std::move(*v);
    i.status = ParseStatus(r.Str(12)).value_or(Status::kNew);
    i.organisation = {r.Int(13), r.Str(14), r.Str(15), r.Str(16), r.Str(17), r.Str(18)};
    i.handling = {r.Int(19), r.Str(20), r.Str(21), r.Str(22), r.Str(23), r.Str(24)};
    i.sector = r.Str(25);
    i.regime = r.Str(26);
    i.reporter_name = r.Str(27);
    i.reporter_email = r.Str(28);
    i.reporter_phone = r.Str(29);
    i.affected = ParseStrings(r.Str(30));
    i.assignee_uuid = r.OptStr(31);
    i.assignee_name = r.OptStr(32);
    i.confidential = r.Bool(33);
    i.source = r.Str(34);
    i.occurred_at = r.OptInt(35);
    i.detected_at = r.OptInt(36);
    i.aware_at = r.Int(37);
    i.acknowledged_at = r.OptInt(38);
    i.resolved_at = r.OptInt(39);
    i.closed_at = r.OptInt(40);
    i.next_due_at = r.OptInt(41);
    i.merged_into = r.OptStr(42);
    i.version = r.Int(43);
    i.created_at = r.Int(44);
    i.updated_at = r.Int(45);
    i.assignee_id = r.Int(46);
    i.merged_into_id = r.Int(47);
    return i;
}

std::string AuditJson(const Incident& i) {
    json::object o{{"reference", i.reference},
                   {"title", i.title},
                   {"status", StatusName(i.status)},
                   {"severity", SeverityName(i.severity)},
                   {"classification", ClassesJson(i.classification)},
                   {"tlp", i.tlp},
                   {"organisation_id", i.organisation.uuid},
                   {"handling_organisation_id", i.handling.uuid},
                   {"assignee", i.assignee_name.value_or("")},
                   {"confidential", i.confidential},
                   {"version", i.version}};
    return core::ToJson(o);
}

bool IsCertKind(std::string_view kind) {
    return kind.ends_with("_cert") && kind != "partner_cert";
}

bool CanTriage(const Principal& p) {
    return IsCertKind(p.organisation_kind) && (p.role == access::Role::kAdmin || p.role == access::Role::kAnalyst) &&
           access::MayWrite(p);
}

// FTS5 query from user text: every word quoted, all required.
std::string Fts5Query(std::string_view q) {
    std::string out, word;
    auto flush = [&] {
        if (word.empty()) return;
        if (!out.empty()) out += ' ';
        out += '"' + word + '"';
        word.clear();
    };
    // Whole words (as PostgreSQL's plainto_tsquery); "phish*" asks for a prefix.
    for (std::size_t k = 0; k < q.size(); ++k) {
        const auto u = static_cast<unsigned char>(q[k]);
        if (std::isalnum(u) || u >= 0x80) {
            word += q[k];
        } else if (q[k] == '*' && !word.empty()) {
            if (!out.empty()) out += ' ';
            out += '"' + word + "\"*";
            word.clear();
        } else {
            flush();
        }
    }
    flush();
    return out;
}

std::vector<std::int64_t> PathIds(std::string_view path) {
    std::vector<std::int64_t> ids;
    std::int64_t n = 0;
    bool in = false;
    for (char c : path) {
        if (c == '/') {
            if (in) ids.push_back(n);
            n = 0;
            in = false;
        } else if (c >= '0' && c <= '9') {
            n = n * 10 + (c - '0');
            in = true;
        }
    }
    return ids;
}

std::string UpperAscii(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

// Keeps only the last path component and harmless characters of a file name.
std::string SafeFilename(std::string name) {
    if (auto slash = name.find_last_of("/\\"); slash != std::string::npos) name = name.substr(slash + 1);
    std::string out;
    for (char c : name)
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
    if (out.empty() || out == "." || out == "..") out = "attachment";
    if (out.size() > 255) out.resize(255);
    return out;
}

}  // namespace

thread_local std::map<std::int64_t, IncidentStore::OrgFacts>* IncidentStore::org_cache_ = nullptr;
thread_local IncidentStore::PendingRows* IncidentStore::pending_ = nullptr;

IncidentStore::IncidentStore(db::Database& db, const db::AuditSink& audit, const access::Policy& policy,
                             const notify::Notifier* notifier, RegimeSet regimes, StoreOptions options)
    : db_(db), audit_(audit), policy_(policy), notifier_(notifier), regimes_(std::move(regimes)),
      options_(std::move(options)) {}

// ---- scopes ---------------------------------------------------------------------------------

db::Predicate IncidentStore::ReadScope(const Principal* p) const {
    if (!p) return {"1=1", {}};
    if (!access::SeesRecords(*p) || !access::MayRead(*p)) return {"1=0", {}};
    const std::string confidential =
        "(i.confidential = 0 OR EXISTS (SELECT 1 FROM incident_members m WHERE m.incident_id = i.id AND m.user_id = ?))";
    db::Predicate out;
    if (p->is_national) {
        out.sql = confidential;
        out.params.emplace_back(p->user_id);
        return out;
    }
    // The policy's scopes over the two paths, or a share with the caller's organisation (as
    // RecordScope, written as an IN list so that each part of the OR is an index range).
    db::Predicate own = policy_.OrganisationScope(*p, "i.org_path");
    db::Predicate hand = policy_.OrganisationScope(*p, "i.handling_path");
    out.sql = "(" + own.sql + " OR " + hand.sql +
              " OR i.id IN (SELECT sh.object_id FROM shares sh WHERE sh.object_type = 'incident' AND "
              "sh.organisation_id = ?)) AND " + confidential;
    out.params = own.params;
    out.params.insert(out.params.end(), hand.params.begin(), hand.params.end());
    out.params.emplace_back(p->organisation_id);
    out.params.emplace_back(p->user_id);
    return out;
}

db::Predicate IncidentStore::ManageScope(const Principal& p) const {
    db::Predicate rec = policy_.RecordScope(p, "i.org_path", "incident", "i.id", access::Access::kWrite);
    db::Predicate hand = policy_.OrganisationScope(p, "i.handling_path");
    db::Predicate out;
    out.sql = "((" + rec.sql + ") OR (" + hand.sql + "))";
    out.params = rec.params;
    out.params.insert(out.params.end(), hand.params.begin(), hand.params.end());
    return out;
}

core::Status IncidentStore::RequireManage(db::Connection& conn, const Incident& inc, const Principal* p) {
    if (!p) return core::Ok();
    if (!CanTriage(*p))
        return core::Fail(ErrorCode::kPermissionDenied, "only admins and analysts of a CERT with write access may change incidents");
    db::Predicate m = ManageScope(*p);
    db::Params params{inc.id};
    params.insert(params.end(), m.params.begin(), m.params.end());
    auto rows = MUHAFIZ_TRY(conn.Query("SELECT 1 FROM incidents i WHERE i.id = ? AND " + m.sql, params));
    if (rows.empty())
        return core::Fail(ErrorCode::kPermissionDenied, "this incident is shared with you read-only");
    return core::Ok();
}

core::Status IncidentStore::RequireContribute(const Principal* p) {
    if (!p) return core::Ok();
    if (!access::MayWrite(*p)) return core::Fail(ErrorCode::kPermissionDenied, "write access is needed");
    return core::Ok();
}

// ---- helpers ----------------------------------------------------------------------------------

core::Result<OrgRef> IncidentStore::Organisation(db::Connection& conn, const std::string& uuid) {
    auto rows = MUHAFIZ_TRY(
        conn.Query("SELECT id, uuid, name, kind, path, sector FROM organisations WHERE uuid = ?", {db::Lower(uuid)}));
    if (rows.empty()) return core::NotFound("no such organisation");
    const auto& r = rows[0];
    return OrgRef{r.Int(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Str(5)};
}

core::Result<std::optional<std::string>> IncidentStore::OrganisationByDomain(const std::string& domain) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string d = db::Lower(domain);
    while (!d.empty()) {
        auto rows = MUHAFIZ_TRY(conn->Query(
            "SELECT o.uuid FROM organisation_domains od JOIN organisations o ON o.id = od.organisation_id "
            "WHERE od.domain = ?",
            {d}));
        if (!rows.empty()) return std::optional<std::string>{rows[0].Str(0)};
        auto dot = d.find('.');
        if (dot == std::string::npos) break;
        d = d.substr(dot + 1);
    }
    return std::optional<std::string>{};
}

core::Result<OrgRef> IncidentStore::OrgById(db::Connection& conn, std::int64_t id) {
    auto rows = MUHAFIZ_TRY(conn.Query("SELECT id, uuid, name, kind, path, sector FROM organisations WHERE id = ?", {id}));
    if (rows.empty()) return core::NotFound("no such organisation");
    const auto& r = rows[0];
    return OrgRef{r.Int(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Str(5)};
}

core::Result<OrgRef> IncidentStore::HandlingCertFor(db::Connection& conn, const OrgRef& org) {
    auto ids = PathIds(org.path);
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
        auto o = MUHAFIZ_TRY(OrgById(conn, *it));
        if (IsCertKind(o.kind) && o.kind != "cert_council") return o;
    }
    if (!ids.empty()) return OrgById(conn, ids.front());
    return org;
}

core::Result<std::string> IncidentStore::SectorFor(db::Connection& conn, const OrgRef& org) {
    if (!org.sector.empty()) return org.sector;
    auto ids = PathIds(org.path);
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
        auto o = MUHAFIZ_TRY(OrgById(conn, *it));
        if (!o.sector.empty()) return o.sector;
    }
    return std::string();
}

core::Result<std::int64_t> IncidentStore::ResolveUser(db::Connection& conn, const std::string& who,
                                                     const std::string& field) {
    auto rows = MUHAFIZ_TRY(conn.Query("SELECT id FROM users WHERE uuid = ? OR username = ?", {db::Lower(who), db::Lower(who)}));
    if (rows.empty()) return core::Invalid(field, "no such user '" + who + "'");
    return rows[0].Int(0);
}

core::Status IncidentStore::AddTimeline(db::Connection& conn, std::int64_t incident_id, const core::Actor& actor,
                                        std::string_view kind, const std::string& text, const json::object& data) {
    MUHAFIZ_TRY(conn.Execute(
        "INSERT INTO incident_timeline (incident_id, at, kind, actor, actor_id, text, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {incident_id, core::NowMicros(), std::string(kind), actor.username,
         actor.user_id ? db::Value(actor.user_id) : db::Null(), text, core::ToJson(data)}));
    return core::Ok();
}

core::Status IncidentStore::Audit(db::Connection& conn, const core::Actor& actor, std::string_view action,
                                  const Incident& before, const Incident* after) {
    db::AuditRecord rec;
    rec.actor = actor;
    rec.action = std::string(action);
    rec.object_type = "incident";
    rec.object_id = before.uuid;
    if (after) {
        rec.before = AuditJson(before);
        rec.after = AuditJson(*after);
    } else {
        rec.after = AuditJson(before);
    }
    return audit_.Append(conn, rec);
}

core::Status IncidentStore::NotifyOrganisation(db::Connection& conn, std::int64_t organisation_id, const Incident& inc,
                                               std::string_view event, const std::string& subject,
                                               const std::string& text) {
    if (!notifier_) return core::Ok();
    auto rows = MUHAFIZ_TRY(conn.Query("SELECT contacts, name FROM organisations WHERE id = ?", {organisation_id}));
    if (rows.empty()) return core::Ok();
    std::string to;
    if (auto c = core::ParseJsonObject(rows[0].Str(0))) {
        for (const char* key : {"security_email", "abuse_email"}) {
            if (auto* v = c->if_contains(key); v && v->is_string() && !v->as_string().empty()) {
                to = std::string(v->as_string());
                break;
            }
        }
    }
    const notify::Related related{"incident", inc.uuid};
    if (!to.empty()) {
        notify::EmailMessage m;
        m.to = {to};
        m.subject = "[" + inc.reference + "] " + subject;
        std::string body = text + "\n\nReference: " + inc.reference + "\nTitle: " +
                           (inc.tlp == "TLP:RED" ? std::string("(TLP:RED, see the platform)") : inc.title) +
                           "\nSeverity: " + std::string(SeverityName(inc.severity)) +
                           "\nStatus: " + std::string(StatusName(inc.status)) + "\nTLP: " + inc.tlp +
                           "\n\nReply to this message keeping [" + inc.reference + "] in the subject to add to the "
                           "incident's timeline.\n";
        m.text = std::move(body);
        m.muhafiz_reference = inc.reference;
        MUHAFIZ_TRY(notifier_->EnqueueEmail(conn, std::move(m), related));
    }
    json::object data{{"id", inc.uuid},           {"reference", inc.reference},
                      {"status", StatusName(inc.status)}, {"severity", SeverityName(inc.severity)},
                      {"tlp", inc.tlp},           {"message", subject}};
    if (inc.tlp != "TLP:RED") data["title"] = inc.title;
    MUHAFIZ_TRY(notifier_->EnqueueWebhooks(conn, organisation_id, "incident." + std::string(event), data, related));
    return core::Ok();
}

core::Result<std::vector<std::string>> IncidentStore::ReserveReferences(db::Connection& conn, std::size_t n,
                                                                       Micros now) {
    const std::string when = core::FormatRfc3339(now);
    const int year = std::stoi(when.substr(0, 4));
    auto rows = MUHAFIZ_TRY(conn.Query(
        "INSERT INTO incident_counters (year, last_number) VALUES (?, ?) ON CONFLICT (year) DO UPDATE SET "
        "last_number = incident_counters.last_number + ? RETURNING last_number",
        {std::int64_t{year}, static_cast<std::int64_t>(n), static_cast<std::int64_t>(n)}));
    const std::int64_t last = rows[0].Int(0);
    std::vector<std::string> out;
    for (std::size_t k = 0; k < n; ++k)
        out.push_back(core::ShortReference("INC", year, last - static_cast<std::int64_t>(n) + 1 + static_cast<std::int64_t>(k)));
    return out;
}

core::Status IncidentStore::RecomputeDeadlines(db::Connection& conn, const Incident& inc) {
    const Regime* regime = regimes_.Find(inc.regime);
    std::vector<Deadline> due;
    if (regime) due = ComputeDeadlines(*regime, inc.severity, inc.created_at, inc.aware_at);
    auto existing = MUHAFIZ_TRY(conn.Query("SELECT kind, met_at FROM incident_deadlines WHERE incident_id = ?", {inc.id}));
    std::map<std::string, bool> met;
    for (const auto& r : existing) met[r.Str(0)] = !r.IsNull(1);
    for (const auto& d : due) {
        const std::string kind(DeadlineKindName(d.kind));
        auto it = met.find(kind);
        if (it == met.end()) {
            MUHAFIZ_TRY(conn.Execute("INSERT INTO incident_deadlines (incident_id, kind, due_at) VALUES (?, ?, ?)",
                                     {inc.id, kind, d.due_at}));
        } else if (!it->second) {
            MUHAFIZ_TRY(conn.Execute(
                "UPDATE incident_deadlines SET due_at = ?, reminded_at = CASE WHEN due_at = ? THEN reminded_at END, "
                "overdue_notified_at = CASE WHEN due_at = ? THEN overdue_notified_at END "
                "WHERE incident_id = ? AND kind = ?",
                {d.due_at, d.due_at, d.due_at, inc.id, kind}));
        }
        met.erase(kind);
    }
    for (const auto& [kind, was_met] : met)
        if (!was_met)
            MUHAFIZ_TRY(conn.Execute("DELETE FROM incident_deadlines WHERE incident_id = ? AND kind = ?", {inc.id, kind}));
    const bool tracking = inc.status != Status::kClosed && inc.status != Status::kRejected && inc.status != Status::kMerged;
    MUHAFIZ_TRY(conn.Execute(
        tracking ? "UPDATE incidents SET next_due_at = (SELECT MIN(due_at) FROM incident_deadlines d WHERE "
                   "d.incident_id = incidents.id AND d.met_at IS NULL) WHERE id = ?"
                 : "UPDATE incidents SET next_due_at = NULL WHERE id = ?",
        {inc.id}));
    return core::Ok();
}

// ---- loading --------------------------------------------------------------------------------

core::Result<Incident> IncidentStore::Load(db::Connection& conn, const std::string& id, const Principal* p,
                                           bool details) {
    db::Predicate scope = ReadScope(p);
    db::Params params{db::Lower(id), UpperAscii(id)};
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    auto rows = MUHAFIZ_TRY(
        conn.Query(std::string(kSelect) + " WHERE (i.uuid = ? OR i.reference = ?) AND " + scope.sql, params));
    if (rows.empty()) return core::NotFound("no such incident");
    Incident inc = FromRow(rows[0]);
    if (details) {
        auto ds = MUHAFIZ_TRY(conn.Query(
            "SELECT kind, due_at, met_at FROM incident_deadlines WHERE incident_id = ? ORDER BY due_at", {inc.id}));
        for (const auto& r : ds)
            inc.deadlines.push_back({ParseDeadlineKind(r.Str(0)).value_or(DeadlineKind::kAcknowledge), r.Int(1), r.OptInt(2)});
        auto ms = MUHAFIZ_TRY(conn.Query(
            "SELECT u.username FROM incident_members m JOIN users u ON u.id = m.user_id WHERE m.incident_id = ? "
            "ORDER BY u.username",
            {inc.id}));
        for (const auto& r : ms) inc.members.push_back(r.Str(0));
    }
    return inc;
}

core::Result<Incident> IncidentStore::Get(const std::string& id, const Principal* p) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return Load(*conn, id, p);
}

// ---- creation -------------------------------------------------------------------------------

core::Result<Incident> IncidentStore::InsertOne(db::Connection& conn, const IncidentInput& in, const Principal* p,
                                                const core::Actor& actor, std::string_view source,
                                                const std::string& reference, bool notify) {
    const Micros now = core::NowMicros();
    OrgRef org;
    if (in.organisation && !in.organisation->empty()) {
        auto o = Organisation(conn, *in.organisation);
        if (!o || (p && !policy_.CanSeeOrganisationPath(*p, o->path)))
            return core::Invalid("organisation_id", "no such organisation '" + *in.organisation + "'");
        org = *o;
    } else if (p) {
        if (pending_ && pending_->caller_org.id == p->organisation_id) {
            org = pending_->caller_org;
        } else {
            org = MUHAFIZ_TRY(OrgById(conn, p->organisation_id));
            if (pending_) pending_->caller_org = org;
        }
    } else {
        auto rows = MUHAFIZ_TRY(conn.Query("SELECT id FROM organisations WHERE kind = 'national_cert' ORDER BY id LIMIT 1"));
        if (rows.empty()) return core::Fail(ErrorCode::kInternal, "there is no National CERT organisation");
        org = MUHAFIZ_TRY(OrgById(conn, rows[0].Int(0)));
    }
    // What follows from the organisation (handling CERT, sector, the CERT's custom fields) is
    // looked up once per organisation and remembered for the rest of a bulk request.
    OrgFacts local;
    const OrgFacts* known = nullptr;
    if (org_cache_)
        if (auto it = org_cache_->find(org.id); it != org_cache_->end()) known = &it->second;
    if (!known) {
        OrgFacts f;
        f.handling = MUHAFIZ_TRY(HandlingCertFor(conn, org));
        f.sector = MUHAFIZ_TRY(SectorFor(conn, org));
        f.fields = MUHAFIZ_TRY(FieldDefinitionsOn(conn, f.handling.id));
        if (org_cache_) {
            known = &org_cache_->emplace(org.id, std::move(f)).first->second;
        } else {
            local = std::move(f);
            known = &local;
        }
    }
    const OrgFacts& facts = *known;
    const OrgRef handling = facts.handling;
    Incident inc;
    inc.uuid = core::NewUuidV7();
    inc.reference = reference;
    inc.title = in.title.value_or("");
    inc.description = in.description.value_or("");
    inc.classification = in.classification.value_or(std::vector<Classification>{});
    if (inc.classification.empty()) inc.classification.push_back({"other", "undetermined"});
    inc.severity = in.severity.value_or(Severity::kMedium);
    inc.impact = in.impact.value_or("");
    inc.tlp = in.tlp.value_or("TLP:AMBER");
    inc.pap = in.pap.value_or("PAP:AMBER");
    inc.tags = in.tags.value_or(std::vector<std::string>{});
    inc.custom_fields = in.custom_fields.value_or(json::object{});
    {
        auto defs = facts.fields;
        if (!p)
            for (auto& d : defs) d.required = false;  // e-mail and the public form cannot know them
        if (!defs.empty() || !inc.custom_fields.empty()) MUHAFIZ_CHECK(ValidateCustomFields(inc.custom_fields, defs));
    }
    inc.status = Status::kNew;
    inc.organisation = org;
    inc.handling = handling;
    inc.sector = facts.sector;
    inc.regime = regimes_.ForSector(inc.sector).key;
    inc.reporter_name = in.reporter_name.value_or(p ? p->username : "");
    inc.reporter_email = in.reporter_email.value_or("");
    inc.reporter_phone = in.reporter_phone.value_or("");
    if (in.affected) {
        for (const auto& a : *in.affected) {
            auto o = Organisation(conn, a);
            if (!o || (p && !policy_.CanSeeOrganisationPath(*p, o->path)))
                return core::Invalid("affected", "no such organisation '" + a + "'");
            inc.affected.push_back(o->uuid);
        }
    }
    if (in.assignee && *in.assignee) {
        if (p && !CanTriage(*p)) return core::Invalid("assignee", "only CERT analysts assign incidents");
        inc.assignee_id = MUHAFIZ_TRY(ResolveUser(conn, **in.assignee, "assignee"));
    }
    inc.confidential = in.confidential.value_or(false);
    inc.source = std::string(source);
    inc.occurred_at = in.occurred_at ? *in.occurred_at : std::nullopt;
    inc.detected_at = in.detected_at ? *in.detected_at : std::nullopt;
    inc.aware_at = in.aware_at.value_or(inc.detected_at.value_or(now));
    inc.created_at = inc.updated_at = now;
    std::vector<Deadline> due;
    if (const Regime* regime = regimes_.Find(inc.regime))
        due = ComputeDeadlines(*regime, inc.severity, inc.created_at, inc.aware_at);
    for (const auto& d : due) {
        if (!inc.next_due_at || d.due_at < *inc.next_due_at) inc.next_due_at = d.due_at;
        inc.deadlines.push_back({d.kind, d.due_at, std::nullopt});
    }
    db::Params values{inc.uuid, inc.reference, inc.title, inc.description, ClassesJson(inc.classification),
                      std::string(SeverityName(inc.severity)), std::int64_t{SeverityRank(inc.severity)}, inc.impact,
                      inc.tlp, inc.pap, StringsJson(inc.tags), core::ToJson(inc.custom_fields),
                      std::string(StatusName(inc.status)), org.id, org.path, handling.id, handling.path, inc.sector,
                      inc.regime, inc.reporter_name, inc.reporter_email, inc.reporter_phone, StringsJson(inc.affected),
                      inc.assignee_id ? db::Value(inc.assignee_id) : db::Null(), db::Bool(inc.confidential), inc.source,
                      db::Opt(inc.occurred_at), db::Opt(inc.detected_at), inc.aware_at, db::Opt(inc.next_due_at),
                      actor.user_id ? db::Value(actor.user_id) : db::Null(), std::int64_t{1}, now, now,
                      ClassMask(inc.classification)};
    if (pending_ && pending_->next < pending_->ids.size()) {
        // A bulk request: the id was reserved with the others and the row goes in with BulkInsert.
        inc.id = pending_->ids[pending_->next++];
        values.insert(values.begin(), db::Value(inc.id));
        pending_->incidents.push_back(std::move(values));
    } else {
        std::string marks;
        for (std::size_t k = 0; k < values.size(); ++k) marks += k ? ", ?" : "?";
        auto ids = MUHAFIZ_TRY(conn.Query(std::string("INSERT INTO incidents (") + kIncidentColumns + ") VALUES (" + marks +
                                              ") RETURNING id",
                                          values));
        inc.id = ids[0].Int(0);
    }
    // The incident's rows in the other tables are collected and written with BulkInsert: at once
    // for a single report, after the last incident for a bulk request.
    PendingRows local_rows;
    PendingRows& rows = pending_ ? *pending_ : local_rows;
    for (const auto& c : inc.classification) rows.classes.push_back({inc.id, c.cls, c.type});
    for (const auto& t : inc.tags) rows.tags.push_back({inc.id, t});
    {
        std::set<std::pair<std::string, std::string>> seen;
        for (const auto& obs : in.observables)
            if (seen.insert(obs).second) rows.observables.push_back({inc.id, obs.first, obs.second, inc.tlp, now});
    }
    if (inc.confidential) {
        std::set<std::int64_t> members;
        if (p) members.insert(p->user_id);
        if (inc.assignee_id) members.insert(inc.assignee_id);
        if (in.members)
            for (const auto& m : *in.members) members.insert(MUHAFIZ_TRY(ResolveUser(conn, m, "members")));
        for (auto uid : members) rows.members.push_back({inc.id, uid});
    }
    for (const auto& title : regimes_.TaskTemplates(inc.classification))
        rows.tasks.push_back({core::NewUuidV7(), inc.id, title, now, now});
    for (const auto& d : due) rows.deadlines.push_back({inc.id, std::string(DeadlineKindName(d.kind)), d.due_at});
    rows.timeline.push_back({inc.id, now, std::string("created"), actor.username,
                             actor.user_id ? db::Value(actor.user_id) : db::Null(),
                             "Reported through " + inc.source + (inc.reporter_email.empty() ? "" : " by " + inc.reporter_email),
                             core::ToJson(json::object{{"source", inc.source}})});
    if (!pending_) MUHAFIZ_CHECK(FlushRows(conn, local_rows));
    if (notify) {
        MUHAFIZ_CHECK(Audit(conn, actor, "incident.create", inc, nullptr));
        MUHAFIZ_CHECK(NotifyOrganisation(conn, handling.id, inc, "created",
                                         "New incident: " + (inc.tlp == "TLP:RED" ? std::string("(TLP:RED)") : inc.title),
                                         "A new incident was reported to " + handling.name + "."));
    }
    return inc;
}

core::Status IncidentStore::FlushRows(db::Connection& conn, PendingRows& rows) {
    if (!rows.incidents.empty()) {
        auto columns = SplitColumns(kIncidentColumns);
        columns.insert(columns.begin(), "id");
        MUHAFIZ_TRY(conn.BulkInsert("incidents", columns, rows.incidents));
    }
    if (!rows.classes.empty()) MUHAFIZ_TRY(conn.BulkInsert("incident_classes", {"incident_id", "class", "type"}, rows.classes));
    if (!rows.tags.empty()) MUHAFIZ_TRY(conn.BulkInsert("incident_tags", {"incident_id", "tag"}, rows.tags));
    if (!rows.observables.empty())
        MUHAFIZ_TRY(conn.BulkInsert("incident_observables", {"incident_id", "type", "value", "tlp", "created_at"}, rows.observables));
    if (!rows.members.empty()) MUHAFIZ_TRY(conn.BulkInsert("incident_members", {"incident_id", "user_id"}, rows.members));
    if (!rows.tasks.empty())
        MUHAFIZ_TRY(conn.BulkInsert("incident_tasks", {"uuid", "incident_id", "title", "created_at", "updated_at"}, rows.tasks));
    if (!rows.deadlines.empty())
        MUHAFIZ_TRY(conn.BulkInsert("incident_deadlines", {"incident_id", "kind", "due_at"}, rows.deadlines));
    if (!rows.timeline.empty())
        MUHAFIZ_TRY(conn.BulkInsert("incident_timeline", {"incident_id", "at", "kind", "actor", "actor_id", "text", "data"},
                                    rows.timeline));
    rows = PendingRows{};
    return core::Ok();
}

core::Result<Incident> IncidentStore::Create(const IncidentInput& input, const Principal* p, const core::Actor& actor,
                                             std::string_view source) {
    if (p && (!access::MayWrite(*p) || !access::SeesRecords(*p)))
        return core::Fail(ErrorCode::kPermissionDenied, "write access is needed to report incidents");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string uuid;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        auto refs = MUHAFIZ_TRY(ReserveReferences(*conn, 1, core::NowMicros()));
        auto inc = MUHAFIZ_TRY(InsertOne(*conn, input, p, actor, source, refs[0], true));
        uuid = inc.uuid;
        return core::Ok();
    }));
    return Load(*conn, uuid, nullptr);
}

core::Result<std::vector<Incident>> IncidentStore::CreateMany(const std::vector<IncidentInput>& inputs,
                                                              const Principal* p, const core::Actor& actor) {
    if (p && (!access::MayWrite(*p) || !access::SeesRecords(*p)))
        return core::Fail(ErrorCode::kPermissionDenied, "write access is needed to report incidents");
    if (inputs.empty()) return core::Invalid("incidents", "incidents must not be empty");
    if (inputs.size() > 10000) return core::Invalid("incidents", "at most 10,000 incidents per request");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::vector<Incident> out;
    out.reserve(inputs.size());
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        auto refs = MUHAFIZ_TRY(ReserveReferences(*conn, inputs.size(), core::NowMicros()));
        std::map<std::int64_t, OrgFacts> cache;
        PendingRows pending;
        // Ids for the whole request, reserved under the write transaction: the sequence on
        // PostgreSQL; on SQLite past the largest id and AUTOINCREMENT's counter.
        if (conn->dialect() == db::Dialect::kPostgres) {
            auto r = MUHAFIZ_TRY(conn->Query(
                "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) FROM generate_series(1, ?)",
                {static_cast<std::int64_t>(inputs.size())}));
            for (const auto& row : r) pending.ids.push_back(row.Int(0));
        } else {
            auto r = MUHAFIZ_TRY(conn->Query(
                "SELECT MAX(COALESCE((SELECT MAX(id) FROM incidents), 0), "
                "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'incidents'), 0))"));
            for (std::size_t k = 1; k <= inputs.size(); ++k) pending.ids.push_back(r[0].Int(0) + static_cast<std::int64_t>(k));
        }
        org_cache_ = &cache;
        pending_ = &pending;
        struct Reset {
            ~Reset() {
                org_cache_ = nullptr;
                pending_ = nullptr;
            }
        } reset;
        std::map<std::int64_t, int> per_cert;
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            auto inc = InsertOne(*conn, inputs[k], p, actor, "bulk", refs[k], false);
            if (!inc) {
                auto e = inc.error();
                e.message = "incidents[" + std::to_string(k) + "]: " + e.message;
                e.field = "incidents[" + std::to_string(k) + "]" + (e.field.empty() ? "" : "." + e.field);
                return tl::unexpected(e);
            }
            per_cert[inc->handling.id]++;
            out.push_back(std::move(*inc));
        }
        pending_ = nullptr;
        MUHAFIZ_CHECK(FlushRows(*conn, pending));
        db::AuditRecord rec;
        rec.actor = actor;
        rec.action = "incident.bulk_create";
        rec.object_type = "incident";
        rec.object_id = out.front().uuid;
        json::array refs_json;
        for (const auto& i : out) refs_json.push_back(json::string(i.reference));
        rec.after = core::ToJson(json::object{{"count", out.size()}, {"references", std::move(refs_json)}});
        MUHAFIZ_CHECK(audit_.Append(*conn, rec));
        for (const auto& [cert, n] : per_cert) {
            const Incident* first = nullptr;
            for (const auto& i : out)
                if (i.handling.id == cert) {
                    first = &i;
                    break;
                }
            MUHAFIZ_CHECK(NotifyOrganisation(*conn, cert, *first, "bulk_created",
                                             std::to_string(n) + " new incidents (first " + first->reference + ")",
                                             std::to_string(n) + " incidents were reported in one bulk request."));
        }
        return core::Ok();
    }));
    return out;
}

// ---- listing ----------------------------------------------------------------------------------

namespace {
// Up to this many matches a page is sorted from all of them; beyond, the planner may walk a sort
// index (a page is then found after about limit x incidents / matches entries).
constexpr std::int64_t kSortMatchesMax = 2000;
}  // namespace

core::Result<IncidentPage> IncidentStore::List(const IncidentFilter& f, const Principal* p) {
    MUHAFIZ_CHECK(db::CheckLimit(f.limit));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Where w;
    w.And(ReadScope(p));
    const Micros now = core::NowMicros();
    if (!f.statuses.empty()) {
        std::string in;
        db::Params ps;
        for (auto s : f.statuses) {
            in += in.empty() ? "?" : ", ?";
            ps.emplace_back(std::string(StatusName(s)));
        }
        w.And("i.status IN (" + in + ")", ps);
    }
    if (!f.severities.empty()) {
        std::string in;
        db::Params ps;
        for (auto s : f.severities) {
            in += in.empty() ? "?" : ", ?";
            ps.emplace_back(std::int64_t{SeverityRank(s)});
        }
        w.And("i.severity_rank IN (" + in + ")", ps);
    }
    if (!f.classes.empty()) {
        // The class bits are in the filter index (a check on the index entry, no per-row
        // subquery); the incident_classes subquery only where the bits are not exact (a type
        // asked for, or a class outside the taxonomy).
        std::int64_t mask = 0;
        bool exact = true;
        for (const auto& c : f.classes) {
            mask |= ClassBit(c.cls);
            exact = exact && c.type.empty() && ClassBitIsExact(c.cls);
        }
        w.And("(i.class_mask & ?) <> 0", {mask});
        std::string any;
        db::Params ps;
        for (const auto& c : f.classes) {
            if (!any.empty()) any += " OR ";
            if (c.type.empty()) {
                any += "c.class = ?";
                ps.emplace_back(c.cls);
            } else {
                any += "(c.class = ? AND c.type = ?)";
                ps.emplace_back(c.cls);
                ps.emplace_back(c.type);
            }
        }
        if (!exact)
            w.And("EXISTS (SELECT 1 FROM incident_classes c WHERE c.incident_id = i.id AND (" + any + "))", ps);
    }
    if (f.organisation) {
        auto o = Organisation(*conn, *f.organisation);
        if (!o) return core::Invalid("organisation_id", "no such organisation");
        std::string upper = o->path;
        upper.back() = '0';
        w.And("((i.org_path >= ? AND i.org_path < ?) OR (i.handling_path >= ? AND i.handling_path < ?))",
              {o->path, upper, o->path, upper});
    }
    if (f.assignee) {
        if (*f.assignee == "none") w.And("i.assignee_id IS NULL");
        else if (*f.assignee == "me") w.And("i.assignee_id = ?", {p ? p->user_id : std::int64_t{0}});
        else {
            auto uid = ResolveUser(*conn, *f.assignee, "assignee");
            if (!uid) return tl::unexpected(uid.error());
            w.And("i.assignee_id = ?", {*uid});
        }
    }
    for (const auto& t : f.tags)
        w.And("EXISTS (SELECT 1 FROM incident_tags t WHERE t.incident_id = i.id AND t.tag = ?)", {t});
    if (f.created_from) w.And("i.created_at >= ?", {*f.created_from});
    if (f.created_to) w.And("i.created_at < ?", {*f.created_to});
    if (f.updated_since) w.And("i.updated_at >= ?", {*f.updated_since});
    if (f.overdue) w.And("i.next_due_at < ?", {now});
    if (f.due_before) w.And("i.next_due_at >= ? AND i.next_due_at < ?", {now, *f.due_before});
    if (f.confidential) w.And("i.confidential = ?", {db::Bool(*f.confidential)});
    if (f.queue) {
        const std::string& q = *f.queue;
        if (q == "triage") w.And("i.status = 'new'");
        else if (q == "mine") w.And("i.assignee_id = ?", {p ? p->user_id : std::int64_t{0}});
        else if (q == "cert") w.And("i.handling_org_id = ?", {p ? p->organisation_id : std::int64_t{0}});
        else if (q == "due_soon")
            w.And("i.next_due_at >= ? AND i.next_due_at < ?", {now, now + regimes_.reminder_before() * 4});
        else if (q == "overdue") w.And("i.next_due_at < ?", {now});
        if (q != "all" && q != "triage") w.And("i.status NOT IN ('closed', 'rejected', 'merged')");
    }
    if (f.q && !f.q->empty()) {
        if (db_.dialect() == db::Dialect::kSqlite) {
            std::string match = Fts5Query(*f.q);
            if (match.empty()) w.And("i.reference = ?", {UpperAscii(*f.q)});
            else
                w.And("(i.id IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?) OR i.reference = ?)",
                      {match, UpperAscii(*f.q)});
        } else {
            w.And("(i.search @@ plainto_tsquery('simple', ?) OR i.reference = ?)", {*f.q, UpperAscii(*f.q)});
        }
    }

    // Sort key: an integer expression, then the id, in one direction.
    std::string_view key = f.sort;
    const bool desc = key.starts_with('-');
    if (desc) key.remove_prefix(1);
    std::string expr = "i.created_at";
    if (key == "updated") expr = "i.updated_at";
    else if (key == "severity") expr = "i.severity_rank";
    else if (key == "due") expr = "COALESCE(i.next_due_at, 9000000000000000000)";

    IncidentPage page;
    const bool text = f.q && !f.q->empty();
    if (text) {
        // A common word matches a large part of the incidents: counting them all costs as much as
        // reading them. The count stops at kSearchCountCap (the envelope says "at least").
        db::Params ps = w.params;
        ps.emplace_back(static_cast<std::int64_t>(kSearchCountCap + 1));
        auto total_rows =
            MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM (SELECT 1 FROM incidents i" + w.sql + " LIMIT ?) capped", ps));
        page.total = total_rows[0].Int(0);
        if (page.total > kSearchCountCap) {
            page.total = kSearchCountCap;
            page.total_capped = true;
        }
    } else {
        auto total_rows = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM incidents i" + w.sql, w.params));
        page.total = total_rows[0].Int(0);
    }

    db::Where pw = w;
    if (!f.cursor.empty()) {
        auto colon = f.cursor.find(':');
        std::int64_t a = 0, b = 0;
        try {
            if (colon == std::string::npos) throw std::invalid_argument("cursor");
            a = std::stoll(f.cursor.substr(0, colon));
            b = std::stoll(f.cursor.substr(colon + 1));
        } catch (...) {
            return core::Invalid("cursor", "cursor is not one this server gave out");
        }
        const char* op = desc ? "<" : ">";
        pw.And("(" + expr + " " + op + " ? OR (" + expr + " = ? AND i.id " + op + " ?))", {a, a, b});
    }
    const std::string dir = desc ? " DESC" : " ASC";
    // The ids of the page first (the filter index covers the common filters and the sort keys),
    // then the rows of just those.
    // Many matches of a text search, newest first: walking the creation index and checking each
    // entry against the matches finds a page after a few hundred entries, where the planner's
    // choice (every match fetched, then sorted) reads them all.
    const bool walk_created = text && page.total_capped && expr == "i.created_at" && db_.dialect() == db::Dialect::kSqlite;
    // Few matches (the count tells): read them all through the filter index and sort them
    // ("+ 0" keeps the planner from walking a sort index instead, which with LIMIT it prefers and
    // which reads most of the table when the filters are selective).
    const bool sort_matches = !page.total_capped && page.total <= kSortMatchesMax;
    const std::string plus = sort_matches ? " + 0" : "";
    std::string sql = std::string("SELECT i.id FROM incidents i") + (walk_created ? " INDEXED BY incidents_created" : "") +
                      pw.sql + " ORDER BY " + expr + plus + dir + ", i.id" + plus + dir + " LIMIT ?";
    pw.params.emplace_back(static_cast<std::int64_t>(f.limit + 1));
    auto id_rows = MUHAFIZ_TRY(conn->Query(sql, pw.params));
    if (!id_rows.empty()) {
        std::string in;
        db::Params ids;
        for (std::size_t k = 0; k < id_rows.size() && static_cast<int>(k) < f.limit; ++k) {
            in += in.empty() ? "?" : ", ?";
            ids.emplace_back(id_rows[k].Int(0));
        }
        auto rows = MUHAFIZ_TRY(conn->Query(std::string(kSelect) + " WHERE i.id IN (" + in + ")", ids));
        std::map<std::int64_t, Incident> by_id;
        for (const auto& r : rows) {
            Incident inc = FromRow(r);
            by_id.emplace(inc.id, std::move(inc));
        }
        for (std::size_t k = 0; k < id_rows.size() && static_cast<int>(k) < f.limit; ++k)
            if (auto it = by_id.find(id_rows[k].Int(0)); it != by_id.end()) page.items.push_back(std::move(it->second));
    }
    const auto& rows = id_rows;
    if (static_cast<int>(rows.size()) > f.limit && !page.items.empty()) {
        const Incident& last = page.items.back();
        std::int64_t v = last.created_at;
        if (key == "updated") v = last.updated_at;
        else if (key == "severity") v = SeverityRank(last.severity);
        else if (key == "due") v = last.next_due_at.value_or(9000000000000000000LL);
        page.next = std::to_string(v) + ":" + std::to_string(last.id);
    }
    return page;
}

core::Result<std::string> IncidentStore::ExportCsv(IncidentFilter filter, const Principal* p) {
    std::string out =
        "reference,id,title,status,severity,classification,tlp,organisation,handling_cert,sector,assignee,"
        "aware_at,created_at,acknowledged_at,resolved_at,closed_at,next_due_at,tags\r\n";
    filter.limit = db::kMaxPageSize;
    filter.cursor.clear();
    int rows = 0;
    for (;;) {
        auto page = MUHAFIZ_TRY(List(filter, p));
        for (const auto& i : page.items) {
            std::string cls, tags;
            for (const auto& c : i.classification) cls += (cls.empty() ? "" : ";") + c.cls + "/" + c.type;
            for (const auto& t : i.tags) tags += (tags.empty() ? "" : ";") + t;
            auto t = [](const std::optional<Micros>& m) { return m ? core::FormatRfc3339(*m) : std::string(); };
            const std::vector<std::string> fields = {
                i.reference, i.uuid, i.title, std::string(StatusName(i.status)), std::string(SeverityName(i.severity)),
                cls, i.tlp, i.organisation.name, i.handling.name, i.sector, i.assignee_name.value_or(""),
                core::FormatRfc3339(i.aware_at), core::FormatRfc3339(i.created_at), t(i.acknowledged_at),
                t(i.resolved_at), t(i.closed_at), t(i.next_due_at), tags};
            for (std::size_t k = 0; k < fields.size(); ++k) {
                if (k) out += ',';
                core::AppendCsvField(out, fields[k]);
            }
            out += "\r\n";
            ++rows;
        }
        if (!page.next || rows >= 10000) break;
        filter.cursor = *page.next;
    }
    return out;
}

// ---- changes ----------------------------------------------------------------------------------

namespace {

core::Status WriteBack(db::Connection& conn, const Incident& inc) {
    MUHAFIZ_TRY(conn.Execute(
        "UPDATE incidents SET title = ?, description = ?, classification = ?, severity = ?, severity_rank = ?, "
        "impact = ?, tlp = ?, pap = ?, tags = ?, custom_fields = ?, status = ?, organisation_id = ?, org_path = ?, "
        "handling_org_id = ?, handling_path = ?, sector = ?, regime = ?, reporter_name = ?, reporter_email = ?, "
        "reporter_phone = ?, affected = ?, assignee_id = ?, confidential = ?, occurred_at = ?, detected_at = ?, "
        "aware_at = ?, acknowledged_at = ?, resolved_at = ?, closed_at = ?, merged_into = ?, version = ?, "
        "updated_at = ?, class_mask = ? WHERE id = ?",
        {inc.title, inc.description, ClassesJson(inc.classification), std::string(SeverityName(inc.severity)),
         std::int64_t{SeverityRank(inc.severity)}, inc.impact, inc.tlp, inc.pap, StringsJson(inc.tags),
         core::ToJson(inc.custom_fields), std::string(StatusName(inc.status)), inc.organisation.id,
         inc.organisation.path, inc.handling.id, inc.handling.path, inc.sector, inc.regime, inc.reporter_name,
         inc.reporter_email, inc.reporter_phone, StringsJson(inc.affected),
         inc.assignee_id ? db::Value(inc.assignee_id) : db::Null(), db::Bool(inc.confidential), db::Opt(inc.occurred_at),
         db::Opt(inc.detected_at), inc.aware_at, db::Opt(inc.acknowledged_at), db::Opt(inc.resolved_at),
         db::Opt(inc.closed_at), inc.merged_into_id ? db::Value(inc.merged_into_id) : db::Null(), inc.version,
         inc.updated_at, ClassMask(inc.classification), inc.id}));
    return core::Ok();
}

std::string AllowedList(Status from) {
    std::string out;
    for (Status s : AllowedTransitions(from)) out += (out.empty() ? "" : ", ") + std::string(StatusName(s));
    return out.empty() ? "none" : out;
}

}  // namespace

core::Result<Incident> IncidentStore::Transition(db::Connection& conn, Incident inc, Status to, const std::string& reason,
                                                 const core::Actor& actor) {
    const Status from = inc.status;
    if (from == to) return inc;
    auto allowed = AllowedTransitions(from);
    if (std::find(allowed.begin(), allowed.end(), to) == allowed.end())
        return core::Fail(ErrorCode::kConflict, "an incident that is " + std::string(StatusName(from)) +
                                                    " cannot become " + std::string(StatusName(to)) +
                                                    "; allowed: " + AllowedList(from),
                          "status");
    if ((to == Status::kRejected || (from == Status::kClosed && to == Status::kInProgress)) && reason.empty())
        return core::Invalid("reason", "a reason is required to " +
                                           std::string(to == Status::kRejected ? "reject" : "reopen") + " an incident");
    const Micros now = core::NowMicros();
    inc.status = to;
    if (!inc.acknowledged_at && to != Status::kNew) {
        inc.acknowledged_at = now;
        MUHAFIZ_TRY(conn.Execute(
            "UPDATE incident_deadlines SET met_at = ? WHERE incident_id = ? AND kind = 'acknowledge' AND met_at IS NULL",
            {now, inc.id}));
    }
    if (to == Status::kResolved) inc.resolved_at = now;
    if (to == Status::kClosed) inc.closed_at = now;
    if (to == Status::kInProgress && (from == Status::kClosed || from == Status::kResolved)) {
        inc.closed_at.reset();
        inc.resolved_at.reset();
    }
    MUHAFIZ_CHECK(AddTimeline(conn, inc.id, actor, "status",
                              std::string(StatusName(from)) + " → " + std::string(StatusName(to)) +
                                  (reason.empty() ? "" : ": " + reason),
                              json::object{{"from", StatusName(from)}, {"to", StatusName(to)}, {"reason", reason}}));
    return inc;
}

core::Result<Incident> IncidentStore::Update(const std::string& id, const IncidentInput& patch,
                                             std::optional<std::int64_t> expected_version, const Principal* p,
                                             const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string uuid;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident before = MUHAFIZ_TRY(Load(*conn, id, p));
        MUHAFIZ_CHECK(RequireManage(*conn, before, p));
        if (expected_version && *expected_version != before.version)
            return core::Fail(ErrorCode::kPreconditionFailed,
                              "the incident changed (version " + std::to_string(before.version) + "); reload it");
        if (before.status == Status::kMerged)
            return core::Fail(ErrorCode::kConflict, "a merged incident cannot change; change " +
                                                        before.merged_into.value_or("its target") + " instead");
        Incident inc = before;
        uuid = inc.uuid;
        std::vector<std::string> changed;
        auto note = [&](const char* f) { changed.emplace_back(f); };
        if (patch.title && *patch.title != inc.title) inc.title = *patch.title, note("title");
        if (patch.description && *patch.description != inc.description) inc.description = *patch.description, note("description");
        if (patch.impact && *patch.impact != inc.impact) inc.impact = *patch.impact, note("impact");
        if (patch.tlp && *patch.tlp != inc.tlp) inc.tlp = *patch.tlp, note("tlp");
        if (patch.pap && *patch.pap != inc.pap) inc.pap = *patch.pap, note("pap");
        bool deadlines = false;
        if (patch.severity && *patch.severity != inc.severity) inc.severity = *patch.severity, note("severity"), deadlines = true;
        if (patch.aware_at && *patch.aware_at != inc.aware_at) inc.aware_at = *patch.aware_at, note("aware_at"), deadlines = true;
        if (patch.occurred_at) inc.occurred_at = *patch.occurred_at, note("occurred_at");
        if (patch.detected_at) inc.detected_at = *patch.detected_at, note("detected_at");
        if (patch.reporter_name) inc.reporter_name = *patch.reporter_name, note("reporter");
        if (patch.reporter_email) inc.reporter_email = *patch.reporter_email;
        if (patch.reporter_phone) inc.reporter_phone = *patch.reporter_phone;
        if (patch.classification) {
            auto cs = *patch.classification;
            if (cs.empty()) return core::Invalid("classification", "an incident has at least one classification");
            if (cs != inc.classification) {
                inc.classification = cs;
                note("classification");
                MUHAFIZ_TRY(conn->Execute("DELETE FROM incident_classes WHERE incident_id = ?", {inc.id}));
                for (const auto& c : cs)
                    MUHAFIZ_TRY(conn->Execute("INSERT INTO incident_classes (incident_id, class, type) VALUES (?, ?, ?)",
                                              {inc.id, c.cls, c.type}));
            }
        }
        if (patch.tags && *patch.tags != inc.tags) {
            inc.tags = *patch.tags;
            note("tags");
            MUHAFIZ_TRY(conn->Execute("DELETE FROM incident_tags WHERE incident_id = ?", {inc.id}));
            for (const auto& t : inc.tags)
                MUHAFIZ_TRY(conn->Execute("INSERT INTO incident_tags (incident_id, tag) VALUES (?, ?)", {inc.id, t}));
        }
        if (patch.custom_fields) {
            auto defs = MUHAFIZ_TRY(FieldDefinitions(inc.handling.id));
            MUHAFIZ_CHECK(ValidateCustomFields(*patch.custom_fields, defs));
            inc.custom_fields = *patch.custom_fields;
            note("custom_fields");
        }
        if (patch.organisation && *patch.organisation != inc.organisation.uuid) {
            auto o = Organisation(*conn, *patch.organisation);
            if (!o || (p && !policy_.CanSeeOrganisationPath(*p, o->path)))
                return core::Invalid("organisation_id", "no such organisation '" + *patch.organisation + "'");
            inc.organisation = *o;
            inc.sector = MUHAFIZ_TRY(SectorFor(*conn, *o));
            inc.regime = regimes_.ForSector(inc.sector).key;
            note("organisation_id");
            deadlines = true;
        }
        if (patch.affected) {
            inc.affected.clear();
            for (const auto& a : *patch.affected) {
                auto o = Organisation(*conn, a);
                if (!o) return core::Invalid("affected", "no such organisation '" + a + "'");
                inc.affected.push_back(o->uuid);
            }
            note("affected");
        }
        bool assigned = false;
        if (patch.assignee) {
            std::int64_t uid = *patch.assignee ? MUHAFIZ_TRY(ResolveUser(*conn, **patch.assignee, "assignee")) : 0;
            if (uid != inc.assignee_id) {
                inc.assignee_id = uid;
                assigned = true;
                note("assignee");
                if (uid) {
                    auto u = MUHAFIZ_TRY(conn->Query("SELECT uuid, username FROM users WHERE id = ?", {uid}));
                    inc.assignee_uuid = u[0].Str(0);
                    inc.assignee_name = u[0].Str(1);
                } else {
                    inc.assignee_uuid.reset();
                    inc.assignee_name.reset();
                }
            }
        }
        if (patch.confidential && *patch.confidential != inc.confidential) {
            inc.confidential = *patch.confidential;
            note("confidential");
            if (inc.confidential && p)
                MUHAFIZ_TRY(conn->Execute("INSERT INTO incident_members (incident_id, user_id) VALUES (?, ?) "
                                          "ON CONFLICT (incident_id, user_id) DO NOTHING",
                                          {inc.id, p->user_id}));
        }
        if (patch.members) {
            MUHAFIZ_TRY(conn->Execute("DELETE FROM incident_members WHERE incident_id = ?", {inc.id}));
            std::set<std::int64_t> ids;
            if (p && inc.confidential) ids.insert(p->user_id);  // never lock oneself out
            for (const auto& m : *patch.members) ids.insert(MUHAFIZ_TRY(ResolveUser(*conn, m, "members")));
            for (auto uid : ids)
                MUHAFIZ_TRY(conn->Execute("INSERT INTO incident_members (incident_id, user_id) VALUES (?, ?)", {inc.id, uid}));
            note("members");
        }
        if (inc.confidential && inc.assignee_id)
            MUHAFIZ_TRY(conn->Execute("INSERT INTO incident_members (incident_id, user_id) VALUES (?, ?) "
                                      "ON CONFLICT (incident_id, user_id) DO NOTHING",
                                      {inc.id, inc.assignee_id}));
        if (patch.status && *patch.status != inc.status) {
            if (*patch.status == Status::kMerged)
                return core::Fail(ErrorCode::kConflict, "use the merge action to merge incidents; allowed: " +
                                                            AllowedList(inc.status), "status");
            inc = MUHAFIZ_TRY(Transition(*conn, std::move(inc), *patch.status, patch.reason, actor));
            note("status");
            deadlines = true;
        }
        if (changed.empty()) return core::Ok();
        inc.version = before.version + 1;
        inc.updated_at = core::NowMicros();
        MUHAFIZ_CHECK(WriteBack(*conn, inc));
        if (deadlines) MUHAFIZ_CHECK(RecomputeDeadlines(*conn, inc));
        std::string list;
        for (const auto& c : changed)
            if (c != "status" && c != "assignee") list += (list.empty() ? "" : ", ") + c;
        if (!list.empty()) {
            json::array fields;
            for (const auto& c : changed) fields.push_back(json::string(c));
            MUHAFIZ_CHECK(AddTimeline(*conn, inc.id, actor, "update", "Changed " + list,
                                      json::object{{"fields", std::move(fields)}}));
        }
        MUHAFIZ_CHECK(Audit(*conn, actor, patch.status && before.status != inc.status ? "incident.transition" : "incident.update",
                            before, &inc));
        if (assigned) {
            MUHAFIZ_CHECK(AddTimeline(*conn, inc.id, actor, "assignment",
                                      inc.assignee_name ? "Assigned to " + *inc.assignee_name : std::string("Unassigned"),
                                      json::object{{"assignee", inc.assignee_name.value_or("")}}));
            MUHAFIZ_CHECK(NotifyOrganisation(*conn, inc.handling.id, inc, "assigned",
                                             "Assigned to " + inc.assignee_name.value_or("nobody"),
                                             "The incident was assigned to " + inc.assignee_name.value_or("nobody") +
                                                 " by " + actor.username + "."));
        }
        if (patch.status && before.status != inc.status && !inc.reporter_email.empty() && notifier_ &&
            (inc.status == Status::kResolved || inc.status == Status::kClosed || inc.status == Status::kTriaged)) {
            notify::EmailMessage m;
            m.to = {inc.reporter_email};
            m.subject = "[" + inc.reference + "] Your report is now " + std::string(StatusName(inc.status));
            m.text = "Your incident report " + inc.reference + " is now " + std::string(StatusName(inc.status)) + ".\n" +
                     (patch.reason.empty() ? "" : "\n" + patch.reason + "\n");
            m.muhafiz_reference = inc.reference;
            MUHAFIZ_TRY(notifier_->EnqueueEmail(*conn, std::move(m), notify::Related{"incident", inc.uuid}));
        }
        return core::Ok();
    }));
    return Load(*conn, uuid, nullptr);
}

core::Result<IncidentStore::BulkResult> IncidentStore::BulkUpdate(const std::vector<std::string>& ids,
                                                                  const IncidentInput& patch, const Principal* p,
                                                                  const core::Actor& actor) {
    if (ids.empty()) return core::Invalid("ids", "ids must not be empty");
    if (ids.size() > 1000) return core::Invalid("ids", "at most 1,000 incidents per request");
    if (!patch.assignee && !patch.status) return core::Invalid("status", "give an assignee and/or a status");
    BulkResult out;
    IncidentInput only;
    only.assignee = patch.assignee;
    only.status = patch.status;
    only.reason = patch.reason;
    for (const auto& id : ids) {
        auto r = Update(id, only, std::nullopt, p, actor);
        if (r) out.updated.push_back(r->reference);
        else out.failed.emplace_back(id, r.error());
    }
    return out;
}

// ---- timeline, tasks, observables, attachments ------------------------------------------------

core::Result<TimelineEntry> IncidentStore::AddComment(const std::string& id, const std::string& text, const Principal* p,
                                                      const core::Actor& actor, std::string_view kind, json::object data) {
    MUHAFIZ_CHECK(RequireContribute(p));
    if (text.empty() || text.size() > 100000) return core::Invalid("text", "a comment has 1 to 100,000 characters");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    TimelineEntry entry;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
        MUHAFIZ_CHECK(AddTimeline(*conn, inc.id, actor, kind, text, data));
        MUHAFIZ_TRY(conn->Execute("UPDATE incidents SET updated_at = ? WHERE id = ?", {core::NowMicros(), inc.id}));
        auto rows = MUHAFIZ_TRY(conn->Query(
            "SELECT id, at, kind, actor, text, data FROM incident_timeline WHERE incident_id = ? ORDER BY id DESC LIMIT 1",
            {inc.id}));
        entry = {rows[0].Int(0), rows[0].Int(1), rows[0].Str(2), rows[0].Str(3), rows[0].Str(4), data};
        db::AuditRecord rec{actor, "incident.comment", "incident", inc.uuid, "", core::ToJson(json::object{{"kind", kind}})};
        MUHAFIZ_CHECK(audit_.Append(*conn, rec));
        std::string excerpt = text.size() > 2000 ? text.substr(0, 2000) + "…" : text;
        return NotifyOrganisation(*conn, inc.handling.id, inc, kind == "email" ? "email" : "comment",
                                  (kind == "email" ? "E-mail from " : "Comment by ") + actor.username,
                                  inc.tlp == "TLP:RED" ? "A new comment was added (TLP:RED: see the platform)."
                                                       : actor.username + " wrote:\n\n" + excerpt);
    }));
    return entry;
}

core::Result<std::vector<TimelineEntry>> IncidentStore::Timeline(const std::string& id, const Principal* p) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT id, at, kind, actor, text, data FROM incident_timeline WHERE incident_id = ? ORDER BY id", {inc.id}));
    std::vector<TimelineEntry> out;
    for (const auto& r : rows) {
        TimelineEntry e{r.Int(0), r.Int(1), r.Str(2), r.Str(3), r.Str(4), {}};
        if (auto d = core::ParseJsonObject(r.Str(5))) e.data = std::move(*d);
        out.push_back(std::move(e));
    }
    return out;
}

namespace {
Task TaskFromRow(const db::Row& r) {
    Task t;
    t.uuid = r.Str(0);
    t.title = r.Str(1);
    t.status = r.Str(2);
    t.assignee_uuid = r.OptStr(3);
    t.assignee_name = r.OptStr(4);
    t.due_at = r.OptInt(5);
    if (auto v = core::ParseJson(r.Str(6)); v && v->is_array()) t.log = v->as_array();
    t.version = r.Int(7);
    t.created_at = r.Int(8);
    t.updated_at = r.Int(9);
    return t;
}
constexpr const char* kTaskSelect =
    "SELECT t.uuid, t.title, t.status, u.uuid, u.username, t.due_at, t.log, t.version, t.created_at, t.updated_at "
    "FROM incident_tasks t LEFT JOIN users u ON u.id = t.assignee_id";
}  // namespace

core::Result<Task> IncidentStore::AddTask(const std::string& id, const json::object& body, const Principal* p,
                                          const core::Actor& actor) {
    MUHAFIZ_CHECK(core::RejectUnknownFields(body, {"title", "assignee", "due_at"}));
    auto title = MUHAFIZ_TRY(core::GetString(body, "title")).value_or("");
    if (title.empty() || title.size() > 500) return core::Invalid("title", "a task title has 1 to 500 characters");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string uuid = core::NewUuidV7();
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
        MUHAFIZ_CHECK(RequireManage(*conn, inc, p));
        std::int64_t assignee = 0;
        if (auto a = MUHAFIZ_TRY(core::GetString(body, "assignee"))) assignee = MUHAFIZ_TRY(ResolveUser(*conn, *a, "assignee"));
        std::optional<Micros> due;
        if (auto d = MUHAFIZ_TRY(core::GetString(body, "due_at"))) {
            due = core::ParseRfc3339(*d);
            if (!due) return core::Invalid("due_at", "due_at must be an RFC 3339 time");
        }
        const Micros now = core::NowMicros();
        MUHAFIZ_TRY(conn->Execute(
            "INSERT INTO incident_tasks (uuid, incident_id, title, assignee_id, due_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            {uuid, inc.id, title, assignee ? db::Value(assignee) : db::Null(), db::Opt(due), now, now}));
        db::AuditRecord rec{actor, "incident.task_create", "incident", inc.uuid, "", core::ToJson(json::object{{"task", uuid}, {"title", title}})};
        MUHAFIZ_CHECK(audit_.Append(*conn, rec));
        return AddTimeline(*conn, inc.id, actor, "task", "Task added: " + title, json::object{{"task", uuid}});
    }));
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kTaskSelect) + " WHERE t.uuid = ?", {uuid}));
    return TaskFromRow(rows[0]);
}

core::Result<Task> IncidentStore::UpdateTask(const std::string& id, const std::string& task_uuid, const json::object& body,
                                             const Principal* p, const core::Actor& actor) {
    MUHAFIZ_CHECK(core::RejectUnknownFields(body, {"title", "assignee", "due_at", "status", "note"}));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
        MUHAFIZ_CHECK(RequireManage(*conn, inc, p));
        auto rows = MUHAFIZ_TRY(conn->Query(std::string(kTaskSelect) + " WHERE t.uuid = ? AND t.incident_id = ?",
                                            {db::Lower(task_uuid), inc.id}));
        if (rows.empty()) return core::NotFound("no such task");
        Task t = TaskFromRow(rows[0]);
        std::string what;
        if (auto v = MUHAFIZ_TRY(core::GetString(body, "title"))) {
            if (v->empty()) return core::Invalid("title", "a task title has 1 to 500 characters");
            t.title = *v;
            what += "title ";
        }
        std::optional<std::int64_t> assignee;
        if (auto* a = body.if_contains("assignee")) {
            if (a->is_null()) assignee = 0;
            else if (a->is_string()) assignee = MUHAFIZ_TRY(ResolveUser(*conn, std::string(a->as_string()), "assignee"));
            else return core::Invalid("assignee", "assignee is a user id or username, or null");
            what += "assignee ";
        }
        if (auto* d = body.if_contains("due_at")) {
            if (d->is_null()) t.due_at.reset();
            else if (auto m = d->is_string() ? core::ParseRfc3339(d->as_string()) : std::nullopt) t.due_at = *m;
            else return core::Invalid("due_at", "due_at must be an RFC 3339 time or null");
            what += "due ";
        }
        if (auto s = MUHAFIZ_TRY(core::GetString(body, "status"))) {
            if (*s != "open" && *s != "in_progress" && *s != "done" && *s != "cancelled")
                return core::Invalid("status", "task status is open, in_progress, done or cancelled");
            if (*s != t.status) what += "status:" + *s + " ";
            t.status = *s;
        }
        auto note = MUHAFIZ_TRY(core::GetString(body, "note")).value_or("");
        t.log.push_back(json::object{{"at", core::FormatRfc3339(core::NowMicros())},
                                     {"actor", actor.username},
                                     {"text", note.empty() ? "Changed " + what : note}});
        MUHAFIZ_TRY(conn->Execute(
            std::string("UPDATE incident_tasks SET title = ?, status = ?, due_at = ?, log = ?, version = version + 1, "
                        "updated_at = ?") +
                (assignee ? ", assignee_id = ?" : "") + " WHERE uuid = ?",
            assignee ? db::Params{t.title, t.status, db::Opt(t.due_at), core::ToJson(t.log), core::NowMicros(),
                                  *assignee ? db::Value(*assignee) : db::Null(), t.uuid}
                     : db::Params{t.title, t.status, db::Opt(t.due_at), core::ToJson(t.log), core::NowMicros(), t.uuid}));
        db::AuditRecord rec{actor, "incident.task_update", "incident", inc.uuid, "", core::ToJson(json::object{{"task", t.uuid}, {"status", t.status}})};
        MUHAFIZ_CHECK(audit_.Append(*conn, rec));
        return AddTimeline(*conn, inc.id, actor, "task", "Task '" + t.title + "': " + (note.empty() ? what : note),
                           json::object{{"task", t.uuid}, {"status", t.status}});
    }));
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kTaskSelect) + " WHERE t.uuid = ?", {db::Lower(task_uuid)}));
    return TaskFromRow(rows[0]);
}

core::Result<std::vector<Task>> IncidentStore::Tasks(const std::string& id, const Principal* p) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kTaskSelect) + " WHERE t.incident_id = ? ORDER BY t.id", {inc.id}));
    std::vector<Task> out;
    for (const auto& r : rows) out.push_back(TaskFromRow(r));
    return out;
}

core::Result<Observable> IncidentStore::AddObservable(const std::string& id, const std::string& type,
                                                      const std::string& value, std::optional<std::string> tlp,
                                                      const std::string& description, const Principal* p,
                                                      const core::Actor& actor) {
    MUHAFIZ_CHECK(RequireContribute(p));
    auto norm = MUHAFIZ_TRY(NormaliseObservable(type, value));
    if (tlp) tlp = MUHAFIZ_TRY(NormaliseTlp(*tlp));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string inc_uuid;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
        inc_uuid = inc.uuid;
        auto n = MUHAFIZ_TRY(conn->Execute(
            "INSERT INTO incident_observables (incident_id, type, value, tlp, description, created_at) VALUES "
            "(?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, type, value) DO NOTHING",
            {inc.id, type, norm, tlp.value_or(inc.tlp), description, core::NowMicros()}));
        if (n == 0) return core::Fail(ErrorCode::kConflict, "the incident already has this observable", "value");
        db::AuditRecord rec{actor, "incident.observable_add", "incident", inc.uuid, "", core::ToJson(json::object{{"type", type}, {"value", norm}})};
        MUHAFIZ_CHECK(audit_.Append(*conn, rec));
        return AddTimeline(*conn, inc.id, actor, "observable", "Observable " + type + " " + norm,
                           json::object{{"type", type}, {"value", norm}});
    }));
    auto all = MUHAFIZ_TRY(Observables(inc_uuid, p));
    for (auto& o : all)
        if (o.type == type && o.value == norm) return o;
    return core::Fail(ErrorCode::kInternal, "observable vanished");
}

core::Result<std::vector<Observable>> IncidentStore::Observables(const std::string& id, const Principal* p) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT id, type, value, tlp, description, created_at FROM incident_observables WHERE incident_id = ? ORDER BY id",
        {inc.id}));
    std::vector<Observable> out;
    db::Predicate scope = ReadScope(p);
    for (const auto& r : rows) {
        Observable o{r.Int(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Int(5), {}};
        db::Params params{o.type, o.value, inc.id};
        params.insert(params.end(), scope.params.begin(), scope.params.end());
        auto seen = MUHAFIZ_TRY(conn->Query(
            "SELECT i.reference FROM incident_observables ob JOIN incidents i ON i.id = ob.incident_id "
            "WHERE ob.type = ? AND ob.value = ? AND ob.incident_id <> ? AND " + scope.sql + " ORDER BY i.id DESC LIMIT 20",
            params));
        for (const auto& s : seen) o.seen_in.push_back(s.Str(0));
        out.push_back(std::move(o));
    }
    return out;
}

core::Result<Attachment> IncidentStore::AddAttachment(const std::string& id, std::string filename,
                                                      std::string content_type, std::string_view data,
                                                      const Principal* p, const core::Actor& actor) {
    MUHAFIZ_CHECK(RequireContribute(p));
    if (static_cast<std::int64_t>(data.size()) > options_.max_attachment_bytes)
        return core::Fail(ErrorCode::kPayloadTooLarge, "an attachment may have at most " +
                                                           std::to_string(options_.max_attachment_bytes) + " bytes");
    if (data.empty()) return core::Invalid("body", "the attachment is empty");
    filename = SafeFilename(filename);
    if (content_type.empty()) content_type = "application/octet-stream";
    const std::string sha = core::Sha256Hex(data);
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    Attachment a;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
        // Content-addressed file first: a failed insert leaves at worst an unreferenced file.
        std::error_code ec;
        std::filesystem::create_directories(options_.attachments_dir, ec);
        const auto path = options_.attachments_dir / sha;
        if (!std::filesystem::exists(path)) {
            const auto tmp = options_.attachments_dir / (sha + ".tmp-" + core::RandomToken(6));
            {
                std::ofstream out(tmp, std::ios::binary);
                out.write(data.data(), static_cast<std::streamsize>(data.size()));
                if (!out) return core::Fail(ErrorCode::kInternal, "cannot write the attachment under " + options_.attachments_dir.string());
            }
            std::filesystem::rename(tmp, path, ec);
            if (ec) return core::Fail(ErrorCode::kInternal, "cannot store the attachment: " + ec.message());
        }
        a = {core::NewUuidV7(), filename, content_type, sha, actor.username, static_cast<std::int64_t>(data.size()),
             core::NowMicros()};
        MUHAFIZ_TRY(conn->Execute(
            "INSERT INTO incident_attachments (uuid, incident_id, filename, content_type, size, sha256, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            {a.uuid, inc.id, a.filename, a.content_type, a.size, a.sha256, a.created_by, a.created_at}));
        db::AuditRecord rec{actor, "incident.attachment_add", "incident", inc.uuid, "",
                            core::ToJson(json::object{{"filename", a.filename}, {"sha256", a.sha256}, {"size", a.size}})};
        MUHAFIZ_CHECK(audit_.Append(*conn, rec));
        return AddTimeline(*conn, inc.id, actor, "attachment", "Attachment " + a.filename + " (" + std::to_string(a.size) + " bytes)",
                           json::object{{"attachment", a.uuid}, {"sha256", a.sha256}});
    }));
    return a;
}

core::Result<std::vector<Attachment>> IncidentStore::Attachments(const std::string& id, const Principal* p) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT uuid, filename, content_type, sha256, created_by, size, created_at FROM incident_attachments "
        "WHERE incident_id = ? ORDER BY id",
        {inc.id}));
    std::vector<Attachment> out;
    for (const auto& r : rows) out.push_back({r.Str(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Int(5), r.Int(6)});
    return out;
}

core::Result<std::pair<Attachment, std::string>> IncidentStore::ReadAttachment(const std::string& id,
                                                                               const std::string& attachment,
                                                                               const Principal* p) {
    auto list = MUHAFIZ_TRY(Attachments(id, p));
    for (auto& a : list) {
        if (a.uuid != db::Lower(attachment)) continue;
        std::ifstream in(options_.attachments_dir / a.sha256, std::ios::binary);
        if (!in) return core::Fail(ErrorCode::kInternal, "the stored file of this attachment is missing");
        std::stringstream ss;
        ss << in.rdbuf();
        return std::pair{a, ss.str()};
    }
    return core::NotFound("no such attachment");
}

// ---- links, merges, escalation, delegation, sharing -----------------------------------------------

core::Result<Incident> IncidentStore::Link(const std::string& id, const std::string& other, const Principal* p,
                                           const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string uuid;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident a = MUHAFIZ_TRY(Load(*conn, id, p, false));
        MUHAFIZ_CHECK(RequireManage(*conn, a, p));
        auto b = Load(*conn, other, p, false);
        if (!b) return core::Invalid("incident", "no such incident '" + other + "'");
        if (a.id == b->id) return core::Invalid("incident", "an incident cannot be linked to itself");
        uuid = a.uuid;
        MUHAFIZ_TRY(conn->Execute("INSERT INTO incident_links (a_id, b_id, created_at) VALUES (?, ?, ?) "
                                  "ON CONFLICT (a_id, b_id) DO NOTHING",
                                  {std::min(a.id, b->id), std::max(a.id, b->id), core::NowMicros()}));
        MUHAFIZ_CHECK(AddTimeline(*conn, a.id, actor, "link", "Linked to " + b->reference, json::object{{"incident", b->reference}}));
        MUHAFIZ_CHECK(AddTimeline(*conn, b->id, actor, "link", "Linked to " + a.reference, json::object{{"incident", a.reference}}));
        return Audit(*conn, actor, "incident.link", a, nullptr);
    }));
    return Load(*conn, uuid, nullptr);
}

core::Result<std::vector<std::string>> IncidentStore::Links(const std::string& id, const Principal* p) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
    db::Predicate scope = ReadScope(p);
    db::Params params{inc.id, inc.id, inc.id};
    params.insert(params.end(), scope.params.begin(), scope.params.end());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT i.reference FROM incident_links l JOIN incidents i ON i.id = CASE WHEN l.a_id = ? THEN l.b_id ELSE l.a_id END "
        "WHERE (l.a_id = ? OR l.b_id = ?) AND " + scope.sql + " ORDER BY i.id",
        params));
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.Str(0));
    return out;
}

core::Result<Incident> IncidentStore::Merge(const std::string& id, const std::string& into, const std::string& reason,
                                            const Principal* p, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string uuid;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident src = MUHAFIZ_TRY(Load(*conn, id, p, false));
        MUHAFIZ_CHECK(RequireManage(*conn, src, p));
        auto dst = Load(*conn, into, p, false);
        if (!dst) return core::Invalid("into", "no such incident '" + into + "'");
        MUHAFIZ_CHECK(RequireManage(*conn, *dst, p));
        if (src.id == dst->id) return core::Invalid("into", "an incident cannot be merged into itself");
        if (src.status == Status::kMerged || dst->status == Status::kMerged)
            return core::Fail(ErrorCode::kConflict, "merged incidents cannot be merged again");
        uuid = src.uuid;
        MUHAFIZ_TRY(conn->Execute(
            "INSERT INTO incident_observables (incident_id, type, value, tlp, description, created_at) "
            "SELECT ?, type, value, tlp, description, created_at FROM incident_observables WHERE incident_id = ? "
            "ON CONFLICT (incident_id, type, value) DO NOTHING",
            {dst->id, src.id}));
        MUHAFIZ_TRY(conn->Execute("UPDATE incident_tasks SET incident_id = ? WHERE incident_id = ?", {dst->id, src.id}));
        MUHAFIZ_TRY(conn->Execute("UPDATE incident_attachments SET incident_id = ? WHERE incident_id = ?", {dst->id, src.id}));
        Incident after = src;
        after.status = Status::kMerged;
        after.merged_into_id = dst->id;
        after.version = src.version + 1;
        after.updated_at = core::NowMicros();
        MUHAFIZ_CHECK(WriteBack(*conn, after));
        MUHAFIZ_CHECK(RecomputeDeadlines(*conn, after));
        MUHAFIZ_CHECK(AddTimeline(*conn, src.id, actor, "merge", "Merged into " + dst->reference + (reason.empty() ? "" : ": " + reason),
                                  json::object{{"into", dst->reference}}));
        MUHAFIZ_CHECK(AddTimeline(*conn, dst->id, actor, "merge", src.reference + " was merged into this incident",
                                  json::object{{"from", src.reference}}));
        return Audit(*conn, actor, "incident.merge", src, &after);
    }));
    return Load(*conn, uuid, nullptr);
}

core::Result<Incident> IncidentStore::Escalate(const std::string& id, const std::string& reason, const Principal* p,
                                               const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string uuid;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
        MUHAFIZ_CHECK(RequireManage(*conn, inc, p));
        auto ids = PathIds(inc.handling.path);
        if (ids.size() < 2) return core::Fail(ErrorCode::kConflict, "the National CERT has no parent to escalate to");
        ids.pop_back();
        OrgRef parent = MUHAFIZ_TRY(HandlingCertFor(*conn, MUHAFIZ_TRY(OrgById(*conn, ids.back()))));
        Incident after = inc;
        after.handling = parent;
        after.version = inc.version + 1;
        after.updated_at = core::NowMicros();
        uuid = inc.uuid;
        MUHAFIZ_CHECK(WriteBack(*conn, after));
        MUHAFIZ_CHECK(AddTimeline(*conn, inc.id, actor, "escalation",
                                  "Escalated from " + inc.handling.name + " to " + parent.name + (reason.empty() ? "" : ": " + reason),
                                  json::object{{"from", inc.handling.uuid}, {"to", parent.uuid}, {"reason", reason}}));
        MUHAFIZ_CHECK(Audit(*conn, actor, "incident.escalate", inc, &after));
        return NotifyOrganisation(*conn, parent.id, after, "escalated", "Escalated to " + parent.name,
                                  inc.handling.name + " escalated this incident to " + parent.name +
                                      (reason.empty() ? "." : ": " + reason));
    }));
    return Load(*conn, uuid, nullptr);
}

core::Result<Incident> IncidentStore::Delegate(const std::string& id, const std::string& organisation,
                                               const std::string& reason, const Principal* p, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string uuid;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
        MUHAFIZ_CHECK(RequireManage(*conn, inc, p));
        auto target = Organisation(*conn, organisation);
        if (!target || (p && !policy_.CanSeeOrganisationPath(*p, target->path)))
            return core::Invalid("organisation_id", "no such organisation '" + organisation + "'");
        if (!IsCertKind(target->kind) || target->kind == "cert_council")
            return core::Invalid("organisation_id", target->name + " is not a CERT");
        if (target->id == inc.handling.id || !access::IsAncestorOrSelf(inc.handling.path, target->path))
            return core::Invalid("organisation_id", "delegation goes to a CERT below " + inc.handling.name);
        Incident after = inc;
        after.handling = *target;
        after.version = inc.version + 1;
        after.updated_at = core::NowMicros();
        uuid = inc.uuid;
        MUHAFIZ_CHECK(WriteBack(*conn, after));
        MUHAFIZ_CHECK(AddTimeline(*conn, inc.id, actor, "delegation",
                                  "Delegated from " + inc.handling.name + " to " + target->name + (reason.empty() ? "" : ": " + reason),
                                  json::object{{"from", inc.handling.uuid}, {"to", target->uuid}, {"reason", reason}}));
        MUHAFIZ_CHECK(Audit(*conn, actor, "incident.delegate", inc, &after));
        return NotifyOrganisation(*conn, target->id, after, "delegated", "Delegated to " + target->name,
                                  inc.handling.name + " delegated this incident to " + target->name +
                                      (reason.empty() ? "." : ": " + reason));
    }));
    return Load(*conn, uuid, nullptr);
}

core::Result<Incident> IncidentStore::Share(const std::string& id, const std::string& organisation,
                                            const std::string& access_text, const std::string& reason, const Principal* p,
                                            const core::Actor& actor) {
    if (access_text != "read" && access_text != "write") return core::Invalid("access", "access is read or write");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string uuid;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
        MUHAFIZ_CHECK(RequireManage(*conn, inc, p));
        auto target = Organisation(*conn, organisation);
        if (!target) return core::Invalid("organisation_id", "no such organisation '" + organisation + "'");
        uuid = inc.uuid;
        const Micros now = core::NowMicros();
        MUHAFIZ_TRY(conn->Execute(
            "INSERT INTO shares (object_type, object_id, organisation_id, access, created_by, created_at) VALUES "
            "('incident', ?, ?, ?, ?, ?) ON CONFLICT (object_type, object_id, organisation_id) DO UPDATE SET access = ?",
            {inc.id, target->id, access_text, p ? db::Value(p->user_id) : db::Null(), now, access_text}));
        MUHAFIZ_TRY(conn->Execute("UPDATE incidents SET version = version + 1, updated_at = ? WHERE id = ?", {now, inc.id}));
        MUHAFIZ_CHECK(AddTimeline(*conn, inc.id, actor, "share",
                                  "Shared " + std::string(access_text == "write" ? "read-write" : "read-only") + " with " +
                                      target->name + (reason.empty() ? "" : ": " + reason),
                                  json::object{{"organisation", target->uuid}, {"access", access_text}, {"reason", reason}}));
        db::AuditRecord rec{actor, "incident.share", "incident", inc.uuid, "",
                            core::ToJson(json::object{{"organisation_id", target->uuid}, {"access", access_text}})};
        MUHAFIZ_CHECK(audit_.Append(*conn, rec));
        return NotifyOrganisation(*conn, target->id, inc, "shared", "Shared with " + target->name,
                                  inc.handling.name + " shared this incident with " + target->name + " (" + access_text +
                                      ")" + (reason.empty() ? "." : ": " + reason));
    }));
    return Load(*conn, uuid, nullptr);
}

core::Result<std::vector<IncidentStore::ShareInfo>> IncidentStore::Shares(const std::string& id, const Principal* p) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT o.id, o.uuid, o.name, o.kind, o.path, o.sector, s.access, s.created_at FROM shares s "
        "JOIN organisations o ON o.id = s.organisation_id WHERE s.object_type = 'incident' AND s.object_id = ? "
        "ORDER BY s.created_at",
        {inc.id}));
    std::vector<ShareInfo> out;
    for (const auto& r : rows)
        out.push_back({{r.Int(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Str(5)}, r.Str(6), r.Int(7)});
    return out;
}

core::Result<Incident> IncidentStore::MeetDeadline(const std::string& id, DeadlineKind kind, std::optional<Micros> met_at,
                                                   const Principal* p, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    std::string uuid;
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
        MUHAFIZ_CHECK(RequireManage(*conn, inc, p));
        uuid = inc.uuid;
        const Micros at = met_at.value_or(core::NowMicros());
        auto n = MUHAFIZ_TRY(conn->Execute(
            "UPDATE incident_deadlines SET met_at = ? WHERE incident_id = ? AND kind = ? AND met_at IS NULL",
            {at, inc.id, std::string(DeadlineKindName(kind))}));
        if (n == 0)
            return core::Fail(ErrorCode::kConflict, "the incident has no pending " + std::string(DeadlineKindName(kind)) +
                                                        " deadline", "kind");
        MUHAFIZ_CHECK(RecomputeDeadlines(*conn, inc));
        MUHAFIZ_TRY(conn->Execute("UPDATE incidents SET version = version + 1, updated_at = ? WHERE id = ?",
                                  {core::NowMicros(), inc.id}));
        MUHAFIZ_CHECK(AddTimeline(*conn, inc.id, actor, "deadline",
                                  std::string(DeadlineKindName(kind)) + " submitted at " + core::FormatRfc3339(at),
                                  json::object{{"kind", DeadlineKindName(kind)}, {"met_at", core::FormatRfc3339(at)}}));
        db::AuditRecord rec{actor, "incident.deadline_met", "incident", inc.uuid, "",
                            core::ToJson(json::object{{"kind", DeadlineKindName(kind)}})};
        return audit_.Append(*conn, rec);
    }));
    return Load(*conn, uuid, nullptr);
}

core::Result<std::vector<notify::Notification>> IncidentStore::Notifications(const std::string& id, const Principal* p) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    Incident inc = MUHAFIZ_TRY(Load(*conn, id, p, false));
    if (!notifier_) return std::vector<notify::Notification>{};
    return notifier_->List(*conn, "incident", inc.uuid);
}

// ---- custom fields ----------------------------------------------------------------------------

core::Result<std::vector<FieldDefinition>> IncidentStore::FieldDefinitions(std::int64_t organisation_id) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return FieldDefinitionsOn(*conn, organisation_id);
}

core::Result<std::vector<FieldDefinition>> IncidentStore::FieldDefinitionsOn(db::Connection& conn,
                                                                             std::int64_t organisation_id) {
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT name, type, required, label FROM incident_field_definitions WHERE organisation_id = ? ORDER BY name",
        {organisation_id}));
    std::vector<FieldDefinition> out;
    for (const auto& r : rows)
        out.push_back({r.Str(0), ParseFieldType(r.Str(1)).value_or(FieldType::kString), r.Bool(2), r.Str(3)});
    return out;
}

core::Result<std::vector<FieldDefinition>> IncidentStore::SetFieldDefinitions(std::int64_t organisation_id,
                                                                              const json::array& defs,
                                                                              const core::Actor& actor) {
    std::vector<FieldDefinition> parsed;
    for (std::size_t k = 0; k < defs.size(); ++k) {
        const std::string base = "fields[" + std::to_string(k) + "]";
        if (!defs[k].is_object()) return core::Invalid(base, "a field is {\"name\",\"type\",\"required\",\"label\"}");
        const auto& o = defs[k].as_object();
        MUHAFIZ_CHECK(core::RejectUnknownFields(o, {"name", "type", "required", "label"}, base));
        FieldDefinition d;
        d.name = MUHAFIZ_TRY(core::GetString(o, "name", base)).value_or("");
        if (d.name.empty() || d.name.size() > 64 ||
            !std::all_of(d.name.begin(), d.name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }))
            return core::Invalid(base + ".name", "a field name has 1 to 64 letters, digits or '_'");
        d.type = MUHAFIZ_TRY(ParseFieldType(MUHAFIZ_TRY(core::GetString(o, "type", base)).value_or("string")));
        d.required = MUHAFIZ_TRY(core::GetBool(o, "required", base)).value_or(false);
        d.label = MUHAFIZ_TRY(core::GetString(o, "label", base)).value_or(d.name);
        for (const auto& e : parsed)
            if (e.name == d.name) return core::Invalid(base + ".name", "field '" + d.name + "' is defined twice");
        parsed.push_back(std::move(d));
    }
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
        MUHAFIZ_TRY(conn->Execute("DELETE FROM incident_field_definitions WHERE organisation_id = ?", {organisation_id}));
        for (const auto& d : parsed)
            MUHAFIZ_TRY(conn->Execute(
                "INSERT INTO incident_field_definitions (organisation_id, name, type, required, label) VALUES (?, ?, ?, ?, ?)",
                {organisation_id, d.name, std::string(FieldTypeName(d.type)), db::Bool(d.required), d.label}));
        db::AuditRecord rec{actor, "incident.fields", "organisation", std::to_string(organisation_id), "", core::ToJson(defs)};
        return audit_.Append(*conn, rec);
    }));
    return parsed;
}

// ---- statistics and reminders ---------------------------------------------------------------------

core::Result<json::object> IncidentStore::Stats(const Principal& p, std::optional<Micros> from, std::optional<Micros> to) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Where w;
    // The Council sees aggregates over everything; others over what they may see.
    if (p.role != access::Role::kCouncil) w.And(ReadScope(&p));
    if (from) w.And("i.created_at >= ?", {*from});
    if (to) w.And("i.created_at < ?", {*to});
    auto count_by = [&](const std::string& select, const std::string& group) -> core::Result<json::array> {
        auto rows = MUHAFIZ_TRY(conn->Query(select + w.sql + " GROUP BY " + group + " ORDER BY 1, 2", w.params));
        json::array out;
        for (const auto& r : rows) out.push_back(json::object{{"key", r.Str(0)}, {"count", r.Int(1)}});
        return out;
    };
    json::object out;
    auto total = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM incidents i" + w.sql, w.params));
    out["total"] = total[0].Int(0);
    {
        auto rows = MUHAFIZ_TRY(conn->Query(
            "SELECT c.class, c.type, COUNT(*) FROM incidents i JOIN incident_classes c ON c.incident_id = i.id" + w.sql +
                " GROUP BY c.class, c.type ORDER BY 3 DESC, 1, 2",
            w.params));
        json::array a;
        for (const auto& r : rows) {
            Classification c{r.Str(0), r.Str(1)};
            a.push_back(json::object{{"class", c.cls}, {"type", c.type}, {"name", ClassificationName(c)}, {"count", r.Int(2)}});
        }
        out["by_classification"] = std::move(a);
    }
    out["by_severity"] = MUHAFIZ_TRY(count_by("SELECT i.severity, COUNT(*) FROM incidents i", "i.severity"));
    out["by_status"] = MUHAFIZ_TRY(count_by("SELECT i.status, COUNT(*) FROM incidents i", "i.status"));
    out["by_sector"] = MUHAFIZ_TRY(count_by("SELECT i.sector, COUNT(*) FROM incidents i", "i.sector"));
    out["by_tier"] = MUHAFIZ_TRY(
        count_by("SELECT h.kind, COUNT(*) FROM incidents i JOIN organisations h ON h.id = i.handling_org_id", "h.kind"));
    // Times to acknowledge and to resolve, in seconds: mean and 90th percentile.
    auto times = [&](const char* column) -> core::Result<json::object> {
        auto rows = MUHAFIZ_TRY(conn->Query(std::string("SELECT ") + column + " - i.created_at FROM incidents i" + w.sql +
                                                (w.sql.empty() ? " WHERE " : " AND ") + column + " IS NOT NULL ORDER BY 1",
                                            w.params));
        json::object o{{"count", rows.size()}};
        if (rows.empty()) {
            o["mean_seconds"] = nullptr;
            o["p90_seconds"] = nullptr;
            return o;
        }
        double sum = 0;
        for (const auto& r : rows) sum += static_cast<double>(r.Int(0));
        o["mean_seconds"] = std::round(sum / rows.size() / 1e6);
        const std::size_t idx = std::min(rows.size() - 1, static_cast<std::size_t>(std::ceil(0.9 * rows.size())) - 1);
        o["p90_seconds"] = std::round(static_cast<double>(rows[idx].Int(0)) / 1e6);
        return o;
    };
    out["time_to_acknowledge"] = MUHAFIZ_TRY(times("i.acknowledged_at"));
    out["time_to_resolve"] = MUHAFIZ_TRY(times("i.resolved_at"));
    {
        db::Params params{core::NowMicros(), core::NowMicros()};
        params.insert(params.end(), w.params.begin(), w.params.end());
        auto rows = MUHAFIZ_TRY(conn->Query(
            "SELECT d.kind, SUM(CASE WHEN d.met_at IS NOT NULL AND d.met_at <= d.due_at THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN d.met_at IS NOT NULL AND d.met_at > d.due_at THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN d.met_at IS NULL AND d.due_at < ? THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN d.met_at IS NULL AND d.due_at >= ? THEN 1 ELSE 0 END) "
            "FROM incidents i JOIN incident_deadlines d ON d.incident_id = i.id" + w.sql +
                (w.sql.empty() ? " WHERE " : " AND ") + "i.status NOT IN ('rejected', 'merged') GROUP BY d.kind ORDER BY 1",
            params));
        json::array a;
        std::int64_t on_time_all = 0, due_all = 0;
        for (const auto& r : rows) {
            const std::int64_t on_time = r.Int(1), late = r.Int(2), missed = r.Int(3), pending = r.Int(4);
            const std::int64_t decided = on_time + late + missed;
            on_time_all += on_time;
            due_all += decided;
            a.push_back(json::object{{"kind", r.Str(0)},
                                     {"met_on_time", on_time},
                                     {"met_late", late},
                                     {"missed", missed},
                                     {"pending", pending},
                                     {"compliance", decided ? json::value(static_cast<double>(on_time) / decided)
                                                            : json::value(nullptr)}});
        }
        out["deadline_compliance"] = json::object{
            {"by_kind", std::move(a)},
            {"overall", due_all ? json::value(static_cast<double>(on_time_all) / due_all) : json::value(nullptr)}};
    }
    out["from"] = from ? json::value(json::string(core::FormatRfc3339(*from))) : json::value(nullptr);
    out["to"] = to ? json::value(json::string(core::FormatRfc3339(*to))) : json::value(nullptr);
    return out;
}

core::Result<int> IncidentStore::ProcessDeadlines(Micros now) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    int queued = 0;
    const core::Actor system{};
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT i.uuid, d.kind, d.due_at, CASE WHEN d.due_at < ? THEN 1 ELSE 0 END FROM incident_deadlines d "
        "JOIN incidents i ON i.id = d.incident_id WHERE d.met_at IS NULL "
        "AND i.status NOT IN ('closed', 'rejected', 'merged') AND "
        "((d.due_at < ? AND d.overdue_notified_at IS NULL) OR (d.due_at >= ? AND d.due_at < ? AND d.reminded_at IS NULL)) "
        "ORDER BY d.due_at LIMIT 500",
        {now, now, now, now + regimes_.reminder_before()}));
    for (const auto& r : rows) {
        const std::string uuid = r.Str(0), kind = r.Str(1);
        const Micros due = r.Int(2);
        const bool overdue = r.Bool(3);
        MUHAFIZ_CHECK(db::InTransaction(*conn, [&]() -> core::Status {
            Incident inc = MUHAFIZ_TRY(Load(*conn, uuid, nullptr, false));
            auto n = MUHAFIZ_TRY(conn->Execute(
                overdue ? "UPDATE incident_deadlines SET overdue_notified_at = ?, reminded_at = COALESCE(reminded_at, ?) "
                          "WHERE incident_id = ? AND kind = ? AND overdue_notified_at IS NULL"
                        : "UPDATE incident_deadlines SET reminded_at = ? WHERE incident_id = ? AND kind = ? AND reminded_at IS NULL",
                overdue ? db::Params{now, now, inc.id, kind} : db::Params{now, inc.id, kind}));
            if (n == 0) return core::Ok();  // another process took it
            const std::string when = core::FormatRfc3339(due);
            const std::string text = overdue ? "The " + kind + " deadline passed at " + when + "."
                                             : "The " + kind + " deadline is due at " + when + ".";
            MUHAFIZ_CHECK(AddTimeline(*conn, inc.id, system, "deadline", text,
                                      json::object{{"kind", kind}, {"due_at", when}, {"overdue", overdue}}));
            ++queued;
            return NotifyOrganisation(*conn, inc.handling.id, inc, overdue ? "deadline_overdue" : "deadline_reminder",
                                      (overdue ? "Overdue: " : "Due soon: ") + kind + " " + when, text);
        }));
    }
    return queued;
}

}  // namespace muhafiz::incidents
