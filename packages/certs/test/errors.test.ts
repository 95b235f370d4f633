// STYLE #1: every error code in the registry is documented in the package
// README, and every code the README mentions exists.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { CERTS_ERRORS, CertsError } from '@gatehouse/certs'

const test = suite('errors')
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

test('every code is documented in packages/certs/README.md', () => {
  const missing = Object.keys(CERTS_ERRORS).filter((code) => !readme.includes(`\`${code}\``))
  assert.equal(missing, [])
})

test('every documented code exists', () => {
  const documented = [...new Set(readme.match(/GH_CERTS_[A-Z_]+/g) ?? [])]
  assert.ok(documented.length > 0)
  assert.equal(documented.filter((code) => !(code in CERTS_ERRORS)), [])
})

test('CertsError carries code, hint and the formatted message', () => {
  const err = new CertsError('GH_CERTS_WRONG_PASSPHRASE', '/ca/ca-key.pem')
  assert.instance(err, Error)
  assert.is(err.code, 'GH_CERTS_WRONG_PASSPHRASE')
  assert.is(err.message, 'wrong passphrase for /ca/ca-key.pem')
  assert.is(err.hint, CERTS_ERRORS.GH_CERTS_WRONG_PASSPHRASE.hint)
})

test.run()
