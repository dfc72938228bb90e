// Feeds over the API: authenticated upload of a Shadowserver report, routing to the owner, its
// CERT and the partner CERT abroad, the constituent pull API (JSON, JSON lines, CSV, filters,
// cursor pages, visibility), dead letters and replay, digest preferences and the digest log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, adminClient, Client } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sample = (name) => readFileSync(path.join(root, 'tests/data/feeds/shadowserver', name), 'utf8');

let server, admin, national, sector, bank, partner, bankUser, dir;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'muhafiz-feeds-'));
  writeFileSync(path.join(dir, 'feeds.json'), JSON.stringify({
    feeds: [
      { name: 'shadowserver', format: 'shadowserver', provider: 'Shadowserver', tlp: 'AMBER' },
      { name: 'drop', format: 'blocklist', classification: { type: 'blacklist', identifier: 'drop' } },
    ],
  }));
  writeFileSync(path.join(dir, 'muhafiz.conf'), `feeds_config = ${path.join(dir, 'feeds.json')}\nfeeds_background = off\n`);
  server = await startServer({ extraArgs: ['--config', path.join(dir, 'muhafiz.conf')] });
  admin = await adminClient(server.base);
  national = (await admin.get('/api/v1/organisations?kind=national_cert')).json.items[0];
  const make = async (body) => {
    const r = await admin.post('/api/v1/organisations', body);
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  sector = await make({ name: 'Banking CERT', kind: 'sectoral_cert', parent_id: national.id, country: 'PK' });
  bank = await make({
    name: 'Example Bank', kind: 'constituent', parent_id: sector.id, country: 'PK',
    contacts: { abuse_email: 'abuse@bank.example.pk' },
    networks: { prefixes: ['192.0.2.0/25', '2001:db8:10::/44'], asns: [], domains: [] },
  });
  partner = await make({ name: 'TR-CERT', kind: 'partner_cert', parent_id: national.id, country: 'TR',
    contacts: { abuse_email: 'cert@cert.example.tr' } });
  const u = await admin.post('/api/v1/users', { username: 'bank.analyst', password: 'long-enough-password-1', organisation_id: bank.id, role: 'analyst' });
  assert.equal(u.status, 201, u.text);
  bankUser = new Client(server.base);
  assert.equal((await bankUser.login('bank.analyst', 'long-enough-password-1')).status, 200);
});
after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const upload = (client, feed, body, query = '') =>
  client.request('POST', `/api/v1/feeds/${feed}/reports${query}`, body, { 'content-type': 'text/csv' });

// Uploads are jobs: 202 with the job and its Location, ingested by the server's worker. Waits for
// the job to finish and answers like the run it produced ({status, json: run + recipients}).
async function ingest(client, feed, body, query = '') {
  const r = await upload(client, feed, body, query);
  if (r.status !== 202) return r;
  assert.equal(r.headers.get('location'), `/api/v1/feeds/uploads/${r.json.id}`);
  assert.equal(r.json.status, 'queued');
  const deadline = Date.now() + 30000;
  for (;;) {
    const j = await client.get(r.headers.get('location'));
    assert.equal(j.status, 200, j.text);
    if (j.json.status === 'done') {
      assert.equal(j.json.progress.percent, 100);
      return { status: 200, job: j.json, json: { ...j.json.run, already_ingested: j.json.already_ingested } };
    }
    if (j.json.status === 'failed') return { status: 422, job: j.json, json: j.json };
    if (Date.now() > deadline) throw new Error('the upload did not finish: ' + j.text);
    await new Promise((res) => setTimeout(res, 50));
  }
}

test('an uploaded Shadowserver report is parsed and routed to owner, CERT and partner', async () => {
  const r = await ingest(admin, 'shadowserver', sample('scan_http.csv'), '?file_name=2026-01-14-scan_http-pk.csv');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.already_ingested, false);
  assert.equal(r.job.progress.events, 10);
  assert.equal(r.job.run_id, r.json.id);
  assert.equal(r.json.events, 10);
  assert.equal(r.json.rejected, 0);
  assert.equal(r.json.format, 'shadowserver:scan_http');
  const counts = Object.fromEntries(r.json.recipients.map((x) => [x.organisation.name, x.events]));
  assert.equal(counts['Example Bank'], 4);       // 192.0.2.10, .31, .52, .73
  assert.equal(counts['Banking CERT'], 4);       // the bank's nearest CERT
  assert.equal(counts['TR-CERT'], 6);            // foreign (TR), nobody owns them at home
  // The same report again is recognised: nothing is stored twice.
  const again = await ingest(admin, 'shadowserver', sample('scan_http.csv'), '?file_name=again.csv');
  assert.equal(again.status, 200);
  assert.equal(again.json.already_ingested, true);
  const all = await admin.get('/api/v1/feeds/events?feed=shadowserver&limit=100');
  assert.equal(all.json.total, 10);
  const owned = all.json.items.find((e) => e.source_ip === '192.0.2.10');
  assert.equal(owned.organisation.id, bank.id);
  assert.equal(owned.recipient.id, sector.id);
  assert.equal(owned.route, 'owner');
  assert.equal(owned.event['tlp'], 'AMBER');
  assert.equal(owned.event['source.abuse_contact'], 'abuse@bank.example.pk');
  const foreign = all.json.items.find((e) => e.source_ip === '198.51.100.17');
  assert.equal(foreign.route, 'partner');
  assert.equal(foreign.recipient.id, partner.id);
  assert.equal(foreign.organisation, null);
  // IPv6 owned by the bank.
  const v6 = await ingest(admin, 'shadowserver', sample('scan6_http.csv'), '?file_name=2026-01-14-scan6_http-pk.csv');
  assert.equal(v6.status, 200, v6.text);
  const mine6 = await admin.get(`/api/v1/feeds/events?ip=2001:db8:10::20`);
  assert.equal(mine6.json.items[0].organisation.id, bank.id);
});

test('a constituent pulls only its own events, in JSON, JSON lines and CSV, page by page', async () => {
  const r = await bankUser.get('/api/v1/feeds/events?feed=shadowserver&limit=2');
  assert.equal(r.status, 200, r.text);
  assert.ok(r.json.total >= 4);
  assert.ok(r.json.items.every((e) => e.organisation?.id === bank.id));
  assert.ok(r.json.next);
  const p2 = await bankUser.get(`/api/v1/feeds/events?feed=shadowserver&limit=2&cursor=${encodeURIComponent(r.json.next)}`);
  assert.equal(p2.status, 200);
  assert.notEqual(p2.json.items[0].id, r.json.items[0].id);
  const jsonl = await bankUser.get('/api/v1/feeds/events?format=jsonl&limit=500');
  assert.equal(jsonl.headers.get('content-type'), 'application/x-ndjson');
  const lines = jsonl.text.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, Number(jsonl.headers.get('x-total-count')));
  assert.ok(lines.every((e) => e['source.ip'] && e['classification.type']));
  const csv = await bankUser.get('/api/v1/feeds/events', { accept: 'text/csv' });
  assert.match(csv.headers.get('content-type'), /text\/csv/);
  assert.match(csv.text.split('\n')[0], /^event_id,feed,time.source/);
  // Filters.
  const cls = await admin.get('/api/v1/feeds/events?classification=other&route=partner');
  assert.ok(cls.json.items.length > 0 && cls.json.items.every((e) => e.route === 'partner'));
  const sub = await admin.get(`/api/v1/feeds/events?organisation_id=${sector.id}`);
  assert.ok(sub.json.items.every((e) => e.organisation?.id === bank.id));
  const none = await admin.get('/api/v1/feeds/events?since=2030-01-01');
  assert.equal(none.json.total, 0);
  // Bad parameters are 400 naming the field; an organisation the caller cannot see is 404.
  assert.equal((await admin.get('/api/v1/feeds/events?since=yesterday')).json.error.field, 'since');
  assert.equal((await admin.get('/api/v1/feeds/events?format=xml')).json.error.field, 'format');
  assert.equal((await admin.get('/api/v1/feeds/events?route=nowhere')).status, 400);
  assert.equal((await admin.get('/api/v1/feeds/events?cursor=garbage')).status, 400);
  assert.equal((await bankUser.get(`/api/v1/feeds/events?organisation_id=${partner.id}`)).status, 404);
  assert.equal((await new Client(server.base).get('/api/v1/feeds/events')).status, 401);
});

test('uploads, runs and dead letters are for the National CERT; bad lines become dead letters', async () => {
  assert.equal((await upload(bankUser, 'shadowserver', sample('scan_dns.csv'))).status, 403);
  assert.equal((await bankUser.get('/api/v1/feeds/runs')).status, 403);
  const unknown = await upload(admin, 'nosuchfeed', 'x');
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.error.field, 'format');
  const text = sample('scan_dns.csv').trimEnd().split('\n');
  text.splice(3, 0, '"2026-01-14 00:00:00","medium","192.0.2.999","udp",53,"","",1,"TR","","",0,"","","",1');
  text.splice(6, 0, '"2026-01-14 00:00:00","medium"');
  const r = await ingest(admin, 'shadowserver', text.join('\n') + '\n"2026-01-14 00:00:00","medium","192.0.2.1","udp",53,"cut', '?file_name=scan_dns-broken.csv');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.events, 10);
  assert.equal(r.json.rejected, 3);
  const dl = await admin.get('/api/v1/feeds/dead-letters?feed=shadowserver&state=open');
  assert.equal(dl.json.total, 3);
  assert.deepEqual(dl.json.items.map((d) => d.line).sort((a, b) => a - b), [4, 7, 14]);
  assert.ok(dl.json.items.every((d) => d.file_name === 'scan_dns-broken.csv' && d.reason));
  const replay = await admin.post('/api/v1/feeds/dead-letters/replay', { feed: 'shadowserver' });
  assert.equal(replay.status, 200, replay.text);
  assert.equal(replay.json.tried, 3);
  assert.equal(replay.json.replayed, 0);
  assert.equal((await admin.post('/api/v1/feeds/dead-letters/replay', { ids: ['x'] })).status, 400);
  const runs = await admin.get('/api/v1/feeds/runs?feed=shadowserver');
  assert.ok(runs.json.total >= 3);
  const run = await admin.get(`/api/v1/feeds/runs/${runs.json.items[0].id}`);
  assert.equal(run.status, 200);
  assert.ok(Array.isArray(run.json.recipients));
  const feeds = await admin.get('/api/v1/feeds');
  const ss = feeds.json.items.find((f) => f.name === 'shadowserver');
  assert.equal(ss.configured, true);
  assert.ok(ss.figures.events >= 20);
  // A block list with the classification from the configuration.
  const bl = await ingest(admin, 'drop', '# list\n192.0.2.64/26\n203.0.113.5\n300.1.2.3\n', '?file_name=drop.txt');
  assert.equal(bl.status, 200, bl.text);
  assert.equal(bl.json.events, 2);
  assert.equal(bl.json.rejected, 1);
  // An unusable format is refused before anything is spooled.
  const badFormat = await upload(admin, 'adhoc', 'whatever\n', '?format=csv:/nonexistent/mapping.json&file_name=x.csv');
  assert.equal(badFormat.status, 400, badFormat.text);
  assert.equal(badFormat.json.error.field, 'format');
  // A report that turns out not to fit its format: the job fails and says why.
  const bad = await ingest(admin, 'shadowserver', 'a,b\n1,2\n', '?file_name=unknown-report.csv');
  assert.equal(bad.job.status, 'failed', JSON.stringify(bad.job));
  assert.ok(bad.job.error);
  // The list of uploads, newest first, with cursor pages; unknown ids are 404.
  const jobs = await admin.get('/api/v1/feeds/uploads?limit=2');
  assert.equal(jobs.status, 200, jobs.text);
  assert.ok(jobs.json.total >= 6);
  assert.equal(jobs.json.items.length, 2);
  assert.equal(jobs.json.items[0].id, bad.job.id);
  const more = await admin.get(`/api/v1/feeds/uploads?limit=2&cursor=${jobs.json.next}`);
  assert.ok(more.json.items[0].id < jobs.json.items[1].id);
  assert.equal((await admin.get('/api/v1/feeds/uploads?status=failed')).json.total, 1);
  assert.equal((await admin.get('/api/v1/feeds/uploads?status=bogus')).status, 400);
  assert.equal((await admin.get('/api/v1/feeds/uploads/0190a3c4-0000-7000-8000-000000000000')).status, 404);
  assert.equal((await bankUser.get('/api/v1/feeds/uploads')).status, 403);
  assert.equal((await upload(admin, 'drop', 'x', '?file_name=../../etc/passwd')).status, 400);
});

test('digest preferences, the digest log and figures follow visibility', async () => {
  const bad = await bankUser.request('PUT', '/api/v1/feeds/preferences', { intervals: { '*': 'weekly' } });
  assert.equal(bad.status, 400);
  const put = await bankUser.request('PUT', '/api/v1/feeds/preferences', { intervals: { '*': 'immediate', vulnerable: 'daily' } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.json.intervals, { '*': 'immediate', vulnerable: 'daily' });
  assert.equal((await bankUser.request('PUT', '/api/v1/feeds/preferences', { organisation_id: partner.id, intervals: { '*': 'daily' } })).status, 404);
  const run = await admin.post('/api/v1/feeds/digests/run?force=true', {});
  assert.equal(run.status, 200, run.text);
  assert.ok(run.json.sent >= 2 && run.json.skipped >= 1, run.text);  // the bank, TR-CERT; the Banking CERT has no address
  assert.equal((await bankUser.post('/api/v1/feeds/digests/run', {})).status, 403);
  const log = await bankUser.get('/api/v1/feeds/digests');
  assert.equal(log.status, 200);
  assert.ok(log.json.items.length >= 1);
  assert.ok(log.json.items.every((d) => d.organisation.id === bank.id));
  assert.match(log.json.items[0].reference, /^FD-\d{4}-\d{6}$/);
  assert.equal(log.json.items[0].recipients, 'abuse@bank.example.pk');
  const all = await admin.get('/api/v1/feeds/digests');
  assert.ok(all.json.items.some((d) => d.organisation.id === partner.id));
  const figures = await bankUser.get('/api/v1/feeds/figures');
  assert.ok(figures.json.recipients.every((r) => r.organisation.id === bank.id));
  assert.deepEqual(figures.json.feeds, []);
  const nat = await admin.get('/api/v1/feeds/figures');
  assert.ok(nat.json.feeds.length >= 1);
});
