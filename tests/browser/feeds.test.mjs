// Browser test of the Feeds UI (issue: "upload a Shadowserver sample, see the events routed to the
// right organisation"): log in as admin, create (API) a constituent owning 192.0.2.0/25 under a
// sectoral CERT, upload tests/data/feeds/shadowserver/scan_http.csv through the upload form (the
// server answers with a job that the form follows until it is done), see the bank and its CERT
// among the recipients, open the run from the upload, open the events of the bank in the explorer and find
// its four addresses there, then look at the runs table and the notification log.
// Run: cd web && npm run test:browser. Screenshot: test-artifacts/feeds.png.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, logIn, screenshot, apiCall as callApi } from './browser.mjs';
import { assertUiServed, getServer, REPO_ROOT } from './server.mjs';

const run = Date.now().toString(36).slice(-5);
const suffix = process.env.MUHAFIZ_URL ? ` ${run}` : '';
const BANK = `Feeds Test Bank${suffix}`;
const CERT = `Feeds Banking CERT${suffix}`;
const FEED = `shadowserver-ui${suffix ? '-' + run : ''}`;

let server;
let browser;
const apiCall = (page, method, path, data) => callApi(page, server, method, path, data);

describe('feeds UI', { timeout: 120_000 }, () => {
  before(async () => {
    server = await getServer();
    try {
      await assertUiServed(server.url);
    } catch (e) {
      await server.stop();
      server = null;
      throw e;
    }
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('uploads a Shadowserver report and shows its events routed to the owning organisation', async () => {
    const page = await browser.newPage();
    try {
      await logIn(page, server);
      const root = (await apiCall(page, 'GET', '/organisations?kind=national_cert')).body.items[0];
      const cert = await apiCall(page, 'POST', '/organisations', { name: CERT, kind: 'sectoral_cert', parent_id: root.id });
      assert.equal(cert.status, 201, cert.text);
      const prefix = suffix ? [] : ['192.0.2.0/25'];
      const bank = await apiCall(page, 'POST', '/organisations', {
        name: BANK,
        kind: 'constituent',
        parent_id: cert.body.id,
        contacts: { abuse_email: 'abuse@bank.example.pk' },
        networks: { prefixes: prefix, asns: [], domains: [] },
      });
      assert.equal(bank.status, 201, bank.text);

      await page.goto(`${server.url}/feeds`);
      const form = page.getByTestId('feed-upload-form');
      await form.getByLabel('Feed', { exact: true }).fill(FEED);
      await form.getByLabel('Format', { exact: true }).selectOption('shadowserver');
      await form.getByLabel('Report', { exact: true }).setInputFiles({
        name: '2026-01-14-scan_http-pk.csv',
        mimeType: 'text/csv',
        buffer: readFileSync(join(REPO_ROOT, 'tests/data/feeds/shadowserver/scan_http.csv')),
      });
      await form.getByRole('button', { name: 'Ingest' }).click();
      const result = page.getByTestId('feed-upload-result');
      await result.waitFor();
      const text = await result.innerText();
      assert.match(text, /10 lines, 10 events, 0 rejected/);
      if (!suffix) {
        const recipients = page.getByTestId('upload-recipients');
        await recipients.getByRole('row', { name: new RegExp(`${BANK}\\s+4`) }).waitFor();
        await recipients.getByRole('row', { name: new RegExp(`${CERT}\\s+4`) }).waitFor();
      }
      // The run is listed.
      await page.getByTestId('runs-table').getByText('2026-01-14-scan_http-pk.csv').first().waitFor();
      // The network-data panel is there (no file is configured on this server).
      await page.getByTestId('network-data').getByRole('heading', { name: 'Network data' }).waitFor();
      if (!suffix) await page.getByTestId('network-data').getByText(/No prefix-to-AS/).waitFor();
      // The finished upload links to its run.
      await page.getByTestId('upload-run-link').click();
      await page.getByTestId('run-totals').filter({ hasText: '10 lines, 10 events, 0 rejected' }).waitFor();
      if (!suffix) await page.getByTestId('run-recipients').getByRole('row', { name: new RegExp(`${BANK}\\s+4`) }).waitFor();

      // The events of the bank in the explorer.
      await page.goto(`${server.url}/feeds/events?feed=${encodeURIComponent(FEED)}&organisation_id=${bank.body.id}`);
      const table = page.getByTestId('events-table');
      await table.waitFor();
      if (!suffix) {
        await page.getByTestId('events-total').filter({ hasText: '4 events' }).waitFor();
        const orgs = await page.getByTestId('event-organisation').allInnerTexts();
        assert.deepEqual([...new Set(orgs)], [BANK]);
        for (const ip of ['192.0.2.10', '192.0.2.31', '192.0.2.52', '192.0.2.73']) await table.getByText(ip).first().waitFor();
      }
      await screenshot(page, 'feeds.png');

      // Every event of the feed, routed: bank's own and the rest to the National CERT.
      await page.goto(`${server.url}/feeds/events?feed=${encodeURIComponent(FEED)}`);
      await page.getByTestId('events-total').filter({ hasText: '10 events' }).waitFor();
      // Looked up by address (the blocks' address filters leave out those without it).
      const filters = page.getByTestId('events-filters');
      await filters.getByLabel('Address', { exact: true }).fill('192.0.2.31');
      await filters.getByRole('button', { name: 'Filter' }).click();
      await page.getByTestId('events-total').filter({ hasText: /·\s*1 event\b/ }).waitFor();
      await page.getByTestId('events-table').getByText('192.0.2.31').first().waitFor();
      await filters.getByLabel('Address', { exact: true }).fill('192.0.2.254');
      await filters.getByRole('button', { name: 'Filter' }).click();
      await page.getByTestId('events-total').filter({ hasText: /·\s*0 events\b/ }).waitFor();

      // The notification log opens and digests can be sent.
      await page.goto(`${server.url}/feeds/digests`);
      await page.getByRole('button', { name: 'Send due digests now' }).click();
      await page.getByTestId('digests-table').waitFor();
      if (!suffix) await page.getByTestId('digests-table').getByText(BANK).first().waitFor();
      assert.deepEqual(page.errors?.map(String) ?? [], [], 'uncaught errors in the page');
    } catch (e) {
      const shot = await screenshot(page, 'failure-feeds.png').catch(() => null);
      if (shot) e.message += `\n(screenshot: ${shot})`;
      if (server?.started) e.message += `\n--- server output (tail) ---\n${server.log().slice(-3000)}`;
      throw e;
    } finally {
      await page.close();
    }
  });
});
