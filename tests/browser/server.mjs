// Shared helper for browser tests: the Muhafiz server to test against.
//
// If MUHAFIZ_URL is set (e.g. http://127.0.0.1:18080), tests use that server and log in as
// `admin` with MUHAFIZ_ADMIN_PASSWORD. Otherwise this starts one:
//   ${MUHAFIZ_BIN:-build/muhafiz} serve --listen 127.0.0.1:<free port> --data-dir <tmp>
// from the repository root, with MUHAFIZ_ADMIN_PASSWORD set to a generated value, waits until
// GET /api/v1/health answers 200, and stop() ends it with SIGTERM and removes the data folder.
// MUHAFIZ_SERVER_ARGS (space-separated) adds extra arguments to `serve`.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

const START_TIMEOUT_MS = Number(process.env.MUHAFIZ_START_TIMEOUT_MS ?? 30_000);

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls GET <url>/api/v1/health until it answers 200; throws after timeoutMs. */
export async function waitForHealth(url, timeoutMs = START_TIMEOUT_MS, isAlive = () => true) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error('server exited before it became healthy');
    try {
      const r = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(2_000) });
      if (r.status === 200) return await r.json().catch(() => ({}));
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.cause?.code ?? e.message;
    }
    await sleep(100);
  }
  throw new Error(`${url}/api/v1/health did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/** Throws unless GET <url>/ answers the built web UI (index.html with the React root). */
export async function assertUiServed(url) {
  const r = await fetch(`${url}/`, { headers: { Accept: 'text/html' } });
  const text = await r.text();
  if (r.status !== 200 || !text.includes('id="root"')) {
    throw new Error(
      `${url}/ does not serve the web UI (HTTP ${r.status}): run \`npm run build\` in web/ ` +
        '(the server looks for web/dist) or start the server with --web-dir',
    );
  }
}

/**
 * The server under test: { url, username, password, started, log(), stop() }.
 * Call stop() when done (a no-op for an external server).
 */
export async function getServer() {
  const external = process.env.MUHAFIZ_URL;
  if (external) {
    const password = process.env.MUHAFIZ_ADMIN_PASSWORD;
    if (!password) throw new Error('MUHAFIZ_URL is set but MUHAFIZ_ADMIN_PASSWORD is not');
    const url = external.replace(/\/+$/, '');
    await waitForHealth(url, 10_000);
    return { url, username: 'admin', password, started: false, log: () => '', stop: async () => {} };
  }
  return startServer();
}

export async function startServer() {
  const binSetting = process.env.MUHAFIZ_BIN || 'build/muhafiz';
  const bin = isAbsolute(binSetting) ? binSetting : join(REPO_ROOT, binSetting);
  if (!existsSync(bin)) {
    throw new Error(`server binary ${bin} not found: build it, or set MUHAFIZ_BIN, or MUHAFIZ_URL for a running server`);
  }
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'muhafiz-browser-'));
  const password = `Adm1n-${randomBytes(12).toString('hex')}`;
  const url = `http://127.0.0.1:${port}`;
  const extra = (process.env.MUHAFIZ_SERVER_ARGS ?? '').split(/\s+/).filter(Boolean);
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, ...extra];

  const child = spawn(bin, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, MUHAFIZ_ADMIN_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const exitedPromise = new Promise((r) =>
    child.on('exit', (code, signal) => {
      exited = true;
      r({ code, signal });
    }),
  );
  child.on('error', (e) => {
    exited = true;
    keep(`spawn error: ${e.message}\n`);
  });

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => !exited && child.kill('SIGKILL'), 10_000);
      await exitedPromise;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    await waitForHealth(url, START_TIMEOUT_MS, () => !exited);
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\n$ ${bin} ${args.join(' ')}\n--- server output ---\n${output.slice(-4000)}`);
  }
  return { url, username: 'admin', password, started: true, log: () => output, stop };
}
