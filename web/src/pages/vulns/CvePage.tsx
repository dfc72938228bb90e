// One CVE: scores with their sources, EPSS, KEV, description, CWEs, references, the affected
// products (CNA and ADP apart) and the exposure in the constituency (what the caller may see).

import { useEffect, useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router-dom';
import { vulns } from '../../api/endpoints';
import type { AffectedProduct, VulnDetail } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { EmptyState, ErrorBanner, Spinner } from '../../components/common';
import { Icon } from '../../components/Icon';
import { formatTime } from '../../lib/format';
import { formatEpss, formatPercentile, isKev, kevDetails, splitAffected, versionRangeText } from '../../lib/vulns';
import { KevBadge, ScoreCell, SeverityBadge } from './parts';

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children || <span className="muted">—</span>}</dd>
    </>
  );
}

function AffectedTable({ items, testId }: { items: AffectedProduct[]; testId: string }) {
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">Vendor</th>
            <th scope="col">Product</th>
            <th scope="col">Versions</th>
            <th scope="col">Default</th>
            <th scope="col">CPEs</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a, i) => (
            <tr key={i}>
              <td>{a.vendor || '—'}</td>
              <td>
                {a.product || a.package_name || '—'}
                {a.package_name && a.package_name !== a.product && <div className="muted small mono">{a.package_name}</div>}
                {a.collection_url && <div className="muted small mono">{a.collection_url}</div>}
              </td>
              <td>
                {(a.versions ?? []).length === 0 ? (
                  <span className="muted">—</span>
                ) : (
                  <ul className="value-list">
                    {(a.versions ?? []).map((v, j) => (
                      <li key={j}>
                        <code>{versionRangeText(v)}</code>{' '}
                        <span className={`badge status-${v.status}`}>{v.status}</span>
                        {v.version_type && <span className="muted small"> {v.version_type}</span>}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>{a.default_status ? <span className={`badge status-${a.default_status}`}>{a.default_status}</span> : '—'}</td>
              <td className="mono small">{(a.cpes ?? []).join('\n') || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function CvePage() {
  const { id = '' } = useParams();
  const { hasRole } = useAuth();
  const [v, setV] = useState<VulnDetail | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    setV(null);
    setError(null);
    vulns
      .get(id)
      .then((d) => live && setV(d))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [id]);

  if (error) return <ErrorBanner error={error} title={`Could not load ${id}.`} />;
  if (!v) return <Spinner />;

  const kev = kevDetails(v.kev);
  const { cna, adp } = splitAffected(v.affected);
  const metrics = v.metrics ?? (v.cvss ? [{ source: v.cvss.source ?? '', vector: v.cvss.vector, score: v.cvss.score, severity: v.cvss.severity }] : []);
  const exposure = v.exposure ?? [];
  const canWrite = hasRole('admin', 'analyst');

  return (
    <article className="panel cve-detail" data-testid="cve-detail" aria-labelledby="cve-title">
      <header className="detail-header">
        <div>
          <h1 id="cve-title">{v.cve_id}</h1>
          {v.title && <p className="page-subtitle">{v.title}</p>}
          <div className="detail-badges">
            {v.cvss && <SeverityBadge severity={v.cvss.severity} score={v.cvss.score} />}
            {isKev(v.kev) && <KevBadge />}
            {v.state && v.state !== 'PUBLISHED' && <span className="badge badge-warn">{v.state}</span>}
          </div>
        </div>
        {canWrite && (
          <div className="page-actions">
            <Link className="btn btn-primary" to={`/vulnerabilities/advisories/new?cve=${encodeURIComponent(v.cve_id)}`}>
              <Icon name="edit" size={16} />
              Write advisory
            </Link>
          </div>
        )}
      </header>

      <div className="detail-grid">
        <section>
          <h2>Scores</h2>
          {metrics.length === 0 ? (
            <p className="muted">No CVSS scores.</p>
          ) : (
            <table className="table table-compact" data-testid="cve-metrics">
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Score</th>
                  <th scope="col">Vector</th>
                </tr>
              </thead>
              <tbody>
                {metrics.map((m, i) => (
                  <tr key={i}>
                    <td>{m.source || '—'}</td>
                    <td className="nowrap">
                      <ScoreCell score={m.score} severity={m.severity} />
                    </td>
                    <td className="mono small">
                      <Link to={`/vulnerabilities/cvss?vector=${encodeURIComponent(m.vector)}`} title="Open in the CVSS calculator">
                        {m.vector}
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section>
          <h2>Exploitation</h2>
          <dl className="props">
            <Row label="EPSS">
              {v.epss !== null && v.epss !== undefined ? (
                <span data-testid="cve-epss">
                  {formatEpss(v.epss)} <span className="muted">({formatPercentile(v.epss_percentile)} percentile)</span>
                </span>
              ) : null}
            </Row>
            <Row label="Known exploited">{isKev(v.kev) ? 'Yes (CISA KEV)' : 'No'}</Row>
            {kev && (
              <>
                <Row label="Added to KEV">{formatTime(kev.date_added ?? null).slice(0, 10)}</Row>
                <Row label="Due date">{formatTime(kev.due_date ?? null).slice(0, 10)}</Row>
                <Row label="Required action">{kev.required_action}</Row>
                <Row label="Ransomware use">
                  {kev.known_ransomware === true ? 'Known' : kev.known_ransomware === false ? 'Not known' : String(kev.known_ransomware ?? '')}
                </Row>
              </>
            )}
            <Row label="Published">{formatTime(v.published)}</Row>
            <Row label="Updated">{formatTime(v.updated)}</Row>
          </dl>
        </section>
      </div>

      <section className="detail-section">
        <h2>Description</h2>
        <p className="prose" data-testid="cve-description">
          {v.description || <span className="muted">No description.</span>}
        </p>
        {(v.cwes ?? []).length > 0 && (
          <p>
            {(v.cwes ?? []).map((c, i) => {
              const text = typeof c === 'string' ? c : [c.id ?? c.cwe_id, c.name ?? c.description].filter(Boolean).join(': ');
              return (
                <span key={i} className="badge badge-plain" title={text}>
                  {text.length > 60 ? `${text.slice(0, 60)}…` : text}
                </span>
              );
            })}
          </p>
        )}
      </section>

      <section className="detail-section" aria-labelledby="cve-exposure-title">
        <h2 id="cve-exposure-title">Exposure</h2>
        {exposure.length === 0 ? (
          <p className="muted" data-testid="cve-no-exposure">
            No asset in the organisations you can see matches this CVE.
          </p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="cve-exposure">
              <thead>
                <tr>
                  <th scope="col">Organisation</th>
                  <th scope="col">Asset</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                  <th scope="col">State</th>
                  <th scope="col" className="actions-col">
                    Finding
                  </th>
                </tr>
              </thead>
              <tbody>
                {exposure.map((x, i) => (
                  <tr key={x.finding_id ?? i} data-testid="cve-exposure-row">
                    <td>{x.organisation?.name ?? '—'}</td>
                    <td>
                      {x.asset?.name ?? '—'}
                      {x.asset?.version && <span className="muted"> {x.asset.version}</span>}
                    </td>
                    <td>
                      <span className={`badge status-${x.status}`}>{x.status}</span>
                    </td>
                    <td className="cell-text">{x.reason}</td>
                    <td>
                      <span className={`badge state-${x.state}`}>{String(x.state).replace('_', ' ')}</span>
                    </td>
                    <td className="actions-col">
                      <Link
                        to={`/vulnerabilities/exposure?organisation=${encodeURIComponent(x.organisation?.id ?? '')}&cve=${encodeURIComponent(v.cve_id)}&state=all`}
                      >
                        Open finding
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="detail-section">
        <h2>Affected products</h2>
        {cna.length === 0 && adp.length === 0 && <EmptyState title="The record names no affected products." />}
        {cna.length > 0 && (
          <>
            <h3>From the CNA</h3>
            <AffectedTable items={cna} testId="cve-affected-cna" />
          </>
        )}
        {adp.length > 0 && (
          <>
            <h3 className="spaced">From ADPs (enrichment)</h3>
            <AffectedTable items={adp} testId="cve-affected-adp" />
          </>
        )}
      </section>

      <section className="detail-section">
        <h2>References</h2>
        {(v.references ?? []).length === 0 ? (
          <p className="muted">No references.</p>
        ) : (
          <ul className="ref-list" data-testid="cve-references">
            {(v.references ?? []).map((r, i) => {
              const url = typeof r === 'string' ? r : r.url;
              const name = typeof r === 'string' ? r : r.name || r.url;
              const tags = typeof r === 'string' ? [] : (r.tags ?? []);
              return (
                <li key={i}>
                  <a href={url} target="_blank" rel="noopener noreferrer">
                    {name}
                  </a>
                  {tags.map((t) => (
                    <span key={t} className="badge badge-plain">
                      {t}
                    </span>
                  ))}
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </article>
  );
}
