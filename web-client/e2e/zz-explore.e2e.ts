import { describe, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { suiteServer, newContext, openRoom, uniqueRoom, selectCard, addCard, type Server } from './harness'
let server: Server
let browser: Browser
const wide = (page: Page) => page.evaluate(() => { const over = [...document.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > innerWidth + 1).slice(0, 8).map((e) => e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(e.getBoundingClientRect().right)); return { sw: document.documentElement.scrollWidth, iw: innerWidth, over } })
describe('explore', () => {
  suiteServer((s, b) => { server = s; browser = b })
  it('text view at 360', async () => {
    const c = await newContext(browser, { width: 360, height: 740 })
    for (const tpl of ['journey-map', 'service-blueprint', 'canvas']) {
      await openRoom(server, c.page, uniqueRoom('tv'), tpl)
      if (tpl === 'canvas') { await c.page.click('#add-note'); await c.page.locator('textarea.card-editor').fill('Parkeervergunningsaanvraag'); await c.page.keyboard.press('Escape') } else await addCard(c.page, 0, 0, 'Parkeervergunningsaanvraagformulier')
      await c.page.click('#tools-menu summary')
      await c.page.click('#view-text')
      await c.page.waitForTimeout(300)
      console.log(tpl, 'text view', await wide(c.page))
      const card = c.page.locator('.card', { hasText: 'Parkeervergunningsaanvraag' }).first()
      await selectCard(c.page, card).catch((e) => console.log('select fail', e.message.slice(0, 100)))
      await c.page.locator('.card.selected .comment-input').fill('Klopt').catch(() => console.log('no comment input'))
      await c.page.locator('.card.selected .comment-input').press('Enter').catch(() => {})
      await c.page.waitForTimeout(300)
      console.log(tpl, 'selected', await wide(c.page))
      await c.page.screenshot({ path: `/tmp/ux-explore/text-${tpl}.png`, fullPage: true })
      await c.page.evaluate(() => localStorage.setItem('cocreate.view', 'visual'))
    }
  })
})
