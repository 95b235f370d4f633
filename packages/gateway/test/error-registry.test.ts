// The gateway's error registry (STYLE #1): every code carries a status, a
// message and a hint that names the fix; GatehouseError exposes the code and
// formats the message; the data-path codes map to the statuses of DESIGN.md.
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ERRORS, GatehouseError, type GatewayErrorCode } from '@gatehouse/gateway'

const test = suite('error-registry')

test('every code has a status, a message and a hint', () => {
  for (const [code, def] of Object.entries(ERRORS)) {
    assert.match(code, /^GH_GATEWAY_[A-Z_]+$/)
    assert.ok(def.status >= 400 && def.status <= 599, code)
    assert.ok(def.message.length > 0, code)
    assert.ok(def.hint.length > 10, code)
  }
})

test('data-path statuses follow DESIGN.md', () => {
  const status = (c: GatewayErrorCode): number => ERRORS[c].status
  assert.is(status('GH_GATEWAY_NO_ROUTE'), 404)
  assert.is(status('GH_GATEWAY_CLIENT_CERT_REQUIRED'), 401)
  assert.is(status('GH_GATEWAY_UPSTREAM_UNREACHABLE'), 502)
  assert.is(status('GH_GATEWAY_UPSTREAM_BROKE'), 502)
  assert.is(status('GH_GATEWAY_UPSTREAM_TIMEOUT'), 504)
  assert.is(status('GH_GATEWAY_BAD_REQUEST'), 400)
})

test('GatehouseError carries the code, the formatted message and the hint', () => {
  const err = new GatehouseError('GH_GATEWAY_LISTEN', '0.0.0.0:443: EACCES')
  assert.instance(err, Error)
  assert.is(err.name, 'GatehouseError')
  assert.is(err.code, 'GH_GATEWAY_LISTEN')
  assert.is(err.message, 'cannot listen on 0.0.0.0:443: EACCES')
  assert.is(err.hint, ERRORS.GH_GATEWAY_LISTEN.hint)
})

test.run()
