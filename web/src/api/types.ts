// Wire types of the Muhafiz REST API v1 (see docs/api-contract.md).

export type Role = 'admin' | 'analyst' | 'reporter' | 'council' | 'partner';
export const ROLES: readonly Role[] = ['admin', 'analyst', 'reporter', 'council', 'partner'];

/** Timestamps arrive as ISO-8601 strings or as integer microseconds since the epoch. */
export type Timestamp = string | number | null;

export interface User {
  id: string;
  username: string;
  organisation_id: string;
  organisation_name?: string;
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
