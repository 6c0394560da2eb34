// E2E harness: a cocreate server (COCREATE_BIN, default ../target/debug/cocreate) serving the
// built client (dist/) itself and a headless Chromium (Debian's, never a download), both started
// by launcher.ts (shared with the benchmark), plus the steps the tests share.

import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { inflateRawSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { beforeAll, afterAll, expect } from 'vitest'
import AxeBuilder from '@axe-core/playwright'
import { WAIT_MS, startServer as startServerWith, launchBrowser as launchChromium, type Server } from './launcher'

export { WAIT_MS, type Server }

const here = path.dirname(fileURLToPath(import.meta.url))
export const clientDir = path.resolve(here, '..')
/** The built client the server serves: `dist`, or another build (`COCREATE_WEB_DIR`, e.g. main's, to see a test fail there). */
export const distDir = path.resolve(clientDir, process.env.COCREATE_WEB_DIR || 'dist')
export const resultsDir = path.join(clientDir, 'test-results')
export const BIN = path.resolve(clientDir, process.env.COCREATE_BIN || path.join('..', 'target', 'debug', 'cocreate'))
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export const ADMIN_KEY = 'e2e-admin-key-0123456789abcdef'

/** A server for the tests; `opts` restarts one on kept data, with more flags. */
export const startServer = (opts: { dataDir?: string, args?: string[] } = {}): Promise<Server> => startServerWith({ bin: BIN, webDir: distDir, adminKey: ADMIN_KEY, ...opts })

export const launchBrowser = (): Promise<Browser> => launchChromium(CHROMIUM)

/**
 * One server and one Chromium for a whole suite: started before its first test (handed to `use`),
 * stopped after its last; `args`: the server's further flags (e.g. `senseModelArgs()`).
 */
export function suiteServer (use: (server: Server, browser: Browser) => void, args: string[] = []): void {
  let server: Server | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    server = await startServer({ args })
    browser = await launchBrowser()
    use(server, browser)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
}

/**
 * The sensemaking model's directory (weights.npz, sp.model): `COCREATE_SENSE_MODEL`, else
 * `<repo>/target/sense-model`, where `make test` fetches it (scripts/sense-model.sh).
 */
export const SENSE_MODEL = path.resolve(clientDir, process.env.COCREATE_SENSE_MODEL || path.join('..', 'target', 'sense-model'))

/**
 * The server's flag that turns sensemaking on, or undefined when the model is not there (a
 * suite needing it skips). Under CI the model must be there: its absence fails, never skips.
 */
export function senseModelArgs (): string[] | undefined {
  if (['weights.npz', 'sp.model'].every((f) => existsSync(path.join(SENSE_MODEL, f)))) return ['--sense-model', SENSE_MODEL]
  const why = `no sensemaking model in ${SENSE_MODEL}: run scripts/sense-model.sh, or set COCREATE_SENSE_MODEL to its directory`
  if (process.env.CI === 'true') throw new Error(why)
  console.warn(`skipped: ${why}`)
  return undefined
}

/** axe-core (WCAG 2.1 A and AA) finds nothing serious or critical on the page as it is. */
export async function axeSerious (page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([])
}

/** A board cell, by lane and stage position in the grid. */
export const cell = (page: Page, lane: number, stage: number) => page.locator('tbody tr.lane').nth(lane).locator('td.cell').nth(stage)

/** Adds a card to a cell as a person does: the cell's add button, type, Escape to finish. */
export async function addCard (page: Page, lane: number, stage: number, text: string): Promise<void> {
  await cell(page, lane, stage).locator('.add-card').click()
  await page.locator('textarea.card-editor').fill(text)
  await page.keyboard.press('Escape')
}

/**
 * Goes offline once the service worker has cached the app shell, adds a card, waits until it is
 * kept on this device, and reloads the page (still offline).
 */
export async function addCardOfflineAndReload (c: { ctx: BrowserContext, page: Page }, lane: number, stage: number, text: string): Promise<void> {
  await c.page.waitForFunction(async () => { const r = await navigator.serviceWorker.ready; return !!r.active && (await caches.keys()).length > 0 })
  await c.ctx.setOffline(true)
  await c.page.locator('#conn-status[data-status="offline"]').waitFor()
  await addCard(c.page, lane, stage, text)
  await c.page.locator('#conn-status', { hasText: 'changes kept on this device' }).waitFor()
  await c.page.reload()
}

/** Opens a development room (a server with --open-rooms) and waits until its board is synced and seeded. */
export async function openRoom (server: Server, page: Page, room: string, template: string): Promise<void> {
  await page.goto(`${server.url}/#room=${encodeURIComponent(room)}&template=${template}`)
  await page.waitForFunction(() => {
    const w = window as unknown as { __cocreate?: { conn: { provider: { synced: boolean } }, doc: { getMap: (n: string) => { get: (k: string) => unknown } } } }
    return w.__cocreate?.conn.provider.synced === true && !!w.__cocreate.doc.getMap('meta').get('template')
  })
}

/** Two browsers (fresh profiles) in one development room. */
export async function twoInRoom (server: Server, browser: Browser, room: string, template: string): Promise<{ a: Awaited<ReturnType<typeof newContext>>, b: Awaited<ReturnType<typeof newContext>> }> {
  const a = await newContext(browser)
  const b = await newContext(browser)
  await openRoom(server, a.page, room, template)
  await openRoom(server, b.page, room, template)
  return { a, b }
}

/** Joins by a join or invite link with a name and waits until the board is synced with the server. */
export async function joinWith (page: Page, url: string, name: string): Promise<void> {
  await page.goto(url)
  await page.fill('#join-name', name)
  await page.click('#join-submit')
  await page.locator('#you', { hasText: name }).waitFor()
  await page.waitForFunction(() => {
    const w = window as unknown as { __cocreate?: { conn: { provider: { synced: boolean } } } }
    return w.__cocreate?.conn.provider.synced === true
  })
}

/** A new session with its moderator (Mona, by invite link) and a citizen (by join code) in it. */
export async function moderatorAndCitizen (server: Server, browser: Browser, title: string, template: string, citizen = 'Carl'): Promise<{ mod: Awaited<ReturnType<typeof newContext>>, cit: Awaited<ReturnType<typeof newContext>> }> {
  const created = await createSession(server, title, template)
  const mod = await newContext(browser)
  const cit = await newContext(browser)
  await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
  await joinWith(cit.page, `${server.url}/#code=${created.join_code}`, citizen)
  return { mod, cit }
}

/**
 * Selects a card or note as a keyboard user does (focus, Space) and waits until it, not the one
 * selected before, is selected: its actions are then on screen.
 */
export async function selectCard (page: Page, card: Locator): Promise<void> {
  const id = await card.getAttribute('data-id')
  await card.focus()
  await page.keyboard.press(' ')
  await page.locator(`.card.selected[data-id="${id}"]`).waitFor()
}

/**
 * Runs one of a card's actions as a person does: its "⋯" menu button, then the menu item whose
 * `data-key` starts with `action` (e.g. 'vote', 'edit', 'hide-form'); with the mouse, or with the
 * keyboard (Enter on the button, ↓ to the item, Enter).
 */
export async function cardAction (card: Locator, action: string, how: 'mouse' | 'keyboard' = 'mouse'): Promise<void> {
  const button = card.locator('.card-menu-button').first()
  const item = card.locator(`.card-menu [data-key^="${action}:"]`).first()
  if (how === 'mouse') { await button.click(); await item.click(); return }
  await button.focus()
  await button.press('Enter')
  await item.waitFor()
  for (let i = 0; i < 40; i++) {
    if (await item.evaluate((el) => el === document.activeElement)) { await item.press('Enter'); return }
    await card.page().keyboard.press('ArrowDown')
  }
  throw new Error(`the card's menu has no item "${action}" reachable by keyboard`)
}

/** A fresh browser profile (context) whose console errors and CSP violations are recorded. */
export async function newContext (browser: Browser, opts: { width?: number, height?: number } = {}): Promise<{ ctx: BrowserContext, page: Page, problems: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: opts.width ?? 1400, height: opts.height ?? 900 }, reducedMotion: 'reduce', acceptDownloads: true })
  ctx.setDefaultTimeout(WAIT_MS)
  const page = await ctx.newPage()
  const problems: string[] = []
  page.on('console', (m) => {
    const text = m.text()
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(text)
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  return { ctx, page, problems }
}

export function screenshotPath (name: string): string {
  mkdirSync(resultsDir, { recursive: true })
  return path.join(resultsDir, `${name}.png`)
}

let roomSeq = 0
export const uniqueRoom = (label: string): string => `${label}-${process.pid}-${Date.now().toString(36)}-${roomSeq++}`

/** JSON of a page's board (the Y.Doc content), for comparing two browsers. */
export async function boardJson (page: Page): Promise<unknown> {
  return page.evaluate(() => {
    const w = window as unknown as { __cocreate: { doc: { toJSON: () => unknown } } }
    return JSON.stringify(w.__cocreate.doc.toJSON())
  })
}

/** Wait until the function returns a truthy value (polling in the page is event-free, bounded). */
export async function waitUntil<T> (fn: () => Promise<T>, what: string, timeoutMs = WAIT_MS): Promise<T> {
  const end = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try { const v = await fn(); if (v) return v; last = v } catch (e) { last = e }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export interface CreatedSession {
  id: string
  join_code: string
  invites: Record<string, { token: string, url: string }>
}

/**
 * Creates a session with the admin key; `research` as in server/README.md (default: the
 * server's), `cycle` its process and cycle phase.
 */
export async function createSession (server: Server, title: string, template: string, research?: { recorded?: boolean, consent_required?: boolean, keep_names?: boolean }, cycle?: { process: string, cycle_phase: string }): Promise<CreatedSession> {
  const res = await fetch(`${server.url}/api/sessions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ title, template, language: 'en', research, ...cycle })
  })
  if (res.status !== 201) throw new Error(`POST /api/sessions: ${res.status} ${await res.text()}`)
  return await res.json() as CreatedSession
}

/**
 * The text of one file of a downloaded zip (an export), read through the zip's central directory:
 * stored or deflated files, no zip64, which is what the server writes. No zip library is needed.
 */
export function zipText (zip: Buffer, name: string): string {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (end < 0) throw new Error('not a zip: no end of central directory')
  let at = zip.readUInt32LE(end + 16)
  for (let i = zip.readUInt16LE(end + 10); i > 0; i--) {
    const method = zip.readUInt16LE(at + 10); const size = zip.readUInt32LE(at + 20)
    const nameLen = zip.readUInt16LE(at + 28); const extraLen = zip.readUInt16LE(at + 30); const commentLen = zip.readUInt16LE(at + 32)
    if (zip.toString('utf8', at + 46, at + 46 + nameLen) === name) {
      const local = zip.readUInt32LE(at + 42)
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
      const data = zip.subarray(start, start + size)
      return (method === 8 ? inflateRawSync(data) : data).toString('utf8')
    }
    at += 46 + nameLen + extraLen + commentLen
  }
  throw new Error(`the zip holds no ${name}`)
}

/** The id of the element with keyboard focus. */
export const focusedId = (page: Page): Promise<string | undefined> => page.evaluate(() => document.activeElement?.id)

/**
 * The moderator prepares the agenda from a library method, with the mouse or the keyboard only;
 * `minutes` changes a step's duration before saving.
 */
export async function agendaFromLibrary (page: Page, method: string, minutes: Record<number, string> = {}, how: 'mouse' | 'keyboard' = 'mouse'): Promise<void> {
  if (how === 'mouse') await page.click('#agenda-edit')
  else { await page.focus('#agenda-edit'); await page.keyboard.press('Enter') }
  await page.locator('#method-pick').waitFor()
  await page.selectOption('#method-pick', method)
  if (how === 'mouse') await page.click('#method-use')
  else {
    await page.focus('#method-pick')
    await page.keyboard.press('Tab')
    expect(await focusedId(page)).toBe('method-use')
    await page.keyboard.press('Enter')
  }
  // keyboard focus goes to the first step's title, ready to adapt it
  await page.waitForFunction(() => document.activeElement?.id === 'step-title-0')
  for (const [i, m] of Object.entries(minutes)) await page.fill(`#step-minutes-${i}`, m)
  if (how === 'mouse') await page.click('#agenda-save')
  else { await page.focus('#step-title-0'); await page.keyboard.press('Enter') } // Enter in a field submits the form
  await page.locator('#agenda-edit').waitFor()
}
