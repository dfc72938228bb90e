// Pure helpers of the incidents pages: labels, deadline states, queues, classification parsing.

import type { Deadline, Incident, IncidentStatus, Severity, Taxonomy } from '../api/incidents';

export const STATUS_LABELS: Record<IncidentStatus, string> = {
  new: 'New',
  triaged: 'Triaged',
  in_progress: 'In progress',
  contained: 'Contained',
  resolved: 'Resolved',
  closed: 'Closed',
  rejected: 'Rejected',
  merged: 'Merged',
};

export const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];

export const DEADLINE_LABELS: Record<string, string> = {
  acknowledge: 'Acknowledge',
  early_warning: 'Early warning',
  notification: 'Incident notification',
  final_report: 'Final report',
};

export interface Queue {
  key: string;
  label: string;
}

/** The queues of the incidents page, in tab order. */
export const QUEUES: Queue[] = [
  { key: 'triage', label: 'Triage' },
  { key: 'mine', label: 'Mine' },
  { key: 'cert', label: "My CERT's" },
  { key: 'due_soon', label: 'Due soon' },
  { key: 'overdue', label: 'Overdue' },
  { key: 'all', label: 'All' },
];

/** Verb for the button that moves an incident to `to` (reopening when it was closed). */
export function transitionLabel(from: IncidentStatus, to: IncidentStatus): string {
  if (from === 'closed' || (from === 'resolved' && to === 'in_progress')) return 'Reopen';
  switch (to) {
    case 'triaged':
      return from === 'rejected' ? 'Reconsider' : 'Triage';
    case 'in_progress':
      return 'Start work';
    case 'contained':
      return 'Mark contained';
    case 'resolved':
      return 'Resolve';
    case 'closed':
      return 'Close';
    case 'rejected':
      return 'Reject';
    default:
      return STATUS_LABELS[to];
  }
}

/** Transitions that must carry a reason (as the server requires). */
export function needsReason(from: IncidentStatus, to: IncidentStatus): boolean {
  return to === 'rejected' || (from === 'closed' && to === 'in_progress');
}

export type DeadlineState = 'met' | 'late' | 'overdue' | 'due_soon' | 'pending';

/** Where a deadline stands at `now`; "due soon" is within `soonMs` (4 h by default). */
export function deadlineState(d: Deadline, now: number, soonMs = 4 * 3600_000): DeadlineState {
  const due = Date.parse(d.due_at);
  if (d.met_at) return Date.parse(d.met_at) <= due ? 'met' : 'late';
  if (due < now) return 'overdue';
  if (due - now <= soonMs) return 'due_soon';
  return 'pending';
}

/** "in 3 h", "2 d ago", "in 25 min". */
export function relativeTime(iso: string, now: number): string {
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 3600_000) text = `${Math.max(1, Math.round(abs / 60_000))} min`;
  else if (abs < 48 * 3600_000) text = `${Math.round(abs / 3600_000)} h`;
  else text = `${Math.round(abs / 86400_000)} d`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

/** The next unmet deadline of an incident, if any. */
export function nextDeadline(incident: Pick<Incident, 'deadlines'>): Deadline | null {
  const open = incident.deadlines.filter((d) => !d.met_at).sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
  return open[0] ?? null;
}

/** "fraud/phishing" → {class, type}; the class alone is allowed. Null when not in the taxonomy. */
export function parseClassification(text: string, taxonomy: Taxonomy): { class: string; type: string } | null {
  const [cls, type = ''] = text.trim().split('/');
  const c = taxonomy.classes.find((x) => x.value === cls);
  if (!c) return null;
  if (type && !c.types.some((t) => t.value === type)) return null;
  return { class: cls, type };
}

/** Human name of a classification ("Fraud / Phishing"). */
export function classificationName(cls: string, type: string, taxonomy: Taxonomy | null): string {
  const c = taxonomy?.classes.find((x) => x.value === cls);
  if (!c) return type ? `${cls}/${type}` : cls;
  const t = c.types.find((x) => x.value === type);
  return t ? `${c.name} / ${t.name}` : c.name;
}

/** Seconds as "1 h 20 min", "3 d 4 h", "45 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.round((s % 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(s / 86400);
  const h = Math.round((s % 86400) / 3600);
  return h ? `${d} d ${h} h` : `${d} d`;
}

/** A ratio as a percentage ("92 %"), or "—". */
export function percent(r: number | null): string {
  return r === null ? '—' : `${Math.round(r * 100)} %`;
}
