// latency: a fixed arrival rate (constant-arrival-rate: k6 starts requests on
// schedule whether or not earlier ones finished) at about half of the
// gateway's keep-alive maximum. The bar is "p99 added over the upstream
// reached directly ≤ 1 ms": run it once against the upstream (BASE_URL=http://upstream)
// and give that p99 in DIRECT_P99_MS; the threshold is DIRECT_P99_MS + 1.
//   k6 run -e RATE=8000 -e DIRECT_P99_MS=0.4 bench/k6/latency.js
import http from 'k6/http'
import { check } from 'k6'
import { BASE_URL, INSECURE, params, num } from './lib.js'

const limit = num('DIRECT_P99_MS', 0) + num('ADDED_P99_MS', 1)

export const options = {
  insecureSkipTLSVerify: INSECURE,
  scenarios: {
    fixed_rate: {
      executor: 'constant-arrival-rate',
      rate: num('RATE', 1000),
      timeUnit: '1s',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: num('VUS', 50),
      maxVUs: num('MAX_VUS', 200)
    }
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    http_req_duration: [`p(99)<${limit}`],
    dropped_iterations: ['count==0']
  }
}

export default function () {
  const res = http.get(`${BASE_URL}/`, params())
  check(res, { 'status 200': (r) => r.status === 200 })
}
