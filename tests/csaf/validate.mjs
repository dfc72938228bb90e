// Validates CSAF 2.0 documents offline with @secvisogram/csaf-validator-lib: the strict JSON
// schema test and every mandatory test (6.1.x). Prints one line per file (and one per message)
// and exits 1 when any file fails, 2 on usage errors.
//
//   node tests/csaf/validate.mjs FILE...
//
// Install once with `npm ci` in tests/csaf (scripts/install-deps does it); no network needed then.
import { readFileSync } from 'node:fs'
import validate from '@secvisogram/csaf-validator-lib/validate.js'
import * as schemaTests from '@secvisogram/csaf-validator-lib/schemaTests.js'
import * as mandatoryTests from '@secvisogram/csaf-validator-lib/mandatoryTests.js'

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error('usage: node validate.mjs FILE...')
  process.exit(2)
}
const tests = [schemaTests.csaf_2_0_strict, ...Object.values(mandatoryTests)]
let failed = 0
for (const file of files) {
  let document
  try {
    document = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    console.log(`FAIL ${file}: ${e.message}`)
    failed++
    continue
  }
  const result = await validate(tests, document)
  const errors = result.tests.flatMap((t) => t.errors.map((e) => `${t.name} ${e.instancePath} ${e.message}`))
  console.log(`${result.isValid && errors.length === 0 ? 'PASS' : 'FAIL'} ${file}`)
  for (const e of errors) console.log(`  ERROR ${e}`)
  if (!result.isValid || errors.length > 0) failed++
}
console.log(`${files.length - failed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
