#include "app/feeds_module.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/runtime.hpp"
#include "feeds/api/feeds_api.hpp"

namespace muhafiz::app {
namespace {

constexpr const char* kSettings =
    "feeds settings: feeds_config (the feeds configuration file, JSON), feeds_spool_dir (overrides the file's "
    "spool_dir), feeds_digest_poll_seconds (how often due digests are sent, default 60), feeds_background "
    "(on/off: spool, fetches and digests in serve, default on), feeds_network_reload_interval (seconds between "
    "checks of the network-data files for changes in serve, 0 = only on request, default 300), feeds_upload_queue "
    "(uploads waiting at most, default 32), feeds_upload_worker (on/off: ingest uploaded reports in this process, "
    "default on; off only spools them)";

core::Result<std::int64_t> IntSetting(const std::string& key, const std::string& value, std::int64_t lo, std::int64_t hi) {
    try {
        std::size_t used = 0;
        const long long v = std::stoll(value, &used);
        if (used == value.size() && v >= lo && v <= hi) return static_cast<std::int64_t>(v);
    } catch (...) {
    }
    return core::Invalid(key, key + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
}

std::string OrgName(const feeds::Directory& dir, std::int64_t id) {
    const feeds::OrgInfo* o = dir.Get(id);
    return o ? o->name : "organisation #" + std::to_string(id);
}

core::json::object SummaryJson(const feeds::IngestSummary& s, const feeds::Directory& dir) {
    core::json::array per;
    for (const auto& [id, n] : s.per_recipient) {
        const feeds::OrgInfo* o = dir.Get(id);
        per.push_back(core::json::object{{"organisation", o ? o->uuid : std::string()},
                                         {"name", OrgName(dir, id)},
                                         {"events", n}});
    }
    return core::json::object{{"run_id", s.run.uuid},
                              {"feed", s.run.feed},
                              {"file", s.run.file_name},
                              {"format", s.run.format},
                              {"status", s.run.status},
                              {"already_ingested", s.already_ingested},
                              {"resumed", s.resumed},
                              {"lines", s.run.lines_read},
                              {"events", s.run.events},
                              {"rejected", s.run.rejected},
                              {"duplicates", s.run.duplicates},
                              {"aggregated", s.run.aggregated},
                              {"seconds", s.seconds},
                              {"recipients", std::move(per)}};
}

void PrintSummary(const feeds::IngestSummary& s, const feeds::Directory& dir) {
    std::cout << s.run.file_name << " (" << s.run.format << ")";
    if (s.already_ingested) std::cout << ": already ingested by run " << s.run.uuid << " (use --force to ingest again)";
    if (s.resumed) std::cout << ": resumed an interrupted run";
    std::cout << "\n  lines read   " << s.run.lines_read << "\n  events       " << s.run.events
              << "\n  rejected     " << s.run.rejected << (s.run.rejected ? "  (muhafiz feeds dead-letter list --feed " + s.run.feed + ")" : "")
              << "\n  duplicates   " << s.run.duplicates << "\n  aggregated   " << s.run.aggregated << "\n";
    if (!s.per_recipient.empty()) {
        std::cout << "  events per recipient:\n";
        for (const auto& [id, n] : s.per_recipient) std::cout << "    " << n << "  " << OrgName(dir, id) << "\n";
    }
    if (s.seconds > 0)
        std::cout << "  " << s.seconds << " s, " << static_cast<std::int64_t>(s.run.lines_read / std::max(s.seconds, 1e-6))
                  << " lines/s\n";
}

struct IngestOptions {
    std::string feed, format;
    std::vector<std::string> files;
    bool force = false, json = false, progress = false;
    int throttle_ms = 0;
};

int Ingest(const Config& config, const IngestOptions& o) {
    auto rt = Runtime::Open(config);
    if (!rt) return Fail(rt.error().message);
    feeds::Pipeline& pipeline = (*rt)->feeds->pipeline();
    const bool tty = isatty(2);
    int failures = 0;
    core::json::array results;
    for (const auto& file : o.files) {
        feeds::IngestRequest req;
        req.feed = o.feed;
        req.format = o.format;
        if (file == "-") {
            auto data = ReadInput("-");
            if (!data) return Fail(data.error().message);
            req.data = std::move(*data);
            req.file_name = "stdin";
        } else {
            req.path = file;
            req.file_name = std::filesystem::path(file).filename().string();
        }
        req.force = o.force;
        req.throttle_ms = o.throttle_ms;
        req.source = "file";
        req.actor = CliActor().username;
        if (tty || o.progress) {
            req.progress = [&, tty](const feeds::IngestProgress& p) {
                const double pct = p.bytes_total ? 100.0 * static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 100;
                std::fprintf(stderr, "%s%s: %.0f%%  lines %lld  events %lld  rejected %lld  duplicates %lld%s",
                             tty && !o.progress ? "\r" : "", req.file_name.c_str(), pct, static_cast<long long>(p.lines),
                             static_cast<long long>(p.events), static_cast<long long>(p.rejected),
                             static_cast<long long>(p.duplicates), tty && !o.progress ? "" : "\n");
                std::fflush(stderr);
            };
        }
        auto s = pipeline.Ingest(req);
        if (tty && !o.progress) std::fprintf(stderr, "\n");
        if (!s) {
            std::cerr << "muhafiz ingest: " << s.error().message << "\n";
            ++failures;
            continue;
        }
        auto conn = (*rt)->db->Acquire();
        if (!conn) return Fail(conn.error().message);
        auto dir = feeds::Directory::Load(**conn);
        if (!dir) return Fail(dir.error().message);
        if (o.json) results.push_back(SummaryJson(*s, **dir));
        else PrintSummary(*s, **dir);
    }
    if (o.json) std::cout << core::ToJson(results) << "\n";
    return failures ? 1 : 0;
}

feeds::NetworkFiles NetworkFilesOf(const feeds::FeedsConfig& c) {
    return feeds::NetworkFiles{c.pfx2as, c.delegated, c.mmdb, c.as_names};
}

core::json::value MicrosJson(const std::optional<core::Micros>& t) {
    return t ? core::json::value(core::FormatRfc3339(*t)) : core::json::value(nullptr);
}

// `muhafiz feeds network-data status`: loads the configured files as `serve` would (now, from
// disk) and prints what each holds; 1 when one of them is broken.
int NetworkDataStatus(const Config& config, bool as_json) {
    std::string path;
    for (const auto& [k, v] : config.module_settings)
        if (k == "feeds_config") path = v;
    if (path.empty()) return Fail("no feeds configuration (setting feeds_config): no network-data files are configured");
    auto fc = feeds::LoadFeedsConfig(path);
    if (!fc) return Fail(fc.error().message);
    feeds::NetworkDataSet set(NetworkFilesOf(*fc));
    auto loaded = set.LoadInitial();
    const feeds::NetworkDataStatus s = set.Status();
    if (as_json) {
        core::json::array files;
        for (const auto& f : s.files)
            files.push_back(core::json::object{{"path", f.path},
                                               {"kind", f.kind},
                                               {"size", f.size},
                                               {"mtime", f.mtime ? core::json::value(core::FormatRfc3339(f.mtime)) : nullptr},
                                               {"entries", f.entries},
                                               {"detail", f.detail},
                                               {"loaded_at", MicrosJson(f.loaded_at)},
                                               {"error", f.error}});
        std::cout << core::ToJson(core::json::object{{"ok", static_cast<bool>(loaded)}, {"files", std::move(files)}}) << "\n";
    } else {
        if (s.files.empty()) std::cout << "no network-data files are configured in " << path << "\n";
        for (const auto& f : s.files) {
            std::cout << f.kind << "  " << f.path << "\n";
            if (!f.error.empty()) {
                std::cout << "    ERROR: " << f.error << "\n";
            } else if (f.loaded_at) {
                std::cout << "    " << f.entries << " entries, " << f.size << " bytes, modified " << core::FormatRfc3339(f.mtime);
                if (!f.detail.empty()) std::cout << " (" << f.detail << ")";
                std::cout << "\n";
            } else {
                std::cout << "    not loaded (an earlier file failed)\n";
            }
        }
        if (!loaded)
            std::cerr << "muhafiz: a network-data file is broken: a running server keeps its previous data "
                         "(POST /api/v1/feeds/network-data/reload after fixing it)\n";
    }
    return loaded ? 0 : 1;
}

}  // namespace

core::Result<std::unique_ptr<FeedsModule>> FeedsModule::Open(Runtime& rt) {
    std::unique_ptr<FeedsModule> m(new FeedsModule());
    std::string config_path, spool_dir;
    for (const auto& [key, value] : rt.config.module_settings) {
        if (!key.starts_with("feeds_")) continue;
        if (key == "feeds_config") config_path = value;
        else if (key == "feeds_spool_dir") spool_dir = value;
        else if (key == "feeds_digest_poll_seconds") m->digest_poll_ = std::chrono::seconds(MUHAFIZ_TRY(IntSetting(key, value, 1, 86400)));
        else if (key == "feeds_background") {
            if (value != "on" && value != "off") return core::Invalid(key, "feeds_background must be on or off");
            m->background_ = value == "on";
        } else if (key == "feeds_network_reload_interval") {
            m->network_reload_ = std::chrono::seconds(MUHAFIZ_TRY(IntSetting(key, value, 0, 7 * 86400)));
        } else if (key == "feeds_upload_queue") {
            m->upload_queue_ = static_cast<std::size_t>(MUHAFIZ_TRY(IntSetting(key, value, 1, 100000)));
        } else if (key == "feeds_upload_worker") {
            if (value != "on" && value != "off") return core::Invalid(key, "feeds_upload_worker must be on or off");
            m->upload_worker_ = value == "on";
        } else {
            return core::Invalid(key, "unknown setting '" + key + "' (" + kSettings + ")");
        }
    }
    if (!config_path.empty()) m->config_ = MUHAFIZ_TRY(feeds::LoadFeedsConfig(config_path));
    if (!spool_dir.empty()) m->config_.spool_dir = spool_dir;
    m->network_ = std::make_unique<feeds::NetworkDataSet>(NetworkFilesOf(m->config_));
    MUHAFIZ_CHECK(m->network_->LoadInitial());
    m->store_ = std::make_unique<feeds::FeedStore>(*rt.db);
    feeds::PipelineOptions options;
    options.home_country = m->config_.country.empty() ? rt.config.country : m->config_.country;
    constituency::OwnerIndexUpdater* owners = rt.owners.get();
    m->pipeline_ = std::make_unique<feeds::Pipeline>(
        *m->store_, m->config_, [owners] { return owners->Get(); },
        [net = m->network_.get()] { return net->Current(); }, options);
    feeds::DigestOptions digest;
    digest.from = m->config_.digest_from;
    digest.default_interval = m->config_.default_interval;
    Runtime* self = &rt;
    m->digests_ = std::make_unique<feeds::DigestService>(*m->store_, *rt.notifier, digest, [self] {
        if (self->dispatcher) self->dispatcher->Wake();
    });
    return m;
}

FeedsModule::~FeedsModule() { Stop(); }

core::Status FeedsModule::RegisterRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard) {
    // The upload spool is opened here, not in Open: only `serve` takes uploads, and a CLI command
    // must not tidy the spool of a server that is running.
    if (!uploads_) {
        const std::string dir = (std::filesystem::path(rt.config.data_dir) / "spool" / "uploads").string();
        auto q = std::make_unique<feeds::UploadQueue>(*pipeline_, dir, upload_queue_, upload_worker_);
        MUHAFIZ_CHECK(q->Open());
        uploads_ = std::move(q);
    }
    return feeds::api::RegisterFeedsRoutes(router, guard, *pipeline_, *store_, *digests_, *uploads_, *network_, rt.audit);
}

void FeedsModule::Start(Runtime& rt) {
    (void)rt;
    if (uploads_) uploads_->Start();
    if (!network_->configured().empty()) network_->Start(network_reload_);
    if (!background_) return;
    collectors_ = std::make_unique<feeds::Collectors>(*pipeline_, digests_.get(), digest_poll_);
    collectors_->Start();
}

void FeedsModule::Stop() {
    if (collectors_) collectors_->Stop();
    if (uploads_) uploads_->Stop();
    if (network_) network_->Stop();
}

std::optional<int> FeedsModule::TakeMail(Runtime& rt, const notify::MailMessage& message) {
    (void)rt;
    const feeds::FeedConfig* feed = config_.FindSender(message.from_address);
    if (!feed) return std::nullopt;
    struct Part {
        std::string name, data;
    };
    std::vector<Part> parts;
    for (const auto& a : message.attachments) parts.push_back({a.filename, a.data});
    if (parts.empty() && !message.text.empty()) parts.push_back({"body.txt", message.text});
    if (parts.empty()) {
        std::cerr << "muhafiz: the message from feed " << feed->name << " has no report attached\n";
        return 65;  // EX_DATAERR
    }
    int failures = 0;
    for (auto& p : parts) {
        feeds::IngestRequest req;
        req.feed = feed->name;
        req.data = std::move(p.data);
        req.file_name = p.name;
        req.source = "mail";
        req.actor = message.from_address;
        auto s = pipeline_->Ingest(req);
        if (!s) {
            std::cerr << "muhafiz: feed " << feed->name << ", " << p.name << ": " << s.error().message << "\n";
            ++failures;
            continue;
        }
        std::cout << "feed " << feed->name << ": " << p.name << ": " << s->run.events << " events, " << s->run.rejected
                  << " rejected, " << s->run.duplicates << " duplicates" << (s->already_ingested ? " (already ingested)" : "")
                  << "\n";
    }
    return failures ? 65 : 0;
}

void FeedsModule::AddCommands(CLI::App& cli, Commands& commands) {
    auto opts = std::make_shared<IngestOptions>();
    auto* ingest = cli.add_subcommand(
        "ingest",
        "ingest feed reports into the pipeline (parse, deduplicate, enrich, route, store); re-ingesting a "
        "report, or resuming after the process was killed, stores no event twice");
    commands.common(ingest);
    ingest->add_option("--feed", opts->feed, "the feed (as configured in feeds_config, or a new name with --format)")
        ->required();
    ingest->add_option("--format", opts->format,
                       "shadowserver (type from the file name or header), shadowserver:TYPE (e.g. scan_http), "
                       "csv:MAPPING.json, jsonl (IntelMQ events) or blocklist[:TYPE] (default: the feed's)");
    ingest->add_option("FILE", opts->files, "report files (- for standard input)")->required();
    ingest->add_flag("--force", opts->force, "ingest a report again although it was ingested before (duplicates are still dropped)");
    ingest->add_flag("--json", opts->json, "print the summaries as JSON");
    ingest->add_flag("--progress", opts->progress, "print a progress line per batch on standard error, even when not a terminal");
    ingest->add_option("--throttle", opts->throttle_ms, "pause MS milliseconds after each batch (limits the load)");
    commands.Add(ingest, [opts](const Config& c) { return Ingest(c, *opts); });

    auto* feeds_cmd = cli.add_subcommand("feeds", "feed pipeline tasks: dead letters, runs, digests, fetches, exports");
    feeds_cmd->require_subcommand(1);

    auto* dead = feeds_cmd->add_subcommand("dead-letter", "records of reports that could not be parsed");
    dead->require_subcommand(1);
    auto dl = std::make_shared<std::tuple<std::string, int, bool, std::vector<std::string>>>("", 50, false, std::vector<std::string>{});
    auto* dl_list = dead->add_subcommand("list", "list open dead letters: file, line, reason and the text");
    commands.common(dl_list);
    dl_list->add_option("--feed", std::get<0>(*dl), "only this feed");
    dl_list->add_option("--limit", std::get<1>(*dl), "at most N (1..500, default 50)");
    dl_list->add_flag("--json", std::get<2>(*dl), "JSON lines");
    commands.Add(dl_list, [dl](const Config& c) {
        auto rt = Runtime::Open(c);
        if (!rt) return Fail(rt.error().message);
        auto page = (*rt)->feeds->store().ListDeadLetters(std::get<0>(*dl), "open", std::get<1>(*dl), "");
        if (!page) return Fail(page.error().message);
        for (const auto& d : page->items) {
            if (std::get<2>(*dl)) {
                std::cout << core::ToJson(core::json::object{{"id", d.uuid},
                                                             {"feed", d.feed},
                                                             {"file", d.file_name},
                                                             {"line", d.line},
                                                             {"reason", d.reason},
                                                             {"text", feeds::IsUtf8(d.raw) ? d.raw : feeds::Base64Encode(d.raw)}})
                          << "\n";
            } else {
                std::cout << d.uuid << "  " << d.feed << "  " << d.file_name << ":" << d.line << "  " << d.reason << "\n    "
                          << (feeds::IsUtf8(d.raw) ? d.raw.substr(0, 200) : "(not UTF-8) " + feeds::Base64Encode(d.raw).substr(0, 200))
                          << "\n";
            }
        }
        if (!std::get<2>(*dl)) std::cout << page->total << " open dead letter(s)\n";
        return 0;
    });
    auto* dl_replay = dead->add_subcommand("replay", "parse open dead letters again (after fixing a mapping or the parser)");
    commands.common(dl_replay);
    dl_replay->add_option("--feed", std::get<0>(*dl), "only this feed");
    dl_replay->add_option("ID", std::get<3>(*dl), "only these dead letters");
    commands.Add(dl_replay, [dl](const Config& c) {
        auto rt = Runtime::Open(c);
        if (!rt) return Fail(rt.error().message);
        auto r = (*rt)->feeds->pipeline().Replay(std::get<0>(*dl), std::get<3>(*dl), CliActor().username);
        if (!r) return Fail(r.error().message);
        std::cout << r->tried << " tried, " << r->replayed << " replayed, " << r->still_failing << " still failing\n";
        return 0;
    });

    auto runs_feed = std::make_shared<std::string>();
    auto* runs = feeds_cmd->add_subcommand("runs", "the last ingest runs with their totals (JSON lines)");
    commands.common(runs);
    runs->add_option("--feed", *runs_feed, "only this feed");
    commands.Add(runs, [runs_feed](const Config& c) {
        auto rt = Runtime::Open(c);
        if (!rt) return Fail(rt.error().message);
        auto page = (*rt)->feeds->store().ListRuns(*runs_feed, 100, "");
        if (!page) return Fail(page.error().message);
        for (const auto& r : page->items)
            std::cout << core::ToJson(core::json::object{{"id", r.uuid},
                                                         {"feed", r.feed},
                                                         {"file", r.file_name},
                                                         {"status", r.status},
                                                         {"lines", r.lines_read},
                                                         {"events", r.events},
                                                         {"rejected", r.rejected},
                                                         {"duplicates", r.duplicates},
                                                         {"aggregated", r.aggregated}})
                      << "\n";
        auto total = (*rt)->feeds->store().CountEvents(*runs_feed);
        if (total) std::cerr << *total << " stored event(s)\n";
        return 0;
    });

    auto force = std::make_shared<bool>(false);
    auto* digest = feeds_cmd->add_subcommand("digest", "queue the digests that are due now (serve sends them; "
                                                       "with smtp_url set they are sent before this returns)");
    commands.common(digest);
    digest->add_flag("--force", *force, "send hourly and daily digests now too");
    commands.Add(digest, [force](const Config& c) {
        auto rt = Runtime::Open(c);
        if (!rt) return Fail(rt.error().message);
        auto r = (*rt)->feeds->digests().RunDue(core::NowMicros(), *force);
        if (!r) return Fail(r.error().message);
        std::cout << r->sent << " digest(s) queued with " << r->events << " event(s); " << r->skipped
                  << " recipient(s) without an address\n";
        if (!c.smtp_url.empty() && r->sent) {
            if (auto st = (*rt)->dispatcher->Flush(std::chrono::seconds(60)); !st)
                std::cerr << "muhafiz: " << st.error().message << " (serve will keep trying)\n";
        }
        return 0;
    });

    auto fetch_feed = std::make_shared<std::string>();
    auto* fetch = feeds_cmd->add_subcommand("fetch", "download configured feeds' URLs now and ingest them");
    commands.common(fetch);
    fetch->add_option("--feed", *fetch_feed, "only this feed");
    commands.Add(fetch, [fetch_feed](const Config& c) {
        auto rt = Runtime::Open(c);
        if (!rt) return Fail(rt.error().message);
        auto& pipeline = (*rt)->feeds->pipeline();
        int failures = 0, done = 0;
        for (const auto& f : pipeline.config().feeds) {
            if (!f.fetch || (!fetch_feed->empty() && f.name != *fetch_feed)) continue;
            ++done;
            auto r = feeds::FetchFeed(pipeline, f);
            if (!r) {
                std::cerr << "muhafiz: " << f.name << ": " << r.error().message << "\n";
                ++failures;
            } else if (!*r) {
                std::cout << f.name << ": not modified\n";
            } else {
                std::cout << f.name << ": " << (*r)->run.events << " events, " << (*r)->run.rejected << " rejected, "
                          << (*r)->run.duplicates << " duplicates\n";
            }
        }
        if (!done) return Fail(fetch_feed->empty() ? "no feed has a fetch URL" : "no feed '" + *fetch_feed + "' with a fetch URL");
        return failures ? 1 : 0;
    });

    auto* nd = feeds_cmd->add_subcommand(
        "network-data",
        "the network-data files (pfx2as, RIR delegated, MMDB, AS names) used for enrichment. A running server "
        "checks them for changes every feeds_network_reload_interval seconds and reloads on "
        "POST /api/v1/feeds/network-data/reload; this command cannot reach a server's memory");
    nd->require_subcommand(1);
    auto nd_json = std::make_shared<bool>(false);
    auto* nd_status = nd->add_subcommand(
        "status", "load the configured network-data files now, as serve would, and print what each holds "
                  "(entries, size, modification time) or why it is broken (exit 1)");
    commands.common(nd_status);
    nd_status->add_flag("--json", *nd_json, "print JSON");
    commands.Add(nd_status, [nd_json](const Config& c) { return NetworkDataStatus(c, *nd_json); });

    auto ex = std::make_shared<std::pair<std::string, std::string>>("", "jsonl");
    auto* exp = feeds_cmd->add_subcommand("export", "write stored events as IntelMQ JSON lines (or CSV) to standard output");
    commands.common(exp);
    exp->add_option("--feed", ex->first, "only this feed");
    exp->add_option("--format", ex->second, "jsonl (default) or csv");
    commands.Add(exp, [ex](const Config& c) {
        if (ex->second != "jsonl" && ex->second != "csv") return Fail("--format must be jsonl or csv");
        auto rt = Runtime::Open(c);
        if (!rt) return Fail(rt.error().message);
        feeds::EventFilter f;
        f.feed = ex->first;
        f.limit = 500;
        bool header = true;
        for (;;) {
            auto page = (*rt)->feeds->store().ListEvents(f);
            if (!page) return Fail(page.error().message);
            if (ex->second == "jsonl") {
                for (const auto& e : page->items) std::cout << e.data << "\n";
            } else {
                std::string csv = feeds::DigestService::EventsCsv(page->items);
                if (!header) csv = csv.substr(csv.find('\n') + 1);
                std::cout << csv;
                header = false;
            }
            if (!page->next) break;
            f.cursor = *page->next;
        }
        return 0;
    });
}

}  // namespace muhafiz::app
