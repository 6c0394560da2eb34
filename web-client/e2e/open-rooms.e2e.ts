// The board in development rooms (anonymous rooms: the server's --open-rooms, or a server from
// before sessions): co-editing, keyboard-only use, offline with reload, each template's
// screenshots and axe-core checks, the join page.

import { describe, it, expect } from 'vitest'
import { writeFile } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { suiteServer, newContext, screenshotPath, uniqueRoom, boardJson, type Server, cell, addCard, selectCard, cardAction, openRoom, twoInRoom, addCardOfflineAndReload, axeSerious } from './harness'

let server: Server
let browser: Browser

suiteServer((s, b) => { server = s; browser = b })

/** Words of lane names that the layout broke across lines. */
function wordsBrokenInLaneNames (page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const broken: string[] = []
    for (const el of document.querySelectorAll('.lane-head .axis-name')) {
      const node = el.firstChild
      if (!node || node.nodeType !== Node.TEXT_NODE) continue
      for (const m of (node.textContent ?? '').matchAll(/[^\s-]+/g)) {
        const r = document.createRange()
        r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length)
        if (r.getClientRects().length > 1) broken.push(m[0])
      }
    }
    return broken
  })
}

/** Dark pixels the board's arrows add to its PNG: the PNG drawn with and without them, compared. */
function darkPixelsOfArrows (page: Page): Promise<number> {
  return page.evaluate(() => {
    type Doc = { toJSON: () => unknown }
    const w = window as unknown as { __cocreate: { doc: Doc, drawBoard: (d: Doc) => HTMLCanvasElement, Y: { Doc: new () => Doc, applyUpdate: (d: Doc, u: Uint8Array) => void, encodeStateAsUpdate: (d: Doc) => Uint8Array }, model: { allItems: (d: Doc) => { id: string, type: string }[], deleteItem: (d: Doc, id: string) => void } } }
    const { doc, drawBoard, Y, model } = w.__cocreate
    const bare = new Y.Doc()
    Y.applyUpdate(bare, Y.encodeStateAsUpdate(doc))
    for (const c of model.allItems(bare).filter((i) => i.type === 'connector')) model.deleteItem(bare, c.id)
    const [a, b] = [drawBoard(doc), drawBoard(bare)]
    if (a.width !== b.width || a.height !== b.height) return -1
    const pa = a.getContext('2d')!.getImageData(0, 0, a.width, a.height).data
    const pb = b.getContext('2d')!.getImageData(0, 0, b.width, b.height).data
    let n = 0
    for (let i = 0; i < pa.length; i += 4) if (pa[i] < 100 && pb[i] > 150) n++
    return n
  })
}

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
    const { a, b } = await twoInRoom(server, browser, uniqueRoom('jm'), 'journey-map')
    // A adds a card in (actions, aware) and types
    await addCard(a.page, 0, 0, 'Letter is hard to read')
    const bCard = cell(b.page, 0, 0).locator('.card', { hasText: 'Letter is hard to read' })
    await bCard.waitFor()
    // B edits the same card's text
    await bCard.click()
    await cardAction(bCard, 'edit')
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
    // B's screen reader hears who moved what where (both are "Guest" in a development room)
    await b.page.locator('#announcer', { hasText: 'Guest moved “Letter is hard to read (small print)” to Touchpoints, Apply' }).waitFor({ state: 'attached' })
    // A points at the card: B sees A's pointer, its name above the tip (not over the text), fading when it rests
    const target = (await cell(a.page, 1, 1).locator('.card').boundingBox())!
    await a.page.mouse.move(target.x + 20, target.y + 12, { steps: 3 })
    await b.page.locator('.cursor-layer .cursor:not(.idle) .cursor-name', { hasText: 'Guest' }).waitFor()
    await b.page.locator('.cursor-layer .cursor.idle').waitFor()
    const [tipTop, labelBottom] = await b.page.evaluate(() => {
      const c = document.querySelector('.cursor-layer .cursor')!
      return [c.getBoundingClientRect().top, c.querySelector('.cursor-name')!.getBoundingClientRect().bottom]
    })
    expect(labelBottom).toBeLessThanOrEqual(tipTop + 1)
    // the emotion curve is everyone's own value, averaged: A says +1, B says -2
    await a.page.locator('.emotion-cell').first().locator('[data-key^="emo-up"]').click()
    await a.page.locator('.emotion-cell').first().locator('.emotion-mine', { hasText: 'Yours: +1' }).waitFor()
    for (const v of ['-1', '-2']) {
      await b.page.locator('.emotion-cell').first().locator('[data-key^="emo-down"]').click()
      await b.page.locator('.emotion-cell').first().locator('.emotion-mine', { hasText: `Yours: ${v}` }).waitFor()
    }
    for (const p of [a.page, b.page]) await p.locator('.emotion-cell').first().locator('.emotion-value', { hasText: '-0.5 (average of 2)' }).waitFor()
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
    expect(JSON.parse((await download('#export-json')).toString('utf8')).schema).toBe(2)
    const png = await download('#export-png')
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    await writeFile(screenshotPath('journey-map-export'), png)
    expect(a.problems).toEqual([]); expect(b.problems).toEqual([])
    await a.ctx.close(); await b.ctx.close()
  })

  it('keyboard only: add, edit and move a card, vote, without the mouse', async () => {
    const room = uniqueRoom('kb')
    const { ctx, page, problems } = await newContext(browser)
    await openRoom(server, page, room, 'journey-map')
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
    const { a, b } = await twoInRoom(server, browser, uniqueRoom('off'), 'journey-map')
    await addCardOfflineAndReload(a, 2, 1, 'Written offline')
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
      await openRoom(server, page, room, template)
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
        const note = page.locator('.notes .card[aria-label="Note by Guest: Free sticky note"]')
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
        // connect the two notes, then make the connector two-way, with the keyboard
        const other = page.locator('.notes .card[aria-label="Note by Guest: Another idea"]')
        await selectCard(page, note)
        await cardAction(note, 'connect', 'keyboard')
        await other.focus()
        await page.keyboard.press('Enter')
        await page.locator('svg.connectors line.connector').waitFor()
        await selectCard(page, note)
        await cardAction(note, 'direction', 'keyboard')
        await page.locator('svg.connectors line.connector.two-way[marker-start]').waitFor()
        await note.locator('.card-arrows li', { hasText: 'Two-way arrow with: Another idea' }).waitFor()
        // a group; a note joins it from its actions (no dragging needed) and moves with it
        await page.click('#add-group')
        await page.keyboard.type('Waiting')
        await page.keyboard.press('Escape')
        const group = page.locator('.notes .card[aria-label="Group: Waiting"]')
        await selectCard(page, other)
        await cardAction(other, 'group-form', 'keyboard')
        await page.locator('.card.selected [data-key^="group:"]').selectOption({ label: 'Waiting' })
        await other.locator('.in-group', { hasText: 'In group: Waiting' }).waitFor()
        const noteXY = (): Promise<number[]> => page.evaluate(() => {
          const w = window as unknown as { __cocreate: { doc: unknown, model: { allItems: (d: unknown) => { text: string, x?: number, y?: number }[] } } }
          const n = w.__cocreate.model.allItems(w.__cocreate.doc).find((i) => i.text === 'Another idea')!
          return [n.x ?? 0, n.y ?? 0]
        })
        const before = await noteXY()
        const gbox = (await group.boundingBox())!
        await page.mouse.move(gbox.x + gbox.width - 30, gbox.y + 12)
        await page.mouse.down()
        await page.mouse.move(gbox.x + gbox.width + 70, gbox.y + 72, { steps: 4 })
        await page.mouse.up()
        await expect.poll(noteXY).toEqual([before[0] + 100, before[1] + 60])
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
          await cardAction(first, 'arrow')
          await cell(page, 2, 1).locator('.card').first().click()
          await cell(page, 1, 0).locator('.card-arrows li', { hasText: 'Arrow to: Another card' }).waitFor()
          await page.locator('svg.connectors line.connector[marker-end]').waitFor()
          await first.click()
          await cardAction(first, 'direction')
          await cell(page, 2, 1).locator('.card-arrows li', { hasText: 'Two-way arrow with: A card in the second lane' }).waitFor()
          await page.locator('svg.connectors line.connector.two-way[marker-start]').waitFor()
          expect(await darkPixelsOfArrows(page)).toBeGreaterThan(40)
          const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')])
          await dl.saveAs(screenshotPath('service-blueprint-export'))
        }
      }
      await page.mouse.move(5, 5)
      await axeSerious(page, template)
      await page.screenshot({ path: screenshotPath(`${template}-desktop`), fullPage: true })
      await page.emulateMedia({ media: 'print' })
      await page.screenshot({ path: screenshotPath(`${template}-print`), fullPage: true })
      await page.emulateMedia({ media: 'screen' })
      // the accessible grid (list for the canvas): switched to with the keyboard, same content
      await page.locator('#view-text').focus()
      await page.keyboard.press('Enter')
      await page.locator('#view-text[aria-pressed="true"]').waitFor()
      if (template === 'canvas') {
        await page.locator('.canvas.narrow').waitFor()
        expect(await page.locator('svg.connectors').count()).toBe(0)
        // reading order, each group's notes inside it
        await page.locator('.notes .group-li .group-notes .card[aria-label="Note by Guest: Another idea"]').waitFor()
        expect(await page.locator('#canvas > .notes > li > .card').count()).toBe(2)
      } else {
        const lanes = template === 'journey-map' ? 6 : 5
        expect(await page.locator('#grid thead th[scope="col"]').count()).toBe(5)
        expect(await page.locator('#grid tbody tr.lane > th[scope="row"]').count()).toBe(lanes)
        expect(await cell(page, 1, 0).locator('ul.cards').getAttribute('aria-label')).toMatch(/^(Touchpoints|Customer actions), Become aware: 1 card$/)
        expect(await page.locator('svg.connectors, svg.curve').count()).toBe(0)
      }
      await axeSerious(page, `${template} accessible view`)
      await page.screenshot({ path: screenshotPath(`${template}-accessible-view`), fullPage: true })
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
      if (template !== 'canvas') {
        // lane names wrap between words, never inside one, in every language
        for (const l of ['nl', 'fr', 'de', 'en']) {
          await page.selectOption('#ui-lang', l)
          await page.locator(`html[lang="${l}"]`).waitFor()
          expect(await wordsBrokenInLaneNames(page), l).toEqual([])
          if (l === 'de') await page.screenshot({ path: screenshotPath(`${template}-phone-360-de`), fullPage: true })
        }
      }
      expect(problems).toEqual([])
      await ctx.close()
    })
  }
})
