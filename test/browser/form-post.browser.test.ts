// response_mode=form_post in a real browser: the provider's auto-submitting page runs under its
// Content-Security-Policy (the script is allowed by its hash) and delivers the code to the client.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startPortvakt, type TestPortvakt } from '../helpers/portvakt.js';
import { hasChromium, launchChromium } from '../helpers/chromium.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

let pv: TestPortvakt;
let rp: Receiver;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  rp = await startReceiver();
  pv = await startPortvakt({
    clients: [{ client_id: 'form-post-client', client_secret: 'form-post-secret-0123456789abcdef', redirect_uris: [`${rp.origin}/cb`] }],
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await pv?.close();
  await rp?.close();
});

describe.skipIf(!hasChromium)('form_post in Chromium', () => {
  it('the auto-submitting page posts code, state and iss to the client, with no policy violation', async () => {
    const page = await (await browser.newContext()).newPage();
    const violations: string[] = [];
    page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
    const verifier = crypto.randomBytes(32).toString('base64url');
    const query = new URLSearchParams({
      client_id: 'form-post-client', response_type: 'code', response_mode: 'form_post', scope: 'openid', redirect_uri: `${rp.origin}/cb`,
      state: 'form-post-state', nonce: 'form-post-nonce', code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256', login_hint: 'testid:28876895937_idporten-loa-substantial',
    });
    await page.goto(`${pv.issuer}/authorize?${query}`);
    const callbacks = () => rp.received.filter((r) => r.url === '/cb'); // the browser may also ask for a favicon
    await expect.poll(() => callbacks().length, { timeout: 10_000 }).toBe(1);
    const delivered = callbacks()[0]!;
    expect(delivered.method).toBe('POST');
    const fields = new URLSearchParams(delivered.body);
    expect(fields.get('code')).toBeTruthy();
    expect(fields.get('state')).toBe('form-post-state');
    expect(fields.get('iss')).toBe(pv.issuer);
    expect(violations).toEqual([]);
  });
});
