// The intel events the caller may see, newest first, with search by text, value, tag and TLP.

import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { intel, type EventFilter, type IntelEvent } from '../../api/intel';
import { EmptyState, ErrorBanner, PageHeader, Pager, Spinner } from '../../components/common';
import { AUDIENCE_LABELS, TLPS } from '../../lib/intel';
import { formatTime } from '../../lib/format';
import { usePages } from '../../lib/usePages';
import { TlpTag } from './parts';

export function EventList() {
  const [draft, setDraft] = useState<EventFilter>({ q: '', value: '', tag: '', tlp: '' });
  const [applied, setApplied] = useState<EventFilter>(draft);
  const fetchPage = useCallback(
    (cursor: string | null) =>
      intel.list(Object.fromEntries(Object.entries(applied).filter(([, v]) => v)) as EventFilter, cursor, 25),
    [applied],
  );
  const pages = usePages<IntelEvent>(fetchPage);
  return (
    <>
      <PageHeader
        title="Intel events"
        subtitle="Threat intelligence shared with you under TLP 2.0 across the CERT tree."
        actions={<Link className="btn btn-primary" to="/intel/new">Publish an event</Link>}
      />
      <form className="filters" role="search" onSubmit={(e) => { e.preventDefault(); pages.reset(); setApplied({ ...draft }); }}>
        <div className="field">
          <label htmlFor="intel-q">Search</label>
          <input id="intel-q" type="search" placeholder="Title or description" value={draft.q}
            onChange={(e) => setDraft({ ...draft, q: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="intel-value">Indicator value</label>
          <input id="intel-value" placeholder="203.0.113.9, evil.example…" value={draft.value}
            onChange={(e) => setDraft({ ...draft, value: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="intel-tag">Tag</label>
          <input id="intel-tag" placeholder="T1566.001" value={draft.tag} onChange={(e) => setDraft({ ...draft, tag: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="intel-tlp">TLP</label>
          <select id="intel-tlp" value={draft.tlp} onChange={(e) => setDraft({ ...draft, tlp: e.target.value })}>
            <option value="">Any</option>
            {TLPS.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </div>
        <div className="filters-actions">
          <button type="submit" className="btn">Apply</button>
        </div>
      </form>
      <ErrorBanner error={pages.error} title="Could not load intel events." />
      {pages.rows === null ? (
        <Spinner />
      ) : pages.rows.length === 0 ? (
        <EmptyState title="No intel events.">Nothing shared with you matches.</EmptyState>
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="intel-table">
            <caption className="visually-hidden">Intel events</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">TLP</th>
                <th scope="col">Audience</th>
                <th scope="col">From</th>
                <th scope="col">Indicators</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {pages.rows.map((e) => (
                <tr key={e.id} data-testid="intel-row">
                  <th scope="row" className="cell-text">
                    <Link to={`/intel/${encodeURIComponent(e.id)}`}>{e.title}</Link>
                  </th>
                  <td><TlpTag tlp={e.tlp} /></td>
                  <td className="small">{AUDIENCE_LABELS[e.audience]}</td>
                  <td className="small">{e.organisation.name}</td>
                  <td className="small">{e.indicator_count}</td>
                  <td className="small nowrap">{formatTime(e.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager pages={pages} noun="event" testId="intel-total" />
        </div>
      )}
    </>
  );
}
