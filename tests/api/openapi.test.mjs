// docs/openapi.yaml against the code: every route registered in the handlers must be documented,
// and every documented operation must be registered. Also keeps the error codes, organisation
// kinds and roles of the document in step with the code. Needs no server and no npm packages:
// routes are found by scanning the C++ sources, and the YAML is read by a small line-based reader
// that understands just the layout of docs/openapi.yaml (2-space indents, path keys at two
// spaces under `paths:`, method keys at four).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'];
const METHOD_RE = METHODS.join('|');

// --- the code ---------------------------------------------------------------------------------

// Handler sources: src/**/api/*.cpp (not tests) and src/app/serve.cpp.
function routeSources() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.cpp') && !e.name.endsWith('_test.cpp') && path.basename(dir) === 'api') out.push(p);
    }
  };
  walk(path.join(root, 'src'));
  out.push(path.join(root, 'src/app/serve.cpp'));
  return out.sort();
}

// Removes // and /* */ comments, leaving string literals alone.
function stripComments(src) {
  let out = '';
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// Registrations: `router.Add("GET", "/path", ...)` and `guard.Route(router, "GET", "/path", ...)`.
function codeRoutes() {
  const strict = new RegExp(
    String.raw`\b(?:Add|Route)\s*\(\s*(?:[A-Za-z_][\w.>*-]*\s*,\s*)?"(${METHOD_RE})"\s*,\s*"(/[^"]*)"`, 'g');
  // Any "METHOD", "/path" pair at all: a registration written some other way must not slip by.
  const loose = new RegExp(String.raw`"(${METHOD_RE})"\s*,\s*"(/[^"]*)"`, 'g');
  const routes = [];
  const unrecognised = [];
  for (const file of routeSources()) {
    const src = stripComments(readFileSync(file, 'utf8'));
    const rel = path.relative(root, file);
    const found = [...src.matchAll(strict)].map((m) => `${m[1]} ${m[2]}`);
    const all = [...src.matchAll(loose)].map((m) => `${m[1]} ${m[2]}`);
    for (const r of all) if (!found.includes(r)) unrecognised.push(`${rel}: ${r}`);
    for (const r of found) routes.push({ key: r, file: rel });
  }
  return { routes, unrecognised };
}

// --- the document -----------------------------------------------------------------------------

const yamlText = readFileSync(path.join(root, 'docs/openapi.yaml'), 'utf8');
const yamlLines = yamlText.split('\n');

const indentOf = (line) => line.length - line.trimStart().length;
const isBlankOrComment = (line) => line.trim() === '' || line.trimStart().startsWith('#');
const unquote = (s) => (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s.at(-1) === s[0] ? s.slice(1, -1) : s);

// The lines of the block under the top-level key `name:` (up to the next top-level key).
function topLevelBlock(name) {
  const start = yamlLines.findIndex((l) => l.replace(/\s+$/, '') === `${name}:`);
  if (start < 0) return null;
  const block = [];
  for (let i = start + 1; i < yamlLines.length; i++) {
    const l = yamlLines[i];
    if (!isBlankOrComment(l) && indentOf(l) === 0) break;
    block.push({ line: l, number: i + 1 });
  }
  return block;
}

// [{key: "GET /api/v1/...", line}] from `paths:`.
function documentedOperations() {
  const block = topLevelBlock('paths');
  assert.ok(block, 'docs/openapi.yaml has no top-level `paths:`');
  const ops = [];
  let current = null;
  for (const { line, number } of block) {
    if (isBlankOrComment(line)) continue;
    const indent = indentOf(line);
    if (indent === 2) {
      const m = line.trim().match(/^(.+?):\s*(#.*)?$/);
      assert.ok(m, `docs/openapi.yaml:${number}: expected a path key, found ${line.trim()}`);
      current = unquote(m[1]);
      assert.ok(current.startsWith('/'), `docs/openapi.yaml:${number}: path keys start with '/': ${current}`);
    } else if (indent === 4 && current) {
      const m = line.trim().match(/^([A-Za-z]+):/);
      if (m && METHODS.includes(m[1].toUpperCase())) {
        assert.equal(m[1], m[1].toLowerCase(), `docs/openapi.yaml:${number}: method keys are lower case`);
        ops.push({ key: `${m[1].toUpperCase()} ${current}`, line: number });
      }
    } else if (indent < 2) {
      assert.fail(`docs/openapi.yaml:${number}: unexpected indentation under paths:`);
    }
  }
  return ops;
}

// The `enum:` values of components.schemas.<name> (flow `[a, b]` or block `- a` form).
function schemaEnum(name) {
  const components = topLevelBlock('components');
  assert.ok(components, 'docs/openapi.yaml has no top-level `components:`');
  const schemasAt = components.findIndex(({ line }) => line.replace(/\s+$/, '') === '  schemas:');
  assert.ok(schemasAt >= 0, 'no components.schemas');
  const at = components.findIndex(({ line }, i) => i > schemasAt && line.replace(/\s+$/, '') === `    ${name}:`);
  assert.ok(at >= 0, `no components.schemas.${name}`);
  for (let i = at + 1; i < components.length; i++) {
    const { line } = components[i];
    if (isBlankOrComment(line)) continue;
    if (indentOf(line) <= 4) break;
    const m = line.match(/^(\s*)enum:\s*(.*)$/);
    if (!m) continue;
    if (m[2].startsWith('[')) return m[2].replace(/^\[|\]\s*$/g, '').split(',').map((s) => unquote(s.trim()));
    const values = [];
    for (let j = i + 1; j < components.length; j++) {
      const item = components[j].line.match(/^\s*-\s+(.*?)\s*$/);
      if (!item || indentOf(components[j].line) < m[1].length) break;
      values.push(unquote(item[1]));
    }
    return values;
  }
  assert.fail(`components.schemas.${name} has no enum`);
}

// --- tests ------------------------------------------------------------------------------------

test('the route scanner recognises every registration in the handler sources', () => {
  const { routes, unrecognised } = codeRoutes();
  assert.deepEqual(unrecognised, [], 'a route is registered in a way this test does not understand');
  assert.ok(routes.length >= 20, `found only ${routes.length} routes: is the scanner broken?`);
  const keys = routes.map((r) => r.key);
  assert.ok(keys.includes('GET /api/v1/health') && keys.includes('GET /metrics'), 'serve.cpp routes found');
});

test('every route registered in the code is in docs/openapi.yaml', () => {
  const documented = new Set(documentedOperations().map((o) => o.key));
  const missing = codeRoutes().routes.filter((r) => !documented.has(r.key)).map((r) => `${r.key} (${r.file})`);
  assert.deepEqual(missing, [], 'registered in the code but not documented under paths:');
});

test('every operation in docs/openapi.yaml is registered in the code', () => {
  const ops = documentedOperations();
  assert.ok(ops.length > 0, 'no operations found under paths:');
  const registered = new Set(codeRoutes().routes.map((r) => r.key));
  const extra = ops.filter((o) => !registered.has(o.key)).map((o) => `${o.key} (docs/openapi.yaml:${o.line})`);
  assert.deepEqual(extra, [], 'documented but not registered in the code');
});

test('no operation is listed twice, in the document or in the code', () => {
  const dupes = (keys) => keys.filter((k, i) => keys.indexOf(k) !== i);
  assert.deepEqual(dupes(documentedOperations().map((o) => o.key)), []);
  assert.deepEqual(dupes(codeRoutes().routes.map((r) => r.key)), []);
});

test('error codes, kinds and roles match the code', () => {
  const read = (p) => readFileSync(path.join(root, p), 'utf8');
  // Codes of core::ErrorCodeName, plus the two the HTTP layer writes itself.
  const codes = [...read('src/core/result.cpp').matchAll(/return\s+"([a-z_]+)";/g)].map((m) => m[1]);
  assert.ok(read('src/access/api/access_api.cpp').includes('"mfa_required"'));
  assert.ok(read('src/http/router.cpp').includes('"method_not_allowed"'));
  codes.push('mfa_required', 'method_not_allowed');
  assert.deepEqual(schemaEnum('ErrorCode').sort(), [...new Set(codes)].sort(), 'components.schemas.ErrorCode');

  const kinds = [...read('src/constituency/organisation.cpp').matchAll(/\{Kind::k\w+,\s*"([a-z_]+)"\}/g)].map((m) => m[1]);
  assert.equal(kinds.length, 10);
  assert.deepEqual(schemaEnum('Kind').sort(), kinds.sort(), 'components.schemas.Kind');

  const roles = [...read('src/access/permissions.cpp').matchAll(/\{Role::k\w+,\s*"([a-z_]+)"\}/g)].map((m) => m[1]);
  assert.ok(roles.length > 0);
  assert.deepEqual(schemaEnum('Role').sort(), roles.sort(), 'components.schemas.Role');
});
