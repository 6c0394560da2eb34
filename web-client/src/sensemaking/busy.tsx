//! A run under way or its failure, in the panel that asked: the server may take a second or two
//! for a big board, and people should see that it works and hear when it fails.

import { t } from '../i18n'

/** What a panel's last request is doing: running, or failed with these words. */
export type Asking = { busy: true } | { error: string } | undefined

export function AskingState ({ asking, id }: { asking: Asking, id: string }) {
  if (!asking) return null
  return 'busy' in asking
    ? <p class='sense-busy' role='status' id={id}><progress aria-label={t('sense.working')} /> {t('sense.working')}</p>
    : <p class='sense-error' role='alert' id={id}>{asking.error}</p>
}
