// SAN parsing: what --san accepts, how it is normalised, and the exact errors
// for names a TLS client could never match.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CertsError, parseSan, parseSans } from '@gatehouse/certs'

const test = suite('san')

test('DNS names, wildcards, IPs, emails and URIs are typed and normalised', () => {
  assert.equal(parseSan('API.Tyk.LocalHost'), { type: 'dns', value: 'api.tyk.localhost' })
  assert.equal(parseSan('*.tyk.localhost'), { type: 'dns', value: '*.tyk.localhost' })
  assert.equal(parseSan('tyk-gateway'), { type: 'dns', value: 'tyk-gateway' })
  assert.equal(parseSan('tyk_dashboard'), { type: 'dns', value: 'tyk_dashboard' })
  assert.equal(parseSan('127.0.0.1'), { type: 'ip', value: '127.0.0.1' })
  assert.equal(parseSan('0:0:0:0:0:0:0:1'), { type: 'ip', value: '::1' })
  assert.equal(parseSan('[fd00::1]'), { type: 'ip', value: 'fd00::1' })
  assert.equal(parseSan('ops@tyk.local'), { type: 'email', value: 'ops@tyk.local' })
  assert.equal(parseSan('spiffe://cluster.local/ns/default/sa/api'), { type: 'uri', value: 'spiffe://cluster.local/ns/default/sa/api' })
  assert.equal(parseSan('bücher.localhost'), { type: 'dns', value: 'xn--bcher-kva.localhost' })
})

const BAD: Array<[string, string]> = [
  ['*.*.com', "invalid SAN '*.*.com': a wildcard must be the whole leftmost label, once (*.example.localhost)"],
  ['foo..bar', "invalid SAN 'foo..bar': empty label (two dots in a row, or a leading dot)"],
  ['*', "invalid SAN '*': a bare * matches nothing; write *.example.localhost"],
  ['999.1.1.1', "invalid SAN '999.1.1.1': not a valid IPv4 address (each part is 0-255)"],
  ['*.com', "invalid SAN '*.com': a wildcard needs at least two labels after it (clients refuse *.tld); write *.app.localhost"],
  ['f*.tyk.localhost', "invalid SAN 'f*.tyk.localhost': a wildcard must be the whole leftmost label, once (*.example.localhost)"],
  ['-bad.localhost', "invalid SAN '-bad.localhost': label '-bad' may only hold letters, digits, '-' and '_', and may not start or end with '-'"],
  ['a b.localhost', "invalid SAN 'a b.localhost': label 'a b' may only hold letters, digits, '-' and '_', and may not start or end with '-'"],
  ['', "invalid SAN '': the name is empty"],
  ['@tyk.local', "invalid SAN '@tyk.local': not a valid email address"],
  [`${'a'.repeat(64)}.localhost`, `invalid SAN '${'a'.repeat(64)}.localhost': label '${'a'.repeat(64)}' is longer than 63 characters`]
]

for (const [input, message] of BAD) {
  test(`rejects ${JSON.stringify(input)} with GH_CERTS_INVALID_SAN`, () => {
    try {
      parseSan(input)
      assert.unreachable('should have thrown')
    } catch (err) {
      assert.instance(err, CertsError)
      assert.is((err as CertsError).code, 'GH_CERTS_INVALID_SAN')
      assert.is((err as Error).message, message)
    }
  })
}

test('an empty list is GH_CERTS_NO_SAN; duplicates are dropped', () => {
  assert.throws(() => parseSans([]), (err: unknown) => err instanceof CertsError && err.code === 'GH_CERTS_NO_SAN')
  assert.equal(parseSans(['a.localhost', 'A.localhost', '127.0.0.1']).map((s) => s.value), ['a.localhost', '127.0.0.1'])
})

test.run()
