// The MISP feed over HTTP, fetched the way a MISP instance pulls a feed: manifest.json, then every
// <uuid>.json it lists, and hashes.csv checked against the events. Authentication with a custom
// Authorization header (Bearer or Basic with an API token), the anonymous public feed (TLP:CLEAR
// only), leakage per user and audience x TLP, ETag/Last-Modified revalidation, and the same bytes
// as `muhafiz export misp-feed` (one writer).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, runCli, ADMIN_PASSWORD } from './harness.mjs';
import { buildTree, tokenOf, TLPS, AUDIENCES, expectedViewers } from './intel_support.mjs';

let server, users;
const tokens = {};
const events = {};

const md5 = (s) => crypto.createHash('md5').update(s, 'utf8').digest('hex');

// GET as MISP does: the feed URL + file, with the configured headers.
async function fetchFeed(feed, file, headers = {}) {
  const r = await fetch(`${server.base}/api/v1/intel/misp-feed/${feed}/${file}`, { headers });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch {}
  return { status: r.status, headers: r.headers, text, json };
}
const bearer = (who) => ({ authorization: `Bearer ${tokens[who]}` });
const basic = (user, password) => ({ authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64') });

// Pulls a whole feed like MISP's "Fetch and store all feed data": every event of the manifest,
// and checks hashes.csv against the events' attributes.
async function pullFeed(feed, headers) {
  const manifest = await fetchFeed(feed, 'manifest.json', headers);
  assert.equal(manifest.status, 200, manifest.text);
  assert.match(manifest.headers.get('content-type'), /^application\/json/);
  const got = {};
  const expectedHashes = [];
  for (const [uuid, entry] of Object.entries(manifest.json)) {
    for (const k of ['info', 'date', 'analysis', 'threat_level_id', 'timestamp', 'Orgc', 'Tag']) assert.ok(k in entry, `manifest ${uuid} has ${k}`);
    assert.match(entry.date, /^\d{4}-\d\d-\d\d$/);
    const ev = await fetchFeed(feed, `${uuid}.json`, headers);
    assert.equal(ev.status, 200, ev.text);
    const e = ev.json.Event;
    assert.equal(e.uuid, uuid);
    assert.equal(e.info, entry.info);
    assert.equal(e.timestamp, entry.timestamp);
    assert.deepEqual(e.Orgc, entry.Orgc);
    assert.ok(Array.isArray(e.Attribute));
    for (const a of e.Attribute) {
      for (const k of ['uuid', 'type', 'category', 'value', 'to_ids', 'timestamp']) assert.ok(k in a, `attribute has ${k}`);
      expectedHashes.push(`${md5(a.value)},${uuid}`);
    }
    got[uuid] = e;
  }
  const hashes = await fetchFeed(feed, 'hashes.csv', headers);
  assert.equal(hashes.status, 200);
  assert.match(hashes.headers.get('content-type'), /^text\/csv/);
  const lines = hashes.text.split('\n').filter(Boolean);
  assert.deepEqual([...lines].sort(), [...expectedHashes].sort(), 'hashes.csv holds md5(value),uuid of every attribute');
  return { manifest: manifest.json, events: got };
}

before(async () => {
  server = await startServer();
  ({ users } = await buildTree(server.base));
  for (const name of ['bank', 'banking', 'energy', 'plant', 'partner', 'root', 'council']) tokens[name] = await tokenOf(users[name], 'misp-feed');
  const create = async (key, body) => {
    const r = await users.bank.post('/api/v1/intel/events', body);
    assert.equal(r.status, 201, r.text);
    events[key] = r.json;
  };
  await create('amberSector', { title: 'feed amber sector', tlp: 'TLP:AMBER', audience: 'sector', indicators: [
    { type: 'domain', value: 'amber-sector.example.org' }, { type: 'ipv4', value: '198.51.100.77' }] });
  await create('clear', { title: 'feed clear', tlp: 'TLP:CLEAR', audience: 'partners', tags: ['T1566.001'], indicators: [
    { type: 'sha256', value: 'a'.repeat(64) }, { type: 'url', value: 'http://clear.example.org/x' }] });
  await create('green', { title: 'feed green national', tlp: 'TLP:GREEN', audience: 'national', indicators: Array.from({ length: 30 }, (_, i) => ({ type: 'ipv4', value: `203.0.113.${i + 1}` })) });
  await create('red', { title: 'feed red', tlp: 'TLP:RED', audience: 'organisation', indicators: [{ type: 'domain', value: 'red.example.org' }] });
});
after(async () => server?.stop());

test('MISP pulls the feed: manifest, every event, hashes.csv consistent', async () => {
  const { manifest, events: got } = await pullFeed('all', bearer('banking'));
  assert.ok(events.amberSector.id in manifest);
  assert.ok(events.clear.id in manifest);
  assert.ok(events.green.id in manifest);
  assert.ok(!(events.red.id in manifest), 'TLP:RED is never in a feed by default');
  assert.equal(got[events.green.id].Attribute.length, 30);
  const tag = got[events.amberSector.id].Tag.find((t) => t.name.startsWith('tlp:'));
  assert.equal(tag.name, 'tlp:amber');
  assert.ok(got[events.clear.id].Tag.some((t) => t.name === 'T1566.001'));
  // Per-audience feeds hold only that audience.
  const sector = await fetchFeed('sector', 'manifest.json', bearer('banking'));
  assert.deepEqual(Object.keys(sector.json), [events.amberSector.id]);
  const national = await fetchFeed('national', `${events.amberSector.id}.json`, bearer('banking'));
  assert.equal(national.status, 404, 'an event outside the feed is not served from it');
  assert.equal((await fetchFeed('nope', 'manifest.json', bearer('banking'))).status, 404);
  assert.equal((await fetchFeed('all', 'other.txt', bearer('banking'))).status, 404);
  // HTTP Basic with an API token as the password works as well (any user name).
  const b = await fetchFeed('all', 'manifest.json', basic('misp', tokens.banking));
  assert.equal(b.status, 200);
  assert.deepEqual(Object.keys(b.json).sort(), Object.keys(manifest).sort());
});

test('leakage: another sector does not get the AMBER sector event; anonymous gets TLP:CLEAR only', async () => {
  const energy = await fetchFeed('all', 'manifest.json', bearer('energy'));
  assert.equal(energy.status, 200);
  assert.ok(!(events.amberSector.id in energy.json));
  assert.ok(events.green.id in energy.json);
  assert.equal((await fetchFeed('all', `${events.amberSector.id}.json`, bearer('energy'))).status, 404);
  assert.equal((await fetchFeed('sector', `${events.amberSector.id}.json`, bearer('plant'))).status, 404);
  const hashes = await fetchFeed('all', 'hashes.csv', bearer('energy'));
  assert.ok(!hashes.text.includes(events.amberSector.id));
  // Anonymous: the public feed only, TLP:CLEAR only.
  const pub = await pullFeed('public', {});
  assert.deepEqual(Object.keys(pub.manifest), [events.clear.id]);
  assert.equal((await fetchFeed('public', `${events.green.id}.json`)).status, 404);
  const anon = await fetchFeed('all', 'manifest.json');
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get('www-authenticate'), /Basic realm=/);
  assert.equal(anon.json.error.code, 'unauthenticated');
  const wrong = await fetchFeed('all', 'manifest.json', basic('misp', 'mfz_not-a-token'));
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate'), /Basic realm=/);
  // The Council sees no records: an empty feed.
  assert.deepEqual((await fetchFeed('all', 'manifest.json', bearer('council'))).json, {});
  // The partner CERT gets what reaches partners.
  const partner = await fetchFeed('all', 'manifest.json', bearer('partner'));
  assert.deepEqual(Object.keys(partner.json), [events.clear.id]);
});

test('leakage matrix: every audience x TLP in the feed of every user', async () => {
  const created = [];
  for (const tlp of TLPS) for (const audience of AUDIENCES) {
    const r = await users.bank.post('/api/v1/intel/events', { title: `mf ${tlp} ${audience}`, tlp, audience, indicators: [{ type: 'domain', value: `mf-${TLPS.indexOf(tlp)}-${audience}.example.org` }] });
    assert.equal(r.status, 201, r.text);
    created.push({ id: r.json.id, tlp, audience });
  }
  for (const who of ['bank', 'banking', 'energy', 'plant', 'partner', 'root', 'council']) {
    const m = await fetchFeed('all', 'manifest.json', bearer(who));
    assert.equal(m.status, 200);
    for (const e of created) {
      const allowed = expectedViewers(e.tlp, e.audience).includes(who) && e.tlp !== 'TLP:RED';
      assert.equal(e.id in m.json, allowed, `${who} ${e.tlp} ${e.audience}`);
    }
  }
  const pub = await fetchFeed('public', 'manifest.json');
  for (const e of created) assert.equal(e.id in pub.json, e.tlp === 'TLP:CLEAR', `public ${e.tlp} ${e.audience}`);
});

test('ETag and Last-Modified: 304 when unchanged, new ETag after a change', async () => {
  const first = await fetchFeed('all', `${events.green.id}.json`, bearer('root'));
  const etag = first.headers.get('etag');
  const modified = first.headers.get('last-modified');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  assert.match(modified, /GMT$/);
  const again = await fetchFeed('all', `${events.green.id}.json`, { ...bearer('root'), 'if-none-match': etag });
  assert.equal(again.status, 304);
  assert.equal(again.text, '');
  const since = await fetchFeed('all', `${events.green.id}.json`, { ...bearer('root'), 'if-modified-since': modified });
  assert.equal(since.status, 304);
  const m1 = await fetchFeed('all', 'manifest.json', bearer('root'));
  assert.equal((await fetchFeed('all', 'manifest.json', { ...bearer('root'), 'if-none-match': m1.headers.get('etag') })).status, 304);
  // A change to the event gives a new body and a new ETag.
  await new Promise((r) => setTimeout(r, 1100));
  const patch = await users.bank.patch(`/api/v1/intel/events/${events.green.id}`, { title: 'feed green national (updated)' });
  assert.equal(patch.status, 200, patch.text);
  const changed = await fetchFeed('all', `${events.green.id}.json`, { ...bearer('root'), 'if-none-match': etag });
  assert.equal(changed.status, 200);
  assert.notEqual(changed.headers.get('etag'), etag);
  assert.equal(changed.json.Event.info, 'feed green national (updated)');
  assert.notEqual((await fetchFeed('all', 'manifest.json', { ...bearer('root'), 'if-none-match': m1.headers.get('etag') })).status, 304);
});

test('one writer: `muhafiz export misp-feed` writes the bytes the HTTP feed serves', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'muhafiz-misp-feed-'));
  try {
    const args = ['export', 'misp-feed', '-o', dir, '--as', 'Banking CERT', '--max-tlp', 'TLP:AMBER+STRICT', '--data-dir', server.dataDir];
    if (server.database) args.push('--database', server.database);
    const r = runCli(args, { env: { MUHAFIZ_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    assert.equal(r.status, 0, r.stderr);
    const files = readdirSync(dir).sort();
    assert.ok(files.includes('manifest.json') && files.includes('hashes.csv'));
    for (const f of files) {
      const http = await fetchFeed('all', f, bearer('banking'));
      assert.equal(http.status, 200, f);
      assert.equal(http.text, readFileSync(path.join(dir, f), 'utf8'), `${f} is the same over HTTP and on disk`);
    }
    assert.equal(files.length, Object.keys((await fetchFeed('all', 'manifest.json', bearer('banking'))).json).length + 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
