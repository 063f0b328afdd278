// Authorization requests that TestID completes at once (login_hint=testid:<pid>_<acr>, profile
// §9.2): no page, the answer is the redirect with a code. For tests that need a login, not a page.
import { PERSON } from './clients.js';

/** One PKCE pair for such tests: profile §2.2's sample. */
export const PKCE = { verifier: 'xyo94uhy3zKvgB0NJwLms86SwcjtWviEOpkBnGgaLlo', challenge: 'b7elB7ZyxIXgFyvBznKvxl7wOB-H17Pz0a3B62NIMFI' };

export interface HeadlessRequest {
  client_id: string;
  redirect_uri: string;
  scope?: string;
  acr?: string;
}

export function headlessAuthorizeUrl(issuer: string, { client_id, redirect_uri, scope = 'openid', acr = 'idporten-loa-substantial' }: HeadlessRequest): string {
  return `${issuer}/authorize?${new URLSearchParams({
    client_id, response_type: 'code', scope, redirect_uri, state: 's', nonce: 'n',
    code_challenge: PKCE.challenge, code_challenge_method: 'S256', login_hint: `testid:${PERSON}_${acr}`,
  })}`;
}

/** The code the provider redirects to the client with, or null when it redirects without one (or does not redirect). */
export async function headlessCode(url: string): Promise<string | null> {
  const location = (await fetch(url, { redirect: 'manual' })).headers.get('location');
  return location ? new URL(location).searchParams.get('code') : null;
}
