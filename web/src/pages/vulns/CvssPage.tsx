// CVSS calculator: a vector (3.0, 3.1 or 4.0) → score, severity and group scores from
// GET /api/v1/cvss; a bad vector shows the server's message with a caret at its position.

import { useEffect, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { isApiError } from '../../api/client';
import { cvss } from '../../api/endpoints';
import type { CvssResult } from '../../api/types';
import { ErrorBanner, PageHeader } from '../../components/common';
import { cvssErrorPosition, formatScore } from '../../lib/vulns';
import { SeverityBadge } from './parts';

export interface CvssState {
  result: CvssResult | null;
  /** The server's message for a bad vector. */
  invalid: string | null;
  /** Any other failure (network, server). */
  error: unknown;
  busy: boolean;
}

/** Scores `vector` (after `delayMs` of quiet) with the server; '' gives an empty state. */
export function useCvss(vector: string, delayMs = 300): CvssState {
  const [state, setState] = useState<CvssState>({ result: null, invalid: null, error: null, busy: false });
  useEffect(() => {
    const v = vector.trim();
    if (!v) {
      setState({ result: null, invalid: null, error: null, busy: false });
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ ...s, busy: true }));
    const timer = setTimeout(() => {
      cvss
        .score(v, ctl.signal)
        .then((result) => setState({ result, invalid: null, error: null, busy: false }))
        .catch((e) => {
          if (e instanceof DOMException && e.name === 'AbortError') return;
          if (isApiError(e) && e.status === 400) setState({ result: null, invalid: e.message, error: null, busy: false });
          else setState({ result: null, invalid: null, error: e, busy: false });
        });
    }, delayMs);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [vector, delayMs]);
  return state;
}

/** The vector with a caret under the 1-based position the error names. */
export function VectorError({ vector, message }: { vector: string; message: string }) {
  const pos = cvssErrorPosition(message);
  return (
    <div className="cvss-error" role="alert" data-testid="cvss-error">
      <p className="field-error">{message}</p>
      {pos !== null && (
        <pre className="caret-line" data-testid="cvss-error-position" data-position={pos}>
          {vector}
          {'\n'}
          {' '.repeat(Math.max(0, pos - 1))}^ position {pos}
        </pre>
      )}
    </div>
  );
}

export function CvssPage() {
  const [params, setParams] = useSearchParams();
  const initial = params.get('vector') ?? '';
  const [text, setText] = useState(initial);
  const [vector, setVector] = useState(initial);
  const { result, invalid, error, busy } = useCvss(vector, 0);

  function submit(e: FormEvent) {
    e.preventDefault();
    const v = text.trim();
    setVector(v);
    setParams(v ? { vector: v } : {}, { replace: true });
  }

  const v4 = result?.version === '4.0';

  return (
    <>
      <PageHeader title="CVSS calculator" subtitle="Paste a CVSS 3.0, 3.1 or 4.0 vector to get its score and severity." />
      <form className="panel cvss-form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="cvss-vector">Vector</label>
          <div className="input-row">
            <input
              id="cvss-vector"
              className="mono"
              spellCheck={false}
              autoComplete="off"
              placeholder="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
              value={text}
              aria-invalid={!!invalid}
              onChange={(e) => setText(e.target.value)}
            />
            <button type="submit" className="btn btn-primary" disabled={busy && vector === text.trim()}>
              Score
            </button>
          </div>
        </div>
        {invalid && <VectorError vector={vector} message={invalid} />}
      </form>
      <ErrorBanner error={error} title="Could not score the vector." />
      {result && (
        <section className="panel" aria-label="Result" data-testid="cvss-result">
          <div className="cvss-headline">
            <span className="cvss-score" data-testid="cvss-score">
              {formatScore(result.score)}
            </span>
            <SeverityBadge severity={result.severity} score={result.score} />
            <span className="muted">
              CVSS {result.version}
              {result.nomenclature ? ` · ${result.nomenclature}` : ''}
            </span>
          </div>
          <dl className="props props-inline">
            <dt>Vector</dt>
            <dd className="mono small">{result.vector}</dd>
            <dt>Base</dt>
            <dd>{formatScore(result.base)}</dd>
            {v4 ? (
              <>
                <dt>Base + Threat</dt>
                <dd>{formatScore(result.threat)}</dd>
                <dt>Base + Environmental</dt>
                <dd>{formatScore(result.environmental)}</dd>
              </>
            ) : (
              <>
                <dt>Temporal</dt>
                <dd>{formatScore(result.temporal)}</dd>
                <dt>Environmental</dt>
                <dd>{formatScore(result.environmental)}</dd>
              </>
            )}
          </dl>
        </section>
      )}
    </>
  );
}
