// Indicator search over everything shared with the caller: by value, type, TLP, tag; CSV export.

import { useCallback, useState } from 'react';
import { Link } from 'react-router-dom';
import { intel, type Indicator, type IndicatorFilter } from '../../api/intel';
import { EmptyState, ErrorBanner, PageHeader, Pager, Spinner } from '../../components/common';
import { INDICATOR_TYPES, TLPS } from '../../lib/intel';
import { usePages } from '../../lib/usePages';
import { TlpTag } from './parts';

export function IndicatorSearch() {
  const [draft, setDraft] = useState<IndicatorFilter>({ value: '', type: '', tlp: '', tag: '', active: '' });
  const [applied, setApplied] = useState<IndicatorFilter>(draft);
  const clean = Object.fromEntries(Object.entries(applied).filter(([, v]) => v)) as IndicatorFilter;
  const fetchPage = useCallback(
    (cursor: string | null) =>
      intel.search(Object.fromEntries(Object.entries(applied).filter(([, v]) => v)) as IndicatorFilter, cursor, 50),
    [applied],
  );
  const pages = usePages<Indicator>(fetchPage);
  return (
    <>
      <PageHeader title="Indicators" subtitle="Search every indicator shared with you."
        actions={<a className="btn" href={intel.csvUrl(clean)} download="indicators.csv">Export CSV</a>} />
      <form className="filters" role="search" onSubmit={(e) => { e.preventDefault(); pages.reset(); setApplied({ ...draft }); }}>
        <div className="field">
          <label htmlFor="ind-value">Value</label>
          <input id="ind-value" value={draft.value} onChange={(e) => setDraft({ ...draft, value: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="ind-type">Type</label>
          <select id="ind-type" value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.target.value })}>
            <option value="">Any</option>
            {INDICATOR_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ind-tlp">TLP</label>
          <select id="ind-tlp" value={draft.tlp} onChange={(e) => setDraft({ ...draft, tlp: e.target.value })}>
            <option value="">Any</option>
            {TLPS.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ind-active">Detection</label>
          <select id="ind-active" value={draft.active} onChange={(e) => setDraft({ ...draft, active: e.target.value })}>
            <option value="">All</option>
            <option value="1">Active only</option>
          </select>
        </div>
        <div className="filters-actions"><button type="submit" className="btn">Search</button></div>
      </form>
      <ErrorBanner error={pages.error} title="Could not search." />
      {pages.rows === null ? <Spinner /> : pages.rows.length === 0 ? <EmptyState title="No indicators match." /> : (
        <div className="table-wrap panel">
          <table className="table" data-testid="indicator-search">
            <thead><tr><th scope="col">Type</th><th scope="col">Value</th><th scope="col">TLP</th><th scope="col">Event</th><th scope="col">Active</th></tr></thead>
            <tbody>
              {pages.rows.map((i) => (
                <tr key={i.id}>
                  <td className="small">{i.type}</td>
                  <td className="mono small">{i.value}</td>
                  <td><TlpTag tlp={i.tlp} /></td>
                  <td className="small"><Link to={`/intel/${encodeURIComponent(i.event.id)}`}>{i.event.title}</Link></td>
                  <td className="small">{i.active ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager pages={pages} noun="indicator" />
        </div>
      )}
    </>
  );
}
