import { describe, it, expect } from 'vitest'
import { LANGUAGES } from '../src/i18n'
import { METHOD_IDS, STEP_METHODS, methodAgenda, methodName, methodsFor } from '../src/facilitation/methods'
import { countdownText, minutesText, secondsLeft } from '../src/facilitation/time'
import { auditSentence } from '../src/session/audit-text'
import { setLang } from '../src/i18n'

describe('method library', () => {
  it('every method is a valid agenda in every language: titles of 1 to 120 characters, known methods, durations the server takes', () => {
    for (const id of METHOD_IDS) {
      for (const l of LANGUAGES) {
        const steps = methodAgenda(id, l)
        expect(steps.length, `${id} ${l}`).toBeGreaterThan(0)
        expect(methodName(id, l).length).toBeGreaterThan(0)
        for (const s of steps) {
          expect(s.title.length, `${id} ${l}`).toBeGreaterThan(0)
          expect(s.title.length).toBeLessThanOrEqual(120)
          expect(s.title).not.toMatch(/^method\./) // a translated title, not the key
          expect(STEP_METHODS).toContain(s.method)
          if (s.minutes != null) { expect(s.minutes).toBeGreaterThan(0); expect(s.minutes).toBeLessThanOrEqual(1440) }
          if (s.votes != null) { expect(s.votes).toBeGreaterThanOrEqual(0); expect(s.votes).toBeLessThanOrEqual(100) }
          expect(s.id).toBeUndefined() // the server names new steps
        }
      }
    }
  })
  it('is in each language of its own: no title left in English', () => {
    for (const id of METHOD_IDS) {
      const en = methodAgenda(id, 'en').map((s) => s.title)
      for (const l of ['nl', 'fr', 'de'] as const) expect(methodAgenda(id, l).map((s) => s.title), `${id} ${l}`).not.toEqual(en)
    }
  })
  it('the journey-map workshop: private brainwriting, reveal and discuss, cluster, secret dot-vote, review', () => {
    const steps = methodAgenda('journey-map', 'en')
    expect(steps.map((s) => s.method)).toEqual(['brainwrite', 'discuss', 'cluster', 'vote', 'review'])
    expect(steps[0]).toMatchObject({ private: true, secret: false })
    expect(steps[3]).toMatchObject({ secret: true, votes: 3 })
    expect(steps[4].minutes).toBeNull()
    expect(methodAgenda('journey-map', 'nl')[0].title).toBe('Schrijf alleen de pijnpunten per fase op')
  })
  it("the journey-map workshop's zones name the board's lanes by kind: the private writing opens only the pain points, for adding", () => {
    const board = [
      { zone: 'stage:apply', name: 'Apply' },
      { zone: 'lane:lane-pain-points', name: 'Pain points', kind: 'pain-points' },
      { zone: 'lane:x1', name: 'Ideas', kind: 'opportunities' },
      { zone: 'votes', name: 'votes' }
    ]
    const [write, discuss, , vote, review] = methodAgenda('journey-map', 'en', board)
    expect(write.zones).toEqual({ 'lane:lane-pain-points': { citizen: 'add' } })
    expect(discuss.zones).toEqual({ 'lane:lane-pain-points': { citizen: 'edit' }, 'lane:x1': { citizen: 'add' } })
    expect(vote.zones?.['lane:x1']).toEqual({ citizen: 'read' })
    expect(review.zones?.votes).toEqual({ citizen: 'read' })
    // a board without such lanes: the step names none of them (nothing closed by a name it lacks)
    expect(methodAgenda('journey-map', 'en', [])[0].zones).toEqual({})
  })
  it('1-2-4-All runs 1, 2 and 4 minutes, then the whole group; the blueprint walkthrough has a private step and a secret vote', () => {
    expect(methodAgenda('1-2-4-all').map((s) => s.minutes).slice(0, 3)).toEqual([1, 2, 4])
    const bp = methodAgenda('blueprint')
    expect(bp.some((s) => s.private)).toBe(true)
    expect(bp.some((s) => s.method === 'vote' && s.secret)).toBe(true)
  })
  it('lists the methods made for the board first', () => {
    expect(methodsFor('service-blueprint')[0]).toBe('blueprint')
    expect(methodsFor('journey-map')[0]).toBe('journey-map')
    expect(new Set(methodsFor('canvas'))).toEqual(new Set(METHOD_IDS))
  })
})

describe('step times', () => {
  it('counts whole seconds left, never below zero', () => {
    expect(secondsLeft(10_000, 0)).toBe(10)
    expect(secondsLeft(10_000, 9_001)).toBe(1)
    expect(secondsLeft(10_000, 12_000)).toBe(0)
  })
  it('shows a countdown as digits and a duration in the language', () => {
    expect(countdownText(125, 'en')).toBe('02:05')
    expect(countdownText(3725, 'nl')).toBe('1:02:05')
    expect(minutesText(1.5, 'nl')).toBe('1,5 min')
    expect(minutesText(10, 'en')).toBe('10 min')
  })
})

describe('the agenda in the audit log', () => {
  it('says what happened to a step in words, also why it ended', () => {
    setLang('nl')
    const none = (): string => ''
    expect(auditSentence('step-started', 'step_1', 'Tonen en bespreken', none)).toBe('startte de stap “Tonen en bespreken”')
    expect(auditSentence('step-ended', 'step_1', 'time', none)).toBe('beëindigde de stap: de tijd was om')
    expect(auditSentence('step-ended', 'step_1', 'next step', none)).toBe('beëindigde de stap door de volgende te starten')
    expect(auditSentence('step-ended', 'step_1', 'moderator', none)).toBe('beëindigde de stap')
    expect(auditSentence('agenda', 's_1', '[{"title":"x"}]', none)).toBe('stelde de agenda op')
    setLang('en')
  })
})
