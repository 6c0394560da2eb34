// Proves the deployment's promise (issue 9): a rolling restart of the nodes loses no update.
// deploy/local-cluster.sh starts the compose topology on loopback (redis-server with AOF, two
// cocreate nodes, nginx with deploy/nginx/cocreate.conf and TLS). Official y-websocket providers
// connect THROUGH nginx to one room and keep editing while node 1 and then node 2 are restarted
// (SIGTERM: the node closes its sockets with 1001, nginx passes that on, the providers reconnect
// through nginx to the other node). Afterwards every client holds every client's edits, all have
// identical state, and a fresh client gets all of it at sync.
// Every wait is on an event or a condition, bounded; the only timer paces the edits.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { setTimeout as pace } from 'node:timers/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'local-cluster.sh')
const CLIENTS = 4
/** Pause between one client's edits: sets the edit rate (load), synchronises nothing. */
const EDIT_EVERY_MS = 10
/** Edits each client makes before the first restart, and again after the last one. */
const EDITS_AROUND_RESTARTS = 20
/** Upper bound of each client's editing loop, far above what the restarts take. */
const MAX_EDITS = 5000
/** Bound of every wait. Reconnects back off up to 2.5 s, nginx skips a failed node for 2 s. */
const WAIT_MS = Number(process.env.DEPLOY_TEST_TIMEOUT_MS || 30_000)

/** Runs local-cluster.sh with its state in `dir`. */
function localCluster (dir) {
  const env = { ...process.env, LOCAL_CLUSTER_DIR: dir }
  const run = (...args) => new Promise((resolve, reject) => {
    execFile(script, args, { env, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`local-cluster.sh ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${stderr}`))
      else resolve(stdout)
    })
  })
  const settings = () => Object.fromEntries(readFileSync(path.join(dir, 'cluster.env'), 'utf8')
    .trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)))
  const log = (name) => readFileSync(path.join(dir, `${name}.log`), 'utf8')
  // Last resort if the test process dies before its after-hook: no cluster left running.
  const stopNow = () => {
    try { execFileSync(script, ['stop'], { env, stdio: 'ignore', timeout: 120_000 }) } catch {}
  }
  return { run, settings, log, stopNow }
}

/**
 * Resolves once `predicate()` holds, checked now and on every listed [emitter, event]; rejects
 * after WAIT_MS with `what` and `describe()`.
 */
function until (what, predicate, events, describe = () => '') {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!predicate()) return
      finish()
      resolve()
    }
    const finish = () => {
      clearTimeout(timer)
      for (const [emitter, name] of events) emitter.off(name, check)
    }
    const timer = setTimeout(() => {
      finish()
      reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}\n${describe()}`))
    }, WAIT_MS)
    for (const [emitter, name] of events) emitter.on(name, check)
    check()
  })
}

/** A provider through nginx (TLS, trusting the cluster's certificate) on a fresh doc. */
function openClient (settings, room, name) {
  const ca = readFileSync(settings.CA_CERT)
  class TrustingWebSocket extends WebSocket {
    constructor (url, protocols) { super(url, protocols, { ca }) }
  }
  const doc = new Y.Doc()
  // disableBc: all providers live in this process and would otherwise sync past the server.
  const provider = new WebsocketProvider(settings.WS_URL, room, doc, { WebSocketPolyfill: TrustingWebSocket, disableBc: true })
  const client = { name, doc, provider, edits: 0, closeCodes: [] }
  provider.on('connection-close', (event) => client.closeCodes.push(event?.code ?? 'local'))
  return client
}

const online = (c) => c.provider.wsconnected && c.provider.synced
const clientEvents = (clients) => clients.flatMap((c) => [[c.provider, 'sync'], [c.provider, 'status']])
const allOnline = (clients, what) => until(what, () => clients.every(online), clientEvents(clients),
  () => clients.map((c) => `${c.name}: connected=${c.provider.wsconnected} synced=${c.provider.synced} closes=${c.closeCodes}`).join('\n'))

/** Edits until told to stop (bounded by MAX_EDITS): each edit adds one numbered token. */
async function keepEditing (client, stop, progress) {
  const tokens = client.doc.getMap('tokens')
  const log = client.doc.getArray('log')
  while (!stop() && client.edits < MAX_EDITS) {
    const token = `${client.name}#${client.edits}`
    client.doc.transact(() => {
      tokens.set(token, client.edits)
      log.push([token])
    })
    client.edits++
    progress.emit('edit')
    await pace(EDIT_EVERY_MS)
  }
}

const editsSoFar = (clients) => clients.reduce((n, c) => n + c.edits, 0)
const content = (doc) => ({ tokens: doc.getMap('tokens').toJSON(), log: doc.getArray('log').toArray() })
const stateVector = (doc) => Y.decodeStateVector(Y.encodeStateVector(doc))

test('a rolling restart of both nodes behind nginx loses no edit, and every client converges', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cocreate-deploy-test-'))
  const cluster = localCluster(dir)
  process.once('exit', cluster.stopNow)
  const clients = []
  t.after(async () => {
    clients.forEach((c) => { c.provider.destroy(); c.doc.destroy() })
    await cluster.run('stop')
    process.off('exit', cluster.stopNow)
    // DEPLOY_TEST_KEEP=1 keeps the state and logs of the cluster (nodes, nginx, redis) to look at.
    if (process.env.DEPLOY_TEST_KEEP === '1') t.diagnostic(`cluster state and logs kept in ${dir}`)
    else await rm(dir, { recursive: true, force: true })
  })

  await cluster.run('start', '--', '--open-rooms')
  const settings = cluster.settings()
  const room = `rolling-${process.pid}-${Date.now().toString(36)}`
  for (let i = 0; i < CLIENTS; i++) clients.push(openClient(settings, room, `c${i}`))
  await allOnline(clients, 'every provider to sync through nginx')

  let stop = false
  const progress = new EventEmitter()
  const editing = Promise.all(clients.map((c) => keepEditing(c, () => stop, progress)))
  const editsReach = (target, what) => until(`every client to make ${target} edits ${what}`,
    () => clients.every((c) => c.edits >= target), [[progress, 'edit']], () => `edits: ${clients.map((c) => c.edits)}`)
  await editsReach(EDITS_AROUND_RESTARTS, 'before the restarts')

  for (const node of [1, 2]) {
    const before = editsSoFar(clients)
    await cluster.run('restart-node', String(node))
    await allOnline(clients, `every provider to be back in sync after node ${node}'s restart`)
    t.diagnostic(`node ${node} restarted while the clients made ${editsSoFar(clients) - before} edits`)
    assert.ok(editsSoFar(clients) > before, `the clients should keep editing while node ${node} restarts`)
  }
  const afterRestarts = Math.max(...clients.map((c) => c.edits))
  await editsReach(afterRestarts + EDITS_AROUND_RESTARTS, 'after the restarts')
  stop = true
  await editing
  assert.ok(clients.every((c) => c.edits < MAX_EDITS), 'the editing loops must have been stopped, not run out')

  // Every socket a node closed on SIGTERM reached its client as 1001, through nginx: each client
  // was on one of the two nodes when it was restarted.
  for (const c of clients) {
    assert.ok(c.closeCodes.includes(1001), `${c.name} should have seen its node go away with 1001 (saw ${c.closeCodes})`)
  }

  // Converged: each doc has each client's last edit (its own clock) and the same state.
  const clocks = new Map(clients.map((c) => [c.doc.clientID, Y.getState(c.doc.store, c.doc.clientID)]))
  const complete = (doc) => [...clocks].every(([id, clock]) => stateVector(doc).get(id) === clock)
  await until('every client to have every edit', () => clients.every((c) => complete(c.doc)),
    clients.map((c) => [c.doc, 'update']),
    () => clients.map((c) => `${c.name}: ${JSON.stringify([...stateVector(c.doc)])} expected ${JSON.stringify([...clocks])}`).join('\n'))
  const expected = clients.flatMap((c) => Array.from({ length: c.edits }, (_, i) => `${c.name}#${i}`)).sort()
  for (const c of clients) {
    assert.deepEqual(Object.keys(content(c.doc).tokens).sort(), expected, `${c.name} must hold every edit`)
    assert.deepEqual(content(c.doc), content(clients[0].doc), `${c.name} must equal ${clients[0].name}`)
    assert.ok(Y.equalSnapshots(Y.snapshot(c.doc), Y.snapshot(clients[0].doc)), `${c.name}: same state vector and delete set`)
  }

  // A fresh client through nginx gets everything at sync, each edit exactly once.
  const fresh = openClient(settings, room, 'fresh')
  clients.push(fresh)
  let atSync = null
  fresh.provider.once('sync', () => { atSync = content(fresh.doc) })
  await allOnline([fresh], 'a fresh client to sync')
  assert.deepEqual([...atSync.log].sort(), expected, 'the fresh client must have every edit exactly once')
  assert.deepEqual(atSync, content(clients[0].doc), 'the fresh client must equal the editors')

  // Each node went through exactly one graceful shutdown that stored everything in time.
  for (const node of ['node1', 'node2']) {
    const log = cluster.log(node)
    assert.equal(log.match(/"shutdown complete"/g)?.length, 1, `${node} should have logged one 'shutdown complete'`)
    assert.doesNotMatch(log, /shutdown grace elapsed/, `${node} must store every room within its shutdown grace`)
  }
})
