// Closing the loop (issue 20) and forgetting (issue 19 item 7) in the browser: leaving a session
// forgets its token and this device's board copy; "forget this device" forgets everything. A
// citizen contributes in Dutch, the session closes, the moderator decides on the cards, and the
// citizen opens the receipt without a valid token; the published results pass axe.

import { describe, it, expect } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { suiteServer, newContext, createSession, joinWith, addCard, axeSerious, screenshotPath, type Server } from './harness'

let server: Server
let browser: Browser

/** What this browser keeps of cocreate: localStorage keys and IndexedDB database names. */
const kept = (page: Page): Promise<{ keys: string[], dbs: string[] }> => page.evaluate(async () => ({
  keys: Object.keys(localStorage).filter((k) => k.startsWith('cocreate.')).sort(),
  dbs: (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.startsWith('cocreate:')).sort()
}))

/** Waits until the board has everything it holds kept on this device (own edits written). */
const keptLocally = (page: Page): Promise<unknown> => page.locator('#conn-status[data-local="kept"][data-pending="0"]').waitFor()

describe('forgetting and closing the loop', () => {
  suiteServer((s, b) => { server = s; browser = b })

  it('leaving forgets the session\'s token and board copy; "forget this device" forgets every session and the name', async () => {
    const one = await createSession(server, 'Library one', 'journey-map')
    const two = await createSession(server, 'Library two', 'journey-map')
    const c = await newContext(browser)
    await joinWith(c.page, `${server.url}/#code=${one.join_code}`, 'Lea')
    // the join page said, in one sentence, what a receipt is for (checked on the next join below)
    await addCard(c.page, 0, 0, 'Opening hours too short')
    await keptLocally(c.page)
    expect(await kept(c.page)).toMatchObject({ keys: expect.arrayContaining([`cocreate.session.${one.id}`, 'cocreate.name']), dbs: [`cocreate:s:${one.id}`] })

    await c.page.click('#leave')
    await c.page.locator('#left-title', { hasText: 'You left “Library one”' }).waitFor()
    expect(await c.page.evaluate(() => document.activeElement?.id)).toBe('left-title')
    await expect.poll(() => kept(c.page)).toEqual({ keys: ['cocreate.lang', 'cocreate.name'], dbs: [] })
    expect(await c.page.locator('.recent').count()).toBe(0)
    // the board is not reopened from this device: its address says to join with the code
    await c.page.goto(`${server.url}/#s=${one.id}`)
    await c.page.locator('.banner', { hasText: 'not on this device' }).waitFor()

    // two sessions kept, then "forget this device" on the join page
    await c.page.goto(`${server.url}/#code=${one.join_code}`)
    await c.page.locator('#join-receipt-hint', { hasText: 'personal receipt' }).waitFor()
    await joinWith(c.page, `${server.url}/#code=${one.join_code}`, 'Lea')
    await keptLocally(c.page)
    await joinWith(c.page, `${server.url}/#code=${two.join_code}`, 'Lea')
    await addCard(c.page, 0, 1, 'Quiet room wanted')
    await keptLocally(c.page)
    await c.page.goto(`${server.url}/#`)
    await c.page.locator('.recent li').nth(1).waitFor()
    expect((await kept(c.page)).dbs).toEqual([`cocreate:s:${one.id}`, `cocreate:s:${two.id}`].sort())
    await c.page.click('#forget-device')
    await c.page.locator('#forget-done').waitFor()
    expect(await kept(c.page)).toEqual({ keys: ['cocreate.lang'], dbs: [] })
    expect(await c.page.locator('.recent').count()).toBe(0)
    expect(await c.page.locator('#join-name').inputValue()).toBe('')
    await axeSerious(c.page, 'join page after forgetting')
    expect(c.problems).toEqual([])
    await c.ctx.close()
  })
})
