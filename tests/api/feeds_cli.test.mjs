// Feeds on the command line and the collectors: `muhafiz ingest` killed with SIGKILL mid-file and
// resumed (totals checked), the watched spool folder, a scheduled HTTP fetch from a local server
// (ETag honoured), and e-mail attachments handed over by `muhafiz mail-ingest`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { readFileSync, writeFileSync, mkdtempSync, mkdirSync, existsSync, readdirSync, createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, runCli, freshDatabase, startServer, adminClient } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sample = (name) => readFileSync(path.join(root, 'tests/data/feeds/shadowserver', name), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'muhafiz-feeds-cli-'));

let httpServer, fetchPort, fetches = 0;
before(async () => {
  const body = sample('scan_snmp.csv');
  httpServer = http.createServer((req, res) => {
    fetches++;
    if (req.headers['if-none-match'] === '"v1"') { res.writeHead(304); res.end(); return; }
    res.writeHead(200, { 'content-type': 'text/csv', etag: '"v1"' });
    res.end(body);
  });
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  fetchPort = httpServer.address().port;
});
after(() => {
  httpServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(name, extra = {}) {
  const feeds = {
    spool_dir: path.join(dir, name + '-spool'),
    spool_interval: '1s',
    feeds: [
      { name: 'shadowserver', format: 'shadowserver', senders: ['autoreports@shadowserver.example'] },
      { name: 'snmp-pull', format: 'shadowserver:scan_snmp', fetch: { url: `http://127.0.0.1:${fetchPort}/reports/scan_snmp.csv`, interval: '1h' } },
    ],
    ...extra,
  };
  writeFileSync(path.join(dir, name + '.json'), JSON.stringify(feeds));
  writeFileSync(path.join(dir, name + '.conf'), `feeds_config = ${path.join(dir, name + '.json')}\n`);
  return path.join(dir, name + '.conf');
}

// Like runCli, without blocking this process (the fetch test's HTTP server lives here).
function runAsync(args, { input } = {}) {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

function dbArgs(name) {
  const url = freshDatabase();
  return url ? ['--database', url] : ['--database', path.join(dir, name + '.db')];
}

test('muhafiz ingest killed with SIGKILL mid-file resumes without losing or repeating an event', async () => {
  const file = path.join(dir, '2026-01-14-scan_http-big.csv');
  const out = createWriteStream(file);
  out.write(sample('scan_http.csv').split('\n')[0] + '\n');
  const rows = 60000;
  for (let i = 0; i < rows; i++) {
    out.write(`"2026-01-14 00:00:00","info","10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}","tcp",80,"","http",64496,"PK","","",0,"","","HTTP/1.1",200,"OK","text/html","close","","","nginx",100,"","",""\n`);
  }
  await new Promise((r) => out.end(r));
  const db = dbArgs('resume');
  const conf = config('resume');
  const child = spawn(BIN, ['ingest', '--config', conf, ...db, '--feed', 'shadowserver', '--progress', '--throttle', '25', file],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no progress: ' + err)), 30000);
    child.stderr.on('data', (d) => {
      err += d;
      const m = [...err.matchAll(/events (\d+)/g)].pop();
      if (m && Number(m[1]) >= 5000) { clearTimeout(timer); child.kill('SIGKILL'); resolve(); }
    });
    child.on('exit', () => { clearTimeout(timer); resolve(); });
  });
  await new Promise((r) => (child.exitCode !== null || child.signalCode ? r() : child.once('exit', r)));
  assert.equal(child.signalCode, 'SIGKILL', 'the ingest finished before it could be killed:\n' + err);
  const resumed = runCli(['ingest', '--config', conf, ...db, '--feed', 'shadowserver', '--json', file]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const [s] = JSON.parse(resumed.stdout);
  assert.equal(s.resumed, true);
  assert.equal(s.lines, rows);
  assert.equal(s.events, rows);
  assert.equal(s.rejected, 0);
  assert.equal(s.duplicates, 0);
  const again = runCli(['ingest', '--config', conf, ...db, '--feed', 'shadowserver', '--json', file]);
  assert.equal(JSON.parse(again.stdout)[0].already_ingested, true);
  const runs = runCli(['feeds', 'runs', '--config', conf, ...db, '--feed', 'shadowserver']);
  assert.equal(runs.status, 0, runs.stderr);
  assert.match(runs.stderr, new RegExp(`^${rows} stored event`, 'm'));
});

test('bad files: a clear message and a non-zero exit; dead letters listed with their lines', () => {
  const db = dbArgs('bad');
  const conf = config('bad');
  const missing = runCli(['ingest', '--config', conf, ...db, '--feed', 'shadowserver', path.join(dir, 'nope.csv')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot open/);
  const badFormat = runCli(['ingest', '--config', conf, ...db, '--feed', 'x', '--format', 'shadowserver:nope', path.join(dir, 'nope.csv')]);
  assert.equal(badFormat.status, 1);
  const broken = path.join(dir, 'scan_dns-broken.csv');
  writeFileSync(broken, sample('scan_dns.csv') + '"2026-01-14 00:00:00","medium","192.0.2.300","udp",53,"","",1,"TR","","",0,"","","",1\n\xff\xfe\n');
  const r = runCli(['ingest', '--config', conf, ...db, '--feed', 'shadowserver', '--format', 'shadowserver:scan_dns', broken]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /events\s+10/);
  assert.match(r.stdout, /rejected\s+2/);
  const list = runCli(['feeds', 'dead-letter', 'list', '--config', conf, ...db, '--json']);
  const items = list.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(items.map((d) => d.line).sort(), [12, 13]);
  const replay = runCli(['feeds', 'dead-letter', 'replay', '--config', conf, ...db]);
  assert.match(replay.stdout, /2 tried, 0 replayed/);
});

test('collectors: the spool folder, a scheduled fetch with ETag, and e-mail attachments', async () => {
  const conf = config('serve');
  const spool = path.join(dir, 'serve-spool');
  mkdirSync(path.join(spool, 'shadowserver'), { recursive: true });
  const server = await startServer({ extraArgs: ['--config', conf] });
  try {
    const admin = await adminClient(server.base);
    writeFileSync(path.join(spool, 'shadowserver', '2026-01-14-scan_rdp-pk.csv'), sample('scan_rdp.csv'));
    const deadline = Date.now() + 20000;
    while (!existsSync(path.join(spool, 'shadowserver', 'done', '2026-01-14-scan_rdp-pk.csv'))) {
      assert.ok(Date.now() < deadline, 'the spool file was not taken');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(readdirSync(path.join(spool, 'shadowserver')).filter((f) => !f.startsWith('.')).sort(), ['done']);
    const ev = await admin.get('/api/v1/feeds/events?classification=vulnerable-system&feed=shadowserver');
    assert.equal(ev.json.total, 10);
    // The fetch is due at start (never fetched): the server fetches it in the background.
    const until = Date.now() + 20000;
    let pulled;
    do {
      await new Promise((r) => setTimeout(r, 200));
      pulled = await admin.get('/api/v1/feeds/events?feed=snmp-pull');
    } while (pulled.json.total < 10 && Date.now() < until);
    assert.equal(pulled.json.total, 10);
  } finally {
    await server.stop();
  }
  // `muhafiz feeds fetch`: the server answers 304 for the ETag it gave.
  const before = fetches;
  const db = server.database ? ['--database', server.database] : ['--data-dir', dir, '--database', path.join(dir, 'fetch.db')];
  const f1 = await runAsync(['feeds', 'fetch', '--config', conf, ...db, '--feed', 'snmp-pull']);
  assert.equal(f1.status, 0, f1.stderr);
  const f2 = await runAsync(['feeds', 'fetch', '--config', conf, ...db, '--feed', 'snmp-pull']);
  assert.equal(f2.status, 0, f2.stderr);
  assert.match(f2.stdout, /not modified/);
  assert.equal(fetches, before + 2);
  // E-mail from a configured feed sender: its attachment is that feed's report.
  const csv = Buffer.from(sample('compromised_website.csv')).toString('base64').replace(/.{76}/g, '$&\r\n');
  const mail = [
    'From: Shadowserver <autoreports@shadowserver.example>', 'To: cert@cert.example.pk',
    'Subject: [Shadowserver] Compromised-Website report', 'Message-ID: <r1@shadowserver.example>',
    'Date: Wed, 14 Jan 2026 06:00:00 +0000', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '', 'Report attached.', '--b1',
    'Content-Type: text/csv; name="2026-01-14-compromised_website-pk.csv"',
    'Content-Disposition: attachment; filename="2026-01-14-compromised_website-pk.csv"',
    'Content-Transfer-Encoding: base64', '', csv, '--b1--', '',
  ].join('\r\n');
  const m = runCli(['mail-ingest', '--config', conf, ...db], { input: mail });
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stdout, /10 events/);
  const exp = runCli(['feeds', 'export', '--config', conf, ...db, '--feed', 'shadowserver']);
  const events = exp.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(events.filter((e) => e['classification.identifier'] === 'compromised-website').length, 10);
});
