// many-apis: the keepalive load against a gateway with many APIs configured
// (bench/run generates 5,000 APIs under 500 wildcard certificates:
// a<k>.c<floor(k/10)>.many.bench.localhost), requests spread over HOSTS
// hosts by Host header. The bar is ≥ 0.9× the 1-API keepalive figure: give
// that figure (req/s of keepalive.js against a 1-API config) in ONE_API_RPS.
//   k6 run -e ONE_API_RPS=12000 -e APIS=5000 bench/k6/many-apis.js
import http from 'k6/http'
import { check } from 'k6'
import { BASE_URL, INSECURE, num } from './lib.js'

const apis = num('APIS', 5000)
const count = num('HOSTS', 100)
const hosts = Array.from({ length: count }, (_, j) => {
  const k = Math.floor((j * apis) / count)
  return `a${k}.c${Math.floor(k / 10)}.many.bench.localhost`
})

export const options = {
  insecureSkipTLSVerify: INSECURE,
  vus: num('VUS', 50),
  duration: __ENV.DURATION || '30s',
  thresholds: {
    http_req_failed: ['rate==0'],
    http_reqs: [`rate>=${0.9 * num('ONE_API_RPS', 0)}`]
  }
}

export default function () {
  const host = hosts[Math.floor(Math.random() * hosts.length)]
  const res = http.get(`${BASE_URL}/`, { headers: { Host: host } })
  check(res, { 'status 200': (r) => r.status === 200 })
}
