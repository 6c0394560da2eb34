// Issue 27's whole method in the browser: a moderator (1,400 × 900) and three citizens (Pia and
// Piet on 360 × 740 phones, Kees on a laptop with the keyboard only) run the journey-map workshop
// from the method library, in a Dutch session. Private writing (the countdown paused while they
// write, then resumed: the step ends on its timer; drafts reach nobody else), the reveal, the
// discussion (everyone brought to the pain points lane, one more minute), clustering, a secret
// dot-vote (no tallies until its reveal), and the review of decisions. Axe on each step's screen;
// the step banner and the drafts note in Dutch, and in German for one citizen (the other
// languages' strings are held by test/i18n.test.ts). Every wait is for the page to show
// something, never for time.

import { describe, it, expect } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { suiteServer, newContext, joinWith, axeSerious, addCard, cell, agendaFromLibrary, screenshotPath, ADMIN_KEY, type Server, type CreatedSession } from './harness'

let server: Server
let browser: Browser

const PHONE = { width: 360, height: 740 }
/** The journey map's pain points lane (actions, touchpoints, thoughts, emotions, pain points, …). */
const PAINS = 4
/** The whole private step, in minutes: it ends on the server's clock after the writing (paused meanwhile). */
const WRITE_MINUTES = '0.15'
/** The step's end is waited for: its time (paused while writing) and the server's clock. */
const STEP_END_MS = 60_000

/** The whole page as its HTML and its board document as JSON: where another's draft must not be. */
const everything = (page: Page): Promise<string> => page.evaluate(() => {
  const w = window as unknown as { __cocreate: { doc: { toJSON: () => unknown } } }
  return document.documentElement.outerHTML + JSON.stringify(w.__cocreate.doc.toJSON())
})
const boardCard = (page: Page, text: string) => page.locator('.card:not(.draft)', { hasText: text })
const stepTitle = (page: Page, title: string) => page.locator('#step-title', { hasText: title })

describe('issue 27: the journey-map method from the library, run by a moderator and three citizens', () => {
  suiteServer((s, b) => { server = s; browser = b })

  it('Dutch session: private writing ending on its timer, reveal, discuss (everyone brought here, +1 minute), cluster, secret vote, review', async () => {
    const res = await fetch(`${server.url}/api/sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` }, body: JSON.stringify({ title: 'Huurtoeslag', template: 'journey-map', language: 'nl' }) })
    expect(res.status).toBe(201)
    const created = await res.json() as CreatedSession
    const mod = await newContext(browser)
    const pia = await newContext(browser, PHONE)
    const piet = await newContext(browser, PHONE)
    const kees = await newContext(browser)
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
    for (const [c, name] of [[pia, 'Pia'], [piet, 'Piet'], [kees, 'Kees']] as const) await joinWith(c.page, `${server.url}/#code=${created.join_code}`, name)
    const citizens = [pia.page, piet.page, kees.page]
    const everyone = [mod.page, ...citizens]

    // the method from the library, in the session's language; the writing step short
    await agendaFromLibrary(mod.page, 'journey-map', { 0: WRITE_MINUTES })
    await mod.page.locator('#agenda-steps > li', { hasText: 'Schrijf alleen de pijnpunten per fase op' }).waitFor()

    // 1. private writing: started, its countdown paused while people write
    await mod.page.click('#facil-next')
    await mod.page.click('#facil-pause')
    for (const p of citizens) await p.locator('#step-banner[data-state="paused"] #step-title', { hasText: 'Schrijf alleen de pijnpunten per fase op' }).waitFor()
    await pia.page.locator('#step-countdown', { hasText: /^Gepauzeerd: nog / }).waitFor()
    await pia.page.locator('#rules-note', { hasText: 'Privéstap: je nieuwe kaarten zijn kladjes. Alleen jij ziet ze tot de moderator ze toont.' }).waitFor()
    await pia.page.locator('#rules-note', { hasText: 'De moderator opende in deze stap alleen de baan Knelpunten' }).waitFor()
    await addCard(pia.page, PAINS, 0, 'Het formulier is te lang (Pia)')
    await addCard(piet.page, PAINS, 0, 'Niemand neemt de telefoon op (Piet)')
    // Kees, by keyboard: the add button of the pain points in the second stage, Enter, type, Escape
    await cell(kees.page, PAINS, 1).locator('.add-card').focus()
    await kees.page.keyboard.press('Enter')
    await kees.page.keyboard.type('De brief komt te laat (Kees)')
    await kees.page.keyboard.press('Escape')
    await pia.page.locator('.card.draft .draft-mark', { hasText: 'Alleen jij ziet dit tot de moderator het toont' }).waitFor()
    await kees.page.locator('.card.draft', { hasText: 'De brief komt te laat (Kees)' }).waitFor()
    for (const name of ['Pia', 'Piet', 'Kees']) await mod.page.locator('#draft-counts li[data-cards="1"]', { hasText: `${name}: 1 kladje` }).waitFor()
    // nobody holds another's draft: not the moderator, not the other citizens
    const texts = ['Het formulier is te lang', 'Niemand neemt de telefoon op', 'De brief komt te laat']
    for (const [p, own] of [[mod.page, -1], [pia.page, 0], [piet.page, 1], [kees.page, 2]] as const) {
      const all = await everything(p)
      texts.forEach((text, i) => { if (i !== own) expect(all).not.toContain(text) })
    }
    await pia.page.screenshot({ path: screenshotPath('method-360-writing-nl') })
    await axeSerious(pia.page, 'citizen on a phone, private writing')
    await axeSerious(kees.page, 'citizen on a laptop, private writing')
    await axeSerious(mod.page, 'moderator, private writing')

    // … resumed, it ends on its timer: every screen says so
    await mod.page.click('#facil-pause')
    for (const p of citizens) await p.locator('#step-ended', { hasText: 'De tijd is om: het schrijven voor deze stap is gestopt.' }).waitFor({ timeout: STEP_END_MS })
    await axeSerious(piet.page, 'citizen on a phone, the writing ended')

    // 2. reveal: every draft on every board; then the discussion
    await mod.page.click('#facil-reveal')
    for (const p of [mod.page, kees.page]) for (const text of texts) await boardCard(p, text).waitFor()
    for (const p of [pia.page, piet.page]) for (const text of texts.slice(0, 2)) await boardCard(p, text).waitFor()
    await expect.poll(() => Promise.all(citizens.map((p) => p.locator('.card.draft').count()))).toEqual([0, 0, 0])
    await mod.page.locator('#facil-next', { hasText: 'Tonen en bespreken' }).click()
    for (const p of citizens) await stepTitle(p, 'Tonen en bespreken').waitFor()
    // everyone brought to the second stage: the phones, showing the first, show it
    const second = await mod.page.locator('th.stage-head').nth(1).getAttribute('data-stage')
    await mod.page.selectOption('#focus-zone', `stage:${second}`)
    await mod.page.click('#focus-bring')
    for (const p of [pia.page, piet.page]) await p.locator(`th.stage-head.in-focus[data-stage="${second}"]`).waitFor()
    await kees.page.locator(`td.cell.in-focus[data-stage="${second}"]`).first().waitFor()
    // then to the pain points lane; one more minute
    await mod.page.selectOption('#focus-zone', 'lane:lane-pain-points')
    await mod.page.click('#focus-bring')
    for (const p of citizens) await p.locator('tr[data-lane="lane-pain-points"].in-focus').waitFor()
    await piet.page.locator('#zone-focus', { hasText: 'De moderator bracht iedereen naar de baan Knelpunten.' }).waitFor()
    const left = (p: Page): Promise<number> => p.evaluate(() => Number(document.getElementById('step-countdown')?.dataset.left ?? 0))
    const before = await left(pia.page)
    await mod.page.click('#facil-extend')
    await pia.page.waitForFunction((was) => Number(document.getElementById('step-countdown')?.dataset.left) > was + 30, before)
    await piet.page.screenshot({ path: screenshotPath('method-360-discuss-nl') })
    await axeSerious(piet.page, 'citizen on a phone, brought to the pain points')
    await axeSerious(kees.page, 'citizen on a laptop, discussing')
    await mod.page.click('#focus-clear')
    for (const p of citizens) await p.locator('#zone-focus').waitFor({ state: 'hidden' })
    // the phones still show the stage everyone was brought to: back to the first
    for (const p of [pia.page, piet.page]) await p.click('[data-key="stage-prev"]')

    // 3. clustering
    await mod.page.locator('#facil-next', { hasText: 'Groeperen in thema’s' }).click()
    for (const p of citizens) await stepTitle(p, 'Groeperen in thema’s').waitFor()
    await axeSerious(pia.page, 'citizen on a phone, clustering')

    // 4. secret dot-vote: each sees only their own votes; nobody sees tallies until the reveal
    await mod.page.locator('#facil-next', { hasText: 'Geheime stemming met stippen' }).click()
    for (const p of citizens) await stepTitle(p, 'Geheime stemming met stippen').waitFor()
    const keesCard = boardCard(kees.page, 'Het formulier is te lang')
    await keesCard.focus()
    await kees.page.keyboard.press('v')
    await keesCard.locator('.vote-count[data-tally="mine"]', { hasText: 'jouw stem: 1' }).waitFor()
    const piaCard = boardCard(pia.page, 'Het formulier is te lang')
    await piaCard.locator('[data-key^="vote-visible:"]').click()
    await piaCard.locator('.vote-count[data-tally="mine"]', { hasText: 'jouw stem: 1' }).waitFor()
    expect(await boardCard(mod.page, 'Het formulier is te lang').locator('.vote-count').count()).toBe(0)
    expect(await boardCard(piet.page, 'Het formulier is te lang').locator('.vote-count').count()).toBe(0)
    await axeSerious(kees.page, 'citizen on a laptop, secret vote')
    await axeSerious(pia.page, 'citizen on a phone, secret vote')
    await mod.page.click('#facil-reveal')
    await boardCard(mod.page, 'Het formulier is te lang').locator('.vote-count[data-tally="all"]', { hasText: '2' }).waitFor()
    await boardCard(piet.page, 'Het formulier is te lang').locator('.vote-count[data-tally="all"]', { hasText: '2' }).waitFor()

    // 5. review: the moderator decides on a card
    await mod.page.locator('#facil-next', { hasText: 'Beslissingen overlopen' }).click()
    for (const p of citizens) await stepTitle(p, 'Beslissingen overlopen').waitFor()
    await mod.page.click('#decisions summary')
    const row = mod.page.locator('#decision-list li', { hasText: 'Het formulier is te lang' })
    await row.locator('select').selectOption('accepted')
    await row.locator('[data-action="decide"]').click()
    await row.locator('.mod-answer', { hasText: 'Het formulier is te lang' }).waitFor()
    await axeSerious(mod.page, 'moderator, review')
    await axeSerious(piet.page, 'citizen on a phone, review')
    // Kees reads the banner in German
    await kees.page.selectOption('#ui-lang', 'de')
    await kees.page.locator('#step-method', { hasText: 'Rückblick' }).waitFor()
    await axeSerious(kees.page, 'citizen on a laptop, review, German')

    for (const c of [mod, pia, piet, kees]) expect(c.problems).toEqual([])
    for (const p of everyone) await p.context().close()
  }, 240_000)
})
