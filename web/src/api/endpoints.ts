// Typed calls of the REST API, one small group per capability.
// New capabilities (incidents, intel, ...) add their own group here or in a sibling file.

import { API_BASE, api, fetchPage, request, setCsrfToken } from './client';
import type {
  Advisory,
  AdvisoryContent,
  ApiToken,
  Asset,
  AssetImportReport,
  AssetInput,
  AuditEntry,
  CvssResult,
  Exposure,
  Finding,
  FindingState,
  MfaSetup,
  NewToken,
  Organisation,
  OrganisationInput,
  Page,
  Role,
  Scope,
  SessionInfo,
  TreeItem,
  User,
  VulnDetail,
  VulnImportReport,
  VulnListItem,
} from './types';

export const auth = {
  async login(username: string, password: string, totp?: string): Promise<SessionInfo> {
    const body: Record<string, string> = { username, password };
    if (totp) body.totp = totp;
    const { data } = await request<SessionInfo>('/auth/login', { method: 'POST', body, authProbe: true });
    setCsrfToken(data.csrf_token);
    return data;
  },
  async me(): Promise<SessionInfo> {
    const { data } = await request<SessionInfo>('/auth/me', { authProbe: true });
    setCsrfToken(data.csrf_token);
    return data;
  },
  async logout(): Promise<void> {
    try {
      await request<void>('/auth/logout', { method: 'POST', authProbe: true });
    } finally {
      setCsrfToken(null);
    }
  },
  mfaSetup: () => api.post<MfaSetup>('/auth/mfa/setup'),
  // A wrong code answers 401 with field "totp": not a lost session.
  mfaEnable: (totp: string) => api.post<void>('/auth/mfa/enable', { totp }, { authProbe: true }),
  mfaDisable: (totp: string) => api.post<void>('/auth/mfa/disable', { totp }, { authProbe: true }),
  async tokens(): Promise<ApiToken[]> {
    const data = await api.get<{ items?: ApiToken[] } | ApiToken[]>('/auth/tokens');
    return Array.isArray(data) ? data : (data.items ?? []);
  },
  /** A token for the signed-in user (session-authenticated; no password needed). */
  createToken: (req: { scopes: Scope[]; expires_in?: number; name?: string }) => api.post<NewToken>('/auth/tokens', req),
  revokeToken: (id: string) => api.del(`/auth/tokens/${encodeURIComponent(id)}`),
};

export const organisations = {
  async tree(): Promise<TreeItem[]> {
    return (await api.get<{ items: TreeItem[] }>('/organisations/tree')).items ?? [];
  },
  /** The organisation and its version tag (from ETag, else the body's version). */
  async get(id: string): Promise<{ org: Organisation; etag: string }> {
    const { data, etag } = await request<Organisation>(`/organisations/${encodeURIComponent(id)}`);
    return { org: data, etag: etag ?? String(data.version) };
  },
  create: (input: OrganisationInput) => api.post<Organisation>('/organisations', input),
  update: (id: string, patch: Partial<OrganisationInput>, etag: string | number | null) =>
    api.patch<Organisation>(`/organisations/${encodeURIComponent(id)}`, patch, etag),
  remove: (id: string) => api.del(`/organisations/${encodeURIComponent(id)}`),
};

export interface UserFilter {
  q?: string;
  role?: Role | '';
  organisation_id?: string;
}

export const users = {
  list: (filter: UserFilter, cursor: string | null, limit = 50) =>
    fetchPage<User>('/users', { ...filter }, cursor, limit),
  create: (req: { username: string; password: string; organisation_id: string; role: Role }) =>
    api.post<User>('/users', req),
  update: (id: string, patch: Partial<{ role: Role; disabled: boolean; password: string; organisation_id: string }>) =>
    api.patch<User>(`/users/${encodeURIComponent(id)}`, patch),
  remove: (id: string) => api.del(`/users/${encodeURIComponent(id)}`),
};

export interface AuditFilter {
  actor?: string;
  object_type?: string;
  object_id?: string;
  action?: string;
  since?: string;
  until?: string;
}

export const audit = {
  list: (filter: AuditFilter, cursor: string | null, limit = 50): Promise<Page<AuditEntry>> =>
    fetchPage<AuditEntry>('/audit', { ...filter }, cursor, limit),
};

// ---- vulnerabilities (docs/openapi.yaml) ---------------------------------------------------

const enc = encodeURIComponent;

export type VulnSort = '-published' | '-cvss' | '-epss';

export interface VulnFilter {
  q?: string;
  kev?: boolean;
  min_cvss?: number | '';
  min_epss?: number | '';
  since?: string;
  product?: string;
  sort?: VulnSort;
}

export type VulnImportKind = 'auto' | 'cve5' | 'nvd' | 'kev' | 'epss';

export const vulns = {
  list: (filter: VulnFilter, cursor: string | null, limit = 50) =>
    fetchPage<VulnListItem>('/vulnerabilities', { ...filter, kev: filter.kev ? true : undefined }, cursor, limit),
  get: (cveId: string) => api.get<VulnDetail>(`/vulnerabilities/${enc(cveId)}`),
  /** The file goes as the body: JSON (CVE 5, NVD, KEV) or CSV (EPSS). */
  import: (file: Blob, kind: VulnImportKind, contentType: string) =>
    api.upload<VulnImportReport>('/vulnerabilities/import', file, contentType, { kind }),
};

export interface AssetFilter {
  organisation_id?: string;
  q?: string;
  criticality?: string;
}

export const assets = {
  list: (filter: AssetFilter, cursor: string | null, limit = 100) => fetchPage<Asset>('/assets', { ...filter }, cursor, limit),
  get: (id: string) => api.get<Asset>(`/assets/${enc(id)}`),
  create: (input: AssetInput) => api.post<Asset>('/assets', input),
  update: (id: string, patch: Partial<AssetInput>, version: string | number | null) =>
    api.patch<Asset>(`/assets/${enc(id)}`, patch, version),
  remove: (id: string) => api.del(`/assets/${enc(id)}`),
  import: (organisationId: string, file: Blob, format: 'csv' | 'cyclonedx', skipBad: boolean) =>
    api.upload<AssetImportReport>(
      '/assets/import',
      file,
      format === 'csv' ? 'text/csv' : 'application/json',
      { organisation_id: organisationId, format, skip_bad: skipBad },
    ),
};

export interface FindingFilter {
  organisation_id?: string;
  state?: FindingState | '';
  status?: 'affected' | 'unknown' | '';
  kev?: boolean;
  cve?: string;
  min_priority?: number | '';
}

export const findings = {
  list: (filter: FindingFilter, cursor: string | null, limit = 50) =>
    fetchPage<Finding>('/findings', { ...filter, kev: filter.kev ? true : undefined }, cursor, limit),
  setState: (id: string, state: 'not_applicable' | 'open', reason: string) =>
    api.patch<Finding>(`/findings/${enc(id)}`, { state, reason }),
};

export const exposure = {
  get: (organisationId?: string) => api.get<Exposure>('/exposure', { organisation_id: organisationId }),
};

export interface AdvisoryFilter {
  status?: 'draft' | 'published' | '';
  q?: string;
}

export const advisories = {
  list: (filter: AdvisoryFilter, cursor: string | null, limit = 50) =>
    fetchPage<Advisory>('/advisories', { ...filter }, cursor, limit),
  get: (id: string) => api.get<Advisory>(`/advisories/${enc(id)}`),
  create: (content: AdvisoryContent) => api.post<Advisory>('/advisories', content),
  update: (id: string, patch: Partial<AdvisoryContent>, version: number) =>
    api.patch<Advisory>(`/advisories/${enc(id)}`, patch, version),
  remove: (id: string) => api.del(`/advisories/${enc(id)}`),
  /** `summary` goes into the revision history ("Initial release" when empty). */
  publish: (id: string, version: number, summary?: string) =>
    api.post<Advisory>(`/advisories/${enc(id)}/publish`, summary ? { summary } : undefined, { ifMatch: version }),
  /** Links for the browser (same origin, the session cookie goes along). */
  csafUrl: (id: string) => `${API_BASE}/advisories/${enc(id)}/csaf`,
  htmlUrl: (id: string, preview = false) => `${API_BASE}/advisories/${enc(id)}/html${preview ? '?preview=1' : ''}`,
};

/** The public CSAF provider files (no authentication for TLP:CLEAR/WHITE). */
export const CSAF_PROVIDER_METADATA = '/.well-known/csaf/provider-metadata.json';
export const CSAF_WHITE_FEED = '/.well-known/csaf/white/csaf-feed-tlp-white.json';

export const cvss = {
  async score(vector: string, signal?: AbortSignal): Promise<CvssResult> {
    const data = await api.get<{ items: CvssResult[] }>('/cvss', { vector }, signal);
    return data.items[0];
  },
};
