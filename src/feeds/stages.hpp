// The in-memory stages of the feed pipeline, each working on a whole batch:
//   Deduplicator  drops events seen within the feed's window (hash of the configured fields;
//                 seeded from storage so the window survives a restart);
//   Enricher      prefix/ASN/AS name, geolocation, registry and allocation, owner organisation
//                 (owner index: IP, then ASN, then domain suffix), URL -> FQDN;
//   Router        the recipient: the owner and its nearest CERT ancestor, a partner CERT of a
//                 foreign country, or the National CERT's unrouted queue; applies the feed rules
//                 (TLP, minimum severity, do-not-notify lists, overrides);
//   Aggregator    n6-style: identical events (aggregate fields) within a window become one with
//                 first seen, last seen and a count.
// Thread-safety: each stage object is used by one thread at a time (the pipeline gives each its
// own thread); Directory and the snapshots they read are immutable.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "constituency/owner_index.hpp"
#include "core/result.hpp"
#include "db/database.hpp"
#include "feeds/event.hpp"
#include "feeds/open_table.hpp"
#include "feeds/feed_config.hpp"
#include "feeds/network_data.hpp"
#include "feeds/parsers.hpp"
#include "feeds/routed_event.hpp"

namespace muhafiz::feeds {

// What routing and digests need to know about an organisation.
struct OrgInfo {
    std::int64_t id = 0;
    std::string uuid, name, kind, path, country;
    std::int64_t parent_id = 0;
    std::int64_t cert_id = 0;  // nearest CERT strictly above (the root when none)
    std::string abuse_email, security_email, pgp_key;
};

// An immutable snapshot of the constituency tree for routing.
class Directory {
public:
    Directory() = default;
    Directory(const Directory&) = delete;  // (by_id_ points into orgs_)
    Directory& operator=(const Directory&) = delete;
    // Reads every organisation (kinds ending in "_cert" are CERTs).
    [[nodiscard]] static core::Result<std::shared_ptr<const Directory>> Load(db::Connection& conn);
    // Changes when an organisation is added, removed or updated (through the constituency's
    // service, which counts its versions and stamps updated_at): a directory loaded with the same
    // fingerprint is still the organisations' (one query instead of reading them all).
    [[nodiscard]] static core::Result<std::string> Fingerprint(db::Connection& conn);
    // From values (tests, bench); computes cert_id and the partner table.
    [[nodiscard]] static std::shared_ptr<const Directory> Build(std::vector<OrgInfo> orgs);

    [[nodiscard]] const OrgInfo* Get(std::int64_t id) const;
    // What routing reads of an organisation for each event, apart from its entry (an OrgInfo is
    // ~300 bytes and its texts two more allocations, spread over the directory): 24 bytes, and its
    // path and abuse e-mail one after the other in a string of all of them. (Read for 1M events of
    // 20,000 organisations: ~2.4 of the parse thread's cache misses per event from the entries, in
    // a simulated 8 MiB cache, against ~0.9 from these.)
    struct Routing {
        static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
        std::int64_t recipient = 0;  // the organisation itself for the national CERT, else cert_id
        std::size_t texts = kNone;   // where its path starts in routing_texts_, its abuse e-mail after it
        std::uint32_t path_size = 0, abuse_size = 0;
    };
    [[nodiscard]] const Routing* RoutingOf(std::int64_t id) const;
    [[nodiscard]] std::string_view Path(const Routing& r) const { return {routing_texts_.data() + r.texts, r.path_size}; }
    [[nodiscard]] std::string_view Abuse(const Routing& r) const {
        return {routing_texts_.data() + r.texts + r.path_size, r.abuse_size};
    }
    [[nodiscard]] const OrgInfo* ByUuid(std::string_view uuid) const;
    // The partner CERT registered for a country (upper-case ISO code), or nullptr.
    [[nodiscard]] const OrgInfo* PartnerFor(std::string_view cc) const;
    [[nodiscard]] const OrgInfo* root() const { return Get(root_id_); }
    [[nodiscard]] std::size_t size() const { return orgs_.size(); }

private:
    boost::unordered_flat_map<std::int64_t, OrgInfo> orgs_;  // filled once (Build), then read only
    // The entries by id, when the ids are positive and dense enough (organisations' ids are a
    // table's row ids): Get reads one pointer of a small table instead of probing the map.
    std::vector<const OrgInfo*> by_id_;
    // Routing of each organisation: by id when by_id_ is (texts kNone: none), else by the map.
    std::vector<Routing> routing_by_id_;
    boost::unordered_flat_map<std::int64_t, Routing> routing_;
    std::string routing_texts_;
    std::unordered_map<std::string, std::int64_t> by_uuid_;
    std::unordered_map<std::string, std::int64_t> partners_;
    std::int64_t root_id_ = 0;
};

// An aggregate already stored in an earlier batch that grew.
struct AggregateUpdate {
    std::uint64_t aggregate_hash = 0;
    std::int64_t first_seen = 0;  // with the hash, identifies the stored aggregate
    std::int64_t last_seen = 0;
    std::int64_t add = 0;
};

struct Batch {
    std::int64_t seq = 0;
    RoutedEvents events;
    // The input chunks the events were parsed from, when their values are views of them
    // (ParseOutput::lend_text): kept until the blocks the events are built into are closed
    // (a batch's one chunk; a unit of the store the chunks of its batches).
    std::vector<std::unique_ptr<std::string>> texts;  // (read only while lent)
    std::vector<Rejection> rejected;
    std::vector<AggregateUpdate> updates;
    std::vector<db::Params> event_rows;  // the events as feed_events rows (built off the store thread)
    std::vector<std::pair<std::uint64_t, std::string>> new_bases;  // feed_event_bases the rows use
    std::vector<db::Params> block_rows;  // feed_event_blocks rows (feeds/event_block.hpp); ids set when stored
    std::int64_t records = 0;
    std::int64_t duplicates = 0;
    std::int64_t aggregated = 0;
    std::int64_t end_offset = 0;  // where the next batch starts in the input
    std::int64_t end_line = 1;
};

// Adds the parsed events (ParseOutput::events: their line and time_source set) and rejections
// to the batch.
void Adopt(ParseOutput& parsed, Batch& batch);

class Deduplicator {
public:
    Deduplicator(std::vector<std::string> fields, core::Micros window) : fields_(std::move(fields)), window_(window) {}
    // Seeds the window with hashes already stored (observed at `seen`).
    void Remember(std::uint64_t hash, core::Micros seen) {
        bool inserted = false;
        *seen_.FindOrAdd(hash, seen, inserted) = seen;
    }
    // Computes dedup hashes and removes duplicates (counted in batch.duplicates).
    void Process(Batch& batch, core::Micros now);
    // The same on a part of a batch: the events kept move to its front; returns how many.
    [[nodiscard]] std::size_t Process(std::span<RoutedEvent> events, core::Micros now, std::int64_t& duplicates);
    [[nodiscard]] std::size_t size() const { return seen_.size(); }
    // Room for `n` more hashes (the events a run expects) without growing the table meanwhile.
    void Reserve(std::size_t n) { seen_.Reserve(seen_.size() + n); }

private:
    std::vector<std::string> fields_;
    core::Micros window_;
    // Hash -> when it was last seen (one insert per event of every run; fetched ahead).
    OpenTable<core::Micros, std::numeric_limits<core::Micros>::min()> seen_;
};

class Enricher {
public:
    Enricher(std::shared_ptr<const NetworkData> network, std::shared_ptr<const constituency::OwnerIndex> owners)
        : network_(std::move(network)), owners_(std::move(owners)) {}
    void Process(Batch& batch) const { Process(batch.events.span()); }
    void Process(std::span<RoutedEvent> events) const;
    // Adds prefix/AS/geo/registry fields and returns the owner organisation (0 when none).
    std::int64_t Enrich(Event& e) const;

private:
    // The address Enrich starts from: source.ip, else the address of source.network.
    static std::optional<core::IpAddress> AddressOf(const Event& e);
    // Enrich from `ip` (AddressOf(e)); `owner_of_ip` is owners_->Lookup(*ip) done already, or -1.
    std::int64_t EnrichFrom(Event& e, std::optional<core::IpAddress> ip, std::int64_t owner_of_ip) const;
    std::shared_ptr<const NetworkData> network_;
    std::shared_ptr<const constituency::OwnerIndex> owners_;
};

class Router {
public:
    // `home_country`: the platform's country (upper case).
    Router(const FeedConfig& feed, std::shared_ptr<const Directory> directory, std::string home_country);
    void Process(Batch& batch) const { Process(batch.events.span()); }
    void Process(std::span<RoutedEvent> events) const;
    void Route(RoutedEvent& e) const;

private:
    // Route with the directory entry of `hint_id` found already (used when the event's
    // organisation is still hint_id after the overrides).
    void RouteWith(RoutedEvent& e, std::int64_t hint_id, const Directory::Routing* hint) const;
    bool DoNotNotify(const RoutedEvent& e) const;
    FeedConfig feed_;
    std::shared_ptr<const Directory> directory_;
    std::string home_;
    std::vector<core::Prefix> dnn_prefixes_;
    std::vector<std::uint32_t> dnn_asns_;
    std::vector<std::string> dnn_domains_;
    std::vector<std::int64_t> dnn_orgs_;
    int min_severity_ = -1;
};

class Aggregator {
public:
    Aggregator(std::vector<std::string> fields, core::Micros window) : fields_(std::move(fields)), window_(window) {}
    // Seeds with an aggregate already stored.
    void Remember(std::uint64_t hash, core::Micros first_seen, core::Micros last_seen) {
        open_[hash] = State{first_seen, last_seen, true, 0};
    }
    void Process(Batch& batch);
    static std::vector<std::string> DefaultFields();

private:
    struct State {
        core::Micros first_seen = 0, last_seen = 0;
        bool stored = false;
        std::size_t index = 0;  // in the current batch when !stored
    };
    std::vector<std::string> fields_;
    core::Micros window_;
    std::unordered_map<std::uint64_t, State> open_;
};

}  // namespace muhafiz::feeds
