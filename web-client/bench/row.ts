// One row for one client: a fresh development room holding the row's journey map, the remote
// typists in it, a viewer opening the board (time until usable), a second of warm-up typing, then
// the measured typing and the viewer catching up with it.

import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as Y from 'yjs'
import type { Browser } from 'playwright-core'
import type { Server } from '../e2e/launcher'
import type { Client, Row } from './options'
import type { JourneyMap } from './journey-map'
import { Typist, connect, whenSynced } from './typist'
import { keystrokeLatencies, typed } from './keystrokes'
import { Viewer, type CpuProfile } from './viewer'
import { hotspots, type Hotspot } from './hotspots'
import { percentile, median } from './stats'
import { renderingCosts, type RenderingCost } from './rendering'

/** How long the viewer may take, after the last keystroke, to show every typist's text. */
const CATCH_UP_MS = 20_000

export interface Measurement extends Row {
  client: string
  /** navigation -> every card in the DOM and one takes focus, ms */
  usableMs: number
  /** measured keystrokes sent (all typists) */
  keystrokes: number
  /** remote updates the viewer applied during the measurement (keystrokes when the client does not say) */
  updates: number
  /** main-thread task time during the measurement, ms */
  taskMs: number
  /** wall time of the measurement, ms */
  wallMs: number
  /** main-thread CPU time during the measurement, ms */
  cpuMs: number
  /** taskMs / updates */
  msPerUpdate: number
  /** cpuMs / updates */
  cpuMsPerUpdate: number
  /** taskMs / wallMs */
  busy: number
  /** keystroke -> its text on screen, ms (the keystrokes seen) */
  p50?: number
  p95?: number
  /** measured keystrokes seen on screen (less than keystrokes when the viewer did not catch up) */
  seen: number
  /** the viewer showed every keystroke within CATCH_UP_MS of the last one */
  caughtUp: boolean
  /** with --repeat: how many runs the figures are the median of */
  runs?: number
  /** where the main thread went, with --profile: JavaScript functions */
  hotspots?: Hotspot[]
  /** ... and the browser's rendering */
  rendering?: RenderingCost[]
}

let roomSeq = 0

export async function measureRow (server: Server, browser: Browser, client: Client, row: Row, board: JourneyMap, seconds: number, profileDir?: string): Promise<Measurement> {
  const room = `bench-${row.cards}x${row.typists}-${process.pid}-${roomSeq++}`
  const seedDoc = new Y.Doc()
  const seeder = connect(server.url, room, seedDoc)
  const typists = board.typistCards.map((card, k) => new Typist(server.url, room, card, `Typist ${k}`))
  let viewer: Viewer | undefined
  try {
    await whenSynced(seeder)
    Y.applyUpdate(seedDoc, board.update)
    await Promise.all(typists.map((t) => t.synced()))
    seeder.destroy()

    viewer = await Viewer.open(browser, row.cpu)
    const usableMs = await viewer.openBoard(`${server.url}/#room=${encodeURIComponent(room)}&template=journey-map`, row.cards)
    await viewer.watch(board.typistCards)
    const v = viewer
    const typeAll = async (count: number): Promise<boolean> => {
      // staggered evenly over one keystroke interval
      await Promise.all(typists.map((t, k) => t.type(count, row.rate, (k * 1000) / (row.rate * typists.length))))
      return await caughtUp(v, typists, board)
    }
    if (!await typeAll(Math.max(2, Math.round(row.rate)))) throw new Error(`${client.name}: the viewer did not show the warm-up typing within ${CATCH_UP_MS} ms`)
    const warm = typists.map((t) => t.count)
    const perTypist = Math.max(1, Math.round(row.rate * seconds))
    let done = false
    let profiled: { profile: CpuProfile, trace: string } | undefined
    const work = async (): Promise<void> => { done = await typeAll(perTypist) }
    const main = await v.measure(profileDir ? async () => { profiled = await v.profile(work) } : work)
    let hot: Hotspot[] | undefined
    let rendering: RenderingCost[] | undefined
    if (profileDir && profiled) {
      const name = path.join(profileDir, `${client.name}-${row.cards}x${row.typists}@${row.cpu}`)
      mkdirSync(profileDir, { recursive: true })
      writeFileSync(`${name}.cpuprofile`, JSON.stringify(profiled.profile))
      writeFileSync(`${name}.trace.json`, profiled.trace)
      hot = await hotspots(profiled.profile, client.dist)
      rendering = renderingCosts(profiled.trace)
    }
    const latencies = keystrokeLatencies(await v.take(), typists, board.texts, warm)
    const keystrokes = perTypist * typists.length
    const updates = main.updates || keystrokes
    return {
      ...row,
      client: client.name,
      usableMs,
      keystrokes,
      updates,
      taskMs: main.taskMs,
      wallMs: main.wallMs,
      cpuMs: main.cpuMs,
      msPerUpdate: main.taskMs / updates,
      cpuMsPerUpdate: main.cpuMs / updates,
      busy: main.taskMs / main.wallMs,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      seen: latencies.length,
      caughtUp: done,
      hotspots: hot,
      rendering
    }
  } finally {
    await viewer?.close()
    for (const t of typists) t.destroy()
    seeder.destroy()
    seedDoc.destroy()
  }
}

/** Waits (bounded, polling the page's notes) until every typist's text is on screen. */
async function caughtUp (viewer: Viewer, typists: Typist[], board: JourneyMap): Promise<boolean> {
  const end = Date.now() + CATCH_UP_MS
  for (;;) {
    const latest = await viewer.latest()
    if (typists.every((t) => latest[t.card]?.includes(board.texts.get(t.card)! + typed(t.count)))) return true
    if (Date.now() > end) return false
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
/**
 * Repeated runs of one row and client as one: the median of each figure (a run the machine's
 * other work disturbed moves it less than a mean), the keystrokes of all runs.
 */
export function medianRun (runs: Measurement[]): Measurement {
  if (runs.length === 1) return runs[0]
  const mid = (f: (m: Measurement) => number | undefined): number => median(runs.map(f)) ?? NaN
  return {
    ...runs[0],
    usableMs: mid((m) => m.usableMs),
    keystrokes: runs.reduce((n, m) => n + m.keystrokes, 0),
    updates: runs.reduce((n, m) => n + m.updates, 0),
    taskMs: mid((m) => m.taskMs),
    wallMs: mid((m) => m.wallMs),
    cpuMs: mid((m) => m.cpuMs),
    msPerUpdate: mid((m) => m.msPerUpdate),
    cpuMsPerUpdate: mid((m) => m.cpuMsPerUpdate),
    busy: mid((m) => m.busy),
    p50: median(runs.map((m) => m.p50)),
    p95: median(runs.map((m) => m.p95)),
    seen: runs.reduce((n, m) => n + m.seen, 0),
    caughtUp: runs.every((m) => m.caughtUp),
    runs: runs.length
  }
}
