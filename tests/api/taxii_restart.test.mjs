// TAXII `next` cursors survive a restart: the key that signs them is kept in the database
// (intel_secrets), so a `next` handed out before the server restarts still pages on after it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, adminClient } from './harness.mjs';
import { tokenOf } from './intel_support.mjs';

const TAXII = 'application/taxii+json;version=2.1';
let first, second;

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
  second = await startServer({ dataDir: first.dataDir, database: first.database });
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
