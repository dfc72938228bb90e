// Re-importing intel over the API is idempotent: the same STIX bundle posted twice updates the
// event it made (objects by STIX id + modified: created / updated / unchanged / rejected counts)
// instead of creating a second event or duplicating indicators; a newer version of an object
// updates it, and TAXII serves every version. Another organisation importing the same bundle gets
// its own event. A big event's report names every indicator (no cap) in the STIX export.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './harness.mjs';
import { buildTree } from './intel_support.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let server, users;

before(async () => {
  server = await startServer();
  ({ users } = await buildTree(server.base));
});
after(async () => server?.stop());

const GREEN = 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb';

function bundle({ modified = '2026-02-01T00:00:00.000Z', name = 'first' } = {}) {
  return JSON.stringify({
    type: 'bundle', id: 'bundle--5a1e0c2d-3b4f-4a5e-8f6a-000000000000', objects: [
      { type: 'report', spec_version: '2.1', id: 'report--5a1e0c2d-3b4f-4a5e-8f6a-000000000001', created: '2026-02-01T00:00:00.000Z', modified: '2026-02-01T00:00:00.000Z', name: 'Re-import campaign', published: '2026-02-01T00:00:00.000Z', object_refs: ['indicator--5a1e0c2d-3b4f-4a5e-8f6a-000000000002'], object_marking_refs: [GREEN] },
      { type: 'indicator', spec_version: '2.1', id: 'indicator--5a1e0c2d-3b4f-4a5e-8f6a-000000000002', created: '2026-02-01T00:00:00.000Z', modified, name, pattern: "[ipv4-addr:value = '198.51.100.201']", pattern_type: 'stix', valid_from: '2026-02-01T00:00:00Z', object_marking_refs: [GREEN] },
      { type: 'indicator', spec_version: '2.1', id: 'indicator--5a1e0c2d-3b4f-4a5e-8f6a-000000000003', created: '2026-02-01T00:00:00.000Z', modified: '2026-02-01T00:00:00.000Z', pattern: "[domain-name:value = 'reimport.example']", pattern_type: 'stix', valid_from: '2026-02-01T00:00:00Z', labels: ['c2'], object_marking_refs: [GREEN] },
      { type: 'indicator', spec_version: '2.1', id: 'indicator--5a1e0c2d-3b4f-4a5e-8f6a-000000000004', created: '2026-02-01T00:00:00.000Z', modified: '2026-02-01T00:00:00.000Z', pattern: "[ipv4-addr:value = '198.51.100.999']", pattern_type: 'stix', valid_from: '2026-02-01T00:00:00Z' },
    ],
  });
}

const post = (client, body) => client.request('POST', '/api/v1/intel/import/stix?audience=national', body, { 'content-type': 'application/stix+json' });

test('POST /api/v1/intel/import/stix twice: one event, no duplicate indicators, counts say why', async () => {
  const first = await post(users.bank, bundle());
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.reimport, false);
  assert.equal(first.json.created, 2);
  assert.equal(first.json.rejected, 1);  // the bad address, named
  assert.equal(first.json.problems[0].object, 'indicator--5a1e0c2d-3b4f-4a5e-8f6a-000000000004');
  const event = first.json.event_id;
  const before = (await users.bank.get(`/api/v1/intel/events/${event}`)).json;

  const again = await post(users.bank, bundle());
  assert.equal(again.status, 201, again.text);
  assert.equal(again.json.event_id, event);
  assert.equal(again.json.reimport, true);
  assert.equal(again.json.created, 0);
  assert.equal(again.json.updated, 0);
  assert.equal(again.json.unchanged, 3);  // the report and the two indicators
  assert.equal(again.json.rejected, 1);
  assert.equal(again.json.indicators, 0);
  const after = (await users.bank.get(`/api/v1/intel/events/${event}`)).json;
  assert.equal(after.version, before.version);
  assert.equal(after.indicator_count, 2);
  const mine = await users.bank.get('/api/v1/intel/events?q=Re-import%20campaign');
  assert.equal(mine.json.total, 1);

  // A newer version of one indicator: updated, the indicator follows, TAXII keeps both versions.
  const newer = await post(users.bank, bundle({ modified: '2026-03-01T00:00:00.000Z', name: 'second' }));
  assert.equal(newer.status, 201, newer.text);
  assert.equal(newer.json.event_id, event);
  assert.equal(newer.json.updated, 1);
  assert.equal(newer.json.created, 0);
  const ind = await users.bank.get(`/api/v1/intel/events/${event}/indicators?limit=10`);
  assert.equal(ind.json.items.length, 2);
  assert.equal(ind.json.items.find((i) => i.value === '198.51.100.201').comment, 'second');

  // Another organisation importing the same bundle gets its own event.
  const other = await post(users.plant, bundle());
  assert.equal(other.status, 201, other.text);
  assert.notEqual(other.json.event_id, event);
  assert.equal(other.json.reimport, false);

  // The STIX export of the event re-imported by its organisation: the same event again.
  const stix = await users.bank.get(`/api/v1/intel/events/${event}/stix`);
  assert.equal(stix.status, 200);
  const report = stix.json.objects.find((o) => o.type === 'report');
  assert.equal(report.object_refs.filter((r) => r.startsWith('indicator--')).length, 2);
  const exported = stix.json.objects.find((o) => o.id === 'indicator--5a1e0c2d-3b4f-4a5e-8f6a-000000000003');
  assert.deepEqual(exported.labels, ['c2']);  // kept verbatim
  const back = await post(users.bank, JSON.stringify(stix.json));
  assert.equal(back.json.event_id, event);
  assert.equal(back.json.indicators, 0);
});

test('a big event: the report of the STIX export names every indicator (no cap)', async () => {
  const n = 10200;  // above the old cap of 10,000 refs
  const objects = [];
  for (let k = 0; k < n; k++) {
    const id = `indicator--6b2f1d3e-4c5a-4b6f-9a7b-${String(k).padStart(12, '0')}`;
    objects.push({ type: 'indicator', spec_version: '2.1', id, created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', pattern: `[domain-name:value = 'big-${k}.reimport.example']`, pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z' });
  }
  const r = await post(users.banking, JSON.stringify({ type: 'bundle', id: 'bundle--6b2f1d3e-4c5a-4b6f-9a7b-000000000000', objects }));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.indicators, n);
  const stix = await users.banking.get(`/api/v1/intel/events/${r.json.event_id}/stix`);
  assert.equal(stix.status, 200);
  const report = stix.json.objects.find((o) => o.type === 'report');
  assert.equal(report.object_refs.length, n);
  const ids = new Set(stix.json.objects.map((o) => o.id));
  for (const ref of report.object_refs) assert.ok(ids.has(ref), ref);
});

test('POST /api/v1/intel/import/misp again with a corrected value under the same attribute uuid: updated, exported with the MISP uuid', async () => {
  const text = readFileSync(path.join(root, 'tests/data/misp/event-api-objects-galaxies.json'), 'utf8');
  const md5Uuid = '5acd1ad6-9458-43ed-8bda-48b202de0b81';
  const postMisp = (body) => users.plant.request('POST', '/api/v1/intel/import/misp', body, { 'content-type': 'application/json' });
  const first = await postMisp(text);
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.reimport, false);
  assert.equal(first.json.created, 3);
  const event = first.json.event_id;
  const exported = async () => {
    const r = await users.plant.get(`/api/v1/intel/events/${event}/misp`);
    assert.equal(r.status, 200, r.text);
    return new Map(r.json.Event.Attribute.map((a) => [a.uuid, a.value]));
  };
  assert.equal((await exported()).get(md5Uuid), '0997ba7292ddbac1c7e7ade6766ed53c');

  const doc = JSON.parse(text);
  doc.Event.timestamp = String(Number(doc.Event.timestamp) + 60);
  for (const o of doc.Event.Object) {
    for (const a of o.Attribute ?? []) {
      if (a.uuid === md5Uuid) Object.assign(a, { value: '0997ba7292ddbac1c7e7ade6766ed53d', comment: 'corrected', timestamp: '1551342000' });
    }
  }
  const again = await postMisp(JSON.stringify(doc));
  assert.equal(again.status, 201, again.text);
  assert.equal(again.json.event_id, event);
  assert.equal(again.json.reimport, true);
  assert.equal(again.json.updated, 1);
  assert.equal(again.json.created, 0);
  assert.equal(again.json.unchanged, 2);
  const ind = await users.plant.get(`/api/v1/intel/events/${event}/indicators?limit=10`);
  assert.equal(ind.json.total, 3);
  const md5s = ind.json.items.filter((i) => i.type === 'md5');
  assert.deepEqual(md5s.map((i) => [i.value, i.comment]), [['0997ba7292ddbac1c7e7ade6766ed53d', 'corrected']]);
  const after = await exported();
  assert.equal(after.size, 3);
  assert.equal(after.get(md5Uuid), '0997ba7292ddbac1c7e7ade6766ed53d');

  // The same attribute uuid twice in the file: ambiguous, both are problems named by that uuid
  // (not a failure), the indicator stays as it was.
  doc.Event.timestamp = String(Number(doc.Event.timestamp) + 60);
  doc.Event.Attribute.push({ uuid: md5Uuid, type: 'ip-dst', value: '198.51.100.254', to_ids: true });
  const dup = await postMisp(JSON.stringify(doc));
  assert.equal(dup.status, 201, dup.text);
  assert.equal(dup.json.rejected, 2);
  assert.deepEqual(dup.json.problems.map((p) => p.object), [md5Uuid, md5Uuid]);
  assert.equal(dup.json.indicators, 3);
  assert.equal((await exported()).get(md5Uuid), '0997ba7292ddbac1c7e7ade6766ed53d');
});
