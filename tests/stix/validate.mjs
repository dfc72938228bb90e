// Exports STIX 2.1 bundles from a real `muhafiz serve` and validates every object against the
// OASIS JSON schemas (tests/data/stix/schemas, draft 2020-12, with ajv): an event with every
// indicator type and every TLP, and the real bundles of tests/data/stix/ round-tripped (imported,
// then exported). Also checks what the schemas cannot: TLP 2.0 marking ids, names and values
// (../shared/reference/tlp-2.0.md), report object_refs resolving inside the bundle.
// Usage: MUHAFIZ_BIN=build/muhafiz node tests/stix/validate.mjs   (exit 1 on any failure)
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { startServer, adminClient } from '../api/harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schemaDir = path.join(root, 'tests/data/stix/schemas');
const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats(ajv);
ajv.addFormat('idn-hostname', true);
ajv.addFormat('idn-email', true);
const byType = {};
for (const sub of ['common', 'sdos', 'sros', 'observables']) {
  for (const f of readdirSync(path.join(schemaDir, sub))) {
    if (!f.endsWith('.json')) continue;
    const schema = JSON.parse(readFileSync(path.join(schemaDir, sub, f), 'utf8'));
    ajv.addSchema(schema);
    byType[f.replace(/\.json$/, '')] = schema.$id;
  }
}
const TLP2 = {
  'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487': ['TLP:CLEAR', 'clear'],
  'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb': ['TLP:GREEN', 'green'],
  'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421': ['TLP:AMBER', 'amber'],
  'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003': ['TLP:AMBER+STRICT', 'amber+strict'],
  'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1': ['TLP:RED', 'red'],
};
let failures = 0;
let objects = 0;
function check(name, bundle, sourceValid = true) {
  const fail = (msg) => { failures++; console.error(`FAIL ${name}: ${msg.slice(0, 2000)}`); };
  // A source bundle that itself breaks the bundle schema (custom objects kept verbatim) is only
  // checked object by object.
  if (sourceValid && !ajv.validate(byType.bundle, bundle)) fail('bundle: ' + ajv.errorsText());
  const ids = new Set(bundle.objects.map((o) => o.id));
  for (const o of bundle.objects) {
    objects++;
    const id = byType[o.type];
    if (!id) continue;  // custom objects kept verbatim
    if (!ajv.validate(id, o)) fail(`${o.id}: ${ajv.errorsText()}`);
    if (o.type === 'marking-definition' && TLP2[o.id]) {
      const [label, value] = TLP2[o.id];
      const ext = o.extensions?.['extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d'];
      if (o.name !== label || ext?.tlp_2_0 !== value || o.created !== '2022-10-01T00:00:00.000Z') fail(`${o.id} is not the official ${label}`);
    }
    if (o.type === 'report') for (const r of o.object_refs) if (!ids.has(r)) fail(`${o.id} refers to ${r}, not in the bundle`);
    for (const r of o.object_marking_refs ?? []) if (r.startsWith('marking-definition--') && TLP2[r] && !ids.has(r)) fail(`${o.id}: marking ${r} not in the bundle`);
  }
}

const server = await startServer();
try {
  const admin = await adminClient(server.base);
  const types = {
    ipv4: '45.33.32.156', ipv6: '2001:db8:1::7', cidr: '198.51.100.0/24', domain: 'bücher-evil.example', url: 'https://evil.example/a b?x=1',
    email: 'phish@evil.example', md5: 'd41d8cd98f00b204e9800998ecf8427e', sha1: 'a'.repeat(40), sha256: 'b'.repeat(64),
    sha512: 'c'.repeat(128), asn: 'AS64500', x509: 'e'.repeat(64),
  };
  for (const tlp of ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED']) {
    const r = await admin.post('/api/v1/intel/events', {
      title: `all types ${tlp}`, description: 'd', tlp, audience: 'national', tags: ['T1566.001', 'phishing'],
      indicators: Object.entries(types).map(([type, value]) => ({ type, value, comment: 'c', valid_until: '2099-01-01T00:00:00Z' })),
    });
    if (r.status !== 201) throw new Error(r.text);
    check(`event ${tlp}`, (await admin.get(`/api/v1/intel/events/${r.json.id}/stix`)).json);
  }
  const empty = await admin.post('/api/v1/intel/events', { title: 'no indicators', tlp: 'TLP:GREEN' });
  check('empty event', (await admin.get(`/api/v1/intel/events/${empty.json.id}/stix`)).json);
  // A removed indicator is exported as a new version with "revoked": true, still schema-valid.
  const rm = await admin.post('/api/v1/intel/events', { title: 'one removed', tlp: 'TLP:GREEN', audience: 'national',
    indicators: [{ type: 'ipv4', value: '45.33.32.157', comment: 'c' }, { type: 'domain', value: 'kept.evil.example' }] });
  if (rm.status !== 201) throw new Error(rm.text);
  const victim = (await admin.get(`/api/v1/intel/events/${rm.json.id}/indicators`)).json.items.find((i) => i.value === '45.33.32.157');
  const del = await admin.delete(`/api/v1/intel/indicators/${victim.id}`);
  if (del.status !== 204) throw new Error(del.text);
  const removed = (await admin.get(`/api/v1/intel/events/${rm.json.id}/stix`)).json;
  if (!removed.objects.some((o) => o.id === victim.stix_id && o.revoked === true)) { failures++; console.error('FAIL removed indicator: no revoked version exported'); }
  check('removed indicator', removed);
  for (const f of readdirSync(path.join(root, 'tests/data/stix')).filter((f) => f.endsWith('.json'))) {
    const text = readFileSync(path.join(root, 'tests/data/stix', f), 'utf8');
    const r = await admin.request('POST', '/api/v1/intel/import/stix', text, { 'content-type': 'application/json' });
    if (r.status !== 201) { failures++; console.error(`FAIL import ${f}: ${r.text}`); continue; }
    const sourceValid = ajv.validate(byType.bundle, JSON.parse(text));
    check(`round trip ${f}`, (await admin.get(`/api/v1/intel/events/${r.json.event_id}/stix`)).json, sourceValid);
  }
} finally {
  await server.stop();
}
console.log(`${objects} objects checked, ${failures} failures`);
process.exit(failures ? 1 : 0);
