// Typed calls of the REST API, one small group per capability.
// New capabilities (incidents, intel, ...) add their own group here or in a sibling file.

import { api, fetchPage, request, setCsrfToken } from './client';
import type {
  ApiToken,
  AuditEntry,
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
