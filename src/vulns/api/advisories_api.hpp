// HTTP handlers of advisories and the CSAF provider:
//   GET/POST /api/v1/advisories, GET/PATCH/DELETE /api/v1/advisories/{id},
//   POST /api/v1/advisories/{id}/publish ({"summary"} optional; writes the provider's files),
//   GET /api/v1/advisories/{id}/csaf (the published CSAF JSON), GET /api/v1/advisories/{id}/html
//   (the published page, or a preview of a draft), POST /api/v1/csaf/import (a CSAF document; then
//   the findings of its CVEs are settled again with VulnService::SettleWithVex),
//   GET /.well-known/csaf/{*rest} (the provider's files).
// Writing (create, change, delete, publish, import): admins and analysts of a CERT with the write
// scope; advisories belong to the caller's organisation. Reading: whoever access::Policy lets see
// the owning CERT's records. Provider files: TLP:WHITE ones and the metadata without
// authentication; GREEN and AMBER need an authenticated caller who sees records, RED a user of the
// National CERT; anything else answers 404 like a missing file.
// Thin: parse, authorise, call AdvisoryStore / CsafProvider, render.
// Thread-safety: handlers are thread-safe.
#pragma once

#include <string_view>

#include "access/api/guard.hpp"
#include "http/router.hpp"
#include "vulns/advisory_store.hpp"
#include "vulns/csaf_provider.hpp"
#include "vulns/vuln_service.hpp"

namespace muhafiz::vulns::api {

inline constexpr std::size_t kMaxCsafImportBytes = 16u << 20;

// `vulns` (may be null): after an import, VulnService::SettleWithVex re-decides the findings of
// the CVEs the document speaks about (VEX statements settle them).
[[nodiscard]] core::Status RegisterAdvisoryRoutes(http::Router& router, const access::api::Guard& guard,
                                                  AdvisoryStore& store, CsafProvider& provider,
                                                  VulnService* vulns = nullptr);

// Whether `p` may read a provider file labelled `tlp` ("WHITE", "GREEN", "AMBER", "RED").
[[nodiscard]] bool MayReadTlp(const access::Principal& p, std::string_view tlp);

}  // namespace muhafiz::vulns::api
