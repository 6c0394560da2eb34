// The person watching the board: a fresh Chromium profile on the development room, measured
// from outside the client through the DevTools protocol, so that any client can be measured the
// same way: CPU throttling (Emulation), main-thread time (Performance.getMetrics TaskDuration),
// an optional CPU profile (Profiler), and a MutationObserver put into the page by the benchmark
// (never by the client) that notes when a typist's card shows new text.

import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core'
import type { Seen } from './keystrokes'

/** How long a board may take to become usable, and a viewer to catch up after the typing. */
const USABLE_MS = 60_000


export interface MainThread {
  /** main-thread task time, ms (CDP TaskDuration: wall time inside tasks) */
  taskMs: number
  /** main-thread CPU time, ms (CDP ThreadTime: what the tasks cost without waiting for a CPU) */
  cpuMs: number
  /** wall time, ms (CDP Timestamp) */
  wallMs: number
  /** remote Yjs updates the page applied, when the client exposes its doc (window.__cocreate) */
  updates?: number
}

interface Metrics { task: number, cpu: number, wall: number, updates?: number }

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number, columnNumber: number }, hitCount?: number }
/** A CPU profile as the DevTools protocol returns it (and DevTools opens, as .cpuprofile). */
export interface CpuProfile { nodes: ProfileNode[], startTime: number, endTime: number, samples?: number[], timeDeltas?: number[] }

export class Viewer {
  private constructor (readonly ctx: BrowserContext, readonly page: Page, readonly cdp: CDPSession) {}

  /** A fresh profile (empty IndexedDB: the board comes from the server) with a desktop window. */
  static async open (browser: Browser, cpuThrottle: number): Promise<Viewer> {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, reducedMotion: 'reduce' })
    ctx.setDefaultTimeout(USABLE_MS)
    const page = await ctx.newPage()
    const cdp = await ctx.newCDPSession(page)
    if (cpuThrottle > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuThrottle })
    await cdp.send('Performance.enable', { timeDomain: 'timeTicks' })
    return new Viewer(ctx, page, cdp)
  }

  /**
   * Opens the room and returns the ms from navigation until the board is usable: every one of
   * `cards` items is in the DOM (by data-id) and one of them takes keyboard focus.
   */
  async openBoard (url: string, cards: number): Promise<number> {
    const errors: string[] = []
    this.page.on('pageerror', (e) => errors.push(e.message))
    await this.page.goto(url, { waitUntil: 'commit' })
    try {
      const handle = await this.page.waitForFunction((n) => {
        const els = document.querySelectorAll<HTMLElement>('[data-id]')
        if (els.length < n) return false
        const ids = new Set<string>()
        for (const el of els) ids.add(el.dataset.id!)
        if (ids.size < n) return false
        const card = els[Math.floor(els.length / 2)]
        card.focus()
        return document.activeElement === card ? performance.now() : false
      }, cards, { polling: 'raf', timeout: USABLE_MS })
      return await handle.jsonValue() as number
    } catch (e) {
      throw new Error(`the board did not show ${cards} cards that take focus within ${USABLE_MS} ms${errors.length ? ` (page errors: ${errors.join('; ')})` : ''}: ${String(e)}`)
    }
  }

  /**
   * Puts a MutationObserver into the page that notes, for the watched cards only, each change of
   * their text (the card's .card-text, else the whole card) with the time of the change. It reads
   * only the cards the mutations touch, so it costs what the client's own DOM changes cost.
   */
  async watch (cards: string[]): Promise<void> {
    await this.page.evaluate((ids) => {
      const watched = new Set(ids)
      const last = new Map<string, string>()
      const log: [number, string, string][] = []
      let updates = 0
      const w = window as unknown as { __bench: unknown, __cocreate?: { doc: { on: (e: 'update', f: (u: Uint8Array, o: unknown, d: unknown, tr: { local: boolean }) => void) => void } } }
      w.__cocreate?.doc.on('update', (_u, _o, _d, tr) => { if (!tr.local) updates++ })
      const note = (el: Element, now: number): void => {
        const id = (el as HTMLElement).dataset.id
        if (!id || !watched.has(id) || !el.isConnected) return
        const text = (el.querySelector('.card-text') ?? el).textContent ?? ''
        if (last.get(id) !== text) { last.set(id, text); log.push([now, id, text]) }
      }
      new MutationObserver((records) => {
        const now = performance.timeOrigin + performance.now()
        const touched = new Set<Element>()
        for (const r of records) {
          const target = r.target.nodeType === Node.ELEMENT_NODE ? r.target as Element : r.target.parentElement
          const card = target?.closest('[data-id]')
          if (card) touched.add(card)
          for (const n of r.addedNodes) {
            if (n.nodeType !== Node.ELEMENT_NODE) continue
            const el = n as Element
            if (el.matches('[data-id]')) touched.add(el)
            if (el.firstElementChild) for (const c of el.querySelectorAll('[data-id]')) touched.add(c)
          }
        }
        for (const el of touched) note(el, now)
      }).observe(document.body, { subtree: true, childList: true, characterData: true })
      w.__bench = {
        take: () => log.splice(0),
        updates: () => w.__cocreate ? updates : undefined,
        latest: () => Object.fromEntries(last)
      }
    }, cards)
  }

  /** The watched cards' texts as last seen on screen. */
  latest (): Promise<Record<string, string>> {
    return this.page.evaluate(() => (window as unknown as { __bench: { latest: () => Record<string, string> } }).__bench.latest())
  }

  /** The text changes seen since the last call. */
  take (): Promise<Seen[]> {
    return this.page.evaluate(() => (window as unknown as { __bench: { take: () => Seen[] } }).__bench.take())
  }

  private async metrics (): Promise<Metrics> {
    const { metrics } = await this.cdp.send('Performance.getMetrics')
    const get = (name: string): number => metrics.find((m) => m.name === name)?.value ?? NaN
    const updates = await this.page.evaluate(() => (window as unknown as { __bench: { updates: () => number | undefined } }).__bench.updates())
    return { task: get('TaskDuration') * 1000, cpu: get('ThreadTime') * 1000, wall: get('Timestamp') * 1000, updates }
  }

  /** Main-thread time spent while `work` runs (CDP TaskDuration and Timestamp deltas). */
  async measure (work: () => Promise<void>): Promise<MainThread> {
    const a = await this.metrics()
    await work()
    const b = await this.metrics()
    return {
      taskMs: b.task - a.task,
      cpuMs: b.cpu - a.cpu,
      wallMs: b.wall - a.wall,
      updates: a.updates !== undefined && b.updates !== undefined ? b.updates - a.updates : undefined
    }
  }

  /**
   * A CPU profile of the page (sampling every 100 µs) and a Chromium trace of its rendering
   * (devtools.timeline, as JSON) while `work` runs.
   */
  async profile (work: () => Promise<void>): Promise<{ profile: CpuProfile, trace: string }> {
    const browser = this.ctx.browser()!
    await browser.startTracing(this.page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] })
    await this.cdp.send('Profiler.enable')
    await this.cdp.send('Profiler.setSamplingInterval', { interval: 100 })
    await this.cdp.send('Profiler.start')
    await work()
    const { profile } = await this.cdp.send('Profiler.stop')
    await this.cdp.send('Profiler.disable')
    const trace = (await browser.stopTracing()).toString('utf8')
    return { profile: profile as CpuProfile, trace }
  }

  async close (): Promise<void> {
    await this.ctx.close()
  }
}
