// Advisories: drafts and published ones, filtered by status and text.

import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { advisories, type AdvisoryFilter } from '../../api/endpoints';
import type { Advisory } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { EmptyState, ErrorBanner, PageHeader, Pager, Spinner } from '../../components/common';
import { Icon } from '../../components/Icon';
import { formatTime } from '../../lib/format';
import { usePages } from '../../lib/usePages';
import { SeverityBadge, TlpBadge } from './parts';

export function AdvisoryList() {
  const { hasRole } = useAuth();
  const [filter, setFilter] = useState<AdvisoryFilter>({ status: '', q: '' });
  const [applied, setApplied] = useState<AdvisoryFilter>(filter);
  const pages = usePages<Advisory>(useCallback((cursor: string | null) => advisories.list(applied, cursor), [applied]));
  const { rows, error } = pages;
  const apply = (f: AdvisoryFilter) => {
    pages.reset();
    setApplied({ ...f });
  };

  return (
    <>
      <PageHeader
        title="Advisories"
        subtitle="Security advisories of your CERT, published as signed CSAF 2.0 documents."
        actions={
          hasRole('admin', 'analyst') && (
            <Link className="btn btn-primary" to="/vulnerabilities/advisories/new">
              <Icon name="plus" size={16} />
              New advisory
            </Link>
          )
        }
      />
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          apply(filter);
        }}
      >
        <div className="field">
          <label htmlFor="adv-q">Search advisories</label>
          <input id="adv-q" type="search" placeholder="Title, tracking id, CVE" value={filter.q} onChange={(e) => setFilter({ ...filter, q: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="adv-status">Status</label>
          <select
            id="adv-status"
            value={filter.status}
            onChange={(e) => {
              const f = { ...filter, status: e.target.value as AdvisoryFilter['status'] };
              setFilter(f);
              apply(f);
            }}
          >
            <option value="">Drafts and published</option>
            <option value="draft">Drafts</option>
            <option value="published">Published</option>
          </select>
        </div>
        <div className="filters-actions">
          <button type="submit" className="btn">
            Apply
          </button>
        </div>
      </form>
      <ErrorBanner error={error} title="Could not load advisories." />
      {rows === null ? (
        <Spinner />
      ) : rows.length === 0 ? (
        <EmptyState title="No advisories.">Write one from a CVE page, or start a new one.</EmptyState>
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="advisories-table">
            <caption className="visually-hidden">Advisories</caption>
            <thead>
              <tr>
                <th scope="col">Tracking id</th>
                <th scope="col">Title</th>
                <th scope="col">TLP</th>
                <th scope="col">Severity</th>
                <th scope="col">CVEs</th>
                <th scope="col">Status</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id} data-testid="advisory-row">
                  <td className="mono small nowrap">{a.tracking_id ?? <span className="muted">—</span>}</td>
                  <th scope="row" className="cell-text">
                    <Link to={`/vulnerabilities/advisories/${encodeURIComponent(a.id)}`}>{a.title || '(untitled)'}</Link>
                  </th>
                  <td>
                    <TlpBadge tlp={a.tlp} />
                  </td>
                  <td>{a.severity ? <SeverityBadge severity={a.severity} /> : <span className="muted">—</span>}</td>
                  <td className="mono small">{(a.cves ?? []).join(', ') || '—'}</td>
                  <td>
                    <span className={a.status === 'published' ? 'badge badge-ok' : 'badge badge-plain'}>{a.status}</span>
                    {a.status === 'published' && a.pending_changes && <span className="badge badge-warn">changed</span>}
                  </td>
                  <td className="nowrap">{formatTime(a.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager pages={pages} noun="advisory" plural="advisories" testId="advisories-total" />
        </div>
      )}
    </>
  );
}
