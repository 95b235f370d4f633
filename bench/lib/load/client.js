// The runner's built-in load client, run as its own process (pinned to the
// load core): everything wrk cannot do. Modes:
//   rate       keep-alive connections driven at a fixed request rate, latency
//              measured from each request's scheduled send time (no coordinated
//              omission), microsecond resolution (autocannon rounds to ms); the
//              clock starts once every connection is open, after `warmupMs`
//              unmeasured at the rate; `spin` checks the schedule on every loop
//              turn instead of on a 1 ms timer; reports the client's own
//              event-loop delay and send lag over the measured window;
//   closed     keep-alive connections, next request as soon as a response ends,
//              each connection with its own SNI and a rotation of Host headers;
//   handshake  a new TLS connection per request (`Connection: close`), full
//              handshakes unless `resume` — then each loop offers the ticket of
//              its previous connection; resumed vs full is counted from
//              isSessionReused(), i.e. what was actually negotiated;
//   idle       opens N keep-alive TLS connections, one request each, holds them
//              until told to close on stdin;
//   sanity     one `Connection: close` request: status, the Connection header
//              the proxy answered with, and whether it closed the connection.
// Usage: node client.js '<json options>'. Prints `RESULT <json>` (idle first
// prints `OPEN <json>`).
import net from 'node:net'
import tls from 'node:tls'
import { readFileSync } from 'node:fs'
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks'

const opts = JSON.parse(process.argv[2] ?? '{}')
// µs, as a double: the spinning scheduler reads the clock on every loop turn, and
// process.hrtime.bigint() would allocate a BigInt each time (young-generation GC churn).
const now = () => performance.now() * 1000

/** Times the kernel took the CPU away from this process while it could run (another process on its core). */
function preemptions () {
  try { return Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'latin1'))?.[1] ?? NaN) } catch { return NaN }
}

function connect (target, servername, session) {
  if (!target.tls) return net.connect({ host: target.host, port: target.port, noDelay: true })
  return tls.connect({
    host: target.host,
    port: target.port,
    servername,
    rejectUnauthorized: false,
    noDelay: true,
    ...(session ? { session } : {})
  })
}

function requestBytes (path, host, close) {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: gatehouse-bench\r\n${close ? 'Connection: close\r\n' : ''}\r\n`, 'latin1')
}

// ---------------------------------------------------------------- response parser
// Minimal HTTP/1.1 response framing: Content-Length or chunked. Enough for the
// bench upstream's bodies; anything else is an error the run reports.
const HEAD = 0
const BODY = 1
const CHUNK_SIZE = 2
const CHUNK_DATA = 3
const CHUNK_TRAILER = 4

class Parser {
  constructor (onResponse) {
    this.onResponse = onResponse
    this.state = HEAD
    this.pending = null
    this.remaining = 0
    this.status = 0
    this.head = ''
    this.bodyBytes = 0
  }

  push (chunk) {
    let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk])
    this.pending = null
    for (;;) {
      if (this.state === HEAD) {
        const i = buf.indexOf('\r\n\r\n')
        if (i < 0) { this.pending = buf; return }
        const head = buf.latin1Slice(0, i)
        this.head = head
        this.status = Number(head.slice(9, 12))
        this.bodyBytes = 0
        buf = buf.subarray(i + 4)
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head)
        if (cl) { this.remaining = Number(cl[1]); this.state = BODY } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) this.state = CHUNK_SIZE
        else { this.remaining = 0; this.state = BODY }
      }
      if (this.state === BODY) {
        if (buf.length < this.remaining) { this.remaining -= buf.length; this.bodyBytes += buf.length; return }
        this.bodyBytes += this.remaining
        buf = buf.subarray(this.remaining)
        this.state = HEAD
        this.onResponse(this.status, this.head)
        if (buf.length === 0) return
        continue
      }
      if (this.state === CHUNK_SIZE) {
        const i = buf.indexOf('\r\n')
        if (i < 0) { this.pending = buf; return }
        const size = parseInt(buf.latin1Slice(0, i), 16)
        buf = buf.subarray(i + 2)
        if (size === 0) { this.state = CHUNK_TRAILER } else { this.remaining = size + 2; this.state = CHUNK_DATA }
        continue
      }
      if (this.state === CHUNK_DATA) {
        if (buf.length < this.remaining) { this.remaining -= buf.length; this.bodyBytes += buf.length; return }
        this.bodyBytes += this.remaining - 2
        buf = buf.subarray(this.remaining)
        this.state = CHUNK_SIZE
        continue
      }
      // CHUNK_TRAILER: lines until an empty one.
      const i = buf.indexOf('\r\n')
      if (i < 0) { this.pending = buf; return }
      const empty = i === 0
      buf = buf.subarray(i + 2)
      if (empty) {
        this.state = HEAD
        this.onResponse(this.status, this.head)
        if (buf.length === 0) return
      }
    }
  }
}

// ---------------------------------------------------------------- keep-alive modes
function summarizeLatencies (samples) {
  const xs = Float64Array.from(samples).sort()
  const pick = (p) => (xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))])
  return { p50: pick(50), p90: pick(90), p99: pick(99), p999: pick(99.9), max: xs.length ? xs[xs.length - 1] : NaN }
}

async function keepAlive () {
  const { target, conns, durationMs, rate = 0, path = '/', warmupMs = 0, connectTimeoutMs = 15000 } = opts
  // hostsPerConn[i] = { servername, hosts: [...] } — the Host headers connection i rotates through.
  const plan = opts.plan ?? [{ servername: opts.servername ?? target.host, hosts: [opts.host ?? opts.servername ?? target.host] }]
  const result = { requests: 0, errors: 0, non2xx: 0, bytes: 0, dropped: 0, latency: null, durationS: 0, connectMs: NaN, unconnected: 0 }
  const samples = []
  const lags = [] // rate mode: how late each measured request left the client (its own stalls plus waiting for a free connection)
  const trace = opts.trace ? [] : null
  const loopDelay = monitorEventLoopDelay({ resolution: 1 })
  const queue = [] // scheduled send times (rate mode)
  const idle = []
  // connecting → running (warm-up, then measured) → draining → done
  let phase = 'connecting'
  let connected = 0
  let inFlight = 0
  const t0 = now()
  let start = 0
  let measureFrom = 0
  let stopAt = Infinity

  const conn = (i) => {
    const p = plan[i % plan.length]
    const c = { i, socket: null, reqs: p.hosts.map((h) => requestBytes(path, h, false)), next: 0, sentAt: 0, intended: 0, busy: false, parser: null }
    c.parser = new Parser((status) => {
      const t = now()
      c.busy = false
      inFlight--
      // Rate mode charges a request to the window it was scheduled in; warm-up requests are not counted.
      if ((rate > 0 ? c.intended : c.sentAt) >= measureFrom) {
        result.requests++
        if (status < 200 || status > 399) result.non2xx++
        samples.push(t - (rate > 0 ? c.intended : c.sentAt))
        if (rate > 0) lags.push(c.sentAt - c.intended)
        if (trace !== null) trace.push([c.intended - measureFrom, c.sentAt - c.intended, t - c.sentAt, c.i])
      }
      dispatch(c)
    })
    open(c)
    return c
  }
  const open = (c) => {
    const s = connect(target, plan[c.i % plan.length].servername)
    c.socket = s
    c.parser = new Parser(c.parser.onResponse)
    s.on(target.tls ? 'secureConnect' : 'connect', () => {
      connected++
      if (phase !== 'connecting') { dispatch(c); return }
      idle.push(c)
      if (connected === conns) begin()
    })
    s.on('data', (d) => { result.bytes += d.length; c.parser.push(d) })
    s.on('error', () => {})
    s.on('close', () => {
      if (c.busy) { result.errors++; c.busy = false; inFlight-- }
      const k = idle.indexOf(c)
      if (k >= 0) idle.splice(k, 1)
      if (phase === 'connecting' || phase === 'running') setTimeout(open, 10, c)
    })
  }
  const send = (c, intended) => {
    c.busy = true
    inFlight++
    c.intended = intended
    c.sentAt = now()
    const req = c.reqs[c.next]
    c.next = (c.next + 1) % c.reqs.length
    c.socket.write(req)
  }
  let scheduled = 0
  let total = 0 // requests scheduled in all: k = 0 … total − 1, the k-th at start + k/rate s
  // Queues every request due by now (rate mode); called on each tick and each response.
  // Request k is due once k/rate ≤ elapsed, i.e. k ≤ floor(elapsed × rate): the + 1 counts
  // request 0 at the start (without it every request left one interval late).
  const fill = () => {
    const due = Math.min(total, Math.floor(((now() - start) / 1e6) * rate) + 1)
    for (; scheduled < due; scheduled++) queue.push(start + (scheduled / rate) * 1e6)
  }
  const dispatch = (c) => {
    if (phase !== 'running' || c.socket === null) return
    if (rate === 0) { if (now() < stopAt) send(c, 0); return }
    fill()
    if (queue.length > 0) send(c, queue.shift())
    else idle.push(c)
  }
  const pump = () => {
    fill()
    while (queue.length > 0 && idle.length > 0) {
      const c = idle.pop()
      if (!c.busy && c.socket !== null && !c.socket.destroyed) send(c, queue.shift())
    }
  }

  // Every connection is open before the clock starts: a TLS client does each handshake's
  // crypto on its one thread, so 50 handshakes at once block it for 50–150 ms, and requests
  // scheduled meanwhile would be charged that wait (seen as a p99 of +50 ms for nginx).
  let began = null
  const ready = new Promise((resolve) => { began = resolve })
  const connectTimer = setTimeout(() => { if (phase === 'connecting') begin() }, connectTimeoutMs)
  let tick = null
  let preempted0 = NaN
  const gc = { count: 0, totalMs: 0, maxMs: 0 }
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { gc.count++; gc.totalMs += e.duration; gc.maxMs = Math.max(gc.maxMs, e.duration) }
  })
  function begin () {
    clearTimeout(connectTimer)
    result.connectMs = (now() - t0) / 1000
    result.unconnected = conns - connected
    phase = 'running'
    start = now()
    measureFrom = start + warmupMs * 1000
    stopAt = measureFrom + durationMs * 1000
    total = Math.ceil(((stopAt - start) / 1e6) * rate)
    if (rate === 0) {
      for (const c of idle.splice(0)) send(c, 0)
    } else if (opts.spin) {
      // libuv timers have millisecond granularity: a 1 ms interval alone leaves a 0–1 ms
      // uniform lag under every request. Checking on every loop turn keeps the load core
      // busy but sends each request within a loop turn of its time.
      const spin = () => { if (phase === 'running') { pump(); setImmediate(spin) } }
      setImmediate(spin)
    } else {
      tick = setInterval(pump, 1)
    }
    // The client's own event-loop delay, GC pauses and preemptions, over the measured window only.
    setTimeout(() => {
      loopDelay.enable()
      preempted0 = preemptions()
      gcObserver.observe({ entryTypes: ['gc'] })
    }, warmupMs)
    began()
  }
  const all = Array.from({ length: conns }, (_, i) => conn(i))
  await ready
  await new Promise((resolve) => setTimeout(resolve, (stopAt - now()) / 1000))
  phase = 'draining'
  loopDelay.disable()
  gcObserver.disconnect()
  result.preempted = preemptions() - preempted0
  result.gc = gc
  if (tick) clearInterval(tick)
  result.dropped = queue.length
  queue.length = 0
  // Let in-flight requests finish (bounded), then stop.
  const graceEnd = Date.now() + 2000
  while (inFlight > 0 && Date.now() < graceEnd) await new Promise((resolve) => setTimeout(resolve, 5))
  phase = 'done'
  result.durationS = (now() - measureFrom) / 1e6
  for (const c of all) c.socket?.destroy()
  result.latency = summarizeLatencies(samples)
  if (rate > 0) result.sendLag = summarizeLatencies(lags)
  // The histogram records whole timer intervals (1 ms plus the delay): report the delay.
  const delay = (ns) => (loopDelay.count > 0 ? Math.max(0, ns / 1000 - 1000) : NaN)
  result.loopDelay = { p50: delay(loopDelay.percentile(50)), p99: delay(loopDelay.percentile(99)), max: delay(loopDelay.max) }
  if (trace !== null) result.trace = trace
  result.rps = result.requests / (durationMs / 1000)
  return result
}

// ---------------------------------------------------------------- handshakes
async function handshakes () {
  const { target, servername, conc, durationMs, resume = false, path = '/' } = opts
  const req = requestBytes(path, servername, true)
  const result = { connections: 0, full: 0, resumed: 0, errors: 0, non2xx: 0, durationS: 0 }
  const stopAt = Date.now() + durationMs
  const start = now()
  const loop = async () => {
    let session = null
    // In resume mode each loop first fetches a ticket on an uncounted connection,
    // so every counted connection offers one.
    let counted = !resume
    while (Date.now() < stopAt) {
      await new Promise((resolve) => {
        const s = connect(target, servername, resume ? session : null)
        let first = null
        s.on('session', (sess) => { if (resume) session = sess })
        s.on('secureConnect', () => {
          if (counted) {
            if (s.isSessionReused()) result.resumed++
            else result.full++
          }
          s.write(req)
        })
        s.on('data', (d) => { if (first === null) first = d.latin1Slice(0, 12) })
        s.on('error', () => {})
        s.on('close', () => {
          if (!counted) { counted = first !== null; resolve(); return }
          if (first === null) result.errors++
          else {
            result.connections++
            const status = Number(first.slice(9, 12))
            if (status < 200 || status > 399) result.non2xx++
          }
          resolve()
        })
      })
    }
  }
  await Promise.all(Array.from({ length: conc }, loop))
  result.durationS = (now() - start) / 1e6
  result.cps = result.connections / result.durationS
  return result
}

// ---------------------------------------------------------------- idle connections
async function idleConnections () {
  const { target, servername, count, conc = 100, openTimeoutMs = 30000 } = opts
  const req = requestBytes('/', servername, false)
  const sockets = []
  const result = { opened: 0, failed: 0, closedEarly: 0, openMs: 0 }
  let holding = true
  let session = null
  const deadline = Date.now() + openTimeoutMs
  const t0 = Date.now()
  let started = 0
  const one = () => new Promise((resolve) => {
    const s = connect(target, servername, session)
    let done = false
    const parser = new Parser((status) => {
      if (done) return
      done = true
      if (status === 200) { result.opened++; sockets.push(s) } else { result.failed++; s.destroy() }
      resolve()
    })
    s.on('session', (sess) => { session = sess })
    s.on('secureConnect', () => s.write(req))
    s.on('data', (d) => parser.push(d))
    s.on('error', () => {})
    s.on('close', () => {
      if (!done) { done = true; result.failed++; resolve() } else if (holding) result.closedEarly++
    })
  })
  const loop = async () => {
    while (started < count && Date.now() < deadline) { started++; await one() }
  }
  await Promise.all(Array.from({ length: conc }, loop))
  result.openMs = Date.now() - t0
  process.stdout.write(`OPEN ${JSON.stringify(result)}\n`)
  await new Promise((resolve) => {
    process.stdin.on('data', resolve)
    process.stdin.on('end', resolve)
  })
  holding = false
  for (const s of sockets) s.destroy()
  return result
}

// ---------------------------------------------------------------- sanity
async function sanity () {
  const { target, servername, host } = opts
  return await new Promise((resolve) => {
    const s = connect(target, servername)
    let raw = ''
    let headAt = 0
    const timer = setTimeout(() => { s.destroy(); finish(false) }, 3000)
    const finish = (serverClosed) => {
      clearTimeout(timer)
      const head = raw.split('\r\n\r\n')[0] ?? ''
      const conn = /\r\nconnection:\s*([^\r\n]*)/i.exec(head)
      resolve({ status: Number(head.slice(9, 12)), connection: conn ? conn[1] : null, serverClosed, closeAfterMs: headAt ? Date.now() - headAt : null, head })
    }
    s.on(target.tls ? 'secureConnect' : 'connect', () => s.write(requestBytes('/', host ?? servername, true)))
    s.on('data', (d) => { raw += d.latin1Slice(); if (!headAt && raw.includes('\r\n\r\n')) headAt = Date.now() })
    s.on('error', () => {})
    s.on('end', () => finish(true))
  })
}

const modes = { rate: keepAlive, closed: keepAlive, handshake: handshakes, idle: idleConnections, sanity }
const fn = modes[opts.mode]
if (!fn) {
  process.stderr.write(`client.js: unknown mode '${opts.mode}'; use one of ${Object.keys(modes).join(', ')}\n`)
  process.exit(2)
}
const out = await fn()
process.stdout.write(`RESULT ${JSON.stringify(out)}\n`)
process.exit(0)
