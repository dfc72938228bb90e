// Browser test of the Vulnerabilities UI (issue: "import a sample CVE and an asset that it
// affects, see the finding, write and publish an advisory, fetch it from the provider feed"):
// log in as admin, upload a small CVE 5 record through the Import page, create an organisation
// (API) and an asset it runs through the Assets page, see the finding with its reason on the
// Exposure page (and mark it not applicable and reopen it), see the exposure on the CVE page,
// write a TLP:CLEAR advisory from the CVE page and publish it, then read the public provider
// metadata and the TLP:WHITE ROLIE feed without a cookie and find the advisory's tracking id.
// Also: the CVSS calculator scores a vector and points at the position of an error.
// Run: cd web && npm run test:browser (see tests/browser/server.mjs for MUHAFIZ_URL etc.).
// Screenshots: test-artifacts/vulns-*.png.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, logIn, screenshot, withPage as runPage, apiCall as callApi } from './browser.mjs';
import { assertUiServed, getServer } from './server.mjs';

// Against a shared server (MUHAFIZ_URL) names get a run suffix so reruns do not collide.
const run = Date.now().toString(36).slice(-5);
const suffix = process.env.MUHAFIZ_URL ? ` ${run}` : '';
const ORG = `Exampled Users Bank${suffix}`;
const ASSET = `exampled 1.4.1${suffix}`;
const CVE_ID = 'CVE-2026-99001';
const VECTOR = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';

/** A small valid CVE 5 record: ExampleSoft exampled 1.0 ≤ v < 1.4.2 (semver), CVSS 3.1 9.8. */
function cveRecord() {
  const assigner = '8254265b-2729-46b6-b9e3-3dfca2d5bfca';
  return {
    dataType: 'CVE_RECORD',
    dataVersion: '5.1',
    cveMetadata: {
      cveId: CVE_ID,
      assignerOrgId: assigner,
      assignerShortName: 'muhafiz-test',
      state: 'PUBLISHED',
      dateReserved: '2026-10-01T00:00:00.000Z',
      datePublished: '2026-11-02T09:00:00.000Z',
      dateUpdated: '2026-11-02T09:00:00.000Z',
    },
    containers: {
      cna: {
        providerMetadata: { orgId: assigner, shortName: 'muhafiz-test', dateUpdated: '2026-11-02T09:00:00.000Z' },
        title: 'Remote code execution in exampled',
        descriptions: [
          {
            lang: 'en',
            value: 'A crafted request to the exampled management port lets an unauthenticated attacker run code (test record).',
          },
        ],
        affected: [
          {
            vendor: 'ExampleSoft',
            product: 'exampled',
            defaultStatus: 'unaffected',
            versions: [{ version: '1.0', lessThan: '1.4.2', status: 'affected', versionType: 'semver' }],
          },
        ],
        metrics: [
          {
            format: 'CVSS',
            scenarios: [{ lang: 'en', value: 'GENERAL' }],
            cvssV3_1: { version: '3.1', vectorString: VECTOR, baseScore: 9.8, baseSeverity: 'CRITICAL' },
          },
        ],
        problemTypes: [
          { descriptions: [{ lang: 'en', type: 'CWE', cweId: 'CWE-94', description: 'CWE-94 Improper Control of Generation of Code' }] },
        ],
        references: [{ url: 'https://example.com/exampled/security/2026-001', name: 'ExampleSoft advisory' }],
      },
    },
  };
}

let server;
let browser;
const withPage = (name, body) => runPage(browser, server, 'vulns', name, body);
const apiCall = (page, method, path, data) => callApi(page, server, method, path, data);

/** Fails early and clearly when the build has no such route (the API is built in parallel). */
async function requireRoute(page, path) {
  const r = await page.request.get(`${server.url}${path}`);
  assert.notEqual(r.status(), 404, `GET ${path} answers 404: this build/muhafiz does not have that API yet`);
}

/** A public GET without any cookie (the provider's files are for anyone). */
async function publicJson(pathOrUrl) {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${server.url}${pathOrUrl}`;
  const r = await fetch(url, { headers: { Accept: 'application/json' } });
  const text = await r.text();
  assert.equal(r.status, 200, `GET ${url} → ${r.status}: ${text.slice(0, 300)}`);
  return { json: JSON.parse(text), text };
}

describe('vulnerabilities UI', { timeout: 300_000 }, () => {
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

  it('CVSS calculator: scores a vector and shows where a bad one goes wrong', async () => {
    await withPage('cvss', async (page) => {
      await browser.context.clearCookies();
      await logIn(page, server);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vulnerabilities' }).click();
      await page.getByRole('navigation', { name: 'Vulnerabilities' }).getByRole('link', { name: 'CVSS calculator' }).click();
      await page.waitForURL(/\/vulnerabilities\/cvss/);

      const input = page.getByLabel('Vector', { exact: true });
      await input.fill(VECTOR);
      await page.getByRole('button', { name: 'Score', exact: true }).click();
      const result = page.getByTestId('cvss-result');
      await result.waitFor();
      assert.equal((await result.getByTestId('cvss-score').innerText()).trim(), '9.8');
      assert.equal((await result.getByTestId('severity-badge').innerText()).trim(), 'Critical');
      assert.match(await result.innerText(), /CVSS 3\.1/);

      // CVSS 4.0 shows its nomenclature and group scores.
      await input.fill('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N');
      await page.getByRole('button', { name: 'Score', exact: true }).click();
      await result.getByText('CVSS-B').waitFor();
      assert.equal((await result.getByTestId('cvss-score').innerText()).trim(), '9.3');

      // AV:X is no Attack Vector value: the server names position 13 (1-based), the caret sits under it.
      const bad = 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
      await input.fill(bad);
      await page.getByRole('button', { name: 'Score', exact: true }).click();
      const error = page.getByTestId('cvss-error');
      await error.waitFor();
      assert.match(await error.innerText(), /at position 13/);
      const caret = error.getByTestId('cvss-error-position');
      assert.equal(await caret.getAttribute('data-position'), '13');
      const [line, marker] = (await caret.innerText()).split('\n');
      assert.equal(line, bad);
      assert.equal(marker.indexOf('^'), 12, 'the caret is under character 13');
      assert.equal(bad[marker.indexOf('^')], 'X');
      assert.equal(await input.getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByTestId('cvss-result').count(), 0, 'no stale result next to the error');
      await screenshot(page, 'vulns-cvss-error.png');
    });
  });

  it('imports a CVE and an affected asset, shows the finding, publishes an advisory found in the public feed', async () => {
    await withPage('flow', async (page) => {
      await browser.context.clearCookies();
      await logIn(page, server);
      for (const path of ['/api/v1/vulnerabilities', '/api/v1/assets', '/api/v1/findings', '/api/v1/exposure', '/api/v1/advisories'])
        await requireRoute(page, path);

      // 1. Import the CVE 5 record through the Import page.
      await page.goto(`${server.url}/vulnerabilities`);
      await page.getByRole('navigation', { name: 'Vulnerabilities' }).getByRole('link', { name: 'Import' }).click();
      await page.waitForURL(/\/vulnerabilities\/import/);
      await page.getByLabel('File', { exact: true }).setInputFiles({
        name: `${CVE_ID}.json`,
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(cveRecord(), null, 2)),
      });
      await page.getByLabel('Kind', { exact: true }).selectOption('cve5');
      await page.getByRole('button', { name: 'Import', exact: true }).click();
      const report = page.getByTestId('vuln-import-report');
      await report.waitFor();
      assert.equal((await report.getByTestId('import-records').innerText()).trim(), '1');
      assert.equal((await report.getByTestId('import-rejected').innerText()).trim(), '0');
      await screenshot(page, 'vulns-import.png');

      // The record is in the search, with its score.
      await page.goto(`${server.url}/vulnerabilities?q=${CVE_ID}`);
      const vulnRow = page.getByTestId('vuln-row').filter({ hasText: CVE_ID });
      await vulnRow.waitFor();
      assert.match(await vulnRow.innerText(), /9\.8\s*Critical/);

      // 2. An organisation (through the API) under the admin's National CERT.
      const me = await (await page.request.get(`${server.url}/api/v1/auth/me`)).json();
      const created = await apiCall(page, 'POST', '/organisations', {
        name: ORG,
        kind: 'constituent',
        parent_id: me.user.organisation_id,
        sector: 'banking',
        country: 'PK',
        cii: false,
        contacts: { security_email: 'soc@exampled-bank.example.pk', abuse_email: '', phone: '', pgp_key: '' },
        networks: { prefixes: [], asns: [], domains: [] },
      });
      assert.equal(created.status, 201, `organisation created: ${created.text}`);
      const orgId = created.body.id;

      // 3. The asset "exampled 1.4.1" through the Assets page (1.4.1 < 1.4.2: affected).
      await page.goto(`${server.url}/vulnerabilities/assets?organisation=${orgId}`);
      // The organisation is chosen from the tree (the select shows its name once the tree is in).
      await page
        .getByLabel('Organisation', { exact: true })
        .locator('option:checked')
        .filter({ hasText: ORG })
        .waitFor({ state: 'attached' });
      await page.getByRole('button', { name: 'New asset' }).click();
      const form = page.getByTestId('asset-form');
      await form.getByLabel('Name', { exact: true }).fill(ASSET);
      await form.getByLabel('Vendor', { exact: true }).fill('ExampleSoft');
      await form.getByLabel('Product', { exact: true }).fill('exampled');
      await form.getByLabel('Version', { exact: true }).fill('1.4.1');
      await form.getByLabel('Location', { exact: true }).fill('DC-1');
      await form.getByLabel('Criticality', { exact: true }).selectOption('high');
      await form.getByRole('button', { name: 'Create asset' }).click();
      const assetRow = page.getByTestId('asset-row').filter({ hasText: ASSET });
      await assetRow.waitFor();
      assert.match(await assetRow.innerText(), /ExampleSoft exampled 1\.4\.1/);
      await screenshot(page, 'vulns-assets.png');

      // An import with a bad line (without "Skip bad lines") imports nothing and names the line.
      await page.getByText('Import from CSV or CycloneDX JSON').click();
      const importForm = page.getByTestId('asset-import-form');
      await importForm.getByLabel('File', { exact: true }).setInputFiles({
        name: 'inventory.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(
          'name,vendor,product,version,criticality\n' +
            `mail gateway${suffix},ExampleSoft,exampled,1.3.0,high\n` +
            `file server${suffix},ExampleSoft,exampled,1.2.0,extreme\n`,
        ),
      });
      assert.equal(await importForm.getByLabel('Format', { exact: true }).inputValue(), 'csv');
      await importForm.getByRole('button', { name: 'Import', exact: true }).click();
      const importReport = page.getByTestId('asset-import-report');
      await importReport.waitFor();
      assert.match(await importReport.innerText(), /Nothing imported/);
      const problem = importReport.getByTestId('asset-import-problems').locator('tbody tr');
      assert.equal(await problem.count(), 1, 'one problem');
      assert.match(await problem.innerText(), /^\s*3\b[\s\S]*criticality/, 'line 3, column criticality');
      assert.equal(await page.getByTestId('asset-row').count(), 1, 'nothing was imported');

      // 4. The finding on the Exposure page, with its reason (matching may run in the background).
      const findingRow = page.getByTestId('finding-row').filter({ hasText: CVE_ID });
      for (let i = 0; ; i++) {
        await page.goto(`${server.url}/vulnerabilities/exposure?organisation=${orgId}`);
        await page.getByTestId('findings-table').or(page.getByText('No findings match.')).first().waitFor();
        if ((await findingRow.count()) > 0 || i >= 10) break;
        await page.waitForTimeout(500);
      }
      await findingRow.waitFor({ timeout: 2_000 });
      assert.match(await findingRow.innerText(), new RegExp(ASSET.replace(/\./g, '\\.')));
      const reason = (await findingRow.getByTestId('finding-reason').innerText()).trim();
      assert.match(reason, /affected/i, `reason names the status: ${reason}`);
      assert.ok(reason.replace(/affected/i, '').replace(/\(CNA\)/i, '').trim().length > 0, `a reason is given: ${reason}`);
      assert.match(await findingRow.innerText(), /9\.8\s*Critical/);
      const totals = page.getByTestId('exposure-totals');
      assert.ok(Number(await totals.getByTestId('total-findings').locator('.stat-value').innerText()) >= 1, 'totals count the finding');
      await page.getByTestId('exposure-by-org').getByText(ORG).waitFor();
      await page.getByTestId('exposure-by-sector').getByText('banking').waitFor();
      await screenshot(page, 'vulns-exposure.png');

      // Mark not applicable (asks for the reason), then reopen it.
      await findingRow.getByRole('button', { name: 'Mark not applicable' }).click();
      const dialog = page.getByTestId('confirm-dialog').filter({ has: page.getByRole('heading', { name: /not applicable/ }) });
      await dialog.getByRole('button', { name: 'Mark not applicable' }).click();
      await dialog.getByText('Say why this finding does not apply.').waitFor();
      await dialog.getByLabel('Reason', { exact: true }).fill('Management port is firewalled (test)');
      await dialog.getByRole('button', { name: 'Mark not applicable' }).click();
      await page.getByText(/marked not applicable/).waitFor();
      await findingRow.waitFor({ state: 'detached' });
      await page.getByLabel('State', { exact: true }).selectOption('not_applicable');
      await findingRow.waitFor();
      assert.match(await findingRow.innerText(), /Management port is firewalled/);
      await findingRow.getByRole('button', { name: 'Reopen' }).click();
      const reopen = page.getByTestId('confirm-dialog').filter({ has: page.getByRole('heading', { name: /Reopen/ }) });
      await reopen.getByRole('button', { name: 'Reopen' }).click();
      await page.getByText(/reopened/).waitFor();
      await findingRow.waitFor({ state: 'detached' });

      // 5. The CVE page shows scores, products and the exposure.
      await page.goto(`${server.url}/vulnerabilities/cve/${CVE_ID}`);
      const detail = page.getByTestId('cve-detail');
      await detail.getByRole('heading', { level: 1, name: CVE_ID }).waitFor();
      assert.match(await detail.getByTestId('cve-metrics').innerText(), /9\.8\s*Critical/);
      assert.match(await detail.getByTestId('cve-affected-cna').innerText(), /ExampleSoft[\s\S]*exampled[\s\S]*1\.0 ≤ v < 1\.4\.2/);
      const exposureRow = detail.getByTestId('cve-exposure-row').filter({ hasText: ORG });
      await exposureRow.waitFor();
      assert.match(await exposureRow.innerText(), /1\.4\.1/);
      assert.match(await exposureRow.innerText(), /affected/);
      assert.equal(
        await exposureRow.getByRole('link', { name: 'Open finding' }).getAttribute('href'),
        `/vulnerabilities/exposure?organisation=${encodeURIComponent(orgId)}&cve=${CVE_ID}&state=all`,
      );
      // The link leads to the finding.
      await exposureRow.getByRole('link', { name: 'Open finding' }).click();
      await page.getByTestId('finding-row').filter({ hasText: CVE_ID }).filter({ hasText: ASSET }).waitFor();
      assert.equal(await page.getByTestId('finding-row').count(), 1, 'the findings are narrowed to the CVE and organisation');
      await page.goBack();
      await detail.getByRole('heading', { level: 1, name: CVE_ID }).waitFor();
      await screenshot(page, 'vulns-cve.png');

      // 6. An advisory for the CVE (TLP:CLEAR), prefilled from the record, published.
      await detail.getByRole('link', { name: 'Write advisory' }).click();
      const editor = page.getByTestId('advisory-editor');
      await editor.waitFor();
      const title = `Exampled remote code execution${suffix || ` ${run}`}`;
      await editor.getByLabel('Title', { exact: true }).fill(title);
      assert.equal(await editor.getByLabel('TLP', { exact: true }).inputValue(), 'TLP:CLEAR');
      await editor.getByLabel('TLP', { exact: true }).selectOption('TLP:CLEAR');
      assert.equal(await editor.getByLabel('CVEs', { exact: true }).inputValue(), CVE_ID);
      assert.equal(await editor.getByLabel('Vendor', { exact: true }).inputValue(), 'ExampleSoft');
      assert.match(await editor.getByLabel('Affected versions', { exact: true }).inputValue(), /1\.4\.2/);
      assert.equal(await editor.getByLabel('Vector', { exact: true }).inputValue(), VECTOR);
      await editor.getByTestId('score-live-0').getByText('9.8').waitFor();
      await editor.getByRole('button', { name: 'Add remediation' }).click();
      await editor.getByLabel('Details', { exact: true }).fill('Update exampled to 1.4.2 or later.');
      await page.getByRole('button', { name: 'Publish', exact: true }).click();
      const publishDialog = page.getByTestId('confirm-dialog').filter({ has: page.getByRole('heading', { name: 'Publish this advisory?' }) });
      await publishDialog.getByLabel('Revision summary (optional)').fill('Initial release');
      await publishDialog.getByRole('button', { name: 'Publish', exact: true }).click();
      const status = page.getByTestId('advisory-status');
      await status.filter({ hasText: 'published' }).waitFor({ timeout: 30_000 });
      const trackingId = (await page.getByRole('heading', { level: 1 }).innerText()).trim();
      assert.ok(trackingId && trackingId !== 'Draft advisory', `tracking id shown: ${trackingId}`);
      const links = page.getByTestId('advisory-links');
      await links.getByRole('link', { name: 'CSAF JSON' }).waitFor();
      await links.getByRole('link', { name: 'HTML view' }).waitFor();
      await screenshot(page, 'vulns-advisory.png');
      const uiDocPath = await links.getByTestId('advisory-provider-document').getAttribute('href').catch(() => null);

      // The CSAF JSON (session) carries the tracking id and the CVE.
      const csafHref = await links.getByRole('link', { name: 'CSAF JSON' }).getAttribute('href');
      const csaf = await page.request.get(`${server.url}${csafHref}`);
      assert.equal(csaf.status(), 200);
      const doc = await csaf.json();
      assert.equal(doc.document.tracking.id, trackingId);
      assert.equal(doc.document.distribution.tlp.label, 'WHITE');
      assert.ok(doc.vulnerabilities.some((v) => v.cve === CVE_ID), 'the CSAF document names the CVE');

      // The advisory list shows it as published.
      await page.goto(`${server.url}/vulnerabilities/advisories`);
      const advRow = page.getByTestId('advisory-row').filter({ hasText: title });
      await advRow.waitFor();
      assert.match(await advRow.innerText(), new RegExp(`${trackingId}[\\s\\S]*TLP:CLEAR[\\s\\S]*published`));

      // 7. The public provider files, without any cookie.
      const { json: metadata } = await publicJson('/.well-known/csaf/provider-metadata.json');
      const feeds = (metadata.distributions ?? []).flatMap((d) => d.rolie?.feeds ?? []);
      const white = feeds.find((f) => String(f.tlp_label).toUpperCase() === 'WHITE');
      assert.ok(white, `provider metadata lists a TLP:WHITE ROLIE feed: ${JSON.stringify(feeds)}`);
      // The feed URL is canonical (base_url); read the same path from the server under test.
      const feedPath = new URL(white.url, server.url).pathname;
      const { json: feed, text: feedText } = await publicJson(feedPath);
      assert.ok(feedText.includes(trackingId), `the ROLIE feed ${feedPath} lists ${trackingId}`);
      const entry = (feed.feed?.entry ?? []).find((e) => e.id === trackingId || JSON.stringify(e).includes(trackingId));
      assert.ok(entry, 'a feed entry for the advisory');
      const docLink = (entry.content?.src ?? entry.link?.find?.((l) => l.rel === 'self')?.href) || null;
      if (docLink) {
        const { json: publicDoc } = await publicJson(new URL(docLink, server.url).pathname);
        assert.equal(publicDoc.document.tracking.id, trackingId, 'the public document is the advisory');
      }
      // The editor's link to the provider document is a public file with the advisory.
      assert.ok(uiDocPath, 'the editor links the provider document');
      const { json: uiDoc } = await publicJson(uiDocPath);
      assert.equal(uiDoc.document.tracking.id, trackingId);
    });
  });
});
