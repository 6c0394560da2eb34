//! The join page: a join code (or an invite link) plus a display name and language, the sessions
//! this browser joined before, and a small form for organisers to create a session.

import { api, normaliseCode, JOIN_CODE_RE, storeSession, type StoredSession } from './api'
import { ApiError } from '../api/client'
import { errorText } from '../ui/error-text'
import { h, clear } from '../ui/dom'
import { t, lang, setLang, chooseLang, LANGUAGES, LANGUAGE_NAMES, isLang, type Key } from '../i18n'
import { TEMPLATES } from '../board/model'
import { formatCode } from './moderator'
import { ConsentQuestion } from './recording'
import { recentSessions, keepsAnything, forgetDevice, forgetEarlierParticipant } from './device'

export interface JoinOptions {
  code?: string
  invite?: string
  /** The session's language, where the link says it (the console's join link and QR code). */
  lang?: string
  onJoined: (s: StoredSession) => void
  rerender: () => void
  /** Shown above the form (after leaving a session: that it is forgotten, and its receipt). */
  notice?: HTMLElement
}

function joinError (e: unknown): string {
  if (e instanceof ApiError && (e.code === 'join_code_not_found' || e.code === 'invalid_request')) return t('join.error.code')
  return t('error.generic', { error: errorText(e) })
}

/** "Forget this device" was just used: the redrawn page says it is done. */
let forgotten = false

/** What was typed before the page was redrawn in another language. */
let draft: { code: string, name: string } | undefined

/**
 * The person chose a language on this page: they join in it. Otherwise the server gives them the
 * session's language, and the board opens in it (whatever the device's language).
 */
let langChosen = false

/**
 * The session the typed code opens, as the server previewed it (kept across redraws): its title,
 * whether it is closed (nobody joins it by code any more) and whether joining asks for consent.
 */
let previewed: { code: string, title: string, closed: boolean, consent: boolean } | undefined

export function renderJoin (opts: JoinOptions): HTMLElement {
  // the session's language, from the first screen on, until the person chooses another
  if (!langChosen && isLang(opts.lang)) setLang(opts.lang)
  const page = h('main', { class: 'join-page', id: 'main' })
  const langSel = h('select', { id: 'join-lang', name: 'language' },
    ...LANGUAGES.map((l) => h('option', { value: l, lang: l, selected: l === lang(), text: LANGUAGE_NAMES[l] })))
  langSel.addEventListener('change', () => {
    if (!isLang(langSel.value)) return
    draft = { code: code.value, name: name.value } // the page is redrawn in the new language
    chooseLang(langSel.value)
    langChosen = true
    opts.rerender()
    document.getElementById('join-lang')?.focus()
  })

  const err = h('p', { class: 'error', id: 'join-error', role: 'alert' })
  const joining = h('p', { class: 'hint', id: 'join-session', role: 'status' })
  const kept = draft
  draft = undefined
  const code = h('input', { type: 'text', id: 'join-code', name: 'code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', 'aria-describedby': 'join-code-hint', value: kept?.code ?? (opts.code ? formatCode(normaliseCode(opts.code)) : '') })
  const name = h('input', { type: 'text', id: 'join-name', name: 'display_name', autocomplete: 'nickname', maxlength: 60, 'aria-describedby': 'join-name-hint', value: kept?.name ?? localStorage.getItem('cocreate.name') ?? '' })
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'join-submit', text: t('join.submit') })
  const consent = new ConsentQuestion()
  const form = h('form', { class: 'card-form', id: 'join-form', novalidate: true },
    h('h2', { text: t('join.title') }),
    opts.invite ? h('p', { text: t('join.invite') }) : h('div', { class: 'field' },
      h('label', { for: 'join-code', text: t('join.code') }), code,
      h('p', { class: 'hint', id: 'join-code-hint', text: t('join.code.hint') }), joining),
    h('div', { class: 'field' },
      h('label', { for: 'join-name', text: t('join.name') }), name,
      h('p', { class: 'hint', id: 'join-name-hint', text: t('join.name.hint') })),
    h('div', { class: 'field' }, h('label', { for: 'join-lang', text: t('lang.label') }), langSel),
    consent.el, err, submit,
    h('p', { class: 'hint receipt-hint', id: 'join-receipt-hint', text: t('join.receipt') }))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    err.textContent = ''
    const display = name.value.trim()
    const c = normaliseCode(code.value)
    if (!opts.invite && !JOIN_CODE_RE.test(c)) { err.textContent = t('join.error.code'); code.setAttribute('aria-invalid', 'true'); code.focus(); return }
    if (!display) { err.textContent = t('join.error.name'); name.setAttribute('aria-invalid', 'true'); name.focus(); return }
    const research_consent = consent.answer
    if (consent.asked && research_consent === undefined) { err.textContent = t('consent.missing'); consent.show(); return }
    submit.disabled = true
    try {
      const r = await api.join({ ...(opts.invite ? { invite: opts.invite } : { code: c }), display_name: display, language: langChosen ? lang() : undefined, research_consent })
      localStorage.setItem('cocreate.name', display)
      await forgetEarlierParticipant(r.session.id, r.participant_id)
      const stored: StoredSession = { token: r.token, participant_id: r.participant_id, display_name: r.display_name, role: r.role, session: r.session, receipt: r.receipt, receipt_url: r.receipt_url, lang: langChosen ? lang() : undefined }
      storeSession(stored)
      opts.onJoined(stored)
    } catch (e2) {
      submit.disabled = false
      // the session asks for research consent: ask, then the person joins again
      if (e2 instanceof ApiError && e2.code === 'consent_required') { err.textContent = t('consent.required'); consent.show(); return }
      err.textContent = joinError(e2)
    }
  })

  // A complete code names its session, and the page switches to the session's language
  // (unless the person chose one): the server says which, before anyone joins.
  const lookUp = async (): Promise<void> => {
    const c = normaliseCode(code.value)
    if (opts.invite || !JOIN_CODE_RE.test(c)) { joining.textContent = ''; return }
    if (previewed?.code !== c) {
      try {
        const p = await api.preview(c)
        previewed = { code: c, title: p.title, closed: p.state === 'closed', consent: p.research.consent_required }
        if (!langChosen && isLang(p.language) && p.language !== lang()) {
          draft = { code: code.value, name: name.value }
          setLang(p.language)
          opts.rerender()
          return
        }
      } catch { return } // an unknown code is said when joining
    }
    if (normaliseCode(code.value) !== previewed?.code) return
    // said before the person fills in the rest: a closed session, or the consent question it asks
    joining.textContent = t(previewed.closed ? 'join.sessionClosed' : 'join.session', { title: previewed.title })
    if (previewed.consent && !previewed.closed) consent.show(false)
  }
  code.addEventListener('input', () => { void lookUp() })
  void lookUp()

  page.append(
    h('header', { class: 'join-header' }, h('h1', { text: t('app.name') }), h('p', { text: t('app.tagline') })),
    ...(opts.notice ? [opts.notice] : []),
    form)

  const recent = recentSessions()
  if (recent.length) {
    page.append(h('section', { class: 'card-form recent', 'aria-labelledby': 'recent-title' },
      h('h2', { id: 'recent-title', text: t('join.recent') }),
      h('ul', {}, ...recent.map((s) => h('li', {},
        h('a', { href: `#s=${encodeURIComponent(s.session.id)}`, text: `${s.session.title} · ${t(`template.${s.session.template}` as Key)} · ${t(`role.${s.role}` as Key)}` }))))))
  }
  if (forgotten) page.append(h('p', { class: 'card-form', role: 'status', id: 'forget-done', tabindex: '-1', text: t('forget.done') }))
  forgotten = false
  if (keepsAnything()) page.append(renderForgetDevice(opts))
  // someone who came with a code or an invitation joins; creating a session is for organisers
  if (!opts.code && !opts.invite) page.append(renderCreate(opts))
  return page
}

/** "Forget this device": for a shared computer, every session, name and board copy kept here. */
function renderForgetDevice (opts: JoinOptions): HTMLElement {
  const button = h('button', { type: 'button', class: 'btn', id: 'forget-device', text: t('forget.button') })
  button.addEventListener('click', async () => {
    button.disabled = true
    await forgetDevice()
    forgotten = true
    opts.rerender()
    document.getElementById('forget-done')?.focus()
  })
  return h('section', { class: 'card-form forget', 'aria-labelledby': 'forget-title' },
    h('h2', { id: 'forget-title', text: t('forget.title') }),
    h('p', { class: 'hint', text: t('forget.explain') }), button)
}

function renderCreate (opts: JoinOptions): HTMLElement {
  const details = h('details', { class: 'card-form create' }, h('summary', { text: t('create.title') }))
  const key = h('input', { type: 'password', id: 'create-key', autocomplete: 'off', value: sessionStorage.getItem('cocreate.adminKey') ?? '' })
  const title = h('input', { type: 'text', id: 'create-title', maxlength: 120 })
  const tpl = h('select', { id: 'create-template' }, ...TEMPLATES.map((x) => h('option', { value: x, text: t(`template.${x}` as Key) })))
  const sLang = h('select', { id: 'create-lang' }, ...LANGUAGES.map((l) => h('option', { value: l, selected: l === lang(), text: LANGUAGE_NAMES[l] })))
  const out = h('div', { class: 'create-result', role: 'status', id: 'create-result' })
  const form = h('form', { id: 'create-form' },
    h('div', { class: 'field' }, h('label', { for: 'create-key', text: t('create.adminKey') }), key),
    h('div', { class: 'field' }, h('label', { for: 'create-title', text: t('create.sessionTitle') }), title),
    h('div', { class: 'field' }, h('label', { for: 'create-template', text: t('create.template') }), tpl),
    h('div', { class: 'field' }, h('label', { for: 'create-lang', text: t('lang.label') }), sLang),
    h('button', { type: 'submit', class: 'btn', id: 'create-submit', text: t('create.submit') }), out)
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    clear(out)
    try {
      const template = TEMPLATES.find((x) => x === tpl.value) ?? TEMPLATES[0]
      const language = isLang(sLang.value) ? sLang.value : lang()
      const r = await api.createSession(key.value.trim(), { title: title.value.trim() || 'Workshop', template, language })
      sessionStorage.setItem('cocreate.adminKey', key.value.trim()) // this tab only
      const mod = r.invites?.moderator?.token
      const cit = r.invites?.citizen?.token
      out.append(h('p', { id: 'created-code', 'data-code': r.join_code, text: t('create.done', { code: formatCode(r.join_code) }) }))
      // the links carry the session's language: whoever opens one sees the join page in it
      const link = (token: string): string => `#invite=${encodeURIComponent(token)}&lang=${language}`
      if (mod) out.append(h('p', {}, h('a', { href: link(mod), id: 'created-moderator', text: t('create.openModerator') })))
      if (cit) out.append(h('p', { class: 'link-line' }, `${t('create.citizenLink')}: `, h('code', { id: 'created-citizen-link', text: `${location.origin}/${link(cit)}` })))
      void opts
    } catch (e2) {
      out.append(h('p', { class: 'error', text: joinError(e2) }))
    }
  })
  details.append(form)
  return details
}
