// Browser test of removing an indicator from an intel event (issue #4): the analyst of the creating
// organisation sees a Remove action per indicator, cancels the confirmation once (nothing
// changes), confirms the second time; the indicator leaves the table and the API answers 404 for
// it; a user of another organisation that sees the event has no Remove action.
// Screenshot: test-artifacts/intel-indicator-remove.png.
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
const TITLE = `Removal drill ${run}`;
const GONE = `remove-me-${run}.example.net`;
const KEPT = `keep-me-${run}.example.net`;
const users = { analyst: `rm.analyst.${run}`, member: `rm.member.${run}` };

let server;
let browser;
const withPage = (name, body) => runPage(browser, server, 'intel-remove', name, body);
const apiCall = (page, method, path, data) => callApi(page, server, method, path, data);

async function logInAs(page, username) {
  await browser.context.clearCookies();
  await logIn(page, server, { username, password: PASSWORD });
}

describe('intel indicator removal UI', { timeout: 120_000 }, () => {
  before(async () => {
    server = await getServer();
    await assertUiServed(server.url);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the creating organisation removes an indicator after confirming; others cannot', async () => {
    await withPage('setup', async (page) => {
      await logIn(page, server);
      const root = await rootOrganisationId(page, server);
      const org = (body) => createOrganisation(page, server, body);
      const cert = await org({ name: `Water CERT ${run}`, kind: 'sectoral_cert', parent_id: root, sector: `water-${run}` });
      const utility = await org({ name: `Water Utility ${run}`, kind: 'constituent', parent_id: cert, sector: `water-${run}` });
      for (const [username, organisation_id] of [[users.analyst, cert], [users.member, utility]]) {
        await createAnalyst(page, server, username, PASSWORD, organisation_id);
      }
    });

    let eventUrl = '';
    let goneId = '';
    await withPage('remove', async (page) => {
      await logInAs(page, users.analyst);
      const created = await apiCall(page, 'POST', '/intel/events', {
        title: TITLE, tlp: 'TLP:AMBER', audience: 'sector',
        indicators: [{ type: 'domain', value: GONE }, { type: 'domain', value: KEPT }],
      });
      assert.equal(created.status, 201, created.text);
      eventUrl = `${server.url}/intel/${encodeURIComponent(created.body.id)}`;
      const list = await apiCall(page, 'GET', `/intel/events/${encodeURIComponent(created.body.id)}/indicators`);
      goneId = list.body.items.find((i) => i.value === GONE).id;
      await page.goto(eventUrl);
      await page.getByRole('heading', { name: TITLE }).waitFor();
      const table = page.getByTestId('indicator-table');
      await table.getByText(GONE).waitFor();

      // Cancel first: nothing changes.
      await page.getByRole('button', { name: `Remove ${GONE}` }).click();
      const dialog = page.getByTestId('confirm-dialog');
      await dialog.getByText('Remove this indicator?').waitFor();
      await dialog.getByText(GONE).waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await table.getByText(GONE).waitFor();

      // Confirm: it leaves the table, the other stays.
      await page.getByRole('button', { name: `Remove ${GONE}` }).click();
      await dialog.getByRole('button', { name: 'Remove indicator' }).click();
      await table.getByText(GONE).waitFor({ state: 'detached' });
      await table.getByText(KEPT).waitFor();
      await screenshot(page, 'intel-indicator-remove.png');
      assert.equal((await apiCall(page, 'GET', `/intel/indicators/${encodeURIComponent(goneId)}`)).status, 404);
      const event = await apiCall(page, 'GET', `/intel/events/${encodeURIComponent(created.body.id)}`);
      assert.equal(event.body.indicator_count, 1);
    });

    await withPage('member', async (page) => {
      await logInAs(page, users.member);
      await page.goto(eventUrl);
      await page.getByRole('heading', { name: TITLE }).waitFor();
      await page.getByTestId('indicator-table').getByText(KEPT).waitFor();
      assert.equal(await page.getByTestId('indicator-table').getByText(GONE).count(), 0);
      assert.equal(await page.getByRole('button', { name: /^Remove / }).count(), 0, 'no Remove action for other organisations');
    });
  });
});
