// The incidents API (docs/openapi.yaml, tag "incidents"): types and calls.

import { API_BASE, api, fetchPage, request, type Query } from './client';
import type { Page } from './types';

export type IncidentStatus = 'new' | 'triaged' | 'in_progress' | 'contained' | 'resolved' | 'closed' | 'rejected' | 'merged';
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface Classification {
  class: string;
  type: string;
  name?: string;
}

export interface OrgRef {
  id: string;
  name: string;
  kind: string;
}

export interface Deadline {
  kind: 'acknowledge' | 'early_warning' | 'notification' | 'final_report';
  due_at: string;
  met_at: string | null;
}

export interface Incident {
  id: string;
  reference: string;
  title: string;
  description: string;
  classification: Classification[];
  severity: Severity;
  impact: string;
  tlp: string;
  pap: string;
  tags: string[];
  custom_fields: Record<string, unknown>;
  status: IncidentStatus;
  allowed_transitions: IncidentStatus[];
  organisation_id: string;
  organisation: OrgRef;
  handling_organisation_id: string;
  handling_organisation: OrgRef;
  sector: string;
  regime: string;
  reporter: { name: string; email: string; phone: string };
  affected: string[];
  assignee: { id: string; username: string } | null;
  confidential: boolean;
  members: string[];
  source: string;
  occurred_at: string | null;
  detected_at: string | null;
  aware_at: string;
  acknowledged_at: string | null;
  resolved_at: string | null;
  closed_at: string | null;
  next_due_at: string | null;
  merged_into: string | null;
  deadlines: Deadline[];
  version: number;
  created_at: string;
  updated_at: string;
}

export interface IncidentInput {
  title: string;
  description?: string;
  classification?: { class: string; type: string }[];
  severity?: Severity;
  tlp?: string;
  organisation_id?: string;
  tags?: string[];
  reporter?: { name?: string; email?: string; phone?: string };
  occurred_at?: string | null;
  detected_at?: string | null;
  aware_at?: string;
  confidential?: boolean;
}

export interface TimelineEntry {
  id: number;
  at: string;
  kind: string;
  actor: string;
  text: string;
  data: Record<string, unknown>;
}

export interface Task {
  id: string;
  title: string;
  status: 'open' | 'in_progress' | 'done' | 'cancelled';
  assignee: { id: string; username: string } | null;
  due_at: string | null;
  log: { at: string; actor: string; text: string }[];
  version: number;
}

export interface Observable {
  type: string;
  value: string;
  tlp: string;
  description: string;
  created_at: string;
  seen_in: string[];
}

export interface Attachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  created_by: string;
  created_at: string;
  url: string;
}

export interface Delivery {
  id: string;
  channel: 'email' | 'webhook';
  recipient: string;
  subject?: string;
  event?: string;
  status: 'queued' | 'sending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string;
  created_at: string;
}

export interface RsitType {
  value: string;
  name: string;
  description: string;
}
export interface RsitClass extends RsitType {
  types: RsitType[];
}
export interface Taxonomy {
  classes: RsitClass[];
}

export interface CountRow {
  key: string;
  count: number;
}
export interface IncidentStats {
  total: number;
  by_classification: { class: string; type: string; name: string; count: number }[];
  by_severity: CountRow[];
  by_status: CountRow[];
  by_sector: CountRow[];
  by_tier: CountRow[];
  time_to_acknowledge: { count: number; mean_seconds: number | null; p90_seconds: number | null };
  time_to_resolve: { count: number; mean_seconds: number | null; p90_seconds: number | null };
  deadline_compliance: {
    overall: number | null;
    by_kind: { kind: string; met_on_time: number; met_late: number; missed: number; pending: number; compliance: number | null }[];
  };
}

export interface IncidentFilter {
  queue?: string;
  status?: string;
  severity?: string;
  classification?: string;
  q?: string;
  sort?: string;
  organisation_id?: string;
  assignee?: string;
  tag?: string;
}

const enc = encodeURIComponent;

function clean(filter: IncidentFilter): Query {
  const out: Query = {};
  for (const [k, v] of Object.entries(filter)) if (v) out[k] = v;
  return out;
}

export const incidents = {
  list: (filter: IncidentFilter, cursor: string | null, limit = 50): Promise<Page<Incident>> =>
    fetchPage<Incident>('/incidents', clean(filter), cursor, limit),
  exportUrl: (filter: IncidentFilter, format: 'csv' | 'json') => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(clean(filter))) params.set(k, String(v));
    params.set('format', format);
    return `${API_BASE}/incidents?${params.toString()}`;
  },
  get: async (id: string) => {
    const r = await request<Incident>(`/incidents/${enc(id)}`);
    return r.data;
  },
  create: (input: IncidentInput) => api.post<Incident>('/incidents', input),
  update: (id: string, patch: Record<string, unknown>, version?: number) =>
    api.patch<Incident>(`/incidents/${enc(id)}`, patch, version),
  timeline: (id: string) => api.get<{ items: TimelineEntry[] }>(`/incidents/${enc(id)}/timeline`).then((r) => r.items),
  comment: (id: string, text: string) => api.post<TimelineEntry>(`/incidents/${enc(id)}/timeline`, { text }),
  tasks: (id: string) => api.get<{ items: Task[] }>(`/incidents/${enc(id)}/tasks`).then((r) => r.items),
  addTask: (id: string, title: string) => api.post<Task>(`/incidents/${enc(id)}/tasks`, { title }),
  updateTask: (id: string, task: string, patch: Record<string, unknown>) =>
    api.patch<Task>(`/incidents/${enc(id)}/tasks/${enc(task)}`, patch),
  observables: (id: string) => api.get<{ items: Observable[] }>(`/incidents/${enc(id)}/observables`).then((r) => r.items),
  addObservable: (id: string, type: string, value: string) =>
    api.post<Observable>(`/incidents/${enc(id)}/observables`, { type, value }),
  attachments: (id: string) => api.get<{ items: Attachment[] }>(`/incidents/${enc(id)}/attachments`).then((r) => r.items),
  upload: (id: string, file: File) =>
    api.upload<Attachment>(`/incidents/${enc(id)}/attachments`, file, file.type || 'application/octet-stream', { filename: file.name }),
  escalate: (id: string, reason: string) => api.post<Incident>(`/incidents/${enc(id)}/escalate`, { reason }),
  delegate: (id: string, organisation_id: string, reason: string) =>
    api.post<Incident>(`/incidents/${enc(id)}/delegate`, { organisation_id, reason }),
  share: (id: string, organisation_id: string, access: 'read' | 'write', reason: string) =>
    api.post<Incident>(`/incidents/${enc(id)}/share`, { organisation_id, access, reason }),
  meetDeadline: (id: string, kind: string) => api.post<Incident>(`/incidents/${enc(id)}/deadlines/${enc(kind)}`),
  notifications: (id: string) => api.get<{ items: Delivery[] }>(`/incidents/${enc(id)}/notifications`).then((r) => r.items),
  stats: () => api.get<IncidentStats>('/incidents/stats'),
  taxonomy: () => api.get<Taxonomy>('/incidents/taxonomy'),
  /** The public report form: no account needed. */
  publicTaxonomy: () => api.get<Taxonomy>('/report/taxonomy'),
  publicReport: (body: Record<string, unknown>) =>
    api.post<{ reference: string; message: string }>('/report', body),
};
