// E2E harness: a cocreate server (COCREATE_BIN, default ../target/debug/cocreate) serving the
// built client (dist/) itself and a headless Chromium (Debian's, never a download), both started
// by launcher.ts (shared with the benchmark), plus the steps the tests share.

import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { beforeAll, afterAll } from 'vitest'
import { WAIT_MS, startServer as startServerWith, launchBrowser as launchChromium, type Server } from './launcher'

export { WAIT_MS, type Server }

const here = path.dirname(fileURLToPath(import.meta.url))
export const clientDir = path.resolve(here, '..')
export const distDir = path.join(clientDir, 'dist')
export const resultsDir = path.join(clientDir, 'test-results')
export const BIN = path.resolve(clientDir, process.env.COCREATE_BIN || path.join('..', 'target', 'debug', 'cocreate'))
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export const ADMIN_KEY = 'e2e-admin-key-0123456789abcdef'

export const startServer = (): Promise<Server> => startServerWith({ bin: BIN, webDir: distDir, adminKey: ADMIN_KEY })

export const launchBrowser = (): Promise<Browser> => launchChromium(CHROMIUM)

/**
 * One server and one Chromium for a whole suite: started before its first test (handed to `use`),
 * stopped after its last.
 */
export function suiteServer (use: (server: Server, browser: Browser) => void): void {
  let server: Server | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    server = await startServer()
    browser = await launchBrowser()
    use(server, browser)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
}

/** A board cell, by lane and stage position in the grid. */
export const cell = (page: Page, lane: number, stage: number) => page.locator('tbody tr.lane').nth(lane).locator('td.cell').nth(stage)

/** Adds a card to a cell as a person does: the cell's add button, type, Escape to finish. */
export async function addCard (page: Page, lane: number, stage: number, text: string): Promise<void> {
  await cell(page, lane, stage).locator('.add-card').click()
  await page.locator('textarea.card-editor').fill(text)
  await page.keyboard.press('Escape')
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

/** Creates a session with the admin key; `research` as in server/README.md (default: the server's). */
export async function createSession (server: Server, title: string, template: string, research?: { recorded?: boolean, consent_required?: boolean, keep_names?: boolean }): Promise<CreatedSession> {
  const res = await fetch(`${server.url}/api/sessions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ title, template, language: 'en', research })
  })
  if (res.status !== 201) throw new Error(`POST /api/sessions: ${res.status} ${await res.text()}`)
  return await res.json() as CreatedSession
}
