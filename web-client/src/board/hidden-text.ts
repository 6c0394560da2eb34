//! What a hidden item says in its place, in the page's language: the moderator's reason, or,
//! when reports hid it, that it waits for a moderator (the server's reason then is its own word,
//! "reported", which is not for the screen).

import type * as M from './model'
import { t } from '../i18n'

/** The reason the server writes when enough reports hid an item (server/src/api/moderation.rs). */
const BY_REPORTS = 'reported'

/** The text shown instead of a hidden item's. */
export function hiddenText (hidden: M.Hidden): string {
  return hidden.pending_review || hidden.reason === BY_REPORTS ? t('board.hiddenByReports') : t('board.hidden', { reason: hidden.reason })
}
