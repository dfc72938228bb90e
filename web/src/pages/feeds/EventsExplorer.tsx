// The events explorer (filters by feed, organisation, classification, route, address and time,
// page by page, downloads as JSON lines or CSV) and, with `mine`, a constituent's "events about my
// networks": the same list limited to the user's organisation and everything below it.

import { useCallback, useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { eventsDownloadUrl, feeds, type EventFilter, type FeedEvent } from '../../api/feeds';
import { useAuth } from '../../auth/AuthContext';
import { ErrorBanner, PageHeader, Pager, Spinner } from '../../components/common';
import { formatTime } from '../../lib/format';
import { classificationLabel, cleanFilter, eventTarget, filterFromSearch, ROUTE_LABELS } from '../../lib/feeds';
import { usePages } from '../../lib/usePages';

export function EventsExplorer({ mine = false }: { mine?: boolean }) {
  const { user } = useAuth();
  const [params, setParams] = useSearchParams();
  const applied = useMemo(() => {
    const f = filterFromSearch(params);
    if (mine && user?.organisation_id) f.organisation_id = user.organisation_id;
    return cleanFilter(f);
  }, [params, mine, user?.organisation_id]);
  const [draft, setDraft] = useState<EventFilter>(applied);
  const [open, setOpen] = useState<string | null>(null);
  const pages = usePages<FeedEvent>(useCallback((cursor) => feeds.events(applied, cursor), [applied]));

  function apply(e: FormEvent) {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries(cleanFilter(draft))) if (v && !(mine && k === 'organisation_id')) next.set(k, v);
    setParams(next);
    pages.reset();
  }

  const set = (k: keyof EventFilter) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  return (
    <>
      <PageHeader
        title={mine ? 'Events about my networks' : 'Events'}
        subtitle={
          mine
            ? 'What automated feeds reported about the addresses, AS numbers and domains of your organisation (and those below it).'
            : 'Harmonised events you may see, newest first.'
        }
        actions={
          <>
            <a className="btn btn-ghost" href={eventsDownloadUrl(applied, 'csv')} download="events.csv">
              CSV
            </a>
            <a className="btn btn-ghost" href={eventsDownloadUrl(applied, 'jsonl')} download="events.jsonl">
              JSON lines
            </a>
          </>
        }
      />
      <form className="filters" onSubmit={apply} data-testid="events-filters">
        <div className="field">
          <label htmlFor="ev-feed">Feed</label>
          <input id="ev-feed" value={draft.feed ?? ''} onChange={set('feed')} />
        </div>
        <div className="field">
          <label htmlFor="ev-class">Classification</label>
          <input id="ev-class" value={draft.classification ?? ''} onChange={set('classification')} placeholder="taxonomy or type" />
        </div>
        <div className="field">
          <label htmlFor="ev-route">Route</label>
          <select id="ev-route" value={draft.route ?? ''} onChange={set('route')}>
            <option value="">Any</option>
            {Object.entries(ROUTE_LABELS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ev-ip">Address</label>
          <input id="ev-ip" value={draft.ip ?? ''} onChange={set('ip')} />
        </div>
        <div className="field">
          <label htmlFor="ev-since">Since</label>
          <input id="ev-since" type="date" value={draft.since ?? ''} onChange={set('since')} />
        </div>
        <div className="field">
          <label htmlFor="ev-until">Until</label>
          <input id="ev-until" type="date" value={draft.until ?? ''} onChange={set('until')} />
        </div>
        <div className="filters-actions">
          <button type="submit" className="btn">
            Filter
          </button>
        </div>
      </form>
      <ErrorBanner error={pages.error} title="Could not load the events." />
      {!pages.rows ? (
        <Spinner />
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="events-table">
            <thead>
              <tr>
                <th scope="col">Seen</th>
                <th scope="col">Classification</th>
                <th scope="col">Target</th>
                <th scope="col">Severity</th>
                <th scope="col">Organisation</th>
                <th scope="col">Routed to</th>
                <th scope="col">Feed</th>
              </tr>
            </thead>
            <tbody>
              {pages.rows.length === 0 && (
                <tr>
                  <td colSpan={7} className="muted">
                    No events.
                  </td>
                </tr>
              )}
              {pages.rows.map((e) => (
                <EventRow key={e.id} e={e} open={open === e.id} toggle={() => setOpen(open === e.id ? null : e.id)} />
              ))}
            </tbody>
          </table>
          <Pager pages={pages} noun="event" testId="events-total" />
        </div>
      )}
    </>
  );
}

function EventRow({ e, open, toggle }: { e: FeedEvent; open: boolean; toggle: () => void }) {
  return (
    <>
      <tr data-testid="event-row" onClick={toggle} className={open ? 'row-open' : undefined} style={{ cursor: 'pointer' }}>
        <td className="nowrap">
          {formatTime(e.time_source)}
          {e.count > 1 && <div className="small muted">×{e.count} until {formatTime(e.last_seen)}</div>}
        </td>
        <td>{classificationLabel(e)}</td>
        <td className="mono small">{eventTarget(e)}</td>
        <td>{e.severity && <span className={`badge severity-${e.severity}`}>{e.severity}</span>}</td>
        <td data-testid="event-organisation">{e.organisation?.name ?? <span className="muted">—</span>}</td>
        <td>
          {e.recipient?.name ?? '—'}
          <div className="small muted">{ROUTE_LABELS[e.route]}</div>
        </td>
        <td>{e.feed}</td>
      </tr>
      {open && (
        <tr className="detail-row">
          <td colSpan={7}>
            <pre className="json">{JSON.stringify({ ...e.event, raw: undefined }, null, 2)}</pre>
          </td>
        </tr>
      )}
    </>
  );
}
