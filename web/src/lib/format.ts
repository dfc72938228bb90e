// Display helpers.

import type { Timestamp } from '../api/types';

/** A timestamp as a Date: ISO string, or an epoch number in µs, ms or s (by magnitude). */
export function toDate(ts: Timestamp | undefined): Date | null {
  if (ts === null || ts === undefined || ts === '') return null;
  let d: Date;
  if (typeof ts === 'number') {
    const abs = Math.abs(ts);
    d = new Date(abs > 1e14 ? ts / 1000 : abs > 1e11 ? ts : ts * 1000);
  } else if (/^\d+$/.test(ts)) {
    return toDate(Number(ts));
  } else {
    d = new Date(ts);
  }
  return Number.isNaN(d.getTime()) ? null : d;
}

/** `2026-03-01 14:05 UTC`, or an em dash for no value. */
export function formatTime(ts: Timestamp | undefined, withSeconds = false): string {
  const d = toDate(ts);
  if (!d) return '—';
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, withSeconds ? 19 : 16)} UTC`;
}

export function shortHash(hash: string | null | undefined, n = 12): string {
  if (!hash) return '—';
  return hash.length > n ? `${hash.slice(0, n)}…` : hash;
}

export function prettyJson(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}
