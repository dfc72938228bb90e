// The feeds capability inside one muhafiz process: the automated feed pipeline (collectors, stages, digests, the constituent pull API).
// Runtime::Open opens it after the shared services; serve registers its routes and starts its
// background work; main adds its subcommands.
// Ownership: owns the capability's services; Runtime owns the module.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "access/api/guard.hpp"
#include "app/cli.hpp"
#include "core/result.hpp"
#include "http/router.hpp"
#include "feeds/collectors.hpp"
#include "feeds/digest.hpp"
#include "feeds/feed_store.hpp"
#include "feeds/network_data.hpp"
#include "feeds/pipeline.hpp"
#include "notify/mail_message.hpp"

namespace muhafiz::app {

struct Runtime;

class FeedsModule {
public:
    // Builds the capability's services on the runtime's database and shared services.
    [[nodiscard]] static core::Result<std::unique_ptr<FeedsModule>> Open(Runtime& rt);
    ~FeedsModule();

    [[nodiscard]] core::Status RegisterRoutes(http::Router& router, Runtime& rt, const access::api::Guard& guard);
    // Background work of `serve`; Stop ends it before the runtime goes.
    void Start(Runtime& rt);
    void Stop();

    static void AddCommands(CLI::App& cli, Commands& commands);

    // `muhafiz mail-ingest` asks this first: when the sender is a configured feed, ingests the
    // message's attachments as that feed's reports and returns the exit code; otherwise nullopt
    // (the message is an incident report).
    std::optional<int> TakeMail(Runtime& rt, const notify::MailMessage& message);

    feeds::Pipeline& pipeline() { return *pipeline_; }
    feeds::FeedStore& store() { return *store_; }
    feeds::DigestService& digests() { return *digests_; }
    feeds::NetworkDataSet& network() { return *network_; }

private:
    FeedsModule() = default;

    feeds::FeedsConfig config_;
    std::unique_ptr<feeds::NetworkDataSet> network_;  // before pipeline_, which asks it per run
    std::unique_ptr<feeds::FeedStore> store_;
    std::unique_ptr<feeds::Pipeline> pipeline_;
    std::unique_ptr<feeds::DigestService> digests_;
    std::unique_ptr<feeds::UploadQueue> uploads_;  // opened by RegisterRoutes (serve only)
    std::unique_ptr<feeds::Collectors> collectors_;
    std::chrono::seconds digest_poll_{60};
    std::chrono::seconds network_reload_{300};
    std::size_t upload_queue_ = 32;
    bool upload_worker_ = true;
    bool background_ = true;
};

}  // namespace muhafiz::app
