// Issue 27, the web side of parts 2 to 4 and 6: private drafts, secret votes, rules per zone and
// refused edits. A moderator runs the journey-map workshop from the method library, whose first
// step is private writing; two citizens (one on a
// 360 × 740 phone) write cards that reach nobody else (checked in the pages' content and their
// documents) until the reveal puts them on every board; the console counts drafts, never their
// text. Citizens see no structure buttons, cannot delete others' cards, are asked before deleting
// their own and can undo it. In a secret vote a citizen's votes go into their own draft document
// and nobody sees tallies. An edit the server refuses (its session message `edit-refused`) throws
// the local board away and takes the server's. Axe on the drafts view. Every wait is for the page
// to show something, never for time.

import { describe, it, expect } from 'vitest'
import type { Page } from 'playwright-core'
import type { Browser } from 'playwright-core'
import { suiteServer, newContext, createSession, joinWith, axeSerious, addCard, cell, cardAction, agendaFromLibrary, screenshotPath, type Server, type CreatedSession } from './harness'

let server: Server
let browser: Browser

const PHONE = { width: 360, height: 740 }
/** The journey map's pain points lane (actions, touchpoints, thoughts, emotions, pain points, …). */
const PAINS = 4
const PRIVATE_NOTE = 'Only you can see this until the facilitator reveals it'

/** The agenda, sent as the moderator would save it: a private brainwrite, then a secret dot-vote. */
async function setAgenda (created: CreatedSession, zones: Record<string, unknown> = {}): Promise<void> {
  const res = await fetch(`${server.url}/api/sessions/${created.id}/agenda`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${created.invites.moderator.token}` },
    body: JSON.stringify({
      steps: [
        { id: 'write', title: 'Write pains alone', method: 'brainwrite', private: true, zones },
        { id: 'vote', title: 'Secret vote', method: 'vote', votes: 3, secret: true }
      ]
    })
  })
  expect(res.status).toBe(200)
}

/** The whole page as its HTML and its board document as JSON: where a draft's text must not be. */
const everything = (page: Page): Promise<string> => page.evaluate(() => {
  const w = window as unknown as { __cocreate: { doc: { toJSON: () => unknown } } }
  return document.documentElement.outerHTML + JSON.stringify(w.__cocreate.doc.toJSON())
})

/** A card on the board (not a draft) with this text. */
const boardCard = (page: Page, text: string) => page.locator('.card:not(.draft)', { hasText: text })
const draftCard = (page: Page, text: string) => page.locator('.card.draft', { hasText: text })

describe('issue 27 in the browser: private drafts, secret votes, rules per zone, refused edits', () => {
  suiteServer((s, b) => { server = s; browser = b })

  it('private brainwriting: drafts reach nobody until the reveal; the console counts them; structure, deletion and undo follow the rules', async () => {
    const created = await createSession(server, 'Housing benefit', 'journey-map')
    const mod = await newContext(browser)
    const phone = await newContext(browser, PHONE)
    const laptop = await newContext(browser)
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
    await joinWith(phone.page, `${server.url}/#code=${created.join_code}`, 'Pia')
    const noStructure = async (p: Page): Promise<void> => {
      expect(await p.locator('[data-key^="rename-stage:"], [data-key^="delete-lane:"], #add-stage, #add-lane').count()).toBe(0)
    }
    // citizens see no structure buttons; the moderator does
    await noStructure(phone.page)
    await mod.page.locator('[data-key^="rename-stage:"]').first().waitFor()

    // the journey-map workshop from the library: private writing first
    await agendaFromLibrary(mod.page, 'journey-map')
    await mod.page.locator('#facil-next', { hasText: 'Write down pains per stage, alone' }).click()
    // Lars joins late: he writes drafts too
    await joinWith(laptop.page, `${server.url}/#code=${created.join_code}`, 'Lars')
    await noStructure(laptop.page)
    for (const p of [phone.page, laptop.page]) await p.locator('#rules-note', { hasText: 'Only you can see them until the facilitator reveals them' }).waitFor()

    // each citizen writes a card where they choose: it is a draft, marked private
    await addCard(phone.page, PAINS, 0, 'Queue at the counter (Pia)')
    await addCard(laptop.page, PAINS, 1, 'The letter is unclear (Lars)')
    await draftCard(phone.page, 'Queue at the counter (Pia)').locator('.draft-mark', { hasText: PRIVATE_NOTE }).waitFor()
    await draftCard(laptop.page, 'The letter is unclear (Lars)').locator('.draft-mark', { hasText: PRIVATE_NOTE }).waitFor()
    // the console counts them (once they reached the server), and says nothing of their text
    const counts = mod.page.locator('#draft-counts li')
    await mod.page.locator('#draft-counts li[data-cards="1"]', { hasText: 'Pia: 1 draft' }).waitFor()
    await mod.page.locator('#draft-counts li[data-cards="1"]', { hasText: 'Lars: 1 draft' }).waitFor()
    expect(await counts.count()).toBe(2)

    // a draft can be edited (its own text) by its writer
    const lars = draftCard(laptop.page, 'The letter is unclear (Lars)')
    await cardAction(lars, 'edit')
    await laptop.page.locator('textarea.card-editor').fill('The letter is unclear (Lars), too long')
    await laptop.page.keyboard.press('Escape')
    await draftCard(laptop.page, 'too long').waitFor()

    // nobody else holds a draft: not on screen, not in the page, not in their document
    const modAll = await everything(mod.page)
    expect(modAll).not.toContain('Queue at the counter')
    expect(modAll).not.toContain('The letter is unclear')
    expect(await everything(laptop.page)).not.toContain('Queue at the counter')
    expect(await everything(phone.page)).not.toContain('The letter is unclear')

    // drafts survive a reload (the server keeps the draft room)
    await phone.page.reload()
    await draftCard(phone.page, 'Queue at the counter (Pia)').waitFor()
    await phone.page.screenshot({ path: screenshotPath('drafts-phone'), fullPage: true })
    await laptop.page.screenshot({ path: screenshotPath('drafts-laptop') })
    await axeSerious(phone.page, 'citizen on a phone, drafts')
    await axeSerious(laptop.page, 'citizen on a laptop, drafts')
    await axeSerious(mod.page, 'moderator, drafts counted')

    // reveal: every card on every board, no drafts left
    await mod.page.locator('#facil-reveal').click()
    for (const p of [mod.page, phone.page, laptop.page]) {
      await boardCard(p, 'Queue at the counter (Pia)').waitFor({ state: 'attached' })
      // a phone shows one stage at a time: Lars wrote in the second
      if (p === phone.page) await p.locator('[data-key="stage-next"]').click()
      const lars = boardCard(p, 'The letter is unclear (Lars), too long')
      await lars.waitFor({ state: 'attached' })
      await expect.poll(() => p.locator('.card.draft').count()).toBe(0)
    }
    await expect.poll(() => mod.page.locator('#draft-counts').count()).toBe(0)

    // on to the discussion: the library's step opens the pain points lane for changing one's own
    // cards (the writing step opened it for adding only)
    await mod.page.locator('#facil-next', { hasText: 'Reveal and discuss' }).click()
    await laptop.page.locator('#step-title', { hasText: 'Reveal and discuss' }).waitFor()
    // a citizen deletes only their own cards: none of the other's
    const pias = boardCard(laptop.page, 'Queue at the counter (Pia)')
    await pias.locator('.card-menu-button').click()
    await pias.locator('.card-menu [data-key^="comment:"]').waitFor()
    expect(await pias.locator('.card-menu [data-key^="delete:"], .card-menu [data-key^="edit:"], .card-menu [data-key^="move-left:"]').count()).toBe(0)
    await laptop.page.keyboard.press('Escape')
    // deleting their own asks first; "cancel" keeps it
    const own = boardCard(laptop.page, 'too long')
    await cardAction(own, 'delete')
    await own.locator('[data-key^="delete-no:"]').click()
    await cardAction(own, 'delete')
    await expect.poll(() => laptop.page.evaluate(() => document.activeElement?.getAttribute('data-key') ?? '')).toMatch(/^delete-yes:/)
    await axeSerious(laptop.page, 'citizen asked before deleting')
    await laptop.page.screenshot({ path: screenshotPath('drafts-delete-ask') })
    await own.locator('[data-key^="delete-yes:"]').click()
    await expect.poll(() => mod.page.locator('.card', { hasText: 'too long' }).count()).toBe(0)
    // … and can be undone for a while, for everyone
    await laptop.page.locator('#undo-bar', { hasText: 'Deleted: “The letter is unclear' }).waitFor()
    await laptop.page.locator('#undo-delete').click()
    await boardCard(mod.page, 'The letter is unclear (Lars), too long').waitFor()
    await boardCard(laptop.page, 'The letter is unclear (Lars), too long').waitFor()

    await mod.ctx.close(); await phone.ctx.close(); await laptop.ctx.close()
  })

  it('a canvas: a note added in a private step is a draft where it was put, then on the board at the reveal; leaving forgets both copies', async () => {
    const created = await createSession(server, 'Library services', 'canvas')
    await setAgenda(created)
    const mod = await newContext(browser)
    const cit = await newContext(browser)
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
    await joinWith(cit.page, `${server.url}/#code=${created.join_code}`, 'Carla')
    // frames (groups) are the structure: the moderator's
    expect(await cit.page.locator('#add-group').count()).toBe(0)
    await mod.page.locator('#add-group').waitFor()
    await mod.page.locator('#facil-next').click()
    await cit.page.locator('#rules-note', { hasText: 'Only you can see them' }).waitFor()
    await cit.page.click('#add-note')
    await cit.page.locator('textarea.card-editor').fill('Opening hours too short')
    await cit.page.keyboard.press('Escape')
    await cit.page.locator('.note-li .card.draft', { hasText: 'Opening hours too short' }).waitFor()
    await mod.page.locator('#draft-counts li[data-cards="1"]', { hasText: 'Carla: 1 draft' }).waitFor()
    expect(await everything(mod.page)).not.toContain('Opening hours')
    await mod.page.locator('#facil-reveal').click()
    await mod.page.locator('.note-li .card:not(.draft)', { hasText: 'Opening hours too short' }).waitFor()
    await cit.page.locator('.note-li .card:not(.draft)', { hasText: 'Opening hours too short' }).waitFor()
    await expect.poll(() => cit.page.locator('.card.draft').count()).toBe(0)
    // leaving forgets the board's copy and the drafts' on this device
    await cit.page.click('#leave')
    await cit.page.locator('#join-name').waitFor()
    await expect.poll(() => cit.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name).filter((n) => n?.startsWith('cocreate:')))).toEqual([])
    await mod.ctx.close(); await cit.ctx.close()
  })

  it("a step naming zones: closed cells have no add button and the page says why; a secret vote keeps votes in the voter's own document; an edit the server refuses resets the board from the server", async () => {
    const created = await createSession(server, 'Parking permit', 'journey-map')
    await setAgenda(created, { 'lane:lane-pain-points': { citizen: 'add' } })
    const mod = await newContext(browser)
    const cit = await newContext(browser)
    const other = await newContext(browser)
    await joinWith(mod.page, `${server.url}/#invite=${created.invites.moderator.token}`, 'Mona')
    await joinWith(cit.page, `${server.url}/#code=${created.join_code}`, 'Carla')
    await joinWith(other.page, `${server.url}/#code=${created.join_code}`, 'Otto')
    await addCard(mod.page, 0, 0, 'Found the form online')

    await mod.page.locator('#facil-next').click()
    await cit.page.locator('#rules-note', { hasText: 'The facilitator opened only the Pain points lane for cards in this step.' }).waitFor()
    expect(await cell(cit.page, 0, 0).locator('.add-card').count()).toBe(0)
    expect(await cell(cit.page, PAINS, 0).locator('.add-card').count()).toBe(1)
    // the moderator's cells all stay open
    expect(await cell(mod.page, 0, 0).locator('.add-card').count()).toBe(1)
    await axeSerious(cit.page, 'citizen, zones closed')

    // the secret vote: votes go into the voter's own draft document; nobody sees tallies
    await mod.page.locator('#facil-next', { hasText: 'Secret vote' }).click()
    const card = (p: Page) => boardCard(p, 'Found the form online')
    await card(cit.page).locator('[data-key^="vote-visible:"]').click()
    await card(cit.page).locator('.vote-count[data-tally="mine"]', { hasText: 'your vote: 1' }).waitFor()
    await card(other.page).locator('[data-key^="vote-visible:"]').click()
    await card(other.page).locator('.vote-count[data-tally="mine"]', { hasText: 'your vote: 1' }).waitFor()
    const where = await cit.page.evaluate(() => {
      const w = window as unknown as { __cocreate: { doc: { getMap: (n: string) => { size: number } }, page: { drafts?: { conn: { doc: { getMap: (n: string) => { keys: () => Iterable<string> } } } } } } }
      return { board: w.__cocreate.doc.getMap('votes').size, box: [...w.__cocreate.page.drafts?.conn.doc.getMap('votes').keys() ?? []] }
    })
    expect(where.board).toBe(0)
    expect(where.box).toHaveLength(1)
    expect(where.box[0]).toMatch(/\|p_[^|]+\|0$/)
    expect(await card(mod.page).locator('.vote-count').count()).toBe(0)
    await cit.page.locator('#votes-left', { hasText: '2 of 3' }).waitFor()

    // an edit the server refuses (a citizen renaming a stage, forced past the hidden buttons): the
    // server drops it and says so; the local copy goes and the server's board comes back
    await cit.page.evaluate(() => {
      const w = window as unknown as { __cocreate: { doc: { getMap: (n: string) => { get: (k: string) => { set: (k: string, v: string) => void } } } } }
      w.__cocreate.doc.getMap('stages').get('stage-aware').set('title', 'Renamed by a citizen')
    })
    await cit.page.locator('#banner, .banner', { hasText: 'do not allow that change (the board’s stages and lanes)' }).first().waitFor()
    await cit.page.locator('#conn-status[data-status="online"]').waitFor()
    await cit.page.locator('th.stage-head', { hasText: 'Become aware' }).first().waitFor()
    expect(await cit.page.locator('th.stage-head', { hasText: 'Renamed by a citizen' }).count()).toBe(0)
    // the vote cast in secret is still there (the draft room was not thrown away)
    await card(cit.page).locator('.vote-count[data-tally="mine"]', { hasText: 'your vote: 1' }).waitFor()
    expect(await mod.page.locator('th.stage-head', { hasText: 'Renamed by a citizen' }).count()).toBe(0)

    // the reveal ends the secret: the server moves both ballots onto the board, and cards show the
    // tally again, no longer "your votes"
    await mod.page.locator('#facil-reveal').click()
    await expect.poll(() => cit.page.locator('.vote-count[data-tally="mine"]').count()).toBe(0)
    await expect.poll(() => cit.page.evaluate(() => {
      const w = window as unknown as { __cocreate: { doc: { getMap: (n: string) => { size: number } } } }
      return w.__cocreate.doc.getMap('votes').size
    })).toBe(2)
    await card(mod.page).locator('.vote-count[data-tally="all"]', { hasText: '2' }).waitFor()

    await mod.ctx.close(); await cit.ctx.close(); await other.ctx.close()
  })
})
