// HTTP handlers of the feeds capability (docs/openapi.yaml):
//   GET  /api/v1/feeds                            configured feeds with their figures
//   POST /api/v1/feeds/{name}/reports             authenticated upload of one report (the body;
//                                                 ?format=&file_name=&force=): spooled durably,
//                                                 202 with the upload job and its Location
//   GET  /api/v1/feeds/uploads, /uploads/{id}     upload jobs: status, progress, the run or error
//   GET  /api/v1/feeds/network-data               the network-data files in use and their state
//   POST /api/v1/feeds/network-data/reload        (admins) rebuild now, off the request thread
//                                                 (?wait=true: answer when done)
//   GET  /api/v1/feeds/runs, /feeds/runs/{id}     ingest runs (with events per recipient)
//   GET  /api/v1/feeds/events                     the constituent pull API: JSON (list envelope),
//                                                 JSON lines (IntelMQ events) or CSV by ?format= or
//                                                 Accept; filters feed, organisation_id,
//                                                 recipient_id, classification, route, ip, since,
//                                                 until; cursor pagination with a total
//   GET  /api/v1/feeds/figures                    events per feed and per recipient
//   GET  /api/v1/feeds/dead-letters               records that could not be parsed
//   POST /api/v1/feeds/dead-letters/replay        parse them again ({"feed","ids"})
//   GET  /api/v1/feeds/digests                    the notification log of digests
//   POST /api/v1/feeds/digests/run                send the digests that are due (?force=true: all)
//   GET/PUT /api/v1/feeds/preferences             digest interval per taxonomy of an organisation
// Who: events, figures per recipient, digests and preferences follow access::Policy (an
// organisation sees what concerns itself and everything below it; the National CERT all; the
// Council gets 403: aggregates only). Feeds, runs, uploads, dead letters and running digests are
// for admins and analysts of the National CERT.
// Audit: an accepted upload ("feeds.upload") and a reload request ("feeds.network_data.reload").
// Thread-safety: handlers are thread-safe (the services are).
#pragma once

#include <cstddef>

#include "access/api/guard.hpp"
#include "db/audit_sink.hpp"
#include "feeds/collectors.hpp"
#include "feeds/digest.hpp"
#include "feeds/pipeline.hpp"
#include "http/router.hpp"

namespace muhafiz::feeds::api {

inline constexpr std::size_t kMaxReportBytes = std::size_t{256} << 20;

[[nodiscard]] core::Status RegisterFeedsRoutes(http::Router& router, const access::api::Guard& guard,
                                               Pipeline& pipeline, FeedStore& store, DigestService& digests,
                                               UploadQueue& uploads, NetworkDataSet& network,
                                               const db::AuditSink& audit);

}  // namespace muhafiz::feeds::api
