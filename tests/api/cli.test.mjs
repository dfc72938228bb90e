// The command line: import and export of the constituency, clear errors for bad set-ups,
// graceful shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { runCli, freshDatabase, startServer, adminClient } from './harness.mjs';

function workspace() {
  const dir = mkdtempSync(path.join(tmpdir(), 'muhafiz-cli-'));
  const database = freshDatabase();
  const db = database ? ['--database', database] : [];
  return { dir, db, args: (...a) => [...a, '--data-dir', dir, ...db] };
}

test('import constituency: bad rows are reported with line numbers and nothing is imported', () => {
  const w = workspace();
  const file = path.join(w.dir, 'orgs.csv');
  writeFileSync(file, [
    'name,kind,parent,sector,country,prefixes,asns,domains',
    'Banking CERT,sectoral_cert,National CERT,banking,PK,,,',
    'Bank One,constituent,Banking CERT,banking,PK,198.51.100.0/24,64510,bankone.example',
    'Bad Bank,constituent,Banking CERT,banking,PK,198.51.100.0/33,,',
    'Worse Bank,constituent,Banking CERT,banking,QQ,,,',
  ].join('\n') + '\n');
  const bad = runCli(w.args('import', 'constituency', file));
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /orgs\.csv:4: networks\.prefixes\[0\]/);
  assert.match(bad.stderr, /orgs\.csv:5: country/);
  assert.match(bad.stdout, /nothing imported/);
  const empty = runCli(w.args('export', 'constituency'));
  assert.equal(JSON.parse(empty.stdout).organisations.length, 1, 'only the root');

  const skip = runCli(w.args('import', 'constituency', file, '--skip-bad'));
  assert.equal(skip.status, 0, skip.stderr);
  assert.match(skip.stdout, /2 created/);
  const again = runCli(w.args('import', 'constituency', file, '--skip-bad'));
  assert.match(again.stdout, /0 created, 0 updated, 2 unchanged/, 'idempotent');

  const out = path.join(w.dir, 'export.json');
  assert.equal(runCli(w.args('export', 'constituency', '--output', out)).status, 0);
  const exported = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(exported.organisations.length, 3);
  assert.deepEqual(exported.organisations.find((o) => o.name === 'Bank One').networks.prefixes, ['198.51.100.0/24']);
  const csv = runCli(w.args('export', 'constituency', '--format', 'csv'));
  assert.match(csv.stdout.split('\n')[0], /^id,name,kind,parent/);
  const reimport = runCli(w.args('import', 'constituency', out));
  assert.equal(reimport.status, 0, reimport.stderr);
  assert.match(reimport.stdout, /0 created, 0 updated, 3 unchanged/);
  const missing = runCli(w.args('import', 'constituency', path.join(w.dir, 'none.csv')));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read/);
  rmSync(w.dir, { recursive: true, force: true });
});

test('a busy port, an unwritable data folder and an unreachable database are one-line errors', async () => {
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const port = blocker.address().port;
  const w = workspace();
  const busy = runCli(w.args('serve', '--listen', `127.0.0.1:${port}`));
  blocker.close();
  assert.notEqual(busy.status, 0);
  assert.match(busy.stderr, /cannot listen on 127\.0\.0\.1:\d+: address already in use/);
  assert.equal(busy.stderr.trim().split('\n').length, 1, busy.stderr);

  const ro = runCli(['serve', '--listen', '127.0.0.1:0', '--data-dir', '/proc/muhafiz']);
  assert.equal(ro.status, 1);
  assert.match(ro.stderr, /data folder/);
  assert.equal(ro.stderr.trim().split('\n').length, 1, ro.stderr);

  const pg = runCli(['serve', '--listen', '127.0.0.1:0', '--data-dir', w.dir, '--database', 'postgresql://nobody@127.0.0.1:1/none?connect_timeout=2']);
  assert.equal(pg.status, 1);
  assert.match(pg.stderr, /cannot connect to PostgreSQL/);
  assert.equal(pg.stderr.trim().split('\n').length, 1, pg.stderr);

  const badFlag = runCli(['serve', '--listen', 'nowhere']);
  assert.equal(badFlag.status, 2);
  rmSync(w.dir, { recursive: true, force: true });
});

test('SIGTERM stops the server gracefully with exit code 0', async () => {
  const server = await startServer();
  const admin = await adminClient(server.base);
  assert.equal((await admin.get('/api/v1/organisations')).status, 200);
  const code = await server.stop('SIGTERM');
  assert.equal(code, 0, server.output());
});

test('behind a trusted proxy: client address from X-Forwarded-For, Secure cookies under TLS', async () => {
  const server = await startServer({ extraArgs: ['--trust-proxy'] });
  try {
    const r = await fetch(server.base + '/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.23, 203.0.113.77' },
      body: JSON.stringify({ username: 'admin', password: 'admin-Test-Password-1' }),
    });
    assert.equal(r.status, 200);
    const cookies = r.headers.getSetCookie();
    assert.ok(cookies.every((c) => /; Secure/.test(c)), cookies.join(' | '));
    const admin = await adminClient(server.base);
    const log = await admin.get('/api/v1/audit?action=auth.login');
    assert.ok(log.json.items.some((e) => e.address === '203.0.113.77'), JSON.stringify(log.json.items.map((e) => e.address)));
  } finally {
    await server.stop();
  }
});

test('--help describes every command', () => {
  const top = runCli(['--help']);
  assert.equal(top.status, 0);
  for (const cmd of ['serve', 'import', 'export', 'admin']) assert.match(top.stdout, new RegExp(cmd));
  assert.match(runCli(['serve', '--help']).stdout, /--listen/);
  assert.notEqual(runCli(['frobnicate']).status, 0);
});

test('muhafiz vulns fetch downloads a configured source from a local server and imports it', async () => {
  const { spawn } = await import('node:child_process');
  const port = await (await import('./harness.mjs')).freePort();
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../data/vuln/kev');
  const http = spawn('/usr/bin/python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', root],
    { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50; i++) {
      try { await fetch(`http://127.0.0.1:${port}/`); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    const w = workspace();
    const file = 'kev_excerpt.json';
    const env = { MUHAFIZ_VULN_SOURCES: `kev=http://127.0.0.1:${port}/${file};interval=86400` };
    const first = runCli(w.args('vulns', 'fetch', 'kev'), { env });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /kev: 1 file\(s\) imported/);
    const unknown = runCli(w.args('vulns', 'fetch', 'nvd'), { env });
    assert.notEqual(unknown.status, 0);
    const bad = runCli(w.args('vulns', 'fetch', 'kev'), { env: { MUHAFIZ_VULN_SOURCES: 'kev=ftp:/nowhere;interval=-1' } });
    assert.equal(bad.status, 2, bad.stderr);
    rmSync(w.dir, { recursive: true, force: true });
  } finally {
    http.kill();
  }
});
