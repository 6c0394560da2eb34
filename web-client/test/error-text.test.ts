import { describe, it, expect, afterEach } from 'vitest'
import { ApiError } from '../src/api/client'
import { errorText, refusalText } from '../src/ui/error-text'
import { setLang } from '../src/i18n'

describe('server errors in words', () => {
  afterEach(() => setLang('en'))
  it("translates the server's stable code, an answer without one by its status, and shows the server's text for a code this client does not know", () => {
    setLang('nl')
    expect(errorText(new ApiError(409, 'session_closed', 'the session is closed: nothing in it can change any more'))).toBe('De sessie is gesloten: er kan niets meer in veranderen.')
    expect(errorText(new ApiError(0, 'network', 'TypeError: Failed to fetch'))).toMatch(/^Geen verbinding/)
    expect(errorText(new ApiError(502, 'http_502', '<html><title>502 Bad Gateway</title></html>'))).toBe('De server antwoordde met een fout (502). Probeer het zo opnieuw.')
    expect(errorText(new ApiError(409, 'future_code' as never, 'a newer server says why'))).toBe('a newer server says why')
    expect(errorText(new Error('boom'))).toBe('boom')
  })
  it("translates a closed connection's reason when it starts with a code", () => {
    setLang('de')
    expect(refusalText('revoked: removed from the session by a moderator')).toBe('Ihr Zugang zu dieser Sitzung wurde entzogen.')
    expect(refusalText('removed from the session by a moderator')).toBe('removed from the session by a moderator')
  })
})
