// Intel over the API: the event shape, normalisation and warning lists, sharing with the
// recipients preview and audited widening, sightings, correlation, search, CSV/STIX/MISP exports
// and imports with broken objects, and the leakage matrix: every audience x TLP, users at every
// tier, through the API, the exports and the search.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './harness.mjs';
import { buildTree, TLPS, AUDIENCES, expectedViewers } from './intel_support.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let server, admin, orgs, users;

before(async () => {
  server = await startServer();
  ({ admin, orgs, users } = await buildTree(server.base));
});
after(async () => server?.stop());

test('POST /api/v1/intel/events takes the documented shape and returns an id', async () => {
  const r = await users.bank.post('/api/v1/intel/events', {
    title: 'Phishing kit', description: 'Credential phishing against banks', tlp: 'TLP:GREEN', audience: 'national',
    indicators: [
      { type: 'ipv4', value: '203.0.113.9' }, { type: 'domain', value: 'Login-Bänk.Example.' },
      { type: 'url', value: 'HTTP://Evil.Example:80/a%7eb#frag' }, { type: 'ipv6', value: '2001:DB8:0::1' },
      { type: 'cidr', value: '198.51.100.0/24' }, { type: 'email', value: 'Phish@Evil.Example' },
      { type: 'md5', value: 'D41D8CD98F00B204E9800998ECF8427E' }, { type: 'sha1', value: 'a'.repeat(40) },
      { type: 'sha256', value: 'b'.repeat(64) }, { type: 'sha512', value: 'c'.repeat(128) },
      { type: 'asn', value: 'as64500' }, { type: 'x509', value: 'd'.repeat(40) },
      { type: 'ipv4', value: '8.8.8.8' },
    ],
  });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.id, /^[0-9a-f-]{36}$/);
  assert.equal(r.json.indicator_count, 13);
  const list = await users.bank.get(`/api/v1/intel/events/${r.json.id}/indicators?limit=50`);
  const byType = Object.fromEntries(list.json.items.filter((i) => i.value !== '8.8.8.8').map((i) => [i.type, i.value]));
  assert.equal(byType.domain, 'xn--login-bnk-12a.example');
  assert.equal(byType.url, 'http://evil.example/a~b');
  assert.equal(byType.ipv6, '2001:db8::1');
  assert.equal(byType.email, 'phish@evil.example');
  assert.equal(byType.md5, 'd41d8cd98f00b204e9800998ecf8427e');
  assert.equal(byType.asn, 'AS64500');
  const resolver = list.json.items.find((i) => i.value === '8.8.8.8');
  assert.equal(resolver.warning_list, 'Public DNS resolvers');
  assert.equal(resolver.active, false);
  // An analyst overrides the warning list.
  const o = await users.bank.patch(`/api/v1/intel/indicators/${resolver.id}`, { warning_override: true });
  assert.equal(o.status, 200, o.text);
  assert.equal(o.json.active, true);
});

test('bad input is refused with the field named', async () => {
  const bad = await users.bank.post('/api/v1/intel/events', {
    title: 'x', tlp: 'TLP:GREEN', audience: 'national', indicators: [{ type: 'ipv4', value: '203.0.113.300' }],
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'indicators[0].value');
  const type = await users.bank.post('/api/v1/intel/events', { title: 'x', tlp: 'TLP:GREEN', indicators: [{ type: 'ip', value: '1.2.3.4' }] });
  assert.equal(type.status, 400);
  assert.equal(type.json.error.field, 'indicators[0].type');
  const tlp = await users.bank.post('/api/v1/intel/events', { title: 'x', tlp: 'TLP:PURPLE' });
  assert.equal(tlp.status, 400);
  assert.equal(tlp.json.error.field, 'tlp');
  const extra = await users.bank.post('/api/v1/intel/events', { title: 'x', tlp: 'TLP:RED', colour: 'red' });
  assert.equal(extra.status, 400);
  const council = await users.council.post('/api/v1/intel/events', { title: 'x', tlp: 'TLP:RED' });
  assert.equal(council.status, 403);
});

test('share with the recipients preview: AMBER to the sector, then national GREEN (audited)', async () => {
  const r = await users.banking.post('/api/v1/intel/events', {
    title: 'Sector alert', tlp: 'TLP:AMBER', audience: 'sector', tags: ['T1566.001'],
    indicators: [{ type: 'domain', value: 'sector-only.example.net' }],
  });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  const preview = await users.banking.get(`/api/v1/intel/events/${id}/recipients`);
  assert.equal(preview.status, 200);
  assert.deepEqual(preview.json.items.map((o) => o.name).sort(), ['Banking CERT', 'First Bank', 'First Bank CSIRT']);
  const wider = await users.banking.get(`/api/v1/intel/events/${id}/recipients?tlp=TLP:GREEN&audience=national`);
  assert.ok(wider.json.items.some((o) => o.name === 'Northern Plant'));
  assert.ok(!wider.json.items.some((o) => o.name === 'Partner CERT'));
  assert.equal((await users.bank.get(`/api/v1/intel/events/${id}/recipients`)).status, 403);
  assert.equal((await users.plant.get(`/api/v1/intel/events/${id}`)).status, 404);
  // Only the creator may widen; If-Match guards concurrent changes.
  assert.equal((await users.bank.patch(`/api/v1/intel/events/${id}`, { audience: 'national' })).status, 403);
  assert.equal((await users.banking.patch(`/api/v1/intel/events/${id}`, { audience: 'national' }, { 'if-match': '"9"' })).status, 412);
  const w = await users.banking.patch(`/api/v1/intel/events/${id}`, { audience: 'national', tlp: 'TLP:GREEN' }, { 'if-match': r.headers.get('etag') });
  assert.equal(w.status, 200, w.text);
  assert.equal((await users.plant.get(`/api/v1/intel/events/${id}`)).status, 200);
  assert.equal((await users.partner.get(`/api/v1/intel/events/${id}`)).status, 404);
  const audit = await admin.get('/api/v1/audit?object_id=' + id);
  if (audit.status === 200 && audit.json.items) assert.ok(audit.json.items.some((a) => a.action === 'intel.share.widen'), audit.text);
});

test('sightings, correlation by value, over-correlation and search', async () => {
  const mk = async (client, ips, tlp = 'TLP:GREEN', audience = 'national') => {
    const r = await client.post('/api/v1/intel/events', { title: 'corr', tlp, audience, indicators: ips.map((v) => ({ type: 'ipv4', value: v })) });
    assert.equal(r.status, 201, r.text);
    return r.json.id;
  };
  const a = await mk(users.bank, ['45.33.32.156', '45.33.32.157']);
  const b = await mk(users.plant, ['45.33.32.156']);
  await mk(users.plant, ['45.33.32.157'], 'TLP:RED', 'organisation');
  const c = await users.bank.get(`/api/v1/intel/correlations?event=${a}`);
  assert.equal(c.status, 200, c.text);
  assert.equal(c.json.items.length, 1, JSON.stringify(c.json));
  assert.equal(c.json.items[0].value, '45.33.32.156');
  assert.deepEqual(c.json.items[0].events.map((e) => e.id), [b]);
  const v = await users.bank.get('/api/v1/intel/correlations?type=ipv4&value=45.33.32.157');
  assert.equal(v.json.items[0].events.length, 1, 'the RED event of the plant stays invisible');
  const ind = (await users.bank.get(`/api/v1/intel/events/${a}/indicators`)).json.items[0];
  const s = await users.plant.post(`/api/v1/intel/indicators/${ind.id}/sightings`, { count: 4, source: 'ids' });
  assert.equal(s.status, 201, s.text);
  assert.equal(s.json.sightings.count, 4);
  const who = await users.bank.get(`/api/v1/intel/indicators/${ind.id}/sightings`);
  assert.equal(who.status, 200, who.text);
  assert.deepEqual(who.json.items.map((x) => [x.organisation.name, x.count]), [['Northern Plant', 4]]);
  const others = await users.energy.get(`/api/v1/intel/indicators/${ind.id}/sightings`);
  assert.equal(others.json.total, 0, 'only the creator sees who else sighted it');
  const search = await users.energy.get('/api/v1/intel/indicators?value=45.33.32.156');
  assert.equal(search.json.total, 2);
  const ev = await users.energy.get('/api/v1/intel/events?value=45.33.32.156&tlp=TLP:GREEN');
  assert.equal(ev.json.total, 2);
  const tag = await users.bank.get('/api/v1/intel/events?tag=T1566.001');
  assert.equal(tag.json.total, 1);
  assert.equal((await users.bank.get('/api/v1/intel/events?since=yesterday')).status, 400);
});

test('STIX and MISP import: broken objects are named, the rest imported; exports re-import', async () => {
  const bundle = readFileSync(path.join(root, 'tests/data/stix/poisonivy-report.json'), 'utf8');
  const r = await users.banking.request('POST', '/api/v1/intel/import/stix?tlp=TLP:GREEN&audience=sector', bundle, { 'content-type': 'application/stix+json' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.failed, 0);
  const broken = JSON.stringify({ type: 'bundle', id: 'bundle--6f2cf09c-7f0d-4a4e-8b3b-8d4f1e6f2f4e', objects: [
    { type: 'indicator', spec_version: '2.1', id: 'indicator--6f2cf09c-7f0d-4a4e-8b3b-000000000001', created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', pattern: "[ipv4-addr:value = '45.33.50.1']", pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z' },
    { type: 'indicator', spec_version: '2.1', id: 'indicator--6f2cf09c-7f0d-4a4e-8b3b-000000000002', created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', pattern: "[ipv4-addr:value = '45.33.50.1'", pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z' },
    { type: 'indicator', spec_version: '2.1', id: 'indicator--6f2cf09c-7f0d-4a4e-8b3b-000000000003', created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', pattern: "[url:value = 'http://evil.example/x']", pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z' },
  ] });
  const b = await users.banking.request('POST', '/api/v1/intel/import/stix', broken, { 'content-type': 'application/json' });
  assert.equal(b.status, 201, b.text);
  assert.equal(b.json.indicators, 2);
  assert.equal(b.json.failed, 1);
  assert.equal(b.json.problems[0].object, 'indicator--6f2cf09c-7f0d-4a4e-8b3b-000000000002');
  assert.match(b.json.problems[0].reason, /pattern/);
  const notBundle = await users.banking.request('POST', '/api/v1/intel/import/stix', '{"type":"report"}', { 'content-type': 'application/json' });
  assert.equal(notBundle.status, 400);
  for (const q of ['tlp=TLP:PURPLE', 'audience=galaxy']) {
    const bad = await users.banking.request('POST', `/api/v1/intel/import/stix?${q}`, bundle, { 'content-type': 'application/json' });
    assert.equal(bad.status, 400, `${q}: ${bad.text}`);
    assert.equal(bad.json.error.code, 'invalid_argument');
  }
  // Export as STIX and MISP; the STIX export re-imports.
  const stix = await users.banking.get(`/api/v1/intel/events/${b.json.event_id}/stix`);
  assert.equal(stix.status, 200);
  assert.match(stix.headers.get('content-type'), /application\/stix\+json/);
  const types = stix.json.objects.map((o) => o.type);
  assert.ok(types.includes('report') && types.includes('identity') && types.includes('marking-definition'));
  const again = await users.banking.request('POST', '/api/v1/intel/import/stix', JSON.stringify(stix.json), { 'content-type': 'application/json' });
  // A re-import by the same organisation updates that event (intel_reimport.test.mjs).
  assert.equal(again.json.event_id, b.json.event_id);
  assert.equal(again.json.indicators, 0);
  const misp = await users.banking.get(`/api/v1/intel/events/${b.json.event_id}/misp`);
  assert.equal(misp.json.Event.Attribute.length, 2);
  const sample = readFileSync(path.join(root, 'tests/data/misp/event-api-objects-galaxies.json'), 'utf8');
  const m = await users.banking.request('POST', '/api/v1/intel/import/misp', sample, { 'content-type': 'application/json' });
  assert.equal(m.status, 201, m.text);
  assert.equal(m.json.tlp, 'TLP:CLEAR');
  assert.equal(m.json.audience, 'partners');
});

test('leakage: every audience x TLP, users at every tier, API, search and exports', async () => {
  const created = [];
  for (const tlp of TLPS) {
    for (const audience of AUDIENCES) {
      const marker = `leak-${tlp.replace(/[^A-Z]/g, '').toLowerCase()}-${audience}.example.org`;
      const r = await users.bank.post('/api/v1/intel/events', { title: `leak ${tlp} ${audience}`, tlp, audience, indicators: [{ type: 'domain', value: marker }] });
      assert.equal(r.status, 201, r.text);
      created.push({ id: r.json.id, tlp, audience, marker });
    }
  }
  for (const [name, client] of Object.entries(users)) {
    const list = await client.get('/api/v1/intel/events?q=leak&limit=100');
    const csv = await client.get('/api/v1/intel/indicators?format=csv');
    for (const e of created) {
      const allowed = expectedViewers(e.tlp, e.audience).includes(name);
      const one = await client.get(`/api/v1/intel/events/${e.id}`);
      assert.equal(one.status, allowed ? 200 : 404, `${name} GET ${e.tlp} ${e.audience}`);
      const stix = await client.get(`/api/v1/intel/events/${e.id}/stix`);
      assert.equal(stix.status, allowed ? 200 : 404, `${name} STIX ${e.tlp} ${e.audience}`);
      if (list.status === 200) assert.equal(list.json.items.some((x) => x.id === e.id), allowed, `${name} list ${e.tlp} ${e.audience}`);
      else assert.equal(allowed, false);
      const search = await client.get(`/api/v1/intel/indicators?value=${e.marker}`);
      assert.equal(search.status === 200 && search.json.total === 1, allowed, `${name} search ${e.tlp} ${e.audience}`);
      assert.equal(csv.status === 200 && csv.text.includes(e.marker), allowed, `${name} CSV ${e.tlp} ${e.audience}`);
    }
  }
});
