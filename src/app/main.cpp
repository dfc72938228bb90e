// muhafiz: the one program. `muhafiz --help` lists the commands.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "access/password.hpp"
#include "app/cli.hpp"
#include "app/config.hpp"
#include "app/feeds_module.hpp"
#include "app/incidents_module.hpp"
#include "app/intel_module.hpp"
#include "app/runtime.hpp"
#include "app/serve.hpp"
#include "constituency/transfer.hpp"
#include "core/ids.hpp"
#include "vulns/cvss.hpp"

namespace muhafiz::app {
namespace {

core::Result<constituency::TransferFormat> FormatOf(const std::string& format, const std::string& path) {
    std::string f = format;
    if (f.empty()) {
        const auto dot = path.rfind('.');
        f = dot == std::string::npos ? "json" : path.substr(dot + 1);
    }
    if (f == "json") return constituency::TransferFormat::kJson;
    if (f == "csv") return constituency::TransferFormat::kCsv;
    return core::Invalid("format", "unknown format '" + f + "': use json or csv");
}

int ImportConstituency(const Config& config, const std::string& file, const std::string& format, bool skip_bad) {
    auto fmt = FormatOf(format, file);
    if (!fmt) return Fail(fmt.error().message, 2);
    auto text = ReadInput(file);
    if (!text) return Fail(text.error().message, 2);
    auto rt = Runtime::Open(config);
    if (!rt) return Fail(rt.error().message);
    auto report = constituency::ImportConstituency(*(*rt)->organisations, *text, *fmt, skip_bad, CliActor());
    if (!report) return Fail(file + ": " + report.error().message, 2);
    for (const auto& p : report->problems)
        std::cerr << file << ":" << p.line << ": " << (p.field.empty() ? "" : p.field + ": ") << p.message << "\n";
    std::cout << report->entries << " entries: " << report->created << " created, " << report->updated
              << " updated, " << report->unchanged << " unchanged, " << report->problems.size() << " bad";
    if (!report->committed) {
        std::cout << " — nothing imported (fix the bad entries, or use --skip-bad)\n";
        return 1;
    }
    std::cout << (report->problems.empty() ? "\n" : " (skipped)\n");
    return 0;
}

int ExportConstituency(const Config& config, const std::string& format, const std::string& output) {
    auto fmt = FormatOf(format.empty() && output.empty() ? "json" : format, output);
    if (!fmt) return Fail(fmt.error().message, 2);
    auto rt = Runtime::Open(config);
    if (!rt) return Fail(rt.error().message);
    auto text = constituency::ExportConstituency(*(*rt)->organisations, *fmt);
    if (!text) return Fail(text.error().message);
    if (output.empty() || output == "-") {
        std::cout << *text;
        return 0;
    }
    std::ofstream out(output, std::ios::binary);
    if (!out || !(out << *text)) return Fail("cannot write " + output);
    return 0;
}

int VerifyAudit(const Config& config) {
    auto rt = Runtime::Open(config);
    if (!rt) return Fail(rt.error().message);
    auto conn = (*rt)->db->Acquire();
    if (!conn) return Fail(conn.error().message);
    auto report = (*rt)->audit.Verify(**conn);
    if (!report) return Fail(report.error().message);
    if (report->ok) {
        std::cout << "audit log intact: " << report->entries << " entries, hash chain verified\n";
        return 0;
    }
    std::cout << "audit log TAMPERED: entry " << report->first_bad_id << ": " << report->reason << " ("
              << report->entries << " entries checked)\n";
    return 3;
}

int ResetPassword(const Config& config, const std::string& username, std::string password, bool reset_mfa) {
    auto rt = Runtime::Open(config);
    if (!rt) return Fail(rt.error().message);
    const bool generated = password.empty();
    if (generated) password = core::RandomToken(15);
    auto s = (*rt)->users->ResetPassword(username, password, reset_mfa);
    if (!s) return Fail(s.error().message);
    std::cout << "password of '" << username << "' reset" << (generated ? " to: " + password : "")
              << (reset_mfa ? " (two-factor authentication turned off)" : "") << "\n";
    return 0;
}

int ImportVulns(const Config& config, const std::string& path, const std::string& kind_name) {
    auto kind = vulns::ParseIngestKind(kind_name.empty() ? "auto" : kind_name);
    if (!kind) return Fail("unknown --kind '" + kind_name + "': use auto, cve5, nvd, kev or epss", 2);
    auto rt = Runtime::Open(config);
    if (!rt) return Fail(rt.error().message);
    if (auto s = (*rt)->vuln_service->Load(); !s) return Fail(s.error().message);
    vulns::IngestOptions options;
    const bool tty = ::isatty(STDERR_FILENO);
    if (tty)
        options.progress = [](const vulns::IngestReport& r) {
            std::cerr << "\r" << r.records << " records, " << r.rejected << " rejected" << std::flush;
        };
    auto outcome = (*rt)->vuln_service->IngestPath(path, *kind, options);
    if (tty) std::cerr << "\r\033[K";
    if (!outcome) return Fail(path + ": " + outcome.error().message, 2);
    for (const auto& p : outcome->problems)
        std::cerr << path << ": " << (p.record.empty() ? "" : p.record + ": ") << p.reason << "\n";
    std::cout << vulns::FormatIngestReport(outcome->report) << "; " << outcome->matched_cves
              << " CVEs matched, " << outcome->new_findings << " new findings\n";
    // Queued digests are sent by the server's dispatcher (or here when SMTP is configured).
    if (!config.smtp_url.empty()) (void)(*rt)->dispatcher->Flush(std::chrono::seconds(30));
    return 0;
}

// Downloads one configured source now (vuln_sources) and imports what changed.
int FetchVulns(const Config& config, const std::string& name) {
    auto rt = Runtime::Open(config);
    if (!rt) return Fail(rt.error().message);
    if (auto s = (*rt)->vuln_service->Load(); !s) return Fail(s.error().message);
    auto r = (*rt)->vuln_scheduler->RunOnce(name);
    if (!r) return Fail(r.error().message);
    std::cout << name << ": " << (r->not_modified ? "not modified" : std::to_string(r->files) + " file(s) imported")
              << " in " << r->requests << " request(s)\n";
    if (!config.smtp_url.empty()) (void)(*rt)->dispatcher->Flush(std::chrono::seconds(30));
    return 0;
}

// Scores each vector (or each line of standard input): `vector<TAB>score<TAB>severity`.
int Cvss(const std::vector<std::string>& vectors) {
    int bad = 0;
    auto one = [&](std::string v) {
        while (!v.empty() && (v.back() == '\r' || v.back() == ' ' || v.back() == '\t')) v.pop_back();
        v.erase(0, v.find_first_not_of(" \t"));
        if (v.empty()) return;
        auto r = vulns::ScoreCvss(v);
        if (r) {
            std::cout << vulns::FormatCvssLine(*r) << "\n";
        } else {
            std::cerr << "muhafiz cvss: " << v << ": " << r.error().message << "\n";
            ++bad;
        }
    };
    if (vectors.empty()) {
        for (std::string line; std::getline(std::cin, line);) one(line);
    } else {
        for (const auto& v : vectors) one(v);
    }
    return bad ? 1 : 0;
}

}  // namespace

int Main(int argc, char** argv) {
    auto logger = spdlog::stderr_color_mt("muhafiz");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);

    CLI::App cli{"Muhafiz: the operations platform of a national CERT and the CERTs beneath it.\n"
                 "Settings come from --config FILE, then MUHAFIZ_* environment variables, then flags."};
    cli.require_subcommand(1);
    cli.set_version_flag("--version", std::string("muhafiz ") + kVersion);
    Config config;
    std::string config_file, listen, database, data_dir, web_dir;
    std::string threads;
    bool require_mfa = false, no_access_log = false, trust_proxy = false, reset_mfa = false;
    auto common = [&](CLI::App* sub) {
        sub->add_option("--config", config_file, "settings file (key = value lines)");
        sub->add_option("--database", database,
                        "database URL: a SQLite path (default <data-dir>/muhafiz.db) or postgresql://user@host:port/db");
        sub->add_option("--data-dir", data_dir, "folder for the SQLite database and stored files (default var)");
    };

    auto* serve = cli.add_subcommand("serve", "serve the web UI and the API (default http://127.0.0.1:8080)");
    common(serve);
    serve->add_option("--listen", listen, "HOST:PORT to listen on (default 127.0.0.1:8080)");
    serve->add_option("--web-dir", web_dir, "folder of the built web UI (default: found next to the program)");
    serve->add_option("--threads", threads, "worker threads (default: one per core)");
    serve->add_flag("--require-admin-mfa", require_mfa, "admins must enrol in TOTP MFA before doing anything");
    serve->add_flag("--no-access-log", no_access_log, "do not log every request");
    serve->add_flag("--trust-proxy", trust_proxy,
                    "behind a reverse proxy: client address from X-Forwarded-For, TLS from X-Forwarded-Proto");

    auto* import = cli.add_subcommand("import", "import data from a file");
    import->require_subcommand(1);
    auto* import_constituency = import->add_subcommand(
        "constituency", "import organisations (CSV or JSON as exported); idempotent; a file with a bad entry "
                        "imports nothing unless --skip-bad");
    common(import_constituency);
    std::string import_file, import_format;
    bool skip_bad = false;
    import_constituency->add_option("FILE", import_file, "the file, or - for standard input")->required();
    import_constituency->add_option("--format", import_format, "csv or json (default: from the file name)");
    import_constituency->add_flag("--skip-bad", skip_bad, "import the good entries and skip the bad ones");

    auto* import_vulns = import->add_subcommand(
        "vulns", "import vulnerability data (CVE 5 records, files, folders or release zip bundles; NVD 2.0 "
                 "responses; the CISA KEV catalog; EPSS CSV) and match it against every asset");
    common(import_vulns);
    std::string vulns_path, vulns_kind;
    import_vulns->add_option("PATH", vulns_path, "a file, a folder or a zip bundle")->required();
    import_vulns->add_option("--kind", vulns_kind, "auto (default), cve5, nvd, kev or epss");

    auto* vulns_cmd = cli.add_subcommand("vulns", "vulnerability data tasks");
    vulns_cmd->require_subcommand(1);
    auto* vulns_fetch = vulns_cmd->add_subcommand(
        "fetch", "download one source named in the vuln_sources setting now and import it");
    common(vulns_fetch);
    std::string fetch_name;
    vulns_fetch->add_option("NAME", fetch_name, "the source's name, e.g. kev, epss or nvd")->required();

    auto* exp = cli.add_subcommand("export", "export data");
    exp->require_subcommand(1);
    auto* export_constituency = exp->add_subcommand("constituency", "export every organisation as JSON or CSV");
    common(export_constituency);
    std::string export_format, export_output;
    export_constituency->add_option("--format", export_format, "json (default) or csv");
    export_constituency->add_option("-o,--output", export_output, "write to FILE instead of standard output");

    auto* admin = cli.add_subcommand("admin", "operator tasks");
    admin->require_subcommand(1);
    auto* verify = admin->add_subcommand("verify-audit", "check the audit log's hash chain; exit 3 when tampered");
    common(verify);
    auto* migrate = admin->add_subcommand("migrate", "apply database migrations and exit");
    common(migrate);
    auto* reset = admin->add_subcommand("reset-password", "set a new password for a user (generated unless given)");
    common(reset);
    std::string reset_user, reset_password;
    reset->add_option("USERNAME", reset_user, "the user")->required();
    reset->add_option("--password", reset_password, "the new password (default: generate and print one)");
    reset->add_flag("--reset-mfa", reset_mfa, "also turn off two-factor authentication (a lost authenticator)");

    auto* cvss = cli.add_subcommand("cvss", "score CVSS 3.x/4.0 vectors: prints vector<TAB>score<TAB>severity "
                                            "(reads standard input when no vector is given)");
    std::vector<std::string> cvss_vectors;
    cvss->add_option("VECTOR", cvss_vectors, "CVSS vectors, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");

    Commands commands;
    commands.common = common;
    IncidentsModule::AddCommands(cli, commands);
    IntelModule::AddCommands(cli, commands);
    FeedsModule::AddCommands(cli, commands);

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }

    if (*cvss) return Cvss(cvss_vectors);
    if (!config_file.empty()) {
        if (auto s = ApplyConfigFile(config, config_file); !s) return Fail(s.error().message, 2);
    }
    if (auto s = ApplyEnvironment(config); !s) return Fail(s.error().message, 2);
    auto set = [&](const char* key, const std::string& v) -> bool {
        if (v.empty()) return true;
        auto s = ApplySetting(config, key, v);
        if (!s) Fail(s.error().message, 2);
        return s.has_value();
    };
    if (!set("listen", listen) || !set("database", database) || !set("data_dir", data_dir) ||
        !set("web_dir", web_dir) || !set("threads", threads))
        return 2;
    if (trust_proxy) config.trust_proxy = true;
    if (require_mfa) config.require_admin_mfa = true;
    if (no_access_log) config.access_log = false;

    if (*serve) return Serve(config);
    if (*import_constituency) return ImportConstituency(config, import_file, import_format, skip_bad);
    if (*import_vulns) return ImportVulns(config, vulns_path, vulns_kind);
    if (*vulns_fetch) return FetchVulns(config, fetch_name);
    if (*export_constituency) return ExportConstituency(config, export_format, export_output);
    if (*verify) return VerifyAudit(config);
    if (*reset) return ResetPassword(config, reset_user, reset_password, reset_mfa);
    for (const auto& [sub, run] : commands.runners)
        if (sub->parsed()) return run(config);
    if (*migrate) {
        auto rt = Runtime::Open(config);
        if (!rt) return Fail(rt.error().message);
        std::cout << "database is up to date\n";
        return 0;
    }
    return 2;
}

}  // namespace muhafiz::app

int main(int argc, char** argv) { return muhafiz::app::Main(argc, argv); }
