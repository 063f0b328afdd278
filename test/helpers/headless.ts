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
  /** false: the same request without the TestID hint (a browser with a session logs in by SSO; one without gets the page). */
  hint?: boolean;
  acr_values?: string;
}

export function headlessAuthorizeUrl(issuer: string, { client_id, redirect_uri, scope = 'openid', acr = 'idporten-loa-substantial', hint = true, acr_values }: HeadlessRequest): string {
  return `${issuer}/authorize?${new URLSearchParams({
    client_id, response_type: 'code', scope, redirect_uri, state: 's', nonce: 'n',
    code_challenge: PKCE.challenge, code_challenge_method: 'S256',
    ...(hint ? { login_hint: `testid:${PERSON}_${acr}` } : {}),
    ...(acr_values ? { acr_values } : {}),
  })}`;
}

/** The code the provider redirects to the client with, or null when it redirects without one (or does not redirect). */
export async function headlessCode(url: string): Promise<string | null> {
  const location = (await fetch(url, { redirect: 'manual' })).headers.get('location');
  return location ? new URL(location).searchParams.get('code') : null;
}

export interface CodeRedemption {
  client_id: string;
  /** client_secret_basic with this secret. */
  secret: string;
  code: string;
  redirect_uri: string;
  headers?: Record<string, string>;
}

/** The token request for a code, as a confidential client sends it: client_secret_basic, with PKCE's verifier. */
export function redeemCode(issuer: string, { client_id, secret, code, redirect_uri, headers = {} }: CodeRedemption): Promise<Response> {
  return fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client_id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri, code_verifier: PKCE.verifier }),
  });
}
