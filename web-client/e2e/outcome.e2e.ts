// Closing the loop (issue 20) and forgetting (issue 19 item 7) in the browser: leaving a session
// forgets its token and this device's board copy; "forget this device" forgets everything. A
// citizen contributes in Dutch, the session closes, the moderator decides on the cards, and the
// citizen opens the receipt without a valid token; the published results pass axe.

import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, it, expect } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { suiteServer, startServer, BIN, ADMIN_KEY, newContext, createSession, joinWith, addCard, axeSerious, screenshotPath, cell, selectCard, cardAction, moderatorAndCitizen, type Server } from './harness'

let server: Server
let browser: Browser

/** What this browser keeps of cocreate: localStorage keys and IndexedDB database names. */
const kept = (page: Page): Promise<{ keys: string[], dbs: string[] }> => page.evaluate(async () => ({
  keys: Object.keys(localStorage).filter((k) => k.startsWith('cocreate.')).sort(),
  dbs: (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.startsWith('cocreate:')).sort()
}))

/** Waits until the board has everything it holds kept on this device (own edits written). */
const keptLocally = (page: Page): Promise<unknown> => page.locator('#conn-status[data-local="kept"][data-pending="0"]').waitFor()

/** The id of the session a board page shows (from its address). */
const sessionOf = (page: Page): string => new URLSearchParams(new URL(page.url()).hash.slice(1)).get('s') ?? ''

/**
 * The published results of a session, wide and on a phone: the figures, the cards under their
 * status (`accepted`, then `not-taken-up`), no one's name, axe, nothing scrolling sideways.
 */
async function publishedResults (at: Server, id: string, counts: { decided: number, accepted: number }, [accepted, notTakenUp]: string[], nobody: string): Promise<void> {
  for (const width of [1400, 360]) {
    const v = await newContext(browser, { width })
    await v.page.goto(`${at.url}/#results=${id}`)
    await v.page.locator('.results-group[data-status="accepted"]', { hasText: accepted }).waitFor()
    await v.page.locator('.results-group[data-status="not-taken-up"]', { hasText: notTakenUp }).waitFor()
    expect(await v.page.locator('#count-decided .figure').textContent()).toBe(String(counts.decided))
    expect(await v.page.locator('#count-accepted .figure').textContent()).toBe(String(counts.accepted))
    expect(await v.page.locator('main').textContent()).not.toContain(nobody)
    await axeSerious(v.page, `results at ${width} px`)
    expect(await v.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    await v.page.screenshot({ path: screenshotPath(`outcome-results-${width}`), fullPage: true })
    expect(v.problems).toEqual([])
    await v.ctx.close()
  }
}

/** Sets a card's decision in the moderator console, as a moderator does, and waits until it is saved. */
async function decide (page: Page, text: string, status: string, explanation: string): Promise<void> {
  const row = page.locator('#decision-list li', { hasText: text })
  await row.locator('select').selectOption(status)
  await row.locator('textarea').fill(explanation)
  await row.locator('[data-action="decide"]').click()
  await page.locator(`#decision-list li[data-status="${status}"]`, { hasText: text }).waitFor()
}

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
    await expect.poll(() => kept(c.page)).toEqual({ keys: ['cocreate.name'], dbs: [] })
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
    expect(await kept(c.page)).toEqual({ keys: [], dbs: [] })
    expect(await c.page.locator('.recent').count()).toBe(0)
    expect(await c.page.locator('#join-name').inputValue()).toBe('')
    await axeSerious(c.page, 'join page after forgetting')
    expect(c.problems).toEqual([])
    await c.ctx.close()
  })
  it('the moderator decides on cards after the close, changes a decision, publishes and unpublishes the results', async (ctx) => {
    // a server from before issue 20 has no decisions: nothing to test against yet
    if (!(await (await fetch(`${server.url}/api/results/x`)).text()).includes('results_not_published')) {
      console.warn(`skipped: ${BIN} has no published results (issue 20)`); ctx.skip()
    }
    const { mod, cit } = await moderatorAndCitizen(server, browser, 'Opening hours', 'journey-map', 'Cato')
    await addCard(cit.page, 0, 0, 'Open on Saturday morning')
    await addCard(cit.page, 1, 1, 'Free parking for everyone')
    await cell(mod.page, 1, 1).locator('.card', { hasText: 'Free parking' }).waitFor()
    await mod.page.click('#mod-close')
    await mod.page.locator('#mod-answer-state:not(:empty)').waitFor()
    await mod.page.click('#mod-close')
    await mod.page.locator('#mod-state[data-state="closed"]').waitFor()
    // nothing published yet: the results page says so
    const viewer = await newContext(browser)
    await viewer.page.goto(`${server.url}/#results=${sessionOf(mod.page)}`)
    await viewer.page.locator('[role="alert"]', { hasText: 'not published (yet)' }).waitFor()

    await mod.page.click('#decisions summary')
    await decide(mod.page, 'Saturday morning', 'under-consideration', 'We look at the staff plan first.')
    // work progresses: the decision changes, and the form shows the new one
    await decide(mod.page, 'Saturday morning', 'accepted', 'From March, 9 to 12.')
    expect(await mod.page.locator('#decision-list li', { hasText: 'Saturday morning' }).locator('textarea').inputValue()).toBe('From March, 9 to 12.')
    await decide(mod.page, 'Free parking', 'not-taken-up', 'Parking is not the city’s to give away.')
    await mod.page.locator('#decisions summary', { hasText: '2 of 2' }).waitFor()
    // the moderator's language: the panel follows
    await mod.page.selectOption('#ui-lang', 'nl')
    await mod.page.locator('#decisions summary', { hasText: 'Besluiten (2 van 2 beslist)' }).waitFor()
    await mod.page.locator('#decision-list li[data-status="accepted"] .status-badge', { hasText: 'Aanvaard' }).waitFor()
    await mod.page.selectOption('#ui-lang', 'en')
    await mod.page.click('#results-publish')
    await mod.page.locator('#results-answer', { hasText: 'The results are published.' }).waitFor()
    await publishedResults(server, sessionOf(mod.page), { decided: 2, accepted: 1 }, ['From March, 9 to 12.', 'Parking is not the city’s to give away.'], 'Cato')
    await mod.page.click('#results-unpublish')
    await mod.page.locator('#results-answer', { hasText: 'no longer published' }).waitFor()
    await viewer.page.reload()
    await viewer.page.locator('[role="alert"]', { hasText: 'not published (yet)' }).waitFor()
    expect(mod.problems).toEqual([]); expect(viewer.problems).toEqual([])
    await mod.ctx.close(); await cit.ctx.close(); await viewer.ctx.close()
  })

  it('a process: cards of a closed need-analysis session carried into its co-design session keep their origin; the receipt follows them to their decision there', async (ctx) => {
    // a server without carrying answers 404 here; with it, 401 (no token)
    if ((await fetch(`${server.url}/api/sessions/x/carry`, { method: 'POST' })).status !== 401) {
      console.warn(`skipped: ${BIN} cannot carry cards (issue 20)`); ctx.skip()
    }
    const res = await fetch(`${server.url}/api/processes`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ title: 'Parking', description: 'Parking permits, from needs to a new form' })
    })
    const process = (await res.json() as { id: string }).id
    const needs = await createSession(server, 'What people need', 'journey-map', undefined, { process, cycle_phase: 'need-analysis' })
    const design = await createSession(server, 'Designing the form', 'journey-map', undefined, { process, cycle_phase: 'co-design' })
    const mod = await newContext(browser)
    const cit = await newContext(browser)
    await joinWith(mod.page, `${server.url}/#invite=${needs.invites.moderator.token}`, 'Mona')
    await joinWith(cit.page, `${server.url}/#code=${needs.join_code}`, 'Carl')
    await addCard(cit.page, 0, 1, 'One form for all permits')
    await addCard(cit.page, 0, 2, 'Not carried')
    await cell(mod.page, 0, 2).locator('.card', { hasText: 'Not carried' }).waitFor()
    await mod.page.click('#mod-close')
    await mod.page.locator('#mod-answer-state:not(:empty)').waitFor()
    await mod.page.click('#mod-close')
    await mod.page.locator('#carry-to option', { hasText: 'Designing the form (co-design)' }).waitFor({ state: 'attached' })
    await mod.page.check(`.carry-cards li:has-text("One form for all permits") input`)
    await mod.page.click('#carry-submit')
    await mod.page.locator('#carry-status', { hasText: '1 card carried to “Designing the form (co-design)”' }).waitFor()
    // in the co-design session the card is where it was, marked as carried, no name with it
    const next = await newContext(browser)
    await joinWith(next.page, `${server.url}/#invite=${design.invites.moderator.token}`, 'Mo')
    const carried = cell(next.page, 0, 1).locator('.card', { hasText: 'One form for all permits' })
    await carried.locator('.origin', { hasText: 'carried over from an earlier session, by its author there' }).waitFor()
    expect(await carried.locator('.origin').getAttribute('data-origin')).toBe(needs.id)
    expect(await carried.textContent()).not.toContain('Carl')
    expect(await next.page.locator('.card', { hasText: 'Not carried' }).count()).toBe(0)
    await axeSerious(next.page, 'a board with a carried card')
    // the co-design session decides on the carried card; Carl's receipt from the need analysis
    // follows his card there, to that decision
    const receiptUrl = await cit.page.locator('.receipt a.receipt-url').getAttribute('href')
    await next.page.click('#decisions summary')
    await decide(next.page, 'One form for all permits', 'planned', 'One form online from June.')
    await cit.page.goto(new URL(receiptUrl!, server.url).href)
    const line = cit.page.locator('#receipt-cards-list li', { hasText: 'One form for all permits' })
    const onward = line.locator(`.outcome-onward[data-session="${design.id}"]`)
    await onward.locator('.status-badge[data-status="planned"]').waitFor()
    expect(await onward.textContent()).toContain('Carried into “Designing the form”')
    expect(await onward.locator('.outcome-explanation').textContent()).toBe('One form online from June.')
    expect(await cit.page.locator('#receipt-cards-list li', { hasText: 'Not carried' }).locator('.outcome-onward').count()).toBe(0)
    await axeSerious(cit.page, 'a receipt following a carried card')
    expect(mod.problems).toEqual([]); expect(cit.problems).toEqual([]); expect(next.problems).toEqual([])
    await mod.ctx.close(); await cit.ctx.close(); await next.ctx.close()
  })

  it('a citizen contributes in Dutch; the session closes; the moderator decides; months later the receipt shows the decisions in Dutch without a valid token; the results pass axe', async (ctx) => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cocreate-e2e-loop-'))
    let now = await startServer({ dataDir })
    try {
      // a server from before issue 20 answers no receipt: nothing to test against yet
      const probe = await createSession(now, 'Probe', 'canvas')
      const joined = await (await fetch(`${now.url}/api/join`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: probe.join_code, display_name: 'Probe' }) })).json() as { receipt?: string }
      if (!joined.receipt) { console.warn(`skipped: ${BIN} answers no receipts (issue 20)`); ctx.skip() }
      const created = await createSession(now, 'Parkeervergunning', 'journey-map')
      const mod = await newContext(browser)
      const cit = await newContext(browser)
      await joinWith(mod.page, `${now.url}/#invite=${created.invites.moderator.token}`, 'Mona')
      // the citizen chooses Dutch on the join page, where the receipt is explained in one sentence
      await cit.page.goto(`${now.url}/#code=${created.join_code}`)
      await cit.page.selectOption('#join-lang', 'nl')
      await cit.page.locator('#join-receipt-hint', { hasText: 'persoonlijk ontvangstbewijs' }).waitFor()
      await cit.page.fill('#join-name', 'Noor')
      await cit.page.click('#join-submit')
      await cit.page.locator('#you', { hasText: 'Noor' }).waitFor()
      // the receipt after joining: its link, QR code and slip
      const receiptUrl = await cit.page.locator('.receipt a.receipt-url').getAttribute('href')
      expect(receiptUrl).toMatch(/#receipt=[\w-]{16,}/)
      expect(await cit.page.locator('.receipt img.qr').getAttribute('src')).toMatch(/^data:image\/gif;base64,/)
      await cit.page.locator('.receipt h3', { hasText: 'Je ontvangstbewijs' }).waitFor()

      // she contributes: two cards, a comment, a vote
      await addCard(cit.page, 0, 0, 'Het formulier vraagt twee keer mijn nummerplaat')
      await addCard(cit.page, 1, 1, 'Het loket sluit te vroeg')
      const first = cell(cit.page, 0, 0).locator('.card', { hasText: 'twee keer' })
      await selectCard(cit.page, first)
      await cardAction(first, 'vote')
      await cell(cit.page, 0, 0).locator('.vote-count[data-votes="1"]').waitFor()
      await first.focus()
      await cit.page.keyboard.press('c')
      await cit.page.keyboard.type('Ook op de website')
      await cit.page.keyboard.press('Enter')
      await cell(mod.page, 0, 0).locator('.comments li', { hasText: 'Ook op de website' }).waitFor({ state: 'attached' })
      await cit.page.locator('#conn-status[data-pending="0"]').waitFor()

      // the session closes: the citizen is thanked, sees her receipt again and may answer the questionnaire
      await mod.page.click('#mod-close')
      await mod.page.locator('#mod-answer-state:not(:empty)').waitFor()
      await mod.page.click('#mod-close')
      await cit.page.locator('#closed-thanks', { hasText: 'De sessie is afgesloten' }).waitFor()
      await cit.page.locator('#closed-thanks .receipt a.receipt-url').waitFor()
      // on a phone the side bar is below the board: the closed banner leads there
      await cit.page.click('#to-receipt')
      expect(await cit.page.evaluate(() => document.activeElement?.id)).toBe('closed-thanks-title')
      await cit.page.check('#closed-thanks [data-question="listened_to"] input[value="4"]')
      await cit.page.click('#eval-submit')
      await cit.page.locator('.eval-status', { hasText: 'Bedankt' }).waitFor()

      // the moderator decides on both cards after the close, and publishes the results
      await mod.page.click('#decisions summary')
      await decide(mod.page, 'twee keer mijn nummerplaat', 'accepted', 'We passen het formulier aan tegen juni.')
      await decide(mod.page, 'loket sluit te vroeg', 'not-taken-up', 'De openingsuren liggen vast tot eind dit jaar.')
      await mod.page.locator('#decisions summary', { hasText: '2 of 2' }).waitFor()
      // the officials' figures: both cards decided, the questionnaire's one answer
      await mod.page.locator('#figures-decided', { hasText: 'Citizens’ contributions with a decision: 2 of 2 (100%)' }).waitFor()
      // one answer: nothing of it shown (figures appear from 5 answers: k-anonymity)
      await mod.page.locator('#figures-responses', { hasText: 'Questionnaire answers: 1. Figures appear from 5 answers' }).waitFor()
      expect(await mod.page.locator('#figures-statements').count()).toBe(0)
      await mod.page.click('#mod-audit-load')
      await mod.page.locator('#mod-audit li[data-action="decision"]', { hasText: 'Mona: decided on “Het formulier vraagt twee keer mijn nummerplaat”: Accepted: We passen' }).waitFor()
      await mod.page.click('#results-publish')
      await mod.page.locator('#results-answer', { hasText: 'published' }).waitFor()
      await mod.page.screenshot({ path: screenshotPath('outcome-moderator-decisions'), fullPage: true })
      expect(mod.problems).toEqual([])
      await mod.ctx.close()

      // months later: the same data, the server's clock three months on; her token has expired.
      // The restarted server has another address, so this browser keeps nothing for it (its
      // language choice included), as on another device scanning the slip's QR code.
      await now.stop()
      now = await startServer({ dataDir, args: ['--clock-offset-hours', String(24 * 92)] })
      const token = await cit.page.evaluate((id) => (JSON.parse(localStorage.getItem(`cocreate.session.${id}`) ?? '{}') as { token?: string }).token, created.id)
      expect((await fetch(`${now.url}/api/me`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401)
      await cit.page.goto(`${now.url}/${new URL(receiptUrl!).hash}`)
      const cards = cit.page.locator('#receipt-cards-list')
      await cards.locator('li', { hasText: 'twee keer mijn nummerplaat' }).locator('.status-badge', { hasText: 'Aanvaard' }).waitFor()
      await cards.locator('li', { hasText: 'twee keer mijn nummerplaat' }).locator('.outcome-explanation', { hasText: 'We passen het formulier aan tegen juni.' }).waitFor()
      await cards.locator('li', { hasText: 'loket sluit te vroeg' }).locator('.status-badge', { hasText: 'Niet weerhouden' }).waitFor()
      await cit.page.locator('#receipt-comments-list li', { hasText: 'Ook op de website' }).waitFor()
      await cit.page.locator('#receipt-votes-list li', { hasText: 'twee keer' }).waitFor()
      await cit.page.locator('h2', { hasText: 'Je kaarten (2)' }).waitFor()
      expect(await cit.page.evaluate(() => document.documentElement.lang)).toBe('nl')
      // her earlier answer is there to change
      expect(await cit.page.isChecked('[data-question="listened_to"] input[value="4"]')).toBe(true)
      await axeSerious(cit.page, 'receipt')
      await cit.page.screenshot({ path: screenshotPath('outcome-receipt-nl'), fullPage: true })
      // the printable slip: printed alone (a headless browser has no print dialog to wait for)
      await cit.page.evaluate(() => { window.print = () => {} })
      await cit.page.click('.receipt-print')
      await cit.page.emulateMedia({ media: 'print' })
      expect(await cit.page.locator('#app').isVisible()).toBe(false)
      await cit.page.locator('.receipt-slip', { hasText: 'Je ontvangstbewijs voor “Parkeervergunning”' }).locator('img.qr').waitFor()
      await cit.page.screenshot({ path: screenshotPath('outcome-receipt-slip'), fullPage: true })
      await cit.page.emulateMedia({ media: 'screen' })
      expect(cit.problems).toEqual([])
      await cit.ctx.close()

      // the published results, wide and on a phone
      await publishedResults(now, created.id, { decided: 2, accepted: 1 }, ['twee keer mijn nummerplaat', 'De openingsuren liggen vast'], 'Noor')
    } finally {
      await now.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
