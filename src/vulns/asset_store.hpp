// AssetStore: the asset inventory of every organisation (tables `assets` and `asset_keys` of
// migration 004) — create, read, list with filters and cursors, update with If-Match, delete,
// and imports from CSV and CycloneDX SBOMs.
//
// Visibility is decided by `access` and passed in as a db::Predicate over the organisation's
// `o.path` (as for OrganisationService); an asset outside it answers kNotFound like a missing
// one. Each change is written with its audit record (db::AuditSink, actions asset.create /
// asset.update / asset.delete) in one transaction, then `on_change(asset, deleted)` is called
// (app/ wires it to re-matching). Imports are idempotent: an entry updates the asset of the same
// organisation, name and location, else creates one; a file with a bad entry imports nothing
// unless `skip_bad`, and every bad entry is reported with its line (CSV) or position (SBOM).
// Thread-safety: thread-safe; each call takes its own connection from the pool.
// Errors: kInvalidArgument (naming the field), kNotFound, kPreconditionFailed (row version),
// kUnavailable/kInternal (database).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "constituency/organisation_service.hpp"
#include "constituency/transfer.hpp"
#include "core/actor.hpp"
#include "db/audit_sink.hpp"
#include "db/database.hpp"
#include "vulns/asset.hpp"

namespace muhafiz::vulns {

using constituency::ImportReport;
using constituency::Page;

struct AssetFilter {
    std::optional<std::string> organisation;  // public id: that organisation and everything below
    std::optional<Criticality> criticality;
    std::optional<std::string> q;            // case-insensitive substring of the name
    std::optional<std::string> product_key;  // e.g. "v:openssl:openssl" (vulns/asset.hpp)
    std::string sort = "name";               // name, -name, created_at, -created_at
    int limit = 50;                          // 1..500
    std::string cursor;
};

enum class AssetFormat { kCsv, kCycloneDx };

class AssetStore {
public:
    using OnChange = std::function<void(const Asset& asset, bool deleted)>;

    AssetStore(db::Database& db, const db::AuditSink& audit, OnChange on_change = {})
        : db_(db), audit_(audit), on_change_(std::move(on_change)) {}

    // Creates an asset of `organisation` (public id, inside `scope`).
    [[nodiscard]] core::Result<Asset> Create(const std::string& organisation, const AssetPatch& patch,
                                             const db::Predicate& scope, const core::Actor& actor);
    [[nodiscard]] core::Result<Asset> Get(const std::string& uuid, const db::Predicate& scope);
    [[nodiscard]] core::Result<Page<Asset>> List(const AssetFilter& filter, const db::Predicate& scope);
    // `expected_version` (from If-Match) must equal the row version when given.
    [[nodiscard]] core::Result<Asset> Update(const std::string& uuid, const AssetPatch& patch,
                                             std::optional<std::int64_t> expected_version,
                                             const db::Predicate& scope, const core::Actor& actor);
    [[nodiscard]] core::Status Delete(const std::string& uuid, const db::Predicate& scope,
                                      const core::Actor& actor);

    // Imports into `organisation`; fails only when the file cannot be read at all or the
    // organisation is not in scope; entry errors are in the report.
    [[nodiscard]] core::Result<ImportReport> Import(const std::string& organisation, std::string_view text,
                                                    AssetFormat format, bool skip_bad,
                                                    const db::Predicate& scope, const core::Actor& actor);

    // For matching: every asset (any organisation), and the assets with any of `keys`.
    [[nodiscard]] core::Result<std::vector<Asset>> All();
    [[nodiscard]] core::Result<std::vector<Asset>> WithKeys(const std::vector<std::string>& keys);

private:
    struct Org {
        std::int64_t id = 0;
        std::string uuid;
    };
    core::Result<Org> FindOrganisation(db::Connection& conn, const std::string& uuid, const db::Predicate& scope,
                                       std::string_view field);
    core::Result<Asset> Load(db::Connection& conn, std::string_view where, const db::Params& params);
    core::Result<std::vector<Asset>> LoadAll(db::Connection& conn, std::string_view where, const db::Params& params);
    core::Result<Asset> Insert(db::Connection& conn, const Org& org, const AssetPatch& patch,
                               const core::Actor& actor);
    // Writes `after` over `before` (same id); false when `before` was already equal.
    core::Result<bool> Write(db::Connection& conn, const Asset& before, Asset& after, const core::Actor& actor);
    core::Status WriteKeys(db::Connection& conn, const Asset& asset);
    void Notify(const Asset& asset, bool deleted) const {
        if (on_change_) on_change_(asset, deleted);
    }

    db::Database& db_;
    const db::AuditSink& audit_;
    OnChange on_change_;
};

}  // namespace muhafiz::vulns
