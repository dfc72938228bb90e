// Page-by-page browsing of a cursor-paginated list ({items, total, next}): remembers the cursor of
// every page seen so that "Previous" works, and reloads when `fetchPage` changes (pass a
// useCallback that depends on the applied filter).

import { useCallback, useEffect, useState } from 'react';
import type { Page } from '../api/types';

export interface Pages<T> {
  rows: T[] | null; // null while loading
  total: number;
  /** The server stopped counting at `total`: there are more. */
  totalCapped: boolean;
  next: string | null;
  error: unknown;
  pageIndex: number;
  goNext: () => void;
  goPrev: () => void;
  /** Back to the first page (after a new filter). */
  reset: () => void;
}

export function usePages<T>(fetchPage: (cursor: string | null) => Promise<Page<T>>): Pages<T> {
  // cursors[i] is the cursor of page i (null for the first page).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [pageIndex, setPageIndex] = useState(0);
  const [rows, setRows] = useState<T[] | null>(null);
  const [total, setTotal] = useState(0);
  const [totalCapped, setTotalCapped] = useState(false);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    setRows(null);
    fetchPage(cursors[pageIndex] ?? null).then(
      (page) => {
        if (!live) return;
        setRows(page.items);
        setTotal(page.total);
        setTotalCapped(page.total_capped === true);
        setNext(page.next);
        setError(null);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e);
        setRows([]);
      },
    );
    return () => {
      live = false;
    };
  }, [fetchPage, cursors, pageIndex]);

  const goNext = useCallback(() => {
    if (!next) return;
    setCursors((c) => [...c.slice(0, pageIndex + 1), next]);
    setPageIndex((i) => i + 1);
  }, [next, pageIndex]);
  const goPrev = useCallback(() => setPageIndex((i) => Math.max(0, i - 1)), []);
  const reset = useCallback(() => {
    setCursors([null]);
    setPageIndex(0);
  }, []);

  return { rows, total, totalCapped, next, error, pageIndex, goNext, goPrev, reset };
}
