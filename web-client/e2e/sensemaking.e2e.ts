// Issue 29 in the browser, against a server running its sensemaking model: a moderator and a
// citizen on a journey map of twelve cards in Dutch, French and English about two things (long
// queues at the counter, an online form that crashes). The moderator asks for themes, checks a
// cited card on the board, accepts, and the groups reach the citizen's board; the citizen types
// a card that says what another already says and is offered that one; coverage shows the empty
// cells; axe on the panels; nothing scrolls sideways on a 360 px phone, in English and Dutch.

import { describe, it, expect } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { suiteServer, senseModelArgs, newContext, createSession, moderatorAndCitizen, joinWith, axeSerious, cell, screenshotPath, type Server, type CreatedSession } from './harness'

const model = senseModelArgs()

let server: Server
let browser: Browser

const PHONE = { width: 360, height: 740 }

/** Nothing on the page scrolls sideways. */
const noSideways = (page: Page): Promise<boolean> => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)

/** The cards, by theme: [language, text]. */
const QUEUES: [string, string][] = [
  ['en', 'Long queues at the counter, I waited more than an hour'],
  ['nl', 'Lange wachtrij aan het loket, ik heb meer dan een uur gewacht'],
  ['fr', 'Longue file d’attente au guichet, j’ai attendu plus d’une heure'],
  ['en', 'The queue at the town hall counter was far too long'],
  ['nl', 'Veel te lang in de rij gestaan aan het loket van het gemeentehuis'],
  ['fr', 'Beaucoup trop d’attente au guichet de la commune']
]
const FORMS: [string, string][] = [
  ['en', 'The online form crashed when I pressed submit'],
  ['nl', 'Het online formulier crashte toen ik op verzenden klikte'],
  ['fr', 'Le formulaire en ligne a planté quand j’ai cliqué sur envoyer'],
  ['en', 'The website form keeps crashing and loses what I typed'],
  ['nl', 'Het webformulier loopt steeds vast en mijn gegevens zijn weg'],
  ['fr', 'Le formulaire du site plante et perd mes données']
]

/**
 * Puts cards on the board as the moderator's browser writes them (with their language), in the
 * pain points lane: the queues in the second stage, the forms in the third. Returns their ids.
 */
async function putCards (page: Page, cards: [string, string][], stage: number): Promise<string[]> {
  return page.evaluate(({ cards, stage }) => {
    type Axis = { id: string, kind: string }
    const w = (window as unknown as { __cocreate: { doc: unknown, page: { store: { env: { author: () => object } } }, model: {
      stages: (d: unknown) => Axis[], lanes: (d: unknown) => Axis[], addCard: (d: unknown, a: object, lane: string, stage: string) => string, itemText: (d: unknown, id: string) => { insert: (i: number, s: string) => void }
    } } }).__cocreate
    const lane = w.model.lanes(w.doc).find((l) => l.kind === 'pain-points')!.id
    const st = w.model.stages(w.doc)[stage].id
    return cards.map(([language, text]) => {
      const id = w.model.addCard(w.doc, { ...w.page.store.env.author(), language }, lane, st)
      w.model.itemText(w.doc, id).insert(0, text)
      return id
    })
  }, { cards, stage })
}

/** The item ids of the board's groups, as a browser has them. */
const groupsOn = (page: Page): Promise<string[]> => page.evaluate(() => {
  const w = (window as unknown as { __cocreate: { doc: unknown, model: { allItems: (d: unknown) => { id: string, type: string }[] } } }).__cocreate
  return w.model.allItems(w.doc).filter((i) => i.type === 'group').map((i) => i.id)
})

/** A call of the session's API with its moderator's invite token, answered 200. */
async function moderatorCall (created: CreatedSession, method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${server.url}/api/sessions/${created.id}/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${created.invites.moderator.token}` },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  expect(res.status, `${method} ${path}: ${await res.text()}`).toBe(200)
}

/** Opens the moderator's sensemaking panel (closed outside a cluster step). */
async function openPanel (page: Page): Promise<void> {
  await page.locator('#sensemaking > summary').waitFor()
  if (!await page.locator('#sensemaking').evaluate((d) => (d as HTMLDetailsElement).open)) await page.click('#sensemaking > summary')
  await page.locator('#sense-suggest').waitFor()
}

describe.skipIf(!model)('issue 29: sensemaking in the browser (themes, similar cards, coverage)', () => {
  suiteServer((s, b) => { server = s; browser = b }, model)

  it('themes cite their cards and become groups for everyone; a card being typed is offered its twin; coverage shows the gaps', async () => {
    const { mod, cit } = await moderatorAndCitizen(server, browser, 'Permits at the counter', 'journey-map')
    const queues = await putCards(mod.page, QUEUES, 1)
    const forms = await putCards(mod.page, FORMS, 2)
    await cit.page.locator(`.card[data-id="${forms[5]}"]`, { hasText: 'perd mes données' }).waitFor()

    // themes: suggestions only, each citing its cards
    await openPanel(mod.page)
    await mod.page.click('#sense-suggest')
    await mod.page.locator('#sense-proposal').waitFor()
    await expect.poll(() => mod.page.locator('#sense-proposal .sense-note').textContent()).toMatch(/nothing changes on the board until you accept/)
    const themes = await mod.page.locator('.theme').evaluateAll((els) => els.map((li) => [...li.querySelectorAll<HTMLElement>('.cite')].map((c) => c.dataset.cite!)))
    const queueTheme = themes.find((ids) => ids.includes(queues[0]))
    const formTheme = themes.find((ids) => ids.includes(forms[0]))
    // cards of one idea in three languages in one theme, the two ideas apart
    expect(queueTheme?.filter((id) => queues.includes(id)).length).toBeGreaterThanOrEqual(4)
    expect(formTheme?.filter((id) => forms.includes(id)).length).toBeGreaterThanOrEqual(4)
    expect(queueTheme).not.toBe(formTheme)
    expect(queueTheme?.some((id) => forms.includes(id))).toBe(false)
    await expect.poll(() => groupsOn(cit.page)).toEqual([]) // nothing changed yet
    // a cited card is shown on the board
    await mod.page.locator(`.theme .cite[data-cite="${forms[1]}"]`).click()
    await mod.page.locator(`.card.selected[data-id="${forms[1]}"]`).waitFor()
    await axeSerious(mod.page, 'themes')

    // accept the queue and form themes only: the groups reach the citizen through the room
    const chosen = [themes.indexOf(queueTheme!), themes.indexOf(formTheme!)]
    for (let i = 0; i < themes.length; i++) await mod.page.locator('.theme').nth(i).locator('input[type=checkbox]').setChecked(chosen.includes(i))
    await mod.page.locator('#sense-accept', { hasText: 'Accept 2 themes as groups' }).click()
    await mod.page.locator('#sense-proposal .sense-note', { hasText: 'Accepted: 2 groups are on the board for everyone.' }).waitFor()
    await expect.poll(() => groupsOn(cit.page)).toHaveLength(2)
    await cit.page.locator(`.card[data-id="${queues[2]}"] .in-group`).waitFor()

    // coverage: a table with stage and lane headers, empty cells said in words
    await mod.page.click('#sense-coverage-show')
    await mod.page.locator('#sense-coverage').waitFor()
    expect(await mod.page.locator('#sense-coverage thead th[scope=col]').count()).toBeGreaterThanOrEqual(3)
    expect(await mod.page.locator('#sense-coverage tbody th[scope=row]').count()).toBeGreaterThanOrEqual(3)
    expect(await mod.page.locator('#sense-coverage td[data-flag="empty"]', { hasText: 'empty' }).count()).toBeGreaterThan(5)
    await mod.page.locator('#sense-coverage td:not([data-flag])', { hasText: '6 cards' }).first().waitFor()
    await axeSerious(mod.page, 'coverage')
    await mod.page.screenshot({ path: screenshotPath('sensemaking-moderator'), fullPage: true })

    // the citizen types a card another already says: offered to vote for it, still typing
    await cell(cit.page, 3, 1).locator('.add-card').click()
    const editor = cit.page.locator('textarea.card-editor')
    await editor.pressSequentially('Lange wachtrij aan het loket, ik moest een uur wachten')
    const tray = cit.page.locator('#similar-tray')
    await tray.locator('#similar-title', { hasText: /similar cards? already says? this/ }).waitFor()
    const offered = await tray.locator('.cite').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.cite!))
    expect(offered.length).toBeGreaterThan(0)
    expect(offered.every((id) => queues.includes(id))).toBe(true)
    expect(await editor.evaluate((e) => e === document.activeElement)).toBe(true)
    await axeSerious(cit.page, 'similar cards')
    await tray.locator(`[data-vote="${offered[0]}"]`).click()
    await cit.page.locator(`.card[data-id="${offered[0]}"] .vote-count[data-votes="1"]`).waitFor()
    expect(await editor.evaluate((e) => e === document.activeElement)).toBe(true) // voting did not end the typing
    await editor.pressSequentially(', echt te lang')
    await cit.page.keyboard.press('Escape')
    await cit.page.screenshot({ path: screenshotPath('sensemaking-citizen') })
    expect(mod.problems.concat(cit.problems)).toEqual([])
    await mod.ctx.close()
    await cit.ctx.close()
  })

  it('on a 360 px phone, in Dutch and by keyboard, in a cluster step: the panel opens by itself; the panels and the similar cards fit; two words ask nothing', async () => {
    const created = await createSession(server, 'Telefoon', 'journey-map')
    const mod = await newContext(browser, PHONE)
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
    await mod.page.selectOption('#ui-lang', 'nl')
    const ids = await putCards(mod.page, [...QUEUES.slice(0, 3), ...FORMS.slice(0, 3)], 1)
    // a cluster step under way: the panel opens by itself and says why
    await moderatorCall(created, 'PUT', 'agenda', { steps: [{ id: 'sort', title: 'Ordenen', method: 'cluster' }] })
    await moderatorCall(created, 'POST', 'agenda/steps/sort/start')
    await mod.page.locator('#sensemaking[open] .sense-hint', { hasText: 'Dit is een clusterstap' }).waitFor()
    await openPanel(mod.page)
    expect(await mod.page.locator('#sensemaking > summary').textContent()).toBe('Betekenis geven: thema’s en dekking')
    await mod.page.focus('#sense-suggest')
    await mod.page.keyboard.press('Enter')
    await mod.page.locator('#sense-proposal .sense-note', { hasText: 'Alleen voorstellen' }).waitFor()
    await mod.page.locator(`.theme .cite[data-cite="${ids[0]}"]`).focus()
    await mod.page.keyboard.press('Enter')
    await mod.page.locator(`.card.selected[data-id="${ids[0]}"]`).waitFor()
    await mod.page.focus('#sense-coverage-show')
    await mod.page.keyboard.press('Enter')
    await mod.page.locator('#sense-coverage td[data-flag="empty"]', { hasText: 'leeg' }).first().waitFor()
    expect(await noSideways(mod.page)).toBe(true)
    await axeSerious(mod.page, 'panels on a phone, in Dutch')
    await mod.page.screenshot({ path: screenshotPath('sensemaking-phone'), fullPage: true })

    const cit = await newContext(browser, PHONE)
    await joinWith(cit.page, `${server.url}/#code=${created.join_code}`, 'Carla')
    const asked: string[] = []
    cit.page.on('request', (r) => { if (r.url().endsWith('/assist/similar')) asked.push(r.postDataJSON().text) })
    await cit.page.locator('.add-card').first().click()
    const editor = cit.page.locator('textarea.card-editor')
    await editor.fill('Het online')
    await editor.pressSequentially(' formulier crasht bij het verzenden')
    await cit.page.locator('#similar-tray .cite').first().waitFor()
    // two words asked nothing; a pause in typing may have asked about a part of three or more
    expect(asked.at(-1)).toBe('Het online formulier crasht bij het verzenden')
    expect(asked.filter((q) => q.split(' ').length < 3)).toEqual([])
    expect(await noSideways(cit.page)).toBe(true)
    expect(mod.problems.concat(cit.problems)).toEqual([])
    await mod.ctx.close()
    await cit.ctx.close()
  })
})

describe('issue 29 on a server without the model', () => {
  let plain: Server
  suiteServer((s, b) => { plain = s; browser = b })

  it('the moderator reads that sensemaking is off; a citizen typing is asked nothing more after the first answer', async () => {
    const { mod, cit } = await moderatorAndCitizen(plain, browser, 'No model', 'journey-map')
    await openPanel(mod.page)
    await mod.page.click('#sense-suggest')
    await mod.page.locator('#sense-themes-state[role=alert]', { hasText: 'Sensemaking is off on this server.' }).waitFor()
    const answered: number[] = []
    cit.page.on('response', (r) => { if (r.url().endsWith('/assist/similar')) answered.push(r.status()) })
    await cell(cit.page, 3, 1).locator('.add-card').click()
    const editor = cit.page.locator('textarea.card-editor')
    await editor.pressSequentially('The queue was long')
    await expect.poll(() => answered).toEqual([503])
    await editor.pressSequentially(' and slow, far too slow')
    await cit.page.keyboard.press('Escape')
    await cit.page.locator('.card', { hasText: 'far too slow' }).waitFor()
    expect(answered).toEqual([503])
    expect(await cit.page.locator('#similar-tray').count()).toBe(0)
    await mod.ctx.close()
    await cit.ctx.close()
  })
})
