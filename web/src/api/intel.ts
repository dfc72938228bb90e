// The intel API (docs/openapi.yaml, tag "intel"): types and calls.

import { API_BASE, api, buildQuery, fetchPage, request } from './client';
import type { Page } from './types';

export type Tlp = 'TLP:CLEAR' | 'TLP:GREEN' | 'TLP:AMBER' | 'TLP:AMBER+STRICT' | 'TLP:RED';
export type Audience = 'organisation' | 'cert' | 'sector' | 'national' | 'partners';
export type IndicatorType =
  | 'ipv4' | 'ipv6' | 'cidr' | 'domain' | 'url' | 'email' | 'md5' | 'sha1' | 'sha256' | 'sha512' | 'asn' | 'x509';

export interface OrgRef {
  id: string;
  name: string;
}

export interface IntelEvent {
  id: string;
  stix_id: string;
  title: string;
  description: string;
  tlp: Tlp;
  audience: Audience;
  confidence: number;
  tags: string[];
  incidents: string[];
  recipients: OrgRef[];
  organisation: OrgRef;
  sector: string;
  source: string;
  indicator_count: number;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface IndicatorInput {
  type: IndicatorType;
  value: string;
  comment?: string;
  detection?: boolean;
}

export interface EventInput {
  title: string;
  description?: string;
  tlp: Tlp;
  audience: Audience;
  confidence?: number;
  tags?: string[];
  recipients?: string[];
  indicators?: IndicatorInput[];
}

export interface Indicator {
  id: string;
  stix_id: string;
  event: { id: string; title: string };
  type: IndicatorType;
  value: string;
  original: string;
  comment: string;
  tlp: Tlp;
  detection: boolean;
  active: boolean;
  false_positive: boolean;
  warning_list: string | null;
  warning_override: boolean;
  valid_from: string;
  valid_until: string | null;
  expired: boolean;
  sightings: { count: number; last_seen: string | null };
  created_at: string;
}

export interface Correlation {
  type: IndicatorType;
  value: string;
  event_count: number;
  over_correlating: boolean;
  events: { id: string; title: string }[];
  indicator?: Indicator;
}

export interface Correlations {
  items: Correlation[];
  total: number;
  limit: number;
  over_correlating: { type: string; value: string; event_count: number }[];
}

export interface EventFilter {
  q?: string;
  tlp?: string;
  audience?: string;
  tag?: string;
  value?: string;
}

export interface IndicatorFilter {
  value?: string;
  type?: string;
  tlp?: string;
  tag?: string;
  active?: string;
}

export const intel = {
  list: (f: EventFilter, cursor: string | null, limit = 25): Promise<Page<IntelEvent>> =>
    fetchPage<IntelEvent>('/intel/events', { ...f }, cursor, limit),
  get: async (id: string) => {
    const r = await request<IntelEvent>(`/intel/events/${encodeURIComponent(id)}`);
    return { event: r.data, etag: r.etag };
  },
  create: (input: EventInput) => api.post<IntelEvent>('/intel/events', input),
  update: (id: string, patch: Partial<EventInput>, etag: string | null) =>
    api.patch<IntelEvent>(`/intel/events/${encodeURIComponent(id)}`, patch, etag),
  remove: (id: string) => api.del(`/intel/events/${encodeURIComponent(id)}`),
  recipients: (id: string, tlp?: string, audience?: string) =>
    api.get<{ items: OrgRef[]; total: number }>(`/intel/events/${encodeURIComponent(id)}/recipients`, { tlp, audience }),
  indicators: (id: string, cursor: string | null, limit = 100) =>
    fetchPage<Indicator>(`/intel/events/${encodeURIComponent(id)}/indicators`, {}, cursor, limit),
  addIndicators: (id: string, indicators: IndicatorInput[]) =>
    api.post<{ items: Indicator[] }>(`/intel/events/${encodeURIComponent(id)}/indicators`, { indicators }),
  search: (f: IndicatorFilter, cursor: string | null, limit = 50) => fetchPage<Indicator>('/intel/indicators', { ...f }, cursor, limit),
  updateIndicator: (id: string, patch: Partial<Pick<Indicator, 'detection' | 'false_positive' | 'warning_override'>>) =>
    api.patch<Indicator>(`/intel/indicators/${encodeURIComponent(id)}`, patch),
  /** Removes an indicator from its event (the creating organisation only); ifMatch: the event's ETag. */
  removeIndicator: (id: string, ifMatch?: string | null) => api.del(`/intel/indicators/${encodeURIComponent(id)}`, ifMatch),
  sightings: (id: string) =>
    api.get<{ items: { organisation: OrgRef; count: number; first_seen: string; last_seen: string; source: string }[] }>(
      `/intel/indicators/${encodeURIComponent(id)}/sightings`),
  sighting: (id: string, count = 1) => api.post<Indicator>(`/intel/indicators/${encodeURIComponent(id)}/sightings`, { count }),
  correlations: (event?: string) => api.get<Correlations>('/intel/correlations', { event }),
  importStix: (file: Blob | string, tlp: string, audience: string) =>
    api.upload<{ event_id: string; indicators: number; failed: number; problems: { index: number; object: string; reason: string }[] }>(
      '/intel/import/stix', file, 'application/json', { tlp, audience }),
  stixUrl: (id: string) => `${API_BASE}/intel/events/${encodeURIComponent(id)}/stix`,
  mispUrl: (id: string) => `${API_BASE}/intel/events/${encodeURIComponent(id)}/misp`,
  csvUrl: (f: IndicatorFilter) => `${API_BASE}/intel/indicators${buildQuery({ ...f, format: 'csv' })}`,
};
