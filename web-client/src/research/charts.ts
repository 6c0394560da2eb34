//! The replay's participation charts from `/metrics`: activity over time (stacked by role, with a
//! line at the replay's moment) and contributions per role. Each is an SVG image with a caption
//! and the same numbers as a table, so that nothing depends on seeing colours.

import type { MetricsBucket } from './history'
import { h, svg } from '../ui/dom'
import { t, type Key } from '../i18n'

/** One colour per role, each 3:1 against white; the tables carry the same numbers in words. */
export const ROLE_COLOURS: Record<string, string> = { citizen: '#0b57d0', moderator: '#a15c00', observer: '#5f6368', researcher: '#00696f' }
const roleColour = (role: string): string => ROLE_COLOURS[role] ?? '#5f6368'
const roleName = (role: string): string => t(`role.${role}` as Key)

const W = 600
const H = 160

/** The numbers of a chart as a table, folded under "Show as a table". */
export function table (caption: string, head: string[], rows: (string | number)[][]): HTMLElement {
  return h('details', { class: 'chart-table' },
    h('summary', { text: t('replay.table') }),
    h('table', {},
      h('caption', { class: 'visually-hidden', text: caption }),
      h('thead', {}, h('tr', {}, ...head.map((x) => h('th', { scope: 'col', text: x })))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => i === 0 ? h('th', { scope: 'row', text: String(c) }) : h('td', { text: String(c) })))))))
}

/** Roles in a fixed order (citizens first: whose voice the research is about), then any others. */
export function rolesOf (counts: Record<string, number>[]): string[] {
  const all = new Set(counts.flatMap((c) => Object.keys(c)))
  const known = Object.keys(ROLE_COLOURS).filter((r) => all.has(r))
  return [...known, ...[...all].filter((r) => !known.includes(r)).sort()]
}

/**
 * Contributions per time bucket, stacked by role. `setCursor` moves the line that marks the
 * moment the replay shows, without redrawing the bars.
 */
export function activityChart (buckets: MetricsBucket[], bucketSeconds: number, clock: (ms: number) => string): { el: HTMLElement, setCursor: (ms: number) => void } {
  const roles = rolesOf(buckets.map((b) => b.by_role))
  const max = Math.max(1, ...buckets.map((b) => b.total))
  const from = buckets[0]?.from ?? 0
  const to = buckets[buckets.length - 1]?.to ?? from + 1
  const x = (ms: number): number => ((ms - from) / Math.max(1, to - from)) * W
  const image = svg('svg', { viewBox: `0 0 ${W} ${H + 4}`, class: 'chart', role: 'img', 'aria-labelledby': 'activity-title activity-desc', preserveAspectRatio: 'none' })
  image.append(svg('line', { x1: 0, y1: H, x2: W, y2: H, class: 'axis' }))
  for (const b of buckets) {
    let y = H
    for (const r of roles) {
      const n = b.by_role[r] ?? 0
      if (!n) continue
      const hgt = (n / max) * (H - 8)
      y -= hgt
      const rect = svg('rect', { x: x(b.from) + 1, y, width: Math.max(1, x(b.to) - x(b.from) - 2), height: hgt, fill: roleColour(r) })
      const title = svg('title'); title.textContent = `${clock(b.from)} · ${roleName(r)}: ${n}`
      rect.append(title)
      image.append(rect)
    }
  }
  const cursor = svg('line', { x1: 0, y1: 0, x2: 0, y2: H, class: 'cursor-line' })
  image.append(cursor)
  const el = h('figure', { class: 'chart-figure', id: 'replay-activity' },
    h('figcaption', {}, h('strong', { id: 'activity-title', text: t('replay.activity') }), ' ',
      h('span', { id: 'activity-desc', text: t('replay.activityDesc', { seconds: bucketSeconds }) })),
    image,
    h('ul', { class: 'chart-legend', 'aria-hidden': 'true' }, ...roles.map((r) => swatchItem(roleColour(r), roleName(r)))),
    table(t('replay.activity'), [t('replay.interval'), ...roles.map(roleName), t('replay.total')],
      buckets.map((b) => [clock(b.from), ...roles.map((r) => b.by_role[r] ?? 0), b.total])))
  return {
    el,
    setCursor: (ms) => { const cx = Math.min(W, Math.max(0, x(ms))); cursor.setAttribute('x1', String(cx)); cursor.setAttribute('x2', String(cx)) }
  }
}

/** Contributions per role as bars in HTML, each with its role and number written next to it. */
export function roleChart (byRole: Record<string, number>): HTMLElement {
  const bars = rolesOf([byRole]).map((r) => ({ name: roleName(r), value: byRole[r], colour: roleColour(r) }))
  return barChart('replay-roles', 'roles-title', t('replay.byRole'), bars)
}

/** Bars in HTML, each with its name and number written next to it, under a caption (`titleId`). */
export function barChart (id: string, titleId: string, title: string, bars: { name: string, value: number, colour: string }[]): HTMLElement {
  const max = Math.max(1, ...bars.map((b) => b.value))
  return h('figure', { class: 'chart-figure', id },
    h('figcaption', {}, h('strong', { id: titleId, text: title })),
    h('ul', { class: 'role-bars', 'aria-labelledby': titleId }, ...bars.map((b) => {
      const bar = h('span', { class: 'bar', 'aria-hidden': 'true' })
      bar.style.width = `${(b.value / max) * 100}%`
      bar.style.background = b.colour
      return h('li', {}, h('span', { class: 'role-name', text: b.name }), h('span', { class: 'bar-track' }, bar), h('span', { class: 'role-count', text: String(b.value) }))
    })))
}

/** A legend entry: a colour swatch (decorative) and its name. */
export function swatchItem (colour: string, ...label: (string | Node)[]): HTMLLIElement {
  const dot = h('span', { class: 'swatch', 'aria-hidden': 'true' })
  dot.style.background = colour
  return h('li', {}, dot, ...label)
}
