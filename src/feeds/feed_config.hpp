// The feeds configuration file (setting `feeds_config`, JSON): the configured feeds with their
// formats and per-feed rules, the spool folder, the network-data files and digest defaults.
//
//   {"country": "PK",
//    "spool_dir": "var/spool/feeds", "spool_interval": "30s",
//    "network_data": {"pfx2as": ["rv2.pfx2as.gz"], "delegated": ["delegated-ripencc-extended"],
//                     "mmdb": ["GeoLite2-City.mmdb"], "as_names": "asnames.txt"},
//    "digest": {"default_interval": "daily", "from": "CERT <cert@example.pk>"},
//    "feeds": [{"name": "shadowserver", "format": "shadowserver", "provider": "Shadowserver",
//               "tlp": "AMBER", "min_severity": "low", "keep_raw": true, "accuracy": 100,
//               "do_not_notify": ["192.0.2.0/24", "AS64500", "example.pk", "<organisation uuid>"],
//               "overrides": [{"match": {"classification.identifier": "accessible-http"},
//                              "set": {"severity": "low"}, "route_to": "<organisation uuid>"}],
//               "dedup_fields": [], "dedup_window": "7d", "aggregate": false,
//               "aggregate_fields": [], "aggregate_window": "24h",
//               "senders": ["autoreports@shadowserver.org"],
//               "classification": {"type": "blacklist", "identifier": "drop"},
//               "mapping": "mapping.json",
//               "fetch": {"url": "https://...", "interval": "1h", "headers": {"Authorization": "..."},
//                         "file_name": "scan_http.csv"}}]}
//
// Durations are "30s", "15m", "1h", "7d" or a number of seconds.
// Thread-safety: plain values. Errors: kInvalidArgument naming the offending key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "feeds/parsers.hpp"

namespace muhafiz::feeds {

struct Override {
    std::vector<std::pair<std::string, std::string>> match;  // field -> value (or CIDR for *.ip)
    std::vector<std::pair<std::string, std::string>> set;
    std::string route_to;  // organisation uuid
};

struct FetchConfig {
    std::string url;
    core::Micros interval = 3600LL * 1000000;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string file_name;  // name given to the fetched report (format detection)
};

struct FeedConfig {
    std::string name;
    std::string format = "shadowserver";
    std::string provider;
    std::string tlp;
    std::string min_severity;
    bool keep_raw = true;
    std::optional<double> accuracy;
    std::vector<std::string> do_not_notify;
    std::vector<Override> overrides;
    std::vector<std::string> dedup_fields;
    core::Micros dedup_window = 7LL * 86400 * 1000000;
    bool aggregate = false;
    std::vector<std::string> aggregate_fields;
    core::Micros aggregate_window = 86400LL * 1000000;
    std::vector<std::string> senders;  // lower-case e-mail addresses
    std::string classification_type;
    std::string classification_identifier;
    std::string mapping_path;
    std::optional<CsvMapping> mapping;
    std::optional<FetchConfig> fetch;
};

struct FeedsConfig {
    std::string country;  // empty: the platform's
    std::string spool_dir;
    core::Micros spool_interval = 30LL * 1000000;
    std::vector<std::string> pfx2as, delegated, mmdb;
    std::string as_names;
    std::string default_interval = "daily";
    std::string digest_from;
    std::vector<FeedConfig> feeds;

    [[nodiscard]] const FeedConfig* Find(std::string_view name) const;
    // The feed whose `senders` include this address (lower case).
    [[nodiscard]] const FeedConfig* FindSender(std::string_view address) const;
};

// Parses the configuration; relative paths are resolved against `base_dir`.
[[nodiscard]] core::Result<FeedsConfig> ParseFeedsConfig(std::string_view json_text, const std::string& base_dir = "");
[[nodiscard]] core::Result<FeedsConfig> LoadFeedsConfig(const std::string& path);
[[nodiscard]] std::optional<core::Micros> ParseDuration(std::string_view text);
// A feed used without configuration (an ad-hoc `muhafiz ingest --feed NAME`).
[[nodiscard]] FeedConfig DefaultFeed(std::string name, std::string format);
// Checks an interval name: immediate, hourly, daily, never.
[[nodiscard]] bool ValidInterval(std::string_view interval);

}  // namespace muhafiz::feeds
