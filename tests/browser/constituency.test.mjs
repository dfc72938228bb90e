// Browser test of the constituency UI: log in, build a small subtree through the editor, find it
// with the tree search, check its networks, and check that a server validation error appears
// next to the prefixes field. Run: cd web && npm run test:browser (see tests/browser/server.mjs
// for MUHAFIZ_URL / MUHAFIZ_ADMIN_PASSWORD / MUHAFIZ_BIN).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, logIn, screenshot, withPage as runPage } from './browser.mjs';
import { assertUiServed, getServer } from './server.mjs';

// Against a shared server (MUHAFIZ_URL) the names get a run suffix so reruns do not collide.
const suffix = process.env.MUHAFIZ_URL ? ` ${Date.now().toString(36).slice(-5)}` : '';
const SECTORAL = `Banking CERT${suffix}`;
const BANK = `Habib Test Bank${suffix}`;
const PREFIXES = ['203.0.113.0/24', '2001:db8:100::/48'];
const ASN = 64501;
const DOMAIN = 'habibtestbank.example.pk';

let server;
let browser;
const withPage = (name, body) => runPage(browser, server, 'constituency', name, body);

/** Selects the tree node named `name` by clicking its link, waiting for the detail panel. */
async function openFromTree(page, name) {
  const tree = page.getByTestId('org-tree');
  await tree.getByRole('link', { name, exact: true }).click();
  await page.getByTestId('org-detail').getByRole('heading', { level: 1, name, exact: true }).waitFor();
}

/** Fills the organisation editor (only the given fields) and submits it. */
async function fillEditor(page, fields) {
  const editor = page.getByTestId('org-editor');
  await editor.waitFor();
  const label = (text) => editor.getByLabel(text, { exact: true });
  if (fields.name !== undefined) await label('Name').fill(fields.name);
  if (fields.kind !== undefined) await label('Kind').selectOption({ label: fields.kind });
  if (fields.sector !== undefined) await label('Sector').fill(fields.sector);
  if (fields.country !== undefined) await label('Country').fill(fields.country);
  if (fields.securityEmail !== undefined) await label('Security e-mail').fill(fields.securityEmail);
  if (fields.prefixes !== undefined) await label('IP prefixes').fill(fields.prefixes.join('\n'));
  if (fields.asns !== undefined) await label('AS numbers').fill(fields.asns.join('\n'));
  if (fields.domains !== undefined) await label('Domains').fill(fields.domains.join('\n'));
  return editor;
}

async function rootNode(page) {
  const root = page.getByTestId('org-tree').locator(':scope > li[data-kind="national_cert"]').first();
  await root.waitFor();
  return root;
}

describe('constituency UI', { timeout: 180_000 }, () => {
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

  it('creates a sectoral CERT and a constituent, then finds the constituent by search', async () => {
    await withPage('create-and-search', async (page) => {
      await browser.context.clearCookies();
      // An unknown client-side path needs the server's index.html fallback and sends us to log in.
      await page.goto(`${server.url}/constituency`);
      await page.waitForURL(/\/login/);
      await logIn(page, server);

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Constituency' }).click();
      const root = await rootNode(page);
      const rootName = (await root.locator('.tree-link').first().innerText()).trim();
      await openFromTree(page, rootName);

      // Sectoral CERT under the National CERT.
      await page.getByRole('link', { name: 'New child organisation' }).click();
      let editor = await fillEditor(page, {
        name: SECTORAL,
        kind: 'Sectoral CERT',
        sector: 'banking',
        country: 'PK',
        securityEmail: 'cert@banking-cert.example.pk',
      });
      assert.equal(
        await editor.getByLabel('Parent organisation', { exact: true }).locator('option:checked').innerText(),
        rootName,
        'parent is preset to the selected organisation',
      );
      await editor.getByRole('button', { name: 'Create organisation' }).click();
      const detail = page.getByTestId('org-detail');
      await detail.getByRole('heading', { level: 1, name: SECTORAL, exact: true }).waitFor();
      await detail.getByTestId('kind-badge').filter({ hasText: 'Sectoral CERT' }).waitFor();

      // Constituent under the sectoral CERT, with networks.
      await page.getByRole('link', { name: 'New child organisation' }).click();
      editor = await fillEditor(page, {
        name: BANK,
        kind: 'Constituent',
        prefixes: PREFIXES,
        asns: [`AS${ASN}`],
        domains: [DOMAIN],
      });
      assert.equal(
        (await editor.getByLabel('Parent organisation', { exact: true }).locator('option:checked').innerText()).trim(),
        SECTORAL,
      );
      await editor.getByRole('button', { name: 'Create organisation' }).click();
      await detail.getByRole('heading', { level: 1, name: BANK, exact: true }).waitFor();

      // A fresh load of the page (session cookie, SPA fallback), then find it with the search box.
      await page.goto(`${server.url}/constituency`);
      await rootNode(page);
      await page.getByLabel('Search organisations').fill(['habib', suffix.trim()].join(' ').trim());
      const tree = page.getByTestId('org-tree');
      await tree.getByRole('link', { name: BANK, exact: true }).waitFor();
      // The search shows the path to the match (root, sectoral CERT) and hides unrelated branches.
      await tree.getByRole('link', { name: SECTORAL, exact: true }).waitFor();
      const shown = (await tree.locator('.tree-link').allInnerTexts()).map((s) => s.trim());
      assert.deepEqual(shown, [rootName, SECTORAL, BANK], 'the search narrows the tree to the path of the match');
      await openFromTree(page, BANK);

      const prefixes = detail.getByTestId('org-prefixes');
      await prefixes.waitFor();
      const listed = (await prefixes.locator('li').allInnerTexts()).map((s) => s.trim());
      for (const p of PREFIXES) assert.ok(listed.includes(p), `prefix ${p} shown (got ${listed.join(', ')})`);
      assert.match(await detail.getByTestId('org-asns').innerText(), new RegExp(`AS${ASN}\\b`));
      assert.match(await detail.getByTestId('org-domains').innerText(), new RegExp(DOMAIN.replace(/\./g, '\\.')));
      await detail.getByTestId('kind-badge').filter({ hasText: 'Constituent' }).waitFor();
      assert.match(await detail.locator('.breadcrumb').innerText(), new RegExp(SECTORAL));

      await screenshot(page, 'constituency.png');
    });
  });

  it('shows a server validation error next to the prefixes field for 10.0.0.0/33', async () => {
    await withPage('bad-prefix', async (page) => {
      await browser.context.clearCookies();
      await logIn(page, server);
      await page.goto(`${server.url}/constituency`);
      const root = await rootNode(page);
      const rootName = (await root.locator('.tree-link').first().innerText()).trim();
      await openFromTree(page, rootName);
      await page.getByRole('link', { name: 'New child organisation' }).click();

      const name = `Bad Prefix Org${suffix || ` ${Date.now().toString(36).slice(-5)}`}`;
      const editor = await fillEditor(page, {
        name,
        kind: 'Constituent',
        country: 'PK',
        prefixes: ['10.0.0.0/33'],
      });
      await editor.getByRole('button', { name: 'Create organisation' }).click();

      // The message sits inside the prefixes field, and the textarea is marked invalid.
      const prefixField = editor.locator('.field', { has: page.getByLabel('IP prefixes', { exact: true }) });
      const error = prefixField.getByTestId('org-prefixes-error');
      await error.waitFor();
      assert.ok((await error.innerText()).trim().length > 0, 'error message is not empty');
      assert.equal(await editor.getByLabel('IP prefixes', { exact: true }).getAttribute('aria-invalid'), 'true');
      assert.match(page.url(), /\/constituency\/new/, 'still on the editor');
      // No other field is blamed.
      assert.equal(await editor.locator('.field-error').count(), 1);

      // Nothing was created.
      await page.getByLabel('Search organisations').fill(name);
      await page.getByText('No organisation matches.').waitFor();
    });
  });
});
