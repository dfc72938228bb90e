// The TAXII 2.1 server (discovery, API root, collections, manifest, objects GET/POST, object,
// versions, status, DELETE): media types, headers, filters, paging with strictly increasing
// date_added, errors, authentication and the size limit before the body, leakage per collection
// and user; and the TAXII client (`muhafiz taxii pull` / `push`) in another process against this
// server, resuming from the last date_added.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, runCli, ADMIN_PASSWORD } from './harness.mjs';
import { buildTree, tokenOf, TLPS, AUDIENCES, expectedViewers } from './intel_support.mjs';

const TAXII = 'application/taxii+json;version=2.1';
let server, orgs, users, tokens = {};

const taxii = (who, url, { method = 'GET', body, headers = {} } = {}) => {
  const h = { accept: TAXII, ...headers };
  if (who) h.authorization = `Bearer ${tokens[who]}`;
  return fetch(server.base + url, { method, headers: h, body }).then(async (r) => {
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch {}
    return { status: r.status, headers: r.headers, json, text };
  });
};

before(async () => {
  server = await startServer();
  ({ orgs, users } = await buildTree(server.base));
  for (const name of Object.keys(users)) tokens[name] = await tokenOf(users[name]);
});
after(async () => server?.stop());

test('discovery, API root and collections with exact media types', async () => {
  const d = await taxii(null, '/taxii2/');
  assert.equal(d.status, 200);
  assert.equal(d.headers.get('content-type'), TAXII);
  assert.equal(d.json.default, '/taxii2/api/');
  const r = await taxii('bank', '/taxii2/api/');
  assert.deepEqual(r.json.versions, [TAXII]);
  assert.ok(r.json.max_content_length > 0);
  const anon = await taxii(null, '/taxii2/api/collections/');
  assert.deepEqual(anon.json.collections.map((c) => c.alias), ['public']);
  const partner = await taxii('partner', '/taxii2/api/collections/');
  assert.deepEqual(partner.json.collections.map((c) => c.alias), ['public', 'partners']);
  const bank = await taxii('bank', '/taxii2/api/collections/');
  assert.equal(bank.json.collections.length, 6);
  assert.equal(bank.json.collections.find((c) => c.alias === 'national').can_write, true);
  const council = await taxii('council', '/taxii2/api/collections/');
  assert.deepEqual(council.json, {});
  const notAcceptable = await fetch(server.base + '/taxii2/', { headers: { accept: 'text/html' } });
  assert.equal(notAcceptable.status, 406);
  assert.equal(notAcceptable.headers.get('content-type'), TAXII);
  const lenient = await fetch(server.base + '/taxii2/', { headers: { accept: 'application/taxii+json; version=2.1' } });
  assert.equal(lenient.status, 200);
  const hidden = await taxii('partner', '/taxii2/api/collections/national/');
  assert.equal(hidden.status, 404);
  assert.equal(hidden.json.http_status, '404');
  const missing = await taxii('partner', '/taxii2/api/collections/nope/');
  assert.equal(missing.text, hidden.text, 'missing and invisible look the same');
  const unauth = await taxii(null, '/taxii2/api/collections/national/objects/', { method: 'POST', body: '{}', headers: { 'content-type': TAXII } });
  assert.equal(unauth.status, 401);
  assert.match(unauth.headers.get('www-authenticate'), /Bearer/);
});

test('every answer under /taxii2/ is TAXII: unknown paths 404, other methods 405 with Allow', async () => {
  const unknown = await taxii('bank', '/taxii2/api/nothing-here/');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get('content-type'), TAXII);
  assert.equal(unknown.json.http_status, '404');
  const other = await taxii(null, '/taxii2/otherroot/collections/');
  assert.equal(other.status, 404);
  assert.equal(other.headers.get('content-type'), TAXII);
  const put = await taxii('bank', '/taxii2/api/collections/', { method: 'PUT', body: '{}' });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get('content-type'), TAXII);
  assert.equal(put.json.http_status, '405');
  assert.match(put.headers.get('allow'), /GET/);
  const postRoot = await taxii('bank', '/taxii2/', { method: 'POST', body: '{}', headers: { 'content-type': TAXII } });
  assert.equal(postRoot.status, 405);
  assert.equal(postRoot.headers.get('content-type'), TAXII);
  const delObjects = await taxii('bank', '/taxii2/api/collections/national/objects/', { method: 'DELETE' });
  assert.equal(delObjects.status, 405);
  assert.match(delObjects.headers.get('allow'), /POST/);
  // 401s carry a challenge, in TAXII's media type.
  const status = await taxii(null, '/taxii2/api/status/00000000-0000-4000-8000-000000000000/');
  assert.equal(status.status, 401);
  assert.equal(status.headers.get('content-type'), TAXII);
  assert.match(status.headers.get('www-authenticate'), /Basic realm=.*Bearer/);
  // A status id that is not ours: 404.
  assert.equal((await taxii('bank', '/taxii2/api/status/00000000-0000-4000-8000-000000000000/')).status, 404);
});

test('objects: paging by limit/next and added_after, filters, manifest, versions, one object', async () => {
  const ids = [];
  const r = await users.bank.post('/api/v1/intel/events', {
    title: 'paging', tlp: 'TLP:GREEN', audience: 'partners',
    indicators: Array.from({ length: 25 }, (_, i) => ({ type: 'ipv4', value: `45.33.60.${i + 1}` })),
  });
  assert.equal(r.status, 201, r.text);
  let url = '/taxii2/api/collections/partners/objects/?limit=10&match[type]=indicator';
  let last = '';
  for (let page = 0; page < 10; page++) {
    const p = await taxii('partner', url);
    assert.equal(p.status, 200, p.text);
    if (!p.json.objects) break;
    assert.ok(p.json.objects.length <= 10);
    const first = p.headers.get('x-taxii-date-added-first');
    assert.match(first, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(first > last, 'date_added strictly increases across pages');
    last = p.headers.get('x-taxii-date-added-last');
    ids.push(...p.json.objects.map((o) => o.id));
    if (!p.json.more) break;
    url = `/taxii2/api/collections/partners/objects/?limit=10&match[type]=indicator&next=${encodeURIComponent(p.json.next)}`;
  }
  assert.equal(new Set(ids).size, 25);
  // The same through added_after (the way for manifest and versions).
  const m1 = await taxii('partner', '/taxii2/api/collections/partners/manifest/?limit=20');
  assert.equal(m1.json.more, true);
  assert.ok(!('next' in m1.json));
  const m2 = await taxii('partner', `/taxii2/api/collections/partners/manifest/?limit=20&added_after=${m1.headers.get('x-taxii-date-added-last')}`);
  assert.equal(new Set([...m1.json.objects, ...m2.json.objects].map((o) => o.id + o.version)).size, m1.json.objects.length + m2.json.objects.length);
  assert.equal(m1.json.objects[0].media_type, 'application/stix+json;version=2.1');
  const one = await taxii('partner', `/taxii2/api/collections/partners/objects/${ids[0]}/`);
  assert.equal(one.json.objects.length, 1);
  const versions = await taxii('partner', `/taxii2/api/collections/partners/objects/${ids[0]}/versions/`);
  assert.equal(versions.json.versions.length, 1);
  assert.equal((await taxii('partner', '/taxii2/api/collections/partners/objects/indicator--00000000-0000-4000-8000-000000000000/')).status, 404);
  assert.equal((await taxii('partner', '/taxii2/api/collections/partners/objects/?limit=0')).status, 400);
  assert.equal((await taxii('partner', '/taxii2/api/collections/partners/objects/?added_after=yesterday')).status, 400);
  assert.equal((await taxii('partner', '/taxii2/api/collections/partners/objects/?limit=1&limit=2')).status, 400);
  assert.equal((await taxii('partner', '/taxii2/api/collections/partners/objects/?next=forged.token')).status, 400);
  const none = await taxii('partner', '/taxii2/api/collections/partners/objects/?match[type]=malware-analysis');
  assert.deepEqual(none.json, {});
  assert.equal(none.headers.get('x-taxii-date-added-first'), null);
});

test('POST objects: 202 with a status; size, media type and permissions checked first', async () => {
  const envelope = { objects: [
    { type: 'indicator', spec_version: '2.1', id: 'indicator--1a2b3c4d-0000-4000-8000-000000000001', created: '2026-02-01T00:00:00.000Z', modified: '2026-02-01T00:00:00.000Z', pattern: "[domain-name:value = 'pushed.example.net']", pattern_type: 'stix', valid_from: '2026-02-01T00:00:00Z' },
    { type: 'indicator', spec_version: '2.1', id: 'indicator--1a2b3c4d-0000-4000-8000-000000000002', created: '2026-02-01T00:00:00.000Z', modified: '2026-02-01T00:00:00.000Z', pattern: '[broken', pattern_type: 'stix', valid_from: '2026-02-01T00:00:00Z' },
  ] };
  const post = (who, coll, body, headers = {}) => taxii(who, `/taxii2/api/collections/${coll}/objects/`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': TAXII, ...headers } });
  const ok = await post('partner', 'partners', envelope);
  assert.equal(ok.status, 202, ok.text);
  assert.equal(ok.json.status, 'complete');
  assert.equal(ok.json.success_count, 1);
  assert.equal(ok.json.failure_count, 1);
  assert.equal(ok.json.failures[0].id, 'indicator--1a2b3c4d-0000-4000-8000-000000000002');
  const status = await taxii('partner', `/taxii2/api/status/${ok.json.id}/`);
  assert.equal(status.json.id, ok.json.id);
  const dup = await post('partner', 'partners', { objects: [envelope.objects[0]] });
  assert.equal(dup.json.failure_count, 0, 'a duplicate is not a failure');
  assert.equal((await post('partner', 'national', envelope)).status, 404);
  assert.equal((await post('partner', 'public', envelope)).status, 403);
  assert.equal((await post('partner', 'partners', envelope, { 'content-type': 'application/json' })).status, 415);
  assert.equal((await post('partner', 'partners', { nope: 1 })).status, 422);
  // 413 from Content-Length alone: the server answers before reading the body.
  const big = await new Promise((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request(server.base + '/taxii2/api/collections/partners/objects/', {
        method: 'POST', headers: { accept: TAXII, 'content-type': TAXII, authorization: `Bearer ${tokens.partner}`, 'content-length': String(1 << 30) },
      }, (res) => { let d = ''; res.on('data', (c) => (d += c)); res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: d })); });
      req.on('error', reject);
      req.write('{"objects":[');
    });
  });
  assert.equal(big.status, 413);
  // Without credentials the same request is refused for authentication first.
  const anon = await new Promise((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request(server.base + '/taxii2/api/collections/partners/objects/', {
        method: 'POST', headers: { accept: TAXII, 'content-type': TAXII, 'content-length': String(1 << 30) },
      }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
      req.on('error', reject);
      req.write('{');
    });
  });
  assert.equal(anon, 401);
  assert.equal(big.type, TAXII);
  assert.equal(JSON.parse(big.body).http_status, '413');
  // The pushed indicator is visible to the partners' readers, the creator is the partner CERT.
  const found = await users.root.get('/api/v1/intel/indicators?value=pushed.example.net');
  assert.equal(found.json.total, 1);
  // DELETE: only the creating organisation's objects in that collection.
  const del = await taxii('partner', '/taxii2/api/collections/partners/objects/indicator--1a2b3c4d-0000-4000-8000-000000000001/', { method: 'DELETE' });
  assert.equal(del.status, 200, del.text);
  assert.equal((await taxii('partner', '/taxii2/api/collections/partners/objects/indicator--1a2b3c4d-0000-4000-8000-000000000001/')).status, 404);
  // ... and the REST API agrees: the indicator left its event (audited).
  assert.equal((await users.root.get('/api/v1/intel/indicators?value=pushed.example.net')).json.total, 0);
  const manifest = await taxii('partner', '/taxii2/api/collections/partners/manifest/?match[id]=indicator--1a2b3c4d-0000-4000-8000-000000000001');
  assert.deepEqual(manifest.json, {}, 'the manifest no longer lists it');
  assert.equal((await taxii('partner', '/taxii2/api/collections/partners/objects/indicator--1a2b3c4d-0000-4000-8000-000000000001/', { method: 'DELETE' })).status, 404, 'a second DELETE finds nothing');
  assert.equal((await taxii('partner', '/taxii2/api/collections/public/objects/x/', { method: 'DELETE' })).status, 403);
});

test('DELETE with match[version] and match[spec_version]: only the matched versions go (§5.7)', async () => {
  const id = 'indicator--1a2b3c4d-0000-4000-8000-0000000000a1';
  const T = ['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z'];
  const obj = (k) => ({ type: 'indicator', spec_version: '2.1', id, created: T[0], modified: T[k], name: `v${k + 1}`, pattern: `[domain-name:value = 'v${k + 1}.versions.example.net']`, pattern_type: 'stix', valid_from: '2026-03-01T00:00:00Z' });
  for (const k of [0, 1, 2]) {
    const r = await taxii('partner', '/taxii2/api/collections/partners/objects/', { method: 'POST', body: JSON.stringify({ objects: [obj(k)] }), headers: { 'content-type': TAXII } });
    assert.equal(r.json.success_count, 1, r.text);
  }
  const url = `/taxii2/api/collections/partners/objects/${id}/`;
  const versions = async () => (await taxii('partner', `${url}versions/`)).json.versions ?? [];
  assert.deepEqual(await versions(), T);
  assert.equal((await taxii('partner', `${url}?match[version]=yesterday`, { method: 'DELETE' })).status, 400);
  assert.equal((await taxii('partner', `${url}?match[version]=all,last`, { method: 'DELETE' })).status, 400);
  assert.equal((await taxii('partner', `${url}?match[spec_version]=2.0`, { method: 'DELETE' })).status, 404, 'no 2.0 version is held');
  assert.equal((await taxii('partner', `${url}?match[version]=2026-04-01T00:00:00Z`, { method: 'DELETE' })).status, 404, 'no such version');
  assert.deepEqual(await versions(), T, 'nothing went');
  // An older version: the others and the indicator stay as they are.
  const first = await taxii('partner', `${url}?match[version]=2026-03-01T00:00:00Z&match[spec_version]=2.0,2.1`, { method: 'DELETE' });
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(await versions(), [T[1], T[2]]);
  assert.equal((await taxii('partner', url)).json.objects[0].modified, T[2]);
  // 1: the indicator has v3's value, 10: v2's, 0: it left its event.
  const ours = async () => ((await users.root.get('/api/v1/intel/indicators?value=v3.versions.example.net')).json.total) +
    ((await users.root.get('/api/v1/intel/indicators?value=v2.versions.example.net')).json.total) * 10;
  assert.equal(await ours(), 1, 'the indicator still follows v3');
  // The latest version: the indicator follows the one that is now the latest (v2).
  const last = await taxii('partner', `${url}?match[version]=last`, { method: 'DELETE' });
  assert.equal(last.status, 200, last.text);
  assert.deepEqual(await versions(), [T[1]]);
  const now = await taxii('partner', url);
  assert.equal(now.json.objects[0].modified, T[1]);
  assert.equal(now.json.objects[0].name, 'v2');
  assert.equal(await ours(), 10, 'the indicator follows v2 now');
  assert.equal((await taxii('partner', `${url}?match[version]=${T[2]}`, { method: 'DELETE' })).status, 404, 'a deleted version is gone');
  // The last one left: the object and the indicator go.
  assert.equal((await taxii('partner', `${url}?match[version]=first`, { method: 'DELETE' })).status, 200);
  assert.equal((await taxii('partner', url)).status, 404);
  assert.equal(await ours(), 0);
});

test('leakage over TAXII: every audience x TLP, users at every tier', async () => {
  const created = [];
  for (const tlp of TLPS) for (const audience of AUDIENCES) {
    const r = await users.bank.post('/api/v1/intel/events', { title: `tx ${tlp} ${audience}`, tlp, audience, indicators: [{ type: 'domain', value: `tx-${TLPS.indexOf(tlp)}-${audience}.example.org` }] });
    assert.equal(r.status, 201, r.text);
    created.push({ tlp, audience, report: r.json.stix_id });
  }
  for (const who of [...Object.keys(users), null]) {
    const seen = new Set();
    for (const coll of ['public', ...AUDIENCES]) {
      let url = `/taxii2/api/collections/${coll}/objects/?match[type]=report&limit=1000`;
      const p = await taxii(who, url);
      if (p.status === 404) continue;
      assert.equal(p.status, 200, `${who} ${coll}: ${p.text}`);
      for (const o of p.json.objects ?? []) seen.add(o.id);
    }
    for (const e of created) {
      const allowed = who === null ? e.tlp === 'TLP:CLEAR' : expectedViewers(e.tlp, e.audience).includes(who);
      // Partners read only the public and partners collections; TAXII shows them what they may see there.
      const reachable = who === 'partner' ? (e.tlp === 'TLP:CLEAR' || e.audience === 'partners') : true;
      assert.equal(seen.has(e.report), allowed && reachable, `${who} ${e.tlp} ${e.audience}`);
    }
  }
});

test('TLP marking-definitions: each once per collection, only those its objects use', async () => {
  const CLEAR = 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487';
  const TLP_MARKINGS = [CLEAR, 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
    'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'];
  const pub = await taxii(null, '/taxii2/api/collections/public/objects/?match[type]=marking-definition');
  assert.deepEqual(pub.json.objects.map((o) => o.id), [CLEAR], 'the public collection lists TLP:CLEAR alone');
  for (const who of ['bank', 'energy', 'partner', null]) {
    for (const coll of ['public', ...AUDIENCES]) {
      const p = await taxii(who, `/taxii2/api/collections/${coll}/objects/?limit=1000`);
      if (p.status === 404) continue;
      assert.equal(p.status, 200, p.text);
      assert.ok(!p.json.more, 'one page holds the test collection');
      const objects = p.json.objects ?? [];
      const markings = objects.filter((o) => o.type === 'marking-definition').map((o) => o.id);
      assert.equal(new Set(markings).size, markings.length, `${who} ${coll}: no marking twice`);
      const refs = new Set(objects.flatMap((o) => o.object_marking_refs ?? []));
      for (const m of markings) assert.ok(refs.has(m), `${who} ${coll}: ${m} is listed but no object of the collection uses it`);
      for (const m of refs) {
        if (TLP_MARKINGS.includes(m)) assert.ok(markings.includes(m), `${who} ${coll}: an object refers to ${m}, which the collection does not list`);
      }
    }
  }
});

test('the TAXII client pulls into another instance, resumes, and pushes', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'muhafiz-taxii-client-'));
  try {
    const env = { MUHAFIZ_ADMIN_PASSWORD: ADMIN_PASSWORD };
    const args = ['--data-dir', dataDir];
    const pull = () => runCli(['taxii', 'pull', '--url', `${server.base}/taxii2/api/`, '--collection', 'partners', '--token', tokens.partner, '--page-size', '7', ...args], { env });
    const first = pull();
    assert.equal(first.status, 0, first.stderr);
    const r1 = JSON.parse(first.stdout);
    assert.ok(r1.indicators >= 25, first.stdout);
    assert.ok(r1.pages >= 4);
    const csv = runCli(['export', 'intel-csv', ...args], { env });
    assert.equal(csv.status, 0, csv.stderr);
    assert.ok(csv.stdout.includes('45.33.60.25'));
    assert.ok(!csv.stdout.includes('tx-2-national'), 'nothing outside the partners collection');
    const again = pull();
    assert.equal(JSON.parse(again.stdout).indicators, 0, 'resumes after the last date_added');
    const add = await users.bank.post('/api/v1/intel/events', { title: 'late', tlp: 'TLP:GREEN', audience: 'partners', indicators: [{ type: 'domain', value: 'late-arrival.example.org' }] });
    assert.equal(add.status, 201);
    const third = JSON.parse(pull().stdout);
    assert.equal(third.indicators, 1);
    // Push an event of the client instance back to the server's partners collection.
    const event = csv.stdout.split('\n')[1].split(',')[0];
    const push = runCli(['taxii', 'push', '--url', `${server.base}/taxii2/api/`, '--collection', 'partners', '--event', event, '--token', tokens.partner, ...args], { env });
    assert.equal(push.status, 0, push.stderr + push.stdout);
    assert.ok(JSON.parse(push.stdout).success > 0);
    const bad = runCli(['taxii', 'pull', '--url', `${server.base}/taxii2/api/`, '--collection', 'national', '--token', tokens.partner, ...args], { env });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /404/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('HTTP Basic: the password is an API token (any user name); a wrong one is 401 with a Basic challenge', async () => {
  const basic = (user, password) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const get = (auth, url = '/taxii2/api/collections/') => fetch(server.base + url, { headers: { accept: TAXII, authorization: auth } })
    .then(async (r) => ({ status: r.status, headers: r.headers, json: JSON.parse((await r.text()) || 'null') }));
  const ok = await get(basic('partner.user', tokens.partner));
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json.collections.map((c) => c.alias), ['public', 'partners']);
  assert.equal((await get(basic('anything', tokens.bank))).json.collections.length, 6, 'the user name is not checked');
  for (const auth of [basic('partner.user', 'wrong-token'), basic('partner.user', ''), 'Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64')]) {
    const bad = await get(auth);
    assert.equal(bad.status, 401, auth);
    assert.match(bad.headers.get('www-authenticate'), /^Basic realm="[^"]+"/);
    assert.equal(bad.headers.get('content-type'), TAXII);
    assert.equal(bad.json.http_status, '401');
  }
  // Bearer keeps working, and a wrong bearer is 401 too.
  assert.equal((await get(`Bearer ${tokens.partner}`)).status, 200);
  assert.equal((await get('Bearer mfz_wrong')).status, 401);
  // A wrong Basic credential is refused before the body is read (Content-Length of 1 GiB).
  const early = await new Promise((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request(server.base + '/taxii2/api/collections/partners/objects/', {
        method: 'POST', headers: { accept: TAXII, 'content-type': TAXII, authorization: basic('x', 'wrong'), 'content-length': String(1 << 30) },
      }, (res) => { res.resume(); res.on('end', () => resolve({ status: res.statusCode, challenge: res.headers['www-authenticate'] })); });
      req.on('error', reject);
      req.write('{');
    });
  });
  assert.equal(early.status, 401);
  assert.match(early.challenge, /Basic/);
  // POST with Basic works.
  const envelope = { objects: [{ type: 'indicator', spec_version: '2.1', id: 'indicator--1a2b3c4d-0000-4000-8000-0000000000b1', created: '2026-02-01T00:00:00.000Z', modified: '2026-02-01T00:00:00.000Z', pattern: "[domain-name:value = 'basic-auth.example.net']", pattern_type: 'stix', valid_from: '2026-02-01T00:00:00Z' }] };
  const post = await fetch(server.base + '/taxii2/api/collections/partners/objects/', { method: 'POST', headers: { accept: TAXII, 'content-type': TAXII, authorization: basic('partner.user', tokens.partner) }, body: JSON.stringify(envelope) });
  assert.equal(post.status, 202, await post.text());
});

test('the TAXII client authenticates with --user/--password (HTTP Basic)', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'muhafiz-taxii-basic-'));
  try {
    const env = { MUHAFIZ_ADMIN_PASSWORD: ADMIN_PASSWORD };
    const pull = (extra) => runCli(['taxii', 'pull', '--url', `${server.base}/taxii2/api/`, '--collection', 'partners', ...extra, '--data-dir', dataDir], { env });
    const ok = pull(['--user', 'partner.user', '--password', tokens.partner]);
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    assert.ok(JSON.parse(ok.stdout).objects > 0);
    const viaEnv = runCli(['taxii', 'pull', '--url', `${server.base}/taxii2/api/`, '--collection', 'partners', '--user', 'partner.user', '--data-dir', dataDir], { env: { ...env, MUHAFIZ_TAXII_PASSWORD: tokens.partner } });
    assert.equal(viaEnv.status, 0, viaEnv.stderr);
    const wrong = pull(['--user', 'partner.user', '--password', 'wrong']);
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /401/);
    const both = pull(['--user', 'partner.user', '--password', 'x', '--token', tokens.partner]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /either --token or --user/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
