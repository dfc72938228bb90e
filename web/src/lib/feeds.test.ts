import { describe, expect, it } from 'vitest';
import type { FeedEvent } from '../api/feeds';
import { classificationLabel, cleanFilter, countByOrganisation, eventTarget, filterFromSearch, rejectedShare } from './feeds';

function ev(p: Partial<FeedEvent>): FeedEvent {
  return {
    id: '1', feed: 'f', line: 2, time_source: '', observed_at: '', severity: 'high', source_ip: '192.0.2.1',
    source_asn: null, source_cc: '', organisation: null, recipient: null, route: 'owner', notify: true, count: 1,
    first_seen: '', last_seen: '', event: {}, classification: { taxonomy: 'vulnerable', type: 'vulnerable-system', identifier: 'open-snmp' },
    ...p,
  };
}

describe('feeds helpers', () => {
  it('labels a classification by its most specific name', () => {
    expect(classificationLabel(ev({}))).toBe('vulnerable / open-snmp');
    expect(classificationLabel(ev({ classification: { taxonomy: 'other', type: 'blacklist', identifier: '' } }))).toBe('other / blacklist');
  });
  it('cleans and reads filters', () => {
    expect(cleanFilter({ feed: ' x ', ip: '', route: undefined })).toEqual({ feed: 'x' });
    expect(filterFromSearch(new URLSearchParams('feed=a&nope=1&route=partner'))).toEqual({ feed: 'a', route: 'partner' });
  });
  it('computes the rejected share', () => {
    expect(rejectedShare({ lines: 1000, rejected: 3 })).toBe('0.3 %');
    expect(rejectedShare({ lines: 0, rejected: 0 })).toBe('0 %');
    expect(rejectedShare({ lines: 0, rejected: 1 })).toBe('100 %');
  });
  it('counts events per organisation, most first', () => {
    const rows = countByOrganisation([
      ev({ organisation: { id: 'a', name: 'Bank' } }),
      ev({ organisation: { id: 'a', name: 'Bank' } }),
      ev({ organisation: null, recipient: { id: 'p', name: 'TR-CERT' } }),
    ]);
    expect(rows).toEqual([{ name: 'Bank', count: 2 }, { name: 'TR-CERT', count: 1 }]);
  });
  it('describes the target of an event', () => {
    expect(eventTarget(ev({ event: { 'source.port': 161, 'source.reverse_dns': 'h.example.net' } }))).toBe('192.0.2.1:161 (h.example.net)');
    expect(eventTarget(ev({ source_ip: '', event: { 'source.network': '192.0.2.0/25' } }))).toBe('192.0.2.0/25');
  });
});
