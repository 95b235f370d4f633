// idle: many keep-alive TLS connections held open. Each VU makes one request
// (its connection stays in k6's pool) and then sleeps, holding it; with
// VUS=10000 that is 10,000 idle connections (k6 needs `ulimit -n` above that,
// and the gateway's keep_alive timeout must exceed HOLD). Read the gateway's
// RSS before and while holding on the host and divide by the VU count; the
// threshold here only checks that every connection was served.
//   ulimit -n 20000; k6 run -e VUS=10000 -e HOLD=30 bench/k6/idle.js
import http from 'k6/http'
import { check, sleep } from 'k6'
import { BASE_URL, INSECURE, params, num } from './lib.js'

export const options = {
  insecureSkipTLSVerify: INSECURE,
  scenarios: {
    hold: { executor: 'per-vu-iterations', vus: num('VUS', 1000), iterations: 1, maxDuration: `${num('HOLD', 30) + 120}s` }
  },
  thresholds: { http_req_failed: ['rate==0'], checks: ['rate==1'] }
}

export default function () {
  const res = http.get(`${BASE_URL}/`, params())
  check(res, { 'status 200': (r) => r.status === 200 })
  sleep(num('HOLD', 30))
}
