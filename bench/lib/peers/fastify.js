// Starts the @fastify/http-proxy peer (fastify-proxy.js) pinned to the proxy core.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { freePort } from '../spawn.js'
import { startNodeScript } from './node-script.js'

function version (pkg) {
  try {
    return JSON.parse(readFileSync(fileURLToPath(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url)), 'utf8')).version
  } catch { return 'unknown' }
}

export async function startFastify ({ material, upstreamPort, workers, cpu }) {
  const cfg = { host: '127.0.0.1', port: await freePort(), workers, upstreamPort, ec: material.ec, rsa: material.rsa }
  return startNodeScript({ file: 'fastify-proxy.js', envVar: 'BENCH_FASTIFY', name: 'fastify', cfg, cpu, version: `fastify ${version('fastify')}, @fastify/http-proxy ${version('@fastify/http-proxy')}` })
}
