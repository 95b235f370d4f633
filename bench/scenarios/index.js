// The scenarios in the order a run measures them. idle comes last: it
// restarts each proxy for every round.
import keepalive from './keepalive.js'
import latency from './latency.js'
import stream from './stream.js'
import handshake from './handshake.js'
import resumed from './resumed.js'
import reload from './reload.js'
import manyApis from './many-apis.js'
import idle from './idle.js'

export const SCENARIOS = [keepalive, latency, stream, handshake, resumed, reload, manyApis, idle]
