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
    'change, as intended. **Then (2026-11-29):** a line-level `--cpu-prof` of the workers put ~7% of their samples in parsing the ' +
    'upstream\'s response head and ~2% in the request head, ~3–4% in prom-client (every `inc()`/`observe()` builds and looks up a label ' +
    'hash, histogram buckets keyed by the bound as a string) and ~1% in re-setting the upstream socket\'s timer twice per request (a new ' +
    'timer and bound function each time). **Fix:** heads validated by one linear regex (bytes and line ends together), field names by a ' +
    'tchar table, Content-Length digits by hand, `Connection: keep-alive` without a split, and relayed fields copied as sent, one slice ' +
    'per run of lines (`h1.ts`: 3.9 → 1.0 µs per response head, 1.65 → 0.58 µs per request head in a microbenchmark); the three ' +
    'request-path series count in children resolved once per API (`series.ts`, `/metrics` byte-identical to prom-client\'s); pooled ' +
    'upstream sockets keep their timer and idle ones are retired by a 1 s sweep. **Bought:** 60.5 → 47.5 µs CPU per request and 16,200 → ' +
    '20,500 req/s, medians of 11 interleaved rounds; per round the new build used 0.69–0.87× the old one\'s CPU in 10 of 11 rounds ' +
    '(median 0.79×; `node bench/ab-builds.mjs keepalive 11 <before>/cli.js packages/gateway/dist/cli.js`). The same build ranged ' +
    '31–62 µs between rounds of that A/B: this machine\'s speed drifts more than any one of these changes moves the figure, which is why ' +
    'ab-builds divides each round\'s figures by the first build\'s. **Where the rest is:** the relay floor (TLS piped to the upstream, ' +
    'nothing parsed; table above) cost 1.28× nginx per request in the final run (27.0 vs 21.1 µs) and 1.36× in the one before, ' +
    'Gatehouse 1.62× (34.1 µs) and 1.77×: HTTP parsing, routing, header rewriting and the pool cost ~7–8 µs per request over the ' +
    'relay, and the relay\'s own excess over nginx is Node\'s streams (a `--cpu-prof` of a worker after these changes: native writes ' +
    '~40% of samples, no JS function of Gatehouse\'s over 2.5%). A review clean-up afterwards (both head parsers on one field-line ' +
    'cursor, the upload cork read from the socket) measured 1.025× the CPU per request of the build before it, median of per-round ratios, ' +
    'lower in 2 of 7 rounds (`node bench/ab-builds.mjs keepalive 7 <bcc88da>/cli.js packages/gateway/dist/cli.js`, a slow phase of the ' +
    'machine: 56–112 µs per request for both), and the parsers 1.0–1.1 µs per response head either way: no change beyond the noise. ' +
    'A last review clean-up (the client address for X-Forwarded-For read once per connection instead of through net\'s getter per ' +
    'request, ~0.4% of a worker\'s samples in an open-loop profile) measured 0.973× per request, lower in 6 of 9 rounds, rounds ' +
    '0.70–1.59× (`node bench/ab-builds.mjs keepalive 9 <before>/cli.js packages/gateway/dist/cli.js`): within the noise, as expected. ' +
    '**Then (2026-11-29, third session): instructions instead of time.** Per-round CPU ratios spread 0.6–1.6× here, so a change of a ' +
    'few percent could not be told from noise. Callgrind counts can: `node bench/instructions.mjs <build>/cli.js` (one worker under ' +
    'callgrind, counted over 3,000 keep-alive requests on one connection after 6,000 warm-up requests, main thread, the periodic ' +
    'timers left out; runs of one build agree within 1–2%). The relay floor: 50.0k instructions per request; Gatehouse 77.3k (78.5k ' +
    'with one more request field, the figure the steps below use). Of the ' +
    '~29k more, head parsing took ~14k (the response head ~10k: a validating regex, two `indexOf` per line, a slice and ' +
    '`toLowerCase` of every field name; the request head ~6k), head strings built and flattened ~3k, net\'s socket timers ~2.5k (re-armed ' +
    'on every read and write of both sockets: a clock read and a timer-list move each). **Fixes:** (1) field names matched where ' +
    'they lie instead of sliced and lower-cased, the method as a constant, the Host normalized once per connection, the upstream\'s ' +
    'HTTP/1.1 status line relayed as the start of the first kept run: 78.5k → 74.8k; (2) the fast path\'s own timers, armed where ' +
    'each interval starts, instead of net\'s socket timeouts (packages/gateway/README.md, client-side timeouts; tests: a busy ' +
    'connection outlives keep_alive, an upload slower than the API timeout goes through): → 73.3k; (3) heads of the usual shape read ' +
    'in the socket\'s buffer (bytes checked and names matched in place, strings only for the lines kept), any other shape still by ' +
    'the text parsers, which decide (`test/h1-differential.test.ts`: both agree over 40k generated and 40k byte-flipped heads): ' +
    '→ 67.2k. **Bought:** 77.3k → 65.9–66.9k instructions per request with `bench/instructions.mjs` (−14%; the relay 50.0k); folding ' +
    'the two byte scanners onto one line cursor afterwards (review) cost ~1k back: 67.5–67.9k; a last review (one name classifier ' +
    'for both parsers, the kept-runs logic in one base class, the request\'s hop-by-hop and refused fields in tables both request ' +
    'parsers read) measured 68.1–68.4k → 67.4k (`bench/instructions.mjs`, two runs each, interleaved) and 1.018× the CPU per ' +
    'request (`ab-builds.mjs keepalive 5`, lower in 2 of 5): no cost. In CPU ' +
    'time the A/B tool cannot resolve it: ' +
    '`ab-builds.mjs rate 7` 0.910× per request (lower in 4 of 7, rounds 0.77–1.14×), `keepalive 9` 1.067× (lower in 4 of 9, rounds ' +
    '0.61–1.20×); the kernel\'s part of a request, a third of a worker\'s CPU, is the same for both builds.',
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
    '(packages/gateway/README.md, "Cluster scheduling"). **Then (2026-11-29):** the runner warmed a target\'s handshake path for 2 s ' +
    'per certificate, but a Gatehouse worker\'s CPU per full ECDSA handshake kept falling for 10–15 s of handshakes (1,225 → ' +
    '~800–900 µs over eight 4 s windows in one run, TurboFan ~10% of `perf` samples at the start): each target now gets at least three ' +
    'unrecorded 2 s runs per certificate, then more until two agree within 10%. Between runs on this machine the same build measured ' +
    '800–1,700 µs per handshake (nginx 480–1,070), so the ratio is read per run.',
  '- **Streaming.** Profiled (`perf record` of both workers, and of nginx\'s, during the 10 MiB download): per MiB both spent about the ' +
    'same in AES-GCM and in the kernel; the ~0.5 ms/MiB more that Gatehouse used was Node\'s work per chunk: a new 64 KiB Buffer per ' +
    'upstream read (malloc, page faults, scavenges) and, for every 64 KiB, a pause and resume of the upstream socket (two `epoll_ctl`), ' +
    'a write, an immediate and a `drain`. **Fix:** upstream sockets read into one 256 KiB buffer per worker (net\'s `onread`): nothing ' +
    'allocated per read, and up to 4× fewer events per MiB; a chunk is written to the client straight from that buffer when the client ' +
    'stream has nothing queued (TLS then encrypts it synchronously) and copied otherwise (packages/gateway/test/fastpath.test.ts trickles ' +
    'a random 16 MiB body to a stalling client, and fails without the copy). Request bodies: the upstream socket\'s write high-water ' +
    'mark is 256 KiB and the records of one TLS read leave in one `writev`. **Bought:** downloads 2.29 → 1.66 ms CPU/MiB and 424 → ' +
    '581 MB/s (`node bench/ab-builds.mjs download 5 <before>/cli.js packages/gateway/dist/cli.js`; read buffer of 64 KiB / 256 KiB / ' +
    '1 MiB: 1.69 / 1.33 / 1.33 ms/MiB), uploads 2.43 → 2.26 ms/MiB (`upload 5`); in the full runs, downloads went from 0.71× to ' +
    '1.22× and 1.04× nginx (this session\'s two runs). A review clean-up afterwards (only the bytes written are copied, ' +
    'not the whole read) measured 1.00 vs 1.00 ms/MiB (`ab-builds.mjs download 4`): no change, as intended. **Left:** uploads stayed at 0.71–0.80× nginx in earlier runs. In Node a TLS read copies every 16 KiB record twice more than nginx does ' +
    '(OpenSSL\'s record buffer → a stack buffer in TLSWrap::ClearOut → a new JS Buffer), calls JS once per record and frees the ' +
    'Buffer through the GC (libc `memmove` and `malloc`/`free` were 15% of a worker\'s samples while uploading, nginx\'s libc 7%); the ' +
    'Node floor, which only reads and discards the body, reaches 1.38× nginx because it writes nothing on. **Then (2026-11-29):** the ' +
    'relay floor pays for the write on: in the 05:16 run it reached 0.93× nginx up (0.75–0.96× by round) and Gatehouse 0.93× (0.86–0.95×); ' +
    'in the final run the relay 1.03× (0.97–1.10×) and Gatehouse 0.78× (0.73 / 1.00 / 0.83): within reach for a Node proxy, and ' +
    'Gatehouse\'s upload path is at the relay\'s cost in some rounds and up to a quarter slower in others. Not found yet: what the ' +
    'plain `pipe()` does cheaper in those rounds. Writing each record upstream as it arrives instead of corking a loop turn\'s records ' +
    'into one `writev` costs 1.10× the CPU per MiB (`ab-builds.mjs upload 7`, lower in 1 of 7 rounds): the cork stays. The relay\'s ' +
    'own settings (16 KiB write high-water mark, no cork) measured 1.00× Gatehouse\'s per MiB and 16 KiB with the cork 1.50× ' +
    '(`ab-builds.mjs upload 7`, paired medians): neither explains it. **Then (2026-11-29, 07:00–08:00):** three things. ' +
    '(1) The runner warmed every target with keep-alive traffic only, so each target\'s first recorded upload round ran cold: a Gatehouse ' +
    'worker\'s first 4 s of uploads cost 3.2–3.4 ms CPU/MiB, later rounds 1.9–2.4 (7 interleaved rounds of Gatehouse, the relay and ' +
    'nginx; in those rounds Gatehouse/nginx up was 0.70–0.97×, median 0.87×, the relay 0.79–0.98×, median 0.87×). The stream scenario ' +
    'now warms each instance both ways until two 2 s runs cost the same per MiB within 10%, as the handshake scenario does. ' +
    '(2) `perf stat` of the workers\' syscalls while uploading: Gatehouse made 7.5 `epoll_ctl` per MiB, the relay 0.06. A loop turn\'s ' +
    'records are corked, and once they filled the 256 KiB queue the client was paused, then resumed by the `drain` that followed the ' +
    '`writev` a moment later, about four times per MiB. **Fix:** a write that fills the queue sends the corked records at once, and the ' +
    'client is paused only if the kernel did not take them: 0.04 `epoll_ctl` per MiB, 0.925× the CPU per MiB (`ab-builds.mjs upload 9`, ' +
    'median of per-round ratios, lower in 6 of 9). (3) Every TLS record the client sent became a new Buffer (allocated in C++, wrapped, ' +
    'pushed through the Readable, freed by the GC). **Fix:** `client-read.ts` points the TLS handle at memory Gatehouse supplies (net\'s ' +
    '`onread` machinery, which tls.Server sockets do not expose as an option): reads used up in their callback go to one shared 16 KiB ' +
    'scratch buffer, request-body reads to 16 KiB regions of a 64 KiB slab that are never handed out twice, and scratch bytes that must be ' +
    'kept (a pipelined head, a body\'s first bytes) are copied (`fastpath.test.ts` fails without either copy or with a slab region ' +
    'reused). **Bought:** uploads 0.978×, 0.924× and 0.986× the CPU per MiB in three `ab-builds.mjs upload` runs (lower in 5–7 of 9 ' +
    'rounds each), keep-alive 0.971× and 0.900× per request (lower in 6 of 9 both times; `ab-builds.mjs keepalive 9`). A 256 KiB ' +
    'slab cost 22 page faults per MiB against 5 for 64 KiB (glibc maps the larger from fresh pages). A review found that a body sent ' +
    'in tiny records pinned a 16 KiB region per record in the upstream queue (48 MiB for 4 KiB of body to an upstream not yet ' +
    'connected): only a read of at least 4 KiB now earns the next one a region, and `fastpath.test.ts` checks the memory. All three ' +
    'changes together against the build before them: 0.878× the CPU per MiB uploaded (lower in 7 of 7 rounds, 414 → 458 MB/s, ' +
    '`ab-builds.mjs upload 7`) and 0.851× per keep-alive request (lower in 8 of 9, `keepalive 9`, a slow phase: 41–96 µs per ' +
    'request). In the two full runs after these changes, uploads 0.95× nginx (07:32, per round 0.95 / 0.78 / 0.89) and 0.91× ' +
    '(08:29), the relay 0.81× and 0.85×: the bar passed. In the 09:49 run below, 0.88× (per round 0.91 / 0.91 / 0.88; the ' +
    'relay 0.92×, nginx itself 505–555 MB/s), and 0.88× again in a partial rerun at 10:30 (the relay 0.97×): the bar sits on its ' +
    'line. Today\'s event-loop timer change is not the cause: `ab-builds.mjs upload 9` against the same build with the 10 ms timer, ' +
    '0.965× the CPU per MiB (lower in 6 of 9). Nor is the Buffer-garbage scavenge: `GATEHOUSE_BUFFER_GC_MB=16` 1.089×, `=8` 0.953× ' +
    '(`upload 9`), after a first `upload 7` that had put 16 at 0.824×: noise of that size, so 4 stays. **Then (10:45): body slabs ' +
    'reused.** `perf record` of uploads against the relay, samples per MiB: Gatehouse 3.72, the relay 3.11, and the difference was ' +
    'memory traffic, not JS: AES-GCM decrypt 0.89 vs 0.74, `memmove` 0.33 vs 0.23, the kernel\'s copy into the send buffer 0.22 vs ' +
    '0.16, page faults with `clear_page` 0.06 vs 0.01. Every 16 KiB record landed in a fresh 64 KiB slab (`client-read.ts`) that ' +
    'only the GC freed, so both copies of it ran cold. An unsafe probe that cycled a fixed ring of slabs measured 0.90× and 0.87× ' +
    'the CPU per MiB. **Fix:** each slab counts its holders (the read a region was reserved for, then each upstream write of its ' +
    'bytes until Writable calls back: one callback per upstream socket over a FIFO of slabs, no closure per write); a slab whose ' +
    'regions are all handed out and released is written again, in place or from a free list of 8; holders that do not count (a ' +
    'pipelined request\'s bytes, node:http\'s unshift) take a copy. `fastpath.test.ts` asserts reuse while 4 bodies of 3 MiB go ' +
    'through a slow upstream intact; dropping the write hold, the read hold or the reuse each fails it. **Bought:** 0.816× the ' +
    'CPU per MiB uploaded, lower in 9 of 9 rounds, 509 → 570 MB/s (`ab-builds.mjs upload 9`); keep-alive unchanged (1.016×, ' +
    'lower in 4 of 9, `keepalive 9`). In the 10:55 run below, streaming up 0.91× nginx (the relay 0.89×). A review clean-up ' +
    'afterwards (one `writeBody` for slab-holding writes, the next slab chosen in one function, `FastConn.region` alone instead of a ' +
    'flag beside it) measured 0.993× the CPU per MiB (`upload 5`, lower in 3 of 5) and 1.025× per request (`keepalive 5`, lower in ' +
    '2 of 5) against the build before it: no change, as intended.',
  '- **Memory while streaming.** A worker frees relayed chunks only when V8 scavenges, which it does for Buffer memory only at 32 MiB, and ' +
    'glibc keeps what they grew. **Fix:** workers scavenge after `GATEHOUSE_BUFFER_GC_MB` (4) MiB of new Buffer memory; the large-config ' +
    'compile thread exits after its compile; undici is loaded only when the node:http path needs it (~8 MiB per worker); since the read ' +
    'buffer above, downloads make no Buffer garbage at all; the primary runs without V8\'s optimizing compilers, and pino, the `yaml` ' +
    'package and unused parts of prom-client load only where needed (181 → 165–168 MiB summed at rest). **Bought:** peak ' +
    'RSS sum 278 → 251 MB and CPU per MiB 2.31 → 1.57 ms (`node bench/run --only stream --targets gatehouse-n,nginx --runs 3 --seconds 4`), ' +
    'then 228 and 246 MB in this session\'s two full runs. **Left:** ~40–43 MiB of every Node process is pages of the shared `node` binary, which a sum of RSS ' +
    'counts three times (an idle `node` is 40 MiB): the Node floor itself peaks at a 235 MB sum while streaming, so that row is out of ' +
    'reach for Node; with shared pages counted once Gatehouse is under 150 MB. **Then (2026-11-29, 08:00):** with the stream scenario warmed ' +
    '(above), the peaks are those of a gateway that has been streaming for a while, and they are higher for every Node target: ' +
    'shared pages once, Gatehouse 149–154 and 149–163 MB by round in the 07:32 and 08:29 runs (138–149 in the cold run before), ' +
    'the Node floor 154–167 and 156–163, the relay 154–162 and 152–159. ' +
    'Out of reach by the floor rule, and Gatehouse is under both floors. Where it goes (`/proc/PID/smaps` of a warmed 2-worker ' +
    'Gatehouse during an upload): each worker\'s glibc heap grows from 3.6 to ~25 MB and its anonymous maps from 10 to ~17 MB; the ' +
    'primary stays at ~52 MB, 35 of them the shared `node` binary. Scavenging after 1 MiB of new Buffer memory instead of 4 did not ' +
    'lower the peak (151–167 vs 154–163 MB over 3 rounds each), and the builds before and after the client-read change above peak ' +
    'within the same spread (144–168 vs 159–170 MB): the heap growth is not Buffer garbage but what glibc keeps of the in-flight ' +
    'memory (TLS records, write queues) of 8 connections streaming at full speed. **Then (10:50):** that was wrong: the heap growth ' +
    'was the body slabs. Reused (uploads, above), a warmed 2-worker Gatehouse peaked at 196–204 MB summed and 112–119 MB with ' +
    'shared pages once while uploading, against 244–250 and 159–165 for the build before (3 rounds each, `peakRssSampler` over 3 s ' +
    'of `wrk -t1 -c8` 10 MiB uploads). In the 10:55 run below: 210 MB summed (the floor 249, the relay 249) and **125 MB with shared ' +
    'pages once: under the 150 MB bar** (the floor 162, the relay 163). The Buffer-garbage scavenge test now uploads chunked bodies, ' +
    'which node:http still relays through fresh Buffers.',
  '- **Added p99 at half load.** The latency client started its clock before its 50 connections were open, so 50 handshakes fell inside ' +
    'the window and became every target\'s p99 (nginx +53 ms, Gatehouse +173 ms in the 23:15 run). **Fix:** connections open and warm up ' +
    'before the clock; the schedule is checked on every loop turn; the client reports its own send lag, loop delay, GC and preemptions. ' +
    '**Found since:** "half of the keep-alive maximum" is not half load. wrk\'s closed loop batches many requests per wake-up; requests ' +
    'spread evenly in time do not, and cost every server two to three times more CPU each: at 8,600 req/s, 50 connections, proxies ' +
    'pinned to one core (`/proc` CPU over the run), nginx 54 µs/request (26–31 under wrk), the Node floor 78–81 µs (30–38), Gatehouse ' +
    '108–118 µs (48–72): Gatehouse\'s core is ~95% busy at the rate the runner picks for it, so requests queue and its p99 is tens of ms, ' +
    'while nginx (47% busy) and the floor (68%) keep theirs at 10–30 ms. The latency table\'s CPU columns show this per run. A `perf` ' +
    'profile at that rate is flat (no function over 5%: scheduler switches, stream plumbing, prom-client\'s label hashing ~4%, ' +
    'response-head parsing ~4%). Even the Node floor misses 1 ms added p99 here (so does nginx), and the tail comes from the two ' +
    'workers and the floating upstream sharing one core and the open-loop cost per request, not from a hot spot. **Final run:** the ' +
    'rate is half of Gatehouse\'s own keep-alive maximum (14,309 req/s), where its open-loop cost (54–55 µs per request, 34 under wrk) ' +
    'keeps its core 77–79% busy; its p99 (116–255 ms) is the client\'s send lag (112–252 ms): requests waiting for one of the 50 ' +
    'connections. At the same rate nginx is 40–47% busy, the Node floor 55–76%, the relay 63–73%, and even they get 12–83 ms p99 ' +
    'here, as does the direct upstream 7–15 ms: the VM\'s stalls, not the targets, set these tails. **Then (07:32 run):** at 10,122 ' +
    'req/s Gatehouse with 2 workers cost 64–75 µs per request (65–76% of its core) and got +55 ms p99; with 1 worker, 54–70 µs and +13 ms; ' +
    'the relay 46–61 µs and +47 ms, the Node floor 53–63 µs and +35 ms, nginx 38–44 µs and +18 ms. Two workers on one core cost ' +
    'Gatehouse ~10% more CPU per request than one at this rate, and a request that lands on the worker that is not running waits ' +
    'for the other\'s time slice. Gatehouse misses the next-best targets (floor + 1 ms, relay + 1 ms) by 8–20 ms in this run, against ' +
    '146–160 ms in the run before: the miss follows how busy its core is at the rate, i.e. its open-loop CPU per request. The 08:29 ' +
    'run (10,844 req/s): Gatehouse +64 ms at 69–76% of its core, the relay +44 ms at 51–60%, the Node floor +49 ms at 65–68%, ' +
    'nginx +33 ms at 42–50%; next-best missed by 14–19 ms. A `--cpu-prof` of a worker at that rate put ~58% of its samples in the ' +
    'native writes (`writeLatin1String` for the upstream head, with the loopback send and the upstream\'s wake-up inside it, ' +
    '`writeBuffer` for the client) and no Gatehouse function over 1.5%. **Then (2026-11-29, second session): where the tail comes ' +
    'from, request by request** (the built-in client\'s `trace` option, with `perf sched record -k CLOCK_MONOTONIC` of the whole machine ' +
    'over the same window). A 5 s run\'s p99 is set by 2–4 episodes of 100–270 ms: the time a request spends in the server jumps to ' +
    '30–70 ms, then the client\'s queue drains no faster than requests arrive. In one 160 ms episode of Gatehouse, CPU 1 was 97% busy: ' +
    'the two workers 135 ms (84 µs per request: no batching gain under the backlog), the upstream nginx 18 ms. The upstream floats, ' +
    'and with the spinning client holding CPU 0 at 100% it ran mostly on the proxy core (695 of its 923 ms over one run), where each ' +
    'wake-up waited 1.5–3.5 ms for a worker\'s time slice while the workers waited for its answers. Moving it did not move the tails: ' +
    'the upstream pinned to CPU 0, the client not spinning, both, and a niced client beside the pinned upstream (5 rounds each at ' +
    '10,000 req/s) left every target\'s median p99 inside the round-to-round spread (nginx 22–42 ms, relay 20–45, Node floor 24–40, ' +
    'Gatehouse 38–60). Nor is it the hypervisor: a spinning probe pinned to each vCPU saw no gap over 1.6 ms in 10 s, and a pipe ' +
    'ping-pong between the two cores peaked at 1.1 ms. What differs between targets is how busy their core is at the rate: a stall ' +
    'leaves a backlog that takes about stall × ρ/(1 − ρ) to clear, so the p99 follows the open-loop CPU per request. **Fixed on the ' +
    'way:** prom-client samples event-loop delay with a repeating 10 ms timer, so the primary woke 100 times a second on the proxy ' +
    'core and preempted a worker each time (1% of the core at 10,000 req/s), and an idle gateway woke ~300 times a second. Now every ' +
    '100 ms (`packages/gateway/src/metrics.ts`; an idle primary 198 → 20 wake-ups in 2 s, asserted in `test/footprint.test.ts`). ' +
    '**Bought:** CPU per request at 10,000 req/s 0.926× the build before, lower in 6 of 7 rounds (`node bench/ab-builds.mjs rate 7 ' +
    '<before>/cli.js packages/gateway/dist/cli.js`, the A/B tool\'s new open-loop mode). Tried, no change: workers under ' +
    '`--single-threaded-gc` (0.996×, lower in 4 of 7). **The 09:49 run (below; 8,906 req/s):** Gatehouse +24.5 ms at 56–70% of its ' +
    'core (63–79 µs per request), the Node floor +25.5 ms at 53–61%, the relay +21.2 ms at 48–50%, nginx +22.6 ms at 37–41%: ' +
    'Gatehouse meets the floor\'s next-best target (≤ 26.5 ms) and misses the relay\'s (≤ 22.2 ms) by 2.2 ms. A partial rerun at ' +
    '10:30 (`node bench/run --only keepalive,latency,stream --targets direct,gatehouse-n,nginx,node-floor,node-relay`, 9,448 req/s): ' +
    'Gatehouse +30.7 ms, the floor +10.3, the relay +15.7, nginx +16.5: both next-best targets missed by 14–19 ms again. The ' +
    'verdict moves with the run; Gatehouse\'s open-loop CPU per request (1.1–1.3× the relay\'s) is what keeps it on the losing side. ' +
    'The 10:55 run below (build 612617d): Gatehouse +33.8 ms, the floor +5.9, the relay +30.8, nginx +7.2; next-best missed by 2.0 ' +
    '(relay) and 26.9 ms (floor). The same run put nginx at 22.6 µs per keep-alive request (26–31 in the runs before) and Gatehouse ' +
    '48.3 (38.4–52.0 by round): keep-alive 0.55× nginx, CPU per request 2.14× and many-apis 0.88× fail in it, where the runs before ' +
    'passed them (0.61–0.77×, 1.42–1.78×, 0.93–0.99×); an interleaved `keepalive 9` of this build against the one before it: 1.016× ' +
    'the CPU per request, lower in 4 of 9. A partial rerun at 11:31 of 4c8b2f9 (`node bench/run --only keepalive,many-apis --targets ' +
    'gatehouse-n,nginx,node-pipe,node-floor,node-relay`): keep-alive 0.69× nginx and 3.62× node-pipe, CPU per request 1.54×, ' +
    'many-apis 0.91×: all pass. **The third session\'s two full runs**, after the changes under CPU per request above: at 12:36 ' +
    '(5e429d5) Gatehouse\'s keep-alive rounds measured 28.5k / 15.1k / 26.0k req/s, so the latency rate was 13,004 req/s, where its ' +
    'open loop ran its core into saturation: +133 ms p99 (round 1: p50 571 ms, 7,533 requests not sent on time). At 13:12 (d4dd933, ' +
    'the run below) the rate was 14,823 req/s; at that rate Gatehouse cost 42.5–51.7 µs per request (the relay 41.8–45.0, the Node ' +
    'floor 43.5–50.1, nginx 30.1–35.2) and got +62.7 ms p99, the relay +48.7, the floor +39.8, nginx +28.4: both next-best targets ' +
    'missed, by 13.1 ms (relay) and 21.9 ms (floor). Gatehouse\'s open-loop CPU per request is within 1.1× of the relay\'s now (1.2–1.3× ' +
    'before), and its p99 is still on the losing side. The rate follows Gatehouse\'s own closed-loop maximum (19.8k req/s in the ' +
    '10:55 run, 29.6k in this one, partly the machine\'s phase), and a request spread evenly in time costs ~1.5× one batched by wrk, so ' +
    '"half of the keep-alive maximum" put Gatehouse\'s core at ~70% here and every peer at the same absolute rate. ' +
    '**The fourth session (2026-11-29, afternoon): what the p99 follows, and what it does not.** Traced request by request (the built-in ' +
    'client\'s `trace`) at 12,000–14,000 req/s, every target sees 2–5 episodes per 5 s window in which the time a request spends in the ' +
    'server jumps to 12–50 ms (Gatehouse 25–50, the relay 22–31), and the p99 is that stall plus the backlog it leaves. Ruled out as the ' +
    'stalls\' source, each measured over the same windows: V8\'s GC (`--trace-gc` on the workers: a scavenge every ~100 ms per worker, ' +
    '0.5–1 ms, at most 7.7 ms, ~1 µs of GC per request; no mark-compact in a measured window); the hypervisor (CPU 1\'s steal counter, read ' +
    'every 5 ms over 28 s of load, moved by one 10 ms tick; a shell sampler that forked every 50 ms showed 9% steal, its own doing); ' +
    '`ksoftirqd` (~100 wake-ups per 6 s run); pool churn (50 upstream connections established throughout a run, no new TIME-WAIT, `ss` ' +
    'every 100 ms); the JIT (`--trace-opt --trace-deopt`: 19 compilations over three rounds, the first of them cold, and no deoptimization before shutdown). Also found: the built-in client\'s own closed loop peaks at ' +
    '23–33k req/s against Gatehouse and the relay (wrk: 32–37k), so during a backlog the client, not only the proxy, caps how fast it ' +
    'drains. **p99 against how busy the proxy\'s core is** (Gatehouse, the relay, the Node floor and nginx at 8,000, 11,000 and 14,000 ' +
    'req/s, 3 interleaved rounds, the runner\'s client and pinning; medians of busy share and p99): Gatehouse 58% / 39 ms, 66% / 62 ms, ' +
    '83% / 65 ms; the relay 41% / 19 ms, 58% / 46 ms, 67% / 46 ms; the floor 47% / 24 ms, 54% / 22 ms, 71% / 45 ms; nginx 35% / 18 ms, ' +
    '43% / 18 ms, 54% / 30 ms. At the same rate Gatehouse\'s core is 1.14–1.41× as busy as the relay\'s; at a similar busy share their ' +
    'p99s cross (58%: Gatehouse 39 ms, the relay 46 ms; 66–67%: 62 and 46 ms), inside one round\'s spread. **How much of that CPU is the ' +
    'HTTP work** (ablation, `node bench/ab-builds.mjs rate 7 <build> <variant>` at 11,000 req/s, variants in a scratch copy of `dist`): ' +
    'parsers that return a memoized result when a head\'s bytes repeat (parsing at nearly no cost) 0.973× the CPU per request, lower in ' +
    '6 of 7 rounds; that plus metrics, timers and request ids switched off 0.920×, lower in 6 of 7; a larger young generation ' +
    '(`--max-semi-space-size=16`) 0.976×, lower in 4 of 7. callgrind (`/tmp` harness of `bench/instructions.mjs` keeping the profile): ' +
    'Gatehouse 68.7k instructions per request against the relay\'s 50.0k — its own JavaScript 13.9k (the head parsers 9.7k of it), V8 ' +
    'builtins +4.7k (inline-cache misses, typed-array views, string concatenation), V8 runtime +3.1k (flattening head strings 1.8k), ' +
    'against 1.4k less in Node\'s stream JavaScript and 2.3k less in malloc. So what Gatehouse does as an HTTP gateway is under half ' +
    'of its open-loop gap to the relay, and the rest is spread thin (no function over 1.5% in the profiles above). **Cold start, ' +
    'noticed:** a fresh Gatehouse\'s first 3 s at 14,000 req/s measured p50 60–217 ms and p99 0.3–0.5 s (the relay 0.07 ms and 15 ms); ' +
    'warming `h1.ts`\'s parsers at load (20,000 synthetic heads) did not change it, so the cold cost lies elsewhere (not found). The ' +
    'runner warms every target before measuring, so no figure here includes it; `bench/ab-builds.mjs` now does too. **Proposal (needs ' +
    'the issue\'s author):** at one absolute rate, "the relay + 1 ms" is CPU per request measured a second time (a bar of its own, ' +
    'passed), and Gatehouse would meet it only by costing no more than a relay that parses nothing. A next-best target for the tail ' +
    'itself: added p99 ≤ the relay\'s + 1 ms with each at the rate that keeps its own core at the same busy share (50%: "half load" ' +
    'read literally), or the runner\'s rate defined as the rate at which Gatehouse\'s core is 50% busy in open loop. Either changes the ' +
    'bar\'s definition; neither is implemented. **Two full runs of this build** (78b9976 + bench-only changes; `pnpm bench --json …`): ' +
    'at 14:38 (a slow phase: nginx 24–30k req/s keep-alive, Gatehouse 11.8–24.5k, so the latency rate was 10,940 req/s) Gatehouse ' +
    'added +34.7 ms p99, the relay +38.2 (next-best ≤ 39.2 ms: **met**), the Node floor +19.1 (≤ 20.1: missed by 14.6), nginx +18.6; ' +
    'streaming up (0.84×) and many-apis (0.83×) failed in that run and passed when rerun alone at once (`node bench/run --only stream ' +
    '--targets gatehouse-n,nginx,node-relay`: up 1.07×; `--only many-apis --targets gatehouse-n`: 0.95×). The 15:15 run, below ' +
    '(10,106 req/s): Gatehouse +48.0 ms at 63–77% of its core, the relay +29.9 at 59–61%, the floor +29.1, nginx +24.6; both ' +
    'next-best targets missed, by 17.1 ms (relay) and 17.9 ms (floor); every other bar passes or is out of reach with its next-best ' +
    'target met. Over the four full runs since 12:36 that day (two in the session before, two in this one) Gatehouse met the relay\'s next-best target once. The ' +
    'session\'s review then gave the byte cursor the text cursor\'s field name and value (`ByteLines.name`, `value()`) and stopped ' +
    'timers through `rearm` with length 0: `node bench/instructions.mjs`, 3 interleaved runs per build, without the periodic timers, ' +
    '67.3 / 67.9 / 68.3k instructions per request before and 68.6 / 68.2 / 68.1k after: no change. **The fifth session\'s two full runs** (a fast phase of the machine: nginx 40–42k req/s ' +
    'keep-alive, so the latency rate was 16,259 and 16,634 req/s). At 17:08 (595ba02, the warm-up off): Gatehouse +50.7 ms at 72–76% ' +
    'of its core, the relay +55.0 at 55–66% (next-best ≤ 56.0 ms: **met**), the Node floor +25.8 (≤ 26.8: missed by 23.9), nginx +50.0, ' +
    'HAProxy +9.7. At 17:54 (ed8ef92, the warm-up on by default; the run below): Gatehouse +45.3 ms, the relay +58.7 (next-best ≤ 59.7: ' +
    '**met**), the floor +33.8 (≤ 34.8: missed by 10.5), nginx +16.6, HAProxy +34.9; many-apis measured 0.87× in that run and 0.95× ' +
    '(0.92× with `GATEHOUSE_WARMUP=0`) rerun alone at once (`node bench/run --only many-apis --targets gatehouse-n`). Over the six ' +
    'full runs since 12:36 that day Gatehouse met the relay\'s next-best target three times and the floor\'s never; nginx\'s own added ' +
    'p99 in them: +28.4 (13:12), +18.6 (14:38), +24.6 (15:15), +50.0 (17:08) and +16.6 ms (17:54).',
  '- **Cold start (fifth session, 2026-11-29 evening; outside the runner, which warms every target).** A fresh gateway at 14,000 ' +
    'req/s (2 workers on one core, the load\'s 50 connections opened at t = 0, per-250 ms p99 of the built-in client, scratch harness ' +
    '`/tmp/cold/tl.mjs`): 0.3–0.65 s for 1.25–4 s, the relay 0.1–0.25 s for 0.5–0.75 s. **Found:** per-thread CPU over the first 2 s ' +
    '(`/proc/PID/task/*/stat`): the workers\' main threads used what they use warm (1.31 vs 1.35 s), but their other threads 530 ms ' +
    'against 120 ms warm (the relay 130 vs 60); `perf record` of those threads: TurboFan (`GraphReducer`, register allocation) and ' +
    'concurrent marking. So the cold cost is V8 compiling the hot path on the core the requests need. 6,000 requests at 2,000 req/s ' +
    'before the measured second removed it (first 0.5 s 108–131 ms, the relay 112–133). **Fix:** each worker sends `GATEHOUSE_WARMUP` requests (default 4000) ' +
    'through a private copy of its data plane before it listens (`packages/gateway/src/warmup.ts`, README ' +
    '"Warm-up"). Two traps on the way, both in `--log-code --log-deopt` / `--trace-deopt` output: tearing the private plane down ' +
    'changed fields every plane starts with (`draining`, a pool\'s `retired`), and V8 discarded the hot functions compiled against them ' +
    '("code dependencies": `nextRequest`, `onResponseHead`, `forwardBody`, `FastExchange`), so the warm-up runs two rounds on two planes; ' +
    'and a response header set without `Date` left its branch uncompiled. **Bought:** first 0.5 s p99 143 ms (the relay 148–153 in the ' +
    'same run), background-thread CPU in the first 2 s 550 → 130 ms. **Cost afterwards:** `node bench/instructions.mjs` ' +
    '(one connection, 3 runs each): 67.0–67.3k instructions per request without a warm-up; 73.5–73.8k with the warm-up\'s client and ' +
    'upstream in the worker\'s own isolate (their sockets made Node\'s stream code megamorphic: `KeyedLoadIC_Megamorphic` 0.5k → 2.4k ' +
    'per request, in `onStreamRead`, `writeOrBuffer`, `onWriteComplete`); 69.8–70.7k with them in a worker thread; 69.0–69.4k with ' +
    'plain GETs only. But one connection is an idealized start: with 4 s of `wrk -c50` before the count (scratch `/tmp/vg/vg2.mjs`), ' +
    '68.9–72.9k without a warm-up and 69.0–70.9k with one: many connections of real traffic leave the same megamorphic state, so the ' +
    'warm-up is on by default. The RSS bar: 153 MB (shared pages once) with it and 158 without, in the same standalone stream run ' +
    '(`node bench/run --only stream --targets gatehouse-n`; that standalone run also gave 158 MB for the build before this session, ' +
    'where the full runs measure ~120 MB). **Also this session:** net\'s `resume()` on the client after each answer and on each ' +
    'released upstream socket cost a megamorphic load per call; both are resumed only when paused: 68.2k → 67.1k instructions per ' +
    'request. A 2-minute soak (`/tmp/soak/soak.mjs`, wrk keep-alive, 3.67M requests): worker heap used 9–23 MB between collections and ' +
    'back to 9 MB after them, RSS (sum of 3 processes) 232 → 243 MB after the first 30 s: no leak.',
  '- **Syscalls per request at the latency rate (sixth session, 2026-11-29 night).** `perf trace -s` over each target\'s process tree ' +
    'for 3 s at 8,000 req/s (scratch `/tmp/sys/sc.mjs`, same pinning and client as the runner): Gatehouse 4.58 per request (read 2.00, ' +
    'write 2.00, epoll_pwait 0.54), the relay 5.97 (read 2.00, write 2.00, epoll_pwait 1.94), nginx 7.42 (read 2, recvfrom 1, writev 1, ' +
    'write 1, getsockopt 1, epoll_wait 1.43). The fast path already makes the fewest system calls of the three: what it spends over the ' +
    'relay at this rate is user-space work (head parsing, metrics, timers; the ablation above), not kernel crossings. **Slow readers ' +
    '(same session; not a hot-path change):** a client slow to take its answers is now bounded by `timeouts.send`, an answer still ' +
    'queued is no longer cut by the keep-alive timer, and pipelined requests wait for the client to take the answers before them ' +
    '(packages/gateway/README.md, client-side timeouts). Nothing runs per small request but a field store and a field load: ' +
    '`node bench/instructions.mjs <build>/cli.js 3000`, without the periodic timers, 70.1k / 69.8k instructions per request before and ' +
    '69.0k / 70.0k after (interleaved): no change. The standalone stream run (`node bench/run --only stream --targets ' +
    'gatehouse-n,node-floor`) measured peak RSS 147 MB (146–149, shared pages once) for Gatehouse and 147 MB (146–153) for the Node ' +
    'floor, which proxies nothing: where this run exceeds the 150 MB bar, a bare Node TLS server does too. **The full run below** ' +
    '(23f6a35 at 19:48: nginx 33–40k req/s keep-alive, Gatehouse 22.7–26.8k, so the latency rate was 12,226 req/s): Gatehouse +64.0 ms at ' +
    '69–73% of its core, the relay +41.2 at 58–66% (next-best ≤ 42.2 ms: missed by 21.8), the Node floor +47.9 (≤ 48.9: missed), ' +
    'nginx +17.8; keep-alive 0.67× nginx and CPU per request 1.62× nginx (1.37× in the 17:54 run), where a paired A/B of this build ' +
    'against b8c7d24 right after measured 1.006× the CPU per request (`node bench/ab-builds.mjs keepalive 7 <b8c7d24>/cli.js ' +
    'packages/gateway/dist/cli.js`, rounds 0.99–1.04×, 39–46 µs per request for both): the machine, not the build. Over the seven ' +
    'full runs since 12:36 that day Gatehouse met the relay\'s next-best target three times and the floor\'s never. A review ' +
    'afterwards read the fast path\'s "client queue full" from `socket.writableNeedDrain` (a getter, on each new request) instead of a ' +
    'field kept in step with it: `node bench/instructions.mjs <build>/cli.js 3000`, 3 interleaved runs each, without the periodic ' +
    'timers, 69.4–69.9k instructions per request with the field and 69.2–69.5k without it: no cost.',
  '- **many-apis.** The 1-API and the 5,000-API runs of a round ran back to back, 5 s each, and the machine\'s drift went into the ratio: ' +
    '0.66, 1.64 and 0.70 in the rounds of one full run (1-API CPU per request 48–110 µs), 1.01–1.20 in the run before. **Fix:** each ' +
    'round runs them in ABBA halves and compares the sums. **Bought:** 1.00 / 1.04 / 0.99 (`node bench/run --only many-apis --runs 3 ' +
    '--seconds 4`); CPU per request 51.9 vs 51.7 µs: 5,000 APIs and 500 certificates cost nothing measurable per request (Map lookups).',
  ''
]
