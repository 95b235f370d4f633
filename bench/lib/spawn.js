// Starting and stopping the processes of a run: free ports, waiting for a
// port to accept or a log line to appear, and stopping a child (and, when it
// ignores the signal, killing it) so no run leaves a proxy behind.
import net from 'node:net'

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort () {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

function tryConnect (port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.on('connect', () => { s.destroy(); resolve(true) })
    s.on('error', () => resolve(false))
  })
}

/** Resolves when the port accepts; rejects if the child exits first or the time runs out. */
export async function waitForPort (port, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let stderr = ''
  child?.stderr?.on('data', (d) => { stderr += d })
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before listening on ${port}: ${stderr.slice(-2000)}`)
    if (await tryConnect(port)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms: ${stderr.slice(-2000)}`)
}

/** Resolves when a line of the child's stdout contains `needle`. */
export function waitForLine (child, needle, timeoutMs) {
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => done(new Error(`no '${needle}' after ${timeoutMs} ms; output: ${out.slice(-3000)}`)), timeoutMs)
    const onData = (d) => {
      out += d
      if (out.includes(needle)) done(null)
      if (out.length > 200_000) out = out.slice(-100_000)
    }
    const onExit = (code) => done(new Error(`exited (${code}) before '${needle}'; output: ${out.slice(-3000)}`))
    const done = (err) => {
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.stderr?.off('data', onData)
      child.off('exit', onExit)
      if (err) reject(err)
      else resolve(out)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.on('exit', onExit)
  })
}

/** Sends `signal`, waits up to `graceMs` for exit, then SIGKILLs. Resolves with the exit code. */
export function stopChild (child, signal = 'SIGTERM', graceMs = 10000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(child.exitCode); return }
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', (code) => { clearTimeout(timer); resolve(code) })
    child.kill(signal)
  })
}

/** Awaits `ready`; if it fails, kills the child (so no half-started proxy outlives the run) and rethrows. */
export async function readyOrKill (child, ready) {
  try {
    return await ready
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
}
