// The notification log (every digest with its reference, recipients and delivery status) and the
// digest interval per taxonomy of the user's organisation.

import { useCallback, useEffect, useState } from 'react';
import { feeds, type Digest, type DigestInterval } from '../../api/feeds';
import { useAuth } from '../../auth/AuthContext';
import { ErrorBanner, Notice, PageHeader, Pager, Spinner } from '../../components/common';
import { formatTime } from '../../lib/format';
import { INTERVALS, TAXONOMIES } from '../../lib/feeds';
import { usePages } from '../../lib/usePages';

export function DigestLog() {
  const { user, hasRole } = useAuth();
  const operator = user?.organisation_kind === 'national_cert' && hasRole('admin', 'analyst');
  const [reload, setReload] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const pages = usePages<Digest>(useCallback((cursor) => feeds.digests(cursor), [reload]));

  async function runNow() {
    setError(null);
    try {
      const r = await feeds.runDigests(true);
      setMessage(`${r.sent} digests queued with ${r.events} events; ${r.skipped} recipients without an address.`);
      setReload((n) => n + 1);
    } catch (e) {
      setError(e);
    }
  }

  return (
    <>
      <PageHeader
        title="Notifications"
        subtitle="Digests sent to organisations about their networks: a summary by classification and a CSV file, encrypted when a PGP key is registered."
        actions={
          operator ? (
            <button type="button" className="btn" onClick={runNow}>
              Send due digests now
            </button>
          ) : undefined
        }
      />
      {message && <Notice tone="info">{message}</Notice>}
      <ErrorBanner error={error ?? pages.error} title="Could not load the notification log." />
      {user?.organisation_id && <Preferences organisationId={user.organisation_id} />}
      {!pages.rows ? (
        <Spinner />
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="digests-table">
            <thead>
              <tr>
                <th scope="col">Sent</th>
                <th scope="col">Reference</th>
                <th scope="col">Organisation</th>
                <th scope="col">Interval</th>
                <th scope="col">Events</th>
                <th scope="col">To</th>
                <th scope="col">Delivery</th>
              </tr>
            </thead>
            <tbody>
              {pages.rows.length === 0 && (
                <tr>
                  <td colSpan={7} className="muted">
                    No digests yet.
                  </td>
                </tr>
              )}
              {pages.rows.map((d) => (
                <tr key={d.id}>
                  <td className="nowrap">{formatTime(d.created_at)}</td>
                  <td className="mono">{d.reference || '—'}</td>
                  <td>{d.organisation.name}</td>
                  <td>{d.interval}</td>
                  <td>{d.events}</td>
                  <td className="small">
                    {d.recipients || '—'} {d.encrypted && <span className="badge">PGP</span>}
                  </td>
                  <td>
                    <span className={`badge status-${d.delivery_status || d.status}`}>{d.delivery_status || d.status}</span>
                    {d.reason && <div className="small muted">{d.reason}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager pages={pages} noun="digest" />
        </div>
      )}
    </>
  );
}

function Preferences({ organisationId }: { organisationId: string }) {
  const [intervals, setIntervals] = useState<Record<string, DigestInterval> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    feeds.preferences(organisationId).then((r) => setIntervals(r.intervals), setError);
  }, [organisationId]);
  async function change(taxonomy: string, value: string) {
    setSaved(false);
    setError(null);
    try {
      const r = await feeds.setPreferences(organisationId, { [taxonomy]: value ? (value as DigestInterval) : null });
      setIntervals(r.intervals);
      setSaved(true);
    } catch (e) {
      setError(e);
    }
  }
  if (!intervals) return error ? <ErrorBanner error={error} title="Could not load the digest preferences." /> : null;
  return (
    <section className="panel" data-testid="digest-preferences">
      <h2>How often my organisation gets digests</h2>
      <ErrorBanner error={error} title="Not saved." />
      {saved && <Notice tone="success">Saved.</Notice>}
      <div className="inline-form">
        {['*', ...TAXONOMIES].map((t) => (
          <div className="field" key={t}>
            <label htmlFor={`pref-${t}`}>{t === '*' ? 'Everything else' : t}</label>
            <select id={`pref-${t}`} value={intervals[t] ?? ''} onChange={(e) => change(t, e.target.value)}>
              <option value="">{t === '*' ? 'Default' : 'As everything else'}</option>
              {INTERVALS.map((i) => (
                <option key={i} value={i}>
                  {i}
                </option>
              ))}
            </select>
          </div>
        ))}
      </div>
    </section>
  );
}
