// Vulnerability search: filters in the address (so Back from a CVE returns to them), cursor paging.

import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { vulns, type VulnFilter, type VulnSort } from '../../api/endpoints';
import type { VulnListItem } from '../../api/types';
import { EmptyState, ErrorBanner, PageHeader, Spinner } from '../../components/common';
import { formatTime } from '../../lib/format';
import { usePages } from '../../lib/usePages';
import { formatEpss, isKev } from '../../lib/vulns';
import { KevBadge, ScoreCell } from './parts';

const PAGE_SIZE = 50;

const SORTS: { value: VulnSort; label: string }[] = [
  { value: '-published', label: 'Newest first' },
  { value: '-cvss', label: 'Highest CVSS' },
  { value: '-epss', label: 'Highest EPSS' },
];

function filterFromParams(p: URLSearchParams): VulnFilter {
  const num = (k: string) => {
    const v = p.get(k);
    return v === null || v === '' || !Number.isFinite(Number(v)) ? '' : Number(v);
  };
  const sort = p.get('sort') as VulnSort | null;
  return {
    q: p.get('q') ?? '',
    kev: p.get('kev') === 'true',
    min_cvss: num('min_cvss'),
    min_epss: num('min_epss'),
    sort: sort && SORTS.some((s) => s.value === sort) ? sort : '-published',
  };
}

function paramsFromFilter(f: VulnFilter): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.q) out.q = f.q;
  if (f.kev) out.kev = 'true';
  if (f.min_cvss !== '' && f.min_cvss !== undefined) out.min_cvss = String(f.min_cvss);
  if (f.min_epss !== '' && f.min_epss !== undefined) out.min_epss = String(f.min_epss);
  if (f.sort && f.sort !== '-published') out.sort = f.sort;
  return out;
}

export function VulnSearch() {
  const [params, setParams] = useSearchParams();
  const applied = useMemo(() => filterFromParams(params), [params]);
  const [filter, setFilter] = useState<VulnFilter>(applied);

  useEffect(() => setFilter(applied), [applied]);

  const fetchPage = useCallback((cursor: string | null) => vulns.list(applied, cursor, PAGE_SIZE), [applied]);
  const { rows, total, next, error, pageIndex, goNext, goPrev, reset } = usePages<VulnListItem>(fetchPage);

  const apply = (f: VulnFilter) => {
    reset();
    setParams(paramsFromFilter(f));
  };

  const first = pageIndex * PAGE_SIZE + 1;

  return (
    <>
      <PageHeader title="Vulnerabilities" subtitle="CVE records with their scores, exploitation and exposure in the constituency." />
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          apply(filter);
        }}
      >
        <div className="field field-wide">
          <label htmlFor="vuln-q">Search</label>
          <input
            id="vuln-q"
            type="search"
            placeholder="CVE id, title, vendor, product…"
            value={filter.q}
            onChange={(e) => setFilter({ ...filter, q: e.target.value })}
          />
        </div>
        <div className="field field-narrow">
          <label htmlFor="vuln-min-cvss">Min CVSS</label>
          <input
            id="vuln-min-cvss"
            type="number"
            min={0}
            max={10}
            step={0.1}
            value={filter.min_cvss}
            onChange={(e) => setFilter({ ...filter, min_cvss: e.target.value === '' ? '' : Number(e.target.value) })}
          />
        </div>
        <div className="field field-narrow">
          <label htmlFor="vuln-min-epss">Min EPSS</label>
          <input
            id="vuln-min-epss"
            type="number"
            min={0}
            max={1}
            step={0.01}
            placeholder="0–1"
            value={filter.min_epss}
            onChange={(e) => setFilter({ ...filter, min_epss: e.target.value === '' ? '' : Number(e.target.value) })}
          />
        </div>
        <div className="field">
          <label htmlFor="vuln-sort">Sort</label>
          <select
            id="vuln-sort"
            value={filter.sort}
            onChange={(e) => {
              const f = { ...filter, sort: e.target.value as VulnSort };
              setFilter(f);
              apply(f);
            }}
          >
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-check">
          <input
            id="vuln-kev"
            type="checkbox"
            checked={!!filter.kev}
            onChange={(e) => {
              const f = { ...filter, kev: e.target.checked };
              setFilter(f);
              apply(f);
            }}
          />
          <label htmlFor="vuln-kev">KEV only</label>
        </div>
        <div className="filters-actions">
          <button type="submit" className="btn">
            Apply
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => apply({ sort: '-published', q: '', kev: false, min_cvss: '', min_epss: '' })}>
            Clear
          </button>
        </div>
      </form>

      <ErrorBanner error={error} title="Could not load vulnerabilities." />
      {rows === null ? (
        <Spinner />
      ) : rows.length === 0 ? (
        <EmptyState title="No vulnerabilities match these filters." />
      ) : (
        <div className="table-wrap panel">
          <table className="table" data-testid="vuln-table">
            <caption className="visually-hidden">Vulnerabilities</caption>
            <thead>
              <tr>
                <th scope="col">CVE</th>
                <th scope="col">Title</th>
                <th scope="col">CVSS</th>
                <th scope="col">EPSS</th>
                <th scope="col">KEV</th>
                <th scope="col" className="num">
                  Exposed organisations
                </th>
                <th scope="col">Published</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((v) => (
                <tr key={v.cve_id} data-testid="vuln-row">
                  <th scope="row" className="nowrap">
                    <Link to={`/vulnerabilities/cve/${encodeURIComponent(v.cve_id)}`}>{v.cve_id}</Link>
                  </th>
                  <td className="cell-text">{v.title || <span className="muted">{(v.description ?? '').slice(0, 140) || '—'}</span>}</td>
                  <td className="nowrap">
                    <ScoreCell score={v.cvss?.score} severity={v.cvss?.severity} />
                  </td>
                  <td className="nowrap">{formatEpss(v.epss)}</td>
                  <td>{isKev(v.kev) ? <KevBadge /> : <span className="muted">—</span>}</td>
                  <td className="num">
                    {v.exposed_organisations ? <strong>{v.exposed_organisations}</strong> : <span className="muted">0</span>}
                  </td>
                  <td className="nowrap">{formatTime(v.published).slice(0, 10)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="table-footer">
            <span className="muted">
              {first}–{first + rows.length - 1} of {total}
            </span>
            <span className="pager">
              <button type="button" className="btn" disabled={pageIndex === 0} onClick={goPrev}>
                Previous
              </button>
              <button
                type="button"
                className="btn"
                disabled={!next}
                onClick={goNext}
              >
                Next
              </button>
            </span>
          </div>
        </div>
      )}
    </>
  );
}
