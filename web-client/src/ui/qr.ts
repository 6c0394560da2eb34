//! QR codes for links people carry from a screen to a phone (a join link, a receipt).

import qrcode from 'qrcode-generator'

/** A QR code as a data: URL (allowed by the CSP's img-src). */
export function qrDataUrl (text: string): string {
  const qr = qrcode(0, 'M')
  qr.addData(text)
  qr.make()
  return qr.createDataURL(6, 8)
}
