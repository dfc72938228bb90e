// Shared helper for browser tests: Debian's Chromium driven by playwright-core (installed in web/).
// No browser downloads: the executable is CHROMIUM_PATH or /usr/bin/chromium, with a fresh
// profile (--user-data-dir) in a temporary folder that close() removes.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './server.mjs';

// playwright-core lives in web/node_modules; tests/ is outside web/, so resolve from there.
const require = createRequire(join(REPO_ROOT, 'web', 'package.json'));
const { chromium } = require('playwright-core');

export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** { context, newPage(), close() } — one persistent context on a fresh profile. */
export async function launchBrowser() {
  const userDataDir = await mkdtemp(join(tmpdir(), 'muhafiz-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  return {
    context,
    /** A new page that records uncaught page errors and CSP violations in page.errors. */
    async newPage() {
      const page = await context.newPage();
      page.errors = [];
      page.on('pageerror', (e) => page.errors.push(e));
      // A Content-Security-Policy violation breaks the UI silently in production: count it as an error.
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) page.errors.push(new Error(m.text()));
      });
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot under test-artifacts/ and returns its path. */
export async function screenshot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Logs in through the log-in page (as the server's administrator unless `user` names another
 * account: { username, password }) and waits for the signed-in layout.
 */
export async function logIn(page, server, user = { username: server.username, password: server.password }) {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Username', { exact: true }).fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('current-user-name').filter({ hasText: user.username }).waitFor();
}

/**
 * Runs body(page) in a new page of `browser`; the page must raise no uncaught errors. On failure
 * keeps a screenshot (test-artifacts/failure-<area>-<name>.png) and adds the server's output.
 */
export async function withPage(browser, server, area, name, body) {
  const page = await browser.newPage();
  try {
    await body(page);
    assert.deepEqual(page.errors.map(String), [], 'uncaught errors in the page');
  } catch (e) {
    const shot = await screenshot(page, `failure-${area}-${name}.png`).catch(() => null);
    if (shot) e.message += `\n(screenshot: ${shot})`;
    if (server?.started) e.message += `\n--- server output (tail) ---\n${server.log().slice(-3000)}`;
    throw e;
  } finally {
    await page.close();
  }
}

/** A JSON API call with the page's session (cookie + CSRF token from /auth/me). */
export async function apiCall(page, server, method, path, data) {
  const me = await page.request.get(`${server.url}/api/v1/auth/me`);
  assert.equal(me.status(), 200, 'session is valid');
  const { csrf_token: token } = await me.json();
  const r = await page.request.fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { 'X-CSRF-Token': token, 'Content-Type': 'application/json', Accept: 'application/json' },
    data: data === undefined ? undefined : JSON.stringify(data),
  });
  const text = await r.text();
  return { status: r.status(), body: text ? JSON.parse(text) : null, text };
}

/** The id of the national CERT (the root of the constituency tree). */
export async function rootOrganisationId(page, server) {
  const r = await apiCall(page, server, 'GET', '/organisations?kind=national_cert');
  assert.equal(r.status, 200, r.text);
  return r.body.items[0].id;
}

/** Creates an organisation (POST /organisations must answer 201) and returns its id. */
export async function createOrganisation(page, server, body) {
  const r = await apiCall(page, server, 'POST', '/organisations', body);
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

/** Creates a user with the analyst role in an organisation (POST /users must answer 201). */
export async function createAnalyst(page, server, username, password, organisationId) {
  const r = await apiCall(page, server, 'POST', '/users', { username, password, organisation_id: organisationId, role: 'analyst' });
  assert.equal(r.status, 201, r.text);
}
