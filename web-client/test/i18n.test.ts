import { describe, it, expect } from 'vitest'
import { DICTS, LANGUAGES, t, axisName } from '../src/i18n'

describe('i18n', () => {
  it('every language has every key, with the same placeholders', () => {
    const keys = Object.keys(DICTS.en).sort()
    const vars = (s: string): string[] => (s.match(/\{\w+\}/g) ?? []).sort()
    for (const l of LANGUAGES) {
      expect(Object.keys(DICTS[l]).sort(), l).toEqual(keys)
      for (const k of keys) {
        const key = k as keyof typeof DICTS.en
        expect(vars(DICTS[l][key]), `${l} ${k}`).toEqual(vars(DICTS.en[key]))
        expect(DICTS[l][key].length, `${l} ${k}`).toBeGreaterThan(0)
      }
    }
  })
  it('fills placeholders and names stages and lanes by kind unless titled', () => {
    expect(t('vote.left', { n: 2, max: 5 }, 'nl')).toBe('Stemmen over: 2 van 5')
    expect(axisName('stages', { kind: 'wait', title: '' }, 'fr')).toBe('Attente')
    expect(axisName('lanes', { kind: 'pain-points', title: '' }, 'de')).toBe('Schmerzpunkte')
    expect(axisName('lanes', { kind: 'custom', title: 'Waarom?' }, 'de')).toBe('Waarom?')
    expect(axisName('lanes', { kind: 'unknown-kind', title: '' }, 'en')).toBe('Lane')
  })
  it('picks the singular or plural form of a count by the language\'s plural rules', () => {
    expect(t('vote.count', { n: 1 }, 'nl')).toBe('1 stem')
    expect(t('vote.count', { n: 2 }, 'nl')).toBe('2 stemmen')
    expect(t('vote.count', { n: 0 }, 'en')).toBe('0 votes')
    expect(t('vote.count', { n: 0 }, 'fr')).toBe('0 vote')
    expect(t('replay.contributions', { n: 1 }, 'de')).toBe('1 Beitrag')
  })
  it('a count followed by the word it counts has a singular and a plural form ("1 stemmen" never shows)', () => {
    // counts that are never 1 (a limit of 40 characters, figures from 5 answers, a chart's step),
    // and numbers followed by a word they do not count (a step's position, "3 of 5 decided")
    const fixed = new Set(['mod.phaseTooLong', 'figures.withheld', 'replay.activityDesc', 'facil.up', 'facil.down', 'decisions.title'])
    const counts = /\{(n|max|total|people|contributions|decided|seconds|min)\} (?!of\b|by\b|into\b)\p{Ll}/u
    const bare = Object.entries(DICTS.en).filter(([k, s]) => counts.test(s) && !s.includes('|') && !fixed.has(k)).map(([k]) => k)
    expect(bare).toEqual([])
    expect(t('leave.unsaved', { n: 1 }, 'nl')).toMatch(/^1 wijziging is/)
    expect(t('status.offlineUnsaved', { n: 1 }, 'en')).toBe('Offline: 1 change, storing it on this device…')
  })
  it('a plural string has its two forms in every language, or none', () => {
    for (const k of Object.keys(DICTS.en) as (keyof typeof DICTS.en)[]) {
      const forms = DICTS.en[k].split('|').length
      for (const l of LANGUAGES) expect(DICTS[l][k].split('|').length, `${l} ${k}`).toBe(forms)
    }
  })
})
