// Exposure dashboard: totals for an organisation (the caller's by default, or one chosen from the
// tree) and its subtree, tables by organisation and by sector, and the findings by priority with
// "Mark not applicable" (asks for the reason) and "Reopen".

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { exposure as exposureApi, findings as findingsApi, type FindingFilter } from '../../api/endpoints';
import type { Exposure, Finding, FindingState, TreeItem } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { ConfirmDialog, EmptyState, ErrorBanner, Field, Notice, PageHeader, Pager, Spinner, describedBy } from '../../components/common';
import { formatTime } from '../../lib/format';
import { usePageEdits } from '../../lib/usePageEdits';
import { usePages } from '../../lib/usePages';
import { findingAsset, findingOrganisation, findingSeverity, formatEpss } from '../../lib/vulns';
import { KevBadge, OrgSelect, ScoreCell } from './parts';

const PAGE_SIZE = 50;

function Stat({ label, value, tone, testId }: { label: string; value: number | undefined; tone?: string; testId?: string }) {
  return (
    <div className={`stat ${tone ? `stat-${tone}` : ''}`} data-testid={testId}>
      <span className="stat-value">{value ?? 0}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}

interface Pending {
  finding: Finding;
  to: 'not_applicable' | 'open';
}

export function ExposurePage({ orgs }: { orgs: TreeItem[] }) {
  const { user, hasRole } = useAuth();
  const [params, setParams] = useSearchParams();
  const orgId = params.get('organisation') || user?.organisation_id || '';
  const cve = params.get('cve') ?? '';
  const stateParam = params.get('state') ?? 'open';
  const state = (stateParam === 'all' ? '' : stateParam) as FindingState | '';
  const kevOnly = params.get('kev') === 'true';

  const [data, setData] = useState<Exposure | null>(null);
  const [dataError, setDataError] = useState<unknown>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [flash, setFlash] = useState<string | null>(null);

  const names = useMemo(() => new Map(orgs.map((o) => [o.id, o.name])), [orgs]);
  const filter: FindingFilter = useMemo(
    () => ({ organisation_id: orgId, state, kev: kevOnly, cve: cve || undefined }),
    [orgId, state, kevOnly, cve],
  );

  const setParam = (changes: Record<string, string>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    setParams(p);
  };

  useEffect(() => {
    let live = true;
    setData(null);
    setDataError(null);
    exposureApi
      .get(orgId || undefined)
      .then((d) => live && setData(d))
      .catch((e) => live && setDataError(e));
    return () => {
      live = false;
    };
  }, [orgId]);

  const pages = usePages<Finding>(useCallback((cursor: string | null) => findingsApi.list(filter, cursor, PAGE_SIZE), [filter]));
  const { reset, pageIndex } = pages;
  // Another filter (from the address) starts again at the first page.
  const lastFilter = useRef(filter);
  useEffect(() => {
    if (lastFilter.current === filter) return;
    lastFilter.current = filter;
    if (pageIndex > 0) reset();
  }, [filter, pageIndex, reset]);
  const edits = usePageEdits(pages);
  const rows = edits.rows;
  const error = pages.error;

  async function changeState() {
    if (!pending) return;
    if (pending.to === 'not_applicable' && !reason.trim()) {
      setReasonError('Say why this finding does not apply.');
      return;
    }
    setBusy(true);
    setActionError(null);
    try {
      const updated = await findingsApi.setState(pending.finding.id, pending.to, reason.trim());
      // The row leaves a list filtered by state; otherwise it shows its new state.
      if (state && updated.state !== state) edits.deleted(updated.id);
      else {
        const row = rows?.find((r) => r.id === updated.id);
        if (row) edits.saved({ ...row, ...updated });
      }
      setFlash(`${pending.finding.cve_id} on ${findingAsset(pending.finding).name}: ${pending.to === 'open' ? 'reopened' : 'marked not applicable'}.`);
      setPending(null);
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  }

  const canChange = hasRole('admin', 'analyst');
  const t = data?.totals;

  return (
    <>
      <PageHeader
        title="Exposure"
        subtitle="Findings: assets of the constituency that match a known vulnerability, by priority."
        actions={
          <Link className="btn" to={`/vulnerabilities/assets${orgId ? `?organisation=${encodeURIComponent(orgId)}` : ''}`}>
            Assets of this organisation
          </Link>
        }
      />
      <div className="filters">
        <OrgSelect
          id="exposure-org"
          label="Organisation"
          items={orgs}
          value={orgId}
          onChange={(id) => setParam({ organisation: id })}
        />
      </div>

      <ErrorBanner error={dataError} title="Could not load the exposure." />
      {!data && !dataError ? (
        <Spinner />
      ) : data && t ? (
        <>
          <section className="stats" aria-label="Totals" data-testid="exposure-totals">
            <Stat label="Findings" value={t.findings} testId="total-findings" />
            <Stat label="Known exploited" value={t.kev} tone="kev" testId="total-kev" />
            <Stat label="Critical" value={t.critical} tone="critical" />
            <Stat label="High" value={t.high} tone="high" />
            <Stat label="Medium" value={t.medium} tone="medium" />
            <Stat label="Low" value={t.low} tone="low" />
            {/* "unknown" counts findings whose version could not be placed (status unknown), not a severity. */}
            <Stat label="Status unknown" value={t.unknown} tone="unknown" testId="total-unknown" />
          </section>
          <div className="detail-grid">
            <section className="panel table-wrap" aria-labelledby="by-org-title">
              <h2 id="by-org-title" className="panel-title">
                By organisation
              </h2>
              {(data.by_organisation ?? []).length === 0 ? (
                <p className="muted panel-title">No findings.</p>
              ) : (
                <table className="table table-compact" data-testid="exposure-by-org">
                  <thead>
                    <tr>
                      <th scope="col">Organisation</th>
                      <th scope="col" className="num">Findings</th>
                      <th scope="col" className="num">KEV</th>
                      <th scope="col" className="num">Critical</th>
                      <th scope="col" className="num">High</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(data.by_organisation ?? []).map((r) => (
                      <tr key={r.organisation.id}>
                        <td>
                          <button type="button" className="btn-link" onClick={() => setParam({ organisation: r.organisation.id })}>
                            {r.organisation.name}
                          </button>
                          {r.organisation.sector && <span className="muted small"> {r.organisation.sector}</span>}
                        </td>
                        <td className="num">{r.findings}</td>
                        <td className="num">{r.kev}</td>
                        <td className="num">{r.critical}</td>
                        <td className="num">{r.high}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section className="panel table-wrap" aria-labelledby="by-sector-title">
              <h2 id="by-sector-title" className="panel-title">
                By sector
              </h2>
              {(data.by_sector ?? []).length === 0 ? (
                <p className="muted panel-title">No findings.</p>
              ) : (
                <table className="table table-compact" data-testid="exposure-by-sector">
                  <thead>
                    <tr>
                      <th scope="col">Sector</th>
                      <th scope="col" className="num">Findings</th>
                      <th scope="col" className="num">KEV</th>
                      <th scope="col" className="num">Critical</th>
                      <th scope="col" className="num">High</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(data.by_sector ?? []).map((r) => (
                      <tr key={r.sector || '-'}>
                        <td>{r.sector || <span className="muted">(none)</span>}</td>
                        <td className="num">{r.findings}</td>
                        <td className="num">{r.kev}</td>
                        <td className="num">{r.critical}</td>
                        <td className="num">{r.high}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </div>
        </>
      ) : null}

      <h2 className="section-title">Findings</h2>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="findings-state">State</label>
          <select id="findings-state" value={state} onChange={(e) => setParam({ state: e.target.value || 'all' })}>
            <option value="open">Open</option>
            <option value="not_applicable">Not applicable</option>
            <option value="resolved">Resolved</option>
            <option value="">Any state</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="findings-cve">CVE</label>
          <input
            id="findings-cve"
            type="search"
            placeholder="CVE-2024-3400"
            defaultValue={cve}
            key={cve}
            onBlur={(e) => setParam({ cve: e.target.value.trim().toUpperCase() })}
            onKeyDown={(e) => {
              if (e.key === 'Enter') setParam({ cve: e.currentTarget.value.trim().toUpperCase() });
            }}
          />
        </div>
        <div className="field field-check">
          <input id="findings-kev" type="checkbox" checked={kevOnly} onChange={(e) => setParam({ kev: e.target.checked ? 'true' : '' })} />
          <label htmlFor="findings-kev">KEV only</label>
        </div>
      </form>
      {flash && <Notice tone="success">{flash}</Notice>}
      <ErrorBanner error={error} title="Could not load the findings." />
      {rows === null ? (
        <Spinner />
      ) : rows.length === 0 ? (
        <EmptyState title="No findings match.">Findings appear when an asset matches a CVE record.</EmptyState>
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="findings-table">
            <caption className="visually-hidden">Findings</caption>
            <thead>
              <tr>
                <th scope="col" className="num">Priority</th>
                <th scope="col">CVE</th>
                <th scope="col">Asset</th>
                <th scope="col">Organisation</th>
                <th scope="col">Why</th>
                <th scope="col">CVSS</th>
                <th scope="col">EPSS</th>
                <th scope="col">State</th>
                {canChange && (
                  <th scope="col" className="actions-col">
                    Actions
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((f) => {
                const asset = findingAsset(f);
                const org = findingOrganisation(f, names);
                return (
                  <tr key={f.id} data-testid="finding-row" data-finding-id={f.id} className={f.state !== 'open' ? 'row-muted' : undefined}>
                    <td className="num">
                      <strong>{Math.round(f.priority)}</strong>
                    </td>
                    <th scope="row" className="nowrap">
                      <Link to={`/vulnerabilities/cve/${encodeURIComponent(f.cve_id)}`}>{f.cve_id}</Link>
                      {f.kev && <KevBadge />}
                      {f.title && <div className="muted small cell-text">{f.title}</div>}
                    </th>
                    <td>
                      {asset.name}
                      {asset.version && <span className="muted"> {asset.version}</span>}
                    </td>
                    <td>{org.name}</td>
                    <td className="cell-text" data-testid="finding-reason">
                      <span className={`badge status-${f.status}`}>{f.status}</span> {f.reason}
                      {f.source && <span className="muted small"> ({f.source.toUpperCase()})</span>}
                    </td>
                    <td className="nowrap">
                      <ScoreCell score={f.cvss} severity={findingSeverity(f)} />
                    </td>
                    <td className="nowrap">{formatEpss(f.epss)}</td>
                    <td>
                      <span className={`badge state-${f.state}`}>{f.state.replace('_', ' ')}</span>
                      {f.state_reason && <div className="muted small cell-text">{f.state_reason}</div>}
                      {f.first_seen && <div className="muted small">since {formatTime(f.first_seen).slice(0, 10)}</div>}
                    </td>
                    {canChange && (
                      <td className="actions-col">
                        {f.state === 'open' ? (
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => {
                              setReason('');
                              setReasonError(undefined);
                              setActionError(null);
                              setPending({ finding: f, to: 'not_applicable' });
                            }}
                          >
                            Mark not applicable
                          </button>
                        ) : (
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => {
                              setReason('');
                              setReasonError(undefined);
                              setActionError(null);
                              setPending({ finding: f, to: 'open' });
                            }}
                          >
                            Reopen
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
          <Pager pages={edits.pager} noun="finding" testId="findings-total" />
        </div>
      )}

      <ConfirmDialog
        open={pending !== null}
        title={pending?.to === 'open' ? `Reopen ${pending.finding.cve_id}?` : `Mark ${pending?.finding.cve_id ?? ''} not applicable?`}
        confirmLabel={pending?.to === 'open' ? 'Reopen' : 'Mark not applicable'}
        busy={busy}
        error={actionError}
        onConfirm={changeState}
        onCancel={() => setPending(null)}
      >
        {pending && (
          <>
            <p>
              {findingAsset(pending.finding).name} {findingAsset(pending.finding).version} —{' '}
              {pending.to === 'open'
                ? 'the finding counts again in the exposure.'
                : 'the finding stays on record but no longer counts in the exposure.'}
            </p>
            <Field id="finding-reason" label={pending.to === 'open' ? 'Reason (optional)' : 'Reason'} error={reasonError}>
              <textarea
                id="finding-reason"
                rows={3}
                value={reason}
                aria-invalid={!!reasonError}
                aria-describedby={describedBy('finding-reason', reasonError)}
                placeholder={pending.to === 'open' ? '' : 'e.g. the vulnerable module is not installed'}
                onChange={(e) => setReason(e.target.value)}
              />
            </Field>
          </>
        )}
      </ConfirmDialog>
    </>
  );
}
