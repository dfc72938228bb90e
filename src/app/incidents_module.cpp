#include "app/incidents_module.hpp"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <iterator>

#include "app/feeds_module.hpp"
#include "app/runtime.hpp"
#include "incidents/api/incidents_api.hpp"
#include "incidents/incident_store.hpp"
#include "incidents/mail_intake.hpp"
#include "notify/mail_message.hpp"

namespace muhafiz::app {

namespace {

// sysexits(3) codes a mail server's pipe delivery understands.
constexpr int kExitOk = 0;
constexpr int kExitDataErr = 65;   // unusable message: kept in the dead-letter folder
constexpr int kExitSoftware = 70;  // an unexpected failure: kept in the dead-letter folder
constexpr int kExitIoErr = 74;     // the dead-letter folder could not be written
constexpr int kExitTempFail = 75;  // database unavailable: the mail server retries later

core::Result<int> IntSetting(const std::string& key, const std::string& value, int min, int max) {
    try {
        std::size_t used = 0;
        long long v = std::stoll(value, &used);
        if (used == value.size() && v >= min && v <= max) return static_cast<int>(v);
    } catch (...) {
    }
    return core::Invalid(key, key + " must be a whole number between " + std::to_string(min) + " and " +
                                  std::to_string(max));
}

int MailIngest(const Config& config) {
    std::string raw((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    const std::filesystem::path dead = std::filesystem::path(config.data_dir) / "incidents" / "dead-letter";
    auto keep = [&](const std::string& reason, int code) {
        auto where = incidents::DeadLetter(dead, raw, reason);
        if (!where) {
            std::cerr << "muhafiz: " << reason << "; and the dead-letter folder could not be written: "
                      << where.error().message << "\n";
            return kExitIoErr;
        }
        std::cerr << "muhafiz: " << reason << " (kept as " << where->string() << ")\n";
        return code;
    };
    auto message = notify::ParseMailMessage(raw);
    if (!message) return keep("unusable message: " + message.error().message, kExitDataErr);
    auto rt = Runtime::Open(config);
    if (!rt) {
        std::cerr << "muhafiz: " << rt.error().message << " (try again later)\n";
        return kExitTempFail;
    }
    if (auto taken = (*rt)->feeds->TakeMail(**rt, *message)) return *taken;
    incidents::MailIntake intake((*rt)->incidents->store());
    auto result = intake.Take(*message);
    if (!result) {
        const auto code = result.error().code;
        if (code == core::ErrorCode::kUnavailable) {
            std::cerr << "muhafiz: " << result.error().message << " (try again later)\n";
            return kExitTempFail;
        }
        const bool data = code == core::ErrorCode::kInvalidArgument || code == core::ErrorCode::kNotFound ||
                          code == core::ErrorCode::kPayloadTooLarge;
        return keep(std::string(data ? "unusable message: " : "failure: ") + result.error().message,
                    data ? kExitDataErr : kExitSoftware);
    }
    std::cout << (result->appended ? "appended to " : "created ") << result->reference;
    if (result->attachments) std::cout << " with " << result->attachments << " attachment(s)";
    std::cout << "\n";
    return kExitOk;
}

}  // namespace

core::Result<std::unique_ptr<IncidentsModule>> IncidentsModule::Open(Runtime& rt) {
    std::unique_ptr<IncidentsModule> m(new IncidentsModule());
    std::string regimes_file;
    incidents::StoreOptions options;
    options.attachments_dir = std::filesystem::absolute(rt.config.data_dir) / "incidents" / "attachments";
    for (const auto& [key, value] : rt.config.module_settings) {
        if (!key.starts_with("incidents_")) continue;
        if (key == "incidents_regimes_file") {
            regimes_file = value;
        } else if (key == "incidents_max_attachment_bytes") {
            options.max_attachment_bytes = MUHAFIZ_TRY(IntSetting(key, value, 1024, 1 << 30));
        } else if (key == "incidents_public_reports_per_hour") {
            m->public_per_hour_ = MUHAFIZ_TRY(IntSetting(key, value, 0, 100000));
        } else if (key == "incidents_reminder_interval_seconds") {
            m->reminder_interval_seconds_ = MUHAFIZ_TRY(IntSetting(key, value, 1, 86400));
        } else {
            return core::Invalid(key, "unknown setting '" + key +
                                          "' (incidents settings: incidents_regimes_file, incidents_max_attachment_bytes, "
                                          "incidents_public_reports_per_hour, incidents_reminder_interval_seconds)");
        }
    }
    auto regimes = incidents::RegimeSet::Load(regimes_file);
    if (!regimes) return tl::unexpected(regimes.error());
    m->store_ = std::make_unique<incidents::IncidentStore>(*rt.db, rt.audit, rt.policy, rt.notifier.get(),
                                                           std::move(*regimes), std::move(options));
    m->limiter_ = std::make_unique<incidents::api::RateLimiter>(m->public_per_hour_);
    return m;
}

IncidentsModule::~IncidentsModule() { Stop(); }

core::Status IncidentsModule::RegisterRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard) {
    (void)rt;
    incidents::api::ApiOptions options;
    options.public_reports_per_hour = public_per_hour_;
    return incidents::api::RegisterIncidentRoutes(router, guard, *store_, *limiter_, options);
}

void IncidentsModule::Start(Runtime& rt) {
    if (worker_.joinable()) return;
    stopping_ = false;
    notify::Dispatcher* dispatcher = rt.dispatcher.get();
    worker_ = std::thread([this, dispatcher] {
        std::unique_lock lock(mu_);
        while (!stopping_) {
            lock.unlock();
            auto n = store_->ProcessDeadlines(core::NowMicros());
            if (!n) spdlog::warn("incidents: deadline reminders failed: {}", n.error().message);
            else if (*n > 0) {
                spdlog::info("incidents: queued {} deadline reminder(s)", *n);
                if (dispatcher) dispatcher->Wake();
            }
            lock.lock();
            cv_.wait_for(lock, std::chrono::seconds(reminder_interval_seconds_), [this] { return stopping_; });
        }
    });
}

void IncidentsModule::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void IncidentsModule::AddCommands(CLI::App& cli, Commands& commands) {
    auto* ingest = cli.add_subcommand(
        "mail-ingest",
        "read one RFC 5322 e-mail on standard input (as a mail server's pipe delivers it) and file it: a message "
        "from a configured feed goes to the feeds; one whose subject carries a reference such as "
        "[INC-2026-000123] is added to that incident's timeline with its attachments; any other becomes a new "
        "incident report in the triage queue (of the sender's organisation's CERT when its domain is registered, "
        "else the National CERT).\n"
        "Exit codes: 0 filed; 65 unusable message (not parseable, no From, unknown reference, attachment over "
        "incidents_max_attachment_bytes) kept in <data dir>/incidents/dead-letter/ with a .reason file; 70 an "
        "unexpected failure, also kept there; 74 the dead-letter folder could not be written; 75 temporary "
        "failure (database unavailable): the mail server should retry. A feed's message exits with the code "
        "the feeds give.");
    commands.common(ingest);
    commands.Add(ingest, [](const Config& config) { return MailIngest(config); });
}

}  // namespace muhafiz::app
