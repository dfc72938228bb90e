import { describe, expect, it } from 'vitest';
import { formatTime, prettyJson, shortHash, toDate } from './format';

describe('format', () => {
  it('reads µs, ms, s and ISO timestamps', () => {
    const iso = '2026-03-01T14:05:09.000Z';
    const ms = Date.parse(iso);
    expect(toDate(ms * 1000)?.toISOString()).toBe(iso);
    expect(toDate(ms)?.toISOString()).toBe(iso);
    expect(toDate(ms / 1000)?.toISOString()).toBe(iso);
    expect(toDate(String(ms * 1000))?.toISOString()).toBe(iso);
    expect(formatTime(iso)).toBe('2026-03-01 14:05 UTC');
    expect(formatTime(iso, true)).toBe('2026-03-01 14:05:09 UTC');
    expect(formatTime(null)).toBe('—');
    expect(formatTime('garbage')).toBe('—');
  });
  it('shortens hashes and pretty-prints JSON', () => {
    expect(shortHash('abcdef0123456789', 6)).toBe('abcdef…');
    expect(shortHash('')).toBe('—');
    expect(prettyJson({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson(null)).toBe('—');
  });
});
