// The one HTTP client of the UI: a thin fetch wrapper around /api/v1.
//
// - Sends cookies (credentials: 'same-origin') and, on every non-GET request, the
//   X-CSRF-Token header (the token from the login or /auth/me answer, else the
//   `muhafiz_csrf` cookie so that a reloaded page recovers it).
// - Turns the error envelope {"error":{"code","message","field"}} into an ApiError.
// - On 401 calls the handler installed with onUnauthorized (the app sends the user
//   to the log-in page), except for requests marked `authProbe` (login, me) and for 401s that
//   name a field (`{"field":"totp"}`: a wrong code in a valid session).

import type { Page } from './types';

export const API_BASE = '/api/v1';
export const CSRF_COOKIE = 'muhafiz_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

/** An error answered by the server (or a failure to reach it: status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The input field the server blames, e.g. `networks.prefixes[0]` or `country`. */
  readonly field: string | undefined;
  /** Seconds to wait, from Retry-After on 429/503. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, field?: string, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

const STATUS_CODES: Record<number, string> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  500: 'internal',
  502: 'unavailable',
  503: 'unavailable',
  504: 'unavailable',
};

const STATUS_MESSAGES: Record<string, string> = {
  unauthenticated: 'You are not signed in.',
  permission_denied: 'You do not have permission to do this.',
  not_found: 'Not found.',
  conflict: 'The request conflicts with the current state.',
  precondition_failed: 'Someone else changed this record. Reload it and try again.',
  too_many_requests: 'Too many attempts. Wait a moment and try again.',
  unavailable: 'The server is unavailable. Try again shortly.',
  internal: 'The server failed to handle the request.',
};

/**
 * Builds an ApiError from a status and the (possibly empty or non-JSON) body text.
 * Exported for tests.
 */
export function errorFromResponse(status: number, bodyText: string, retryAfterHeader?: string | null): ApiError {
  const fallbackCode = STATUS_CODES[status] ?? (status >= 500 ? 'internal' : 'invalid_argument');
  let code = fallbackCode;
  let message = '';
  let field: string | undefined;
  if (bodyText) {
    try {
      const parsed: unknown = JSON.parse(bodyText);
      const err = (parsed as { error?: unknown } | null)?.error;
      if (err && typeof err === 'object') {
        const e = err as Record<string, unknown>;
        if (typeof e.code === 'string' && e.code) code = e.code;
        if (typeof e.message === 'string') message = e.message;
        if (typeof e.field === 'string' && e.field) field = e.field;
      }
    } catch {
      // Not JSON (a proxy's HTML page, say): keep the generic message.
    }
  }
  if (!message) message = STATUS_MESSAGES[code] ?? STATUS_MESSAGES[fallbackCode] ?? `Request failed (HTTP ${status}).`;
  let retryAfter: number | undefined;
  if (retryAfterHeader) {
    const n = Number(retryAfterHeader);
    if (Number.isFinite(n) && n >= 0) retryAfter = n;
  }
  return new ApiError(status, code, message, field, retryAfter);
}

// ---- CSRF token -------------------------------------------------------------

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token || null;
}

/** Reads one cookie from a `document.cookie`-style string. */
export function readCookie(name: string, cookies: string | undefined = currentCookies()): string | null {
  if (!cookies) return null;
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      let value = part.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return null;
}

function currentCookies(): string | undefined {
  return typeof document === 'undefined' ? undefined : document.cookie;
}

export function getCsrfToken(): string | null {
  return csrfToken ?? readCookie(CSRF_COOKIE);
}

// ---- 401 handling -----------------------------------------------------------

type UnauthorizedHandler = (error: ApiError) => void;
let unauthorizedHandler: UnauthorizedHandler | null = null;

/** Installs the handler called when a request answers 401; returns an uninstaller. */
export function onUnauthorized(handler: UnauthorizedHandler): () => void {
  unauthorizedHandler = handler;
  return () => {
    if (unauthorizedHandler === handler) unauthorizedHandler = null;
  };
}

// ---- requests ---------------------------------------------------------------

export type QueryValue = string | number | boolean | null | undefined;
export type Query = Record<string, QueryValue>;

/** `?a=1&b=x` from the non-empty values of `query` ('' when none). */
export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.append(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  query?: Query;
  body?: unknown;
  /** A file or text sent as is (an upload), with `contentType`; takes the place of `body`. */
  rawBody?: Blob | string;
  contentType?: string;
  /** Sent as `If-Match`; a bare version is quoted. */
  ifMatch?: string | number | null;
  signal?: AbortSignal;
  /** A 401 here is an answer, not a lost session (login, me): do not redirect. */
  authProbe?: boolean;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  etag: string | null;
}

export function quoteEtag(v: string | number): string {
  const s = String(v);
  return s.startsWith('"') || s.startsWith('W/') ? s : `"${s}"`;
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: string | Blob | undefined;
  if (opts.rawBody !== undefined) {
    headers['Content-Type'] = opts.contentType || 'application/octet-stream';
    body = opts.rawBody;
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (method !== 'GET') {
    const token = getCsrfToken();
    if (token) headers[CSRF_HEADER] = token;
  }
  if (opts.ifMatch !== undefined && opts.ifMatch !== null && opts.ifMatch !== '') {
    headers['If-Match'] = quoteEtag(opts.ifMatch);
  }
  const url = `${API_BASE}${path}${buildQuery(opts.query)}`;

  let response: Response;
  try {
    response = await fetch(url, { method, headers, body, credentials: 'same-origin', signal: opts.signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', 'Cannot reach the Muhafiz server. Check your connection.');
  }

  const text = response.status === 204 ? '' : await response.text();
  if (!response.ok) {
    const error = errorFromResponse(response.status, text, response.headers.get('Retry-After'));
    // A 401 that names a field (a wrong one-time code, say) is about the input, not a lost session.
    if (response.status === 401 && !opts.authProbe && !error.field && unauthorizedHandler) unauthorizedHandler(error);
    throw error;
  }
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'bad_response', 'The server sent an answer that is not JSON.');
    }
  }
  return { data: data as T, status: response.status, etag: response.headers.get('ETag') };
}

export const api = {
  async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return (await request<T>(path, { query, signal })).data;
  },
  async post<T>(path: string, body?: unknown, opts: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<T> {
    return (await request<T>(path, { ...opts, method: 'POST', body })).data;
  },
  async patch<T>(path: string, body: unknown, ifMatch?: string | number | null): Promise<T> {
    return (await request<T>(path, { method: 'PATCH', body, ifMatch })).data;
  },
  async del(path: string, ifMatch?: string | number | null): Promise<void> {
    await request<void>(path, { method: 'DELETE', ifMatch });
  },
  /** POSTs a file (or text) as the request body, e.g. an import. */
  async upload<T>(path: string, file: Blob | string, contentType: string, query?: Query): Promise<T> {
    return (await request<T>(path, { method: 'POST', query, rawBody: file, contentType })).data;
  },
};

// ---- cursor pagination ------------------------------------------------------

export const MAX_PAGE_SIZE = 500;

/** One page of a list endpoint. */
export async function fetchPage<T>(
  path: string,
  query: Query = {},
  cursor: string | null = null,
  limit = 50,
  signal?: AbortSignal,
): Promise<Page<T>> {
  const data = await api.get<Partial<Page<T>>>(
    path,
    { ...query, cursor: cursor ?? undefined, limit: Math.min(Math.max(limit, 1), MAX_PAGE_SIZE) },
    signal,
  );
  const items = data.items ?? [];
  return { items, total: data.total ?? items.length, next: data.next ?? null };
}

/** Every item of a list endpoint, page after page, stopping after `max` items. */
export async function* paginate<T>(path: string, query: Query = {}, pageSize = 200, max = Infinity): AsyncGenerator<T> {
  let cursor: string | null = null;
  let seen = 0;
  const visited = new Set<string>();
  do {
    const page: Page<T> = await fetchPage<T>(path, query, cursor, pageSize);
    for (const item of page.items) {
      if (seen >= max) return;
      seen++;
      yield item;
    }
    cursor = page.next;
    if (cursor !== null) {
      if (visited.has(cursor)) return; // a server that repeats a cursor must not loop us
      visited.add(cursor);
    }
  } while (cursor);
}

export async function fetchAll<T>(path: string, query: Query = {}, max = 10_000): Promise<T[]> {
  const out: T[] = [];
  for await (const item of paginate<T>(path, query, MAX_PAGE_SIZE, max)) out.push(item);
  return out;
}
