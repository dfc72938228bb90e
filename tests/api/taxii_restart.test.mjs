// TAXII `next` cursors survive a restart: the key that signs them is kept in the database
// (intel_secrets), so a `next` handed out before the server restarts still pages on after it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startServer, adminClient, freePort, BIN, ADMIN_PASSWORD } from './harness.mjs';
import { tokenOf } from './intel_support.mjs';

const TAXII = 'application/taxii+json;version=2.1';
let first, second;

// Starts `muhafiz serve` again on the same data folder and database as `server`.
async function restart(server) {
  const port = await freePort();
  const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', server.dataDir, '--no-access-log'];
  if (server.database) args.push('--database', server.database);
  const child = spawn(BIN, args, { env: { ...process.env, MUHAFIZ_ADMIN_PASSWORD: ADMIN_PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(base + '/api/v1/health')).status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error('server did not become healthy:\n' + output);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base, child,
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
    },
  };
}

after(async () => {
  await second?.stop();
  await first?.stop();
});

test('a next cursor handed out before a restart still works after it', async () => {
  first = await startServer();
  const admin = await adminClient(first.base);
  const token = await tokenOf(admin);
  const r = await admin.post('/api/v1/intel/events', {
    title: 'restart', tlp: 'TLP:GREEN', audience: 'national',
    indicators: Array.from({ length: 6 }, (_, i) => ({ type: 'ipv4', value: `192.0.2.${i + 10}` })),
  });
  assert.equal(r.status, 201, r.text);
  const get = (base, url) => fetch(base + url, { headers: { accept: TAXII, authorization: `Bearer ${token}` } })
    .then(async (x) => ({ status: x.status, json: JSON.parse((await x.text()) || 'null') }));
  const url = '/taxii2/api/collections/national/objects/?limit=3&match[type]=indicator';
  const page1 = await get(first.base, url);
  assert.equal(page1.status, 200);
  assert.equal(page1.json.more, true);
  const next = page1.json.next;
  const before = await get(first.base, `${url}&next=${encodeURIComponent(next)}`);
  assert.equal(before.status, 200);

  // Stop the server without removing its data folder, and start it again on the same data.
  const exited = new Promise((res) => first.child.once('exit', res));
  first.child.kill('SIGTERM');
  await exited;
  second = await restart(first);
  const afterRestart = await get(second.base, `${url}&next=${encodeURIComponent(next)}`);
  assert.equal(afterRestart.status, 200, JSON.stringify(afterRestart.json));
  assert.deepEqual(afterRestart.json.objects.map((o) => o.id), before.json.objects.map((o) => o.id));
  const seen = new Set([...page1.json.objects, ...afterRestart.json.objects].map((o) => o.id));
  assert.equal(seen.size, 6);
  // A forged cursor is still refused.
  assert.equal((await get(second.base, `${url}&next=${encodeURIComponent(next.slice(0, -2) + 'xx')}`)).status, 400);
  await second.stop();
  rmSync(first.dataDir, { recursive: true, force: true });
});
