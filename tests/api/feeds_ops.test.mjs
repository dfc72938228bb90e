// Feeds operations over the API: network data that changes while the server runs (background
// check every feeds_network_reload_interval seconds, POST /feeds/network-data/reload, a broken
// file keeps the previous data and shows its error, `muhafiz feeds network-data status`), and
// upload jobs that survive a restart of the server (spooled before 202, taken up again; the same
// report twice is refused with 409).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, renameSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, adminClient, Client, freshDatabase, runCli } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sample = (name) => readFileSync(path.join(root, 'tests/data/feeds/shadowserver', name), 'utf8');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cleanup = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

// Replaces a file the way operators should (write aside, rename over).
function replace(file, text) {
  writeFileSync(file + '.new', text);
  renameSync(file + '.new', file);
}

async function until(what, fn, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(50);
  }
}

async function ingest(client, feed, body, query) {
  const r = await client.request('POST', `/api/v1/feeds/${feed}/reports${query}`, body, { 'content-type': 'text/plain' });
  assert.equal(r.status, 202, r.text);
  return until('the upload', async () => {
    const j = await client.get(`/api/v1/feeds/uploads/${r.json.id}`);
    return j.json.status === 'done' || j.json.status === 'failed' ? j.json : null;
  });
}

const asnOf = async (client, ip) => {
  const r = await client.get(`/api/v1/feeds/events?ip=${ip}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 1, r.text);
  return r.json.items[0].source_asn;
};

test('network data is reloaded while the server runs; a broken file keeps the previous data', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'muhafiz-feeds-ops-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const pfx = path.join(dir, 'routeviews.pfx2as');
  const names = path.join(dir, 'asnames.txt');
  writeFileSync(pfx, '203.0.113.0\t24\t64501\n198.51.100.0\t24\t64510\n');
  writeFileSync(names, 'AS64501 FIRST-NET\nAS64502 SECOND-NET\nAS64503 THIRD-NET\n');
  writeFileSync(path.join(dir, 'feeds.json'), JSON.stringify({
    network_data: { pfx2as: [pfx], as_names: names },
    feeds: [{ name: 'drop', format: 'blocklist', classification: { type: 'blacklist', identifier: 'drop' } }],
  }));
  const conf = path.join(dir, 'muhafiz.conf');
  writeFileSync(conf, `feeds_config = ${path.join(dir, 'feeds.json')}\nfeeds_background = off\nfeeds_network_reload_interval = 1\n`);
  const server = await startServer({ extraArgs: ['--config', conf] });
  cleanup.push(() => server.stop());
  const admin = await adminClient(server.base);

  // What the server loaded at start.
  const st = await admin.get('/api/v1/feeds/network-data');
  assert.equal(st.status, 200, st.text);
  assert.equal(st.json.generation, 1);
  assert.equal(st.json.reload_interval_seconds, 1);
  const [p0, n0] = st.json.files;
  assert.equal(p0.kind, 'pfx2as');
  assert.equal(p0.path, pfx);
  assert.equal(p0.entries, 2);
  assert.equal(p0.size, readFileSync(pfx).length);
  assert.ok(p0.mtime && p0.loaded_at);
  assert.equal(p0.error, null);
  assert.equal(n0.kind, 'as_names');
  assert.equal(n0.entries, 3);

  // Ingest: ASN A.
  const j1 = await ingest(admin, 'drop', '203.0.113.5\n', '?file_name=drop-1.txt');
  assert.equal(j1.status, 'done', JSON.stringify(j1));
  assert.equal(await asnOf(admin, '203.0.113.5'), 64501);

  // The file is replaced: the background check (every second) swaps the new data in.
  replace(pfx, '203.0.113.0\t24\t64502\n198.51.100.0\t24\t64510\n10.0.0.0\t8\t64999\n');
  const st2 = await until('the background reload', async () => {
    const r = await admin.get('/api/v1/feeds/network-data');
    return r.json.generation >= 2 ? r.json : null;
  });
  assert.equal(st2.files[0].entries, 3);
  await ingest(admin, 'drop', '203.0.113.6\n', '?file_name=drop-2.txt');
  assert.equal(await asnOf(admin, '203.0.113.6'), 64502);

  // Replaced again and reloaded on request (the admin does not wait for the interval).
  replace(pfx, '203.0.113.0\t24\t64503\n');
  const rl = await admin.post('/api/v1/feeds/network-data/reload?wait=true', {});
  assert.equal(rl.status, 200, rl.text);
  assert.ok(rl.json.generation >= 3);
  assert.equal(rl.json.files[0].entries, 1);
  assert.equal(rl.json.files[0].error, null);
  const generation = rl.json.generation;
  await ingest(admin, 'drop', '203.0.113.7\n', '?file_name=drop-3.txt');
  assert.equal(await asnOf(admin, '203.0.113.7'), 64503);

  // A broken file: the previous data stays in use, the error is shown for that file.
  replace(pfx, '203.0.113.0\t24\t64504\nthis is not a prefix line\n');
  const broken = await admin.post('/api/v1/feeds/network-data/reload?wait=true', {});
  assert.equal(broken.status, 200, broken.text);
  assert.equal(broken.json.generation, generation);
  assert.ok(broken.json.failures >= 1);
  assert.match(broken.json.files[0].error, /routeviews\.pfx2as:2: expected address<TAB>length<TAB>origin/);
  assert.ok(broken.json.files[0].error_at);
  assert.equal(broken.json.files[0].entries, 1);  // what is in use
  await ingest(admin, 'drop', '203.0.113.8\n', '?file_name=drop-4.txt');
  assert.equal(await asnOf(admin, '203.0.113.8'), 64503);
  // Without wait the request is answered at once; the reload runs on the server's thread.
  const quick = await admin.post('/api/v1/feeds/network-data/reload', {});
  assert.ok([200, 202].includes(quick.status), quick.text);
  assert.equal(quick.headers.get('location'), '/api/v1/feeds/network-data');
  assert.equal((await admin.post('/api/v1/feeds/network-data/reload?wait=maybe', {})).status, 400);
  const audit = await admin.get('/api/v1/audit?action=feeds.network_data.reload');
  assert.equal(audit.status, 200, audit.text);
  assert.ok(audit.json.items.length >= 3 && audit.json.items.every((e) => e.actor === 'admin'), audit.text);

  // The CLI loads the files as the server would and names the broken one.
  const cli = runCli(['feeds', 'network-data', 'status', '--config', conf]);
  assert.equal(cli.status, 1, cli.stdout + cli.stderr);
  assert.match(cli.stdout, /ERROR: .*routeviews\.pfx2as:2/);

  // Fixed: the next check picks it up, and the error is gone.
  replace(pfx, '203.0.113.0\t24\t64505\n');
  const fixed = await until('the reload of the fixed file', async () => {
    const r = await admin.get('/api/v1/feeds/network-data');
    return r.json.generation > generation ? r.json : null;
  });
  assert.equal(fixed.files[0].error, null);
  await ingest(admin, 'drop', '203.0.113.9\n', '?file_name=drop-5.txt');
  assert.equal(await asnOf(admin, '203.0.113.9'), 64505);
  const ok = runCli(['feeds', 'network-data', 'status', '--json', '--config', conf]);
  assert.equal(ok.status, 0, ok.stderr);
  const okJson = JSON.parse(ok.stdout);
  assert.equal(okJson.ok, true);
  assert.equal(okJson.files[0].entries, 1);

  // Who may look and reload.
  const org = (await admin.get('/api/v1/organisations?kind=national_cert')).json.items[0];
  const u = await admin.post('/api/v1/users', { username: 'nat.analyst', password: 'long-enough-password-1', organisation_id: org.id, role: 'analyst' });
  assert.equal(u.status, 201, u.text);
  const analyst = new Client(server.base);
  assert.equal((await analyst.login('nat.analyst', 'long-enough-password-1')).status, 200);
  assert.equal((await analyst.get('/api/v1/feeds/network-data')).status, 200);
  assert.equal((await analyst.post('/api/v1/feeds/network-data/reload', {})).status, 403);
  assert.equal((await new Client(server.base).get('/api/v1/feeds/network-data')).status, 401);
});

// A serve process on a given data folder and database (kept across restarts).
async function serve(dataDir, database, conf) {
  const server = await startServer({ dataDir, database, extraArgs: ['--config', conf] });
  const kill = (signal) => server.stop(signal);
  cleanup.push(() => kill('SIGKILL'));
  return { ...server, kill };
}

test('an accepted upload is not lost when the server is killed before ingesting it', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'muhafiz-feeds-restart-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const database = freshDatabase();
  writeFileSync(path.join(dir, 'feeds.json'), JSON.stringify({ feeds: [{ name: 'shadowserver', format: 'shadowserver' }] }));
  const spoolOnly = path.join(dir, 'spool-only.conf');
  writeFileSync(spoolOnly, `feeds_config = ${path.join(dir, 'feeds.json')}\nfeeds_background = off\nfeeds_upload_worker = off\nfeeds_upload_queue = 2\n`);
  const normal = path.join(dir, 'normal.conf');
  writeFileSync(normal, `feeds_config = ${path.join(dir, 'feeds.json')}\nfeeds_background = off\n`);

  // A server that only spools: the upload is accepted (202) and stays queued.
  const first = await serve(dataDir, database, spoolOnly);
  const admin = await adminClient(first.base);
  const post = (client, body, name) =>
    client.request('POST', `/api/v1/feeds/shadowserver/reports?file_name=${name}`, body, { 'content-type': 'text/csv' });
  const r = await post(admin, sample('scan_http.csv'), '2026-01-14-scan_http-pk.csv');
  assert.equal(r.status, 202, r.text);
  const id = r.json.id;
  assert.equal(r.json.status, 'queued');
  assert.equal(r.json.size, sample('scan_http.csv').length);
  // The same report again (under another name) while it waits: refused (409), nothing kept.
  const again = await post(admin, sample('scan_http.csv'), 'again.csv');
  assert.equal(again.status, 409, again.text);
  assert.equal(again.json.error.code, 'conflict');
  assert.match(again.json.error.message, new RegExp(`2026-01-14-scan_http-pk\\.csv\\) is queued already as upload ${id}`));
  const r2 = await post(admin, sample('scan_dns.csv'), '2026-01-14-scan_dns-pk.csv');
  assert.equal(r2.status, 202, r2.text);
  // The queue is bounded: a third is refused (429) and nothing of it is kept.
  const full = await post(admin, sample('scan_ntp.csv'), '2026-01-14-scan_ntp-pk.csv');
  assert.equal(full.status, 429, full.text);
  assert.ok(full.headers.get('retry-after'));
  await sleep(300);
  assert.equal((await admin.get(`/api/v1/feeds/uploads/${id}`)).json.status, 'queued');
  await first.kill('SIGKILL');

  // The next start takes the spooled uploads up again.
  const second = await serve(dataDir, database, normal);
  const admin2 = await adminClient(second.base);
  for (const [jobId, events] of [[id, 10], [r2.json.id, 10]]) {
    const job = await until('the spooled upload', async () => {
      const j = await admin2.get(`/api/v1/feeds/uploads/${jobId}`);
      assert.equal(j.status, 200, j.text);
      return j.json.status === 'done' || j.json.status === 'failed' ? j.json : null;
    });
    assert.equal(job.status, 'done', JSON.stringify(job));
    assert.equal(job.attempts, 1);
    assert.equal(job.run.events, events);
    assert.equal(job.run.source, 'upload');
    assert.equal(job.run.created_by, 'admin');
  }
  const list = await admin2.get('/api/v1/feeds/uploads');
  assert.equal(list.json.total, 2);
  const audit = await admin2.get(`/api/v1/audit?object_id=${id}`);
  assert.equal(audit.json.items.length, 1, audit.text);
  assert.equal(audit.json.items[0].action, 'feeds.upload');
  assert.equal(audit.json.items[0].after.file_name, '2026-01-14-scan_http-pk.csv');
  const events = await admin2.get('/api/v1/feeds/events?feed=shadowserver&limit=1');
  assert.equal(events.json.total, 20);
  await second.kill('SIGTERM');
});
