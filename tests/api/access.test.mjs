// Accounts and access against a running server: log-in, sessions and CSRF, API tokens (scopes,
// expiry, revocation), MFA, throttling, user administration and the audit log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, adminClient, Client, totp, ADMIN_PASSWORD, runCli } from './harness.mjs';

let server, admin, root;

before(async () => {
  server = await startServer();
  admin = await adminClient(server.base);
  root = (await admin.get('/api/v1/organisations?kind=national_cert')).json.items[0];
});
after(async () => { await server?.stop(); });

test('wrong credentials and missing authentication are 401 with the error envelope', async () => {
  const c = new Client(server.base);
  const wrong = await c.login('admin', 'not-the-password');
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.error.code, 'unauthenticated');
  const nobody = await c.login('nobody', 'not-the-password');
  assert.equal(nobody.status, 401);
  assert.equal(nobody.json.error.message, wrong.json.error.message, 'unknown users look like wrong passwords');
  const anon = await c.get('/api/v1/organisations');
  assert.equal(anon.status, 401);
  const badBearer = await new Client(server.base, { token: 'mfz_nonsense' }).get('/api/v1/organisations');
  assert.equal(badBearer.status, 401);
});

test('session cookies are HttpOnly and SameSite=Strict; changes need the CSRF token', async () => {
  const c = new Client(server.base);
  const r = await c.login('admin', ADMIN_PASSWORD);
  assert.equal(r.status, 200);
  const setCookie = r.headers.getSetCookie().find((s) => s.startsWith('muhafiz_session='));
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  assert.equal(r.json.user.username, 'admin');
  assert.equal(r.json.user.role, 'admin');
  const csrf = c.csrf;
  c.csrf = null;
  const forged = await c.post('/api/v1/organisations', { name: 'Forged', kind: 'constituent', parent_id: root.id });
  assert.equal(forged.status, 403);
  c.csrf = csrf;
  const me = await c.get('/api/v1/auth/me');
  assert.equal(me.json.user.organisation_name, 'National CERT');
  assert.equal((await c.post('/api/v1/auth/logout')).status, 204);
  assert.equal((await c.get('/api/v1/auth/me')).status, 401);
});

test('API tokens: scopes, revocation and expiry', async () => {
  const anon = new Client(server.base);
  const made = await anon.post('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD, scopes: ['read'], name: 'reader' });
  assert.equal(made.status, 201, made.text);
  assert.match(made.json.token, /^mfz_/);
  const reader = new Client(server.base, { token: made.json.token });
  assert.equal((await reader.get('/api/v1/organisations')).status, 200);
  const write = await reader.post('/api/v1/organisations', { name: 'No', kind: 'constituent', parent_id: root.id });
  assert.equal(write.status, 403);
  assert.match(write.json.error.message, /write/);

  const rw = await anon.post('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD, scopes: ['read', 'write'] });
  const writer = new Client(server.base, { token: rw.json.token });
  assert.equal((await writer.post('/api/v1/organisations', { name: 'Token Made', kind: 'constituent', parent_id: root.id })).status, 201);
  const tokens = await admin.get('/api/v1/auth/tokens');
  assert.ok(tokens.json.items.some((t) => t.id === rw.json.id));
  assert.ok(!JSON.stringify(tokens.json).includes(rw.json.token), 'the clear token is never shown again');
  assert.equal((await admin.delete(`/api/v1/auth/tokens/${rw.json.id}`)).status, 204);
  const revoked = await writer.get('/api/v1/organisations');
  assert.equal(revoked.status, 401);

  const short = await anon.post('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD, expires_in: 1 });
  assert.equal(short.status, 201);
  const shortClient = new Client(server.base, { token: short.json.token });
  assert.equal((await shortClient.get('/api/v1/organisations')).status, 200);
  await new Promise((r) => setTimeout(r, 2100));
  assert.equal((await shortClient.get('/api/v1/organisations')).status, 401, 'an expired token is refused');
  const badScope = await anon.post('/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD, scopes: ['root'] });
  assert.equal(badScope.status, 400);
});

test('users: admins create them; roles are checked; bad input is 400', async () => {
  const r = await admin.post('/api/v1/users', { username: 'Analyst.One', password: 'long-enough-password-1', organisation_id: root.id, role: 'analyst' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.username, 'analyst.one');
  assert.equal((await admin.post('/api/v1/users', { username: 'analyst.one', password: 'long-enough-password-1', organisation_id: root.id, role: 'analyst' })).status, 409);
  assert.equal((await admin.post('/api/v1/users', { username: 'x2', password: 'short', organisation_id: root.id, role: 'analyst' })).json.error.field, 'password');
  assert.equal((await admin.post('/api/v1/users', { username: 'x3', password: 'long-enough-password-1', organisation_id: root.id, role: 'king' })).json.error.field, 'role');
  assert.equal((await admin.post('/api/v1/users', { username: 'x4', password: 'long-enough-password-1', organisation_id: root.id, role: 'analyst', extra: 1 })).json.error.field, 'extra');
  const list = await admin.get('/api/v1/users?role=analyst');
  assert.ok(list.json.items.some((u) => u.username === 'analyst.one'));
  const analyst = new Client(server.base);
  assert.equal((await analyst.login('analyst.one', 'long-enough-password-1')).status, 200);
  assert.equal((await analyst.get('/api/v1/users')).status, 403);
  assert.equal((await analyst.get('/api/v1/audit')).status, 403);
  const disabled = await admin.patch(`/api/v1/users/${r.json.id}`, { disabled: true });
  assert.equal(disabled.status, 200, disabled.text);
  assert.equal((await analyst.get('/api/v1/organisations')).status, 401, 'disabling ends the session');
  assert.equal((await new Client(server.base).login('analyst.one', 'long-enough-password-1')).status, 401);
});

test('MFA: enrol, then log-in needs the code', async () => {
  await admin.post('/api/v1/users', { username: 'mfa.user', password: 'long-enough-password-1', organisation_id: root.id, role: 'analyst' });
  const c = new Client(server.base);
  await c.login('mfa.user', 'long-enough-password-1');
  const setup = await c.post('/api/v1/auth/mfa/setup', {});
  assert.equal(setup.status, 200, setup.text);
  assert.match(setup.json.otpauth_uri, /^otpauth:\/\/totp\//);
  const wrongCode = await c.post('/api/v1/auth/mfa/enable', { totp: '000000' });
  assert.equal(wrongCode.status, 400);
  assert.equal(wrongCode.json.error.field, 'totp');
  const ok = await c.post('/api/v1/auth/mfa/enable', { totp: totp(setup.json.secret) });
  assert.equal(ok.status, 204, ok.text);
  const again = new Client(server.base);
  const need = await again.login('mfa.user', 'long-enough-password-1');
  assert.equal(need.status, 401);
  assert.equal(need.json.error.code, 'mfa_required');
  const code = totp(setup.json.secret, Date.now() + 30000);  // the next step: the current one was just used
  const done = await again.login('mfa.user', 'long-enough-password-1', code);
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.user.mfa_enabled, true);
});

test('repeated failed log-ins are throttled', async () => {
  await admin.post('/api/v1/users', { username: 'victim', password: 'long-enough-password-1', organisation_id: root.id, role: 'reporter' });
  const c = new Client(server.base);
  const statuses = [];
  for (let i = 0; i < 7; i++) statuses.push((await c.login('victim', 'wrong-password-' + i)).status);
  assert.ok(statuses.slice(0, 5).every((s) => s === 401), statuses.join());
  assert.equal(statuses[6], 429);
  assert.equal((await c.login('victim', 'long-enough-password-1')).status, 429, 'even the right password waits');
});

test('the audit log records changes with before and after, and verifies', async () => {
  const org = await admin.post('/api/v1/organisations', { name: 'Audited Org', kind: 'constituent', parent_id: root.id });
  await admin.patch(`/api/v1/organisations/${org.json.id}`, { name: 'Audited Org 2' });
  const log = await admin.get(`/api/v1/audit?object_id=${org.json.id}`);
  assert.equal(log.status, 200);
  const actions = log.json.items.map((e) => e.action);
  assert.deepEqual(actions, ['organisation.update', 'organisation.create']);
  const upd = log.json.items[0];
  assert.equal(upd.actor, 'admin');
  assert.equal(upd.before.name, 'Audited Org');
  assert.equal(upd.after.name, 'Audited Org 2');
  assert.match(upd.hash, /^[0-9a-f]{64}$/);
  assert.equal(upd.address, '127.0.0.1');
});

test('verify-audit on the command line', async () => {
  const args = ['admin', 'verify-audit', '--data-dir', server.dataDir];
  if (server.database) args.push('--database', server.database);
  const r = runCli(args);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /audit log intact/);
});
