import { describe, expect, it } from 'vitest';
import type { Taxonomy } from '../api/incidents';
import {
  classificationName,
  deadlineState,
  formatDuration,
  needsReason,
  nextDeadline,
  parseClassification,
  percent,
  relativeTime,
  transitionLabel,
} from './incidents';

const taxonomy: Taxonomy = {
  classes: [
    { value: 'fraud', name: 'Fraud', description: '', types: [{ value: 'phishing', name: 'Phishing', description: '' }] },
    { value: 'availability', name: 'Availability', description: '', types: [{ value: 'ddos', name: 'DDoS', description: '' }] },
  ],
};

describe('classifications', () => {
  it('parses class/type against the taxonomy', () => {
    expect(parseClassification('fraud/phishing', taxonomy)).toEqual({ class: 'fraud', type: 'phishing' });
    expect(parseClassification('fraud', taxonomy)).toEqual({ class: 'fraud', type: '' });
    expect(parseClassification('fraud/ddos', taxonomy)).toBeNull();
    expect(parseClassification('nonsense', taxonomy)).toBeNull();
  });
  it('names them', () => {
    expect(classificationName('fraud', 'phishing', taxonomy)).toBe('Fraud / Phishing');
    expect(classificationName('fraud', '', taxonomy)).toBe('Fraud');
    expect(classificationName('x', 'y', null)).toBe('x/y');
  });
});

describe('deadlines', () => {
  const now = Date.parse('2026-03-10T12:00:00Z');
  it('classifies states', () => {
    expect(deadlineState({ kind: 'acknowledge', due_at: '2026-03-10T13:00:00Z', met_at: '2026-03-10T12:30:00Z' }, now)).toBe('met');
    expect(deadlineState({ kind: 'acknowledge', due_at: '2026-03-10T11:00:00Z', met_at: '2026-03-10T11:30:00Z' }, now)).toBe('late');
    expect(deadlineState({ kind: 'notification', due_at: '2026-03-10T11:59:00Z', met_at: null }, now)).toBe('overdue');
    expect(deadlineState({ kind: 'notification', due_at: '2026-03-10T15:00:00Z', met_at: null }, now)).toBe('due_soon');
    expect(deadlineState({ kind: 'final_report', due_at: '2026-04-10T12:00:00Z', met_at: null }, now)).toBe('pending');
  });
  it('finds the next unmet one', () => {
    const d = nextDeadline({
      deadlines: [
        { kind: 'final_report', due_at: '2026-04-10T12:00:00Z', met_at: null },
        { kind: 'acknowledge', due_at: '2026-03-10T13:00:00Z', met_at: '2026-03-10T12:10:00Z' },
        { kind: 'early_warning', due_at: '2026-03-11T12:00:00Z', met_at: null },
      ],
    });
    expect(d?.kind).toBe('early_warning');
    expect(nextDeadline({ deadlines: [] })).toBeNull();
  });
  it('says relative times', () => {
    expect(relativeTime('2026-03-10T15:00:00Z', now)).toBe('in 3 h');
    expect(relativeTime('2026-03-10T11:30:00Z', now)).toBe('30 min ago');
    expect(relativeTime('2026-03-14T12:00:00Z', now)).toBe('in 4 d');
  });
});

describe('labels', () => {
  it('names transitions and knows which need a reason', () => {
    expect(transitionLabel('new', 'triaged')).toBe('Triage');
    expect(transitionLabel('closed', 'in_progress')).toBe('Reopen');
    expect(transitionLabel('resolved', 'closed')).toBe('Close');
    expect(needsReason('new', 'rejected')).toBe(true);
    expect(needsReason('closed', 'in_progress')).toBe(true);
    expect(needsReason('triaged', 'in_progress')).toBe(false);
  });
  it('formats durations and ratios', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(4800)).toBe('1 h 20 min');
    expect(formatDuration(3 * 86400 + 4 * 3600)).toBe('3 d 4 h');
    expect(formatDuration(null)).toBe('—');
    expect(percent(0.916)).toBe('92 %');
    expect(percent(null)).toBe('—');
  });
});
