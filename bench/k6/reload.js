// reload: the keepalive load while the gateway reloads every second. k6
// cannot send signals; run the reload loop beside it on the gateway's host:
//   (for i in $(seq 30); do kill -HUP "$(pgrep -o -f 'gatehouse.*start')"; sleep 1; done) &
//   k6 run bench/k6/reload.js
// The bar: zero failed requests across the reloads (http_req_failed rate 0,
// every response a 200). The throughput dip is the ratio of http_reqs to a
// keepalive.js run without reloads.
import http from 'k6/http'
import { check } from 'k6'
import { BASE_URL, INSECURE, params, num } from './lib.js'

export const options = {
  insecureSkipTLSVerify: INSECURE,
  vus: num('VUS', 50),
  duration: __ENV.DURATION || '30s',
  thresholds: {
    http_req_failed: ['rate==0'],
    checks: ['rate==1']
  }
}

export default function () {
  const res = http.get(`${BASE_URL}/`, params())
  check(res, { 'status 200': (r) => r.status === 200 })
}
