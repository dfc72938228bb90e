// Aggregate figures of incidents: counts by classification, severity, sector and tier, times to
// acknowledge and resolve, deadline compliance. The Council sees these and no incident details.

import { useEffect, useState } from 'react';
import { incidents, type CountRow, type IncidentStats } from '../../api/incidents';
import { ErrorBanner, PageHeader, Spinner } from '../../components/common';
import { DEADLINE_LABELS, formatDuration, percent } from '../../lib/incidents';

function Counts({ title, rows }: { title: string; rows: { key: string; count: number }[] }) {
  return (
    <section className="panel">
      <h2>{title}</h2>
      <table className="table">
        <tbody>
          {rows.length === 0 && (
            <tr><td className="muted">None</td></tr>
          )}
          {rows.map((r) => (
            <tr key={r.key}>
              <th scope="row">{r.key || '(none)'}</th>
              <td className="mono">{r.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function StatsView() {
  const [stats, setStats] = useState<IncidentStats | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    incidents.stats().then(setStats).catch(setError);
  }, []);
  if (error) return <ErrorBanner error={error} title="Could not load the figures." />;
  if (!stats) return <Spinner />;
  const byClass: CountRow[] = stats.by_classification.map((c) => ({ key: c.name, count: c.count }));
  return (
    <>
      <PageHeader title="Incident figures" subtitle={`${stats.total} incidents`} />
      <div className="form-grid" data-testid="incident-stats">
        <section className="panel">
          <h2>Response times</h2>
          <dl className="props">
            <dt>Mean time to acknowledge</dt>
            <dd>{formatDuration(stats.time_to_acknowledge.mean_seconds)}</dd>
            <dt>90th percentile to acknowledge</dt>
            <dd>{formatDuration(stats.time_to_acknowledge.p90_seconds)}</dd>
            <dt>Mean time to resolve</dt>
            <dd>{formatDuration(stats.time_to_resolve.mean_seconds)}</dd>
            <dt>90th percentile to resolve</dt>
            <dd>{formatDuration(stats.time_to_resolve.p90_seconds)}</dd>
          </dl>
        </section>
        <section className="panel">
          <h2>Deadline compliance: {percent(stats.deadline_compliance.overall)}</h2>
          <table className="table">
            <thead>
              <tr><th scope="col">Deadline</th><th scope="col">On time</th><th scope="col">Late</th><th scope="col">Missed</th><th scope="col">Pending</th><th scope="col">Compliance</th></tr>
            </thead>
            <tbody>
              {stats.deadline_compliance.by_kind.map((k) => (
                <tr key={k.kind}>
                  <th scope="row">{DEADLINE_LABELS[k.kind] ?? k.kind}</th>
                  <td>{k.met_on_time}</td><td>{k.met_late}</td><td>{k.missed}</td><td>{k.pending}</td><td>{percent(k.compliance)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <Counts title="By classification" rows={byClass} />
        <Counts title="By severity" rows={stats.by_severity} />
        <Counts title="By sector" rows={stats.by_sector} />
        <Counts title="By tier (handling CERT)" rows={stats.by_tier} />
        <Counts title="By status" rows={stats.by_status} />
      </div>
    </>
  );
}
