// Organisation kinds, the editor's form state, and the mapping of server field errors.

import type { Organisation, OrganisationInput, OrgKind } from '../api/types';

export const KINDS: readonly OrgKind[] = [
  'national_cert',
  'government_cert',
  'cii_cert',
  'sectoral_cert',
  'federal_cert',
  'provincial_cert',
  'organisational_cert',
  'constituent',
  'cert_council',
  'partner_cert',
];

const KIND_LABELS: Record<OrgKind, string> = {
  national_cert: 'National CERT',
  government_cert: 'Government CERT',
  cii_cert: 'CII CERT',
  sectoral_cert: 'Sectoral CERT',
  federal_cert: 'Federal CERT',
  provincial_cert: 'Provincial CERT',
  organisational_cert: 'Organisational CERT',
  constituent: 'Constituent',
  cert_council: 'CERT Council',
  partner_cert: 'Partner CERT',
};

export function kindLabel(kind: string): string {
  return (KIND_LABELS as Record<string, string>)[kind] ?? kind.replace(/_/g, ' ');
}

/** The kind a new child of `parent` most likely has. */
export function defaultChildKind(parent: OrgKind | undefined): OrgKind {
  switch (parent) {
    case 'national_cert':
      return 'sectoral_cert';
    case 'government_cert':
      return 'federal_cert';
    case 'sectoral_cert':
    case 'cii_cert':
    case 'federal_cert':
    case 'provincial_cert':
    case 'organisational_cert':
      return 'constituent';
    default:
      return 'constituent';
  }
}

export const SECTORS: readonly string[] = [
  'banking',
  'finance',
  'telecom',
  'energy',
  'health',
  'defence',
  'government',
  'education',
  'transport',
  'water',
  'media',
  'it',
];

/** The editor's state: lists are edited as text, one entry per line. */
export interface OrgFormState {
  name: string;
  kind: OrgKind;
  parent_id: string;
  sector: string;
  country: string;
  cii: boolean;
  security_email: string;
  abuse_email: string;
  phone: string;
  pgp_key: string;
  prefixes: string;
  asns: string;
  domains: string;
}

export function emptyForm(parentId: string | null, kind: OrgKind, inherit?: { sector?: string; country?: string }): OrgFormState {
  return {
    name: '',
    kind,
    parent_id: parentId ?? '',
    sector: inherit?.sector ?? '',
    country: inherit?.country ?? '',
    cii: false,
    security_email: '',
    abuse_email: '',
    phone: '',
    pgp_key: '',
    prefixes: '',
    asns: '',
    domains: '',
  };
}

export function formFromOrganisation(org: Organisation): OrgFormState {
  return {
    name: org.name,
    kind: org.kind,
    parent_id: org.parent_id ?? '',
    sector: org.sector ?? '',
    country: org.country ?? '',
    cii: !!org.cii,
    security_email: org.contacts?.security_email ?? '',
    abuse_email: org.contacts?.abuse_email ?? '',
    phone: org.contacts?.phone ?? '',
    pgp_key: org.contacts?.pgp_key ?? '',
    prefixes: (org.networks?.prefixes ?? []).join('\n'),
    asns: (org.networks?.asns ?? []).map((a) => `AS${a}`).join('\n'),
    domains: (org.networks?.domains ?? []).join('\n'),
  };
}

/** Entries of a list typed one per line (commas and blanks also separate; empty lines ignored). */
export function parseList(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `64500`, `AS64500` or `as 64500` → 64500; null when not an ASN. */
export function parseAsn(text: string): number | null {
  const m = /^(?:as\s*)?(\d{1,10})$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  return n >= 0 && n <= 4294967295 ? n : null;
}

/** A form field key: a server field path without list index (`networks.prefixes`). */
export type FieldErrors = Record<string, string>;

export interface FormResult {
  input: OrganisationInput | null;
  errors: FieldErrors;
}

/** Converts the form to the API body, with the checks that need no server. */
export function inputFromForm(f: OrgFormState): FormResult {
  const errors: FieldErrors = {};
  const name = f.name.trim();
  if (!name) errors.name = 'Enter a name.';
  const country = f.country.trim().toUpperCase();
  if (country && !/^[A-Z]{2}$/.test(country)) errors.country = 'Use a two-letter ISO 3166 code, e.g. PK.';
  const asnTexts = parseList(f.asns.replace(/\bAS\s+(\d)/gi, 'AS$1'));
  const asns: number[] = [];
  asnTexts.forEach((t, i) => {
    const n = parseAsn(t);
    if (n === null) errors['networks.asns'] ??= `Line ${i + 1}: "${t}" is not an AS number.`;
    else asns.push(n);
  });
  if (Object.keys(errors).length) return { input: null, errors };
  return {
    input: {
      name,
      kind: f.kind,
      parent_id: f.parent_id || null,
      sector: f.sector.trim(),
      country,
      cii: f.cii,
      contacts: {
        security_email: f.security_email.trim(),
        abuse_email: f.abuse_email.trim(),
        phone: f.phone.trim(),
        pgp_key: f.pgp_key.trim(),
      },
      networks: { prefixes: parseList(f.prefixes), asns, domains: parseList(f.domains) },
    },
    errors,
  };
}

/** The top-level keys of `next` that differ from `before` (the PATCH body). */
export function diffInput(before: OrganisationInput, next: OrganisationInput): Partial<OrganisationInput> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(next) as (keyof OrganisationInput)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(next[key])) out[key] = next[key];
  }
  return out as Partial<OrganisationInput>;
}

/** `networks.prefixes[2]` → { key: 'networks.prefixes', index: 2 }; `country` → { key: 'country' }. */
export function parseFieldPath(field: string): { key: string; index?: number } {
  const m = /^(.*?)\[(\d+)\](?:\..*)?$/.exec(field);
  if (m) return { key: m[1], index: Number(m[2]) };
  return { key: field };
}

/**
 * Places a server error next to its field: returns the form key and a message that names
 * the offending line of a list (`Line 1 (10.0.0.0/33): prefix length ...`).
 */
export function fieldErrorFor(field: string, message: string, form: OrgFormState): { key: string; message: string } {
  const { key, index } = parseFieldPath(field);
  if (index === undefined) return { key, message };
  const listText: Record<string, string> = {
    'networks.prefixes': form.prefixes,
    'networks.asns': form.asns,
    'networks.domains': form.domains,
  };
  const text = listText[key];
  const entry = text !== undefined ? parseList(text)[index] : undefined;
  const where = entry !== undefined && !message.includes(entry) ? `Entry ${index + 1} (${entry})` : `Entry ${index + 1}`;
  return { key, message: `${where}: ${message}` };
}

/** Form keys that the editor shows errors next to. */
export const FORM_FIELD_KEYS = [
  'name',
  'kind',
  'parent_id',
  'sector',
  'country',
  'cii',
  'contacts.security_email',
  'contacts.abuse_email',
  'contacts.phone',
  'contacts.pgp_key',
  'networks.prefixes',
  'networks.asns',
  'networks.domains',
] as const;

/** Maps server aliases onto the editor's keys (`parent` → `parent_id`, `prefixes` → `networks.prefixes`). */
export function normaliseFieldKey(key: string): string {
  const aliases: Record<string, string> = {
    parent: 'parent_id',
    prefixes: 'networks.prefixes',
    asns: 'networks.asns',
    domains: 'networks.domains',
    security_email: 'contacts.security_email',
    abuse_email: 'contacts.abuse_email',
    phone: 'contacts.phone',
    pgp_key: 'contacts.pgp_key',
    networks: 'networks.prefixes',
  };
  return aliases[key] ?? key;
}
