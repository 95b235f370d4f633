// What the profiles of the bars Gatehouse missed found, what was changed, and
// what each change bought, measured in A/B runs outside this runner (each with
// its command). Kept in code so RESULTS.md stays generated; the runner prints
// it under the bar table. Update it with the change that moves a figure.

/** Markdown paragraphs of the findings block. */
export const FINDINGS = [
  '### What the profiles found, and what the fixes bought',
  '',
  '- **CPU per keep-alive request.** Profiled (`node --cpu-prof`, the runner\'s profile step): the node:http server + undici path spent its time ' +
    'in `writev`, undici\'s client-h1, `writeLatin1String` and stream plumbing; Gatehouse\'s own code was under 4%. The request and response ' +
    'objects and their streams were the cost. **Fix:** the byte-level fast path (`packages/gateway/src/fastpath.ts`, `h1.ts`): a strict ' +
    'subset of request heads is parsed from the socket buffer and relayed to a pooled raw upstream socket; everything else is handed to ' +
    'node:http with the bytes put back. **Bought:** 140 → 79 µs CPU per request for the same build with and without it, same run ' +
    '(`node bench/dataplane/run.mjs --runs 3 --seconds 4`, `## dataplane` above); in this runner, 157 µs (2026-11-28 23:15 run) to the ' +
    'keepalive figure below. Then writing the head with the first body bytes in one write and re-setting socket timeouts only when their ' +
    'length changes: median 48 → 44.5 µs over 8 interleaved rounds (proxy pinned to CPU 0, `wrk -t1 -c50 -d3s` on CPU 1). ' +
    'A review clean-up afterwards (the keep-alive tail of a response head computed once per table, response fields built in one ' +
    'pass, one request-accounting function for both paths) measured 53 before vs 54 µs after, same 8-round A/B: no measurable ' +
    'change, as intended.',
  '- **CPU per full handshake.** Profiled: Node\'s `onSession` (the `newSession`/`resumeSession` listeners of the session-id cache) took ' +
    '34.5% of self time: with a listener attached Node holds every ClientHello for JS and copies every new session into JS. **Fix:** no ' +
    'session-id cache while session tickets are on (they are shared by all workers). **Bought:** 7–16% less CPU per full ECDSA handshake in ' +
    'three same-run A/Bs (e.g. 2,785 → 2,326 µs, nginx 950 µs). What is left is not instructions: callgrind counts 3.87 M instructions per ' +
    'full ECDSA handshake for a Gatehouse worker vs 2.84 M for nginx (1.36×), and a bare `node:tls` server 3.21 M; the CPU-time ratio of ' +
    '2–3× comes from how the work runs — V8\'s compiler threads (14.8% of perf samples), the round-robin hand-off of every new connection ' +
    'from the primary to a worker over IPC, GC. **Fix:** `scheduling: os` is now the default (workers accept from the shared socket, as ' +
    'nginx\'s do), with libuv\'s `UV_TCP_SINGLE_ACCEPT=1` in the workers so that a burst of connections is spread (one accept per wake-up). ' +
    '**Bought:** 1,983 → 1,577 µs CPU per full ECDSA handshake (medians of 3, same run, nginx 858 µs; `node bench/run --only ' +
    'keepalive,handshake,resumed --targets gatehouse-n,gatehouse-n-os,nginx --runs 3 --seconds 4` before the switch), both workers 48–52% ' +
    'busy, keep-alive unchanged; the `GATEHOUSE_SCHEDULING=round_robin` row shows the hand-off\'s cost in this run ' +
    '(packages/gateway/README.md, "Cluster scheduling").',
  '- **Memory while streaming.** A worker frees relayed chunks only when V8 scavenges, which it does for Buffer memory only at 32 MiB, and ' +
    'glibc keeps what they grew. **Fix:** workers scavenge after `GATEHOUSE_BUFFER_GC_MB` (4) MiB of new Buffer memory; the large-config ' +
    'compile thread exits after its compile; undici is loaded only when the node:http path needs it (~8 MiB per worker). **Bought:** peak ' +
    'RSS sum 278 → 251 MB and CPU per MiB 2.31 → 1.57 ms (`node bench/run --only stream --targets gatehouse-n,nginx --runs 3 --seconds 4`). ' +
    'Of what is left, ~43 MiB per process is the shared `node` binary, which a sum of RSS counts three times: hence the row with shared pages counted once.',
  '- **Added p99 at half load.** The latency client started its clock before its 50 connections were open, so 50 handshakes fell inside ' +
    'the window and became every target\'s p99 (nginx +53 ms, Gatehouse +173 ms in the 23:15 run). **Fix:** connections open and warm up ' +
    'before the clock; the schedule is checked on every loop turn; the client reports its own send lag, loop delay, GC and preemptions. ' +
    '**Left:** on this shared 2-core machine the proxy shares its core with the floating upstream, and nginx itself misses the 1 ms bar. ' +
    'Pinned A/B outside the runner (proxy on CPU 0, client on CPU 1, 4,000 req/s, 50 connections): Node HTTPS server answering directly ' +
    'p99 7.4 ms, Gatehouse fast path 17–26 ms, the byte-level prototype 18–23 ms, the node:http path 43 ms: the tail is Node\'s single ' +
    'thread being preempted, and the fast path sits with the best Node design.',
  ''
]
