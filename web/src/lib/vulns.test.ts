import { describe, expect, it } from 'vitest';
import type { Finding, VulnDetail } from '../api/types';
import {
  advisoryFromCve,
  advisoryVersions,
  assetIdentification,
  assetImportFormat,
  assetInputFromForm,
  advisoryContentFrom,
  advisoryFormFrom,
  csafDocumentPath,
  csafFileName,
  csafTlpFolder,
  cvssErrorPosition,
  diffAdvisory,
  emptyAdvisory,
  emptyAssetForm,
  findingAsset,
  findingOrganisation,
  formatEpss,
  formatPercentile,
  formatScore,
  isKev,
  normaliseCveId,
  normaliseSeverity,
  parseFieldPath,
  parseList,
  severityFromScore,
  splitAffected,
  tlpClass,
  versionRangeText,
  vulnImportGuess,
} from './vulns';

describe('severity', () => {
  it('follows the CVSS rating bands', () => {
    expect(severityFromScore(0)).toBe('none');
    expect(severityFromScore(0.1)).toBe('low');
    expect(severityFromScore(3.9)).toBe('low');
    expect(severityFromScore(4)).toBe('medium');
    expect(severityFromScore(6.9)).toBe('medium');
    expect(severityFromScore(7)).toBe('high');
    expect(severityFromScore(8.9)).toBe('high');
    expect(severityFromScore(9)).toBe('critical');
    expect(severityFromScore(10)).toBe('critical');
    expect(severityFromScore(null)).toBe('unknown');
    expect(severityFromScore(11)).toBe('unknown');
    expect(severityFromScore(Number.NaN)).toBe('unknown');
  });
  it('reads server ratings in any case and falls back to the score', () => {
    expect(normaliseSeverity('CRITICAL')).toBe('critical');
    expect(normaliseSeverity('Moderate')).toBe('medium');
    expect(normaliseSeverity('', 7.5)).toBe('high');
    expect(normaliseSeverity(null, null)).toBe('unknown');
  });
});

describe('formatting', () => {
  it('formats scores, EPSS and percentiles', () => {
    expect(formatScore(9.8)).toBe('9.8');
    expect(formatScore(10)).toBe('10.0');
    expect(formatScore(null)).toBe('—');
    expect(formatEpss(0.97123)).toBe('97.12%');
    expect(formatEpss(0.00043)).toBe('0.04%');
    expect(formatEpss(0.00001)).toBe('<0.01%');
    expect(formatEpss(0)).toBe('0.00%');
    expect(formatEpss(undefined)).toBe('—');
    expect(formatPercentile(0.955)).toBe('95th');
    expect(formatPercentile(0.011)).toBe('1st');
    expect(formatPercentile(0.12)).toBe('12th');
    expect(formatPercentile(0.22)).toBe('22nd');
    expect(formatPercentile(null)).toBe('—');
  });
  it('reads KEV flags and CVE ids', () => {
    expect(isKev(true)).toBe(true);
    expect(isKev({ date_added: '2024-04-12' })).toBe(true);
    expect(isKev(null)).toBe(false);
    expect(isKev(false)).toBe(false);
    expect(normaliseCveId(' cve-2024-3400 ')).toBe('CVE-2024-3400');
    expect(normaliseCveId('CVE-2024-123')).toBeNull();
  });
  it('finds the position in a CVSS error message', () => {
    expect(cvssErrorPosition("bad value 'X' for metric AV (Attack Vector) at position 13; expected one of N, A, L, P")).toBe(13);
    expect(cvssErrorPosition('unknown version')).toBeNull();
  });
  it('writes CVE 5 version ranges', () => {
    expect(versionRangeText({ version: '1.0', less_than: '1.4.2', status: 'affected' })).toBe('1.0 ≤ v < 1.4.2');
    expect(versionRangeText({ version: '0', less_than_or_equal: '2.0', status: 'affected' })).toBe('v ≤ 2.0');
    expect(versionRangeText({ version: '3.1', status: 'affected' })).toBe('3.1');
    expect(versionRangeText({ version: '2.0', less_than: '*', status: 'affected' })).toBe('2.0 ≤ v < ∞');
  });
  it('parses lists and field paths, names TLP classes', () => {
    expect(parseList('a, b\n\nc,a')).toEqual(['a', 'b', 'c']);
    expect(parseFieldPath('products[1].vendor')).toEqual({ key: 'products', index: 1, rest: 'vendor' });
    expect(parseFieldPath('title')).toEqual({ key: 'title' });
    expect(tlpClass('TLP:AMBER+STRICT')).toBe('tlp-amber-strict');
    expect(tlpClass('TLP:CLEAR')).toBe('tlp-clear');
  });
});

describe('findings and assets', () => {
  const base = {
    id: 'f1',
    cve_id: 'CVE-2026-0001',
    status: 'affected',
    source: 'cna',
    reason: 'version 1.4.1 < 1.4.2',
    priority: 90,
    cvss: 9.8,
    epss: 0.5,
    kev: false,
    state: 'open',
  } as const;
  it('reads nested and flat findings', () => {
    const nested: Finding = { ...base, asset: { id: 'a1', name: 'exampled', version: '1.4.1' }, organisation: { id: 'o1', name: 'Bank' } };
    const flat: Finding = { ...base, asset_id: 'a1', asset_name: 'exampled', organisation_id: 'o1' };
    expect(findingAsset(nested)).toEqual({ id: 'a1', name: 'exampled', version: '1.4.1' });
    expect(findingAsset(flat)).toEqual({ id: 'a1', name: 'exampled', version: '' });
    expect(findingOrganisation(nested)).toEqual({ id: 'o1', name: 'Bank' });
    expect(findingOrganisation(flat, new Map([['o1', 'Bank']]))).toEqual({ id: 'o1', name: 'Bank' });
  });
  it('checks the asset form', () => {
    expect(assetInputFromForm(emptyAssetForm()).errors).toEqual({
      name: 'Enter a name.',
      cpe: 'Give a CPE, a purl, or vendor, product and version.',
    });
    const ok = assetInputFromForm({ ...emptyAssetForm(), name: ' exampled ', vendor: 'ExampleSoft', product: 'exampled', version: '1.4.1' });
    expect(ok.errors).toEqual({});
    expect(ok.input).toMatchObject({ name: 'exampled', vendor: 'ExampleSoft', product: 'exampled', version: '1.4.1', criticality: 'medium' });
    expect(assetInputFromForm({ ...emptyAssetForm(), name: 'x', vendor: 'v' }).errors).toEqual({ product: 'Enter the product too.' });
    expect(assetInputFromForm({ ...emptyAssetForm(), name: 'x', purl: 'npm/x' }).errors.purl).toMatch(/pkg:/);
    expect(assetIdentification({ cpe: '', purl: '', vendor: 'ExampleSoft', product: 'exampled', version: '1.4.1' })).toBe('ExampleSoft exampled 1.4.1');
  });
  it('guesses import formats', () => {
    expect(assetImportFormat('inventory.CSV')).toBe('csv');
    expect(assetImportFormat('bom.json')).toBe('cyclonedx');
    expect(vulnImportGuess('epss_scores.csv.gz')).toEqual({ kind: 'epss', contentType: 'text/csv' });
    expect(vulnImportGuess('CVE-2024-3400.json')).toEqual({ kind: 'auto', contentType: 'application/json' });
  });
});

describe('advisories', () => {
  const cve: VulnDetail = {
    cve_id: 'CVE-2026-0001',
    title: 'Remote code execution in exampled',
    description: 'A flaw in exampled allows…',
    cvss: { score: 9.8, severity: 'CRITICAL', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', source: 'cna' },
    epss: null,
    kev: null,
    affected: [
      {
        source: 'cna',
        vendor: 'ExampleSoft',
        product: 'exampled',
        versions: [
          { version: '1.0', less_than: '1.4.2', status: 'affected', version_type: 'semver' },
          { version: '1.4.2', status: 'unaffected' },
        ],
      },
      { source: 'adp', vendor: 'examplesoft', product: 'exampled', versions: [{ version: '1.3', status: 'affected' }] },
    ],
    metrics: [{ source: 'cna', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, severity: 'CRITICAL' }],
    references: [{ url: 'https://example.com/sa-1', name: 'Vendor advisory' }, 'https://example.com/blog', { url: 'ftp://x' }],
  };
  it('splits CNA and ADP products and turns ranges into advisory versions', () => {
    const { cna, adp } = splitAffected(cve.affected);
    expect(cna).toHaveLength(1);
    expect(adp).toHaveLength(1);
    expect(advisoryVersions(cna[0])).toEqual({ affected: ['vers:semver/>=1.0|<1.4.2'], fixed: ['1.4.2'] });
    expect(advisoryVersions({ source: 'cna', vendor: 'v', product: 'p', versions: [{ version: '0', less_than: '2', status: 'affected' }] })).toEqual({
      affected: ['<2'],
      fixed: ['2'],
    });
  });
  it('drafts an advisory from a CVE', () => {
    const a = advisoryFromCve(cve);
    expect(a.tlp).toBe('TLP:CLEAR');
    expect(a.cves).toEqual(['CVE-2026-0001']);
    expect(a.title).toBe('CVE-2026-0001: Remote code execution in exampled');
    expect(a.products).toEqual([{ vendor: 'ExampleSoft', product: 'exampled', versions_affected: ['vers:semver/>=1.0|<1.4.2'], versions_fixed: ['1.4.2'] }]);
    expect(a.scores).toEqual([{ cve: 'CVE-2026-0001', vector: cve.metrics![0].vector }]);
    expect(a.references).toEqual([
      { url: 'https://example.com/sa-1', summary: 'Vendor advisory', category: 'external' },
      { url: 'https://example.com/blog', summary: 'https://example.com/blog', category: 'external' },
    ]);
  });
  it('diffs advisory content', () => {
    const before = emptyAdvisory();
    const next = { ...before, title: 'T', cves: ['CVE-2026-0001'] };
    expect(diffAdvisory(before, next)).toEqual({ title: 'T', cves: ['CVE-2026-0001'] });
  });
  it('converts between the editor form and the content', () => {
    const content = advisoryFromCve(cve);
    expect(advisoryContentFrom(advisoryFormFrom(content))).toEqual({ ...content, severity: null });
    const form = advisoryFormFrom(emptyAdvisory());
    form.title = ' T ';
    form.cves = ' cve-2026-0001 , ';
    form.products = [
      { vendor: '', product: '', affected: '', fixed: '', cpe: '', purl: '' },
      { vendor: 'ExampleSoft', product: 'exampled', affected: '<1.4.2, 1.5.0\n1.5.1', fixed: '1.4.2', cpe: '', purl: '' },
    ];
    form.scores = [{ cve: '', vector: '' }];
    form.references = [{ url: '', summary: '', category: 'external' }];
    expect(advisoryContentFrom(form)).toMatchObject({
      title: 'T',
      cves: ['CVE-2026-0001'],
      products: [{ vendor: 'ExampleSoft', product: 'exampled', versions_affected: ['<1.4.2', '1.5.0', '1.5.1'], versions_fixed: ['1.4.2'] }],
      scores: [],
      references: [],
    });
  });
  it('names the provider files of a published advisory', () => {
    expect(csafFileName('PK-CERT-2026-0001')).toBe('pk-cert-2026-0001.json');
    expect(csafFileName('ACME SA:01')).toBe('acme_sa_01.json');
    expect(csafTlpFolder('TLP:CLEAR')).toBe('white');
    expect(csafTlpFolder('TLP:AMBER+STRICT')).toBe('amber');
    expect(csafDocumentPath('TLP:CLEAR', '2026-11-28T11:00:00Z', 'PK-CERT-2026-0001')).toBe(
      '/.well-known/csaf/white/2026/pk-cert-2026-0001.json',
    );
    expect(csafDocumentPath('TLP:RED', null, 'X')).toBeNull();
  });
});
