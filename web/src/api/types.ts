// Wire types of the Muhafiz REST API v1 (see docs/openapi.yaml).

export type Role = 'admin' | 'analyst' | 'reporter' | 'council' | 'partner';
export const ROLES: readonly Role[] = ['admin', 'analyst', 'reporter', 'council', 'partner'];

/** Timestamps arrive as ISO-8601 strings or as integer microseconds since the epoch. */
export type Timestamp = string | number | null;

export interface User {
  id: string;
  username: string;
  organisation_id: string;
  organisation_name?: string;
  organisation_kind?: OrgKind;
  role: Role;
  mfa_enabled: boolean;
  disabled: boolean;
  created_at?: Timestamp;
  last_login_at?: Timestamp;
}

export interface SessionInfo {
  user: User;
  csrf_token: string;
  /** The account must enrol MFA before it may do anything else (only MFA set-up and /auth/me answer). */
  mfa_enrolment_required?: boolean;
}

export type OrgKind =
  | 'national_cert'
  | 'government_cert'
  | 'cii_cert'
  | 'sectoral_cert'
  | 'federal_cert'
  | 'provincial_cert'
  | 'organisational_cert'
  | 'constituent'
  | 'cert_council'
  | 'partner_cert';

export interface Contacts {
  security_email: string;
  abuse_email: string;
  phone: string;
  pgp_key: string;
}

export interface Networks {
  prefixes: string[];
  asns: number[];
  domains: string[];
}

export interface Organisation {
  id: string;
  name: string;
  kind: OrgKind;
  parent_id: string | null;
  sector: string;
  country: string;
  cii: boolean;
  contacts: Contacts;
  networks: Networks;
  path_names?: string[];
  children_count?: number;
  created_at?: Timestamp;
  updated_at?: Timestamp;
  version: number;
}

/** The writable part of an organisation (POST body, PATCH body). */
export type OrganisationInput = Pick<
  Organisation,
  'name' | 'kind' | 'parent_id' | 'sector' | 'country' | 'cii' | 'contacts' | 'networks'
>;

/** One row of GET /organisations/tree. */
export interface TreeItem {
  id: string;
  name: string;
  kind: OrgKind;
  parent_id: string | null;
  sector?: string;
  country?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  next: string | null;
  /** Set when the server stopped counting at `total` (a search with very many matches). */
  total_capped?: boolean;
}

export interface AuditEntry {
  id: string;
  at: Timestamp;
  actor: string;
  actor_id: string | null;
  organisation_id: string | null;
  address: string;
  action: string;
  object_type: string;
  object_id: string | null;
  before: unknown;
  after: unknown;
  hash: string;
}

export type Scope = 'read' | 'write' | 'admin';

export interface ApiToken {
  id: string;
  name?: string;
  scopes?: Scope[];
  created_at?: Timestamp;
  expires_at?: Timestamp;
  last_used_at?: Timestamp;
  revoked_at?: Timestamp;
}

export interface NewToken {
  token: string;
  id: string;
  expires_at: Timestamp;
}

export interface MfaSetup {
  secret: string;
  otpauth_uri: string;
}

export interface Health {
  status: string;
  version: string;
  database: string;
}

// ---- vulnerabilities (docs/openapi.yaml) -------------------------------------------------

/** Lower-case CVSS qualitative rating; the server may send upper case ("CRITICAL"). */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'none';

export interface CvssSummary {
  score: number | null;
  severity: string;
  vector: string;
  source?: string;
}

/** One row of GET /vulnerabilities. */
export interface VulnListItem {
  cve_id: string;
  title: string;
  description?: string;
  state?: string;
  published?: Timestamp;
  updated?: Timestamp;
  cvss: CvssSummary | null;
  epss: number | null;
  epss_percentile?: number | null;
  kev: boolean | KevDetails | null;
  exposed_organisations?: number;
}

export interface CveVersion {
  version: string;
  less_than?: string | null;
  less_than_or_equal?: string | null;
  status: string;
  version_type?: string | null;
}

export interface AffectedProduct {
  source: 'cna' | 'adp' | string;
  vendor: string;
  product: string;
  package_name?: string | null;
  collection_url?: string | null;
  cpes?: string[];
  default_status?: string | null;
  versions: CveVersion[];
}

export interface CvssMetric {
  source: string;
  vector: string;
  score: number | null;
  severity: string;
}

export interface KevDetails {
  date_added?: Timestamp;
  due_date?: Timestamp;
  required_action?: string;
  known_ransomware?: string | boolean | null;
}

export interface OrgRef {
  id: string;
  name: string;
}

export interface ExposureEntry {
  finding_id: string;
  organisation: OrgRef;
  asset: { id: string; name: string; version?: string };
  status: 'affected' | 'unknown' | string;
  reason: string;
  state: FindingState | string;
}

/** GET /vulnerabilities/{cve_id}: the list item plus the details. */
export interface VulnDetail extends VulnListItem {
  affected?: AffectedProduct[];
  metrics?: CvssMetric[];
  cwes?: (string | { id?: string; cwe_id?: string; description?: string; name?: string })[];
  references?: (string | { url: string; name?: string; tags?: string[] })[];
  exposure?: ExposureEntry[];
}

export interface VulnImportReport {
  files: number;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  older?: number;
  rejected: number;
  skipped?: number;
  seconds: number;
  problems?: { record: string; reason: string }[];
  /** CVEs matched against the assets again after the import, and the findings that came of it. */
  matched_cves?: number;
  new_findings?: number;
}

export type Criticality = 'low' | 'medium' | 'high' | 'critical';
export const CRITICALITIES: readonly Criticality[] = ['low', 'medium', 'high', 'critical'];

export interface Asset {
  id: string;
  organisation_id: string;
  organisation_name?: string;
  name: string;
  cpe: string;
  purl: string;
  vendor: string;
  product: string;
  version: string;
  location: string;
  criticality: Criticality;
  findings?: number;
  created_at?: Timestamp;
  updated_at?: Timestamp;
  /** The If-Match version (the draft names it version_row, the store row_version). */
  version_row?: number;
  row_version?: number;
}

/** POST /assets body; PATCH takes any part of it. */
export interface AssetInput {
  organisation_id?: string;
  name: string;
  cpe?: string;
  purl?: string;
  vendor?: string;
  product?: string;
  version?: string;
  location?: string;
  criticality?: Criticality;
}

export interface AssetImportReport {
  entries: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped?: number;
  problems: { line: number; field?: string; message: string }[];
  committed: boolean;
}

export type FindingState = 'open' | 'not_applicable' | 'resolved';

export interface Finding {
  id: string;
  cve_id: string;
  title?: string;
  /** Nested as in the contract; the store's flat asset_id/asset_name are accepted too (lib/vulns). */
  asset?: { id: string; name: string; version?: string; cpe?: string; purl?: string };
  asset_id?: string;
  asset_name?: string;
  organisation?: OrgRef;
  organisation_id?: string;
  status: 'affected' | 'unknown' | string;
  source: 'cna' | 'adp' | 'nvd' | string;
  reason: string;
  priority: number;
  cvss: number | null;
  severity?: string | null;
  epss: number | null;
  kev: boolean;
  state: FindingState;
  state_reason?: string;
  first_seen?: Timestamp;
  last_seen?: Timestamp;
}

export interface SeverityCounts {
  critical: number;
  high: number;
  medium?: number;
  low?: number;
  none?: number;
  unknown?: number;
}

export interface Exposure {
  organisation: OrgRef;
  totals: SeverityCounts & { findings: number; kev: number };
  by_organisation: ({ organisation: OrgRef & { kind?: OrgKind; sector?: string }; findings: number; kev: number } & SeverityCounts)[];
  by_sector: ({ sector: string; findings: number; kev: number } & SeverityCounts)[];
}

export type Tlp = 'TLP:CLEAR' | 'TLP:GREEN' | 'TLP:AMBER' | 'TLP:AMBER+STRICT' | 'TLP:RED';
export const TLPS: readonly Tlp[] = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'];

export type RemediationCategory = 'vendor_fix' | 'workaround' | 'mitigation' | 'none_available' | 'no_fix_planned';
export const REMEDIATION_CATEGORIES: readonly RemediationCategory[] = [
  'vendor_fix',
  'workaround',
  'mitigation',
  'none_available',
  'no_fix_planned',
];

export interface AdvisoryProduct {
  vendor: string;
  product: string;
  versions_affected: string[];
  versions_fixed: string[];
  cpe?: string | null;
  purl?: string | null;
}

export interface AdvisoryContent {
  title: string;
  summary: string;
  tlp: Tlp;
  severity?: string | null;
  cves: string[];
  products: AdvisoryProduct[];
  scores: { cve: string; vector: string }[];
  remediation: { category: RemediationCategory; details: string; url?: string | null; products?: string[] }[];
  references: { url: string; summary: string; category: 'external' | 'self' | string }[];
  notes: string;
}

export interface Advisory extends AdvisoryContent {
  id: string;
  tracking_id: string | null;
  status: 'draft' | 'published';
  organisation_id: string;
  /** The server's name; the draft contract said revision_history. */
  revisions?: { number: number; date: Timestamp; summary: string }[];
  revision_history?: { number: number; date: Timestamp; summary: string }[];
  pending_changes?: boolean;
  created_at?: Timestamp;
  updated_at?: Timestamp;
  version: number;
}

/** One item of GET /cvss. */
export interface CvssResult {
  vector: string;
  version: string;
  score: number | null;
  severity: string;
  nomenclature?: string;
  base?: number | null;
  temporal?: number | null;
  threat?: number | null;
  environmental?: number | null;
}
