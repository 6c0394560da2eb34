// Sessions, roles and moderation through the real server API (server/README.md): a moderator
// joins by invite link, a citizen by join code; they co-edit; lock makes the citizen read-only
// (a forced edit never reaches the moderator, not even after unlock); kick ends the citizen's
// connection. Skipped, with the reason printed, when the binary has no sessions API yet.

import { readFile } from 'node:fs/promises'
import { describe, it, expect } from 'vitest'
import AxeBuilder from '@axe-core/playwright'
import type { Browser, Locator, Page } from 'playwright-core'
import { suiteServer, newContext, screenshotPath, createSession, boardJson, ADMIN_KEY, type Server, cell, addCard, selectCard, cardAction, joinWith, moderatorAndCitizen, addCardOfflineAndReload } from './harness'

let server: Server
let browser: Browser

/** The texts of every card in a page's document. */
const texts = (page: Page): Promise<string[]> => page.evaluate(() => {
  const w = window as unknown as { __cocreate: { doc: unknown, model: { allItems: (d: unknown) => { text: string }[] } } }
  return w.__cocreate.model.allItems(w.__cocreate.doc).map((i) => i.text).sort()
})

describe('sessions', () => {
  suiteServer((s, b) => { server = s; browser = b })

  it('moderator by invite and citizen by join code co-edit; lock turns the citizen read-only; unlock; phase, timer, votes; hide; kick', async () => {
    const created = await createSession(server, 'Parking permit', 'journey-map')
    const mod = await newContext(browser)
    const cit = await newContext(browser, { width: 900 })
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
    await mod.page.locator('#moderator').waitFor()
    await mod.page.locator('#mod-join-code', { hasText: `${created.join_code.slice(0, 3)}-${created.join_code.slice(3)}` }).waitFor()
    expect(await mod.page.locator('#mod-qr').getAttribute('src')).toMatch(/^data:image\/gif;base64,/)

    // the citizen types the code the way people do: lower case, with a space
    await cit.page.goto(`${server.url}/`)
    await cit.page.fill('#join-code', `${created.join_code.slice(0, 3).toLowerCase()} ${created.join_code.slice(3)}`)
    await cit.page.fill('#join-name', 'Carl')
    await cit.page.click('#join-submit')
    await cit.page.locator('#you', { hasText: 'Carl' }).waitFor()
    await cit.page.locator('#board-title', { hasText: 'Parking permit' }).waitFor()
    await cit.page.locator('#you', { hasText: 'Participant' }).waitFor()

    // co-editing: citizen adds, moderator edits, both see both
    await addCard(cit.page, 0, 0, 'The form asks for my licence plate twice')
    const modCard = cell(mod.page, 0, 0).locator('.card', { hasText: 'licence plate twice' })
    await modCard.waitFor()
    expect(await modCard.getAttribute('aria-label')).toContain('Carl')
    await selectCard(mod.page, modCard)
    await cardAction(modCard, 'edit')
    await mod.page.locator('textarea.card-editor').press('End')
    await mod.page.keyboard.type(' — noted')
    await mod.page.keyboard.press('Escape')
    await cell(cit.page, 0, 0).locator('.card', { hasText: 'twice — noted' }).waitFor()
    await mod.page.locator('#people li', { hasText: 'Carl' }).waitFor()
    await cit.page.locator('#people li', { hasText: 'Mona' }).waitFor()
    await expect.poll(async () => (await boardJson(mod.page)) === (await boardJson(cit.page)), { timeout: 15_000 }).toBe(true)
    // the moderator's remote edit was announced to the citizen's screen reader, with who did it
    await cit.page.locator('#announcer', { hasText: 'Mona edited “The form asks for my licence plate twice' }).waitFor({ state: 'attached' })

    // hide with a reason: the text leaves the document; unhide puts it back
    await selectCard(mod.page, modCard)
    await cardAction(modCard, 'hide-form')
    await mod.page.fill('.card.selected [data-key^="hide-reason:"]', 'personal data')
    await mod.page.click('.card.selected [data-key^="hide:"]')
    await cell(cit.page, 0, 0).locator('.card.hidden-item', { hasText: 'Hidden by a moderator: personal data' }).waitFor()
    expect(await cell(cit.page, 0, 0).locator('.card').first().textContent()).not.toContain('licence plate')
    await selectCard(mod.page, cell(mod.page, 0, 0).locator('.card.hidden-item'))
    await cardAction(mod.page.locator('.card.selected'), 'unhide')
    await cell(cit.page, 0, 0).locator('.card:not(.hidden-item)', { hasText: 'licence plate twice' }).waitFor()
    await mod.page.screenshot({ path: screenshotPath('session-moderator'), fullPage: true })

    const r = await new AxeBuilder({ page: mod.page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
    expect(r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([])

    // lock: the citizen's page turns read-only
    await mod.page.click('#mod-lock')
    await mod.page.locator('#mod-state[data-state="locked"]').waitFor()
    await cit.page.locator('.banner', { hasText: 'locked the board' }).waitFor()
    expect(await cit.page.locator('.add-card').count()).toBe(0)
    expect(await cit.page.locator('#add-stage').count()).toBe(0)
    // the moderator can still edit while locked
    expect(await mod.page.locator('.add-card').count()).toBeGreaterThan(0)

    // the moderator's edits while locked reach the citizen
    await addCard(mod.page, 1, 1, 'Written while locked')
    await cell(cit.page, 1, 1).locator('.card', { hasText: 'Written while locked' }).waitFor()
    await cit.page.screenshot({ path: screenshotPath('session-citizen-locked'), fullPage: true })

    // unlock: editing comes back, the refused edit is thrown away and never reaches anyone
    await mod.page.click('#mod-unlock')
    await cit.page.locator('.add-card').first().waitFor()
    await addCard(cit.page, 2, 2, 'After unlock')
    await cell(mod.page, 2, 2).locator('.card', { hasText: 'After unlock' }).waitFor()

    // phase, timer and votes reach the citizen
    await mod.page.fill('#mod-phase', 'vote')
    await mod.page.locator('#mod-phase').press('Enter')
    await cit.page.locator('#phase', { hasText: 'vote' }).waitFor()
    await mod.page.fill('#mod-votes', '1')
    await mod.page.locator('#mod-votes').press('Enter')
    await cit.page.locator('#votes-left', { hasText: '1 of 1' }).waitFor()
    await mod.page.fill('#mod-timer', '5')
    await mod.page.locator('#mod-timer').press('Enter')
    await cit.page.locator('#timer', { hasText: 'Time left: 4:' }).waitFor()

    // kick: the citizen's connection is refused from then on
    await mod.page.click('#mod-people li:has-text("Carl") [data-action="kick"]')
    await mod.page.locator('#mod-people li:has-text("Carl") [data-action="kick"]').waitFor({ state: 'detached' })
    await cit.page.locator('#conn-status[data-status="refused"]').waitFor()
    expect(await cit.page.locator('.add-card').count()).toBe(0)
    await cit.page.screenshot({ path: screenshotPath('session-citizen-kicked'), fullPage: true })
    expect(mod.problems).toEqual([]); expect(cit.problems).toEqual([])
    await mod.ctx.close(); await cit.ctx.close()
  })

  it('a citizen reports a card; the moderator sees the report, hides the card, reads the audit log, closes the session', async () => {
    const { mod, cit } = await moderatorAndCitizen(server, browser, 'Reports', 'journey-map')
    // participants: the four invite links are marked as such, the citizen as online
    await mod.page.locator('#mod-people li:not([data-invite])', { hasText: 'Carl · Participant · online' }).waitFor()
    expect((await mod.page.locator('#mod-people li[data-invite] > span').allTextContents()).sort()).toEqual(['invite link · Moderator', 'invite link · Observer', 'invite link · Participant', 'invite link · Researcher'])

    // the server seeds schema 2, the client's own; both clients hold it
    for (const p of [mod.page, cit.page]) {
      await p.waitForFunction(() => (window as unknown as { __cocreate: { doc: { getMap: (n: string) => { get: (k: string) => unknown } } } }).__cocreate.doc.getMap('meta').get('schema') === 2)
    }
    await addCard(mod.page, 0, 0, 'Call Jan on 0470 12 34 56')
    // the whole text first: a card redrawn for a late keystroke would reset the chosen reason
    const citCard = cell(cit.page, 0, 0).locator('.card', { hasText: 'Call Jan on 0470 12 34 56' })
    await selectCard(cit.page, citCard)
    await cardAction(citCard, 'report-form')
    await cit.page.selectOption('.card.selected [data-key^="report-reason:"]', 'personal-data')
    await cit.page.click('.card.selected [data-key^="report:"]')
    await cit.page.locator('#announcer', { hasText: 'the moderators will look at it' }).waitFor({ state: 'attached' })

    // the moderator sees it in the console (after a refresh: reports are not pushed live),
    // goes to the card and hides it
    const report = mod.page.locator('#mod-reports li', { hasText: '“Call Jan on 0470 12 34 56”: reported 1× (Personal data)' })
    await refreshUntil(mod.page, report)
    await report.locator('[data-action="show"]').click()
    await mod.page.locator('.card.selected', { hasText: 'Call Jan' }).waitFor()
    expect(await mod.page.evaluate(() => document.activeElement?.classList.contains('selected'))).toBe(true)
    await cardAction(mod.page.locator('.card.selected'), 'hide-form')
    await mod.page.fill('.card.selected [data-key^="hide-reason:"]', 'phone number')
    await mod.page.click('.card.selected [data-key^="hide:"]')
    await cell(cit.page, 0, 0).locator('.card.hidden-item', { hasText: 'Hidden by a moderator: phone number' }).waitFor()
    // hidden by a moderator counts as reviewed: the report leaves the list
    await mod.page.locator('#mod-reports', { hasText: 'Nothing reported.' }).waitFor()

    // the audit log: the hide, in words, without the hidden text
    await mod.page.click('#mod-audit-load')
    await mod.page.locator('#mod-audit li[data-action="hide"]', { hasText: 'Mona: hid' }).waitFor()
    expect(await mod.page.locator('#mod-audit').textContent()).toContain('(phone number)')
    expect(await mod.page.locator('#mod-audit').textContent()).not.toContain('0470')
    // tall enough that the console (its own scroll area) shows the reports and the audit log
    await mod.page.setViewportSize({ width: 1400, height: 1900 })
    await mod.page.screenshot({ path: screenshotPath('session-moderator-reports-audit'), fullPage: true })
    await mod.page.setViewportSize({ width: 1400, height: 900 })

    // close (asks for a second click): everyone is read-only, with a clear message
    await mod.page.click('#mod-close')
    await mod.page.locator('#mod-answer-state', { hasText: 'cannot be undone' }).waitFor()
    await mod.page.click('#mod-close')
    await mod.page.locator('#mod-state[data-state="closed"]').waitFor()
    for (const p of [cit.page, mod.page]) {
      await p.locator('.banner', { hasText: 'This session is closed. The board is read-only.' }).waitFor()
      expect(await p.locator('.add-card, #add-stage, #add-lane').count()).toBe(0)
    }
    await cit.page.locator('#announcer', { hasText: 'This session is closed' }).waitFor({ state: 'attached' })
    await mod.page.click('#mod-audit-load')
    await mod.page.locator('#mod-audit li[data-action="closed"]', { hasText: 'Mona: closed the session' }).waitFor()
    await cit.page.screenshot({ path: screenshotPath('session-citizen-closed'), fullPage: true })
    expect(mod.problems).toEqual([]); expect(cit.problems).toEqual([])
    await mod.ctx.close(); await cit.ctx.close()
  })

  it('a forced edit while locked never reaches the moderator, not even after unlock', async () => {
    const { mod, cit } = await moderatorAndCitizen(server, browser, 'Locked', 'journey-map')
    await mod.page.click('#mod-lock')
    await cit.page.locator('.banner', { hasText: 'locked the board' }).waitFor()
    // a forced edit from the citizen's console: the server drops it (and says it handled it)
    await cit.page.evaluate(() => {
      const w = window as unknown as { __cocreate: { doc: unknown, model: { addCard: (d: unknown, a: unknown, l: string, s: string, t: string) => string, lanes: (d: unknown) => { id: string }[], stages: (d: unknown) => { id: string }[] } } }
      const { doc, model } = w.__cocreate
      model.addCard(doc, { participant: 'p_forced', name: 'Forced', language: 'en' }, model.lanes(doc)[0].id, model.stages(doc)[0].id, 'FORCED EDIT')
    })
    await cit.page.locator('#conn-status[data-pending="0"]').waitFor()
    // something the moderator writes after it arrives at the citizen: the forced update was handled before
    await addCard(mod.page, 1, 1, 'Written while locked')
    await cell(cit.page, 1, 1).locator('.card', { hasText: 'Written while locked' }).waitFor()
    expect(await texts(mod.page)).not.toContain('FORCED EDIT')

    await mod.page.click('#mod-unlock')
    await cit.page.locator('.add-card').first().waitFor()
    await addCard(cit.page, 2, 2, 'After unlock')
    await cell(mod.page, 2, 2).locator('.card', { hasText: 'After unlock' }).waitFor()
    expect(await texts(mod.page)).not.toContain('FORCED EDIT')
    expect(await texts(cit.page)).not.toContain('FORCED EDIT')
    await mod.ctx.close(); await cit.ctx.close()
  })

  it('an organiser creates a session in the browser, opens it as moderator, a citizen joins with the code', async () => {
    const org = await newContext(browser)
    const cit = await newContext(browser, { width: 360, height: 780 })
    await org.page.goto(`${server.url}/`)
    await org.page.locator('details.create summary').click()
    await org.page.fill('#create-key', ADMIN_KEY)
    await org.page.fill('#create-title', 'Library card')
    await org.page.selectOption('#create-template', 'service-blueprint')
    await org.page.click('#create-submit')
    const code = await org.page.locator('#created-code').getAttribute('data-code')
    expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{7}$/)
    await org.page.click('#created-moderator')
    await org.page.fill('#join-name', 'Olga')
    await org.page.click('#join-submit')
    await org.page.locator('#you', { hasText: 'Olga (Moderator)' }).waitFor()
    await org.page.locator('#board-title', { hasText: 'Library card' }).waitFor()
    // the citizen, on a phone, types the code shown in the moderator console
    const shown = (await org.page.locator('#mod-join-code').textContent())!
    await cit.page.goto(`${server.url}/`)
    await cit.page.fill('#join-code', shown)
    await cit.page.fill('#join-name', 'Cem')
    await cit.page.selectOption('#join-lang', 'nl')
    await cit.page.click('#join-submit')
    await cit.page.locator('#you', { hasText: 'Je bent Cem (Deelnemer)' }).waitFor()
    await cit.page.locator('.stage-of', { hasText: 'Fase 1 van 5' }).waitFor()
    await addCard(cit.page, 1, 0, 'Ik moet twee keer langskomen')
    const card = cell(org.page, 1, 0).locator('.card', { hasText: 'twee keer' })
    await card.waitFor()
    expect(await card.locator('.card-text').getAttribute('lang')).toBe('nl')
    await cit.page.screenshot({ path: screenshotPath('session-citizen-phone-nl'), fullPage: true })
    // remove the citizen's contributions: the card goes for everyone
    await org.page.click('#mod-people li:has-text("Cem") [data-action="remove"]')
    await card.waitFor({ state: 'detached' })
    await cell(cit.page, 1, 0).locator('.card').waitFor({ state: 'detached' })
    // the paper kit for those who take part on paper: a PDF of the board, in Dutch
    const [kit] = await Promise.all([org.page.waitForEvent('download'), org.page.click('#mod-kit-a3')])
    expect(kit.suggestedFilename()).toMatch(/^cocreate-kit-.+-a3\.pdf$/)
    const pdf = await readFile((await kit.path())!)
    expect(pdf.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4')
    // a new join code: the console shows it, and the old one no longer lets anyone in
    await org.page.click('#mod-new-code')
    await org.page.locator(`#mod-join-code:not([data-code="${code!}"])`).waitFor()
    const late = await newContext(browser)
    await late.page.goto(`${server.url}/`)
    await late.page.fill('#join-code', shown)
    await late.page.fill('#join-name', 'Late')
    await late.page.click('#join-submit')
    await late.page.locator('#join-error:not(:empty)').waitFor()
    await org.ctx.close(); await cit.ctx.close(); await late.ctx.close()
  })

  it('offline in a session: the citizen edits offline, reloads offline, reconnects; the moderator gets the edit', async () => {
    const { mod, cit } = await moderatorAndCitizen(server, browser, 'Offline', 'journey-map')
    await addCardOfflineAndReload(cit, 3, 3, 'No network in the waiting room')
    // the token and session are in localStorage, the board in IndexedDB, the page in the service worker
    await cell(cit.page, 3, 3).locator('.card', { hasText: 'No network in the waiting room' }).waitFor()
    await cit.page.locator('#board-title', { hasText: 'Offline' }).waitFor()
    await cit.ctx.setOffline(false)
    await cell(mod.page, 3, 3).locator('.card', { hasText: 'No network in the waiting room' }).waitFor()
    await cit.page.locator('#conn-status', { hasText: 'All changes saved' }).waitFor()
    await mod.ctx.close(); await cit.ctx.close()
  })

  it('joining again as someone else on this device drops the earlier person\'s unsent edits instead of being refused for them', async () => {
    const created = await createSession(server, 'Rejoin', 'journey-map')
    const mod = await newContext(browser)
    const cit = await newContext(browser)
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
    await joinWith(cit.page, `${server.url}/#code=${created.join_code}`, 'Carl')
    // Carl writes online (his client id is his from then on), then offline: kept on this device only
    await addCard(cit.page, 0, 0, 'Said online')
    await cell(mod.page, 0, 0).locator('.card', { hasText: 'Said online' }).waitFor()
    await cit.page.waitForFunction(async () => { const r = await navigator.serviceWorker.ready; return !!r.active && (await caches.keys()).length > 0 })
    await cit.ctx.setOffline(true)
    await cit.page.locator('#conn-status[data-status="offline"]').waitFor()
    await addCard(cit.page, 0, 1, 'Said offline')
    await cit.page.locator('#conn-status', { hasText: 'changes kept on this device' }).waitFor()
    // the device joins the session again as another person (say, after Carl's token expired):
    // Carl's unsent card, written under his client id, would be a forged write for Carla (1008)
    await cit.page.evaluate((code) => { location.hash = `code=${code}` }, created.join_code)
    await cit.page.locator('#join-name').waitFor()
    await cit.ctx.setOffline(false)
    await cit.page.fill('#join-name', 'Carla')
    await cit.page.click('#join-submit')
    await cit.page.locator('#you', { hasText: 'Carla' }).waitFor()
    await addCard(cit.page, 1, 0, 'Said by Carla')
    await cell(mod.page, 1, 0).locator('.card', { hasText: 'Said by Carla' }).waitFor()
    expect(await cit.page.locator('#conn-status[data-status="refused"]').count()).toBe(0)
    expect(await cell(mod.page, 0, 1).locator('.card', { hasText: 'Said offline' }).count()).toBe(0)
    await mod.ctx.close(); await cit.ctx.close()
  })

  it('an observer sees the board read-only, live', async () => {
    const created = await createSession(server, 'Observed', 'service-blueprint')
    const mod = await newContext(browser)
    const obs = await newContext(browser)
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mia')
    await joinWith(obs.page, `${server.url}/#invite=${created.invites.observer.token}`, 'Otto')
    await obs.page.locator('.banner', { hasText: 'read-only' }).waitFor()
    expect(await obs.page.locator('.add-card').count()).toBe(0)
    await addCard(mod.page, 0, 0, 'Visible to observers')
    await cell(obs.page, 0, 0).locator('.card', { hasText: 'Visible to observers' }).waitFor()
    await obs.page.screenshot({ path: screenshotPath('session-observer'), fullPage: true })
    await mod.ctx.close(); await obs.ctx.close()
  })
})

/** Refreshes the moderator console until `item` shows: the report is stored when the citizen
 * is told, but a refresh already in flight can answer with the state from just before it. */
async function refreshUntil (page: Page, item: Locator): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.click('#mod-refresh')
    try {
      await item.waitFor({ timeout: 2000 })
      return
    } catch (e) {
      if (attempt === 5) throw new Error(`${String(e)}; the console lists: ${await page.locator('#mod-reports').innerText()}`)
    }
  }
}
