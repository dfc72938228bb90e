#include "app/intel_module.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <sodium.h>
#include <unistd.h>

#include "app/runtime.hpp"
#include "core/ids.hpp"
#include "intel/misp.hpp"

namespace muhafiz::app {
namespace json = core::json;

namespace {

core::Result<std::int64_t> IntSetting(const std::string& key, const std::string& value, std::int64_t min,
                                      std::int64_t max) {
    try {
        std::size_t used = 0;
        long long v = std::stoll(value, &used);
        if (used == value.size() && v >= min && v <= max) return static_cast<std::int64_t>(v);
    } catch (...) {
    }
    return core::Invalid(key, key + " must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
}

std::string BuiltinWarningLists() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    std::vector<std::filesystem::path> candidates;
    if (!ec) {
        candidates.push_back(exe.parent_path() / "data/warninglists");
        candidates.push_back(exe.parent_path().parent_path() / "share/muhafiz/warninglists");
        candidates.push_back(exe.parent_path().parent_path() / "data/warninglists");
    }
    candidates.push_back(std::filesystem::path(MUHAFIZ_SOURCE_DIR_DEFAULT) / "data/warninglists");
    for (const auto& c : candidates)
        if (std::filesystem::is_directory(c, ec)) return c.string();
    return {};
}

// The runtime and the store for a CLI command.
struct CliContext {
    std::unique_ptr<Runtime> rt;
    intel::IntelStore* store = nullptr;
};

core::Result<CliContext> OpenCli(const Config& c) {
    CliContext ctx;
    ctx.rt = MUHAFIZ_TRY(Runtime::Open(c));
    ctx.store = &ctx.rt->intel->store();
    return ctx;
}

// A secret of the intel capability kept in the database (migration 014): created once, shared by
// every server on the database, the same after a restart. Returns its raw bytes.
core::Result<std::string> IntelSecret(db::Database& db, const std::string& name, std::size_t bytes) {
    auto conn = MUHAFIZ_TRY(db.Acquire());
    std::string random(bytes, '\0');
    randombytes_buf(random.data(), random.size());
    MUHAFIZ_TRY(conn->Execute("INSERT INTO intel_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                              {name, core::HexEncode(random), core::NowMicros()}));
    auto rows = MUHAFIZ_TRY(conn->Query("SELECT value FROM intel_secrets WHERE name = ?", {name}));
    if (rows.empty()) return core::Fail(core::ErrorCode::kInternal, "the secret " + name + " could not be stored");
    const std::string hex = rows[0].Str(0);
    std::string out(hex.size() / 2, '\0');
    std::size_t len = 0;
    if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(), nullptr, &len,
                       nullptr) != 0 || len < bytes)
        return core::Fail(core::ErrorCode::kInternal, "the stored secret " + name + " is damaged");
    out.resize(len);
    return out;
}

core::Result<std::int64_t> OrganisationOf(intel::IntelStore& store, const std::string& ref) {
    if (ref.empty()) return store.RootOrganisation();
    auto org = MUHAFIZ_TRY(store.OrganisationByRef(ref));
    return org.id;
}

}  // namespace

core::Result<std::unique_ptr<IntelModule>> IntelModule::Open(Runtime& rt) {
    std::unique_ptr<IntelModule> m(new IntelModule());
    intel::IntelSettings settings;
    std::string extra_lists, builtin_lists = BuiltinWarningLists();
    for (const auto& [key, value] : rt.config.module_settings) {
        if (!key.starts_with("intel_") && !key.starts_with("taxii_")) continue;
        if (key == "intel_correlation_limit") {
            settings.correlation_limit = MUHAFIZ_TRY(IntSetting(key, value, 1, 100000000));
        } else if (key == "intel_warninglists_dir") {
            extra_lists = value;
        } else if (key == "intel_builtin_warninglists_dir") {
            builtin_lists = value == "none" ? "" : value;
        } else if (key == "intel_indicator_max_age_days") {
            settings.indicator_max_age_days = MUHAFIZ_TRY(IntSetting(key, value, 0, 36500));
        } else if (key == "taxii_max_content_length") {
            m->taxii_.max_content_length = static_cast<std::size_t>(MUHAFIZ_TRY(IntSetting(key, value, 1024, 1LL << 31)));
        } else if (key == "taxii_page_limit") {
            m->taxii_.page_limit = static_cast<int>(MUHAFIZ_TRY(IntSetting(key, value, 1, 100000)));
        } else if (key == "taxii_token" || key == "taxii_password") {
            // The TAXII client's default credentials (taxii pull/push); nothing for serve.
        } else if (key == "intel_misp_feed_max_tlp") {
            m->misp_feed_.max_tlp = MUHAFIZ_TRY(access::ParseTlp(value));
        } else if (key == "taxii_pull_sources") {
            auto v = core::ParseJson(value);
            if (!v || !v->is_array())
                return core::Invalid(key, "taxii_pull_sources must be a JSON array of {\"url\",\"collection\",...}");
            for (const auto& item : v->as_array()) {
                if (!item.is_object()) return core::Invalid(key, "each taxii_pull_sources entry must be an object");
                const auto& o = item.as_object();
                MUHAFIZ_CHECK(core::RejectUnknownFields(o, {"url", "collection", "token", "user", "password",
                                                            "interval_minutes", "organisation", "tlp", "audience",
                                                            "verify_tls"},
                                                        "taxii_pull_sources."));
                PullSource s;
                s.endpoint.api_root = MUHAFIZ_TRY(core::GetString(o, "url")).value_or("");
                s.endpoint.collection = MUHAFIZ_TRY(core::GetString(o, "collection")).value_or("");
                s.endpoint.token = MUHAFIZ_TRY(core::GetString(o, "token")).value_or("");
                s.endpoint.user = MUHAFIZ_TRY(core::GetString(o, "user")).value_or("");
                s.endpoint.password = MUHAFIZ_TRY(core::GetString(o, "password")).value_or("");
                if (!s.endpoint.user.empty() && !s.endpoint.token.empty())
                    return core::Invalid(key, "a taxii_pull_sources entry has either token or user/password");
                s.endpoint.verify_tls = MUHAFIZ_TRY(core::GetBool(o, "verify_tls")).value_or(true);
                s.interval_minutes = static_cast<int>(MUHAFIZ_TRY(core::GetInt(o, "interval_minutes")).value_or(60));
                s.organisation = MUHAFIZ_TRY(core::GetString(o, "organisation")).value_or("");
                if (auto t = MUHAFIZ_TRY(core::GetString(o, "tlp"))) s.tlp = MUHAFIZ_TRY(access::ParseTlp(*t));
                if (auto a = MUHAFIZ_TRY(core::GetString(o, "audience"))) s.audience = MUHAFIZ_TRY(access::ParseAudience(*a));
                if (s.endpoint.api_root.empty() || s.endpoint.collection.empty())
                    return core::Invalid(key, "each taxii_pull_sources entry needs url and collection");
                if (s.interval_minutes < 1) return core::Invalid(key, "interval_minutes must be at least 1");
                m->pulls_.push_back(std::move(s));
            }
        } else {
            return core::Invalid(key, "unknown setting '" + key +
                                          "' (intel settings: intel_correlation_limit, intel_warninglists_dir, "
                                          "intel_builtin_warninglists_dir, intel_indicator_max_age_days, intel_misp_feed_max_tlp, "
                                          "taxii_token, taxii_password, "
                                          "taxii_max_content_length, taxii_page_limit, taxii_pull_sources)");
        }
    }
    if (!builtin_lists.empty()) MUHAFIZ_CHECK(m->lists_.LoadFolder(builtin_lists));
    if (!extra_lists.empty()) MUHAFIZ_CHECK(m->lists_.LoadFolder(extra_lists));
    settings.public_base_url = rt.config.public_url;
    m->store_ = std::make_unique<intel::IntelStore>(*rt.db, rt.audit, m->lists_, settings);
    return m;
}

IntelModule::~IntelModule() { Stop(); }

core::Status IntelModule::RegisterRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard) {
    intel::api::TaxiiOptions taxii = taxii_;
    taxii.cursor_key = MUHAFIZ_TRY(IntelSecret(*rt.db, "taxii_cursor_key", crypto_auth_hmacsha256_KEYBYTES));
    taxii.audit = &rt.audit;
    MUHAFIZ_CHECK(intel::api::RegisterIntelRoutes(router, guard, *store_));
    MUHAFIZ_CHECK(intel::api::RegisterMispFeedRoutes(router, guard, *store_, misp_feed_));
    MUHAFIZ_CHECK(intel::api::RegisterTaxiiRoutes(router, guard, *store_, taxii));
    return {};
}

void IntelModule::Start(Runtime& rt) {
    (void)rt;
    if (worker_.joinable()) return;
    stopping_ = false;
    worker_ = std::thread([this] {
        std::map<std::size_t, std::chrono::steady_clock::time_point> due;
        auto next_expiry = std::chrono::steady_clock::now();
        std::unique_lock lock(mu_);
        while (!stopping_) {
            const auto now = std::chrono::steady_clock::now();
            lock.unlock();
            for (std::size_t i = 0; i < pulls_.size(); ++i) {
                if (due.count(i) && due[i] > now) continue;
                const auto& s = pulls_[i];
                due[i] = now + std::chrono::minutes(s.interval_minutes);
                auto org = OrganisationOf(*store_, s.organisation);
                if (!org) {
                    spdlog::warn("taxii pull {} {}: {}", s.endpoint.api_root, s.endpoint.collection, org.error().message);
                    continue;
                }
                core::Actor actor;
                actor.username = "taxii-pull";
                auto r = intel::TaxiiPull(*store_, s.endpoint, *org, s.tlp, s.audience, actor);
                if (!r)
                    spdlog::warn("taxii pull {} {}: {}", s.endpoint.api_root, s.endpoint.collection, r.error().message);
                else
                    spdlog::info("taxii pull {} {}: {} objects, {} indicators, last {}", s.endpoint.api_root,
                                 s.endpoint.collection, r->objects, r->indicators, r->last_added);
            }
            if (now >= next_expiry) {
                next_expiry = now + std::chrono::hours(1);
                if (auto n = store_->ExpireStale(core::NowMicros()); n && *n > 0)
                    spdlog::info("intel: {} stale indicators expired", *n);
            }
            lock.lock();
            cv_.wait_for(lock, std::chrono::seconds(30), [this] { return stopping_; });
        }
    });
}

void IntelModule::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

namespace {

// The TAXII client's credentials from --token / --user / --password and the environment.
// The defaults come from the settings taxii_token / taxii_password (config file, or the
// environment variables MUHAFIZ_TAXII_TOKEN / MUHAFIZ_TAXII_PASSWORD).
template <class Opts>
core::Status Credentials(const Opts& o, const Config& c, intel::TaxiiEndpoint& ep) {
    auto setting = [&c](const char* key) {
        auto it = c.module_settings.find(key);
        return it == c.module_settings.end() ? std::string() : it->second;
    };
    ep.token = o.token;
    ep.user = o.user;
    ep.password = o.password;
    if (!ep.user.empty()) {
        if (!ep.token.empty()) return core::Invalid("user", "give either --token or --user/--password, not both");
        if (ep.password.empty()) ep.password = setting("taxii_password");
        if (ep.password.empty()) return core::Invalid("password", "--user needs --password (or $MUHAFIZ_TAXII_PASSWORD)");
        return {};
    }
    if (!ep.password.empty()) return core::Invalid("password", "--password needs --user");
    if (ep.token.empty()) ep.token = setting("taxii_token");
    return {};
}

}  // namespace

void IntelModule::AddCommands(CLI::App& cli, Commands& commands) {
    struct Opts {
        std::string file, tlp, audience, title, organisation, event, output, url, collection, token, since, max_tlp;
        std::string user, password;
        bool insecure = false;
        int page_size = 1000;
    };
    auto o = std::make_shared<Opts>();
    CLI::App* import = cli.get_subcommand("import");
    CLI::App* exp = cli.get_subcommand("export");

    auto* import_stix = import->add_subcommand(
        "stix", "import a STIX 2.1 bundle (streamed; bad objects are reported by position and id and skipped) "
                "into a new intel event");
    commands.common(import_stix);
    import_stix->add_option("FILE", o->file, "the bundle, or - for standard input")->required();
    import_stix->add_option("--tlp", o->tlp, "TLP when the bundle has no marking (default TLP:AMBER; never looser)");
    import_stix->add_option("--audience", o->audience, "organisation (default), cert, sector, national or partners");
    import_stix->add_option("--title", o->title, "the event's title (default: the bundle's first report)");
    import_stix->add_option("--organisation", o->organisation, "owning organisation (id or name; default the National CERT)");
    commands.Add(import_stix, [o](const Config& c) {
        auto ctx = OpenCli(c);
        if (!ctx) return Fail(ctx.error().message);
        intel::ImportOptions opts;
        auto org = OrganisationOf(*ctx->store, o->organisation);
        if (!org) return Fail(org.error().message);
        opts.organisation_id = *org;
        if (auto s = intel::ApplyImportMarkings(opts, o->tlp, o->audience); !s) return Fail(s.error().message, 2);
        opts.title = o->title;
        std::ifstream file;
        std::istream* in = &std::cin;
        if (o->file != "-") {
            file.open(o->file, std::ios::binary);
            if (!file) return Fail("cannot read " + o->file);
            in = &file;
        }
        auto r = ctx->store->ImportStix(*in, opts, CliActor());
        if (!r) return Fail(o->file + ": " + r.error().message);
        std::cout << core::ToJson(ToJson(*r)) << "\n";
        for (const auto& p : r->problems)
            std::cerr << "muhafiz: object " << p.index << (p.object_id.empty() ? "" : " (" + p.object_id + ")") << ": "
                      << p.reason << "\n";
        return r->failed ? 3 : 0;
    });

    auto* import_misp = import->add_subcommand(
        "misp", "import a MISP event JSON file (API or feed format); the same event uuid again updates its event "
                "(attributes by MISP attribute uuid, then by value)");
    commands.common(import_misp);
    import_misp->add_option("FILE", o->file, "the MISP event, or - for standard input")->required();
    import_misp->add_option("--tlp", o->tlp, "TLP when the event has no tlp: tag (default TLP:AMBER)");
    import_misp->add_option("--audience", o->audience, "override the distribution mapping");
    import_misp->add_option("--organisation", o->organisation, "owning organisation (default the National CERT)");
    commands.Add(import_misp, [o](const Config& c) {
        auto ctx = OpenCli(c);
        if (!ctx) return Fail(ctx.error().message);
        auto text = ReadInput(o->file);
        if (!text) return Fail(text.error().message);
        intel::MispImportOptions opts;
        auto org = OrganisationOf(*ctx->store, o->organisation);
        if (!org) return Fail(org.error().message);
        opts.organisation_id = *org;
        if (auto s = intel::ApplyImportMarkings(opts, o->tlp, o->audience); !s) return Fail(s.error().message, 2);
        auto r = intel::ImportMisp(*ctx->store, *text, opts, CliActor());
        if (!r) return Fail(o->file + ": " + r.error().message);
        std::cout << core::ToJson(intel::ToJson(*r)) << "\n";
        for (const auto& p : r->problems) std::cerr << "muhafiz: attribute " << p.object_id << ": " << p.reason << "\n";
        return r->problems.empty() ? 0 : 3;
    });

    auto viewer_for = [o](CliContext& ctx) -> core::Result<access::IntelViewer> {
        auto org = MUHAFIZ_TRY(OrganisationOf(*ctx.store, o->organisation));
        return ctx.store->ViewerForOrganisation(org);
    };
    auto write_out = [o](const std::string& text) {
        if (o->output.empty() || o->output == "-") {
            std::cout << text;
            return 0;
        }
        std::ofstream out(o->output, std::ios::binary | std::ios::trunc);
        out << text;
        return out ? 0 : Fail("cannot write " + o->output);
    };

    auto* export_stix = exp->add_subcommand(
        "stix", "export intel events as one STIX 2.1 bundle (as seen by --as, default the National CERT)");
    commands.common(export_stix);
    export_stix->add_option("--event", o->event, "only this event (id)");
    export_stix->add_option("--as", o->organisation, "the organisation whose view is exported (id or name)");
    export_stix->add_option("--since", o->since, "only events created since this RFC 3339 time");
    export_stix->add_option("-o,--output", o->output, "write to FILE instead of standard output");
    commands.Add(export_stix, [o, viewer_for, write_out](const Config& c) {
        auto ctx = OpenCli(c);
        if (!ctx) return Fail(ctx.error().message);
        auto v = viewer_for(*ctx);
        if (!v) return Fail(v.error().message);
        if (!o->event.empty()) {
            // Streamed to the output (bounded memory for big events).
            if (o->output.empty() || o->output == "-") {
                if (auto s = ctx->store->ExportStixTo(o->event, *v, std::cout); !s) return Fail(s.error().message);
                return 0;
            }
            std::ofstream file(o->output, std::ios::binary | std::ios::trunc);
            if (!file) return Fail("cannot write " + o->output);
            if (auto s = ctx->store->ExportStixTo(o->event, *v, file); !s) return Fail(s.error().message);
            return file ? 0 : Fail("cannot write " + o->output);
        }
        std::optional<core::Micros> since;
        if (!o->since.empty()) {
            since = core::ParseRfc3339(o->since);
            if (!since) return Fail("--since must be an RFC 3339 time", 2);
        }
        std::ostringstream out;
        if (auto s = ctx->store->ExportStixAll(out, *v, since); !s) return Fail(s.error().message);
        return write_out(out.str());
    });

    auto* export_misp = exp->add_subcommand("misp", "export one intel event as MISP event JSON");
    commands.common(export_misp);
    export_misp->add_option("--event", o->event, "the event (id)")->required();
    export_misp->add_option("--as", o->organisation, "the organisation whose view is exported");
    export_misp->add_option("-o,--output", o->output, "write to FILE instead of standard output");
    commands.Add(export_misp, [o, viewer_for, write_out](const Config& c) {
        auto ctx = OpenCli(c);
        if (!ctx) return Fail(ctx.error().message);
        auto v = viewer_for(*ctx);
        if (!v) return Fail(v.error().message);
        auto doc = intel::ExportMisp(*ctx->store, o->event, *v);
        if (!doc) return Fail(doc.error().message);
        return write_out(core::ToJson(*doc) + "\n");
    });

    auto* export_feed = exp->add_subcommand(
        "misp-feed", "write a MISP feed (manifest.json, <uuid>.json, hashes.csv) of the events a partner may see");
    commands.common(export_feed);
    export_feed->add_option("-o,--output", o->output, "the feed folder")->required();
    export_feed->add_option("--as", o->organisation, "whose view (default the National CERT; name a partner CERT)");
    export_feed->add_option("--max-tlp", o->max_tlp, "most restrictive TLP to include (default TLP:GREEN)");
    export_feed->add_option("--audience", o->audience,
                            "only events of this audience (organisation, cert, sector, national, partners)");
    commands.Add(export_feed, [o, viewer_for](const Config& c) {
        auto ctx = OpenCli(c);
        if (!ctx) return Fail(ctx.error().message);
        auto v = viewer_for(*ctx);
        if (!v) return Fail(v.error().message);
        auto max = access::ParseTlp(o->max_tlp.empty() ? "TLP:GREEN" : o->max_tlp);
        if (!max) return Fail(max.error().message, 2);
        std::optional<access::Audience> audience;
        if (!o->audience.empty()) {
            auto a = access::ParseAudience(o->audience);
            if (!a) return Fail(a.error().message, 2);
            audience = *a;
        }
        auto n = intel::WriteMispFeed(*ctx->store, o->output, *v, *max, audience);
        if (!n) return Fail(n.error().message);
        std::cout << "muhafiz: wrote " << *n << " events to " << o->output << "\n";
        return 0;
    });

    auto* export_csv = exp->add_subcommand("intel-csv", "export indicators as CSV (as seen by --as)");
    commands.common(export_csv);
    export_csv->add_option("--as", o->organisation, "the organisation whose view is exported");
    export_csv->add_option("--event", o->event, "only this event");
    export_csv->add_option("-o,--output", o->output, "write to FILE instead of standard output");
    commands.Add(export_csv, [o, viewer_for, write_out](const Config& c) {
        auto ctx = OpenCli(c);
        if (!ctx) return Fail(ctx.error().message);
        auto v = viewer_for(*ctx);
        if (!v) return Fail(v.error().message);
        intel::IndicatorFilter f;
        if (!o->event.empty()) f.event = o->event;
        auto csv = ctx->store->ExportCsv(f, *v);
        if (!csv) return Fail(csv.error().message);
        return write_out(*csv);
    });

    auto* taxii = cli.add_subcommand("taxii", "TAXII 2.1 client");
    taxii->require_subcommand(1);
    auto* pull = taxii->add_subcommand(
        "pull", "pull a collection into an intel event, resuming from the last date_added seen");
    commands.common(pull);
    pull->add_option("--url", o->url, "the API root, e.g. https://partner.example/taxii2/api1/")->required();
    pull->add_option("--collection", o->collection, "the collection id or alias")->required();
    pull->add_option("--token", o->token, "bearer token (default: $MUHAFIZ_TAXII_TOKEN)");
    pull->add_option("--user", o->user, "HTTP Basic user name instead of a bearer token (with --password)");
    pull->add_option("--password", o->password,
                     "HTTP Basic password (default: $MUHAFIZ_TAXII_PASSWORD; for a Muhafiz server: an API token)");
    pull->add_option("--organisation", o->organisation, "owner of the pulled event (default the National CERT)");
    pull->add_option("--tlp", o->tlp, "TLP for unmarked objects (default TLP:AMBER)");
    pull->add_option("--audience", o->audience, "audience of the pulled event (default organisation)");
    pull->add_option("--page-size", o->page_size, "objects per request (default 1000)");
    pull->add_flag("--insecure", o->insecure, "do not verify the server's TLS certificate");
    commands.Add(pull, [o](const Config& c) {
        auto ctx = OpenCli(c);
        if (!ctx) return Fail(ctx.error().message);
        intel::TaxiiEndpoint ep;
        ep.api_root = o->url;
        ep.collection = o->collection;
        if (auto s = Credentials(*o, c, ep); !s) return Fail(s.error().message, 2);
        ep.verify_tls = !o->insecure;
        ep.page_size = o->page_size;
        auto org = OrganisationOf(*ctx->store, o->organisation);
        if (!org) return Fail(org.error().message);
        access::Tlp tlp = access::Tlp::kAmber;
        access::Audience audience = access::Audience::kOrganisation;
        if (!o->tlp.empty()) {
            auto t = access::ParseTlp(o->tlp);
            if (!t) return Fail(t.error().message, 2);
            tlp = *t;
        }
        if (!o->audience.empty()) {
            auto a = access::ParseAudience(o->audience);
            if (!a) return Fail(a.error().message, 2);
            audience = *a;
        }
        auto r = intel::TaxiiPull(*ctx->store, ep, *org, tlp, audience, CliActor());
        if (!r) return Fail(r.error().message);
        std::cout << core::ToJson(json::object{{"event_id", r->event_id},
                                               {"pages", r->pages},
                                               {"objects", r->objects},
                                               {"indicators", r->indicators},
                                               {"duplicates", r->duplicates},
                                               {"failed", r->failed},
                                               {"last_added", r->last_added}})
                  << "\n";
        return 0;
    });

    auto* push = taxii->add_subcommand("push", "push one intel event's STIX objects to a collection");
    commands.common(push);
    push->add_option("--url", o->url, "the API root")->required();
    push->add_option("--collection", o->collection, "the collection id or alias")->required();
    push->add_option("--event", o->event, "the event to push (id)")->required();
    push->add_option("--token", o->token, "bearer token (default: $MUHAFIZ_TAXII_TOKEN)");
    push->add_option("--user", o->user, "HTTP Basic user name instead of a bearer token (with --password)");
    push->add_option("--password", o->password,
                     "HTTP Basic password (default: $MUHAFIZ_TAXII_PASSWORD; for a Muhafiz server: an API token)");
    push->add_option("--as", o->organisation, "whose view of the event is pushed (default the National CERT)");
    push->add_flag("--insecure", o->insecure, "do not verify the server's TLS certificate");
    commands.Add(push, [o, viewer_for](const Config& c) {
        auto ctx = OpenCli(c);
        if (!ctx) return Fail(ctx.error().message);
        auto v = viewer_for(*ctx);
        if (!v) return Fail(v.error().message);
        auto bundle = ctx->store->ExportStix(o->event, *v);
        if (!bundle) return Fail(bundle.error().message);
        intel::TaxiiEndpoint ep;
        ep.api_root = o->url;
        ep.collection = o->collection;
        if (auto s = Credentials(*o, c, ep); !s) return Fail(s.error().message, 2);
        ep.verify_tls = !o->insecure;
        auto r = intel::TaxiiPush(ep, *bundle);
        if (!r) return Fail(r.error().message);
        std::cout << core::ToJson(json::object{{"status_id", r->status_id},
                                               {"status", r->status},
                                               {"total", r->total},
                                               {"success", r->success},
                                               {"failure", r->failure},
                                               {"pending", r->pending}})
                  << "\n";
        return r->failure ? 3 : 0;
    });

    auto* intel_cmd = cli.add_subcommand("intel", "intel maintenance");
    intel_cmd->require_subcommand(1);
    auto* correlate = intel_cmd->add_subcommand("correlate", "rebuild the correlation index by value and list "
                                                             "over-correlating values");
    commands.common(correlate);
    commands.Add(correlate, [](const Config& c) {
        auto ctx = OpenCli(c);
        if (!ctx) return Fail(ctx.error().message);
        auto started = std::chrono::steady_clock::now();
        auto n = ctx->store->RebuildCorrelation();
        if (!n) return Fail(n.error().message);
        auto root = ctx->store->RootOrganisation();
        if (!root) return Fail(root.error().message);
        auto viewer = ctx->store->ViewerForOrganisation(*root);
        if (!viewer) return Fail(viewer.error().message);
        auto over = ctx->store->OverCorrelatingValues(20, *viewer);
        if (!over) return Fail(over.error().message);
        std::cout << "muhafiz: " << *n << " distinct values indexed in "
                  << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n";
        for (const auto& x : *over) std::cout << "over-correlating\t" << x.type << "\t" << x.value << "\t" << x.events << "\n";
        return 0;
    });
    auto* expire = intel_cmd->add_subcommand("expire", "expire stale indicators now (intel_indicator_max_age_days)");
    commands.common(expire);
    commands.Add(expire, [](const Config& c) {
        auto ctx = OpenCli(c);
        if (!ctx) return Fail(ctx.error().message);
        auto n = ctx->store->ExpireStale(core::NowMicros());
        if (!n) return Fail(n.error().message);
        std::cout << "muhafiz: " << *n << " indicators expired\n";
        return 0;
    });
}

}  // namespace muhafiz::app
