#include "feeds/stages.hpp"

#include <algorithm>
#include <charconv>

#include "core/json.hpp"
#include "core/net.hpp"

namespace muhafiz::feeds {

std::string_view RouteName(Route r) {
    switch (r) {
        case Route::kOwner: return "owner";
        case Route::kPartner: return "partner";
        case Route::kUnrouted: return "unrouted";
    }
    return "unrouted";
}

// ---- Directory -------------------------------------------------------------------------------

std::shared_ptr<const Directory> Directory::Build(std::vector<OrgInfo> orgs) {
    auto d = std::make_shared<Directory>();
    for (auto& o : orgs) {
        if (o.parent_id == 0 && (d->root_id_ == 0 || o.kind == "national_cert")) d->root_id_ = o.id;
        d->by_uuid_[o.uuid] = o.id;
        d->orgs_[o.id] = std::move(o);
    }
    auto is_cert = [](const std::string& kind) {
        return kind.size() > 5 && kind.compare(kind.size() - 5, 5, "_cert") == 0;
    };
    for (auto& [id, o] : d->orgs_) {
        std::int64_t cur = o.parent_id;
        o.cert_id = 0;
        for (int guard = 0; cur && guard < 64; ++guard) {
            auto it = d->orgs_.find(cur);
            if (it == d->orgs_.end()) break;
            if (is_cert(it->second.kind)) {
                o.cert_id = cur;
                break;
            }
            cur = it->second.parent_id;
        }
        if (!o.cert_id) o.cert_id = d->root_id_;
        if (o.kind == "partner_cert" && !o.country.empty()) {
            auto p = d->partners_.find(o.country);
            if (p == d->partners_.end() || id < p->second) d->partners_[o.country] = id;
        }
    }
    std::int64_t max_id = 0;
    bool positive = true;
    for (const auto& [id, o] : d->orgs_) {
        max_id = std::max(max_id, id);
        positive = positive && id > 0;
    }
    if (positive && !d->orgs_.empty() && static_cast<std::size_t>(max_id) <= 4 * d->orgs_.size() + 1024) {
        d->by_id_.assign(static_cast<std::size_t>(max_id) + 1, nullptr);
        for (const auto& [id, o] : d->orgs_) d->by_id_[static_cast<std::size_t>(id)] = &o;
        d->routing_by_id_.resize(d->by_id_.size());
    }
    // In id order (neighbours in the tree are mostly near in id: their texts near too).
    std::vector<const OrgInfo*> by_id;
    by_id.reserve(d->orgs_.size());
    for (const auto& [id, o] : d->orgs_) by_id.push_back(&o);
    std::sort(by_id.begin(), by_id.end(), [](const OrgInfo* a, const OrgInfo* b) { return a->id < b->id; });
    for (const OrgInfo* o : by_id) {
        Routing r;
        r.recipient = o->kind == "national_cert" ? o->id : o->cert_id;
        r.texts = d->routing_texts_.size();
        // (A path or e-mail of 4 GiB is not stored: cut, it still routes to its recipient.)
        r.path_size = static_cast<std::uint32_t>(std::min<std::size_t>(o->path.size(), 0xffffffffu));
        r.abuse_size = static_cast<std::uint32_t>(std::min<std::size_t>(o->abuse_email.size(), 0xffffffffu));
        d->routing_texts_.append(o->path, 0, r.path_size);
        d->routing_texts_.append(o->abuse_email, 0, r.abuse_size);
        if (d->routing_by_id_.empty()) d->routing_[o->id] = r;
        else d->routing_by_id_[static_cast<std::size_t>(o->id)] = r;
    }
    return d;
}

const Directory::Routing* Directory::RoutingOf(std::int64_t id) const {
    if (!routing_by_id_.empty()) {
        if (id < 0 || static_cast<std::size_t>(id) >= routing_by_id_.size()) return nullptr;
        const Routing& r = routing_by_id_[static_cast<std::size_t>(id)];
        return r.texts != Routing::kNone ? &r : nullptr;
    }
    auto it = routing_.find(id);
    return it == routing_.end() ? nullptr : &it->second;
}

core::Result<std::shared_ptr<const Directory>> Directory::Load(db::Connection& conn) {
    auto rows = conn.Query(
        "SELECT id, uuid, name, kind, COALESCE(parent_id, 0), path, country, contacts FROM organisations");
    if (!rows) return tl::unexpected(rows.error());
    std::vector<OrgInfo> orgs;
    orgs.reserve(rows->size());
    for (const auto& r : *rows) {
        OrgInfo o;
        o.id = r.Int(0);
        o.uuid = r.Str(1);
        o.name = r.Str(2);
        o.kind = r.Str(3);
        o.parent_id = r.Int(4);
        o.path = r.Str(5);
        o.country = r.Str(6);
        if (auto c = core::ParseJsonObject(r.Str(7))) {
            auto str = [&](const char* k) {
                auto* v = core::Find(*c, k);
                return v && v->is_string() ? std::string(v->as_string()) : std::string();
            };
            o.abuse_email = str("abuse_email");
            o.security_email = str("security_email");
            o.pgp_key = str("pgp_key");
        }
        orgs.push_back(std::move(o));
    }
    return Build(std::move(orgs));
}

core::Result<std::string> Directory::Fingerprint(db::Connection& conn) {
    auto rows = conn.Query(
        "SELECT COUNT(*), COALESCE(SUM(version), 0), COALESCE(MAX(updated_at), 0), COALESCE(MAX(id), 0) "
        "FROM organisations");
    if (!rows) return tl::unexpected(rows.error());
    const db::Row& r = (*rows)[0];
    return std::to_string(r.Int(0)) + ":" + std::to_string(r.Int(1)) + ":" + std::to_string(r.Int(2)) + ":" +
           std::to_string(r.Int(3));
}

const OrgInfo* Directory::Get(std::int64_t id) const {
    if (!by_id_.empty())
        return id >= 0 && static_cast<std::size_t>(id) < by_id_.size() ? by_id_[static_cast<std::size_t>(id)] : nullptr;
    auto it = orgs_.find(id);
    return it == orgs_.end() ? nullptr : &it->second;
}

const OrgInfo* Directory::ByUuid(std::string_view uuid) const {
    auto it = by_uuid_.find(std::string(uuid));
    return it == by_uuid_.end() ? nullptr : Get(it->second);
}

const OrgInfo* Directory::PartnerFor(std::string_view cc) const {
    auto it = partners_.find(std::string(cc));
    return it == partners_.end() ? nullptr : Get(it->second);
}

// ---- Adopt / Deduplicator ----------------------------------------------------------------------

namespace {

// The keys the stages look at for every event, interned once (no look-up of their text).
struct StageKeys {
    Key time_source{"time.source"}, source_ip{"source.ip"}, source_network{"source.network"},
        source_url{"source.url"}, source_fqdn{"source.fqdn"}, destination_url{"destination.url"},
        destination_fqdn{"destination.fqdn"}, source_asn{"source.asn"}, tlp{"tlp"},
        source_abuse_contact{"source.abuse_contact"}, source_geolocation_cc{"source.geolocation.cc"};
};
const StageKeys& SK() {
    static const StageKeys* keys = new StageKeys();
    return *keys;
}

}  // namespace

void Adopt(ParseOutput& parsed, Batch& batch) {
    batch.records += parsed.records;
    if (batch.events.empty()) {
        std::swap(batch.events, parsed.events);  // (the events stay where the parser built them)
    } else {
        for (RoutedEvent& r : parsed.events) batch.events.Add() = std::move(r);
        parsed.events.clear();
    }
    for (auto& rej : parsed.rejected) batch.rejected.push_back(std::move(rej));
}

void Deduplicator::Process(Batch& batch, core::Micros now) {
    batch.events.Truncate(Process(batch.events.span(), now, batch.duplicates));
}

std::size_t Deduplicator::Process(std::span<RoutedEvent> events, core::Micros now, std::int64_t& duplicates) {
    // The hashes first (each event asked for two ahead of its turn), then the table's slots of
    // all of them in a loop of their own (the table is large: reads made together overlap their
    // cache misses), then the look-ups.
    const std::size_t n = events.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (i + 2 < n) events[i + 2].event.Prefetch();
        events[i].dedup_hash = events[i].event.Hash(fields_);
    }
    std::uint64_t read = 0;
    for (std::size_t i = 0; i < n; ++i) read += seen_.Read(events[i].dedup_hash);
    KeepReads(read);
    std::size_t out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        RoutedEvent& e = events[i];
        bool inserted = false;
        core::Micros* seen = seen_.FindOrAdd(e.dedup_hash, now, inserted);
        if (!inserted) {
            if (now - *seen < window_) {
                ++duplicates;
                continue;
            }
            *seen = now;
        }
        if (out != i) events[out] = std::move(e);
        ++out;
    }
    return out;
}

// ---- Enricher --------------------------------------------------------------------------------

namespace {

// The decimal number at the start of `s` (0 when there is none): ASNs of sanitised events.
std::uint64_t ToU64(std::string_view s) {
    std::uint64_t n = 0;
    std::from_chars(s.data(), s.data() + s.size(), n);
    return n;
}

std::string HostOfUrl(std::string_view url) {
    const auto s = url.find("://");
    if (s == std::string_view::npos) return {};
    std::size_t start = s + 3;
    std::size_t end = url.find_first_of("/?#", start);
    std::string_view host = url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const auto at = host.rfind('@');
    if (at != std::string_view::npos) host = host.substr(at + 1);
    if (!host.empty() && host[0] == '[') return {};  // IPv6 literal
    const auto colon = host.find(':');
    if (colon != std::string_view::npos) host = host.substr(0, colon);
    return std::string(host);
}

}  // namespace

std::optional<core::IpAddress> Enricher::AddressOf(const Event& e) {
    const StageKeys& k = SK();
    std::optional<core::IpAddress> ip;
    if (const std::string_view* s = e.Find(k.source_ip)) {
        if (const auto v4 = e.SanitisedV4(*s)) ip = core::IpAddress::FromV4(*v4);
        else if (auto p = core::ParseIp(*s)) ip = *p;
    } else if (const std::string_view* n = e.Find(k.source_network)) {
        if (auto p = core::ParsePrefix(*n)) ip = p->address;
    }
    return ip;
}

std::int64_t Enricher::Enrich(Event& e) const { return EnrichFrom(e, AddressOf(e), -1); }

std::int64_t Enricher::EnrichFrom(Event& e, std::optional<core::IpAddress> ip, std::int64_t owner_of_ip) const {
    const StageKeys& k = SK();
    const bool looked_up = ip.has_value() && owner_of_ip >= 0;  // for this very address
    // URL -> FQDN on both sides.
    const Key* const sides[2][2] = {{&k.source_url, &k.source_fqdn}, {&k.destination_url, &k.destination_fqdn}};
    for (int si = 0; si < 2; ++si) {
        const bool source = si == 0;
        const std::string_view* url = e.Find(*sides[si][0]);
        if (!url) continue;
        const Key& fk = *sides[si][1];
        if (e.HasKey(fk)) continue;
        const std::string host = HostOfUrl(*url);
        if (host.empty() || core::ParseIp(host)) {
            if (!host.empty() && source && !e.HasKey(k.source_ip)) {
                (void)e.Set("source.ip", host);
                if (!ip) ip = core::ParseIp(host).value();
            }
            continue;
        }
        (void)e.Set(fk, host);
    }
    if (network_ && ip) {
        if (auto as = network_->LookupAs(*ip)) {
            if (!e.Has("source.asn") && as->asn) e.SetRaw("source.asn", std::to_string(as->asn), JsonKind::kInt);
            if (!e.Has("source.network")) e.SetRaw("source.network", core::FormatPrefix(as->prefix));
            if (as->all_asns.size() > 1 && !e.Has("extra.source.origin_asns")) e.SetExtra("source.origin_asns", as->origin);
        }
        auto geo = network_->LookupGeo(*ip);
        if (geo) {
            if (!geo->cc.empty()) {
                e.SetRaw("source.geolocation.geoip_cc", geo->cc);
                if (!e.Has("source.geolocation.cc")) e.SetRaw("source.geolocation.cc", geo->cc);
            }
            if (!geo->country.empty() && !e.Has("source.geolocation.country"))
                e.SetRaw("source.geolocation.country", geo->country);
            if (!geo->city.empty() && !e.Has("source.geolocation.city")) e.SetRaw("source.geolocation.city", geo->city);
            if (!geo->region.empty() && !e.Has("source.geolocation.region"))
                e.SetRaw("source.geolocation.region", geo->region);
            if (geo->latitude && !e.Has("source.geolocation.latitude"))
                (void)e.Set("source.geolocation.latitude", std::to_string(*geo->latitude));
            if (geo->longitude && !e.Has("source.geolocation.longitude"))
                (void)e.Set("source.geolocation.longitude", std::to_string(*geo->longitude));
            if (geo->asn && !e.Has("source.asn")) e.SetRaw("source.asn", std::to_string(geo->asn), JsonKind::kInt);
        }
        if (auto d = network_->LookupDelegation(*ip)) {
            if (!e.Has("source.registry")) e.SetRaw("source.registry", d->registry);
            if (!d->date.empty() && !e.Has("source.allocated"))
                e.SetRaw("source.allocated", d->date + "T00:00:00+00:00");
            if (!d->cc.empty() && !e.Has("source.geolocation.cc")) e.SetRaw("source.geolocation.cc", d->cc);
        }
        if (!e.Has("source.as_name")) {
            if (const std::string_view* a = e.Get("source.asn")) {
                std::string name = network_->AsName(static_cast<std::uint32_t>(ToU64(*a)));
                if (name.empty() && geo && !geo->as_name.empty()) name = geo->as_name;
                if (!name.empty()) e.SetRaw("source.as_name", name);
            }
        }
    }
    std::int64_t owner = 0;
    if (owners_) {
        if (ip) {
            if (looked_up) owner = owner_of_ip;
            else if (auto m = owners_->Lookup(*ip)) owner = m->organisation_id;
        }
        if (!owner) {
            if (const std::string_view* a = e.Find(k.source_asn))
                owner = owners_->LookupAsn(static_cast<std::uint32_t>(ToU64(*a)));
        }
        if (!owner) {
            if (const std::string_view* f = e.Find(k.source_fqdn)) owner = owners_->LookupDomainOrganisation(*f);
        }
    }
    return owner;
}

void Enricher::Process(std::span<RoutedEvent> events) const {
    // A batch is larger than the CPU's caches: each event is asked for two ahead of its turn.
    // The owners' longest-prefix matches of the whole batch are done first, together
    // (OwnerIndex::LookupMany): each is a chain of a few reads from a large table, and independent
    // lookups overlap (the CPU has many reads in flight) where one per event would wait for each
    // in turn.
    const std::size_t n = events.size();
    thread_local std::vector<std::optional<core::IpAddress>> ips;
    thread_local std::vector<std::int64_t> owners;
    ips.assign(n, std::nullopt);
    owners.assign(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
        if (i + 2 < n) events[i + 2].event.Prefetch();
        ips[i] = AddressOf(events[i].event);
    }
    if (owners_) owners_->LookupMany(ips, owners);
    for (std::size_t i = 0; i < n; ++i) {
        if (i + 2 < n) events[i + 2].event.Prefetch();
        events[i].organisation_id = EnrichFrom(events[i].event, ips[i], owners[i]);
    }
}

// ---- Router ----------------------------------------------------------------------------------

Router::Router(const FeedConfig& feed, std::shared_ptr<const Directory> directory, std::string home_country)
    : feed_(feed), directory_(std::move(directory)), home_(std::move(home_country)) {
    for (char& c : home_) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    min_severity_ = feed.min_severity.empty() ? -1 : SeverityRank(feed.min_severity);
    for (const auto& item : feed.do_not_notify) {
        if (auto p = core::ParsePrefix(item)) {
            dnn_prefixes_.push_back(*p);
        } else if (item.size() > 2 && (item[0] == 'A' || item[0] == 'a') && (item[1] == 'S' || item[1] == 's')) {
            if (auto a = core::ParseAsn(item)) dnn_asns_.push_back(*a);
        } else if (const OrgInfo* o = directory_ ? directory_->ByUuid(item) : nullptr) {
            dnn_orgs_.push_back(o->id);
        } else if (auto d = core::NormaliseDomain(item)) {
            dnn_domains_.push_back(*d);
        }
    }
}

bool Router::DoNotNotify(const RoutedEvent& r) const {
    const Event& e = r.event;
    if (min_severity_ >= 0) {
        const std::string_view* s = e.Get("severity");
        if (s && SeverityRank(*s) >= 0 && SeverityRank(*s) < min_severity_) return true;
    }
    if (!dnn_orgs_.empty() && std::find(dnn_orgs_.begin(), dnn_orgs_.end(), r.organisation_id) != dnn_orgs_.end())
        return true;
    if (!dnn_prefixes_.empty()) {
        if (const std::string_view* s = e.Get("source.ip")) {
            if (auto ip = core::ParseIp(*s))
                for (const auto& p : dnn_prefixes_)
                    if (core::PrefixContains(p, *ip)) return true;
        }
    }
    if (!dnn_asns_.empty()) {
        if (const std::string_view* a = e.Get("source.asn"))
            if (std::find(dnn_asns_.begin(), dnn_asns_.end(), static_cast<std::uint32_t>(ToU64(*a))) != dnn_asns_.end())
                return true;
    }
    if (!dnn_domains_.empty()) {
        if (const std::string_view* f = e.Get("source.fqdn"))
            for (const auto& d : dnn_domains_)
                if (*f == d || (f->size() > d.size() && f->compare(f->size() - d.size(), d.size(), d) == 0 &&
                                (*f)[f->size() - d.size() - 1] == '.'))
                    return true;
    }
    return false;
}

namespace {

bool Matches(const Event& e, const std::vector<std::pair<std::string, std::string>>& match) {
    for (const auto& [k, v] : match) {
        const std::string_view* have = e.Get(k);
        if (!have) return false;
        if (v.find('/') != std::string::npos && (k.size() > 3 && k.compare(k.size() - 3, 3, ".ip") == 0)) {
            auto p = core::ParsePrefix(v);
            auto ip = core::ParseIp(*have);
            if (!p || !ip || !core::PrefixContains(*p, *ip)) return false;
            continue;
        }
        if (*have != v) return false;
    }
    return true;
}

}  // namespace

void Router::Route(RoutedEvent& r) const { RouteWith(r, -1, nullptr); }

void Router::RouteWith(RoutedEvent& r, std::int64_t hint_id, const Directory::Routing* hint) const {
    for (const auto& o : feed_.overrides) {
        if (!Matches(r.event, o.match)) continue;
        for (const auto& [k, v] : o.set) (void)r.event.Set(k, v);
        if (!o.route_to.empty() && directory_)
            if (const OrgInfo* org = directory_->ByUuid(o.route_to)) r.organisation_id = org->id;
    }
    const StageKeys& k = SK();
    if (!feed_.tlp.empty() && !r.event.HasKey(k.tlp)) r.event.SetRaw(k.tlp, feed_.tlp);
    const OrgInfo* root = directory_ ? directory_->root() : nullptr;
    const Directory::Routing* owner = !r.organisation_id || !directory_ ? nullptr
                                      : r.organisation_id == hint_id    ? hint
                                                                        : directory_->RoutingOf(r.organisation_id);
    if (owner) {
        r.route = Route::kOwner;
        r.recipient_id = owner->recipient;
        r.scope_path = directory_->Path(*owner);
        if (owner->abuse_size && !r.event.HasKey(k.source_abuse_contact))
            r.event.SetRaw(k.source_abuse_contact, directory_->Abuse(*owner));
    } else {
        r.organisation_id = 0;
        const std::string_view* cc = r.event.Find(k.source_geolocation_cc);
        const OrgInfo* partner = nullptr;
        if (cc && !home_.empty() && *cc != home_ && directory_) partner = directory_->PartnerFor(*cc);
        if (partner) {
            r.route = Route::kPartner;
            r.recipient_id = partner->id;
            r.scope_path = partner->path;
        } else {
            r.route = Route::kUnrouted;
            r.recipient_id = root ? root->id : 0;
            r.scope_path = root ? root->path : "/";
        }
    }
    r.notify = !DoNotNotify(r);
}

void Router::Process(std::span<RoutedEvent> events) const {
    // The directory entries of the batch's owners first, in a loop of their own (independent
    // look-ups overlap their cache misses), then what routing reads of them (the entries and
    // their texts are spread over the directory, mostly out of the cache: read together, not
    // one event after another), then each event.
    const std::size_t n = events.size();
    thread_local std::vector<const Directory::Routing*> owners;
    owners.assign(n, nullptr);
    if (directory_)
        for (std::size_t i = 0; i < n; ++i)
            if (const std::int64_t id = events[i].organisation_id) owners[i] = directory_->RoutingOf(id);
    std::size_t read = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (const Directory::Routing* o = owners[i])
            read += static_cast<std::size_t>(o->recipient) + o->texts + o->path_size + o->abuse_size;
    for (std::size_t i = 0; i < n; ++i)
        if (const Directory::Routing* o = owners[i]; o && o->path_size + o->abuse_size) {
            const char* texts = directory_->Path(*o).data();
            read += static_cast<unsigned char>(texts[0] + texts[o->path_size + o->abuse_size - 1]);
        }
    KeepReads(read);
    for (std::size_t i = 0; i < n; ++i) {
        RoutedEvent& r = events[i];
        RouteWith(r, r.organisation_id, owners[i]);
    }
}

// ---- Aggregator ------------------------------------------------------------------------------

std::vector<std::string> Aggregator::DefaultFields() {
    return {"feed.name",          "classification.taxonomy", "classification.type", "classification.identifier",
            "source.ip",          "source.network",          "source.port",         "source.fqdn",
            "source.url",         "destination.ip",          "destination.port",    "destination.fqdn",
            "malware.name",       "protocol.transport",      "protocol.application"};
}

void Aggregator::Process(Batch& batch) {
    const std::vector<std::string>& fields = fields_.empty() ? DefaultFields() : fields_;
    std::vector<std::uint64_t> opened;
    std::unordered_map<std::uint64_t, std::size_t> update_index;
    std::size_t out = 0;
    for (std::size_t i = 0; i < batch.events.size(); ++i) {
        RoutedEvent& e = batch.events[i];
        const std::uint64_t key = e.event.Hash(fields);
        auto it = open_.find(key);
        if (it != open_.end() && e.time_source - it->second.last_seen <= window_ &&
            e.time_source >= it->second.first_seen) {
            State& s = it->second;
            s.last_seen = std::max(s.last_seen, e.time_source);
            ++batch.aggregated;
            if (!s.stored) {
                RoutedEvent& head = batch.events[s.index];
                head.count += 1;
                head.last_seen = s.last_seen;
            } else {
                auto u = update_index.find(key);
                if (u == update_index.end()) {
                    update_index[key] = batch.updates.size();
                    batch.updates.push_back({key, s.first_seen, s.last_seen, 1});
                } else {
                    batch.updates[u->second].last_seen = s.last_seen;
                    batch.updates[u->second].add += 1;
                }
            }
            continue;
        }
        e.aggregate_hash = key;
        e.first_seen = e.last_seen = e.time_source;
        open_[key] = State{e.time_source, e.time_source, false, out};
        opened.push_back(key);
        if (out != i) batch.events[out] = std::move(e);
        ++out;
    }
    batch.events.Truncate(out);
    for (auto k : opened) open_[k].stored = true;
}

}  // namespace muhafiz::feeds
