// Browser test of the Intel UI (issue #4): an analyst of a sectoral CERT publishes a TLP:AMBER
// event to its sector; a user of that sector sees it; a user of another sector does not; after the
// analyst widens it to `national` with TLP:GREEN in the share dialog (recipients preview first),
// the other sector sees it. Screenshot: test-artifacts/intel.png.
// Run: cd web && npm run test:browser (see tests/browser/server.mjs for MUHAFIZ_URL etc.).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  launchBrowser, logIn, screenshot, withPage as runPage, apiCall as callApi,
  rootOrganisationId, createOrganisation, createAnalyst,
} from './browser.mjs';
import { assertUiServed, getServer } from './server.mjs';

const run = Date.now().toString(36).slice(-5);
const PASSWORD = 'long-enough-password-1';
const TITLE = `Telecom SIM-swap fraud ring ${run}`;
const users = { analyst: `telecom.analyst.${run}`, member: `telecom.member.${run}`, other: `health.user.${run}` };

let server;
let browser;
const withPage = (name, body) => runPage(browser, server, 'intel', name, body);
const apiCall = (page, method, path, data) => callApi(page, server, method, path, data);

async function logInAs(page, username) {
  await browser.context.clearCookies();
  await logIn(page, server, { username, password: PASSWORD });
}

async function seesEvent(page, expected) {
  await page.goto(`${server.url}/intel`);
  await page.getByLabel('Search').fill(run);
  await page.getByRole('button', { name: 'Apply' }).click();
  if (expected) {
    await page.getByTestId('intel-row').filter({ hasText: TITLE }).waitFor();
  } else {
    await page.getByText('No intel events.').waitFor();
    assert.equal(await page.getByTestId('intel-row').count(), 0);
  }
}

describe('intel UI', { timeout: 120_000 }, () => {
  before(async () => {
    server = await getServer();
    await assertUiServed(server.url);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('AMBER to the sector, seen by the sector only; widened to national GREEN, seen by all', async () => {
    await withPage('setup', async (page) => {
      await logIn(page, server);
      const root = await rootOrganisationId(page, server);
      const org = (body) => createOrganisation(page, server, body);
      const telecom = await org({ name: `Telecom CERT ${run}`, kind: 'sectoral_cert', parent_id: root, sector: `telecom-${run}` });
      const operator = await org({ name: `Mobile Operator ${run}`, kind: 'constituent', parent_id: telecom, sector: `telecom-${run}` });
      const health = await org({ name: `Health CERT ${run}`, kind: 'sectoral_cert', parent_id: root, sector: `health-${run}` });
      for (const [username, organisation_id] of [[users.analyst, telecom], [users.member, operator], [users.other, health]]) {
        await createAnalyst(page, server, username, PASSWORD, organisation_id);
      }
    });

    let eventUrl = '';
    await withPage('publish', async (page) => {
      await logInAs(page, users.analyst);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Intel' }).click();
      await page.getByRole('link', { name: 'Publish an event' }).first().click();
      await page.getByLabel('Title').fill(TITLE);
      await page.getByLabel('Description').fill('SIM-swap requests from these hosts; block and report.');
      await page.getByLabel('TLP').selectOption('TLP:AMBER');
      await page.getByLabel('Audience').selectOption('sector');
      await page.getByTestId('sharing-summary').filter({ hasText: 'My sector' }).waitFor();
      await page.getByLabel('Tags').fill('fraud, T1566.001');
      await page.getByLabel(/^Indicators/).fill(`ipv4 45.33.70.${Math.floor(Math.random() * 200) + 1}\nsimswap-${run}.example.net`);
      await page.getByRole('button', { name: 'Publish' }).click();
      await page.getByRole('heading', { name: TITLE }).waitFor();
      await page.getByTestId('indicator-table').getByText(`simswap-${run}.example.net`).waitFor();
      eventUrl = page.url();
    });

    await withPage('sector-member', async (page) => {
      await logInAs(page, users.member);
      await seesEvent(page, true);
    });
    await withPage('other-sector', async (page) => {
      await logInAs(page, users.other);
      await seesEvent(page, false);
      await page.goto(eventUrl);
      await page.getByText(/not found|no such intel event/i).first().waitFor();
    });

    await withPage('widen', async (page) => {
      await logInAs(page, users.analyst);
      await page.goto(eventUrl);
      await page.getByRole('button', { name: 'Share…' }).click();
      await page.getByLabel('TLP', { exact: true }).selectOption('TLP:GREEN');
      await page.getByLabel('Audience', { exact: true }).selectOption('national');
      await page.getByRole('button', { name: 'Preview recipients' }).click();
      await page.getByTestId('recipients-preview').getByText(`Health CERT ${run}`).waitFor();
      await page.getByRole('button', { name: 'Share', exact: true }).click();
      await page.getByTestId('event-sharing').filter({ hasText: 'The whole constituency' }).waitFor();
    });

    await withPage('other-sector-after', async (page) => {
      await logInAs(page, users.other);
      await seesEvent(page, true);
      await page.getByTestId('intel-row').filter({ hasText: TITLE }).getByRole('link').click();
      await page.getByRole('heading', { name: TITLE }).waitFor();
      await page.getByTestId('tlp-badge').filter({ hasText: 'TLP:GREEN' }).first().waitFor();
      await screenshot(page, 'intel.png');
      // The MISP feed URL and how to add it in MISP; the URL serves the feed to the user's token.
      await page.getByRole('link', { name: 'MISP & TAXII' }).click();
      const url = `${server.url}/api/v1/intel/misp-feed/all`;
      await page.getByTestId('misp-feed-url').filter({ hasText: url }).first().waitFor();
      await page.getByTestId('misp-feed').getByText('Sync Actions → Feeds → Add Feed').waitFor();
      await page.getByTestId('misp-feed').getByText('Authorization: Bearer', { exact: false }).first().waitFor();
      const manifest = await page.evaluate(async (u) => (await fetch(`${u}/manifest.json`)).json(), url);
      assert.ok(Object.values(manifest).some((e) => e.info === TITLE), 'the feed holds the event the user sees');
      await screenshot(page, 'intel-sharing.png');
    });
  });
});
