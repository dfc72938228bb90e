import { describe, expect, it } from 'vitest';
import { attackTechniques, describeSharing, guessType, isWidening, parseIndicatorLines, splitTags, tlpTone } from './intel';

describe('intel helpers', () => {
  it('guesses indicator types', () => {
    expect(guessType('203.0.113.9')).toBe('ipv4');
    expect(guessType('2001:db8::1')).toBe('ipv6');
    expect(guessType('198.51.100.0/24')).toBe('cidr');
    expect(guessType('https://evil.example/x')).toBe('url');
    expect(guessType('a@evil.example')).toBe('email');
    expect(guessType('AS64500')).toBe('asn');
    expect(guessType('d41d8cd98f00b204e9800998ecf8427e')).toBe('md5');
    expect(guessType('b'.repeat(64))).toBe('sha256');
    expect(guessType('evil.example')).toBe('domain');
    expect(guessType('not a value')).toBeNull();
  });
  it('parses pasted lines', () => {
    const r = parseIndicatorLines('# c2\nipv4 203.0.113.9\nevil.example\n\nx509 ' + 'e'.repeat(40) + '\n???');
    expect(r.indicators).toEqual([
      { type: 'ipv4', value: '203.0.113.9' },
      { type: 'domain', value: 'evil.example' },
      { type: 'x509', value: 'e'.repeat(40) },
    ]);
    expect(r.errors).toEqual(['line 6: cannot tell the type of "???" (write "type value")']);
  });
  it('knows when sharing widens', () => {
    expect(isWidening({ tlp: 'TLP:AMBER', audience: 'sector' }, { tlp: 'TLP:GREEN', audience: 'national' })).toBe(true);
    expect(isWidening({ tlp: 'TLP:AMBER', audience: 'sector' }, { tlp: 'TLP:AMBER', audience: 'sector' })).toBe(false);
    expect(isWidening({ tlp: 'TLP:GREEN', audience: 'national' }, { tlp: 'TLP:RED', audience: 'cert' })).toBe(false);
  });
  it('describes sharing and tags', () => {
    expect(describeSharing('TLP:RED', 'partners')).toBe('Named recipients only.');
    expect(describeSharing('TLP:AMBER', 'sector')).toMatch(/^My sector/);
    expect(tlpTone('TLP:AMBER+STRICT')).toBe('tlp-amber');
    expect(attackTechniques(['phishing', 'T1566.001', 'T1059'])).toEqual(['T1566.001', 'T1059']);
    expect(splitTags(' a, b,,a ')).toEqual(['a', 'b']);
  });
});
