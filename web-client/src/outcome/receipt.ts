//! A participant's receipt as they carry it away: its link, a QR code and a printable slip. Shown
//! after joining (the board's side bar), again when the session closes and after leaving.

import { h } from '../ui/dom'
import { qrDataUrl } from '../ui/qr'
import { t } from '../i18n'
import type { Schema } from '../api/client'

/** What a join answer gave (`receipt`, `receipt_url`), kept with the session on this device. */
export type ReceiptRef = Partial<Pick<Schema<'Receipt'>, 'receipt' | 'receipt_url'>>

/** The receipt page's full address: the server's `receipt_url` made absolute, else built here. */
export function receiptUrl (r: ReceiptRef): string | undefined {
  if (!r.receipt) return undefined
  try {
    if (r.receipt_url) return new URL(r.receipt_url, location.origin).href
  } catch { /* not a URL: build it */ }
  return `${location.origin}/#receipt=${encodeURIComponent(r.receipt)}`
}

/**
 * The receipt panel: one sentence on what it is for, the link, its QR code and "Print a slip".
 * `heading` is the level that fits where it is put.
 */
export function receiptPanel (r: ReceiptRef, sessionTitle: string, heading: 'h2' | 'h3' = 'h3'): HTMLElement | null {
  const url = receiptUrl(r)
  if (!url) return null
  const id = `receipt-title-${heading}`
  return h('section', { class: 'receipt', 'aria-labelledby': id },
    h(heading, { id, text: t('receipt.title') }),
    h('p', { class: 'hint', text: t('receipt.keep') }),
    h('p', { class: 'receipt-link' }, h('a', { href: url, class: 'receipt-url', text: url })),
    h('img', { class: 'qr', src: qrDataUrl(url), alt: t('receipt.qr'), width: 120, height: 120 }),
    h('p', {}, h('button', { type: 'button', class: 'btn small receipt-print', onclick: () => printSlip(url, sessionTitle), text: t('receipt.print') })))
}

/** After leaving: the session is forgotten on this device; its receipt is shown once more, to keep. */
export function leftNotice (left: ReceiptRef & { session: { title: string } }): HTMLElement {
  return h('section', { class: 'card-form left-session', id: 'left-session', 'aria-labelledby': 'left-title' },
    h('h2', { id: 'left-title', tabindex: '-1', text: t('leave.done', { title: left.session.title }) }),
    h('p', { text: t('leave.forgotten') }),
    receiptPanel(left, left.session.title))
}

/**
 * Prints a slip with the receipt alone: the slip is put at the top of the page, the print
 * stylesheet hides everything else while `body.print-receipt` is set, and both go after printing.
 */
export function printSlip (url: string, sessionTitle: string): void {
  document.querySelector('.receipt-slip')?.remove()
  const slip = h('div', { class: 'receipt-slip' },
    h('p', { class: 'slip-app', text: t('app.name') }),
    h('p', { class: 'slip-title', text: t('receipt.slipTitle', { title: sessionTitle }) }),
    h('img', { class: 'qr', src: qrDataUrl(url), alt: t('receipt.qr'), width: 200, height: 200 }),
    h('p', { class: 'slip-url', text: url }),
    h('p', { text: t('receipt.keep') }))
  document.body.append(slip)
  document.body.classList.add('print-receipt')
  window.addEventListener('afterprint', () => { slip.remove(); document.body.classList.remove('print-receipt') }, { once: true })
  window.print()
}
