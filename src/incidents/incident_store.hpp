// IncidentStore: the rules and storage of incidents — intake (single, bulk, public form, e-mail),
// lifecycle transitions with who and why, assignment, tasks, observables with "seen in other
// incidents", the timeline, evidence attachments, links and merges, confidential incidents,
// escalation / delegation / sharing across the CERT tiers, reporting deadlines (regimes.hpp) and
// their reminders, filtered and full-text listing (SQLite FTS5 / PostgreSQL tsvector, chosen by a
// dialect hook), bulk assign/close and aggregate statistics.
//
// Visibility is decided by access::Policy: an incident is visible when the organisation it is
// about (org_path) or its handling CERT (handling_path) is in the caller's scope, or it was shared
// with the caller's organisation; a confidential incident only to its named members. Invisible
// incidents answer kNotFound like missing ones. Changing an incident ("manage": fields, status,
// assignment, tasks, deadlines, escalation, delegation, sharing, links, merges) needs an admin or
// analyst of a CERT with write access; comments, observables and attachments need write access.
// A null Principal is the system (mail intake, the reminder worker): it sees everything.
//
// Every change writes its timeline entry and its audit record (db::AuditSink) in the same
// transaction, and queues its notifications (notify::Notifier, e-mail to the organisation's
// security contact and webhooks) there too: creation, assignment, escalation, delegation, sharing,
// comments and deadlines.
//
// Thread-safety: thread-safe; each call takes its own connection from the pool.
// Errors: kInvalidArgument (field named), kNotFound, kPermissionDenied, kConflict (transition not
// allowed — the message lists the allowed ones), kPreconditionFailed (version), kPayloadTooLarge
// (attachment), database errors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "access/permissions.hpp"
#include "access/policy.hpp"
#include "core/actor.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "db/audit_sink.hpp"
#include "db/database.hpp"
#include "incidents/incident.hpp"
#include "incidents/regimes.hpp"
#include "notify/notifier.hpp"

namespace muhafiz::incidents {

using core::Micros;

struct DeadlineState {
    DeadlineKind kind = DeadlineKind::kAcknowledge;
    Micros due_at = 0;
    std::optional<Micros> met_at;
};

struct OrgRef {
    std::int64_t id = 0;
    std::string uuid, name, kind, path, sector;
};

struct Incident {
    std::int64_t id = 0;
    std::string uuid, reference, title, description;
    std::vector<Classification> classification;
    Severity severity = Severity::kMedium;
    std::string impact, tlp = "TLP:AMBER", pap = "PAP:AMBER";
    std::vector<std::string> tags;
    core::json::object custom_fields;
    Status status = Status::kNew;
    OrgRef organisation, handling;
    std::string sector, regime;
    std::string reporter_name, reporter_email, reporter_phone;
    std::vector<std::string> affected;  // organisation uuids
    std::optional<std::string> assignee_uuid, assignee_name;
    bool confidential = false;
    std::vector<std::string> members;  // usernames (confidential incidents)
    std::string source;                // api, bulk, web, public, email
    std::optional<Micros> occurred_at, detected_at;
    Micros aware_at = 0;
    std::optional<Micros> acknowledged_at, resolved_at, closed_at, next_due_at;
    std::optional<std::string> merged_into;  // reference of the target
    std::vector<DeadlineState> deadlines;
    std::int64_t version = 1;
    Micros created_at = 0, updated_at = 0;
    std::int64_t assignee_id = 0;     // internal (0: none)
    std::int64_t merged_into_id = 0;  // internal (0: none)
};

// What a caller may set. For creation, absent fields take defaults; for a patch, only present
// fields change (a present-but-null optional time clears it).
struct IncidentInput {
    std::optional<std::string> title, description, impact, tlp, pap;
    std::optional<std::vector<Classification>> classification;
    std::optional<Severity> severity;
    std::optional<std::vector<std::string>> tags;
    std::optional<core::json::object> custom_fields;
    std::optional<std::string> organisation;  // uuid
    std::optional<std::string> reporter_name, reporter_email, reporter_phone;
    std::optional<std::vector<std::string>> affected;
    std::optional<std::optional<std::string>> assignee;  // user uuid or username; null clears
    std::optional<bool> confidential;
    std::optional<std::vector<std::string>> members;  // user uuids or usernames
    std::optional<std::optional<Micros>> occurred_at, detected_at;
    std::optional<Micros> aware_at;
    std::optional<Status> status;  // patches only
    std::string reason;            // why (transitions)
    std::vector<std::pair<std::string, std::string>> observables;  // creation: (type, value)
};

// Maps a JSON body to an input; `patch` allows "status"/"reason", creation allows "observables".
[[nodiscard]] core::Result<IncidentInput> InputFromJson(const core::json::object& body, bool patch);
[[nodiscard]] core::json::object ToJson(const Incident& incident);

struct IncidentFilter {
    std::vector<Status> statuses;
    std::vector<Severity> severities;
    std::vector<Classification> classes;  // any of (type empty: the whole class)
    std::optional<std::string> organisation;  // uuid: this organisation and below (or handled by it)
    std::optional<std::string> assignee;      // user uuid, "me" or "none"
    std::vector<std::string> tags;            // all of
    std::optional<Micros> created_from, created_to, updated_since;
    bool overdue = false;
    std::optional<Micros> due_before;  // next deadline before this time (due soon)
    std::optional<std::string> queue;  // triage, mine, cert, due_soon, overdue
    std::optional<bool> confidential;
    std::optional<std::string> q;      // full text
    std::string sort = "-created";     // created, updated, severity, due; '-' = descending
    int limit = 50;
    std::string cursor;
};
// Reads the filter from query parameters (status=a,b&severity=..&classification=fraud/phishing...).
[[nodiscard]] core::Result<IncidentFilter> FilterFromQuery(
    const std::vector<std::pair<std::string, std::string>>& query);

// A text search counts its matches up to this many (IncidentPage::total_capped beyond).
inline constexpr std::int64_t kSearchCountCap = 1000;

struct IncidentPage {
    std::vector<Incident> items;  // without deadlines and members
    std::int64_t total = 0;
    bool total_capped = false;  // total is a lower bound: the text search matched more than kSearchCountCap
    std::optional<std::string> next;
};

struct TimelineEntry {
    std::int64_t id = 0;
    Micros at = 0;
    std::string kind, actor, text;
    core::json::object data;
};

struct Task {
    std::string uuid, title, status = "open";
    std::optional<std::string> assignee_uuid, assignee_name;
    std::optional<Micros> due_at;
    core::json::array log;
    std::int64_t version = 1;
    Micros created_at = 0, updated_at = 0;
};

struct Observable {
    std::int64_t id = 0;
    std::string type, value, tlp, description;
    Micros created_at = 0;
    std::vector<std::string> seen_in;  // references of other incidents the caller may see
};

struct Attachment {
    std::string uuid, filename, content_type, sha256, created_by;
    std::int64_t size = 0;
    Micros created_at = 0;
};

struct StoreOptions {
    std::filesystem::path attachments_dir;  // <data dir>/incidents/attachments
    std::int64_t max_attachment_bytes = 10 << 20;
    std::string national_uuid;  // filled by the store when empty
};

class IncidentStore {
public:
    IncidentStore(db::Database& db, const db::AuditSink& audit, const access::Policy& policy,
                  const notify::Notifier* notifier, RegimeSet regimes, StoreOptions options);

    const RegimeSet& regimes() const { return regimes_; }
    const StoreOptions& options() const { return options_; }

    // Creates one incident reported by `p` (null: the system, e.g. e-mail or the public form,
    // which land at the National CERT unless `input.organisation` says otherwise).
    [[nodiscard]] core::Result<Incident> Create(const IncidentInput& input, const access::Principal* p,
                                                const core::Actor& actor, std::string_view source);
    // Creates many in one transaction; all are validated first (an error names "incidents[i].x").
    [[nodiscard]] core::Result<std::vector<Incident>> CreateMany(const std::vector<IncidentInput>& inputs,
                                                                 const access::Principal* p,
                                                                 const core::Actor& actor);
    // By public id or reference.
    [[nodiscard]] core::Result<Incident> Get(const std::string& id, const access::Principal* p);
    [[nodiscard]] core::Result<IncidentPage> List(const IncidentFilter& filter, const access::Principal* p);
    [[nodiscard]] core::Result<Incident> Update(const std::string& id, const IncidentInput& patch,
                                                std::optional<std::int64_t> expected_version,
                                                const access::Principal* p, const core::Actor& actor);
    struct BulkResult {
        std::vector<std::string> updated;  // references
        std::vector<std::pair<std::string, core::Error>> failed;  // id and why
    };
    // Assigns and/or moves each to `status` (e.g. closed); each incident on its own rules.
    [[nodiscard]] core::Result<BulkResult> BulkUpdate(const std::vector<std::string>& ids, const IncidentInput& patch,
                                                      const access::Principal* p, const core::Actor& actor);

    [[nodiscard]] core::Result<TimelineEntry> AddComment(const std::string& id, const std::string& text,
                                                         const access::Principal* p, const core::Actor& actor,
                                                         std::string_view kind = "comment",
                                                         core::json::object data = {});
    [[nodiscard]] core::Result<std::vector<TimelineEntry>> Timeline(const std::string& id, const access::Principal* p);

    [[nodiscard]] core::Result<Task> AddTask(const std::string& id, const core::json::object& body,
                                             const access::Principal* p, const core::Actor& actor);
    [[nodiscard]] core::Result<Task> UpdateTask(const std::string& id, const std::string& task_uuid,
                                                const core::json::object& body, const access::Principal* p,
                                                const core::Actor& actor);
    [[nodiscard]] core::Result<std::vector<Task>> Tasks(const std::string& id, const access::Principal* p);

    [[nodiscard]] core::Result<Observable> AddObservable(const std::string& id, const std::string& type,
                                                         const std::string& value, std::optional<std::string> tlp,
                                                         const std::string& description, const access::Principal* p,
                                                         const core::Actor& actor);
    [[nodiscard]] core::Result<std::vector<Observable>> Observables(const std::string& id, const access::Principal* p);

    [[nodiscard]] core::Result<Attachment> AddAttachment(const std::string& id, std::string filename,
                                                         std::string content_type, std::string_view data,
                                                         const access::Principal* p, const core::Actor& actor);
    [[nodiscard]] core::Result<std::vector<Attachment>> Attachments(const std::string& id, const access::Principal* p);
    // The attachment and its stored bytes.
    [[nodiscard]] core::Result<std::pair<Attachment, std::string>> ReadAttachment(const std::string& id,
                                                                                  const std::string& attachment,
                                                                                  const access::Principal* p);

    [[nodiscard]] core::Result<Incident> Link(const std::string& id, const std::string& other,
                                              const access::Principal* p, const core::Actor& actor);
    [[nodiscard]] core::Result<std::vector<std::string>> Links(const std::string& id, const access::Principal* p);
    // Merges `id` into `into`: observables, tasks and attachments move, `id` becomes merged.
    [[nodiscard]] core::Result<Incident> Merge(const std::string& id, const std::string& into, const std::string& reason,
                                               const access::Principal* p, const core::Actor& actor);

    // Moves the handling to the nearest CERT above the handling CERT.
    [[nodiscard]] core::Result<Incident> Escalate(const std::string& id, const std::string& reason,
                                                  const access::Principal* p, const core::Actor& actor);
    // Moves the handling to a CERT below the handling CERT.
    [[nodiscard]] core::Result<Incident> Delegate(const std::string& id, const std::string& organisation,
                                                  const std::string& reason, const access::Principal* p,
                                                  const core::Actor& actor);
    // Shares read-only ("read") or read-write ("write") with any organisation.
    [[nodiscard]] core::Result<Incident> Share(const std::string& id, const std::string& organisation,
                                               const std::string& access, const std::string& reason,
                                               const access::Principal* p, const core::Actor& actor);
    struct ShareInfo {
        OrgRef organisation;
        std::string access;
        Micros created_at = 0;
    };
    [[nodiscard]] core::Result<std::vector<ShareInfo>> Shares(const std::string& id, const access::Principal* p);

    // Records that a reporting deadline was met (at `met_at`, default now).
    [[nodiscard]] core::Result<Incident> MeetDeadline(const std::string& id, DeadlineKind kind,
                                                      std::optional<Micros> met_at, const access::Principal* p,
                                                      const core::Actor& actor);
    // The delivery log of an incident's notifications.
    [[nodiscard]] core::Result<std::vector<notify::Notification>> Notifications(const std::string& id,
                                                                                const access::Principal* p);

    // Custom fields of a CERT.
    [[nodiscard]] core::Result<std::vector<FieldDefinition>> FieldDefinitions(std::int64_t organisation_id);
    [[nodiscard]] core::Result<std::vector<FieldDefinition>> SetFieldDefinitions(std::int64_t organisation_id,
                                                                                 const core::json::array& defs,
                                                                                 const core::Actor& actor);

    // Aggregates over the incidents `p` may see (the Council: all, without details).
    [[nodiscard]] core::Result<core::json::object> Stats(const access::Principal& p, std::optional<Micros> from,
                                                         std::optional<Micros> to);

    // Sends the reminders that are due at `now` (before a deadline and once it has passed);
    // returns how many were queued.
    [[nodiscard]] core::Result<int> ProcessDeadlines(Micros now);

    // The export of a filtered list (up to 10,000 rows, no paging).
    [[nodiscard]] core::Result<std::string> ExportCsv(IncidentFilter filter, const access::Principal* p);

    // The uuid of the organisation that registered `domain` or its nearest parent domain.
    [[nodiscard]] core::Result<std::optional<std::string>> OrganisationByDomain(const std::string& domain);
    // Resolves an organisation by uuid (kNotFound).
    [[nodiscard]] core::Result<OrgRef> Organisation(db::Connection& conn, const std::string& uuid);

private:
    struct Impl;
    core::Result<Incident> Load(db::Connection& conn, const std::string& id, const access::Principal* p,
                                bool details = true);
    core::Status RequireManage(db::Connection& conn, const Incident& inc, const access::Principal* p);
    core::Status RequireContribute(const access::Principal* p);
    db::Predicate ReadScope(const access::Principal* p) const;
    db::Predicate ManageScope(const access::Principal& p) const;
    core::Result<Incident> InsertOne(db::Connection& conn, const IncidentInput& in, const access::Principal* p,
                                     const core::Actor& actor, std::string_view source, const std::string& reference,
                                     bool notify);
    core::Status AddTimeline(db::Connection& conn, std::int64_t incident_id, const core::Actor& actor,
                             std::string_view kind, const std::string& text, const core::json::object& data);
    core::Status Audit(db::Connection& conn, const core::Actor& actor, std::string_view action,
                       const Incident& before, const Incident* after);
    core::Status NotifyOrganisation(db::Connection& conn, std::int64_t organisation_id, const Incident& inc,
                                    std::string_view event, const std::string& subject, const std::string& text);
    core::Status RecomputeDeadlines(db::Connection& conn, const Incident& inc);
    core::Result<std::vector<std::string>> ReserveReferences(db::Connection& conn, std::size_t n, Micros now);
    core::Result<OrgRef> OrgById(db::Connection& conn, std::int64_t id);
    core::Result<OrgRef> HandlingCertFor(db::Connection& conn, const OrgRef& org);
    core::Result<std::string> SectorFor(db::Connection& conn, const OrgRef& org);
    core::Result<std::int64_t> ResolveUser(db::Connection& conn, const std::string& who, const std::string& field);
    core::Result<Incident> Transition(db::Connection& conn, Incident inc, Status to, const std::string& reason,
                                      const core::Actor& actor);

    struct OrgFacts {
        OrgRef handling;
        std::string sector;
        std::vector<FieldDefinition> fields;
    };
    core::Result<std::vector<FieldDefinition>> FieldDefinitionsOn(db::Connection& conn, std::int64_t organisation_id);
    // Rows of new incidents in the other tables, written together by FlushRows.
    struct PendingRows {
        std::vector<std::int64_t> ids;  // reserved for a bulk request, taken in order
        std::size_t next = 0;
        OrgRef caller_org;
        std::vector<db::Params> incidents, classes, tags, observables, members, tasks, deadlines, timeline;
    };
    core::Status FlushRows(db::Connection& conn, PendingRows& rows);

    db::Database& db_;
    const db::AuditSink& audit_;
    const access::Policy& policy_;
    const notify::Notifier* notifier_;
    RegimeSet regimes_;
    StoreOptions options_;
    // Set by CreateMany on its own thread for the length of one call (see InsertOne).
    static thread_local std::map<std::int64_t, OrgFacts>* org_cache_;
    static thread_local PendingRows* pending_;
};

}  // namespace muhafiz::incidents
