// Removing an indicator from an intel event (issue #4): DELETE /api/v1/intel/indicators/{id} for
// the creating organisation only (others 403, invisible 404, stale If-Match 412), audited; the
// indicator leaves lists, search, CSV and the event's count, TAXII serves a new version with
// "revoked": true (also in the event's STIX export) and the MISP export writes the attribute with
// "deleted": true. A MISP re-import of attributes marked deleted removes the indicators they match
// (report: removed); first_seen / last_seen map to valid_from / valid_until and back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.mjs';
import { buildTree, tokenOf } from './intel_support.mjs';

const TAXII = 'application/taxii+json;version=2.1';
let server, admin, users;
const tokens = {};

const taxii = (who, url) =>
  fetch(server.base + url, { headers: { accept: TAXII, authorization: `Bearer ${tokens[who]}` } }).then(async (r) => {
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch {}
    return { status: r.status, json, text };
  });

before(async () => {
  server = await startServer();
  ({ admin, users } = await buildTree(server.base));
  tokens.plant = await tokenOf(users.plant);
});
after(async () => server?.stop());

test('DELETE /api/v1/intel/indicators/{id}: rights, If-Match, audit, gone everywhere, revoked for partners, deleted in MISP', async () => {
  const created = await users.bank.post('/api/v1/intel/events', {
    title: 'remove one', tlp: 'TLP:GREEN', audience: 'national',
    indicators: [{ type: 'ipv4', value: '198.51.100.50', comment: 'wrong' }, { type: 'domain', value: 'keep-me.example' }],
  });
  assert.equal(created.status, 201, created.text);
  const event = created.json.id;
  const list = await users.bank.get(`/api/v1/intel/events/${event}/indicators`);
  assert.equal(list.status, 200, list.text);
  const ip = list.json.items.find((i) => i.value === '198.51.100.50');
  assert.ok(ip);

  assert.equal((await users.partner.delete(`/api/v1/intel/indicators/${ip.id}`)).status, 404, 'invisible: 404');
  const denied = await users.plant.delete(`/api/v1/intel/indicators/${ip.id}`);
  assert.equal(denied.status, 403, denied.text);
  assert.ok(denied.json.error.code);
  const stale = await users.bank.delete(`/api/v1/intel/indicators/${ip.id}`, { 'if-match': '"999"' });
  assert.equal(stale.status, 412, stale.text);
  const current = await users.bank.get(`/api/v1/intel/events/${event}`);
  const done = await users.bank.delete(`/api/v1/intel/indicators/${ip.id}`, { 'if-match': current.headers.get('etag') });
  assert.equal(done.status, 204, done.text);
  assert.equal((await users.bank.delete(`/api/v1/intel/indicators/${ip.id}`)).status, 404, 'removed already');

  // Gone: the indicator, lists, search by value, CSV, the event's count.
  assert.equal((await users.bank.get(`/api/v1/intel/indicators/${ip.id}`)).status, 404);
  const after = await users.bank.get(`/api/v1/intel/events/${event}`);
  assert.equal(after.json.indicator_count, 1);
  assert.ok(after.json.version > current.json.version);
  assert.equal((await users.bank.get(`/api/v1/intel/events/${event}/indicators`)).json.items.length, 1);
  assert.equal((await users.root.get('/api/v1/intel/indicators?value=198.51.100.50')).json.total, 0);
  const csv = await users.root.get('/api/v1/intel/indicators?format=csv');
  assert.equal(csv.status, 200);
  assert.ok(!csv.text.includes('198.51.100.50'));

  // Audited.
  const log = await admin.get(`/api/v1/audit?object_id=${ip.id}`);
  assert.equal(log.status, 200, log.text);
  assert.deepEqual(log.json.items.map((e) => e.action), ['intel.indicator.delete']);
  assert.equal(log.json.items[0].before.value, '198.51.100.50');

  // TAXII: the latest version is revoked; both versions are listed.
  const one = await taxii('plant', `/taxii2/api/collections/national/objects/${ip.stix_id}/`);
  assert.equal(one.status, 200, one.text);
  assert.equal(one.json.objects.length, 1);
  assert.equal(one.json.objects[0].revoked, true);
  assert.equal(one.json.objects[0].pattern, "[ipv4-addr:value = '198.51.100.50']");
  const versions = await taxii('plant', `/taxii2/api/collections/national/objects/${ip.stix_id}/versions/`);
  assert.equal(versions.json.versions.length, 2);
  const stix = await users.bank.get(`/api/v1/intel/events/${event}/stix`);
  assert.equal(stix.status, 200);
  const revoked = stix.json.objects.find((o) => o.id === ip.stix_id);
  assert.equal(revoked?.revoked, true);

  // MISP: the attribute is exported deleted, the other one not.
  const misp = await users.bank.get(`/api/v1/intel/events/${event}/misp`);
  assert.equal(misp.status, 200, misp.text);
  const attrs = misp.json.Event.Attribute;
  assert.equal(attrs.length, 2);
  assert.equal(attrs.find((a) => a.value === '198.51.100.50').deleted, true);
  assert.equal(attrs.find((a) => a.uuid === ip.id)?.deleted, true);
  assert.equal(attrs.find((a) => a.value === 'keep-me.example').deleted, false);
});

test('MISP re-import: deleted attributes remove their indicators; first_seen/last_seen round trip', async () => {
  const eventDoc = (timestamp, deleted) => JSON.stringify({
    Event: {
      uuid: '7c1e0000-0000-4000-8000-0000000000aa', info: 'MISP deletions', timestamp: String(timestamp), distribution: '2',
      Attribute: [
        { uuid: '7c1e0000-0000-4000-8000-000000000001', type: 'ip-dst', category: 'Network activity', value: '192.0.2.44', to_ids: true,
          first_seen: '2024-05-01T10:00:00.123456+00:00', last_seen: '2024-06-01T00:00:00.000000+00:00' },
        { uuid: '7c1e0000-0000-4000-8000-000000000002', type: 'domain', category: 'Network activity', value: 'deleted-later.example', to_ids: true, deleted },
        { uuid: '7c1e0000-0000-4000-8000-000000000003', type: 'md5', category: 'Payload delivery', value: 'b'.repeat(32), to_ids: true, first_seen: '2024-13-45' },
      ],
    },
  });
  const postMisp = (body) => users.plant.request('POST', '/api/v1/intel/import/misp', body, { 'content-type': 'application/json' });
  const first = await postMisp(eventDoc(1700000000, false));
  assert.equal(first.status, 201, first.text);
  assert.equal(first.json.indicators, 2);
  assert.equal(first.json.problems.length, 1, 'the bad first_seen is a problem of that attribute');
  assert.equal(first.json.problems[0].object, '7c1e0000-0000-4000-8000-000000000003');
  assert.match(first.json.problems[0].reason, /first_seen/);
  const event = first.json.event_id;
  const ip = (await users.plant.get(`/api/v1/intel/indicators?value=192.0.2.44`)).json.items[0];
  assert.equal(ip.valid_from, '2024-05-01T10:00:00.123456Z');
  assert.equal(ip.valid_until, '2024-06-01T00:00:00Z');
  const exported = async () => (await users.plant.get(`/api/v1/intel/events/${event}/misp`)).json.Event.Attribute;
  const a = (await exported()).find((x) => x.value === '192.0.2.44');
  assert.equal(a.first_seen, '2024-05-01T10:00:00.123456+00:00');
  assert.equal(a.last_seen, '2024-06-01T00:00:00.000000+00:00');

  const second = await postMisp(eventDoc(1700000060, true));
  assert.equal(second.status, 201, second.text);
  assert.equal(second.json.reimport, true);
  assert.equal(second.json.removed, 1);
  assert.equal(second.json.indicators, 1);
  assert.equal((await users.plant.get(`/api/v1/intel/indicators?value=deleted-later.example`)).json.total, 0);
  const gone = (await exported()).find((x) => x.uuid === '7c1e0000-0000-4000-8000-000000000002');
  assert.equal(gone?.deleted, true);
  // The exported event (with its deleted attribute and seen times) imported elsewhere: only the
  // live attribute becomes an indicator, with the same validity.
  const doc = (await users.plant.get(`/api/v1/intel/events/${event}/misp`)).json;
  doc.Event.uuid = '7c1e0000-0000-4000-8000-0000000000bb';
  const other = await users.bank.request('POST', '/api/v1/intel/import/misp', JSON.stringify(doc), { 'content-type': 'application/json' });
  assert.equal(other.status, 201, other.text);
  assert.equal(other.json.indicators, 1);
  const copy = (await users.bank.get(`/api/v1/intel/events/${other.json.event_id}/indicators`)).json.items[0];
  assert.equal(copy.value, '192.0.2.44');
  assert.equal(copy.valid_from, '2024-05-01T10:00:00.123456Z');
  assert.equal(copy.valid_until, '2024-06-01T00:00:00Z');
});
