#include "feeds/api/feeds_api.hpp"

#include "core/ids.hpp"
#include "core/time.hpp"

namespace muhafiz::feeds::api {
namespace json = core::json;
using access::Principal;
using core::ErrorCode;
using core::Result;
using http::Request;
using http::Response;

namespace {

std::optional<std::string> NonEmpty(const Request& req, std::string_view name) {
    auto v = req.Query(name);
    if (!v || v->empty()) return std::nullopt;
    return v;
}

Result<std::optional<core::Micros>> TimeParam(const Request& req, const char* name) {
    auto v = NonEmpty(req, name);
    if (!v) return std::optional<core::Micros>();
    std::string text = *v;
    if (text.size() == 10) text += "T00:00:00Z";
    auto t = core::ParseRfc3339(text);
    if (!t)
        return core::Invalid(name, std::string(name) + " must be a date (YYYY-MM-DD) or an RFC 3339 time");
    return std::optional<core::Micros>(*t);
}

bool IsOperator(const Principal& p) {
    return p.is_national && (p.role == access::Role::kAdmin || p.role == access::Role::kAnalyst);
}

Response NotOperator() {
    return Response::Error(ErrorCode::kPermissionDenied,
                           "feeds, runs, uploads and dead letters are managed by the National CERT's analysts");
}

Response NoRecords() {
    return Response::Error(ErrorCode::kPermissionDenied, "the Council sees aggregate figures only");
}

std::string Time(core::Micros t) { return core::FormatRfc3339(t); }

json::value OptTime(const std::optional<core::Micros>& t) {
    return t ? json::value(Time(*t)) : json::value(nullptr);
}

json::object RunJson(const RunRecord& r) {
    return json::object{{"id", r.uuid},
                        {"feed", r.feed},
                        {"source", r.source},
                        {"file_name", r.file_name},
                        {"file_hash", r.file_hash},
                        {"file_size", r.file_size},
                        {"format", r.format},
                        {"status", r.status},
                        {"lines", r.lines_read},
                        {"events", r.events},
                        {"rejected", r.rejected},
                        {"duplicates", r.duplicates},
                        {"aggregated", r.aggregated},
                        {"error", r.error},
                        {"started_at", Time(r.started_at)},
                        {"finished_at", OptTime(r.finished_at)},
                        {"created_by", r.created_by}};
}

// A run with the organisations its events were routed to (the run page and a finished upload).
core::Result<json::object> RunDetailJson(FeedStore& store, const RunRecord& run) {
    json::object o = RunJson(run);
    auto figures = store.RecipientFigures(db::Predicate{"fr.id = ?", {run.id}}, "");
    if (!figures) return tl::unexpected(figures.error());
    o["recipients"] = std::move(*figures);
    return o;
}

json::value OrgJson(const std::string& uuid, const std::string& name) {
    if (uuid.empty()) return nullptr;
    return json::object{{"id", uuid}, {"name", name}};
}

json::object EventJson(const StoredEvent& e) {
    json::object o{{"id", e.uuid},
                   {"feed", e.feed},
                   {"line", e.line},
                   {"time_source", Time(e.time_source)},
                   {"observed_at", Time(e.observed_at)},
                   {"classification", json::object{{"taxonomy", e.taxonomy}, {"type", e.type}, {"identifier", e.identifier}}},
                   {"severity", e.severity},
                   {"source_ip", e.source_ip},
                   {"source_asn", e.source_asn ? json::value(*e.source_asn) : json::value(nullptr)},
                   {"source_cc", e.source_cc},
                   {"organisation", OrgJson(e.organisation_uuid, e.organisation_name)},
                   {"recipient", OrgJson(e.recipient_uuid, e.recipient_name)},
                   {"route", e.route},
                   {"notify", e.notify},
                   {"count", e.count},
                   {"first_seen", Time(e.first_seen)},
                   {"last_seen", Time(e.last_seen)}};
    auto ev = core::ParseJsonObject(e.data);
    o["event"] = ev ? json::value(std::move(*ev)) : json::value(json::object{});
    return o;
}

json::object DeadJson(const DeadLetter& d) {
    return json::object{{"id", d.uuid},
                        {"feed", d.feed},
                        {"run_id", d.run_uuid},
                        {"file_name", d.file_name},
                        {"line", d.line},
                        {"reason", d.reason},
                        {"text", IsUtf8(d.raw) ? d.raw : std::string()},
                        {"raw_base64", Base64Encode(d.raw)},
                        {"state", d.state},
                        {"created_at", Time(d.created_at)},
                        {"replayed_at", OptTime(d.replayed_at)}};
}

json::object DigestJson(const DigestRecord& d) {
    return json::object{{"id", d.uuid},
                        {"reference", d.reference},
                        {"organisation", OrgJson(d.organisation_uuid, d.organisation_name)},
                        {"interval", d.interval},
                        {"events", d.events},
                        {"recipients", d.recipients},
                        {"encrypted", d.encrypted},
                        {"status", d.status},
                        {"delivery_status", d.delivery_status},
                        {"notification_id", d.notification_uuid},
                        {"reason", d.reason},
                        {"created_at", Time(d.created_at)}};
}

json::object FeedJson(const FeedConfig& f) {
    json::array senders;
    for (const auto& s : f.senders) senders.push_back(json::value(s));
    json::object o{{"name", f.name},
                   {"format", f.format},
                   {"provider", f.provider},
                   {"tlp", f.tlp},
                   {"min_severity", f.min_severity},
                   {"aggregate", f.aggregate},
                   {"dedup_window_seconds", f.dedup_window / 1000000},
                   {"senders", std::move(senders)},
                   {"configured", true}};
    if (f.fetch) {
        o["fetch"] = json::object{{"url", f.fetch->url}, {"interval_seconds", f.fetch->interval / 1000000}};
    } else {
        o["fetch"] = nullptr;
    }
    return o;
}

json::object UploadJson(const UploadJob& j) {
    const auto& p = j.progress;
    const double pct = p.bytes_total > 0 ? std::min(100.0, 100.0 * static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total))
                                         : (j.status == "done" ? 100.0 : 0.0);
    return json::object{{"id", j.id},
                        {"feed", j.feed},
                        {"format", j.format},
                        {"file_name", j.file_name},
                        {"size", j.size},
                        {"force", j.force},
                        {"status", j.status},
                        {"created_by", j.created_by},
                        {"created_at", Time(j.created_at)},
                        {"started_at", OptTime(j.started_at)},
                        {"finished_at", OptTime(j.finished_at)},
                        {"progress", json::object{{"bytes_done", p.bytes_done},
                                                  {"bytes_total", p.bytes_total},
                                                  {"percent", static_cast<std::int64_t>(pct)},
                                                  {"lines", p.lines},
                                                  {"events", p.events},
                                                  {"rejected", p.rejected},
                                                  {"duplicates", p.duplicates}}},
                        {"run_id", j.run_uuid.empty() ? json::value(nullptr) : json::value(j.run_uuid)},
                        {"already_ingested", j.already_ingested},
                        {"attempts", j.attempts},
                        {"error", j.error.empty() ? json::value(nullptr) : json::value(j.error)}};
}

json::object NetworkStatusJson(const NetworkDataStatus& s) {
    json::array files;
    for (const auto& f : s.files)
        files.push_back(json::object{{"path", f.path},
                                     {"kind", f.kind},
                                     {"size", f.size >= 0 ? json::value(f.size) : json::value(nullptr)},
                                     {"mtime", f.size >= 0 ? json::value(Time(f.mtime)) : json::value(nullptr)},
                                     {"entries", f.entries},
                                     {"detail", f.detail},
                                     {"loaded_at", OptTime(f.loaded_at)},
                                     {"error", f.error.empty() ? json::value(nullptr) : json::value(f.error)},
                                     {"error_at", OptTime(f.error_at)}});
    return json::object{{"files", std::move(files)},
                        {"loaded_at", OptTime(s.loaded_at)},
                        {"checked_at", OptTime(s.checked_at)},
                        {"generation", s.generation},
                        {"failures", s.failures},
                        {"reload_interval_seconds", s.interval_seconds},
                        {"reloading", s.reloading}};
}

std::string WantedFormat(const Request& req) {
    if (auto f = NonEmpty(req, "format")) return *f;
    const std::string accept = req.Header("accept").value_or("");
    if (accept.find("text/csv") != std::string::npos) return "csv";
    if (accept.find("application/x-ndjson") != std::string::npos || accept.find("application/jsonl") != std::string::npos)
        return "jsonl";
    return "json";
}

}  // namespace

core::Status RegisterFeedsRoutes(http::Router& router, const access::api::Guard& guard, Pipeline& pipeline,
                                 FeedStore& store, DigestService& digests, UploadQueue& uploads,
                                 NetworkDataSet& network, const db::AuditSink& audit) {
    // Records an operator's action in the audit log (its own transaction). Handlers copy it: it
    // must outlive this function.
    auto record = [&store, &audit](const Request& req, const Principal& p, const char* action, const char* type,
                                   const std::string& id, json::object after) -> core::Status {
        auto conn = MUHAFIZ_TRY(store.database().Acquire());
        return db::InTransaction(*conn, [&]() -> core::Status {
            return audit.Append(*conn, db::AuditRecord{access::api::Guard::ActorOf(p, req), action, type, id, "",
                                                       core::ToJson(after)});
        });
    };
    const access::Policy& policy = guard.policy();

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds", [&](Request&, const Principal& p) {
        if (!IsOperator(p)) return NotOperator();
        auto figures = store.FeedFigures();
        if (!figures) return Response::Error(figures.error());
        std::map<std::string, json::object> by_name;
        for (auto& f : *figures) by_name[std::string(f.as_object().at("feed").as_string())] = f.as_object();
        json::array items;
        std::set<std::string> seen;
        auto add_figures = [&](json::object& o, const std::string& name) {
            auto it = by_name.find(name);
            json::object fig{{"runs", 0}, {"lines", 0}, {"events", 0}, {"rejected", 0}, {"duplicates", 0}, {"aggregated", 0}};
            json::value last = nullptr;
            if (it != by_name.end()) {
                for (const char* k : {"runs", "lines", "events", "rejected", "duplicates", "aggregated"}) fig[k] = it->second.at(k);
                last = json::value(Time(it->second.at("last_run_at").to_number<std::int64_t>()));
            }
            o["figures"] = std::move(fig);
            o["last_run_at"] = std::move(last);
        };
        for (const auto& f : pipeline.config().feeds) {
            json::object o = FeedJson(f);
            add_figures(o, f.name);
            seen.insert(f.name);
            items.push_back(std::move(o));
        }
        for (const auto& [name, fig] : by_name) {
            if (seen.count(name)) continue;
            json::object o{{"name", name}, {"format", ""}, {"provider", ""}, {"configured", false}, {"fetch", nullptr}};
            add_figures(o, name);
            items.push_back(std::move(o));
        }
        json::array formats;
        for (const auto& r : ShadowserverReports()) formats.push_back(json::value("shadowserver:" + r.type));
        for (const char* f : {"shadowserver", "jsonl", "blocklist", "csv:MAPPING"}) formats.push_back(json::value(f));
        const auto n = static_cast<std::int64_t>(items.size());
        return Response::Json(200, json::object{{"items", std::move(items)}, {"total", n}, {"formats", std::move(formats)}});
    }));

    access::api::Guard::RouteFlags upload_flags;
    upload_flags.max_body_bytes = kMaxReportBytes;
    MUHAFIZ_CHECK(guard.Route(
        router, "POST", "/api/v1/feeds/{name}/reports",
        [&, record](Request& req, const Principal& p) {
            if (!IsOperator(p)) return NotOperator();
            const std::string name = req.PathParam("name");
            if (name.empty() || name.size() > 100 ||
                name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != std::string::npos)
                return Response::Error(core::Error{ErrorCode::kInvalidArgument,
                                                   "a feed name holds letters, digits, '-', '_' and '.'", "name"});
            if (!pipeline.config().Find(name) && NonEmpty(req, "format").value_or("").empty())
                return Response::Error(core::Error{ErrorCode::kInvalidArgument,
                                                   "'" + name + "' is not a configured feed: give its format", "format"});
            UploadJob job;
            job.feed = name;
            job.format = NonEmpty(req, "format").value_or("");
            job.file_name = NonEmpty(req, "file_name").value_or("upload-" + core::NewUuidV7());
            if (job.file_name.size() > 255 || job.file_name.find_first_of("/\\") != std::string::npos)
                return Response::Error(core::Error{ErrorCode::kInvalidArgument,
                                                   "file_name is a plain name of at most 255 characters", "file_name"});
            job.force = NonEmpty(req, "force").value_or("") == "true";
            job.created_by = p.username;
            if (!job.format.empty()) {  // an unusable format is refused now, not in the job
                const FeedConfig feed = pipeline.FeedFor(name, job.format);
                ParseContext context;
                auto parser = MakeParser(job.format, context, job.file_name,
                                         feed.mapping && job.format == "csv" ? &*feed.mapping : nullptr);
                if (!parser) return Response::Error(parser.error());
            }
            auto queued = uploads.Submit(std::move(job), req.body);
            req.body.clear();
            req.body.shrink_to_fit();
            if (!queued) {
                Response r = Response::Error(queued.error());
                if (queued.error().code == ErrorCode::kTooManyRequests) r.Header("Retry-After", "30");
                return r;
            }
            if (auto st = record(req, p, "feeds.upload", "feed_upload", queued->id,
                                 json::object{{"feed", queued->feed}, {"file_name", queued->file_name},
                                              {"format", queued->format}, {"size", queued->size}, {"force", queued->force}});
                !st)
                return Response::Error(st.error());
            Response r = Response::Json(202, UploadJson(*queued));
            r.Header("Location", "/api/v1/feeds/uploads/" + queued->id);
            return r;
        },
        upload_flags));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds/uploads", [&](Request& req, const Principal& p) {
        if (!IsOperator(p)) return NotOperator();
        auto limit = access::api::LimitParam(req);
        if (!limit) return Response::Error(limit.error());
        auto page = uploads.List(req.Query("status").value_or(""), *limit, req.Query("cursor").value_or(""));
        if (!page) return Response::Error(page.error());
        json::array items;
        for (const auto& j : page->items) items.push_back(UploadJson(j));
        return Response::Json(200, access::api::ListEnvelope(std::move(items), page->total, page->next));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds/uploads/{id}", [&](Request& req, const Principal& p) {
        if (!IsOperator(p)) return NotOperator();
        auto job = uploads.Get(req.PathParam("id"));
        if (!job) return Response::Error(ErrorCode::kNotFound, "no such upload");
        json::object o = UploadJson(*job);
        o["run"] = nullptr;
        if (!job->run_uuid.empty()) {
            auto conn = store.database().Acquire();
            if (!conn) return Response::Error(conn.error());
            auto run = store.GetRunByUuid(**conn, job->run_uuid);
            if (run) {
                auto detail = RunDetailJson(store, *run);
                if (!detail) return Response::Error(detail.error());
                o["run"] = std::move(*detail);
            }
        }
        return Response::Json(200, o);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds/network-data", [&](Request&, const Principal& p) {
        if (!IsOperator(p)) return NotOperator();
        return Response::Json(200, NetworkStatusJson(network.Status()));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/feeds/network-data/reload", [&, record](Request& req, const Principal& p) {
        if (!p.is_national || p.role != access::Role::kAdmin)
            return Response::Error(ErrorCode::kPermissionDenied, "reloading the network data is for the National CERT's admins");
        const std::string wait = NonEmpty(req, "wait").value_or("false");
        if (wait != "true" && wait != "false")
            return Response::Error(core::Error{ErrorCode::kInvalidArgument, "wait must be true or false", "wait"});
        if (auto st = record(req, p, "feeds.network_data.reload", "feed_network_data", "", json::object{});
            !st)
            return Response::Error(st.error());
        const auto ticket = network.RequestReload();
        const bool finished = wait == "true" && network.WaitFor(ticket, std::chrono::seconds(60));
        Response r = Response::Json(finished ? 200 : 202, NetworkStatusJson(network.Status()));
        r.Header("Location", "/api/v1/feeds/network-data");
        return r;
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds/runs", [&](Request& req, const Principal& p) {
        if (!IsOperator(p)) return NotOperator();
        auto limit = access::api::LimitParam(req);
        if (!limit) return Response::Error(limit.error());
        auto page = store.ListRuns(req.Query("feed").value_or(""), *limit, req.Query("cursor").value_or(""));
        if (!page) return Response::Error(page.error());
        json::array items;
        for (const auto& r : page->items) items.push_back(RunJson(r));
        return Response::Json(200, access::api::ListEnvelope(std::move(items), page->total, page->next));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds/runs/{id}", [&](Request& req, const Principal& p) {
        if (!IsOperator(p)) return NotOperator();
        auto conn = store.database().Acquire();
        if (!conn) return Response::Error(conn.error());
        auto run = store.GetRunByUuid(**conn, req.PathParam("id"));
        if (!run) return Response::Error(run.error());
        auto detail = RunDetailJson(store, *run);
        if (!detail) return Response::Error(detail.error());
        return Response::Json(200, *detail);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds/events", [&](Request& req, const Principal& p) {
        if (!access::SeesRecords(p)) return NoRecords();
        EventFilter f;
        f.feed = req.Query("feed").value_or("");
        f.organisation = req.Query("organisation_id").value_or("");
        f.recipient = req.Query("recipient_id").value_or("");
        f.classification = req.Query("classification").value_or("");
        f.route = req.Query("route").value_or("");
        if (!f.route.empty() && f.route != "owner" && f.route != "partner" && f.route != "unrouted")
            return Response::Error(core::Error{ErrorCode::kInvalidArgument, "route must be owner, partner or unrouted", "route"});
        f.ip = req.Query("ip").value_or("");
        auto since = TimeParam(req, "since");
        if (!since) return Response::Error(since.error());
        auto until = TimeParam(req, "until");
        if (!until) return Response::Error(until.error());
        f.since = *since;
        f.until = *until;
        auto limit = access::api::LimitParam(req);
        if (!limit) return Response::Error(limit.error());
        f.limit = *limit;
        f.cursor = req.Query("cursor").value_or("");
        const std::string format = WantedFormat(req);
        if (format != "json" && format != "jsonl" && format != "csv")
            return Response::Error(core::Error{ErrorCode::kInvalidArgument, "format must be json, jsonl or csv", "format"});
        // An organisation the caller cannot see answers 404, like a missing one.
        if (!f.organisation.empty()) {
            auto org = store.Organisation(f.organisation);
            if (!org) return Response::Error(org.error());
            if (!*org || !policy.CanSeeOrganisationPath(p, (*org)->path))
                return Response::Error(ErrorCode::kNotFound, "no such organisation");
        }
        auto page = store.ListEvents(f, policy.OrganisationPaths(p));
        if (!page) return Response::Error(page.error());
        if (format == "json") {
            json::array items;
            for (const auto& e : page->items) items.push_back(EventJson(e));
            return Response::Json(200, access::api::ListEnvelope(std::move(items), page->total, page->next));
        }
        std::string body;
        std::string type;
        if (format == "jsonl") {
            for (const auto& e : page->items) body += e.data + "\n";
            type = "application/x-ndjson";
        } else {
            body = DigestService::EventsCsv(page->items);
            type = "text/csv; charset=utf-8";
        }
        Response r = Response::Text(200, std::move(body), type);
        r.Header("X-Total-Count", std::to_string(page->total));
        if (page->next) r.Header("X-Next-Cursor", *page->next);
        return r;
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds/figures", [&](Request& req, const Principal& p) {
        if (!access::SeesRecords(p)) return NoRecords();
        auto recipients = store.RecipientFigures(policy.OrganisationScope(p, "o.path"), req.Query("feed").value_or(""));
        if (!recipients) return Response::Error(recipients.error());
        json::object out{{"recipients", std::move(*recipients)}};
        if (IsOperator(p)) {
            auto feeds = store.FeedFigures();
            if (!feeds) return Response::Error(feeds.error());
            for (auto& f : *feeds) {
                auto& o = f.as_object();
                o["last_run_at"] = Time(o.at("last_run_at").to_number<std::int64_t>());
            }
            out["feeds"] = std::move(*feeds);
        } else {
            out["feeds"] = json::array{};
        }
        return Response::Json(200, out);
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds/dead-letters", [&](Request& req, const Principal& p) {
        if (!IsOperator(p)) return NotOperator();
        auto limit = access::api::LimitParam(req);
        if (!limit) return Response::Error(limit.error());
        const std::string state = req.Query("state").value_or("");
        if (!state.empty() && state != "open" && state != "replayed")
            return Response::Error(core::Error{ErrorCode::kInvalidArgument, "state must be open or replayed", "state"});
        auto page = store.ListDeadLetters(req.Query("feed").value_or(""), state, *limit, req.Query("cursor").value_or(""));
        if (!page) return Response::Error(page.error());
        json::array items;
        for (const auto& d : page->items) items.push_back(DeadJson(d));
        return Response::Json(200, access::api::ListEnvelope(std::move(items), page->total, page->next));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/feeds/dead-letters/replay", [&](Request& req, const Principal& p) {
        if (!IsOperator(p)) return NotOperator();
        auto body = access::api::JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto st = core::RejectUnknownFields(*body, {"feed", "ids"}); !st) return Response::Error(st.error());
        auto feed = core::GetString(*body, "feed");
        if (!feed) return Response::Error(feed.error());
        std::vector<std::string> ids;
        if (const auto* v = core::Find(*body, "ids"); v && !v->is_null()) {
            if (!v->is_array()) return Response::Error(core::Error{ErrorCode::kInvalidArgument, "ids must be a list", "ids"});
            for (const auto& id : v->as_array()) {
                if (!id.is_string() || !core::IsUuid(id.as_string()))
                    return Response::Error(core::Error{ErrorCode::kInvalidArgument, "ids must be dead-letter ids", "ids"});
                ids.emplace_back(id.as_string());
            }
        }
        auto r = pipeline.Replay(feed->value_or(""), ids, p.username);
        if (!r) return Response::Error(r.error());
        return Response::Json(200, json::object{{"tried", r->tried},
                                                {"replayed", r->replayed},
                                                {"still_failing", r->still_failing},
                                                {"run_id", r->run_uuid}});
    }));

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds/digests", [&](Request& req, const Principal& p) {
        if (!access::SeesRecords(p)) return NoRecords();
        auto limit = access::api::LimitParam(req);
        if (!limit) return Response::Error(limit.error());
        auto page = store.ListDigests(policy.OrganisationScope(p, "o.path"), *limit, req.Query("cursor").value_or(""));
        if (!page) return Response::Error(page.error());
        json::array items;
        for (const auto& d : page->items) items.push_back(DigestJson(d));
        return Response::Json(200, access::api::ListEnvelope(std::move(items), page->total, page->next));
    }));

    MUHAFIZ_CHECK(guard.Route(router, "POST", "/api/v1/feeds/digests/run", [&](Request& req, const Principal& p) {
        if (!IsOperator(p)) return NotOperator();
        auto r = digests.RunDue(core::NowMicros(), NonEmpty(req, "force").value_or("") == "true");
        if (!r) return Response::Error(r.error());
        return Response::Json(200, json::object{{"sent", r->sent}, {"skipped", r->skipped}, {"events", r->events}});
    }));

    auto org_for = [&store, &policy](const Request& req, const Principal& p,
                                     const std::string& uuid) -> Result<FeedStore::OrgRef> {
        (void)req;
        if (uuid.empty()) return core::Invalid("organisation_id", "organisation_id is required");
        auto org = MUHAFIZ_TRY(store.Organisation(uuid));
        if (!org || !policy.CanSeeOrganisationPath(p, org->path)) return core::NotFound("no such organisation");
        return *org;
    };

    MUHAFIZ_CHECK(guard.Route(router, "GET", "/api/v1/feeds/preferences", [&, org_for](Request& req, const Principal& p) {
        if (!access::SeesRecords(p)) return NoRecords();
        const std::string uuid = req.Query("organisation_id").value_or(p.organisation_uuid);
        auto org = org_for(req, p, uuid);
        if (!org) return Response::Error(org.error());
        auto conn = store.database().Acquire();
        if (!conn) return Response::Error(conn.error());
        auto prefs = store.DigestPrefs(**conn, org->id);
        if (!prefs) return Response::Error(prefs.error());
        json::object intervals;
        for (const auto& [k, v] : *prefs) intervals[k] = v;
        return Response::Json(200, json::object{{"organisation_id", uuid}, {"intervals", std::move(intervals)}});
    }));

    MUHAFIZ_CHECK(guard.Route(router, "PUT", "/api/v1/feeds/preferences", [&, org_for](Request& req, const Principal& p) {
        if (!access::SeesRecords(p) || !access::MayWrite(p) || p.role == access::Role::kPartner)
            return Response::Error(ErrorCode::kPermissionDenied, "changing digest preferences takes the write scope");
        auto body = access::api::JsonBody(req);
        if (!body) return Response::Error(body.error());
        if (auto st = core::RejectUnknownFields(*body, {"organisation_id", "intervals"}); !st) return Response::Error(st.error());
        auto uuid = core::GetString(*body, "organisation_id");
        if (!uuid) return Response::Error(uuid.error());
        const std::string id = uuid->value_or(p.organisation_uuid);
        auto org = org_for(req, p, id);
        if (!org) return Response::Error(org.error());
        const auto* iv = core::Find(*body, "intervals");
        if (!iv || !iv->is_object())
            return Response::Error(core::Error{ErrorCode::kInvalidArgument,
                                               "intervals must map a taxonomy (or *) to immediate, hourly, daily or never",
                                               "intervals"});
        std::vector<std::pair<std::string, std::string>> changes;
        for (const auto& [k, v] : iv->as_object()) {
            const std::string tax(k);
            Event probe;
            if (tax != "*" && !probe.Set("classification.taxonomy", tax))
                return Response::Error(core::Error{ErrorCode::kInvalidArgument, "unknown taxonomy '" + tax + "'", "intervals." + tax});
            if (v.is_null()) {
                changes.emplace_back(tax, "");
                continue;
            }
            if (!v.is_string() || !ValidInterval(v.as_string()))
                return Response::Error(core::Error{ErrorCode::kInvalidArgument,
                                                   "an interval is immediate, hourly, daily or never", "intervals." + tax});
            changes.emplace_back(tax, std::string(v.as_string()));
        }
        for (const auto& [k, v] : changes)
            if (auto st = store.SetDigestPref(org->id, k, v); !st) return Response::Error(st.error());
        auto conn = store.database().Acquire();
        if (!conn) return Response::Error(conn.error());
        auto prefs = store.DigestPrefs(**conn, org->id);
        if (!prefs) return Response::Error(prefs.error());
        json::object intervals;
        for (const auto& [k, v] : *prefs) intervals[k] = v;
        return Response::Json(200, json::object{{"organisation_id", id}, {"intervals", std::move(intervals)}});
    }));

    return core::Ok();
}

}  // namespace muhafiz::feeds::api
