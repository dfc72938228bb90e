// The constituency API against a running server: CRUD, filters, pagination, ETags, bad input,
// the tree, owner look-ups, and visibility across the tree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, adminClient, Client } from './harness.mjs';

let server, admin, root;

before(async () => {
  server = await startServer();
  admin = await adminClient(server.base);
  const r = await admin.get('/api/v1/organisations?kind=national_cert');
  assert.equal(r.status, 200);
  assert.equal(r.json.total, 1);
  root = r.json.items[0];
});
after(async () => { await server?.stop(); });

async function create(body, client = admin) {
  const r = await client.post('/api/v1/organisations', body);
  assert.equal(r.status, 201, r.text);
  return r.json;
}

test('health reports version and database kind; metrics are Prometheus text', async () => {
  const h = await fetch(server.base + '/api/v1/health').then((r) => r.json());
  assert.equal(h.status, 'ok');
  assert.match(h.version, /^\d+\.\d+\.\d+$/);
  assert.ok(['sqlite', 'postgresql'].includes(h.database));
  const m = await fetch(server.base + '/metrics');
  assert.equal(m.status, 200);
  assert.match(await m.text(), /# TYPE muhafiz_http_requests_total counter/);
});

test('create, read, update with If-Match, delete an organisation', async () => {
  const bank = await create({ name: 'Banking CERT', kind: 'sectoral_cert', parent_id: root.id, sector: 'banking', country: 'PK' });
  assert.equal(bank.parent_id, root.id);
  const org = await create({
    name: 'Habib Test Bank', kind: 'constituent', parent_id: bank.id, cii: true,
    contacts: { security_email: 'sec@hbl.example', abuse_email: 'abuse@hbl.example', phone: '+92 21 111 111 425' },
    networks: { prefixes: ['203.0.113.0/24', '2001:DB8:100::/48'], asns: [64500, 'AS64501'], domains: ['HBL.example'] },
  });
  assert.deepEqual(org.networks.prefixes.sort(), ['2001:db8:100::/48', '203.0.113.0/24']);
  assert.deepEqual(org.networks.asns, [64500, 64501]);
  assert.deepEqual(org.networks.domains, ['hbl.example']);
  assert.equal(org.sector, 'banking', 'inherits the sector of its parent');

  const got = await admin.get(`/api/v1/organisations/${org.id}`);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('etag'), `"${got.json.version}"`);
  assert.deepEqual(got.json.path_names, ['National CERT', 'Banking CERT', 'Habib Test Bank']);

  const stale = await admin.patch(`/api/v1/organisations/${org.id}`, { name: 'X' }, { 'if-match': '"999"' });
  assert.equal(stale.status, 412);
  assert.equal(stale.json.error.code, 'precondition_failed');

  const ok = await admin.patch(`/api/v1/organisations/${org.id}`, { name: 'Habib Bank Ltd' }, { 'if-match': got.headers.get('etag') });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.name, 'Habib Bank Ltd');
  assert.equal(ok.json.version, got.json.version + 1);

  const busy = await admin.delete(`/api/v1/organisations/${bank.id}`);
  assert.equal(busy.status, 409, 'a CERT with organisations below it cannot be deleted');
  assert.equal((await admin.delete(`/api/v1/organisations/${org.id}`)).status, 204);
  assert.equal((await admin.get(`/api/v1/organisations/${org.id}`)).status, 404);
});

test('bad input answers 400 naming the field, and nothing is stored', async () => {
  const cases = [
    [{ name: 'A', kind: 'constituent', parent_id: root.id, networks: { prefixes: ['10.0.0.0/33'] } }, 'networks.prefixes[0]'],
    [{ name: 'A', kind: 'constituent', parent_id: root.id, networks: { prefixes: ['192.0.2.1/24'] } }, 'networks.prefixes[0]'],
    [{ name: 'A', kind: 'constituent', parent_id: root.id, networks: { asns: ['AS-bad'] } }, 'networks.asns[0]'],
    [{ name: 'A', kind: 'constituent', parent_id: root.id, networks: { domains: ['-bad-.example'] } }, 'networks.domains[0]'],
    [{ name: 'A', kind: 'constituent', parent_id: root.id, country: 'XY' }, 'country'],
    [{ name: 'A', kind: 'constituent', parent_id: root.id, colour: 'red' }, 'colour'],
    [{ name: 'A', kind: 'wizard', parent_id: root.id }, 'kind'],
    [{ kind: 'constituent', parent_id: root.id }, 'name'],
  ];
  for (const [body, field] of cases) {
    const r = await admin.post('/api/v1/organisations', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error.code, 'invalid_argument');
    assert.equal(r.json.error.field, field, r.text);
    assert.ok(r.json.error.message.length > 0);
  }
  const malformed = await admin.post('/api/v1/organisations', '{"name": ', { 'content-type': 'application/json' });
  assert.equal(malformed.status, 400);
  assert.match(malformed.json.error.message, /malformed JSON/);
  const huge = await admin.post('/api/v1/organisations', { name: 'x'.repeat(2 * 1024 * 1024), kind: 'constituent', parent_id: root.id });
  assert.equal(huge.status, 413);
  assert.equal(huge.json.error.code, 'payload_too_large');
  const list = await admin.get('/api/v1/organisations?q=A&kind=constituent');
  assert.equal(list.json.items.filter((o) => o.name === 'A').length, 0, 'no bad request left anything behind');
  assert.equal((await admin.get('/api/v1/organisations?limit=0')).status, 400);
  assert.equal((await admin.get('/api/v1/organisations?kind=nope')).json.error.field, 'kind');
  assert.equal((await admin.get('/api/v1/organisations?cursor=zzz')).json.error.field, 'cursor');
});

test('lists filter, sort and page with cursors and totals', async () => {
  const tel = await create({ name: 'Telecom CERT', kind: 'sectoral_cert', parent_id: root.id, sector: 'telecom' });
  for (let i = 0; i < 12; i++) await create({ name: `Operator ${String(i).padStart(2, '0')}`, kind: 'constituent', parent_id: tel.id });
  const seen = [];
  let cursor = '';
  for (;;) {
    const r = await admin.get(`/api/v1/organisations?sector=telecom&kind=constituent&sort=-name&limit=5${cursor ? '&cursor=' + cursor : ''}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.total, 12);
    seen.push(...r.json.items.map((o) => o.name));
    if (!r.json.next) break;
    cursor = encodeURIComponent(r.json.next);
  }
  assert.equal(seen.length, 12);
  assert.deepEqual(seen, [...seen].sort().reverse());
  const sub = await admin.get(`/api/v1/organisations?subtree_of=${tel.id}&limit=100`);
  assert.equal(sub.json.total, 13);
  const kids = await admin.get(`/api/v1/organisations?parent_id=${tel.id}&q=operator%200`);
  assert.equal(kids.json.total, 10);
  const tree = await admin.get('/api/v1/organisations/tree');
  assert.equal(tree.status, 200);
  assert.ok(tree.json.items.some((o) => o.id === tel.id && o.children_count === 12));
});

test('owner look-ups by IP (v4 and v6), ASN and domain', async () => {
  const parent = await create({ name: 'Energy CERT', kind: 'sectoral_cert', parent_id: root.id, sector: 'energy' });
  const isp = await create({ name: 'Grid Operator', kind: 'constituent', parent_id: parent.id,
    networks: { prefixes: ['198.51.100.0/24', '2001:db8:200::/40'], asns: [64777], domains: ['grid.example'] } });
  const unit = await create({ name: 'Grid Control Room', kind: 'constituent', parent_id: isp.id,
    networks: { prefixes: ['198.51.100.128/25'] } });
  const q = async (s) => (await admin.get('/api/v1/owner?' + s)).json;
  assert.equal((await q('ip=198.51.100.7')).organisation.id, isp.id);
  const longest = await q('ip=198.51.100.200');
  assert.equal(longest.organisation.id, unit.id);
  assert.equal(longest.matched, '198.51.100.128/25');
  assert.equal((await q('ip=2001:db8:2ff::1')).organisation.id, isp.id);
  assert.equal((await q('asn=AS64777')).organisation.id, isp.id);
  assert.equal((await q('domain=scada.grid.example')).organisation.id, isp.id);
  assert.equal((await q('domain=notgrid.example')).organisation, null);
  assert.equal((await q('ip=192.0.2.1')).organisation, null);
  const bad = await admin.get('/api/v1/owner?ip=300.1.1.1');
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.field, 'ip');
});

test('a sectoral CERT analyst cannot see or change a sibling sector; a constituent sees itself and below', async () => {
  const health = await create({ name: 'Health CERT', kind: 'sectoral_cert', parent_id: root.id, sector: 'health' });
  const finance = await create({ name: 'Finance CERT', kind: 'sectoral_cert', parent_id: root.id, sector: 'finance' });
  const hospital = await create({ name: 'City Hospital', kind: 'constituent', parent_id: health.id, networks: { prefixes: ['192.0.2.0/26'] } });
  const ward = await create({ name: 'City Hospital Lab', kind: 'constituent', parent_id: hospital.id });
  const broker = await create({ name: 'Broker House', kind: 'constituent', parent_id: finance.id });
  for (const [username, org, role] of [['health-analyst', health, 'analyst'], ['hospital-user', hospital, 'analyst']]) {
    const r = await admin.post('/api/v1/users', { username, password: 'long-enough-password-1', organisation_id: org.id, role });
    assert.equal(r.status, 201, r.text);
  }
  const analyst = new Client(server.base);
  assert.equal((await analyst.login('health-analyst', 'long-enough-password-1')).status, 200);
  // read
  assert.equal((await analyst.get(`/api/v1/organisations/${broker.id}`)).status, 404);
  assert.equal((await analyst.get(`/api/v1/organisations/${finance.id}`)).status, 404);
  assert.equal((await analyst.get(`/api/v1/organisations/${ward.id}`)).status, 200);
  // list
  const list = await analyst.get('/api/v1/organisations?limit=500');
  const names = list.json.items.map((o) => o.name).sort();
  assert.deepEqual(names, ['City Hospital', 'City Hospital Lab', 'Health CERT']);
  assert.equal(list.json.total, 3);
  const tree = await analyst.get('/api/v1/organisations/tree');
  assert.equal(tree.json.items.length, 3);
  // change
  assert.equal((await analyst.patch(`/api/v1/organisations/${broker.id}`, { name: 'Mine now' })).status, 404);
  assert.equal((await analyst.delete(`/api/v1/organisations/${broker.id}`)).status, 404);
  const sneaky = await analyst.post('/api/v1/organisations', { name: 'Sneaky', kind: 'constituent', parent_id: finance.id });
  assert.equal(sneaky.status, 400, 'a parent outside the subtree does not exist for the caller');
  const moveAway = await analyst.patch(`/api/v1/organisations/${hospital.id}`, { parent_id: finance.id });
  assert.equal(moveAway.status, 400);
  assert.equal((await analyst.patch(`/api/v1/organisations/${health.id}`, { parent_id: finance.id })).status, 403);
  // owner look-ups do not reveal owners outside the subtree
  const owner = await analyst.get('/api/v1/owner?ip=192.0.2.5');
  assert.equal(owner.json.organisation.id, hospital.id);
  const constituent = new Client(server.base);
  assert.equal((await constituent.login('hospital-user', 'long-enough-password-1')).status, 200);
  const own = await constituent.get('/api/v1/organisations?limit=500');
  assert.deepEqual(own.json.items.map((o) => o.name).sort(), ['City Hospital', 'City Hospital Lab']);
  assert.equal((await constituent.get(`/api/v1/organisations/${health.id}`)).status, 404);
  // users of other organisations are invisible too
  assert.equal((await analyst.get('/api/v1/users')).status, 403, 'analysts do not manage users');
});

test('moving an organisation re-scopes everything below it', async () => {
  const a = await create({ name: 'Transport CERT', kind: 'sectoral_cert', parent_id: root.id, sector: 'transport' });
  const b = await create({ name: 'Water CERT', kind: 'sectoral_cert', parent_id: root.id, sector: 'water' });
  const port = await create({ name: 'Sea Port', kind: 'constituent', parent_id: a.id });
  const berth = await create({ name: 'Sea Port Berth 1', kind: 'constituent', parent_id: port.id });
  const r = await admin.patch(`/api/v1/organisations/${port.id}`, { parent_id: b.id });
  assert.equal(r.status, 200, r.text);
  const sub = await admin.get(`/api/v1/organisations?subtree_of=${b.id}`);
  assert.deepEqual(sub.json.items.map((o) => o.name).sort(), ['Sea Port', 'Sea Port Berth 1', 'Water CERT']);
  const berthNow = await admin.get(`/api/v1/organisations/${berth.id}`);
  assert.deepEqual(berthNow.json.path_names, ['National CERT', 'Water CERT', 'Sea Port', 'Sea Port Berth 1']);
  const cycle = await admin.patch(`/api/v1/organisations/${port.id}`, { parent_id: berth.id });
  assert.equal(cycle.status, 409);
});
