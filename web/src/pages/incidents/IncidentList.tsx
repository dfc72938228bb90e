// The queues of incidents: triage, mine, my CERT's, due soon, overdue, all; with filters,
// full-text search, sort, page-by-page browsing and CSV/JSON export of the result.

import { useCallback, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { incidents, type Incident, type IncidentFilter } from '../../api/incidents';
import { EmptyState, ErrorBanner, PageHeader, Pager, Spinner } from '../../components/common';
import { QUEUES, SEVERITIES, STATUS_LABELS, relativeTime } from '../../lib/incidents';
import { formatTime } from '../../lib/format';
import { usePages } from '../../lib/usePages';
import { SeverityBadge, TlpBadge } from '../vulns/parts';

export function IncidentList() {
  const [params, setParams] = useSearchParams();
  const queue = params.get('queue') ?? 'triage';
  const [draft, setDraft] = useState({ q: '', status: '', severity: '', classification: '', sort: '-created' });
  const [applied, setApplied] = useState(draft);
  const filter: IncidentFilter = { queue, ...applied };

  const fetchPage = useCallback(
    (cursor: string | null) => incidents.list({ queue, ...applied }, cursor, 25),
    [queue, applied],
  );
  const pages = usePages<Incident>(fetchPage);
  const now = Date.now();

  return (
    <>
      <PageHeader
        title="Incidents"
        subtitle="Reports from constituents, the public form, e-mail and the API; triaged on the RSIT taxonomy."
        actions={
          <>
            <a className="btn" href={incidents.exportUrl(filter, 'csv')} download>
              Export CSV
            </a>
            <a className="btn" href={incidents.exportUrl(filter, 'json')} download>
              Export JSON
            </a>
            <Link className="btn btn-primary" to="/incidents/new">
              Report an incident
            </Link>
          </>
        }
      />
      <nav className="tabs" aria-label="Queues">
        {QUEUES.map((q) => (
          <button
            key={q.key}
            type="button"
            className={q.key === queue ? 'tab active' : 'tab'}
            aria-current={q.key === queue ? 'page' : undefined}
            onClick={() => {
              pages.reset();
              setParams({ queue: q.key });
            }}
          >
            {q.label}
          </button>
        ))}
      </nav>
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          pages.reset();
          setApplied({ ...draft });
        }}
      >
        <div className="field">
          <label htmlFor="inc-q">Search</label>
          <input id="inc-q" type="search" placeholder="Reference, title, description, tags" value={draft.q}
            onChange={(e) => setDraft({ ...draft, q: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="inc-status">Status</label>
          <select id="inc-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
            <option value="">Any</option>
            {Object.entries(STATUS_LABELS).map(([k, v]) => (
              <option key={k} value={k}>{v}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="inc-severity">Severity</label>
          <select id="inc-severity" value={draft.severity} onChange={(e) => setDraft({ ...draft, severity: e.target.value })}>
            <option value="">Any</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="inc-class">Classification</label>
          <input id="inc-class" placeholder="e.g. fraud/phishing" value={draft.classification}
            onChange={(e) => setDraft({ ...draft, classification: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="inc-sort">Sort</label>
          <select id="inc-sort" value={draft.sort} onChange={(e) => setDraft({ ...draft, sort: e.target.value })}>
            <option value="-created">Newest</option>
            <option value="created">Oldest</option>
            <option value="due">Next deadline</option>
            <option value="-severity">Severity</option>
            <option value="-updated">Recently changed</option>
          </select>
        </div>
        <div className="filters-actions">
          <button type="submit" className="btn">Apply</button>
        </div>
      </form>
      <ErrorBanner error={pages.error} title="Could not load incidents." />
      {pages.rows === null ? (
        <Spinner />
      ) : pages.rows.length === 0 ? (
        <EmptyState title="No incidents here.">Nothing in this queue matches.</EmptyState>
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="incidents-table">
            <caption className="visually-hidden">Incidents</caption>
            <thead>
              <tr>
                <th scope="col">Reference</th>
                <th scope="col">Title</th>
                <th scope="col">Classification</th>
                <th scope="col">Severity</th>
                <th scope="col">TLP</th>
                <th scope="col">Status</th>
                <th scope="col">Handling CERT</th>
                <th scope="col">Next deadline</th>
                <th scope="col">Reported</th>
              </tr>
            </thead>
            <tbody>
              {pages.rows.map((i) => (
                <tr key={i.id} data-testid="incident-row">
                  <td className="mono small nowrap">
                    <Link to={`/incidents/${encodeURIComponent(i.id)}`}>{i.reference}</Link>
                  </td>
                  <th scope="row" className="cell-text">
                    <Link to={`/incidents/${encodeURIComponent(i.id)}`}>{i.title}</Link>
                    {i.confidential && <span className="badge badge-warn">confidential</span>}
                  </th>
                  <td className="small">{i.classification.map((c) => c.name ?? `${c.class}/${c.type}`).join(', ')}</td>
                  <td><SeverityBadge severity={i.severity} /></td>
                  <td><TlpBadge tlp={i.tlp} /></td>
                  <td><span className="badge badge-plain">{STATUS_LABELS[i.status]}</span></td>
                  <td className="small">{i.handling_organisation.name}</td>
                  <td className="small nowrap">
                    {i.next_due_at ? (
                      <span className={Date.parse(i.next_due_at) < now ? 'badge sev-critical' : ''}>
                        {relativeTime(i.next_due_at, now)}
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="nowrap small">{formatTime(i.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager pages={pages} noun="incident" testId="incidents-total" />
        </div>
      )}
    </>
  );
}
