// handshake: a new TLS connection for every request, full handshakes.
// noConnectionReuse closes the connection after each request; k6 (Go's
// crypto/tls) keeps no client session cache unless told to, so every
// handshake is full — verify it on the gateway's side: the
// gatehouse_tls_handshakes_total{resumed="true"} counter must not move during
// the run. The figure to compare with nginx is CPU per handshake (the
// gateway's CPU time ÷ handshakes), not the rate: one client core tops out
// near 1,000 full handshakes/s. Use HOST=ec.bench.localhost or
// rsa.bench.localhost to pick the ECDSA or RSA certificate by SNI.
//   k6 run -e BASE_URL=https://rsa.bench.localhost:8443 bench/k6/handshake.js
import http from 'k6/http'
import { check } from 'k6'
import { BASE_URL, INSECURE, params, num } from './lib.js'

export const options = {
  insecureSkipTLSVerify: INSECURE,
  noConnectionReuse: true,
  vus: num('VUS', 8),
  duration: __ENV.DURATION || '30s',
  thresholds: {
    http_req_failed: ['rate==0'],
    http_req_tls_handshaking: [`p(99)<${num('MAX_HANDSHAKE_P99_MS', 50)}`]
  }
}

export default function () {
  const res = http.get(`${BASE_URL}/`, params({ headers: { Connection: 'close' } }))
  check(res, { 'status 200': (r) => r.status === 200, 'no keep-alive to a close request': (r) => !/keep-alive/i.test(r.headers.Connection || '') })
}
