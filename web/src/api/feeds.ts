// The feeds API (docs/openapi.yaml, tag feeds): feeds and runs, uploads, the constituent pull API,
// dead letters, digests and digest preferences.

import { api, fetchPage, request, type Query } from './client';
import type { Page } from './types';

export interface OrgRef {
  id: string;
  name: string;
}

export interface FeedFigures {
  runs: number;
  lines: number;
  events: number;
  rejected: number;
  duplicates: number;
  aggregated: number;
}

export interface Feed {
  name: string;
  format: string;
  provider: string;
  configured: boolean;
  tlp?: string;
  min_severity?: string;
  fetch: { url: string; interval_seconds: number } | null;
  figures: FeedFigures;
  last_run_at: string | null;
}

export interface FeedRun {
  id: string;
  feed: string;
  source: string;
  file_name: string;
  format: string;
  status: 'running' | 'done' | 'failed';
  lines: number;
  events: number;
  rejected: number;
  duplicates: number;
  aggregated: number;
  error: string;
  started_at: string;
  finished_at: string | null;
  created_by: string;
  already_ingested?: boolean;
  recipients?: { organisation: OrgRef & { kind?: string }; events: number; runs?: number }[];
}

/** An uploaded report: spooled by the server, then ingested by its upload worker. */
export interface FeedUpload {
  id: string;
  feed: string;
  format: string;
  file_name: string;
  size: number;
  force: boolean;
  status: 'queued' | 'running' | 'done' | 'failed';
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  progress: { bytes_done: number; bytes_total: number; percent: number; lines: number; events: number; rejected: number; duplicates: number };
  run_id: string | null;
  already_ingested: boolean;
  attempts: number;
  error: string | null;
  /** GET /feeds/uploads/{id} only: the run with events per recipient once done. */
  run?: FeedRun | null;
}

export interface NetworkDataFile {
  path: string;
  kind: 'pfx2as' | 'delegated' | 'mmdb' | 'as_names';
  size: number | null;
  mtime: string | null;
  entries: number;
  detail: string;
  loaded_at: string | null;
  error: string | null;
  error_at: string | null;
}

export interface NetworkDataState {
  files: NetworkDataFile[];
  loaded_at: string | null;
  checked_at: string | null;
  generation: number;
  failures: number;
  reload_interval_seconds: number;
  reloading: boolean;
}

export interface FeedEvent {
  id: string;
  feed: string;
  line: number;
  time_source: string;
  observed_at: string;
  classification: { taxonomy: string; type: string; identifier: string };
  severity: string;
  source_ip: string;
  source_asn: number | null;
  source_cc: string;
  organisation: OrgRef | null;
  recipient: OrgRef | null;
  route: 'owner' | 'partner' | 'unrouted';
  notify: boolean;
  count: number;
  first_seen: string;
  last_seen: string;
  event: Record<string, string | number | boolean>;
}

export interface DeadLetter {
  id: string;
  feed: string;
  run_id: string;
  file_name: string;
  line: number;
  reason: string;
  text: string;
  raw_base64: string;
  state: 'open' | 'replayed';
  created_at: string;
}

export interface Digest {
  id: string;
  reference: string;
  organisation: OrgRef;
  interval: string;
  events: number;
  recipients: string;
  encrypted: boolean;
  status: string;
  delivery_status: string;
  reason: string;
  created_at: string;
}

export interface EventFilter {
  feed?: string;
  organisation_id?: string;
  recipient_id?: string;
  classification?: string;
  route?: string;
  ip?: string;
  since?: string;
  until?: string;
}

export type DigestInterval = 'immediate' | 'hourly' | 'daily' | 'never';

export const feeds = {
  list: () => api.get<{ items: Feed[]; total: number; formats: string[] }>('/feeds'),
  runs: (feed: string | undefined, cursor: string | null) => fetchPage<FeedRun>('/feeds/runs', { feed }, cursor, 20),
  run: (id: string) => api.get<FeedRun>(`/feeds/runs/${encodeURIComponent(id)}`),
  /** Answers 202 with the upload job; follow it with `uploadJob`. */
  upload: (feed: string, file: Blob | string, fileName: string, format?: string) =>
    api.upload<FeedUpload>(`/feeds/${encodeURIComponent(feed)}/reports`, file, 'text/plain', {
      file_name: fileName,
      format: format || undefined,
    }),
  uploadJob: (id: string) => api.get<FeedUpload>(`/feeds/uploads/${encodeURIComponent(id)}`),
  uploads: (cursor: string | null) => fetchPage<FeedUpload>('/feeds/uploads', {}, cursor, 20),
  networkData: () => api.get<NetworkDataState>('/feeds/network-data'),
  reloadNetworkData: () => api.post<NetworkDataState>('/feeds/network-data/reload', {}, { query: { wait: true } }),
  events: (filter: EventFilter, cursor: string | null, limit = 50) =>
    fetchPage<FeedEvent>('/feeds/events', filter as Query, cursor, limit),
  figures: () =>
    api.get<{ feeds: (FeedFigures & { feed: string })[]; recipients: { organisation: OrgRef; events: number; runs: number }[] }>(
      '/feeds/figures',
    ),
  deadLetters: (feed: string | undefined, cursor: string | null) =>
    fetchPage<DeadLetter>('/feeds/dead-letters', { feed, state: 'open' }, cursor, 50),
  replay: (feed?: string, ids?: string[]) =>
    api.post<{ tried: number; replayed: number; still_failing: number }>('/feeds/dead-letters/replay', { feed, ids }),
  digests: (cursor: string | null) => fetchPage<Digest>('/feeds/digests', {}, cursor, 50),
  runDigests: (force: boolean) => api.post<{ sent: number; skipped: number; events: number }>('/feeds/digests/run', {}, { query: { force } }),
  preferences: (organisationId?: string) =>
    api.get<{ organisation_id: string; intervals: Record<string, DigestInterval> }>('/feeds/preferences', {
      organisation_id: organisationId,
    }),
  setPreferences: async (organisationId: string, intervals: Record<string, DigestInterval | null>) =>
    (
      await request<{ organisation_id: string; intervals: Record<string, DigestInterval> }>('/feeds/preferences', {
        method: 'PUT',
        body: { organisation_id: organisationId, intervals },
      })
    ).data,
};

/** A link that downloads the events of a filter as JSON lines or CSV. */
export function eventsDownloadUrl(filter: EventFilter, format: 'jsonl' | 'csv'): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, String(v));
  q.set('format', format);
  q.set('limit', '500');
  return `/api/v1/feeds/events?${q.toString()}`;
}

export type { Page };
