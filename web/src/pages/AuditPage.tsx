// Audit log (admin): a paged table with filters; each row expands to its before/after JSON and hash.

import { Fragment, useCallback, useState } from 'react';
import { audit, type AuditFilter } from '../api/endpoints';

import { EmptyState, ErrorBanner, PageHeader, Spinner } from '../components/common';
import { Icon } from '../components/Icon';
import { formatTime, prettyJson, shortHash } from '../lib/format';
import { usePages } from '../lib/usePages';

const PAGE_SIZE = 50;

// Suggestions only: the filters take any value the server records.
const OBJECT_TYPES = ['organisation', 'user', 'api_token'];
const ACTIONS = [
  'organisation.create',
  'organisation.update',
  'organisation.delete',
  'user.create',
  'user.update',
  'user.delete',
  'auth.login',
  'auth.mfa_enable',
  'auth.mfa_disable',
  'token.create',
  'token.revoke',
];

/** `organisation.delete` → `delete` (the verb colours the badge). */
const verb = (action: string) => action.slice(action.lastIndexOf('.') + 1);

export function AuditPage() {
  const [filter, setFilter] = useState<AuditFilter>({ actor: '', object_type: '', action: '' });
  const [applied, setApplied] = useState<AuditFilter>(filter);
  const [open, setOpen] = useState<Set<string>>(new Set());

  const fetchPage = useCallback((cursor: string | null) => audit.list(applied, cursor, PAGE_SIZE), [applied]);
  const { rows, total, next, error, pageIndex, goNext, goPrev, reset } = usePages(fetchPage);

  const apply = () => {
    reset();
    setApplied({ ...filter });
  };
  const toggle = (id: string) =>
    setOpen((prev) => {
      const s = new Set(prev);
      if (s.has(id)) s.delete(id);
      else s.add(id);
      return s;
    });

  const first = pageIndex * PAGE_SIZE + 1;

  return (
    <div className="page">
      <PageHeader title="Audit log" subtitle="Every change, who made it, from where; entries are hash-chained." />
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <input id="audit-actor" placeholder="username" value={filter.actor} onChange={(e) => setFilter({ ...filter, actor: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="audit-object-type">Object type</label>
          <input
            id="audit-object-type"
            list="audit-object-types"
            placeholder="organisation"
            value={filter.object_type}
            onChange={(e) => setFilter({ ...filter, object_type: e.target.value })}
          />
          <datalist id="audit-object-types">
            {OBJECT_TYPES.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="audit-action">Action</label>
          <input
            id="audit-action"
            list="audit-actions"
            placeholder="organisation.update"
            value={filter.action}
            onChange={(e) => setFilter({ ...filter, action: e.target.value })}
          />
          <datalist id="audit-actions">
            {ACTIONS.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </div>
        <div className="filters-actions">
          <button type="submit" className="btn">
            Apply
          </button>
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => {
              const empty = { actor: '', object_type: '', action: '' };
              setFilter(empty);
              reset();
              setApplied(empty);
            }}
          >
            Clear
          </button>
        </div>
      </form>

      <ErrorBanner error={error} title="Could not load the audit log." />
      {rows === null ? (
        <Spinner />
      ) : rows.length === 0 ? (
        <EmptyState title="No audit entries match these filters." />
      ) : (
        <div className="table-wrap panel">
          <table className="table audit-table" data-testid="audit-table">
            <caption className="visually-hidden">Audit entries</caption>
            <thead>
              <tr>
                <th scope="col" className="expand-col">
                  <span className="visually-hidden">Details</span>
                </th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Object</th>
                <th scope="col">Address</th>
                <th scope="col">Hash</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const isOpen = open.has(r.id);
                return (
                  <Fragment key={r.id}>
                    <tr data-testid="audit-row" className={isOpen ? 'row-open' : undefined}>
                      <td className="expand-col">
                        <button
                          type="button"
                          className={isOpen ? 'tree-toggle open' : 'tree-toggle'}
                          aria-expanded={isOpen}
                          aria-controls={`audit-detail-${r.id}`}
                          aria-label={`${isOpen ? 'Hide' : 'Show'} details of entry ${r.id}`}
                          onClick={() => toggle(r.id)}
                        >
                          <Icon name="chevron" size={14} />
                        </button>
                      </td>
                      <td className="nowrap">{formatTime(r.at, true)}</td>
                      <td>{r.actor || <span className="muted">system</span>}</td>
                      <td>
                        <span className={`badge action-${verb(r.action)}`}>{r.action}</span>
                      </td>
                      <td>
                        {r.object_type}
                        {r.object_id && (
                          <span className="muted mono small" title={r.object_id}>
                            {' '}
                            {shortHash(r.object_id, 8)}
                          </span>
                        )}
                      </td>
                      <td className="mono small">{r.address || '—'}</td>
                      <td className="mono small" title={r.hash}>
                        {shortHash(r.hash)}
                      </td>
                    </tr>
                    {isOpen && (
                      <tr className="detail-row" id={`audit-detail-${r.id}`}>
                        <td />
                        <td colSpan={6}>
                          <div className="audit-diff">
                            <div>
                              <h3>Before</h3>
                              <pre className="json">{prettyJson(r.before)}</pre>
                            </div>
                            <div>
                              <h3>After</h3>
                              <pre className="json">{prettyJson(r.after)}</pre>
                            </div>
                          </div>
                          <p className="hash-line">
                            <span className="muted">Hash</span> <code data-testid="audit-hash">{r.hash}</code>
                          </p>
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
          <div className="table-footer">
            <span className="muted">
              {first}–{first + rows.length - 1} of {total}
            </span>
            <span className="pager">
              <button type="button" className="btn" disabled={pageIndex === 0} onClick={goPrev}>
                Newer
              </button>
              <button type="button" className="btn" disabled={!next} onClick={goNext}>
                Older
              </button>
            </span>
          </div>
        </div>
      )}
    </div>
  );
}
