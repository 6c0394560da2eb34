//! A coverage cell in words and in a shade: how many cards, whether it is empty or thin, which
//! themes; kept apart from the table so that it is tested without a page.

import { t } from '../i18n'
import type { CoverageCell } from './api'

/** A cell's shade: none, one card, a few, many (the flag's words say the first two too). */
export function heat (cards: number): 0 | 1 | 2 | 3 {
  return cards === 0 ? 0 : cards === 1 ? 1 : cards < 5 ? 2 : 3
}

/** A cell's contents in words: its count, its flag, the labels of its themes. */
export function cellWords (c: CoverageCell, labels: string[]): { count: string, flag?: string, themes: string } {
  return {
    count: t('sense.cards', { n: c.cards }),
    flag: c.flag ? t(c.flag === 'empty' ? 'sense.empty' : 'sense.thin') : undefined,
    themes: c.themes.map((i) => labels[i]).filter(Boolean).join('; ')
  }
}
