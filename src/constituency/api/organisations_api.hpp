// HTTP handlers of the constituency: /api/v1/organisations (list, create, read, update, delete,
// tree) and /api/v1/owner. Thin: parse, authorise through the Guard and access::Policy, call
// OrganisationService, render. Thread-safety: handlers are thread-safe.
#pragma once

#include "access/api/guard.hpp"
#include "constituency/organisation_service.hpp"
#include "constituency/owner_updater.hpp"
#include "http/router.hpp"

namespace muhafiz::constituency::api {

[[nodiscard]] core::Status RegisterRoutes(http::Router& router, const access::api::Guard& guard,
                                          OrganisationService& service, OwnerIndexUpdater& owners);

}  // namespace muhafiz::constituency::api
