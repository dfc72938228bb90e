// Vulnerabilities: CVSS scoring over the API and on the command line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, adminClient, Client, runCli } from './harness.mjs';

let server, admin;
before(async () => {
  server = await startServer();
  admin = await adminClient(server.base);
});
after(async () => { await server?.stop(); });

test('GET /api/v1/cvss scores 3.1 and 4.0 vectors', async () => {
  const v31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
  const v40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
  const r = await admin.get(`/api/v1/cvss?vector=${encodeURIComponent(v31)}&vector=${encodeURIComponent(v40)}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.items.length, 2);
  assert.equal(r.json.items[0].score, 9.8);
  assert.equal(r.json.items[0].severity, 'CRITICAL');
  assert.equal(r.json.items[1].version, '4.0');
  assert.equal(r.json.items[1].score, 9.3);
});

test('a malformed vector is 400 naming the position', async () => {
  const r = await admin.get('/api/v1/cvss?vector=' + encodeURIComponent('CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'));
  assert.equal(r.status, 400);
  assert.equal(r.json.error.field, 'vector');
  assert.match(r.json.error.message, /position 13/);
  assert.equal((await admin.get('/api/v1/cvss')).status, 400);
  assert.equal((await new Client(server.base).get('/api/v1/cvss?vector=x')).status, 401);
});

test('muhafiz cvss prints vector<TAB>score<TAB>severity, from arguments or standard input', () => {
  const r = runCli(['cvss', 'CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H\t8.1\tHIGH\n');
  const piped = runCli(['cvss'], { input: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N\r\n\nCVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n' });
  assert.equal(piped.status, 0);
  assert.deepEqual(piped.stdout.trim().split('\n').map((l) => l.split('\t').slice(1).join(' ')), ['0.0 NONE', '9.8 CRITICAL']);
  const bad = runCli(['cvss', 'CVSS:9.9/AV:N']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /position/);
});
