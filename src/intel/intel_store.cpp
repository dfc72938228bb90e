#include "intel/intel_store.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "core/ids.hpp"
#include "db/query.hpp"
#include "intel/stix.hpp"

namespace muhafiz::intel {
namespace json = core::json;
using core::ErrorCode;
using core::Result;
using core::Status;

namespace {

constexpr std::string_view kEventSelect =
    "SELECT e.id, e.uuid, e.stix_id, e.organisation_id, o.uuid, o.name, e.org_path, e.cert_id, e.cert_path, "
    "e.sector, e.title, e.description, e.tlp, e.audience, e.confidence, e.tags, e.incidents, e.source, "
    "e.indicator_count, e.version, e.created_at, e.updated_at "
    "FROM intel_events e JOIN organisations o ON o.id = e.organisation_id";

constexpr std::string_view kIndicatorSelect =
    "SELECT i.id, i.uuid, i.stix_id, e.uuid, e.title, i.type, i.value, i.original, i.comment, i.detection, "
    "i.false_positive, i.warning, i.warning_override, i.valid_from, i.valid_until, e.tlp, i.created_at, "
    "i.updated_at, (SELECT COALESCE(SUM(s.count), 0) FROM intel_sightings s WHERE s.indicator_id = i.id), "
    "(SELECT MAX(s.last_seen) FROM intel_sightings s WHERE s.indicator_id = i.id), i.source_uuid "
    "FROM intel_indicators i JOIN intel_events e ON e.id = i.event_id";

std::vector<std::string> JsonStrings(const std::string& text) {
    std::vector<std::string> out;
    auto v = core::ParseJson(text);
    if (v && v->is_array())
        for (const auto& e : v->as_array())
            if (e.is_string()) out.emplace_back(e.as_string());
    return out;
}

std::string StringsJson(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.push_back(json::value(s));
    return core::ToJson(a);
}

Event EventFromRow(const db::Row& r) {
    Event e;
    e.id = r.Int(0);
    e.uuid = r.Str(1);
    e.stix_id = r.Str(2);
    e.organisation = OrgRef{r.Int(3), r.Str(4), r.Str(5)};
    e.org_path = r.Str(6);
    e.cert_id = r.Int(7);
    e.cert_path = r.Str(8);
    e.sector = r.Str(9);
    e.title = r.Str(10);
    e.description = r.Str(11);
    e.tlp = access::ParseTlp(r.Str(12)).value_or(Tlp::kRed);
    e.audience = access::ParseAudience(r.Str(13)).value_or(Audience::kOrganisation);
    e.confidence = static_cast<int>(r.Int(14));
    e.tags = JsonStrings(r.Str(15));
    e.incidents = JsonStrings(r.Str(16));
    e.source = r.Str(17);
    e.indicator_count = r.Int(18);
    e.version = r.Int(19);
    e.created_at = r.Int(20);
    e.updated_at = r.Int(21);
    return e;
}

Indicator IndicatorFromRow(const db::Row& r) {
    Indicator i;
    i.id = r.Int(0);
    i.uuid = r.Str(1);
    i.stix_id = r.Str(2);
    i.event_uuid = r.Str(3);
    i.event_title = r.Str(4);
    i.type = ParseType(r.Str(5)).value_or(IndicatorType::kIpv4);
    i.value = r.Str(6);
    i.original = r.Str(7);
    if (i.original.empty()) i.original = i.value;  // imports store '' for "the same as value"
    i.comment = r.Str(8);
    i.detection = r.Bool(9);
    i.false_positive = r.Bool(10);
    i.warning = r.Str(11);
    i.warning_override = r.Bool(12);
    i.valid_from = r.Int(13);
    i.valid_until = r.OptInt(14);
    i.tlp = access::ParseTlp(r.Str(15)).value_or(Tlp::kRed);
    i.created_at = r.Int(16);
    i.updated_at = r.Int(17);
    i.sightings = r.Int(18);
    i.last_seen = r.OptInt(19);
    i.source_uuid = r.Str(20);
    return i;
}

db::Params Join(db::Params a, const db::Params& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::vector<std::int64_t> PathIds(const std::string& path) {
    std::vector<std::int64_t> ids;
    std::size_t i = 1;
    while (i < path.size()) {
        auto j = path.find('/', i);
        if (j == std::string::npos) break;
        ids.push_back(std::stoll(path.substr(i, j - i)));
        i = j + 1;
    }
    return ids;
}

bool IsCertKind(const std::string& kind) {
    return kind.ends_with("_cert") && kind != "cert_council";
}

std::string EncodeCursor(std::int64_t a, std::int64_t b) {
    return core::Base64UrlEncode(std::to_string(a) + ":" + std::to_string(b));
}

core::Result<std::pair<std::int64_t, std::int64_t>> DecodeCursor(const std::string& cursor) {
    std::string raw;
    if (!core::Base64UrlDecode(cursor, raw)) return core::Invalid("cursor", "the cursor is malformed");
    auto c = raw.find(':');
    if (c == std::string::npos) return core::Invalid("cursor", "the cursor is malformed");
    try {
        return std::make_pair(std::stoll(raw.substr(0, c)), std::stoll(raw.substr(c + 1)));
    } catch (...) {
        return core::Invalid("cursor", "the cursor is malformed");
    }
}

StixEventInfo EventInfo(const Event& e, const std::string& identity) {
    StixEventInfo s;
    s.stix_id = e.stix_id;
    s.title = e.title;
    s.description = e.description;
    s.tlp = e.tlp;
    s.confidence = e.confidence;
    s.tags = e.tags;
    s.identity_id = identity;
    s.created = e.created_at;
    s.modified = e.updated_at;
    return s;
}

StixIndicatorInfo IndicatorInfo(const Indicator& i) {
    StixIndicatorInfo s;
    s.stix_id = i.stix_id;
    s.type = i.type;
    s.value = i.value;
    s.comment = i.comment;
    s.valid_from = i.valid_from;
    s.valid_until = i.valid_until;
    s.created = i.created_at;
    s.modified = i.updated_at;
    s.false_positive = i.false_positive;
    return s;
}

// "(i.type = ? AND i.value = ?) OR ..." over every indicator type `value` is a valid value of
// once normalised (only `type` when given); empty when it is a value of none.
std::pair<std::string, db::Params> ValueCondition(const std::string& value, const std::optional<std::string>& type) {
    std::string cond;
    db::Params params;
    for (IndicatorType t : AllTypes()) {
        if (type && *type != TypeName(t)) continue;
        auto v = Normalise(t, value);
        if (!v) continue;
        cond += cond.empty() ? "" : " OR ";
        cond += "(i.type = ? AND i.value = ?)";
        params.emplace_back(std::string(TypeName(t)));
        params.emplace_back(*v);
    }
    return {std::move(cond), std::move(params)};
}

// The number of events holding a value again (after an indicator of it left or changed); a value
// no event holds any more leaves the correlation index.
Status RecountValue(db::Connection& conn, const std::string& type, const std::string& value) {
    MUHAFIZ_TRY(conn.Execute(
        "UPDATE intel_values SET events = (SELECT COUNT(DISTINCT event_id) FROM intel_indicators WHERE type = ? "
        "AND value = ?) WHERE type = ? AND value = ?",
        {type, value, type, value}));
    MUHAFIZ_TRY(conn.Execute("DELETE FROM intel_values WHERE type = ? AND value = ? AND events = 0", {type, value}));
    return core::Ok();
}

// Deletes an indicator row and its sightings, and recounts its value. The caller updates the
// event (count, version) and audits.
Status DropIndicatorRow(db::Connection& conn, std::int64_t id, const std::string& type, const std::string& value) {
    MUHAFIZ_TRY(conn.Execute("DELETE FROM intel_sightings WHERE indicator_id = ?", {id}));
    MUHAFIZ_TRY(conn.Execute("DELETE FROM intel_indicators WHERE id = ?", {id}));
    return RecountValue(conn, type, value);
}

}  // namespace

// --- organisations and viewers ----------------------------------------------------------------

Result<std::vector<IntelStore::Org>> IntelStore::AllOrganisations(db::Connection& conn) {
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT id, uuid, name, kind, path, sector, COALESCE(parent_id, 0) FROM organisations ORDER BY path"));
    std::vector<Org> out;
    for (const auto& r : rows) out.push_back(Org{r.Int(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Str(5), r.Int(6)});
    return out;
}

Result<IntelStore::Org> IntelStore::LoadOrg(db::Connection& conn, std::int64_t id) {
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT id, uuid, name, kind, path, sector, COALESCE(parent_id, 0) FROM organisations WHERE id = ?", {id}));
    if (rows.empty()) return core::NotFound("no such organisation");
    const auto& r = rows[0];
    return Org{r.Int(0), r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Str(5), r.Int(6)};
}

Result<access::IntelViewer> IntelStore::ViewerForOrganisation(std::int64_t organisation_id) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    Org org = MUHAFIZ_TRY(LoadOrg(*conn, organisation_id));
    access::IntelViewer v;
    v.organisation_id = org.id;
    v.path = org.path;
    v.sector = org.sector;
    auto ids = PathIds(org.path);
    std::string in;
    db::Params params;
    for (auto id : ids) {
        in += in.empty() ? "?" : ",?";
        params.emplace_back(id);
    }
    std::map<std::int64_t, std::pair<std::string, std::string>> by_id;  // kind, sector
    if (!ids.empty()) {
        auto rows = MUHAFIZ_TRY(conn->Query("SELECT id, kind, sector FROM organisations WHERE id IN (" + in + ")", params));
        for (const auto& r : rows) by_id[r.Int(0)] = {r.Str(1), r.Str(2)};
    }
    for (auto it = ids.rbegin(); it != ids.rend(); ++it)
        if (!by_id[*it].second.empty()) v.sectors.push_back(by_id[*it].second);
    const bool root_is_national = !ids.empty() && by_id[ids.front()].first == "national_cert";
    v.in_tree = root_is_national && org.kind != "partner_cert";
    v.is_root = org.kind == "national_cert" && ids.size() == 1;
    v.is_partner = org.kind == "partner_cert";
    v.council = org.kind == "cert_council";
    return v;
}

Result<access::IntelViewer> IntelStore::ViewerFor(const access::Principal& p) {
    if (p.role == access::Role::kCouncil) {
        access::IntelViewer v;
        v.council = true;
        return v;
    }
    return ViewerForOrganisation(p.organisation_id);
}

Result<OrgRef> IntelStore::OrganisationByRef(const std::string& ref) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query("SELECT id, uuid, name FROM organisations WHERE uuid = ? OR name = ? ORDER BY id",
                                        {ref, ref}));
    if (rows.empty()) return core::NotFound("no organisation '" + ref + "'");
    return OrgRef{rows[0].Int(0), rows[0].Str(1), rows[0].Str(2)};
}

Result<std::int64_t> IntelStore::RootOrganisation() {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query("SELECT id FROM organisations WHERE kind = 'national_cert' AND parent_id IS NULL ORDER BY id"));
    if (rows.empty()) return core::NotFound("the National CERT organisation does not exist yet");
    return rows[0].Int(0);
}

std::string IntelStore::IdentityIdOf(const std::string& org_uuid) const { return DerivedStixId("identity", org_uuid); }

access::IntelMarking IntelStore::MarkingOf(const Event& e) const {
    access::IntelMarking m;
    m.organisation_id = e.organisation.id;
    m.cert_id = e.cert_id;
    m.cert_path = e.cert_path;
    m.sector = e.sector;
    m.tlp = e.tlp;
    m.audience = e.audience;
    for (std::size_t k = 0; k < e.recipients.size(); ++k)
        m.recipients.push_back({e.recipients[k].id, k < e.recipient_paths.size() ? e.recipient_paths[k] : ""});
    return m;
}

// --- loading ----------------------------------------------------------------------------------

Status IntelStore::LoadRecipients(db::Connection& conn, Event& e) {
    auto rows = MUHAFIZ_TRY(conn.Query(
        "SELECT o.id, o.uuid, o.name, r.path FROM intel_event_recipients r JOIN organisations o ON o.id = "
        "r.organisation_id WHERE r.event_id = ? ORDER BY o.name",
        {e.id}));
    e.recipients.clear();
    e.recipient_paths.clear();
    for (const auto& r : rows) {
        e.recipients.push_back(OrgRef{r.Int(0), r.Str(1), r.Str(2)});
        e.recipient_paths.push_back(r.Str(3));
    }
    return core::Ok();
}

Result<Event> IntelStore::Load(db::Connection& conn, const std::string& where, const db::Params& params) {
    auto rows = MUHAFIZ_TRY(conn.Query(std::string(kEventSelect) + " WHERE " + where, params));
    if (rows.empty()) return core::NotFound("no such intel event");
    Event e = EventFromRow(rows[0]);
    MUHAFIZ_CHECK(LoadRecipients(conn, e));
    return e;
}

Result<Event> IntelStore::Get(const std::string& uuid, const access::IntelViewer& viewer) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto scope = policy_.EventScope(viewer, "e");
    return Load(*conn, "e.uuid = ? AND " + scope.sql, Join({uuid}, scope.params));
}

// --- writing ----------------------------------------------------------------------------------

Result<core::Micros> IntelStore::NextDates(db::Connection& conn, std::int64_t n) {
    auto rows = MUHAFIZ_TRY(conn.Query(conn.dialect() == db::Dialect::kPostgres
                                           ? "SELECT last_us FROM intel_clock WHERE id = 1 FOR UPDATE"
                                           : "SELECT last_us FROM intel_clock WHERE id = 1"));
    core::Micros last = rows.empty() ? 0 : rows[0].Int(0);
    core::Micros base = std::max(core::NowMicros(), last + 1);
    MUHAFIZ_TRY(conn.Execute("UPDATE intel_clock SET last_us = ? WHERE id = 1", {base + std::max<std::int64_t>(n, 1) - 1}));
    return base;
}

Status IntelStore::ResolveRecipients(db::Connection& conn, const std::vector<std::string>& refs,
                                     std::vector<std::pair<std::int64_t, std::string>>& out) {
    out.clear();
    for (const auto& ref : refs) {
        auto rows = MUHAFIZ_TRY(conn.Query("SELECT id, path FROM organisations WHERE uuid = ?", {ref}));
        if (rows.empty()) return core::Invalid("recipients", "no organisation with id '" + ref + "'");
        out.emplace_back(rows[0].Int(0), rows[0].Str(1));
    }
    return core::Ok();
}

Status IntelStore::EnsureSharedObjects(db::Connection& conn, const Event& e) {
    const std::string marking(TlpMarkingId(e.tlp));
    auto have = MUHAFIZ_TRY(conn.Query("SELECT 1 FROM intel_objects WHERE stix_id = ?", {marking}));
    if (have.empty()) {
        core::Micros at = MUHAFIZ_TRY(NextDates(conn, 1));
        MUHAFIZ_TRY(conn.Execute(
            "INSERT INTO intel_objects (event_id, owner_org_id, stix_id, type, version, version_us, date_added, "
            "content) VALUES (NULL, NULL, ?, 'marking-definition', '2022-10-01T00:00:00.000Z', ?, ?, ?)",
            {marking, *core::ParseRfc3339("2022-10-01T00:00:00Z"), at, core::ToJson(TlpMarkingObject(e.tlp))}));
    }
    const std::string identity = IdentityIdOf(e.organisation.uuid);
    have = MUHAFIZ_TRY(conn.Query("SELECT 1 FROM intel_objects WHERE stix_id = ?", {identity}));
    if (have.empty()) {
        core::Micros at = MUHAFIZ_TRY(NextDates(conn, 1));
        auto org = MUHAFIZ_TRY(LoadOrg(conn, e.organisation.id));
        core::Micros created = e.created_at;
        MUHAFIZ_TRY(conn.Execute(
            "INSERT INTO intel_objects (event_id, owner_org_id, stix_id, type, version, version_us, date_added, "
            "content) VALUES (NULL, ?, ?, 'identity', ?, ?, ?, ?)",
            {e.organisation.id, identity, StixTime(created), created - created % 1000, at,
             core::ToJson(IdentityObject(identity, org.name, "organization", created))}));
    }
    return core::Ok();
}

Status IntelStore::WriteEventObjects(db::Connection& conn, Event& e, bool indicators_too) {
    MUHAFIZ_CHECK(EnsureSharedObjects(conn, e));
    const std::string identity = IdentityIdOf(e.organisation.uuid);
    StixEventInfo info = EventInfo(e, identity);
    std::vector<StoredObject> rows;
    const core::Micros now = core::NowMicros();
    const std::vector<std::string> columns = {"event_id", "owner_org_id", "stix_id", "type", "version", "version_us",
                                              "date_added", "content", "deleted"};
    // New versions of the event's indicators, 2,000 at a time (bounded memory for big events);
    // versions held in-row move to intel_objects first.
    if (indicators_too) MUHAFIZ_CHECK(MoveInRowObjects(conn, "event_id = ?", {e.id}));
    for (std::int64_t after_id = 0; indicators_too;) {
        auto inds = MUHAFIZ_TRY(conn.Query(std::string(kIndicatorSelect) +
                                               " WHERE i.event_id = ? AND i.stix_id LIKE 'indicator--%' AND i.id > ? "
                                               "ORDER BY i.id LIMIT 2000",
                                           {e.id, after_id}));
        if (inds.empty()) break;
        core::Micros at = MUHAFIZ_TRY(NextDates(conn, static_cast<std::int64_t>(inds.size())));
        std::vector<db::Params> batch;
        batch.reserve(inds.size());
        for (const auto& r : inds) {
            Indicator i = IndicatorFromRow(r);
            i.updated_at = std::max(i.updated_at, e.updated_at);
            batch.push_back({e.id, nullptr, i.stix_id, std::string("indicator"), StixTime(i.updated_at),
                             i.updated_at - i.updated_at % 1000, at++,
                             core::ToJson(IndicatorObject(IndicatorInfo(i), info)), std::int64_t{0}});
            after_id = i.id;
        }
        MUHAFIZ_TRY(conn.BulkInsert("intel_objects", columns, batch));
        if (inds.size() < 2000) break;
    }
    // The report is stored lean: its object_refs (every object of the event added before it, not
    // capped) are streamed from intel_objects when it is served (RenderLeanReport).
    (void)now;
    rows.push_back(StoredObject{e.stix_id, "report", StixTime(e.updated_at), e.updated_at - e.updated_at % 1000, 0,
                                LeanReport(ReportObject(info, {identity}))});
    core::Micros at = MUHAFIZ_TRY(NextDates(conn, static_cast<std::int64_t>(rows.size())));
    std::vector<db::Params> batch;
    for (auto& o : rows)
        batch.push_back({e.id, nullptr, o.stix_id, o.type, o.version, o.version_us, at++, o.content, std::int64_t{0}});
    MUHAFIZ_TRY(conn.BulkInsert("intel_objects", columns, batch));
    return core::Ok();
}

Status IntelStore::RecountValues(db::Connection& conn, std::int64_t event_id) {
    MUHAFIZ_TRY(conn.Execute(
        "INSERT INTO intel_values (type, value, events) "
        "SELECT d.type, d.value, (SELECT COUNT(DISTINCT j.event_id) FROM intel_indicators j WHERE j.type = d.type AND "
        "j.value = d.value) FROM (SELECT DISTINCT type, value FROM intel_indicators WHERE event_id = ?) d WHERE 1=1 "
        "ON CONFLICT (type, value) DO UPDATE SET events = excluded.events",
        {event_id}));
    return core::Ok();
}

Result<std::vector<Indicator>> IntelStore::InsertIndicators(db::Connection& conn, const Event& e,
                                                            const std::vector<IndicatorInput>& inputs) {
    std::vector<Indicator> out;
    const core::Micros now = core::NowMicros();
    std::set<std::pair<std::string, std::string>> existing;
    {
        auto rows = MUHAFIZ_TRY(conn.Query("SELECT type, value FROM intel_indicators WHERE event_id = ?", {e.id}));
        for (const auto& r : rows) existing.emplace(r.Str(0), r.Str(1));
    }
    std::vector<db::Params> batch;
    for (std::size_t n = 0; n < inputs.size(); ++n) {
        const auto& in = inputs[n];
        const std::string path = "indicators[" + std::to_string(n) + "].";
        IndicatorType type = MUHAFIZ_TRY(ParseType(in.type, path + "type"));
        std::string value = MUHAFIZ_TRY(Normalise(type, in.value, path + "value"));
        if (!existing.emplace(std::string(TypeName(type)), value).second) continue;  // already in the event
        Indicator i;
        i.uuid = core::NewUuidV7();
        i.stix_id = "indicator--" + core::NewUuidV4();
        i.event_uuid = e.uuid;
        i.event_title = e.title;
        i.type = type;
        i.value = value;
        i.original = in.value;
        i.comment = in.comment;
        i.detection = in.detection.value_or(true);
        i.valid_from = in.valid_from.value_or(now);
        i.valid_until = in.valid_until;
        if (i.valid_until && *i.valid_until <= i.valid_from)
            return core::Invalid(path + "valid_until", "valid_until must be later than valid_from");
        i.warning = lists_.Check(type, value).value_or("");
        i.tlp = e.tlp;
        i.created_at = i.updated_at = now;
        i.source_uuid = in.source_uuid;
        batch.push_back({i.uuid, i.stix_id, e.id, std::string(TypeName(type)), i.value, i.original, i.comment,
                         db::Bool(i.detection), i.valid_from, db::Opt(i.valid_until), std::int64_t{0}, i.warning,
                         std::int64_t{0}, now, now,
                         i.source_uuid.empty() ? db::Null() : db::Value(i.source_uuid)});
        out.push_back(std::move(i));
    }
    if (!batch.empty())
        MUHAFIZ_TRY(conn.BulkInsert("intel_indicators",
                                    {"uuid", "stix_id", "event_id", "type", "value", "original", "comment", "detection",
                                     "valid_from", "valid_until", "false_positive", "warning", "warning_override",
                                     "created_at", "updated_at", "source_uuid"},
                                    batch));
    return out;
}

Result<Event> IntelStore::Create(const EventInput& input, std::int64_t organisation_id, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<Event> {
        Event e = MUHAFIZ_TRY(CreateIn(*conn, input, organisation_id, true));
        MUHAFIZ_CHECK(audit_.Append(*conn, db::AuditRecord{actor, "intel.create", "intel_event", e.uuid, "",
                                                           core::ToJson(ToJson(e))}));
        return e;
    });
}

Result<Event> IntelStore::CreateIn(db::Connection& c, const EventInput& input, std::int64_t organisation_id,
                                   bool write_objects) {
    db::Connection* conn = &c;
    {
        Org org = MUHAFIZ_TRY(LoadOrg(*conn, organisation_id));
        if (org.kind == "cert_council")
            return core::Fail(ErrorCode::kPermissionDenied, "the CERT Council does not publish intel events");
        Event e;
        e.uuid = core::NewUuidV7();
        e.stix_id = "report--" + core::NewUuidV4();
        e.organisation = OrgRef{org.id, org.uuid, org.name};
        e.org_path = org.path;
        // The creator's CERT: the nearest CERT at or above it; its sector: the nearest one set.
        auto ids = PathIds(org.path);
        e.cert_id = org.id;
        e.cert_path = org.path;
        for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
            Org a = *it == org.id ? org : MUHAFIZ_TRY(LoadOrg(*conn, *it));
            if (e.sector.empty()) e.sector = a.sector;
            if (IsCertKind(a.kind) && e.cert_id == org.id && !(IsCertKind(org.kind))) {
                e.cert_id = a.id;
                e.cert_path = a.path;
            }
        }
        if (input.audience == Audience::kSector && e.sector.empty())
            return core::Invalid("audience", "your organisation has no sector; choose another audience");
        e.title = input.title;
        e.description = input.description;
        e.tlp = input.tlp;
        e.audience = input.audience;
        e.confidence = input.confidence;
        e.tags = input.tags;
        e.incidents = input.incidents;
        e.source = input.source;
        e.created_at = e.updated_at = core::NowMicros();
        std::vector<std::pair<std::int64_t, std::string>> recipients;
        MUHAFIZ_CHECK(ResolveRecipients(*conn, input.recipients, recipients));
        auto rows = MUHAFIZ_TRY(conn->Query(
            "INSERT INTO intel_events (uuid, stix_id, organisation_id, org_path, cert_id, cert_path, sector, title, "
            "description, tlp, audience, confidence, tags, incidents, source, created_at, updated_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            {e.uuid, e.stix_id, org.id, org.path, e.cert_id, e.cert_path, e.sector, e.title, e.description,
             std::string(access::TlpName(e.tlp)), std::string(access::AudienceName(e.audience)),
             std::int64_t{e.confidence}, StringsJson(e.tags), StringsJson(e.incidents), e.source, e.created_at,
             e.updated_at}));
        e.id = rows[0].Int(0);
        for (const auto& t : e.tags)
            MUHAFIZ_TRY(conn->Execute("INSERT INTO intel_event_tags (event_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                      {e.id, t}));
        for (const auto& [rid, rpath] : recipients)
            MUHAFIZ_TRY(conn->Execute(
                "INSERT INTO intel_event_recipients (event_id, organisation_id, path) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                {e.id, rid, rpath}));
        auto inds = MUHAFIZ_TRY(InsertIndicators(*conn, e, input.indicators));
        e.indicator_count = static_cast<std::int64_t>(inds.size());
        MUHAFIZ_TRY(conn->Execute("UPDATE intel_events SET indicator_count = ? WHERE id = ?", {e.indicator_count, e.id}));
        if (write_objects) {
            MUHAFIZ_CHECK(RecountValues(*conn, e.id));
            MUHAFIZ_CHECK(WriteEventObjects(*conn, e, true));
        }
        MUHAFIZ_CHECK(LoadRecipients(*conn, e));
        return e;
    }
}

Result<Event> IntelStore::Update(const std::string& uuid, const EventPatch& patch,
                                 std::optional<std::int64_t> expected_version, const access::IntelViewer& viewer,
                                 const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<Event> {
        auto scope = policy_.EventScope(viewer, "e");
        Event e = MUHAFIZ_TRY(Load(*conn, "e.uuid = ? AND " + scope.sql, Join({uuid}, scope.params)));
        if (e.organisation.id != viewer.organisation_id)
            return core::Fail(ErrorCode::kPermissionDenied,
                              "only the organisation that created the event may change it or widen its sharing");
        if (expected_version && *expected_version != e.version)
            return core::Fail(ErrorCode::kPreconditionFailed, "the event was changed meanwhile (version " +
                                                                  std::to_string(e.version) + ")");
        const Event before = e;
        if (patch.title) e.title = *patch.title;
        if (patch.description) e.description = *patch.description;
        if (patch.confidence) e.confidence = *patch.confidence;
        if (patch.tags) e.tags = *patch.tags;
        if (patch.incidents) e.incidents = *patch.incidents;
        if (patch.tlp) e.tlp = *patch.tlp;
        if (patch.audience) e.audience = *patch.audience;
        if (e.audience == Audience::kSector && e.sector.empty())
            return core::Invalid("audience", "your organisation has no sector; choose another audience");
        bool sharing = e.tlp != before.tlp || e.audience != before.audience;
        if (patch.recipients) {
            std::vector<std::pair<std::int64_t, std::string>> recipients;
            MUHAFIZ_CHECK(ResolveRecipients(*conn, *patch.recipients, recipients));
            std::set<std::int64_t> old_ids, new_ids;
            for (const auto& r : before.recipients) old_ids.insert(r.id);
            for (const auto& r : recipients) new_ids.insert(r.first);
            if (old_ids != new_ids) {
                sharing = true;
                MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_event_recipients WHERE event_id = ?", {e.id}));
                for (const auto& [rid, rpath] : recipients)
                    MUHAFIZ_TRY(conn->Execute(
                        "INSERT INTO intel_event_recipients (event_id, organisation_id, path) VALUES (?, ?, ?) ON "
                        "CONFLICT DO NOTHING",
                        {e.id, rid, rpath}));
            }
        }
        e.updated_at = std::max(core::NowMicros(), before.updated_at + 1000);
        e.version = before.version + 1;
        MUHAFIZ_TRY(conn->Execute(
            "UPDATE intel_events SET title = ?, description = ?, tlp = ?, audience = ?, confidence = ?, tags = ?, "
            "incidents = ?, version = ?, updated_at = ? WHERE id = ?",
            {e.title, e.description, std::string(access::TlpName(e.tlp)), std::string(access::AudienceName(e.audience)),
             std::int64_t{e.confidence}, StringsJson(e.tags), StringsJson(e.incidents), e.version, e.updated_at, e.id}));
        if (patch.tags) {
            MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_event_tags WHERE event_id = ?", {e.id}));
            for (const auto& t : e.tags)
                MUHAFIZ_TRY(conn->Execute(
                    "INSERT INTO intel_event_tags (event_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING", {e.id, t}));
        }
        // New object versions: the report always; the indicators too when the marking or the
        // audience changed (they carry the TLP and must reach the new collection's readers).
        MUHAFIZ_CHECK(WriteEventObjects(*conn, e, sharing));
        MUHAFIZ_CHECK(LoadRecipients(*conn, e));
        const std::string action =
            sharing ? (access::IntelPolicy::IsWidening(before.tlp, before.audience, e.tlp, e.audience) ? "intel.share.widen"
                                                                                                       : "intel.share")
                    : "intel.update";
        MUHAFIZ_CHECK(audit_.Append(*conn, db::AuditRecord{actor, action, "intel_event", e.uuid,
                                                           core::ToJson(ToJson(before)), core::ToJson(ToJson(e))}));
        return e;
    });
}

Status IntelStore::Delete(const std::string& uuid, const access::IntelViewer& viewer, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Status {
        auto scope = policy_.EventScope(viewer, "e");
        Event e = MUHAFIZ_TRY(Load(*conn, "e.uuid = ? AND " + scope.sql, Join({uuid}, scope.params)));
        if (e.organisation.id != viewer.organisation_id)
            return core::Fail(ErrorCode::kPermissionDenied, "only the organisation that created the event may delete it");
        MUHAFIZ_TRY(conn->Execute(
            "UPDATE intel_values SET events = events - 1 WHERE EXISTS (SELECT 1 FROM intel_indicators i WHERE "
            "i.event_id = ? AND i.type = intel_values.type AND i.value = intel_values.value)",
            {e.id}));
        MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_values WHERE events <= 0"));
        MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_sightings WHERE indicator_id IN (SELECT id FROM intel_indicators WHERE event_id = ?)", {e.id}));
        MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_indicators WHERE event_id = ?", {e.id}));
        MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_objects WHERE event_id = ?", {e.id}));
        MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_event_tags WHERE event_id = ?", {e.id}));
        MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_event_recipients WHERE event_id = ?", {e.id}));
        MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_events WHERE id = ?", {e.id}));
        return audit_.Append(*conn, db::AuditRecord{actor, "intel.delete", "intel_event", e.uuid,
                                                    core::ToJson(ToJson(e)), ""});
    });
}

Result<IntelPage<Event>> IntelStore::ListEvents(const EventFilter& f, const access::IntelViewer& viewer) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Where w;
    w.And(policy_.EventScope(viewer, "e"));
    if (f.q) w.And("(LOWER(e.title) LIKE ? ESCAPE '\\' OR LOWER(e.description) LIKE ? ESCAPE '\\')",
                   {db::ContainsPattern(db::Lower(*f.q)), db::ContainsPattern(db::Lower(*f.q))});
    if (f.tag) w.And("EXISTS (SELECT 1 FROM intel_event_tags t WHERE t.event_id = e.id AND t.tag = ?)", {*f.tag});
    if (f.tlp) w.And("e.tlp = ?", {std::string(access::TlpName(*f.tlp))});
    if (f.audience) w.And("e.audience = ?", {std::string(access::AudienceName(*f.audience))});
    if (f.organisation) w.And("(o.uuid = ? OR o.name = ?)", {*f.organisation, *f.organisation});
    if (f.since) w.And("e.created_at >= ?", {*f.since});
    if (f.until) w.And("e.created_at < ?", {*f.until});
    if (f.value) {
        auto [cond, params] = ValueCondition(*f.value, f.type);
        if (cond.empty()) return core::Invalid("value", "'" + *f.value + "' is not a value of any indicator type");
        w.And("EXISTS (SELECT 1 FROM intel_indicators i WHERE i.event_id = e.id AND (" + cond + "))", params);
    }
    auto total = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM intel_events e JOIN organisations o ON o.id = "
                                         "e.organisation_id" + w.sql, w.params));
    if (!f.cursor.empty()) {
        auto [at, id] = MUHAFIZ_TRY(DecodeCursor(f.cursor));
        w.And("(e.created_at < ? OR (e.created_at = ? AND e.id < ?))", {at, at, id});
    }
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kEventSelect) + w.sql + " ORDER BY e.created_at DESC, e.id DESC LIMIT ?",
                                        Join(w.params, {std::int64_t{f.limit + 1}})));
    IntelPage<Event> page;
    page.total = total[0].Int(0);
    for (const auto& r : rows) {
        if (static_cast<int>(page.items.size()) == f.limit) {
            page.next = EncodeCursor(page.items.back().created_at, page.items.back().id);
            break;
        }
        page.items.push_back(EventFromRow(r));
    }
    for (auto& e : page.items) MUHAFIZ_CHECK(LoadRecipients(*conn, e));
    return page;
}

Result<std::vector<Indicator>> IntelStore::AddIndicators(const std::string& event_uuid,
                                                         const std::vector<IndicatorInput>& inputs,
                                                         const access::IntelViewer& viewer, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<std::vector<Indicator>> {
        auto scope = policy_.EventScope(viewer, "e");
        Event e = MUHAFIZ_TRY(Load(*conn, "e.uuid = ? AND " + scope.sql, Join({event_uuid}, scope.params)));
        if (e.organisation.id != viewer.organisation_id)
            return core::Fail(ErrorCode::kPermissionDenied, "only the organisation that created the event may add indicators");
        auto added = MUHAFIZ_TRY(InsertIndicators(*conn, e, inputs));
        e.indicator_count += static_cast<std::int64_t>(added.size());
        e.updated_at = std::max(core::NowMicros(), e.updated_at + 1000);
        e.version += 1;
        MUHAFIZ_TRY(conn->Execute("UPDATE intel_events SET indicator_count = ?, version = ?, updated_at = ? WHERE id = ?",
                                  {e.indicator_count, e.version, e.updated_at, e.id}));
        MUHAFIZ_CHECK(RecountValues(*conn, e.id));
        // Objects for the new indicators, then a new report version.
        StixEventInfo info = EventInfo(e, IdentityIdOf(e.organisation.uuid));
        if (!added.empty()) {
            core::Micros at = MUHAFIZ_TRY(NextDates(*conn, static_cast<std::int64_t>(added.size())));
            std::vector<db::Params> batch;
            for (const auto& i : added)
                batch.push_back({e.id, nullptr, i.stix_id, std::string("indicator"), StixTime(i.updated_at),
                                 i.updated_at - i.updated_at % 1000, at++,
                                 core::ToJson(IndicatorObject(IndicatorInfo(i), info)), std::int64_t{0}});
            MUHAFIZ_TRY(conn->BulkInsert("intel_objects",
                                         {"event_id", "owner_org_id", "stix_id", "type", "version", "version_us",
                                          "date_added", "content", "deleted"},
                                         batch));
        }
        MUHAFIZ_CHECK(WriteEventObjects(*conn, e, false));
        json::array values;
        for (const auto& i : added) values.push_back(json::value(std::string(TypeName(i.type)) + ":" + i.value));
        MUHAFIZ_CHECK(audit_.Append(*conn, db::AuditRecord{actor, "intel.indicators.add", "intel_event", e.uuid, "",
                                                           core::ToJson(values)}));
        return added;
    });
}

Result<IntelPage<Indicator>> IntelStore::ListIndicators(const IndicatorFilter& f, const access::IntelViewer& viewer) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    db::Where w;
    w.And(policy_.EventScope(viewer, "e"));
    if (f.type) w.And("i.type = ?", {std::string(TypeName(MUHAFIZ_TRY(ParseType(*f.type))))});
    if (f.value) {
        auto [cond, params] = ValueCondition(*f.value, f.type);
        if (cond.empty()) {
            // Not a complete value: a substring search over the values.
            w.And("i.value LIKE ? ESCAPE '\\'", {db::ContainsPattern(db::Lower(*f.value))});
        } else {
            w.And("(" + cond + ")", params);
        }
    }
    if (f.event) w.And("e.uuid = ?", {*f.event});
    if (f.tag) w.And("EXISTS (SELECT 1 FROM intel_event_tags t WHERE t.event_id = e.id AND t.tag = ?)", {*f.tag});
    if (f.tlp) w.And("e.tlp = ?", {std::string(access::TlpName(*f.tlp))});
    if (f.organisation)
        w.And("EXISTS (SELECT 1 FROM organisations og WHERE og.id = e.organisation_id AND (og.uuid = ? OR og.name = ?))",
              {*f.organisation, *f.organisation});
    if (f.since) w.And("i.created_at >= ?", {*f.since});
    if (f.until) w.And("i.created_at < ?", {*f.until});
    if (f.active_only) {
        const core::Micros now = core::NowMicros();
        w.And("i.detection = 1 AND i.false_positive = 0 AND (i.warning = '' OR i.warning_override = 1) AND "
              "i.valid_from <= ? AND (i.valid_until IS NULL OR i.valid_until > ?)",
              {now, now});
    }
    auto total = MUHAFIZ_TRY(conn->Query("SELECT COUNT(*) FROM intel_indicators i JOIN intel_events e ON e.id = i.event_id" +
                                             w.sql,
                                         w.params));
    if (!f.cursor.empty()) {
        auto [a, id] = MUHAFIZ_TRY(DecodeCursor(f.cursor));
        (void)a;
        w.And("i.id < ?", {id});
    }
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kIndicatorSelect) + w.sql + " ORDER BY i.id DESC LIMIT ?",
                                        Join(w.params, {std::int64_t{f.limit + 1}})));
    IntelPage<Indicator> page;
    page.total = total[0].Int(0);
    for (const auto& r : rows) {
        if (static_cast<int>(page.items.size()) == f.limit) {
            page.next = EncodeCursor(0, page.items.back().id);
            break;
        }
        page.items.push_back(IndicatorFromRow(r));
    }
    return page;
}

Result<Indicator> IntelStore::GetIndicator(const std::string& uuid, const access::IntelViewer& viewer) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto scope = policy_.EventScope(viewer, "e");
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kIndicatorSelect) + " WHERE i.uuid = ? AND " + scope.sql,
                                        Join({uuid}, scope.params)));
    if (rows.empty()) return core::NotFound("no such indicator");
    return IndicatorFromRow(rows[0]);
}

// The indicator `uuid` as `viewer` sees it, with its event; only the creating organisation may
// change it.
Result<std::pair<Indicator, Event>> IntelStore::OwnIndicator(db::Connection& conn, const std::string& uuid,
                                                             const access::IntelViewer& viewer) {
    auto scope = policy_.EventScope(viewer, "e");
    auto rows = MUHAFIZ_TRY(conn.Query(std::string(kIndicatorSelect) + " WHERE i.uuid = ? AND " + scope.sql,
                                       Join({uuid}, scope.params)));
    if (rows.empty()) return core::NotFound("no such indicator");
    Indicator i = IndicatorFromRow(rows[0]);
    Event e = MUHAFIZ_TRY(Load(conn, "e.uuid = ?", {i.event_uuid}));
    if (e.organisation.id != viewer.organisation_id)
        return core::Fail(ErrorCode::kPermissionDenied,
                          "only the organisation that created the event may change its indicators");
    // A change writes a new STIX version: a first version held in-row (migration 018) moves to
    // intel_objects before the row changes (its record reads the row's value and comment).
    MUHAFIZ_CHECK(MoveInRowObjects(conn, "id = ?", {i.id}));
    return std::pair<Indicator, Event>{std::move(i), std::move(e)};
}

// A changed STIX indicator gets a new version (served by TAXII and the STIX export).
core::Status IntelStore::AddIndicatorVersion(db::Connection& conn, const Event& e, const Indicator& i,
                                             const json::object& extra) {
    if (!i.stix_id.starts_with("indicator--")) return core::Ok();
    MUHAFIZ_CHECK(MoveInRowObjects(conn, "id = ?", {i.id}));  // its first version, if held in-row
    core::Micros at = MUHAFIZ_TRY(NextDates(conn, 1));
    json::object o = IndicatorObject(IndicatorInfo(i), EventInfo(e, IdentityIdOf(e.organisation.uuid)));
    for (const auto& kv : extra) o[kv.key()] = kv.value();
    MUHAFIZ_TRY(conn.Execute(
        "INSERT INTO intel_objects (event_id, owner_org_id, stix_id, type, version, version_us, date_added, "
        "content) VALUES (?, NULL, ?, 'indicator', ?, ?, ?, ?)",
        {e.id, i.stix_id, StixTime(i.updated_at), i.updated_at - i.updated_at % 1000, at, core::ToJson(o)}));
    return core::Ok();
}

Result<Indicator> IntelStore::UpdateIndicator(const std::string& uuid, const IndicatorPatch& patch,
                                              const access::IntelViewer& viewer, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<Indicator> {
        auto [i, e] = MUHAFIZ_TRY(OwnIndicator(*conn, uuid, viewer));
        const json::object before = ToJson(i, core::NowMicros());
        if (patch.detection) i.detection = *patch.detection;
        if (patch.false_positive) i.false_positive = *patch.false_positive;
        if (patch.warning_override) i.warning_override = *patch.warning_override;
        if (patch.comment) i.comment = *patch.comment;
        if (patch.valid_until) i.valid_until = *patch.valid_until;
        if (i.valid_until && *i.valid_until <= i.valid_from)
            return core::Invalid("valid_until", "valid_until must be later than valid_from");
        i.updated_at = std::max(core::NowMicros(), i.updated_at + 1000);
        MUHAFIZ_TRY(conn->Execute(
            "UPDATE intel_indicators SET detection = ?, false_positive = ?, warning_override = ?, comment = ?, "
            "valid_until = ?, updated_at = ? WHERE id = ?",
            {db::Bool(i.detection), db::Bool(i.false_positive), db::Bool(i.warning_override), i.comment,
             db::Opt(i.valid_until), i.updated_at, i.id}));
        MUHAFIZ_CHECK(AddIndicatorVersion(*conn, e, i));
        MUHAFIZ_CHECK(audit_.Append(*conn, db::AuditRecord{actor, "intel.indicator.update", "intel_indicator", i.uuid,
                                                           core::ToJson(before), core::ToJson(ToJson(i, core::NowMicros()))}));
        return i;
    });
}

Result<Indicator> IntelStore::ReviseIndicator(const std::string& uuid, const IndicatorInput& in,
                                              const access::IntelViewer& viewer, const core::Actor& actor) {
    const IndicatorType type = MUHAFIZ_TRY(ParseType(in.type, "type"));
    const std::string value = MUHAFIZ_TRY(Normalise(type, in.value, "value"));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<Indicator> {
        auto [i, e] = MUHAFIZ_TRY(OwnIndicator(*conn, uuid, viewer));
        const std::string old_type(TypeName(i.type)), old_value = i.value, new_type(TypeName(type));
        const bool moved = old_type != new_type || old_value != value;
        if (moved) {
            auto clash = MUHAFIZ_TRY(conn->Query(
                "SELECT uuid FROM intel_indicators WHERE event_id = ? AND type = ? AND value = ? AND id <> ?",
                {e.id, new_type, value, i.id}));
            if (!clash.empty())
                return core::Fail(ErrorCode::kConflict, "the event already holds " + new_type + " '" + value +
                                                            "' (indicator " + clash[0].Str(0) + ")");
        }
        const core::Micros now = core::NowMicros();
        const json::object before = ToJson(i, now);
        i.type = type;
        i.value = value;
        i.original = in.value;
        i.comment = in.comment;
        i.detection = in.detection.value_or(i.detection);
        if (in.valid_from) i.valid_from = *in.valid_from;
        if (in.valid_until) i.valid_until = in.valid_until;
        if (i.valid_until && *i.valid_until <= i.valid_from) i.valid_until.reset();
        if (moved) i.warning = lists_.Check(type, value).value_or("");
        if (!in.source_uuid.empty()) i.source_uuid = in.source_uuid;
        i.updated_at = std::max(now, i.updated_at + 1000);
        MUHAFIZ_TRY(conn->Execute(
            "UPDATE intel_indicators SET type = ?, value = ?, original = ?, comment = ?, detection = ?, valid_from = ?, "
            "valid_until = ?, warning = ?, source_uuid = ?, updated_at = ? WHERE id = ?",
            {new_type, i.value, i.original == i.value ? std::string() : i.original, i.comment, db::Bool(i.detection),
             i.valid_from, db::Opt(i.valid_until), i.warning,
             i.source_uuid.empty() ? db::Null() : db::Value(i.source_uuid), i.updated_at, i.id}));
        e.version += 1;
        e.updated_at = std::max(i.updated_at, e.updated_at + 1000);
        MUHAFIZ_TRY(conn->Execute("UPDATE intel_events SET version = ?, updated_at = ? WHERE id = ?",
                                  {e.version, e.updated_at, e.id}));
        if (moved) {
            MUHAFIZ_CHECK(RecountValue(*conn, old_type, old_value));
            MUHAFIZ_CHECK(RecountValues(*conn, e.id));
        }
        MUHAFIZ_CHECK(AddIndicatorVersion(*conn, e, i));
        MUHAFIZ_CHECK(audit_.Append(*conn, db::AuditRecord{actor, "intel.indicator.update", "intel_indicator", i.uuid,
                                                           core::ToJson(before), core::ToJson(ToJson(i, now))}));
        return i;
    });
}

// Removal (issue #4): the row goes (like a TAXII DELETE of the indicator), its STIX
// object gets a revoked version that partners and the MISP export/feed learn it from.
Status IntelStore::RemoveIndicator(const std::string& uuid, std::optional<std::int64_t> expected_event_version,
                                   const access::IntelViewer& viewer, const core::Actor& actor) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Status {
        auto [i, e] = MUHAFIZ_TRY(OwnIndicator(*conn, uuid, viewer));
        if (expected_event_version && *expected_event_version != e.version)
            return core::Fail(ErrorCode::kPreconditionFailed, "the event was changed meanwhile (version " +
                                                                  std::to_string(e.version) + ")");
        const core::Micros now = core::NowMicros();
        const json::object before = ToJson(i, now);
        i.updated_at = std::max(now, i.updated_at + 1000);
        json::array refs{json::object{{"source_name", "muhafiz-indicator"}, {"external_id", i.uuid}}};
        if (!i.source_uuid.empty())
            refs.push_back(json::object{{"source_name", "misp-attribute"}, {"external_id", i.source_uuid}});
        MUHAFIZ_CHECK(AddIndicatorVersion(*conn, e, i, {{"revoked", true}, {"external_references", std::move(refs)}}));
        MUHAFIZ_CHECK(DropIndicatorRow(*conn, i.id, std::string(TypeName(i.type)), i.value));
        e.version += 1;
        e.updated_at = std::max(i.updated_at, e.updated_at + 1000);
        MUHAFIZ_TRY(conn->Execute(
            "UPDATE intel_events SET indicator_count = (SELECT COUNT(*) FROM intel_indicators WHERE event_id = ?), "
            "version = ?, updated_at = ? WHERE id = ?",
            {e.id, e.version, e.updated_at, e.id}));
        MUHAFIZ_CHECK(audit_.Append(*conn, db::AuditRecord{actor, "intel.indicator.delete", "intel_indicator", i.uuid,
                                                           core::ToJson(before),
                                                           core::ToJson(json::object{{"event", e.uuid},
                                                                                     {"stix_id", i.stix_id},
                                                                                     {"revoked", true}})}));
        return core::Ok();
    });
}

Result<std::vector<IntelStore::RemovedIndicator>> IntelStore::RemovedIndicators(const Event& e) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    // Latest versions only (a later TAXII DELETE marks them deleted), of objects no indicator row
    // holds any more.
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT o.stix_id, o.version_us, o.content FROM intel_objects o WHERE o.event_id = ? AND o.type = 'indicator' "
        "AND o.deleted = 0 AND o.content LIKE ? AND NOT EXISTS (SELECT 1 FROM intel_objects x WHERE x.stix_id = "
        "o.stix_id AND x.event_id = o.event_id AND x.deleted = 0 AND x.version_us > o.version_us) AND NOT EXISTS "
        "(SELECT 1 FROM intel_indicators i WHERE i.event_id = o.event_id AND i.stix_id = o.stix_id) "
        "ORDER BY o.date_added",
        {e.id, std::string("{%\"revoked\":true%")}));
    std::vector<RemovedIndicator> out;
    for (const auto& r : rows) {
        auto v = core::ParseJson(r.Str(2));
        if (!v || !v->is_object()) continue;
        const json::object& o = v->as_object();
        auto str = [&](const json::object& from, std::string_view k) {
            auto x = from.if_contains(k);
            return x && x->is_string() ? std::string(x->as_string()) : std::string();
        };
        auto parsed = ParseStixPattern(str(o, "pattern"));
        auto from = core::ParseRfc3339(str(o, "valid_from"));
        if (!parsed || !*parsed || !from) continue;
        RemovedIndicator ri;
        ri.type = (*parsed)->type;
        ri.value = (*parsed)->value;
        ri.comment = str(o, "description");
        ri.valid_from = *from;
        if (auto u = core::ParseRfc3339(str(o, "valid_until")); u && *u > *from) ri.valid_until = u;
        ri.removed_at = r.Int(1);
        if (const auto* refs = o.if_contains("external_references"); refs && refs->is_array())
            for (const auto& ref : refs->as_array()) {
                if (!ref.is_object()) continue;
                const std::string name = str(ref.as_object(), "source_name"), id = str(ref.as_object(), "external_id");
                if (name == "muhafiz-indicator") ri.uuid = id;
                if (name == "misp-attribute") ri.attribute_uuid = id;
            }
        if (ri.uuid.empty()) continue;  // revoked elsewhere (imported), not removed here
        if (ri.attribute_uuid.empty()) ri.attribute_uuid = ri.uuid;
        out.push_back(std::move(ri));
    }
    return out;
}

Result<Indicator> IntelStore::AddSighting(const std::string& uuid, const SightingInput& s,
                                          const access::IntelViewer& viewer, const core::Actor& actor) {
    if (s.count < 1 || s.count > 1000000000) return core::Invalid("count", "count must be between 1 and 10^9");
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<Indicator> {
        auto scope = policy_.EventScope(viewer, "e");
        auto rows = MUHAFIZ_TRY(conn->Query(std::string(kIndicatorSelect) + " WHERE i.uuid = ? AND " + scope.sql,
                                            Join({uuid}, scope.params)));
        if (rows.empty()) return core::NotFound("no such indicator");
        Indicator i = IndicatorFromRow(rows[0]);
        const core::Micros at = s.seen_at.value_or(core::NowMicros());
        MUHAFIZ_TRY(conn->Execute(
            "INSERT INTO intel_sightings (uuid, indicator_id, organisation_id, count, first_seen, last_seen, source, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            {core::NewUuidV7(), i.id, viewer.organisation_id, s.count, at, at, s.source, core::NowMicros()}));
        i.sightings += s.count;
        i.last_seen = std::max(i.last_seen.value_or(0), at);
        MUHAFIZ_CHECK(audit_.Append(*conn, db::AuditRecord{actor, "intel.sighting", "intel_indicator", i.uuid, "",
                                                           core::ToJson(json::object{{"count", s.count},
                                                                                     {"seen_at", core::FormatRfc3339(at)},
                                                                                     {"source", s.source}})}));
        return i;
    });
}

Result<std::vector<Sighting>> IntelStore::ListSightings(const std::string& uuid, const access::IntelViewer& viewer) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto scope = policy_.EventScope(viewer, "e");
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT i.id, e.organisation_id FROM intel_indicators i JOIN intel_events e ON e.id = i.event_id WHERE i.uuid = ? "
        "AND " + scope.sql,
        Join({uuid}, scope.params)));
    if (rows.empty()) return core::NotFound("no such indicator");
    const bool creator = rows[0].Int(1) == viewer.organisation_id;
    auto list = MUHAFIZ_TRY(conn->Query(
        "SELECT o.id, o.uuid, o.name, s.count, s.first_seen, s.last_seen, s.source FROM intel_sightings s JOIN "
        "organisations o ON o.id = s.organisation_id WHERE s.indicator_id = ? AND (? = 1 OR s.organisation_id = ?) "
        "ORDER BY s.last_seen DESC LIMIT 1000",
        {rows[0].Int(0), db::Bool(creator), viewer.organisation_id}));
    std::vector<Sighting> out;
    for (const auto& r : list)
        out.push_back(Sighting{OrgRef{r.Int(0), r.Str(1), r.Str(2)}, r.Int(3), r.Int(4), r.Int(5), r.Str(6)});
    return out;
}

Result<std::vector<OrgRef>> IntelStore::Recipients(const std::string& uuid, const EventPatch& what_if,
                                                   const access::IntelViewer& viewer) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto scope = policy_.EventScope(viewer, "e");
    Event e = MUHAFIZ_TRY(Load(*conn, "e.uuid = ? AND " + scope.sql, Join({uuid}, scope.params)));
    if (e.organisation.id != viewer.organisation_id)
        return core::Fail(ErrorCode::kPermissionDenied, "only the organisation that created the event may preview its recipients");
    if (what_if.tlp) e.tlp = *what_if.tlp;
    if (what_if.audience) e.audience = *what_if.audience;
    if (what_if.recipients) {
        std::vector<std::pair<std::int64_t, std::string>> r;
        MUHAFIZ_CHECK(ResolveRecipients(*conn, *what_if.recipients, r));
        e.recipients.clear();
        e.recipient_paths.clear();
        for (const auto& [id, path] : r) {
            e.recipients.push_back(OrgRef{id, "", ""});
            e.recipient_paths.push_back(path);
        }
    }
    const access::IntelMarking m = MarkingOf(e);
    auto orgs = MUHAFIZ_TRY(AllOrganisations(*conn));
    std::unordered_map<std::int64_t, const Org*> by_id;
    for (const auto& o : orgs) by_id[o.id] = &o;
    std::vector<OrgRef> out;
    for (const auto& o : orgs) {
        access::IntelViewer v;
        v.organisation_id = o.id;
        v.path = o.path;
        v.sector = o.sector;
        auto ids = PathIds(o.path);
        for (auto it = ids.rbegin(); it != ids.rend(); ++it)
            if (auto f = by_id.find(*it); f != by_id.end() && !f->second->sector.empty())
                v.sectors.push_back(f->second->sector);
        const Org* root = ids.empty() ? nullptr : (by_id.count(ids.front()) ? by_id[ids.front()] : nullptr);
        v.in_tree = root && root->kind == "national_cert" && o.kind != "partner_cert";
        v.is_root = o.kind == "national_cert" && ids.size() == 1;
        v.is_partner = o.kind == "partner_cert";
        v.council = o.kind == "cert_council";
        if (policy_.Allows(m, v)) out.push_back(OrgRef{o.id, o.uuid, o.name});
    }
    return out;
}

// --- correlation ------------------------------------------------------------------------------

Result<std::vector<Correlation>> IntelStore::Correlations(const std::string& event_uuid,
                                                          const access::IntelViewer& viewer, int per_value_limit) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto scope = policy_.EventScope(viewer, "e");
    Event e = MUHAFIZ_TRY(Load(*conn, "e.uuid = ? AND " + scope.sql, Join({event_uuid}, scope.params)));
    auto rows = MUHAFIZ_TRY(conn->Query(std::string(kIndicatorSelect) + " WHERE i.event_id = ? ORDER BY i.id LIMIT 2000",
                                        {e.id}));
    std::vector<Correlation> out;
    for (const auto& r : rows) {
        Correlation c;
        c.indicator = IndicatorFromRow(r);
        auto count = MUHAFIZ_TRY(conn->Query("SELECT events FROM intel_values WHERE type = ? AND value = ?",
                                             {std::string(TypeName(c.indicator.type)), c.indicator.value}));
        c.event_count = count.empty() ? 1 : count[0].Int(0);
        if (c.event_count <= 1) continue;
        c.over_correlating = c.event_count > settings_.correlation_limit;
        if (!c.over_correlating) {
            auto others = MUHAFIZ_TRY(conn->Query(
                "SELECT DISTINCT e.id, e.uuid, e.title FROM intel_indicators i JOIN intel_events e ON e.id = "
                "i.event_id WHERE i.type = ? AND i.value = ? AND i.event_id <> ? AND " +
                    scope.sql + " ORDER BY e.id DESC LIMIT ?",
                Join({std::string(TypeName(c.indicator.type)), c.indicator.value, e.id}, Join(scope.params, {std::int64_t{per_value_limit}}))));
            for (const auto& o : others) c.events.push_back(OrgRef{0, o.Str(1), o.Str(2)});
            if (c.events.empty()) continue;  // the other events are invisible to this viewer
            c.event_count = static_cast<std::int64_t>(c.events.size()) + 1;  // only what the viewer may see
        }
        out.push_back(std::move(c));
    }
    return out;
}

Result<std::vector<Correlation>> IntelStore::CorrelateValue(const std::string& type, const std::string& value,
                                                            const access::IntelViewer& viewer) {
    IndicatorType t = MUHAFIZ_TRY(ParseType(type));
    std::string v = MUHAFIZ_TRY(Normalise(t, value));
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto count = MUHAFIZ_TRY(conn->Query("SELECT events FROM intel_values WHERE type = ? AND value = ?",
                                         {std::string(TypeName(t)), v}));
    Correlation c;
    c.indicator.type = t;
    c.indicator.value = v;
    c.event_count = count.empty() ? 0 : count[0].Int(0);
    c.over_correlating = c.event_count > settings_.correlation_limit;
    if (!c.over_correlating) {
        auto scope = policy_.EventScope(viewer, "e");
        auto others = MUHAFIZ_TRY(conn->Query(
            "SELECT DISTINCT e.id, e.uuid, e.title FROM intel_indicators i JOIN intel_events e ON e.id = i.event_id "
            "WHERE i.type = ? AND i.value = ? AND " + scope.sql + " ORDER BY e.id DESC LIMIT 100",
            Join({std::string(TypeName(t)), v}, scope.params)));
        for (const auto& o : others) c.events.push_back(OrgRef{0, o.Str(1), o.Str(2)});
        c.event_count = static_cast<std::int64_t>(c.events.size());  // only what the viewer may see
    }
    return std::vector<Correlation>{c};
}

Result<std::vector<OverCorrelating>> IntelStore::OverCorrelatingValues(int limit, const access::IntelViewer& viewer) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto scope = policy_.EventScope(viewer, "e");
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT v.type, v.value, v.events FROM intel_values v WHERE v.events > ? AND EXISTS (SELECT 1 FROM "
        "intel_indicators i JOIN intel_events e ON e.id = i.event_id WHERE i.type = v.type AND i.value = v.value AND " +
            scope.sql + ") ORDER BY v.events DESC, v.type, v.value LIMIT ?",
        Join(Join({settings_.correlation_limit}, scope.params), {std::int64_t{limit}})));
    std::vector<OverCorrelating> out;
    for (const auto& r : rows) out.push_back({r.Str(0), r.Str(1), r.Int(2)});
    return out;
}

Result<std::int64_t> IntelStore::RebuildCorrelation() {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return db::InTransaction(*conn, [&]() -> Result<std::int64_t> {
        MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_values"));
        return conn->Execute(
            "INSERT INTO intel_values (type, value, events) SELECT type, value, COUNT(DISTINCT event_id) FROM "
            "intel_indicators GROUP BY type, value");
    });
}

Result<std::int64_t> IntelStore::ExpireStale(core::Micros now) {
    if (settings_.indicator_max_age_days <= 0) return std::int64_t{0};
    const core::Micros cutoff = now - settings_.indicator_max_age_days * 86400LL * 1000000LL;
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    return conn->Execute(
        "UPDATE intel_indicators SET valid_until = ?, updated_at = ? WHERE valid_until IS NULL AND valid_from < ? AND "
        "NOT EXISTS (SELECT 1 FROM intel_sightings s WHERE s.indicator_id = intel_indicators.id AND s.last_seen >= ?)",
        {now, now, cutoff, cutoff});
}

// --- TAXII state --------------------------------------------------------------------------------

Status IntelStore::SaveTaxiiStatus(const std::string& uuid, std::int64_t organisation_id, const std::string& body) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    const core::Micros now = core::NowMicros();
    MUHAFIZ_TRY(conn->Execute("DELETE FROM intel_taxii_status WHERE created_at < ?", {now - 7LL * 86400 * 1000000}));
    MUHAFIZ_TRY(conn->Execute("INSERT INTO intel_taxii_status (uuid, organisation_id, created_at, body) VALUES (?, ?, ?, ?)",
                              {uuid, organisation_id, now, body}));
    return core::Ok();
}

Result<std::string> IntelStore::TaxiiStatus(const std::string& uuid, std::int64_t organisation_id) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query(
        "SELECT body FROM intel_taxii_status WHERE uuid = ? AND organisation_id = ? AND created_at >= ?",
        {uuid, organisation_id, core::NowMicros() - 7LL * 86400 * 1000000}));
    if (rows.empty()) return core::NotFound("no such status");
    return rows[0].Str(0);
}

Result<std::string> IntelStore::TaxiiCursor(const std::string& url, const std::string& collection) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    auto rows = MUHAFIZ_TRY(conn->Query("SELECT last_added FROM intel_taxii_cursors WHERE url = ? AND collection = ?",
                                        {url, collection}));
    return rows.empty() ? std::string() : rows[0].Str(0);
}

Status IntelStore::SaveTaxiiCursor(const std::string& url, const std::string& collection,
                                   const std::string& last_added, std::int64_t pulled) {
    auto conn = MUHAFIZ_TRY(db_.Acquire());
    MUHAFIZ_TRY(conn->Execute(
        "INSERT INTO intel_taxii_cursors (url, collection, last_added, pulled, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (url, collection) DO UPDATE SET last_added = excluded.last_added, pulled = "
        "intel_taxii_cursors.pulled + excluded.pulled, updated_at = excluded.updated_at",
        {url, collection, last_added, pulled, core::NowMicros()}));
    return core::Ok();
}

Result<std::string> IntelStore::PullEvent(const std::string& url, const std::string& collection,
                                          std::int64_t organisation_id, Tlp tlp, Audience audience) {
    const std::string source = "taxii:" + url + "#" + collection;
    {
        auto conn = MUHAFIZ_TRY(db_.Acquire());
        auto rows = MUHAFIZ_TRY(conn->Query("SELECT uuid FROM intel_events WHERE source = ? AND organisation_id = ?",
                                            {source, organisation_id}));
        if (!rows.empty()) return rows[0].Str(0);
    }
    EventInput in;
    in.title = "TAXII " + url + " collection " + collection;
    in.description = "Objects pulled from a TAXII 2.1 collection.";
    in.tlp = tlp;
    in.audience = audience;
    in.source = source;
    core::Actor system;
    auto e = MUHAFIZ_TRY(Create(in, organisation_id, system));
    return e.uuid;
}

}  // namespace muhafiz::intel

// ---- Added for TAXII DELETE (inteltaxii, issue #4 part 2): additive, outside the class. ------
namespace muhafiz::intel {

Result<std::int64_t> DeleteTaxiiObject(IntelStore& store, const db::AuditSink& audit, const std::string& stix_id,
                                       Audience audience, const access::IntelViewer& viewer, const core::Actor& actor,
                                       const TaxiiVersionMatch& match) {
    auto conn = MUHAFIZ_TRY(store.database().Acquire());
    return db::InTransaction(*conn, [&]() -> Result<std::int64_t> {
        const std::string events =
            "SELECT id FROM intel_events WHERE organisation_id = ? AND audience = ?";
        const db::Params owner{viewer.organisation_id, std::string(access::AudienceName(audience))};
        // The versions to delete: all, or first/last (of the versions of the same event not
        // deleted yet) and exact instants, ORed.
        std::string versions;
        db::Params version_params;
        if (match.mode != "all") {
            const std::string same =
                "x.stix_id = intel_objects.stix_id AND x.event_id = intel_objects.event_id AND x.deleted = 0";
            std::vector<std::string> parts;
            if (match.mode.find("last") != std::string::npos)
                parts.push_back("version_us = (SELECT MAX(x.version_us) FROM intel_objects x WHERE " + same + ")");
            if (match.mode.find("first") != std::string::npos)
                parts.push_back("version_us = (SELECT MIN(x.version_us) FROM intel_objects x WHERE " + same + ")");
            for (auto v : match.versions) {
                parts.push_back("version_us = ?");
                version_params.emplace_back(v);
            }
            if (parts.empty()) parts.push_back("1=0");
            for (const auto& part : parts) versions += (versions.empty() ? " AND (" : " OR ") + part;
            versions += ")";
        }
        // Versions held in indicator rows (migration 018) move to intel_objects first: marked
        // deleted there like every other version.
        if (stix_id.starts_with("indicator--"))
            MUHAFIZ_CHECK(MoveInRowObjects(*conn, "stix_id = ? AND event_id IN (" + events + ")", Join({stix_id}, owner)));
        // The latest version of each event's object before: an indicator whose latest version
        // stays is not touched.
        std::map<std::int64_t, core::Micros> latest_before;
        if (stix_id.starts_with("indicator--"))
            for (const auto& r : MUHAFIZ_TRY(conn->Query(
                     "SELECT event_id, MAX(version_us) FROM intel_objects WHERE stix_id = ? AND deleted = 0 AND event_id "
                     "IN (" + events + ") GROUP BY event_id",
                     Join({stix_id}, owner))))
                latest_before[r.Int(0)] = r.Int(1);
        auto marked = MUHAFIZ_TRY(conn->Execute(
            "UPDATE intel_objects SET deleted = 1 WHERE stix_id = ? AND deleted = 0 AND event_id IN (" + events + ")" +
                versions,
            Join(Join({stix_id}, owner), version_params)));
        if (marked == 0 || !stix_id.starts_with("indicator--")) return marked;
        auto rows = MUHAFIZ_TRY(conn->Query(
            "SELECT i.id, i.uuid, i.type, i.value, i.event_id FROM intel_indicators i WHERE i.stix_id = ? AND i.event_id IN (" +
                events + ")",
            Join({stix_id}, owner)));
        const core::Micros now = core::NowMicros();
        for (const auto& r : rows) {
            const std::int64_t id = r.Int(0), event_id = r.Int(4);
            const std::string type = r.Str(2), value = r.Str(3);
            auto remaining = MUHAFIZ_TRY(conn->Query(
                "SELECT version, version_us, content FROM intel_objects WHERE stix_id = ? AND event_id = ? AND deleted = 0 "
                "ORDER BY version_us DESC, date_added DESC LIMIT 1",
                {stix_id, event_id}));
            if (!remaining.empty()) {
                // Versions remain: the indicator follows the latest of them when that changed.
                auto before = latest_before.find(event_id);
                if (before != latest_before.end() && before->second == remaining[0].Int(1)) continue;
                const std::string text =
                    RenderLeanIndicator(stix_id, remaining[0].Str(0), remaining[0].Str(2));
                auto v = core::ParseJson(text);
                if (!v || !v->is_object()) continue;
                const json::object& o = v->as_object();
                auto str = [&](std::string_view k) {
                    auto x = o.if_contains(k);
                    return x && x->is_string() ? std::string(x->as_string()) : std::string();
                };
                auto parsed = ParseStixPattern(str("pattern"));
                auto from = core::ParseRfc3339(str("valid_from"));
                if (!parsed || !*parsed || !from) continue;  // not a simple indicator: kept as it is
                std::optional<core::Micros> until;
                if (auto u = str("valid_until"); !u.empty()) until = core::ParseRfc3339(u);
                std::string comment = str("name");
                if (comment.empty()) comment = str("description");
                MUHAFIZ_TRY(conn->Execute(
                    "UPDATE intel_indicators SET type = ?, value = ?, original = '', comment = ?, valid_from = ?, "
                    "valid_until = ?, updated_at = ? WHERE id = ?",
                    {std::string(TypeName((*parsed)->type)), (*parsed)->value, comment, *from,
                     db::Opt(until && *until > *from ? until : std::nullopt), now, id}));
                MUHAFIZ_TRY(conn->Execute(
                    "UPDATE intel_events SET version = version + 1, updated_at = CASE WHEN updated_at >= ? THEN "
                    "updated_at + 1 ELSE ? END WHERE id = ?",
                    {now, now, event_id}));
                MUHAFIZ_CHECK(RecountValue(*conn, type, value));
                const std::string new_type(TypeName((*parsed)->type));
                MUHAFIZ_TRY(conn->Execute(
                    "INSERT INTO intel_values (type, value, events) SELECT ?, ?, COUNT(DISTINCT event_id) FROM "
                    "intel_indicators WHERE type = ? AND value = ? ON CONFLICT (type, value) DO UPDATE SET events = "
                    "excluded.events",
                    {new_type, (*parsed)->value, new_type, (*parsed)->value}));
                MUHAFIZ_CHECK(audit.Append(*conn, db::AuditRecord{actor, "intel.indicator.update", "intel_indicator",
                                                                  r.Str(1),
                                                                  core::ToJson(json::object{{"type", type}, {"value", value}}),
                                                                  core::ToJson(json::object{{"stix_id", stix_id},
                                                                                            {"version", remaining[0].Str(0)},
                                                                                            {"type", new_type},
                                                                                            {"value", (*parsed)->value}})}));
                continue;
            }
            MUHAFIZ_CHECK(DropIndicatorRow(*conn, id, type, value));
            MUHAFIZ_TRY(conn->Execute(
                "UPDATE intel_events SET indicator_count = (SELECT COUNT(*) FROM intel_indicators WHERE event_id = ?), "
                "version = version + 1, updated_at = CASE WHEN updated_at >= ? THEN updated_at + 1 ELSE ? END WHERE id = ?",
                {event_id, now, now, event_id}));
            MUHAFIZ_CHECK(audit.Append(*conn, db::AuditRecord{actor, "intel.indicator.delete", "intel_indicator", r.Str(1),
                                                              core::ToJson(json::object{{"stix_id", stix_id},
                                                                                        {"type", type},
                                                                                        {"value", value}}),
                                                              ""}));
        }
        return marked;
    });
}

}  // namespace muhafiz::intel
