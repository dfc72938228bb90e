import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  api,
  buildQuery,
  errorFromResponse,
  fetchAll,
  fetchPage,
  onUnauthorized,
  readCookie,
  request,
  setCsrfToken,
} from './client';

type Call = { url: string; init: RequestInit };

function mockFetch(responder: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return responder(url, init);
  });
  return calls;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

beforeEach(() => setCsrfToken(null));
afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken(null);
});

describe('errorFromResponse', () => {
  it('parses the error envelope', () => {
    const e = errorFromResponse(
      400,
      JSON.stringify({ error: { code: 'invalid_argument', message: 'bad prefix', field: 'networks.prefixes[0]' } }),
    );
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ status: 400, code: 'invalid_argument', message: 'bad prefix', field: 'networks.prefixes[0]' });
  });
  it('falls back to the status for non-JSON and empty bodies', () => {
    expect(errorFromResponse(502, '<html>Bad gateway</html>')).toMatchObject({ code: 'unavailable', field: undefined });
    const t = errorFromResponse(429, '', '30');
    expect(t.code).toBe('too_many_requests');
    expect(t.retryAfter).toBe(30);
    expect(t.message).toMatch(/too many/i);
    expect(errorFromResponse(418, '').message).toMatch(/418/);
  });
});

describe('request', () => {
  it('sends credentials, JSON and CSRF on non-GET only', async () => {
    setCsrfToken('tok123');
    const calls = mockFetch(() => json(200, { ok: true }));
    await api.get('/x', { a: 1, b: '', c: undefined });
    await api.post('/y', { z: 1 });
    expect(calls[0].url).toBe('/api/v1/x?a=1');
    expect(calls[0].init.credentials).toBe('same-origin');
    expect((calls[0].init.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
    expect(calls[1].init.method).toBe('POST');
    expect(calls[1].init.body).toBe('{"z":1}');
    const h = calls[1].init.headers as Record<string, string>;
    expect(h['X-CSRF-Token']).toBe('tok123');
    expect(h['Content-Type']).toBe('application/json');
  });

  it('quotes If-Match and returns the ETag', async () => {
    const calls = mockFetch(() => json(200, { id: 'o' }, { ETag: '"4"' }));
    const r = await request('/o', { method: 'PATCH', body: {}, ifMatch: 3 });
    expect((calls[0].init.headers as Record<string, string>)['If-Match']).toBe('"3"');
    expect(r.etag).toBe('"4"');
  });

  it('handles 204 without a body', async () => {
    mockFetch(() => new Response(null, { status: 204 }));
    await expect(api.del('/o/1')).resolves.toBeUndefined();
  });

  it('throws a typed error and calls the 401 handler except for auth probes', async () => {
    mockFetch(() => json(401, { error: { code: 'unauthenticated', message: 'session expired' } }));
    const seen: ApiError[] = [];
    const off = onUnauthorized((e) => seen.push(e));
    await expect(api.get('/organisations/tree')).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(seen).toHaveLength(1);
    await expect(request('/auth/me', { authProbe: true })).rejects.toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(1);
    off();
  });

  it('does not treat a 401 about an input field as a lost session', async () => {
    mockFetch(() => json(401, { error: { code: 'unauthenticated', message: 'invalid one-time code', field: 'totp' } }));
    const seen: unknown[] = [];
    const off = onUnauthorized((e) => seen.push(e));
    await expect(api.post('/auth/mfa/enable', { totp: '1' })).rejects.toMatchObject({ status: 401, field: 'totp' });
    expect(seen).toHaveLength(0);
    off();
  });

  it('does not treat mfa_required at log-in as a lost session', async () => {
    mockFetch(() => json(401, { error: { code: 'mfa_required', message: 'code needed' } }));
    const seen: unknown[] = [];
    const off = onUnauthorized((e) => seen.push(e));
    await expect(request('/auth/login', { method: 'POST', body: {}, authProbe: true })).rejects.toMatchObject({
      code: 'mfa_required',
    });
    expect(seen).toHaveLength(0);
    off();
  });

  it('maps a network failure to status 0', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.get('/x')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('rejects a 200 that is not JSON', async () => {
    mockFetch(() => new Response('<html>', { status: 200 }));
    await expect(api.get('/x')).rejects.toMatchObject({ code: 'bad_response' });
  });
});

describe('CSRF cookie fallback', () => {
  it('reads cookies', () => {
    expect(readCookie('muhafiz_csrf', 'a=1; muhafiz_csrf=abc%3D; b=2')).toBe('abc=');
    expect(readCookie('muhafiz_csrf', 'muhafiz_session=abc; muhafiz_csrf="tok"')).toBe('tok');
    expect(readCookie('muhafiz_csrf', 'a=1')).toBeNull();
    expect(readCookie('x', undefined)).toBeNull();
  });
  it('uses the cookie when no token was set', async () => {
    vi.stubGlobal('document', { cookie: 'muhafiz_csrf=fromcookie' });
    const calls = mockFetch(() => new Response(null, { status: 204 }));
    await api.del('/z');
    expect((calls[0].init.headers as Record<string, string>)['X-CSRF-Token']).toBe('fromcookie');
  });
});

describe('pagination', () => {
  it('builds queries', () => {
    expect(buildQuery({ a: 'x y', b: null, c: 0, d: false })).toBe('?a=x+y&c=0&d=false');
    expect(buildQuery({})).toBe('');
  });
  it('fetches a page with cursor and clamped limit', async () => {
    const calls = mockFetch(() => json(200, { items: [1], total: 9, next: 'c2' }));
    const p = await fetchPage<number>('/users', { role: 'admin' }, 'c1', 9999);
    expect(calls[0].url).toBe('/api/v1/users?role=admin&cursor=c1&limit=500');
    expect(p).toEqual({ items: [1], total: 9, next: 'c2' });
  });
  it('follows cursors to the end and stops on a repeated cursor', async () => {
    const pages: Record<string, unknown> = {
      '': { items: [1, 2], total: 5, next: 'a' },
      a: { items: [3, 4], total: 5, next: 'b' },
      b: { items: [5], total: 5, next: null },
    };
    mockFetch((url) => json(200, pages[new URL(url, 'http://x').searchParams.get('cursor') ?? '']));
    expect(await fetchAll<number>('/audit')).toEqual([1, 2, 3, 4, 5]);

    mockFetch(() => json(200, { items: [1], total: 1, next: 'same' }));
    expect(await fetchAll<number>('/loop')).toEqual([1, 1]);
  });
});

describe('upload', () => {
  it('sends the file as the body with its content type, the query and the CSRF token', async () => {
    setCsrfToken('tok');
    const calls = mockFetch(() => json(200, { records: 1 }));
    const file = new Blob(['{"dataType":"CVE_RECORD"}'], { type: 'application/json' });
    expect(await api.upload('/vulnerabilities/import', file, 'application/json', { kind: 'cve5' })).toEqual({ records: 1 });
    expect(calls[0].url).toBe('/api/v1/vulnerabilities/import?kind=cve5');
    expect(calls[0].init.method).toBe('POST');
    expect(calls[0].init.body).toBe(file);
    const headers = calls[0].init.headers as Record<string, string>;
    expect(headers['Content-Type']).toBe('application/json');
    expect(headers['X-CSRF-Token']).toBe('tok');
  });
});
