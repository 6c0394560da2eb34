// The board in development rooms (anonymous rooms: the server's --open-rooms, or a server from
// before sessions): co-editing, keyboard-only use, offline with reload, each template's
// screenshots and axe-core checks, the join page.

import { describe, it, expect } from 'vitest'
import { writeFile } from 'node:fs/promises'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, Page } from 'playwright-core'
import { suiteServer, newContext, screenshotPath, uniqueRoom, boardJson, type Server, cell, addCard } from './harness'

let server: Server
let browser: Browser

suiteServer((s, b) => { server = s; browser = b })

async function axeSerious (page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([])
}

async function openRoom (page: Page, room: string, template: string): Promise<void> {
  await page.goto(`${server.url}/#room=${encodeURIComponent(room)}&template=${template}`)
  await page.waitForFunction(() => {
    const w = window as unknown as { __cocreate?: { conn: { provider: { synced: boolean } }, doc: { getMap: (n: string) => { get: (k: string) => unknown } } } }
    return w.__cocreate?.conn.provider.synced === true && !!w.__cocreate.doc.getMap('meta').get('template')
  })
}

/** The first cell's add button (lane 1, stage 1), and the card ids in a cell. */

describe('open rooms', () => {
  it('join page: translated, accessible (axe), no CSP violations', async () => {
    const { ctx, page, problems } = await newContext(browser)
    await page.goto(`${server.url}/#code=abc-2345`)
    await expect.poll(() => page.locator('#join-code').inputValue()).toBe('ABC-2345')
    await axeSerious(page, 'join page')
    await page.selectOption('#join-lang', 'fr')
    await page.locator('h2', { hasText: 'Rejoindre une session' }).waitFor()
    expect(await page.getAttribute('html', 'lang')).toBe('fr')
    await page.selectOption('#join-lang', 'en')
    await page.screenshot({ path: screenshotPath('join-page'), fullPage: true })
    // a malformed code is refused before any request, with a message
    await page.fill('#join-code', 'OOO')
    await page.fill('#join-name', 'Ann')
    await page.click('#join-submit')
    await page.locator('#join-error', { hasText: 'not valid' }).waitFor()
    expect(problems).toEqual([])
    await ctx.close()
  })

  it('journey map: two browsers co-edit (add, edit, move a card) and end identical', async () => {
    const room = uniqueRoom('jm')
    const a = await newContext(browser)
    const b = await newContext(browser)
    await openRoom(a.page, room, 'journey-map')
    await openRoom(b.page, room, 'journey-map')
    // A adds a card in (actions, aware) and types
    await addCard(a.page, 0, 0, 'Letter is hard to read')
    const bCard = cell(b.page, 0, 0).locator('.card', { hasText: 'Letter is hard to read' })
    await bCard.waitFor()
    // B edits the same card's text
    await bCard.click()
    await b.page.locator('.card.selected [data-key^="edit:"]').click()
    await b.page.locator('textarea.card-editor').press('End')
    await b.page.keyboard.type(' (small print)')
    await b.page.keyboard.press('Escape')
    await cell(a.page, 0, 0).locator('.card', { hasText: 'Letter is hard to read (small print)' }).waitFor()
    // A moves it one stage to the right and one lane down
    const aCard = cell(a.page, 0, 0).locator('.card').first()
    await aCard.focus()
    await a.page.keyboard.press('Control+ArrowRight')
    await a.page.keyboard.press('Control+ArrowDown')
    await cell(b.page, 1, 1).locator('.card', { hasText: 'small print' }).waitFor()
    expect(await cell(b.page, 0, 0).locator('.card').count()).toBe(0)
    // presence: each sees two participants
    await b.page.locator('#people > li').nth(1).waitFor()
    await a.page.waitForFunction(() => document.querySelectorAll('#people > li').length === 2)
    // both documents identical
    await expect.poll(async () => (await boardJson(a.page)) === (await boardJson(b.page)), { timeout: 15_000 }).toBe(true)
    await a.page.locator('#conn-status', { hasText: 'All changes saved' }).waitFor()
    await a.page.screenshot({ path: screenshotPath('journey-map-two-browsers-a'), fullPage: true })
    // exports: CSV and JSON hold the card, PNG is a PNG
    const download = async (id: string): Promise<Buffer> => {
      const [dl] = await Promise.all([a.page.waitForEvent('download'), a.page.click(id)])
      const chunks: Buffer[] = []
      for await (const c of await dl.createReadStream()) chunks.push(c as Buffer)
      return Buffer.concat(chunks)
    }
    expect((await download('#export-csv')).toString('utf8')).toMatch(/card,journey-map,Touchpoints,Apply,.*Letter is hard to read \(small print\)/)
    expect(JSON.parse((await download('#export-json')).toString('utf8')).schema).toBe(1)
    const png = await download('#export-png')
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    await writeFile(screenshotPath('journey-map-export'), png)
    expect(a.problems).toEqual([]); expect(b.problems).toEqual([])
    await a.ctx.close(); await b.ctx.close()
  })

  it('keyboard only: add, edit and move a card, vote, without the mouse', async () => {
    const room = uniqueRoom('kb')
    const { ctx, page, problems } = await newContext(browser)
    await openRoom(page, room, 'journey-map')
    // Tab from the top of the page until the first "add card" button has focus
    await page.locator('body').focus()
    let found = false
    for (let i = 0; i < 80 && !found; i++) {
      await page.keyboard.press('Tab')
      found = await page.evaluate(() => document.activeElement?.classList.contains('add-card') ?? false)
    }
    expect(found).toBe(true)
    await page.keyboard.press('Enter')
    await page.keyboard.type('Typed with the keyboard')
    await page.keyboard.press('Escape') // leaves the editor, focus back on the card
    expect(await page.evaluate(() => document.activeElement?.classList.contains('card'))).toBe(true)
    await page.keyboard.press('Control+ArrowRight')
    await page.keyboard.press('Control+ArrowRight')
    await cell(page, 0, 2).locator('.card', { hasText: 'Typed with the keyboard' }).waitFor()
    expect(await page.evaluate(() => document.activeElement?.textContent?.includes('Typed with the keyboard'))).toBe(true)
    await page.keyboard.press('Enter')
    await page.keyboard.press('End')
    await page.keyboard.type('!')
    await page.keyboard.press('Escape')
    await cell(page, 0, 2).locator('.card', { hasText: 'Typed with the keyboard!' }).waitFor()
    await page.keyboard.press('v')
    await cell(page, 0, 2).locator('.vote-count[data-votes="1"]').waitFor()
    // C opens the comment field of the focused card
    await page.keyboard.press('c')
    await page.keyboard.type('A comment <img src=x onerror="document.title=1">')
    await page.keyboard.press('Enter')
    await cell(page, 0, 2).locator('.comments li', { hasText: 'A comment <img src=x' }).waitFor()
    // text from people is text: no element was created from it
    expect(await page.locator('.comments li img').count()).toBe(0)
    // structure: add a stage and rename it, with the keyboard
    await page.locator('#add-stage').focus()
    await page.keyboard.press('Enter')
    await page.locator('thead th.stage-head').nth(5).waitFor()
    await page.locator('thead th.stage-head').nth(5).locator('[data-key^="rename-stage:"]').focus()
    await page.keyboard.press('Enter')
    await page.keyboard.type('Complain')
    await page.keyboard.press('Enter')
    await page.locator('thead th.stage-head', { hasText: 'Complain' }).waitFor()
    await page.screenshot({ path: screenshotPath('keyboard-only'), fullPage: false })
    expect(problems).toEqual([])
    await ctx.close()
  })

  it('offline: edits made offline survive a reload and reach the other browser', async () => {
    const room = uniqueRoom('off')
    const a = await newContext(browser)
    const b = await newContext(browser)
    await openRoom(a.page, room, 'journey-map')
    await openRoom(b.page, room, 'journey-map')
    // the app shell must be cached by the service worker before going offline
    await a.page.waitForFunction(async () => { const r = await navigator.serviceWorker.ready; return !!r.active && (await caches.keys()).length > 0 })
    await a.ctx.setOffline(true)
    await a.page.locator('#conn-status[data-status="offline"]').waitFor()
    await addCard(a.page, 2, 1, 'Written offline')
    await a.page.locator('#conn-status', { hasText: 'changes kept on this device' }).waitFor()
    await a.page.reload()
    await cell(a.page, 2, 1).locator('.card', { hasText: 'Written offline' }).waitFor()
    await a.page.locator('#conn-status[data-status="offline"]').waitFor()
    expect(await cell(b.page, 2, 1).locator('.card').count()).toBe(0)
    await a.ctx.setOffline(false)
    await cell(b.page, 2, 1).locator('.card', { hasText: 'Written offline' }).waitFor()
    await a.page.locator('#conn-status', { hasText: 'All changes saved' }).waitFor()
    await a.ctx.close(); await b.ctx.close()
  })

  for (const template of ['journey-map', 'service-blueprint', 'canvas'] as const) {
    it(`${template}: renders, axe finds no serious or critical violations, screenshots (desktop and 360 px)`, async () => {
      const room = uniqueRoom(template)
      const { ctx, page, problems } = await newContext(browser)
      await openRoom(page, room, template)
      if (template === 'canvas') {
        await page.click('#add-note')
        await page.keyboard.type('Free sticky note')
        await page.keyboard.press('Escape')
        await page.click('#add-note')
        await page.keyboard.type('Another idea')
        await page.keyboard.press('Escape')
        await page.keyboard.press('Alt+ArrowDown')
        await page.locator('.notes .card', { hasText: 'Another idea' }).waitFor()
        // drag a note with the mouse
        const note = page.locator('.notes .card', { hasText: 'Free sticky note' })
        await note.waitFor()
        const box = (await note.boundingBox())!
        await page.mouse.move(box.x + 20, box.y + box.height - 12)
        await page.mouse.down()
        await page.mouse.move(box.x + 220, box.y + box.height + 188, { steps: 4 })
        await page.mouse.up()
        await page.waitForFunction(() => {
          const w = window as unknown as { __cocreate: { doc: unknown, model: { allItems: (d: unknown) => { text: string, y?: number }[] } } }
          return (w.__cocreate.model.allItems(w.__cocreate.doc).find((i) => i.text === 'Free sticky note')?.y ?? 0) > 150
        })
        await page.evaluate(() => {
          const w = window as unknown as { __cocreate: { doc: unknown, model: { allItems: (d: unknown) => { id: string }[], addConnector: (d: unknown, a: unknown, f: string, t: string) => void } } }
          const [x, y] = w.__cocreate.model.allItems(w.__cocreate.doc)
          w.__cocreate.model.addConnector(w.__cocreate.doc, { participant: 'p_test', name: 'Test', language: 'en' }, x.id, y.id)
        })
      } else {
        await cell(page, 1, 0).locator('.add-card').click()
        await page.keyboard.type('A card in the second lane')
        await page.keyboard.press('Escape')
        await cell(page, 2, 1).locator('.add-card').click()
        await page.keyboard.type('Another card')
        await page.keyboard.press('Escape')
        // drag a card to another cell with the mouse
        await cell(page, 1, 0).locator('.card').first().dragTo(cell(page, 1, 3))
        await cell(page, 1, 3).locator('.card', { hasText: 'A card in the second lane' }).waitFor()
        await cell(page, 1, 3).locator('.card').first().dragTo(cell(page, 1, 0))
        await cell(page, 1, 0).locator('.card', { hasText: 'A card in the second lane' }).waitFor()
        if (template === 'journey-map') {
          await page.locator('.emotion-cell').nth(1).locator('[data-key^="emo-down"]').click()
          await page.locator('.emotion-cell').nth(2).locator('[data-key^="emo-up"]').click()
          await page.locator('.emotion-cell').nth(2).locator('.emotion-value', { hasText: '+1' }).waitFor()
        } else {
          await page.locator('.bp-line-visibility').waitFor()
          const first = cell(page, 1, 0).locator('.card').first()
          await first.click()
          await page.locator('.card.selected [data-key^="arrow:"]').click()
          await cell(page, 2, 1).locator('.card').first().click()
          await cell(page, 1, 0).locator('.card-arrows li', { hasText: 'Another card' }).waitFor()
        }
      }
      await page.mouse.move(5, 5)
      await axeSerious(page, template)
      await page.screenshot({ path: screenshotPath(`${template}-desktop`), fullPage: true })
      await page.emulateMedia({ media: 'print' })
      await page.screenshot({ path: screenshotPath(`${template}-print`), fullPage: true })
      await page.emulateMedia({ media: 'screen' })
      await page.setViewportSize({ width: 360, height: 780 })
      if (template !== 'canvas') {
        await page.locator('.stage-nav').waitFor()
        expect(await page.locator('thead th.stage-head').count()).toBe(1)
        await page.click('[data-key="stage-next"]')
        await page.locator('.stage-of', { hasText: 'Stage 2 of 5' }).waitFor()
        await cell(page, 2, 0).locator('.card', { hasText: 'Another card' }).waitFor()
      } else await page.locator('.canvas.narrow').waitFor()
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(overflow).toBeLessThanOrEqual(1)
      await axeSerious(page, `${template} at 360 px`)
      await page.screenshot({ path: screenshotPath(`${template}-phone-360`), fullPage: true })
      expect(problems).toEqual([])
      await ctx.close()
    })
  }
})
