// Vulnerability management end to end over the API: a CVE 5 record imported, a constituent's
// assets matched against it (findings with reasons), KEV raising the priority, a constituent's
// "not applicable" verdict surviving a re-import, visibility between sibling sectors, the
// exposure summary, bad input, a vendor's CSAF VEX document settling a finding, and the digest
// e-mail to the constituent and its CERT through a real SMTP server (tests/support/smtp_sink.py,
// Debian's python3 with aiosmtpd).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, adminClient, Client, freePort } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CVE = 'CVE-2026-10001';
const PASSWORD = 'long-enough-password-1';

function cveRecord({ updated = '2026-01-10T10:00:00.000Z', title = 'exampled heap overflow in the request parser' } = {}) {
  return {
    dataType: 'CVE_RECORD',
    dataVersion: '5.1',
    cveMetadata: {
      cveId: CVE,
      assignerOrgId: '6dda929c-bb53-4a77-a76d-48e79601a1ce',
      assignerShortName: 'ExampleCNA',
      state: 'PUBLISHED',
      datePublished: '2026-01-10T10:00:00.000Z',
      dateUpdated: updated,
    },
    containers: {
      cna: {
        providerMetadata: { orgId: '6dda929c-bb53-4a77-a76d-48e79601a1ce', shortName: 'ExampleCNA' },
        title,
        descriptions: [{ lang: 'en', value: 'A heap overflow in exampled before 1.4.2 lets a remote attacker run code.' }],
        affected: [{
          vendor: 'ExampleSoft',
          product: 'exampled',
          defaultStatus: 'unaffected',
          versions: [{ version: '1.0', lessThan: '1.4.2', status: 'affected', versionType: 'semver' }],
        }],
        metrics: [{ format: 'CVSS', cvssV3_1: { version: '3.1', vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', baseScore: 9.8, baseSeverity: 'CRITICAL' } }],
        problemTypes: [{ descriptions: [{ lang: 'en', type: 'CWE', cweId: 'CWE-787', description: 'CWE-787 Out-of-bounds Write' }] }],
        references: [{ url: 'https://exampled.example.com/security/2026-1' }],
      },
    },
  };
}

const KEV = {
  title: 'CISA Catalog of Known Exploited Vulnerabilities',
  catalogVersion: '2026.01.15',
  dateReleased: '2026-01-15T12:00:00.000Z',
  count: 1,
  vulnerabilities: [{
    cveID: CVE,
    vendorProject: 'ExampleSoft',
    product: 'exampled',
    vulnerabilityName: 'ExampleSoft exampled Heap Overflow',
    dateAdded: '2026-01-15',
    shortDescription: 'A heap overflow in exampled lets a remote attacker run code.',
    requiredAction: 'Apply mitigations per vendor instructions or discontinue use of the product.',
    dueDate: '2026-02-05',
    knownRansomwareCampaignUse: 'Unknown',
    notes: '',
  }],
};

// The real SMTP server of tests/support/, storing what it receives in a Maildir.
async function startSmtpSink() {
  const parent = mkdtempSync(path.join(tmpdir(), 'muhafiz-smtp-'));
  const dir = path.join(parent, 'maildir');  // created by the sink (Maildir(create=True) needs it absent)
  const port = await freePort();
  const child = spawn(process.env.MUHAFIZ_PYTHON || '/usr/bin/python3',
    [path.join(root, 'tests/support/smtp_sink.py'), String(port), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('smtp_sink.py did not start: ' + out)), 20000);
    child.stdout.on('data', (d) => { out += d; if (out.includes('ready\n')) { clearTimeout(timer); resolve(); } });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`smtp_sink.py exited (${code}): ${out}`)); });
  });
  child.removeAllListeners('exit');
  return {
    port,
    messages: () => {
      try { return readdirSync(path.join(dir, 'new')).map((f) => readFileSync(path.join(dir, 'new', f), 'utf8')); } catch { return []; }
    },
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(parent, { recursive: true, force: true });
    },
  };
}

// Minimal MIME reading: the top-level headers (unfolded) and the parts of a multipart message.
function header(message, name) {
  const head = message.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const m = head.match(new RegExp(`^${name}:\\s*(.*)$`, 'im'));
  return m ? m[1].trim() : null;
}
function attachments(message) {
  const boundary = message.match(/boundary="?([^";\r\n]+)"?/i)?.[1];
  if (!boundary) return [];
  return message.split('--' + boundary).slice(1)
    .filter((p) => /filename="?([^";\r\n]+)/i.test(p))
    .map((p) => {
      const [head, ...rest] = p.split(/\r?\n\r?\n/);
      const body = rest.join('\n').replace(/\s+/g, '');
      return { filename: head.match(/filename="?([^";\r\n]+)/i)[1], text: Buffer.from(body, 'base64').toString('utf8') };
    });
}
async function waitFor(fn, what, timeout = 20000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Sends only the head of a request whose Content-Length is `length`; answers the status line.
function headOnly(port, target, length, extra = '') {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(`POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`);
    });
    let data = '';
    s.on('data', (d) => { data += d; if (data.includes('\r\n')) { s.destroy(); resolve(Number(data.split(' ')[1])); } });
    s.on('error', reject);
  });
}

let smtp, server, admin, energy, finance, plant, financeAnalyst;
before(async () => {
  smtp = await startSmtpSink();
  server = await startServer({ env: { MUHAFIZ_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MUHAFIZ_MAIL_FROM: 'cert@cert.example.pk' } });
  admin = await adminClient(server.base);
  const rootOrg = (await admin.get('/api/v1/organisations?kind=national_cert')).json.items[0];
  const org = async (body) => {
    const r = await admin.post('/api/v1/organisations', body);
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  energy = await org({ name: 'Energy Sector CERT', kind: 'sectoral_cert', parent_id: rootOrg.id, sector: 'energy',
    contacts: { security_email: 'soc@energy-cert.example.pk' } });
  finance = await org({ name: 'Finance Sector CERT', kind: 'sectoral_cert', parent_id: rootOrg.id, sector: 'banking' });
  plant = await org({ name: 'Northern Power Plant', kind: 'constituent', parent_id: energy.id, sector: 'energy',
    contacts: { security_email: 'security@northern-power.example.pk', abuse_email: 'abuse@northern-power.example.pk' } });
  assert.equal((await admin.post('/api/v1/users', { username: 'finance.analyst', password: PASSWORD, organisation_id: finance.id, role: 'analyst' })).status, 201);
  financeAnalyst = new Client(server.base);
  assert.equal((await financeAnalyst.login('finance.analyst', PASSWORD)).status, 200);
});
after(async () => {
  await server?.stop();
  await smtp?.stop();
});

const importFile = (client, body, kind = 'auto') =>
  client.request('POST', `/api/v1/vulnerabilities/import?kind=${kind}`, typeof body === 'string' ? body : JSON.stringify(body),
    { 'content-type': 'application/json' });

let vulnerable, patched, finding;

test('a CVE 5 record is imported and searchable', async () => {
  const r = await importFile(admin, cveRecord());
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.inserted, 1);
  assert.equal(r.json.rejected, 0);
  assert.deepEqual(r.json.problems, []);
  const list = await admin.get('/api/v1/vulnerabilities?q=exampled&min_cvss=9&since=2026-01-01');
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.total, 1);
  const item = list.json.items[0];
  assert.equal(item.cve_id, CVE);
  assert.deepEqual(item.cvss, { score: 9.8, severity: 'CRITICAL', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', source: 'cna' });
  assert.equal(item.kev, false);
  assert.equal(item.exposed_organisations, 0);
  const again = await importFile(admin, cveRecord(), 'cve5');
  assert.equal(again.json.unchanged, 1);
});

test('an asset in the affected range gets a finding naming the range; the fixed version none', async () => {
  let r = await admin.post('/api/v1/assets', { organisation_id: plant.id, name: 'SCADA gateway', vendor: 'ExampleSoft', product: 'exampled',
    version: '1.4.1', location: 'control room', criticality: 'critical' });
  assert.equal(r.status, 201, r.text);
  vulnerable = r.json;
  assert.equal(vulnerable.organisation_name, 'Northern Power Plant');
  assert.equal(vulnerable.findings, 1);
  assert.equal(r.headers.get('etag'), `"${vulnerable.version_row}"`);
  r = await admin.post('/api/v1/assets', { organisation_id: plant.id, name: 'Billing portal', vendor: 'ExampleSoft', product: 'exampled', version: '1.4.2' });
  assert.equal(r.status, 201, r.text);
  patched = r.json;
  assert.equal(patched.findings, 0);

  const list = await admin.get(`/api/v1/findings?organisation_id=${plant.id}`);
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.total, 1);
  finding = list.json.items[0];
  assert.equal(finding.cve_id, CVE);
  assert.equal(finding.status, 'affected');
  assert.equal(finding.source, 'cna');
  assert.equal(finding.state, 'open');
  assert.equal(finding.severity, 'critical');
  assert.equal(finding.kev, false);
  assert.equal(finding.asset.id, vulnerable.id);
  assert.equal(finding.asset.version, '1.4.1');
  assert.deepEqual(finding.organisation, { id: plant.id, name: 'Northern Power Plant' });
  assert.match(finding.reason, /1\.0/);
  assert.match(finding.reason, /1\.4\.2/);
  assert.equal((await admin.get(`/api/v1/findings?asset_id=${patched.id}`)).json.total, 0);

  const detail = await admin.get(`/api/v1/vulnerabilities/${CVE}`);
  assert.equal(detail.status, 200, detail.text);
  assert.equal(detail.json.exposed_organisations, 1);
  assert.equal(detail.json.kev, null);
  assert.deepEqual(detail.json.cwes, ['CWE-787']);
  assert.equal(detail.json.affected[0].source, 'cna');
  assert.deepEqual(detail.json.affected[0].versions[0],
    { version: '1.0', less_than: '1.4.2', less_than_or_equal: null, status: 'affected', version_type: 'semver' });
  assert.equal(detail.json.exposure.length, 1);
  assert.equal(detail.json.exposure[0].finding_id, finding.id);
  assert.equal(detail.json.exposure[0].asset.version, '1.4.1');
});

test('the digest reaches the constituent and its CERT, with the CSV attachment', async () => {
  const mails = await waitFor(() => {
    const m = smtp.messages();
    return m.length >= 2 ? m : null;
  }, 'two digest e-mails');
  const toPlant = mails.find((m) => /security@northern-power\.example\.pk/.test(header(m, 'To') ?? ''));
  const toCert = mails.find((m) => /soc@energy-cert\.example\.pk/.test(header(m, 'To') ?? ''));
  assert.ok(toPlant, 'digest to the security contact');
  assert.ok(toCert, 'digest to the nearest CERT');
  assert.match(header(toPlant, 'From'), /cert@cert\.example\.pk/);
  const reference = header(toPlant, 'X-Muhafiz-Reference');
  assert.match(reference, /^VULN-\d{4}-\d{6}$/);
  assert.equal(header(toCert, 'X-Muhafiz-Reference'), reference);
  assert.match(header(toPlant, 'Subject'), new RegExp(reference));
  const csv = attachments(toPlant).find((a) => a.filename.endsWith('.csv'));
  assert.ok(csv, 'a CSV attachment');
  assert.match(csv.text, /^organisation,cve_id,/);
  assert.match(csv.text, new RegExp(`${CVE}.*SCADA gateway`));
  assert.equal(smtp.messages().length, 2, 'one digest per recipient, not one per finding');
});

test('KEV raises the priority and sets the kev flag', async () => {
  const before = finding.priority;
  const r = await importFile(admin, KEV);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.inserted, 1);
  const list = await admin.get(`/api/v1/findings?organisation_id=${plant.id}&kev=true`);
  assert.equal(list.json.total, 1);
  assert.equal(list.json.items[0].kev, true);
  assert.ok(list.json.items[0].priority >= before + 100, `${list.json.items[0].priority} vs ${before}`);
  const detail = await admin.get(`/api/v1/vulnerabilities/${CVE}`);
  assert.equal(detail.json.kev.due_date, '2026-02-05');
  assert.equal((await admin.get('/api/v1/vulnerabilities?kev=true')).json.total, 1);
});

test('a not-applicable verdict needs a reason and survives a re-import of the CVE', async () => {
  let r = await admin.patch(`/api/v1/findings/${finding.id}`, { state: 'not_applicable' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'reason');
  r = await admin.patch(`/api/v1/findings/${finding.id}`, { state: 'closed', reason: 'x' });
  assert.equal(r.json.error.field, 'state');
  r = await admin.patch(`/api/v1/findings/${finding.id}`, { state: 'not_applicable', reason: 'the parser module is disabled on this gateway' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, 'not_applicable');
  const reimport = await importFile(admin, cveRecord({ updated: '2026-01-20T10:00:00.000Z', title: 'exampled heap overflow (updated)' }));
  assert.equal(reimport.json.updated, 1);
  const after = await admin.get(`/api/v1/findings?organisation_id=${plant.id}`);
  assert.equal(after.json.total, 1);
  assert.equal(after.json.items[0].state, 'not_applicable');
  assert.equal(after.json.items[0].state_reason, 'the parser module is disabled on this gateway');
  assert.equal(after.json.items[0].title, 'exampled heap overflow (updated)');
  r = await admin.patch(`/api/v1/findings/${finding.id}`, { state: 'open' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, 'open');
});

test('a user of a sibling sector sees none of it', async () => {
  const list = await financeAnalyst.get('/api/v1/findings');
  assert.equal(list.status, 200, list.text);
  assert.equal(list.json.total, 0);
  assert.equal((await financeAnalyst.get(`/api/v1/assets/${vulnerable.id}`)).status, 404);
  assert.equal((await financeAnalyst.patch(`/api/v1/findings/${finding.id}`, { state: 'not_applicable', reason: 'x' })).status, 404);
  assert.equal((await financeAnalyst.get('/api/v1/assets')).json.total, 0);
  assert.equal((await financeAnalyst.get(`/api/v1/exposure?organisation_id=${plant.id}`)).status, 404);
  const detail = await financeAnalyst.get(`/api/v1/vulnerabilities/${CVE}`);
  assert.equal(detail.status, 200, 'vulnerability records are public knowledge');
  assert.deepEqual(detail.json.exposure, []);
  assert.equal(detail.json.exposed_organisations, 0);
  assert.equal((await importFile(financeAnalyst, cveRecord())).status, 403, 'only the National CERT imports');
});

test('exposure sums open findings by organisation and sector', async () => {
  const r = await admin.get('/api/v1/exposure');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.totals.findings, 1);
  assert.equal(r.json.totals.kev, 1);
  assert.equal(r.json.totals.critical, 1);
  assert.equal(r.json.by_organisation.length, 1);
  assert.deepEqual(r.json.by_organisation[0].organisation,
    { id: plant.id, name: 'Northern Power Plant', kind: 'constituent', sector: 'energy' });
  assert.deepEqual(r.json.by_sector.map((s) => [s.sector, s.findings, s.critical]), [['energy', 1, 1]]);
  const sub = await admin.get(`/api/v1/exposure?organisation_id=${energy.id}`);
  assert.equal(sub.json.organisation.name, 'Energy Sector CERT');
  assert.equal(sub.json.totals.findings, 1);
  const other = await admin.get(`/api/v1/exposure?organisation_id=${finance.id}`);
  assert.equal(other.json.totals.findings, 0);
});

test('asset changes re-match: patching the version resolves, deleting removes', async () => {
  let r = await admin.patch(`/api/v1/assets/${vulnerable.id}`, { version: '1.4.2' }, { 'if-match': '"999"' });
  assert.equal(r.status, 412);
  r = await admin.patch(`/api/v1/assets/${vulnerable.id}`, { version: '1.4.2' }, { 'if-match': `"${vulnerable.version_row}"` });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.findings, 0);
  assert.equal((await admin.get(`/api/v1/findings?organisation_id=${plant.id}&state=resolved`)).json.total, 1);
  r = await admin.patch(`/api/v1/assets/${vulnerable.id}`, { version: '1.2.0' });
  assert.equal(r.json.findings, 1, 'a resolved finding reopens');
  assert.equal((await admin.delete(`/api/v1/assets/${patched.id}`)).status, 204);
  assert.equal((await admin.get(`/api/v1/assets/${patched.id}`)).status, 404);
});

test('an asset import matches the new assets in one run', async () => {
  const csv = 'name,vendor,product,version,location\nEdge router,ExampleSoft,exampled,1.3.0,substation 4\nHistorian,ExampleSoft,exampled,2.0.0,HQ\n';
  const r = await admin.request('POST', `/api/v1/assets/import?organisation_id=${plant.id}&format=csv`, csv, { 'content-type': 'text/csv' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.created, 2);
  assert.equal(r.json.committed, true);
  const list = await admin.get(`/api/v1/findings?organisation_id=${plant.id}&state=open`);
  assert.deepEqual(list.json.items.map((f) => f.asset.name).sort(), ['Edge router', 'SCADA gateway']);
  const bad = await admin.request('POST', `/api/v1/assets/import?organisation_id=${plant.id}&format=csv`,
    'name,cpe\nBroken,cpe:2.3:nonsense\n', { 'content-type': 'text/csv' });
  assert.equal(bad.status, 200, bad.text);
  assert.equal(bad.json.committed, false);
  assert.equal(bad.json.problems[0].line, 2);
  assert.equal(bad.json.problems[0].field, 'cpe');
});

test('bad input: 400 naming the field, reports with problems, oversize bodies', async () => {
  let r = await admin.post('/api/v1/assets', { organisation_id: plant.id, name: 'Bad', cpe: 'cpe:2.3:not-a-cpe' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'cpe');
  r = await admin.post('/api/v1/assets', { organisation_id: plant.id, name: 'Bad', vendor: 'x', product: 'y', version: '1', criticality: 'urgent' });
  assert.equal(r.json.error.field, 'criticality');
  r = await admin.post('/api/v1/assets', { organisation_id: plant.id, name: 'Bad', colour: 'red' });
  assert.equal(r.json.error.field, 'colour');
  r = await admin.get('/api/v1/vulnerabilities?min_cvss=eleven');
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'min_cvss');
  assert.equal((await admin.get('/api/v1/vulnerabilities?since=yesterday')).json.error.field, 'since');
  assert.equal((await admin.get('/api/v1/vulnerabilities?sort=random')).json.error.field, 'sort');
  assert.equal((await admin.get('/api/v1/findings?state=gone')).json.error.field, 'state');
  assert.equal((await admin.get('/api/v1/vulnerabilities/CVE-2026-99999')).status, 404);
  assert.equal((await importFile(admin, cveRecord(), 'oval')).json.error.field, 'kind');
  assert.equal((await importFile(admin, '')).json.error.field, 'body');

  r = await importFile(admin, '{"cveMetadata": ', 'cve5');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.rejected, 1);
  assert.equal(r.json.problems.length, 1);
  assert.match(r.json.problems[0].reason, /JSON/);
  const broken = cveRecord();
  broken.cveMetadata.cveId = 'CVE-2026-10002';
  delete broken.containers.cna.affected;
  broken.containers.cna.descriptions = 'not a list';
  r = await importFile(admin, broken);
  assert.equal(r.json.rejected, 1);
  assert.equal(r.json.problems[0].record, 'CVE-2026-10002');

  // Over the route's limit: 413 before the body is read (256 MiB for imports, the default elsewhere).
  assert.equal(await headOnly(server.port, '/api/v1/vulnerabilities/import', 256 * 1024 * 1024 + 1), 413);
  assert.equal(await headOnly(server.port, '/api/v1/assets', 64 * 1024 * 1024), 413);
});

// A vendor's CSAF VEX document: `product` `version` (with a purl helper) under `status`.
function vexDocument({ trackingId = 'EXS-VEX-2026-0001', status = 'known_not_affected', version = '1.3.0' } = {}) {
  return {
    document: {
      category: 'csaf_vex',
      csaf_version: '2.0',
      distribution: { tlp: { label: 'WHITE' } },
      lang: 'en',
      publisher: { category: 'vendor', name: 'ExampleSoft', namespace: 'https://examplesoft.example' },
      title: `exampled ${version} and ${CVE}`,
      tracking: {
        current_release_date: '2026-02-01T10:00:00.000Z',
        id: trackingId,
        initial_release_date: '2026-02-01T10:00:00.000Z',
        revision_history: [{ date: '2026-02-01T10:00:00.000Z', number: '1', summary: 'Initial version.' }],
        status: 'final',
        version: '1',
      },
    },
    product_tree: {
      branches: [{
        category: 'vendor', name: 'ExampleSoft', branches: [{
          category: 'product_name', name: 'exampled', branches: [{
            category: 'product_version', name: version,
            product: { name: `ExampleSoft exampled ${version}`, product_id: 'CSAFPID-0001',
              product_identification_helper: { purl: `pkg:generic/examplesoft/exampled@${version}` } },
          }],
        }],
      }],
    },
    vulnerabilities: [{ cve: CVE, notes: [{ category: 'description', text: 'The overflow needs the legacy parser, which 1.3.0 does not ship.' }],
      product_status: { [status]: ['CSAFPID-0001'] } }],
  };
}

test('a CSAF VEX import settles the findings it speaks about', async () => {
  const r = await admin.request('POST', '/api/v1/csaf/import', JSON.stringify(vexDocument()), { 'content-type': 'application/json' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.category, 'csaf_vex');
  const list = await admin.get(`/api/v1/findings?organisation_id=${plant.id}&cve=${CVE}`);
  assert.equal(list.status, 200, list.text);
  const byAsset = Object.fromEntries(list.json.items.map((f) => [f.asset.name, f]));
  assert.equal(byAsset['Edge router'].state, 'not_applicable', 'exampled 1.3.0 is known_not_affected');
  assert.match(byAsset['Edge router'].state_reason, /EXS-VEX-2026-0001/);
  assert.equal(byAsset['SCADA gateway'].state, 'open', 'the statement is about 1.3.0 only');
});
