// One intel event: summary, indicators (false positive, warning-list override, sightings), the
// share dialog with the recipients preview, correlations and exports; the creating organisation
// may remove an indicator (after a confirmation; partners then see it revoked / deleted).

import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { intel, type Correlation, type Indicator, type IntelEvent } from '../../api/intel';
import { useAuth } from '../../auth/AuthContext';
import { ConfirmDialog, EmptyState, ErrorBanner, PageHeader, Spinner } from '../../components/common';
import { AUDIENCE_LABELS, attackTechniques, describeSharing } from '../../lib/intel';
import { formatTime } from '../../lib/format';
import { EditEvent } from './EditEvent';
import { ShareDialog } from './ShareDialog';
import { TlpTag } from './parts';

export function EventDetail() {
  const { id = '' } = useParams();
  const { user } = useAuth();
  const [event, setEvent] = useState<IntelEvent | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [indicators, setIndicators] = useState<Indicator[] | null>(null);
  const [correlations, setCorrelations] = useState<Correlation[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [sharing, setSharing] = useState(false);
  const [editing, setEditing] = useState(false);
  const [removing, setRemoving] = useState<Indicator | null>(null);
  const [removeBusy, setRemoveBusy] = useState(false);
  const [removeError, setRemoveError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      const r = await intel.get(id);
      setEvent(r.event);
      setEtag(r.etag);
      setIndicators((await intel.indicators(id, null, 200)).items);
      setCorrelations((await intel.correlations(id)).items);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [id]);
  useEffect(() => { void load(); }, [load]);

  if (error && !event) return <ErrorBanner error={error} title="Could not load the event." />;
  if (!event) return <Spinner />;
  const mine = user?.organisation_id === event.organisation.id;
  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      await load();
    } catch (e) {
      setError(e);
    }
  };
  const confirmRemove = async () => {
    if (!removing) return;
    setRemoveBusy(true);
    try {
      await intel.removeIndicator(removing.id, etag);
      setRemoving(null);
      setRemoveError(null);
      await load();
    } catch (e) {
      setRemoveError(e);
    } finally {
      setRemoveBusy(false);
    }
  };
  return (
    <>
      <PageHeader
        title={event.title}
        subtitle={<><TlpTag tlp={event.tlp} /> {AUDIENCE_LABELS[event.audience]} · from {event.organisation.name} · {formatTime(event.created_at)}</>}
        actions={
          <>
            <a className="btn" href={intel.stixUrl(event.id)} download={`${event.id}.stix.json`}>STIX 2.1</a>
            <a className="btn" href={intel.mispUrl(event.id)} download={`${event.id}.misp.json`}>MISP</a>
            {mine && <button type="button" className="btn" onClick={() => setEditing(true)}>Edit</button>}
            {mine && <button type="button" className="btn btn-primary" onClick={() => setSharing(true)}>Share…</button>}
          </>
        }
      />
      <ErrorBanner error={error} title="The action failed." onDismiss={() => setError(null)} />
      {editing && (
        <EditEvent event={event} etag={etag} onClose={() => setEditing(false)}
          onDone={() => { setEditing(false); void load(); }} />
      )}
      <section className="panel">
        <p data-testid="event-sharing">{describeSharing(event.tlp, event.audience)}</p>
        {event.description && <p>{event.description}</p>}
        {event.tags.length > 0 && (
          <p>{event.tags.map((t) => (
            <span key={t} className="badge badge-plain">
              {attackTechniques([t]).length ? <a href={`https://attack.mitre.org/techniques/${t.replace('.', '/')}/`} target="_blank" rel="noreferrer">{t}</a> : t}
            </span>
          ))}</p>
        )}
      </section>
      <h2>Indicators</h2>
      {indicators === null ? <Spinner /> : indicators.length === 0 ? (
        <EmptyState title="No indicators." />
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="indicator-table">
            <thead>
              <tr>
                <th scope="col">Type</th><th scope="col">Value</th><th scope="col">Detection</th>
                <th scope="col">Warning list</th><th scope="col">Sightings</th><th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {indicators.map((i) => (
                <tr key={i.id}>
                  <td className="small">{i.type}</td>
                  <td className="mono small">{i.value}</td>
                  <td className="small">{i.false_positive ? 'false positive' : i.active ? 'active' : i.expired ? 'expired' : 'off'}</td>
                  <td className="small">{i.warning_list ?? '—'}{i.warning_list && i.warning_override ? ' (overridden)' : ''}</td>
                  <td className="small">{i.sightings.count}</td>
                  <td className="small nowrap">
                    <button type="button" className="btn btn-small" onClick={() => act(() => intel.sighting(i.id))}>Sighted</button>
                    {mine && !i.false_positive && <button type="button" className="btn btn-small" onClick={() => act(() => intel.updateIndicator(i.id, { false_positive: true }))}>False positive</button>}
                    {mine && i.warning_list && !i.warning_override && <button type="button" className="btn btn-small" onClick={() => act(() => intel.updateIndicator(i.id, { warning_override: true }))}>Use anyway</button>}
                    {mine && <button type="button" className="btn btn-small btn-danger" aria-label={`Remove ${i.value}`} onClick={() => { setRemoveError(null); setRemoving(i); }}>Remove</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Correlations</h2>
      {correlations === null ? <Spinner /> : correlations.length === 0 ? (
        <p className="muted">No indicator of this event appears in another event you can see.</p>
      ) : (
        <ul data-testid="correlations">
          {correlations.map((c) => (
            <li key={c.type + c.value}>
              <span className="mono">{c.value}</span>{' '}
              {c.over_correlating ? (
                <span className="badge badge-warn">over-correlating ({c.event_count} events)</span>
              ) : (
                c.events.map((e) => <Link key={e.id} to={`/intel/${encodeURIComponent(e.id)}`} className="badge badge-plain">{e.title}</Link>)
              )}
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={removing !== null}
        title="Remove this indicator?"
        confirmLabel="Remove indicator"
        danger
        busy={removeBusy}
        error={removeError}
        onCancel={() => { setRemoving(null); setRemoveError(null); }}
        onConfirm={() => { void confirmRemove(); }}
      >
        <p>
          <span className="mono">{removing?.value}</span> ({removing?.type}) leaves this event: it is no longer
          listed, exported for detection or correlated. Partners receive it as revoked (STIX) or deleted (MISP).
        </p>
      </ConfirmDialog>
      {sharing && (
        <ShareDialog event={event} etag={etag} onClose={() => setSharing(false)}
          onDone={(e) => { setSharing(false); setEvent(e); void load(); }} />
      )}
    </>
  );
}
