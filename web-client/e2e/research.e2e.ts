// Research (issue 7) through the real server: a scripted session (two citizens add cards at
// different moments) replayed by a researcher — scrubbed to three instants, stepped, played, the
// dataset downloaded, axe on the replay view —, research consent at join (a participant who
// declines still joins), and a moderator erasing a participant with their text.

import { describe, it, expect } from 'vitest'
import AxeBuilder from '@axe-core/playwright'
import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { suiteServer, newContext, screenshotPath, createSession, joinWith, addCard, cell, waitUntil, moderatorAndCitizen, type Server, type CreatedSession } from './harness'

let server: Server
let browser: Browser
suiteServer((s, b) => { server = s; browser = b })

/** The board's time (ms) once the server's board at the newest record contains `text`. */
async function recorded (created: CreatedSession, text: string): Promise<number> {
  return waitUntil(async () => {
    const res = await fetch(`${server.url}/api/sessions/${created.id}/state`, { headers: { Authorization: `Bearer ${created.invites.researcher.token}` } })
    const s = await res.json() as { at: number, board: { items: Record<string, { text?: string }> } }
    return Object.values(s.board.items ?? {}).some((i) => i.text === text) && s.at
  }, `the server's board to contain "${text}"`)
}

/**
 * The scrubber moves by whole seconds: contributions meant to be told apart on it are made at
 * least a second apart. This waits for the clock to pass that second, not for anything to happen.
 */
const secondAfter = (at: number): Promise<boolean> => waitUntil(async () => Date.now() > at + 1100, 'a second to pass')

const replayTexts = (page: Page): Promise<string[]> => page.locator('#replay-board .card-text').allTextContents()

describe('research', () => {
  it('a researcher replays a scripted session: three instants, step, play, dataset, axe', async () => {
    const created = await createSession(server, 'Parking permit', 'journey-map', { recorded: true })
    const ann = await newContext(browser)
    const bob = await newContext(browser)
    await joinWith(ann.page, `${server.url}/#code=${created.join_code}`, 'Ann')
    await joinWith(bob.page, `${server.url}/#code=${created.join_code}`, 'Bob')
    await ann.page.locator('#recorded').waitFor()

    await addCard(ann.page, 0, 0, 'Long queue at the counter')
    const t1 = await recorded(created, 'Long queue at the counter')
    await secondAfter(t1)
    await addCard(bob.page, 1, 1, 'Online form crashed')
    const t2 = await recorded(created, 'Online form crashed')
    await secondAfter(t2)
    await addCard(ann.page, 0, 2, 'Letter arrived late')
    await recorded(created, 'Letter arrived late')

    const res = await newContext(browser)
    const page = res.page
    // a researcher is never in the live room: joining opens the replay, with no way to the live board
    await page.goto(`${server.url}/#invite=${created.invites.researcher.token}`)
    await page.fill('#join-name', 'Rita')
    await page.click('#join-submit')
    await page.locator('#replay-title', { hasText: 'Parking permit' }).waitFor()
    expect(await page.locator('#replay-live').count()).toBe(0)
    // opens at the end: every card, coloured by author (Ann's two alike, Bob's different), a legend
    await page.locator('#replay-board .card-text', { hasText: 'Letter arrived late' }).waitFor()
    expect((await replayTexts(page)).sort()).toEqual(['Letter arrived late', 'Long queue at the counter', 'Online form crashed'])
    const colour = (text: string): Promise<string> => page.locator('#replay-board .card', { hasText: text }).evaluate((el) => getComputedStyle(el).borderLeftColor)
    expect(await colour('Long queue at the counter')).toBe(await colour('Letter arrived late'))
    expect(await colour('Long queue at the counter')).not.toBe(await colour('Online form crashed'))
    expect(await page.locator('#replay-legend li').count()).toBeGreaterThanOrEqual(2)
    await page.locator('#replay-summary', { hasText: /^[3-9]\d* contributions/ }).waitFor()
    await page.screenshot({ path: screenshotPath('replay-desktop'), fullPage: true })

    // scrubbed to three instants: the start (the template only), after Ann's first card, after Bob's
    const atScrub = async (value: number, expected: string[]): Promise<void> => {
      await page.locator('#replay-scrubber').fill(String(value))
      await waitUntil(async () => JSON.stringify((await replayTexts(page)).sort()) === JSON.stringify(expected), `the replay to show ${JSON.stringify(expected)}`)
    }
    const history = await (await fetch(`${server.url}/api/sessions/${created.id}/history`, { headers: { Authorization: `Bearer ${created.invites.researcher.token}` } })).text()
    const first = JSON.parse(history.split('\n')[0]) as { at: number }
    const scrubTo = (ms: number): number => Math.ceil((ms - first.at) / 1000) * 1000
    await atScrub(0, [])
    await atScrub(scrubTo(t1), ['Long queue at the counter'])
    await atScrub(scrubTo(t2), ['Long queue at the counter', 'Online form crashed'])

    // step: next then previous, by keyboard, moves one record each way
    const seq = async (): Promise<number> => Number(await page.locator('#replay-board').getAttribute('data-seq'))
    // the board shown is the current position's (a scrub may still be fetching a later one, whose
    // texts are the same): step from there, or "previous" returns to another record than shown
    await page.locator('#replay-board:not([aria-busy])').waitFor()
    const before = await seq()
    await page.locator('#replay-next').focus()
    await page.keyboard.press('Enter')
    await waitUntil(async () => (await seq()) > before, 'the next record')
    await page.locator('#replay-prev').focus()
    await page.keyboard.press('Enter')
    await waitUntil(async () => (await seq()) === before, 'the previous record')

    // jump by typed time to the start, then play at 64×: it plays to the end and stops
    await page.fill('#replay-goto', '0:00')
    await page.keyboard.press('Enter')
    await waitUntil(async () => (await replayTexts(page)).length === 0, 'the start')
    await page.selectOption('#replay-speed', '64')
    await page.click('#replay-play')
    await page.locator('#replay-play[aria-pressed="true"]').waitFor()
    await page.locator('#replay-play[aria-pressed="false"]').waitFor()
    await page.locator('#replay-board .card-text', { hasText: 'Letter arrived late' }).waitFor()

    // the research dataset: a zip
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#replay-export')])
    const bytes = readFileSync((await download.path())!)
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK')
    expect(download.suggestedFilename()).toMatch(/\.zip$/)
    // the board as shown, drawn as the live board's PNG export draws it
    const [png] = await Promise.all([page.waitForEvent('download'), page.click('#replay-png')])
    expect(readFileSync((await png.path())!).subarray(1, 4).toString('latin1')).toBe('PNG')

    const axe = await new AxeBuilder({ page }).analyze()
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([])

    // a phone: nothing scrolls sideways, and axe again
    await page.setViewportSize({ width: 360, height: 800 })
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    const axePhone = await new AxeBuilder({ page }).analyze()
    expect(axePhone.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([])
    await page.screenshot({ path: screenshotPath('replay-360'), fullPage: true })
    for (const c of [ann, bob, res]) { expect(c.problems).toEqual([]); await c.ctx.close() }
  })

  it('joining a session that asks for research consent: the question, and a participant who declines still joins', async () => {
    const created = await createSession(server, 'Benefits letter', 'canvas', { recorded: true, consent_required: true })
    const { ctx, page, problems } = await newContext(browser)
    await page.goto(`${server.url}/#code=${created.join_code}`)
    // asked before the first try: the join code's session says it asks
    await page.locator('#consent legend', { hasText: 'May researchers use your contributions?' }).waitFor()
    await page.fill('#join-name', 'Dora')
    // no answer is not an answer
    await page.click('#join-submit')
    await page.locator('#join-error', { hasText: 'Please choose yes or no.' }).waitFor()
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('consent-yes')
    await page.screenshot({ path: screenshotPath('consent-question') })
    await page.check('#consent-no')
    await page.click('#join-submit')
    await page.locator('#you', { hasText: 'Dora' }).waitFor()
    // the recorded indicator explains itself on keyboard focus
    await page.locator('#recorded').focus()
    await page.locator('#recorded-help').waitFor({ state: 'visible' })
    await page.screenshot({ path: screenshotPath('recorded-indicator') })
    const session = await (await fetch(`${server.url}/api/sessions/${created.id}`, { headers: { Authorization: `Bearer ${created.invites.moderator.token}` } })).json() as { participants: { display_name: string, research_consent: boolean | null }[] }
    expect(session.participants.find((p) => p.display_name === 'Dora')?.research_consent).toBe(false)
    expect(problems).toEqual([])
    await ctx.close()
  })

  it('a moderator erases a participant with their text: the card reads [erased], the audit keeps an entry', async () => {
    const { mod, cit } = await moderatorAndCitizen(server, browser, 'Waste collection', 'journey-map', 'Cleo')
    await addCard(cit.page, 0, 0, 'My neighbour Jan Peeters at no. 12')
    const card = cell(mod.page, 0, 0).locator('.card-text', { hasText: 'Jan Peeters' })
    await card.waitFor()
    const row = mod.page.locator('#mod-people li', { hasText: 'Cleo' })
    await row.waitFor()
    // invite links are revoked, not erased
    expect(await mod.page.locator('#mod-people li[data-invite] [data-action="erase"]').count()).toBe(0)
    await row.locator('[data-action="erase"]').click()
    await row.locator('[role="group"]', { hasText: 'Erase Cleo?' }).waitFor()
    await mod.page.check('[data-action="erase-text"]')
    await mod.page.screenshot({ path: screenshotPath('erase-confirm') })
    await mod.page.click('[data-action="erase-confirm"]')
    await cell(mod.page, 0, 0).locator('.card-text', { hasText: '[erased]' }).waitFor()
    expect(await cell(mod.page, 0, 0).locator('.card-text').allTextContents()).toEqual(['[erased]'])
    await mod.page.locator('#mod-people li', { hasText: 'erased participant' }).waitFor()
    await mod.page.click('#mod-audit-load')
    await mod.page.locator('#mod-audit li[data-action="erase"]', { hasText: 'Mona: erased the name and text of erased participant' }).waitFor()
    // the citizen was removed from the session
    await cit.page.locator('#conn-status[data-status="refused"]').waitFor()
    for (const c of [mod, cit]) { expect(c.problems).toEqual([]); await c.ctx.close() }
  })
})
