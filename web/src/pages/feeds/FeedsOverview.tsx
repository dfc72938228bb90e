// The feeds with their figures, the last runs, events per recipient, and an upload form that runs
// a report through the pipeline and shows where its events went.

import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { feeds, type Feed, type FeedRun } from '../../api/feeds';
import { ErrorBanner, Notice, PageHeader, Pager, Spinner } from '../../components/common';
import { formatTime } from '../../lib/format';
import { rejectedShare } from '../../lib/feeds';
import { usePages } from '../../lib/usePages';

export function FeedsOverview() {
  const [list, setList] = useState<Feed[] | null>(null);
  const [formats, setFormats] = useState<string[]>([]);
  const [recipients, setRecipients] = useState<{ organisation: { id: string; name: string }; events: number; runs: number }[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    feeds.list().then((r) => {
      setList(r.items);
      setFormats(r.formats);
    }, setError);
    feeds.figures().then((r) => setRecipients(r.recipients), setError);
  }, [reload]);

  const runs = usePages<FeedRun>(useCallback((cursor) => feeds.runs(undefined, cursor), [reload]));

  return (
    <>
      <PageHeader title="Feeds" subtitle="Automated reports: parsed, deduplicated, enriched and routed to the organisation that owns the network." />
      <ErrorBanner error={error} title="Could not load the feeds." />
      <UploadForm feedNames={(list ?? []).map((f) => f.name)} formats={formats} onDone={() => setReload((n) => n + 1)} />
      <section className="panel">
        <h2>Feeds</h2>
        {!list ? (
          <Spinner />
        ) : list.length === 0 ? (
          <p className="muted">No feed is configured and nothing was ingested yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="feeds-table">
              <thead>
                <tr>
                  <th scope="col">Feed</th>
                  <th scope="col">Format</th>
                  <th scope="col">Runs</th>
                  <th scope="col">Lines</th>
                  <th scope="col">Events</th>
                  <th scope="col">Rejected</th>
                  <th scope="col">Duplicates</th>
                  <th scope="col">Last run</th>
                </tr>
              </thead>
              <tbody>
                {list.map((f) => (
                  <tr key={f.name}>
                    <td>
                      <Link to={`/feeds/events?feed=${encodeURIComponent(f.name)}`}>{f.name}</Link>
                      {f.fetch && <div className="muted small">fetched from {f.fetch.url}</div>}
                    </td>
                    <td className="mono small">{f.format || '—'}</td>
                    <td>{f.figures.runs}</td>
                    <td>{f.figures.lines}</td>
                    <td>{f.figures.events}</td>
                    <td>{f.figures.rejected}</td>
                    <td>{f.figures.duplicates}</td>
                    <td className="nowrap">{f.last_run_at ? formatTime(f.last_run_at) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="panel">
        <h2>Runs</h2>
        <ErrorBanner error={runs.error} title="Could not load the runs." />
        {!runs.rows ? (
          <Spinner />
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="runs-table">
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Feed</th>
                  <th scope="col">File</th>
                  <th scope="col">Source</th>
                  <th scope="col">Status</th>
                  <th scope="col">Lines</th>
                  <th scope="col">Events</th>
                  <th scope="col">Rejected</th>
                  <th scope="col">Duplicates</th>
                </tr>
              </thead>
              <tbody>
                {runs.rows.map((r) => (
                  <tr key={r.id}>
                    <td className="nowrap">{formatTime(r.started_at)}</td>
                    <td>{r.feed}</td>
                    <td className="mono small">{r.file_name}</td>
                    <td>{r.source}</td>
                    <td>
                      <span className={`badge status-${r.status}`}>{r.status}</span>
                      {r.error && <div className="small muted">{r.error}</div>}
                    </td>
                    <td>{r.lines}</td>
                    <td>{r.events}</td>
                    <td>
                      {r.rejected ? <Link to={`/feeds/dead-letters?feed=${encodeURIComponent(r.feed)}`}>{r.rejected}</Link> : 0}{' '}
                      <span className="muted small">({rejectedShare(r)})</span>
                    </td>
                    <td>{r.duplicates}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager pages={runs} noun="run" />
          </div>
        )}
      </section>
      <section className="panel">
        <h2>Events per recipient</h2>
        {recipients.length === 0 ? (
          <p className="muted">No events routed yet.</p>
        ) : (
          <table className="table" data-testid="recipients-table">
            <thead>
              <tr>
                <th scope="col">Organisation</th>
                <th scope="col">Events</th>
                <th scope="col">Runs</th>
              </tr>
            </thead>
            <tbody>
              {recipients.map((r) => (
                <tr key={r.organisation.id}>
                  <td>
                    <Link to={`/feeds/events?organisation_id=${r.organisation.id}`}>{r.organisation.name}</Link>
                  </td>
                  <td>{r.events}</td>
                  <td>{r.runs}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function UploadForm({ feedNames, formats, onDone }: { feedNames: string[]; formats: string[]; onDone: () => void }) {
  const [feed, setFeed] = useState('');
  const [format, setFormat] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<FeedRun | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file || !feed.trim()) {
      setError('Choose a feed and a file.');
      return;
    }
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await feeds.upload(feed.trim(), file, file.name, format));
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel" onSubmit={submit} data-testid="feed-upload-form">
      <h2>Upload a report</h2>
      <div className="inline-form">
        <div className="field">
          <label htmlFor="feed-upload-feed">Feed</label>
          <input id="feed-upload-feed" list="feed-names" value={feed} onChange={(e) => setFeed(e.target.value)} placeholder="shadowserver" />
          <datalist id="feed-names">
            {feedNames.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="feed-upload-format">Format</label>
          <select id="feed-upload-format" value={format} onChange={(e) => setFormat(e.target.value)}>
            <option value="">The feed's (or detect)</option>
            {formats.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-file">
          <label htmlFor="feed-upload-file">Report</label>
          <input id="feed-upload-file" type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <button type="submit" className="btn" disabled={busy}>
          {busy ? 'Ingesting…' : 'Ingest'}
        </button>
      </div>
      <ErrorBanner error={error} title="The report was not ingested." />
      {result && (
        <div data-testid="feed-upload-result">
          <Notice tone={result.rejected ? 'warning' : 'success'}>
            {result.already_ingested ? 'This report was ingested before: nothing new was stored. ' : ''}
            {result.file_name} ({result.format}): {result.lines} lines, {result.events} events, {result.rejected} rejected,{' '}
            {result.duplicates} duplicates.
          </Notice>
          {result.recipients && result.recipients.length > 0 && (
            <table className="table" data-testid="upload-recipients">
              <thead>
                <tr>
                  <th scope="col">Routed to</th>
                  <th scope="col">Events</th>
                </tr>
              </thead>
              <tbody>
                {result.recipients.map((r) => (
                  <tr key={r.organisation.id}>
                    <td>
                      <Link to={`/feeds/events?organisation_id=${r.organisation.id}`}>{r.organisation.name}</Link>
                    </td>
                    <td>{r.events}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </form>
  );
}
