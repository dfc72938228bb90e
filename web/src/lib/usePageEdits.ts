// Changes made on a page-by-page table (lib/usePages) since its page was fetched: rows created,
// saved or deleted here are shown at once, without fetching the page again; the next fetch (another
// page, a new filter) brings them from the server and the local changes are dropped.

import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Pages } from './usePages';

interface Edits<T> {
  patched: Record<string, T>;
  deleted: string[];
  created: T[];
}

export interface PageEdits<T> {
  /** The page's rows with the local changes (created ones first on the first page); null while loading. */
  rows: T[] | null;
  /** `pages` with the total adjusted, for Pager. */
  pager: Pages<T>;
  created: (row: T) => void;
  saved: (row: T) => void;
  deleted: (id: string) => void;
}

export function usePageEdits<T extends { id: string }>(pages: Pages<T>): PageEdits<T> {
  const [edits, setEdits] = useState<Edits<T>>({ patched: {}, deleted: [], created: [] });
  useEffect(() => setEdits({ patched: {}, deleted: [], created: [] }), [pages.rows]);
  const rows = useMemo(() => {
    if (pages.rows === null) return null;
    const fetched = pages.rows;
    const created = pages.pageIndex === 0 ? edits.created.filter((c) => !fetched.some((r) => r.id === c.id)) : [];
    return [...created, ...fetched].filter((r) => !edits.deleted.includes(r.id)).map((r) => edits.patched[r.id] ?? r);
  }, [pages.rows, pages.pageIndex, edits]);
  const total = Math.max(0, pages.total + edits.created.length - edits.deleted.length);
  return {
    rows,
    pager: useMemo(() => ({ ...pages, total }), [pages, total]),
    created: useCallback((row: T) => setEdits((e) => ({ ...e, created: [row, ...e.created] })), []),
    saved: useCallback((row: T) => setEdits((e) => ({ ...e, patched: { ...e.patched, [row.id]: row } })), []),
    deleted: useCallback((id: string) => setEdits((e) => ({ ...e, deleted: [...e.deleted, id] })), []),
  };
}
