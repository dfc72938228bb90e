// Pure helpers of the Feeds pages: labels, counts and filter handling.

import type { EventFilter, FeedEvent, FeedRun } from '../api/feeds';

export const ROUTE_LABELS: Record<FeedEvent['route'], string> = {
  owner: 'Owner',
  partner: 'Partner CERT abroad',
  unrouted: 'Unrouted (National CERT)',
};

export const INTERVALS = ['immediate', 'hourly', 'daily', 'never'] as const;

export const TAXONOMIES = [
  'abusive-content',
  'availability',
  'fraud',
  'information-content-security',
  'information-gathering',
  'intrusion-attempts',
  'intrusions',
  'malicious-code',
  'other',
  'test',
  'vulnerable',
] as const;

/** "vulnerable / open-snmp" — the taxonomy and the most specific label of an event. */
export function classificationLabel(e: Pick<FeedEvent, 'classification'>): string {
  const c = e.classification;
  return `${c.taxonomy} / ${c.identifier || c.type}`;
}

/** A filter without empty values, for URLs and requests. */
export function cleanFilter(f: EventFilter): EventFilter {
  const out: EventFilter = {};
  for (const [k, v] of Object.entries(f) as [keyof EventFilter, string | undefined][]) {
    const t = v?.trim();
    if (t) out[k] = t;
  }
  return out;
}

/** Reads an event filter from URL search parameters (only the known keys). */
export function filterFromSearch(params: URLSearchParams): EventFilter {
  const keys: (keyof EventFilter)[] = ['feed', 'organisation_id', 'recipient_id', 'classification', 'route', 'ip', 'since', 'until'];
  const f: EventFilter = {};
  for (const k of keys) {
    const v = params.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** Share of rejected lines of a run, as a percentage with one decimal ("0.3 %"). */
export function rejectedShare(run: Pick<FeedRun, 'lines' | 'rejected'>): string {
  if (!run.lines) return run.rejected ? '100 %' : '0 %';
  return `${(Math.round((1000 * run.rejected) / run.lines) / 10).toString()} %`;
}

/** Events per organisation name from a page of events, most first. */
export function countByOrganisation(events: FeedEvent[]): { name: string; count: number }[] {
  const m = new Map<string, number>();
  for (const e of events) {
    const name = e.organisation?.name ?? e.recipient?.name ?? '—';
    m.set(name, (m.get(name) ?? 0) + 1);
  }
  return [...m.entries()].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** The most useful one-line description of what an event is about. */
export function eventTarget(e: FeedEvent): string {
  const ev = e.event;
  const port = ev['source.port'] !== undefined ? `:${String(ev['source.port'])}` : '';
  const host = (ev['source.fqdn'] as string | undefined) ?? (ev['source.reverse_dns'] as string | undefined);
  const addr = e.source_ip || (ev['source.network'] as string | undefined) || (ev['source.url'] as string | undefined) || '';
  return host ? `${addr}${port} (${host})` : `${addr}${port}`;
}
