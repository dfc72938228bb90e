// Browser test of the Incidents UI (issue: "walk a report from the public form through triage,
// delegation to a sectoral CERT, resolution and closure"): an anonymous visitor reports through
// /report; the National CERT admin finds it in the triage queue, triages it and delegates it to
// the Banking CERT; a Banking CERT analyst finds it in "My CERT's" queue, works it, resolves and
// closes it. The timeline shows every step. Screenshot: test-artifacts/incidents.png.
// Run: cd web && npm run test:browser (see tests/browser/server.mjs for MUHAFIZ_URL etc.).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, logIn, screenshot, withPage as runPage, apiCall as callApi } from './browser.mjs';
import { assertUiServed, getServer } from './server.mjs';

const run = Date.now().toString(36).slice(-5);
const PASSWORD = 'long-enough-password-1';
const ANALYST = `bank.analyst.${run}`;

let server;
let browser;
const withPage = (name, body) => runPage(browser, server, 'incidents', name, body);
const apiCall = (page, method, path, data) => callApi(page, server, method, path, data);

/** Confirms the open dialog with its button `label`. */
async function confirm(page, label) {
  const dialog = page.getByTestId('confirm-dialog');
  await dialog.getByRole('button', { name: label, exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
}

async function transition(page, label, expectedStatus) {
  await page.getByRole('button', { name: label, exact: true }).first().click();
  await page.getByLabel(/^Reason/).fill(`${label} (browser test)`);
  await confirm(page, label);
  await page.getByTestId('incident-status').filter({ hasText: expectedStatus }).waitFor();
}

describe('incidents UI', { timeout: 120_000 }, () => {
  before(async () => {
    server = await getServer();
    await assertUiServed(server.url);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('public report → triage → delegation to a sectoral CERT → resolution → closure', async () => {
    let reference = '';
    let bankingId = '';
    await withPage('public', async (page) => {
      await browser.context.clearCookies();
      await page.goto(`${server.url}/report`);
      await page.getByLabel('Short title').fill(`Phishing of online banking customers ${run}`);
      await page.getByLabel('What happened', { exact: true }).fill('Customers got SMS messages pointing at a fake login page.');
      await page.getByLabel('What happened (RSIT class)').selectOption('fraud');
      await page.getByLabel('Type', { exact: true }).selectOption('phishing');
      await page.getByLabel('Your organisation (if any)').fill('Bank A');
      await page.getByLabel('Your name').fill('Ayesha Khan');
      await page.getByLabel('Your e-mail').fill('ayesha@bank-a.example.pk');
      await page.getByRole('button', { name: 'Send report' }).click();
      const done = page.getByTestId('public-report-done');
      await done.waitFor();
      reference = (await done.innerText()).match(/INC-\d{4}-\d{6}/)[0];
    });

    await withPage('triage', async (page) => {
      await logIn(page, server);
      // A sectoral CERT and one of its analysts (through the API, as set-up).
      const root = (await apiCall(page, 'GET', '/organisations?kind=national_cert')).body.items[0].id;
      const existing = (await apiCall(page, 'GET', '/organisations?kind=sectoral_cert&q=Banking')).body?.items?.find((o) => o.name === `Banking CERT ${run}`);
      bankingId = existing?.id ?? (await apiCall(page, 'POST', '/organisations', {
        name: `Banking CERT ${run}`, kind: 'sectoral_cert', parent_id: root, sector: 'banking',
      })).body.id;
      const u = await apiCall(page, 'POST', '/users', { username: ANALYST, password: PASSWORD, organisation_id: bankingId, role: 'analyst' });
      assert.equal(u.status, 201, u.text);

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Incidents' }).click();
      await page.getByRole('button', { name: 'Triage', exact: true }).waitFor();
      await page.getByLabel('Search').fill(reference);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByTestId('incident-row').filter({ hasText: reference }).getByRole('link', { name: reference }).click();
      await page.getByTestId('handling-cert').filter({ hasText: 'National CERT' }).waitFor();
      await transition(page, 'Triage', 'Triaged');

      await page.getByRole('button', { name: 'Delegate', exact: true }).click();
      await page.getByLabel('CERT', { exact: true }).selectOption(bankingId);
      await page.getByLabel(/^Reason/).fill('Banking sector incident');
      await confirm(page, 'Delegate');
      await page.getByTestId('handling-cert').filter({ hasText: `Banking CERT ${run}` }).waitFor();
      await page.getByTestId('timeline').getByText(/Delegated from National CERT/).waitFor();
    });

    await withPage('resolve', async (page) => {
      await browser.context.clearCookies();
      await page.goto(`${server.url}/login`);
      await page.getByLabel('Username', { exact: true }).fill(ANALYST);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('current-user-name').filter({ hasText: ANALYST }).waitFor();
      await page.goto(`${server.url}/incidents?queue=cert`);
      await page.getByTestId('incident-row').filter({ hasText: reference }).getByRole('link', { name: reference }).click();
      await page.getByRole('button', { name: 'Assign to me' }).click();
      await page.getByTestId('assignee').filter({ hasText: ANALYST }).waitFor();
      await transition(page, 'Start work', 'In progress');
      await page.getByLabel('Type', { exact: true }).selectOption('domain');
      await page.getByLabel('Value', { exact: true }).fill('bank-a-login.example.net');
      await page.getByRole('button', { name: 'Add observable' }).click();
      await page.getByTestId('observables').getByText('bank-a-login.example.net').waitFor();
      await page.getByLabel('Comment').fill('Registrar suspended the domain.');
      await page.getByRole('button', { name: 'Add comment' }).click();
      await page.getByTestId('timeline').getByText('Registrar suspended the domain.').waitFor();
      await transition(page, 'Resolve', 'Resolved');
      await transition(page, 'Close', 'Closed');
      const kinds = await page.getByTestId('timeline').innerText();
      for (const k of ['created', 'status', 'delegation', 'assignment', 'observable', 'comment']) assert.match(kinds, new RegExp(k));
      await screenshot(page, 'incidents.png');
    });
  });
});
