#include "vulns/api/vulns_api.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "core/ids.hpp"
#include "core/time.hpp"

namespace muhafiz::vulns::api {
namespace json = core::json;
using access::Principal;
using core::ErrorCode;
using core::Result;
using http::Request;
using http::Response;

namespace {

// ---- parameters
// -----------------------------------------------------------------------------------

std::optional<std::string> NonEmpty(const Request& req, std::string_view name) {
    auto v = req.Query(name);
    if (!v || v->empty()) return std::nullopt;
    return v;
}

Result<std::optional<double>> DoubleParam(const Request& req, std::string_view name, double lo,
                                          double hi) {
    auto v = NonEmpty(req, name);
    if (!v) return std::optional<double>();
    double d = 0;
    const char* end = v->data() + v->size();
    auto [ptr, ec] = std::from_chars(v->data(), end, d);
    if (ec != std::errc() || ptr != end || !std::isfinite(d) || d < lo || d > hi)
        return core::Invalid(std::string(name), std::string(name) + " must be a number between " +
                                                    std::to_string(static_cast<int>(lo)) + " and " +
                                                    std::to_string(static_cast<int>(hi)));
    return std::optional<double>(d);
}

Result<std::optional<bool>> BoolParam(const Request& req, std::string_view name) {
    auto v = NonEmpty(req, name);
    if (!v) return std::optional<bool>();
    if (*v == "true" || *v == "1") return std::optional<bool>(true);
    if (*v == "false" || *v == "0") return std::optional<bool>(false);
    return core::Invalid(std::string(name), std::string(name) + " must be true or false");
}

// "2024-01-01" (UTC midnight) or an RFC 3339 time.
Result<std::optional<core::Micros>> SinceParam(const Request& req) {
    auto v = NonEmpty(req, "since");
    if (!v) return std::optional<core::Micros>();
    std::string text = *v;
    if (text.size() == 10) text += "T00:00:00Z";
    auto t = core::ParseRfc3339(text);
    if (!t) return core::Invalid("since", "since must be a date (YYYY-MM-DD) or an RFC 3339 time");
    return std::optional<core::Micros>(*t);
}

// ---- permissions
// ----------------------------------------------------------------------------------

// Changes to assets and findings: admins and analysts with the write scope.
bool CanManageAssets(const Principal& p) {
    return (p.role == access::Role::kAdmin || p.role == access::Role::kAnalyst) &&
           access::MayWrite(p) && access::SeesRecords(p);
}

// Imports of vulnerability data: admins and analysts of the National CERT.
bool CanImportVulns(const Principal& p) { return p.is_national && CanManageAssets(p); }

Response NoRecords() {
    return Response::Error(ErrorCode::kPermissionDenied,
                           "the Council sees aggregates only: use /api/v1/exposure");
}

// ---- JSON ---------------------------------------------------------------------------------------

json::value OptNumber(const std::optional<double>& d) {
    return d ? json::value(*d) : json::value(nullptr);
}

json::value Time(core::Micros t) {
    return t ? json::value(core::FormatRfc3339(t)) : json::value(nullptr);
}

json::object OrgRef(const std::string& uuid, const std::string& name) {
    return json::object{{"id", uuid}, {"name", name}};
}

json::object VulnItem(const VulnRecord& r, std::int64_t exposed) {
    json::object o{{"cve_id", r.cve_id},
                   {"title", r.title},
                   {"description", r.description},
                   {"state", r.state},
                   {"published", Time(r.published)},
                   {"updated", Time(r.updated)},
                   {"cvss", nullptr},
                   {"epss", OptNumber(r.epss)},
                   {"epss_percentile", OptNumber(r.epss_percentile)},
                   {"kev", r.kev.has_value()},
                   {"exposed_organisations", exposed}};
    if (const CvssMetric* m = r.BestMetric())
        o["cvss"] = json::object{{"score", m->score},
                                 {"severity", m->severity},
                                 {"vector", m->vector},
                                 {"source", m->source}};
    return o;
}

json::value OptString(const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
}

json::array AffectedJson(const std::vector<AffectedEntry>& entries, std::string_view source) {
    json::array out;
    for (const AffectedEntry& e : entries) {
        json::array versions;
        for (const AffectedVersion& v : e.versions)
            versions.push_back(json::object{{"version", v.version},
                                            {"less_than", OptString(v.less_than)},
                                            {"less_than_or_equal", OptString(v.less_than_or_equal)},
                                            {"status", VulnStatusName(v.status)},
                                            {"version_type", OptString(v.version_type)}});
        json::array cpes;
        for (const auto& c : e.cpes) cpes.push_back(json::value(c));
        out.push_back(json::object{
            {"source", source},
            {"vendor", e.vendor},
            {"product", e.product},
            {"package_name",
             e.package_name.empty() ? json::value(nullptr) : json::value(e.package_name)},
            {"collection_url",
             e.collection_url.empty() ? json::value(nullptr) : json::value(e.collection_url)},
            {"cpes", std::move(cpes)},
            {"default_status", e.default_status ? json::value(VulnStatusName(*e.default_status))
                                                : json::value(nullptr)},
            {"versions", std::move(versions)}});
    }
    return out;
}

json::object AssetJson(const Asset& a, const AssetDetails* d) {
    json::object o = AssetToJson(a);
    o["version_row"] = a.version_row;
    o["organisation_name"] = d ? d->organisation_name : std::string();
    o["findings"] = d ? d->open_findings : 0;
    return o;
}

json::object FindingJson(const StoredFinding& s, const FindingDetails* d) {
    json::object o = FindingToJson(s);
    const Finding& f = s.finding;
    o["title"] = d ? d->title : std::string();
    o["asset"] = json::object{{"id", s.asset_uuid},
                              {"name", s.asset_name},
                              {"version", d ? d->asset_version : std::string()},
                              {"cpe", d ? d->asset_cpe : std::string()},
                              {"purl", d ? d->asset_purl : std::string()}};
    o["organisation"] = OrgRef(s.organisation_uuid, d ? d->organisation_name : std::string());
    const std::string_view sev = SeverityOf(f.cvss);
    o["severity"] = sev.empty() ? json::value(nullptr) : json::value(sev);
    return o;
}

Response WithETag(int status, const Asset& a, const AssetDetails* d) {
    Response r = Response::Json(status, AssetJson(a, d));
    r.Header("ETag", "\"" + std::to_string(a.version_row) + "\"");
    return r;
}

// The fields of an asset in a request body; null clears a text field.
Result<AssetPatch> AssetPatchFromJson(const json::object& body, bool with_organisation) {
    if (with_organisation)
        MUHAFIZ_CHECK(core::RejectUnknownFields(
            body, {"organisation_id", "name", "cpe", "purl", "vendor", "product", "version",
                   "version_scheme", "location", "criticality"}));
    else
        MUHAFIZ_CHECK(
            core::RejectUnknownFields(body, {"name", "cpe", "purl", "vendor", "product", "version",
                                             "version_scheme", "location", "criticality"}));
    AssetPatch p;
    auto text = [&](std::string_view key, std::optional<std::string>& out) -> core::Status {
        const json::value* v = core::Find(body, key);
        if (!v) return core::Ok();
        if (v->is_null()) {
            out = std::string();
            return core::Ok();
        }
        if (!v->is_string())
            return core::Invalid(std::string(key), "'" + std::string(key) + "' must be a string");
        out = std::string(v->as_string());
        return core::Ok();
    };
    MUHAFIZ_CHECK(text("name", p.name));
    MUHAFIZ_CHECK(text("cpe", p.cpe));
    MUHAFIZ_CHECK(text("purl", p.purl));
    MUHAFIZ_CHECK(text("vendor", p.vendor));
    MUHAFIZ_CHECK(text("product", p.product));
    MUHAFIZ_CHECK(text("version", p.version));
    MUHAFIZ_CHECK(text("version_scheme", p.version_scheme));
    MUHAFIZ_CHECK(text("location", p.location));
    if (auto c = MUHAFIZ_TRY(core::GetString(body, "criticality"))) {
        p.criticality = ParseCriticality(*c);
        if (!p.criticality)
            return core::Invalid("criticality",
                                 "criticality must be low, medium, high or critical");
    }
    return p;
}

json::object ImportReportJson(const ImportReport& r) {
    json::array problems;
    for (const auto& p : r.problems)
        problems.push_back(
            json::object{{"line", p.line}, {"field", p.field}, {"message", p.message}});
    return json::object{{"entries", r.entries},    {"created", r.created},
                        {"updated", r.updated},    {"unchanged", r.unchanged},
                        {"skipped", r.skipped},    {"problems", std::move(problems)},
                        {"committed", r.committed}};
}

Result<FindingFilter> ParseFindingFilter(const Request& req) {
    FindingFilter f;
    f.organisation = NonEmpty(req, "organisation_id");
    f.asset = NonEmpty(req, "asset_id");
    if (auto s = NonEmpty(req, "state")) {
        f.state = ParseFindingState(*s);
        if (!f.state)
            return core::Invalid("state", "state must be open, not_applicable or resolved");
    }
    if (auto s = NonEmpty(req, "status")) {
        auto st = ParseVulnStatus(*s);
        if (!st || *st == VulnStatus::kUnaffected)
            return core::Invalid("status", "status must be affected or unknown");
        f.status = st;
    }
    f.kev = MUHAFIZ_TRY(BoolParam(req, "kev"));
    f.min_priority = MUHAFIZ_TRY(DoubleParam(req, "min_priority", 0, 1000));
    if (auto c = NonEmpty(req, "cve")) {
        if (!IsCveId(*c)) return core::Invalid("cve", "cve must be a CVE id (CVE-YYYY-NNNN)");
        f.cve = *c;
    }
    if (auto s = NonEmpty(req, "sort")) f.sort = *s;
    f.limit = MUHAFIZ_TRY(access::api::LimitParam(req));
    f.cursor = req.Query("cursor").value_or("");
    return f;
}

Result<VulnFilter> ParseVulnFilter(const Request& req) {
    VulnFilter f;
    f.q = NonEmpty(req, "q");
    f.kev_only = MUHAFIZ_TRY(BoolParam(req, "kev")).value_or(false);
    f.min_cvss = MUHAFIZ_TRY(DoubleParam(req, "min_cvss", 0, 10));
    f.min_epss = MUHAFIZ_TRY(DoubleParam(req, "min_epss", 0, 1));
    f.published_since = MUHAFIZ_TRY(SinceParam(req));
    f.product = NonEmpty(req, "product");
    f.vendor = NonEmpty(req, "vendor");
    f.include_rejected = MUHAFIZ_TRY(BoolParam(req, "include_rejected")).value_or(false);
    if (auto s = NonEmpty(req, "sort")) f.sort = *s;
    f.limit = MUHAFIZ_TRY(access::api::LimitParam(req));
    f.cursor = req.Query("cursor").value_or("");
    return f;
}

json::object Counts(const ExposureSummary& s) {
    return json::object{{"findings", s.open}, {"kev", s.kev},        {"critical", s.critical},
                        {"high", s.high},     {"medium", s.medium},  {"low", s.low},
                        {"none", s.none},     {"unknown", s.unknown}};
}

void Add(ExposureSummary& to, const ExposureSummary& s) {
    to.open += s.open;
    to.affected += s.affected;
    to.unknown += s.unknown;
    to.kev += s.kev;
    to.critical += s.critical;
    to.high += s.high;
    to.medium += s.medium;
    to.low += s.low;
    to.none += s.none;
    to.not_applicable += s.not_applicable;
    to.resolved += s.resolved;
}

}  // namespace

core::Status RegisterVulnRoutes(http::Router& router, const access::api::Guard& guard,
                                VulnService& service, VulnStore& vulns, AssetStore& assets,
                                FindingStore& findings) {
    const access::Policy& policy = guard.policy();
    auto scope = [&policy](const Principal& p) { return policy.OrganisationScope(p, "o.path"); };
    auto refuse = [](std::string_view what) {
        return Response::Error(
            ErrorCode::kPermissionDenied,
            "only admins and analysts with the write scope may " + std::string(what));
    };

    // ---- vulnerabilities
    // ---------------------------------------------------------------------------

    MUHAFIZ_CHECK(guard.Route(
        router, "GET", "/api/v1/vulnerabilities", [&, scope](Request& req, const Principal& p) {
            if (!access::SeesRecords(p)) return NoRecords();
            auto f = ParseVulnFilter(req);
            if (!f) return Response::Error(f.error());
            auto page = vulns.Search(*f);
            if (!page) return Response::Error(page.error());
            std::vector<std::string> ids;
            for (const auto& r : page->items) ids.push_back(r.cve_id);
            auto exposed = service.ExposedOrganisations(ids, scope(p));
            if (!exposed) return Response::Error(exposed.error());
            json::array items;
            for (const auto& r : page->items) {
                auto it = exposed->find(r.cve_id);
                items.push_back(VulnItem(r, it == exposed->end() ? 0 : it->second));
            }
            return Response::Json(
                200, access::api::ListEnvelope(std::move(items), page->total, page->next));
        }));

    MUHAFIZ_CHECK(guard.Route(
        router, "GET", "/api/v1/vulnerabilities/{cve_id}",
        [&, scope](Request& req, const Principal& p) {
            if (!access::SeesRecords(p)) return NoRecords();
            std::string id = req.PathParam("cve_id");
            for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (!IsCveId(id)) return Response::Error(ErrorCode::kNotFound, "no such vulnerability");
            auto r = vulns.Get(id);
            if (!r) return Response::Error(r.error());
            FindingFilter ff;
            ff.cve = id;
            ff.limit = 500;
            auto exposure = findings.List(ff, scope(p));
            if (!exposure) return Response::Error(exposure.error());
            auto details = service.DescribeFindings(exposure->items);
            if (!details) return Response::Error(details.error());
            json::array entries;
            std::set<std::string> organisations;
            for (const auto& s : exposure->items) {
                auto d = details->find(s.id);
                const FindingDetails* fd = d == details->end() ? nullptr : &d->second;
                if (s.state == FindingState::kOpen) organisations.insert(s.organisation_uuid);
                entries.push_back(json::object{
                    {"finding_id", s.uuid},
                    {"organisation",
                     OrgRef(s.organisation_uuid, fd ? fd->organisation_name : std::string())},
                    {"asset", json::object{{"id", s.asset_uuid},
                                           {"name", s.asset_name},
                                           {"version", fd ? fd->asset_version : std::string()}}},
                    {"status", VulnStatusName(s.finding.status)},
                    {"reason", s.finding.reason},
                    {"priority", s.finding.priority},
                    {"state", FindingStateName(s.state)}});
            }
            json::object o = VulnItem(*r, static_cast<std::int64_t>(organisations.size()));
            json::array affected = AffectedJson(r->cna_affected, "cna");
            for (auto& a : AffectedJson(r->adp_affected, "adp")) affected.push_back(std::move(a));
            o["affected"] = std::move(affected);
            json::array metrics;
            for (const auto& m : r->metrics)
                metrics.push_back(json::object{{"source", m.source},
                                               {"vector", m.vector},
                                               {"score", m.score},
                                               {"severity", m.severity}});
            o["metrics"] = std::move(metrics);
            json::array cwes, refs;
            for (const auto& c : r->cwes) cwes.push_back(json::value(c));
            for (const auto& u : r->references) refs.push_back(json::value(u));
            o["cwes"] = std::move(cwes);
            o["references"] = std::move(refs);
            o["kev"] =
                r->kev ? json::value(json::object{{"date_added", r->kev->date_added},
                                                  {"due_date", r->kev->due_date},
                                                  {"required_action", r->kev->required_action},
                                                  {"known_ransomware", r->kev->known_ransomware}})
                       : json::value(nullptr);
            o["assigner"] = r->assigner;
            o["exposure"] = std::move(entries);
            return Response::Json(200, o);
        }));

    access::api::Guard::RouteFlags import_flags;
    import_flags.max_body_bytes = kMaxVulnImportBytes;
    MUHAFIZ_CHECK(guard.Route(
        router, "POST", "/api/v1/vulnerabilities/import",
        [&](Request& req, const Principal& p) {
            if (!CanImportVulns(p))
                return Response::Error(
                    ErrorCode::kPermissionDenied,
                    "only admins and analysts of the National CERT may import vulnerability data");
            IngestKind kind = IngestKind::kAuto;
            if (auto k = NonEmpty(req, "kind")) {
                auto parsed = ParseIngestKind(*k);
                if (!parsed)
                    return Response::Error(core::Error{ErrorCode::kInvalidArgument,
                                                       "kind must be auto, cve5, nvd, kev or epss",
                                                       "kind"});
                kind = *parsed;
            }
            if (req.body.find_first_not_of(" \t\r\n") == std::string::npos)
                return Response::Error(
                    core::Error{ErrorCode::kInvalidArgument,
                                "send the file (JSON, CSV, gzip or zip) as the body", "body"});
            const std::string source = "upload " + core::NewUuidV7() + " by " + p.username;
            auto out = service.IngestText(std::move(req.body), kind, source);
            if (!out) return Response::Error(out.error());
            const IngestReport& r = out->report;
            json::array problems;
            for (const auto& pr : out->problems)
                problems.push_back(json::object{{"record", pr.record}, {"reason", pr.reason}});
            return Response::Json(200, json::object{{"files", r.files},
                                                    {"records", r.records},
                                                    {"inserted", r.inserted},
                                                    {"updated", r.updated},
                                                    {"unchanged", r.unchanged},
                                                    {"older", r.older},
                                                    {"rejected", r.rejected},
                                                    {"skipped", r.skipped},
                                                    {"seconds", r.seconds},
                                                    {"problems", std::move(problems)},
                                                    {"matched_cves", out->matched_cves},
                                                    {"new_findings", out->new_findings}});
        },
        import_flags));

    // ---- assets
    // ------------------------------------------------------------------------------------

    // Captured by value by the handlers below (they outlive this function).
    auto asset_details = [svc = &service](const Asset& a) {
        auto d = svc->DescribeAssets({a.id});
        return d && d->count(a.id) ? std::optional<AssetDetails>((*d)[a.id]) : std::nullopt;
    };

    MUHAFIZ_CHECK(
        guard.Route(router, "GET", "/api/v1/assets", [&, scope](Request& req, const Principal& p) {
            if (!access::SeesRecords(p)) return NoRecords();
            AssetFilter f;
            f.organisation = NonEmpty(req, "organisation_id");
            f.q = NonEmpty(req, "q");
            if (auto c = NonEmpty(req, "criticality")) {
                f.criticality = ParseCriticality(*c);
                if (!f.criticality)
                    return Response::Error(core::Error{
                        ErrorCode::kInvalidArgument,
                        "criticality must be low, medium, high or critical", "criticality"});
            }
            if (auto s = NonEmpty(req, "sort")) f.sort = *s;
            auto limit = access::api::LimitParam(req);
            if (!limit) return Response::Error(limit.error());
            f.limit = *limit;
            f.cursor = req.Query("cursor").value_or("");
            auto page = assets.List(f, scope(p));
            if (!page) return Response::Error(page.error());
            std::vector<std::int64_t> ids;
            for (const auto& a : page->items) ids.push_back(a.id);
            auto details = service.DescribeAssets(ids);
            if (!details) return Response::Error(details.error());
            json::array items;
            for (const auto& a : page->items) {
                auto d = details->find(a.id);
                items.push_back(AssetJson(a, d == details->end() ? nullptr : &d->second));
            }
            return Response::Json(
                200, access::api::ListEnvelope(std::move(items), page->total, page->next));
        }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/assets",
                              [&, scope, refuse, asset_details](Request& req, const Principal& p) {
                                  if (!CanManageAssets(p)) return refuse("create assets");
                                  auto body = access::api::JsonBody(req);
                                  if (!body) return Response::Error(body.error());
                                  auto patch = AssetPatchFromJson(*body, true);
                                  if (!patch) return Response::Error(patch.error());
                                  auto org = core::GetString(*body, "organisation_id");
                                  if (!org) return Response::Error(org.error());
                                  const std::string organisation =
                                      org->value_or(p.organisation_uuid);
                                  auto a = service.CreateAsset(organisation, *patch, scope(p),
                                                               access::api::Guard::ActorOf(p, req));
                                  if (!a) return Response::Error(a.error());
                                  const auto d = asset_details(*a);
                                  Response r = WithETag(201, *a, d ? &*d : nullptr);
                                  r.Header("Location", "/api/v1/assets/" + a->uuid);
                                  return r;
                              }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/assets/{id}",
                              [&, scope, asset_details](Request& req, const Principal& p) {
                                  if (!access::SeesRecords(p)) return NoRecords();
                                  auto a = assets.Get(req.PathParam("id"), scope(p));
                                  if (!a) return Response::Error(a.error());
                                  const auto d = asset_details(*a);
                                  return WithETag(200, *a, d ? &*d : nullptr);
                              }));

    MUHAFIZ_CHECK(guard.Route(router, "PATCH", "/api/v1/assets/{id}",
                              [&, scope, refuse, asset_details](Request& req, const Principal& p) {
                                  if (!CanManageAssets(p)) return refuse("change assets");
                                  auto expected = http::IfMatchVersion(req);
                                  if (!expected) return Response::Error(expected.error());
                                  auto body = access::api::JsonBody(req);
                                  if (!body) return Response::Error(body.error());
                                  auto patch = AssetPatchFromJson(*body, false);
                                  if (!patch) return Response::Error(patch.error());
                                  auto a = service.UpdateAsset(req.PathParam("id"), *patch,
                                                               *expected, scope(p),
                                                               access::api::Guard::ActorOf(p, req));
                                  if (!a) return Response::Error(a.error());
                                  const auto d = asset_details(*a);
                                  return WithETag(200, *a, d ? &*d : nullptr);
                              }));

    MUHAFIZ_CHECK(guard.Route(router, "DELETE", "/api/v1/assets/{id}",
                              [&, scope, refuse](Request& req, const Principal& p) {
                                  if (!CanManageAssets(p)) return refuse("delete assets");
                                  auto done =
                                      service.DeleteAsset(req.PathParam("id"), scope(p),
                                                          access::api::Guard::ActorOf(p, req));
                                  if (!done) return Response::Error(done.error());
                                  return Response::NoContent();
                              }));

    access::api::Guard::RouteFlags asset_import_flags;
    asset_import_flags.max_body_bytes = kMaxAssetImportBytes;
    MUHAFIZ_CHECK(guard.Route(
        router, "POST", "/api/v1/assets/import",
        [&, scope, refuse](Request& req, const Principal& p) {
            if (!CanManageAssets(p)) return refuse("import assets");
            const std::string organisation =
                NonEmpty(req, "organisation_id").value_or(p.organisation_uuid);
            AssetFormat format = AssetFormat::kCsv;
            if (auto f = NonEmpty(req, "format")) {
                if (*f == "csv")
                    format = AssetFormat::kCsv;
                else if (*f == "cyclonedx")
                    format = AssetFormat::kCycloneDx;
                else
                    return Response::Error(core::Error{
                        ErrorCode::kInvalidArgument, "format must be csv or cyclonedx", "format"});
            } else {
                const auto first = req.body.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
                const bool json_body =
                    req.Header("content-type").value_or("").find("json") != std::string::npos ||
                    (first != std::string::npos && req.body[first] == '{');
                format = json_body ? AssetFormat::kCycloneDx : AssetFormat::kCsv;
            }
            auto skip_bad = BoolParam(req, "skip_bad");
            if (!skip_bad) return Response::Error(skip_bad.error());
            if (req.body.empty())
                return Response::Error(
                    core::Error{ErrorCode::kInvalidArgument, "send the file as the body", "body"});
            auto report =
                service.ImportAssets(organisation, req.body, format, skip_bad->value_or(false),
                                     scope(p), access::api::Guard::ActorOf(p, req));
            if (!report) return Response::Error(report.error());
            return Response::Json(200, ImportReportJson(*report));
        },
        asset_import_flags));

    // ---- findings
    // ----------------------------------------------------------------------------------

    MUHAFIZ_CHECK(guard.Route(
        router, "GET", "/api/v1/findings", [&, scope](Request& req, const Principal& p) {
            if (!access::SeesRecords(p)) return NoRecords();
            auto f = ParseFindingFilter(req);
            if (!f) return Response::Error(f.error());
            auto page = findings.List(*f, scope(p));
            if (!page) return Response::Error(page.error());
            auto details = service.DescribeFindings(page->items);
            if (!details) return Response::Error(details.error());
            json::array items;
            for (const auto& s : page->items) {
                auto d = details->find(s.id);
                items.push_back(FindingJson(s, d == details->end() ? nullptr : &d->second));
            }
            return Response::Json(
                200, access::api::ListEnvelope(std::move(items), page->total, page->next));
        }));

    MUHAFIZ_CHECK(guard.Route(
        router, "PATCH", "/api/v1/findings/{id}",
        [&, scope, refuse](Request& req, const Principal& p) {
            if (!CanManageAssets(p)) return refuse("change findings");
            auto body = access::api::JsonBody(req);
            if (!body) return Response::Error(body.error());
            if (auto s = core::RejectUnknownFields(*body, {"state", "reason"}); !s)
                return Response::Error(s.error());
            auto state = core::GetString(*body, "state");
            if (!state) return Response::Error(state.error());
            auto reason = core::GetString(*body, "reason");
            if (!reason) return Response::Error(reason.error());
            const std::string wanted = state->value_or("");
            const core::Actor actor = access::api::Guard::ActorOf(p, req);
            Result<StoredFinding> f =
                core::Invalid("state", "state must be not_applicable (with a reason) or open");
            if (wanted == "not_applicable")
                f = findings.MarkNotApplicable(req.PathParam("id"), reason->value_or(""), scope(p),
                                               actor);
            else if (wanted == "open")
                f = findings.Reopen(req.PathParam("id"), scope(p), actor);
            if (!f) return Response::Error(f.error());
            auto details = service.DescribeFindings({*f});
            const FindingDetails* d =
                details && details->count(f->id) ? &details->at(f->id) : nullptr;
            return Response::Json(200, FindingJson(*f, d));
        }));

    // ---- exposure
    // ----------------------------------------------------------------------------------

    MUHAFIZ_CHECK(guard.Route(
        router, "GET", "/api/v1/exposure", [&, scope](Request& req, const Principal& p) {
            // The Council sees the aggregates of the whole constituency, without per-organisation
            // lines.
            const bool aggregates_only = !access::SeesRecords(p);
            const db::Predicate visible = aggregates_only ? db::Predicate{"1=1", {}} : scope(p);
            const auto wanted = NonEmpty(req, "organisation_id");
            auto org = service.FindOrganisation(
                wanted ? wanted
                       : (aggregates_only ? std::nullopt
                                          : std::optional<std::string>(p.organisation_uuid)),
                visible);
            if (!org) return Response::Error(org.error());
            auto rows = service.Exposure(org->uuid, visible);
            if (!rows) return Response::Error(rows.error());
            ExposureSummary totals;
            json::array by_org;
            std::map<std::string, ExposureSummary> sectors;
            for (const auto& row : *rows) {
                Add(totals, row.summary);
                Add(sectors[row.sector.empty() ? "unspecified" : row.sector], row.summary);
                if (aggregates_only) continue;
                json::object line = Counts(row.summary);
                json::object ref =
                    OrgRef(row.summary.organisation_uuid, row.summary.organisation_name);
                ref["kind"] = row.kind;
                ref["sector"] = row.sector;
                line["organisation"] = std::move(ref);
                by_org.push_back(std::move(line));
            }
            json::array by_sector;
            for (const auto& [sector, s] : sectors) {
                json::object line = Counts(s);
                line["sector"] = sector;
                by_sector.push_back(std::move(line));
            }
            return Response::Json(200, json::object{{"organisation", OrgRef(org->uuid, org->name)},
                                                    {"totals", Counts(totals)},
                                                    {"by_organisation", std::move(by_org)},
                                                    {"by_sector", std::move(by_sector)}});
        }));
    return {};
}

}  // namespace muhafiz::vulns::api
