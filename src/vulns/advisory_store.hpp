// AdvisoryStore: the storage and rules of advisories — drafts owned by the CERT organisation that
// created them, updates with an expected version, publication (tracking id, revision history,
// rendered CSAF JSON and HTML), deletion of never-published drafts — and the import of foreign
// CSAF documents into per-CVE statements (table csaf_statements) for the matcher.
//
// Visibility is decided by `access` and passed in as a db::Predicate over `o.path` (the owning
// organisation's path; the advisory row is `a`, so access::Policy::RecordScope(p, "o.path",
// "advisory", "a.id") fits). Advisories outside the predicate answer kNotFound like missing ones.
// Every change is written with its audit record (db::AuditSink) in one transaction: actions
// advisory.create, advisory.update, advisory.delete, advisory.publish, csaf.import.
// Publication assigns "<prefix>-<YYYY>-<NNNN>" once (a counter per prefix and year), appends
// revision n+1 with the given summary, and refuses when nothing changed since the last one.
// Writing the files of the CSAF provider is the caller's next step (CsafProvider::Publish).
//
// Thread-safety: thread-safe; each call takes its own connection from the pool.
// Errors: kInvalidArgument (field named), kNotFound, kConflict (published advisories cannot be
// deleted; nothing to publish; an older import), kPreconditionFailed (version mismatch),
// kUnavailable/kInternal (database).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/actor.hpp"
#include "db/audit_sink.hpp"
#include "db/database.hpp"
#include "vulns/advisory.hpp"
#include "vulns/csaf.hpp"

namespace muhafiz::vulns {

struct AdvisoryListFilter {
    std::optional<AdvisoryStatus> status;
    std::optional<std::string> q;  // case-insensitive substring of the title or tracking id
    int limit = 50;                // 1..500
    std::string cursor;            // from the previous page's `next`
};

struct AdvisoryPage {
    std::vector<Advisory> items;  // newest change first; without csaf_json/html
    std::int64_t total = 0;
    std::optional<std::string> next;
};

struct ImportResult {
    std::string id;  // public id of the import
    CsafDocumentInfo document;
    bool replaced = false;  // an earlier import of the same document was replaced
};

class AdvisoryStore {
public:
    AdvisoryStore(db::Database& db, const db::AuditSink& audit, CsafSettings settings)
        : db_(db), audit_(audit), settings_(std::move(settings)) {}

    const CsafSettings& settings() const { return settings_; }

    // A new draft owned by `organisation_id` (the caller's CERT).
    [[nodiscard]] core::Result<Advisory> Create(const AdvisoryContent& content, std::int64_t organisation_id,
                                                const core::Actor& actor);
    [[nodiscard]] core::Result<Advisory> Get(const std::string& uuid, const db::Predicate& scope);
    [[nodiscard]] core::Result<AdvisoryPage> List(const AdvisoryListFilter& filter, const db::Predicate& scope);
    // Replaces the content; `expected_version` (If-Match) must match when given.
    [[nodiscard]] core::Result<Advisory> Update(const std::string& uuid, const AdvisoryContent& content,
                                                std::optional<std::int64_t> expected_version,
                                                const db::Predicate& scope, const core::Actor& actor);
    // Only drafts that were never published.
    [[nodiscard]] core::Status Delete(const std::string& uuid, const db::Predicate& scope, const core::Actor& actor);
    // Publishes the current content as the next revision (summary: "Initial version" for the
    // first, "Updated" afterwards, when empty). Returns the advisory with csaf_json and html.
    [[nodiscard]] core::Result<Advisory> Publish(const std::string& uuid, const std::string& revision_summary,
                                                 std::optional<std::int64_t> expected_version,
                                                 const db::Predicate& scope, const core::Actor& actor);
    // Every published advisory with its csaf_json (to re-create the provider's files).
    [[nodiscard]] core::Result<std::vector<Advisory>> ListPublished();

    // Imports a foreign CSAF document. A document already imported (same publisher namespace and
    // tracking id) is replaced when this one is as new or newer, else kConflict.
    [[nodiscard]] core::Result<ImportResult> Import(std::string_view document, std::int64_t organisation_id,
                                                    const core::Actor& actor);
    // What imported documents say about `cve`, with the document's publisher and tracking id.
    struct Statement {
        CsafStatement statement;
        std::string publisher_namespace;
        std::string tracking_id;
        std::string document_category;
    };
    [[nodiscard]] core::Result<std::vector<Statement>> StatementsForCve(const std::string& cve);

private:
    core::Result<Advisory> Load(db::Connection& conn, const std::string& where, const db::Params& params,
                                bool with_documents);

    db::Database& db_;
    const db::AuditSink& audit_;
    CsafSettings settings_;
};

}  // namespace muhafiz::vulns
