// Issue 27, parts 5 and 6 (the web client of the agenda): a moderator picks a method from the
// library, adapts and saves it, and runs its steps from the controls at the top of the console;
// a citizen on a 360 × 740 phone follows the step banner (title, method, countdown, "time is
// up"), which stays on screen while the page scrolls without widening it; axe on both screens,
// in English and in Dutch. Every wait is for the page to show something, never for time.

import { describe, it, expect } from 'vitest'
import type { Page } from 'playwright-core'
import type { Browser } from 'playwright-core'
import { suiteServer, newContext, createSession, joinWith, axeSerious, screenshotPath, agendaFromLibrary, focusedId, ADMIN_KEY, type Server, type CreatedSession } from './harness'

let server: Server
let browser: Browser

const PHONE = { width: 360, height: 740 }

/** Nothing on the page scrolls sideways. */
const noSideways = (page: Page): Promise<boolean> => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)

async function sessionIn (language: 'en' | 'nl', title: string): Promise<CreatedSession> {
  if (language === 'en') return createSession(server, title, 'journey-map')
  const res = await fetch(`${server.url}/api/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ title, template: 'journey-map', language }) })
  expect(res.status).toBe(201)
  return await res.json() as CreatedSession
}

/** Every control of the facilitator's (buttons, fields, the options' labels) is at least 44 × 44 px (fields: 44 px high). */
async function bigTargets (page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll<HTMLElement>('#facilitation button, #facilitation select, #facilitation input:not([type=checkbox]), #facilitation label.check')]
    .filter((el) => el.offsetParent !== null)
    .map((el) => ({ el, r: el.getBoundingClientRect() }))
    .filter(({ el, r }) => r.height < 43.5 || (el.tagName === 'BUTTON' && r.width < 43.5))
    .map(({ el, r }) => `${el.id || el.textContent}: ${Math.round(r.width)}×${Math.round(r.height)}`))
}

/** The step banner's title and state, once it shows them. */
const banner = (page: Page, state: 'running' | 'ended', title: string) =>
  page.locator(`#step-banner[data-state="${state}"]`, { has: page.locator('#step-title', { hasText: title }) })

describe('issue 27: the agenda in the browser (method library, facilitator controls, step banner)', () => {
  suiteServer((s, b) => { server = s; browser = b })

  it('English: journey-map method from the library; start, reveal, end, next; the citizen on a phone follows; a step ends on its timer', async () => {
    const created = await sessionIn('en', 'Parking permit')
    const mod = await newContext(browser)
    const cit = await newContext(browser, PHONE)
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
    await joinWith(cit.page, `${server.url}/#code=${created.join_code}`, 'Carla')

    // the controls come first in the moderator's side bar, above their console and receipt
    const firstInSide = await mod.page.evaluate(() => document.querySelector('.side')?.firstElementChild?.querySelector('#facilitation') !== null)
    expect(firstInSide).toBe(true)
    await mod.page.locator('#facil-empty').waitFor()

    await agendaFromLibrary(mod.page, 'journey-map')
    const steps = mod.page.locator('#agenda-steps > li')
    await expect.poll(() => steps.count()).toBe(5)
    expect(await steps.allInnerTexts()).toEqual([
      expect.stringContaining('Write down pains per stage, alone'),
      expect.stringContaining('Reveal and discuss'),
      expect.stringContaining('Cluster into themes'),
      expect.stringContaining('Secret dot-vote'),
      expect.stringContaining('Review decisions')
    ])
    await expect.poll(() => steps.nth(0).innerText()).toContain('private')
    await expect.poll(() => steps.nth(3).innerText()).toMatch(/3 votes each.*secret vote/)
    await axeSerious(mod.page, 'moderator, agenda prepared')
    await mod.page.click('#agenda-edit')
    await mod.page.locator('#step-title-4').waitFor()
    expect(await bigTargets(mod.page)).toEqual([])
    await axeSerious(mod.page, 'moderator, agenda editor open')
    await mod.page.click('#agenda-cancel')

    // start: the citizen's banner shows the step, its method and a countdown, and is announced
    await mod.page.click('#facil-next')
    await banner(cit.page, 'running', 'Write down pains per stage, alone').waitFor()
    await cit.page.locator('#step-method', { hasText: 'Write alone' }).waitFor()
    expect(await cit.page.locator('#step-countdown').innerText()).toMatch(/^(09|10):\d\d left$/)
    await cit.page.locator('#announcer', { hasText: 'New step: Write down pains per stage, alone' }).waitFor()
    await mod.page.locator('#agenda-steps > li[aria-current="step"]', { hasText: 'Write down pains' }).waitFor()
    // a tick of the countdown changes its own text, nothing else of the banner or the controls
    const watch = () => {
      const w = window as unknown as { __mutations: string[] }
      w.__mutations = []
      const record = (list: MutationRecord[]): void => {
        for (const m of list) {
          const el = m.target instanceof Element ? m.target : m.target.parentElement
          w.__mutations.push(el?.closest('#step-countdown') ? 'countdown' : el?.id || el?.className || '?')
        }
      }
      for (const host of document.querySelectorAll('.step-host, .facil-host')) new MutationObserver(record).observe(host, { subtree: true, childList: true, characterData: true, attributes: true })
      return document.getElementById('step-countdown')!.dataset.left
    }
    for (const page of [cit.page, mod.page]) {
      const left = await page.evaluate(watch)
      await page.waitForFunction((was) => { const l = document.getElementById('step-countdown')!.dataset.left; return l !== was && Number(l) < Number(was) - 1 }, left)
      const touched = await page.evaluate(() => (window as unknown as { __mutations: string[] }).__mutations)
      expect(touched.length).toBeGreaterThan(0)
      expect(new Set(touched)).toEqual(new Set(['countdown']))
    }
    // the header does not say it twice
    expect(await cit.page.locator('#phase').count()).toBe(0)
    expect(await noSideways(cit.page)).toBe(true)

    // the banner stays at the top while the page scrolls, and the board's sticky headers stop below it
    await cit.page.evaluate(() => window.scrollTo(0, 300))
    await cit.page.waitForFunction(() => window.scrollY > 0)
    const box = await cit.page.locator('#step-banner').boundingBox()
    expect(box!.y).toBeLessThanOrEqual(1)
    expect(box!.height).toBeLessThan(120)
    const headTop = await cit.page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.grid thead th')!).top))
    expect(Math.abs(headTop - box!.height)).toBeLessThanOrEqual(1)
    await cit.page.screenshot({ path: screenshotPath('facilitation-360-running') })
    await axeSerious(cit.page, 'citizen on a phone, a step running')
    await axeSerious(mod.page, 'moderator, a step running')
    await mod.page.screenshot({ path: screenshotPath('facilitation-moderator-running') })

    // reveal, end, next: the citizen's banner follows each
    await mod.page.click('#facil-reveal')
    await cit.page.locator('#step-revealed').waitFor()
    await mod.page.click('#facil-end')
    await banner(cit.page, 'ended', 'Write down pains per stage, alone').waitFor()
    await cit.page.locator('#step-ended', { hasText: 'This step has ended: writing for it has stopped.' }).waitFor()
    expect(await cit.page.locator('#step-countdown').count()).toBe(0)
    await mod.page.click('#facil-next')
    await banner(cit.page, 'running', 'Reveal and discuss').waitFor()
    await cit.page.locator('#step-method', { hasText: 'Discussion' }).waitFor()

    // a step with a short duration ends on the server's clock; the banner says time is up
    await mod.page.click('#agenda-edit')
    await mod.page.fill('#step-minutes-2', '0.05')
    await mod.page.click('#agenda-save')
    await mod.page.locator('#agenda-steps > li').nth(2).locator('[data-action="start"]').click()
    await banner(cit.page, 'running', 'Cluster into themes').or(banner(cit.page, 'ended', 'Cluster into themes')).waitFor()
    await cit.page.locator('#step-ended', { hasText: 'Time is up: writing for this step has stopped.' }).waitFor()
    await mod.page.locator('#facil-now', { hasText: 'Time is up' }).waitFor()
    expect(await noSideways(cit.page)).toBe(true)
    await cit.page.screenshot({ path: screenshotPath('facilitation-360-time-up') })
    await axeSerious(cit.page, 'citizen on a phone, time is up')
    await axeSerious(mod.page, 'moderator, time is up')
    // the audit log says it in words: who started what, and that the clock ended the step
    await mod.page.click('#mod-audit-load')
    await mod.page.locator('#mod-audit li[data-action="step-started"]', { hasText: 'Mona: started the step “Cluster into themes”' }).waitFor()
    await mod.page.locator('#mod-audit li[data-action="step-ended"]', { hasText: 'The step clock: ended the step: its time was up' }).waitFor()
    await mod.page.locator('#mod-audit li[data-action="agenda"]', { hasText: 'Mona: prepared the agenda' }).first().waitFor()
    expect(mod.problems).toEqual([])
    expect(cit.problems).toEqual([])
    await mod.ctx.close(); await cit.ctx.close()
  })

  it('Dutch: a moderator on a phone runs 1-2-4-Allen, the controls above the board; the citizen sees the step and "De tijd is om"', async () => {
    const created = await sessionIn('nl', 'Parkeervergunning')
    const mod = await newContext(browser, PHONE)
    const cit = await newContext(browser, PHONE)
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
    await joinWith(cit.page, `${server.url}/#code=${created.join_code}`, 'Carla')
    // on a phone the controls are above the board, not under it
    const above = await mod.page.evaluate(() => {
      const f = document.getElementById('facilitation')!.getBoundingClientRect()
      const b = document.getElementById('board')!.getBoundingClientRect()
      return f.bottom <= b.top
    })
    expect(above).toBe(true)
    await agendaFromLibrary(mod.page, '1-2-4-all', { 0: '0.05' }, 'keyboard')
    await mod.page.locator('#agenda-steps > li', { hasText: '2: delen per twee' }).waitFor()
    expect(await noSideways(mod.page)).toBe(true)
    expect(await bigTargets(mod.page)).toEqual([])
    await axeSerious(mod.page, 'moderator on a phone, Dutch agenda')
    await mod.page.click('#facil-next')
    await cit.page.locator('#step-title', { hasText: '1: alleen en in stilte nadenken' }).waitFor()
    await cit.page.locator('#step-method', { hasText: 'Alleen schrijven' }).waitFor()
    await cit.page.locator('#step-ended', { hasText: 'De tijd is om: het schrijven voor deze stap is gestopt.' }).waitFor()
    await cit.page.locator('#announcer', { hasText: 'De tijd is om' }).waitFor()
    // the banner follows the person's language
    await cit.page.selectOption('#ui-lang', 'fr')
    await cit.page.locator('#step-ended', { hasText: 'Le temps est écoulé : l’écriture pour cette étape est terminée.' }).waitFor()
    await cit.page.locator('#step-method', { hasText: 'Écriture individuelle' }).waitFor()
    await cit.page.selectOption('#ui-lang', 'nl')
    expect(await noSideways(cit.page)).toBe(true)
    await axeSerious(cit.page, 'citizen on a phone, Dutch, time is up')
    await mod.page.locator('#facil-next', { hasText: 'Volgende: 2: delen per twee' }).click()
    await cit.page.locator('#step-banner[data-state="running"] #step-title', { hasText: '2: delen per twee' }).waitFor()
    await cit.page.locator('#step-countdown', { hasText: /^Nog 0[12]:\d\d$/ }).waitFor()
    expect(await noSideways(mod.page)).toBe(true)
    await axeSerious(mod.page, 'moderator on a phone, Dutch, a step running')
    expect(mod.problems).toEqual([])
    expect(cit.problems).toEqual([])
    await mod.ctx.close(); await cit.ctx.close()
  })
})
