// HTTP handlers of vulnerability management (docs/openapi.yaml):
//   GET  /api/v1/vulnerabilities                 search (q, kev, min_cvss, min_epss, since,
//   product,
//                                                 vendor, sort, limit, cursor)
//   GET  /api/v1/vulnerabilities/{cve_id}        the merged record and the caller-visible exposure
//   POST /api/v1/vulnerabilities/import?kind=    a CVE 5 / NVD / KEV JSON file, an EPSS CSV (plain
//   or
//                                                 gzip) or a CVE List zip bundle as the body
//   GET/POST /api/v1/assets, GET/PATCH/DELETE /api/v1/assets/{id} (PATCH with If-Match),
//   POST /api/v1/assets/import?organisation_id=&format=csv|cyclonedx&skip_bad=
//   GET  /api/v1/findings, PATCH /api/v1/findings/{id} ({"state":"not_applicable","reason"} or
//                                                 {"state":"open"})
//   GET  /api/v1/exposure?organisation_id=       open-finding counts of a subtree
// Who: vulnerability records are public knowledge, readable by every authenticated caller who
// sees records (the Council gets 403: it sees aggregates only, i.e. /exposure over the whole
// constituency, without the per-organisation lines). Imports of vulnerability data: admins and
// analysts of the National CERT. Assets and findings belong to organisations and are visible as
// access::Policy::OrganisationScope decides (invisible ones answer 404); changing them takes an
// admin or analyst with the write scope. Bad input answers 400 naming the field.
// Thin: parse, authorise, call VulnService / the stores, render.
// Thread-safety: handlers are thread-safe (the service and stores are).
#pragma once

#include <cstddef>

#include "access/api/guard.hpp"
#include "http/router.hpp"
#include "vulns/asset_store.hpp"
#include "vulns/finding_store.hpp"
#include "vulns/vuln_service.hpp"
#include "vulns/vuln_store.hpp"

namespace muhafiz::vulns::api {

inline constexpr std::size_t kMaxVulnImportBytes = std::size_t{256} << 20;
inline constexpr std::size_t kMaxAssetImportBytes = std::size_t{32} << 20;

[[nodiscard]] core::Status RegisterVulnRoutes(http::Router& router, const access::api::Guard& guard,
                                              VulnService& service, VulnStore& vulns,
                                              AssetStore& assets, FindingStore& findings);

}  // namespace muhafiz::vulns::api
