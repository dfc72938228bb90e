// Test harness: starts a real `muhafiz serve` process on a free loopback port with a fresh
// database (SQLite in a temporary folder, or a new database on the test PostgreSQL server when
// MUHAFIZ_TEST_BACKEND=postgresql), and gives tests a small HTTP client.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.MUHAFIZ_BIN || path.join(root, 'build/muhafiz');
export const BACKEND = process.env.MUHAFIZ_TEST_BACKEND || 'sqlite';
export const ADMIN_PASSWORD = 'admin-Test-Password-1';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

// A fresh database URL for the backend under test ('' = SQLite in the data folder).
export function freshDatabase() {
  if (BACKEND !== 'postgresql') return '';
  const file = process.env.MUHAFIZ_TEST_PG_FILE;
  if (!file) throw new Error('MUHAFIZ_TEST_PG_FILE is not set: run through ctest (fixture postgres)');
  const url = readFileSync(file, 'utf8').trim();
  const name = 'api_' + crypto.randomBytes(6).toString('hex');
  const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('cannot create test database: ' + r.stderr);
  return url.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
}

export function runCli(args, { env = {}, input } = {}) {
  return spawnSync(BIN, args, { encoding: 'utf8', input, env: { ...process.env, ...env }, timeout: 60000 });
}

// Starts `muhafiz serve` on a fresh data folder and database, or on the given ones (a restart:
// the caller owns them, stop() leaves them in place).
export async function startServer({ extraArgs = [], env = {}, dataDir: givenDataDir, database: givenDatabase } = {}) {
  const dataDir = givenDataDir ?? mkdtempSync(path.join(tmpdir(), 'muhafiz-api-'));
  const port = await freePort();
  const database = givenDataDir ? givenDatabase : freshDatabase();
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--no-access-log', ...extraArgs];
  if (database) args.push('--database', database);
  const child = spawn(BIN, args, {
    env: { ...process.env, MUHAFIZ_ADMIN_PASSWORD: ADMIN_PASSWORD, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${output}`);
    try {
      const r = await fetch(base + '/api/v1/health');
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error('server did not become healthy:\n' + output);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base, port, dataDir, database, child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill(signal);
        await done;
      }
      if (!givenDataDir) rmSync(dataDir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

// A client that keeps a session cookie and the CSRF token, or uses a bearer token.
export class Client {
  constructor(base, { token } = {}) {
    this.base = base;
    this.cookies = {};
    this.csrf = null;
    this.token = token;
  }
  async request(method, url, body, headers = {}) {
    const h = { ...headers };
    if (body !== undefined && typeof body !== 'string') {
      h['content-type'] = 'application/json';
      body = JSON.stringify(body);
    }
    if (this.token) h.authorization = `Bearer ${this.token}`;
    const cookie = Object.entries(this.cookies).map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) h.cookie = cookie;
    if (this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    const r = await fetch(this.base + url, { method, headers: h, body });
    for (const c of r.headers.getSetCookie?.() ?? []) {
      const [pair] = c.split(';');
      const [k, v] = pair.split('=');
      if (v) this.cookies[k] = v; else delete this.cookies[k];
    }
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch {}
    return { status: r.status, headers: r.headers, json, text };
  }
  get(url, headers) { return this.request('GET', url, undefined, headers); }
  post(url, body, headers) { return this.request('POST', url, body, headers); }
  patch(url, body, headers) { return this.request('PATCH', url, body, headers); }
  delete(url, headers) { return this.request('DELETE', url, undefined, headers); }
  async login(username, password, totp) {
    const r = await this.post('/api/v1/auth/login', totp ? { username, password, totp } : { username, password });
    if (r.status === 200) this.csrf = r.json.csrf_token;
    return r;
  }
}

export async function adminClient(base) {
  const c = new Client(base);
  const r = await c.login('admin', ADMIN_PASSWORD);
  if (r.status !== 200) throw new Error('admin login failed: ' + r.text);
  return c;
}

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for MFA tests.
export function totp(base32Secret, time = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of base32Secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 1000 / 30)));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1000000).padStart(6, '0');
}
