// Intel helpers for the UI: TLP and audience labels, what a sharing choice means, whether a change
// widens sharing, and parsing pasted indicators ("type value" or a bare value whose type is
// guessed). The server normalises and validates; this only prepares the request.

import type { Audience, IndicatorInput, IndicatorType, Tlp } from '../api/intel';

export const TLPS: readonly Tlp[] = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'];
export const AUDIENCES: readonly Audience[] = ['organisation', 'cert', 'sector', 'national', 'partners'];
export const INDICATOR_TYPES: readonly IndicatorType[] = [
  'ipv4', 'ipv6', 'cidr', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'sha512', 'asn', 'x509',
];

export const AUDIENCE_LABELS: Record<Audience, string> = {
  organisation: 'My organisation only',
  cert: 'My CERT and its constituents',
  sector: 'My sector',
  national: 'The whole constituency',
  partners: 'The constituency and partner CERTs abroad',
};

export const TLP_HELP: Record<Tlp, string> = {
  'TLP:CLEAR': 'Anyone, partners and the public TAXII collection included.',
  'TLP:GREEN': 'The whole audience community.',
  'TLP:AMBER': 'The recipients and their children (named recipients, else the audience).',
  'TLP:AMBER+STRICT': 'The recipient organisations themselves only.',
  'TLP:RED': 'Named recipients only.',
};

/** One sentence about who receives an event. */
export function describeSharing(tlp: Tlp, audience: Audience): string {
  if (tlp === 'TLP:CLEAR') return 'Anyone (TLP:CLEAR ignores the audience).';
  if (tlp === 'TLP:RED') return 'Named recipients only.';
  return `${AUDIENCE_LABELS[audience]} — ${TLP_HELP[tlp]}`;
}

/** True when going from a to b shares more widely (wider audience or less restrictive TLP). */
export function isWidening(a: { tlp: Tlp; audience: Audience }, b: { tlp: Tlp; audience: Audience }): boolean {
  return AUDIENCES.indexOf(b.audience) > AUDIENCES.indexOf(a.audience) || TLPS.indexOf(b.tlp) < TLPS.indexOf(a.tlp);
}

/** The CSS class of a TLP badge. */
export function tlpTone(tlp: string): string {
  const t = tlp.toUpperCase();
  if (t.includes('RED')) return 'tlp-red';
  if (t.includes('AMBER')) return 'tlp-amber';
  if (t.includes('GREEN')) return 'tlp-green';
  return 'tlp-clear';
}

/** The likely type of a bare value. */
export function guessType(value: string): IndicatorType | null {
  const v = value.trim();
  if (/^(\d{1,3}\.){3}\d{1,3}$/.test(v)) return 'ipv4';
  if (/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(v) || /^[0-9a-f:]+\/\d{1,3}$/i.test(v)) return 'cidr';
  if (v.includes(':') && /^[0-9a-f:.]+$/i.test(v)) return 'ipv6';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return 'url';
  if (/^[^@\s]+@[^@\s]+$/.test(v)) return 'email';
  if (/^as\d+$/i.test(v)) return 'asn';
  if (/^[0-9a-f]+$/i.test(v)) {
    return ({ 32: 'md5', 40: 'sha1', 64: 'sha256', 128: 'sha512' } as Record<number, IndicatorType>)[v.length] ?? null;
  }
  if (/^[^\s/]+\.[^\s/]+$/.test(v)) return 'domain';
  return null;
}

export interface ParsedIndicators {
  indicators: IndicatorInput[];
  errors: string[];
}

/** Lines of "type value" or bare values; blank lines and # comments are skipped. */
export function parseIndicatorLines(text: string): ParsedIndicators {
  const out: ParsedIndicators = { indicators: [], errors: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [first, ...rest] = line.split(/\s+/);
    if (rest.length > 0 && (INDICATOR_TYPES as readonly string[]).includes(first.toLowerCase())) {
      out.indicators.push({ type: first.toLowerCase() as IndicatorType, value: rest.join(' ') });
      return;
    }
    const type = guessType(line);
    if (type) out.indicators.push({ type, value: line });
    else out.errors.push(`line ${i + 1}: cannot tell the type of "${line}" (write "type value")`);
  });
  return out;
}

/** "ATT&CK" technique ids among tags (T1566, T1566.001). */
export function attackTechniques(tags: readonly string[]): string[] {
  return tags.filter((t) => /^T\d{4}(\.\d{3})?$/.test(t));
}

export function splitTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
}
