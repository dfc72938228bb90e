// Records that could not be parsed: file, line, reason and text; replay parses them again.

import { useCallback, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { feeds, type DeadLetter } from '../../api/feeds';
import { ErrorBanner, Notice, PageHeader, Pager, Spinner } from '../../components/common';
import { formatTime } from '../../lib/format';
import { usePages } from '../../lib/usePages';

export function DeadLetters() {
  const [params] = useSearchParams();
  const feed = params.get('feed') ?? undefined;
  const [reload, setReload] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const pages = usePages<DeadLetter>(useCallback((cursor) => feeds.deadLetters(feed, cursor), [feed, reload]));

  async function replay() {
    setError(null);
    try {
      const r = await feeds.replay(feed);
      setMessage(`${r.tried} tried, ${r.replayed} replayed, ${r.still_failing} still failing.`);
      setReload((n) => n + 1);
    } catch (e) {
      setError(e);
    }
  }

  return (
    <>
      <PageHeader
        title="Dead letters"
        subtitle="Lines of reports that could not be parsed. Nothing is dropped silently: fix the mapping or the parser and replay them."
        actions={
          <button type="button" className="btn" onClick={replay}>
            Replay {feed ? `“${feed}”` : 'all'}
          </button>
        }
      />
      {message && <Notice tone="info">{message}</Notice>}
      <ErrorBanner error={error ?? pages.error} title="Could not load the dead letters." />
      {!pages.rows ? (
        <Spinner />
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="dead-letters-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Feed</th>
                <th scope="col">File and line</th>
                <th scope="col">Reason</th>
                <th scope="col">Text</th>
              </tr>
            </thead>
            <tbody>
              {pages.rows.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    No open dead letters.
                  </td>
                </tr>
              )}
              {pages.rows.map((d) => (
                <tr key={d.id}>
                  <td className="nowrap">{formatTime(d.created_at)}</td>
                  <td>{d.feed}</td>
                  <td className="mono small">
                    {d.file_name}:{d.line}
                  </td>
                  <td>{d.reason}</td>
                  <td className="mono small">{d.text ? d.text.slice(0, 160) : <span className="muted">(not UTF-8) {d.raw_base64.slice(0, 60)}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager pages={pages} noun="open dead letter" />
        </div>
      )}
    </>
  );
}
