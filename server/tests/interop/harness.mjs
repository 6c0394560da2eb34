// Test harness for the cocreate interop suite.
//
// startServer() spawns the server under test (the cocreate binary, or the
// reference @y/websocket-server when INTEROP_PEER=reference), connect() opens a
// real y-websocket WebsocketProvider against it, and waitFor() waits for a
// condition by listening to Yjs / awareness events, with a bounded timeout.
// startRedis() spawns a private redis-server (unix socket only) for the
// multi-node tests.

import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { before, after } from 'node:test'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

export { Y, WebSocket, WebsocketProvider }

const here = path.dirname(fileURLToPath(import.meta.url))
/** The repository root: server/tests/interop -> ../../.. */
export const repoRoot = path.resolve(here, '..', '..', '..')

/** 'cocreate' (default) or 'reference' (the JS @y/websocket-server). */
export const PEER = process.env.INTEROP_PEER === 'reference' ? 'reference' : 'cocreate'
export const isReference = PEER === 'reference'
/** Whether the server under test persists rooms across restarts. */
export const supportsPersistence = !isReference

/** The admin key the harness starts cocreate with (for POST /api/sessions). */
export const ADMIN_KEY = 'interop-admin-key'

/** Default bound for every wait in the suite. */
export const DEFAULT_TIMEOUT_MS = Number(process.env.INTEROP_TIMEOUT_MS || 10_000)
const START_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 10_000
const VERBOSE = process.env.INTEROP_VERBOSE === '1'

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g
const stripAnsi = (s) => s.replace(ANSI_RE, '')

// Every child process the harness spawned and that has not exited yet. Tests stop their
// processes in after-hooks; this is the last resort if the test process itself dies (an
// uncaught error, process.exit, Ctrl-C, a runner timeout): no stray server or redis-server.
const liveChildren = new Set()
const track = (child) => {
  liveChildren.add(child)
  child.on('exit', () => liveChildren.delete(child))
}
const killAllChildren = () => {
  for (const child of liveChildren) {
    try { child.kill('SIGKILL') } catch {}
  }
}
process.on('exit', killAllChildren)
// every y-websocket provider adds a process 'exit' listener too: 20 providers are not a leak
process.setMaxListeners(Math.max(process.getMaxListeners(), 100))
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killAllChildren()
    process.kill(process.pid, sig) // the listener is gone: default action (terminate)
  })
}

/**
 * Collects a child's stdout + stderr (ANSI-stripped) and reports new output, so that tests can
 * wait for a log line instead of sleeping.
 */
function outputCollector (label) {
  const emitter = new EventEmitter()
  let raw = '' // as received; stripped over the whole buffer: an escape sequence may span two chunks
  let received = 0 // total characters ever received (raw keeps only the tail)
  const logs = () => stripAnsi(raw)
  const onData = (text) => {
    if (VERBOSE) process.stderr.write(`[${label}] ${text}`)
    raw += text
    received += text.length
    if (raw.length > 1_000_000) raw = raw.slice(-500_000) // keep the tail for diagnostics
    emitter.emit('output')
  }
  const attach = (child) => {
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
  }
  /** A position in the output; logsSince(mark) is what came after it. */
  const mark = () => received
  const logsSince = (m) => stripAnsi(raw.slice(Math.max(0, m - (received - raw.length))))
  return { emitter, logs, attach, mark, logsSince }
}

/**
 * Wait until a complete output line of `proc` (a startServer() or startRedis() result) written
 * after `since` (default: now) matches `re`. Resolves with the line.
 */
export function waitForLog (proc, re, { since = proc.mark(), timeoutMs = DEFAULT_TIMEOUT_MS, what = `a log line matching ${re}` } = {}) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const lines = proc.logsSince(since).split('\n').slice(0, -1)
      const line = lines.find((l) => re.test(l))
      if (line === undefined) return false
      proc.output.off('output', check)
      clearTimeout(timer)
      resolve(line)
      return true
    }
    const timer = setTimeout(() => {
      proc.output.off('output', check)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output since then:\n${proc.logsSince(since)}`))
    }, timeoutMs)
    proc.output.on('output', check)
    check()
  })
}

/** Wait for a child's exit, SIGKILLing it after timeoutMs. Resolves { code, signal, timedOut }. */
async function exitWithin (child, exited, timeoutMs) {
  let timer
  const result = await Promise.race([
    exited,
    new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs) })
  ])
  clearTimeout(timer)
  if (result !== null) return { ...result, timedOut: false }
  child.kill('SIGKILL')
  return { ...(await exited), timedOut: true }
}

/** A fresh, empty temporary directory; remove it with removeDir(). */
export const makeTempDir = (prefix = 'cocreate-interop-') =>
  mkdtemp(path.join(os.tmpdir(), prefix))

export const removeDir = (dir) => rm(dir, { recursive: true, force: true })

/** A port that was free a moment ago. Only for the reference server, which cannot report an OS-assigned port, and for Redis Cluster. */
const findFreePort = () => new Promise((resolve, reject) => {
  const srv = net.createServer()
  srv.unref()
  srv.on('error', reject)
  srv.listen(0, '127.0.0.1', () => {
    const { port } = srv.address()
    srv.close(() => resolve(port))
  })
})

/**
 * Start the server under test.
 *
 * @param {{ dataDir?: string, redisUrl?: string, prefix?: string, nodeId?: string }} [opts]
 *   dataDir: the --data-dir to use (reuse it to restart on the same data). When omitted a fresh
 *   temp dir is created and removed again by stop() / kill().
 *   redisUrl, prefix, nodeId: --redis-url, --redis-prefix, --node-id (cocreate only): store rooms
 *   in Redis; nodes with the same URL and prefix serve the same rooms.
 * @returns {Promise<{ addr: string, url: string, dataDir: string, peer: string, nodeId?: string,
 *   pid: number, running: () => boolean, stop: () => Promise<{ code: number|null, signal: string|null }>,
 *   kill: () => Promise<{ code: number|null, signal: string|null }>,
 *   logs: () => string, mark: () => number, logsSince: (mark: number) => string, output: EventEmitter,
 *   exited: Promise<{ code: number|null, signal: string|null }> }>}
 *   url is the base URL to hand to WebsocketProvider (the room name is appended by the provider).
 *   stop() sends SIGTERM (SIGKILL after 10 s, then rejects); kill() sends SIGKILL.
 */
export async function startServer ({ dataDir, redisUrl, prefix, nodeId } = {}) {
  if (isReference && (redisUrl || prefix || nodeId)) {
    throw new Error('the reference server has no Redis mode: skip this test when isReference')
  }
  const ownsDataDir = dataDir === undefined
  if (ownsDataDir) dataDir = await makeTempDir()

  let cmd, args, env, addrRe, urlOf
  if (isReference) {
    const port = await findFreePort()
    cmd = process.execPath
    args = [path.join(here, 'node_modules', '@y', 'websocket-server', 'src', 'server.js')]
    env = { ...process.env, HOST: '127.0.0.1', PORT: String(port) }
    delete env.YPERSISTENCE // the reference server is run without persistence
    // it logs: running at '127.0.0.1' on port 43817
    addrRe = /running at '([^']+)' on port (\d+)/
    // The reference server uses the whole URL path (minus the leading '/' and the query) as the room name.
    urlOf = (addr) => `ws://${addr}`
  } else {
    cmd = process.env.COCREATE_BIN || path.join(repoRoot, 'target', 'debug', 'cocreate')
    if (!existsSync(cmd)) {
      throw new Error(`cocreate binary not found at ${cmd}: build it (cargo build) or set COCREATE_BIN; ` +
        'or run the suite against the reference server with INTEROP_PEER=reference')
    }
    // Rate limits out of the way: these clients edit far faster than people do.
    args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--open-rooms', '--admin-key', ADMIN_KEY,
      '--max-messages-per-second', '1000000', '--max-bytes-per-second', '1099511627776',
      '--join-attempts-per-minute', '1000000']
    if (redisUrl) args.push('--redis-url', redisUrl)
    if (prefix) args.push('--redis-prefix', prefix)
    if (nodeId) args.push('--node-id', nodeId)
    env = { ...process.env, NO_COLOR: '1' }
    // the command line wins, but do not let a developer's environment sneak Redis into plain tests
    for (const k of ['COCREATE_REDIS_URL', 'COCREATE_REDIS_PREFIX', 'COCREATE_NODE_ID']) delete env[k]
    addrRe = /listening.*?(\d+\.\d+\.\d+\.\d+:\d+)/
    urlOf = (addr) => `ws://${addr}/ws`
  }

  const label = nodeId ? `${PEER} ${nodeId}` : PEER
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  track(child)
  const out = outputCollector(label)
  const { logs } = out
  out.attach(child)
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })

  const addr = await new Promise((resolve, reject) => {
    reject = ((rej) => (err) => {
      const cleanup = ownsDataDir ? exited.then(() => removeDir(dataDir)) : Promise.resolve()
      cleanup.finally(() => rej(err))
    })(reject)
    let done = false
    const finish = (err, value) => {
      if (done) return
      done = true
      clearTimeout(timer)
      out.emitter.off('output', onOutput)
      if (err) reject(err); else resolve(value)
    }
    const onOutput = () => {
      if (done) return
      const output = logs()
      // ignore a logged port 0 (e.g. the configured --listen value): only the bound address counts
      // complete lines only: a chunk may end in the middle of the port number
      for (const line of output.split('\n').slice(0, -1)) {
        const m = addrRe.exec(line)
        if (!m) continue
        const found = isReference ? `${m[1]}:${m[2]}` : m[1]
        if (!found.endsWith(':0')) { finish(null, found); return }
      }
    }
    out.emitter.on('output', onOutput)
    child.on('error', (err) => finish(new Error(`failed to spawn ${cmd}: ${err.message}`)))
    child.on('exit', (code, signal) => finish(new Error(
      `server exited (code=${code}, signal=${signal}) before logging its address; output:\n${logs()}`)))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      finish(new Error(`server did not log a listening address within ${START_TIMEOUT_MS} ms; output:\n${logs()}`))
    }, START_TIMEOUT_MS)
  })

  let stopping = null
  // A crash mid-test would otherwise only show up as timeouts: say so, with the server's output.
  exited.then(({ code, signal }) => {
    if (!stopping) process.stderr.write(`[interop] ${label} server ${addr} exited unexpectedly (code=${code}, signal=${signal}); output:\n${logs()}\n`)
  })
  const running = () => child.exitCode === null && child.signalCode === null
  const stop = () => {
    if (stopping) return stopping
    stopping = (async () => {
      if (running()) {
        child.kill('SIGTERM')
        const { timedOut } = await exitWithin(child, exited, STOP_TIMEOUT_MS)
        if (timedOut) {
          if (ownsDataDir) await removeDir(dataDir)
          throw new Error(`server did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM; output:\n${logs()}`)
        }
      }
      const result = await exited
      if (ownsDataDir) await removeDir(dataDir)
      return result
    })()
    return stopping
  }
  /** SIGKILL: no shutdown at all, as in a crash. */
  const kill = () => {
    if (stopping) return stopping
    stopping = (async () => {
      if (running()) child.kill('SIGKILL')
      const result = await exited
      if (ownsDataDir) await removeDir(dataDir)
      return result
    })()
    return stopping
  }

  return {
    addr,
    url: urlOf(addr),
    dataDir,
    peer: PEER,
    nodeId,
    pid: child.pid,
    running,
    stop,
    kill,
    exited,
    logs,
    mark: out.mark,
    logsSince: out.logsSince,
    output: out.emitter
  }
}

/**
 * Start a private redis-server that listens on a unix socket only (--port 0: no TCP port),
 * with an append-only file fsynced on every write, so that a graceful stop + restart() on the
 * same dir keeps everything. Needs redis-server on PATH (or REDIS_SERVER=<path>).
 *
 * @param {{ dir?: string, port?: number, args?: string[], label?: string }} [opts]
 *   dir: the --dir (AOF + socket); a fresh temp dir by default, removed by dispose().
 *   port: listen on TCP 127.0.0.1:port instead of a unix socket (only startRedisCluster() does:
 *   Redis Cluster cannot use unix sockets). args: more redis-server options (each at most once).
 * @returns {Promise<{ url: string, socket?: string, port?: number, dir: string,
 *   stop: (signal?: string) => Promise<{ code: number|null, signal: string|null }>,
 *   restart: () => Promise<void>, dispose: () => Promise<void>, running: () => boolean,
 *   logs: () => string, mark: () => number, logsSince: (mark: number) => string, output: EventEmitter }>}
 *   url is 'redis+unix://<socket>' (or 'redis://127.0.0.1:<port>') for --redis-url.
 */
export async function startRedis ({ dir, port, args: extraArgs = [], label } = {}) {
  const bin = process.env.REDIS_SERVER || 'redis-server'
  const ownsDir = dir === undefined
  if (ownsDir) dir = await makeTempDir('cocreate-interop-redis-')
  const socket = port === undefined ? path.join(dir, 'redis.sock') : undefined
  const where = socket ?? `127.0.0.1:${port}`
  const out = outputCollector(label ?? (socket ? 'redis' : `redis ${where}`))
  let current = null // { child, exited, stopping }
  const listen = socket
    ? ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700']
    : ['--port', String(port), '--bind', '127.0.0.1']
  const persistence = extraArgs.includes('--appendonly') ? [] : ['--appendonly', 'yes', '--appendfsync', 'always']
  const args = [...listen, '--save', '', ...persistence, '--dir', dir, '--daemonize', 'no', ...extraArgs]

  const spawnRedis = async () => {
    const since = out.mark()
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    track(child)
    out.attach(child)
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
    const proc = { child, exited, stopping: null }
    current = proc
    exited.then(({ code, signal }) => {
      if (!proc.stopping) process.stderr.write(`[interop] redis-server ${where} exited unexpectedly (code=${code}, signal=${signal}); output:\n${out.logs()}\n`)
    })
    await new Promise((resolve, reject) => {
      let done = false
      const finish = (err) => {
        if (done) return
        done = true
        clearTimeout(timer)
        out.emitter.off('output', onOutput)
        if (err) {
          proc.stopping = exited
          child.kill('SIGKILL')
          reject(err)
        } else {
          resolve()
        }
      }
      // 7.0 on a unix socket only: "The server is now ready to accept connections at <sock>";
      // with TCP: "Ready to accept connections tcp"
      const onOutput = () => {
        if (out.logsSince(since).split('\n').slice(0, -1).some((l) => /ready to accept connections/i.test(l))) finish()
      }
      out.emitter.on('output', onOutput)
      child.on('error', (err) => finish(new Error(`failed to spawn ${bin} (install redis-server, or set REDIS_SERVER): ${err.message}`)))
      child.on('exit', (code, signal) => finish(new Error(`redis-server exited (code=${code}, signal=${signal}) before it was ready; output:\n${out.logsSince(since)}`)))
      const timer = setTimeout(() => finish(new Error(`redis-server not ready within ${START_TIMEOUT_MS} ms; output:\n${out.logsSince(since)}`)), START_TIMEOUT_MS)
      onOutput()
    })
  }

  const running = () => current !== null && current.child.exitCode === null && current.child.signalCode === null
  /** Stop with `signal` (SIGTERM: graceful, the AOF is fsynced) and wait for the exit. */
  const stop = async (signal = 'SIGTERM') => {
    const proc = current
    if (!proc) return { code: null, signal: null }
    if (!proc.stopping) {
      proc.stopping = (async () => {
        if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal)
        const { timedOut, ...result } = await exitWithin(proc.child, proc.exited, STOP_TIMEOUT_MS)
        if (timedOut) throw new Error(`redis-server did not exit within ${STOP_TIMEOUT_MS} ms of ${signal}; output:\n${out.logs()}`)
        return result
      })()
    }
    return proc.stopping
  }
  /** Stop gracefully, then start again on the same dir and socket (the AOF is reloaded). */
  const restart = async () => {
    await stop('SIGTERM')
    await spawnRedis()
  }
  /** Stop (if running) and remove the dir if startRedis() created it. */
  const dispose = async () => {
    try {
      await stop('SIGTERM')
    } finally {
      if (ownsDir) await removeDir(dir)
    }
  }

  try {
    await spawnRedis()
  } catch (err) {
    if (ownsDir) await removeDir(dir)
    throw err
  }
  return {
    url: socket ? `redis+unix://${socket}` : `redis://${where}`,
    socket,
    port,
    dir,
    stop,
    restart,
    dispose,
    running,
    logs: out.logs,
    mark: out.mark,
    logsSince: out.logsSince,
    output: out.emitter
  }
}

/**
 * Connect a y-websocket provider with a fresh (or given) Y.Doc and wait until it
 * has synced with the server.
 *
 * BroadcastChannel sync is disabled: all providers of a test live in one
 * process, and y-websocket would otherwise sync them with each other directly,
 * bypassing the server under test.
 *
 * @param {string} url base URL from startServer()
 * @param {string} room
 * @param {{ doc?: Y.Doc, timeoutMs?: number, name?: string,
 *   onSync?: (doc: Y.Doc, provider: WebsocketProvider) => void,
 *   providerOpts?: object, messageHandlers?: object }} [opts]
 *   onSync is called synchronously inside the provider's first 'sync' (true) event.
 *   messageHandlers ({type: handler}) are the provider's for message types y-websocket does not
 *   know (cocreate's own, asked for with `params: {cocreate: '1'}`), set before any message arrives.
 */
export async function connect (url, room, opts = {}) {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, name = 'client', onSync, providerOpts = {} } = opts
  const doc = opts.doc ?? new Y.Doc()
  const provider = new WebsocketProvider(url, room, doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    ...providerOpts
  })
  Object.assign(provider.messageHandlers, opts.messageHandlers)
  const client = { doc, provider, awareness: provider.awareness, name }
  await new Promise((resolve, reject) => {
    const onSynced = (isSynced) => {
      if (!isSynced) return
      provider.off('sync', onSynced)
      clearTimeout(timer)
      try {
        if (onSync) onSync(doc, provider)
        resolve()
      } catch (err) {
        reject(err)
      }
    }
    const timer = setTimeout(() => {
      provider.off('sync', onSynced)
      destroyClient(client)
      reject(new Error(`${name}: provider for room '${room}' at ${url} did not sync within ${timeoutMs} ms`))
    }, timeoutMs)
    provider.on('sync', onSynced)
  })
  return client
}

/**
 * An HTTP call to a startServer() (or sharedServer()) server's API, with `token` as the bearer;
 * returns [status, JSON body].
 */
export async function api (server, method, path, { token, body } = {}) {
  const base = server.url.replace(/^ws:/, 'http:').replace(/\/ws$/, '')
  const headers = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  const response = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) })
  return [response.status, await response.json()]
}

/** Destroy a client's provider (closing its socket) and its doc. Safe to call twice. */
export function destroyClient (client) {
  if (!client || client.destroyed) return
  client.destroyed = true
  client.provider.destroy()
  client.doc.destroy()
}

/**
 * Wait until `predicate()` is true. It is checked once immediately and then
 * after every 'update' event of the given docs and every 'change' event of the
 * given awareness instances (plus any extra [emitter, eventName] pairs).
 * Rejects with a clear message after timeoutMs.
 *
 * @param {() => boolean} predicate
 * @param {{ docs?: Y.Doc[], awarenesses?: any[], events?: Array<[any, string]>,
 *   timeoutMs?: number, what?: string, describe?: () => string }} opts
 *   describe() adds the current state to the timeout message.
 */
export function waitFor (predicate, opts = {}) {
  const { docs = [], awarenesses = [], events = [], timeoutMs = DEFAULT_TIMEOUT_MS, what = 'condition', describe } = opts
  const subs = [
    ...docs.map((d) => [d, 'update']),
    ...awarenesses.map((a) => [a, 'change']),
    ...events
  ]
  return new Promise((resolve, reject) => {
    let done = false
    const cleanup = () => {
      done = true
      clearTimeout(timer)
      for (const [emitter, ev] of subs) emitter.off(ev, check)
    }
    const check = () => {
      if (done) return
      let ok
      try {
        ok = predicate()
      } catch (err) {
        cleanup()
        reject(err)
        return
      }
      if (ok) {
        cleanup()
        resolve()
      }
    }
    const timer = setTimeout(() => {
      if (done) return
      cleanup()
      let detail = ''
      if (describe) {
        try { detail = '\n' + describe() } catch (err) { detail = `\n(describe failed: ${err.message})` }
      }
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`))
    }, timeoutMs)
    for (const [emitter, ev] of subs) emitter.on(ev, check)
    check()
  })
}

/** Resolve on the next `event` emitted by a lib0 Observable (e.g. provider 'status'), bounded. */
export function nextEvent (emitter, event, { filter = () => true, timeoutMs = DEFAULT_TIMEOUT_MS, what = `'${event}' event` } = {}) {
  return new Promise((resolve, reject) => {
    const handler = (...args) => {
      if (!filter(...args)) return
      emitter.off(event, handler)
      clearTimeout(timer)
      resolve(args)
    }
    const timer = setTimeout(() => {
      emitter.off(event, handler)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
    }, timeoutMs)
    emitter.on(event, handler)
  })
}

/** Deterministic PRNG (mulberry32) so random tests are reproducible from a printed seed. */
export function prng (seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n) => Math.floor(next() * n), // 0 <= x < n
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    word: (len = 3) => Array.from({ length: len }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(next() * 26)]).join('')
  }
}

/** A room name unique to this run, so reruns against a long-lived server never collide. */
export const uniqueRoom = (label) => `${label}-${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`

/** True when the two docs have the same state vector and the same delete set. */
export const sameState = (a, b) => Y.equalSnapshots(Y.snapshot(a), Y.snapshot(b))

// y-websocket's provider logs this for every message type it has no handler for. The server
// must never send a plain Yjs client such a message (cocreate's own types are opt-in).
const unknownMessages = []
const consoleError = console.error
console.error = (...args) => {
  if (args[0] === 'Unable to compute message') unknownMessages.push(args)
  consoleError(...args)
}

/** How many messages of a type y-websocket does not know the clients of this process received so far. */
export const unknownMessageCount = () => unknownMessages.length

/**
 * One server for a whole test file, started before its tests and stopped after them, with the
 * clients the tests register destroyed first. `server.url` is read lazily, once it is running.
 */
export function sharedServer () {
  let running
  const clients = []
  before(async () => { running = await startServer() })
  after(async () => {
    clients.forEach(destroyClient)
    if (running) await running.stop()
    if (unknownMessages.length > 0) {
      throw new Error(`the server sent ${unknownMessages.length} message(s) of a type y-websocket does not know`)
    }
  })
  const server = { get url () { return running.url } }
  return { server, clients }
}

/** The seed for a random test: INTEROP_SEED if set, else a fresh one. Print it. */
export const pickSeed = () => process.env.INTEROP_SEED ? Number(process.env.INTEROP_SEED) : Math.floor(Math.random() * 2 ** 31)

/**
 * One random edit on doc's Y.Text 'text', Y.Array 'array' or Y.Map 'map' (inserts, deletes,
 * map sets and deletes), drawn from rng (see prng()).
 */
export function randomEdit (rng, doc) {
  const text = doc.getText('text')
  const arr = doc.getArray('array')
  const map = doc.getMap('map')
  switch (rng.int(6)) {
    case 0:
    case 1: // insert more than we delete so the documents stay non-trivial
      text.insert(rng.int(text.length + 1), rng.word(1 + rng.int(4)))
      break
    case 2:
      if (text.length > 0) {
        const i = rng.int(text.length)
        text.delete(i, 1 + rng.int(Math.min(3, text.length - i)))
      } else {
        text.insert(0, rng.word(2))
      }
      break
    case 3:
      if (arr.length > 0 && rng.int(3) === 0) {
        arr.delete(rng.int(arr.length), 1)
      } else {
        arr.insert(rng.int(arr.length + 1), [rng.int(1000), rng.word(2)])
      }
      break
    case 4:
      map.set(`k${rng.int(6)}`, rng.next() < 0.5 ? rng.word(3) : { n: rng.int(100), from: doc.clientID })
      break
    case 5:
      if (rng.int(2) === 0) map.delete(`k${rng.int(6)}`)
      else map.set(`k${rng.int(6)}`, rng.int(10_000))
      break
  }
}

/** The JSON content of the shared types the random tests use. */
export const contentOf = (doc) => ({
  text: doc.getText('text').toString(),
  array: doc.getArray('array').toJSON(),
  map: doc.getMap('map').toJSON()
})

const svOf = (doc) => Y.decodeStateVector(Y.encodeStateVector(doc))

/** Wait until `reader` holds exactly `writer`'s state (content, state vector, delete set). */
export const waitSameState = (reader, writer, what) => waitFor(() => sameState(reader.doc, writer.doc), {
  docs: [reader.doc],
  what,
  describe: () => `${reader.name}=${JSON.stringify(contentOf(reader.doc))} expected=${JSON.stringify(contentOf(writer.doc))}`
})

/**
 * Connect a fresh client and capture, synchronously inside its first 'sync' event, `content(doc)`
 * and the doc's snapshot: what the server handed over before the provider said it was synced.
 * Returns `{ client, atSync: { content, snapshot } }`.
 */
export async function joinAtSync (url, room, name, content = contentOf) {
  let atSync = null
  const client = await connect(url, room, {
    name,
    onSync: (doc) => { atSync = { content: content(doc), snapshot: Y.snapshot(doc) } }
  })
  return { client, atSync }
}

/**
 * Wait until every doc has every other doc's edits: each doc's state vector holds exactly each
 * doc's own clock (every doc only creates structs under its own client id, so this is the
 * complete state vector), and all delete sets are equal (deletions do not advance the state
 * vector; each deleter has its own deletions, so equal delete sets mean every delete arrived).
 * Call it after the last local edit. `names` label the docs in the timeout message.
 */
export function waitConverged (docs, { names = docs.map((_, i) => `doc${i}`), timeoutMs = DEFAULT_TIMEOUT_MS, what = `all ${docs.length} docs to converge` } = {}) {
  const expectedSv = new Map(docs.map((d) => [d.clientID, Y.getState(d.store, d.clientID)]))
  const hasEverything = (d) => {
    const sv = svOf(d)
    for (const [client, clock] of expectedSv) if ((sv.get(client) ?? 0) !== clock) return false
    return sv.size === expectedSv.size
  }
  return waitFor(() => docs.every(hasEverything) && docs.every((d) => sameState(d, docs[0])), {
    docs,
    timeoutMs,
    what,
    describe: () => {
      const missing = (d) => [...expectedSv].filter(([client, clock]) => (svOf(d).get(client) ?? 0) !== clock)
        .map(([client, clock]) => `${client}:${svOf(d).get(client) ?? 0}/${clock}`).join(' ')
      return docs.map((d, i) => `${names[i]}: missing=[${missing(d)}] sameSvAndDeleteSetAs${names[0]}=${sameState(d, docs[0])}`).join('\n')
    }
  })
}

/** Run a command to completion (bounded); rejects with its output unless it exits 0. */
function run (cmd, args, { timeoutMs = START_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    track(child)
    const out = outputCollector(path.basename(cmd))
    out.attach(child)
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (err) => { clearTimeout(timer); reject(new Error(`failed to spawn ${cmd}: ${err.message}`)) })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(out.logs())
      else reject(new Error(`${cmd} ${args.join(' ')} failed (code=${code}, signal=${signal}${signal === 'SIGKILL' ? `, killed after ${timeoutMs} ms` : ''}); output:\n${out.logs()}`))
    })
  })
}

/**
 * Start a local Redis Cluster of `masters` redis-servers (no replicas) and wait until every node
 * reports the cluster state ok. The ONLY place in the suite that uses TCP ports (Redis Cluster
 * cannot use unix sockets): each node needs a client port and a cluster-bus port, taken by
 * binding port 0 on 127.0.0.1 and closing again (a tiny race with other programs, reported as a
 * start failure). Needs redis-server and redis-cli (REDIS_SERVER / REDIS_CLI to pick them).
 *
 * @returns {Promise<{ url: string, nodes: object[], dispose: () => Promise<void> }>}
 *   url lists every node, comma-separated: that selects cocreate's cluster mode.
 */
export async function startRedisCluster ({ masters = 3 } = {}) {
  const cli = process.env.REDIS_CLI || 'redis-cli'
  const nodes = []
  const dispose = async () => {
    const results = await Promise.allSettled(nodes.map((n) => n.dispose()))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
  }
  try {
    const ports = []
    while (ports.length < masters * 2) {
      const p = await findFreePort()
      if (!ports.includes(p)) ports.push(p)
    }
    for (let i = 0; i < masters; i++) {
      const [port, busPort] = [ports[2 * i], ports[2 * i + 1]]
      nodes.push(await startRedis({
        port,
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(busPort),
          '--appendonly', 'no', '--cluster-node-timeout', '5000']
      }))
    }
    const marks = nodes.map((n) => n.mark())
    await run(cli, ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas', '0', '--cluster-yes'], { timeoutMs: 30_000 })
    await Promise.all(nodes.map((n, i) => waitForLog(n, /Cluster state changed: ok/, {
      since: marks[i],
      timeoutMs: 30_000,
      what: `Redis Cluster node 127.0.0.1:${n.port} to report the cluster state ok`
    })))
  } catch (err) {
    await dispose().catch(() => {})
    throw err
  }
  return { url: nodes.map((n) => n.url).join(','), nodes, dispose }
}
