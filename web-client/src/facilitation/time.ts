//! A step's durations in the page's language, by Intl: the countdown as digits ("04:05",
//! "1:02:03"; Intl.DurationFormat where the browser has it) and a duration in words ("10 min").

import type { Lang } from '../i18n'

/** Intl.DurationFormat (Chromium 129+, Firefox 136+, Safari 16.4+), which TypeScript's lib does not describe yet. */
interface DurationFormat { format: (d: { hours?: number, minutes: number, seconds: number }) => string }
type DurationFormatCtor = new (locale: string, opts: { style: 'digital', hoursDisplay: 'auto' }) => DurationFormat
const DurationFormatImpl = (Intl as unknown as { DurationFormat?: DurationFormatCtor }).DurationFormat

const cache = new Map<string, { format: (x: never) => string }>()
/** One formatter per language and kind, made once (they are costly to make, cheap to use). */
function made<F extends { format: (x: never) => string }> (key: string, make: () => F): F {
  let f = cache.get(key)
  if (!f) { f = make(); cache.set(key, f) }
  return f as F
}

/** Whole seconds left until `end` at `now` (never below 0; a part of a second counts as a second). */
export const secondsLeft = (end: number, now: number): number => Math.max(0, Math.ceil((end - now) / 1000))

/** A countdown of `seconds` as digits: "04:05", or "1:02:03" from an hour on. */
export function countdownText (seconds: number, l: Lang): string {
  const hours = Math.floor(seconds / 3600)
  const minutes = Math.floor(seconds / 60) % 60
  const secs = seconds % 60
  if (DurationFormatImpl) {
    return made(`d:${l}`, () => new DurationFormatImpl(l, { style: 'digital', hoursDisplay: 'auto' })).format({ hours, minutes, seconds: secs })
  }
  const n = made(`n:${l}`, () => new Intl.NumberFormat(l))
  const two = made(`n2:${l}`, () => new Intl.NumberFormat(l, { minimumIntegerDigits: 2 }))
  return hours ? `${n.format(hours)}:${two.format(minutes)}:${two.format(secs)}` : `${two.format(minutes)}:${two.format(secs)}`
}

/** A step's duration in words: "10 min", "1,5 min" (Dutch). */
export const minutesText = (minutes: number, l: Lang): string =>
  made(`m:${l}`, () => new Intl.NumberFormat(l, { style: 'unit', unit: 'minute', unitDisplay: 'short', maximumFractionDigits: 2 })).format(minutes)
