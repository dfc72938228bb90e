import { describe, expect, it } from 'vitest';
import type { Organisation } from '../api/types';
import {
  diffInput,
  emptyForm,
  fieldErrorFor,
  formFromOrganisation,
  inputFromForm,
  normaliseFieldKey,
  parseAsn,
  parseFieldPath,
  parseList,
} from './orgs';

describe('list parsing', () => {
  it('splits lines, commas and blanks and drops empties', () => {
    expect(parseList('203.0.113.0/24\n\n 2001:db8:100::/48 ,10.0.0.0/8\r\n')).toEqual([
      '203.0.113.0/24',
      '2001:db8:100::/48',
      '10.0.0.0/8',
    ]);
  });
  it('reads AS numbers with or without the AS prefix', () => {
    expect(parseAsn('AS64500')).toBe(64500);
    expect(parseAsn('as 64501')).toBe(64501);
    expect(parseAsn('64502')).toBe(64502);
    expect(parseAsn('AS-1')).toBeNull();
    expect(parseAsn('99999999999')).toBeNull();
  });
});

describe('inputFromForm', () => {
  it('builds the API body', () => {
    const f = {
      ...emptyForm('p1', 'constituent'),
      name: ' Habib Test Bank ',
      country: 'pk',
      prefixes: '203.0.113.0/24\n2001:db8:100::/48',
      asns: 'AS64500\nAS 64501',
      domains: 'habib-test.pk',
    };
    const { input, errors } = inputFromForm(f);
    expect(errors).toEqual({});
    expect(input).toMatchObject({
      name: 'Habib Test Bank',
      parent_id: 'p1',
      country: 'PK',
      networks: { prefixes: ['203.0.113.0/24', '2001:db8:100::/48'], asns: [64500, 64501], domains: ['habib-test.pk'] },
    });
  });
  it('reports client-side errors per field', () => {
    const { input, errors } = inputFromForm({ ...emptyForm(null, 'constituent'), country: 'PAK', asns: 'AS1\nfoo' });
    expect(input).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(['country', 'name', 'networks.asns']);
    expect(errors['networks.asns']).toContain('Line 2');
  });
});

describe('server field errors', () => {
  it('parses indexed paths', () => {
    expect(parseFieldPath('networks.prefixes[0]')).toEqual({ key: 'networks.prefixes', index: 0 });
    expect(parseFieldPath('country')).toEqual({ key: 'country' });
  });
  it('names the offending entry', () => {
    const form = { ...emptyForm(null, 'constituent'), prefixes: '203.0.113.0/24\n10.0.0.0/33' };
    expect(fieldErrorFor('networks.prefixes[1]', 'prefix length out of range', form)).toEqual({
      key: 'networks.prefixes',
      message: 'Entry 2 (10.0.0.0/33): prefix length out of range',
    });
    expect(fieldErrorFor('networks.prefixes[1]', '"10.0.0.0/33" is not a prefix', form).message).toBe(
      'Entry 2: "10.0.0.0/33" is not a prefix',
    );
    expect(fieldErrorFor('country', 'unknown country', form)).toEqual({ key: 'country', message: 'unknown country' });
  });
  it('maps aliases', () => {
    expect(normaliseFieldKey('prefixes')).toBe('networks.prefixes');
    expect(normaliseFieldKey('parent')).toBe('parent_id');
    expect(normaliseFieldKey('networks.domains')).toBe('networks.domains');
  });
});

describe('diffInput', () => {
  it('returns only changed top-level fields', () => {
    const org: Organisation = {
      id: 'o',
      name: 'A',
      kind: 'constituent',
      parent_id: 'p',
      sector: 'banking',
      country: 'PK',
      cii: false,
      contacts: { security_email: '', abuse_email: '', phone: '', pgp_key: '' },
      networks: { prefixes: ['192.0.2.0/24'], asns: [64500], domains: [] },
      version: 3,
    };
    const before = inputFromForm(formFromOrganisation(org)).input!;
    const after = inputFromForm({ ...formFromOrganisation(org), cii: true, asns: 'AS64500\nAS64501' }).input!;
    expect(diffInput(before, after)).toEqual({ cii: true, networks: { prefixes: ['192.0.2.0/24'], asns: [64500, 64501], domains: [] } });
    expect(diffInput(before, before)).toEqual({});
  });
});
