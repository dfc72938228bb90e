// Shared set-up of the intel API tests: a constituency tree with users at every tier.
//   National CERT (root) ─ banking CERT ─ a bank ─ the bank's own CERT
//                        ─ energy CERT ─ a plant
//                        ─ the CERT Council
//   a partner CERT abroad (partner_cert)
import assert from 'node:assert/strict';
import { adminClient, Client } from './harness.mjs';

export const PASSWORD = 'long-enough-password-1';

export async function buildTree(base) {
  const admin = await adminClient(base);
  const root = (await admin.get('/api/v1/organisations?kind=national_cert')).json.items[0];
  const org = async (body) => {
    const r = await admin.post('/api/v1/organisations', body);
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const banking = await org({ name: 'Banking CERT', kind: 'sectoral_cert', parent_id: root.id, sector: 'banking' });
  const bank = await org({ name: 'First Bank', kind: 'constituent', parent_id: banking.id, sector: 'banking' });
  const bankCert = await org({ name: 'First Bank CSIRT', kind: 'organisational_cert', parent_id: bank.id });
  const energy = await org({ name: 'Energy CERT', kind: 'sectoral_cert', parent_id: root.id, sector: 'energy' });
  const plant = await org({ name: 'Northern Plant', kind: 'constituent', parent_id: energy.id, sector: 'energy' });
  const council = await org({ name: 'CERT Council', kind: 'cert_council', parent_id: root.id });
  const partner = await org({ name: 'Partner CERT', kind: 'partner_cert', parent_id: root.id, country: 'DE' });
  const orgs = { root, banking, bank, bankCert, energy, plant, council, partner };
  const users = {};
  for (const [name, o] of Object.entries(orgs)) {
    const role = name === 'council' ? 'council' : name === 'partner' ? 'partner' : 'analyst';
    const username = `${name.toLowerCase()}.user`;
    const r = await admin.post('/api/v1/users', { username, password: PASSWORD, organisation_id: o.id, role });
    assert.equal(r.status, 201, r.text);
    const c = new Client(base);
    assert.equal((await c.login(username, PASSWORD)).status, 200);
    users[name] = c;
  }
  return { admin, orgs, users };
}

// A bearer token with read and write scopes for a logged-in client.
export async function tokenOf(client, name = 'taxii') {
  const r = await client.post('/api/v1/auth/tokens', { name, scopes: ['read', 'write'] });
  assert.equal(r.status, 201, r.text);
  return r.json.token;
}

export const TLPS = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'];
export const AUDIENCES = ['organisation', 'cert', 'sector', 'national', 'partners'];

// Who may see an event of the bank (creator: bank; its CERT: banking; sector: banking) by the
// rules of access/intel_policy.hpp, for the users of buildTree.
export function expectedViewers(tlp, audience) {
  const all = ['root', 'banking', 'bank', 'bankCert', 'energy', 'plant', 'council', 'partner'];
  const tree = ['root', 'banking', 'bank', 'bankCert', 'energy', 'plant'];
  if (tlp === 'TLP:CLEAR') return all.filter((u) => u !== 'council');
  if (tlp === 'TLP:RED') return ['bank'];
  const community = {
    organisation: ['bank'],
    cert: ['banking', 'bank', 'bankCert'],
    sector: ['banking', 'bank', 'bankCert'],
    national: tree,
    partners: [...tree, 'partner'],
  }[audience];
  if (tlp === 'TLP:GREEN' || tlp === 'TLP:AMBER') return community;
  // AMBER+STRICT: the audience's root organisations only (and the creator).
  return {
    organisation: ['bank'],
    cert: ['banking', 'bank'],
    sector: ['banking', 'bank', 'bankCert'],  // every organisation of the sector (the CSIRT inherits it)
    national: ['root', 'bank'],
    partners: ['root', 'bank', 'partner'],
  }[audience];
}
