//! UI strings in English, Dutch, French and German (one file each). Every language has every key
//! (unit-tested); `t(key, {n})` fills `{n}`-style placeholders, and picks the singular or plural
//! form of a "one|other" string for `n`. Text typed by participants is never
//! translated.

import { en, type Dict, type Key } from './en'
import { nl } from './nl'
import { fr } from './fr'
import { de } from './de'

export type { Key }

export const LANGUAGES = ['en', 'nl', 'fr', 'de'] as const
export type Lang = typeof LANGUAGES[number]
export const LANGUAGE_NAMES: Record<Lang, string> = { en: 'English', nl: 'Nederlands', fr: 'Français', de: 'Deutsch' }

export const DICTS: Record<Lang, Dict> = { en, nl, fr, de }

let current: Lang = 'en'

export function isLang (l: unknown): l is Lang { return typeof l === 'string' && (LANGUAGES as readonly string[]).includes(l) }

/** The UI language where no session says otherwise: the one chosen before, else the browser's, else English. */
export function initialLang (): Lang {
  const stored = typeof localStorage !== 'undefined' ? localStorage.getItem('cocreate.lang') : null
  if (isLang(stored)) return stored
  const nav = typeof navigator !== 'undefined' ? navigator.language.slice(0, 2) : 'en'
  return isLang(nav) ? nav : 'en'
}

/** Shows the UI in `l` (a session's language, say) without remembering it as the person's choice. */
export function setLang (l: Lang): void {
  current = l
  if (typeof document !== 'undefined') document.documentElement.lang = l
}

/** The person chose `l` in a language menu: shown, and remembered on this device for pages without a session. */
export function chooseLang (l: Lang): void {
  setLang(l)
  if (typeof localStorage !== 'undefined') localStorage.setItem('cocreate.lang', l)
}

export const lang = (): Lang => current

/** Intl's plural rules per language, made once. */
const plurals = new Map<Lang, Intl.PluralRules>()

/**
 * A string with a count: "{n} vote|{n} votes" holds the singular, then the plural form; Intl's
 * plural rules of the language pick one for `n` (French says "0 vote", English "0 votes").
 */
function pluralForm (s: string, n: unknown, l: Lang): string {
  const bar = s.indexOf('|')
  if (bar < 0 || typeof n !== 'number') return s
  let rules = plurals.get(l)
  if (!rules) { rules = new Intl.PluralRules(l); plurals.set(l, rules) }
  return rules.select(n) === 'one' ? s.slice(0, bar) : s.slice(bar + 1)
}

export function t (key: Key, vars: Record<string, string | number> = {}, l: Lang = current): string {
  const s = pluralForm(DICTS[l][key] ?? en[key] ?? key, vars.n, l)
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m))
}

/** The shown name of a stage or lane: its title, or the translated name of its kind. */
export function axisName (which: 'stages' | 'lanes', a: { kind: string, title: string }, l: Lang = current): string {
  if (a.title) return a.title
  const key = `${which === 'stages' ? 'stage' : 'lane'}.${a.kind}` as Key
  return key in en ? t(key, {}, l) : t(which === 'stages' ? 'stage.custom' : 'lane.custom', {}, l)
}
