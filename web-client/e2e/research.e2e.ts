// Research (issue 7) through the real server: a scripted session (two citizens add cards at
// different moments) replayed by a researcher — scrubbed to three instants, stepped, played, the
// dataset downloaded, axe on the replay view —, memos on the replay of a closed session and its
// REFI-QDA project (issue 31), the process view under the replay of a session of a process
// (issue 31, part 3), research consent at join (a participant who declines still joins), and a
// moderator erasing a participant with their text.

import { describe, it, expect } from 'vitest'
import AxeBuilder from '@axe-core/playwright'
import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { suiteServer, newContext, screenshotPath, createSession, joinWith, addCard, cell, waitUntil, moderatorAndCitizen, axeSerious, zipText, ADMIN_KEY, type Server, type CreatedSession } from './harness'

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
 * least a second apart. This waits for the clock to pass those seconds, not for anything to happen.
 */
const secondAfter = (at: number, seconds = 1): Promise<boolean> => waitUntil(async () => Date.now() > at + seconds * 1000 + 100, `${seconds} s to pass`)

const replayTexts = (page: Page): Promise<string[]> => page.locator('#replay-board .card-text').allTextContents()

/** The replay's first instant (ms): the scrubber counts from it. */
async function historyStart (created: CreatedSession): Promise<number> {
  const history = await (await fetch(`${server.url}/api/sessions/${created.id}/history`, { headers: { Authorization: `Bearer ${created.invites.researcher.token}` } })).text()
  return (JSON.parse(history.split('\n')[0]) as { at: number }).at
}

/** Opens the replay as a researcher does: their invite link, a name, and the replay's heading. */
async function openReplay (page: Page, created: CreatedSession, title: string): Promise<void> {
  await page.goto(`${server.url}/#invite=${created.invites.researcher.token}`)
  await page.fill('#join-name', 'Rita')
  await page.click('#join-submit')
  await page.locator('#replay-title', { hasText: title }).waitFor()
}

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
    await openReplay(page, created, 'Parking permit')
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
    const first = await historyStart(created)
    const scrubTo = (ms: number): number => Math.ceil((ms - first) / 1000) * 1000
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

  it('a researcher writes memos on the replay of a closed session, jumps between them, edits and deletes one, and downloads the REFI-QDA project', async () => {
    const created = await createSession(server, 'Housing benefit', 'journey-map', { recorded: true })
    const cit = await newContext(browser)
    await joinWith(cit.page, `${server.url}/#code=${created.join_code}`, 'Cas')
    await addCard(cit.page, 0, 0, 'Nobody answers the phone')
    const t1 = await recorded(created, 'Nobody answers the phone')
    // the first memo goes at the first card's second rounded up, the second at the end: two
    // seconds apart show two different times
    await secondAfter(t1, 2)
    await addCard(cit.page, 1, 1, 'The letter is full of jargon')
    await recorded(created, 'The letter is full of jargon')
    const closed = await fetch(`${server.url}/api/sessions/${created.id}/close`, { method: 'POST', headers: { Authorization: `Bearer ${created.invites.moderator.token}` } })
    expect(closed.status).toBe(200)

    const res = await newContext(browser)
    const page = res.page
    await openReplay(page, created, 'Housing benefit')
    await page.locator('#memo-none').waitFor()
    const scrubber = page.locator('#replay-scrubber')
    const memo = (text: string) => page.locator('#memo-list > li', { hasText: text })
    const addMemo = async (text: string): Promise<void> => {
      await page.fill('#memo-new', text)
      await page.click('#memo-add')
      await memo(text).waitFor()
      expect(await page.inputValue('#memo-new')).toBe('')
    }

    // two memos at two instants: the end (where the replay opens), then after the first card
    await page.locator('#replay-board .card-text', { hasText: 'The letter is full of jargon' }).waitFor()
    const atEnd = await scrubber.inputValue()
    await addMemo('Jargon comes up after the phone')
    await page.locator('#announcer', { hasText: 'Memo added at ' }).waitFor({ state: 'attached' })
    const atFirst = String(Math.ceil((t1 - await historyStart(created)) / 1000) * 1000)
    await scrubber.fill(atFirst)
    await waitUntil(async () => JSON.stringify(await replayTexts(page)) === '["Nobody answers the phone"]', 'the first card alone')
    await addMemo('The phone is the first complaint')
    // listed in the replay's order, each with its time from the start and its writer
    expect(await page.locator('#memo-list > li .memo-text').allTextContents()).toEqual(['The phone is the first complaint', 'Jargon comes up after the phone'])
    const timeOf = (text: string): Promise<string> => memo(text).locator('.memo-time').innerText()
    const [firstTime, endTime] = [await timeOf('The phone is the first complaint'), await timeOf('Jargon comes up after the phone')]
    expect(firstTime).not.toBe(endTime)
    expect(await memo('The phone is the first complaint').locator('.memo-by').innerText()).toBe('You')
    await page.screenshot({ path: screenshotPath('replay-memos'), fullPage: true })

    // a memo's time jumps the replay to its instant: by mouse to the end, by keyboard back
    await memo('Jargon comes up after the phone').locator('.memo-time').click()
    await waitUntil(async () => (await scrubber.inputValue()) === atEnd, 'the replay at the second memo')
    await page.locator('#replay-position', { hasText: `${endTime} into the session` }).waitFor()
    await page.locator('#replay-board .card-text', { hasText: 'The letter is full of jargon' }).waitFor()
    await memo('The phone is the first complaint').locator('.memo-time').focus()
    await page.keyboard.press('Enter')
    await waitUntil(async () => (await scrubber.inputValue()) === atFirst, 'the replay at the first memo')
    await page.locator('#replay-position', { hasText: `${firstTime} into the session` }).waitFor()
    await waitUntil(async () => JSON.stringify(await replayTexts(page)) === '["Nobody answers the phone"]', 'the first card alone again')

    // edit one by keyboard (focus goes to its text, then back to its Edit button), delete the other
    await memo('The phone is the first complaint').getByRole('button', { name: `Edit the memo at ${firstTime}` }).press('Enter')
    const editor = page.getByLabel(`Memo at ${firstTime}`, { exact: true })
    await waitUntil(async () => editor.evaluate((el) => el === document.activeElement), 'focus in the memo being edited')
    await editor.fill('Phone complaints open the session')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Enter')
    await memo('Phone complaints open the session').locator('.memo-text').waitFor()
    await waitUntil(async () => page.evaluate(() => document.activeElement?.id.endsWith('-edit')), 'focus back on the Edit button')
    await memo('Jargon comes up after the phone').getByRole('button', { name: `Delete the memo at ${endTime}` }).click()
    await memo('Jargon comes up after the phone').getByRole('group', { name: `Delete the memo at ${endTime}? This cannot be undone.` }).getByRole('button', { name: 'Delete' }).click()
    await waitUntil(async () => (await page.locator('#memo-list > li').count()) === 1, 'one memo left')
    // focus moves on to the memo left
    await waitUntil(async () => page.evaluate(() => document.activeElement?.closest('li')?.textContent?.includes('Phone complaints open the session') && document.activeElement?.classList.contains('memo-time')), 'focus on the memo left')
    await axeSerious(page, 'replay with memos')

    // kept by the server: there again after a reload
    await page.reload()
    await page.locator('#replay-title', { hasText: 'Housing benefit' }).waitFor()
    await memo('Phone complaints open the session').waitFor()
    expect(await page.locator('#memo-list > li').count()).toBe(1)

    // the REFI-QDA project beside the dataset: a zip whose project.qde holds the memo left, and
    // selects each card's text in the session's source (Sources/<guid>.txt, as the standard keeps it)
    const [qdpx] = await Promise.all([page.waitForEvent('download'), page.click('#replay-qdpx')])
    expect(qdpx.suggestedFilename()).toMatch(/\.qdpx$/)
    const zip = readFileSync((await qdpx.path())!)
    const project = zipText(zip, 'project.qde')
    expect(project).toContain('Phone complaints open the session')
    expect(project).not.toContain('Jargon comes up after the phone')
    const source = Array.from(zipText(zip, `Sources/${/plainTextPath="internal:\/\/([^"]+)"/.exec(project)![1]}`))
    const selected = [...project.matchAll(/<PlainTextSelection [^>]*startPosition="(\d+)" endPosition="(\d+)"/g)].map((m) => source.slice(Number(m[1]), Number(m[2])).join(''))
    expect(selected).toEqual(expect.arrayContaining(['Nobody answers the phone', 'The letter is full of jargon']))
    await page.locator('.replay-export-status', { hasText: 'REFI-QDA project downloaded.' }).waitFor()

    // a phone: the memos fit, nothing scrolls sideways
    await page.setViewportSize({ width: 360, height: 800 })
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    await axeSerious(page, 'replay with memos at 360 px')
    for (const c of [cit, res]) { expect(c.problems).toEqual([]); await c.ctx.close() }
  })

  it('the replay of a session of a process shows the process by phase, what was carried forward and decided, and downloads its dataset', async () => {
    const call = async <T>(path: string, token: string, method = 'GET', body?: unknown): Promise<T> => {
      const res = await fetch(`${server.url}${path}`, { method, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) })
      expect(res.status, `${method} ${path}`).toBeLessThan(300)
      return await res.json() as T
    }
    const { id: process } = await call<{ id: string }>('/api/processes', ADMIN_KEY, 'POST', { title: 'Parking 2027' })
    const needs = await createSession(server, 'What people need', 'journey-map', { recorded: true }, { process, cycle_phase: 'need-analysis' })
    const design = await createSession(server, 'Designing the form', 'journey-map', { recorded: true }, { process, cycle_phase: 'co-design' })
    const cit = await newContext(browser)
    await joinWith(cit.page, `${server.url}/#code=${needs.join_code}`, 'Carl')
    await addCard(cit.page, 0, 1, 'One form for all permits')
    await recorded(needs, 'One form for all permits')
    const moderator = needs.invites.moderator.token
    await call(`/api/sessions/${needs.id}/close`, moderator, 'POST')
    const state = await call<{ board: { items: Record<string, unknown> } }>(`/api/sessions/${needs.id}/state`, needs.invites.researcher.token)
    const card = Object.keys(state.board.items)[0]
    const carried = await call<{ carried: { item: string }[] }>(`/api/sessions/${needs.id}/carry`, moderator, 'POST', { to: design.id, items: [card] })
    const copy = carried.carried[0].item
    await call(`/api/sessions/${design.id}/items/${copy}/decision`, design.invites.moderator.token, 'PUT', { status: 'planned', explanation: 'One form online from June.' })

    const res = await newContext(browser)
    const page = res.page
    await openReplay(page, design, 'Designing the form')
    await page.locator('#replay-process-title', { hasText: 'The process: Parking 2027' }).waitFor()
    expect(await page.locator('#replay-process-summary').textContent()).toBe('2 sessions studied together; 1 card carried forward into a later session, 1 of them decided there.')
    const phases = page.locator('#replay-process-carried li')
    expect(await phases.allTextContents()).toEqual(['need analysis1', 'co-design0', 'co-production0', 'evaluation0'])
    await page.click('#replay-process summary')
    // sessions, participants, contributions, citizens' share, cards, decided, carried, decided after
    const row = await page.locator('#replay-process tbody tr', { hasText: 'need analysis' }).locator('td').allTextContents()
    expect([row[0], row[1], row[3], row[4], row[5], row[6], row[7]]).toEqual(['1', '1', '100%', '1', '0', '1', '1'])
    await page.locator('#replay-process').screenshot({ path: screenshotPath('replay-process') })
    await axeSerious(page, 'the process view under the replay')
    const [dataset] = await Promise.all([page.waitForEvent('download'), page.click('#replay-process-export')])
    expect(dataset.suggestedFilename()).toBe(`cocreate-process-${process}.zip`)
    const zip = readFileSync((await dataset.path())!)
    expect(zipText(zip, 'carried.csv')).toContain(`${needs.id},need-analysis,${card},${design.id},co-design,${copy},`)
    expect(zipText(zip, 'phases.csv').split('\r\n')[0]).toBe('cycle_phase,sessions,participants,citizens,contributors,contributions,citizen_contributions,cards,decided,carried_in,carried_forward,carried_forward_decided,citizen_share')
    await page.locator('#replay-process .replay-export-status', { hasText: 'Dataset downloaded.' }).waitFor()
    expect(res.problems).toEqual([]); expect(cit.problems).toEqual([])
    await res.ctx.close(); await cit.ctx.close()
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
