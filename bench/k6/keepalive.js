// keepalive: 50 virtual users on keep-alive connections, small GET, as fast as
// the gateway answers. The bar is a ratio to nginx/@fastify/http-proxy on the
// same machine, which k6 alone cannot know: give the peer's figure in
// MIN_RPS (e.g. 0.6 × nginx's req/s) and the script fails below it.
//   k6 run -e BASE_URL=https://127.0.0.1:8443 -e MIN_RPS=15000 bench/k6/keepalive.js
import http from 'k6/http'
import { check } from 'k6'
import { BASE_URL, INSECURE, params, num } from './lib.js'

export const options = {
  insecureSkipTLSVerify: INSECURE,
  vus: num('VUS', 50),
  duration: __ENV.DURATION || '30s',
  thresholds: {
    http_req_failed: ['rate==0'],
    http_reqs: [`rate>=${num('MIN_RPS', 0)}`],
    http_req_duration: [`p(99)<${num('MAX_P99_MS', 1000)}`]
  }
}

export default function () {
  const res = http.get(`${BASE_URL}/`, params())
  check(res, { 'status 200': (r) => r.status === 200 })
}
