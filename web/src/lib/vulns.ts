// Pure helpers of the Vulnerabilities pages: CVSS severities, score and EPSS formatting, CVE 5
// version ranges, tolerant readers of findings, asset and advisory form conversion.

import type {
  AdvisoryContent,
  AdvisoryProduct,
  AffectedProduct,
  AssetInput,
  Asset,
  Criticality,
  CveVersion,
  Finding,
  KevDetails,
  Severity,
  Tlp,
  VulnDetail,
} from '../api/types';

export type SeverityOrUnknown = Severity | 'unknown';

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'none'];

/** CVSS v3/v4 qualitative rating of a score: 0 none, 0.1–3.9 low, 4–6.9 medium, 7–8.9 high, 9–10 critical. */
export function severityFromScore(score: number | null | undefined): SeverityOrUnknown {
  if (score === null || score === undefined || !Number.isFinite(score) || score < 0 || score > 10) return 'unknown';
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

/** "CRITICAL", "High", "moderate"… as one of the five ratings; falls back to the score. */
export function normaliseSeverity(text: string | null | undefined, score?: number | null): SeverityOrUnknown {
  const s = (text ?? '').trim().toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(s)) return s as Severity;
  if (s === 'moderate') return 'medium';
  if (s === 'important') return 'high';
  return severityFromScore(score);
}

export function severityLabel(s: SeverityOrUnknown): string {
  return s === 'unknown' ? 'Unknown' : s.charAt(0).toUpperCase() + s.slice(1);
}

/** A CVSS score with one decimal ("9.8", "10.0"), or an em dash. */
export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined || !Number.isFinite(score)) return '—';
  return score.toFixed(1);
}

/** An EPSS probability (0–1) as a percentage: 0.97123 → "97.12%", 0.00043 → "0.04%". */
export function formatEpss(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  const pct = p * 100;
  if (pct > 0 && pct < 0.01) return '<0.01%';
  return `${pct.toFixed(2)}%`;
}

/** An EPSS percentile (0–1) as "95th" style text. */
export function formatPercentile(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  const n = Math.min(100, Math.max(0, Math.floor(p * 100)));
  const mod100 = n % 100;
  const suffix = mod100 >= 11 && mod100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** KEV arrives as a boolean (lists) or as the catalogue entry / null (detail). */
export function isKev(kev: boolean | KevDetails | null | undefined): boolean {
  return kev === true || (typeof kev === 'object' && kev !== null);
}

export function kevDetails(kev: boolean | KevDetails | null | undefined): KevDetails | null {
  return typeof kev === 'object' && kev !== null ? kev : null;
}

const CVE_RE = /^CVE-\d{4}-\d{4,}$/;

/** " cve-2024-3400 " → "CVE-2024-3400"; null when it is not a CVE id. */
export function normaliseCveId(text: string): string | null {
  const s = text.trim().toUpperCase();
  return CVE_RE.test(s) ? s : null;
}

/** The 1-based position from a CVSS error message ("… at position 13; expected …"). */
export function cvssErrorPosition(message: string): number | null {
  const m = /\bposition (\d+)/i.exec(message);
  if (!m) return null;
  const n = Number(m[1]);
  return n >= 1 ? n : null;
}

/** One CVE 5 version entry as a range: "1.0 ≤ v < 1.4.2", "v ≤ 2.0", "3.1". */
export function versionRangeText(v: CveVersion): string {
  const start = v.version?.trim() ?? '';
  const lt = v.less_than?.trim();
  const le = v.less_than_or_equal?.trim();
  const open = start === '' || start === '0' || start === '*';
  if (lt || le) {
    const end = lt ? `< ${lt === '*' ? '∞' : lt}` : `≤ ${le}`;
    return open ? `v ${end}` : `${start} ≤ v ${end}`;
  }
  return start || '*';
}

/** The CNA's and the ADPs' affected products apart. */
export function splitAffected(affected: readonly AffectedProduct[] | undefined): { cna: AffectedProduct[]; adp: AffectedProduct[] } {
  const cna: AffectedProduct[] = [];
  const adp: AffectedProduct[] = [];
  for (const a of affected ?? []) (String(a.source).toLowerCase() === 'cna' ? cna : adp).push(a);
  return { cna, adp };
}

/** The asset of a finding, nested ({asset:{…}}) or flat (asset_id, asset_name). */
export function findingAsset(f: Finding): { id: string; name: string; version: string } {
  return {
    id: f.asset?.id ?? f.asset_id ?? '',
    name: f.asset?.name ?? f.asset_name ?? '',
    version: f.asset?.version ?? '',
  };
}

/** The organisation of a finding; `names` supplies the name when only the id came. */
export function findingOrganisation(f: Finding, names?: ReadonlyMap<string, string>): { id: string; name: string } {
  const id = f.organisation?.id ?? f.organisation_id ?? '';
  return { id, name: f.organisation?.name ?? names?.get(id) ?? id };
}

export function findingSeverity(f: Finding): SeverityOrUnknown {
  return normaliseSeverity(f.severity, f.cvss);
}

/** The If-Match version of an asset (draft: version_row; store: row_version). */
export function assetVersion(a: Asset): number | null {
  return a.version_row ?? a.row_version ?? null;
}

/** How an asset is identified, for a table cell. */
export function assetIdentification(a: Pick<Asset, 'cpe' | 'purl' | 'vendor' | 'product' | 'version'>): string {
  if (a.cpe) return a.cpe;
  if (a.purl) return a.purl;
  return [a.vendor, a.product, a.version].filter(Boolean).join(' ') || '—';
}

export interface AssetForm {
  name: string;
  cpe: string;
  purl: string;
  vendor: string;
  product: string;
  version: string;
  location: string;
  criticality: Criticality;
}

export function emptyAssetForm(): AssetForm {
  return { name: '', cpe: '', purl: '', vendor: '', product: '', version: '', location: '', criticality: 'medium' };
}

export function assetFormFrom(a: Asset): AssetForm {
  return {
    name: a.name ?? '',
    cpe: a.cpe ?? '',
    purl: a.purl ?? '',
    vendor: a.vendor ?? '',
    product: a.product ?? '',
    version: a.version ?? '',
    location: a.location ?? '',
    criticality: a.criticality ?? 'medium',
  };
}

/**
 * The POST/PATCH body of an asset form, or the errors by field. A name is required, and a CPE, a
 * purl or vendor + product (the server checks the forms in detail).
 */
export function assetInputFromForm(f: AssetForm): { input: AssetInput | null; errors: Record<string, string> } {
  const t = (s: string) => s.trim();
  const errors: Record<string, string> = {};
  if (!t(f.name)) errors.name = 'Enter a name.';
  const cpe = t(f.cpe);
  const purl = t(f.purl);
  const vendor = t(f.vendor);
  const product = t(f.product);
  if (cpe && !cpe.toLowerCase().startsWith('cpe:')) errors.cpe = 'A CPE name starts with cpe:2.3: (or cpe:/).';
  if (purl && !purl.toLowerCase().startsWith('pkg:')) errors.purl = 'A package URL starts with pkg:.';
  if (vendor && !product) errors.product = 'Enter the product too.';
  if (product && !vendor) errors.vendor = 'Enter the vendor too.';
  if (!cpe && !purl && !vendor && !product) errors.cpe = 'Give a CPE, a purl, or vendor, product and version.';
  if (Object.keys(errors).length) return { input: null, errors };
  return {
    input: {
      name: t(f.name),
      cpe,
      purl,
      vendor,
      product,
      version: t(f.version),
      location: t(f.location),
      criticality: f.criticality,
    },
    errors,
  };
}

/** "csv" for .csv files, else CycloneDX JSON. */
export function assetImportFormat(fileName: string): 'csv' | 'cyclonedx' {
  return /\.csv$/i.test(fileName) ? 'csv' : 'cyclonedx';
}

/** The import kind and content type of a vulnerability data file. */
export function vulnImportGuess(fileName: string): { kind: 'auto' | 'epss'; contentType: string } {
  if (/\.csv(\.gz)?$/i.test(fileName)) return { kind: 'epss', contentType: 'text/csv' };
  return { kind: 'auto', contentType: 'application/json' };
}

/** Splits a list typed as lines or commas; blanks dropped, order kept, duplicates removed. */
export function parseList(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(/[\n,]/)) {
    const s = part.trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

// ---- advisories ------------------------------------------------------------------------------

export function tlpClass(tlp: string): string {
  return `tlp-${tlp.replace(/^TLP:/i, '').replace('+', '-').toLowerCase()}`;
}

export function emptyAdvisory(tlp: Tlp = 'TLP:AMBER'): AdvisoryContent {
  return {
    title: '',
    summary: '',
    tlp,
    severity: null,
    cves: [],
    products: [],
    scores: [],
    remediation: [],
    references: [],
    notes: '',
  };
}

/** The vers scheme of a CVE 5 versionType ("semver" → semver; custom, git… → generic). */
function versScheme(versionType: string | null | undefined): string {
  const t = (versionType ?? '').toLowerCase();
  return ['semver', 'npm', 'pypi', 'maven', 'gem', 'deb', 'rpm', 'nuget', 'golang', 'cargo'].includes(t) ? t : 'generic';
}

/**
 * Affected versions of a CVE 5 product as advisory version texts: "<1.4.2", "<=2.0", a single
 * version, or a vers range for a bounded interval ("vers:semver/>=1.0|<1.4.2"); `lessThan`
 * bounds are offered as fixed versions.
 */
export function advisoryVersions(a: AffectedProduct): { affected: string[]; fixed: string[] } {
  const affected: string[] = [];
  const fixed: string[] = [];
  const add = (list: string[], v: string) => {
    if (!list.includes(v)) list.push(v);
  };
  for (const v of a.versions ?? []) {
    if (v.status !== 'affected') continue;
    const start = v.version?.trim() ?? '';
    const open = start === '' || start === '0' || start === '*';
    const scheme = versScheme(v.version_type);
    if (v.less_than && v.less_than !== '*') {
      add(affected, open ? `<${v.less_than}` : `vers:${scheme}/>=${start}|<${v.less_than}`);
      add(fixed, v.less_than);
    } else if (v.less_than_or_equal) {
      add(affected, open ? `<=${v.less_than_or_equal}` : `vers:${scheme}/>=${start}|<=${v.less_than_or_equal}`);
    } else if (start) {
      add(affected, start);
    }
  }
  return { affected, fixed: fixed.filter((f) => !affected.includes(f)) };
}

/** A draft advisory for one CVE: title, summary, the CNA's products and the CVSS vectors. */
export function advisoryFromCve(v: VulnDetail, tlp: Tlp = 'TLP:CLEAR'): AdvisoryContent {
  const { cna, adp } = splitAffected(v.affected);
  const products: AdvisoryProduct[] = [];
  for (const a of cna.length ? cna : adp) {
    const { affected, fixed } = advisoryVersions(a);
    if (!a.vendor || !a.product || affected.length === 0) continue;
    if (products.some((p) => p.vendor === a.vendor && p.product === a.product)) continue;
    products.push({ vendor: a.vendor, product: a.product, versions_affected: affected, versions_fixed: fixed });
  }
  const vectors: string[] = [];
  for (const m of v.metrics ?? []) if (m.vector && !vectors.includes(m.vector)) vectors.push(m.vector);
  if (vectors.length === 0 && v.cvss?.vector) vectors.push(v.cvss.vector);
  return {
    ...emptyAdvisory(tlp),
    title: v.title ? `${v.cve_id}: ${v.title}` : v.cve_id,
    summary: v.description ?? '',
    cves: [v.cve_id],
    products,
    // One vector per CVE (CSAF keeps one score set per product and CVE): the first, usually the CNA's.
    scores: vectors.slice(0, 1).map((vector) => ({ cve: v.cve_id, vector })),
    // The CVE record's own link is added by the server; these are the record's references.
    references: (v.references ?? [])
      .map((r) => (typeof r === 'string' ? { url: r, summary: r } : { url: r.url, summary: r.name || r.url }))
      .filter((r) => /^https?:\/\//i.test(r.url))
      .slice(0, 10)
      .map((r) => ({ ...r, category: 'external' })),
  };
}

/** The PATCH body: only the fields that differ (JSON comparison). */
export function diffAdvisory(before: AdvisoryContent, next: AdvisoryContent): Partial<AdvisoryContent> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(next) as (keyof AdvisoryContent)[]) {
    if (JSON.stringify(before[key] ?? null) !== JSON.stringify(next[key] ?? null)) out[key] = next[key];
  }
  return out as Partial<AdvisoryContent>;
}

/** The editable part of an advisory as the server answered it. */
export function advisoryContent(a: AdvisoryContent): AdvisoryContent {
  return {
    title: a.title ?? '',
    summary: a.summary ?? '',
    tlp: a.tlp ?? 'TLP:AMBER',
    severity: a.severity ?? null,
    cves: a.cves ?? [],
    products: (a.products ?? []).map((p) => ({
      vendor: p.vendor ?? '',
      product: p.product ?? '',
      versions_affected: p.versions_affected ?? [],
      versions_fixed: p.versions_fixed ?? [],
      ...(p.cpe ? { cpe: p.cpe } : {}),
      ...(p.purl ? { purl: p.purl } : {}),
    })),
    scores: a.scores ?? [],
    remediation: (a.remediation ?? []).map((r) => ({
      category: r.category,
      details: r.details ?? '',
      ...(r.url ? { url: r.url } : {}),
      ...(r.products && r.products.length ? { products: r.products } : {}),
    })),
    references: a.references ?? [],
    notes: a.notes ?? '',
  };
}

/** "products[1].vendor" → { key: "products", index: 1, rest: "vendor" }. */
export function parseFieldPath(field: string): { key: string; index?: number; rest?: string } {
  const m = /^([a-z_]+)(?:\[(\d+)\])?(?:\.(.+))?$/i.exec(field);
  if (!m) return { key: field };
  return { key: m[1], ...(m[2] !== undefined ? { index: Number(m[2]) } : {}), ...(m[3] ? { rest: m[3] } : {}) };
}

/** The advisory editor's state: lists typed as text, rows as they are being filled in. */
export interface AdvisoryForm {
  title: string;
  summary: string;
  tlp: Tlp;
  severity: string;
  cves: string;
  products: { vendor: string; product: string; affected: string; fixed: string; cpe: string; purl: string }[];
  scores: { cve: string; vector: string }[];
  remediation: { category: AdvisoryContent['remediation'][number]['category']; details: string; url: string; products: string[] }[];
  references: { url: string; summary: string; category: string }[];
  notes: string;
}

const joinList = (xs: readonly string[] | undefined) => (xs ?? []).join(', ');

/** Version lists are typed comma-separated (a vers range holds no comma). */
export function splitVersions(text: string): string[] {
  return parseList(text.replace(/\n/g, ','));
}

export function advisoryFormFrom(c: AdvisoryContent): AdvisoryForm {
  return {
    title: c.title ?? '',
    summary: c.summary ?? '',
    tlp: c.tlp ?? 'TLP:AMBER',
    severity: c.severity ?? '',
    cves: joinList(c.cves),
    products: (c.products ?? []).map((p) => ({
      vendor: p.vendor ?? '',
      product: p.product ?? '',
      affected: joinList(p.versions_affected),
      fixed: joinList(p.versions_fixed),
      cpe: p.cpe ?? '',
      purl: p.purl ?? '',
    })),
    scores: (c.scores ?? []).map((s) => ({ cve: s.cve, vector: s.vector })),
    remediation: (c.remediation ?? []).map((r) => ({ category: r.category, details: r.details ?? '', url: r.url ?? '', products: r.products ?? [] })),
    references: (c.references ?? []).map((r) => ({ url: r.url, summary: r.summary ?? '', category: r.category || 'external' })),
    notes: c.notes ?? '',
  };
}

/** The JSON content of the editor's state; rows left entirely blank are dropped. */
export function advisoryContentFrom(f: AdvisoryForm): AdvisoryContent {
  return {
    title: f.title.trim(),
    summary: f.summary.trim(),
    tlp: f.tlp,
    severity: f.severity || null,
    cves: parseList(f.cves).map((s) => s.toUpperCase()),
    products: f.products
      .filter((p) => p.vendor.trim() || p.product.trim() || p.affected.trim() || p.fixed.trim())
      .map((p) => ({
        vendor: p.vendor.trim(),
        product: p.product.trim(),
        versions_affected: splitVersions(p.affected),
        versions_fixed: splitVersions(p.fixed),
        ...(p.cpe.trim() ? { cpe: p.cpe.trim() } : {}),
        ...(p.purl.trim() ? { purl: p.purl.trim() } : {}),
      })),
    scores: f.scores
      .filter((s) => s.cve.trim() || s.vector.trim())
      .map((s) => ({ cve: s.cve.trim().toUpperCase(), vector: s.vector.trim() })),
    remediation: f.remediation
      .filter((r) => r.details.trim() || r.url.trim())
      .map((r) => ({
        category: r.category,
        details: r.details.trim(),
        ...(r.url.trim() ? { url: r.url.trim() } : {}),
        ...(r.products.length ? { products: r.products } : {}),
      })),
    references: f.references
      .filter((r) => r.url.trim())
      .map((r) => ({ url: r.url.trim(), summary: r.summary.trim(), category: r.category || 'external' })),
    notes: f.notes,
  };
}

/** The file name of a CSAF document: the tracking id in lower case, other characters as '_'. */
export function csafFileName(trackingId: string): string {
  return `${trackingId.toLowerCase().replace(/[^a-z0-9+-]+/g, '_')}.json`;
}

/** CSAF 2.0 knows TLP 1.0: CLEAR is WHITE, AMBER+STRICT is AMBER. */
export function csafTlpFolder(tlp: string): string {
  const t = tlp.replace(/^TLP:/i, '').toUpperCase();
  if (t === 'CLEAR' || t === 'WHITE') return 'white';
  if (t === 'AMBER+STRICT') return 'amber';
  return t.toLowerCase();
}

/** Where the provider serves a published document: /.well-known/csaf/<tlp>/<year>/<file>. */
export function csafDocumentPath(tlp: string, initialRelease: string | null | undefined, trackingId: string): string | null {
  const year = initialRelease ? /^(\d{4})/.exec(String(initialRelease))?.[1] : undefined;
  if (!year || !trackingId) return null;
  return `/.well-known/csaf/${csafTlpFolder(tlp)}/${year}/${csafFileName(trackingId)}`;
}
