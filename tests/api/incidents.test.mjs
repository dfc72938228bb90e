// Incidents over the API: the shapes checks rely on, intake (single, bulk, public form with its
// rate limit), lifecycle (409 with the allowed transitions), bad input (400 unknown
// classification, 413 oversize attachment, nothing accepted lost), visibility between sibling
// sectors and of confidential incidents, escalation / delegation / sharing, full-text search and
// filters, export, statistics for the Council, mail-ingest with its exit codes, and the
// notifications received by a real SMTP server (tests/support/smtp_sink.py).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, adminClient, Client, freePort, runCli } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PASSWORD = 'long-enough-password-1';

async function startSmtpSink() {
  const parent = mkdtempSync(path.join(tmpdir(), 'muhafiz-smtp-'));
  const dir = path.join(parent, 'maildir');
  const port = await freePort();
  const child = spawn('/usr/bin/python3', [path.join(root, 'tests/support/smtp_sink.py'), String(port), dir],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('smtp_sink.py did not start: ' + out)), 20000);
    child.stdout.on('data', (d) => { out += d; if (out.includes('ready')) { clearTimeout(timer); resolve(); } });
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`smtp_sink.py exited (${code}): ${out}`)); });
  });
  return {
    port,
    messages() {
      const d = path.join(dir, 'new');
      if (!existsSync(d)) return [];
      return readdirSync(d).map((f) => readFileSync(path.join(d, f), 'utf8'));
    },
    async stop() { child.kill('SIGTERM'); rmSync(parent, { recursive: true, force: true }); },
  };
}

async function waitFor(fn, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

let smtp, server, admin, nationalId, banking, telecom, bankA, council, bankAnalyst, bankAnalyst2, telAnalyst, reporter, councillor;

async function user(username, org, role) {
  const r = await admin.post('/api/v1/users', { username, password: PASSWORD, organisation_id: org, role });
  assert.equal(r.status, 201, r.text);
  const c = new Client(server.base);
  assert.equal((await c.login(username, PASSWORD)).status, 200);
  return c;
}

before(async () => {
  smtp = await startSmtpSink();
  server = await startServer({
    env: {
      MUHAFIZ_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MUHAFIZ_MAIL_FROM: 'cert@cert.example.pk',
      MUHAFIZ_INCIDENTS_MAX_ATTACHMENT_BYTES: '4096', MUHAFIZ_INCIDENTS_PUBLIC_REPORTS_PER_HOUR: '3',
    },
  });
  admin = await adminClient(server.base);
  nationalId = (await admin.get('/api/v1/organisations?kind=national_cert')).json.items[0].id;
  const org = async (body) => {
    const r = await admin.post('/api/v1/organisations', body);
    assert.equal(r.status, 201, r.text);
    return r.json.id;
  };
  banking = await org({ name: 'Banking CERT', kind: 'sectoral_cert', parent_id: nationalId, sector: 'banking',
    contacts: { security_email: 'soc@banking-cert.example.pk' } });
  telecom = await org({ name: 'Telecom CERT', kind: 'sectoral_cert', parent_id: nationalId, sector: 'telecom',
    contacts: { security_email: 'soc@telecom-cert.example.pk' } });
  bankA = await org({ name: 'Bank A', kind: 'constituent', parent_id: banking, networks: { domains: ['bank-a.example.pk'] } });
  council = await org({ name: 'CERT Council', kind: 'cert_council', parent_id: nationalId });
  bankAnalyst = await user('bank.analyst', banking, 'analyst');
  bankAnalyst2 = await user('bank.analyst2', banking, 'analyst');
  telAnalyst = await user('tel.analyst', telecom, 'analyst');
  reporter = await user('bank-a.reporter', bankA, 'reporter');
  councillor = await user('council.member', council, 'council');
});

after(async () => {
  await server?.stop();
  await smtp?.stop();
});

const phishing = () => ({
  title: 'Phishing site imitating Bank A online banking',
  description: 'Customers received e-mails linking to https://bank-a-login.example.net/',
  classification: [{ class: 'fraud', type: 'phishing' }],
  severity: 'high',
  tlp: 'TLP:AMBER',
  organisation_id: bankA,
});

test('create and get: the shapes checks rely on', async () => {
  const r = await reporter.post('/api/v1/incidents', phishing());
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.reference, /^INC-\d{4}-\d{6}$/);
  assert.ok(r.json.id);
  const g = await reporter.get(`/api/v1/incidents/${r.json.id}`);
  assert.equal(g.status, 200);
  for (const k of ['title', 'description', 'severity', 'tlp', 'organisation_id']) assert.deepEqual(g.json[k], phishing()[k], k);
  assert.deepEqual(g.json.classification.map(({ class: c, type }) => ({ class: c, type })), [{ class: 'fraud', type: 'phishing' }]);
  assert.equal(g.json.classification[0].name, 'Fraud / Phishing');
  assert.equal(g.json.status, 'new');
  assert.equal(g.json.handling_organisation.name, 'Banking CERT');
  assert.equal(g.json.regime, 'nis2');
  assert.ok(g.json.deadlines.length >= 3);
  assert.equal(g.headers.get('etag'), '"1"');
  // By reference too.
  assert.equal((await bankAnalyst.get(`/api/v1/incidents/${r.json.reference}`)).json.id, r.json.id);
});

test('bad input: unknown classification 400, invalid transition 409 with the allowed ones, oversize attachment 413', async () => {
  const before = (await admin.get('/api/v1/incidents')).json.total;
  const bad = await bankAnalyst.post('/api/v1/incidents', { ...phishing(), classification: [{ class: 'fraud', type: 'ddos' }] });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'classification');
  assert.equal((await bankAnalyst.post('/api/v1/incidents', { ...phishing(), severity: 'apocalyptic' })).json.error.field, 'severity');
  assert.equal((await bankAnalyst.post('/api/v1/incidents', { ...phishing(), tlp: 'TLP:BLUE' })).status, 400);
  assert.equal((await bankAnalyst.post('/api/v1/incidents', { description: 'no title' })).status, 400);
  assert.equal((await admin.get('/api/v1/incidents')).json.total, before, 'nothing half-created');

  const inc = (await bankAnalyst.post('/api/v1/incidents', phishing())).json;
  const closed = await bankAnalyst.patch(`/api/v1/incidents/${inc.id}`, { status: 'closed' });
  assert.equal(closed.status, 409, closed.text);
  assert.equal(closed.json.error.code, 'conflict');
  assert.deepEqual(closed.json.error.allowed, ['triaged', 'rejected']);
  assert.equal((await bankAnalyst.get(`/api/v1/incidents/${inc.id}`)).json.status, 'new');

  const big = await bankAnalyst.request('POST', `/api/v1/incidents/${inc.id}/attachments?filename=big.bin`, 'x'.repeat(8192),
    { 'content-type': 'application/octet-stream' });
  assert.equal(big.status, 413);
  const ok = await bankAnalyst.request('POST', `/api/v1/incidents/${inc.id}/attachments?filename=notes.txt`, 'hello',
    { 'content-type': 'text/plain' });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.sha256, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  const list = await bankAnalyst.get(`/api/v1/incidents/${inc.id}/attachments`);
  assert.equal(list.json.items.length, 1);
  const file = await bankAnalyst.get(list.json.items[0].url);
  assert.equal(file.text, 'hello');
  // An unknown field and a stale If-Match.
  assert.equal((await bankAnalyst.patch(`/api/v1/incidents/${inc.id}`, { colour: 'red' })).json.error.field, 'colour');
  assert.equal((await bankAnalyst.patch(`/api/v1/incidents/${inc.id}`, { title: 'x' }, { 'if-match': '"99"' })).status, 412);
});

test('lifecycle through PATCH, with who and why on the timeline; reopening', async () => {
  const inc = (await reporter.post('/api/v1/incidents', phishing())).json;
  assert.equal((await reporter.patch(`/api/v1/incidents/${inc.id}`, { status: 'triaged' })).status, 403);
  for (const status of ['triaged', 'in_progress', 'contained', 'resolved', 'closed']) {
    const r = await bankAnalyst.patch(`/api/v1/incidents/${inc.id}`, { status, reason: `now ${status}` });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, status);
  }
  const reopen = await bankAnalyst.patch(`/api/v1/incidents/${inc.id}`, { status: 'in_progress', reason: 'site is back' });
  assert.equal(reopen.status, 200);
  assert.equal(reopen.json.closed_at, null);
  const t = await bankAnalyst.get(`/api/v1/incidents/${inc.id}/timeline`);
  const statuses = t.json.items.filter((e) => e.kind === 'status');
  assert.equal(statuses.length, 6);
  assert.equal(statuses[0].actor, 'bank.analyst');
  assert.equal(statuses[5].data.reason, 'site is back');
  const c = await reporter.post(`/api/v1/incidents/${inc.id}/timeline`, { text: 'It moved to a second domain.' });
  assert.equal(c.status, 201);
});

test('a sibling sector never sees another sector\'s incident; the Council sees only aggregates', async () => {
  const inc = (await reporter.post('/api/v1/incidents', phishing())).json;
  assert.equal((await telAnalyst.get(`/api/v1/incidents/${inc.id}`)).status, 404);
  assert.equal((await telAnalyst.get(`/api/v1/incidents/${inc.id}/timeline`)).status, 404);
  assert.equal((await telAnalyst.get('/api/v1/incidents')).json.total, 0);
  assert.equal((await councillor.get(`/api/v1/incidents/${inc.id}`)).status, 404);
  assert.equal((await councillor.get('/api/v1/incidents')).json.total, 0);
  const stats = await councillor.get('/api/v1/incidents/stats');
  assert.equal(stats.status, 200, stats.text);
  assert.ok(stats.json.total >= 1);
  assert.ok(stats.json.by_sector.some((s) => s.key === 'banking'));
  assert.ok(stats.json.by_classification.some((c) => c.class === 'fraud' && c.type === 'phishing'));
  assert.ok('time_to_acknowledge' in stats.json && 'deadline_compliance' in stats.json);
  assert.ok(!JSON.stringify(stats.json).includes(inc.reference), 'no incident details');
});

test('a confidential incident is hidden from the rest of its own CERT until named', async () => {
  const r = await bankAnalyst.post('/api/v1/incidents', { ...phishing(), title: 'Insider', confidential: true });
  assert.equal(r.status, 201, r.text);
  assert.equal((await bankAnalyst2.get(`/api/v1/incidents/${r.json.id}`)).status, 404);
  assert.equal((await admin.get(`/api/v1/incidents/${r.json.id}`)).status, 404);
  assert.equal((await bankAnalyst2.get('/api/v1/incidents?q=Insider')).json.total, 0);
  const m = await bankAnalyst.patch(`/api/v1/incidents/${r.json.id}`, { members: ['bank.analyst2'] });
  assert.equal(m.status, 200, m.text);
  assert.deepEqual(m.json.members, ['bank.analyst', 'bank.analyst2']);
  assert.equal((await bankAnalyst2.get(`/api/v1/incidents/${r.json.id}`)).status, 200);
});

test('escalation, delegation and sharing across tiers, audited and notified', async () => {
  const inc = (await reporter.post('/api/v1/incidents', { ...phishing(), title: 'Cross-sector outage' })).json;
  const up = await bankAnalyst.post(`/api/v1/incidents/${inc.id}/escalate`, { reason: 'several sectors' });
  assert.equal(up.status, 200, up.text);
  assert.equal(up.json.handling_organisation.id, nationalId);
  const down = await admin.post(`/api/v1/incidents/${inc.id}/delegate`, { organisation_id: telecom, reason: 'telecom angle' });
  assert.equal(down.status, 200, down.text);
  assert.equal(down.json.handling_organisation.name, 'Telecom CERT');
  assert.equal((await telAnalyst.get(`/api/v1/incidents/${inc.id}`)).status, 200);
  assert.equal((await admin.post(`/api/v1/incidents/${inc.id}/delegate`, { organisation_id: bankA })).status, 400);
  const share = await telAnalyst.post(`/api/v1/incidents/${inc.id}/share`, { organisation_id: council, access: 'read' });
  assert.equal(share.status, 200, share.text);
  const kinds = (await admin.get(`/api/v1/incidents/${inc.id}/timeline`)).json.items.map((e) => e.kind);
  assert.deepEqual(kinds, ['created', 'escalation', 'delegation', 'share']);
  const audit = await admin.get(`/api/v1/audit?object_id=${inc.id}`);
  if (audit.status === 200) {
    const actions = audit.json.items.map((e) => e.action);
    for (const a of ['incident.create', 'incident.escalate', 'incident.delegate', 'incident.share']) assert.ok(actions.includes(a), a);
  }
  // The receiving CERTs were e-mailed; the delivery log shows it.
  const got = await waitFor(() => smtp.messages().filter((m) => m.includes(`[${inc.reference}]`)).length >= 2 &&
    smtp.messages().filter((m) => m.includes(`[${inc.reference}]`)));
  assert.ok(got, 'e-mails arrived');
  assert.ok(got.some((m) => m.includes('X-RcptTo: soc@banking-cert.example.pk')));
  assert.ok(got.some((m) => m.includes('X-RcptTo: soc@telecom-cert.example.pk') && m.includes('Delegated')));
  const log = await admin.get(`/api/v1/incidents/${inc.id}/notifications`);
  assert.ok(log.json.items.length >= 2);
});

test('search, filters, sort, cursor pages, export; bulk create, assign and close', async () => {
  const many = Array.from({ length: 30 }, (_, i) => ({
    title: `Bulk ddos ${i}`, classification: ['availability/ddos'], severity: i % 2 ? 'low' : 'critical',
    organisation_id: bankA, tags: i < 5 ? ['campaign-x'] : [],
  }));
  const bulk = await bankAnalyst.post('/api/v1/incidents/bulk', { incidents: many });
  assert.equal(bulk.status, 201, bulk.text);
  assert.equal(bulk.json.count, 30);
  const refused = await bankAnalyst.post('/api/v1/incidents/bulk', { incidents: [many[0], { ...many[1], classification: ['nope'] }] });
  assert.equal(refused.status, 400);
  assert.equal(refused.json.error.field, 'incidents[1].classification');
  assert.equal((await bankAnalyst.get('/api/v1/incidents?classification=availability')).json.total, 30, 'all or nothing');

  const q = await bankAnalyst.get('/api/v1/incidents?q=ddos&severity=critical');
  assert.equal(q.json.total, 15);
  const tag = await bankAnalyst.get('/api/v1/incidents?tag=campaign-x');
  assert.equal(tag.json.total, 5);
  const seen = new Set();
  let cursor = '';
  for (let i = 0; i < 10; i++) {
    const page = await bankAnalyst.get(`/api/v1/incidents?classification=availability/ddos&sort=-severity&limit=7${cursor ? '&cursor=' + cursor : ''}`);
    assert.equal(page.json.total, 30);
    page.json.items.forEach((it) => seen.add(it.id));
    if (!page.json.next) break;
    cursor = encodeURIComponent(page.json.next);
  }
  assert.equal(seen.size, 30);
  assert.equal((await bankAnalyst.get('/api/v1/incidents?status=bogus')).status, 400);
  const csv = await bankAnalyst.get('/api/v1/incidents?classification=availability&format=csv');
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  assert.equal(csv.text.trim().split('\n').length, 31);
  const json = await bankAnalyst.get('/api/v1/incidents?tag=campaign-x&format=json');
  assert.equal(json.json.length, 5);

  const ids = bulk.json.created.slice(0, 3).map((c) => c.id);
  const assign = await bankAnalyst.post('/api/v1/incidents/bulk-update', { ids, assignee: 'bank.analyst2' });
  assert.deepEqual(assign.json.failed, []);
  assert.equal((await bankAnalyst2.get('/api/v1/incidents?queue=mine')).json.total, 3);
  await bankAnalyst.post('/api/v1/incidents/bulk-update', { ids, status: 'triaged' });
  await bankAnalyst.post('/api/v1/incidents/bulk-update', { ids, status: 'resolved' });
  const close = await bankAnalyst.post('/api/v1/incidents/bulk-update', { ids: [...ids, bulk.json.created[3].id], status: 'closed', reason: 'done' });
  assert.equal(close.json.updated.length, 3);
  assert.equal(close.json.failed.length, 1);
  assert.equal(close.json.failed[0].error.code, 'conflict');
});

test('tasks, observables seen in other incidents, links and merges', async () => {
  const a = (await bankAnalyst.post('/api/v1/incidents', { ...phishing(), observables: [{ type: 'domain', value: 'Bank-A-Login.example.net' }] })).json;
  const b = (await bankAnalyst.post('/api/v1/incidents', phishing())).json;
  const tasks = await bankAnalyst.get(`/api/v1/incidents/${a.id}/tasks`);
  assert.ok(tasks.json.items.some((t) => t.title.includes('take-down')), 'templates of fraud/phishing');
  const t = await bankAnalyst.post(`/api/v1/incidents/${a.id}/tasks`, { title: 'Call the registrar', assignee: 'bank.analyst2', due_at: '2030-01-01T00:00:00Z' });
  assert.equal(t.status, 201, t.text);
  const done = await bankAnalyst.patch(`/api/v1/incidents/${a.id}/tasks/${t.json.id}`, { status: 'done', note: 'registrar suspended it' });
  assert.equal(done.json.status, 'done');
  assert.equal(done.json.log.at(-1).text, 'registrar suspended it');
  const o = await bankAnalyst.post(`/api/v1/incidents/${b.id}/observables`, { type: 'domain', value: 'bank-a-login.example.net' });
  assert.equal(o.status, 201, o.text);
  assert.deepEqual(o.json.seen_in, [a.reference]);
  assert.equal((await bankAnalyst.post(`/api/v1/incidents/${b.id}/observables`, { type: 'ip', value: '1.2.3' })).status, 400);
  assert.equal((await bankAnalyst.post(`/api/v1/incidents/${a.id}/links`, { incident: b.reference })).status, 200);
  assert.deepEqual((await bankAnalyst.get(`/api/v1/incidents/${b.id}/links`)).json.items, [a.reference]);
  const m = await bankAnalyst.post(`/api/v1/incidents/${a.id}/merge`, { into: b.id, reason: 'duplicate' });
  assert.equal(m.status, 200, m.text);
  assert.equal(m.json.status, 'merged');
  assert.equal(m.json.merged_into, b.reference);
});

test('the public report form needs no account, is rate-limited, and lands in the National CERT triage queue', async () => {
  const anon = new Client(server.base);
  const tax = await anon.get('/api/v1/report/taxonomy');
  assert.equal(tax.status, 200);
  assert.ok(tax.json.classes.length >= 10);
  assert.equal((await anon.post('/api/v1/report', { title: 'No contact' })).json.error.field, 'reporter.email');
  const r = await anon.post('/api/v1/report', {
    title: 'Defaced website', description: 'Our homepage shows a defacement', classification: [{ class: 'intrusions', type: 'application-compromise' }],
    reporter: { name: 'Citizen', email: 'citizen@example.org' }, organisation_name: 'City Library',
  });
  assert.equal(r.status, 201, r.text);
  const got = await admin.get(`/api/v1/incidents/${r.json.reference}`);
  assert.equal(got.json.handling_organisation.id, nationalId);
  assert.equal(got.json.reporter.email, 'citizen@example.org');
  assert.equal(got.json.source, 'public');
  const triage = await admin.get('/api/v1/incidents?queue=triage&q=defaced');
  assert.equal(triage.json.total, 1);
  let last;
  for (let i = 0; i < 3; i++) last = await anon.post('/api/v1/report', { title: 'spam ' + i, reporter: { email: 'x@example.org' } });
  assert.equal(last.status, 429);
  assert.equal(last.json.error.code, 'too_many_requests');
});

test('mail-ingest: new reports, replies by reference with attachments, dead letters and exit codes', () => {
  const args = ['mail-ingest', '--data-dir', server.dataDir, ...(server.database ? ['--database', server.database] : [])];
  const plain = runCli(args, { input: readFileSync(path.join(root, 'tests/data/mail/plain.eml')) });
  assert.equal(plain.status, 0, plain.stderr);
  const ref = plain.stdout.match(/created (INC-\d{4}-\d{6})/)[1];
  const reply = readFileSync(path.join(root, 'tests/data/mail/reference.eml'), 'utf8').replace('INC-2026-000001', ref);
  const appended = runCli(args, { input: reply });
  assert.equal(appended.status, 0, appended.stderr);
  assert.match(appended.stdout, new RegExp(`appended to ${ref} with 1 attachment`));
  const broken = runCli(args, { input: readFileSync(path.join(root, 'tests/data/mail/broken.eml')) });
  assert.equal(broken.status, 65);
  const unknown = runCli(args, { input: reply.replace(ref, 'INC-1999-000001') });
  assert.equal(unknown.status, 65);
  const dead = path.join(server.dataDir, 'incidents/dead-letter');
  const files = readdirSync(dead);
  assert.equal(files.filter((f) => f.endsWith('.eml')).length, 2);
  assert.ok(files.filter((f) => f.endsWith('.reason')).some((f) => readFileSync(path.join(dead, f), 'utf8').includes('INC-1999-000001')));
  const help = runCli(['mail-ingest', '--help']);
  assert.match(help.stdout, /65/);
  assert.match(help.stdout, /75/);
});

test('custom fields per CERT, reporting deadlines recorded, regimes and taxonomy', async () => {
  const put = await admin.request('PUT', '/api/v1/incidents/fields', { items: [
    { name: 'case_number', type: 'string', required: true, label: 'Police case number' },
    { name: 'loss', type: 'number' },
  ] });
  assert.equal(put.status, 200, put.text);
  assert.equal((await admin.get('/api/v1/incidents/fields')).json.items.length, 2);
  // National CERT incidents need the mandatory field; other CERTs' do not.
  const missing = await admin.post('/api/v1/incidents', { title: 'National case', organisation_id: nationalId });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error.field, 'custom_fields.case_number');
  const wrong = await admin.post('/api/v1/incidents', { title: 'National case', custom_fields: { case_number: 'X-1', loss: 'lots' } });
  assert.equal(wrong.json.error.field, 'custom_fields.loss');
  const ok = await admin.post('/api/v1/incidents', { title: 'National case', severity: 'critical', custom_fields: { case_number: 'X-1', loss: 1200 } });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.regime, 'national');
  assert.deepEqual(ok.json.deadlines.map((d) => d.kind), ['acknowledge', 'early_warning', 'notification', 'final_report']);
  const ack = Date.parse(ok.json.deadlines[0].due_at) - Date.parse(ok.json.created_at);
  assert.equal(ack, 3600 * 1000, 'critical: acknowledge within 1 h');
  assert.equal((await bankAnalyst.request('PUT', '/api/v1/incidents/fields', { items: [] })).status, 403);
  const met = await admin.post(`/api/v1/incidents/${ok.json.id}/deadlines/early_warning`, {});
  assert.equal(met.status, 200, met.text);
  assert.ok(met.json.deadlines.find((d) => d.kind === 'early_warning').met_at);
  assert.equal((await admin.post(`/api/v1/incidents/${ok.json.id}/deadlines/early_warning`, {})).status, 409);
  assert.equal((await admin.post(`/api/v1/incidents/${ok.json.id}/deadlines/bogus`, {})).status, 400);
  const regimes = await bankAnalyst.get('/api/v1/incidents/regimes');
  assert.deepEqual(Object.keys(regimes.json.regimes).sort(), ['cert-in', 'national', 'nis2']);
  assert.equal(regimes.json.sectors.banking, 'nis2');
  const due = await admin.get('/api/v1/incidents?queue=due_soon');
  assert.equal(due.status, 200);
  assert.ok(due.json.items.some((i) => i.id === ok.json.id), 'the 1 h acknowledge deadline is due soon');
  await admin.request('PUT', '/api/v1/incidents/fields', { items: [] });
});
