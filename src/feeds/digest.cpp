#include "feeds/digest.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <map>

#include "core/csv.hpp"
#include "core/ids.hpp"
#include "feeds/stages.hpp"

namespace muhafiz::feeds {
namespace {

constexpr core::Micros kHour = 3600LL * 1000000;

std::string Cell(const core::json::object& o, const char* key) {
    const auto* v = o.if_contains(key);
    if (!v) return {};
    if (v->is_string()) return std::string(v->as_string());
    return core::ToJson(*v);
}

int YearOf(core::Micros t) {
    std::time_t s = static_cast<std::time_t>(t / 1000000);
    std::tm tm{};
    gmtime_r(&s, &tm);
    return tm.tm_year + 1900;
}

}  // namespace

std::string DigestService::EventsCsv(const std::vector<StoredEvent>& events) {
    static const char* kCols[] = {"time.source", "feed.name", "classification.taxonomy", "classification.type",
                                  "classification.identifier", "severity", "source.ip", "source.port",
                                  "source.network", "source.asn", "source.fqdn", "source.url",
                                  "source.geolocation.cc", "protocol.transport", "protocol.application",
                                  "malware.name", "product.vulnerabilities", "tlp"};
    std::string out;
    std::vector<std::string> header = {"event_id", "feed"};
    for (const char* c : kCols) header.emplace_back(c);
    header.insert(header.end(), {"count", "first_seen", "last_seen", "organisation", "route"});
    core::AppendCsvRecord(out, header);
    for (const auto& e : events) {
        auto o = core::ParseJsonObject(e.data);
        std::vector<std::string> row = {e.uuid, e.feed};
        for (const char* c : kCols) row.push_back(o ? Cell(*o, c) : std::string());
        row.push_back(std::to_string(e.count));
        row.push_back(FormatEventTime(e.first_seen));
        row.push_back(FormatEventTime(e.last_seen));
        row.push_back(e.organisation_name);
        row.push_back(e.route);
        core::AppendCsvRecord(out, row);
    }
    return out;
}

core::Result<DigestRunResult> DigestService::RunDue(core::Micros now, bool force) {
    DigestRunResult result;
    auto conn = MUHAFIZ_TRY(store_.database().Acquire());
    auto directory = MUHAFIZ_TRY(Directory::Load(*conn));
    auto recipients = MUHAFIZ_TRY(store_.PendingRecipients(*conn, now));
    // The organisations of one CERT one after another: they share that CERT's event blocks,
    // which `texts` then reads once for all of them.
    const auto cert_of = [&](std::int64_t id) {
        const OrgInfo* o = directory->Get(id);
        return o ? o->cert_id : 0;
    };
    std::stable_sort(recipients.begin(), recipients.end(),
                     [&](std::int64_t a, std::int64_t b) { return cert_of(a) < cert_of(b); });
    FeedStore::BlockTexts texts;
    for (const std::int64_t org_id : recipients) {
        const OrgInfo* org = directory->Get(org_id);
        if (!org) {
            MUHAFIZ_CHECK(store_.DonePending(*conn, org_id));  // deleted: its events stay unsent
            continue;
        }
        const auto prefs = MUHAFIZ_TRY(store_.DigestPrefs(*conn, org_id));
        auto interval_of = [&](const std::string& taxonomy) {
            auto it = prefs.find(taxonomy);
            if (it != prefs.end()) return it->second;
            it = prefs.find("*");
            if (it != prefs.end()) return it->second;
            return options_.default_interval;
        };
        // The watermark of each interval once this run is done with it: the organisation leaves
        // the pending set when no notifiable event follows the smallest.
        const std::array<std::string, 3> intervals = {"immediate", "hourly", "daily"};
        std::array<std::int64_t, 3> watermarks{};
        for (std::size_t k = 0; k < intervals.size(); ++k) {
            const std::string& interval = intervals[k];
            auto [watermark, last_sent] = MUHAFIZ_TRY(store_.DigestState(*conn, org_id, interval));
            watermarks[k] = watermark;
            const core::Micros period = interval == "immediate" ? 0 : interval == "hourly" ? kHour : 24 * kHour;
            if (!force && last_sent && now - last_sent < period) continue;
            auto events = MUHAFIZ_TRY(store_.EventsFor(*conn, org_id, watermark, options_.max_events, &texts));
            if (events.empty()) continue;
            const std::int64_t new_watermark = events.back().id;
            watermarks[k] = new_watermark;  // every path below moves the watermark there
            std::vector<StoredEvent> mine;
            for (auto& e : events)
                if (interval_of(e.taxonomy) == interval) mine.push_back(std::move(e));
            if (mine.empty()) {
                MUHAFIZ_CHECK(store_.SetDigestState(*conn, org_id, interval, new_watermark, last_sent));
                continue;
            }
            std::string to = !org->abuse_email.empty() ? org->abuse_email : org->security_email;
            auto status = db::InTransaction(*conn, [&]() -> core::Status {
                DigestRecord d;
                d.organisation_id = org_id;
                d.interval = interval;
                d.events = static_cast<std::int64_t>(mine.size());
                d.first_event_id = mine.front().id;
                d.last_event_id = mine.back().id;
                d.created_at = now;
                d.recipients = to;
                if (to.empty()) {
                    d.status = "skipped";
                    d.reason = "the organisation has no abuse or security e-mail address";
                    MUHAFIZ_CHECK(store_.AddDigest(*conn, d));
                    ++result.skipped;
                    return store_.SetDigestState(*conn, org_id, interval, new_watermark, now);
                }
                d.status = "queued";
                d.encrypted = !org->pgp_key.empty();
                d = MUHAFIZ_TRY(store_.AddDigest(*conn, d));
                d.reference = core::ShortReference("FD", YearOf(now), d.id);
                // Summary grouped by classification.
                std::map<std::string, std::int64_t> by_class;
                std::int64_t total = 0;
                for (const auto& e : mine) {
                    by_class[e.taxonomy + " / " + e.type] += e.count;
                    total += e.count;
                }
                std::string text = "Dear " + org->name + ",\n\n";
                text += "this " + interval + " digest (" + d.reference + ") lists " + std::to_string(mine.size()) +
                        " event" + (mine.size() == 1 ? "" : "s") + " (" + std::to_string(total) +
                        " observations) that automated feeds reported about networks you are responsible for.\n\n";
                text += "By classification:\n";
                for (const auto& [k, n] : by_class) text += "  " + std::to_string(n) + "  " + k + "\n";
                text += "\nFirst events:\n";
                for (std::size_t i = 0; i < mine.size() && i < 20; ++i) {
                    const auto& e = mine[i];
                    text += "  " + FormatEventTime(e.time_source) + "  " + e.source_ip + "  " + e.type +
                            (e.identifier.empty() ? "" : " (" + e.identifier + ")") + "  [" + e.feed + "]\n";
                }
                if (mine.size() > 20) text += "  ... and " + std::to_string(mine.size() - 20) + " more in the attachment\n";
                text += "\nThe attached CSV file holds every event. Please check the systems named and reply to this "
                        "message quoting " + d.reference + " if you need help.\n";
                notify::EmailMessage m;
                m.from = options_.from;
                m.to = {to};
                m.subject = options_.subject_prefix + " " + d.reference + ": " + std::to_string(mine.size()) +
                            " event" + (mine.size() == 1 ? "" : "s") + " about your networks (" + interval + " digest)";
                m.text = text;
                m.muhafiz_reference = d.reference;
                m.attachments.push_back({d.reference + ".csv", "text/csv; charset=utf-8", EventsCsv(mine)});
                std::vector<std::string> keys;
                if (!org->pgp_key.empty()) keys.push_back(org->pgp_key);
                auto n = notifier_.EnqueueEmail(*conn, std::move(m), notify::Related{"feed_digest", d.uuid}, keys);
                if (!n) return tl::unexpected(n.error());
                MUHAFIZ_CHECK(conn->Execute("UPDATE feed_digests SET reference = ?, notification_uuid = ? WHERE id = ?",
                                            {d.reference, n->uuid, d.id}));
                ++result.sent;
                result.events += static_cast<std::int64_t>(mine.size());
                return store_.SetDigestState(*conn, org_id, interval, new_watermark, now);
            });
            if (!status) {
                // A key that cannot be used must not block the other digests: log it and move on.
                DigestRecord d;
                d.organisation_id = org_id;
                d.interval = interval;
                d.events = static_cast<std::int64_t>(mine.size());
                d.first_event_id = mine.front().id;
                d.last_event_id = mine.back().id;
                d.created_at = now;
                d.recipients = to;
                d.status = "failed";
                d.reason = status.error().message;
                MUHAFIZ_CHECK(store_.AddDigest(*conn, d));
                MUHAFIZ_CHECK(store_.SetDigestState(*conn, org_id, interval, new_watermark, now));
                ++result.skipped;
            }
        }
        const std::int64_t lowest = *std::min_element(watermarks.begin(), watermarks.end());
        if (MUHAFIZ_TRY(store_.EventsFor(*conn, org_id, lowest, 1, &texts)).empty()) MUHAFIZ_CHECK(store_.DonePending(*conn, org_id));
    }
    if (result.sent && wake_) wake_();
    return result;
}

}  // namespace muhafiz::feeds
