// Test harness for the cocreate interop suite.
//
// startServer() spawns the server under test (the cocreate binary, or the
// reference @y/websocket-server when INTEROP_PEER=reference), connect() opens a
// real y-websocket WebsocketProvider against it, and waitFor() waits for a
// condition by listening to Yjs / awareness events, with a bounded timeout.

import { spawn } from 'node:child_process'
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

/** Default bound for every wait in the suite. */
export const DEFAULT_TIMEOUT_MS = Number(process.env.INTEROP_TIMEOUT_MS || 10_000)
const START_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 10_000
const VERBOSE = process.env.INTEROP_VERBOSE === '1'

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g
const stripAnsi = (s) => s.replace(ANSI_RE, '')

/** A fresh, empty temporary directory; remove it with removeDir(). */
export const makeTempDir = (prefix = 'cocreate-interop-') =>
  mkdtemp(path.join(os.tmpdir(), prefix))

export const removeDir = (dir) => rm(dir, { recursive: true, force: true })

/** A port that was free a moment ago. Only used for the reference server, which cannot report an OS-assigned port. */
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
 * @param {{ dataDir?: string }} [opts] dataDir: the --data-dir to use (reuse it to
 *   restart on the same data). When omitted a fresh temp dir is created and
 *   removed again by stop().
 * @returns {Promise<{ addr: string, url: string, dataDir: string, peer: string,
 *   stop: () => Promise<{ code: number|null, signal: string|null }>, logs: () => string,
 *   exited: Promise<{ code: number|null, signal: string|null }> }>}
 *   url is the base URL to hand to WebsocketProvider (the room name is appended by the provider).
 */
export async function startServer ({ dataDir } = {}) {
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
    args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir]
    env = { ...process.env, NO_COLOR: '1' }
    addrRe = /listening.*?(\d+\.\d+\.\d+\.\d+:\d+)/
    urlOf = (addr) => `ws://${addr}/ws`
  }

  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let raw = '' // stdout + stderr as received
  const logs = () => stripAnsi(raw) // strip over the whole buffer: an escape sequence may span two chunks
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
      if (err) reject(err); else resolve(value)
    }
    const onData = (text) => {
      if (VERBOSE) process.stderr.write(`[${PEER}] ${text}`)
      raw += text
      if (raw.length > 1_000_000) raw = raw.slice(-500_000) // keep the tail for diagnostics
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
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
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
    if (!stopping) process.stderr.write(`[interop] ${PEER} server ${addr} exited unexpectedly (code=${code}, signal=${signal}); output:\n${logs()}\n`)
  })
  const stop = () => {
    if (stopping) return stopping
    stopping = (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        let timer
        const result = await Promise.race([
          exited,
          new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS) })
        ])
        clearTimeout(timer)
        if (result === null) {
          child.kill('SIGKILL')
          await exited
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

  return { addr, url: urlOf(addr), dataDir, peer: PEER, stop, exited, logs }
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
 *   providerOpts?: object }} [opts]
 *   onSync is called synchronously inside the provider's first 'sync' (true) event.
 */
export async function connect (url, room, opts = {}) {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, name = 'client', onSync, providerOpts = {} } = opts
  const doc = opts.doc ?? new Y.Doc()
  const provider = new WebsocketProvider(url, room, doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    ...providerOpts
  })
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
