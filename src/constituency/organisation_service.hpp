// OrganisationService: the rules and storage of the constituency tree — create, read, list,
// update (including moving a subtree under another CERT), delete; the root; the owner-index
// entries.
//
// Visibility is decided by `access` and passed in as a db::Predicate over the column `o.path`;
// this service never decides who may see what, it only applies the predicate it is given.
// Records outside the predicate answer kNotFound exactly like missing ones.
// Every change is written with its audit record (db::AuditSink) in one transaction, and then
// `on_change` is called (the owner index is rebuilt from it).
// Thread-safety: thread-safe; each call takes its own connection from the pool.
// Errors: kInvalidArgument (naming the field), kNotFound, kConflict (duplicates, children,
// cycles, kind rules), kPreconditionFailed (version mismatch), kUnavailable/kInternal (db).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "constituency/organisation.hpp"
#include "constituency/owner_index.hpp"
#include "core/actor.hpp"
#include "db/audit_sink.hpp"
#include "db/database.hpp"

namespace muhafiz::constituency {

struct ListFilter {
    std::optional<Kind> kind;
    std::optional<std::string> sector;
    std::optional<std::string> country;
    std::optional<std::string> parent;      // public id
    std::optional<std::string> subtree_of;  // public id: that organisation and everything below
    std::optional<std::string> q;           // case-insensitive substring of the name
    std::string sort = "name";              // name, -name, created_at, -created_at, kind, -kind
    int limit = 50;                         // 1..500
    std::string cursor;                     // from the previous page's `next`
};

template <typename T>
struct Page {
    std::vector<T> items;
    std::int64_t total = 0;
    std::optional<std::string> next;
};

class OrganisationService {
public:
    OrganisationService(db::Database& db, const db::AuditSink& audit, std::function<void()> on_change = {})
        : db_(db), audit_(audit), on_change_(std::move(on_change)) {}

    // Creates the National CERT root when the tree is empty; returns the root either way.
    [[nodiscard]] core::Result<Organisation> EnsureRoot(const std::string& name, const std::string& country);
    [[nodiscard]] core::Result<Organisation> Root();

    // The parent must lie inside `scope` (a caller creates only where it may see).
    [[nodiscard]] core::Result<Organisation> Create(const OrganisationPatch& input, const db::Predicate& scope,
                                                    const core::Actor& actor);
    [[nodiscard]] core::Result<Organisation> Get(const std::string& uuid, const db::Predicate& scope);
    [[nodiscard]] core::Result<Organisation> GetById(std::int64_t id);
    [[nodiscard]] core::Result<Page<Organisation>> List(const ListFilter& filter, const db::Predicate& scope);
    // Every visible organisation, summary fields only, ordered by path (parents first).
    [[nodiscard]] core::Result<std::vector<Organisation>> Tree(const db::Predicate& scope);
    // `expected_version` (from If-Match) must match when given.
    [[nodiscard]] core::Result<Organisation> Update(const std::string& uuid, const OrganisationPatch& patch,
                                                    std::optional<std::int64_t> expected_version,
                                                    const db::Predicate& scope, const core::Actor& actor);
    [[nodiscard]] core::Status Delete(const std::string& uuid, const db::Predicate& scope,
                                      const core::Actor& actor);

    // Resolves a parent reference (public id, or a unique name) inside `scope`.
    [[nodiscard]] core::Result<Organisation> ResolveReference(db::Connection& conn, const std::string& ref,
                                                              const db::Predicate& scope, std::string_view field);

    // Create or update inside the caller's transaction (used by imports): the organisation with
    // the input's id, else the one of the same name under the same parent, else a new one.
    enum class Outcome { kCreated, kUpdated, kUnchanged };
    [[nodiscard]] core::Result<Organisation> Upsert(db::Connection& conn, const OrganisationPatch& input,
                                                    const core::Actor& actor, Outcome* outcome = nullptr);
    [[nodiscard]] core::Result<db::Database::Handle> Connect() { return db_.Acquire(); }

    // What the owner index is built from, and a cheap fingerprint that changes whenever it
    // does (organisations added, changed or removed, by this process or any other).
    [[nodiscard]] core::Result<OwnerEntries> LoadOwnerEntries();
    [[nodiscard]] core::Result<std::string> ChangeFingerprint();

    void NotifyChanged() {
        if (on_change_) on_change_();
    }

private:
    core::Result<Organisation> CreateIn(db::Connection& conn, const OrganisationPatch& input,
                                        const db::Predicate& scope, const core::Actor& actor);
    core::Result<Organisation> UpdateIn(db::Connection& conn, Organisation before, const OrganisationPatch& patch,
                                        const db::Predicate& scope, const core::Actor& actor);
    core::Result<Organisation> Load(db::Connection& conn, std::string_view where, const db::Params& params,
                                    bool with_path_names);
    core::Status LoadNetworks(db::Connection& conn, std::vector<Organisation>& orgs);
    core::Status WriteNetworks(db::Connection& conn, const Organisation& org);

    db::Database& db_;
    const db::AuditSink& audit_;
    std::function<void()> on_change_;
};

}  // namespace muhafiz::constituency
