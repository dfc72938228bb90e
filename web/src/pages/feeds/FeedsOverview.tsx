// The feeds with their figures, the last runs, events per recipient, the network-data files used
// for enrichment (with a reload for admins), and an upload form: the server spools the report and
// answers with a job, which the form follows until the run is done and shows where its events went.

import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { feeds, type Feed, type FeedRun, type FeedUpload, type NetworkDataState } from '../../api/feeds';
import { useAuth } from '../../auth/AuthContext';
import { ErrorBanner, Notice, PageHeader, Pager, Spinner } from '../../components/common';
import { formatTime } from '../../lib/format';
import { rejectedShare } from '../../lib/feeds';
import { usePages } from '../../lib/usePages';
import { RunRecipients } from './RunDetail';

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
      <NetworkDataPanel />
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
                    <td className="mono small">
                      <Link to={`/feeds/runs/${r.id}`}>{r.file_name}</Link>
                    </td>
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
  const [job, setJob] = useState<FeedUpload | null>(null);
  const live = useRef(true);
  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file || !feed.trim()) {
      setError('Choose a feed and a file.');
      return;
    }
    setBusy(true);
    setError(null);
    setJob(null);
    try {
      let current = await feeds.upload(feed.trim(), file, file.name, format);
      setJob(current);
      // The server ingests it on its upload worker: follow the job until it is done.
      let delay = 250;
      while (live.current && (current.status === 'queued' || current.status === 'running')) {
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
        current = await feeds.uploadJob(current.id);
        if (live.current) setJob(current);
      }
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const run = job?.run ?? null;
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
      {job && (job.status === 'queued' || job.status === 'running') && (
        <div data-testid="feed-upload-job" aria-live="polite">
          <p className="muted">
            {job.status === 'queued'
              ? `${job.file_name}: accepted, waiting for the upload worker…`
              : `${job.file_name}: ingesting — ${job.progress.lines} lines, ${job.progress.events} events, ${job.progress.rejected} rejected`}
          </p>
          <progress max={100} value={job.status === 'queued' ? undefined : job.progress.percent} aria-label="Ingest progress" />
        </div>
      )}
      {job?.status === 'failed' && (
        <div data-testid="feed-upload-failed">
          <ErrorBanner error={job.error ?? 'failed'} title={`${job.file_name} could not be ingested.`} />
        </div>
      )}
      {job?.status === 'done' && (
        <div data-testid="feed-upload-result">
          <Notice tone={job.progress.rejected ? 'warning' : 'success'}>
            {job.already_ingested ? 'This report was ingested before: nothing new was stored. ' : ''}
            {job.file_name} ({run?.format ?? job.format}): {job.progress.lines} lines, {job.progress.events} events,{' '}
            {job.progress.rejected} rejected, {job.progress.duplicates} duplicates.{' '}
            {job.run_id && (
              <Link to={`/feeds/runs/${job.run_id}`} data-testid="upload-run-link">
                See the run
              </Link>
            )}
          </Notice>
          {run?.recipients && run.recipients.length > 0 && <RunRecipients run={run} testId="upload-recipients" />}
        </div>
      )}
    </form>
  );
}

/** The network-data files the pipeline enriches with, and (admins) a reload. */
function NetworkDataPanel() {
  const { hasRole } = useAuth();
  const [state, setState] = useState<NetworkDataState | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    feeds.networkData().then(setState, setError);
  }, []);

  async function reload() {
    setBusy(true);
    setError(null);
    try {
      setState(await feeds.reloadNetworkData());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" data-testid="network-data">
      <h2>Network data</h2>
      <ErrorBanner error={error} title="Could not load the network data." />
      {!state ? (
        !error && <Spinner />
      ) : (
        <>
          <p className="muted small">
            {state.files.length === 0
              ? 'No prefix-to-AS, RIR delegated, MMDB or AS-name file is configured (network_data in the feeds configuration).'
              : `In use since ${state.loaded_at ? formatTime(state.loaded_at) : '—'} (version ${state.generation}). ` +
                (state.reload_interval_seconds
                  ? `Checked for changes every ${state.reload_interval_seconds} s; last check ${state.checked_at ? formatTime(state.checked_at) : '—'}.`
                  : 'Reloaded on request only.')}
          </p>
          {state.files.length > 0 && (
            <div className="table-wrap">
              <table className="table" data-testid="network-data-table">
                <thead>
                  <tr>
                    <th scope="col">File</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Entries</th>
                    <th scope="col">Size</th>
                    <th scope="col">Modified</th>
                    <th scope="col">Loaded</th>
                    <th scope="col">Last error</th>
                  </tr>
                </thead>
                <tbody>
                  {state.files.map((f) => (
                    <tr key={f.path}>
                      <td className="mono small">
                        {f.path}
                        {f.detail && <div className="muted small">{f.detail}</div>}
                      </td>
                      <td>{f.kind}</td>
                      <td>{f.entries.toLocaleString('en')}</td>
                      <td>{f.size === null ? '—' : f.size.toLocaleString('en')}</td>
                      <td className="nowrap">{f.mtime ? formatTime(f.mtime) : '—'}</td>
                      <td className="nowrap">{f.loaded_at ? formatTime(f.loaded_at) : '—'}</td>
                      <td>
                        {f.error ? (
                          <span className="small" data-testid="network-data-error">
                            <span className="badge status-failed">error</span> {f.error}
                            {f.error_at && <span className="muted"> ({formatTime(f.error_at)}; the previous data stays in use)</span>}
                          </span>
                        ) : (
                          '—'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {hasRole('admin') && state.files.length > 0 && (
            <button type="button" className="btn" onClick={reload} disabled={busy}>
              {busy ? 'Reloading…' : 'Reload network data'}
            </button>
          )}
        </>
      )}
    </section>
  );
}
