// Issue 27, parts 5 and 6 (the web client of the agenda): a moderator picks a method from the
// library, adapts and saves it, and runs its steps from the controls at the top of the console;
// a citizen on a 360 × 740 phone follows the step banner (title, method, countdown, "time is
// up"), which stays on screen while the page scrolls without widening it; axe on both screens,
// in English and in Dutch. The timer's actions (+1 minute, pause and resume, what happens when
// time is up: keep going with a chime, or lock) and "bring everyone here" (the citizen's board
// goes to a lane and marks it, a late joiner's too; "Stay where I am"; the moderator lets
// everyone go). Every wait is for the page to show something, never for time.

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

  it('timer actions and bring everyone here: +1 minute, pause, resume; keep going with a chime, or lock; everyone brought to a lane, late joiners too; Stay where I am', async () => {
    const created = await sessionIn('en', 'Rent allowance')
    const mod = await newContext(browser)
    const cit = await newContext(browser, PHONE)
    // the chime is made by Web Audio: a stand-in counts the tones started
    await cit.page.addInitScript(() => {
      const w = window as unknown as { __tones: number, AudioContext: unknown }
      w.__tones = 0
      const node = () => ({ connect: (x: unknown) => x, start: () => { w.__tones++ }, stop: () => {}, frequency: { value: 0 }, gain: { setValueAtTime: () => {}, exponentialRampToValueAtTime: () => {} } })
      w.AudioContext = class { currentTime = 0; destination = {}; createOscillator = node; createGain = node }
    })
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
    await joinWith(cit.page, `${server.url}/#code=${created.join_code}`, 'Carla')

    // the editor: what happens when time is up, and a step's zone for citizens
    await agendaFromLibrary(mod.page, 'journey-map', { 1: '0.05', 2: '0.05' })
    await mod.page.click('#agenda-edit')
    await mod.page.selectOption('#step-on-end-1', 'continue')
    await mod.page.selectOption('#step-on-end-2', 'lock')
    await mod.page.locator('#step-title-1').locator('..').locator('summary').click()
    await mod.page.selectOption('#step-zone-0-1', 'add') // the first stage
    await axeSerious(mod.page, 'moderator, the editor with zones open')
    await mod.page.click('#agenda-save')
    await mod.page.locator('#agenda-steps > li', { hasText: 'keep going' }).waitFor()
    await mod.page.locator('#agenda-steps > li', { hasText: 'lock the session' }).waitFor()
    const agenda = await (await fetch(`${server.url}/api/sessions/${created.id}/agenda`, { headers: { Authorization: `Bearer ${created.invites.moderator.token}` } })).json() as { agenda: { steps: { on_end: string, zones: Record<string, { citizen: string }> }[] } }
    expect(agenda.agenda.steps.map((s) => s.on_end)).toEqual(['end', 'continue', 'lock', 'end', 'end'])
    expect(agenda.agenda.steps[0].zones).toEqual({ 'lane:lane-pain-points': { citizen: 'add' } })
    expect(Object.values(agenda.agenda.steps[1].zones)).toContainEqual({ citizen: 'add' })
    expect(Object.keys(agenda.agenda.steps[1].zones)).toContain(`stage:${await mod.page.locator('th.stage-head').first().getAttribute('data-stage')}`)

    // +1 minute, pause, resume: the citizen's countdown follows
    await mod.page.click('#facil-next')
    await cit.page.locator('#step-countdown', { hasText: /^(09|10):\d\d left$/ }).waitFor()
    // the chime starts off for people who prefer reduced motion (as these browsers do); Carla turns it on
    await cit.page.locator('#step-chime[aria-pressed="false"]').click()
    await cit.page.locator('#step-chime[aria-pressed="true"]').waitFor()
    await mod.page.click('#facil-extend')
    await cit.page.waitForFunction(() => Number(document.getElementById('step-countdown')?.dataset.left) > 600)
    await cit.page.locator('#step-countdown', { hasText: /^(10|11):\d\d left$/ }).waitFor()
    await mod.page.click('#facil-pause')
    await cit.page.locator('#step-banner[data-state="paused"] #step-countdown', { hasText: /^Paused: 1[01]:\d\d left$/ }).waitFor()
    await mod.page.locator('#facil-pause', { hasText: 'Resume the countdown' }).waitFor()
    await axeSerious(cit.page, 'citizen on a phone, countdown paused')
    await mod.page.click('#facil-pause')
    await cit.page.locator('#step-banner[data-state="running"] #step-countdown', { hasText: /^1[01]:\d\d left$/ }).waitFor()

    // bring everyone here: the pain points lane; the citizen's board goes there and marks it, keyboard focus stays
    await cit.page.focus('#ui-lang')
    // the first stage is offered until another place is picked
    expect(await mod.page.inputValue('#focus-zone')).toBe(`stage:${await mod.page.locator('th.stage-head').first().getAttribute('data-stage')}`)
    await mod.page.selectOption('#focus-zone', 'lane:lane-pain-points')
    await mod.page.click('#focus-bring')
    await mod.page.locator('#focus-answer', { hasText: 'Everyone was brought to the Pain points lane.' }).waitFor()
    await cit.page.locator('#zone-focus', { hasText: 'The facilitator brought everyone to the Pain points lane.' }).waitFor()
    await cit.page.locator('tr[data-lane="lane-pain-points"].in-focus').waitFor()
    // scrolled to: the lane is below the sticky banner and bar, on screen
    await cit.page.waitForFunction(() => {
      const r = document.querySelector('tr[data-lane="lane-pain-points"]')!.getBoundingClientRect()
      const top = document.querySelector('.step-host')!.getBoundingClientRect().bottom
      return window.scrollY > 0 && r.top >= top - 1 && r.bottom <= window.innerHeight
    })
    expect(await focusedId(cit.page)).toBe('ui-lang')
    expect(await noSideways(cit.page)).toBe(true)
    await cit.page.screenshot({ path: screenshotPath('facilitation-360-brought-here') })
    await axeSerious(cit.page, 'citizen on a phone, brought to a lane')
    // a citizen who joins later is brought there too
    const late = await newContext(browser, PHONE)
    await joinWith(late.page, `${server.url}/#code=${created.join_code}`, 'Lou')
    await late.page.locator('tr[data-lane="lane-pain-points"].in-focus').waitFor()
    await late.page.locator('#zone-focus:not([hidden])').waitFor()
    // "Stay where I am", by keyboard: the mark and the bar go, focus stays on the board
    await cit.page.focus('#focus-leave')
    await cit.page.keyboard.press('Enter')
    await cit.page.locator('#zone-focus').waitFor({ state: 'hidden' })
    expect(await cit.page.locator('.in-focus').count()).toBe(0)
    expect(await focusedId(cit.page)).toBe('board-title')
    // the moderator lets everyone go
    await mod.page.click('#focus-clear')
    await late.page.locator('#zone-focus').waitFor({ state: 'hidden' })
    expect(await late.page.locator('.in-focus').count()).toBe(0)

    // keep going: time is up, nothing ends; the chime sounds once (two tones) for Carla
    await mod.page.locator('#agenda-steps > li').nth(1).locator('[data-action="start"]').click()
    await cit.page.locator('#step-banner[data-state="running"] #step-countdown', { hasText: 'Time is up: the facilitator decides what comes next' }).waitFor()
    await cit.page.waitForFunction(() => (window as unknown as { __tones: number }).__tones === 2)
    await cit.page.locator('#announcer', { hasText: 'the facilitator decides what comes next' }).waitFor()
    expect(await mod.page.locator('#facil-end').count()).toBe(1)
    await axeSerious(cit.page, 'citizen on a phone, time is up, keep going')
    // lock: the step ends on its time and the session locks
    await mod.page.locator('#agenda-steps > li').nth(2).locator('[data-action="start"]').click()
    await cit.page.locator('#step-ended', { hasText: 'Time is up' }).waitFor()
    await cit.page.locator('.banner', { hasText: 'The moderator has locked the board.' }).waitFor()
    expect(mod.problems).toEqual([])
    expect(cit.problems).toEqual([])
    expect(late.problems).toEqual([])
    await mod.ctx.close(); await cit.ctx.close(); await late.ctx.close()
  })
})
