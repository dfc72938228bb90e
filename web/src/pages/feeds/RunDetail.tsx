// One ingest run (/feeds/runs/:id): its totals, its error, and where its events went. Reached from
// the runs table and from a finished upload.

import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { feeds, type FeedRun } from '../../api/feeds';
import { ErrorBanner, PageHeader, Spinner } from '../../components/common';
import { formatTime } from '../../lib/format';
import { rejectedShare } from '../../lib/feeds';

export function RunDetail() {
  const { id = '' } = useParams();
  const [run, setRun] = useState<FeedRun | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setRun(null);
    setError(null);
    feeds.run(id).then(setRun, setError);
  }, [id]);

  if (error) return <ErrorBanner error={error} title="Could not load the run." />;
  if (!run) return <Spinner />;
  return (
    <>
      <PageHeader title={`Run of ${run.feed}`} subtitle={<span className="mono">{run.file_name}</span>} />
      <section className="panel" data-testid="run-detail">
        <dl className="props">
          <dt>Status</dt>
          <dd>
            <span className={`badge status-${run.status}`}>{run.status}</span>
            {run.error && <div className="small muted">{run.error}</div>}
          </dd>
          <dt>Format</dt>
          <dd className="mono small">{run.format}</dd>
          <dt>Source</dt>
          <dd>
            {run.source} {run.created_by && <span className="muted">by {run.created_by}</span>}
          </dd>
          <dt>Started</dt>
          <dd>{formatTime(run.started_at)}</dd>
          <dt>Finished</dt>
          <dd>{run.finished_at ? formatTime(run.finished_at) : '—'}</dd>
          <dt>Totals</dt>
          <dd data-testid="run-totals">
            {run.lines} lines, {run.events} events, {run.rejected} rejected ({rejectedShare(run)}), {run.duplicates} duplicates,{' '}
            {run.aggregated} aggregated
          </dd>
        </dl>
        {run.rejected > 0 && <Link to={`/feeds/dead-letters?feed=${encodeURIComponent(run.feed)}`}>Dead letters of {run.feed}</Link>}
      </section>
      <section className="panel">
        <h2>Routed to</h2>
        {!run.recipients || run.recipients.length === 0 ? (
          <p className="muted">No event of this run was routed.</p>
        ) : (
          <RunRecipients run={run} testId="run-recipients" />
        )}
      </section>
    </>
  );
}

// Where a run's events went: each recipient organisation with its count, linked to those events.
export function RunRecipients({ run, testId }: { run: FeedRun; testId: string }) {
  return (
    <table className="table" data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">Routed to</th>
          <th scope="col">Events</th>
        </tr>
      </thead>
      <tbody>
        {(run.recipients ?? []).map((r) => (
          <tr key={r.organisation.id}>
            <td>
              <Link to={`/feeds/events?feed=${encodeURIComponent(run.feed)}&organisation_id=${r.organisation.id}`}>
                {r.organisation.name}
              </Link>
            </td>
            <td>{r.events}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
