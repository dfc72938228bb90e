// The expandable constituency tree with a search box that filters nodes.

import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import type { TreeItem } from '../../api/types';
import { ancestorIds, buildTree, filterTree, type TreeNode } from '../../lib/tree';
import { KindBadge, Spinner } from '../../components/common';
import { Icon } from '../../components/Icon';

export function OrgTree({ items, selectedId }: { items: TreeItem[] | null; selectedId: string | null }) {
  const [query, setQuery] = useState('');
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const roots = useMemo(() => buildTree(items ?? []), [items]);
  const filtered = useMemo(() => filterTree(roots, query), [roots, query]);
  const searching = query.trim() !== '';

  // Open the roots on first load, and the path to the selected organisation.
  useEffect(() => {
    if (!items) return;
    setExpanded((prev) => {
      const next = new Set(prev);
      if (prev.size === 0) roots.forEach((r) => next.add(r.item.id));
      if (selectedId) ancestorIds(items, selectedId).forEach((id) => next.add(id));
      return next.size === prev.size ? prev : next;
    });
  }, [items, roots, selectedId]);

  const toggle = (id: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const renderNode = (node: TreeNode) => {
    const { item } = node;
    const hasChildren = node.children.length > 0;
    const open = searching || expanded.has(item.id);
    const selected = item.id === selectedId;
    const hit = searching && filtered.matched.has(item.id);
    return (
      <li key={item.id} data-testid="tree-node" data-org-id={item.id} data-kind={item.kind}>
        <div className={['tree-row', selected ? 'selected' : '', hit ? 'hit' : ''].filter(Boolean).join(' ')}>
          {hasChildren ? (
            <button
              type="button"
              className={open ? 'tree-toggle open' : 'tree-toggle'}
              aria-expanded={open}
              aria-label={`${open ? 'Collapse' : 'Expand'} ${item.name}`}
              onClick={() => toggle(item.id)}
              disabled={searching}
            >
              <Icon name="chevron" size={14} />
            </button>
          ) : (
            <span className="tree-toggle-spacer" />
          )}
          <Link
            to={`/constituency/${item.id}`}
            className="tree-link"
            aria-current={selected ? 'page' : undefined}
            title={[item.name, item.sector, item.country].filter(Boolean).join(' · ')}
          >
            <span className="tree-name">{item.name}</span>
          </Link>
          <KindBadge kind={item.kind} />
        </div>
        {hasChildren && open && <ul className="tree-group">{node.children.map(renderNode)}</ul>}
      </li>
    );
  };

  return (
    <div className="org-tree">
      <div className="search-box">
        <Icon name="search" size={16} />
        <label htmlFor="org-search" className="visually-hidden">
          Search organisations
        </label>
        <input
          id="org-search"
          type="search"
          placeholder="Search by name, sector, country…"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          autoComplete="off"
        />
      </div>
      <div className="tree-meta">
        {items === null
          ? ''
          : searching
            ? `${filtered.matched.size} of ${items.length} organisations match`
            : `${items.length} organisation${items.length === 1 ? '' : 's'}`}
        {!searching && items && items.length > 0 && (
          <span className="tree-meta-actions">
            <button type="button" className="btn-link" onClick={() => setExpanded(new Set(items.map((i) => i.id)))}>
              Expand all
            </button>
            <button type="button" className="btn-link" onClick={() => setExpanded(new Set())}>
              Collapse all
            </button>
          </span>
        )}
      </div>
      {items === null ? (
        <Spinner />
      ) : filtered.roots.length === 0 ? (
        <p className="muted tree-empty">{searching ? 'No organisation matches.' : 'No organisations yet.'}</p>
      ) : (
        <ul className="tree" data-testid="org-tree" aria-label="Organisations">
          {filtered.roots.map(renderNode)}
        </ul>
      )}
    </div>
  );
}
