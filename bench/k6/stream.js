// stream: 10 MiB downloads and 10 MiB uploads over 8 connections (the
// upstream must serve GET /10m and accept POST /upload — `bench/run` starts
// one; elsewhere set DOWN_PATH/UP_PATH). Thresholds: no failures, and a
// minimum throughput in bytes/s (MIN_MBPS, e.g. 0.9 × nginx's figure) on
// data_received / data_sent. The gateway's peak RSS (< 150 MB for primary +
// 2 workers) is read on the host: `ps -o rss= --ppid <primary>`.
//   k6 run -e MIN_MBPS=400 bench/k6/stream.js
import http from 'k6/http'
import { check } from 'k6'
import { BASE_URL, INSECURE, params, num } from './lib.js'

const body = 'x'.repeat(10 * 1024 * 1024)
const minBytes = num('MIN_MBPS', 0) * 1e6

export const options = {
  insecureSkipTLSVerify: INSECURE,
  discardResponseBodies: true,
  scenarios: {
    down: { executor: 'constant-vus', vus: 8, duration: __ENV.DURATION || '20s', exec: 'down' },
    up: { executor: 'constant-vus', vus: 8, duration: __ENV.DURATION || '20s', exec: 'up', startTime: __ENV.DURATION || '20s' }
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    'data_received{scenario:down}': [`rate>=${minBytes}`],
    'data_sent{scenario:up}': [`rate>=${minBytes}`]
  }
}

export function down () {
  const res = http.get(`${BASE_URL}${__ENV.DOWN_PATH || '/10m'}`, params())
  check(res, { 'status 200': (r) => r.status === 200 })
}

export function up () {
  const res = http.post(`${BASE_URL}${__ENV.UP_PATH || '/upload'}`, body, params({ headers: { 'Content-Type': 'application/octet-stream' } }))
  check(res, { 'status 200': (r) => r.status === 200 })
}
